// The README's frame example, compiled and run, so the documentation cannot drift from the API.
#include <cstdio>
#include <functional>
#include <string>
#include <optional>

#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
using namespace frameseal;

namespace {
// --- README: "Encrypt and decrypt a frame" (kept in sync by hand; the asserts are the test) ---
std::vector<std::uint8_t> readme_round_trip(std::span<const std::uint8_t> frame, std::uint32_t ssrc,
                                            std::uint32_t rtp_timestamp) {
  auto ring = KeyRing<openssl::Aes128Gcm>::create().value();           // 16 slots, window 16, HKDF
  if (ring.set_key(0, as_bytes("shared secret")) != Errc::ok) return {};  // material of any length > 0
  livekit::FrameCryptor<openssl::Aes128Gcm> sender(ring);

  FrameInfo info{MediaKind::video, Codec::vp8, /*key_frame=*/true, ssrc, rtp_timestamp};
  std::vector<std::uint8_t> wire(decltype(sender)::max_encrypted_size(frame.size()));
  Result<BytesOut> enc = sender.encrypt(info, frame, wire);            // returns the written prefix
  if (!enc) return {};

  auto rx_ring = KeyRing<openssl::Aes128Gcm>::create().value();
  (void)rx_ring.set_key(0, as_bytes("shared secret"));
  livekit::FrameCryptor<openssl::Aes128Gcm> receiver(rx_ring);
  std::vector<std::uint8_t> plain(enc->size());
  Result<BytesOut> dec = receiver.decrypt(info, *enc, plain);          // or in place: decrypt(info, buf, buf)
  if (!dec) return {};
  return {dec->begin(), dec->end()};
}
}  // namespace

TEST_CASE("README frame example round-trips a VP8 key frame") {
  std::vector<std::uint8_t> frame = fstest::from_hex("5004009d012a4001b400");
  frame.resize(500, 0x42);
  CHECK(readme_round_trip(frame, 1234, 5678) == frame);
}

// --- README: "Reading a frame without a key" (the snippet, with log() writing into a string) ---
namespace {
std::string readme_parse(const FrameInfo& info, std::span<const std::uint8_t> frame) {
  std::string logged;
  auto log = [&](const char* fmt, unsigned kid, std::size_t clear, std::size_t plain) {
    char line[128];
    std::snprintf(line, sizeof line, fmt, kid, clear, plain);
    logged = line;
  };
  std::vector<std::uint8_t> scratch(frame.size());               // an H.264/H.265 body is un-escaped here
  livekit::FrameLayout l = livekit::parse_frame(info, frame, scratch);
  if (l.problem == Errc::ok && l.kind == livekit::FrameKind::encrypted)
    log("key index %u, %zu clear bytes, %zu bytes of plaintext", l.key_index, l.clear_bytes, *l.plaintext_bytes);
  return logged;
}
}  // namespace

TEST_CASE("README parse example: an encrypted VP8 key frame's layout, and a malformed one") {
  auto ring = KeyRing<openssl::Aes128Gcm>::create().value();
  REQUIRE(ring.set_key(4, as_bytes("shared secret")) == Errc::ok);
  livekit::FrameCryptor<openssl::Aes128Gcm> sender(ring);
  FrameInfo info{MediaKind::video, Codec::vp8, /*key_frame=*/true, 1, 2};
  std::vector<std::uint8_t> frame = fstest::from_hex("5004009d012a4001b400");
  frame.resize(300, 0x42);
  std::vector<std::uint8_t> wire(decltype(sender)::max_encrypted_size(frame.size()));
  auto enc = sender.encrypt(info, frame, wire);
  REQUIRE(enc.has_value());
  CHECK(readme_parse(info, *enc) == "key index 4, 10 clear bytes, 300 bytes of plaintext");
  CHECK(readme_parse(info, enc->first(20)).empty());  // cut short: malformed_frame, nothing logged
}

