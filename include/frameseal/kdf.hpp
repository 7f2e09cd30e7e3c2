// frameseal/kdf.hpp: HKDF (SHA-256, SHA-512), PBKDF2-HMAC-SHA256 and the LiveKit KDF policies, on
// libsodium alone.
//
// HKDF follows RFC 5869: an empty salt means HashLen zero bytes. With libsodium >= 1.0.19 the native
// crypto_kdf_hkdf_* calls are used; 1.0.18 (Debian 12) has none, so HKDF is built on
// crypto_auth_hmacsha256/512, which compute the same function (define FRAMESEAL_CONFIG_PORTABLE_HKDF
// to always take that path). PBKDF2 (RFC 8018) is built on libsodium's HMAC-SHA256 with the keyed
// inner/outer state computed once per password (LiveKit's 100000 iterations: ~30 ms on a 2.6 GHz
// x86-64); OpenSSL's PKCS5_PBKDF2_HMAC uses the SHA extensions and is ~1.7x faster there
// (openssl::pbkdf2_hmac_sha256 in ciphers/openssl.hpp) and computes identical bytes.
//
// A KDF policy (what KeyRing<C, Kdf> takes) is a type with
//   static constexpr std::string_view name;
//   Errc derive(BytesIn material, BytesIn salt, BytesOut out) const noexcept;
// that fills all of out, and optionally `static constexpr bool prefix_extendable = true` when the
// first bytes of the output do not depend on its length (then KeyRing derives AESKey(m) and
// Ratchet(m) in one call). Hkdf, Pbkdf2 and the runtime-selectable LivekitKdf use LiveKit's exact
// parameters (HKDF info = 128 zero bytes; PBKDF2 100000 iterations), so AESKey(m) = derive(m, salt,
// 16 bytes) and Ratchet(m) = derive(m, salt, 32 bytes). Empty material is Errc::invalid_argument.
//
// Contract: every function is noexcept, allocates nothing and is safe to call from several threads
// at once (no shared state). On an error out is left zeroed where it was touched. out must not
// overlap HKDF's info or PBKDF2's salt (Errc::invalid_argument): those are read again for every
// output block (overlapping the IKM, password or HKDF salt is fine: they are consumed before out is
// written). Intermediate values (PRK, HMAC states, PBKDF2 blocks) are wiped before returning.
#pragma once

#include <sodium.h>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "bytes.hpp"
#include "detail/sodium.hpp"
#include "error.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

