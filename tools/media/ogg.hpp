// Ogg Opus (RFC 3533 pages, RFC 7845 Opus mapping): reading one logical Opus stream into packets,
// and writing packets back into pages.
//
// Reading: every page is checked (capture pattern, version, CRC, sequence numbers, continuation
// flags, one logical stream, nothing after the end-of-stream page); packets are reassembled across
// pages. Packet 0 must be OpusHead and packet 1 OpusTags (the header packets); the rest are audio
// packets, one Opus packet each. Each packet gets its end granule position: the 48 kHz sample count
// (pre-skip included) at the end of the packet, Ogg's own time stamp. It comes from the page
// granule positions and the packet durations (from each packet's TOC byte, RFC 6716 3.1):
// within a page the packets end at the previous page's granule plus their running duration, the
// last packet completed on a page ends at the page's granule (so the final page's granule, which
// carries end trimming, is kept exactly), and the first audio page starts at its granule minus the
// duration of its packets (at 0 if it is also the last page, where the granule may trim the end).
//
// Writing (OggWriter) lays packets out with standard lacing; a page closes when a caller asks for
// it (the CLI closes one after each header packet and about every second of audio), or when it
// holds 255 lacing values, in which case the packet continues on the next page.
#pragma once

#include <array>
#include <cstring>
#include <limits>

#include "media_file.hpp"

namespace media {

// 24 bytes a packet. With empty packets refused, a packet takes at least 2 bytes of input (a lacing
// value and a byte), so the packet table is at most 12 bytes per input byte and the reader holds at
// most 13 times the input (the table and the packet bytes): memory is bounded by the input size.
struct OggPacket {
  std::uint64_t offset = 0;      // into OggOpus::data
  std::uint32_t size = 0;        // a packet of 4 GiB or more is refused
  std::uint32_t page = 0;        // page on which the packet starts
  std::int64_t end_granule = 0;  // header packets: 0
};
static_assert(sizeof(OggPacket) == 24);

struct OggOpus {
  std::uint32_t serial = 0;
  Bytes data;  // the packets, back to back
  std::vector<OggPacket> packets;
  std::size_t pages = 0;
  [[nodiscard]] BytesIn packet(std::size_t i) const {
    return BytesIn(data).subspan(static_cast<std::size_t>(packets[i].offset), packets[i].size);
  }
};

inline bool is_ogg(BytesIn data) noexcept {
  return data.size() >= 4 && std::memcmp(data.data(), "OggS", 4) == 0;
}

// Samples at 48 kHz in an Opus packet (RFC 6716 3.1), or nullopt when the packet is malformed.
// An empty packet has no samples.
inline std::optional<std::uint32_t> opus_packet_samples(BytesIn p) noexcept {
  if (p.empty()) return 0u;
  const unsigned config = p[0] >> 3;
  std::uint32_t per_frame;
  if (config < 12)
    per_frame = std::array<std::uint32_t, 4>{480, 960, 1920, 2880}[config & 3];
  else if (config < 16)
    per_frame = (config & 1) ? 960 : 480;
  else
    per_frame = std::array<std::uint32_t, 4>{120, 240, 480, 960}[config & 3];
  std::uint32_t frames;
  switch (p[0] & 3) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (p.size() < 2) return std::nullopt;
      frames = p[1] & 0x3f;
      if (frames == 0) return std::nullopt;
  }
  const std::uint32_t total = frames * per_frame;
  if (total > 5760) return std::nullopt;  // more than 120 ms
  return total;
}

inline std::uint32_t ogg_crc(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0) noexcept {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t r = i << 24;
      for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : r << 1;
      t[i] = r;
    }
    return t;
  }();
  for (std::size_t i = 0; i < n; ++i) crc = (crc << 8) ^ table[((crc >> 24) ^ p[i]) & 0xff];
  return crc;
}

