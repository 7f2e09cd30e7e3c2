// Shared pieces of the libFuzzer targets in tests/fuzz/: the failed-check trap, a reader that
// turns the fuzzer's bytes into choices, and the buffer checks every frame target makes.
//
// A target is one fuzz_<name>.cpp defining LLVMFuzzerTestOneInput. It is built twice: with
// -fsanitize=fuzzer (meson -Dfuzz=true, clang) to fuzz, and with replay_main.cpp into a plain
// program that feeds it every file of its seed corpus and of its regression inputs (a meson test in
// suite 'fuzz-replay', in every build). A broken invariant prints what failed and traps, so
// libFuzzer records the input as a crash and the replay test fails.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

#define FS_FUZZ_CHECK(cond)                                                               \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::fflush(stderr);                                                                \
      __builtin_trap();                                                                   \
    }                                                                                     \
  } while (0)

namespace fsfuzz {

using Bytes = std::vector<std::uint8_t>;
using BytesIn = std::span<const std::uint8_t>;

// Reads choices off the front of the input; past the end every read is zero / empty, so any input
// is a valid sequence of choices.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) noexcept : p_(data), n_(size) {}
  [[nodiscard]] std::uint8_t byte() noexcept {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  // Big-endian; each read is its own statement, since the operands of | are unsequenced and the
  // corpus must mean the same to every compiler.
  [[nodiscard]] std::uint16_t u16() noexcept {
    const std::uint16_t hi = byte();
    return static_cast<std::uint16_t>(hi << 8 | byte());
  }
  [[nodiscard]] std::uint32_t u32() noexcept {
    const std::uint32_t hi = u16();
    return hi << 16 | u16();
  }
  [[nodiscard]] std::uint64_t u64() noexcept {
    const std::uint64_t hi = u32();
    return hi << 32 | u32();
  }
  [[nodiscard]] BytesIn bytes(std::size_t k) noexcept {
    k = std::min(k, n_);
    BytesIn b(p_, k);
    p_ += k;
    n_ -= k;
    return b;
  }
  [[nodiscard]] BytesIn rest() noexcept { return bytes(n_); }
  [[nodiscard]] std::size_t left() const noexcept { return n_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

// A heap buffer of `size` bytes followed by guard bytes (ASan catches reads and writes past the
// allocation; the guard catches writes past the span a call was given inside a larger buffer).
class Guarded {
 public:
  static constexpr std::size_t guard = 16;
  static constexpr std::uint8_t pattern = 0xA5;
  explicit Guarded(std::size_t size, std::uint8_t fill = 0xCC) : size_(size), buf_(size + guard, pattern) {
    std::memset(buf_.data(), fill, size);
  }
  [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {buf_.data(), size_}; }
  [[nodiscard]] std::uint8_t* data() noexcept { return buf_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool guard_intact() const noexcept {
    for (std::size_t i = size_; i < buf_.size(); ++i)
      if (buf_[i] != pattern) return false;
    return true;
  }

 private:
  std::size_t size_;
  Bytes buf_;
};

// After a failed call, `out` may hold only what it held before (`before`) or zeros: a byte that is
// neither came from the call, and a failed decrypt must not leave anything of its own there.
[[nodiscard]] inline bool only_old_or_zero(BytesIn out, BytesIn before) noexcept {
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] != 0 && out[i] != before[i]) return false;
  return true;
}

[[nodiscard]] inline bool equal(BytesIn a, BytesIn b) noexcept {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// True when `inner` lies within `outer`.
[[nodiscard]] inline bool within(BytesIn inner, BytesIn outer) noexcept {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace fsfuzz
