// KeyRing: slots, ratchets, the receive-side search (order, commit, cost bound), failure tolerance
// and key replacement. Chains from tests/vectors/livekit (livekit-client 2.23.0 ratchet_chains).
#include "common.hpp"

#include <string>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;

namespace {

const Bytes m0 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
// livekit-client 2.23.0, chain-hkdf materials_hex[1..4]
const char* hkdf_chain[] = {
    "6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328",
    "bd83f159cff92bfaf55d2d2409c21221da4b6f1d036dc2826e24f14ace70e8cc",
    "9ff4c538fc78315617b77e6dfff19068716e8df2ffec2f74a063a4bdcb42539b",
    "7528e14bcd1322d6a2bf946805350efcafc2831df5ad7e1ce82726b6d32de797",
};

using fstest::CountingKdf;

template <class C, class K>
Bytes export_of(KeyRing<C, K>& ring, std::size_t i) {
  auto m = ring.export_key(i);
  REQUIRE(m.has_value());
  return Bytes(m->view().begin(), m->view().end());
}

// A message sealed with the sending key of a ring whose slot 0 holds m0 ratcheted `steps` times.
template <class C>
struct Sealed {
  Bytes ct;
  std::array<std::uint8_t, C::nonce_bytes> nonce{};
};

template <class C>
Sealed<C> seal_at(std::size_t steps, std::uint8_t tweak = 0) {
  auto ring = KeyRing<C, Hkdf>::create();
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  for (std::size_t i = 0; i < steps; ++i) REQUIRE(ring->ratchet(0).has_value());
  auto c = ring->sending_cipher();
  REQUIRE(c.has_value());
  Sealed<C> s;
  s.nonce[0] = tweak;
  Bytes pt = {1, 2, 3, 4, 5, static_cast<std::uint8_t>(steps)};
  s.ct.resize(pt.size() + C::tag_bytes);
  REQUIRE((*c)->seal(s.ct, pt, {}, s.nonce).has_value());
  return s;
}

template <class C, class K>
Result<KeyMatch> try_open(KeyRing<C, K>& ring, std::size_t kid, const Sealed<C>& s, int* attempts = nullptr) {
  Bytes out(s.ct.size());
  return ring.open_with(kid, [&](C& c) noexcept {
    if (attempts) ++*attempts;
    return c.open(out, s.ct, {}, s.nonce).has_value();
  });
}

}  // namespace

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define FS_RING_CIPHERS sodium::ChaCha20Poly1305, sodium::Aes256Gcm, openssl::Aes128Gcm
#else
#  define FS_RING_CIPHERS sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#endif

TEST_CASE("KeyRing options are validated") {
  using C = sodium::ChaCha20Poly1305;
  KeyRingOptions o;
  o.size = 0;
  CHECK(KeyRing<C>::create(o).error() == Errc::invalid_argument);
  o.size = 257;
  CHECK(KeyRing<C>::create(o).error() == Errc::invalid_argument);
  o.size = 256;
  CHECK(KeyRing<C>::create(o).has_value());
  o.ratchet_window = 257;
  CHECK(KeyRing<C>::create(o).error() == Errc::invalid_argument);
  CHECK(KeyRingOptions{}.size == 16);
  CHECK(KeyRingOptions{}.ratchet_window == 16);
  CHECK(KeyRingOptions{}.failure_tolerance == -1);
  const KeyRingOptions defaults;
  CHECK(std::string(defaults.salt.begin(), defaults.salt.end()) == "LKFrameEncryptionKey");
}

