// The table of bad inputs in docs/api.md ("What each bad input returns"), one TEST_CASE per row, for the
// LiveKit frame cryptor (every cipher), and the same rows for sframe::FrameCryptor where they apply:
// truncated frames, a wrong IV length byte, a key index out of range, garbage after a valid
// trailer, a SIF suffix on an unknown payload, empty and 1-byte frames, huge frames, an output
// buffer too small, and an unavailable backend. Every failure is also checked to leave no
// plaintext in `out` and to write nothing past it (guard bytes).
#include "common.hpp"

#include <algorithm>
#include <random>
#include <string>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define FS_BAD_INPUT_CIPHERS openssl::Aes128Gcm, sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#else
#  define FS_BAD_INPUT_CIPHERS sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#endif

namespace {

const Bytes m0 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const FrameInfo opus{MediaKind::audio, Codec::opus, std::nullopt, 1, 2};
const FrameInfo vp8_key{MediaKind::video, Codec::vp8, true, 1, 2};
const FrameInfo h264{MediaKind::video, Codec::h264, true, 1, 2};

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}
Bytes opus_frame(std::size_t n, std::uint32_t seed = 1) {
  Bytes b = random_bytes(n, seed);
  if (n) b[0] = 0x78;
  return b;
}
// An H.264 IDR whose body is mostly zeros: its ciphertext trailer and body get escaped.
Bytes h264_frame(std::size_t n) {
  Bytes b = from_hex("0000000165888400");
  Bytes body = random_bytes(n, 4);
  for (std::size_t i = 0; i + 2 < body.size(); i += 7) body[i] = body[i + 1] = 0;
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

bool only_old_or_zero(BytesIn out, BytesIn before) {
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] != 0 && out[i] != before[i]) return false;
  return true;
}

// A ring with one key at index 0 (ring size 16), a sender and a receiver on it.
template <class C>
struct Pair {
  KeyRing<C> ring = std::move(KeyRing<C>::create().value());
  livekit::FrameCryptor<C> tx{ring};
  livekit::FrameCryptor<C> rx{ring};
  explicit Pair(livekit::FrameCryptorOptions rx_options = {}) : rx(ring, std::move(rx_options)) {
    REQUIRE(ring.set_key(0, m0) == Errc::ok);
  }
  Bytes encrypt(const FrameInfo& info, const Bytes& frame) {
    Bytes out(livekit::FrameCryptor<C>::max_encrypted_size(frame.size()));
    auto r = tx.encrypt(info, frame, out);
    REQUIRE_MESSAGE(r.has_value(), to_string(r.error()));
    return Bytes(r->begin(), r->end());
  }
  // Decrypts out of place into a guarded buffer; checks the guard and, on failure, that `out`
  // holds nothing new. Returns the error (Errc::ok on success) and the plaintext.
  std::pair<Errc, Bytes> decrypt(const FrameInfo& info, const Bytes& frame, std::size_t out_size) {
    Bytes buf(out_size + 32, 0xA5);  // out, then 32 guard bytes
    std::fill_n(buf.begin(), out_size, std::uint8_t{0xEE});
    const BytesOut out(buf.data(), out_size);
    auto r = rx.decrypt(info, frame, out);
    CHECK(std::all_of(buf.begin() + static_cast<std::ptrdiff_t>(out_size), buf.end(),
                      [](std::uint8_t x) { return x == 0xA5; }));
    if (!r) {
      CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE || x == 0; }));
      return {r.error(), {}};
    }
    return {Errc::ok, Bytes(r->begin(), r->end())};
  }
  std::pair<Errc, Bytes> decrypt(const FrameInfo& info, const Bytes& frame) {
    return decrypt(info, frame, frame.size() + 8);
  }
};

