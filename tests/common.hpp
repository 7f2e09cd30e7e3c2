// Shared helpers for the unit tests: hex, guarded output buffers, the include switch for the
// single-header run, and the list of cipher types to template tests over.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <frameseal/frameseal.hpp>
#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

namespace fstest {

// HKDF that counts its calls: proves which key operations derive and which copy or use a cache
// (key ring ratchet search, shared-key changes).
struct CountingKdf {
  [[maybe_unused]] static constexpr std::string_view name = "counting-hkdf";
  static constexpr bool prefix_extendable = true;
  int* calls = nullptr;
  frameseal::Errc derive(frameseal::BytesIn material, frameseal::BytesIn salt,
                         frameseal::BytesOut out) const noexcept {
    ++*calls;
    return frameseal::Hkdf{}.derive(material, salt, out);
  }
};

using Bytes = std::vector<std::uint8_t>;

inline Bytes from_hex(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  // No doctest assertions here: from_hex also runs during static initialisation.
  auto bad = [&] {
    std::fprintf(stderr, "from_hex: bad hex string '%.*s'\n", static_cast<int>(hex.size()), hex.data());
    std::abort();
  };
  if (hex.size() % 2) bad();
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) bad();
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

inline std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (auto x : b) {
    s.push_back(digits[x >> 4]);
    s.push_back(digits[x & 15]);
  }
  return s;
}

// An output buffer of `size` bytes followed by guard bytes: check_guard() fails when anything
// wrote past the span handed out by span().
class Guarded {
 public:
  static constexpr std::size_t guard = 32;
  static constexpr std::uint8_t pattern = 0xA5;
  explicit Guarded(std::size_t size, std::uint8_t fill = 0xCC) : size_(size), buf_(size + guard, pattern) {
    std::memset(buf_.data(), fill, size);
  }
  std::span<std::uint8_t> span() { return {buf_.data(), size_}; }
  std::span<const std::uint8_t> written(std::size_t n) const { return {buf_.data(), n}; }
  bool guard_intact() const {
    for (std::size_t i = size_; i < buf_.size(); ++i)
      if (buf_[i] != pattern) return false;
    return true;
  }

 private:
  std::size_t size_;
  std::vector<std::uint8_t> buf_;
};

inline std::string vectors_dir() {
  return FRAMESEAL_TEST_VECTORS_DIR;
}

}  // namespace fstest