TEST_CASE_TEMPLATE("KeyRing slots: set_key, index modulo size, export, missing keys", C, FS_RING_CIPHERS) {
  if (!C::available()) return;
  KeyRingOptions o;
  o.size = 4;
  auto ring = KeyRing<C>::create(o);
  REQUIRE(ring.has_value());
  CHECK(ring->set_key(0, {}) == Errc::invalid_argument);
  CHECK_FALSE(ring->has_key(0));
  CHECK(ring->sending_cipher().error() == Errc::missing_key);
  CHECK(ring->export_key(1).error() == Errc::missing_key);
  CHECK(ring->export_key(4).error() == Errc::invalid_argument);

  CHECK(ring->set_key(6, m0) == Errc::ok);  // 6 % 4 == 2
  CHECK(ring->has_key(2));
  CHECK(ring->current_index() == 2);
  CHECK(export_of(*ring, 2) == m0);
  // A one-byte passphrase is valid material: LiveKit accepts any non-empty length.
  CHECK(ring->set_key(1, as_bytes("x"), /*make_current=*/false) == Errc::ok);
  CHECK(ring->current_index() == 2);
  CHECK(export_of(*ring, 1) == Bytes{'x'});
  CHECK(ring->set_current_index(1) == Errc::ok);
  CHECK(ring->set_current_index(4) == Errc::invalid_argument);

  Sealed<C> s = seal_at<C>(0);
  CHECK(try_open(*ring, 4, s).error() == Errc::missing_key);  // key index >= size
  CHECK(try_open(*ring, 3, s).error() == Errc::missing_key);  // empty slot
  CHECK(ring->failures(3) == 0);                              // missing keys are not counted
  ring->clear_key(2);
  CHECK_FALSE(ring->has_key(2));
}

TEST_CASE_TEMPLATE("KeyRing ratchet follows livekit-client's HKDF chain", C, FS_RING_CIPHERS) {
  if (!C::available()) return;
  auto ring = KeyRing<C, Hkdf>::create();
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  for (const char* want : hkdf_chain) {
    auto m = ring->ratchet(0);
    REQUIRE(m.has_value());
    CHECK(fstest::to_hex(m->view()) == want);
    CHECK(fstest::to_hex(export_of(*ring, 0)) == want);
  }
  CHECK(ring->generation(0) == 4);
  CHECK(ring->ratchet(5).error() == Errc::missing_key);
  CHECK(ring->ratchet(16).error() == Errc::invalid_argument);
}

TEST_CASE_TEMPLATE("KeyRing receive search: current, ratchet window, commit, previous generations", C,
                   FS_RING_CIPHERS) {
  if (!C::available()) return;
  auto ring = KeyRing<C, Hkdf>::create();
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);

  auto r0 = try_open(*ring, 0, seal_at<C>(0));
  REQUIRE(r0.has_value());
  CHECK(r0->attempts == 1);
  CHECK(r0->ratchet_steps == 0);

  // The sender is 3 steps ahead: recovered in one frame, slot replaced by m3.
  auto r3 = try_open(*ring, 0, seal_at<C>(3));
  REQUIRE(r3.has_value());
  CHECK(r3->ratchet_steps == 3);
  CHECK(r3->attempts == 4);
  CHECK(fstest::to_hex(export_of(*ring, 0)) == hkdf_chain[2]);
  CHECK(ring->generation(0) == 3);

  // Frames still in flight under m0..m2 decrypt (livekit-client drops them), without changing the slot.
  for (std::size_t g = 0; g < 3; ++g) {
    auto old = try_open(*ring, 0, seal_at<C>(g, 1));
    REQUIRE(old.has_value());
    CHECK(old->previous_generation == 3 - g);
    CHECK(old->ratchet_steps == 0);
  }
  CHECK(fstest::to_hex(export_of(*ring, 0)) == hkdf_chain[2]);

  // One more step continues from the cache.
  auto r4 = try_open(*ring, 0, seal_at<C>(4));
  REQUIRE(r4.has_value());
  CHECK(r4->ratchet_steps == 1);
  CHECK(fstest::to_hex(export_of(*ring, 0)) == hkdf_chain[3]);
}

