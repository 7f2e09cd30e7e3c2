// frameseal/livekit/clear_header.hpp: how many leading bytes of a frame LiveKit leaves in clear,
// on the sending and on the receiving side, and the H.264/H.265 start-code normalisation of that
// header.
//
// The clear header H is the AES-GCM additional data and travels unencrypted in front of the
// ciphertext. Both ends compute its length n independently, from the frame they hold (the sender
// from the plaintext frame, the receiver from the received, encrypted frame), so the rule must be
// livekit-client 2.23.0's `FrameCryptor.getUnencryptedBytes` exactly:
//
//   empty frame            n = 0 (livekit passes empty frames through before asking).
//   audio                  n = 1 (the Opus TOC byte; livekit has no codec switch for audio, so
//                          RED/G.711 frames are treated the same).
//   VP8                    n = 10 for a key frame, 3 for a delta frame (codec/vp8.hpp).
//   VP9                    n = 0 (empty AAD, whole frame encrypted).
//   H.264 / H.265          livekit runs `processNALUsForEncryption` (codec/nalu.hpp
//                          find_first_slice): the bytes decide the codec, H.264 slices (type 1/5)
//                          outranking H.265 VCL units; n = offset of the first such slice NAL unit
//                          + 2 (H.264: NAL header + first slice-header byte; H.265: the 2-byte NAL
//                          header). Everything before it (SPS/PPS/VPS/SEI/AUD) stays clear. The
//                          signalled codec only selects this branch: a frame signalled H.264 whose
//                          bytes hold only H.265 slices is handled as H.265, and vice versa.
//     - no slice NAL unit, or "leading data" before the first start code: livekit falls back
//       to the VP8 rule (10 / 3 by the frame type) and does NOT escape (nalu = false). Note that
//       the native SDK uses n = 0 *with* escaping there, so such frames do not interoperate.
//     - nalu = true: the sender rewrites 3-byte start codes in H to 4-byte ones (normalise, below)
//       and escapes the encrypted part (rbsp.hpp); the receiver un-escapes it.
//
// Where frameseal deliberately differs from livekit-client:
//   - AV1 (livekit throws, killing the transform) and unknown video codecs (livekit would guess
//     from the bytes, else apply the VP8 rule) are Errc::unsupported_codec: frameseal never guesses
//     a clear-header rule, so it never puts plaintext on the wire that was not meant to be there.
//     A video frame signalled with an audio codec is also unsupported_codec.
//   - A frame shorter than n is Errc::malformed_frame (livekit throws a RangeError, which on the
//     sending side kills the transform pipeline; the native SDK reads out of bounds).
//   - Sending, a frame signalled H.265 whose bytes decide H.264 is Errc::malformed_frame: the
//     H.264 "slice" is a later NAL unit with nuh_layer_id >= 32, and the H.264 rule would leave
//     every byte before it, the frame's real first slice included, in clear. (The other
//     contradiction, a frame signalled H.264 whose bytes decide H.265, has no H.264 slice at all:
//     the H.265 reading leaves less in clear, up to an AUD or SEI + 2, and stays allowed so that
//     parameter-set-only access units still go out.) Receiving keeps livekit's rule.
//   - n is a std::size_t. The native SDK returns it as uint8_t and so truncates n > 255 (e.g. a
//     large SEI before the IDR); frameseal, like livekit-client, uses the true value.
//
// Start-code normalisation (livekit-client 2.23.0 `normalizeAnnexBStartCodes`, sender only, H.264
// and H.265 with nalu = true): every 00 00 01 in H that is not preceded by 00 becomes 00 00 00 01.
// libwebrtc's depacketizer rebuilds NAL units with 4-byte start codes, so the receiver would
// otherwise authenticate a different header. The normalised header is both the AAD and what is
// sent; the decrypted frame therefore carries 4-byte start codes even where the encoder wrote
// 3-byte ones. The native SDK does not normalise.
//
// Contract: pure functions over spans; no allocation, no exception, never reads outside `frame`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../bytes.hpp"
#include "../codec/codec.hpp"
#include "../codec/nalu.hpp"
#include "../codec/vp8.hpp"
#include "../error.hpp"
#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

