// frameseal/sframe/key_schedule.hpp: the SFrame key schedule (RFC 9605 §4.4.2), the sender-key
// ratchet (§5.1) and the nonce (§4.4.3).
//
//   sframe_secret = HKDF-Extract(salt = "", IKM = base_key)        ("" = Nh zero bytes, RFC 5869)
//   sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  || u64be(KID) || u16be(suite), Nk)
//   sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " || u64be(KID) || u16be(suite), Nn)
//   base_key'     = HKDF-Expand(sframe_secret, "SFrame 1.0 Ratchet", Nh)   (next ratchet step)
//   nonce         = sframe_salt XOR u64be(CTR), right-aligned in Nn bytes
// The labels keep their trailing space; the KID is always 8 bytes here (not its compact header
// form), so the same base_key under two KIDs gives unrelated keys and salts.
//
// Everything that depends only on the key runs once, at key install (make_key_context): the frame
// path does one XOR for the nonce and one AEAD call. The ratchet reuses the sframe_secret of the
// current step, so a receiver keeps Nh bytes per ratchet chain, never the caller's base key.
// (Interop note: the Rust `sframe` crate spells the ratchet label "Sframe 1.0 Ratchet"; RFC 9605
// and this header use "SFrame 1.0 Ratchet".)
//
// Contract: noexcept, no exceptions, safe from any thread (no shared state). Secrets, keys and
// intermediate HKDF outputs live in SecretBytes (wiped on destruction and on every early return);
// an error leaves the outputs wiped. An empty base_key is Errc::invalid_argument: it is always a
// caller's bug, and HKDF would happily derive a key from it. Allocation: none here, except what
// the Cipher backend allocates in create() (OpenSSL: its EVP contexts).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../bytes.hpp"
#include "../error.hpp"
#include "../secret.hpp"
#include "suite.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sframe {

inline constexpr std::string_view key_label_prefix = "SFrame 1.0 Secret key ";
inline constexpr std::string_view salt_label_prefix = "SFrame 1.0 Secret salt ";
inline constexpr std::string_view ratchet_label = "SFrame 1.0 Ratchet";

using KeyLabel = std::array<std::uint8_t, key_label_prefix.size() + 8 + 2>;    // 32 bytes
using SaltLabel = std::array<std::uint8_t, salt_label_prefix.size() + 8 + 2>;  // 33 bytes

namespace detail {
template <std::size_t N>
constexpr std::array<std::uint8_t, N> label(std::string_view prefix, std::uint64_t kid,
                                            std::uint16_t suite) noexcept {
  std::array<std::uint8_t, N> l{};
  for (std::size_t i = 0; i < prefix.size(); ++i) l[i] = static_cast<std::uint8_t>(prefix[i]);
  store_be64(l.data() + prefix.size(), kid);
  store_be16(l.data() + prefix.size() + 8, suite);
  return l;
}
}  // namespace detail

[[nodiscard]] constexpr KeyLabel key_label(std::uint64_t kid, std::uint16_t suite) noexcept {
  return detail::label<KeyLabel{}.size()>(key_label_prefix, kid, suite);
}
[[nodiscard]] constexpr SaltLabel salt_label(std::uint64_t kid, std::uint16_t suite) noexcept {
  return detail::label<SaltLabel{}.size()>(salt_label_prefix, kid, suite);
}

template <CipherSuite S>
using SframeSecret = SecretBytes<S::hash_bytes>;

// sframe_secret = HKDF-Extract("", base_key).
template <CipherSuite S>
[[nodiscard]] Errc derive_secret(BytesIn base_key, SframeSecret<S>& secret) noexcept {
  if (base_key.empty()) {
    secret.wipe();
    return Errc::invalid_argument;
  }
  const Errc e = S::hash_type::extract({}, base_key, secret.mutable_view());
  if (e != Errc::ok) secret.wipe();
  return e;
}

template <CipherSuite S>
struct KeyAndSalt {
  SecretBytes<S::key_bytes> key;     // sframe_key (for AES-CTR-HMAC: enc_key || auth_key)
  SecretBytes<S::nonce_bytes> salt;  // sframe_salt
};