// A backend that cannot run here (like sodium::Aes256Gcm without AES-NI).
struct UnavailableGcm {
  static constexpr std::size_t key_bytes = 16, nonce_bytes = 12, tag_bytes = 16;
  static constexpr std::string_view name = "unavailable-aes128gcm";
  static bool available() noexcept { return false; }
  static Result<UnavailableGcm> create(std::span<const std::uint8_t, key_bytes>) noexcept {
    return Errc::backend_unavailable;
  }
  Result<BytesOut> seal(BytesOut, BytesIn, BytesIn, std::span<const std::uint8_t, nonce_bytes>) noexcept {
    return Errc::backend_unavailable;
  }
  Result<BytesOut> open(BytesOut, BytesIn, BytesIn, std::span<const std::uint8_t, nonce_bytes>) noexcept {
    return Errc::backend_unavailable;
  }
};
static_assert(Cipher<UnavailableGcm>);

// A backend that keys fine but fails every call (a device that went away): it writes garbage
// first, to show the frame cryptor wipes what it wrote.
struct FailingGcm {
  static constexpr std::size_t key_bytes = 16, nonce_bytes = 12, tag_bytes = 16;
  static constexpr std::string_view name = "failing-aes128gcm";
  static bool available() noexcept { return true; }
  static Result<FailingGcm> create(std::span<const std::uint8_t, key_bytes>) noexcept { return FailingGcm{}; }
  Result<BytesOut> seal(BytesOut out, BytesIn in, BytesIn,
                        std::span<const std::uint8_t, nonce_bytes>) noexcept {
    if (out.size() >= in.size()) std::fill_n(out.begin(), in.size(), std::uint8_t{0x5A});
    return Errc::backend_unavailable;
  }
  Result<BytesOut> open(BytesOut out, BytesIn in, BytesIn,
                        std::span<const std::uint8_t, nonce_bytes>) noexcept {
    if (in.size() >= tag_bytes) frameseal::detail::wipe_failed_open(out, in.size() - tag_bytes);
    return Errc::backend_unavailable;
  }
};
static_assert(Cipher<FailingGcm>);

using ChaChaSuite = sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>;

sframe::FrameCryptor<ChaChaSuite> sframe_cryptor(sframe::KeyUsage usage) {
  sframe::FrameCryptorOptions o;
  o.counter_start = sframe::CounterStart::zero;
  auto c = sframe::FrameCryptor<ChaChaSuite>::create(o);
  REQUIRE(c.has_value());
  REQUIRE(c->add_key(3, m0, usage) == Errc::ok);
  return std::move(*c);
}

}  // namespace

TEST_CASE_TEMPLATE("bad input: truncated frames", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  // Every prefix of a valid frame. The receive order says which error: an empty frame passes
  // through; 1 byte is malformed_frame; then the last byte is read as the key index (only slot 0
  // has a key here: missing_key otherwise); then the clear header, the 30-byte minimum and the IV
  // length byte (malformed_frame); then the tag (auth_failed). Never ok, never plaintext.
  for (const auto& [info, frame] : {std::pair{opus, opus_frame(60)}, std::pair{vp8_key, opus_frame(80, 2)},
                                    std::pair{h264, h264_frame(100)}}) {
    const Bytes enc = p.encrypt(info, frame);
    for (std::size_t len = 0; len < enc.size(); ++len) {
      CAPTURE(len);
      const Bytes cut(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(len));
      const auto [e, out] = p.decrypt(info, cut);
      Errc want = Errc::auth_failed;
      if (len == 0) {
        want = Errc::ok;
      } else if (len == 1) {
        want = Errc::malformed_frame;
      } else if (cut.back() != 0) {
        want = Errc::missing_key;
      } else {
        auto ch = livekit::receiver_clear_header(info, info.key_frame.value_or(false), cut);
        if (!ch) {
          want = ch.error();
        } else {
          Bytes body(cut.begin() + static_cast<std::ptrdiff_t>(ch->in_bytes), cut.end());
          if (ch->nalu && livekit::needs_unescape(body)) {
            Bytes un(body.size());
            body = Bytes(un.begin(),
                         un.begin() + static_cast<std::ptrdiff_t>(livekit::unescape_rbsp(body, un)->size()));
          }
          if (body.size() < livekit::FrameCryptor<C>::overhead || body[body.size() - 2] != 12)
            want = Errc::malformed_frame;
        }
      }
      CHECK(e == want);
      if (len == 0) CHECK(out.empty());
    }
  }
  SUBCASE("sframe: every prefix") {
    auto tx = sframe_cryptor(sframe::KeyUsage::encrypt);
    auto rx = sframe_cryptor(sframe::KeyUsage::decrypt);
    const Bytes plain = opus_frame(50);
    Bytes enc(decltype(tx)::max_encrypted_size(plain.size()));
    enc.resize(tx.encrypt(plain, enc).value().size());
    for (std::size_t len = 0; len < enc.size(); ++len) {
      CAPTURE(len);
      Bytes out(enc.size(), 0xEE);
      auto r = rx.decrypt(BytesIn(enc.data(), len), out);
      // Header 1 byte (KID 3, CTR 0), tag 16: shorter than 17 is malformed, longer fails the tag.
      CHECK(r.error() == (len < 17 ? Errc::malformed_frame : Errc::auth_failed));
      CHECK(only_old_or_zero(out, Bytes(out.size(), 0xEE)));
    }
  }
}