// --- README: "Data packets" (the snippet, between a sender `me` and a receiver's facade `alice`) ---
namespace {
std::optional<std::vector<std::uint8_t>> readme_data_packet(session::E2eeManager<openssl::Aes128Gcm>& manager,
                                                            session::E2eeManager<openssl::Aes128Gcm>::frame_cryptor_type me,
                                                            BytesIn payload_bytes, std::vector<std::uint8_t>& data_packet_bytes) {
  std::vector<std::uint8_t> out(decltype(me)::max_data_packet_size(payload_bytes.size()));
  auto enc = me.encrypt_data(payload_bytes, out);               // an EncryptedPacket for field 18
  if (!enc) return std::nullopt;
  // the sender's DataPacket: field 18 (tag 0x92 0x01), length-delimited
  data_packet_bytes = {0x92, 0x01, static_cast<std::uint8_t>(enc->size())};
  data_packet_bytes.insert(data_packet_bytes.end(), enc->begin(), enc->end());

  auto alice = manager.frame_cryptor("alice").value();          // the same facade as for frames
  auto packet = livekit::find_encrypted_packet(data_packet_bytes).value();   // field 18, if any
  if (packet) {
    std::vector<std::uint8_t> payload(packet->size());
    auto p = alice.decrypt_data(*packet, payload);              // a serialized EncryptedPacketPayload
    if (p) return std::vector<std::uint8_t>(p->begin(), p->end());
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("README data packet example: encrypt_data into field 18, find it, decrypt_data") {
  auto tx = session::E2eeManager<openssl::Aes128Gcm>::create().value();
  auto rx = session::E2eeManager<openssl::Aes128Gcm>::create().value();
  REQUIRE(tx.key_provider().set_key("alice", as_bytes("shared secret")) == Errc::ok);
  REQUIRE(rx.key_provider().set_key("alice", as_bytes("shared secret")) == Errc::ok);
  auto me = tx.frame_cryptor("alice").value();
  const std::vector<std::uint8_t> chat = fstest::from_hex("1a0712013118006a026869");  // a chat message payload
  std::vector<std::uint8_t> data_packet;
  CHECK(readme_data_packet(rx, me, chat, data_packet) == chat);
  CHECK(data_packet.size() > chat.size());
}

// --- README: "Data tracks" (the two snippets, in a publisher and a subscriber) ---
namespace {
using Manager = session::E2eeManager<openssl::Aes128Gcm>;
using Facade = Manager::frame_cryptor_type;

Errc readme_publish(Facade& me, std::uint16_t track_handle, BytesIn frame, std::uint32_t rtp_ticks_90khz,
                    const std::function<void(BytesIn)>& send) {
  auto pk = livekit::DataTrackPacketizer::create(track_handle).value();       // MTU 16000
  std::vector<std::uint8_t> sealed(frame.size() + 16), scratch(pk.mtu());
  auto s = me.seal_data(frame, sealed);                                       // AES-GCM, no AAD
  if (!s) return s.error();
  (void)pk.packetize(s->value, rtp_ticks_90khz, livekit::DataTrackE2ee{s->key_index, s->iv},
                     std::nullopt /* user timestamp */, scratch, [&](BytesIn p) { send(p); });
  return Errc::ok;
}

std::optional<std::vector<std::uint8_t>> readme_subscribe(Facade& publisher, livekit::DataTrackDepacketizer& depacketizer,
                                                          BytesIn packet, std::vector<std::uint8_t>& out) {
  livekit::DataTrackDrop why;
  auto f = depacketizer.push(packet, &why);                 // malformed_frame if it is no packet
  if (f && *f && (*f)->header.e2ee) {
    const auto& e = *(*f)->header.e2ee;
    out.resize((*f)->payload.size());
    auto plain = publisher.open_data(e.key_index, e.iv, (*f)->payload, out);  // out: payload - 16 bytes
    if (plain) return std::vector<std::uint8_t>(plain->begin(), plain->end());
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("README data track example: a 40 KB frame in 3 packets, back") {
  auto tx = Manager::create().value();
  auto rx = Manager::create().value();
  REQUIRE(tx.key_provider().set_key("alice", as_bytes("shared secret")) == Errc::ok);
  REQUIRE(rx.key_provider().set_key("alice", as_bytes("shared secret")) == Errc::ok);
  auto me = tx.frame_cryptor("alice").value();
  auto alice = rx.frame_cryptor("alice").value();
  const std::vector<std::uint8_t> frame(40000, 0x61);
  std::vector<std::vector<std::uint8_t>> wire;
  REQUIRE(readme_publish(me, 5, frame, 90000, [&](BytesIn p) { wire.emplace_back(p.begin(), p.end()); }) == Errc::ok);
  CHECK(wire.size() == 3);
  livekit::DataTrackDepacketizer d;
  std::vector<std::uint8_t> out;
  std::optional<std::vector<std::uint8_t>> got;
  for (const auto& p : wire)
    if (auto g = readme_subscribe(alice, d, p, out)) got = g;
  CHECK(got == frame);
}
#endif
