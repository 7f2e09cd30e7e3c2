// session::E2eeManager and its per-participant FrameCryptor facade: rooms of three participants
// (shared key, per-participant keys, a ratchet on join), state reports once per change, counters,
// enable/disable, the sending key index, no allocation per frame, livekit-client 2.23.0's vectors
// through the session layer (with OpenSSL's AES-128-GCM), and a control thread changing keys while
// two media threads encrypt and decrypt.
#include "common.hpp"
#include "livekit_vectors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace frameseal;
using fstest::info_of;
using fstest::livekit_vectors;
using namespace frameseal::session;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

#include "alloc_counter.hpp"  // g_counting, g_allocations: the frame path does not allocate

namespace {

using C = sodium::ChaCha20Poly1305;  // always available; the session layer is cipher-agnostic
using Manager = E2eeManager<C>;
using Cryptor = Manager::frame_cryptor_type;
using State = EncryptionState;
using Log = std::vector<std::pair<std::string, State>>;

const Bytes m0 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes m1 = from_hex("6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328");  // chain-hkdf
const Bytes ka = from_hex("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
const Bytes kb = from_hex("b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2");
const Bytes kc = from_hex("c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3");
const Bytes kd = from_hex("d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4");
const FrameInfo audio{MediaKind::audio, Codec::opus, std::nullopt, 0x11223344, 0x5e6f7081};

E2eeOptions custom(int failure_tolerance = -1) {
  E2eeOptions o;
  o.encryption_type = EncryptionType::custom;
  o.key_provider_options.failure_tolerance = failure_tolerance;
  return o;
}

// An Opus-like frame (TOC byte, then bytes unique to seed).
Bytes opus(std::uint32_t seed, std::size_t n = 120) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[0] = 0x78;
  return b;
}

std::string drop(Errc e) {
  return "drop " + std::string(to_string(e));
}

// One participant's view of the room: a manager and the state reports it received.
struct Client {
  std::string id;
  Manager m;
  Log log;
  std::vector<std::pair<std::string, bool>> status;

  explicit Client(std::string identity, E2eeOptions o = custom())
      : id(std::move(identity)), m(make(std::move(o))) {
    m.on_e2ee_state_changed([this](const std::string& who, State s) { log.emplace_back(who, s); });
    m.on_participant_encryption_status_changed(
        [this](const std::string& who, bool on) { status.emplace_back(who, on); });
  }
  static Manager make(E2eeOptions o) {
    auto m = Manager::create(std::move(o));
    REQUIRE(m.has_value());
    return std::move(*m);
  }
  Cryptor cryptor(const std::string& who) {
    auto c = m.frame_cryptor(who);
    REQUIRE(c.has_value());
    return *c;
  }
  Bytes encrypt(const Bytes& plain, const FrameInfo& info = audio) {
    Bytes out(Cryptor::max_encrypted_size(plain.size()));
    auto r = cryptor(id).encrypt(info, plain, out);
    REQUIRE_MESSAGE(r.has_value(), to_string(r.error()));
    return Bytes(r->begin(), r->end());
  }
  // Plaintext as hex, or "drop <reason>".
  std::string decrypt(const std::string& from, const Bytes& frame, const FrameInfo& info = audio) {
    Bytes out(frame.size() + 8);
    auto r = cryptor(from).decrypt(info, frame, out);
    return r ? to_hex(*r) : drop(r.error());
  }
  Log take_log() { return std::exchange(log, {}); }
};

// Sends one frame from `from` to each receiver; checks every receiver decrypts it.
void send_ok(Client& from, std::initializer_list<Client*> to, std::uint32_t seed) {
  const Bytes plain = opus(seed);
  const Bytes enc = from.encrypt(plain);
  for (Client* c : to) {
    CAPTURE(from.id + " -> " + c->id);
    CHECK(c->decrypt(from.id, enc) == to_hex(plain));
  }
}

}  // namespace

TEST_CASE("create: encryption type and cipher") {
  CHECK(Manager::create().error() ==
        Errc::invalid_argument);  // gcm with ChaCha20-Poly1305: nobody could decrypt it
  auto m = Manager::create(custom());
  REQUIRE(m.has_value());
  CHECK(m->enabled());
  CHECK(m->encryption_type() == EncryptionType::custom);
  E2eeOptions none;
  none.encryption_type = EncryptionType::none;
  auto off = Manager::create(std::move(none));
  REQUIRE(off.has_value());
  CHECK_FALSE(off->enabled());
  E2eeOptions bad = custom();
  bad.key_provider_options.key_ring_size = 0;
  CHECK(Manager::create(std::move(bad)).error() == Errc::invalid_argument);
  CHECK(m->frame_cryptor("").error() == Errc::invalid_argument);
#if defined(FRAMESEAL_TEST_OPENSSL)
  CHECK(E2eeManager<openssl::Aes128Gcm>::create().has_value());
  CHECK(E2eeManager<openssl::Aes256Gcm>::create().has_value());
#endif
}

