// livekit/data_packet.hpp: the EncryptedPacket protobuf codec (protobuf's rules, hostile input),
// DataCryptor round trips through the key ring (ratchet window, previous generations), failure
// paths, and LiveKit's data IV. Byte-exact checks against the real livekit-client worker are in
// tests/interop/livekit-js (data cases).
#include <string>
#include <vector>

#include "common.hpp"

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

using C = sodium::ChaCha20Poly1305;

Bytes copy(BytesIn b) {
  return Bytes(b.begin(), b.end());
}

KeyRing<C> ring_with(const char* material) {
  auto r = KeyRing<C>::create().value();
  REQUIRE(r.set_key(0, as_bytes(material)) == Errc::ok);
  return r;
}

Bytes payload() {  // an EncryptedPacketPayload with a chat message: field 3, {id "1", message "hi"}
  return from_hex("1a0712013118006a026869");
}

}  // namespace

TEST_CASE("EncryptedPacket: proto3 encoding, parse round trip, protobuf rules") {
  const Bytes iv = from_hex("000102030405060708090a0b");
  const Bytes value = from_hex("deadbeef");
  livekit::EncryptedPacket p;
  p.iv = iv;
  p.key_index = 3;
  p.encrypted_value = value;
  Bytes out(livekit::encoded_size(p));
  auto e = livekit::encode(p, out);
  REQUIRE(e.has_value());
  // iv (2, len 12), key_index (3, varint 3), encrypted_value (4, len 4); encryption_type 0 omitted
  CHECK(to_hex(*e) ==
        "120c000102030405060708090a0b1803"
        "2204deadbeef");
  auto q = livekit::parse_encrypted_packet(*e);
  REQUIRE(q.has_value());
  CHECK(copy(q->iv) == iv);
  CHECK(q->key_index == 3);
  CHECK(copy(q->encrypted_value) == value);
  CHECK(q->encryption_type == livekit::DataEncryptionType::none);

  // Any field order, unknown fields of every wire type skipped, the last scalar wins, GCM accepted.
  const Bytes shuffled = from_hex(
      "2204deadbeef"        // encrypted_value first
      "0801"                // encryption_type = GCM (the Rust SDK)
      "2807"                // unknown field 5, varint
      "310102030405060708"  // unknown field 6, 64-bit
      "3a03aabbcc"          // unknown field 7, bytes
      "4d01020304"          // unknown field 9, 32-bit
      "1801"
      "1805"  // key_index 1 then 5: 5 wins
      "120c000102030405060708090a0b");
  auto r = livekit::parse_encrypted_packet(shuffled);
  REQUIRE(r.has_value());
  CHECK(r->key_index == 5);
  CHECK(r->encryption_type == livekit::DataEncryptionType::gcm);
  CHECK(copy(r->encrypted_value) == value);

  // Malformed: a truncated varint, a varint of 11 bytes, a length past the end, a group, field 0,
  // a wrong wire type for a known field, no IV, an IV of 11 bytes, a key index above 32 bits.
  for (const char* bad :
       {"18", "18ffffffffffffffffffff01", "2205dead", "1b", "0001", "1a0100" /* key_index as bytes */,
        "2204deadbeef", "120b000102030405060708090a", "120c000102030405060708090a0b18ffffffff1f"}) {
    CAPTURE(bad);
    CHECK(livekit::parse_encrypted_packet(from_hex(bad)).error() == Errc::malformed_frame);
  }
  Bytes short_out(out.size() - 1);
  CHECK(livekit::encode(p, short_out).error() == Errc::buffer_too_small);
}