TEST_CASE_TEMPLATE(
    "KeyRing: a sender beyond the window or behind the oldest kept generation fails, ring untouched", C,
    FS_RING_CIPHERS) {
  if (!C::available()) return;
  KeyRingOptions o;
  o.ratchet_window = 4;
  o.previous_generations = 1;
  auto ring = KeyRing<C, Hkdf>::create(o);
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  CHECK(try_open(*ring, 0, seal_at<C>(5)).error() == Errc::auth_failed);
  CHECK(export_of(*ring, 0) == m0);
  CHECK(ring->generation(0) == 0);
  REQUIRE(try_open(*ring, 0, seal_at<C>(4)).has_value());  // exactly at the window edge (the m125 bug case)
  CHECK(ring->generation(0) == 4);
  CHECK(try_open(*ring, 0, seal_at<C>(3)).has_value());                   // newest previous generation kept
  CHECK(try_open(*ring, 0, seal_at<C>(2)).error() == Errc::auth_failed);  // older ones dropped
  CHECK(ring->generation(0) == 4);
}

TEST_CASE("KeyRing: an undecryptable frame costs at most 1 + previous + window attempts, and no KDF call") {
  using C = sodium::ChaCha20Poly1305;
  int kdf_calls = 0;
  KeyRingOptions o;
  o.ratchet_window = 16;
  o.previous_generations = 2;
  auto ring = KeyRing<C, CountingKdf>::create(o, CountingKdf{&kdf_calls});
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  // One call gives both AESKey(m0) and Ratchet(m0); then one per step of the window.
  CHECK(kdf_calls == 1 + 16);
  REQUIRE(ring->ratchet(0).has_value());
  REQUIRE(ring->ratchet(0).has_value());  // two previous generations now
  CHECK(kdf_calls == 1 + 16 + 2);         // each ratchet derives the one step that tops the window up
  Sealed<C> bad = seal_at<C>(0);
  bad.ct[0] ^= 0x80;
  int attempts = 0;
  CHECK(try_open(*ring, 0, bad, &attempts).error() == Errc::auth_failed);
  CHECK(attempts == 1 + 2 + 16);
  for (int i = 0; i < 5; ++i) {
    attempts = 0;
    CHECK(try_open(*ring, 0, bad, &attempts).error() == Errc::auth_failed);
    CHECK(attempts == 19);
  }
  CHECK(kdf_calls == 1 + 16 + 2);  // the search never derives
}

TEST_CASE("KeyRing: a clone copies the ratchet window, so its search costs no KDF call either") {
  using C = sodium::ChaCha20Poly1305;
  int kdf_calls = 0;
  KeyRingOptions o;
  o.ratchet_window = 4;
  o.previous_generations = 0;
  auto ring = KeyRing<C, CountingKdf>::create(o, CountingKdf{&kdf_calls});
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  CHECK(kdf_calls == 1 + 4);
  Sealed<C> bad = seal_at<C>(0);
  bad.ct[0] ^= 0x80;

  int before = kdf_calls;
  auto fresh = ring->clone();
  REQUIRE(fresh.has_value());
  CHECK(kdf_calls == before);
  CHECK(try_open(*fresh, 0, bad).error() == Errc::auth_failed);
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  auto cached = ring->clone();
  REQUIRE(cached.has_value());
  CHECK(try_open(*cached, 0, bad).error() == Errc::auth_failed);
  CHECK(kdf_calls == before);

  // And the copied step is the right one: frames 1 and 3 steps ahead decrypt in the clones.
  auto m1 = try_open(*fresh, 0, seal_at<C>(1));
  REQUIRE(m1.has_value());
  CHECK(m1->ratchet_steps == 1);
  auto m3 = try_open(*cached, 0, seal_at<C>(3));
  REQUIRE(m3.has_value());
  CHECK(m3->ratchet_steps == 3);
  CHECK(cached->generation(0) == 3);
  CHECK(ring->generation(0) == 0);  // a clone's ratchet leaves the original alone
}

