// IVF (the libvpx/ffmpeg container for VP8, VP9 and AV1), and frameseal's encrypted IVF.
//
// IVF layout, all integers little-endian:
//   file header (32 bytes): "DKIF" | version u16 (0) | header size u16 (32) | fourcc[4] |
//                           width u16 | height u16 | time base denominator u32 | numerator u32 |
//                           frame count u32 | reserved u32
//   then per frame:         size u32 | pts u64 | size bytes of frame data
// ffmpeg and libvpx ignore the header size field and the reserved word; frameseal honours the
// header size when reading (frames start there) and always writes 32.
//
// An encrypted IVF is an ordinary IVF whose reserved word (bytes 28-31) is the frameseal mark
// "FS" | format (1 = LiveKit, 2 = SFrame) | cipher (1 = aes128gcm, 2 = aes256gcm,
// 3 = chacha20poly1305). Standard IVF tools still list its frames and timestamps; the last frame is
// the frameseal manifest (cmd_media.hpp), which they list as one more frame.
#pragma once

#include <array>
#include <cstring>

#include "common.hpp"

namespace media {

inline constexpr std::size_t ivf_header_bytes = 32;
inline constexpr std::size_t ivf_frame_header_bytes = 12;

struct IvfHeader {
  std::uint16_t version = 0;
  std::uint16_t header_bytes = ivf_header_bytes;
  std::array<std::uint8_t, 4> fourcc{};
  std::uint16_t width = 0, height = 0;
  std::uint32_t rate = 0;   // time base denominator
  std::uint32_t scale = 0;  // time base numerator
  std::uint32_t frame_count = 0;
  std::array<std::uint8_t, 4> reserved{};
};

struct IvfFrame {
  std::size_t offset = 0;  // of the frame data in the file
  std::size_t size = 0;
  std::uint64_t pts = 0;
};

struct IvfFile {
  IvfHeader header;
  std::vector<IvfFrame> frames;
};

inline bool is_ivf(BytesIn data) noexcept {
  return data.size() >= 4 && std::memcmp(data.data(), "DKIF", 4) == 0;
}

inline std::string fourcc_string(const std::array<std::uint8_t, 4>& f) {
  return show_magic(BytesIn(f.data(), f.size()));
}

// Parses the header and the frame index. Does not look inside frames.
inline std::optional<ParseError> parse_ivf(BytesIn data, IvfFile& out) {
  out = IvfFile{};
  if (data.size() < 4 || std::memcmp(data.data(), "DKIF", 4) != 0)
    return ParseError{no_frame, "not an IVF file (signature \"" + show_magic(data.first(std::min<std::size_t>(4, data.size()))) +
                                    "\", expected \"DKIF\")"};
  if (data.size() < ivf_header_bytes)
    return ParseError{no_frame, "truncated IVF header (" + std::to_string(data.size()) + " of 32 bytes)"};
  const std::uint8_t* p = data.data();
  IvfHeader& h = out.header;
  h.version = le16(p + 4);
  h.header_bytes = le16(p + 6);
  std::memcpy(h.fourcc.data(), p + 8, 4);
  h.width = le16(p + 12);
  h.height = le16(p + 14);
  h.rate = le32(p + 16);
  h.scale = le32(p + 20);
  h.frame_count = le32(p + 24);
  std::memcpy(h.reserved.data(), p + 28, 4);
  if (h.version != 0) return ParseError{no_frame, "unsupported IVF version " + std::to_string(h.version) + " (expected 0)"};
  if (h.header_bytes < ivf_header_bytes)
    return ParseError{no_frame, "bad IVF header size " + std::to_string(h.header_bytes) + " (at least 32)"};
  if (h.header_bytes > data.size())
    return ParseError{no_frame, "truncated IVF header (header size " + std::to_string(h.header_bytes) + ", file " +
                                    std::to_string(data.size()) + " bytes)"};
  std::size_t pos = h.header_bytes;
  while (pos < data.size()) {
    const std::size_t index = out.frames.size();
    const std::size_t left = data.size() - pos;
    if (left < ivf_frame_header_bytes)
      return ParseError{index, "truncated IVF frame header at byte " + std::to_string(pos) + " (" + std::to_string(left) +
                                   " of 12 bytes)"};
    IvfFrame f;
    f.size = le32(p + pos);
    f.pts = le64(p + pos + 4);
    f.offset = pos + ivf_frame_header_bytes;
    if (f.size > left - ivf_frame_header_bytes)
      return ParseError{index, "truncated: the IVF frame header at byte " + std::to_string(pos) + " says " +
                                   std::to_string(f.size) + " bytes, " + std::to_string(left - ivf_frame_header_bytes) +
                                   " are left"};
    out.frames.push_back(f);
    pos = f.offset + f.size;
  }
  return std::nullopt;
}

inline void write_ivf_header(const IvfHeader& h, Bytes& out) {
  out.insert(out.end(), {'D', 'K', 'I', 'F'});
  put_le16(out, 0);
  put_le16(out, ivf_header_bytes);
  out.insert(out.end(), h.fourcc.begin(), h.fourcc.end());
  put_le16(out, h.width);
  put_le16(out, h.height);
  put_le32(out, h.rate);
  put_le32(out, h.scale);
  put_le32(out, h.frame_count);
  out.insert(out.end(), h.reserved.begin(), h.reserved.end());
}

inline void write_ivf_frame_header(std::size_t size, std::uint64_t pts, Bytes& out) {
  put_le32(out, static_cast<std::uint32_t>(size));
  put_le64(out, pts);
}

// The frameseal mark in the reserved word.
inline constexpr std::uint8_t mark_format_livekit = 1, mark_format_sframe = 2;

struct FramesealMark {
  std::uint8_t format = 0;  // mark_format_*
  std::uint8_t cipher = 0;  // 1 aes128gcm, 2 aes256gcm, 3 chacha20poly1305
};

inline std::optional<FramesealMark> frameseal_mark(const IvfHeader& h) noexcept {
  if (h.reserved[0] != 'F' || h.reserved[1] != 'S') return std::nullopt;
  return FramesealMark{h.reserved[2], h.reserved[3]};
}

inline void set_frameseal_mark(IvfHeader& h, FramesealMark m) noexcept {
  h.reserved = {'F', 'S', m.format, m.cipher};
}

}  // namespace media