namespace detail {

// Any shared byte, exact aliasing included (overlaps_partially deliberately allows that one).
[[nodiscard]] inline bool overlaps_any(BytesIn a, BytesOut b) noexcept {
  if (a.empty() || b.empty()) return false;
  const auto x = reinterpret_cast<std::uintptr_t>(a.data());
  const auto y = reinterpret_cast<std::uintptr_t>(b.data());
  return x < y + b.size() && y < x + a.size();
}

// HMAC over libsodium for the two hashes HKDF needs, as a traits type so HKDF and PBKDF2 are written
// once. State copies are plain struct copies: keying once and copying per block is the whole point.
struct HmacSha256 {
  static constexpr std::size_t hash_bytes = crypto_auth_hmacsha256_BYTES;
  using State = crypto_auth_hmacsha256_state;
  static void init(State& s, BytesIn key) noexcept {
    crypto_auth_hmacsha256_init(&s, sodium_in(key), key.size());
  }
  static void update(State& s, BytesIn data) noexcept {
    if (!data.empty()) crypto_auth_hmacsha256_update(&s, data.data(), data.size());
  }
  static void finish(State& s, std::uint8_t* mac) noexcept { crypto_auth_hmacsha256_final(&s, mac); }
#if defined(crypto_kdf_hkdf_sha256_KEYBYTES) && !defined(FRAMESEAL_CONFIG_PORTABLE_HKDF)
  static constexpr bool native_hkdf = true;  // libsodium >= 1.0.19 (its expand takes a 32-byte PRK)
  static int native_extract(std::uint8_t* prk, BytesIn salt, BytesIn ikm) noexcept {
    return crypto_kdf_hkdf_sha256_extract(prk, sodium_in(salt), salt.size(), sodium_in(ikm), ikm.size());
  }
  static int native_expand(BytesOut out, BytesIn info, const std::uint8_t* prk) noexcept {
    return crypto_kdf_hkdf_sha256_expand(out.data(), out.size(),
                                         reinterpret_cast<const char*>(sodium_in(info)), info.size(), prk);
  }
#else
  static constexpr bool native_hkdf = false;
#endif
};

struct HmacSha512 {
  static constexpr std::size_t hash_bytes = crypto_auth_hmacsha512_BYTES;
  using State = crypto_auth_hmacsha512_state;
  static void init(State& s, BytesIn key) noexcept {
    crypto_auth_hmacsha512_init(&s, sodium_in(key), key.size());
  }
  static void update(State& s, BytesIn data) noexcept {
    if (!data.empty()) crypto_auth_hmacsha512_update(&s, data.data(), data.size());
  }
  static void finish(State& s, std::uint8_t* mac) noexcept { crypto_auth_hmacsha512_final(&s, mac); }
#if defined(crypto_kdf_hkdf_sha512_KEYBYTES) && !defined(FRAMESEAL_CONFIG_PORTABLE_HKDF)
  static constexpr bool native_hkdf = true;
  static int native_extract(std::uint8_t* prk, BytesIn salt, BytesIn ikm) noexcept {
    return crypto_kdf_hkdf_sha512_extract(prk, sodium_in(salt), salt.size(), sodium_in(ikm), ikm.size());
  }
  static int native_expand(BytesOut out, BytesIn info, const std::uint8_t* prk) noexcept {
    return crypto_kdf_hkdf_sha512_expand(out.data(), out.size(),
                                         reinterpret_cast<const char*>(sodium_in(info)), info.size(), prk);
  }
#else
  static constexpr bool native_hkdf = false;
#endif
};

template <class H>
void hkdf_extract_portable(BytesIn salt, BytesIn ikm, std::uint8_t* prk) noexcept {
  // HMAC zero-pads its key to the block size, so an empty salt already equals HashLen zero bytes;
  // spelling it out keeps the RFC 5869 rule visible.
  static constexpr std::array<std::uint8_t, H::hash_bytes> zero_salt{};
  typename H::State st;
  H::init(st, salt.empty() ? BytesIn(zero_salt) : salt);
  H::update(st, ikm);
  H::finish(st, prk);
  sodium_memzero(&st, sizeof st);
}

template <class H>
Errc hkdf_expand_portable(BytesIn prk, BytesIn info, BytesOut out) noexcept {
  typename H::State keyed;
  typename H::State st;
  std::array<std::uint8_t, H::hash_bytes> t{};
  H::init(keyed, prk);
  std::size_t done = 0;
  for (unsigned counter = 1; done < out.size(); ++counter) {
    st = keyed;
    if (counter > 1) H::update(st, t);  // T(i) = HMAC(PRK, T(i-1) || info || i)
    H::update(st, info);
    const std::uint8_t c = static_cast<std::uint8_t>(counter);
    H::update(st, BytesIn(&c, 1));
    H::finish(st, t.data());
    const std::size_t n = out.size() - done < t.size() ? out.size() - done : t.size();
    std::memcpy(out.data() + done, t.data(), n);
    done += n;
  }
  sodium_memzero(&keyed, sizeof keyed);
  sodium_memzero(&st, sizeof st);
  sodium_memzero(t.data(), t.size());
  return Errc::ok;
}

template <class H>
[[nodiscard]] Errc check_expand_args(BytesIn prk, BytesIn info, BytesOut out) noexcept {
  if (out.size() > 255 * H::hash_bytes) return Errc::invalid_argument;  // RFC 5869: L <= 255*HashLen
  if (prk.empty()) return Errc::invalid_argument;
  if (overlaps_any(info, out)) return Errc::invalid_argument;
  return Errc::ok;
}

// HKDF over hash H (RFC 5869), written once for SHA-256 and SHA-512: the native libsodium call
// where there is one, else the portable HMAC construction (same bytes).
template <class H>
Errc hkdf_extract(BytesIn salt, BytesIn ikm, std::span<std::uint8_t, H::hash_bytes> prk) noexcept {
  if constexpr (H::native_hkdf) {
    if (H::native_extract(prk.data(), salt, ikm) != 0) {
      sodium_memzero(prk.data(), prk.size());
      return Errc::internal_error;
    }
  } else {
    hkdf_extract_portable<H>(salt, ikm, prk.data());
  }
  return Errc::ok;
}

template <class H>
Errc hkdf_expand(BytesIn prk, BytesIn info, BytesOut out) noexcept {
  if (const Errc e = check_expand_args<H>(prk, info, out); e != Errc::ok) return e;
  if (out.empty()) return Errc::ok;
  if constexpr (H::native_hkdf) {
    if (prk.size() == H::hash_bytes) {  // the native call takes exactly HashLen; RFC 5869 allows longer
      if (H::native_expand(out, info, prk.data()) != 0) {
        sodium_memzero(out.data(), out.size());
        return Errc::internal_error;
      }
      return Errc::ok;
    }
  }
  return hkdf_expand_portable<H>(prk, info, out);
}

template <class H>
Errc hkdf(BytesIn ikm, BytesIn salt, BytesIn info, BytesOut out) noexcept {
  if (out.size() > 255 * H::hash_bytes || overlaps_any(info, out)) return Errc::invalid_argument;
  std::array<std::uint8_t, H::hash_bytes> prk{};
  Errc e = hkdf_extract<H>(salt, ikm, prk);
  if (e == Errc::ok) e = hkdf_expand<H>(prk, info, out);
  sodium_memzero(prk.data(), prk.size());
  return e;
}

}  // namespace detail

