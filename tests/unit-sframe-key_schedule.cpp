// sframe/key_schedule.hpp: labels, sframe_secret, sframe_key, sframe_salt and nonce of all five
// RFC 9605 C.3 vectors (and the three post-RFC ones), the sender-key ratchet against known answers
// computed independently (Python hashlib/hmac, RFC 9605 §5.1), and the error contract.
//
// The key schedule needs only the suite's sizes and hash, so the suites whose AEAD needs OpenSSL
// are stood in for by a key-only cipher type here: these checks run in every build.
#include "common.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

// Models the Cipher concept with the sizes of a registered AEAD; never seals anything.
template <std::size_t K, std::size_t T>
struct KeyOnly {
  static constexpr std::size_t key_bytes = K;
  static constexpr std::size_t nonce_bytes = 12;
  static constexpr std::size_t tag_bytes = T;
  static constexpr std::string_view name = "key-only";
  static bool available() noexcept { return true; }
  static Result<KeyOnly> create(std::span<const std::uint8_t, K>) noexcept { return KeyOnly{}; }
  Result<BytesOut> seal(BytesOut, BytesIn, BytesIn, std::span<const std::uint8_t, 12>) noexcept {
    return Errc::internal_error;
  }
  Result<BytesOut> open(BytesOut, BytesIn, BytesIn, std::span<const std::uint8_t, 12>) noexcept {
    return Errc::internal_error;
  }
};

using S1 = sframe::Suite<1, KeyOnly<48, 10>, sframe::Sha256>;
using S2 = sframe::Suite<2, KeyOnly<48, 8>, sframe::Sha256>;
using S3 = sframe::Suite<3, KeyOnly<48, 4>, sframe::Sha256>;
using S4 = sframe::Suite<4, KeyOnly<16, 16>, sframe::Sha256>;
using S5 = sframe::Suite<5, KeyOnly<32, 16>, sframe::Sha512>;
using S6 = sframe::Suite<6, KeyOnly<96, 10>, sframe::Sha512>;
using S7 = sframe::Suite<7, KeyOnly<96, 8>, sframe::Sha512>;
using S8 = sframe::Suite<8, KeyOnly<96, 4>, sframe::Sha512>;

nlohmann::json load(const char* file) {
  std::ifstream f(fstest::vectors_dir() + "/sframe/" + file);
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

template <class S>
void check_vector(const nlohmann::json& v) {
  const auto kid = v["kid"].get<std::uint64_t>();
  const auto ctr = v["ctr"].get<std::uint64_t>();
  const Bytes base_key = from_hex(v["base_key"].get<std::string>());
  CHECK(to_hex(sframe::key_label(kid, S::id)) == v["sframe_key_label"].get<std::string>());
  CHECK(to_hex(sframe::salt_label(kid, S::id)) == v["sframe_salt_label"].get<std::string>());
  sframe::SframeSecret<S> secret;
  REQUIRE(sframe::derive_secret<S>(base_key, secret) == Errc::ok);
  CHECK(to_hex(secret.view()) == v["sframe_secret"].get<std::string>());
  sframe::KeyAndSalt<S> ks;
  REQUIRE(sframe::derive_key_and_salt<S>(secret, kid, ks) == Errc::ok);
  CHECK(to_hex(ks.key.view()) == v["sframe_key"].get<std::string>());
  CHECK(to_hex(ks.salt.view()) == v["sframe_salt"].get<std::string>());
  auto direct = sframe::derive_key_and_salt<S>(base_key, kid);
  REQUIRE(direct.has_value());
  CHECK(to_hex(direct->key.view()) == v["sframe_key"].get<std::string>());
  std::array<std::uint8_t, S::nonce_bytes> nonce{};
  sframe::make_nonce<S::nonce_bytes>(ks.salt.view(), ctr, nonce);
  CHECK(to_hex(nonce) == v["nonce"].get<std::string>());
}

template <class... Ss>
bool dispatch(std::uint16_t id, const nlohmann::json& v) {
  bool found = false;
  ((Ss::id == id ? (check_vector<Ss>(v), found = true) : false), ...);
  return found;
}

}  // namespace

