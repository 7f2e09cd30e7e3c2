// frameseal/codec/nalu.hpp: Annex-B NAL unit scanning for H.264 and H.265 frames.
//
// What counts as a start code, a NAL unit and "leading data" here is exactly what livekit-client
// 2.23.0 decides in `naluUtils.ts:findNALUIndices`, because the LiveKit clear-header length is the
// offset of the first slice NAL unit found that way and both ends of a call must agree on it byte
// for byte (see livekit/clear_header.hpp). The rules, including their corner cases:
//   - a start code is `00 00 01` or `00 00 00 01`; `00 00 00 01` is preferred where both match, so
//     extra zero bytes before a start code end the previous NAL unit (they are trimmed from it);
//   - a start code whose `01` is the last byte of the stream is not recognised;
//   - a NAL unit beginning in the last 3 bytes of the stream (fewer than 4 bytes left) is not
//     reported, and an empty NAL unit (a start code followed directly by another) is reported;
//   - a stream of fewer than 4 bytes has no NAL units and no leading data;
//   - "leading data" is a non-zero byte before the first start code (or anywhere, when there is no
//     start code). livekit-client then throws, which makes it fall back to the VP8 rule; the
//     scanner here reports it and still iterates the NAL units, so the caller decides.
//
// Contract: pure functions over spans; no allocation, no exception, never reads outside the span.
// The scan is linear and jumps between pairs of zero bytes (every start code holds one; media
// payloads and ciphertext hold one every ~64 KiB), 16-64 bytes per step (detail::find_zero_pair),
// because it runs over whole frames on the per-frame path.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#  include <emmintrin.h>
#endif

#include "../bytes.hpp"
#include "../error.hpp"
#include "../version.hpp"
#include "codec.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

// One NAL unit of an Annex-B stream.
struct Nalu {
  std::size_t start_code = 0;  // offset of the first byte of its start code
  std::size_t offset = 0;      // offset of its NAL unit header (the byte after the start code)
  std::size_t end = 0;         // one past its last byte; zero bytes before the next start code excluded
  [[nodiscard]] constexpr std::size_t start_code_bytes() const noexcept { return offset - start_code; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return end - offset; }
  friend constexpr bool operator==(const Nalu&, const Nalu&) = default;
};

[[nodiscard]] constexpr std::uint8_t h264_nalu_type(std::uint8_t header) noexcept {
  return static_cast<std::uint8_t>(header & 0x1f);
}
[[nodiscard]] constexpr std::uint8_t h265_nalu_type(std::uint8_t header) noexcept {
  return static_cast<std::uint8_t>((header >> 1) & 0x3f);
}
// H.264 coded slice: non-IDR (1) or IDR (5). Data partitions (2-4) and extension slices (20, 21)
// do not count, as in livekit-client and the webrtc-sdk cryptor.
[[nodiscard]] constexpr bool h264_is_slice(std::uint8_t header) noexcept {
  const auto t = h264_nalu_type(header);
  return t == 1 || t == 5;
}
// H.265 VCL NAL unit (a slice segment): types 0-9 (TRAIL..RASL) and 16-21 (BLA, IDR, CRA).
// Reserved VCL types 10-15 and 22-31 do not count, as in livekit-client.
[[nodiscard]] constexpr bool h265_is_vcl(std::uint8_t header) noexcept {
  const auto t = h265_nalu_type(header);
  return t <= 9 || (t >= 16 && t <= 21);
}

namespace detail {

struct StartCode {
  std::size_t pos;  // offset of its first byte; size when there is none
  std::size_t len;  // 3 or 4
};

// The offset of the first byte equal to v in p[from, end), or end. memchr is fast when matches are
// sparse (media payloads, ciphertext) but costs a call per match; a few bytes are checked inline
// first so that streams dense with v (crafted frames) still scan at over 1 GB/s.
[[nodiscard]] inline std::size_t find_byte(const std::uint8_t* p, std::size_t from, std::size_t end,
                                           std::uint8_t v) noexcept {
  const std::size_t inline_end = end - from > 16 ? from + 16 : end;
  for (std::size_t i = from; i < inline_end; ++i)
    if (p[i] == v) return i;
  if (inline_end == end) return end;
  const void* hit = std::memchr(p + inline_end, v, end - inline_end);
  return hit ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - p) : end;
}

