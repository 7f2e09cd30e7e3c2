// frameseal/livekit/rbsp.hpp: the emulation prevention LiveKit applies to the encrypted part of
// H.264 and H.265 frames, and its inverse.
//
// Why: after encryption, C || T || IV || 0x0C || KID is random-looking and may contain 00 00 01,
// which a depacketizer or decoder would take for a start code. LiveKit therefore escapes it like
// an RBSP. The exact rules, which both ends must share byte for byte (livekit-client 2.23.0
// `utils.ts`; the webrtc-sdk `H264::WriteRbsp` / `ParseRbsp` behave the same):
//   write_rbsp:  a zero counter starts at 0; before copying an input byte <= 0x03 while the counter
//                is >= 2, emit 0x03 and reset the counter; a zero byte increments the counter, any
//                other byte resets it. Nothing is appended at the end (a trailing 00 00 stays).
//   unescape_rbsp (livekit `parseRbsp`): every 00 00 03 of the input becomes 00 00, whatever byte
//                follows the 03 and also when the 03 is the very last byte. Occurrences are taken
//                from the input, left to right, without re-scanning the output.
//   needs_unescape (livekit `needsRbspUnescaping`): 00 00 03 starts at some i < size - 3, that is
//                the 03 is not the last byte. A receiver un-escapes only then, so a lone trailing
//                00 00 03 is left alone unless another occurrence triggers the un-escape.
// The last two bytes of a LiveKit frame (0x0C, KID) are never changed by either direction.
//
// Aliasing (the frame cryptor works in place): write_rbsp grows its input, so `out` may be the
// same memory as `in` (out.data() >= in.data(): escaped back to front) or start early enough that
// the output never overtakes the input (out.data() + escaped_size(in) - in.size() <= in.data():
// escaped front to back; this is "stage B' at the end of the buffer, escape it to the front").
// unescape_rbsp shrinks, so `out` may be `in` or start before it. Any other overlap is
// Errc::invalid_argument. A too small `out` is Errc::buffer_too_small with nothing written.
//
// Contract: no allocation, no exception; linear time (every rule needs two zero bytes in a row, so
// the scans jump between zero pairs, 16-64 bytes per step: codec/nalu.hpp detail::find_zero_pair).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../bytes.hpp"
#include "../codec/nalu.hpp"
#include "../error.hpp"
#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

inline constexpr std::uint8_t emulation_prevention_byte = 0x03;

// The number of 0x03 bytes write_rbsp inserts into `in`.
//
// The zero counter is 0 at the start of every maximal run of zero bytes (the byte before it was
// non-zero, or it starts the input), so each run can be treated alone: in a run of r zeros an 0x03
// goes before zeros number 3, 5, 7, ... (floor((r - 1) / 2) of them) and the counter leaves the run
// at 2 when r is even, when the following byte gets one more 0x03 if it is 0x01..0x03.
[[nodiscard]] inline std::size_t escape_insertions(BytesIn in) noexcept {
  const std::uint8_t* p = in.data();
  const std::size_t n = in.size();
  std::size_t count = 0;
  std::size_t i = 0;
  // Runs of one zero byte insert nothing, so only runs of >= 2 matter: jump between zero pairs. The
  // first pair at or after i (i = 0 or just after a run, where the byte is non-zero) starts a run.
  while (i < n) {
    const std::size_t s = frameseal::detail::find_zero_pair(p, i, n);
    if (s == n) break;
    const std::size_t e = frameseal::detail::skip_zeros(p, s + 2, n);
    const std::size_t r = e - s;
    count += (r - 1) / 2;
    if (r % 2 == 0 && e < n && p[e] <= emulation_prevention_byte) ++count;
    i = e;
  }
  return count;
}

// The exact size write_rbsp produces for `in`.
[[nodiscard]] inline std::size_t escaped_size(BytesIn in) noexcept {
  return in.size() + escape_insertions(in);
}

// The largest escaped size of any n-byte input: every second byte after the first two can need an
// 0x03 (all zeros: 00 00 03 00 00 03 00 ...), so n + floor((n - 1) / 2). Saturates at SIZE_MAX.
[[nodiscard]] constexpr std::size_t max_escaped_size(std::size_t n) noexcept {
  if (n == 0) return 0;
  const std::size_t extra = (n - 1) / 2;
  if (n > std::numeric_limits<std::size_t>::max() - extra) return std::numeric_limits<std::size_t>::max();
  return n + extra;
}

