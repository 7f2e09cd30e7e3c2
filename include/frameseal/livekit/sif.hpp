// frameseal/livekit/sif.hpp: recognising server-injected frames (SIF) on the receiving side.
//
// The LiveKit SFU sometimes injects blank video / silent audio frames it cannot encrypt. It marks
// them with a per-room secret trailer (JoinResponse.sif_trailer) appended to the payload, so E2EE
// receivers pass them through instead of failing to decrypt. Anyone who knows the trailer (the
// SFU and every participant) could mark arbitrary plaintext the same way, so the payload must also
// be one of the known blank frames; anything else carrying the trailer is rejected (never
// decrypted, never passed through).
//
// Receive order (livekit-client 2.23.0 decodeFunction): strip the LKTS packet trailer if
// negotiated, pass empty frames through, then this check, then the E2EE trailer (key index).
// A frame is a SIF candidate when the trailer is non-empty and the frame ends with it (a frame
// consisting of just the trailer is a candidate with an empty payload, which is rejected).
//
// Allow-list: the UNION of
//   livekit-client 2.23.0 `sifPayload.ts` (compares SHA-256 digests; payloads from livekit-server
//   pkg/sfu/downtrack.go): the VP8 8x8 key frame (31 bytes); the H.264 2x2 SPS (24), PPS (6) and
//   IDR (10), each a bare NAL unit without start code; Opus silence (f8 ff fe + 77 zeros, 80 bytes);
// and the newer webrtc-sdk `IsKnownSifPayload` (api/crypto/sif_payload_unittest.cc, 2026): the
//   same VP8 frame and Opus silence; Opus RED (0x6f, a primary-block header with F = 0, + Opus
//   silence, 81 bytes); PCMU silence (160 x 0xff); PCMA silence (160 x 0xd5); H.264 as Annex B
//   with 4-byte start codes, SPS || PPS || IDR (52 bytes) or IDR alone (14 bytes). The native list
//   rejects the bare NAL units and livekit-client rejects the Annex-B forms, so they disagree on
//   H.264; a receiver that must interoperate with both servers' framings accepts both.
// The payloads are compared byte for byte (equal to comparing livekit-client's SHA-256 digests,
// which unit-livekit-sif.cpp checks); they are public constants, so memcmp is fine. The trailer is
// a room secret and is compared with ct_equal.
//
// Contract: pure functions over spans; no allocation, no exception.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>

#include "../bytes.hpp"
#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

// livekit-server pkg/sfu/downtrack.go blank frames.
inline constexpr std::array<std::uint8_t, 31> sif_vp8_key_frame_8x8 = {
    0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x08, 0x00, 0x08, 0x00, 0x00, 0x47, 0x08, 0x85, 0x85, 0x88,
    0x85, 0x84, 0x88, 0x02, 0x02, 0x00, 0x0c, 0x0d, 0x60, 0x00, 0xfe, 0xff, 0xab, 0x50, 0x80};
inline constexpr std::array<std::uint8_t, 24> sif_h264_sps_2x2 = {
    0x67, 0x42, 0xc0, 0x1f, 0x0f, 0xd9, 0x1f, 0x88, 0x88, 0x84, 0x00, 0x00,
    0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc9, 0x20};
inline constexpr std::array<std::uint8_t, 6> sif_h264_pps_2x2 = {0x68, 0x87, 0xcb, 0x83, 0xcb, 0x20};
inline constexpr std::array<std::uint8_t, 10> sif_h264_idr_2x2 = {0x65, 0x88, 0x84, 0x0a, 0xf2,
                                                                  0x62, 0x80, 0x00, 0xa7, 0xbe};
inline constexpr std::array<std::uint8_t, 3> sif_opus_silence_toc = {0xf8, 0xff, 0xfe};  // then zeros
inline constexpr std::size_t sif_opus_silence_bytes = 80;
inline constexpr std::uint8_t sif_opus_red_header = 0x6f;   // RED primary block, F = 0, PT 111
inline constexpr std::size_t sif_g711_silence_bytes = 160;  // 20 ms at 8 kHz
inline constexpr std::uint8_t sif_pcmu_silence = 0xff;
inline constexpr std::uint8_t sif_pcma_silence = 0xd5;
inline constexpr std::array<std::uint8_t, 4> sif_annexb_start_code = {0x00, 0x00, 0x00, 0x01};

enum class SifPayload : std::uint8_t {
  none,                     // not on the allow-list
  vp8_key_frame,            // livekit-client, webrtc-sdk
  opus_silence,             // livekit-client, webrtc-sdk
  h264_sps,                 // livekit-client only (bare NAL unit)
  h264_pps,                 // livekit-client only (bare NAL unit)
  h264_idr,                 // livekit-client only (bare NAL unit)
  opus_red_silence,         // webrtc-sdk only
  pcmu_silence,             // webrtc-sdk only
  pcma_silence,             // webrtc-sdk only
  h264_annexb_sps_pps_idr,  // webrtc-sdk only (4-byte start codes)
  h264_annexb_idr,          // webrtc-sdk only (4-byte start code)
};

