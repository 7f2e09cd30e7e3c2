// frameseal/livekit/data_packet.hpp: LiveKit's E2EE for data packets (chat, RPC, byte and text
// streams, user packets): the EncryptedPacket message and DataCryptor, byte-exact with
// livekit-client 2.23.0 (src/e2ee/worker/DataCryptor.ts, livekit_models.proto).
//
// Wire: when a room uses E2EE for data, the sender serializes an EncryptedPacketPayload (user 1,
// chat_message 3, rpc_request 4, rpc_ack 5, rpc_response 6, stream_header 7, stream_chunk 8,
// stream_trailer 9) and puts into DataPacket.encrypted_packet (field 18) an EncryptedPacket:
//   encryption_type = 1 (enum; livekit-client leaves it unset = 0, the Rust SDK sets GCM = 1)
//   iv              = 2 (bytes, 12)
//   key_index       = 3 (uint32)
//   encrypted_value = 4 (bytes: AES-GCM(key of the sender's current key index, iv, no AAD, payload)
//                        || 16-byte tag)
// with the same key ring as the sender's media (same slots, same ratchet). The DataPacket's other
// fields (participant identity, destinations, sequence) stay in clear; sip_dtmf, metrics, speaker
// and transcription packets are never encrypted. The receiver decrypts with the named key index and
// searches its ratchet window on failure, as for frames (KeyRing::open_with: no KDF call).
//
// What is authenticated: the payload only (no AAD, as LiveKit). The key index, the IV and every
// clear DataPacket field are not: a changed key index or IV fails decryption, but the sender
// identity, destinations and sequence number can be changed by the SFU. Replays are not detected
// (LiveKit has no counter for data); an application that needs that must number its messages.
//
// The IV. livekit-client: BE32(random) || BE32(ms) || BE32(ms - (send_count mod 0xFFFF)), with a
// fresh 32-bit random per packet, a millisecond clock (performance.now) and one send counter per
// worker: two packets under one key repeat an IV when their randoms collide in the same
// millisecond window (about 2^-32 per pair of packets sent close together). frameseal's default is
// UniqueIv (iv.hpp), unique by construction per cryptor; LivekitDataIv gives LiveKit's formula for
// byte-identical output and known answers (its fixed constructor) or real use.
//
// Protobuf: a minimal reader and writer for exactly these messages, following protobuf's rules:
// fields in any order, the last one of a scalar field wins, unknown fields are skipped (varint,
// 64-bit, length-delimited and 32-bit wire types; groups are malformed), varints are at most 10
// bytes and must fit their field, lengths must fit the input. Encoding is proto3's (default values
// omitted, fields in number order), which is what livekit-client's protobuf-es writes.
//
// Contract: pure functions over spans, no allocation, no exception; a failed decrypt leaves no
// plaintext in `out`. Errors: malformed_frame (not an EncryptedPacket, IV not 12 bytes, value
// shorter than the tag), missing_key, key_invalid, auth_failed, buffer_too_small, invalid_argument
// (out overlapping the input), counter_exhausted (the IV policy).
#pragma once

#include <sodium.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../codec/codec.hpp"
#include "../error.hpp"
#include "../key_ring.hpp"
#include "iv.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

// ---- protobuf wire format, just what these messages need ----
namespace pb {

enum class Wire : std::uint8_t { varint = 0, i64 = 1, len = 2, i32 = 5 };

class Reader {
 public:
  explicit Reader(BytesIn in) noexcept : in_(in) {}
  [[nodiscard]] bool done() const noexcept { return pos_ == in_.size(); }

