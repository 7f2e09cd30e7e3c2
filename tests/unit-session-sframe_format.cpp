// session/sframe_format.hpp: the session layer over SFrame (RFC 9605). A room of three
// participants whose frames are real RFC 9605 frames (checked against a bare sframe::FrameCryptor),
// the key index -> KID mapping, key rotation with set_key_index, ratchet_key (RFC 9605 §5.1) with a
// receiver's automatic recovery, the states and counters of every failure (missing key, wrong key,
// malformed, replay, failure tolerance), the refusal of shared-key mode, enable flags, and no
// allocation per frame, and key changes from a control thread while media threads run frames.
#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/sframe/openssl_suites.hpp>
#endif

#include <cstdlib>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <new>
#include <random>
#include <thread>
#include <string>
#include <utility>
#include <vector>

using namespace frameseal;
using namespace frameseal::session;
using fstest::Bytes;
using fstest::from_hex;

#include "alloc_counter.hpp"  // g_counting, g_allocations: the frame path does not allocate

namespace {

using SuiteChacha = sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>;  // private use

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define FS_SUITES SuiteChacha, sframe::Suite4, sframe::Suite5
#else
#  define FS_SUITES SuiteChacha, sframe::Suite5
#endif

using State = EncryptionState;
using Log = std::vector<std::pair<std::string, State>>;

const Bytes ka = from_hex("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
const Bytes kb = from_hex("b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2");
const Bytes kc = from_hex("c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3");
const Bytes kd = from_hex("d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4");
const FrameInfo video{MediaKind::video, Codec::vp8, true, 0x11223344, 0x5e6f7081};

Bytes payload(std::uint8_t seed, std::size_t n = 300) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return b;
}

E2eeOptions custom(int failure_tolerance = -1) {
  E2eeOptions o;
  o.encryption_type = EncryptionType::custom;
  o.key_provider_options.failure_tolerance = failure_tolerance;
  return o;
}

std::uint64_t kid_of(BytesIn frame) {
  auto h = sframe::parse(frame);
  REQUIRE(h.has_value());
  return h->header.kid;
}

template <class S>
struct Client {
  using Manager = SframeE2eeManager<S>;
  using Cryptor = typename Manager::frame_cryptor_type;
  explicit Client(SframeOptions so = {}, E2eeOptions o = custom())
      : m(Manager::create(std::move(o), so).value()) {
    m.on_e2ee_state_changed([this](const std::string& id, State s) { log.emplace_back(id, s); });
  }
  Cryptor cryptor(std::string_view id) { return m.frame_cryptor(id).value(); }
  Bytes enc(std::string_view id, const Bytes& p) {
    Bytes out(Cryptor::max_encrypted_size(p.size()));
    auto r = cryptor(id).encrypt(video, p, out);
    REQUIRE(r.has_value());
    return Bytes(r->begin(), r->end());
  }
  Result<Bytes> dec(std::string_view id, const Bytes& f) {
    Bytes out(f.size());
    auto r = cryptor(id).decrypt(video, f, out);
    if (!r) return r.error();
    return Bytes(r->begin(), r->end());
  }
  Manager m;
  Log log;
};

}  // namespace

TEST_CASE("the LiveKit aliases are the format-generic templates with LivekitFormat") {
  using C = sodium::ChaCha20Poly1305;
  static_assert(std::is_same_v<E2eeManager<C>, BasicE2eeManager<LivekitFormat<C>>>);
  static_assert(std::is_same_v<FrameCryptor<C>, BasicFrameCryptor<LivekitFormat<C>>>);
  static_assert(std::is_same_v<KeyProvider<C>, BasicKeyProvider<KeyRing<C>>>);
  static_assert(KeyProvider<C>::shared_key_supported);
  static_assert(!SframeKeyProvider<SuiteChacha>::shared_key_supported);
  CHECK(E2eeManager<C>::create(custom()).has_value());
}

