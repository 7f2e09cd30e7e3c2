// One view of every media file the CLI reads: IVF (VP8, VP9, AV1, and frameseal's encrypted IVF of
// any codec), H.264/H.265 Annex-B elementary streams, and Ogg Opus, as a list of frames over the
// file's bytes. Pure over spans, like the parsers it calls.
#pragma once

#include <frameseal/codec/codec.hpp>
#include <frameseal/codec/vp8.hpp>

#include <string_view>

#include "annexb.hpp"
#include "common.hpp"
#include "ivf.hpp"
#include "ogg.hpp"

namespace media {

enum class Container : std::uint8_t { ivf, annexb, ogg };

inline std::string_view to_string(Container c) noexcept {
  switch (c) {
    case Container::ivf: return "ivf";
    case Container::annexb: return "annexb";
    case Container::ogg: return "ogg";
  }
  return "?";
}

struct MediaFrame {
  BytesIn data;
  std::uint64_t pts = 0;        // container time stamp (Opus: end granule position)
  std::optional<bool> key;      // key frame, where the container or bitstream says (plain frames)
  bool header = false;          // an Ogg Opus header packet (OpusHead/OpusTags): never encrypted
};

struct MediaFile {
  Container container = Container::ivf;
  frameseal::Codec codec = frameseal::Codec::unknown;
  IvfHeader ivf;                       // IVF input: its header; otherwise the one an encrypted file gets
  std::optional<FramesealMark> mark;   // set when the IVF is frameseal-encrypted
  std::uint32_t ogg_serial = 0;
  OggOpus ogg;                         // Ogg input: owns the packet bytes the frames point into
  std::vector<MediaFrame> frames;
  [[nodiscard]] std::size_t header_frames() const noexcept {
    return codec == frameseal::Codec::opus ? 2 : 0;
  }
};

// Fourccs of the encrypted IVF (and of plain IVF for VP8/VP9/AV1).
inline std::array<std::uint8_t, 4> fourcc_of(frameseal::Codec c) noexcept {
  using frameseal::Codec;
  switch (c) {
    case Codec::vp8: return {'V', 'P', '8', '0'};
    case Codec::vp9: return {'V', 'P', '9', '0'};
    case Codec::av1: return {'A', 'V', '0', '1'};
    case Codec::h264: return {'H', '2', '6', '4'};
    case Codec::h265: return {'H', '2', '6', '5'};
    case Codec::opus: return {'O', 'p', 'u', 's'};
    default: return {'?', '?', '?', '?'};
  }
}

inline frameseal::Codec codec_of_fourcc(const std::array<std::uint8_t, 4>& f) noexcept {
  using frameseal::Codec;
  auto is = [&](const char* s) { return std::memcmp(f.data(), s, 4) == 0; };
  if (is("VP80")) return Codec::vp8;
  if (is("VP90")) return Codec::vp9;
  if (is("AV01")) return Codec::av1;
  if (is("H264") || is("h264") || is("avc1")) return Codec::h264;
  if (is("H265") || is("HEVC") || is("hevc") || is("hvc1")) return Codec::h265;
  if (is("Opus")) return Codec::opus;
  return Codec::unknown;
}

// VP9 uncompressed header: frame_type 0 (and not show_existing_frame) is a key frame.
inline std::optional<bool> vp9_is_key_frame(BytesIn f) noexcept {
  if (f.empty() || (f[0] >> 6) != 2) return std::nullopt;
  const unsigned profile = ((f[0] >> 5) & 1) | (((f[0] >> 4) & 1) << 1);
  const unsigned bit = profile == 3 ? 2 : 3;  // show_existing_frame's bit (profile 3 has a reserved bit)
  if ((f[0] >> bit) & 1) return false;
  return ((f[0] >> (bit - 1)) & 1) == 0;
}

// AV1 temporal unit: a key frame carries a sequence header OBU (type 1).
inline std::optional<bool> av1_has_sequence_header(BytesIn f) noexcept {
  std::size_t i = 0;
  while (i < f.size()) {
    const std::uint8_t h = f[i++];
    const unsigned type = (h >> 3) & 0xf;
    if (h & 0x04) ++i;  // extension header
    if (!(h & 0x02)) return type == 1;  // no size: the OBU runs to the end
    std::uint64_t size = 0;
    for (int k = 0; k < 8; ++k) {
      if (i >= f.size()) return std::nullopt;
      const std::uint8_t b = f[i++];
      size |= std::uint64_t{b & 0x7fu} << (7 * k);
      if (!(b & 0x80)) break;
    }
    if (type == 1) return true;
    if (size > f.size() - std::min(i, f.size())) return std::nullopt;
    i += size;
  }
  return false;
}

// H.264/H.265 frame held whole (in an IVF): key frame as in annexb.hpp.
inline bool nal_frame_is_key(BytesIn f, frameseal::Codec codec) noexcept {
  frameseal::AnnexBScanner s(f);
  frameseal::Nalu u;
  while (s.next(u)) {
    const std::uint8_t b = f[u.offset];
    if (codec == frameseal::Codec::h264 ? (b & 0x1f) == 5 : ((b >> 1) & 0x3f) >= 16 && ((b >> 1) & 0x3f) <= 21) return true;
  }
  return false;
}

inline std::optional<bool> plain_key_frame(frameseal::Codec c, BytesIn f) noexcept {
  using frameseal::Codec;
  switch (c) {
    case Codec::vp8: return frameseal::vp8_is_key_frame(f);
    case Codec::vp9: return vp9_is_key_frame(f);
    case Codec::av1: return av1_has_sequence_header(f);
    case Codec::h264:
    case Codec::h265: return nal_frame_is_key(f, c);
    default: return std::nullopt;
  }
}

inline std::string_view extension_of(std::string_view name) noexcept {
  const auto slash = name.find_last_of('/');
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return name.substr(dot + 1);
}

inline frameseal::Codec annexb_codec_of_extension(std::string_view ext) noexcept {
  if (ext == "h264" || ext == "264" || ext == "avc" || ext == "h26l") return frameseal::Codec::h264;
  if (ext == "h265" || ext == "265" || ext == "hevc") return frameseal::Codec::h265;
  return frameseal::Codec::unknown;
}

// Reads `data` (the file named `name`, whose extension is a hint). codec_hint overrides the codec of
// an Annex-B stream (h264/h265); unknown lets the extension, then the bytes, decide.
inline std::optional<ParseError> read_media(BytesIn data, std::string_view name, frameseal::Codec codec_hint, MediaFile& out) {
  using frameseal::Codec;
  out = MediaFile{};
  const std::string_view ext = extension_of(name);
  if (data.empty()) return ParseError{no_frame, "empty file"};
  if (is_ivf(data) || ext == "ivf") {
    IvfFile ivf;
    if (auto e = parse_ivf(data, ivf)) return e;
    out.container = Container::ivf;
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
      if (out.frames.size() < 2 || out.frames[0].data.size() < 8 || std::memcmp(out.frames[0].data.data(), "OpusHead", 8) != 0)
        return ParseError{0, "frame 0 of an Opus IVF must be the OpusHead header packet"};
      if (out.frames[1].data.size() < 8 || std::memcmp(out.frames[1].data.data(), "OpusTags", 8) != 0)
        return ParseError{1, "frame 1 of an Opus IVF must be the OpusTags header packet"};
      out.frames[0].header = out.frames[1].header = true;
    }
    return std::nullopt;
  }
  if (is_ogg(data) || ext == "ogg" || ext == "opus" || ext == "oga") {
    out.container = Container::ogg;
    out.codec = Codec::opus;
    if (auto e = parse_ogg_opus(data, out.ogg)) return e;
    out.ogg_serial = out.ogg.serial;
    out.frames.reserve(out.ogg.packets.size());
    for (std::size_t i = 0; i < out.ogg.packets.size(); ++i) {
      MediaFrame m;
      m.data = out.ogg.packet(i);
      m.pts = static_cast<std::uint64_t>(out.ogg.packets[i].end_granule);
      m.header = i < 2;
      out.frames.push_back(m);
    }
    return std::nullopt;
  }
  Codec codec = codec_hint != Codec::unknown ? codec_hint : annexb_codec_of_extension(ext);
  if (codec == Codec::unknown && !starts_with_start_code(data))
    return ParseError{no_frame, "unrecognised file format (\"" + show_magic(data.first(std::min<std::size_t>(4, data.size()))) +
                                    "...\"): expected IVF, Ogg Opus, or an H.264/H.265 Annex-B stream"};
  if (codec == Codec::unknown) codec = sniff_annexb_codec(data);
  out.container = Container::annexb;
  out.codec = codec;
  std::vector<AccessUnit> units;
  if (auto e = split_access_units(data, codec, units)) return e;
  out.frames.reserve(units.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    MediaFrame m;
    m.data = data.subspan(units[i].offset, units[i].size);
    m.pts = i;
    m.key = units[i].key;
    out.frames.push_back(m);
  }
  return std::nullopt;
}

}  // namespace media