inline std::optional<ParseError> parse_ogg_opus(BytesIn in, OggOpus& out) {
  out = OggOpus{};
  if (in.empty()) return ParseError{no_frame, "empty file"};
  const std::uint8_t* p = in.data();
  std::size_t pos = 0;
  bool pending = false;  // a packet continues on the next page
  std::size_t pending_start = 0, pending_page = 0;
  bool eos = false;
  bool have_prev_end = false;
  std::int64_t prev_end = 0;
  std::uint32_t expected_seq = 0;
  while (pos < in.size()) {
    const std::size_t page = out.pages;
    const std::size_t frame = out.packets.size();
    const std::string where = "Ogg page " + std::to_string(page) + " at byte " + std::to_string(pos) + ": ";
    const std::size_t left = in.size() - pos;
    if (eos)
      return ParseError{frame, where + "data after the end-of-stream page: chained Ogg is not supported"};
    if (std::memcmp(p + pos, "OggS", std::min<std::size_t>(4, left)) != 0)
      return ParseError{frame, where + "expected an Ogg page (\"OggS\"), found \"" +
                                   show_magic(in.subspan(pos, std::min<std::size_t>(4, left))) + "\""};
    if (left < 27)
      return ParseError{frame, where + "truncated page header (" + std::to_string(left) + " of 27 bytes)"};
    const std::uint8_t* h = p + pos;
    if (h[4] != 0) return ParseError{frame, where + "unsupported Ogg version " + std::to_string(h[4])};
    const std::uint8_t type = h[5];
    const auto granule = static_cast<std::int64_t>(le64(h + 6));
    const std::uint32_t serial = le32(h + 14), seq = le32(h + 18), stored_crc = le32(h + 22);
    const std::size_t nseg = h[26];
    if (left < 27 + nseg) return ParseError{frame, where + "truncated page (lacing table cut short)"};
    std::size_t body = 0;
    for (std::size_t i = 0; i < nseg; ++i) body += h[27 + i];
    const std::size_t page_bytes = 27 + nseg + body;
    if (left < page_bytes)
      return ParseError{frame, where + "truncated page (needs " + std::to_string(page_bytes) + " bytes, " +
                                   std::to_string(left) + " are left)"};
    std::uint32_t crc = ogg_crc(h, 22);
    const std::uint8_t zero[4] = {0, 0, 0, 0};
    crc = ogg_crc(zero, 4, crc);
    crc = ogg_crc(h + 26, page_bytes - 26, crc);
    if (crc != stored_crc) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "bad CRC (stored %08x, computed %08x)", stored_crc, crc);
      return ParseError{frame, where + buf};
    }
    if (page == 0) {
      if (!(type & 2)) return ParseError{frame, where + "the first page is not a beginning-of-stream page"};
      out.serial = serial;
    } else {
      if (serial != out.serial) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "a second logical stream (serial %08x, first %08x)", serial,
                      out.serial);
        return ParseError{frame, where + buf + ": multiplexed Ogg is not supported"};
      }
      if (type & 2)
        return ParseError{frame, where + "a second beginning-of-stream page: chained Ogg is not supported"};
    }
    if (seq != expected_seq)
      return ParseError{frame, where + "page sequence number " + std::to_string(seq) + ", expected " +
                                   std::to_string(expected_seq) + " (a page is missing)"};
    ++expected_seq;
    if ((type & 1) && !pending)
      return ParseError{frame, where + "the page continues a packet, but none was started"};
    if (!(type & 1) && pending)
      return ParseError{frame, where + "a packet is cut short: this page does not continue it"};

    const std::size_t first_completed = out.packets.size();
    const std::uint8_t* b = h + 27 + nseg;
    for (std::size_t i = 0; i < nseg; ++i) {
      const std::uint8_t lace = h[27 + i];
      if (!pending) {
        pending = true;
        pending_start = out.data.size();
        pending_page = page;
      }
      out.data.insert(out.data.end(), b, b + lace);
      b += lace;
      if (lace < 255) {
        const std::size_t size = out.data.size() - pending_start;
        // RFC 6716 3.4 [R1]: an Opus packet holds at least one byte (the TOC). Refusing empty ones
        // also bounds the packet table by the input size (see OggPacket).
        if (size == 0)
          return ParseError{out.packets.size(),
                            where + "an empty packet (an Opus packet has at least one byte)"};
        if (size > 0xffffffffu) return ParseError{out.packets.size(), where + "a packet of 4 GiB or more"};
        if (pending_page > 0xffffffffu) return ParseError{out.packets.size(), where + "more than 2^32 pages"};
        out.packets.push_back(OggPacket{pending_start, static_cast<std::uint32_t>(size),
                                        static_cast<std::uint32_t>(pending_page), 0});
        pending = false;
      }
    }
    // End granules of the audio packets completed on this page.
    std::size_t first_audio = std::max<std::size_t>(first_completed, 2);
    if (first_audio < out.packets.size()) {
      if (granule == -1)
        return ParseError{first_audio, where + "the page completes a packet but has no granule position"};
      // A granule position is a sample count: -1 (no packet ends here) is the only negative value
      // Ogg allows, and one within 2^32 of the int64 limit would overflow the running ends below.
      if (granule < 0 || granule > std::numeric_limits<std::int64_t>::max() - (std::int64_t{1} << 32))
        return ParseError{first_audio,
                          where + "granule position " + std::to_string(granule) + " is out of range"};
      std::int64_t total = 0;
      std::vector<std::uint32_t> d;
      for (std::size_t k = first_audio; k < out.packets.size(); ++k) {
        auto s = opus_packet_samples(out.packet(k));
        if (!s) return ParseError{k, where + "malformed Opus packet (bad TOC or frame count)"};
        d.push_back(*s);
        total += *s;
      }
      // Each packet lasts at most 120 ms (5760 samples) and a page holds at most 255 of them, so
      // total < 2^21 and prev_end + total stays below the int64 limit (prev_end is a checked granule
      // or 0).

      if (!have_prev_end) {
        prev_end = (type & 4) ? 0 : granule - total;
        if (prev_end < 0) prev_end = 0;
        have_prev_end = true;
      }
      std::int64_t e = prev_end;
      for (std::size_t k = first_audio; k < out.packets.size(); ++k) {
        e += d[k - first_audio];
        out.packets[k].end_granule = e;
      }
      out.packets.back().end_granule = granule;
      prev_end = granule;
    }
    if (type & 4) eos = true;
    pos += page_bytes;
    ++out.pages;
  }
  if (pending)
    return ParseError{out.packets.size(), "truncated: the last packet continues past the end of the file"};
  if (out.packets.empty() || out.packets[0].size < 19 ||
      std::memcmp(out.data.data() + out.packets[0].offset, "OpusHead", 8) != 0)
    return ParseError{0, "not an Ogg Opus stream (the first packet is not an OpusHead header)"};
  const std::uint8_t version = out.data[static_cast<std::size_t>(out.packets[0].offset) + 8];
  if (version >> 4 != 0) return ParseError{0, "unsupported OpusHead version " + std::to_string(version)};
  if (out.packets.size() < 2 || out.packets[1].size < 8 ||
      std::memcmp(out.data.data() + out.packets[1].offset, "OpusTags", 8) != 0)
    return ParseError{1, "the second packet is not an OpusTags header"};
  return std::nullopt;
}