namespace detail {

// Front to back; safe when the output starts at least (escaped - n) bytes before the input or
// does not overlap it: every output byte lands at or before the input byte it comes from.
inline void write_rbsp_forward(const std::uint8_t* src, std::size_t n, std::uint8_t* dst) noexcept {
  std::size_t i = 0, o = 0;
  while (i < n) {
    // Up to the next run of >= 2 zero bytes nothing is inserted (a lone zero leaves the counter
    // at 1), so that stretch is copied as it is.
    const std::size_t s = frameseal::detail::find_zero_pair(src, i, n);
    if (s > i) {
      std::memmove(dst + o, src + i, s - i);
      o += s - i;
    }
    if (s == n) break;
    const std::size_t e = frameseal::detail::skip_zeros(src, s + 2, n);
    const std::size_t r = e - s;
    for (std::size_t k = 1; k <= r; ++k) {
      if (k >= 3 && (k & 1) != 0) dst[o++] = emulation_prevention_byte;
      dst[o++] = 0;
    }
    i = e;
    if (r % 2 == 0 && e < n && src[e] <= emulation_prevention_byte) {
      const std::uint8_t b = src[e];
      dst[o++] = emulation_prevention_byte;
      dst[o++] = b;
      i = e + 1;
    }
  }
}

// Back to front; safe when the output starts at or after the input (in place): every output byte
// lands at or after the input byte it comes from, and the bytes still to be read lie before it.
inline void write_rbsp_backward(const std::uint8_t* src, std::size_t n, std::uint8_t* dst,
                                std::size_t escaped) noexcept {
  std::size_t i = n, o = escaped;
  while (i > 0) {
    if (o == i && dst == src) return;  // no insertion left before i: the rest is already in place
    std::size_t k = i;                 // [k, i): non-zero bytes
    while (k > 0 && src[k - 1] != 0) --k;
    std::size_t s = k;  // [s, k): the zero run before them
    while (s > 0 && src[s - 1] == 0) --s;
    const std::size_t r = k - s;
    if (k < i && r >= 2 && r % 2 == 0 && src[k] <= emulation_prevention_byte) {
      const std::uint8_t b = src[k];
      const std::size_t len = i - k - 1;
      o -= len;
      std::memmove(dst + o, src + k + 1, len);
      dst[--o] = b;
      dst[--o] = emulation_prevention_byte;
    } else {
      const std::size_t len = i - k;
      o -= len;
      std::memmove(dst + o, src + k, len);
    }
    for (std::size_t j = r; j >= 1; --j) {
      dst[--o] = 0;
      if (j >= 3 && (j & 1) != 0) dst[--o] = emulation_prevention_byte;
    }
    i = s;
  }
}

[[nodiscard]] inline bool ranges_overlap(const void* a, std::size_t an, const void* b,
                                         std::size_t bn) noexcept {
  if (an == 0 || bn == 0) return false;
  const auto x = reinterpret_cast<std::uintptr_t>(a);
  const auto y = reinterpret_cast<std::uintptr_t>(b);
  return x < y + bn && y < x + an;
}

}  // namespace detail

// Escapes `in` into `out` (see the rules above) and returns the written prefix of `out`.
[[nodiscard]] inline Result<BytesOut> write_rbsp(BytesIn in, BytesOut out) noexcept {
  const std::size_t n = in.size();
  const std::size_t escaped = escaped_size(in);
  if (out.size() < escaped) return Errc::buffer_too_small;
  if (n == 0) return out.first(0);
  const auto ip = reinterpret_cast<std::uintptr_t>(in.data());
  const auto op = reinterpret_cast<std::uintptr_t>(out.data());
  if (!detail::ranges_overlap(in.data(), n, out.data(), escaped) || op + (escaped - n) <= ip) {
    detail::write_rbsp_forward(in.data(), n, out.data());
  } else if (op >= ip) {
    detail::write_rbsp_backward(in.data(), n, out.data(), escaped);
  } else {
    return Errc::invalid_argument;
  }
  return out.first(escaped);
}

// livekit `needsRbspUnescaping`: does `in` contain 00 00 03 with the 03 not being its last byte?
[[nodiscard]] inline bool needs_unescape(BytesIn in) noexcept {
  const std::uint8_t* p = in.data();
  const std::size_t n = in.size();
  // 00 00 03 is a run of >= 2 zero bytes followed by 03: jump between zero pairs.
  std::size_t i = 0;
  while (n >= 2 && i < n) {
    const std::size_t s = frameseal::detail::find_zero_pair(p, i, n);
    if (s == n) return false;
    const std::size_t e = frameseal::detail::skip_zeros(p, s + 2, n);
    if (e + 1 >= n) return false;  // the 03 would be the last byte, or there is none
    if (p[e] == emulation_prevention_byte) return true;
    i = e + 1;  // p[e] != 0
  }
  return false;
}

namespace detail {
// Calls f(q) for the 03 byte of every 00 00 03 in p[0, n), left to right (they never overlap).
template <class F>
inline void for_each_emulation_byte(const std::uint8_t* p, std::size_t n, F&& f) noexcept {
  std::size_t i = 0;
  while (i < n) {
    const std::size_t s = frameseal::detail::find_zero_pair(p, i, n);
    if (s == n) return;
    const std::size_t e = frameseal::detail::skip_zeros(p, s + 2, n);
    if (e == n) return;
    if (p[e] == emulation_prevention_byte) f(e);
    i = e + 1;  // p[e] != 0
  }
}
}  // namespace detail

// The size unescape_rbsp produces for `in`.
[[nodiscard]] inline std::size_t unescaped_size(BytesIn in) noexcept {
  std::size_t removed = 0;
  detail::for_each_emulation_byte(in.data(), in.size(), [&](std::size_t) noexcept { ++removed; });
  return in.size() - removed;
}

// livekit `parseRbsp`: drops the 03 of every 00 00 03 in `in`; returns the written prefix of `out`.
// `out` needs unescaped_size(in) bytes (in.size() always suffices).
[[nodiscard]] inline Result<BytesOut> unescape_rbsp(BytesIn in, BytesOut out) noexcept {
  const std::size_t n = in.size();
  if (out.size() < n && out.size() < unescaped_size(in)) return Errc::buffer_too_small;
  if (n == 0) return out.first(0);
  const auto ip = reinterpret_cast<std::uintptr_t>(in.data());
  const auto op = reinterpret_cast<std::uintptr_t>(out.data());
  if (op > ip && detail::ranges_overlap(in.data(), n, out.data(), out.size())) return Errc::invalid_argument;
  const std::uint8_t* src = in.data();
  std::uint8_t* dst = out.data();
  std::size_t i = 0, o = 0;
  detail::for_each_emulation_byte(src, n, [&](std::size_t q) noexcept {
    if (q > i && (dst + o != src + i)) std::memmove(dst + o, src + i, q - i);
    o += q - i;
    i = q + 1;
  });
  if (n > i && (dst + o != src + i)) std::memmove(dst + o, src + i, n - i);
  o += n - i;
  return out.first(o);
}

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
