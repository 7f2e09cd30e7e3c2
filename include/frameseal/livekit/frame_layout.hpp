// frameseal/livekit/frame_layout.hpp: one received LiveKit frame read without a key. The one parser
// of the frame: FrameCryptor::decrypt and `frameseal inspect` both read frames through it.
//
// A received frame, in livekit-client 2.23.0's decode order (decodeFunction):
//   1. the LKTS packet trailer is stripped when the track negotiated it (packet_trailer.hpp);
//   2. an empty frame passes through;
//   3. a frame that ends with the room's SIF trailer is a server-injected frame: an allow-listed
//      blank frame passes through unencrypted, any other is refused (sif.hpp);
//   4. the last byte is the key index;
//   5. the clear header: how many leading bytes stayed clear, by codec (clear_header.hpp);
//   6. the body after it, un-escaped for H.264/H.265 when it holds emulation-prevention bytes
//      (rbsp.hpp), ends with IV[12] || 12 || key index, before them ciphertext || tag.
// parse_frame runs every step and reports the first problem with all it read before it (what
// inspect prints). FrameCryptor::decrypt runs the same steps in two parts, read_outer (1-4) and
// read_clear / read_sealed (5-6), with its key checks between them: a frame whose key index has no
// key is missing_key whatever its body holds, as in livekit-client.
//
// Nothing here is authenticated: these are the bytes as received. The key index, the clear-header
// length (through the AAD) and the IV are authenticated only by the AEAD open that follows; the
// packet trailer never is.
//
// The three steps are always inlined: they are decrypt's frame path (callgrind, bench_instr: out of
// line they cost ~65 instructions per decrypt, a quarter of what frameseal adds to the AEAD call).
//
// Contract: pure functions over spans, noexcept, no allocation. Results point into the frame (or,
// for an un-escaped body, into the caller's scratch).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "../bytes.hpp"
#include "../codec/codec.hpp"
#include "../codec/vp8.hpp"
#include "../error.hpp"
#include "clear_header.hpp"
#include "iv.hpp"
#include "packet_trailer.hpp"
#include "rbsp.hpp"
#include "sif.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

inline constexpr std::uint8_t iv_length_byte = 12;
// IV + IV length byte + key index.
inline constexpr std::size_t trailer_bytes = iv_bytes + 2;

// What the receiver was told about the track and the room.
struct LayoutOptions {
  BytesIn sif_trailer;          // the room's SIF trailer; empty: none
  bool packet_trailer = false;  // the track negotiated LiveKit's LKTS packet trailer
};

enum class FrameKind : std::uint8_t {
  empty,      // passes through (LiveKit does not encrypt empty frames)
  sif,        // an allowed server-injected frame: `frame` is its unencrypted payload
  encrypted,  // a frame to decrypt under key_index
};

// Steps 1-4.
struct OuterLayout {
  FrameKind kind = FrameKind::empty;
  BytesIn frame;               // after the packet trailer; for sif, the payload
  std::uint8_t key_index = 0;  // encrypted: the last byte
};

// Steps 1-4: packet-trailer errors (malformed_frame), sif_rejected, and malformed_frame for an
// encrypted frame shorter than 2 bytes. trailer (optional) receives what the packet trailer held
// (kept out of the result: the frame path does not want it copied).
[[nodiscard]] [[gnu::always_inline]] inline Result<OuterLayout> read_outer(
    BytesIn frame, const LayoutOptions& o, PacketTrailer* trailer = nullptr) noexcept {
  OuterLayout r;
  r.frame = frame;
  if (o.packet_trailer) {
    auto t = parse_packet_trailer(frame);
    if (!t) return t.error();
    if (trailer) *trailer = *t;
    r.frame = t->frame;
  }
  if (r.frame.empty()) return r;
  if (!o.sif_trailer.empty()) {
    BytesIn payload;
    switch (check_sif(r.frame, o.sif_trailer, &payload)) {
      case SifResult::allowed:
        r.kind = FrameKind::sif;
        r.frame = payload;
        return r;
      case SifResult::rejected:
        return Errc::sif_rejected;
      case SifResult::not_sif:
        break;
    }
  }
  if (r.frame.size() < 2) return Errc::malformed_frame;
  r.kind = FrameKind::encrypted;
  r.key_index = r.frame.back();
  return r;
}

// The key-frame flag the clear-header rules take: the signalled one, else VP8's bit (the other
// codecs have none in the clear bytes; the NAL codecs' clear header decides by itself).
[[nodiscard]] inline bool key_frame_flag(const FrameInfo& info, BytesIn frame) noexcept {
  if (info.key_frame) return *info.key_frame;
  return info.codec == Codec::vp8 && vp8_is_key_frame(frame);
}

// Step 5, on an encrypted frame (read_outer's frame).
struct ClearLayout {
  ClearHeader header;  // in_bytes: the clear length; nalu: H.264/H.265 rules applied
  BytesIn aad;         // the clear header as received (the AEAD's additional data)
  BytesIn body;        // the rest as received (escaped when header.nalu)
};

