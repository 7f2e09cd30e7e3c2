// frameseal/livekit/frame_cryptor_options.hpp: the options of livekit::FrameCryptor, on their own so
// that the session layer's options (session/options.hpp), which both formats share, carry them
// without pulling in the LiveKit frame path.
//
// Contract: plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

struct FrameCryptorOptions {
  std::vector<std::uint8_t> sif_trailer;  // the room's SIF trailer (JoinResponse.sif_trailer); empty: none
  bool packet_trailer = false;            // strip livekit's LKTS packet trailer before decrypting
  std::size_t reserve_bytes = 0;          // pre-size the scratch buffer (no growth below this size)
};

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
