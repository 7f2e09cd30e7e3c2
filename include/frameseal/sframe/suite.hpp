// frameseal/sframe/suite.hpp: SFrame cipher suites (RFC 9605 §4.5) as types.
//
// Suite<Id, C, Hash> binds the 16-bit suite id (it goes into the key schedule) to a Cipher backend
// (the AEAD: Nk = C::key_bytes, Nn = C::nonce_bytes, Nt = C::tag_bytes) and to the hash of the key
// schedule (Nh, HKDF on libsodium's HMAC). For the registered ids 0x0001-0x0008 a static_assert
// checks the cipher and hash against the IANA table, so a mis-assembled suite (say AES-256 under
// id 4) cannot be written: it would silently fail to interoperate.
//
//   id      name                          cipher                               hash     header
//   0x0001  AES_128_CTR_HMAC_SHA256_80    openssl::AesCtr128HmacSha256_80      SHA-256
//   sframe/openssl_suites.hpp 0x0002  AES_128_CTR_HMAC_SHA256_64    openssl::AesCtr128HmacSha256_64 SHA-256
//   sframe/openssl_suites.hpp 0x0003  AES_128_CTR_HMAC_SHA256_32    openssl::AesCtr128HmacSha256_32 SHA-256
//   sframe/openssl_suites.hpp 0x0004  AES_128_GCM_SHA256_128        openssl::Aes128Gcm SHA-256
//   sframe/openssl_suites.hpp 0x0005  AES_256_GCM_SHA512_128        sodium::Aes256Gcm (Suite5, core) SHA-512
//   this header
//                                         openssl::Aes256Gcm (Suite5Openssl) sframe/openssl_suites.hpp
//   0x0006-8 AES_256_CTR_HMAC_SHA512_80/64/32 (post-RFC draft) openssl::AesCtr256HmacSha512_*
//   sframe/openssl_suites.hpp
// Ids 0xF000-0xFFFF are private use: any Cipher may be bound there (e.g. ChaCha20-Poly1305).
//
// Everything here is constexpr or stateless; the hash descriptors' HKDF functions are noexcept,
// allocate nothing and may run on any thread.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../ciphers/sodium.hpp"
#include "../error.hpp"
#include "../kdf.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sframe {

// Hash descriptors for the key schedule: HKDF-Extract / HKDF-Expand (RFC 5869) with this hash.
struct Sha256 {
  static constexpr std::size_t hash_bytes = 32;
  static constexpr std::string_view name = "sha256";
  static Errc extract(BytesIn salt, BytesIn ikm, std::span<std::uint8_t, hash_bytes> prk) noexcept {
    return hkdf_sha256_extract(salt, ikm, prk);
  }
  static Errc expand(BytesIn prk, BytesIn info, BytesOut out) noexcept {
    return hkdf_sha256_expand(prk, info, out);
  }
};

struct Sha512 {
  static constexpr std::size_t hash_bytes = 64;
  static constexpr std::string_view name = "sha512";
  static Errc extract(BytesIn salt, BytesIn ikm, std::span<std::uint8_t, hash_bytes> prk) noexcept {
    return hkdf_sha512_extract(salt, ikm, prk);
  }
  static Errc expand(BytesIn prk, BytesIn info, BytesOut out) noexcept {
    return hkdf_sha512_expand(prk, info, out);
  }
};

// What the key schedule needs of a hash: its length Nh and HKDF-Extract / HKDF-Expand over it.
template <class H>
concept ScheduleHash = requires(BytesIn in, BytesOut out, std::span<std::uint8_t, H::hash_bytes> prk) {
  { H::extract(in, in, prk) }
  noexcept->std::same_as<Errc>;
  { H::expand(in, in, out) }
  noexcept->std::same_as<Errc>;
};
static_assert(ScheduleHash<Sha256> && ScheduleHash<Sha512>);

