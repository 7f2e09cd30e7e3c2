// sframe/suite.hpp (and sframe/openssl_suites.hpp): the suite table (ids, names, Nk/Nn/Nt/Nh), the
// registry check, and RFC 9605 C.2 (the AES-CTR-HMAC AEAD of suites 1-3) through each suite's
// cipher type.
#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/sframe/openssl_suites.hpp>
#endif

#include <nlohmann/json.hpp>

#include <fstream>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

TEST_CASE("suite names follow the IANA registry") {
  CHECK(sframe::suite_name(1) == "AES_128_CTR_HMAC_SHA256_80");
  CHECK(sframe::suite_name(4) == "AES_128_GCM_SHA256_128");
  CHECK(sframe::suite_name(5) == "AES_256_GCM_SHA512_128");
  CHECK(sframe::suite_name(8) == "AES_256_CTR_HMAC_SHA512_32");
  CHECK(sframe::suite_name(9) == "unassigned");
  CHECK(sframe::suite_name(0xF123) == "private_use");
}

TEST_CASE("Suite5 (libsodium) has the registered parameters") {
  using S = sframe::Suite5;
  static_assert(S::id == 0x0005);
  static_assert(S::key_bytes == 32 && S::nonce_bytes == 12 && S::tag_bytes == 16 && S::hash_bytes == 64);
  static_assert(std::is_same_v<S::cipher_type, sodium::Aes256Gcm>);
  CHECK(S::name == "AES_256_GCM_SHA512_128");
  CHECK(S::available() == sodium::Aes256Gcm::available());
  // A private-use suite may bind any AEAD, e.g. ChaCha20-Poly1305 on machines without AES-NI.
  using Chacha = sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>;
  static_assert(sframe::CipherSuite<Chacha>);
  CHECK(Chacha::name == "private_use");
}

#if defined(FRAMESEAL_TEST_OPENSSL)
TEST_CASE("OpenSSL suites have the registered parameters") {
  using namespace sframe;
  static_assert(Suite1::key_bytes == 48 && Suite1::tag_bytes == 10 && Suite1::hash_bytes == 32);
  static_assert(Suite2::key_bytes == 48 && Suite2::tag_bytes == 8 && Suite2::hash_bytes == 32);
  static_assert(Suite3::key_bytes == 48 && Suite3::tag_bytes == 4 && Suite3::hash_bytes == 32);
  static_assert(Suite4::key_bytes == 16 && Suite4::tag_bytes == 16 && Suite4::hash_bytes == 32);
  static_assert(Suite5Openssl::key_bytes == 32 && Suite5Openssl::tag_bytes == 16 &&
                Suite5Openssl::hash_bytes == 64);
  static_assert(Suite6::key_bytes == 96 && Suite6::tag_bytes == 10 && Suite6::hash_bytes == 64);
  static_assert(Suite7::key_bytes == 96 && Suite7::tag_bytes == 8 && Suite7::hash_bytes == 64);
  static_assert(Suite8::key_bytes == 96 && Suite8::tag_bytes == 4 && Suite8::hash_bytes == 64);
  CHECK(Suite1::name == "AES_128_CTR_HMAC_SHA256_80");
  CHECK(Suite5Openssl::name == Suite5::name);
  CHECK(Suite1::available());
  CHECK(Suite4::available());
  CHECK(Suite8::available());
}

namespace {
template <class S>
void check_ctr_hmac(const nlohmann::json& v) {
  using C = typename S::cipher_type;
  const Bytes key = from_hex(v["key"].get<std::string>());
  REQUIRE(key.size() == C::key_bytes);
  CHECK(to_hex(BytesIn(key).first(C::enc_key_bytes)) == v["enc_key"].get<std::string>());
  CHECK(to_hex(BytesIn(key).subspan(C::enc_key_bytes)) == v["auth_key"].get<std::string>());
  auto c = C::create(std::span<const std::uint8_t, C::key_bytes>(key.data(), key.size())).value();
  const Bytes nonce = from_hex(v["nonce"].get<std::string>());
  const std::span<const std::uint8_t, 12> n(nonce.data(), 12);
  const Bytes aad = from_hex(v["aad"].get<std::string>());
  const Bytes pt = from_hex(v["pt"].get<std::string>());
  const Bytes ct = from_hex(v["ct"].get<std::string>());
  fstest::Guarded out(pt.size() + C::tag_bytes);
  auto sealed = c.seal(out.span(), pt, aad, n);
  REQUIRE(sealed.has_value());
  CHECK(to_hex(*sealed) == to_hex(ct));
  CHECK(out.guard_intact());
  fstest::Guarded back(pt.size());
  auto opened = c.open(back.span(), ct, aad, n);
  REQUIRE(opened.has_value());
  CHECK(to_hex(*opened) == to_hex(pt));
  CHECK(back.guard_intact());
}
}  // namespace

TEST_CASE("RFC 9605 C.2: the three AES-CTR-HMAC AEAD cases through the suite ciphers") {
  std::ifstream f(fstest::vectors_dir() + "/sframe/rfc9605-test-vectors.json");
  REQUIRE(f.good());
  const auto j = nlohmann::json::parse(f);
  REQUIRE(j["aes_ctr_hmac"].size() == 3);
  std::size_t checked = 0;
  for (const auto& v : j["aes_ctr_hmac"]) {
    const auto id = v["cipher_suite"].get<int>();
    CAPTURE(id);
    if (id == 1)
      check_ctr_hmac<sframe::Suite1>(v);
    else if (id == 2)
      check_ctr_hmac<sframe::Suite2>(v);
    else if (id == 3)
      check_ctr_hmac<sframe::Suite3>(v);
    else
      FAIL("unexpected suite");
    ++checked;
  }
  CHECK(checked == 3);
  MESSAGE("aes_ctr_hmac vectors checked: " << checked);
}
#endif