inline constexpr std::size_t audio_clear_bytes = 1;
inline constexpr std::size_t vp8_key_frame_clear_bytes = vp8_key_frame_header_bytes;  // 10
inline constexpr std::size_t vp8_delta_frame_clear_bytes = vp8_frame_tag_bytes;       // 3
// H.264: NAL header + first slice-header byte; H.265: the 2-byte NAL header.
inline constexpr std::size_t slice_clear_bytes = 2;

struct ClearHeader {
  // Bytes of the input frame that stay clear (n).
  std::size_t in_bytes = 0;
  // The header as sent after 3- to 4-byte start-code normalisation (>= in_bytes); equal to
  // in_bytes on the receiving side and whenever nalu is false.
  std::size_t out_bytes = 0;
  // H.264/H.265 processing applies: normalise the header, escape the encrypted part (sender) or
  // un-escape it when needs_unescape() says so (receiver).
  bool nalu = false;
  // The codec after "the bytes decide" (h264/h265 when nalu), else the signalled codec.
  Codec codec = Codec::unknown;
  friend constexpr bool operator==(const ClearHeader&, const ClearHeader&) = default;
};

// The number of 3-byte start codes normalisation rewrites in `header`: occurrences of 00 00 01 at
// i with i == 0 or header[i - 1] != 0.
[[nodiscard]] inline std::size_t count_short_start_codes(BytesIn header) noexcept {
  const std::uint8_t* p = header.data();
  const std::size_t n = header.size();
  std::size_t count = 0;
  std::size_t q = 2;  // candidate position of the 01 byte
  while (q < n) {
    q = frameseal::detail::find_byte(p, q, n, 0x01);
    if (q == n) break;
    if (p[q - 1] == 0 && p[q - 2] == 0 && (q == 2 || p[q - 3] != 0)) ++count;
    q += 3;  // p[q] == 1 is not 0, so the next 00 00 01 ends at q + 3 or later
  }
  return count;
}

// The size of `header` after normalisation.
[[nodiscard]] inline std::size_t normalized_size(BytesIn header) noexcept {
  return header.size() + count_short_start_codes(header);
}

// Writes the normalised header to `out` and returns the written prefix (normalized_size bytes).
// `out` may be the same memory as `header` (in place) or not overlap it; it must hold
// normalized_size(header) bytes (Errc::buffer_too_small, nothing written). Other overlaps:
// Errc::invalid_argument.
[[nodiscard]] inline Result<BytesOut> normalize_start_codes(BytesIn header, BytesOut out) noexcept {
  const std::uint8_t* src = header.data();
  const std::size_t n = header.size();
  const std::size_t total = normalized_size(header);
  if (out.size() < total) return Errc::buffer_too_small;
  if (n == 0) return out.first(0);
  std::uint8_t* dst = out.data();
  const auto ip = reinterpret_cast<std::uintptr_t>(src);
  const auto op = reinterpret_cast<std::uintptr_t>(dst);
  const bool overlap = ip < op + total && op < ip + n;
  if (!overlap) {
    // Front to back, copying the stretches between the inserted zero bytes.
    std::size_t i = 0, o = 0, q = 2;
    while (q < n) {
      q = frameseal::detail::find_byte(src, q, n, 0x01);
      if (q == n) break;
      if (src[q - 1] == 0 && src[q - 2] == 0 && (q == 2 || src[q - 3] != 0)) {
        const std::size_t s = q - 2;  // the short start code begins here
        std::memcpy(dst + o, src + i, s - i);
        o += s - i;
        dst[o++] = 0;
        i = s;
      }
      q += 3;
    }
    std::memcpy(dst + o, src + i, n - i);
    return out.first(total);
  }
  if (op < ip) return Errc::invalid_argument;
  // In place (or output after the input): back to front. Each output byte lands at or after its
  // input byte, which may overwrite input bytes just behind the current one, so the two original
  // bytes after i are carried in b1, b2 instead of being re-read.
  std::size_t o = total;
  int b1 = -1, b2 = -1;  // original src[i + 1], src[i + 2]; -1 past the end
  for (std::size_t i = n; i-- > 0;) {
    const std::uint8_t b = src[i];
    const bool short_code = b == 0 && b1 == 0 && b2 == 1 && (i == 0 || src[i - 1] != 0);
    dst[--o] = b;
    if (short_code) dst[--o] = 0;
    b2 = b1;
    b1 = b;
  }
  return out.first(total);
}