TEST_CASE("shared-key room of three: exchange, a ratchet on join, per-participant ratchet state") {
  auto shared = [](const Bytes& key) {
    E2eeOptions o = custom();
    o.key_provider_options.shared_key = SecretBuffer::copy_of(key).value();
    return o;
  };
  Client alice("alice", shared(m0)), bob("bob", shared(m0));
  CHECK(alice.m.key_provider().shared_key_mode());
  for (std::uint32_t i = 0; i < 3; ++i) {
    send_ok(alice, {&bob}, 100 + i);
    send_ok(bob, {&alice}, 200 + i);
  }
  // A frame bob encrypted before the join, still in flight.
  const Bytes late_plain = opus(299);
  const Bytes late = bob.encrypt(late_plain);

  // carol joins: alice ratchets the room key and hands carol the new material.
  auto next = alice.m.key_provider().ratchet_shared_key(0);
  REQUIRE(next.has_value());
  CHECK(to_hex(next->view()) == to_hex(m1));
  Client carol("carol", custom());
  REQUIRE(carol.m.key_provider().set_shared_key(next->view(), 0) == Errc::ok);

  // bob has not ratcheted yet: his ring for alice catches up on her first new frame.
  bob.take_log();
  send_ok(alice, {&bob, &carol}, 300);
  CHECK(bob.take_log() == Log{{"alice", State::key_ratcheted}, {"alice", State::ok}});
  CHECK(bob.cryptor("alice").counters().ratchets == 1);
  CHECK(bob.cryptor("bob").counters().ratchets == 0);  // failure and ratchet state are per participant
  CHECK(to_hex(bob.m.key_provider().export_key("alice", 0).value().view()) == to_hex(m1));
  CHECK(to_hex(bob.m.key_provider().export_key("bob", 0).value().view()) == to_hex(m0));

  // bob ratchets too: his own ring follows, his ring for alice (already at m1) is left alone.
  REQUIRE(bob.m.key_provider().ratchet_shared_key(0).has_value());
  CHECK(bob.cryptor("alice").counters().ratchets == 1);
  CHECK(bob.cryptor("bob").counters().ratchets == 1);
  send_ok(bob, {&alice, &carol}, 400);
  send_ok(carol, {&alice, &bob}, 500);
  CHECK(alice.cryptor("bob").counters().ratchets == 1);  // from alice's ratchet_shared_key, no auto-ratchet

  // The in-flight frame: alice still decrypts it (previous generation); carol never had that key.
  CHECK(alice.decrypt("bob", late) == to_hex(late_plain));
  carol.take_log();
  CHECK(carol.decrypt("bob", late) == drop(Errc::auth_failed));
  CHECK(carol.take_log() == Log{{"bob", State::decryption_failed}});
  CHECK(carol.cryptor("bob").counters().auth_failures == 1);
  CHECK(carol.cryptor("alice").state() == State::ok);

  // Counters match what was sent.
  CHECK(alice.cryptor("alice").counters().encrypted == 4);
  CHECK(bob.cryptor("alice").counters().decrypted == 4);
  CHECK(alice.cryptor("bob").counters().decrypted == 5);  // 3 + 1 + the late frame
  CHECK(carol.cryptor("alice").counters().decrypted == 1);
  CHECK(carol.cryptor("bob").counters().decrypted == 1);
  CHECK(carol.m.frame_cryptors().size() == 3);  // alice, bob, carol (its own, for encrypting)
}

TEST_CASE("per-participant room of three: keys by identity, key index, a ratchet on join") {
  Client alice("alice"), bob("bob"), carol("carol");
  // Everyone learns alice's and bob's keys; bob sends with key index 1.
  for (Client* c : {&alice, &bob}) {
    REQUIRE(c->m.key_provider().set_key("alice", ka, 0) == Errc::ok);
    REQUIRE(c->m.key_provider().set_key("bob", kb, 1) == Errc::ok);
  }
  CHECK_FALSE(alice.m.key_provider().shared_key_mode());
  CHECK(bob.cryptor("bob").key_index() == 1);
  const Bytes enc = bob.encrypt(opus(1));
  CHECK(enc.back() == 1);  // the KID
  CHECK(alice.decrypt("bob", enc) == to_hex(opus(1)));
  send_ok(alice, {&bob}, 2);

  // carol joins: alice and bob ratchet their own keys and give carol the results; carol's key is
  // given to everyone.
  auto a1 = alice.m.key_provider().ratchet_key("alice", 0);
  auto b1 = bob.m.key_provider().ratchet_key("bob", 1);
  REQUIRE((a1.has_value() && b1.has_value()));
  REQUIRE(carol.m.key_provider().set_key("alice", a1->view(), 0) == Errc::ok);
  REQUIRE(carol.m.key_provider().set_key("bob", b1->view(), 1) == Errc::ok);
  for (Client* c : {&alice, &bob, &carol}) REQUIRE(c->m.key_provider().set_key("carol", kc, 0) == Errc::ok);
  CHECK(bob.cryptor("bob").key_index() == 1);  // the ratchet kept bob on index 1

  alice.take_log();
  bob.take_log();
  send_ok(alice, {&bob, &carol}, 3);  // bob auto-ratchets alice's key
  send_ok(bob, {&alice, &carol}, 4);  // alice auto-ratchets bob's key
  send_ok(carol, {&alice, &bob}, 5);
  CHECK(bob.take_log() == Log{{"alice", State::key_ratcheted}, {"alice", State::ok}, {"carol", State::ok}});
  CHECK(alice.take_log() == Log{{"bob", State::key_ratcheted}, {"bob", State::ok}, {"carol", State::ok}});
  // Every view of a participant's key agrees after the catch-up.
  for (Client* c : {&alice, &bob, &carol}) {
    CHECK(to_hex(c->m.key_provider().export_key("alice", 0).value().view()) == to_hex(a1->view()));
    CHECK(to_hex(c->m.key_provider().export_key("bob", 1).value().view()) == to_hex(b1->view()));
  }
  // carol cannot read what was sent before she joined.
  CHECK(carol.decrypt("bob", enc) == drop(Errc::auth_failed));
  CHECK(alice.cryptor("bob").counters().decrypted == 2);
  CHECK(alice.cryptor("bob").counters().last_key_index == 1);
  CHECK(carol.cryptor("bob").counters().last_error_key_index == 1);
}