namespace {
struct NotAFormat {
  using ring_type = int;
};
struct RingWithoutRatchet {  // everything a KeyStore has but ratchet()
  using cipher_type = sodium::ChaCha20Poly1305;
  using config_type = LivekitKdf;
  static Result<RingWithoutRatchet> create(const KeyRingOptions&, const LivekitKdf&);
  const KeyRingOptions& options() const;
  const LivekitKdf& config() const;
  std::size_t size() const;
  std::uint8_t current_index() const;
  Errc set_key(std::size_t, BytesIn);
  Result<SecretBuffer> export_key(std::size_t) const;
};

// The session layer's interfaces are concepts, and both formats model them (checked when this file
// compiles; a store or format that stops modelling them fails here and at its use, by name).
static_assert(KeyStore<KeyRing<sodium::ChaCha20Poly1305>>);
static_assert(KeyStore<KeyRing<sodium::ChaCha20Poly1305, Hkdf>>);
static_assert(KeyStore<SframeKeyRing<SuiteChacha>>);
static_assert(SessionFormat<LivekitFormat<sodium::ChaCha20Poly1305>>);
static_assert(SessionFormat<LivekitFormat<sodium::ChaCha20Poly1305, LivekitKdf, livekit::LivekitIv>>);
static_assert(SessionFormat<SframeFormat<SuiteChacha>>);
static_assert(!KeyStore<int>);
static_assert(!KeyStore<RingWithoutRatchet>);
static_assert(!SessionFormat<NotAFormat>);
}  // namespace

TEST_CASE_TEMPLATE("a room of three: each decrypts the others byte-exact, frames are RFC 9605", S,
                   FS_SUITES) {
  if (!S::available()) return;
  const std::vector<std::string> ids{"alice", "bob", "carol"};
  const std::vector<Bytes> keys{ka, kb, kc};
  std::vector<Client<S>> clients(3);
  for (auto& c : clients)
    for (std::size_t i = 0; i < 3; ++i) REQUIRE(c.m.key_provider().set_key(ids[i], keys[i], i) == Errc::ok);
  for (std::size_t from = 0; from < 3; ++from) {
    const Bytes p = payload(static_cast<std::uint8_t>(from));
    const Bytes wire = clients[from].enc(ids[from], p);
    CHECK(wire.size() == sframe::encoded_size(sframe::parse(wire)->header) + p.size() + S::tag_bytes);
    CHECK(kid_of(wire) == from);  // key index i, no ratchet bits: KID = i
    // A bare RFC 9605 receiver with the same base key and KID decrypts it.
    auto bare = sframe::FrameCryptor<S>::create().value();
    REQUIRE(bare.add_key(from, keys[from], sframe::KeyUsage::decrypt) == Errc::ok);
    Bytes plain(wire.size());
    auto r = bare.decrypt(wire, plain);
    REQUIRE(r.has_value());
    CHECK(Bytes(r->begin(), r->end()) == p);
    for (std::size_t to = 0; to < 3; ++to) {
      if (to == from) continue;
      auto got = clients[to].dec(ids[from], wire);
      REQUIRE(got.has_value());
      CHECK(*got == p);
      CHECK(clients[to].cryptor(ids[from]).state() == State::ok);
      CHECK(clients[to].cryptor(ids[from]).counters().decrypted == 1);
      CHECK(clients[to].cryptor(ids[from]).counters().last_key_index == from);
    }
    // Someone else's key does not open it.
    auto wrong = clients[(from + 1) % 3].dec(ids[(from + 1) % 3], wire);
    CHECK(!wrong.has_value());
  }
  // And the other way round: a bare sender's frame decrypts through the session layer (at a
  // receiver that has not seen bob's CTRs: a second sender under bob's key and KID would be
  // refused as a replay, or worse, reuse nonces).
  Client<S> fresh;
  REQUIRE(fresh.m.key_provider().set_key("bob", kb, 1) == Errc::ok);
  auto bare = sframe::FrameCryptor<S>::create().value();
  REQUIRE(bare.add_key(1, kb, sframe::KeyUsage::encrypt) == Errc::ok);
  const Bytes p = payload(9, 1000);
  Bytes wire(sframe::FrameCryptor<S>::max_encrypted_size(p.size()));
  auto w = bare.encrypt(p, wire);
  REQUIRE(w.has_value());
  auto got = fresh.dec("bob", Bytes(w->begin(), w->end()));
  REQUIRE(got.has_value());
  CHECK(*got == p);
}