// Writes packets into Ogg pages.
class OggWriter {
 public:
  OggWriter(Bytes& out, std::uint32_t serial) : out_(out), serial_(serial) {}

  // Appends a packet that ends at `granule`. flush: close the page after it; eos: it is the last.
  void packet(BytesIn p, std::int64_t granule, bool flush, bool eos) {
    const std::size_t full = p.size() / 255;
    std::size_t at = 0;
    for (std::size_t i = 0; i <= full; ++i) {
      if (lacing_.size() == 255) emit(false, true);
      const std::size_t n = i < full ? 255 : p.size() % 255;
      lacing_.push_back(static_cast<std::uint8_t>(n));
      body_.insert(body_.end(), p.begin() + static_cast<std::ptrdiff_t>(at),
                   p.begin() + static_cast<std::ptrdiff_t>(at + n));
      at += n;
    }
    granule_ = granule;
    completed_ = true;
    if (flush || eos) emit(eos, false);
  }

 private:
  void emit(bool eos, bool packet_continues) {
    const std::size_t start = out_.size();
    out_.insert(out_.end(), {'O', 'g', 'g', 'S', 0});
    out_.push_back(static_cast<std::uint8_t>((continued_ ? 1 : 0) | (bos_ ? 2 : 0) | (eos ? 4 : 0)));
    put_le64(out_, static_cast<std::uint64_t>(completed_ ? granule_ : -1));
    put_le32(out_, serial_);
    put_le32(out_, seq_++);
    put_le32(out_, 0);
    out_.push_back(static_cast<std::uint8_t>(lacing_.size()));
    out_.insert(out_.end(), lacing_.begin(), lacing_.end());
    out_.insert(out_.end(), body_.begin(), body_.end());
    const std::uint32_t crc = ogg_crc(out_.data() + start, out_.size() - start);
    for (int i = 0; i < 4; ++i)
      out_[start + 22 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
    lacing_.clear();
    body_.clear();
    bos_ = false;
    continued_ = packet_continues;
    completed_ = false;
  }

  Bytes& out_;
  std::uint32_t serial_;
  std::uint32_t seq_ = 0;
  bool bos_ = true;
  bool continued_ = false;
  bool completed_ = false;
  std::int64_t granule_ = -1;
  Bytes lacing_, body_;
};

// The Ogg Opus container of the CLI (see containers.hpp): packets 0 and 1 (OpusHead, OpusTags) are
// header frames, sent in clear; each other packet is one frame whose pts is its end granule.
struct OggOpusContainer {
  static constexpr std::string_view name = "ogg";

