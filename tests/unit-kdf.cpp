#include "common.hpp"

// Tests of include/frameseal/kdf.hpp: HKDF-SHA256/512, PBKDF2-HMAC-SHA256 and the LiveKit policies.

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>

using frameseal::Errc;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

nlohmann::json load_json(const std::string& rel) {
  std::ifstream f(fstest::vectors_dir() + "/" + rel);
  REQUIRE_MESSAGE(f.good(), "cannot open ", rel);
  return nlohmann::json::parse(f);
}

Bytes range(int first, int last_inclusive) {
  Bytes b;
  for (int i = first; i <= last_inclusive; ++i) b.push_back(static_cast<std::uint8_t>(i));
  return b;
}

struct HkdfCase {
  const char* name;
  Bytes ikm, salt, info;
  std::size_t length;
  const char* prk;
  const char* okm;
};

// RFC 5869 Appendix A.1-A.3 (the SHA-256 cases).
std::vector<HkdfCase> rfc5869_sha256() {
  return {
      {"RFC 5869 A.1", Bytes(22, 0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42,
       "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {"RFC 5869 A.2", range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82,
       "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
       "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {"RFC 5869 A.3", Bytes(22, 0x0b), Bytes{}, Bytes{}, 42,
       "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
}

}  // namespace

TEST_CASE("hkdf_sha256: RFC 5869 A.1-A.3") {
  for (const auto& c : rfc5869_sha256()) {
    CAPTURE(c.name);
    std::array<std::uint8_t, 32> prk{};
    REQUIRE(frameseal::hkdf_sha256_extract(c.salt, c.ikm, prk) == Errc::ok);
    CHECK(to_hex(prk) == c.prk);

    fstest::Guarded okm(c.length);
    REQUIRE(frameseal::hkdf_sha256_expand(prk, c.info, okm.span()) == Errc::ok);
    CHECK(to_hex(okm.span()) == c.okm);
    CHECK(okm.guard_intact());

    fstest::Guarded okm2(c.length);
    REQUIRE(frameseal::hkdf_sha256(c.ikm, c.salt, c.info, okm2.span()) == Errc::ok);
    CHECK(to_hex(okm2.span()) == c.okm);
    CHECK(okm2.guard_intact());

    // HKDF is a prefix-extendable stream: a shorter output is a prefix of the longer one.
    Bytes shorter(c.length - 9);
    REQUIRE(frameseal::hkdf_sha256(c.ikm, c.salt, c.info, shorter) == Errc::ok);
    CHECK(to_hex(shorter) == std::string(c.okm).substr(0, 2 * shorter.size()));
  }
  // Empty salt means HashLen zero bytes (RFC 5869 §2.2).
  Bytes a(32), b(32);
  REQUIRE(frameseal::hkdf_sha256(Bytes(22, 0x0b), {}, {}, a) == Errc::ok);
  REQUIRE(frameseal::hkdf_sha256(Bytes(22, 0x0b), Bytes(32, 0), {}, b) == Errc::ok);
  CHECK(a == b);
}

TEST_CASE("hkdf_sha256 / hkdf_sha512: limits and failure paths") {
  const Bytes ikm(16, 1);
  Bytes max256(255 * 32), too_long256(255 * 32 + 1);
  CHECK(frameseal::hkdf_sha256(ikm, {}, {}, max256) == Errc::ok);
  CHECK(frameseal::hkdf_sha256(ikm, {}, {}, too_long256) == Errc::invalid_argument);
  std::array<std::uint8_t, 32> prk{};
  REQUIRE(frameseal::hkdf_sha256_extract({}, ikm, prk) == Errc::ok);
  CHECK(frameseal::hkdf_sha256_expand(prk, {}, too_long256) == Errc::invalid_argument);
  CHECK(frameseal::hkdf_sha256_expand({}, {}, max256) == Errc::invalid_argument);  // no PRK
  CHECK(frameseal::hkdf_sha256_expand(prk, {}, {}) == Errc::ok);                   // L = 0

  Bytes max512(255 * 64), too_long512(255 * 64 + 1);
  CHECK(frameseal::hkdf_sha512(ikm, {}, {}, max512) == Errc::ok);
  CHECK(frameseal::hkdf_sha512(ikm, {}, {}, too_long512) == Errc::invalid_argument);

  // out overlapping info (re-read for every block) is refused; overlapping ikm/salt is fine.
  Bytes buf(100, 3);
  std::span<std::uint8_t> s(buf);
  CHECK(frameseal::hkdf_sha256(ikm, {}, s.first(50), s.subspan(40, 60)) == Errc::invalid_argument);
  CHECK(frameseal::hkdf_sha256_expand(prk, s.first(50), s.first(50)) == Errc::invalid_argument);
  CHECK(frameseal::hkdf_sha256(s.first(50), s.first(50), {}, s.first(50)) == Errc::ok);
  Bytes expect(50);
  REQUIRE(frameseal::hkdf_sha256(Bytes(50, 3), Bytes(50, 3), {}, expect) == Errc::ok);
  CHECK(Bytes(buf.begin(), buf.begin() + 50) == expect);
}

TEST_CASE("hkdf_sha512: the SFrame key schedule intermediates (RFC 9605 C.3 suite 5, post-RFC suites 6-8)") {
  // sframe_secret = HKDF-Extract(salt = "", base_key); sframe_key/salt = HKDF-Expand(secret, label, Nk/Nn).
  const auto rfc = load_json("sframe/rfc9605-test-vectors.json");
  const auto post = load_json("sframe/post-rfc-aes256-ctr-hmac-test-vectors.json");
  std::vector<nlohmann::json> cases;
  for (const auto& v : rfc.at("sframe"))
    if (v.at("cipher_suite").get<int>() == 5) cases.push_back(v);
  for (const auto& v : post.at("sframe_aes_256_ctr_hmac")) cases.push_back(v);
  REQUIRE(cases.size() == 4);
  for (const auto& v : cases) {
    CAPTURE(v.at("cipher_suite").get<int>());
    const Bytes base_key = from_hex(v.at("base_key").get<std::string>());
    std::array<std::uint8_t, 64> secret{};
    REQUIRE(frameseal::hkdf_sha512_extract({}, base_key, secret) == Errc::ok);
    CHECK(to_hex(secret) == v.at("sframe_secret").get<std::string>());

    const std::string want_key = v.at("sframe_key"), want_salt = v.at("sframe_salt");
    Bytes key(want_key.size() / 2), salt(want_salt.size() / 2);
    REQUIRE(frameseal::hkdf_sha512_expand(secret, from_hex(v.at("sframe_key_label").get<std::string>()),
                                          key) == Errc::ok);
    REQUIRE(frameseal::hkdf_sha512_expand(secret, from_hex(v.at("sframe_salt_label").get<std::string>()),
                                          salt) == Errc::ok);
    CHECK(to_hex(key) == want_key);  // 32 bytes (suite 5) or 96 bytes: two output blocks (6-8)
    CHECK(to_hex(salt) == want_salt);

    Bytes key2(key.size());
    REQUIRE(frameseal::hkdf_sha512(base_key, {}, from_hex(v.at("sframe_key_label").get<std::string>()),
                                   key2) == Errc::ok);
    CHECK(key2 == key);
  }
  // And the SHA-256 suites 1-4 through hkdf_sha256.
  for (const auto& v : rfc.at("sframe")) {
    if (v.at("cipher_suite").get<int>() == 5) continue;
    CAPTURE(v.at("cipher_suite").get<int>());
    std::array<std::uint8_t, 32> secret{};
    REQUIRE(frameseal::hkdf_sha256_extract({}, from_hex(v.at("base_key").get<std::string>()), secret) ==
            Errc::ok);
    CHECK(to_hex(secret) == v.at("sframe_secret").get<std::string>());
    const std::string want_key = v.at("sframe_key");
    Bytes key(want_key.size() / 2);
    REQUIRE(frameseal::hkdf_sha256_expand(secret, from_hex(v.at("sframe_key_label").get<std::string>()),
                                          key) == Errc::ok);
    CHECK(to_hex(key) == want_key);
  }
}

TEST_CASE("pbkdf2_hmac_sha256: RFC 7914 §11") {
  Bytes out(64);
  REQUIRE(frameseal::pbkdf2_hmac_sha256(frameseal::as_bytes("passwd"), frameseal::as_bytes("salt"), 1, out) ==
          Errc::ok);
  CHECK(to_hex(out) ==
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef31"
        "7c71b845b1e30bd509112041d3a19783");
  fstest::Guarded g(64);
  REQUIRE(frameseal::pbkdf2_hmac_sha256(frameseal::as_bytes("Password"), frameseal::as_bytes("NaCl"), 80000,
                                        g.span()) == Errc::ok);
  const std::string rfc_80000 =
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a"
      "272bdebba1d078478f62b397f33c8d";
  CHECK(to_hex(g.span()) == rfc_80000);
  CHECK(g.guard_intact());
#if defined(FRAMESEAL_TEST_OPENSSL)
  Bytes o(64);
  REQUIRE(frameseal::openssl::pbkdf2_hmac_sha256(frameseal::as_bytes("Password"), frameseal::as_bytes("NaCl"),
                                                 80000, o) == Errc::ok);
  CHECK(to_hex(o) == rfc_80000);
#endif
}

TEST_CASE("pbkdf2_hmac_sha256: failure paths and odd lengths") {
  Bytes out(20);
  CHECK(frameseal::pbkdf2_hmac_sha256(frameseal::as_bytes("p"), frameseal::as_bytes("s"), 0, out) ==
        Errc::invalid_argument);
  CHECK(frameseal::pbkdf2_hmac_sha256(frameseal::as_bytes("p"), out, 1, out) == Errc::invalid_argument);
  CHECK(frameseal::pbkdf2_hmac_sha256(frameseal::as_bytes("p"), frameseal::as_bytes("s"), 1, {}) == Errc::ok);
  // Empty password and salt are legal PBKDF2 inputs (the policies reject empty material instead).
  CHECK(frameseal::pbkdf2_hmac_sha256({}, {}, 2, out) == Errc::ok);
#if defined(FRAMESEAL_TEST_OPENSSL)
  // Lengths that are not multiples of 32 and passwords longer than a block (hashed by HMAC), against
  // OpenSSL's independent implementation.
  for (std::size_t pw : {0, 1, 64, 65, 200}) {
    for (std::size_t len : {1, 31, 32, 33, 100}) {
      CAPTURE(pw);
      CAPTURE(len);
      const Bytes password(pw, 0x41), salt = {1, 2, 3};
      Bytes a(len), b(len);
      REQUIRE(frameseal::pbkdf2_hmac_sha256(password, salt, 3, a) == Errc::ok);
      REQUIRE(frameseal::openssl::pbkdf2_hmac_sha256(password, salt, 3, b) == Errc::ok);
      CHECK(a == b);
    }
  }
#endif
}

TEST_CASE("LiveKit KDF: the webrtc-sdk anchor PBKDF2(00..0f, 00..07, 100000, 16)") {
  // webrtc-sdk frame_crypto_transformer_unittest.cc (FrameCryptor.KeyProvider), reproduced by
  // livekit-client 2.23.0 (vector cpp-unittest-anchor-opus; /work/shared/spec/livekit-e2ee.md §2.2).
  const Bytes key = from_hex("000102030405060708090a0b0c0d0e0f"), salt = from_hex("0001020304050607");
  Bytes out(16);
  REQUIRE(frameseal::Pbkdf2{}.derive(key, salt, out) == Errc::ok);
  CHECK(to_hex(out) == "a658cd52efbacadfecdfe0a0dc574ec3");
  frameseal::LivekitKdf lk;
  lk.algorithm = frameseal::KdfAlgorithm::pbkdf2;
  Bytes out2(16);
  REQUIRE(lk.derive(key, salt, out2) == Errc::ok);
  CHECK(out2 == out);
}

TEST_CASE("LiveKit KDF: ratchet chains of livekit-client 2.23.0") {
  // tests/vectors/livekit/livekit-client-2.23.0-public.json, ratchet_chains:
  // materials[i+1] = KDF(materials[i], 32) and aes_keys[i] = KDF(materials[i], 16).
  const auto doc = load_json("livekit/livekit-client-2.23.0-public.json");
  int chains = 0;
  for (const auto& chain : doc.at("ratchet_chains")) {
    const std::string kdf = chain.at("kdf");
    CAPTURE(kdf);
    const auto algo = frameseal::kdf_algorithm_from_string(kdf);
    REQUIRE(algo.has_value());
    frameseal::LivekitKdf lk;
    lk.algorithm = *algo;
    const std::string salt_utf8 = chain.at("ratchet_salt_utf8");
    const Bytes salt(salt_utf8.begin(), salt_utf8.end());
    const auto& materials = chain.at("materials_hex");
    const auto& keys = chain.at("aes_keys_hex");
    REQUIRE(materials.size() == keys.size());
    for (std::size_t i = 0; i < materials.size(); ++i) {
      CAPTURE(i);
      const Bytes m = from_hex(materials[i].get<std::string>());
      Bytes key(16);
      REQUIRE(lk.derive(m, salt, key) == Errc::ok);
      CHECK(to_hex(key) == keys[i].get<std::string>());
      if (i + 1 < materials.size()) {
        Bytes next(32);
        REQUIRE(lk.derive(m, salt, next) == Errc::ok);
        CHECK(to_hex(next) == materials[i + 1].get<std::string>());
      }
      // The fixed-policy types agree with the runtime-selected one.
      Bytes key2(16);
      if (*algo == frameseal::KdfAlgorithm::hkdf) {
        REQUIRE(frameseal::Hkdf{}.derive(m, salt, key2) == Errc::ok);
      } else {
#if defined(FRAMESEAL_TEST_OPENSSL)
        REQUIRE(frameseal::openssl::Pbkdf2{}.derive(m, salt, key2) == Errc::ok);
#else
        REQUIRE(frameseal::Pbkdf2{}.derive(m, salt, key2) == Errc::ok);
#endif
      }
      CHECK(key2 == key);
    }
    ++chains;
  }
  CHECK(chains == 2);
}

TEST_CASE("LiveKit KDF: the AES keys of the livekit-client 2.23.0 encryption vectors") {
  // vectors[]: aes_key_hex = KDF(current_material_hex, ratchet_salt_hex, 16) in the vector's mode.
  const auto doc = load_json("livekit/livekit-client-2.23.0-public.json");
  int checked = 0;
  for (const auto& v : doc.at("vectors")) {
    if (v.at("key_size_bits").get<int>() != 128 || !v.contains("current_material_hex")) continue;
    CAPTURE(v.at("id").get<std::string>());
    frameseal::LivekitKdf lk;
    lk.algorithm = frameseal::kdf_algorithm_from_string(v.at("kdf").get<std::string>()).value();
#if defined(FRAMESEAL_TEST_OPENSSL)
    lk.pbkdf2 = &frameseal::openssl::pbkdf2_hmac_sha256;  // same bytes, faster
#endif
    Bytes key(16);
    REQUIRE(lk.derive(from_hex(v.at("current_material_hex").get<std::string>()),
                      from_hex(v.at("ratchet_salt_hex").get<std::string>()), key) == Errc::ok);
    CHECK(to_hex(key) == v.at("aes_key_hex").get<std::string>());
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("LiveKit KDF policies: parameters, names, failure paths") {
  static_assert(frameseal::Hkdf::name == "hkdf" && frameseal::Pbkdf2::name == "pbkdf2");
  CHECK(frameseal::Pbkdf2{}.iterations == 100000);
  CHECK(frameseal::LivekitKdf{}.algorithm == frameseal::KdfAlgorithm::hkdf);
  CHECK(frameseal::LivekitKdf{}.pbkdf2_iterations == 100000);
  CHECK((frameseal::LivekitKdf{}.pbkdf2 == &frameseal::pbkdf2_hmac_sha256));
  CHECK(frameseal::to_string(frameseal::KdfAlgorithm::hkdf) == "hkdf");
  CHECK(frameseal::to_string(frameseal::KdfAlgorithm::pbkdf2) == "pbkdf2");
  CHECK(frameseal::kdf_algorithm_from_string("hkdf") == frameseal::KdfAlgorithm::hkdf);
  CHECK(frameseal::kdf_algorithm_from_string("pbkdf2") == frameseal::KdfAlgorithm::pbkdf2);
  CHECK_FALSE(frameseal::kdf_algorithm_from_string("HKDF").has_value());
  CHECK_FALSE(frameseal::kdf_algorithm_from_string("").has_value());

  // Hkdf is exactly HKDF-SHA256 with 128 zero bytes of info.
  const Bytes m = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const auto salt = frameseal::as_bytes("LKFrameEncryptionKey");
  Bytes a(32), b(32);
  REQUIRE(frameseal::Hkdf{}.derive(m, salt, a) == Errc::ok);
  REQUIRE(frameseal::hkdf_sha256(m, salt, Bytes(128, 0), b) == Errc::ok);
  CHECK(a == b);
  CHECK(to_hex(a) == "6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328");  // chain-hkdf m1

  // Empty material is refused by every policy (LiveKit accepts any length > 0).
  Bytes out(16, 0xCC);
  CHECK(frameseal::Hkdf{}.derive({}, salt, out) == Errc::invalid_argument);
  CHECK(frameseal::Pbkdf2{}.derive({}, salt, out) == Errc::invalid_argument);
  CHECK(frameseal::LivekitKdf{}.derive({}, salt, out) == Errc::invalid_argument);
  // An empty salt is allowed (C++ KeyProviderOptions::ratchet_salt has no default).
  CHECK(frameseal::Hkdf{}.derive(m, {}, out) == Errc::ok);
  // A 1-byte material works (any length > 0), and the iteration count matters.
  frameseal::Pbkdf2 fast{2};
  Bytes x(16), y(16);
  REQUIRE(fast.derive(Bytes{7}, salt, x) == Errc::ok);
  fast.iterations = 3;
  REQUIRE(fast.derive(Bytes{7}, salt, y) == Errc::ok);
  CHECK(x != y);
  frameseal::LivekitKdf broken;
  broken.algorithm = frameseal::KdfAlgorithm::pbkdf2;
  broken.pbkdf2 = nullptr;
  CHECK(broken.derive(m, salt, out) == Errc::invalid_argument);
  // A custom PBKDF2 plugs in through the function pointer.
  frameseal::LivekitKdf counted;
  counted.algorithm = frameseal::KdfAlgorithm::pbkdf2;
  counted.pbkdf2_iterations = 5;
  counted.pbkdf2 = [](frameseal::BytesIn, frameseal::BytesIn, std::uint32_t iterations,
                      frameseal::BytesOut o) noexcept -> Errc {
    for (auto& byte : o) byte = static_cast<std::uint8_t>(iterations);
    return Errc::ok;
  };
  REQUIRE(counted.derive(m, salt, out) == Errc::ok);
  CHECK(out == Bytes(16, 5));
}
