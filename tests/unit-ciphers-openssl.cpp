#include "common.hpp"

// Tests of include/frameseal/ciphers/openssl.hpp: AES-GCM, the SFrame AES-CTR+HMAC suites and
// PBKDF2 on OpenSSL. Built meaningfully only when the build found OpenSSL (FRAMESEAL_TEST_OPENSSL).
#if defined(FRAMESEAL_TEST_OPENSSL)

#  include <fstream>
#  include <nlohmann/json.hpp>

#  include "cipher_contract.hpp"

using frameseal::Errc;
using fstest::AeadKat;
using fstest::Bytes;
namespace ossl = frameseal::openssl;

FSTEST_CIPHER_CONTRACT_TESTS("openssl", ossl::Aes128Gcm, ossl::Aes256Gcm, ossl::AesCtr128HmacSha256_80,
                             ossl::AesCtr128HmacSha256_64, ossl::AesCtr128HmacSha256_32,
                             ossl::AesCtr256HmacSha512_80, ossl::AesCtr256HmacSha512_64,
                             ossl::AesCtr256HmacSha512_32);

namespace {

nlohmann::json load_json(const std::string& rel) {
  std::ifstream f(fstest::vectors_dir() + "/" + rel);
  REQUIRE_MESSAGE(f.good(), "cannot open ", rel);
  return nlohmann::json::parse(f);
}

// The known answers of one AES-CTR+HMAC suite:
//  - RFC 9605 Appendix C.2 "aes_ctr_hmac" (suites 1-3): the AEAD alone;
//  - RFC 9605 Appendix C.3 "sframe" (suites 1-3) and the post-RFC sframe-wg file
//    test-vectors-aes256.json (suites 6-8): the AEAD step of a full SFrame encryption, with
//    key = sframe_key, nonce, aad = header || metadata, ct = the output after the header.
std::vector<AeadKat> ctr_hmac_kats(int suite) {
  std::vector<AeadKat> out;
  const auto rfc = load_json("sframe/rfc9605-test-vectors.json");
  for (const auto& v : rfc.at("aes_ctr_hmac")) {
    if (v.at("cipher_suite").get<int>() != suite) continue;
    CHECK(v.at("key").get<std::string>() ==
          v.at("enc_key").get<std::string>() + v.at("auth_key").get<std::string>());
    out.push_back({"RFC 9605 C.2 aes_ctr_hmac suite " + std::to_string(suite), v.at("key"), v.at("nonce"),
                   v.at("aad"), v.at("pt"), v.at("ct")});
  }
  auto add_sframe = [&](const nlohmann::json& v, const std::string& source) {
    if (v.at("cipher_suite").get<int>() != suite) return;
    const std::string aad = v.at("aad"), metadata = v.at("metadata"), ct = v.at("ct");
    const std::size_t header_hex = aad.size() - metadata.size();
    REQUIRE(ct.substr(0, header_hex) == aad.substr(0, header_hex));
    out.push_back({source + " suite " + std::to_string(suite), v.at("sframe_key"), v.at("nonce"), aad,
                   v.at("pt"), ct.substr(header_hex)});
  };
  for (const auto& v : rfc.at("sframe")) add_sframe(v, "RFC 9605 C.3 sframe");
  const auto post = load_json("sframe/post-rfc-aes256-ctr-hmac-test-vectors.json");
  for (const auto& v : post.at("sframe_aes_256_ctr_hmac"))
    add_sframe(v, "sframe-wg test-vectors-aes256.json");
  return out;
}

template <class C>
void check_suite(int suite, std::size_t expected_count) {
  const auto kats = ctr_hmac_kats(suite);
  REQUIRE(kats.size() == expected_count);
  for (const auto& k : kats) fstest::check_kat<C>(k);
}

}  // namespace

// -Dboringssl=enabled builds this file against BoringSSL too: AES-GCM must then be BoringSSL's
// EVP_AEAD implementation (and its bytes the same, by the known answers below).
TEST_CASE("openssl::AesGcm: the backend is the library this program was built against") {
#  if defined(FRAMESEAL_TEST_BORINGSSL)
  CHECK(ossl::Aes128Gcm::backend == "boringssl");
  CHECK(ossl::Aes256Gcm::backend == "boringssl");
#  else
  CHECK(ossl::Aes128Gcm::backend == "openssl");
  CHECK(ossl::Aes256Gcm::backend == "openssl");
#  endif
}

