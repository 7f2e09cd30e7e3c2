// What every container reader of the CLI produces and every writer consumes: a MediaFile, the
// list of a file's frames over its bytes, with the facts the encrypted IVF keeps about its source.
// The encrypted file is always an IVF, so the IVF header and the frameseal mark live here; the
// containers themselves are in ivf.hpp, annexb.hpp and ogg.hpp, listed in containers.hpp.
#pragma once

#include <frameseal/codec/codec.hpp>

#include <array>
#include <cstring>
#include <string_view>

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

struct MediaFrame {
  BytesIn data;
  std::uint64_t pts = 0;    // container time stamp (Opus: end granule position)
  std::optional<bool> key;  // key frame, where the container or bitstream says (plain frames)
  bool header = false;      // an Ogg Opus header packet (OpusHead/OpusTags): never encrypted
};

struct MediaFile {
  std::string_view container;  // the reading container's name ("ivf", "annexb", "ogg")
  frameseal::Codec codec = frameseal::Codec::unknown;
  IvfHeader ivf;                      // IVF input: its header; otherwise the one an encrypted file gets
  std::optional<FramesealMark> mark;  // set when the IVF is frameseal-encrypted
  std::uint32_t ogg_serial = 0;
  Bytes storage;  // bytes the frames point into when they are not the file's (Ogg)
  std::vector<MediaFrame> frames;
  [[nodiscard]] std::size_t header_frames() const noexcept { return codec == frameseal::Codec::opus ? 2 : 0; }
};

// Fourccs of the encrypted IVF (and of plain IVF for VP8/VP9/AV1).
inline std::array<std::uint8_t, 4> fourcc_of(frameseal::Codec c) noexcept {
  using frameseal::Codec;
  switch (c) {
    case Codec::vp8:
      return {'V', 'P', '8', '0'};
    case Codec::vp9:
      return {'V', 'P', '9', '0'};
    case Codec::av1:
      return {'A', 'V', '0', '1'};
    case Codec::h264:
      return {'H', '2', '6', '4'};
    case Codec::h265:
      return {'H', '2', '6', '5'};
    case Codec::opus:
      return {'O', 'p', 'u', 's'};
    default:
      return {'?', '?', '?', '?'};
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

inline std::string_view extension_of(std::string_view name) noexcept {
  const auto slash = name.find_last_of('/');
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return name.substr(dot + 1);
}

}  // namespace media
