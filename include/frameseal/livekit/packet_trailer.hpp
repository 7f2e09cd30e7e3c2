// frameseal/livekit/packet_trailer.hpp: LiveKit's optional "packet trailer" (frame metadata) that
// publishers append to video frames after encryption.
//
// Layout (livekit-client 2.23.0 `frameMetadata.ts`), at the very end of the frame:
//   TLV* || (trailer_length ^ 0xff) || "LKTS"
// Every TLV byte (tag, length, value) is XORed with 0xff; trailer_length counts the TLVs plus the
// 5-byte envelope (length byte and magic) and so is at most 255. Tags: 1 = user timestamp (8 bytes,
// big-endian), 2 = frame id (4 bytes, big-endian), 3 = user data (any length; written by native
// senders, read by livekit-client). The trailer is outside the AEAD and unauthenticated; a receiver
// whose track negotiated it must strip it before E2EE processing, or it would read 'S' (0x53) as
// the key index.
//
// Stripping follows livekit-client's `extractPacketTrailer`: no magic (or a frame shorter than 5
// bytes) -> the frame unchanged; TLVs are read in order until one would run past the envelope;
// the trailer is stripped only if at least one known TLV (tag 1 with length 8, tag 2 with length 4,
// or tag 3) was read, otherwise the frame is returned unchanged (as livekit-client does).
// Deliberate difference: when the magic is there but the length byte is inconsistent (below 5 or
// beyond the frame), livekit-client silently keeps the frame; frameseal reports
// Errc::malformed_frame, because such a frame cannot be decrypted correctly either way.
//
// Writing follows livekit-client's `appendPacketTrailer`: a timestamp TLV if the timestamp is
// non-zero, then a frame-id TLV if the id is non-zero, then (native senders only) a user-data TLV
// if there is user data; nothing at all when none of them is present, and nothing on an empty
// frame (livekit skips empty frames).
//
// Contract: pure functions over spans; no allocation, no exception.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../bytes.hpp"
#include "../error.hpp"
#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

inline constexpr std::array<std::uint8_t, 4> packet_trailer_magic = {'L', 'K', 'T', 'S'};
inline constexpr std::size_t packet_trailer_envelope_bytes = 5;  // length byte + magic
inline constexpr std::size_t packet_trailer_max_bytes = 255;
inline constexpr std::uint8_t packet_trailer_timestamp_tag = 0x01;
inline constexpr std::uint8_t packet_trailer_frame_id_tag = 0x02;
inline constexpr std::uint8_t packet_trailer_user_data_tag = 0x03;

// What a packet trailer carries. Zero means absent (livekit-client's convention).
struct PacketTrailerFields {
  std::uint64_t user_timestamp = 0;  // livekit-client writes Date.now() * 1000 (microseconds)
  std::uint32_t frame_id = 0;
  BytesIn user_data;  // plain bytes when appending
};

struct PacketTrailer {
  BytesIn frame;         // the frame without the trailer (the whole input when none)
  bool present = false;  // a trailer was found and removed
  std::uint64_t user_timestamp = 0;
  std::uint32_t frame_id = 0;
  BytesIn user_data_xored;  // the user-data value as on the wire (each byte XOR 0xff)
};