// The offset of the first i in [from, end - 1) with p[i] == 0 and p[i + 1] == 0, or end when there
// is none. Every start code (00 00 01), every emulation prevention sequence (00 00 03) and every
// escape LiveKit inserts begins with such a pair, while a single zero byte matters to none of them;
// pairs are ~256 times rarer than single bytes in media payloads and ciphertext, so searching for
// pairs instead of single bytes (memchr) avoids a function call per 256 bytes. Reads only p[from,
// end); SSE2 (x86-64 baseline) checks 64 bytes per step, elsewhere 8-byte words.
[[nodiscard]] inline std::size_t find_zero_pair(const std::uint8_t* p, std::size_t from,
                                                std::size_t end) noexcept {
  std::size_t i = from;
  if (end < 2 || i >= end - 1) return end;
  // A pair right at `from` is the common case where pairs are dense (a crafted stream of empty NAL
  // units, runs of zeros), so the first positions are checked one by one before the block loops.
  const std::size_t head = end - 1 - i > 4 ? i + 4 : end - 1;
  for (; i < head; ++i)
    if (p[i] == 0 && p[i + 1] == 0) return i;
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
  const __m128i zero = _mm_setzero_si128();
  auto pairs16 = [&](std::size_t at) noexcept {  // byte k is 0 iff p[at + k] == p[at + k + 1] == 0
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at + 1));
    return _mm_or_si128(a, b);
  };
  while (i + 64 < end) {  // reads p[i, i + 65)
    const __m128i m = _mm_min_epu8(_mm_min_epu8(pairs16(i), pairs16(i + 16)),
                                   _mm_min_epu8(pairs16(i + 32), pairs16(i + 48)));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(m, zero)) != 0) break;
    i += 64;
  }
  while (i + 16 < end) {  // reads p[i, i + 17)
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(pairs16(i), zero)));
    if (mask != 0) return i + static_cast<std::size_t>(std::countr_zero(mask));
    i += 16;
  }
#else
  while (i + 8 < end) {  // reads p[i, i + 9)
    std::uint64_t a, b;
    std::memcpy(&a, p + i, 8);
    std::memcpy(&b, p + i + 1, 8);
    const std::uint64_t w = a | b;  // a zero byte here is a pair there (any byte order)
    if (((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) != 0) break;
    i += 8;
  }
#endif
  for (; i < end - 1; ++i)
    if (p[i] == 0 && p[i + 1] == 0) return i;
  return end;
}

// The offset of the first non-zero byte in p[from, end), or end: the end of a zero run, 8 bytes a
// step (long zero runs are rare in media, but a crafted frame may be nothing else).
[[nodiscard]] inline std::size_t skip_zeros(const std::uint8_t* p, std::size_t from,
                                            std::size_t end) noexcept {
  std::size_t i = from;
  if (i < end && p[i] != 0) return i;  // the usual case: a run of two
  for (std::uint64_t w; i + 8 <= end; i += 8) {
    std::memcpy(&w, p + i, 8);
    if (w != 0) break;
  }
  while (i < end && p[i] == 0) ++i;
  return i;
}

// The first start code whose first byte is at or after `from` and whose 01 byte is not the last
// byte of the stream. Where `00 00 00 01` begins at or after `from` it wins over the `00 00 01`
// inside it (livekit tests the 4-byte form first at each position).
[[nodiscard]] inline StartCode find_start_code(const std::uint8_t* p, std::size_t size,
                                               std::size_t from) noexcept {
  // A start code's 01 byte q (from + 2 <= q <= size - 2) ends a run of >= 2 zero bytes. The first
  // zero pair at or after `from` begins such a run (or `from` itself), so the first run followed
  // by 01 gives the first q.
  std::size_t s = from;
  while (true) {
    s = find_zero_pair(p, s, size);
    if (s == size) break;
    const std::size_t q = skip_zeros(p, s + 2, size);
    if (q + 1 >= size) break;  // the run reaches the last byte: no 01 before it that is not last
    if (p[q] == 0x01) {
      if (q >= from + 3 && p[q - 3] == 0) return {q - 3, 4};
      return {q - 2, 3};
    }
    s = q + 1;  // p[q] != 0: the next pair starts after it
  }
  return {size, 0};
}

[[nodiscard]] inline bool any_nonzero(const std::uint8_t* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != 0) return true;
  return false;
}

}  // namespace detail

// Iterates the NAL units of an Annex-B stream in order:
//   AnnexBScanner s(frame); Nalu u; while (s.next(u)) { ... }
class AnnexBScanner {
 public:
  explicit AnnexBScanner(BytesIn stream) noexcept : p_(stream.data()), size_(stream.size()) {
    if (size_ < 4) return;  // livekit's scan loop does not run at all
    const auto sc = detail::find_start_code(p_, size_, 0);
    leading_ = detail::any_nonzero(p_, sc.pos);
    if (sc.len != 0) begin(sc);
  }