TEST_CASE_TEMPLATE("key rotation with set_key_index: the KID follows the sending index", S, FS_SUITES) {
  if (!S::available()) return;
  Client<S> tx, rx;
  for (auto* c : {&tx, &rx}) {
    REQUIRE(c->m.key_provider().set_key("alice", ka, 0) == Errc::ok);
    REQUIRE(c->m.key_provider().set_key("alice", kd, 3) == Errc::ok);  // newest set_key: index 3 sends
  }
  auto alice = tx.cryptor("alice");
  CHECK(alice.key_index() == 3);
  const Bytes p = payload(1);
  const Bytes f3 = tx.enc("alice", p);
  CHECK(kid_of(f3) == 3);
  REQUIRE(alice.set_key_index(0) == Errc::ok);
  const Bytes f0 = tx.enc("alice", p);
  CHECK(kid_of(f0) == 0);
  CHECK(f0 != f3);
  CHECK(alice.set_key_index(16) == Errc::invalid_argument);  // key_ring_size 16
  CHECK(rx.dec("alice", f3).value() == p);
  CHECK(rx.dec("alice", f0).value() == p);
  CHECK(rx.cryptor("alice").counters().last_key_index == 0);
  // A sending index without a key: missing_key, nothing written.
  REQUIRE(alice.set_key_index(5) == Errc::ok);
  Bytes out(64 + p.size(), 0xEE);
  auto r = alice.encrypt(video, p, out);
  REQUIRE(!r.has_value());
  CHECK(r.error() == Errc::missing_key);
  CHECK(alice.state() == State::missing_key);
  CHECK(alice.counters().missing_key == 1);
  CHECK(alice.counters().last_error_key_index == 5);
  CHECK(out == Bytes(64 + p.size(), 0xEE));
}

TEST_CASE_TEMPLATE("ratchet_key is the RFC 9605 5.1 ratchet; a receiver recovers by itself", S, FS_SUITES) {
  if (!S::available()) return;
  const SframeOptions so{.ratchet_bits = 8};
  Client<S> tx(so), rx(so);
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 2) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 2) == Errc::ok);
  const Bytes p = payload(3);
  const Bytes before = tx.enc("alice", p);
  CHECK(kid_of(before) == (2u << 8 | 0));

  auto next = tx.m.key_provider().ratchet_key("alice", 2);
  REQUIRE(next.has_value());
  auto expected = sframe::next_base_key<S>(ka);  // HKDF-Expand(sframe_secret, "SFrame 1.0 Ratchet", Nh)
  REQUIRE(expected.has_value());
  CHECK(Bytes(next->view().begin(), next->view().end()) ==
        Bytes(expected->view().begin(), expected->view().end()));
  CHECK(tx.m.key_provider().export_key("alice", 2).value().view().size() == S::hash_bytes);
  CHECK(tx.cryptor("alice").counters().ratchets == 1);

  const Bytes after = tx.enc("alice", p);
  CHECK(kid_of(after) == (2u << 8 | 1));
  // A bare receiver with the ratcheted base key under the new KID agrees.
  auto bare = sframe::FrameCryptor<S>::create({.ratchet_bits = 8}).value();
  REQUIRE(bare.add_key(2u << 8 | 1, next->view(), sframe::KeyUsage::decrypt) == Errc::ok);
  Bytes plain(after.size());
  REQUIRE(bare.decrypt(after, plain).has_value());

  // The receiver follows: key_ratcheted then ok, once.
  rx.log.clear();
  CHECK(rx.dec("alice", after).value() == p);
  CHECK(rx.log == Log{{"alice", State::key_ratcheted}, {"alice", State::ok}});
  CHECK(rx.cryptor("alice").counters().ratchets == 1);
  auto exported = rx.m.key_provider().export_key("alice", 2);
  REQUIRE(exported.has_value());
  CHECK(ct_equal(exported->view(), next->view()));
  // A frame still in flight under the old step decrypts (kept step); the state stays ok.
  CHECK(rx.dec("alice", before).value() == p);
  CHECK(rx.log.size() == 2);
  // The receiver's own sending KID moved along too.
  CHECK(kid_of(rx.enc("alice", p)) == (2u << 8 | 1));

  // Errors: no ratchet bits, unknown participant, index out of range, empty slot.
  Client<S> plain_rx;
  REQUIRE(plain_rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  CHECK(plain_rx.m.key_provider().ratchet_key("alice", 0).error() == Errc::invalid_argument);
  CHECK(tx.m.key_provider().ratchet_key("nobody", 0).error() == Errc::missing_key);
  CHECK(tx.m.key_provider().ratchet_key("alice", 16).error() == Errc::invalid_argument);
  CHECK(tx.m.key_provider().ratchet_key("alice", 1).error() == Errc::missing_key);
}

