// Key frames of plain (unencrypted) frames, from the bitstream: what `inspect` shows and what
// `encrypt` passes as FrameInfo::key_frame. Pure over spans, like the container parsers.
#pragma once

#include <frameseal/codec/codec.hpp>
#include <frameseal/codec/nalu.hpp>
#include <frameseal/codec/vp8.hpp>

#include "common.hpp"

namespace media {

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
    if (h & 0x04) ++i;                  // extension header
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
    if (codec == frameseal::Codec::h264 ? (b & 0x1f) == 5
                                        : ((b >> 1) & 0x3f) >= 16 && ((b >> 1) & 0x3f) <= 21)
      return true;
  }
  return false;
}

inline std::optional<bool> plain_key_frame(frameseal::Codec c, BytesIn f) noexcept {
  using frameseal::Codec;
  switch (c) {
    case Codec::vp8:
      return frameseal::vp8_is_key_frame(f);
    case Codec::vp9:
      return vp9_is_key_frame(f);
    case Codec::av1:
      return av1_has_sequence_header(f);
    case Codec::h264:
    case Codec::h265:
      return nal_frame_is_key(f, c);
    default:
      return std::nullopt;
  }
}

}  // namespace media