TEST_CASE("openssl::Aes128Gcm: GCM spec test cases 1-4") {
  for (const auto& k : fstest::gcm_aes128_kats()) fstest::check_kat<ossl::Aes128Gcm>(k);
}

TEST_CASE("openssl::Aes256Gcm: GCM spec test cases 13-16") {
  for (const auto& k : fstest::gcm_aes256_kats()) fstest::check_kat<ossl::Aes256Gcm>(k);
}

TEST_CASE("openssl::Aes128Gcm: the AES-GCM step of the livekit-client 2.23.0 vectors") {
  // tests/vectors/livekit/livekit-client-2.23.0-public.json: aes_key_hex, iv_hex, aad_hex and
  // ciphertext_and_tag_hex were recorded from WebCrypto inside the real livekit-client worker.
  const auto doc = load_json("livekit/livekit-client-2.23.0-public.json");
  int checked = 0;
  for (const auto& v : doc.at("vectors")) {
    if (v.at("key_size_bits").get<int>() != 128) continue;
    const std::string pt = v.at("plaintext_hex"), aad = v.at("aad_hex");
    const std::size_t clear = v.at("unencrypted_bytes_in").get<std::size_t>();
    if (pt.substr(0, 2 * clear) != aad) continue;  // the JS sender rewrote the header (H.264 3-byte codes)
    fstest::check_kat<ossl::Aes128Gcm>({v.at("id"), v.at("aes_key_hex"), v.at("iv_hex"), aad,
                                        pt.substr(2 * clear), v.at("ciphertext_and_tag_hex")});
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("openssl AES-CTR+HMAC: RFC 9605 suites 1-3") {
  check_suite<ossl::AesCtr128HmacSha256_80>(1, 2);
  check_suite<ossl::AesCtr128HmacSha256_64>(2, 2);
  check_suite<ossl::AesCtr128HmacSha256_32>(3, 2);
}

TEST_CASE("openssl AES-CTR+HMAC: post-RFC suites 6-8 (AES-256-CTR, HMAC-SHA-512)") {
  check_suite<ossl::AesCtr256HmacSha512_80>(6, 1);
  check_suite<ossl::AesCtr256HmacSha512_64>(7, 1);
  check_suite<ossl::AesCtr256HmacSha512_32>(8, 1);
}

TEST_CASE("openssl AES-CTR+HMAC: sizes, names, in-place failure keeps the ciphertext") {
  static_assert(ossl::AesCtr128HmacSha256_80::key_bytes == 48 &&
                ossl::AesCtr128HmacSha256_80::tag_bytes == 10);
  static_assert(ossl::AesCtr128HmacSha256_64::tag_bytes == 8 && ossl::AesCtr128HmacSha256_32::tag_bytes == 4);
  static_assert(ossl::AesCtr256HmacSha512_80::key_bytes == 96 &&
                ossl::AesCtr256HmacSha512_80::tag_bytes == 10);
  static_assert(ossl::AesCtr256HmacSha512_64::tag_bytes == 8 && ossl::AesCtr256HmacSha512_32::tag_bytes == 4);
  static_assert(ossl::Aes128Gcm::key_bytes == 16 && ossl::Aes256Gcm::key_bytes == 32);
  CHECK(ossl::AesCtr128HmacSha256_80::name == "aes_128_ctr_hmac_sha256_80");
  CHECK(ossl::AesCtr256HmacSha512_32::name == "aes_256_ctr_hmac_sha512_32");
  CHECK(ossl::Aes128Gcm::name == "aes128gcm");
  CHECK(ossl::Aes256Gcm::name == "aes256gcm");

  // Verify-then-decrypt: a frame that fails under one key can be retried in place under another.
  using C = ossl::AesCtr128HmacSha256_80;
  const Bytes right = fstest::pseudo_random(48, 1), wrong = fstest::pseudo_random(48, 2);
  const Bytes nonce(12, 9), pt = fstest::pseudo_random(100, 3), aad = {1, 2, 3};
  C a = fstest::make_cipher<C>(right), b = fstest::make_cipher<C>(wrong);
  Bytes frame(pt.size() + C::tag_bytes);
  REQUIRE(a.seal(frame, pt, aad, fstest::nonce_span<C>(nonce)).has_value());
  const Bytes sealed = frame;
  auto r = b.open(frame, frame, aad, fstest::nonce_span<C>(nonce));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == Errc::auth_failed);
  CHECK(frame == sealed);
  auto r2 = a.open(frame, frame, aad, fstest::nonce_span<C>(nonce));
  REQUIRE(r2.has_value());
  CHECK(Bytes(r2->begin(), r2->end()) == pt);
}

TEST_CASE("AES-256-GCM: libsodium and OpenSSL produce identical bytes") {
  if (!frameseal::sodium::Aes256Gcm::available()) {
    MESSAGE("libsodium AES-256-GCM unavailable: cross-check skipped");
    return;
  }
  std::uint32_t seed = 1000;
  for (std::size_t n : {0, 1, 16, 31, 160, 1200, 4096 + 5, 65536}) {
    for (std::size_t a : {0, 1, 17, 200}) {
      CAPTURE(n);
      CAPTURE(a);
      const Bytes key = fstest::pseudo_random(32, ++seed), nonce = fstest::pseudo_random(12, ++seed);
      const Bytes pt = fstest::pseudo_random(n, ++seed), aad = fstest::pseudo_random(a, ++seed);
      auto s = fstest::make_cipher<frameseal::sodium::Aes256Gcm>(key);
      auto o = fstest::make_cipher<ossl::Aes256Gcm>(key);
      Bytes cs(n + 16), co(n + 16);
      REQUIRE(s.seal(cs, pt, aad, std::span<const std::uint8_t, 12>(nonce.data(), 12)).has_value());
      REQUIRE(o.seal(co, pt, aad, std::span<const std::uint8_t, 12>(nonce.data(), 12)).has_value());
      CHECK(cs == co);
      // And each opens the other's output.
      Bytes ps(n), po(n);
      REQUIRE(s.open(ps, co, aad, std::span<const std::uint8_t, 12>(nonce.data(), 12)).has_value());
      REQUIRE(o.open(po, cs, aad, std::span<const std::uint8_t, 12>(nonce.data(), 12)).has_value());
      CHECK(ps == pt);
      CHECK(po == pt);
    }
  }
}

TEST_CASE("openssl::pbkdf2_hmac_sha256 and openssl::Pbkdf2") {
  // RFC 7914 §11, c = 1 (the c = 80000 vector is in unit-kdf.cpp, against both implementations).
  Bytes out(64);
  REQUIRE(ossl::pbkdf2_hmac_sha256(frameseal::as_bytes("passwd"), frameseal::as_bytes("salt"), 1, out) ==
          Errc::ok);
  CHECK(fstest::to_hex(out) ==
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef31"
        "7c71b845b1e30bd509112041d3a19783");
  CHECK(ossl::pbkdf2_hmac_sha256(frameseal::as_bytes("p"), frameseal::as_bytes("s"), 0, out) ==
        Errc::invalid_argument);
  // Output overlapping the salt is refused (the salt is re-read for every block).
  CHECK(ossl::pbkdf2_hmac_sha256(frameseal::as_bytes("p"), out, 1, out) == Errc::invalid_argument);
  CHECK(ossl::pbkdf2_hmac_sha256(frameseal::as_bytes("p"), frameseal::as_bytes("s"), 1, {}) == Errc::ok);

  // The webrtc-sdk unit-test anchor (frame_crypto_transformer_unittest.cc, FrameCryptor.KeyProvider).
  const Bytes key = fstest::from_hex("000102030405060708090a0b0c0d0e0f"),
              salt = fstest::from_hex("0001020304050607");
  Bytes k16(16);
  REQUIRE(ossl::Pbkdf2{}.derive(key, salt, k16) == Errc::ok);
  CHECK(fstest::to_hex(k16) == "a658cd52efbacadfecdfe0a0dc574ec3");
  CHECK(ossl::Pbkdf2{}.derive({}, salt, k16) == Errc::invalid_argument);
  const auto lk = ossl::livekit_kdf(frameseal::KdfAlgorithm::pbkdf2);
  CHECK((lk.pbkdf2 == &ossl::pbkdf2_hmac_sha256));
  Bytes k16b(16);
  REQUIRE(lk.derive(key, salt, k16b) == Errc::ok);
  CHECK(k16b == k16);
}

#endif  // FRAMESEAL_TEST_OPENSSL