namespace detail {
// H.264/H.265: the first slice decides (a NAL scan). Kept out of line, so that clear_header, which
// the frame path calls for every frame, stays small enough to inline for audio and VP8/VP9.
[[nodiscard, gnu::noinline]] inline Result<ClearHeader> nalu_clear_header(const FrameInfo& info,
                                                                          bool key_frame, BytesIn frame,
                                                                          bool sender) noexcept {
  ClearHeader h;
  h.codec = info.codec;
  std::size_t n = key_frame ? vp8_key_frame_clear_bytes : vp8_delta_frame_clear_bytes;
  const FirstSlice s = find_first_slice(frame);
  // The sender knows its codec: an H.265 frame whose bytes read as H.264 (a later NAL unit
  // with nuh_layer_id >= 32 looks like an H.264 slice, and H.264 outranks H.265) would send
  // its real first slice in clear. Refused; the receiver keeps livekit's "bytes decide".
  if (sender && info.codec == Codec::h265 && s.codec == Codec::h264) return Errc::malformed_frame;
  if (!s.leading_data && s.codec != Codec::unknown) {
    n = s.offset + slice_clear_bytes;  // < frame.size(): a slice is only found with >= 4 bytes left
    h.nalu = true;
    h.codec = s.codec;
  }  // else n stays the VP8 rule: livekit's "NALU processing failed, falling back to VP8 handling"
  if (n > frame.size()) return Errc::malformed_frame;
  h.in_bytes = n;
  h.out_bytes = (sender && h.nalu) ? normalized_size(frame.first(n)) : n;
  return h;
}

[[nodiscard]] inline Result<ClearHeader> clear_header(const FrameInfo& info, bool key_frame, BytesIn frame,
                                                      bool sender) noexcept {
  ClearHeader h;
  h.codec = info.codec;
  if (frame.empty()) return h;
  std::size_t n = 0;
  if (info.kind == MediaKind::audio) {
    n = audio_clear_bytes;
  } else {
    switch (info.codec) {
      case Codec::vp8:
        n = key_frame ? vp8_key_frame_clear_bytes : vp8_delta_frame_clear_bytes;
        break;
      case Codec::vp9:
        n = 0;
        break;
      case Codec::h264:
      case Codec::h265:
        return nalu_clear_header(info, key_frame, frame, sender);
      case Codec::av1:
      case Codec::unknown:
      case Codec::opus:
      default:
        return Errc::unsupported_codec;
    }
  }
  if (n > frame.size()) return Errc::malformed_frame;
  h.in_bytes = n;
  h.out_bytes = n;
  return h;
}
}  // namespace detail

// The sending side: n of the plaintext frame, and the size of the header after normalisation.
// key_frame is the encoder's frame type (livekit: frame.type == 'key'); it matters for VP8 and the
// VP8 fallback of H.264/H.265. Without one, vp8_is_key_frame(frame) gives it for VP8.
[[nodiscard]] inline Result<ClearHeader> sender_clear_header(const FrameInfo& info, bool key_frame,
                                                             BytesIn frame) noexcept {
  return detail::clear_header(info, key_frame, frame, true);
}

// The receiving side, computed like livekit-client's decodeFunction on the received frame as it
// arrives (after the packet trailer and SIF checks, before un-escaping): the clear header is the
// first in_bytes bytes as they are, already normalised by the sender. key_frame is the
// depacketizer's frame type; for VP8 the clear frame tag gives it (vp8_is_key_frame).
[[nodiscard]] inline Result<ClearHeader> receiver_clear_header(const FrameInfo& info, bool key_frame,
                                                               BytesIn frame) noexcept {
  return detail::clear_header(info, key_frame, frame, false);
}

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