TEST_CASE_TEMPLATE("KeyRing::set_key_from: set_key without the KDF work", C, FS_RING_CIPHERS) {
  if (!C::available()) return;
  int kdf_calls = 0;
  KeyRingOptions o;
  o.ratchet_window = 4;
  auto src = KeyRing<C, CountingKdf>::create(o, CountingKdf{&kdf_calls});
  auto dst = KeyRing<C, CountingKdf>::create(o, CountingKdf{&kdf_calls});
  REQUIRE(src.has_value());
  REQUIRE(dst.has_value());
  CHECK(dst->set_key_from(*src, 0) == Errc::missing_key);  // nothing to copy yet
  REQUIRE(src->set_key(2, m0, false) == Errc::ok);
  REQUIRE(dst->set_key(2, from_hex("6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328")) ==
          Errc::ok);
  REQUIRE(dst->ratchet(2).has_value());

  kdf_calls = 0;
  REQUIRE(dst->set_key_from(*src, 16 + 2) == Errc::ok);  // index % size, as set_key
  CHECK(kdf_calls == 0);
  CHECK(dst->current_index() == 2);
  CHECK(dst->generation(2) == 0);
  CHECK(export_of(*dst, 2) == m0);

  // The key is m0's: a frame sealed under m0 opens at once, one under m0 ratcheted twice through
  // the window that came along, with no KDF call (as in a ring given m0 by set_key).
  auto m0_ring = KeyRing<C, Hkdf>::create();
  REQUIRE(m0_ring.has_value());
  REQUIRE(m0_ring->set_key(2, m0) == Errc::ok);
  auto c = m0_ring->sending_cipher();
  REQUIRE(c.has_value());
  Sealed<C> s0;
  Bytes pt = {9, 8, 7};
  s0.ct.resize(pt.size() + C::tag_bytes);
  REQUIRE((*c)->seal(s0.ct, pt, {}, s0.nonce).has_value());
  auto m = try_open(*dst, 2, s0);
  REQUIRE(m.has_value());
  CHECK(m->ratchet_steps == 0);
  CHECK(kdf_calls == 0);
  REQUIRE(m0_ring->ratchet(2).has_value());
  REQUIRE(m0_ring->ratchet(2).has_value());
  c = m0_ring->sending_cipher();
  REQUIRE(c.has_value());
  Sealed<C> s2;
  s2.ct.resize(pt.size() + C::tag_bytes);
  REQUIRE((*c)->seal(s2.ct, pt, {}, s2.nonce).has_value());
  int ref_calls = 0;
  auto ref = KeyRing<C, CountingKdf>::create(o, CountingKdf{&ref_calls});
  REQUIRE(ref.has_value());
  REQUIRE(ref->set_key(2, m0) == Errc::ok);
  ref_calls = 0;
  REQUIRE(try_open(*ref, 2, s2).has_value());
  m = try_open(*dst, 2, s2);
  REQUIRE(m.has_value());
  CHECK(m->ratchet_steps == 2);
  CHECK(ref_calls == 0);
  CHECK(kdf_calls == 0);
  CHECK(export_of(*dst, 2) == export_of(*m0_ring, 2));

  // A ratcheted source slot gives its current material, as set_key(export_key()) would.
  REQUIRE(src->ratchet(2).has_value());
  REQUIRE(dst->set_key_from(*src, 2) == Errc::ok);
  CHECK(export_of(*dst, 2) == export_of(*src, 2));

  // Rings that would derive differently are refused.
  KeyRingOptions other_salt = o;
  other_salt.salt = {'x'};
  auto salted = KeyRing<C, CountingKdf>::create(other_salt, CountingKdf{&kdf_calls});
  REQUIRE(salted.has_value());
  CHECK(salted->set_key_from(*src, 2) == Errc::invalid_argument);
  KeyRingOptions bigger = o;
  bigger.size = 32;
  auto big = KeyRing<C, CountingKdf>::create(bigger, CountingKdf{&kdf_calls});
  REQUIRE(big.has_value());
  CHECK(big->set_key_from(*src, 2) == Errc::invalid_argument);
  CHECK(!big->has_key(2));
}

