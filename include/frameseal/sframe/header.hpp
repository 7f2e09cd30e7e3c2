// frameseal/sframe/header.hpp: the SFrame header codec (RFC 9605 §4.3). Pure functions over spans.
//
//    0 1 2 3 4 5 6 7
//   +-+-+-+-+-+-+-+-+------------+------------+
//   |X|  K  |Y|  C  |   KID...   |   CTR...   |
//   +-+-+-+-+-+-+-+-+------------+------------+
// A value below 8 sits in K (resp. C) with its flag clear; a larger one sets the flag, K/C = its
// length - 1, and follows as a big-endian integer of minimal length (1..8 bytes), KID before CTR.
// So a header is 1..17 bytes and both values are full 64-bit.
//
// Strictness: parse() accepts exactly what encode() produces. It rejects (Errc::malformed_frame) an
// empty input, a config byte that promises more bytes than are present, and every non-minimal
// encoding: an extended value below 8, or an extended value with a leading zero byte. Minimal
// encodings make the header a function of (KID, CTR), so two different byte strings never name the
// same frame (the RFC says MUST; cisco/sframe accepts an extended value below 8). The optional
// HeaderFault out-parameter says which rule failed, for logs and `frameseal inspect`.
//
// Contract: noexcept, no allocation, no state; safe from any thread. encode() writes nothing when
// out is too small (Errc::buffer_too_small).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../bytes.hpp"
#include "../error.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sframe {

inline constexpr std::size_t min_header_bytes = 1;
inline constexpr std::size_t max_header_bytes = 17;  // config byte + 8-byte KID + 8-byte CTR

struct Header {
  std::uint64_t kid = 0;
  std::uint64_t ctr = 0;
  friend constexpr bool operator==(const Header&, const Header&) noexcept = default;
};

struct ParsedHeader {
  Header header;
  std::size_t size = 0;  // bytes the header occupies at the front of the input
};

// Why parse() refused an input (all of them are Errc::malformed_frame).
enum class HeaderFault : std::uint8_t {
  none = 0,
  empty,            // no config byte
  truncated,        // the config byte promises more KID/CTR bytes than the input holds
  non_minimal_kid,  // extended KID below 8, or with a leading zero byte
  non_minimal_ctr,  // the same for CTR
};

[[nodiscard]] constexpr std::string_view to_string(HeaderFault f) noexcept {
  switch (f) {
    case HeaderFault::none:
      return "none";
    case HeaderFault::empty:
      return "empty";
    case HeaderFault::truncated:
      return "truncated";
    case HeaderFault::non_minimal_kid:
      return "non_minimal_kid";
    case HeaderFault::non_minimal_ctr:
      return "non_minimal_ctr";
  }
  return "unknown";
}

namespace detail {
// Bytes after the config byte that a value takes: 0 when it fits the 3-bit field, else its minimal
// big-endian length.
[[nodiscard]] constexpr std::size_t extended_bytes(std::uint64_t v) noexcept {
  if (v < 8) return 0;
  return (64 - static_cast<std::size_t>(std::countl_zero(v)) + 7) / 8;
}
// The 4-bit half of the config byte for a value.
[[nodiscard]] constexpr std::uint8_t config_nibble(std::uint64_t v) noexcept {
  const std::size_t n = extended_bytes(v);
  return n == 0 ? static_cast<std::uint8_t>(v) : static_cast<std::uint8_t>(0x08 | (n - 1));
}
constexpr void store_be_n(std::uint8_t* p, std::uint64_t v, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
}
[[nodiscard]] constexpr std::uint64_t load_be_n(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}
}  // namespace detail

[[nodiscard]] constexpr std::size_t encoded_size(const Header& h) noexcept {
  return 1 + detail::extended_bytes(h.kid) + detail::extended_bytes(h.ctr);
}

// An encoded header by value (what the frame path uses: no span, no failure).
struct EncodedHeader {
  std::array<std::uint8_t, max_header_bytes> bytes{};
  std::size_t size = 0;
  [[nodiscard]] constexpr BytesIn view() const noexcept { return BytesIn(bytes.data(), size); }
};

[[nodiscard]] constexpr EncodedHeader encode(const Header& h) noexcept {
  EncodedHeader e;
  const std::size_t nk = detail::extended_bytes(h.kid);
  const std::size_t nc = detail::extended_bytes(h.ctr);
  e.bytes[0] = static_cast<std::uint8_t>(detail::config_nibble(h.kid) << 4 | detail::config_nibble(h.ctr));
  detail::store_be_n(e.bytes.data() + 1, h.kid, nk);
  detail::store_be_n(e.bytes.data() + 1 + nk, h.ctr, nc);
  e.size = 1 + nk + nc;
  return e;
}

// Writes the header at the front of out and returns the written prefix.
[[nodiscard]] inline Result<BytesOut> encode(const Header& h, BytesOut out) noexcept {
  const EncodedHeader e = encode(h);
  if (out.size() < e.size) return Errc::buffer_too_small;
  for (std::size_t i = 0; i < e.size; ++i) out[i] = e.bytes[i];
  return out.first(e.size);
}

// Reads the header at the front of in (trailing bytes are the caller's: ciphertext and tag).
[[nodiscard]] inline Result<ParsedHeader> parse(BytesIn in, HeaderFault* fault = nullptr) noexcept {
  auto fail = [fault](HeaderFault f) noexcept -> Result<ParsedHeader> {
    if (fault != nullptr) *fault = f;
    return Errc::malformed_frame;
  };
  if (fault != nullptr) *fault = HeaderFault::none;
  if (in.empty()) return fail(HeaderFault::empty);
  const std::uint8_t config = in[0];
  const std::uint8_t k = config >> 4, c = config & 0x0f;
  const std::size_t nk = (k & 0x08) ? (k & 0x07) + 1u : 0u;
  const std::size_t nc = (c & 0x08) ? (c & 0x07) + 1u : 0u;
  // The whole length first: nothing is read past what the config byte promised and is present.
  if (in.size() < 1 + nk + nc) return fail(HeaderFault::truncated);
  ParsedHeader p;
  if (nk == 0) {
    p.header.kid = k;
  } else {
    if (nk > 1 && in[1] == 0) return fail(HeaderFault::non_minimal_kid);
    p.header.kid = detail::load_be_n(in.data() + 1, nk);
    if (p.header.kid < 8) return fail(HeaderFault::non_minimal_kid);
  }
  if (nc == 0) {
    p.header.ctr = c;
  } else {
    if (nc > 1 && in[1 + nk] == 0) return fail(HeaderFault::non_minimal_ctr);
    p.header.ctr = detail::load_be_n(in.data() + 1 + nk, nc);
    if (p.header.ctr < 8) return fail(HeaderFault::non_minimal_ctr);
  }
  p.size = 1 + nk + nc;
  return p;
}

}  // namespace sframe
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