TEST_CASE("RFC 9605 C.3: key schedule and nonce of all five suites") {
  const auto j = load("rfc9605-test-vectors.json");
  REQUIRE(j["sframe"].size() == 5);
  std::size_t checked = 0;
  for (const auto& v : j["sframe"]) {
    const auto id = v["cipher_suite"].get<std::uint16_t>();
    CAPTURE(id);
    REQUIRE(dispatch<S1, S2, S3, S4, S5>(id, v));
    ++checked;
  }
  CHECK(checked == 5);
}

TEST_CASE("post-RFC suites 0x0006-0x0008: key schedule and nonce") {
  const auto j = load("post-rfc-aes256-ctr-hmac-test-vectors.json");
  REQUIRE(j["sframe_aes_256_ctr_hmac"].size() == 3);
  for (const auto& v : j["sframe_aes_256_ctr_hmac"]) {
    const auto id = v["cipher_suite"].get<std::uint16_t>();
    CAPTURE(id);
    REQUIRE(dispatch<S6, S7, S8>(id, v));
  }
}

TEST_CASE("labels keep their trailing space and an 8-byte KID") {
  CHECK(to_hex(sframe::key_label(0x123, 1)) ==
        "534672616d6520312e3020536563726574206b657920"
        "0000000000000123"
        "0001");
  CHECK(sframe::key_label(0, 0).size() == 32);
  CHECK(sframe::salt_label(0, 0).size() == 33);
  CHECK(sframe::ratchet_label == "SFrame 1.0 Ratchet");
  CHECK(to_hex(sframe::key_label(~std::uint64_t{0}, 0xF00D)).substr(44) == "fffffffffffffffff00d");
}

TEST_CASE("sender-key ratchet (RFC 9605 §5.1) against independent known answers") {
  const Bytes bk = from_hex("000102030405060708090a0b0c0d0e0f");
  // base_key[i+1] = HKDF-Expand(HKDF-Extract("", base_key[i]), "SFrame 1.0 Ratchet", Nh), computed
  // with Python's hmac/hashlib; then the schedule of base_key[1] under KID (3 << 4) | 1.
  SUBCASE("SHA-256 suites") {
    sframe::SframeSecret<S4> s0, s1, s2;
    REQUIRE(sframe::derive_secret<S4>(bk, s0) == Errc::ok);
    SecretBytes<32> b1;
    REQUIRE(sframe::ratchet_base_key<S4>(s0, b1) == Errc::ok);
    CHECK(to_hex(b1.view()) == "fb75d8d5782da6c6cbf18ac43eca5da9e47f7e6ac7926a78e486226bd2af0f87");
    REQUIRE(sframe::ratchet_secret<S4>(s0, s1) == Errc::ok);
    SecretBytes<32> b2;
    REQUIRE(sframe::ratchet_base_key<S4>(s1, b2) == Errc::ok);
    CHECK(to_hex(b2.view()) == "e24577b569963f5222734f2f57c43927c10dd36180e6124cf9f10cd43ab4598e");
    sframe::KeyAndSalt<S4> ks;
    REQUIRE(sframe::derive_key_and_salt<S4>(s1, 0x31, ks) == Errc::ok);
    CHECK(to_hex(ks.key.view()) == "9c340254383f7b3b6de7e0933afb08f4");
    CHECK(to_hex(ks.salt.view()) == "20c90a095bbd56ed763fe4dc");
    REQUIRE(sframe::ratchet_secret<S4>(s1, s2) == Errc::ok);
    CHECK(to_hex(s2.view()) != to_hex(s1.view()));
    auto n1 = sframe::next_base_key<S4>(bk);
    REQUIRE(n1.has_value());
    CHECK(to_hex(n1->view()) == to_hex(b1.view()));
    CHECK(to_hex(sframe::next_base_key<S4>(n1->view()).value().view()) == to_hex(b2.view()));
    CHECK(sframe::next_base_key<S4>(BytesIn{}).error() == Errc::invalid_argument);
  }
  SUBCASE("SHA-512 suites") {
    sframe::SframeSecret<S5> s0, s1;
    REQUIRE(sframe::derive_secret<S5>(bk, s0) == Errc::ok);
    SecretBytes<64> b1;
    REQUIRE(sframe::ratchet_base_key<S5>(s0, b1) == Errc::ok);
    CHECK(to_hex(b1.view()) ==
          "895fe5603750295ccbe0d5ed9745617b46e9cf9b428179b8f29f3147492bb08f"
          "aa190560720ee0e4570760b64e7d5931120c391b7c7becc429ea35a9d07475aa");
    REQUIRE(sframe::ratchet_secret<S5>(s0, s1) == Errc::ok);
    SecretBytes<64> b2;
    REQUIRE(sframe::ratchet_base_key<S5>(s1, b2) == Errc::ok);
    CHECK(to_hex(b2.view()) ==
          "9e1d8cbe51504d0b940985abd6c33137027a3299388bc4d9f74fddb2c5145f74"
          "6edac8eb7c6217fe71efe5bfbd9ed0ec77a39539b518d8d6109b529384bb10c4");
    sframe::KeyAndSalt<S5> ks;
    REQUIRE(sframe::derive_key_and_salt<S5>(s1, 0x31, ks) == Errc::ok);
    CHECK(to_hex(sframe::next_base_key<S5>(bk).value().view()) == to_hex(b1.view()));
    CHECK(to_hex(ks.key.view()) == "0d74ecaf7502fb08a3aa8e8a299bcbdf24eee3e8e7e285ad8a18b23345fa3607");
    CHECK(to_hex(ks.salt.view()) == "e8392d3b900ce1125c62a17e");
  }
}