TEST_CASE_TEMPLATE("KeyRing::ratchet_from: ratchet with the step another ring derived", C, FS_RING_CIPHERS) {
  if (!C::available()) return;
  int kdf_calls = 0;
  KeyRingOptions o;
  o.ratchet_window = 4;
  o.previous_generations = 2;
  auto make = [&](const KeyRingOptions& opts) {
    auto r = KeyRing<C, CountingKdf>::create(opts, CountingKdf{&kdf_calls});
    REQUIRE(r.has_value());
    return std::move(*r);
  };
  auto src = make(o);
  auto dst = make(o);
  CHECK(dst.ratchet_from(src, 0) == Errc::missing_key);
  REQUIRE(src.set_key(0, m0) == Errc::ok);
  CHECK(dst.ratchet_from(src, 0) == Errc::missing_key);  // dst's slot is empty
  REQUIRE(dst.set_key_from(src, 0) == Errc::ok);
  REQUIRE(src.ratchet(0).has_value());

  kdf_calls = 0;
  REQUIRE(dst.ratchet_from(src, 0) == Errc::ok);
  CHECK(kdf_calls == 0);
  CHECK(dst.generation(0) == 1);
  CHECK(export_of(dst, 0) == export_of(src, 0));
  // As after ratchet(): frames under m0 still open (previous generation), frames two steps on open
  // through the window with the KDF calls a ring ratcheted by itself would make.
  auto m = try_open(dst, 0, seal_at<C>(0));
  REQUIRE(m.has_value());
  CHECK(m->previous_generation == 1);
  auto self = make(o);
  REQUIRE(self.set_key(0, m0) == Errc::ok);
  REQUIRE(self.ratchet(0).has_value());
  kdf_calls = 0;
  REQUIRE(try_open(self, 0, seal_at<C>(3)).has_value());
  const int self_calls = kdf_calls;
  kdf_calls = 0;
  m = try_open(dst, 0, seal_at<C>(3));
  REQUIRE(m.has_value());
  CHECK(m->ratchet_steps == 2);
  CHECK(kdf_calls == self_calls);
  CHECK(export_of(dst, 0) == export_of(self, 0));

  // A slot on another chain is not given src's step: it ratchets its own material.
  auto other = make(o);
  REQUIRE(other.set_key(0, from_hex("6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328")) ==
          Errc::ok);
  const Bytes before = export_of(other, 0);
  kdf_calls = 0;
  REQUIRE(other.ratchet_from(src, 0) == Errc::ok);
  CHECK(kdf_calls == 1);  // its own step came from its window; the one that tops it up is derived
  CHECK(other.generation(0) == 1);
  CHECK(export_of(other, 0) != export_of(src, 0));
  CHECK(export_of(other, 0) != before);

  // Rings that would derive differently, and indexes outside the ring, are refused.
  KeyRingOptions salted = o;
  salted.salt = {'x'};
  auto s2 = make(salted);
  REQUIRE(s2.set_key(0, m0) == Errc::ok);
  CHECK(s2.ratchet_from(src, 0) == Errc::invalid_argument);
  CHECK(dst.ratchet_from(src, 16) == Errc::invalid_argument);
}

TEST_CASE_TEMPLATE("KeyRing failure tolerance: consecutive failures per slot, key_invalid without attempts",
                   C, FS_RING_CIPHERS) {
  if (!C::available()) return;
  KeyRingOptions o;
  o.failure_tolerance = 2;
  o.ratchet_window = 0;
  auto ring = KeyRing<C, Hkdf>::create(o);
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  REQUIRE(ring->set_key(1, m0, false) == Errc::ok);
  Sealed<C> good = seal_at<C>(0), bad = seal_at<C>(0);
  bad.ct.back() ^= 1;

  // A success resets the count: fail, fail, ok, fail, fail stays valid.
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK(try_open(*ring, 0, good).has_value());
  CHECK(ring->failures(0) == 0);
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK_FALSE(ring->is_invalid(0));
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);  // third consecutive: > tolerance
  CHECK(ring->is_invalid(0));
  int attempts = 0;
  CHECK(try_open(*ring, 0, good, &attempts).error() == Errc::key_invalid);
  CHECK(attempts == 0);
  // Counted per slot: slot 1 is unaffected.
  CHECK(try_open(*ring, 1, good).has_value());
  // A ratchet makes the slot valid again; so does a new key.
  REQUIRE(ring->ratchet(0).has_value());
  CHECK_FALSE(ring->is_invalid(0));
  CHECK(try_open(*ring, 0, seal_at<C>(1)).has_value());
  for (int i = 0; i < 3; ++i) CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK(ring->is_invalid(0));
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  CHECK_FALSE(ring->is_invalid(0));
  CHECK(try_open(*ring, 0, good).has_value());
}

