// Regression tests of the second hardening round (issue 13): each TEST_CASE names the item it keeps
// fixed, and each failed on the main branch before the fix.
#include <algorithm>
#include <array>
#include <chrono>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.hpp"

using namespace frameseal;
using fstest::Bytes;
using fstest::to_hex;

namespace {

using Gcm = sodium::ChaCha20Poly1305;  // any backend: these tests are about state, not the cipher
using Sfs = sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>;

Bytes bytes(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 31 * i);
  return b;
}

const FrameInfo audio{MediaKind::audio, Codec::opus, std::nullopt, 1, 2};

template <class Cryptor>
Bytes encrypt(Cryptor& c, const FrameInfo& info, const Bytes& frame) {
  Bytes out(Cryptor::max_encrypted_size(frame.size()));
  auto r = c.encrypt(info, frame, out);
  REQUIRE(r.has_value());
  return Bytes(r->begin(), r->end());
}

Bytes copy(BytesIn v) {
  return Bytes(v.begin(), v.end());
}

Bytes trailer_iv(const Bytes& enc) {  // LiveKit: ... IV(12) 0x0C KID
  return Bytes(enc.end() - 14, enc.end() - 2);
}

}  // namespace

// ---- item 3: IV state cannot be duplicated by ordinary API use ----

static_assert(!std::is_copy_constructible_v<livekit::UniqueIv>);
static_assert(!std::is_copy_assignable_v<livekit::UniqueIv>);
static_assert(!std::is_copy_constructible_v<livekit::LivekitIv>);
static_assert(!std::is_copy_constructible_v<livekit::FrameCryptor<Gcm>>);
static_assert(!std::is_copy_constructible_v<sframe::FrameCryptor<Sfs>>);
static_assert(std::is_nothrow_move_constructible_v<livekit::UniqueIv>);

TEST_CASE("item 3: a moved-from IV policy or cryptor refuses to encrypt") {
  auto ring = KeyRing<Gcm>::create().value();
  REQUIRE(ring.set_key(0, as_bytes("k")) == Errc::ok);
  const Bytes frame = bytes(40, 1);

  SUBCASE("UniqueIv moved") {
    livekit::UniqueIv a;
    livekit::UniqueIv b = std::move(a);
    CHECK(a.next(audio).error() == Errc::counter_exhausted);  // NOLINT(bugprone-use-after-move)
    CHECK(b.next(audio).has_value());
    livekit::UniqueIv c(1, 2);
    c = std::move(b);
    CHECK(b.next(audio).error() == Errc::counter_exhausted);  // NOLINT(bugprone-use-after-move)
    CHECK(c.next(audio).has_value());
  }
  SUBCASE("LivekitIv moved") {
    livekit::LivekitIv a(5);
    livekit::LivekitIv b = std::move(a);
    CHECK(a.next(audio).error() == Errc::counter_exhausted);  // NOLINT(bugprone-use-after-move)
    CHECK(b.next(audio).has_value());
  }
  SUBCASE("a moved-from LiveKit cryptor cannot repeat the IVs of the one it moved into") {
    livekit::FrameCryptor<Gcm> a(ring);
    const Bytes first = encrypt(a, audio, frame);
    livekit::FrameCryptor<Gcm> b = std::move(a);
    Bytes out(decltype(a)::max_encrypted_size(frame.size()));
    CHECK(a.encrypt(audio, frame, out).error() ==
          Errc::counter_exhausted);  // NOLINT(bugprone-use-after-move)
    const Bytes second = encrypt(b, audio, frame);
    CHECK(trailer_iv(first) != trailer_iv(second));
  }
  SUBCASE("a moved-from SFrame cryptor refuses, and its keys moved") {
    auto a = sframe::FrameCryptor<Sfs>::create().value();
    REQUIRE(a.add_key(3, bytes(16, 7), sframe::KeyUsage::encrypt) == Errc::ok);
    Bytes out(sframe::FrameCryptor<Sfs>::max_encrypted_size(frame.size()));
    REQUIRE(a.encrypt(frame, out).has_value());
    auto b = std::move(a);
    CHECK(a.encrypt(frame, out).error() == Errc::counter_exhausted);  // NOLINT(bugprone-use-after-move)
    CHECK(a.add_key(4, bytes(16, 8), sframe::KeyUsage::encrypt) == Errc::invalid_argument);
    CHECK(b.encrypt(frame, out).has_value());
  }
  SUBCASE("an IvFactory that hands out one captured policy gives it to one participant only") {
    auto captured = std::make_shared<livekit::UniqueIv>(0x01020304u, 1000u);
    session::E2eeOptions eo;
    eo.encryption_type = session::EncryptionType::custom;
    auto m = session::E2eeManager<Gcm>::create(std::move(eo), {}, [captured](const std::string&) {
               return std::move(*captured);
             }).value();
    REQUIRE(m.key_provider().set_shared_key(as_bytes("room")) == Errc::ok);
    auto alice = m.frame_cryptor("alice").value();
    auto bob = m.frame_cryptor("bob").value();
    Bytes out(decltype(alice)::max_encrypted_size(frame.size()));
    auto ea = alice.encrypt(audio, frame, out);
    REQUIRE(ea.has_value());
    CHECK(bob.encrypt(audio, frame, out).error() == Errc::counter_exhausted);
    CHECK(bob.state() == session::EncryptionState::encryption_failed);
  }
}