TEST_CASE_TEMPLATE(
    "a late joiner gets the ratcheted base key and KID: it reads what follows, not what came before", S,
    FS_SUITES) {
  if (!S::available()) return;
  const SframeOptions so{.ratchet_bits = 8};
  Client<S> tx(so), early(so), late(so);
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 1) == Errc::ok);
  REQUIRE(early.m.key_provider().set_key("alice", ka, 1) == Errc::ok);
  const Bytes p = payload(8);
  const Bytes step0 = tx.enc("alice", p);
  REQUIRE(tx.m.key_provider().ratchet_key("alice", 1).has_value());
  const Bytes step1 = tx.enc("alice", p);
  auto base2 = tx.m.key_provider().ratchet_key("alice", 1);  // the join
  REQUIRE(base2.has_value());
  auto kid2 = tx.m.key_provider().key_id("alice", 1);
  REQUIRE(kid2.has_value());
  CHECK(*kid2 == (1u << 8 | 2));
  CHECK(late.m.key_provider().set_key_for_kid("alice", base2->view(), *kid2) == Errc::ok);
  CHECK(late.m.key_provider().key_id("alice", 1).value() == *kid2);
  CHECK(ct_equal(late.m.key_provider().export_key("alice", 1).value().view(), base2->view()));
  const Bytes step2 = tx.enc("alice", p);
  CHECK(kid_of(step2) == *kid2);
  CHECK(late.dec("alice", step2).value() == p);
  CHECK(late.cryptor("alice").counters().ratchets == 0);         // no ratchet: it was given this step
  CHECK(late.dec("alice", step0).error() == Errc::missing_key);  // earlier steps cannot be derived
  CHECK(late.dec("alice", step1).error() == Errc::missing_key);
  // The early receiver had all of it.
  for (const Bytes* f : {&step0, &step1, &step2}) CHECK(early.dec("alice", *f).value() == p);
  // Errors.
  CHECK(late.m.key_provider().set_key_for_kid("alice", base2->view(), 16u << 8) == Errc::invalid_argument);
  CHECK(late.m.key_provider().set_key_for_kid("alice", Bytes{}, *kid2) == Errc::invalid_argument);
  CHECK(late.m.key_provider().key_id("alice", 0).error() == Errc::missing_key);
  CHECK(late.m.key_provider().key_id("alice", 16).error() == Errc::invalid_argument);
  CHECK(late.m.key_provider().key_id("nobody", 0).error() == Errc::missing_key);
}

