// H.264 / H.265 Annex-B elementary streams: splitting into access units (one access unit = one
// frame for the frame cryptor) and telling the two codecs apart.
//
// An access unit is the byte range from the start code of its first NAL unit to the start code of
// the next access unit's first NAL unit, so the access units concatenated give back the stream
// byte for byte (zero bytes before a start code stay with the preceding access unit, leading zero
// bytes of the stream with the first one). NAL units are found with frameseal's Annex-B scanner
// (codec/nalu.hpp), the one the LiveKit clear-header rule uses.
//
// Access-unit boundaries (H.264 7.4.1.2.3, H.265 7.4.2.4.4), after the current access unit has a
// coded slice:
//   H.264: AUD (9), SEI (6), SPS (7), PPS (8), types 14-18, or a slice (1, 2, 5) whose
//          first_mb_in_slice is 0 (the first bit of its slice header is 1);
//   H.265: AUD (35), VPS (32), SPS (33), PPS (34), prefix SEI (39), types 41-44 and 48-55, or a
//          VCL NAL unit (0-31) with first_slice_segment_in_pic_flag set.
// An AUD always starts an access unit. This is what decoders do for streams without arbitrary slice
// order; that covers every encoder frameseal users are likely to meet.
//
// Key frame: H.264, an IDR slice (type 5) is present; H.265, an IRAP slice (types 16-21: BLA, IDR,
// CRA) is present. The reserved IRAP types 22-23 do not count: they are not slices for LiveKit
// (codec/nalu.hpp), so with this definition a frame without a slice is never a key frame, and a
// receiver gets the same clear-header length without being told the frame type.
#pragma once

#include <frameseal/codec/codec.hpp>
#include <frameseal/codec/nalu.hpp>

#include "media_file.hpp"

