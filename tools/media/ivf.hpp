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
// the frameseal manifest (tools/encrypted_ivf.hpp), which they list as one more frame.
#pragma once

#include <array>
#include <cstring>

#include "keyframes.hpp"
#include "media_file.hpp"

namespace media {

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
    return ParseError{no_frame, "not an IVF file (signature \"" +
                                    show_magic(data.first(std::min<std::size_t>(4, data.size()))) +
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
  if (h.version != 0)
    return ParseError{no_frame, "unsupported IVF version " + std::to_string(h.version) + " (expected 0)"};
  if (h.header_bytes < ivf_header_bytes)
    return ParseError{no_frame, "bad IVF header size " + std::to_string(h.header_bytes) + " (at least 32)"};
  if (h.header_bytes > data.size())
    return ParseError{no_frame, "truncated IVF header (header size " + std::to_string(h.header_bytes) +
                                    ", file " + std::to_string(data.size()) + " bytes)"};
  std::size_t pos = h.header_bytes;
  while (pos < data.size()) {
    const std::size_t index = out.frames.size();
    const std::size_t left = data.size() - pos;
    if (left < ivf_frame_header_bytes)
      return ParseError{index, "truncated IVF frame header at byte " + std::to_string(pos) + " (" +
                                   std::to_string(left) + " of 12 bytes)"};
    IvfFrame f;
    f.size = le32(p + pos);
    f.pts = le64(p + pos + 4);
    f.offset = pos + ivf_frame_header_bytes;
    if (f.size > left - ivf_frame_header_bytes)
      return ParseError{index, "truncated: the IVF frame header at byte " + std::to_string(pos) + " says " +
                                   std::to_string(f.size) + " bytes, " +
                                   std::to_string(left - ivf_frame_header_bytes) + " are left"};
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

// The IVF container of the CLI (see containers.hpp for the interface): VP8, VP9 and AV1 in, and
// frameseal's encrypted IVF of any codec. An encrypted Opus IVF keeps the Ogg serial number in
// width | height << 16, and its frames 0 and 1 are the OpusHead and OpusTags header packets.
struct IvfContainer {
  static constexpr std::string_view name = "ivf";

  [[nodiscard]] static bool claims(BytesIn data, std::string_view ext) noexcept {
    return is_ivf(data) || ext == "ivf";
  }

  static std::optional<ParseError> read(BytesIn data, std::string_view, frameseal::Codec, MediaFile& out) {
    using frameseal::Codec;
    IvfFile ivf;
    if (auto e = parse_ivf(data, ivf)) return e;
    out.container = name;
    out.ivf = ivf.header;
    out.mark = frameseal_mark(ivf.header);
    out.codec = codec_of_fourcc(ivf.header.fourcc);
    if (out.codec == Codec::unknown)
      return ParseError{no_frame, "unsupported IVF fourcc \"" + fourcc_string(ivf.header.fourcc) +
                                      "\" (expected VP80, VP90 or AV01, or a frameseal-encrypted IVF)"};
    out.frames.reserve(ivf.frames.size());
    for (const IvfFrame& f : ivf.frames) {
      MediaFrame m;
      m.data = data.subspan(f.offset, f.size);
      m.pts = f.pts;
      if (!out.mark) m.key = plain_key_frame(out.codec, m.data);
      out.frames.push_back(m);
    }
    if (out.codec == Codec::opus) {
      if (!out.mark) return ParseError{no_frame, "an IVF with Opus audio that frameseal did not write"};
      out.ogg_serial = std::uint32_t{out.ivf.width} | (std::uint32_t{out.ivf.height} << 16);
      if (out.frames.size() < 2 || out.frames[0].data.size() < 8 ||
          std::memcmp(out.frames[0].data.data(), "OpusHead", 8) != 0)
        return ParseError{0, "frame 0 of an Opus IVF must be the OpusHead header packet"};
      if (out.frames[1].data.size() < 8 || std::memcmp(out.frames[1].data.data(), "OpusTags", 8) != 0)
        return ParseError{1, "frame 1 of an Opus IVF must be the OpusTags header packet"};
      out.frames[0].header = out.frames[1].header = true;
    }
    return std::nullopt;
  }

  // The codecs decrypt writes to IVF: the ones IVF carries in the wild.
  [[nodiscard]] static bool writes(frameseal::Codec c) noexcept {
    return c == frameseal::Codec::vp8 || c == frameseal::Codec::vp9 || c == frameseal::Codec::av1;
  }

  // m.ivf as the header, then frames[i] with pts m.frames[i].pts.
  static void write(const MediaFile& m, std::span<const BytesIn> frames, Bytes& out) {
    write_ivf_header(m.ivf, out);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      write_ivf_frame_header(frames[i].size(), m.frames[i].pts, out);
      out.insert(out.end(), frames[i].begin(), frames[i].end());
    }
  }

  // The header of the encrypted IVF made from an IVF: the source's (fourcc, size, time base, frame
  // count), unchanged but for the mark the caller sets.
  [[nodiscard]] static IvfHeader encrypted_header(const MediaFile& source) noexcept { return source.ivf; }
};

}  // namespace media
