// Fuzz target: the CLI's Ogg Opus reader and writer (tools/media/ogg.hpp) and read_media on an
// .opus file.
//
// Input: byte 0 bit 0: fix the page CRCs before parsing (a fuzzer cannot guess CRCs, so without
// this it would never get past the first page); then the Ogg file.
// Checks: parse_ogg_opus never reads outside the file and never throws; on success the packets lie
// back to back in the reassembled data, packet 0 is OpusHead and packet 1 OpusTags, every audio
// packet has a valid TOC; the packets written back with OggWriter (a page after each header packet
// and every 8 packets, end of stream on the last) parse again to the same packets; read_media
// gives the same packets as frames; opus_packet_samples is defined for any packet.
#include <media/containers.hpp>
#include <media/ogg.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;

// Recomputes the CRC of every page that can be walked from the start.
void fix_crcs(Bytes& f) {
  std::size_t pos = 0;
  while (pos + 27 <= f.size() && std::memcmp(f.data() + pos, "OggS", 4) == 0) {
    const std::size_t nseg = f[pos + 26];
    if (pos + 27 + nseg > f.size()) return;
    std::size_t body = 0;
    for (std::size_t i = 0; i < nseg; ++i) body += f[pos + 27 + i];
    const std::size_t len = 27 + nseg + body;
    if (pos + len > f.size()) return;
    std::memset(f.data() + pos + 22, 0, 4);
    const std::uint32_t crc = media::ogg_crc(f.data() + pos, len);
    for (int i = 0; i < 4; ++i)
      f[pos + 22 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
    pos += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  const std::uint8_t cfg = input.byte();
  const media::BytesIn rest = input.rest();
  Bytes file(rest.begin(), rest.end());
  if (cfg & 1) fix_crcs(file);
  const media::BytesIn in(file);

  media::OggOpus ogg;
  const auto err = media::parse_ogg_opus(in, ogg);
  for (std::size_t i = 0; i < ogg.packets.size() && i < 4; ++i)
    (void)media::opus_packet_samples(ogg.packet(i));
  if (err) {
    FS_FUZZ_CHECK(!err->what.empty());
  } else {
    FS_FUZZ_CHECK(ogg.packets.size() >= 2);
    // Memory bounded by the input: no empty packet, so at most one packet per 2 input bytes.
    FS_FUZZ_CHECK(ogg.packets.size() * 2 <= file.size());
    FS_FUZZ_CHECK(ogg.data.size() <= file.size());
    std::size_t pos = 0;
    for (const media::OggPacket& p : ogg.packets) {
      FS_FUZZ_CHECK(p.size > 0);
      FS_FUZZ_CHECK(p.offset == pos && p.size <= ogg.data.size() - p.offset);
      FS_FUZZ_CHECK(p.page < ogg.pages);
      pos = static_cast<std::size_t>(p.offset + p.size);
    }
    FS_FUZZ_CHECK(pos == ogg.data.size());
    FS_FUZZ_CHECK(std::memcmp(ogg.packet(0).data(), "OpusHead", 8) == 0);
    FS_FUZZ_CHECK(std::memcmp(ogg.packet(1).data(), "OpusTags", 8) == 0);
    for (std::size_t i = 2; i < ogg.packets.size(); ++i)
      FS_FUZZ_CHECK(media::opus_packet_samples(ogg.packet(i)).has_value());

    // Written back and read again.
    Bytes out;
    {
      media::OggWriter w(out, ogg.serial);
      for (std::size_t i = 0; i < ogg.packets.size(); ++i) {
        const bool last = i + 1 == ogg.packets.size();
        const std::int64_t granule = i < 2 ? 0 : ogg.packets[i].end_granule;
        w.packet(ogg.packet(i), granule, i < 2 || i % 8 == 0, last);
      }
    }
    media::OggOpus again;
    const auto err2 = media::parse_ogg_opus(out, again);
    if (err2) std::fprintf(stderr, "re-parse: %s\n", media::describe(*err2).c_str());
    FS_FUZZ_CHECK(!err2);
    FS_FUZZ_CHECK(again.serial == ogg.serial && again.packets.size() == ogg.packets.size());
    for (std::size_t i = 0; i < ogg.packets.size(); ++i) FS_FUZZ_CHECK(equal(again.packet(i), ogg.packet(i)));
  }

  media::MediaFile mf;
  const auto merr = media::read_media(in, "input.opus", frameseal::Codec::unknown, mf);
  if (!merr) {
    if (mf.container != media::OggOpusContainer::name) return 0;  // the bytes said IVF
    FS_FUZZ_CHECK(!err && mf.frames.size() == ogg.packets.size());
    for (std::size_t i = 0; i < mf.frames.size(); ++i) {
      FS_FUZZ_CHECK(equal(mf.frames[i].data, ogg.packet(i)));
      FS_FUZZ_CHECK(mf.frames[i].header == (i < 2));
    }
  } else {
    FS_FUZZ_CHECK(err.has_value() ||
                  media::is_ivf(in));  // the same parser refused it (or the bytes said IVF)
    FS_FUZZ_CHECK(!merr->what.empty());
  }
  return 0;
}