TEST_CASE_TEMPLATE("bad input: IV length byte other than 12", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  for (const auto& [info, frame] : {std::pair{opus, opus_frame(60)}, std::pair{h264, h264_frame(100)}}) {
    const Bytes enc = p.encrypt(info, frame);
    REQUIRE(enc[enc.size() - 2] == 12);
    for (int v = 0; v < 256; ++v) {
      if (v == 12) continue;
      CAPTURE(v);
      Bytes bad = enc;
      bad[bad.size() - 2] = static_cast<std::uint8_t>(v);
      const Errc e = p.decrypt(info, bad).first;
      // An H.264 receiver un-escapes first: a 0..3 byte right after a zero pair reads as escaped.
      if (info.codec == Codec::h264 && v <= 3)
        CHECK((e == Errc::malformed_frame || e == Errc::auth_failed));
      else
        CHECK(e == Errc::malformed_frame);
    }
  }
}

TEST_CASE_TEMPLATE("bad input: key index out of range or without a key", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  const Bytes enc = p.encrypt(opus, opus_frame(60));
  for (int kid = 1; kid < 256; ++kid) {  // 1..15: empty slots; 16..255: beyond the ring
    CAPTURE(kid);
    Bytes bad = enc;
    bad.back() = static_cast<std::uint8_t>(kid);
    CHECK(p.decrypt(opus, bad).first == Errc::missing_key);
  }
  CHECK(p.ring.failures(0) == 0);  // not counted as failures: there was no key to distrust
  SUBCASE("configuration calls: index >= ring size") {
    CHECK(p.ring.set_current_index(16) == Errc::invalid_argument);
    CHECK(p.ring.ratchet(16).error() == Errc::invalid_argument);
    CHECK(p.ring.export_key(16).error() == Errc::invalid_argument);
    CHECK(p.ring.set_key(16, m0) == Errc::ok);  // LiveKit semantics: stored at 16 % 16 = 0
    CHECK(p.ring.current_index() == 0);
    auto m = session::E2eeManager<sodium::ChaCha20Poly1305>::create([] {
      session::E2eeOptions o;
      o.encryption_type = session::EncryptionType::custom;
      return o;
    }());
    REQUIRE(m.has_value());
    CHECK(m->key_provider().set_key("alice", m0, 16) == Errc::ok);
    CHECK(m->key_provider().ratchet_key("alice", 16).error() == Errc::invalid_argument);
    CHECK(m->key_provider().export_key("alice", 16).error() == Errc::invalid_argument);
    CHECK(m->frame_cryptor("alice").value().set_key_index(16) == Errc::invalid_argument);
  }
  SUBCASE("sframe: a KID with no decrypt key") {
    auto tx = sframe_cryptor(sframe::KeyUsage::encrypt);
    auto rx = sframe_cryptor(sframe::KeyUsage::decrypt);
    REQUIRE(tx.add_key(9, m0, sframe::KeyUsage::encrypt) == Errc::ok);
    REQUIRE(tx.set_encrypt_key(9) == Errc::ok);
    const Bytes plain = opus_frame(40);
    Bytes enc2(decltype(tx)::max_encrypted_size(plain.size())), out(enc2.size(), 0xEE);
    auto e = tx.encrypt(plain, enc2);
    REQUIRE(e.has_value());
    CHECK(rx.decrypt(*e, out).error() == Errc::missing_key);
    CHECK(tx.decrypt(*e, out).error() == Errc::missing_key);  // an encrypt-only key never decrypts
  }
}