TEST_CASE("KeyRing failure tolerance -1 never invalidates") {
  using C = sodium::ChaCha20Poly1305;
  auto ring = KeyRing<C, Hkdf>::create();
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  Sealed<C> bad = seal_at<C>(0);
  bad.ct[0] ^= 1;
  for (int i = 0; i < 50; ++i) CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK_FALSE(ring->is_invalid(0));
  CHECK(ring->failures(0) == 50);
  CHECK(try_open(*ring, 0, seal_at<C>(0)).has_value());
}

TEST_CASE("KeyRing: set_key replaces the slot at once, previous generations included") {
  using C = sodium::ChaCha20Poly1305;
  auto ring = KeyRing<C, Hkdf>::create();
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  REQUIRE(ring->ratchet(0).has_value());
  CHECK(try_open(*ring, 0, seal_at<C>(0)).has_value());  // kept after a ratchet
  REQUIRE(ring->set_key(0, as_bytes("a new key after someone left")) == Errc::ok);
  CHECK(try_open(*ring, 0, seal_at<C>(0)).error() == Errc::auth_failed);
  CHECK(try_open(*ring, 0, seal_at<C>(1)).error() == Errc::auth_failed);
  CHECK(ring->generation(0) == 0);
}

TEST_CASE("KeyRing with a 256-slot ring accepts key index 255") {
  using C = sodium::ChaCha20Poly1305;
  KeyRingOptions o;
  o.size = 256;
  auto ring = KeyRing<C, Hkdf>::create(o);
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(255, m0) == Errc::ok);
  CHECK(ring->current_index() == 255);
  Sealed<C> s = seal_at<C>(0);
  CHECK(try_open(*ring, 255, s).has_value());
}

TEST_CASE("KeyRing PBKDF2 mode ratchets along livekit-client's PBKDF2 chain") {
  using C = sodium::ChaCha20Poly1305;
  auto ring = KeyRing<C, Pbkdf2>::create();
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  auto m = ring->ratchet(0);
  REQUIRE(m.has_value());
  // livekit-client 2.23.0, chain-pbkdf2 materials_hex[1]
  CHECK(fstest::to_hex(m->view()) == "74884f8739e616fffc831a2172ff98b7589b553813c3610b64f2ccc54a0331ab");
}

TEST_CASE("KeyRing clone copies keys and generations, not failure state") {
  using C = sodium::ChaCha20Poly1305;
  KeyRingOptions o;
  o.failure_tolerance = 0;
  auto ring = KeyRing<C, Hkdf>::create(o);
  REQUIRE(ring.has_value());
  REQUIRE(ring->set_key(0, m0) == Errc::ok);
  REQUIRE(ring->ratchet(0).has_value());
  REQUIRE(ring->set_key(5, as_bytes("five"), false) == Errc::ok);
  Sealed<C> bad = seal_at<C>(1);
  bad.ct[0] ^= 1;
  CHECK(try_open(*ring, 0, bad).error() == Errc::auth_failed);
  CHECK(ring->is_invalid(0));
  auto copy = ring->clone();
  REQUIRE(copy.has_value());
  CHECK_FALSE(copy->is_invalid(0));
  CHECK(copy->current_index() == 0);
  CHECK(export_of(*copy, 0) == export_of(*ring, 0));
  CHECK(export_of(*copy, 5) == Bytes{'f', 'i', 'v', 'e'});
  CHECK(copy->generation(0) == 1);
  CHECK(try_open(*copy, 0, seal_at<C>(1)).has_value());
  CHECK(try_open(*copy, 0, seal_at<C>(0)).value().previous_generation == 1);
  CHECK(try_open(*copy, 0, seal_at<C>(3)).value().ratchet_steps == 2);
  CHECK(ring->generation(0) == 1);  // the original is untouched
}
