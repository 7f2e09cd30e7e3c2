// frameseal/bytes.hpp: byte span aliases, big-endian load/store, constant-time compare, and the
// aliasing rule every frame-path call follows.
//
// Aliasing: an output span may be the very same memory as the input (same data() pointer: in-place
// operation) or not overlap it at all. Partial overlap is rejected with Errc::invalid_argument,
// because a cipher writing ahead of its own input would corrupt it silently.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

using BytesIn = std::span<const std::uint8_t>;
using BytesOut = std::span<std::uint8_t>;

// The UTF-8 bytes of a string (passphrases, salts), without a terminator.
[[nodiscard]] inline BytesIn as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

[[nodiscard]] constexpr std::uint16_t load_be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
[[nodiscard]] constexpr std::uint32_t load_be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
[[nodiscard]] constexpr std::uint64_t load_be64(const std::uint8_t* p) noexcept {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
constexpr void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
constexpr void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
constexpr void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v));
}

// Constant-time equality of two byte strings (sodium_memcmp). Different lengths compare unequal;
// the length itself is not secret.
[[nodiscard]] inline bool ct_equal(BytesIn a, BytesIn b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// True when out and in share memory but do not start at the same address (partial overlap).
[[nodiscard]] inline bool overlaps_partially(BytesIn in, BytesOut out) noexcept {
  if (in.empty() || out.empty()) return false;
  const auto a = reinterpret_cast<std::uintptr_t>(in.data());
  const auto b = reinterpret_cast<std::uintptr_t>(out.data());
  if (a == b) return false;
  return a < b + out.size() && b < a + in.size();
}

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