TEST_CASE_TEMPLATE("bad input: garbage after a valid trailer", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  // The trailer is read from the end, so appended bytes become the key index and the IV length.
  Pair<C> p;
  const Bytes enc = p.encrypt(opus, opus_frame(60));
  auto with = [&](Bytes tail) {
    Bytes b = enc;
    b.insert(b.end(), tail.begin(), tail.end());
    return b;
  };
  CHECK(p.decrypt(opus, with({0x55})).first == Errc::missing_key);            // key index 0x55
  CHECK(p.decrypt(opus, with({0x01, 0x00})).first == Errc::malformed_frame);  // key 0, IV length 1
  CHECK(p.decrypt(opus, with({0x0c, 0x00})).first == Errc::auth_failed);      // looks like a trailer
  CHECK(p.decrypt(opus, with(random_bytes(40, 9))).first != Errc::ok);
  SUBCASE("with LKTS packet trailers negotiated: a bad packet trailer is malformed_frame") {
    livekit::FrameCryptorOptions o;
    o.packet_trailer = true;
    Pair<C> q(o);
    const Bytes e2 = q.encrypt(opus, opus_frame(60));
    Bytes bad = e2;
    bad.push_back(0xff ^ 200);  // claims a 200-byte trailer
    bad.insert(bad.end(), {'L', 'K', 'T', 'S'});
    CHECK(q.decrypt(opus, bad).first == Errc::malformed_frame);
    livekit::PacketTrailerFields f;
    f.frame_id = 42;
    Bytes good(e2.size() + livekit::packet_trailer_size(f));
    REQUIRE(livekit::append_packet_trailer(e2, f, good).has_value());
    CHECK(q.decrypt(opus, good).first == Errc::ok);  // a valid one is stripped first
  }
  SUBCASE("sframe: bytes after the tag fail authentication") {
    auto tx = sframe_cryptor(sframe::KeyUsage::encrypt);
    auto rx = sframe_cryptor(sframe::KeyUsage::decrypt);
    const Bytes plain = opus_frame(40);
    Bytes s(decltype(tx)::max_encrypted_size(plain.size()));
    s.resize(tx.encrypt(plain, s).value().size());
    s.push_back(0);
    Bytes out(s.size(), 0xEE);
    CHECK(rx.decrypt(s, out).error() == Errc::auth_failed);
    CHECK(only_old_or_zero(out, Bytes(out.size(), 0xEE)));
  }
}

TEST_CASE_TEMPLATE("bad input: a SIF suffix on an unknown payload", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  livekit::FrameCryptorOptions o;
  const Bytes trailer = {'E', 'x', 'a', 'm', 'p', 'l', 'e', 'S', 'I', 'F'};
  o.sif_trailer = trailer;
  Pair<C> p(o);
  auto with_trailer = [&](Bytes payload) {
    payload.insert(payload.end(), trailer.begin(), trailer.end());
    return payload;
  };
  CHECK(p.decrypt(vp8_key, with_trailer(random_bytes(31, 5))).first == Errc::sif_rejected);
  CHECK(p.decrypt(vp8_key, with_trailer({})).first == Errc::sif_rejected);  // the trailer alone
  // A real encrypted frame followed by the trailer is not decrypted either: never fail open.
  CHECK(p.decrypt(opus, with_trailer(p.encrypt(opus, opus_frame(60)))).first == Errc::sif_rejected);
  // The allow-listed blank VP8 frame passes, unencrypted, without its trailer.
  const Bytes blank(livekit::sif_vp8_key_frame_8x8.begin(), livekit::sif_vp8_key_frame_8x8.end());
  const auto [e, out] = p.decrypt(vp8_key, with_trailer(blank));
  CHECK(e == Errc::ok);
  CHECK(out == blank);
  // Without the trailer the blank frame is just a frame: key index 0x80 has no key.
  CHECK(p.decrypt(vp8_key, blank).first == Errc::missing_key);
}

