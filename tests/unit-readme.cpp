// The C++ blocks of README.md and docs/api.md, compiled and run, so the documentation cannot drift from
// the API. tests/check_docs.py checks that every line of each block is here (whitespace and comments
// aside); the asserts are the test.
#include <cstdio>
#include <functional>
#include <string>
#include <optional>

#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/frameseal.hpp>
#  include <frameseal/ciphers/openssl.hpp>  // AES-128-GCM: LiveKit's wire cipher
#  include <frameseal/sframe/openssl_suites.hpp>
using namespace frameseal;

namespace {
// --- README and docs/api.md: "Encrypt and decrypt a frame" ---
std::vector<std::uint8_t> readme_round_trip(std::span<const std::uint8_t> frame, std::uint32_t ssrc,
                                            std::uint32_t rtp_timestamp) {
  auto ring = KeyRing<openssl::Aes128Gcm>::create().value();              // 16 slots, window 16, HKDF
  if (ring.set_key(0, as_bytes("shared secret")) != Errc::ok) return {};  // material of any length > 0
  livekit::FrameCryptor<openssl::Aes128Gcm> sender(ring);

  FrameInfo info{MediaKind::video, Codec::vp8, /*key_frame=*/true, ssrc, rtp_timestamp};
  std::vector<std::uint8_t> wire(decltype(sender)::max_encrypted_size(frame.size()));
  Result<BytesOut> enc = sender.encrypt(info, frame, wire);  // returns the written prefix
  if (!enc) return {};

  auto rx_ring = KeyRing<openssl::Aes128Gcm>::create().value();
  (void)rx_ring.set_key(0, as_bytes("shared secret"));
  livekit::FrameCryptor<openssl::Aes128Gcm> receiver(rx_ring);
  std::vector<std::uint8_t> plain(enc->size());
  Result<BytesOut> dec = receiver.decrypt(info, *enc, plain);  // or in place: decrypt(info, buf, buf)
  if (!dec) return {};
  return {dec->begin(), dec->end()};
}
}  // namespace

TEST_CASE("README frame example round-trips a VP8 key frame") {
  std::vector<std::uint8_t> frame = fstest::from_hex("5004009d012a4001b400");
  frame.resize(500, 0x42);
  CHECK(readme_round_trip(frame, 1234, 5678) == frame);
}

// --- README: "The same with SFrame (RFC 9605)" ---
namespace {
std::optional<std::vector<std::uint8_t>> readme_sframe(BytesIn frame, std::uint64_t kid, BytesIn key) {
  using Cryptor = sframe::FrameCryptor<sframe::Suite4>;

  auto alice_tx = Cryptor::create().value();  // Alice's sender
  auto bob_rx = Cryptor::create().value();    // Bob's receiver for Alice
  if (alice_tx.add_key(kid, key, sframe::KeyUsage::encrypt) != Errc::ok) return {};
  if (bob_rx.add_key(kid, key, sframe::KeyUsage::decrypt) != Errc::ok) return {};

  std::vector<std::uint8_t> wire(Cryptor::max_encrypted_size(frame.size()));
  Result<BytesOut> enc = alice_tx.encrypt(frame, wire);  // header || ciphertext || tag
  if (!enc) return {};
  std::vector<std::uint8_t> plain(enc->size());
  Result<BytesOut> dec = bob_rx.decrypt(*enc, plain);  // replay, missing_key, auth_failed
  if (!dec) return {};
  // A replayed frame is refused.
  if (bob_rx.decrypt(*enc, plain).error() != Errc::replay) return {};
  return std::vector<std::uint8_t>(dec->begin(), dec->end());
}
}  // namespace

TEST_CASE("README SFrame example round-trips a frame, and refuses its replay") {
  const std::vector<std::uint8_t> frame(300, 0x5a);
  const std::vector<std::uint8_t> key(16, 0x0b);
  CHECK(readme_sframe(frame, 7, key) == frame);
  CHECK(readme_sframe(frame, 7, {}) == std::nullopt);  // an empty base key: add_key refuses it
}

