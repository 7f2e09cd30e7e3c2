// frameseal/codec/codec.hpp: media kinds and codecs, and the per-frame facts a caller supplies.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

enum class MediaKind : std::uint8_t { audio, video };

// The codec a frame was signalled with (SDP / mime type). For H.264/H.265 the LiveKit format lets
// the frame's bytes override it (livekit-client 2.23 behaviour), see livekit/clear_header.hpp.
enum class Codec : std::uint8_t { unknown, opus, vp8, vp9, h264, h265, av1 };

[[nodiscard]] constexpr std::string_view to_string(Codec c) noexcept {
  switch (c) {
    case Codec::unknown:
      return "unknown";
    case Codec::opus:
      return "opus";
    case Codec::vp8:
      return "vp8";
    case Codec::vp9:
      return "vp9";
    case Codec::h264:
      return "h264";
    case Codec::h265:
      return "h265";
    case Codec::av1:
      return "av1";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::optional<Codec> codec_from_string(std::string_view s) noexcept {
  for (Codec c : {Codec::opus, Codec::vp8, Codec::vp9, Codec::h264, Codec::h265, Codec::av1})
    if (to_string(c) == s) return c;
  return std::nullopt;
}

// What the frame layer needs to know about one frame besides its bytes.
struct FrameInfo {
  MediaKind kind = MediaKind::video;
  Codec codec = Codec::unknown;
  // Key frame or not, as the encoder/depacketizer says. Unset: derived from the bytes where the
  // codec allows it (VP8 frame tag), otherwise treated as a delta frame.
  std::optional<bool> key_frame;
  std::uint32_t ssrc = 0;
  std::uint32_t rtp_timestamp = 0;
};

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