TEST_CASE_TEMPLATE("bad input: empty and 1-byte frames", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  Bytes out(64, 0xEE);
  for (const FrameInfo& info : {opus, vp8_key, h264}) {
    CHECK(p.tx.encrypt(info, {}, out).value().empty());  // LiveKit passes empty frames through
    CHECK(p.rx.decrypt(info, {}, out).value().empty());
    CHECK(p.decrypt(info, Bytes{0x00}).first == Errc::malformed_frame);
    CHECK(p.decrypt(info, Bytes{0x0c}).first == Errc::malformed_frame);
  }
  // A 1-byte audio frame is all clear header: it encrypts to 1 + 30 bytes and comes back.
  const Bytes one = {0x78};
  const Bytes enc = p.encrypt(opus, one);
  CHECK(enc.size() == 1 + livekit::FrameCryptor<C>::overhead);
  CHECK(p.decrypt(opus, enc).second == one);
  // A 1-byte VP8 or H.264 frame is shorter than its clear header.
  CHECK(p.tx.encrypt(vp8_key, one, out).error() == Errc::malformed_frame);
  CHECK(p.tx.encrypt(h264, one, out).error() == Errc::malformed_frame);
  SUBCASE("sframe: empty frames encrypt (header + tag) and a header alone is malformed") {
    auto tx = sframe_cryptor(sframe::KeyUsage::encrypt);
    auto rx = sframe_cryptor(sframe::KeyUsage::decrypt);
    Bytes s(decltype(tx)::max_encrypted_size(0));
    auto e = tx.encrypt({}, s);
    REQUIRE(e.has_value());
    CHECK(e->size() == 1 + ChaChaSuite::tag_bytes);
    Bytes o2(32, 0xEE);
    CHECK(rx.decrypt(*e, o2).value().empty());
    CHECK(rx.decrypt({}, o2).error() == Errc::malformed_frame);
    CHECK(rx.decrypt(Bytes{0x30}, o2).error() == Errc::malformed_frame);
  }
}

TEST_CASE_TEMPLATE("bad input: huge frames", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  using Cryptor = livekit::FrameCryptor<C>;
  SUBCASE("a 16 MiB frame round trips in place, exactly n + overhead bytes") {
    Bytes buf = opus_frame(16 << 20, 3);
    const Bytes plain = buf;
    buf.resize(Cryptor::max_encrypted_size(plain.size()));
    auto e = p.tx.encrypt(vp8_key, BytesIn(buf.data(), plain.size()), buf);
    REQUIRE(e.has_value());
    CHECK(e->size() == plain.size() + Cryptor::overhead);
    auto d = p.rx.decrypt(vp8_key, *e, BytesOut(buf.data(), e->size()));
    REQUIRE(d.has_value());
    CHECK(std::equal(d->begin(), d->end(), plain.begin(), plain.end()));
  }
  SUBCASE("H.264: a 1 MiB SEI left in clear (3-byte start codes normalised) and a 4 MiB slice") {
    Bytes plain = from_hex("00000106");  // SEI, 3-byte start code
    Bytes sei = random_bytes(1 << 20, 6);
    for (auto& x : sei) x |= 0x80;  // no start codes or escapes inside
    plain.insert(plain.end(), sei.begin(), sei.end());
    const Bytes idr = from_hex("00000165888400");  // 3-byte start code again
    plain.insert(plain.end(), idr.begin(), idr.end());
    plain.resize(plain.size() + (4 << 20), 0);
    fstest::Guarded out(Cryptor::max_encrypted_size(plain.size()));
    auto e = p.tx.encrypt(h264, plain, out.span());
    REQUIRE(e.has_value());
    CHECK(out.guard_intact());
    const Bytes enc(e->begin(), e->end());
    // Both start codes become 4-byte ones; the clear header (over 1 MiB) is exact, not truncated.
    Bytes want = plain;
    want.insert(want.begin() + 4 + static_cast<std::ptrdiff_t>(sei.size()), 0x00);
    want.insert(want.begin(), 0x00);
    CHECK(std::equal(want.begin(), want.begin() + 4 + 1 + static_cast<std::ptrdiff_t>(sei.size()) + 4 + 2,
                     enc.begin()));
    CHECK(p.decrypt(h264, enc, enc.size()).second == want);
  }
  SUBCASE("16 MiB of garbage is refused without plaintext left behind") {
    Bytes junk = random_bytes(16 << 20, 7);
    junk[junk.size() - 2] = 12;
    junk.back() = 0;
    CHECK(p.decrypt(opus, junk, junk.size()).first == Errc::auth_failed);
  }
  SUBCASE("sframe: 16 MiB round trips") {
    auto tx = sframe_cryptor(sframe::KeyUsage::encrypt);
    auto rx = sframe_cryptor(sframe::KeyUsage::decrypt);
    const Bytes plain = random_bytes(16 << 20, 8);
    Bytes s(decltype(tx)::max_encrypted_size(plain.size()));
    auto e = tx.encrypt(plain, s);
    REQUIRE(e.has_value());
    Bytes out(e->size());
    auto d = rx.decrypt(*e, out);
    REQUIRE(d.has_value());
    CHECK(std::equal(d->begin(), d->end(), plain.begin(), plain.end()));
  }
}