  [[nodiscard]] Result<std::uint64_t> varint() noexcept {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 10; ++i) {
      if (pos_ == in_.size()) return Errc::malformed_frame;
      const std::uint8_t b = in_[pos_++];
      if (i == 9 && b > 1) return Errc::malformed_frame;  // beyond 64 bits
      v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return v;
    }
    return Errc::malformed_frame;
  }
  struct Tag {
    std::uint32_t field;
    Wire wire;
  };
  [[nodiscard]] Result<Tag> tag() noexcept {
    auto t = varint();
    if (!t) return t.error();
    const std::uint64_t field = *t >> 3;
    const auto wire = static_cast<std::uint8_t>(*t & 7);
    if (field == 0 || field > 0x1fffffff) return Errc::malformed_frame;
    if (wire != 0 && wire != 1 && wire != 2 && wire != 5)
      return Errc::malformed_frame;  // groups (3, 4), 6, 7
    return Tag{static_cast<std::uint32_t>(field), static_cast<Wire>(wire)};
  }
  [[nodiscard]] Result<BytesIn> bytes() noexcept {
    auto n = varint();
    if (!n) return n.error();
    if (*n > in_.size() - pos_) return Errc::malformed_frame;
    const BytesIn b = in_.subspan(pos_, static_cast<std::size_t>(*n));
    pos_ += static_cast<std::size_t>(*n);
    return b;
  }
  [[nodiscard]] Errc skip(Wire w) noexcept {
    switch (w) {
      case Wire::varint:
        return varint() ? Errc::ok : Errc::malformed_frame;
      case Wire::len:
        return bytes() ? Errc::ok : Errc::malformed_frame;
      case Wire::i64:
        return advance(8);
      case Wire::i32:
        return advance(4);
    }
    return Errc::malformed_frame;
  }

 private:
  [[nodiscard]] Errc advance(std::size_t n) noexcept {
    if (n > in_.size() - pos_) return Errc::malformed_frame;
    pos_ += n;
    return Errc::ok;
  }
  BytesIn in_;
  std::size_t pos_ = 0;
};

[[nodiscard]] constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline std::uint8_t* put_varint(std::uint8_t* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}

}  // namespace pb

// livekit Encryption.Type.
enum class DataEncryptionType : std::uint32_t { none = 0, gcm = 1, custom = 2 };

struct EncryptedPacket {
  DataEncryptionType encryption_type = DataEncryptionType::none;  // any value is accepted on input
  BytesIn iv;                                                     // 12 bytes
  std::uint32_t key_index = 0;
  BytesIn encrypted_value;  // ciphertext || tag
};

// Parses an EncryptedPacket; the spans point into `in`. malformed_frame for anything that is not
// one (see the header comment), or whose IV is not 12 bytes.
[[nodiscard]] inline Result<EncryptedPacket> parse_encrypted_packet(BytesIn in) noexcept {
  pb::Reader r(in);
  EncryptedPacket p;
  bool have_iv = false;
  while (!r.done()) {
    auto t = r.tag();
    if (!t) return t.error();
    const auto expect = [&](pb::Wire w) noexcept { return t->wire == w; };
    switch (t->field) {
      case 1:
      case 3: {
        if (!expect(pb::Wire::varint)) return Errc::malformed_frame;
        auto v = r.varint();
        if (!v) return v.error();
        if (t->field == 3) {
          if (*v > 0xffffffffu) return Errc::malformed_frame;
          p.key_index = static_cast<std::uint32_t>(*v);
        } else {
          p.encryption_type =
              static_cast<DataEncryptionType>(static_cast<std::uint32_t>(*v));  // enums are int32
        }
        break;
      }
      case 2:
      case 4: {
        if (!expect(pb::Wire::len)) return Errc::malformed_frame;
        auto b = r.bytes();
        if (!b) return b.error();
        if (t->field == 2) {
          p.iv = *b;
          have_iv = true;
        } else {
          p.encrypted_value = *b;
        }
        break;
      }
      default:
        if (Errc e = r.skip(t->wire); e != Errc::ok) return e;
    }
  }
  if (!have_iv || p.iv.size() != iv_bytes) return Errc::malformed_frame;
  return p;
}