// --- docs/api.md: "Reading a frame without a key" (the snippet, with log() writing into a string) ---
namespace {
std::string readme_parse(const FrameInfo& info, std::span<const std::uint8_t> frame) {
  std::string logged;
  auto log = [&](const char* fmt, unsigned kid, std::size_t clear, std::size_t plain) {
    char line[128];
    std::snprintf(line, sizeof line, fmt, kid, clear, plain);
    logged = line;
  };
  std::vector<std::uint8_t> scratch(frame.size());  // an H.264/H.265 body is un-escaped here
  livekit::FrameLayout l = livekit::parse_frame(info, frame, scratch);
  if (l.problem == Errc::ok && l.kind == livekit::FrameKind::encrypted)
    log("key index %u, %zu clear bytes, %zu bytes of plaintext", l.key_index, l.clear_bytes,
        *l.plaintext_bytes);
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

// --- docs/api.md: "Data packets" (the snippet, between a sender `me` and a receiver's facade `alice`) ---
namespace {
std::optional<std::vector<std::uint8_t>> readme_data_packet(
    session::E2eeManager<openssl::Aes128Gcm>& manager,
    session::E2eeManager<openssl::Aes128Gcm>::frame_cryptor_type me, BytesIn payload_bytes,
    std::vector<std::uint8_t>& data_packet_bytes) {
  std::vector<std::uint8_t> out(decltype(me)::max_data_packet_size(payload_bytes.size()));
  auto enc = me.encrypt_data(payload_bytes, out);  // an EncryptedPacket for field 18
  if (!enc) return std::nullopt;
  // the sender's DataPacket: field 18 (tag 0x92 0x01), length-delimited
  data_packet_bytes = {0x92, 0x01, static_cast<std::uint8_t>(enc->size())};
  data_packet_bytes.insert(data_packet_bytes.end(), enc->begin(), enc->end());

  auto alice = manager.frame_cryptor("alice").value();                      // the same facade as for frames
  auto packet = livekit::find_encrypted_packet(data_packet_bytes).value();  // field 18, if any
  if (packet) {
    std::vector<std::uint8_t> payload(packet->size());
    auto p = alice.decrypt_data(*packet, payload);  // a serialized EncryptedPacketPayload
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
  const std::vector<std::uint8_t> chat =
      fstest::from_hex("1a0712013118006a026869");  // a chat message payload
  std::vector<std::uint8_t> data_packet;
  CHECK(readme_data_packet(rx, me, chat, data_packet) == chat);
  CHECK(data_packet.size() > chat.size());
}

// --- docs/api.md: "Data tracks" (the two snippets, in a publisher and a subscriber) ---
namespace {
using Manager = session::E2eeManager<openssl::Aes128Gcm>;
using Facade = Manager::frame_cryptor_type;

Errc readme_publish(Facade& me, std::uint16_t track_handle, BytesIn frame, std::uint32_t rtp_ticks_90khz,
                    const std::function<void(BytesIn)>& send) {
  auto pk = livekit::DataTrackPacketizer::create(track_handle).value();  // MTU 16000
  std::vector<std::uint8_t> sealed(frame.size() + 16), scratch(pk.mtu());
  auto s = me.seal_data(frame, sealed);  // AES-GCM, no AAD
  if (!s) return s.error();
  (void)pk.packetize(s->value, rtp_ticks_90khz, livekit::DataTrackE2ee{s->key_index, s->iv},
                     std::nullopt /* user timestamp */, scratch, [&](BytesIn p) { send(p); });
  return Errc::ok;
}

std::optional<std::vector<std::uint8_t>> readme_subscribe(Facade& publisher,
                                                          livekit::DataTrackDepacketizer& depacketizer,
                                                          BytesIn packet, std::vector<std::uint8_t>& out) {
  livekit::DataTrackDrop why;
  auto f = depacketizer.push(packet, &why);  // malformed_frame if it is no packet
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
  REQUIRE(readme_publish(me, 5, frame, 90000, [&](BytesIn p) { wire.emplace_back(p.begin(), p.end()); }) ==
          Errc::ok);
  CHECK(wire.size() == 3);
  livekit::DataTrackDepacketizer d;
  std::vector<std::uint8_t> out;
  std::optional<std::vector<std::uint8_t>> got;
  for (const auto& p : wire)
    if (auto g = readme_subscribe(alice, d, p, out)) got = g;
  CHECK(got == frame);
}
// --- docs/api.md: "The session layer" (a room seen by an agent: shared key, rotation, own keys) ---
namespace docs_session {
namespace fs = frameseal;

struct Seen {
  bool sent = false;
  std::vector<std::uint8_t> got;
  std::uint8_t rotated_index = 0, agent_key_3_index = 0;
  std::size_t handed_out = 0;
  std::uint64_t decrypted = 0;
};

int example(BytesIn room_key, BytesIn sif, const FrameInfo& info, BytesIn frame, BytesIn alice_frame,
            const std::vector<std::uint8_t>& agent_key, const std::vector<std::uint8_t>& alice_key,
            const std::vector<std::uint8_t>& bob_key, Seen& seen) {
  auto send_to_participants = [&](std::uint8_t, BytesIn key) { seen.handed_out = key.size(); };
  using Manager = fs::session::E2eeManager<fs::openssl::Aes128Gcm>;  // AES-128-GCM: LiveKit on the wire

  fs::session::E2eeOptions options;  // defaults as Python's (kdf: see the table)
  options.key_provider_options.shared_key = fs::SecretBuffer::copy_of(room_key).value();
  auto agent = Manager::create(std::move(options)).value();
  agent.on_e2ee_state_changed([](const std::string& who, fs::session::EncryptionState s) {
    std::printf("%s: %s\n", who.c_str(), std::string(fs::session::to_string(s)).c_str());
  });
  auto& keys = agent.key_provider();
  keys.set_sif_trailer(sif);  // JoinResponse.sif_trailer

  auto me = agent.frame_cryptor("agent").value();     // encrypts what the agent publishes
  auto alice = agent.frame_cryptor("alice").value();  // decrypts alice's frames
  std::vector<std::uint8_t> out(Manager::frame_cryptor_type::max_encrypted_size(frame.size()));
  auto sent = me.encrypt(info, frame, out);  // Result<BytesOut>: the written prefix
  seen.sent = sent.has_value();
  auto got = alice.decrypt(info, alice_frame, out);  // or got.error() == Errc::auth_failed, ...
  if (got) seen.got.assign(got->begin(), got->end());

  auto rotated = keys.rotate_shared_key().value();  // {key_index = 1, key = 32 random bytes}
  send_to_participants(rotated.key_index, rotated.key.view());
  seen.rotated_index = rotated.key_index;

  for (auto [who, key] : {std::pair{"agent", &agent_key}, {"alice", &alice_key}, {"bob", &bob_key}})
    if (keys.set_key(who, *key, 2) != fs::Errc::ok) return 1;  // "agent" now sends with KID 2
  auto agent_key_3 = keys.rotate_key("agent").value();         // the agent's own fresh key, at KID 3
  seen.agent_key_3_index = agent_key_3.key_index;

  auto c = alice.counters();  // which sender, key and reason fail
  std::printf("alice: %llu ok, %llu auth failures, last error %s at key %u\n",
              (unsigned long long)c.decrypted, (unsigned long long)c.auth_failures,
              std::string(fs::to_string(c.last_error)).c_str(), unsigned{c.last_error_key_index});
  seen.decrypted = c.decrypted;
  return 0;
}
}  // namespace docs_session

TEST_CASE("docs/api.md session example: alice's frame decrypts, the room key rotates, own keys follow") {
  const std::vector<std::uint8_t> room_key(32, 0x11), frame(200, 0x42), a(32, 1), b(32, 2), c(32, 3);
  const FrameInfo info{MediaKind::audio, Codec::opus, std::nullopt, 7, 960};
  // alice's own client, on the same room key
  session::E2eeOptions ao;
  ao.key_provider_options.shared_key = SecretBuffer::copy_of(room_key).value();
  auto alice_side = session::E2eeManager<openssl::Aes128Gcm>::create(std::move(ao)).value();
  std::vector<std::uint8_t> wire(300);
  auto alice_frame = alice_side.frame_cryptor("alice").value().encrypt(info, frame, wire);
  REQUIRE(alice_frame.has_value());
  docs_session::Seen seen;
  CHECK(docs_session::example(room_key, {}, info, frame, *alice_frame, a, b, c, seen) == 0);
  CHECK(seen.sent);
  CHECK(seen.got == frame);
  CHECK(seen.rotated_index == 1);
  CHECK(seen.handed_out == 32);
  CHECK(seen.agent_key_3_index == 3);
  CHECK(seen.decrypted == 1);
  // A wrong room key: alice's frame does not decrypt.
  docs_session::Seen wrong;
  CHECK(docs_session::example(std::vector<std::uint8_t>(32, 0x12), {}, info, frame, *alice_frame, a, b, c,
                              wrong) == 0);
  CHECK(wrong.got.empty());
  CHECK(wrong.decrypted == 0);
}

// --- docs/sframe.md: "Sender keys with a ratchet (RFC 9605 §5.1)" ---
namespace docs_sframe {
struct Seen {
  std::vector<std::uint8_t> bob, carol, bob_after_ratchet, bob_generation_1;
  bool old_kid_refused = false;
};

void example(BytesIn frame, BytesIn rtp_metadata, Seen& seen) {
  using Cryptor = sframe::FrameCryptor<sframe::Suite5>;  // AES-256-GCM on libsodium

  sframe::FrameCryptorOptions opts;
  opts.ratchet_bits = 4;                          // KID = generation << 4 | step (mod 16)
  auto alice_tx = Cryptor::create(opts).value();  // Alice's sender
  auto bob_rx = Cryptor::create(opts).value();    // Bob's receiver for Alice's media
  auto carol_rx = Cryptor::create(opts).value();

  SecretBytes<32> key;  // a fresh sender key per generation
  randombytes_buf(key.data(), key.size());
  const std::uint64_t kid = 0 << 4;                                    // generation 0, step 0
  (void)alice_tx.add_key(kid, key.view(), sframe::KeyUsage::encrypt);  // encrypt-only
  (void)bob_rx.add_key(kid, key.view(), sframe::KeyUsage::decrypt);    // sent over your E2E channel

  std::vector<std::uint8_t> wire(Cryptor::max_encrypted_size(frame.size()));
  auto enc = alice_tx.encrypt(frame, wire, rtp_metadata);  // metadata: authenticated, not sent
  std::vector<std::uint8_t> plain(enc->size());
  auto dec = bob_rx.decrypt(*enc, plain, rtp_metadata);  // or in place: decrypt(buf, buf, md)
  if (dec) seen.bob.assign(dec->begin(), dec->end());

  SecretBytes<64> carol_key;  // Nh bytes (SHA-512 for suite 5)
  auto carol_kid = alice_tx.ratchet(*alice_tx.encrypt_kid(), &carol_key).value();
  (void)carol_rx.add_key(carol_kid, carol_key.view(), sframe::KeyUsage::decrypt);
  auto enc2 = alice_tx.encrypt(frame, wire, rtp_metadata);
  if (auto d = carol_rx.decrypt(*enc2, plain, rtp_metadata)) seen.carol.assign(d->begin(), d->end());
  if (auto d = bob_rx.decrypt(*enc2, plain, rtp_metadata))
    seen.bob_after_ratchet.assign(d->begin(), d->end());

  SecretBytes<32> next_key;
  randombytes_buf(next_key.data(), next_key.size());
  (void)bob_rx.add_key(1 << 4, next_key.view(), sframe::KeyUsage::decrypt);
  (void)alice_tx.add_key(1 << 4, next_key.view(), sframe::KeyUsage::encrypt);
  (void)alice_tx.set_encrypt_key(1 << 4);  // after receivers acknowledge (§4.4.1)
  (void)bob_rx.remove_key(0);              // drop generation 0 promptly
  auto enc3 = alice_tx.encrypt(frame, wire, rtp_metadata);
  if (auto d = bob_rx.decrypt(*enc3, plain, rtp_metadata)) seen.bob_generation_1.assign(d->begin(), d->end());
  seen.old_kid_refused = !bob_rx.decrypt(*enc, plain, rtp_metadata).has_value();
}
}  // namespace docs_sframe

TEST_CASE("docs/sframe.md sender-key example: ratchet for a joiner, a new generation for a leaver") {
  if (!sodium::Aes256Gcm::available()) {
    MESSAGE("suite 5 on libsodium needs AES-NI and PCLMUL, which this CPU lacks");
    CHECK(sframe::FrameCryptor<sframe::Suite5>::create().has_value() == false);
    return;
  }
  const std::vector<std::uint8_t> frame(500, 0x33), md{0x90, 0x60, 0x00, 0x01};
  docs_sframe::Seen seen;
  docs_sframe::example(frame, md, seen);
  CHECK(seen.bob == frame);
  CHECK(seen.carol == frame);
  CHECK(seen.bob_after_ratchet == frame);  // bob follows the ratchet by himself
  CHECK(seen.bob_generation_1 == frame);
  CHECK(seen.old_kid_refused);
}

// --- docs/sframe.md: "SFrame through the session layer" ---
namespace docs_sframe_session {
namespace fs = frameseal;
void example(fs::session::E2eeOptions options, BytesIn alice_key, BytesIn frame,
             std::vector<std::uint8_t>& wire, std::uint64_t& kid_sent) {
  using Manager = fs::session::SframeE2eeManager<fs::sframe::Suite4>;  // AES_128_GCM_SHA256_128
  auto m =
      Manager::create(std::move(options), {.ratchet_bits = 8}).value();  // SframeOptions: R, replay window
  if (m.key_provider().set_key("alice", alice_key, 0) != fs::Errc::ok) return;  // KID 0 << 8 | 0
  auto next = m.key_provider().ratchet_key("alice", 0);  // RFC 9605 §5.1: KID 0 << 8 | 1
  auto alice = m.frame_cryptor("alice").value();         // encrypt/decrypt as before
  if (!next) return;
  wire.assign(Manager::frame_cryptor_type::max_encrypted_size(frame.size()), 0);
  auto enc = alice.encrypt(FrameInfo{}, frame, wire);
  if (!enc) return;
  wire.resize(enc->size());
  auto h = fs::sframe::parse(*enc);
  kid_sent = h ? h->header.kid : ~std::uint64_t{0};
}
}  // namespace docs_sframe_session

TEST_CASE("docs/sframe.md session example: after ratchet_key, alice sends KID 0 << 8 | 1") {
  const std::vector<std::uint8_t> key(32, 0x21), frame(100, 0x07);
  std::vector<std::uint8_t> wire;
  std::uint64_t kid = 0;
  docs_sframe_session::example({}, key, frame, wire, kid);
  CHECK(kid == (0u << 8 | 1));
  CHECK(wire.size() > frame.size());
  wire.clear();
  docs_sframe_session::example({}, {}, frame, wire, kid = 99);  // an empty key: set_key refuses it
  CHECK(wire.empty());
  CHECK(kid == 99);
}

#endif