// ---- item 4: SFrame counters of two senders wrongly sharing a key and KID ----

TEST_CASE("item 4: the random SFrame counter start spans 2^63, and the header says what it costs") {
  std::uint64_t highest = 0;
  for (int i = 0; i < 32; ++i) {
    auto c = sframe::FrameCryptor<Sfs>::create().value();
    REQUIRE(c.next_counter().has_value());
    CHECK(*c.next_counter() < sframe::random_counter_bound);
    highest = std::max(highest, *c.next_counter());
  }
  CHECK(sframe::random_counter_bound == std::uint64_t{1} << 63);
  // 32 starts all below 2^56 has probability 2^-224 with a 2^63 bound; it was certain with 2^48.
  CHECK(highest >= std::uint64_t{1} << 56);
  auto c = sframe::FrameCryptor<Sfs>::create().value();
  REQUIRE(c.add_key(3, bytes(16, 7), sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(c.advance_counter_to(std::max(*c.next_counter(), std::uint64_t{1} << 56)) == Errc::ok);
  CHECK(c.encrypted_size(100) == 9 + 100 + Sfs::tag_bytes);  // 1 config byte + 8 CTR bytes
  auto zero = sframe::FrameCryptor<Sfs>::create({.counter_start = sframe::CounterStart::zero}).value();
  REQUIRE(zero.add_key(3, bytes(16, 7), sframe::KeyUsage::encrypt) == Errc::ok);
  CHECK(zero.encrypted_size(100) == 1 + 100 + Sfs::tag_bytes);
}

// ---- item 5: SFrame replay protection survives a key re-send ----

TEST_CASE("item 5: re-sending a base key already in the chain's history changes nothing") {
  sframe::FrameCryptorOptions o;
  o.ratchet_bits = 4;
  o.counter_start = sframe::CounterStart::zero;
  const Bytes base = bytes(16, 3);
  const std::uint64_t kid0 = 2 << 4;
  auto tx = sframe::FrameCryptor<Sfs>::create(o).value();
  auto rx = sframe::FrameCryptor<Sfs>::create(o).value();
  REQUIRE(tx.add_key(kid0, base, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(rx.add_key(kid0, base, sframe::KeyUsage::decrypt) == Errc::ok);
  const Bytes frame = bytes(50, 5);
  auto seal = [&] {
    Bytes out(sframe::FrameCryptor<Sfs>::max_encrypted_size(frame.size()));
    auto r = tx.encrypt(frame, out);
    REQUIRE(r.has_value());
    return Bytes(r->begin(), r->end());
  };
  auto open = [&](const Bytes& f) {
    Bytes out(f.size());
    return rx.decrypt(f, out).error();
  };
  const Bytes f0 = seal();
  CHECK(open(f0) == Errc::ok);
  REQUIRE(tx.ratchet(kid0).has_value());
  REQUIRE(tx.ratchet(kid0 | 1).has_value());
  const Bytes f2 = seal();
  CHECK(open(f2) == Errc::ok);  // the receiver follows two steps
  CHECK(open(f2) == Errc::replay);

  // The key server sends the generation's base key again (the step-0 key the receiver started with).
  REQUIRE(rx.add_key(kid0, base, sframe::KeyUsage::decrypt) == Errc::ok);
  CHECK(open(f2) == Errc::replay);  // before the fix: the chain was replaced and f2 accepted again
  CHECK(open(f0) == Errc::replay);  // nor f0, from the kept step 0
  // The step-1 base key is in the history too.
  auto probe = sframe::FrameCryptor<Sfs>::create(o).value();
  REQUIRE(probe.add_key(kid0, base, sframe::KeyUsage::encrypt) == Errc::ok);
  SecretBytes<Sfs::hash_bytes> b1;
  REQUIRE(probe.ratchet(kid0, &b1).has_value());
  REQUIRE(rx.add_key(kid0 | 1, b1.view(), sframe::KeyUsage::decrypt) == Errc::ok);
  CHECK(open(f2) == Errc::replay);
  // A different key for an old step of the generation is a new key: it replaces the chain.
  REQUIRE(rx.add_key(kid0, bytes(16, 99), sframe::KeyUsage::decrypt) == Errc::ok);
  CHECK(open(f2) == Errc::auth_failed);
}

// ---- item 6: no slice in clear ----

TEST_CASE("item 6: an H.265 frame whose bytes read as H.264 is refused on send, received as livekit does") {
  // H.265 access unit: VPS, SPS, PPS, an IDR slice (type 19, 4000 payload bytes), then a NAL unit
  // with nuh_layer_id >= 32 whose first byte reads as an H.264 IDR slice (0x65 & 0x1f == 5).
  Bytes f = {0,    0,    0,    1,    0x40, 0x01, 0x0c, 0x01, 0,    0,    0,    1,
             0x42, 0x01, 0x01, 0x01, 0,    0,    0,    1,    0x44, 0x01, 0xc1, 0x72};
  const Bytes slice_start = {0, 0, 0, 1, 0x26, 0x01};
  f.insert(f.end(), slice_start.begin(), slice_start.end());
  const std::size_t slice_payload = f.size();
  for (int i = 0; i < 4000; ++i) f.push_back(static_cast<std::uint8_t>(0x11 + (i % 200)));
  const Bytes layered = {0, 0, 0, 1, 0x65, 0x01, 0x88, 0x99, 0xaa};
  f.insert(f.end(), layered.begin(), layered.end());
  (void)slice_payload;

  const FrameInfo h265{MediaKind::video, Codec::h265, true, 1, 2};
  auto ch = livekit::sender_clear_header(h265, true, f);
  CHECK(ch.error() == Errc::malformed_frame);  // before: H.264, clear up to the layered NAL + 2
  auto ring = KeyRing<Gcm>::create().value();
  REQUIRE(ring.set_key(0, as_bytes("k")) == Errc::ok);
  livekit::FrameCryptor<Gcm> tx(ring);
  Bytes out(decltype(tx)::max_encrypted_size(f.size()), 0xEE);
  CHECK(tx.encrypt(h265, f, out).error() == Errc::malformed_frame);
  CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xEE || b == 0; }));

  // A plain H.265 frame (no such NAL unit) still goes out with only the NAL header in clear.
  Bytes plain(f.begin(), f.end() - static_cast<std::ptrdiff_t>(layered.size()));
  auto ok = livekit::sender_clear_header(h265, true, plain);
  REQUIRE(ok.has_value());
  CHECK(ok->codec == Codec::h265);
  CHECK(ok->in_bytes == slice_payload - 6 + 4 + 2);
  // The receiver keeps livekit's rule: the bytes decide (here: H.264 at the layered NAL unit).
  auto rx = livekit::receiver_clear_header(h265, true, f);
  REQUIRE(rx.has_value());
  CHECK(rx->codec == Codec::h264);
  // H.264 signalled, bytes decide H.265 (no H.264 slice at all): allowed, less in clear.
  const Bytes h264_aud_sps = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1e, 0xab, 0xcd};
  const FrameInfo h264{MediaKind::video, Codec::h264, false, 1, 2};
  auto other = livekit::sender_clear_header(h264, false, h264_aud_sps);
  REQUIRE(other.has_value());
  CHECK(other->in_bytes == 6);
}

