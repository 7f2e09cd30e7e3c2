// frameseal/codec/vp8.hpp: the few facts about a VP8 frame that the clear-header rules need.
//
// A VP8 frame starts with a 3-byte frame tag; a key frame continues with the start code
// 9d 01 2a and 4 bytes of width/height (RFC 6386 §9.1). LiveKit leaves exactly those bytes in
// clear (10 for a key frame, 3 for a delta frame) so that an SFU can still tell key frames apart.
// A receiver that is not told the frame type can read it from the clear frame tag.
//
// Contract: pure constexpr functions over spans; no allocation, no exception, never reads outside
// the span (an empty or short frame is simply "not a key frame" / "no start code").
#pragma once

#include <cstddef>
#include <cstdint>

#include "../bytes.hpp"
#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

inline constexpr std::size_t vp8_frame_tag_bytes = 3;
// Frame tag + start code (3) + horizontal and vertical size (2 + 2).
inline constexpr std::size_t vp8_key_frame_header_bytes = 10;
inline constexpr std::uint8_t vp8_key_frame_start_code[3] = {0x9d, 0x01, 0x2a};

// Bit 0 of the frame tag is the inverse key-frame flag: 0 = key frame (RFC 6386 §9.1).
[[nodiscard]] constexpr bool vp8_is_key_frame(BytesIn frame) noexcept {
  return !frame.empty() && (frame[0] & 0x01) == 0;
}

// True when the frame is long enough for a key-frame header and carries the key-frame start code.
// Useful as a plausibility check; livekit-client does not look at it.
[[nodiscard]] constexpr bool vp8_has_key_frame_start_code(BytesIn frame) noexcept {
  return frame.size() >= vp8_key_frame_header_bytes && frame[3] == vp8_key_frame_start_code[0] &&
         frame[4] == vp8_key_frame_start_code[1] && frame[5] == vp8_key_frame_start_code[2];
}

// Size in bytes of the first partition, from the 19-bit field of the frame tag.
[[nodiscard]] constexpr std::uint32_t vp8_first_partition_size(BytesIn frame) noexcept {
  if (frame.size() < vp8_frame_tag_bytes) return 0;
  const std::uint32_t tag =
      std::uint32_t{frame[0]} | (std::uint32_t{frame[1]} << 8) | (std::uint32_t{frame[2]} << 16);
  return tag >> 5;
}

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
