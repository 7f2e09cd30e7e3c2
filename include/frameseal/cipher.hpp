// frameseal/cipher.hpp: the Cipher concept every backend models.
//
// A Cipher type C is an AEAD with the tag appended to the ciphertext:
//   C::key_bytes, C::nonce_bytes, C::tag_bytes   sizes (static constexpr std::size_t)
//   C::name                                      e.g. "aes128gcm" (static constexpr std::string_view)
//   C::available()                               can this backend run on this machine?
//   C::create(key) -> Result<C>                  a keyed instance; all per-key work (key schedule,
//                                                context creation) happens here, once
//   c.seal(out, plaintext, aad, nonce)           writes |plaintext| + tag_bytes to out
//   c.open(out, ciphertext_and_tag, aad, nonce)  writes |ciphertext_and_tag| - tag_bytes to out
// seal/open return the written prefix of out. Contract:
//   - out may alias the input exactly (in-place) or not overlap it; partial overlap is
//     Errc::invalid_argument.
//   - out too small: Errc::buffer_too_small, nothing written.
//   - a failed open returns Errc::auth_failed (the only authentication error, also for inputs
//     shorter than the tag) and wipes the bytes of out it may have written. In place, the GCM and
//     ChaCha20-Poly1305 backends thereby wipe the ciphertext too (they decrypt while authenticating);
//     backends that verify before decrypting (AES-CTR+HMAC) leave it intact and say so with
//     `static constexpr bool failed_open_keeps_input = true`. A caller that wants to retry with
//     another key decrypts out of place (the frame cryptors do).
//   - no allocation, no exception.
// Threading: a keyed instance may be shared by threads only if its backend says so (libsodium
// instances are immutable after create(); OpenSSL instances own an EVP context and are not).
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "bytes.hpp"
#include "error.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

template <class C>
concept Cipher = std::is_nothrow_move_constructible_v<C> && requires {
  typename std::integral_constant<std::size_t, C::key_bytes>;
} && requires {
  typename std::integral_constant<std::size_t, C::nonce_bytes>;
} && requires {
  typename std::integral_constant<std::size_t, C::tag_bytes>;
} &&
    requires(C& c, BytesOut out, BytesIn in, BytesIn aad, std::span<const std::uint8_t, C::nonce_bytes> nonce,
             std::span<const std::uint8_t, C::key_bytes> key) {
  { C::name } -> std::convertible_to<std::string_view>;
  { C::available() }
  noexcept->std::same_as<bool>;
  { C::create(key) }
  noexcept->std::same_as<Result<C>>;
  { c.seal(out, in, aad, nonce) }
  noexcept->std::same_as<Result<BytesOut>>;
  { c.open(out, in, aad, nonce) }
  noexcept->std::same_as<Result<BytesOut>>;
};

namespace detail {
// Shared argument checks of seal/open (see the contract above).
[[nodiscard]] inline Errc check_seal_args(BytesIn in, BytesOut out, std::size_t tag_bytes) noexcept {
  if (overlaps_partially(in, out)) return Errc::invalid_argument;
  if (out.size() < in.size() + tag_bytes) return Errc::buffer_too_small;
  return Errc::ok;
}
[[nodiscard]] inline Errc check_open_args(BytesIn in, BytesOut out, std::size_t tag_bytes) noexcept {
  if (overlaps_partially(in, out)) return Errc::invalid_argument;
  if (in.size() < tag_bytes) return Errc::auth_failed;
  if (out.size() < in.size() - tag_bytes) return Errc::buffer_too_small;
  return Errc::ok;
}
// What a failed open leaves behind: the plaintext region of out, zeroed.
inline void wipe_failed_open(BytesOut out, std::size_t plaintext_bytes) noexcept {
  const std::size_t n = out.size() < plaintext_bytes ? out.size() : plaintext_bytes;
  if (n != 0) sodium_memzero(out.data(), n);
}
}  // namespace detail

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