TEST_CASE("states are reported once per change") {
  Client tx("alice"), rx("bob");
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  Cryptor in = rx.cryptor("alice");
  CHECK(in.state() == State::new_);
  CHECK(rx.take_log().empty());
  std::uint32_t seed = 0;
  auto frames = [&](int n) {  // n frames that must decrypt
    for (int i = 0; i < n; ++i) {
      const Bytes p = opus(++seed);
      CHECK(rx.decrypt("alice", tx.encrypt(p)) == to_hex(p));
    }
  };

  // new -> ok, once for many frames.
  frames(5);
  CHECK(rx.take_log() == Log{{"alice", State::ok}});
  CHECK(tx.take_log() == Log{{"alice", State::ok}});  // the sender's own facade: new -> ok

  // ok -> missing_key -> ok after the key arrives.
  REQUIRE(tx.m.key_provider().set_key("alice", kb, 2) == Errc::ok);  // sender moves to index 2
  CHECK(tx.cryptor("alice").key_index() == 2);
  for (int i = 0; i < 3; ++i) CHECK(rx.decrypt("alice", tx.encrypt(opus(++seed))) == drop(Errc::missing_key));
  CHECK(rx.take_log() == Log{{"alice", State::missing_key}});
  REQUIRE(rx.m.key_provider().set_key("alice", kb, 2) == Errc::ok);
  frames(3);
  CHECK(rx.take_log() == Log{{"alice", State::ok}});

  // ok -> decryption_failed (a key the receiver does not have), then ok with the right key.
  REQUIRE(tx.m.key_provider().set_key("alice", kc, 2) == Errc::ok);
  for (int i = 0; i < 3; ++i) CHECK(rx.decrypt("alice", tx.encrypt(opus(++seed))) == drop(Errc::auth_failed));
  CHECK(rx.take_log() == Log{{"alice", State::decryption_failed}});
  REQUIRE(rx.m.key_provider().set_key("alice", kc, 2) == Errc::ok);
  frames(2);
  CHECK(rx.take_log() == Log{{"alice", State::ok}});

  // key_ratcheted then ok: the sender ratchets, the receiver catches up on the next frame.
  REQUIRE(tx.m.key_provider().ratchet_key("alice", 2).has_value());
  frames(3);
  CHECK(rx.take_log() == Log{{"alice", State::key_ratcheted}, {"alice", State::ok}});
  CHECK(in.counters().ratchets == 1);

  // malformed and tampered frames: decryption_failed once.
  const Bytes good = tx.encrypt(opus(++seed));
  Bytes bad = good;
  bad[5] ^= 1;
  CHECK(rx.decrypt("alice", Bytes{0x78, 0x02}) == drop(Errc::malformed_frame));
  CHECK(rx.decrypt("alice", bad) == drop(Errc::auth_failed));
  CHECK(rx.decrypt("alice", good) == to_hex(opus(seed)));
  CHECK(rx.take_log() == Log{{"alice", State::decryption_failed}, {"alice", State::ok}});

  // The sender side: missing key at the sending index, encryption failure, recovery.
  tx.take_log();
  Cryptor out = tx.cryptor("alice");
  REQUIRE(out.set_key_index(5) == Errc::ok);
  Bytes buf(400);
  CHECK(out.encrypt(audio, opus(1), buf).error() == Errc::missing_key);
  CHECK(out.encrypt(audio, opus(2), buf).error() == Errc::missing_key);
  REQUIRE(out.set_key_index(2) == Errc::ok);
  CHECK(out.encrypt(audio, opus(3), BytesOut(buf).first(20)).error() == Errc::buffer_too_small);
  CHECK(out.encrypt(audio, opus(4), buf).has_value());
  CHECK(tx.take_log() ==
        Log{{"alice", State::missing_key}, {"alice", State::encryption_failed}, {"alice", State::ok}});
  CHECK(out.counters().missing_key == 2);
  CHECK(out.counters().encryption_failures == 1);
  CHECK(out.counters().last_error == Errc::buffer_too_small);
  CHECK(out.counters().last_error_key_index == 2);
}

