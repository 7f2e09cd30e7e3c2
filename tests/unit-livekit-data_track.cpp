// livekit/data_track.hpp: the data track packet format, packetizer, depacketizer, and data track
// frames sealed with a participant's key ring through the session layer.
#include <doctest/doctest.h>

#include <vector>

#include "common.hpp"

using namespace frameseal;
using namespace frameseal::livekit;
using fstest::Bytes;

namespace {

using C = sodium::ChaCha20Poly1305;

Bytes hex(const char* spaced) {  // hex with spaces for readability
  std::string h;
  for (const char* c = spaced; *c; ++c)
    if (*c != ' ') h += *c;
  return fstest::from_hex(h);
}

Bytes write(const DataTrackHeader& h) {
  Bytes out(data_track_header_size(h));
  auto n = write_data_track_header(h, out);
  REQUIRE(n);
  CHECK(*n == out.size());
  return out;
}

}  // namespace

TEST_CASE("data track header: the bytes, with and without extensions") {
  DataTrackHeader h;
  h.marker = DataTrackMarker::start;
  h.handle = 0x1234;
  h.sequence = 0xfffe;
  h.frame_number = 7;
  h.timestamp = 0x01020304;
  // version 0, marker start (2) << 3 = 0x10, no extension flag
  CHECK(write(h) == hex("1000 1234 fffe 0007 01020304"));

  h.marker = DataTrackMarker::single;
  h.e2ee = DataTrackE2ee{5, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
  // 0x18 | 0x04; extension block: 2 + 15 bytes -> 5 words (W = 4), 3 bytes of padding
  CHECK(write(h) == hex("1c00 1234 fffe 0007 01020304 0004 010d 05 000102030405060708090a0b 000000"));

  h.user_timestamp = 0x1122334455667788ull;
  // E2EE first, then the user timestamp: 2 + 15 + 10 = 27 -> 7 words, 1 byte of padding. LiveKit's
  // documentation example shows "Extension Words (7)" here; livekit-client writes words - 1 = 6
  // (packet/index.ts), and so does frameseal (the interop harness checks it byte for byte).
  const Bytes both = write(h);
  CHECK(both ==
        hex("1c00 1234 fffe 0007 01020304 0006 010d 05 000102030405060708090a0b 0208 1122334455667788 00"));
  CHECK(data_track_header_size(h) == 12 + 28);

  Bytes packet = both;
  packet.push_back(0xaa);
  auto v = parse_data_track_packet(packet);
  REQUIRE(v);
  CHECK(v->header == h);
  CHECK(Bytes(v->payload.begin(), v->payload.end()) == Bytes{0xaa});

  SUBCASE("a handle of 0 is refused both ways; a short buffer too") {
    DataTrackHeader z;
    z.handle = 0;
    Bytes out(12);
    CHECK(write_data_track_header(z, out).error() == Errc::invalid_argument);
    Bytes small(data_track_header_size(h) - 1);
    CHECK(write_data_track_header(h, small).error() == Errc::buffer_too_small);
    CHECK(parse_data_track_packet(hex("1800 0000 0000 0000 00000000")).error() == Errc::malformed_frame);
  }
}

TEST_CASE("data track packets livekit-client would refuse, or read out of bounds, are malformed") {
  CHECK(parse_data_track_packet(hex("1800 0001 0000 0000 000000")).error() ==
        Errc::malformed_frame);  // 11 bytes
  CHECK(parse_data_track_packet(hex("3800 0001 0000 0000 00000000")).error() ==
        Errc::malformed_frame);  // version 1
  CHECK(parse_data_track_packet(hex("1c00 0001 0000 0000 00000000")).error() ==
        Errc::malformed_frame);  // no W
  CHECK(parse_data_track_packet(hex("1c00 0001 0000 0000 00000000 0001 0000")).error() ==
        Errc::malformed_frame);  // block past end
  // an E2EE extension whose length says 5 (shorter than key index + IV)
  CHECK(parse_data_track_packet(hex("1c00 0001 0000 0000 00000000 0001 0105 0000")).error() ==
        Errc::malformed_frame);
  // an extension running past its block
  CHECK(parse_data_track_packet(hex("1c00 0001 0000 0000 00000000 0000 0909")).error() ==
        Errc::malformed_frame);
  // an unknown extension is skipped, padding too; the payload follows the block
  const Bytes skipped = hex("1c00 0001 0000 0000 00000000 0001 0901ff 000000 bb");  // the payload views it
  auto v = parse_data_track_packet(skipped);
  REQUIRE(v);
  CHECK_FALSE(v->header.e2ee);
  CHECK_FALSE(v->header.user_timestamp);
  CHECK(v->payload.size() == 1);
  CHECK(v->payload[0] == 0xbb);
}

TEST_CASE("packetizer: MTU split, markers, sequence and frame numbers") {
  CHECK(DataTrackPacketizer::create(0).error() == Errc::invalid_argument);
  CHECK(DataTrackPacketizer::create(1, 40).error() ==
        Errc::invalid_argument);  // no room beside a full header
  auto pk = DataTrackPacketizer::create(9, 60);
  REQUIRE(pk);
  const DataTrackE2ee e2ee{3, {}};
  Bytes payload(100);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
  Bytes scratch(60);
  std::vector<Bytes> packets;
  auto emit = [&](BytesIn p) { packets.emplace_back(p.begin(), p.end()); };
  auto n = pk->packetize(payload, 90000, e2ee, std::nullopt, scratch, emit);
  REQUIRE(n);
  // header 12 + 20 (E2EE, padded) = 32: 28 bytes a packet -> 4 packets
  REQUIRE(*n == 4);
  REQUIRE(packets.size() == 4);
  const DataTrackMarker want[] = {DataTrackMarker::start, DataTrackMarker::inter, DataTrackMarker::inter,
                                  DataTrackMarker::final_};
  Bytes joined;
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(packets[i].size() <= 60);
    auto v = parse_data_track_packet(packets[i]);
    REQUIRE(v);
    CHECK(v->header.marker == want[i]);
    CHECK(v->header.sequence == i);
    CHECK(v->header.frame_number == 0);
    CHECK(v->header.timestamp == 90000);
    CHECK(v->header.e2ee == e2ee);
    joined.insert(joined.end(), v->payload.begin(), v->payload.end());
  }
  CHECK(joined == payload);
  packets.clear();
  REQUIRE(pk->packetize(Bytes(5, 1), 1, std::nullopt, 42, scratch, emit));
  REQUIRE(packets.size() == 1);
  auto v = parse_data_track_packet(packets[0]);
  REQUIRE(v);
  CHECK(v->header.marker == DataTrackMarker::single);
  CHECK(v->header.sequence == 4);
  CHECK(v->header.frame_number == 1);
  CHECK(v->header.user_timestamp == 42u);
  Bytes tiny(10);
  CHECK(pk->packetize(Bytes(5, 1), 1, std::nullopt, std::nullopt, tiny, emit).error() ==
        Errc::buffer_too_small);
  CHECK(pk->packetize(Bytes{}, 1, std::nullopt, std::nullopt, scratch, emit).value() == 0);
}