// ---- HKDF-SHA256 and HKDF-SHA512 (RFC 5869; SHA-512 for SFrame suites 0x0005-0x0008) ----
// extract: PRK = HMAC-Hash(salt, ikm); salt may be empty (HashLen zeros), ikm may be empty.
// expand: OKM = T(1) || T(2) || ... truncated to out.size() (at most 255 * HashLen bytes); prk is
//   normally extract's output, RFC 5869 allows a longer one (then the portable path runs).
// hkdf: extract then expand; the PRK lives on the stack only while this runs and is wiped.

inline constexpr std::size_t hkdf_sha256_prk_bytes = detail::HmacSha256::hash_bytes;
inline constexpr std::size_t hkdf_sha512_prk_bytes = detail::HmacSha512::hash_bytes;

inline Errc hkdf_sha256_extract(BytesIn salt, BytesIn ikm, std::span<std::uint8_t, 32> prk) noexcept {
  return detail::hkdf_extract<detail::HmacSha256>(salt, ikm, prk);
}
inline Errc hkdf_sha256_expand(BytesIn prk, BytesIn info, BytesOut out) noexcept {
  return detail::hkdf_expand<detail::HmacSha256>(prk, info, out);
}
inline Errc hkdf_sha256(BytesIn ikm, BytesIn salt, BytesIn info, BytesOut out) noexcept {
  return detail::hkdf<detail::HmacSha256>(ikm, salt, info, out);
}
inline Errc hkdf_sha512_extract(BytesIn salt, BytesIn ikm, std::span<std::uint8_t, 64> prk) noexcept {
  return detail::hkdf_extract<detail::HmacSha512>(salt, ikm, prk);
}
inline Errc hkdf_sha512_expand(BytesIn prk, BytesIn info, BytesOut out) noexcept {
  return detail::hkdf_expand<detail::HmacSha512>(prk, info, out);
}
inline Errc hkdf_sha512(BytesIn ikm, BytesIn salt, BytesIn info, BytesOut out) noexcept {
  return detail::hkdf<detail::HmacSha512>(ikm, salt, info, out);
}