TEST_CASE("find_encrypted_packet: field 18 of a DataPacket, other fields skipped") {
  // DataPacket: kind (1) = 0, participant_identity (16) "alice", destination_identities (17) "bob",
  // encrypted_packet (18), sequence (20 ... varint)
  const Bytes inner = from_hex("120c000102030405060708090a0b2204deadbeef");
  Bytes dp = from_hex(
      "0800"
      "8201"
      "05616c696365"
      "8a01"
      "03626f62");
  dp.push_back(0x92), dp.push_back(0x01), dp.push_back(static_cast<std::uint8_t>(inner.size()));
  dp.insert(dp.end(), inner.begin(), inner.end());
  const Bytes seq = from_hex("a00107");
  dp.insert(dp.end(), seq.begin(), seq.end());
  auto f = livekit::find_encrypted_packet(dp);
  REQUIRE(f.has_value());
  REQUIRE(f->has_value());
  CHECK(copy(**f) == inner);
  auto none =
      livekit::find_encrypted_packet(from_hex("0800"
                                              "8201"
                                              "05616c696365"));
  REQUIRE(none.has_value());
  CHECK(!none->has_value());
  CHECK(livekit::find_encrypted_packet(from_hex("9201"
                                                "05aa"))
            .error() == Errc::malformed_frame);
}

TEST_CASE("DataCryptor: round trip, ratchet window, previous generations, failures leave nothing") {
  auto tx_ring = ring_with("room key");
  auto rx_ring = ring_with("room key");
  livekit::DataCryptor<C> tx(tx_ring), rx(rx_ring);
  const Bytes pl = payload();
  Bytes packet(livekit::DataCryptor<C>::max_packet_size(pl.size()));
  auto e = tx.encrypt(pl, packet);
  REQUIRE(e.has_value());
  CHECK(e->size() == 2 + 12 + 2 + pl.size() + C::tag_bytes);  // iv, value (key index 0 omitted)
  const Bytes enc = copy(*e);
  Bytes out(enc.size(), 0xCC);
  livekit::DataReport rep;
  auto d = rx.decrypt(enc, out, &rep);
  REQUIRE(d.has_value());
  CHECK(copy(*d) == pl);
  CHECK(rep.key_index == 0);

  // The sender ratchets twice (same key index); the receiver follows through its window.
  REQUIRE(tx_ring.ratchet(0).has_value());
  REQUIRE(tx_ring.ratchet(0).has_value());
  auto e2 = tx.encrypt(pl, packet);
  REQUIRE(e2.has_value());
  const Bytes enc2 = copy(*e2);
  d = rx.decrypt(enc2, out, &rep);
  REQUIRE(d.has_value());
  CHECK(copy(*d) == pl);
  CHECK(rep.match.ratchet_steps == 2);
  d = rx.decrypt(enc, out, &rep);  // a packet from before the ratchet, still in flight
  REQUIRE(d.has_value());
  CHECK(rep.match.previous_generation == 2);

  // Tampered value, IV or key index: nothing decrypts, nothing is left in out.
  for (std::size_t at : {enc2.size() - 1, std::size_t{5}}) {
    Bytes bad = enc2;
    bad[at] ^= 1;
    Bytes o(bad.size(), 0xCC);
    CHECK(rx.decrypt(bad, o).error() == Errc::auth_failed);
    CHECK(std::all_of(o.begin(), o.end(), [](std::uint8_t b) { return b == 0xCC || b == 0; }));
  }
  livekit::EncryptedPacket other = livekit::parse_encrypted_packet(enc2).value();
  other.key_index = 7;
  Bytes moved(livekit::encoded_size(other));
  REQUIRE(livekit::encode(other, moved).has_value());
  CHECK(rx.decrypt(moved, out).error() == Errc::missing_key);
  Bytes small(pl.size() - 1);
  CHECK(rx.decrypt(enc2, small).error() == Errc::buffer_too_small);
  CHECK(rx.decrypt(from_hex("120c000102030405060708090a0b2204deadbeef"), out).error() ==
        Errc::malformed_frame);
  // A ring without a sending key, and aliasing.
  auto empty = KeyRing<C>::create().value();
  livekit::DataCryptor<C> nokey(empty);
  CHECK(nokey.encrypt(pl, packet).error() == Errc::missing_key);
  Bytes same = enc2;
  CHECK(rx.decrypt(same, BytesOut(same)).error() == Errc::invalid_argument);
  Bytes ten(10);
  CHECK(tx.encrypt(pl, ten).error() == Errc::buffer_too_small);
}