TEST_CASE("depacketizer: in order, reordered, duplicated, lost, interrupted") {
  auto pk = DataTrackPacketizer::create(2, 60).value();
  Bytes scratch(60);
  auto frame_packets = [&](std::size_t n, std::uint8_t fill) {
    std::vector<Bytes> out;
    Bytes payload(n, fill);
    REQUIRE(pk.packetize(payload, 0, std::nullopt, std::nullopt, scratch,
                         [&](BytesIn p) { out.emplace_back(p.begin(), p.end()); }));
    return out;
  };
  DataTrackDepacketizer d;
  DataTrackDrop why;
  auto push_all = [&](const std::vector<Bytes>& ps) -> std::optional<Bytes> {
    std::optional<Bytes> got;
    for (const auto& p : ps) {
      auto r = d.push(p, &why);
      REQUIRE(r);
      if (*r) got = Bytes((*r)->payload.begin(), (*r)->payload.end());
    }
    return got;
  };
  auto a = frame_packets(150, 0xa1);  // 48 bytes a packet: 4 packets
  REQUIRE(a.size() == 4);
  CHECK(push_all(a) == Bytes(150, 0xa1));
  CHECK(why == DataTrackDrop::none);

  auto b = frame_packets(150, 0xb2);
  CHECK(push_all({b[0], b[2], b[1], b[1], b[3]}) == Bytes(150, 0xb2));  // reordered, a duplicate

  auto c = frame_packets(150, 0xc3);
  CHECK_FALSE(push_all({c[0], c[1], c[3]}));  // c[2] lost
  CHECK(why == DataTrackDrop::incomplete);

  auto e = frame_packets(150, 0xe4);
  auto f = frame_packets(10, 0xf5);
  CHECK(push_all({e[0], e[1]}) == std::nullopt);
  CHECK(push_all({f[0]}) == Bytes(10, 0xf5));  // a single packet interrupts the partial frame
  CHECK(why == DataTrackDrop::interrupted);
  CHECK_FALSE(push_all({e[2], e[3]}));
  CHECK(why == DataTrackDrop::unknown_frame);
  CHECK(d.push(Bytes{1, 2, 3}).error() == Errc::malformed_frame);
}

