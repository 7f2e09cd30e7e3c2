// frameseal/detail/sodium.hpp: libsodium plumbing shared by the sodium backend and the KDFs. Not API.
//
// ensure_sodium() runs sodium_init() once per process (a function-local static; sodium_init itself
// is thread-safe and idempotent). It must precede the calls whose implementation libsodium picks at
// run time (AES-GCM availability, ChaCha20/Poly1305 SIMD paths); HMAC/SHA-2 do not need it.
#pragma once

#include <sodium.h>

#include <cstdint>

#include "../bytes.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace detail {

[[nodiscard]] inline bool ensure_sodium() noexcept {
  static const bool ok = ::sodium_init() >= 0;  // 0 = initialised now, 1 = already, -1 = failure
  return ok;
}

// An empty std::span may hold nullptr, and newer libsodium headers declare some pointer parameters
// nonnull even when their length is 0; these stand in for the pointer of an empty span.
inline constexpr std::uint8_t sodium_empty_in[1] = {0};
[[nodiscard]] inline const std::uint8_t* sodium_in(BytesIn b) noexcept {
  return b.data() != nullptr ? b.data() : sodium_empty_in;
}

}  // namespace detail
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