TEST_CASE_TEMPLATE("states and counters: missing key, wrong key, malformed, replay, failure tolerance", S,
                   FS_SUITES) {
  if (!S::available()) return;
  Client<S> tx, rx({}, custom(/*failure_tolerance=*/1));
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  const Bytes p = payload(5);
  const Bytes f1 = tx.enc("alice", p);
  const Bytes f2 = tx.enc("alice", p);

  // No key yet.
  auto r = rx.dec("alice", f1);
  REQUIRE(!r.has_value());
  CHECK(r.error() == Errc::missing_key);
  auto alice = rx.cryptor("alice");
  CHECK(alice.state() == State::missing_key);
  CHECK(alice.counters().missing_key == 1);

  // The right key: ok, then the same frame again is a replay.
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  CHECK(rx.dec("alice", f1).value() == p);
  CHECK(alice.state() == State::ok);
  Bytes out(f1.size(), 0x77);
  auto again = alice.decrypt(video, f1, out);
  REQUIRE(!again.has_value());
  CHECK(again.error() == Errc::replay);
  CHECK(alice.state() == State::decryption_failed);
  CHECK(alice.counters().replayed == 1);
  CHECK(alice.counters().last_error == Errc::replay);
  CHECK(out == Bytes(f1.size(), 0x77));     // nothing written
  CHECK(rx.dec("alice", f2).value() == p);  // a fresh CTR still passes
  CHECK(alice.state() == State::ok);

  // Malformed: shorter than the tag.
  auto m = rx.dec("alice", Bytes(f2.begin(), f2.begin() + 3));
  CHECK(m.error() == Errc::malformed_frame);
  CHECK(alice.counters().malformed == 1);
  CHECK(alice.state() == State::decryption_failed);

  // A tampered frame: auth_failed; two in a row exceed tolerance 1, then key_invalid without AEAD.
  const Bytes f3 = tx.enc("alice", p), f4 = tx.enc("alice", p), f5 = tx.enc("alice", p);
  Bytes bad3 = f3, bad4 = f4;
  bad3.back() ^= 1;
  bad4.back() ^= 1;
  CHECK(rx.dec("alice", bad3).error() == Errc::auth_failed);
  CHECK(rx.dec("alice", bad4).error() == Errc::auth_failed);
  CHECK(alice.counters().auth_failures == 2);
  CHECK(rx.dec("alice", f5).error() == Errc::key_invalid);  // even a good frame, until a new key
  CHECK(alice.counters().invalid_key == 1);
  CHECK(alice.state() == State::decryption_failed);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);  // a new set_key clears it
  CHECK(rx.dec("alice", f5).value() == p);
  CHECK(alice.state() == State::ok);

  // A KID beyond the key ring: missing_key.
  auto bare = sframe::FrameCryptor<S>::create().value();
  REQUIRE(bare.add_key(40, ka, sframe::KeyUsage::encrypt) == Errc::ok);
  Bytes wire(sframe::FrameCryptor<S>::max_encrypted_size(p.size()));
  auto w = bare.encrypt(p, wire);
  REQUIRE(w.has_value());
  CHECK(rx.dec("alice", Bytes(w->begin(), w->end())).error() == Errc::missing_key);
  CHECK(alice.counters().last_error_key_index == 40);
  CHECK(alice.state() == State::missing_key);
}

TEST_CASE_TEMPLATE("metadata: authenticated, not sent, the same bytes as a bare RFC 9605 cryptor", S,
                   FS_SUITES) {
  if (!S::available()) return;
  Client<S> tx, rx;
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 2) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 2) == Errc::ok);
  const Bytes md = from_hex("80e1000004d2deadbeef");  // e.g. RTP header fields both ends know
  const Bytes p = payload(3, 300);
  Bytes wire(SframeE2eeManager<S>::frame_cryptor_type::max_encrypted_size(p.size()));
  auto w = tx.cryptor("alice").encrypt(video, p, wire, md);
  REQUIRE(w.has_value());
  const Bytes sent(w->begin(), w->end());
  CHECK(sent.size() ==
        sframe::encoded_size(sframe::parse(sent)->header) + p.size() + S::tag_bytes);  // not sent

  // A bare receiver needs the same metadata; without it, or with other bytes, the tag fails.
  auto bare = sframe::FrameCryptor<S>::create().value();
  REQUIRE(bare.add_key(2, ka, sframe::KeyUsage::decrypt) == Errc::ok);
  Bytes plain(sent.size());
  auto r = bare.decrypt(sent, plain, md);
  REQUIRE(r.has_value());
  CHECK(Bytes(r->begin(), r->end()) == p);

  // Through the session layer: wrong or missing metadata is decryption_failed (auth_failed), and
  // nothing is left in out; the right metadata decrypts (each failure is counted, no replay).
  Bytes out(sent.size(), 0xee);
  Bytes other_md = md;
  other_md.back() ^= 1;
  auto bad = rx.cryptor("alice").decrypt(video, sent, out, other_md);
  REQUIRE(!bad.has_value());
  CHECK(bad.error() == Errc::auth_failed);
  CHECK(std::none_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(p.size()),
                     [&](std::uint8_t b) { return b != 0 && b != 0xee; }));
  CHECK(rx.cryptor("alice").state() == State::decryption_failed);
  CHECK(!rx.dec("alice", sent).has_value());  // no metadata at all
  CHECK(rx.cryptor("alice").counters().auth_failures == 2);
  auto good = rx.cryptor("alice").decrypt(video, sent, out, md);
  REQUIRE(good.has_value());
  CHECK(Bytes(good->begin(), good->end()) == p);
  CHECK(rx.cryptor("alice").state() == State::ok);

  // Too long for SframeOptions::max_metadata_bytes: invalid_argument, nothing sent.
  SframeOptions small;
  small.max_metadata_bytes = 4;
  Client<S> tight(small);
  REQUIRE(tight.m.key_provider().set_key("alice", ka, 2) == Errc::ok);
  auto too_long = tight.cryptor("alice").encrypt(video, p, wire, md);
  REQUIRE(!too_long.has_value());
  CHECK(too_long.error() == Errc::invalid_argument);
  CHECK(tight.cryptor("alice").encrypt(video, p, wire, BytesIn(md).first(4)).has_value());
}

