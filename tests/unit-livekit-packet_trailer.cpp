// livekit/packet_trailer.hpp: LiveKit's LKTS packet trailer (frame metadata). The byte strings
// are what livekit-client 2.23.0's own appendPacketTrailer / extractPacketTrailer (from its E2EE
// worker bundle) produce and accept.
#include <string>

#include "common.hpp"

using namespace frameseal;
using namespace frameseal::livekit;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

std::string append_hex(const Bytes& frame, const PacketTrailerFields& f) {
  fstest::Guarded g(frame.size() + packet_trailer_size(f));
  auto r = append_packet_trailer(frame, f, g.span());
  REQUIRE(r.has_value());
  REQUIRE(g.guard_intact());
  return to_hex(*r);
}

}  // namespace

TEST_CASE("packet trailer: appending matches livekit-client") {
  const Bytes p = from_hex("01020304");
  // livekit frameMetadata.test.ts values: timestamp 1744249600123456, frame id 42
  CHECK(append_hex(p, {1744249600123456ull, 42, {}}) == "01020304fef7fff9cd9d3e2f5dbffdfbffffffd5ea4c4b5453");
  CHECK(append_hex(p, {1744249600123456ull, 0, {}}) == "01020304fef7fff9cd9d3e2f5dbff04c4b5453");
  CHECK(append_hex(p, {0, 0xffffffffu, {}}) == "01020304fdfb00000000f44c4b5453");
  CHECK(append_hex(p, {~0ull, 1, {}}) == "01020304fef70000000000000000fdfbfffffffeea4c4b5453");
  // nothing to write: the frame unchanged
  CHECK(append_hex(p, {}) == "01020304");
  CHECK(packet_trailer_size({}) == 0);
  CHECK(packet_trailer_size({1, 1, {}}) == 21);
  // user data (native senders): tag 3 after the others
  const Bytes ud = from_hex("aabb");
  CHECK(append_hex(p, {0, 0, ud}) == "01020304fcfd5544f64c4b5453");
  // empty frames get no trailer (livekit skips them)
  CHECK(append_hex(Bytes{}, {1, 1, {}}) == "");
}

TEST_CASE("packet trailer: appending in place and failure paths") {
  Bytes buf = from_hex("01020304");
  buf.resize(4 + 21, 0xee);
  auto r = append_packet_trailer(BytesIn(buf.data(), 4), {1744249600123456ull, 42, {}}, buf);
  REQUIRE(r.has_value());
  CHECK(to_hex(*r) == "01020304fef7fff9cd9d3e2f5dbffdfbffffffd5ea4c4b5453");

  const Bytes p = from_hex("01020304");
  fstest::Guarded small(4 + 20);
  CHECK(append_packet_trailer(p, {1, 1, {}}, small.span()).error() == Errc::buffer_too_small);
  for (auto b : small.written(24)) CHECK(b == 0xCC);
  // the whole trailer must fit its length byte
  const Bytes big(250, 0x11);
  CHECK(packet_trailer_size({0, 0, big}) == 257);
  Bytes out(4 + 300);
  CHECK(append_packet_trailer(p, {0, 0, big}, out).error() == Errc::invalid_argument);
  const Bytes fits(248, 0x11);  // 2 + 248 + 5 = 255
  auto ok = append_packet_trailer(p, {0, 0, fits}, out);
  REQUIRE(ok.has_value());
  CHECK(ok->size() == 4 + 255);
  CHECK((*ok)[4 + 250] == 0x00);  // 255 ^ 0xff
  // partial overlap
  Bytes ov = from_hex("0102030400000000000000000000000000000000");
  CHECK(
      append_packet_trailer(BytesIn(ov.data() + 1, 4), {0, 1, {}}, BytesOut(ov.data(), ov.size())).error() ==
      Errc::invalid_argument);
}