TEST_CASE("counters match what was sent") {
  Client tx("alice"), rx("bob");
  const Bytes trailer = from_hex("4578616d706c65526f6f6d536966547261696c6572");
  const Bytes blank_vp8 =
      from_hex("1002009d012a080008000047088585888584880202000c0d6000feffab5080");  // record D11a
  const FrameInfo vp8{MediaKind::video, Codec::vp8, std::nullopt, 1, 2};
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 3) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 3) == Errc::ok);
  rx.m.key_provider().set_sif_trailer(trailer);  // applies to the existing participant...
  CHECK(rx.m.key_provider().sif_trailer() == trailer);

  std::uint32_t seed = 0;
  auto round_trip = [&](Client& to) {  // a fresh frame from tx decrypts at `to`
    const Bytes p = opus(++seed);
    return to.decrypt("alice", tx.encrypt(p)) == to_hex(p);
  };
  for (int i = 0; i < 7; ++i) CHECK(round_trip(rx));
  for (int i = 0; i < 4; ++i) {
    Bytes f = tx.encrypt(opus(++seed));
    f[1] ^= 0x80;
    CHECK(rx.decrypt("alice", f) == drop(Errc::auth_failed));
  }
  for (int i = 0; i < 2; ++i) {
    Bytes f = tx.encrypt(opus(++seed));
    f.back() = 9;  // a KID the receiver has no key for
    CHECK(rx.decrypt("alice", f) == drop(Errc::missing_key));
  }
  for (int i = 0; i < 3; ++i)
    CHECK(rx.decrypt("alice", Bytes{0x78, 0x00, 0x03}) == drop(Errc::malformed_frame));
  Bytes sif = blank_vp8;
  sif.insert(sif.end(), trailer.begin(), trailer.end());
  for (int i = 0; i < 2; ++i) CHECK(rx.decrypt("alice", sif, vp8) == to_hex(blank_vp8));
  Bytes not_blank = opus(99);
  not_blank.insert(not_blank.end(), trailer.begin(), trailer.end());
  CHECK(rx.decrypt("alice", not_blank) == drop(Errc::sif_rejected));
  CHECK(rx.decrypt("alice", Bytes{}).empty());
  CHECK(tx.encrypt(Bytes{}).empty());
  REQUIRE(tx.m.key_provider().ratchet_key("alice", 3).has_value());
  REQUIRE(tx.m.key_provider().ratchet_key("alice", 3).has_value());
  CHECK(round_trip(rx));  // two steps behind: caught up in one frame

  const Counters r = rx.cryptor("alice").counters();
  CHECK(r.decrypted == 8);
  CHECK(r.auth_failures == 4);
  CHECK(r.missing_key == 2);
  CHECK(r.malformed == 3);
  CHECK(r.sif_passed == 2);
  CHECK(r.sif_dropped == 1);
  CHECK(r.empty == 1);
  CHECK(r.ratchets == 2);  // receive-side, two steps at once
  CHECK(r.invalid_key == 0);
  CHECK(r.other_failures == 0);
  CHECK(r.passthrough == 0);
  CHECK(r.encrypted == 0);
  CHECK(r.last_error == Errc::sif_rejected);
  CHECK(r.last_key_index == 3);
  const Counters t = tx.cryptor("alice").counters();
  CHECK(t.encrypted == 7 + 4 + 2 + 1);
  CHECK(t.empty == 1);
  CHECK(t.ratchets == 2);  // explicit
  CHECK(t.decrypted == 0);
  CHECK(t.last_error == Errc::ok);
  CHECK(t.last_key_index == 3);

  // A participant created after set_sif_trailer gets the trailer too.
  REQUIRE(rx.m.key_provider().set_key("dave", kd, 0) == Errc::ok);
  CHECK(rx.decrypt("dave", sif, vp8) == to_hex(blank_vp8));
  CHECK(rx.cryptor("dave").counters().sif_passed == 1);

  // failure_tolerance 0: the first failure marks the slot invalid; later frames are refused unseen.
  Client strict("bob", custom(0));
  REQUIRE(strict.m.key_provider().set_key("alice", ka, 3) == Errc::ok);
  Bytes f = tx.encrypt(opus(++seed));  // tx is two ratchets ahead; window 16 would catch up...
  f[2] ^= 1;                           // ...but this one is tampered
  CHECK(strict.decrypt("alice", f) == drop(Errc::auth_failed));
  CHECK(strict.decrypt("alice", tx.encrypt(opus(++seed))) == drop(Errc::key_invalid));
  CHECK(strict.cryptor("alice").counters().invalid_key == 1);
  CHECK(strict.take_log() == Log{{"alice", State::decryption_failed}});
  REQUIRE(strict.m.key_provider().set_key("alice", tx.m.key_provider().export_key("alice", 3).value().view(),
                                          3) == Errc::ok);
  CHECK(round_trip(strict));
}