  [[nodiscard]] static bool claims(BytesIn data, std::string_view ext) noexcept {
    return is_ogg(data) || ext == "ogg" || ext == "opus" || ext == "oga";
  }

  static std::optional<ParseError> read(BytesIn data, std::string_view, frameseal::Codec, MediaFile& out) {
    OggOpus ogg;
    out.container = name;
    out.codec = frameseal::Codec::opus;
    if (auto e = parse_ogg_opus(data, ogg)) return e;
    out.ogg_serial = ogg.serial;
    out.storage = std::move(ogg.data);  // the packets, back to back; a moved vector keeps its buffer
    const BytesIn packets(out.storage);
    out.frames.reserve(ogg.packets.size());
    for (std::size_t i = 0; i < ogg.packets.size(); ++i) {
      MediaFrame m;
      m.data = packets.subspan(static_cast<std::size_t>(ogg.packets[i].offset), ogg.packets[i].size);
      m.pts = static_cast<std::uint64_t>(ogg.packets[i].end_granule);
      m.header = i < 2;
      out.frames.push_back(m);
    }
    return std::nullopt;
  }

  [[nodiscard]] static bool writes(frameseal::Codec c) noexcept { return c == frameseal::Codec::opus; }

  // frames[0], frames[1]: the header packets, each on its own page; then the audio packets in
  // pages of about one second (as ffmpeg writes), granules from m.frames[k].pts, serial m.ogg_serial.
  static void write(const MediaFile& m, std::span<const BytesIn> frames, Bytes& out) {
    OggWriter w(out, m.ogg_serial);
    const std::size_t n = frames.size();
    if (n < 2) return;
    w.packet(frames[0], 0, true, false);
    w.packet(frames[1], 0, true, n == 2);
    std::int64_t page_begin = n > 2 ? static_cast<std::int64_t>(m.frames[2].pts) : 0;
    for (std::size_t k = 2; k < n; ++k) {
      const auto g = static_cast<std::int64_t>(m.frames[k].pts);
      const bool last = k + 1 == n;
      const bool flush = last || g - page_begin >= 48000;
      w.packet(frames[k], g, flush, last);
      if (flush) page_begin = g;
    }
  }

  // fourcc Opus, time base 1/48000, width | height << 16 = the Ogg serial number.
  [[nodiscard]] static IvfHeader encrypted_header(const MediaFile& source) noexcept {
    IvfHeader h;
    h.fourcc = fourcc_of(source.codec);
    h.width = static_cast<std::uint16_t>(source.ogg_serial & 0xffff);
    h.height = static_cast<std::uint16_t>(source.ogg_serial >> 16);
    h.rate = 48000;
    h.scale = 1;
    h.frame_count = static_cast<std::uint32_t>(source.frames.size());
    return h;
  }
};

}  // namespace media
