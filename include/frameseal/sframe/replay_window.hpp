// frameseal/sframe/replay_window.hpp: an anti-replay sliding window over SFrame CTR values, in the
// style of RFC 3711 §3.3.2 (SRTP), as RFC 9605 §9.3 suggests.
//
// The window remembers the highest CTR accepted so far and which of the `size` values below it
// (itself included) were accepted. check(ctr) says whether a frame may be tried: a CTR above the
// highest is new; one inside the window is new unless its bit is set; one older than the window
// is refused (it cannot be told from a replay). accept(ctr) records a CTR and must be called only
// after the frame authenticated: an attacker who can make a forged frame move the window would
// otherwise lock out the real sender without knowing any key. Replay protection is what makes the
// short tags of suites 0x0002/0x0003 tolerable (RFC 9605 §7.5): a lucky forgery cannot be resent.
//
// Fixed storage (max_replay_window bits), no allocation, noexcept, trivially copyable. Not
// synchronised: one window per KID, owned by the cryptor that checks it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sframe {

inline constexpr std::size_t max_replay_window = 1024;

class ReplayWindow {
 public:
  // size: CTR values remembered (1..max_replay_window; larger values are clamped, 0 means 1).
  constexpr explicit ReplayWindow(std::size_t size = 128) noexcept
      : size_(size == 0 ? 1 : (size > max_replay_window ? max_replay_window : size)) {}

  [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return !any_; }
  [[nodiscard]] constexpr std::uint64_t highest() const noexcept { return highest_; }

  // True when ctr has not been accepted and is not older than the window.
  [[nodiscard]] constexpr bool check(std::uint64_t ctr) const noexcept {
    if (!any_ || ctr > highest_) return true;
    const std::uint64_t age = highest_ - ctr;
    if (age >= size_) return false;
    return !bit(static_cast<std::size_t>(age));
  }

  // Records ctr (call after authentication). A CTR that check() refuses leaves the window as it is.
  constexpr void accept(std::uint64_t ctr) noexcept {
    if (!any_) {
      any_ = true;
      highest_ = ctr;
      bits_ = {};
      set(0);
      return;
    }
    if (ctr > highest_) {
      shift(ctr - highest_);
      highest_ = ctr;
      set(0);
      return;
    }
    const std::uint64_t age = highest_ - ctr;
    if (age < size_) set(static_cast<std::size_t>(age));
  }

  constexpr void reset() noexcept {
    any_ = false;
    highest_ = 0;
    bits_ = {};
  }

 private:
  static constexpr std::size_t words = max_replay_window / 64;

  // Bit i (age i: CTR highest - i) lives in word i / 64.
  [[nodiscard]] constexpr bool bit(std::size_t i) const noexcept { return (bits_[i / 64] >> (i % 64)) & 1u; }
  constexpr void set(std::size_t i) noexcept { bits_[i / 64] |= std::uint64_t{1} << (i % 64); }

  // Ages every remembered CTR by n (the highest moved up by n).
  constexpr void shift(std::uint64_t n) noexcept {
    if (n >= size_) {
      bits_ = {};
      return;
    }
    const std::size_t w = static_cast<std::size_t>(n / 64), b = static_cast<std::size_t>(n % 64);
    for (std::size_t i = words; i-- > 0;) {
      std::uint64_t v = 0;
      if (i >= w) {
        v = bits_[i - w] << b;
        if (b != 0 && i > w) v |= bits_[i - w - 1] >> (64 - b);
      }
      bits_[i] = v;
    }
  }

  std::array<std::uint64_t, words> bits_{};
  std::uint64_t highest_ = 0;
  std::size_t size_;
  bool any_ = false;
};

}  // namespace sframe
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