// ---- item 2: no KDF on the frame path ----

namespace {

// HKDF that counts its calls by thread: which ones ran on the frame (test) thread, which elsewhere.
struct ThreadCounts {
  std::thread::id frame_thread = std::this_thread::get_id();
  std::atomic<int> on_frame_thread{0};
  std::atomic<int> elsewhere{0};
};
struct ThreadCountingKdf {
  [[maybe_unused]] static constexpr std::string_view name = "thread-counting-hkdf";
  static constexpr bool prefix_extendable = true;
  ThreadCounts* counts = nullptr;
  Errc derive(BytesIn material, BytesIn salt, BytesOut out) const noexcept {
    if (std::this_thread::get_id() == counts->frame_thread)
      counts->on_frame_thread.fetch_add(1);
    else
      counts->elsewhere.fetch_add(1);
    return Hkdf{}.derive(material, salt, out);
  }
};

using CountedManager = session::BasicE2eeManager<session::LivekitFormat<Gcm, ThreadCountingKdf>>;

session::E2eeOptions custom_options() {
  session::E2eeOptions o;
  o.encryption_type = session::EncryptionType::custom;  // the tests' cipher is not AES-GCM
  return o;
}

}  // namespace

TEST_CASE(
    "item 2: frames never run a KDF, not after a key change, not for forged frames, not to follow a "
    "ratchet") {
  ThreadCounts tx_counts, rx_counts;
  auto tx = CountedManager::create(custom_options(), ThreadCountingKdf{&tx_counts}).value();
  auto rx = CountedManager::create(custom_options(), ThreadCountingKdf{&rx_counts}).value();
  const Bytes key = bytes(32, 40);
  REQUIRE(tx.key_provider().set_key("alice", key) == Errc::ok);
  REQUIRE(rx.key_provider().set_key("alice", key) == Errc::ok);
  auto sender = tx.frame_cryptor("alice").value();
  auto receiver = rx.frame_cryptor("alice").value();
  const Bytes frame = bytes(160, 2);
  auto seal = [&] {
    Bytes out(decltype(sender)::max_encrypted_size(frame.size()));
    auto r = sender.encrypt(audio, frame, out);
    REQUIRE(r.has_value());
    return Bytes(r->begin(), r->end());
  };
  auto open = [&](const Bytes& f, livekit::DecryptReport* rep = nullptr) {
    Bytes out(f.size());
    return receiver.decrypt(audio, f, out, rep).error();
  };
  // The key install derived the whole window (and ran on this thread: a control call).
  const int installed = rx_counts.on_frame_thread.load();
  CHECK(installed == 1 + 16);
  rx_counts.on_frame_thread = 0;

  // The first frame after the key change, then a forged one: no KDF call, bounded attempts.
  CHECK(open(seal()) == Errc::ok);
  Bytes forged = seal();
  forged[3] ^= 1;
  livekit::DecryptReport rep;
  CHECK(open(forged, &rep) == Errc::auth_failed);
  for (int i = 0; i < 20; ++i) CHECK(open(forged) == Errc::auth_failed);
  CHECK(rx_counts.on_frame_thread.load() == 0);

  // The sender ratchets 5 times; the receiver follows in one frame, deriving nothing itself.
  for (int i = 0; i < 5; ++i) REQUIRE(tx.key_provider().ratchet_key("alice").has_value());
  CHECK(open(seal(), &rep) == Errc::ok);
  CHECK(rep.match.ratchet_steps == 5);
  CHECK(receiver.state() == session::EncryptionState::ok);
  CHECK(receiver.counters().ratchets == 5);
  CHECK(rx_counts.on_frame_thread.load() == 0);
  // The provider's refill thread derives the 5 steps the window used up.
  for (int i = 0; i < 500 && rx.key_provider().window_deficit("alice").value() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(rx.key_provider().window_deficit("alice").value() == 0);
  CHECK(rx_counts.elsewhere.load() == 5);
  // So the receiver can again follow a full window of 16 steps.
  for (int i = 0; i < 16; ++i) REQUIRE(tx.key_provider().ratchet_key("alice").has_value());
  CHECK(open(seal(), &rep) == Errc::ok);
  CHECK(rep.match.ratchet_steps == 16);
  CHECK(rx_counts.on_frame_thread.load() == 0);
  // 17 steps is beyond the window, and still costs no KDF call: refused after window + 1 attempts.
  rx.key_provider().refill_now();
  CHECK(rx.key_provider().window_deficit("alice").value() == 0);
  rx_counts.on_frame_thread = 0;
  for (int i = 0; i < 17; ++i) REQUIRE(tx.key_provider().ratchet_key("alice").has_value());
  CHECK(open(seal(), &rep) == Errc::auth_failed);
  CHECK(rx_counts.on_frame_thread.load() == 0);
  // The sender's explicit ratchets derived their top-up steps outside the participant's lock
  // (on this control thread), one per ratchet.
  CHECK(tx_counts.on_frame_thread.load() == 1 + 16 + 5 + 16 + 17);
}

TEST_CASE("item 2: a shared-key room: the master derives, participants copy, frames derive nothing") {
  ThreadCounts counts;
  auto m = CountedManager::create(custom_options(), ThreadCountingKdf{&counts}).value();
  REQUIRE(m.key_provider().set_shared_key(bytes(32, 1)) == Errc::ok);
  auto a = m.frame_cryptor("a").value();
  auto b = m.frame_cryptor("b").value();
  CHECK(counts.on_frame_thread.load() == 1 + 16);  // once, for the master
  REQUIRE(m.key_provider().ratchet_shared_key().has_value());
  CHECK(counts.on_frame_thread.load() == 1 + 16 + 1);
  counts.on_frame_thread = 0;
  const Bytes frame = bytes(100, 3);
  Bytes enc(decltype(a)::max_encrypted_size(frame.size())), out(enc.size());
  auto e = a.encrypt(audio, frame, enc);
  REQUIRE(e.has_value());
  auto d = b.decrypt(audio, *e, out);
  REQUIRE(d.has_value());
  CHECK(Bytes(d->begin(), d->end()) == frame);
  CHECK(counts.on_frame_thread.load() == 0);
}

// ---- item 7: user code runs outside the provider's locks ----

TEST_CASE("item 7: an IvFactory may call back into the provider and the manager") {
  struct Holder {
    session::E2eeManager<Gcm>* m = nullptr;
    int calls = 0;
    Errc reentry = Errc::ok;
  };
  auto h = std::make_shared<Holder>();
  auto m = session::E2eeManager<Gcm>::create(custom_options(), {}, [h](const std::string& id) {
             ++h->calls;
             if (id == "bob") {
               // Before the fix each of these deadlocked on the provider's control mutex.
               (void)h->m->key_provider().export_key(id);
               CHECK(h->m->key_provider().set_key("carol", as_bytes("carol's key")) == Errc::ok);
               (void)h->m->key_provider().participant_identities();
               // Creating the participant being created would recurse: refused.
               h->reentry = h->m->frame_cryptor("bob").error();
             }
             return livekit::UniqueIv();
           }).value();
  h->m = &m;
  auto bob = m.frame_cryptor("bob");
  REQUIRE(bob.has_value());
  CHECK(h->reentry == Errc::invalid_argument);
  auto ids = m.key_provider().participant_identities();
  CHECK(ids == std::vector<std::string>{"bob", "carol"});
  CHECK(h->calls == 2);  // bob, then carol (created from inside bob's factory call)
  CHECK(m.frame_cryptor("bob").has_value());
  CHECK(h->calls == 2);  // no second factory call for an existing participant
}

// ---- item 1: forward secrecy on join, and the safe path ----

TEST_CASE("item 1: the ratcheted material holds the previous generation's key (LiveKit's design)") {
  auto ring = KeyRing<Gcm>::create().value();
  REQUIRE(ring.set_key(0, bytes(32, 9)) == Errc::ok);
  livekit::FrameCryptor<Gcm> tx(ring);
  const Bytes frame = bytes(64, 4);
  const Bytes f0 = encrypt(tx, audio, frame);  // generation 0
  auto m1 = ring.ratchet(0).value();           // what a joiner is given after "ratchet on join"
  // AESKey(m0) is the prefix of m1: the joiner opens f0 with nothing but m1.
  auto c = Gcm::create(m1.view().first<Gcm::key_bytes>()).value();
  const BytesIn aad(f0.data(), 1);
  const BytesIn sealed(f0.data() + 1, f0.size() - 1 - 14);
  const std::span<const std::uint8_t, 12> iv(f0.data() + f0.size() - 14, 12);
  Bytes pt(sealed.size() - Gcm::tag_bytes);
  REQUIRE(c.open(pt, sealed, aad, iv).has_value());
  CHECK(pt == Bytes(frame.begin() + 1, frame.end()));
}

TEST_CASE(
    "item 1: rotate_shared_key: a fresh random key at a new index that a joiner cannot read the past with") {
  auto m = session::E2eeManager<Gcm>::create(custom_options()).value();
  REQUIRE(m.key_provider().set_shared_key(bytes(32, 5), 0) == Errc::ok);
  auto alice = m.frame_cryptor("alice").value();
  const Bytes frame = bytes(80, 6);
  Bytes before(decltype(alice)::max_encrypted_size(frame.size()));
  auto e0 = alice.encrypt(audio, frame, before);
  REQUIRE(e0.has_value());
  const Bytes old_frame(e0->begin(), e0->end());

  auto r1 = m.key_provider().rotate_shared_key();
  REQUIRE(r1.has_value());
  CHECK(r1->key_index == 1);
  CHECK(r1->key.size() == 32);
  CHECK(alice.key_index() == 1);
  CHECK(copy(m.key_provider().export_shared_key(1).value().view()) == copy(r1->key.view()));
  auto r2 = m.key_provider().rotate_shared_key(7);
  REQUIRE(r2.has_value());
  CHECK(r2->key_index == 7);
  CHECK(copy(r2->key.view()) != copy(r1->key.view()));

  // The joiner gets only the rotated key: the old frame names key index 0, which it lacks.
  auto joiner = session::E2eeManager<Gcm>::create(custom_options()).value();
  REQUIRE(joiner.key_provider().set_shared_key(r2->key.view(), r2->key_index) == Errc::ok);
  auto j_alice = joiner.frame_cryptor("alice").value();
  Bytes out(old_frame.size());
  CHECK(j_alice.decrypt(audio, old_frame, out).error() == Errc::missing_key);
  // New frames decrypt.
  Bytes now(decltype(alice)::max_encrypted_size(frame.size()));
  auto e7 = alice.encrypt(audio, frame, now);
  REQUIRE(e7.has_value());
  CHECK(e7->back() == 7);
  Bytes out7(e7->size());
  auto d7 = j_alice.decrypt(audio, *e7, out7);
  REQUIRE(d7.has_value());
  CHECK(Bytes(d7->begin(), d7->end()) == frame);

  // Per participant, the same.
  auto per = session::E2eeManager<Gcm>::create(custom_options()).value();
  REQUIRE(per.key_provider().set_key("bob", bytes(32, 8), 2) == Errc::ok);
  auto rb = per.key_provider().rotate_key("bob");
  REQUIRE(rb.has_value());
  CHECK(rb->key_index == 3);
  CHECK(copy(per.key_provider().export_key("bob", 3).value().view()) == copy(rb->key.view()));
}

// ---- item 12: max_encrypted_size saturates ----

TEST_CASE("item 12: max_encrypted_size saturates instead of wrapping") {
  constexpr std::size_t top = static_cast<std::size_t>(-1);
  using L = livekit::FrameCryptor<Gcm>;
  using S = sframe::FrameCryptor<Sfs>;
  for (std::size_t n : {top, top - 1, top - L::overhead, top / 3 * 2, top / 2}) {
    CAPTURE(n);
    CHECK(L::max_encrypted_size(n) >= n);  // before: wrapped to a small number for n near SIZE_MAX
    CHECK(S::max_encrypted_size(n) >= n);
    CHECK(session::FrameCryptor<Gcm>::max_encrypted_size(n) >= n);
  }
  CHECK(L::max_encrypted_size(100) == 100 + 30 + 65 + 2);
  CHECK(S::max_encrypted_size(100) == 100 + S::max_overhead);
  CHECK(L::max_encrypted_size(top) == top);
}