TEST_CASE_TEMPLATE("bad input: output buffer too small", C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  using Cryptor = livekit::FrameCryptor<C>;
  SUBCASE("decrypt: every size below the plaintext's is buffer_too_small, nothing written") {
    for (const auto& [info, frame] : {std::pair{opus, opus_frame(60)}, std::pair{h264, h264_frame(100)}}) {
      const Bytes enc = p.encrypt(info, frame);
      const std::size_t need = p.decrypt(info, enc).second.size();
      for (std::size_t n = 0; n < need; ++n) {
        CAPTURE(n);
        fstest::Guarded out(n, 0xEE);
        auto r = p.rx.decrypt(info, enc, out.span());
        CHECK(r.error() == Errc::buffer_too_small);
        CHECK(out.guard_intact());
        CHECK(std::all_of(out.span().begin(), out.span().end(), [](std::uint8_t x) { return x == 0xEE; }));
      }
    }
  }
  SUBCASE("encrypt: below n + overhead nothing is written") {
    const Bytes frame = opus_frame(60);
    for (std::size_t n = 0; n < frame.size() + Cryptor::overhead; ++n) {
      fstest::Guarded out(n, 0xEE);
      CHECK(p.tx.encrypt(opus, frame, out.span()).error() == Errc::buffer_too_small);
      CHECK(std::all_of(out.span().begin(), out.span().end(), [](std::uint8_t x) { return x == 0xEE; }));
      CHECK(out.guard_intact());
    }
  }
  SUBCASE("encrypt H.264: room for the frame but not for its escapes: buffer_too_small, out wiped") {
    // The escaped size is known only after encrypting, so the cryptor wipes what it wrote. An IV
    // that is mostly zero bytes (prefix 0, counter 256) makes the escapes certain.
    auto sender = [&] { return livekit::FrameCryptor<C>(p.ring, {}, livekit::UniqueIv(0, 256)); };
    const Bytes frame = h264_frame(300);
    Bytes big(Cryptor::max_encrypted_size(frame.size()));
    const std::size_t need = sender().encrypt(h264, frame, big).value().size();
    REQUIRE(need > frame.size() + Cryptor::overhead);  // this frame does get escapes
    for (std::size_t n = frame.size() + Cryptor::overhead; n < need; ++n) {
      CAPTURE(n);
      fstest::Guarded out(n, 0xEE);
      CHECK(sender().encrypt(h264, frame, out.span()).error() == Errc::buffer_too_small);
      CHECK(only_old_or_zero(out.span(), Bytes(n, 0xEE)));
      CHECK(out.guard_intact());
      // In place, the caller's frame is gone (wiped), never half encrypted.
      Bytes buf = frame;
      buf.resize(n);
      CHECK(sender().encrypt(h264, BytesIn(buf.data(), frame.size()), buf).error() == Errc::buffer_too_small);
      CHECK(std::all_of(buf.begin(), buf.end(), [](std::uint8_t x) { return x == 0; }));
    }
    Bytes exact(need);
    CHECK(sender().encrypt(h264, frame, exact).has_value());
  }
  SUBCASE("sframe: below the plaintext (in place: the whole frame) nothing is written") {
    auto tx = sframe_cryptor(sframe::KeyUsage::encrypt);
    auto rx = sframe_cryptor(sframe::KeyUsage::decrypt);
    const Bytes plain = opus_frame(40);
    Bytes s(decltype(tx)::max_encrypted_size(plain.size()));
    s.resize(tx.encrypt(plain, s).value().size());
    for (std::size_t n = 0; n < plain.size(); ++n) {
      Bytes out(n, 0xEE);
      CHECK(rx.decrypt(s, out).error() == Errc::buffer_too_small);
      CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE; }));
    }
    // In place, out must cover the header and the plaintext (the header is moved over).
    Bytes buf = s;
    const std::size_t cover = s.size() - ChaChaSuite::tag_bytes;
    CHECK(rx.decrypt(buf, BytesOut(buf.data(), cover - 1)).error() == Errc::buffer_too_small);
    CHECK(buf == s);
    CHECK(rx.decrypt(buf, BytesOut(buf.data(), cover)).has_value());
  }
}