TEST_CASE("data track frames sealed with the session's key rings, byte for byte through packets") {
  using M = session::E2eeManager<C>;
  auto options = [] {
    session::E2eeOptions o;
    o.encryption_type = session::EncryptionType::custom;  // the tests' cipher is not AES-GCM
    return o;
  };
  auto tx = M::create(options()).value();
  auto rx = M::create(options()).value();
  const Bytes key(32, 0x42);
  REQUIRE(tx.key_provider().set_key("alice", key, 2) == Errc::ok);
  REQUIRE(rx.key_provider().set_key("alice", key, 2) == Errc::ok);
  auto sender = tx.frame_cryptor("alice").value();
  auto receiver = rx.frame_cryptor("alice").value();

  const Bytes payload(40000, 0x33);
  Bytes sealed(payload.size() + C::tag_bytes);
  auto s = sender.seal_data(payload, sealed);
  REQUIRE(s);
  CHECK(s->key_index == 2);
  CHECK(s->value.size() == sealed.size());

  auto pk = DataTrackPacketizer::create(7).value();
  Bytes scratch(pk.mtu());
  std::vector<Bytes> packets;
  REQUIRE(pk.packetize(s->value, 1234, DataTrackE2ee{s->key_index, s->iv}, std::nullopt, scratch,
                       [&](BytesIn p) { packets.emplace_back(p.begin(), p.end()); }));
  CHECK(packets.size() == 3);  // 40016 bytes at 16000 - 32 a packet

  DataTrackDepacketizer d;
  std::optional<Bytes> plain;
  for (const auto& p : packets) {
    auto r = d.push(p);
    REQUIRE(r);
    if (!*r) continue;
    const DataTrackFrame& f = **r;
    REQUIRE(f.header.e2ee);
    Bytes out(f.payload.size());
    auto o = receiver.open_data(f.header.e2ee->key_index, f.header.e2ee->iv, f.payload, out);
    REQUIRE(o);
    plain = Bytes(o->begin(), o->end());
  }
  CHECK(plain == payload);
  CHECK(sender.counters().data_encrypted == 1);
  CHECK(receiver.counters().data_decrypted == 1);

  SUBCASE("a changed IV, key index or value fails; the output holds nothing") {
    Bytes out(payload.size(), 0x77);
    auto iv = s->iv;
    iv[0] ^= 1;
    CHECK(receiver.open_data(2, iv, s->value, out).error() == Errc::auth_failed);
    CHECK(out == Bytes(out.size(), 0));
    CHECK(receiver.open_data(3, s->iv, s->value, out).error() == Errc::missing_key);
    Bytes v(s->value.begin(), s->value.end());
    v[100] ^= 1;
    CHECK(receiver.open_data(2, s->iv, v, out).error() == Errc::auth_failed);
    CHECK(receiver.open_data(2, BytesIn(s->iv.data(), 11), s->value, out).error() == Errc::malformed_frame);
    CHECK(receiver.open_data(2, s->iv, BytesIn(s->value.data(), 15), out).error() == Errc::malformed_frame);
    Bytes small(10);
    CHECK(receiver.open_data(2, s->iv, s->value, small).error() == Errc::buffer_too_small);
    CHECK(receiver.counters().data_failures == 6);
  }
  SUBCASE("seal refuses overlap, a short buffer and a missing key") {
    Bytes buf(100);
    CHECK(sender.seal_data(BytesIn(buf.data(), 50), buf).error() == Errc::invalid_argument);
    Bytes small(payload.size());
    CHECK(sender.seal_data(payload, small).error() == Errc::buffer_too_small);
    auto bob = tx.frame_cryptor("bob").value();
    CHECK(bob.seal_data(payload, sealed).error() == Errc::missing_key);
  }
}