[[nodiscard]] [[gnu::always_inline]] inline Result<ClearLayout> read_clear(const FrameInfo& info,
                                                                           BytesIn frame) noexcept {
  auto ch = receiver_clear_header(info, key_frame_flag(info, frame), frame);
  if (!ch) return ch.error();
  return ClearLayout{*ch, frame.first(ch->in_bytes), frame.subspan(ch->in_bytes)};
}

// Step 6, on the body as the AEAD reads it (un-escaped): malformed_frame when it is shorter than
// tag + trailer or the IV-length byte is not 12.
struct SealedLayout {
  BytesIn sealed;  // ciphertext || tag
  std::span<const std::uint8_t, iv_bytes> iv;
  std::size_t plaintext_bytes = 0;  // of the body (add the clear header for the frame's)
};

[[nodiscard]] [[gnu::always_inline]] inline Result<SealedLayout> read_sealed(BytesIn body,
                                                                             std::size_t tag_bytes) noexcept {
  if (body.size() < tag_bytes + trailer_bytes || body[body.size() - 2] != iv_length_byte)
    return Errc::malformed_frame;
  const std::size_t sealed = body.size() - trailer_bytes;
  return SealedLayout{body.first(sealed),
                      std::span<const std::uint8_t, iv_bytes>(body.data() + sealed, iv_bytes),
                      sealed - tag_bytes};
}

// Everything parse_frame read; fields after the first problem keep their defaults.
struct FrameLayout {
  Errc problem = Errc::ok;  // the first step that failed (ok: well-formed)
  FrameKind kind = FrameKind::empty;
  bool packet_trailer = false;       // an LKTS packet trailer was stripped
  std::uint64_t user_timestamp = 0;  // its fields
  std::uint32_t frame_id = 0;
  std::uint8_t key_index = 0;  // encrypted frames (has_key_index())
  std::size_t clear_bytes = 0;
  Codec codec = Codec::unknown;  // info.codec, or h264/h265 as the bytes decide
  bool escaped = false;          // the body held emulation-prevention bytes
  std::optional<std::array<std::uint8_t, iv_bytes>> iv;
  // Bytes decrypt would return: the clear header plus the body's plaintext (sif: the payload).
  std::optional<std::size_t> plaintext_bytes;
  // VP8: the frame's bit; H.264/H.265: whether the clear header ends in an IDR/IRAP slice header;
  // unknown for the other codecs (their key-frame flag is not in the clear bytes).
  std::optional<bool> key_frame;

  // Steps 1-4 succeeded on an encrypted frame (kind is set only then).
  [[nodiscard]] bool has_key_index() const noexcept { return kind == FrameKind::encrypted; }
};

// All six steps. scratch receives the un-escaped body of an H.264/H.265 frame that needs it (give
// at least the frame's size; smaller: problem = buffer_too_small). tag_bytes: the cipher's (16).
[[nodiscard]] inline FrameLayout parse_frame(const FrameInfo& info, BytesIn frame, BytesOut scratch,
                                             const LayoutOptions& o = {},
                                             std::size_t tag_bytes = 16) noexcept {
  FrameLayout r;
  r.codec = info.codec;
  PacketTrailer trailer;
  auto outer = read_outer(frame, o, &trailer);
  if (!outer) {
    r.problem = outer.error();
    return r;
  }
  r.kind = outer->kind;
  r.packet_trailer = trailer.present;
  r.user_timestamp = trailer.user_timestamp;
  r.frame_id = trailer.frame_id;
  if (outer->kind != FrameKind::encrypted) {
    r.plaintext_bytes = outer->frame.size();
    return r;
  }
  const BytesIn f = outer->frame;
  r.key_index = outer->key_index;
  if (info.codec == Codec::vp8) r.key_frame = key_frame_flag(info, f);
  auto clear = read_clear(info, f);
  if (!clear) {
    r.problem = clear.error();
    return r;
  }
  const ClearHeader& ch = clear->header;
  r.clear_bytes = ch.in_bytes;
  if (ch.nalu) {
    r.codec = ch.codec;
    const std::size_t n = ch.in_bytes;
    if (n >= 2) {  // the clear header ends with the first slice's NAL header (2 bytes for H.265)
      const std::uint8_t nh = f[n - 2];
      const unsigned type = ch.codec == Codec::h264 ? nh & 0x1fu : (nh >> 1) & 0x3fu;
      r.key_frame = ch.codec == Codec::h264 ? type == 5 : type >= 16 && type <= 21;
    }
  } else if (info.codec == Codec::h264 || info.codec == Codec::h265) {
    r.key_frame = false;  // no slice: never a key frame (annexb.hpp)
  }
  BytesIn body = clear->body;
  if (ch.nalu && needs_unescape(body)) {
    if (scratch.size() < body.size()) {
      r.problem = Errc::buffer_too_small;
      return r;
    }
    auto un = unescape_rbsp(body, scratch.first(body.size()));
    if (!un) {
      r.problem = un.error();
      return r;
    }
    body = *un;
    r.escaped = true;
  }
  auto sealed = read_sealed(body, tag_bytes);
  if (!sealed) {
    r.problem = sealed.error();
    return r;
  }
  r.iv.emplace();
  std::memcpy(r.iv->data(), sealed->iv.data(), iv_bytes);
  r.plaintext_bytes = ch.in_bytes + sealed->plaintext_bytes;
  return r;
}

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