TEST_CASE_TEMPLATE("bad input: the other rows (bit flips, failure tolerance, overlap, codecs, short frames)",
                   C, FS_BAD_INPUT_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  const Bytes enc = p.encrypt(opus, opus_frame(60));
  for (std::size_t i = 0; i + 2 < enc.size(); ++i) {  // every byte but the IV length and key index
    Bytes bad = enc;
    bad[i] ^= 0x04;
    CHECK(p.decrypt(opus, bad).first == Errc::auth_failed);
  }
  {  // failure tolerance 2: the third failure in a row disables the slot
    KeyRingOptions o;
    o.failure_tolerance = 2;
    auto ring = KeyRing<C>::create(o).value();
    REQUIRE(ring.set_key(0, m0) == Errc::ok);
    livekit::FrameCryptor<C> rx(ring);
    Bytes bad = enc, out(enc.size());
    bad[5] ^= 1;
    for (int i = 0; i < 3; ++i) CHECK(rx.decrypt(opus, bad, out).error() == Errc::auth_failed);
    CHECK(rx.decrypt(opus, bad, out).error() == Errc::key_invalid);
    CHECK(rx.decrypt(opus, enc, out).error() == Errc::key_invalid);  // no attempt at all now
    REQUIRE(ring.set_key(0, m0) == Errc::ok);                        // a new key re-enables it
    CHECK(rx.decrypt(opus, enc, out).has_value());
  }
  Bytes buf = enc;
  buf.resize(enc.size() * 2);
  CHECK(p.rx.decrypt(opus, BytesIn(buf.data(), enc.size()), BytesOut(buf.data() + 1, enc.size())).error() ==
        Errc::invalid_argument);
  Bytes out(256);
  CHECK(p.tx.encrypt(FrameInfo{MediaKind::video, Codec::av1, true, 1, 2}, opus_frame(60), out).error() ==
        Errc::unsupported_codec);
  CHECK(p.tx.encrypt(FrameInfo{MediaKind::video, Codec::unknown, true, 1, 2}, opus_frame(60), out).error() ==
        Errc::unsupported_codec);
  CHECK(p.tx.encrypt(vp8_key, opus_frame(9), out).error() ==
        Errc::malformed_frame);  // key frame: 10 clear bytes
}