TEST_CASE("enable and disable: frames pass unchanged, status reports on effective changes") {
  Client tx("alice"), rx("bob");
  for (Client* c : {&tx, &rx}) {
    REQUIRE(c->m.key_provider().set_key("alice", ka, 0) == Errc::ok);
    REQUIRE(c->m.key_provider().set_key("carol", kc, 0) == Errc::ok);
  }
  const Bytes p = opus(7);
  const Bytes enc = tx.encrypt(p);

  // Manager off: both directions pass unchanged, out of place and in place.
  tx.m.set_enabled(false);
  CHECK_FALSE(tx.m.enabled());
  CHECK(tx.status == std::vector<std::pair<std::string, bool>>{{"alice", false}, {"carol", false}});
  CHECK(tx.encrypt(p) == p);
  Bytes in_place = p;
  auto r = tx.cryptor("alice").encrypt(audio, in_place, in_place);
  REQUIRE(r.has_value());
  CHECK(r->data() == in_place.data());
  CHECK(in_place == p);
  CHECK(tx.decrypt("alice", enc) == to_hex(enc));  // ciphertext passes as is, as LiveKit does
  Bytes small(p.size() - 1);
  CHECK(tx.cryptor("alice").encrypt(audio, p, small).error() == Errc::buffer_too_small);
  CHECK(tx.cryptor("alice").counters().passthrough == 3);
  CHECK(tx.cryptor("alice").counters().encrypted == 1);
  tx.m.set_enabled(false);  // no change, no report
  CHECK(tx.status.size() == 2);
  tx.m.set_enabled(true);
  CHECK(tx.status.size() == 4);
  CHECK(rx.decrypt("alice", tx.encrypt(p)) == to_hex(p));

  // One participant off: only its frames pass; the others are unaffected.
  rx.status.clear();
  Cryptor a = rx.cryptor("alice");
  a.set_enabled(false);
  CHECK_FALSE(a.enabled());
  CHECK(rx.m.enabled());
  CHECK(rx.status == std::vector<std::pair<std::string, bool>>{{"alice", false}});
  CHECK(rx.decrypt("alice", enc) == to_hex(enc));
  Bytes c_enc(Cryptor::max_encrypted_size(p.size()));
  auto ce = tx.cryptor("carol").encrypt(audio, p, c_enc);
  REQUIRE(ce.has_value());
  CHECK(rx.decrypt("carol", Bytes(ce->begin(), ce->end())) == to_hex(p));
  // While the manager is off, toggling a participant changes nothing effective: no report.
  rx.m.set_enabled(false);
  CHECK(rx.status.size() == 2);  // carol only: alice was already off
  CHECK(rx.status.back() == std::pair<std::string, bool>{"carol", false});
  a.set_enabled(true);
  CHECK(rx.status.size() == 2);
  rx.m.set_enabled(true);
  CHECK(rx.status.size() == 4);
  CHECK(rx.decrypt("alice", enc) == to_hex(p));
  CHECK(rx.cryptor("alice").counters().passthrough == 1);

  // EncryptionType::none: off until enabled.
  E2eeOptions none;
  none.encryption_type = EncryptionType::none;
  Client off("alice", std::move(none));
  REQUIRE(off.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  CHECK(off.encrypt(p) == p);
  off.m.set_enabled(true);
  CHECK(rx.decrypt("alice", off.encrypt(p)) == to_hex(p));
}

TEST_CASE("sending key index: follows key changes, set_key_index overrides, facades are handles") {
  Client tx("alice");
  auto& kp = tx.m.key_provider();
  Cryptor c = tx.cryptor("alice");
  CHECK(c.participant_identity() == "alice");
  CHECK(c.key_index() == 0);
  CHECK(c.enabled());
  REQUIRE(kp.set_key("alice", ka, 4) == Errc::ok);
  CHECK(c.key_index() == 4);                         // livekit-client behaviour (native SDKs would stay at 0)
  REQUIRE(kp.set_key("alice", kb, 20) == Errc::ok);  // slot 20 % 16
  CHECK(c.key_index() == 4);
  REQUIRE(c.set_key_index(4) == Errc::ok);
  CHECK(tx.encrypt(opus(1)).back() == 4);
  CHECK(c.set_key_index(16) == Errc::invalid_argument);
  CHECK(c.key_index() == 4);
  REQUIRE(kp.set_key("alice", kc, 7) == Errc::ok);
  CHECK(c.key_index() == 7);
  REQUIRE(c.set_key_index(4) == Errc::ok);
  CHECK(tx.encrypt(opus(2)).back() == 4);
  REQUIRE(kp.ratchet_key("alice", 7).has_value());
  CHECK(c.key_index() == 7);
  CHECK(tx.encrypt(opus(3)).back() == 7);

  // frame_cryptors(): every participant with a state, sorted; handles share the state and outlive
  // the manager.
  REQUIRE(kp.set_key("bob", kb, 0) == Errc::ok);
  auto all = tx.m.frame_cryptors();
  REQUIRE(all.size() == 2);
  CHECK(all[0].participant_identity() == "alice");
  CHECK(all[1].participant_identity() == "bob");
  CHECK(all[0].counters().encrypted == c.counters().encrypted);
  REQUIRE(all[0].set_key_index(1) == Errc::ok);
  CHECK(c.key_index() == 1);
  Cryptor kept = all[1];
  {
    Manager moved = std::move(tx.m);
    CHECK(moved.frame_cryptors().size() == 2);
  }  // the manager is gone
  CHECK(kept.participant_identity() == "bob");
  Bytes out(200);
  CHECK(kept.encrypt(audio, opus(4), out).has_value());
}

TEST_CASE("no allocation on the frame path") {
  Client tx("alice"), rx("bob");
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  Cryptor e = tx.cryptor("alice"), d = rx.cryptor("alice");
  const Bytes p = opus(1, 1000);
  Bytes enc(Cryptor::max_encrypted_size(p.size())), dec(enc.size());
  auto once = [&] {
    auto r = e.encrypt(audio, p, enc);
    REQUIRE(r.has_value());
    auto q = d.decrypt(audio, *r, dec);
    REQUIRE(q.has_value());
    Bytes in_place(r->begin(), r->end());
    REQUIRE(d.decrypt(audio, in_place, in_place).has_value());  // in place: uses the scratch buffer
  };
  once();  // warm-up: the scratch buffer grows once, the first state report happens
  std::size_t allocations = 0;
  for (int i = 0; i < 50; ++i) {
    auto r = e.encrypt(audio, p, enc);
    g_counting = true;
    auto q = d.decrypt(audio, *r, dec);
    auto r2 = e.encrypt(audio, p, enc);
    auto q2 = d.decrypt(audio, *r2, *r2);  // in place
    g_counting = false;
    allocations += g_allocations;
    g_allocations = 0;
    REQUIRE((q.has_value() && r2.has_value() && q2.has_value()));
  }
  CHECK(allocations == 0);
}

#if defined(FRAMESEAL_TEST_OPENSSL)
TEST_CASE("livekit-client 2.23.0 vectors through the session layer: decrypt, re-produce, export") {
  using Gcm = openssl::Aes128Gcm;
  auto j = livekit_vectors();
  std::size_t checked = 0;
  for (const auto& v : j["vectors"]) {
    CAPTURE(v["id"].get<std::string>());
    if (v["key_size_bits"] != 128) continue;
    const Bytes material = from_hex(v["key_material_hex"].get<std::string>());
    const std::size_t kid = v["key_index"];
    const std::size_t ratchets = v["ratchet_count"];
    const FrameInfo info = info_of(v);
    const Bytes plain = from_hex(v["plaintext_hex"].get<std::string>());
    const Bytes wire = from_hex(v["encrypted_frame_hex"].get<std::string>());
    const std::string want_plain = v.contains("package_roundtrip")
                                       ? v["package_roundtrip"]["decrypted_frame_hex"].get<std::string>()
                                       : v["plaintext_hex"].get<std::string>();
    auto options = [&] {
      E2eeOptions o;  // encryption_type gcm: right for AES-128-GCM
      o.key_provider_options.ratchet_salt = from_hex(v["ratchet_salt_hex"].get<std::string>());
      o.key_provider_options.kdf = v["kdf"] == "pbkdf2" ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf;
      return o;
    };
    LivekitKdf fast;  // the CLI's choice: OpenSSL's PBKDF2 plugged into LiveKit's KDF
    fast.pbkdf2 = &openssl::pbkdf2_hmac_sha256;

    for (bool shared : {false, true}) {
      CAPTURE(shared);
      // Receive: a manager holding the un-ratcheted material decrypts (auto-ratcheting if needed).
      auto rx = E2eeManager<Gcm>::create(options(), fast);
      REQUIRE(rx.has_value());
      Log log;
      rx->on_e2ee_state_changed([&](const std::string& who, State s) { log.emplace_back(who, s); });
      if (shared)
        REQUIRE(rx->key_provider().set_shared_key(material, kid) == Errc::ok);
      else
        REQUIRE(rx->key_provider().set_key("lk-sender", material, kid) == Errc::ok);
      auto in = rx->frame_cryptor("lk-sender");
      REQUIRE(in.has_value());
      fstest::Guarded out(wire.size());
      auto d = in->decrypt(info, wire, out.span());
      REQUIRE_MESSAGE(d.has_value(), to_string(d.error()));
      CHECK(to_hex(*d) == want_plain);
      CHECK(out.guard_intact());
      CHECK(in->counters().decrypted == 1);
      CHECK(in->counters().ratchets == ratchets);
      CHECK(in->counters().last_key_index == kid);
      if (ratchets)
        CHECK(log == Log{{"lk-sender", State::key_ratcheted}, {"lk-sender", State::ok}});
      else
        CHECK(log == Log{{"lk-sender", State::ok}});
      CHECK(to_hex(rx->key_provider().export_key("lk-sender", kid).value().view()) ==
            v["current_material_hex"].get<std::string>());

      // Send: set and ratchet through the provider, LiveKit's IV formula, byte-identical output.
      const std::uint32_t seed = v["send_count_mod_65535"];
      auto tx = E2eeManager<Gcm, livekit::LivekitIv>::create(
          options(), fast, [seed](const std::string&) { return livekit::LivekitIv(seed); });
      REQUIRE(tx.has_value());
      auto& kp = tx->key_provider();
      if (shared) {
        REQUIRE(kp.set_shared_key(material, kid) == Errc::ok);
        for (std::size_t r = 0; r < ratchets; ++r) REQUIRE(kp.ratchet_shared_key(kid).has_value());
        CHECK(to_hex(kp.export_shared_key(kid).value().view()) ==
              v["current_material_hex"].get<std::string>());
      } else {
        REQUIRE(kp.set_key("me", material, kid) == Errc::ok);
        for (std::size_t r = 0; r < ratchets; ++r) REQUIRE(kp.ratchet_key("me", kid).has_value());
      }
      CHECK(to_hex(kp.export_key("me", kid).value().view()) == v["current_material_hex"].get<std::string>());
      auto me = tx->frame_cryptor("me");
      REQUIRE(me.has_value());
      CHECK(me->key_index() == kid);
      fstest::Guarded enc(E2eeManager<Gcm>::frame_cryptor_type::max_encrypted_size(plain.size()));
      auto e = me->encrypt(info, plain, enc.span());
      REQUIRE(e.has_value());
      CHECK(to_hex(*e) == to_hex(wire));
      CHECK(enc.guard_intact());
    }
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("livekit-client 2.23.0 receive records: drop reasons, states and counters of the session") {
  using Gcm = openssl::Aes128Gcm;
  auto j = livekit_vectors();
  const nlohmann::json* rcv = nullptr;
  for (const auto& d : j["decode_behaviour"]) {
    const std::string id = d["id"];
    CAPTURE(id);
    if (d["receiver"].is_object()) rcv = &d["receiver"];  // a string: same receiver as the previous record
    REQUIRE(rcv != nullptr);
    E2eeOptions o;
    o.key_provider_options.ratchet_window_size = (*rcv)["options"]["ratchetWindowSize"];
    o.key_provider_options.failure_tolerance = (*rcv)["options"]["failureTolerance"];
    const std::string salt = (*rcv)["options"]["ratchetSalt"];
    o.key_provider_options.ratchet_salt.assign(salt.begin(), salt.end());
    o.key_provider_options.kdf = (*rcv)["kdf"] == "pbkdf2" ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf;
    if (rcv->contains("sif_trailer_hex"))
      o.frame_cryptor_options.sif_trailer = from_hex((*rcv)["sif_trailer_hex"].get<std::string>());
    auto m = E2eeManager<Gcm>::create(std::move(o));
    REQUIRE(m.has_value());
    Log log;
    m->on_e2ee_state_changed([&](const std::string& who, State s) { log.emplace_back(who, s); });
    REQUIRE(m->key_provider().set_key("lk", from_hex((*rcv)["key_index_0_material_hex"].get<std::string>()),
                                      0) == Errc::ok);
    FrameInfo info;
    info.codec = codec_from_string(d["input"]["codec"].get<std::string>()).value();
    info.kind = info.codec == Codec::opus ? MediaKind::audio : MediaKind::video;
    const Bytes frame = from_hex(d["input"]["encrypted_frame_hex"].get<std::string>());
    auto c = m->frame_cryptor("lk").value();
    Bytes out(frame.size());
    auto r = c.decrypt(info, frame, out);
    const Counters k = c.counters();
    if (d["result"]["decrypted"]) {
      REQUIRE(r.has_value());
      CHECK(to_hex(*r) == d["result"]["output_frame_hex"].get<std::string>());
      if (id.rfind("D11", 0) == 0) {
        CHECK(k.sif_passed == 1);
        CHECK(log.empty());  // a SIF frame is not a decryption
      } else {
        CHECK(k.decrypted == 1);
      }
    } else {
      REQUIRE_FALSE(r.has_value());
      if (id.rfind("D8", 0) == 0) {
        CHECK(r.error() == Errc::missing_key);
        CHECK(k.missing_key == 1);
        CHECK(k.last_error_key_index == 3);
        CHECK(log == Log{{"lk", State::missing_key}});
      } else if (id.rfind("D9", 0) == 0) {
        CHECK(r.error() == Errc::auth_failed);
        CHECK(k.auth_failures == 1);
        CHECK(log == Log{{"lk", State::decryption_failed}});
      } else if (id.rfind("D11", 0) == 0) {
        CHECK(r.error() == Errc::sif_rejected);
        CHECK(k.sif_dropped == 1);
        CHECK(log == Log{{"lk", State::decryption_failed}});
      }
    }
  }
}
#endif

// A control thread sets, ratchets and re-indexes keys while two media threads encrypt and decrypt
// through the facades. Every frame must either decrypt to exactly its plaintext or be dropped with a
// reason that a key change explains. Run it under ThreadSanitizer too (-Db_sanitize=thread).
TEST_CASE("concurrency: key changes from a control thread while two media threads run frames") {
  for (bool shared : {false, true}) {
    CAPTURE(shared);
    auto make = [] {
      auto m = Manager::create(custom());
      REQUIRE(m.has_value());
      return std::move(*m);
    };
    Manager tx = make(), rx = make();
    const std::vector<std::string> ids = {"alice", "bob"};
    std::mutex log_mutex;
    std::size_t reports = 0;
    rx.on_e2ee_state_changed([&](const std::string&, State) {
      std::lock_guard<std::mutex> lock(log_mutex);
      ++reports;
    });
    if (shared) {
      REQUIRE(tx.key_provider().set_shared_key(ka, 0) == Errc::ok);
      REQUIRE(rx.key_provider().set_shared_key(ka, 0) == Errc::ok);
    } else {
      for (const auto& id : ids) {
        REQUIRE(tx.key_provider().set_key(id, ka, 0) == Errc::ok);
        REQUIRE(rx.key_provider().set_key(id, ka, 0) == Errc::ok);
      }
    }
    std::vector<Cryptor> enc, dec;
    for (const auto& id : ids) {
      enc.push_back(tx.frame_cryptor(id).value());
      dec.push_back(rx.frame_cryptor(id).value());
    }

    constexpr int frames_per_thread = 3000;
    std::atomic<int> media_done{0};
    struct Tally {
      std::size_t ok = 0, dropped_encrypt = 0, dropped_decrypt = 0, wrong = 0, bad_reason = 0;
    };
    Tally tally[2];

    auto media = [&](int t) {
      Tally& y = tally[t];
      Bytes out, back;
      for (int i = 0; i < frames_per_thread; ++i) {
        const std::size_t who = static_cast<std::size_t>(i + t) % 2;  // both threads use both participants
        const Bytes plain =
            opus(static_cast<std::uint32_t>(t * 1000000 + i), 60 + static_cast<std::size_t>(i % 200));
        out.assign(Cryptor::max_encrypted_size(plain.size()), 0);
        auto e = enc[who].encrypt(audio, plain, out);
        if (!e) {
          ++y.dropped_encrypt;
          if (e.error() != Errc::missing_key) ++y.bad_reason;
          continue;
        }
        Result<BytesOut> d = Errc::internal_error;
        if (i % 3 == 0) {  // in place
          back.assign(e->begin(), e->end());
          d = dec[who].decrypt(audio, back, back);
        } else {
          back.assign(e->size(), 0);
          d = dec[who].decrypt(audio, *e, back);
        }
        if (d) {
          ++y.ok;
          if (!(d->size() == plain.size() && std::equal(d->begin(), d->end(), plain.begin()))) ++y.wrong;
        } else {
          ++y.dropped_decrypt;
          const Errc r = d.error();
          if (r != Errc::auth_failed && r != Errc::missing_key) ++y.bad_reason;
        }
      }
      media_done.fetch_add(1);
    };

    auto control = [&] {
      std::mt19937 rng(shared ? 7 : 8);
      int ops = 0;
      while (media_done.load() < 2 && ops < 400) {
        ++ops;
        const std::string& id = ids[rng() % 2];
        const std::size_t idx = rng() % 3;
        Bytes key = opus(static_cast<std::uint32_t>(rng()), 32);
        switch (rng() % 6) {
          case 0:  // a new key on both sides (receiver first)
            if (shared) {
              (void)rx.key_provider().set_shared_key(key, idx);
              (void)tx.key_provider().set_shared_key(key, idx);
            } else {
              (void)rx.key_provider().set_key(id, key, idx);
              (void)tx.key_provider().set_key(id, key, idx);
            }
            break;
          case 1:  // the sender ratchets; the receiver catches up through its window
            if (shared)
              (void)tx.key_provider().ratchet_shared_key(idx);
            else
              (void)tx.key_provider().ratchet_key(id, idx);
            break;
          case 2:  // both ratchet
            if (shared) {
              (void)tx.key_provider().ratchet_shared_key(idx);
              (void)rx.key_provider().ratchet_shared_key(idx);
            } else {
              (void)tx.key_provider().ratchet_key(id, idx);
              (void)rx.key_provider().ratchet_key(id, idx);
            }
            break;
          case 3:  // re-index the sender (the slot may be empty: missing_key on encrypt)
            (void)enc[rng() % 2].set_key_index(idx);
            break;
          case 4:  // observe
            for (auto& c : rx.frame_cryptors()) (void)c.counters();
            (void)tx.key_provider().export_key(id, idx);
            break;
          default:  // a participant's enabled flag is not touched: frames must stay encrypted
            rx.key_provider().set_sif_trailer(ops % 2 ? Bytes{0x4c, 0x4b} : Bytes{});
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    };

    std::thread c(control), m1(media, 0), m2(media, 1);
    m1.join();
    m2.join();
    c.join();

    std::size_t ok = 0, dropped = 0, encrypted_ok = 0;
    for (const Tally& y : tally) {
      CHECK(y.wrong == 0);
      CHECK(y.bad_reason == 0);
      CHECK(y.ok + y.dropped_encrypt + y.dropped_decrypt == frames_per_thread);
      ok += y.ok;
      dropped += y.dropped_encrypt + y.dropped_decrypt;
      encrypted_ok += y.ok + y.dropped_decrypt;
    }
    MESSAGE("shared=" << shared << ": " << ok << " frames decrypted, " << dropped << " dropped, " << reports
                      << " state reports");
    CHECK(ok > 0);
    // The counters saw exactly the frames the threads saw.
    std::uint64_t encrypted = 0, decrypted = 0;
    for (std::size_t i = 0; i < 2; ++i) {
      encrypted += enc[i].counters().encrypted;
      decrypted += dec[i].counters().decrypted;
    }
    CHECK(encrypted == encrypted_ok);
    CHECK(decrypted == ok);
    // Settled again: one key for both sides, frames flow.
    for (std::size_t i = 0; i < 2; ++i) {
      REQUIRE(tx.key_provider().set_key(ids[i], kb, 1) == Errc::ok);
      REQUIRE(rx.key_provider().set_key(ids[i], kb, 1) == Errc::ok);
      const Bytes plain = opus(42);
      Bytes out(Cryptor::max_encrypted_size(plain.size())), back(out.size());
      auto e = enc[i].encrypt(audio, plain, out);
      REQUIRE(e.has_value());
      auto d = dec[i].decrypt(audio, *e, back);
      REQUIRE(d.has_value());
      CHECK(Bytes(d->begin(), d->end()) == plain);
    }
  }
}