// proto3 encoding (defaults omitted, field order), as livekit-client's protobuf-es writes it.
[[nodiscard]] inline std::size_t encoded_size(const EncryptedPacket& p) noexcept {
  std::size_t n = 0;
  if (p.encryption_type != DataEncryptionType::none)
    n += 1 + pb::varint_size(static_cast<std::uint32_t>(p.encryption_type));
  if (!p.iv.empty()) n += 1 + pb::varint_size(p.iv.size()) + p.iv.size();
  if (p.key_index != 0) n += 1 + pb::varint_size(p.key_index);
  if (!p.encrypted_value.empty())
    n += 1 + pb::varint_size(p.encrypted_value.size()) + p.encrypted_value.size();
  return n;
}
// `out` must not overlap the packet's spans, except that encrypted_value may already sit exactly
// where encode puts it (DataCryptor seals in place there).
[[nodiscard]] inline Result<BytesOut> encode(const EncryptedPacket& p, BytesOut out) noexcept {
  const std::size_t n = encoded_size(p);
  if (out.size() < n) return Errc::buffer_too_small;
  std::uint8_t* w = out.data();
  if (p.encryption_type != DataEncryptionType::none) {
    *w++ = 1 << 3 | 0;
    w = pb::put_varint(w, static_cast<std::uint32_t>(p.encryption_type));
  }
  if (!p.iv.empty()) {
    *w++ = 2 << 3 | 2;
    w = pb::put_varint(w, p.iv.size());
    std::memmove(w, p.iv.data(), p.iv.size());
    w += p.iv.size();
  }
  if (p.key_index != 0) {
    *w++ = 3 << 3 | 0;
    w = pb::put_varint(w, p.key_index);
  }
  if (!p.encrypted_value.empty()) {
    *w++ = 4 << 3 | 2;
    w = pb::put_varint(w, p.encrypted_value.size());
    if (w != p.encrypted_value.data()) std::memmove(w, p.encrypted_value.data(), p.encrypted_value.size());
    w += p.encrypted_value.size();
  }
  return out.first(n);
}

// DataPacket (livekit_models.proto): the bytes of its encrypted_packet field (18), or nullopt when
// the packet has none (not encrypted). malformed_frame when it is not a protobuf message.
inline constexpr std::uint32_t data_packet_encrypted_field = 18;
[[nodiscard]] inline Result<std::optional<BytesIn>> find_encrypted_packet(BytesIn data_packet) noexcept {
  pb::Reader r(data_packet);
  std::optional<BytesIn> found;
  while (!r.done()) {
    auto t = r.tag();
    if (!t) return t.error();
    if (t->field == data_packet_encrypted_field && t->wire == pb::Wire::len) {
      auto b = r.bytes();
      if (!b) return b.error();
      found = *b;  // a oneof: the last one wins
    } else if (Errc e = r.skip(t->wire); e != Errc::ok) {
      return e;
    }
  }
  return found;
}

// livekit-client's data IV: BE32(random) || BE32(ms) || BE32(ms - (send_count mod 0xFFFF)).
class LivekitDataIv {
 public:
  static constexpr std::string_view name = "livekit-data";
  // Real use: a fresh random per packet, milliseconds of a steady clock since construction.
  LivekitDataIv() noexcept : start_(std::chrono::steady_clock::now()) {}
  // Known answers: a fixed random and millisecond value, and the send counter's start.
  LivekitDataIv(std::uint32_t random, std::uint32_t timestamp_ms, std::uint32_t send_count) noexcept
      : fixed_(true), random_(random), timestamp_(timestamp_ms), count_(send_count) {}
  LivekitDataIv(const LivekitDataIv&) = delete;
  LivekitDataIv& operator=(const LivekitDataIv&) = delete;
  LivekitDataIv(LivekitDataIv&& o) noexcept
      : fixed_(o.fixed_),
        random_(o.random_),
        timestamp_(o.timestamp_),
        count_(o.count_),
        start_(o.start_),
        moved_(o.moved_) {
    o.moved_ = true;
  }
  LivekitDataIv& operator=(LivekitDataIv&&) = delete;