TEST_CASE("bad input: an unavailable backend") {
  SUBCASE("create() says backend_unavailable; so do set_key and add_key; nothing is sent in clear") {
    CHECK_FALSE(UnavailableGcm::available());
    auto ring = KeyRing<UnavailableGcm>::create();
    REQUIRE(ring.has_value());
    CHECK(ring->set_key(0, m0) == Errc::backend_unavailable);
    CHECK_FALSE(ring->has_key(0));
    livekit::FrameCryptor<UnavailableGcm> tx(*ring);
    Bytes out(200, 0xEE);
    const Bytes frame = opus_frame(60);
    CHECK(tx.encrypt(opus, frame, out).error() == Errc::missing_key);
    CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE; }));

    auto m = session::E2eeManager<UnavailableGcm>::create();  // encryption type gcm: the name ends in gcm
    REQUIRE(m.has_value());
    CHECK(m->key_provider().set_key("alice", m0) == Errc::backend_unavailable);
    CHECK(m->key_provider().set_shared_key(m0) == Errc::backend_unavailable);
    auto alice = m->frame_cryptor("alice").value();
    CHECK(alice.encrypt(opus, frame, out).error() == Errc::missing_key);
    CHECK(alice.state() == session::EncryptionState::missing_key);
    session::E2eeOptions with_key;
    with_key.key_provider_options.shared_key = std::move(SecretBuffer::copy_of(m0).value());
    CHECK(session::E2eeManager<UnavailableGcm>::create(std::move(with_key)).error() ==
          Errc::backend_unavailable);

    using Suite = sframe::Suite<0xF002, UnavailableGcm, sframe::Sha256>;
    auto sf = sframe::FrameCryptor<Suite>::create();
    REQUIRE(sf.has_value());
    CHECK(sf->add_key(1, m0, sframe::KeyUsage::encrypt) == Errc::backend_unavailable);
    CHECK(sf->encrypt(frame, out).error() == Errc::missing_key);
  }
  SUBCASE("sodium::Aes256Gcm reports it the same way on a CPU without AES-NI") {
    const std::array<std::uint8_t, 32> key{};
    auto c = sodium::Aes256Gcm::create(key);
    if (sodium::Aes256Gcm::available())
      CHECK(c.has_value());
    else
      CHECK(c.error() == Errc::backend_unavailable);
  }
  SUBCASE(
      "a backend that fails during a call: encrypt says so and leaves no plaintext; decrypt is auth_failed") {
    auto ring = KeyRing<FailingGcm>::create();
    REQUIRE(ring.has_value());
    REQUIRE(ring->set_key(0, m0) == Errc::ok);
    livekit::FrameCryptor<FailingGcm> tx(*ring), rx(*ring);
    const Bytes frame = opus_frame(60);
    Bytes out(200, 0xEE);
    CHECK(tx.encrypt(opus, frame, out).error() == Errc::backend_unavailable);
    CHECK(only_old_or_zero(out, Bytes(out.size(), 0xEE)));
    Bytes buf = frame;
    buf.resize(200);
    CHECK(tx.encrypt(opus, BytesIn(buf.data(), frame.size()), buf).error() == Errc::backend_unavailable);
    CHECK(std::all_of(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(frame.size()),
                      [](std::uint8_t x) { return x == 0; }));
    // A frame under this key (made with a working cipher's layout) cannot be opened: all
    // authentication failures are one error.
    Bytes fake = frame;
    fake.insert(fake.end(), 16 + 12, 0x11);
    fake.insert(fake.end(), {12, 0});
    Bytes o2(fake.size(), 0xEE);
    CHECK(rx.decrypt(opus, fake, o2).error() == Errc::auth_failed);
    CHECK(only_old_or_zero(o2, Bytes(o2.size(), 0xEE)));
    // Through the session layer the state says internal_error, not encryption_failed.
    auto m = session::E2eeManager<FailingGcm>::create();
    REQUIRE(m.has_value());
    REQUIRE(m->key_provider().set_key("alice", m0) == Errc::ok);
    auto alice = m->frame_cryptor("alice").value();
    CHECK(alice.encrypt(opus, frame, out).error() == Errc::backend_unavailable);
    CHECK(alice.state() == session::EncryptionState::internal_error);
  }
}