// ---- PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) ----

// Fills out with PBKDF2-HMAC-SHA256(password, salt, iterations). iterations == 0 is
// Errc::invalid_argument. Cost: 2 SHA-256 compressions per iteration per 32 bytes of out.
inline Errc pbkdf2_hmac_sha256(BytesIn password, BytesIn salt, std::uint32_t iterations,
                               BytesOut out) noexcept {
  using H = detail::HmacSha256;
  if (iterations == 0 || detail::overlaps_any(salt, out)) return Errc::invalid_argument;
  if (out.size() / H::hash_bytes >= 0xffffffffu) return Errc::invalid_argument;  // block index is 32-bit
  if (out.empty()) return Errc::ok;

  H::State keyed;  // HMAC keyed with the password: ipad/opad absorbed once, copied per iteration
  H::State st;
  std::array<std::uint8_t, H::hash_bytes> u{};
  std::array<std::uint8_t, H::hash_bytes> t{};
  H::init(keyed, password);
  std::size_t done = 0;
  for (std::uint32_t block = 1; done < out.size(); ++block) {
    std::uint8_t be[4];
    store_be32(be, block);
    st = keyed;
    H::update(st, salt);
    H::update(st, BytesIn(be, 4));
    H::finish(st, u.data());  // U_1 = PRF(P, S || INT(i))
    t = u;
    for (std::uint32_t j = 1; j < iterations; ++j) {
      st = keyed;
      H::update(st, u);
      H::finish(st, u.data());  // U_j = PRF(P, U_{j-1})
      for (std::size_t k = 0; k < t.size(); ++k) t[k] ^= u[k];
    }
    const std::size_t n = out.size() - done < t.size() ? out.size() - done : t.size();
    std::memcpy(out.data() + done, t.data(), n);
    done += n;
  }
  sodium_memzero(&keyed, sizeof keyed);
  sodium_memzero(&st, sizeof st);
  sodium_memzero(u.data(), u.size());
  sodium_memzero(t.data(), t.size());
  return Errc::ok;
}

// ---- LiveKit KDF policies ----

// The KDF policy shape KeyRing<C, Kdf> takes (see the header comment): a name, and derive() that
// fills all of out from (material, salt), noexcept. prefix_extendable is optional.
template <class K>
concept KdfPolicy = std::copy_constructible<K> &&
    requires(const K k, BytesIn material, BytesIn salt, BytesOut out) {
  { K::name } -> std::convertible_to<std::string_view>;
  { k.derive(material, salt, out) }
  noexcept->std::same_as<Errc>;
};

// livekit-client utils.ts getAlgoOptions: HKDF info is new ArrayBuffer(128), i.e. 128 zero bytes;
// webrtc-sdk's DeriveHkdfSha256FromSecret uses the same ("128 bytes of zeros").
inline constexpr std::array<std::uint8_t, 128> livekit_hkdf_info{};
inline constexpr std::uint32_t livekit_pbkdf2_iterations = 100000;

// HKDF-SHA256(IKM = material, salt = ratchet salt, info = 128 zero bytes): livekit-client's mode for
// ArrayBuffer keys (createKeyMaterialFromBuffer) and webrtc-sdk's kHKDF.
struct Hkdf {
  static constexpr std::string_view name = "hkdf";
  // The first bytes of the output do not depend on its length (HKDF T(1).., PBKDF2 T_1..), so
  // AESKey(m) is a prefix of Ratchet(m): the key ring derives both with one call.
  static constexpr bool prefix_extendable = true;
  Errc derive(BytesIn material, BytesIn salt, BytesOut out) const noexcept {
    if (material.empty()) return Errc::invalid_argument;
    return hkdf_sha256(material, salt, livekit_hkdf_info, out);
  }
};