  [[nodiscard]] Result<Iv> next(const FrameInfo&) noexcept {
    if (moved_) return Errc::counter_exhausted;
    std::uint32_t rnd = random_, ts = timestamp_;
    if (!fixed_) {
      if (sodium_init() < 0) return Errc::backend_unavailable;
      rnd = randombytes_random();
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
      ts = static_cast<std::uint32_t>(ms.count());
    }
    Iv iv;
    store_be32(iv.data(), rnd);
    store_be32(iv.data() + 4, ts);
    store_be32(iv.data() + 8, ts - (count_ % 0xffffu));
    ++count_;
    return iv;
  }

 private:
  bool fixed_ = false;
  std::uint32_t random_ = 0, timestamp_ = 0, count_ = 0;
  std::chrono::steady_clock::time_point start_{};
  bool moved_ = false;
};

struct DataCryptorOptions {
  // What encrypt writes into EncryptedPacket.encryption_type: none (unset, as livekit-client) or gcm
  // (as the Rust SDK). decrypt accepts any value.
  DataEncryptionType emit_type = DataEncryptionType::none;
};

// What DataCryptor::seal made: the sealed value (in the caller's buffer), its IV and key index.
struct SealedData {
  BytesOut value;  // ciphertext || tag
  std::array<std::uint8_t, iv_bytes> iv{};
  std::uint8_t key_index = 0;
};

// What decrypt found.
struct DataReport {
  std::uint32_t key_index = 0;
  KeyMatch match;  // how the key was found (ratchet steps, previous generation, attempts)
};

// Encrypts and decrypts LiveKit data packets with a KeyRing (the sender's or a remote
// participant's, the same ring as its frames). One thread at a time, like FrameCryptor.
template <Cipher C, class IvPolicy = UniqueIv>
class DataCryptor {
 public:
  using key_ring_type = BasicKeyRing<C>;  // any KeyRing<C, Kdf>: the data path runs no KDF

  explicit DataCryptor(key_ring_type& ring, IvPolicy iv = {}, DataCryptorOptions options = {}) noexcept
      : ring_(&ring), iv_(std::move(iv)), options_(options) {}

  // Room for the EncryptedPacket of an n-byte payload (saturating).
  [[nodiscard]] static constexpr std::size_t max_packet_size(std::size_t n) noexcept {
    constexpr std::size_t top = static_cast<std::size_t>(-1), fixed = 2 + 2 + iv_bytes + 1 + 5 + 1 + 10;
    return n > top - fixed - C::tag_bytes ? top : n + C::tag_bytes + fixed;
  }

  // The AEAD step alone, as data tracks use it (data_track.hpp carries key index and IV in a packet
  // extension): payload -> AES-GCM(payload, no AAD) || tag in `out` (payload + tag bytes, not
  // overlapping payload), under the ring's sending key index and the next IV of the policy. On
  // failure `out` holds nothing of the payload.
  [[nodiscard]] Result<SealedData> seal(BytesIn payload, BytesOut out) noexcept {
    if (!out.empty() && !payload.empty() && overlaps(payload, out)) return Errc::invalid_argument;
    if (out.size() < payload.size() + C::tag_bytes) return Errc::buffer_too_small;
    auto cipher = ring_->sending_cipher();
    if (!cipher) return cipher.error();
    const std::uint8_t kid = ring_->current_index();
    auto iv = iv_.next(FrameInfo{});
    if (!iv) return iv.error();
    const BytesOut value = out.first(payload.size() + C::tag_bytes);
    auto sealed = (*cipher)->seal(value, payload, BytesIn{}, *iv);
    if (!sealed) {
      sodium_memzero(value.data(), value.size());
      return sealed.error();
    }
    SealedData d;
    d.value = *sealed;
    std::memcpy(d.iv.data(), iv->data(), iv_bytes);
    d.key_index = kid;
    return d;
  }