  // True when non-zero bytes precede the first start code (livekit: "byte stream contains leading
  // data", after which it ignores the NAL units altogether).
  [[nodiscard]] bool leading_data() const noexcept { return leading_; }

  // Writes the next NAL unit to `out` and returns true, or returns false at the end.
  [[nodiscard]] bool next(Nalu& out) noexcept {
    if (!pending_) return false;
    const auto sc = detail::find_start_code(p_, size_, cur_.offset);
    std::size_t end = sc.pos;  // == size_ when there is no further start code
    while (end > cur_.offset && p_[end - 1] == 0) --end;
    cur_.end = end;
    out = cur_;
    pending_ = false;
    if (sc.len != 0) begin(sc);
    return true;
  }

 private:
  void begin(detail::StartCode sc) noexcept {
    const std::size_t offset = sc.pos + sc.len;
    // livekit reports a NAL unit only while its scan position is below size - 3.
    if (offset + 3 >= size_) return;
    cur_ = Nalu{sc.pos, offset, offset};
    pending_ = true;
  }

  const std::uint8_t* p_;
  std::size_t size_;
  Nalu cur_{};
  bool pending_ = false;
  bool leading_ = false;
};

// All NAL units of `stream`, written to `out` in order (like snprintf: returns the total count,
// of which the first min(count, out.size()) were written). Errc::malformed_frame when the stream
// has leading data (livekit-client throws there; nothing is written).
[[nodiscard]] inline Result<std::size_t> find_nalus(BytesIn stream, std::span<Nalu> out) noexcept {
  AnnexBScanner scanner(stream);
  if (scanner.leading_data()) return Errc::malformed_frame;
  std::size_t count = 0;
  Nalu u;
  while (scanner.next(u)) {
    if (count < out.size()) out[count] = u;
    ++count;
  }
  return count;
}

// The slice that starts the encrypted part of a LiveKit H.264/H.265 frame.
struct FirstSlice {
  bool leading_data = false;     // the stream has leading data (livekit: no NALU processing)
  Codec codec = Codec::unknown;  // h264 or h265 when a slice was found, else unknown
  std::size_t offset = 0;        // offset of that slice's NAL unit header
};

// livekit-client 2.23 `processNALUsForEncryption`, minus its codec hint: the bytes decide.
// If any NAL unit is an H.264 slice (type 1 or 5), the codec is H.264 and the slice is the first
// such NAL unit. Otherwise, if any NAL unit is an H.265 VCL unit, the codec is H.265 and the slice
// is the first of those. H.264 is checked over the whole stream first because several non-slice
// H.264 headers read as H.265 VCL types (AUD 0x09 -> type 4, SEI 0x06 -> type 3); the reverse
// cannot happen for nuh_layer_id 0. Otherwise codec stays unknown. (livekit-client's codec hint
// only matters when no slice of either kind exists, and then it fails the same way.)
// With leading data nothing is searched: livekit-client throws before looking at NAL unit types.
[[nodiscard]] inline FirstSlice find_first_slice(BytesIn stream) noexcept {
  // AnnexBScanner's walk over the start codes, without finding where each NAL unit ends: the
  // search stops at the first H.264 slice instead of scanning on through its payload (on a
  // receiver, through the ciphertext) for the start code that would end it.
  FirstSlice r;
  const std::uint8_t* p = stream.data();
  const std::size_t size = stream.size();
  if (size < 4) return r;  // livekit's scan loop does not run at all
  auto sc = detail::find_start_code(p, size, 0);
  if (detail::any_nonzero(p, sc.pos)) {
    r.leading_data = true;
    return r;
  }
  std::optional<std::size_t> h265;
  while (sc.len != 0) {
    const std::size_t offset = sc.pos + sc.len;
    if (offset + 3 >= size) break;  // as AnnexBScanner::begin: no NAL unit reported here
    const std::uint8_t header = p[offset];
    if (h264_is_slice(header)) {
      r.codec = Codec::h264;
      r.offset = offset;
      return r;  // H.264 outranks H.265 and the first H.264 slice is this one
    }
    if (!h265 && h265_is_vcl(header)) h265 = offset;
    sc = detail::find_start_code(p, size, offset);
  }
  if (h265) {
    r.codec = Codec::h265;
    r.offset = *h265;
  }
  return r;
}

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