// The PBKDF2 implementation LivekitKdf and BasicPbkdf2 call; ciphers/openssl.hpp offers a faster one
// with the same signature (openssl::pbkdf2_hmac_sha256).
using Pbkdf2Fn = Errc (*)(BytesIn password, BytesIn salt, std::uint32_t iterations, BytesOut out) noexcept;

// PBKDF2-HMAC-SHA256(P = material, S = ratchet salt, c = iterations): livekit-client's mode for
// string keys (createKeyMaterialFromString, UTF-8 bytes) and the native SDKs' default kPBKDF2, on
// the implementation Impl (Pbkdf2 here, openssl::Pbkdf2 on OpenSSL's).
template <Pbkdf2Fn Impl>
struct BasicPbkdf2 {
  static constexpr std::string_view name = "pbkdf2";
  // The first bytes of the output do not depend on its length (HKDF T(1).., PBKDF2 T_1..), so
  // AESKey(m) is a prefix of Ratchet(m): the key ring derives both with one call.
  static constexpr bool prefix_extendable = true;
  std::uint32_t iterations = livekit_pbkdf2_iterations;
  Errc derive(BytesIn material, BytesIn salt, BytesOut out) const noexcept {
    if (material.empty()) return Errc::invalid_argument;
    return Impl(material, salt, iterations, out);
  }
};
using Pbkdf2 = BasicPbkdf2<&pbkdf2_hmac_sha256>;

enum class KdfAlgorithm : std::uint8_t { hkdf, pbkdf2 };

[[nodiscard]] constexpr std::string_view to_string(KdfAlgorithm a) noexcept {
  switch (a) {
    case KdfAlgorithm::hkdf:
      return "hkdf";
    case KdfAlgorithm::pbkdf2:
      return "pbkdf2";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::optional<KdfAlgorithm> kdf_algorithm_from_string(std::string_view s) noexcept {
  if (s == "hkdf") return KdfAlgorithm::hkdf;
  if (s == "pbkdf2") return KdfAlgorithm::pbkdf2;
  return std::nullopt;
}

// The KDF chosen at run time, as the LiveKit SDKs do (KeyProviderOptions key derivation algorithm).
// PBKDF2 is the native SDKs' default, but HKDF is this struct's default because livekit-client's
// setKey(ArrayBuffer) uses it and the project's vectors lead with it; set algorithm explicitly.
struct LivekitKdf {
  static constexpr std::string_view name = "livekit";
  // The first bytes of the output do not depend on its length (HKDF T(1).., PBKDF2 T_1..), so
  // AESKey(m) is a prefix of Ratchet(m): the key ring derives both with one call.
  static constexpr bool prefix_extendable = true;
  KdfAlgorithm algorithm = KdfAlgorithm::hkdf;
  std::uint32_t pbkdf2_iterations = livekit_pbkdf2_iterations;
  Pbkdf2Fn pbkdf2 = &pbkdf2_hmac_sha256;

  Errc derive(BytesIn material, BytesIn salt, BytesOut out) const noexcept {
    if (material.empty()) return Errc::invalid_argument;
    switch (algorithm) {
      case KdfAlgorithm::hkdf:
        return hkdf_sha256(material, salt, livekit_hkdf_info, out);
      case KdfAlgorithm::pbkdf2:
        if (pbkdf2 == nullptr) return Errc::invalid_argument;
        return pbkdf2(material, salt, pbkdf2_iterations, out);
    }
    return Errc::invalid_argument;
  }
};

static_assert(KdfPolicy<Hkdf>);
static_assert(KdfPolicy<Pbkdf2>);
static_assert(KdfPolicy<LivekitKdf>);

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