  // The reverse: `value` (ciphertext || tag) under key index and IV -> the payload in `out` (value
  // - tag bytes, not overlapping value), searching the ratchet window as for frames.
  [[nodiscard]] Result<BytesOut> open(std::uint32_t key_index, BytesIn iv, BytesIn value, BytesOut out,
                                      DataReport* report = nullptr) noexcept {
    DataReport local;
    DataReport& rep = report ? *report : local;
    rep = DataReport{};
    rep.key_index = key_index;
    if (!out.empty() && !value.empty() && overlaps(value, out)) return Errc::invalid_argument;
    if (iv.size() != iv_bytes || value.size() < C::tag_bytes) return Errc::malformed_frame;
    if (key_index > 0xff || !ring_->has_key(key_index)) return Errc::missing_key;
    if (ring_->is_invalid(key_index)) return Errc::key_invalid;
    const std::size_t plain = value.size() - C::tag_bytes;
    if (out.size() < plain) return Errc::buffer_too_small;
    const std::span<const std::uint8_t, iv_bytes> nonce(iv.data(), iv_bytes);
    const BytesOut pt = out.first(plain);
    auto match = ring_->open_with(
        key_index, [&](C& c) noexcept { return c.open(pt, value, BytesIn{}, nonce).has_value(); });
    if (!match) {
      if (!pt.empty()) sodium_memzero(pt.data(), pt.size());  // kdf_mismatch: the other KDF's key opened it
      return match.error();
    }
    rep.match = *match;
    return pt;
  }

  // payload (a serialized EncryptedPacketPayload) -> a serialized EncryptedPacket in `out`, with the
  // ring's sending key index. `out` must not overlap `payload`.
  [[nodiscard]] Result<BytesOut> encrypt(BytesIn payload, BytesOut out) noexcept {
    if (!out.empty() && !payload.empty() && overlaps(payload, out)) return Errc::invalid_argument;
    const std::size_t value_bytes = payload.size() + C::tag_bytes;
    // The value's offset in the encoding (everything before it has a known size: the key index is
    // the ring's current one, the IV 12 bytes).
    EncryptedPacket head;
    head.encryption_type = options_.emit_type;
    std::array<std::uint8_t, iv_bytes> zero_iv{};
    head.iv = BytesIn(zero_iv.data(), zero_iv.size());
    head.key_index = ring_->current_index();
    const std::size_t at = encoded_size(head) + 1 + pb::varint_size(value_bytes);
    if (out.size() < at + value_bytes) return Errc::buffer_too_small;
    auto sealed = seal(payload, out.subspan(at, value_bytes));
    if (!sealed) return sealed.error();
    EncryptedPacket p = head;
    p.iv = BytesIn(sealed->iv.data(), sealed->iv.size());
    p.key_index = sealed->key_index;
    p.encrypted_value = sealed->value;
    return encode(p, out);
  }

  // A serialized EncryptedPacket -> its payload (a serialized EncryptedPacketPayload) in `out`,
  // which needs encrypted_value.size() - tag bytes and must not overlap the input.
  [[nodiscard]] Result<BytesOut> decrypt(BytesIn packet, BytesOut out,
                                         DataReport* report = nullptr) noexcept {
    DataReport local;
    DataReport& rep = report ? *report : local;
    rep = DataReport{};
    if (!out.empty() && !packet.empty() && overlaps(packet, out)) return Errc::invalid_argument;
    auto p = parse_encrypted_packet(packet);
    if (!p) return p.error();
    rep.key_index = p->key_index;
    if (p->encrypted_value.size() < C::tag_bytes) return Errc::malformed_frame;
    return open(p->key_index, p->iv, p->encrypted_value, out, &rep);
  }

  [[nodiscard]] key_ring_type& key_ring() noexcept { return *ring_; }
  [[nodiscard]] IvPolicy& iv_policy() noexcept { return iv_; }

 private:
  static bool overlaps(BytesIn a, BytesOut b) noexcept {
    const auto a0 = reinterpret_cast<std::uintptr_t>(a.data()),
               b0 = reinterpret_cast<std::uintptr_t>(b.data());
    return a0 < b0 + b.size() && b0 < a0 + a.size();
  }

  key_ring_type* ring_;
  IvPolicy iv_;
  DataCryptorOptions options_;
};

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