TEST_CASE("the KID and the suite id are bound into the keys") {
  const Bytes bk = from_hex("000102030405060708090a0b0c0d0e0f");
  auto a = sframe::derive_key_and_salt<S4>(bk, 1).value();
  auto b = sframe::derive_key_and_salt<S4>(bk, 2).value();
  CHECK(to_hex(a.key.view()) != to_hex(b.key.view()));
  CHECK(to_hex(a.salt.view()) != to_hex(b.salt.view()));
  using S4Private = sframe::Suite<0xF004, KeyOnly<16, 16>, sframe::Sha256>;
  auto c = sframe::derive_key_and_salt<S4Private>(bk, 1).value();
  CHECK(to_hex(a.key.view()) != to_hex(c.key.view()));
}

TEST_CASE("key schedule errors: empty base key, outputs wiped") {
  sframe::SframeSecret<S5> s;
  std::memset(s.data(), 0xAB, s.size());
  CHECK(sframe::derive_secret<S5>(BytesIn{}, s) == Errc::invalid_argument);
  CHECK(std::all_of(s.data(), s.data() + s.size(), [](std::uint8_t x) { return x == 0; }));
  CHECK(sframe::derive_key_and_salt<S5>(BytesIn{}, 1).error() == Errc::invalid_argument);
}

TEST_CASE("nonce: salt XOR CTR, right-aligned") {
  const Bytes salt = from_hex("000102030405060708090a0b");
  std::array<std::uint8_t, 12> n{};
  sframe::make_nonce<12>(std::span<const std::uint8_t, 12>(salt.data(), 12), 0, n);
  CHECK(to_hex(n) == "000102030405060708090a0b");
  sframe::make_nonce<12>(std::span<const std::uint8_t, 12>(salt.data(), 12), ~std::uint64_t{0}, n);
  CHECK(to_hex(n) == "00010203fbfaf9f8f7f6f5f4");
}