// Parses and removes the packet trailer at the end of `frame` (see the rules above).
[[nodiscard]] inline Result<PacketTrailer> parse_packet_trailer(BytesIn frame) noexcept {
  PacketTrailer r;
  r.frame = frame;
  const std::size_t n = frame.size();
  if (n < packet_trailer_envelope_bytes) return r;
  if (std::memcmp(frame.data() + n - packet_trailer_magic.size(), packet_trailer_magic.data(),
                  packet_trailer_magic.size()) != 0)
    return r;
  const std::size_t length = frame[n - packet_trailer_envelope_bytes] ^ 0xffu;
  if (length < packet_trailer_envelope_bytes || length > n) return Errc::malformed_frame;
  const std::size_t start = n - length;
  const std::size_t tlv_end = n - packet_trailer_envelope_bytes;
  bool found = false;
  std::size_t at = start;
  while (at + 2 <= tlv_end) {
    const std::uint8_t tag = static_cast<std::uint8_t>(frame[at] ^ 0xffu);
    const std::size_t len = frame[at + 1] ^ 0xffu;
    at += 2;
    if (at + len > tlv_end) break;
    const std::uint8_t* v = frame.data() + at;
    if (tag == packet_trailer_timestamp_tag && len == 8) {
      std::uint64_t x = 0;
      for (std::size_t i = 0; i < 8; ++i) x = (x << 8) | static_cast<std::uint8_t>(v[i] ^ 0xffu);
      r.user_timestamp = x;
      found = true;
    } else if (tag == packet_trailer_frame_id_tag && len == 4) {
      std::uint32_t x = 0;
      for (std::size_t i = 0; i < 4; ++i) x = (x << 8) | static_cast<std::uint8_t>(v[i] ^ 0xffu);
      r.frame_id = x;
      found = true;
    } else if (tag == packet_trailer_user_data_tag) {
      r.user_data_xored = frame.subspan(at, len);
      found = true;
    }
    at += len;
  }
  if (!found) return PacketTrailer{frame, false, 0, 0, {}};
  r.frame = frame.first(start);
  r.present = true;
  return r;
}

// The frame without its packet trailer (unchanged when it has none).
[[nodiscard]] inline Result<BytesIn> strip_packet_trailer(BytesIn frame) noexcept {
  auto r = parse_packet_trailer(frame);
  if (!r) return r.error();
  return r->frame;
}

// The number of bytes append_packet_trailer adds for `fields` (0 when there is nothing to write).
[[nodiscard]] constexpr std::size_t packet_trailer_size(const PacketTrailerFields& fields) noexcept {
  std::size_t n = 0;
  if (fields.user_timestamp != 0) n += 2 + 8;
  if (fields.frame_id != 0) n += 2 + 4;
  if (!fields.user_data.empty()) n += 2 + fields.user_data.size();
  return n == 0 ? 0 : n + packet_trailer_envelope_bytes;
}

// Writes `frame` followed by its packet trailer to `out` and returns the written prefix. `out` may
// be the same memory as `frame` (the trailer is then appended in place) or not overlap it.
// Errc::invalid_argument when the trailer would exceed 255 bytes or on another overlap;
// Errc::buffer_too_small (nothing written) when `out` is too small.
[[nodiscard]] inline Result<BytesOut> append_packet_trailer(BytesIn frame, const PacketTrailerFields& fields,
                                                            BytesOut out) noexcept {
  if (overlaps_partially(frame, out)) return Errc::invalid_argument;
  if (fields.user_data.size() > packet_trailer_max_bytes) return Errc::invalid_argument;
  const std::size_t t = frame.empty() ? 0 : packet_trailer_size(fields);
  if (t > packet_trailer_max_bytes) return Errc::invalid_argument;
  if (out.size() < frame.size() + t) return Errc::buffer_too_small;
  if (!frame.empty() && frame.data() != out.data()) std::memcpy(out.data(), frame.data(), frame.size());
  std::uint8_t* p = out.data() + frame.size();
  if (t != 0) {
    if (fields.user_timestamp != 0) {
      *p++ = packet_trailer_timestamp_tag ^ 0xff;
      *p++ = 8 ^ 0xff;
      for (int i = 7; i >= 0; --i)
        *p++ = static_cast<std::uint8_t>((fields.user_timestamp >> (8 * i)) ^ 0xff);
    }
    if (fields.frame_id != 0) {
      *p++ = packet_trailer_frame_id_tag ^ 0xff;
      *p++ = 4 ^ 0xff;
      for (int i = 3; i >= 0; --i) *p++ = static_cast<std::uint8_t>((fields.frame_id >> (8 * i)) ^ 0xff);
    }
    if (!fields.user_data.empty()) {
      *p++ = packet_trailer_user_data_tag ^ 0xff;
      *p++ = static_cast<std::uint8_t>(fields.user_data.size() ^ 0xff);
      for (auto b : fields.user_data) *p++ = static_cast<std::uint8_t>(b ^ 0xff);
    }
    *p++ = static_cast<std::uint8_t>(t ^ 0xff);
    std::memcpy(p, packet_trailer_magic.data(), packet_trailer_magic.size());
  }
  return out.first(frame.size() + t);
}

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