namespace media {

struct AccessUnit {
  std::size_t offset = 0;
  std::size_t size = 0;
  bool key = false;
  bool has_slice = false;
};

// Guesses the codec of an Annex-B stream from its first NAL unit header: an H.264 SPS or AUD is
// H.264; H.265 parameter sets, AUD, SEI and slices have a 2-byte header with nuh_layer_id 0 and
// TemporalId 1 (second byte 0x01). Streams start with one of these in practice; the caller lets
// the file name (.h264/.264/.avc, .h265/.265/.hevc) or --codec decide first.
// Returns unknown when there is no start code at the beginning.
inline frameseal::Codec sniff_annexb_codec(BytesIn data) noexcept {
  frameseal::AnnexBScanner s(data);
  frameseal::Nalu u;
  if (s.leading_data() || !s.next(u)) return frameseal::Codec::unknown;
  const std::uint8_t b0 = data[u.offset], b1 = data[u.offset + 1];
  const unsigned t265 = (b0 >> 1) & 0x3f;
  if ((b0 & 0x80) == 0 && ((b0 & 0x1f) == 7 || (b0 & 0x1f) == 9)) return frameseal::Codec::h264;  // SPS, AUD
  if ((b0 & 0x80) == 0 && (b0 & 1) == 0 && b1 == 0x01 &&
      ((t265 >= 32 && t265 <= 35) || t265 == 39 || t265 <= 21))
    return frameseal::Codec::h265;
  return frameseal::Codec::h264;
}

inline bool starts_with_start_code(BytesIn data) noexcept {
  std::size_t i = 0;
  while (i < data.size() && data[i] == 0) ++i;
  return i >= 2 && i < data.size() && data[i] == 1;
}

// Splits `data` into access units. Errors: no start code, or data before the first start code.
inline std::optional<ParseError> split_access_units(BytesIn data, frameseal::Codec codec,
                                                    std::vector<AccessUnit>& out) {
  using frameseal::Codec;
  out.clear();
  if (data.empty()) return ParseError{no_frame, "empty file"};
  frameseal::AnnexBScanner scanner(data);
  if (scanner.leading_data() || !starts_with_start_code(data))
    return ParseError{
        0, "no Annex-B start code (00 00 01 or 00 00 00 01) at the start of the stream: not an " +
               std::string(codec == Codec::h265 ? "H.265" : "H.264") + " Annex-B elementary stream"};
  const bool h265 = codec == Codec::h265;
  AccessUnit cur;
  bool open = false;      // cur has at least one NAL unit
  bool seen_vcl = false;  // cur has a coded slice
  frameseal::Nalu u;
  auto start_new = [&](std::size_t at) {
    if (open) {
      cur.size = at - cur.offset;
      out.push_back(cur);
    }
    cur = AccessUnit{};
    cur.offset = out.empty() && !open ? 0 : at;  // leading zero bytes belong to the first unit
    open = true;
    seen_vcl = false;
  };
  while (scanner.next(u)) {
    const std::uint8_t b0 = data[u.offset];
    const std::uint8_t b1 = u.offset + 1 < data.size() ? data[u.offset + 1] : 0;
    const std::uint8_t b2 = u.offset + 2 < data.size() ? data[u.offset + 2] : 0;
    bool vcl = false, first_slice = false, starts_au = false, key = false, slice = false;
    bool aud = false;
    if (!h265) {
      const unsigned t = b0 & 0x1f;
      vcl = t >= 1 && t <= 5;
      slice = t == 1 || t == 5;
      first_slice = (t == 1 || t == 2 || t == 5) && (b1 & 0x80) != 0;
      aud = t == 9;
      starts_au = t == 6 || t == 7 || t == 8 || t == 9 || (t >= 14 && t <= 18);
      key = t == 5;
    } else {
      const unsigned t = (b0 >> 1) & 0x3f;
      vcl = t <= 31;
      slice = t <= 9 || (t >= 16 && t <= 21);
      first_slice = vcl && (b2 & 0x80) != 0;
      aud = t == 35;
      starts_au = (t >= 32 && t <= 35) || t == 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
      key = t >= 16 && t <= 21;
    }
    if (!open || (aud && open) || (seen_vcl && (starts_au || (vcl && first_slice)))) start_new(u.start_code);
    if (vcl) seen_vcl = true;
    if (slice) cur.has_slice = true;
    if (key) cur.key = true;
  }
  if (!open) return ParseError{0, "no NAL unit found (the stream is too short)"};
  cur.size = data.size() - cur.offset;
  out.push_back(cur);
  return std::nullopt;
}

inline frameseal::Codec annexb_codec_of_extension(std::string_view ext) noexcept {
  if (ext == "h264" || ext == "264" || ext == "avc" || ext == "h26l") return frameseal::Codec::h264;
  if (ext == "h265" || ext == "265" || ext == "hevc") return frameseal::Codec::h265;
  return frameseal::Codec::unknown;
}

// The Annex-B container of the CLI (see containers.hpp): an H.264 or H.265 elementary stream, one
// access unit a frame, pts = the access unit's index. Tried last, it takes every file the other
// containers did not claim and says so when it has no start code.
struct AnnexBContainer {
  static constexpr std::string_view name = "annexb";

  [[nodiscard]] static bool claims(BytesIn, std::string_view) noexcept { return true; }

  // codec_hint (h264/h265) first, then the file extension, then the bytes.
  static std::optional<ParseError> read(BytesIn data, std::string_view ext, frameseal::Codec codec_hint,
                                        MediaFile& out) {
    using frameseal::Codec;
    Codec codec = codec_hint != Codec::unknown ? codec_hint : annexb_codec_of_extension(ext);
    if (codec == Codec::unknown && !starts_with_start_code(data))
      return ParseError{no_frame, "unrecognised file format (\"" +
                                      show_magic(data.first(std::min<std::size_t>(4, data.size()))) +
                                      "...\"): expected IVF, Ogg Opus, or an H.264/H.265 Annex-B stream"};
    if (codec == Codec::unknown) codec = sniff_annexb_codec(data);
    out.container = name;
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

  [[nodiscard]] static bool writes(frameseal::Codec c) noexcept {
    return c == frameseal::Codec::h264 || c == frameseal::Codec::h265;
  }

  // The access units back to back: the stream.
  static void write(const MediaFile&, std::span<const BytesIn> frames, Bytes& out) {
    for (const BytesIn& f : frames) out.insert(out.end(), f.begin(), f.end());
  }

  // fourcc H264/H265, no size, time base 1/25, frame count = access units.
  [[nodiscard]] static IvfHeader encrypted_header(const MediaFile& source) noexcept {
    IvfHeader h;
    h.fourcc = fourcc_of(source.codec);
    h.rate = 25;
    h.scale = 1;
    h.frame_count = static_cast<std::uint32_t>(source.frames.size());
    return h;
  }
};

}  // namespace media
