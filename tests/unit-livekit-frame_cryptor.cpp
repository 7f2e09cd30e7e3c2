// livekit::FrameCryptor: the LiveKit wire format end to end. Known answers from
// tests/vectors/livekit/livekit-client-2.23.0-public.json (produced by the real livekit-client
// 2.23.0 worker), then round trips per codec, in place and out of place, guard bytes, tampering,
// bad input, SIF, the LKTS packet trailer, the IV policies and ratchets across a stream.
#include "common.hpp"
#include "livekit_vectors.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <string>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::info_of;
using fstest::livekit_vectors;
using fstest::to_hex;

namespace {

const Bytes m0 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Realistic frames per codec (the clear-header rules only look at the first bytes).
Bytes opus_frame(std::size_t n) {
  Bytes b = random_bytes(n, 1);
  b[0] = 0x78;
  return b;
}
Bytes vp8_key_frame(std::size_t n) {
  Bytes b = random_bytes(n, 2);
  const Bytes hdr = from_hex("5004009d012a4001b400");  // frame tag (key), start code, 320x180
  std::copy(hdr.begin(), hdr.end(), b.begin());
  return b;
}
Bytes vp8_delta_frame(std::size_t n) {
  Bytes b = random_bytes(n, 3);
  b[0] = 0x31;  // bit 0 set: inter frame
  return b;
}
Bytes h264_key_frame(std::size_t n, bool zeros = true) {
  Bytes b = from_hex("000000016742c01fda0507e840000003004000000f03c50aa80000000168ce3c8000000001658884");
  Bytes body = random_bytes(n, 4);
  if (zeros)
    for (std::size_t i = 10; i + 3 < body.size(); i += 97) body[i] = body[i + 1] = 0;  // runs of zeros
  b.insert(b.end(), body.begin(), body.end());
  return b;
}
Bytes h265_key_frame(std::size_t n) {
  Bytes b = from_hex(
      "0000000140010c01ffff016000000300b0000003000003005d1702400000000142010101600000030000030000030000"
      "0300000000000144c172b46240000000012601af");
  Bytes body = random_bytes(n, 5);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

template <class C>
struct Pair {
  KeyRing<C, LivekitKdf> tx_ring = std::move(KeyRing<C, LivekitKdf>::create().value());
  KeyRing<C, LivekitKdf> rx_ring = std::move(KeyRing<C, LivekitKdf>::create().value());
  livekit::FrameCryptor<C> tx{tx_ring};
  livekit::FrameCryptor<C> rx{rx_ring};
  Pair() {
    REQUIRE(tx_ring.set_key(0, m0) == Errc::ok);
    REQUIRE(rx_ring.set_key(0, m0) == Errc::ok);
  }
  Bytes encrypt(const FrameInfo& info, const Bytes& frame) {
    fstest::Guarded out(livekit::FrameCryptor<C>::max_encrypted_size(frame.size()));
    auto r = tx.encrypt(info, frame, out.span());
    REQUIRE_MESSAGE(r.has_value(), to_string(r.error()));
    CHECK(out.guard_intact());
    return Bytes(r->begin(), r->end());
  }
};

struct Case {
  const char* name;
  FrameInfo info;
  Bytes frame;
  std::size_t clear;  // clear header bytes as sent
};

std::vector<Case> codec_cases() {
  return {
      {"opus", {MediaKind::audio, Codec::opus, std::nullopt, 1, 2}, opus_frame(160), 1},
      {"vp8 key", {MediaKind::video, Codec::vp8, true, 3, 4}, vp8_key_frame(1200), 10},
      {"vp8 key derived from bytes",
       {MediaKind::video, Codec::vp8, std::nullopt, 3, 4},
       vp8_key_frame(300),
       10},
      {"vp8 delta", {MediaKind::video, Codec::vp8, false, 3, 5}, vp8_delta_frame(700), 3},
      {"vp9", {MediaKind::video, Codec::vp9, true, 5, 6}, random_bytes(900, 9), 0},
      {"h264 key", {MediaKind::video, Codec::h264, true, 0x102, 0x300}, h264_key_frame(2000), 39},
      {"h265 key", {MediaKind::video, Codec::h265, true, 0x102, 0x300}, h265_key_frame(1500), 0},
  };
}

}  // namespace

#if defined(FRAMESEAL_TEST_OPENSSL)
TEST_CASE("FrameCryptor reproduces every livekit-client 2.23.0 vector byte for byte and decrypts it") {
  auto j = livekit_vectors();
  REQUIRE(j["vectors"].size() >= 10);
  for (const auto& v : j["vectors"]) {
    CAPTURE(v["id"].get<std::string>());
    if (v["key_size_bits"] != 128) continue;
    using C = openssl::Aes128Gcm;
    KeyRingOptions ro;
    ro.salt = from_hex(v["ratchet_salt_hex"].get<std::string>());
    LivekitKdf kdf;
    kdf.algorithm = v["kdf"] == "pbkdf2" ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf;
    kdf.pbkdf2 = &openssl::pbkdf2_hmac_sha256;
    const std::size_t kid = v["key_index"];
    auto tx = KeyRing<C, LivekitKdf>::create(ro, kdf);
    REQUIRE(tx.has_value());
    REQUIRE(tx->set_key(kid, from_hex(v["key_material_hex"].get<std::string>())) == Errc::ok);
    for (int r = 0; r < v["ratchet_count"].get<int>(); ++r) REQUIRE(tx->ratchet(kid).has_value());
    livekit::FrameCryptor<C, livekit::LivekitIv> enc(*tx, {}, livekit::LivekitIv(v["send_count_mod_65535"]));
    const Bytes plain = from_hex(v["plaintext_hex"].get<std::string>());
    const Bytes want = from_hex(v["encrypted_frame_hex"].get<std::string>());
    fstest::Guarded out(plain.size() + 64);
    auto e = enc.encrypt(info_of(v), plain, out.span());
    REQUIRE(e.has_value());
    CHECK(to_hex(*e) == to_hex(want));
    CHECK(out.guard_intact());

    // A receiver holding the un-ratcheted material catches up through the ratchet window.
    auto rx = KeyRing<C, LivekitKdf>::create(ro, kdf);
    REQUIRE(rx->set_key(kid, from_hex(v["key_material_hex"].get<std::string>())) == Errc::ok);
    livekit::FrameCryptor<C> dec(*rx);
    fstest::Guarded back(want.size());
    livekit::DecryptReport rep;
    auto d = dec.decrypt(info_of(v), want, back.span(), &rep);
    REQUIRE(d.has_value());
    const std::string want_plain = v.contains("package_roundtrip")
                                       ? v["package_roundtrip"]["decrypted_frame_hex"].get<std::string>()
                                       : v["plaintext_hex"].get<std::string>();
    CHECK(to_hex(*d) == want_plain);
    CHECK(rep.key_index == kid);
    CHECK(rep.clear_bytes == from_hex(v["aad_hex"].get<std::string>()).size());
    CHECK(rep.match.ratchet_steps == v["ratchet_count"].get<std::size_t>());
    CHECK(back.guard_intact());
  }
}

TEST_CASE("FrameCryptor follows livekit-client's receive behaviour records") {
  using C = openssl::Aes128Gcm;
  auto j = livekit_vectors();
  for (const auto& d : j["decode_behaviour"]) {
    const std::string id = d["id"];
    CAPTURE(id);
    if (!d["receiver"].is_object()) continue;  // continuation records are covered by the CLI checker
    const auto& rcv = d["receiver"];
    KeyRingOptions ro;
    ro.ratchet_window = rcv["options"]["ratchetWindowSize"];
    ro.failure_tolerance = rcv["options"]["failureTolerance"];
    auto ring = KeyRing<C, LivekitKdf>::create(ro);
    REQUIRE(ring->set_key(0, from_hex(rcv["key_index_0_material_hex"].get<std::string>())) == Errc::ok);
    livekit::FrameCryptorOptions fo;
    if (rcv.contains("sif_trailer_hex")) fo.sif_trailer = from_hex(rcv["sif_trailer_hex"].get<std::string>());
    livekit::FrameCryptor<C> dec(*ring, fo);
    FrameInfo info;
    info.codec = codec_from_string(d["input"]["codec"].get<std::string>()).value();
    info.kind = info.codec == Codec::opus ? MediaKind::audio : MediaKind::video;
    const Bytes frame = from_hex(d["input"]["encrypted_frame_hex"].get<std::string>());
    Bytes out(frame.size());
    auto r = dec.decrypt(info, frame, out);
    if (d["result"]["decrypted"]) {
      REQUIRE(r.has_value());
      CHECK(to_hex(*r) == d["result"]["output_frame_hex"].get<std::string>());
    } else {
      CHECK_FALSE(r.has_value());
      if (id.rfind("D8", 0) == 0) CHECK(r.error() == Errc::missing_key);
      if (id.rfind("D9", 0) == 0) CHECK(r.error() == Errc::auth_failed);
    }
  }
}

TEST_CASE(
    "SIF: an allowed blank frame passes, anything else with the trailer is dropped, normal frames "
    "unaffected") {
  using C = openssl::Aes128Gcm;
  const Bytes trailer = from_hex("4578616d706c65526f6f6d536966547261696c6572");
  const Bytes blank_vp8 =
      from_hex("1002009d012a080008000047088585888584880202000c0d6000feffab5080");  // record D11a
  Pair<C> p;
  p.rx.set_sif_trailer(trailer);
  FrameInfo info{MediaKind::video, Codec::vp8, true, 1, 2};
  Bytes sif = blank_vp8;
  sif.insert(sif.end(), trailer.begin(), trailer.end());
  Bytes out(sif.size());
  livekit::DecryptReport rep;
  auto r = p.rx.decrypt(info, sif, out, &rep);
  REQUIRE(r.has_value());
  CHECK(to_hex(*r) == to_hex(blank_vp8));
  CHECK(rep.sif);
  // In place too.
  Bytes inplace = sif;
  auto ri = p.rx.decrypt(info, inplace, inplace);
  REQUIRE(ri.has_value());
  CHECK(ri->size() == blank_vp8.size());

  Bytes unknown = random_bytes(40, 11);
  unknown.insert(unknown.end(), trailer.begin(), trailer.end());
  CHECK(p.rx.decrypt(info, unknown, out).error() == Errc::sif_rejected);
  // An encrypted frame that happens not to end with the trailer decrypts normally.
  Bytes enc = p.encrypt(info, vp8_key_frame(200));
  Bytes back(enc.size());
  CHECK(p.rx.decrypt(info, enc, back).has_value());
  // Without a configured trailer, the SIF frame is just a frame that fails to decrypt: never plaintext.
  Pair<C> q;
  CHECK_FALSE(q.rx.decrypt(info, sif, out).has_value());
}
#endif

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define FS_FRAME_CIPHERS openssl::Aes128Gcm, sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#else
#  define FS_FRAME_CIPHERS sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#endif

TEST_CASE_TEMPLATE("FrameCryptor round trip per codec, out of place and in place, with guard bytes", C,
                   FS_FRAME_CIPHERS) {
  if (!C::available()) return;
  for (const Case& c : codec_cases()) {
    CAPTURE(c.name);
    Pair<C> p;
    const Bytes enc = p.encrypt(c.info, c.frame);
    if (c.clear)
      CHECK(Bytes(enc.begin(), enc.begin() + c.clear) == Bytes(c.frame.begin(), c.frame.begin() + c.clear));
    CHECK(enc[enc.size() - 2] == 12);
    CHECK(enc.back() == 0);
    if (c.info.codec != Codec::h264 && c.info.codec != Codec::h265)
      CHECK(enc.size() == c.frame.size() + livekit::FrameCryptor<C>::overhead);
    // Out of place.
    fstest::Guarded out(enc.size());
    auto d = p.rx.decrypt(c.info, enc, out.span());
    REQUIRE(d.has_value());
    CHECK(to_hex(*d) == to_hex(c.frame));
    CHECK(out.guard_intact());
    // In place, both directions.
    Bytes buf = c.frame;
    buf.resize(livekit::FrameCryptor<C>::max_encrypted_size(c.frame.size()));
    auto e2 = p.tx.encrypt(c.info, BytesIn(buf.data(), c.frame.size()), buf);
    REQUIRE(e2.has_value());
    CHECK(e2->data() == buf.data());
    auto d2 = p.rx.decrypt(c.info, BytesIn(buf.data(), e2->size()), buf);
    REQUIRE(d2.has_value());
    CHECK(to_hex(*d2) == to_hex(c.frame));
  }
}

TEST_CASE_TEMPLATE("FrameCryptor: H.264 escaping keeps the bitstream free of start codes", C,
                   FS_FRAME_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  FrameInfo info{MediaKind::video, Codec::h264, true, 0x00000102, 0x00000003};  // zero-heavy IV
  for (int i = 0; i < 50; ++i) {
    const Bytes frame = h264_key_frame(64 + 37 * i);
    const Bytes enc = p.encrypt(info, frame);
    for (std::size_t k = 39; k + 2 < enc.size(); ++k)
      CHECK_FALSE((enc[k] == 0 && enc[k + 1] == 0 && enc[k + 2] <= 3 && enc[k + 2] != 3));
    Bytes out(enc.size());
    auto d = p.rx.decrypt(info, enc, out);
    REQUIRE(d.has_value());
    CHECK(to_hex(*d) == to_hex(frame));
  }
}

TEST_CASE_TEMPLATE("FrameCryptor: tampering with any byte never yields plaintext", C, FS_FRAME_CIPHERS) {
  if (!C::available()) return;
  for (const Case& c : codec_cases()) {
    CAPTURE(c.name);
    Pair<C> p;
    const Bytes frame = Bytes(c.frame.begin(), c.frame.begin() + std::min<std::size_t>(c.frame.size(), 120));
    const Bytes enc = p.encrypt(c.info, frame);
    for (std::size_t i = 0; i < enc.size(); ++i) {
      Bytes bad = enc;
      bad[i] ^= 0x01;
      Bytes out(bad.size() + 8, 0xEE);
      auto r = p.rx.decrypt(c.info, bad, out);
      if (r.has_value()) {
        // Flipping a bit of a start code inside the clear H.264/H.265 header can change which bytes
        // are the header; whatever authenticates must still be the original frame.
        CHECK(to_hex(*r) == to_hex(frame));
        continue;
      }
      const bool body_clean = std::all_of(out.begin() + static_cast<long>(c.clear), out.end(),
                                          [](std::uint8_t x) { return x == 0 || x == 0xEE; });
      CHECK(body_clean);
    }
  }
}

TEST_CASE_TEMPLATE("FrameCryptor bad input", C, FS_FRAME_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  FrameInfo opus{MediaKind::audio, Codec::opus, std::nullopt, 1, 2};
  FrameInfo vp8key{MediaKind::video, Codec::vp8, true, 1, 2};
  const Bytes enc = p.encrypt(opus, opus_frame(50));
  Bytes out(4096, 0xEE);

  SUBCASE("empty frames pass through both ways") {
    CHECK(p.tx.encrypt(opus, {}, out).value().empty());
    CHECK(p.rx.decrypt(opus, {}, out).value().empty());
  }
  SUBCASE("1-byte and truncated frames are malformed") {
    Bytes one = {0x78};
    CHECK(p.rx.decrypt(opus, one, out).error() == Errc::malformed_frame);
    Bytes two = {0x78, 0x00};
    CHECK(p.rx.decrypt(opus, two, out).error() == Errc::malformed_frame);
    Bytes shortf(enc.end() - 20, enc.end());
    CHECK(p.rx.decrypt(opus, shortf, out).error() == Errc::malformed_frame);
  }
  SUBCASE("IV length byte other than 12 is malformed") {
    Bytes bad = enc;
    bad[bad.size() - 2] = 16;
    CHECK(p.rx.decrypt(opus, bad, out).error() == Errc::malformed_frame);
  }
  SUBCASE("key index out of range or empty slot is missing_key") {
    Bytes bad = enc;
    bad.back() = 16;
    CHECK(p.rx.decrypt(opus, bad, out).error() == Errc::missing_key);
    bad.back() = 3;
    CHECK(p.rx.decrypt(opus, bad, out).error() == Errc::missing_key);
  }
  SUBCASE("garbage after a valid trailer") {
    Bytes bad = enc;
    bad.push_back(0x55);
    bad.push_back(0x01);
    CHECK_FALSE(p.rx.decrypt(opus, bad, out).has_value());
  }
  SUBCASE("output buffer too small: nothing written") {
    Bytes small(enc.size() - 31, 0xEE);
    CHECK(p.rx.decrypt(opus, enc, small).error() == Errc::buffer_too_small);
    CHECK(std::all_of(small.begin(), small.end(), [](std::uint8_t x) { return x == 0xEE; }));
    const Bytes frame = opus_frame(50);
    Bytes small2(frame.size() + 29, 0xEE);
    CHECK(p.tx.encrypt(opus, frame, small2).error() == Errc::buffer_too_small);
    CHECK(std::all_of(small2.begin(), small2.end(), [](std::uint8_t x) { return x == 0xEE; }));
  }
  SUBCASE("frames shorter than their clear header are malformed, never read out of bounds") {
    const Bytes five = {0x50, 0x04, 0x00, 0x9d, 0x01};
    CHECK(p.tx.encrypt(vp8key, five, out).error() == Errc::malformed_frame);
  }
  SUBCASE("AV1 and unknown video codecs are refused, never sent in clear") {
    FrameInfo av1{MediaKind::video, Codec::av1, true, 1, 2};
    FrameInfo unknown{MediaKind::video, Codec::unknown, true, 1, 2};
    const Bytes frame = random_bytes(100, 7);
    CHECK(p.tx.encrypt(av1, frame, out).error() == Errc::unsupported_codec);
    CHECK(p.tx.encrypt(unknown, frame, out).error() == Errc::unsupported_codec);
  }
  SUBCASE("partial overlap of input and output is refused") {
    Bytes buf = enc;
    buf.resize(buf.size() * 2);
    CHECK(p.rx.decrypt(opus, BytesIn(buf.data(), enc.size()), BytesOut(buf.data() + 1, enc.size())).error() ==
          Errc::invalid_argument);
  }
  SUBCASE("no key to send with") {
    auto empty = KeyRing<C, LivekitKdf>::create().value();
    livekit::FrameCryptor<C> tx(empty);
    CHECK(tx.encrypt(opus, opus_frame(10), out).error() == Errc::missing_key);
  }
}

TEST_CASE_TEMPLATE("FrameCryptor: ratchets and key changes across a stream", C, FS_FRAME_CIPHERS) {
  if (!C::available()) return;
  Pair<C> p;
  FrameInfo info{MediaKind::video, Codec::vp8, std::nullopt, 7, 9};
  std::vector<Bytes> in_flight;
  for (int i = 0; i < 3; ++i) in_flight.push_back(p.encrypt(info, vp8_delta_frame(100)));
  REQUIRE(p.tx_ring.ratchet(0).has_value());
  REQUIRE(p.tx_ring.ratchet(0).has_value());
  const Bytes after = p.encrypt(info, vp8_delta_frame(100));
  Bytes out(200);
  livekit::DecryptReport rep;
  REQUIRE(p.rx.decrypt(info, after, out, &rep).has_value());
  CHECK(rep.match.ratchet_steps == 2);
  for (const Bytes& f : in_flight) {  // frames sent before the ratchet still decrypt
    REQUIRE(p.rx.decrypt(info, f, out, &rep).has_value());
    CHECK(rep.match.previous_generation == 2);
  }
  // A new key at index 3 (the sender switches): the receiver needs it, then decrypts.
  REQUIRE(p.tx_ring.set_key(3, as_bytes("next key")) == Errc::ok);
  const Bytes k3 = p.encrypt(info, vp8_delta_frame(100));
  CHECK(k3.back() == 3);
  CHECK(p.rx.decrypt(info, k3, out).error() == Errc::missing_key);
  REQUIRE(p.rx_ring.set_key(3, as_bytes("next key"), false) == Errc::ok);
  CHECK(p.rx.decrypt(info, k3, out).has_value());
}

TEST_CASE("IV policies") {
  FrameInfo info{MediaKind::audio, Codec::opus, std::nullopt, 0x11223344, 0x5e6f7081};
  SUBCASE("LivekitIv reproduces livekit's formula, counter per SSRC, seedable") {
    livekit::LivekitIv iv(0);
    CHECK(to_hex(iv.next(info).value()) == "112233445e6f70815e6f7081");
    CHECK(to_hex(iv.next(info).value()) == "112233445e6f70815e6f7080");
    FrameInfo other = info;
    other.ssrc = 1;
    CHECK(to_hex(iv.next(other).value()) == "000000015e6f70815e6f7081");
    livekit::LivekitIv seeded(32767);  // vector hkdf-opus-random-seed-32767: ts 0x1000
    info.rtp_timestamp = 0x1000;
    CHECK(to_hex(seeded.next(info).value()) == "1122334400001000ffff9001");
    // the counter wraps modulo 65535, not 65536
    livekit::LivekitIv high(65534);
    (void)high.next(info);
    CHECK(to_hex(high.next(info).value()) == "112233440000100000001000");
  }
  SUBCASE("UniqueIv never repeats and refuses to wrap") {
    livekit::UniqueIv a, b;
    auto a1 = a.next(info).value(), a2 = a.next(info).value(), b1 = b.next(info).value();
    CHECK(a1 != a2);
    CHECK(load_be64(a2.data() + 4) == load_be64(a1.data() + 4) + 1);
    CHECK(std::equal(a1.begin(), a1.begin() + 4, a2.begin()));
    CHECK(a1 != b1);
    livekit::UniqueIv last(0xabcdef01, ~std::uint64_t{0} - 1);
    CHECK(to_hex(last.next(info).value()) == "abcdef01fffffffffffffffe");
    CHECK(to_hex(last.next(info).value()) == "abcdef01ffffffffffffffff");
    CHECK(last.next(info).error() == Errc::counter_exhausted);
  }
  SUBCASE("a missing timestamp does not collapse UniqueIv") {
    FrameInfo zero{MediaKind::audio, Codec::opus, std::nullopt, 0, 0};
    livekit::UniqueIv u;
    CHECK(u.next(zero).value() != u.next(zero).value());
  }
}