TEST_CASE("shared-key mode cannot be made with SFrame (two senders would reuse nonces)") {
  using Manager = SframeE2eeManager<SuiteChacha>;
  E2eeOptions o = custom();
  o.key_provider_options.shared_key = SecretBuffer::copy_of(ka).value();
  auto refused = Manager::create(std::move(o));
  REQUIRE(!refused.has_value());
  CHECK(refused.error() == Errc::invalid_argument);

  auto provider = SframeKeyProvider<SuiteChacha>::create([] {
    KeyProviderOptions ko;
    ko.shared_key = SecretBuffer::copy_of(ka).value();
    return ko;
  }());
  CHECK(provider.error() == Errc::invalid_argument);

  auto m = Manager::create(custom()).value();
  CHECK(m.key_provider().set_shared_key(ka, 0) == Errc::invalid_argument);
  CHECK(m.key_provider().ratchet_shared_key(0).error() == Errc::invalid_argument);
  CHECK(!m.key_provider().shared_key_mode());
  CHECK(m.key_provider().export_shared_key(0).error() == Errc::missing_key);
  // A participant created afterwards has no key: the refused shared key went nowhere.
  auto bob = m.frame_cryptor("bob").value();
  Bytes out(200);
  CHECK(bob.encrypt(video, payload(1, 10), out).error() == Errc::missing_key);

  // LiveKit's SIF trailer and LKTS packet trailer have no meaning in SFrame: refused too.
  E2eeOptions s = custom();
  s.frame_cryptor_options.sif_trailer = {1, 2, 3};
  CHECK(Manager::create(std::move(s)).error() == Errc::invalid_argument);
  E2eeOptions lkts = custom();
  lkts.frame_cryptor_options.packet_trailer = true;
  CHECK(Manager::create(std::move(lkts)).error() == Errc::invalid_argument);
  // So are bad SFrame options and a non-GCM suite under EncryptionType::gcm.
  CHECK(Manager::create(custom(), {.ratchet_bits = 57}).error() == Errc::invalid_argument);
  E2eeOptions g;
  g.encryption_type = EncryptionType::gcm;
  CHECK(Manager::create(std::move(g)).error() == Errc::invalid_argument);
}

TEST_CASE("enable flags and empty frames") {
  Client<SuiteChacha> tx, rx;
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  // An empty frame is encrypted (header + tag) and decrypts to nothing.
  const Bytes empty_wire = tx.enc("alice", Bytes{});
  CHECK(empty_wire.size() ==
        sframe::encoded_size(sframe::parse(empty_wire)->header) + SuiteChacha::tag_bytes);
  CHECK(rx.dec("alice", empty_wire).value().empty());
  CHECK(tx.cryptor("alice").counters().encrypted == 1);
  CHECK(tx.cryptor("alice").counters().empty == 0);
  // Disabled: frames pass unchanged.
  tx.m.set_enabled(false);
  const Bytes p = payload(2);
  CHECK(tx.enc("alice", p) == p);
  CHECK(tx.cryptor("alice").counters().passthrough == 1);
  tx.m.set_enabled(true);
  CHECK(tx.enc("alice", p) != p);
}