// The IANA registry (RFC 9605 §8.1, plus the post-RFC AES-256-CTR suites).
[[nodiscard]] constexpr std::string_view suite_name(std::uint16_t id) noexcept {
  switch (id) {
    case 0x0001:
      return "AES_128_CTR_HMAC_SHA256_80";
    case 0x0002:
      return "AES_128_CTR_HMAC_SHA256_64";
    case 0x0003:
      return "AES_128_CTR_HMAC_SHA256_32";
    case 0x0004:
      return "AES_128_GCM_SHA256_128";
    case 0x0005:
      return "AES_256_GCM_SHA512_128";
    case 0x0006:
      return "AES_256_CTR_HMAC_SHA512_80";
    case 0x0007:
      return "AES_256_CTR_HMAC_SHA512_64";
    case 0x0008:
      return "AES_256_CTR_HMAC_SHA512_32";
    default:
      return id >= 0xF000 ? "private_use" : "unassigned";
  }
}

namespace detail {
struct SuiteParams {
  std::size_t nh, nk, nn, nt;
};
// Nh, Nk, Nn, Nt of the registered suites; {0,...} for the others.
[[nodiscard]] constexpr SuiteParams registered_params(std::uint16_t id) noexcept {
  switch (id) {
    case 0x0001:
      return {32, 48, 12, 10};
    case 0x0002:
      return {32, 48, 12, 8};
    case 0x0003:
      return {32, 48, 12, 4};
    case 0x0004:
      return {32, 16, 12, 16};
    case 0x0005:
      return {64, 32, 12, 16};
    case 0x0006:
      return {64, 96, 12, 10};
    case 0x0007:
      return {64, 96, 12, 8};
    case 0x0008:
      return {64, 96, 12, 4};
    default:
      return {0, 0, 0, 0};
  }
}
template <std::uint16_t Id, std::size_t Nh, std::size_t Nk, std::size_t Nn, std::size_t Nt>
constexpr bool matches_registry() noexcept {
  constexpr SuiteParams p = registered_params(Id);
  return p.nh == 0 || (p.nh == Nh && p.nk == Nk && p.nn == Nn && p.nt == Nt);
}
}  // namespace detail

template <std::uint16_t Id, Cipher C, ScheduleHash Hash>
struct Suite {
  static_assert(Id != 0x0000, "suite id 0x0000 is reserved");
  // The nonce is salt XOR CTR right-aligned, and CTR is 64-bit.
  static_assert(C::nonce_bytes >= 8, "SFrame needs a nonce of at least 8 bytes");
  static_assert(detail::matches_registry<Id, Hash::hash_bytes, C::key_bytes, C::nonce_bytes, C::tag_bytes>(),
                "cipher or hash does not match the registered parameters of this suite id");

  static constexpr std::uint16_t id = Id;
  using cipher_type = C;
  using hash_type = Hash;
  static constexpr std::size_t key_bytes = C::key_bytes;       // Nk
  static constexpr std::size_t nonce_bytes = C::nonce_bytes;   // Nn
  static constexpr std::size_t tag_bytes = C::tag_bytes;       // Nt
  static constexpr std::size_t hash_bytes = Hash::hash_bytes;  // Nh
  static constexpr std::string_view name = suite_name(Id);

  [[nodiscard]] static bool available() noexcept { return C::available(); }
};

template <class S>
concept CipherSuite = requires {
  { S::id } -> std::convertible_to<std::uint16_t>;
  typename S::cipher_type;
  typename S::hash_type;
  { S::name } -> std::convertible_to<std::string_view>;
}
&&Cipher<typename S::cipher_type>&& ScheduleHash<typename S::hash_type>&& S::key_bytes ==
    S::cipher_type::key_bytes&& S::nonce_bytes == S::cipher_type::nonce_bytes&& S::tag_bytes ==
    S::cipher_type::tag_bytes&& S::hash_bytes == S::hash_type::hash_bytes&& S::nonce_bytes >= 8;

// AES_256_GCM_SHA512_128 on libsodium: the one RFC suite libsodium alone can provide (it has
// AES-256-GCM, hardware-gated, but no AES-128 and no AES-CTR). The others: sframe/openssl_suites.hpp.
using Suite5 = Suite<0x0005, sodium::Aes256Gcm, Sha512>;

static_assert(CipherSuite<Suite5>);

}  // namespace sframe
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