TEST_CASE("packet trailer: parsing and stripping as livekit-client") {
  {
    const Bytes f = from_hex("01020304fef7fff9cd9d3e2f5dbffdfbffffffd5ea4c4b5453");
    auto r = parse_packet_trailer(f);  // r->frame is a view into f
    REQUIRE(r.has_value());
    CHECK(r->present);
    CHECK(to_hex(r->frame) == "01020304");
    CHECK(r->user_timestamp == 1744249600123456ull);
    CHECK(r->frame_id == 42);
    CHECK(r->user_data_xored.empty());
  }
  {
    const Bytes f = from_hex("11fcfdaabbf64c4b5453");
    auto r = parse_packet_trailer(f);
    REQUIRE(r.has_value());
    CHECK(r->present);
    CHECK(to_hex(r->frame) == "11");
    CHECK(to_hex(r->user_data_xored) == "aabb");  // 55 44 once un-XORed
  }
  {
    // the trailer is the whole frame; a frame-id TLV whose value is 0 still counts as found
    const Bytes f = from_hex("fdfbfffffffff44c4b5453");
    auto r = parse_packet_trailer(f);
    REQUIRE(r.has_value());
    CHECK(r->present);
    CHECK(r->frame.empty());
    CHECK(r->frame_id == 0);
  }
  // no trailer: unchanged (frames shorter than 5 bytes, no magic)
  for (const char* h : {"", "4c4b5453", "01020304", "0102030405060708090a0c00", "4c4b54530c00"}) {
    CAPTURE(h);
    const Bytes f = from_hex(h);
    auto r = strip_packet_trailer(f);
    REQUIRE(r.has_value());
    CHECK(r->size() == f.size());
    CHECK_FALSE(parse_packet_trailer(f)->present);
  }
  // magic and a consistent length, but no known TLV: livekit keeps the frame, so does frameseal
  for (const char* h :
       {"00fa4c4b5453", "aabbfa4c4b5453", "aabbf94c4b5453", "fdfbfffffffffdfbfffffffeef4c4b5453",
        "fcfbaabbccdd00f44c4b5453", "fc00fdfbfffffffff24c4b5453"}) {
    CAPTURE(h);
    const Bytes f = from_hex(h);
    auto r = strip_packet_trailer(f);
    REQUIRE(r.has_value());
    CHECK(to_hex(*r) == h);
  }
  // the first known TLV counts even when a later one overflows
  {
    const Bytes f = from_hex("aafdfbfffffffefc05f24c4b5453");
    auto r = parse_packet_trailer(f);
    REQUIRE(r.has_value());
    CHECK(r->present);
    CHECK(to_hex(r->frame) == "aa");
    CHECK(r->frame_id == 1);
  }
}

TEST_CASE("packet trailer: an inconsistent length byte is a malformed frame") {
  // livekit-client silently keeps these frames (and would then read 'S' as the key index)
  CHECK(strip_packet_trailer(from_hex("fcfcaabbccddf34c4b5453")).error() ==
        Errc::malformed_frame);                                                              // 12 > 11
  CHECK(strip_packet_trailer(from_hex("aabbfb4c4b5453")).error() == Errc::malformed_frame);  // 4 < 5
  CHECK(strip_packet_trailer(from_hex("aabbff4c4b5453")).error() == Errc::malformed_frame);  // 0
  CHECK(parse_packet_trailer(from_hex("004c4b5453")).error() == Errc::malformed_frame);      // 255 > 5
}

TEST_CASE("packet trailer: round trip over the E2EE trailer") {
  // an encrypted frame ends with 0x0C KID; the packet trailer goes after it and comes off intact
  const Bytes enc = from_hex("78aabbccddeeff00112233445566778899aabbccddeeff0011223344556677880c03");
  for (PacketTrailerFields f : {PacketTrailerFields{1, 0, {}}, PacketTrailerFields{0, 7, {}},
                                PacketTrailerFields{123456789ull, 0xfffffffeu, {}}}) {
    Bytes out(enc.size() + packet_trailer_size(f));
    auto w = append_packet_trailer(enc, f, out);
    REQUIRE(w.has_value());
    auto r = parse_packet_trailer(*w);
    REQUIRE(r.has_value());
    CHECK(r->present);
    CHECK(to_hex(r->frame) == to_hex(enc));
    CHECK(r->user_timestamp == f.user_timestamp);
    CHECK(r->frame_id == f.frame_id);
  }
}