// sframe_key and sframe_salt of one KID from its sframe_secret.
template <CipherSuite S>
[[nodiscard]] Errc derive_key_and_salt(const SframeSecret<S>& secret, std::uint64_t kid,
                                       KeyAndSalt<S>& out) noexcept {
  const KeyLabel kl = key_label(kid, S::id);
  const SaltLabel sl = salt_label(kid, S::id);
  Errc e = S::hash_type::expand(secret.view(), kl, out.key.mutable_view());
  if (e == Errc::ok) e = S::hash_type::expand(secret.view(), sl, out.salt.mutable_view());
  if (e != Errc::ok) {
    out.key.wipe();
    out.salt.wipe();
  }
  return e;
}

// The whole schedule from a base key (for known answers and one-off use; the cryptor keeps the
// secret instead, because its ratchet needs it).
template <CipherSuite S>
[[nodiscard]] Result<KeyAndSalt<S>> derive_key_and_salt(BytesIn base_key, std::uint64_t kid) noexcept {
  SframeSecret<S> secret;
  if (const Errc e = derive_secret<S>(base_key, secret); e != Errc::ok) return e;
  KeyAndSalt<S> ks;
  if (const Errc e = derive_key_and_salt<S>(secret, kid, ks); e != Errc::ok) return e;
  return ks;
}

// The next ratchet step's base key: HKDF-Expand(sframe_secret, "SFrame 1.0 Ratchet", Nh).
template <CipherSuite S>
[[nodiscard]] Errc ratchet_base_key(const SframeSecret<S>& secret,
                                    SecretBytes<S::hash_bytes>& next_base_key) noexcept {
  const Errc e = S::hash_type::expand(secret.view(), as_bytes(ratchet_label), next_base_key.mutable_view());
  if (e != Errc::ok) next_base_key.wipe();
  return e;
}

// base_key[i+1] from base_key[i] (RFC 9605 §5.1), for applications that hand the current sender
// key to a participant who joins after some ratchet steps.
template <CipherSuite S>
[[nodiscard]] Result<SecretBytes<S::hash_bytes>> next_base_key(BytesIn base_key) noexcept {
  SframeSecret<S> secret;
  if (const Errc e = derive_secret<S>(base_key, secret); e != Errc::ok) return e;
  SecretBytes<S::hash_bytes> next;
  if (const Errc e = ratchet_base_key<S>(secret, next); e != Errc::ok) return e;
  return next;
}

// The next ratchet step's sframe_secret, straight from this step's secret (the base key in
// between is wiped).
template <CipherSuite S>
[[nodiscard]] Errc ratchet_secret(const SframeSecret<S>& secret, SframeSecret<S>& next_secret) noexcept {
  SecretBytes<S::hash_bytes> next_base;
  if (const Errc e = ratchet_base_key<S>(secret, next_base); e != Errc::ok) {
    next_secret.wipe();
    return e;
  }
  return derive_secret<S>(next_base.view(), next_secret);
}

// A key ready for the frame path: the keyed AEAD and the salt. The raw sframe_key is wiped as soon
// as the cipher holds it.
template <CipherSuite S>
struct KeyContext {
  typename S::cipher_type cipher;
  SecretBytes<S::nonce_bytes> salt;
};

template <CipherSuite S>
[[nodiscard]] Result<KeyContext<S>> make_key_context(const SframeSecret<S>& secret,
                                                     std::uint64_t kid) noexcept {
  KeyAndSalt<S> ks;
  if (const Errc e = derive_key_and_salt<S>(secret, kid, ks); e != Errc::ok) return e;
  auto cipher = S::cipher_type::create(ks.key.view());
  if (!cipher) return cipher.error();
  return KeyContext<S>{std::move(*cipher), std::move(ks.salt)};
}

// nonce = salt XOR CTR (big-endian, in the last 8 bytes).
template <std::size_t Nn>
constexpr void make_nonce(std::span<const std::uint8_t, Nn> salt, std::uint64_t ctr,
                          std::span<std::uint8_t, Nn> nonce) noexcept {
  static_assert(Nn >= 8);
  for (std::size_t i = 0; i < Nn; ++i) nonce[i] = salt[i];
  for (std::size_t i = 0; i < 8; ++i) nonce[Nn - 1 - i] ^= static_cast<std::uint8_t>(ctr >> (8 * i));
}

}  // namespace sframe
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