TEST_CASE("no allocation on the SFrame session frame path") {
  Client<SuiteChacha> tx, rx;
  REQUIRE(tx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  REQUIRE(rx.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  auto e = tx.cryptor("alice");
  auto d = rx.cryptor("alice");
  using Cryptor = decltype(e);
  const Bytes p = payload(4, 1000);
  Bytes enc(Cryptor::max_encrypted_size(p.size())), dec(enc.size());
  auto warm = e.encrypt(video, p, enc);  // warm-up: the first state reports
  REQUIRE(warm.has_value());
  REQUIRE(d.decrypt(video, *warm, dec).has_value());
  std::size_t allocations = 0;
  for (int i = 0; i < 50; ++i) {
    g_counting = true;
    auto r = e.encrypt(video, p, enc);
    auto q = r ? d.decrypt(video, *r, dec) : Result<BytesOut>(Errc::internal_error);
    auto r2 = e.encrypt(video, p, enc);
    auto q2 = r2 ? d.decrypt(video, *r2, *r2) : Result<BytesOut>(Errc::internal_error);  // in place
    g_counting = false;
    allocations += g_allocations;
    g_allocations = 0;
    REQUIRE((q.has_value() && q2.has_value()));
    CHECK(Bytes(q2->begin(), q2->end()) == p);
  }
  CHECK(allocations == 0);
}

// A control thread sets, ratchets and re-indexes keys while two media threads (one per participant)
// encrypt and decrypt through the facades. Every frame either decrypts to exactly its plaintext or
// is dropped with a reason a key change explains. Run it under ThreadSanitizer too.
TEST_CASE("concurrency: SFrame key changes from a control thread while media threads run frames") {
  using Manager = SframeE2eeManager<SuiteChacha>;
  const SframeOptions so{.ratchet_bits = 8};
  auto tx = Manager::create(custom(), so).value();
  auto rx = Manager::create(custom(), so).value();
  const std::vector<std::string> ids{"alice", "bob"};
  for (const auto& id : ids) {
    REQUIRE(rx.key_provider().set_key(id, ka, 0) == Errc::ok);
    REQUIRE(tx.key_provider().set_key(id, ka, 0) == Errc::ok);
  }
  constexpr int control_ops = 200;  // the media threads run until the control thread made them all
  std::atomic<bool> control_done{false};
  struct Tally {
    std::size_t ok = 0, dropped = 0, wrong = 0, bad_reason = 0;
  };
  Tally tally[2];
  auto media = [&](std::size_t t) {
    auto e = tx.frame_cryptor(ids[t]).value();
    auto d = rx.frame_cryptor(ids[t]).value();
    Bytes out, back;
    for (int i = 0; !control_done.load() || i < 1000; ++i) {
      const Bytes plain = payload(static_cast<std::uint8_t>(i + t), 40 + static_cast<std::size_t>(i % 300));
      out.assign(Manager::frame_cryptor_type::max_encrypted_size(plain.size()), 0);
      auto w = e.encrypt(video, plain, out);
      if (!w) {
        ++tally[t].dropped;
        if (w.error() != Errc::missing_key) ++tally[t].bad_reason;
        continue;
      }
      back.assign(w->begin(), w->end());
      auto r = d.decrypt(video, back, back);  // in place
      if (r) {
        ++tally[t].ok;
        if (!(r->size() == plain.size() && std::equal(r->begin(), r->end(), plain.begin()))) ++tally[t].wrong;
      } else {
        ++tally[t].dropped;
        if (r.error() != Errc::auth_failed && r.error() != Errc::missing_key) ++tally[t].bad_reason;
      }
    }
  };
  auto control = [&] {
    std::mt19937 rng(11);
    for (int ops = 0; ops < control_ops; ++ops) {
      const std::string& id = ids[rng() % 2];
      const std::size_t idx = rng() % 3;
      const Bytes key = payload(static_cast<std::uint8_t>(rng()), 32);
      switch (rng() % 3) {
        case 0:  // a new key, receiver first
          (void)rx.key_provider().set_key(id, key, idx);
          (void)tx.key_provider().set_key(id, key, idx);
          break;
        case 1:  // the sender ratchets; the receiver follows through its window
          (void)tx.key_provider().ratchet_key(id, idx);
          break;
        default:
          (void)tx.frame_cryptor(id).value().set_key_index(idx);
          break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    control_done.store(true);
  };
  std::thread a(media, 0), b(media, 1), c(control);
  a.join();
  b.join();
  c.join();
  for (const Tally& y : tally) {
    CHECK(y.wrong == 0);
    CHECK(y.bad_reason == 0);
    CHECK(y.ok > 0);
    MESSAGE("frames ok " << y.ok << ", dropped " << y.dropped);
  }
}
