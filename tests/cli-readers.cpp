// The CLI's container readers (tools/media/) on hostile files: memory bounded by the input size.
#include <media/containers.hpp>
#include <media/ogg.hpp>

#include <string>

#include "common.hpp"

using fstest::Bytes;

namespace {

// An Ogg Opus file: OpusHead, OpusTags, then pages of `per_page` audio packets of `packet_bytes`.
Bytes ogg_file(std::size_t pages, std::size_t per_page, std::size_t packet_bytes) {
  Bytes out;
  media::OggWriter w(out, 0x1234);
  Bytes head = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0};
  w.packet(head, 0, true, false);
  Bytes tags = {'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 0, 0, 0, 0, 0, 0, 0, 0};
  w.packet(tags, 0, true, false);
  Bytes packet(packet_bytes, 0);
  if (!packet.empty()) packet[0] = 0xfc;  // TOC: 20 ms CELT frame, code 0
  std::int64_t granule = 0;
  for (std::size_t p = 0; p < pages; ++p)
    for (std::size_t i = 0; i < per_page; ++i) {
      granule += 960;
      w.packet(packet, granule, i + 1 == per_page, p + 1 == pages && i + 1 == per_page);
    }
  return out;
}

}  // namespace

TEST_CASE("Ogg reader: empty Opus packets are refused (they made 1.3 GB of packet table from 20 MB)") {
  // 254 empty packets a page: before the fix each cost a 40-byte table entry for ~1.1 input bytes.
  const Bytes f = ogg_file(400, 254, 0);
  media::OggOpus ogg;
  auto e = media::parse_ogg_opus(f, ogg);
  REQUIRE(e.has_value());
  CHECK(e->what.find("an empty packet (an Opus packet has at least one byte)") != std::string::npos);
  CHECK(e->frame == 2);  // the first audio packet
  media::MediaFile m;
  CHECK(media::read_media(f, "x.opus", frameseal::Codec::unknown, m).has_value());  // the CLI's entry
}

TEST_CASE("Ogg reader: the densest valid file keeps the packet table within 12 bytes per input byte") {
  const Bytes f = ogg_file(200, 254, 1);  // 1-byte packets (an Opus TOC alone is valid: DTX)
  media::OggOpus ogg;
  REQUIRE(!media::parse_ogg_opus(f, ogg).has_value());
  CHECK(ogg.packets.size() == 2 + 200 * 254);
  CHECK(ogg.packets.size() * 2 <= f.size());
  CHECK(ogg.packets.size() * sizeof(media::OggPacket) + ogg.data.size() <= 13 * f.size());
}
