// Shared pieces of frameseal's container parsers (tools/media/*.hpp): byte spans, little-endian
// helpers and the parse error type.
//
// Contract of every parser here: a pure function over a span of the whole file. It never reads
// outside the span, never throws on bad input (only std::bad_alloc can escape), and reports the
// first problem as a ParseError naming the frame index and what is wrong. These parsers are fuzz
// targets: keep them free of I/O and global state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace media {

using Bytes = std::vector<std::uint8_t>;
using BytesIn = std::span<const std::uint8_t>;

inline constexpr std::size_t no_frame = std::numeric_limits<std::size_t>::max();

// The first problem found in a file. `frame` is the index of the frame (IVF frame, access unit,
// Ogg packet) the problem belongs to, or no_frame for file-level problems; `what` says what is
// wrong in words a user can act on (it may add a byte offset or page number).
struct ParseError {
  std::size_t frame = no_frame;
  std::string what;
};

// "frame 12: what" or just "what".
inline std::string describe(const ParseError& e) {
  if (e.frame == no_frame) return e.what;
  return "frame " + std::to_string(e.frame) + ": " + e.what;
}

inline std::uint16_t le16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t le32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
inline std::uint64_t le64(const std::uint8_t* p) noexcept {
  return std::uint64_t{le32(p)} | (std::uint64_t{le32(p + 4)} << 32);
}
inline void put_le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put_le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_le64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Printable rendering of up to 4 bytes (for "found ..." in errors).
inline std::string show_magic(BytesIn b) {
  std::string s;
  for (std::size_t i = 0; i < b.size() && i < 4; ++i) {
    const std::uint8_t c = b[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      s.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  return s;
}

}  // namespace media