TEST_CASE("DataCryptor: GCM type on request, LiveKit's data IV formula, key index written") {
  auto ring = ring_with("k");
  REQUIRE(ring.set_key(3, as_bytes("k3")) == Errc::ok);
  livekit::DataCryptor<C, livekit::LivekitDataIv> tx(ring, livekit::LivekitDataIv(0x11223344, 1000, 65534),
                                                     {.emit_type = livekit::DataEncryptionType::gcm});
  const Bytes pl = payload();
  Bytes packet(decltype(tx)::max_packet_size(pl.size()));
  auto a = tx.encrypt(pl, packet);
  REQUIRE(a.has_value());
  auto p = livekit::parse_encrypted_packet(*a).value();
  CHECK(p.encryption_type == livekit::DataEncryptionType::gcm);
  CHECK(p.key_index == 3);
  // BE32(random) || BE32(ms) || BE32(ms - 65534 % 65535)
  CHECK(to_hex(p.iv) == "11223344000003e8ffff03ea");  // 1000 - 65534 mod 2^32
  auto b = tx.encrypt(pl, packet);
  REQUIRE(b.has_value());
  CHECK(to_hex(livekit::parse_encrypted_packet(*b).value().iv) ==
        "11223344000003e8000003e8");  // 65535 % 65535 = 0
  livekit::LivekitDataIv real;
  auto i1 = real.next(FrameInfo{}).value(), i2 = real.next(FrameInfo{}).value();
  CHECK(i1 != i2);
}

TEST_CASE("session: encrypt_data / decrypt_data per participant, counted apart from frames") {
  auto options = [] {
    session::E2eeOptions o;
    o.encryption_type = session::EncryptionType::custom;  // the tests' cipher is not AES-GCM
    return o;
  };
  auto tx = session::E2eeManager<C>::create(options()).value();
  auto rx = session::E2eeManager<C>::create(options()).value();
  REQUIRE(tx.key_provider().set_key("alice", as_bytes("alice's key"), 2) == Errc::ok);
  REQUIRE(rx.key_provider().set_key("alice", as_bytes("alice's key"), 2) == Errc::ok);
  auto a_tx = tx.frame_cryptor("alice").value();
  auto a_rx = rx.frame_cryptor("alice").value();
  const Bytes pl = payload();
  Bytes packet(decltype(a_tx)::max_data_packet_size(pl.size()));
  auto e = a_tx.encrypt_data(pl, packet);
  REQUIRE(e.has_value());
  CHECK(livekit::parse_encrypted_packet(*e).value().key_index == 2);
  const Bytes enc = copy(*e);
  Bytes out(enc.size());
  auto d = a_rx.decrypt_data(enc, out);
  REQUIRE(d.has_value());
  CHECK(copy(*d) == pl);
  // The sender ratchets; the receiver follows with a data packet (ring shared with frames).
  REQUIRE(tx.key_provider().ratchet_key("alice", 2).has_value());
  auto e2 = a_tx.encrypt_data(pl, packet);
  REQUIRE(e2.has_value());
  livekit::DataReport rep;
  auto d2 = a_rx.decrypt_data(*e2, out, &rep);
  REQUIRE(d2.has_value());
  CHECK(rep.match.ratchet_steps == 1);
  Bytes bad = enc;
  bad.back() ^= 1;
  CHECK(a_rx.decrypt_data(bad, out).error() == Errc::auth_failed);
  const auto c = a_rx.counters();
  CHECK(c.data_decrypted == 2);
  CHECK(c.data_failures == 1);
  CHECK(c.data_last_error == Errc::auth_failed);
  CHECK(c.decrypted == 0);
  CHECK(c.auth_failures == 0);  // frame counters untouched
  CHECK(c.ratchets == 1);
  CHECK(a_rx.state() == session::EncryptionState::new_);
  CHECK(a_tx.counters().data_encrypted == 2);
}
