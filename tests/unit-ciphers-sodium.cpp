#include <thread>

#include "cipher_contract.hpp"
#include "common.hpp"

// Tests of include/frameseal/ciphers/sodium.hpp: sodium::Aes256Gcm and sodium::ChaCha20Poly1305.

using frameseal::Errc;
using fstest::AeadKat;
using fstest::Bytes;
namespace sodium = frameseal::sodium;

FSTEST_CIPHER_CONTRACT_TESTS("sodium", sodium::Aes256Gcm, sodium::ChaCha20Poly1305);

namespace {

// RFC 8439 §2.8.2 (AEAD_CHACHA20_POLY1305 example): the "sunscreen" plaintext.
AeadKat rfc8439_2_8_2() {
  const std::string_view text =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
      "sunscreen would be it.";
  return {"RFC 8439 2.8.2",
          "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
          "070000004041424344454647",
          "50515253c0c1c2c3c4c5c6c7",
          fstest::to_hex(frameseal::as_bytes(text)),
          "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
          "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          "3ff4def08e4b7a9de576d26586cec64b6116"
          "1ae10b594f09e26a7e902ecbd0600691"};
}

}  // namespace

TEST_CASE("sodium::Aes256Gcm: GCM spec test cases 13-16") {
  if (!sodium::Aes256Gcm::available()) {
    MESSAGE("no AES-NI/PCLMUL: libsodium AES-256-GCM unavailable, known answers skipped");
    return;
  }
  for (const auto& k : fstest::gcm_aes256_kats()) fstest::check_kat<sodium::Aes256Gcm>(k);
}

TEST_CASE("sodium::ChaCha20Poly1305: RFC 8439 2.8.2") {
  fstest::check_kat<sodium::ChaCha20Poly1305>(rfc8439_2_8_2());
}

TEST_CASE("sodium::Aes256Gcm: create matches available(), never crashes") {
  const Bytes key(32, 7);
  auto r = sodium::Aes256Gcm::create(std::span<const std::uint8_t, 32>(key.data(), 32));
  if (sodium::Aes256Gcm::available()) {
    CHECK(r.has_value());
  } else {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == Errc::backend_unavailable);
  }
  CHECK(sodium::ChaCha20Poly1305::available());
}

TEST_CASE("sodium: constants and names") {
  static_assert(sodium::Aes256Gcm::key_bytes == 32 && sodium::Aes256Gcm::nonce_bytes == 12 &&
                sodium::Aes256Gcm::tag_bytes == 16);
  static_assert(sodium::ChaCha20Poly1305::key_bytes == 32 && sodium::ChaCha20Poly1305::nonce_bytes == 12 &&
                sodium::ChaCha20Poly1305::tag_bytes == 16);
  CHECK(sodium::Aes256Gcm::name == "aes256gcm");
  CHECK(sodium::ChaCha20Poly1305::name == "chacha20poly1305");
  // The libsodium state must sit on a 16-byte boundary wherever the instance lives.
  static_assert(alignof(sodium::Aes256Gcm) >= 16);
}

TEST_CASE("sodium: instances are immutable, usable from several threads") {
  // seal/open are const: concurrent use of one instance is part of the contract for this backend.
  const Bytes key = fstest::pseudo_random(32, 5);
  const auto c = fstest::make_cipher<sodium::ChaCha20Poly1305>(key);
  const Bytes nonce(12, 1), pt = fstest::pseudo_random(1000, 6);
  Bytes expect(pt.size() + 16);
  REQUIRE(c.seal(expect, pt, {}, fstest::nonce_span<sodium::ChaCha20Poly1305>(nonce)).has_value());
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Bytes out(pt.size() + 16), back(pt.size());
      int good = 0;
      for (int i = 0; i < 200; ++i) {
        auto s = c.seal(out, pt, {}, std::span<const std::uint8_t, 12>(nonce.data(), 12));
        auto o = c.open(back, out, {}, std::span<const std::uint8_t, 12>(nonce.data(), 12));
        good += (s.has_value() && o.has_value() && out == expect && back == pt) ? 1 : 0;
      }
      ok[static_cast<std::size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int g : ok) CHECK(g == 200);
}