namespace detail {
[[nodiscard]] inline bool equal_bytes(BytesIn a, BytesIn b) noexcept {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}
[[nodiscard]] inline bool all_bytes(BytesIn a, std::uint8_t v) noexcept {
  for (auto x : a)
    if (x != v) return false;
  return true;
}
[[nodiscard]] inline bool is_opus_silence(BytesIn p) noexcept {
  return p.size() == sif_opus_silence_bytes && equal_bytes(p.first(3), sif_opus_silence_toc) &&
         all_bytes(p.subspan(3), 0x00);
}
// Does `p` consist of exactly the given parts, in order?
[[nodiscard]] inline bool is_concat(BytesIn p, std::initializer_list<BytesIn> parts) noexcept {
  std::size_t at = 0;
  for (BytesIn part : parts) {
    if (p.size() - at < part.size() || !equal_bytes(p.subspan(at, part.size()), part)) return false;
    at += part.size();
  }
  return at == p.size();
}
}  // namespace detail

// Which allow-listed blank frame `payload` is (the SIF trailer already removed), or none.
[[nodiscard]] inline SifPayload identify_sif_payload(BytesIn payload) noexcept {
  const BytesIn sc = sif_annexb_start_code, sps = sif_h264_sps_2x2, pps = sif_h264_pps_2x2,
                idr = sif_h264_idr_2x2;
  switch (payload.size()) {
    case sif_vp8_key_frame_8x8.size():
      return detail::equal_bytes(payload, sif_vp8_key_frame_8x8) ? SifPayload::vp8_key_frame
                                                                 : SifPayload::none;
    case sif_opus_silence_bytes:
      return detail::is_opus_silence(payload) ? SifPayload::opus_silence : SifPayload::none;
    case sif_opus_silence_bytes + 1:
      return payload[0] == sif_opus_red_header && detail::is_opus_silence(payload.subspan(1))
                 ? SifPayload::opus_red_silence
                 : SifPayload::none;
    case sif_h264_sps_2x2.size():
      return detail::equal_bytes(payload, sps) ? SifPayload::h264_sps : SifPayload::none;
    case sif_h264_pps_2x2.size():
      return detail::equal_bytes(payload, pps) ? SifPayload::h264_pps : SifPayload::none;
    case sif_h264_idr_2x2.size():
      return detail::equal_bytes(payload, idr) ? SifPayload::h264_idr : SifPayload::none;
    case sif_g711_silence_bytes:
      if (detail::all_bytes(payload, sif_pcmu_silence)) return SifPayload::pcmu_silence;
      if (detail::all_bytes(payload, sif_pcma_silence)) return SifPayload::pcma_silence;
      return SifPayload::none;
    case 3 * sif_annexb_start_code.size() + sif_h264_sps_2x2.size() + sif_h264_pps_2x2.size() +
        sif_h264_idr_2x2.size():
      return detail::is_concat(payload, {sc, sps, sc, pps, sc, idr}) ? SifPayload::h264_annexb_sps_pps_idr
                                                                     : SifPayload::none;
    case sif_annexb_start_code.size() + sif_h264_idr_2x2.size():
      return detail::is_concat(payload, {sc, idr}) ? SifPayload::h264_annexb_idr : SifPayload::none;
    default:
      return SifPayload::none;
  }
}

[[nodiscard]] inline bool is_known_sif_payload(BytesIn payload) noexcept {
  return identify_sif_payload(payload) != SifPayload::none;
}

enum class SifResult : std::uint8_t {
  not_sif,   // no trailer configured, or the frame does not end with it: decrypt as usual
  allowed,   // ends with the trailer and the rest is an allow-listed blank frame: pass it through
  rejected,  // ends with the trailer but the rest is not allow-listed: drop it
};

// Classifies a received frame. When the frame ends with the trailer, *payload_out (if given) is set
// to the frame without the trailer, for allowed and rejected frames alike; otherwise it is not
// touched.
[[nodiscard]] inline SifResult check_sif(BytesIn frame, BytesIn trailer, BytesIn* payload_out) noexcept {
  if (trailer.empty() || frame.size() < trailer.size()) return SifResult::not_sif;
  const std::size_t cut = frame.size() - trailer.size();
  if (!ct_equal(frame.subspan(cut), trailer)) return SifResult::not_sif;
  const BytesIn payload = frame.first(cut);
  if (payload_out != nullptr) *payload_out = payload;
  return is_known_sif_payload(payload) ? SifResult::allowed : SifResult::rejected;
}

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
