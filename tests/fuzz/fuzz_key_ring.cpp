// Fuzz target: KeyRing operation sequences checked against a simple reference model.
//
// Two rings (sender and receiver) with the same options, chosen by the input, take a sequence of
// operations read from the input: set_key, ratchet, set_current_index, clear_key, export_key, the
// same key set on both sides, and sending a frame (livekit::FrameCryptor encrypt on the sender,
// decrypt on the receiver, optionally with a ciphertext byte flipped). A model mirrors each ring:
// per slot the current material (bytes), the AEAD keys of the previous generations, the failure
// counter and the invalid flag; keys and ratchets are computed by calling the KDF directly:
//   AESKey(m) = HKDF(m, salt, Cipher::key_bytes)     Ratchet(m) = HKDF(m, salt, 32)
// and the receiver's search is written out plainly: the current key, then the previous
// generations newest first, then AESKey(Ratchet^r(m)) for r = 1..window.
// After a frame that ratcheted the receiver, the target checks that the window is short by exactly
// those steps and refills it (KeyRing derives no key while decrypting).
// Checks: every call returns what the model says (error codes, ratchet/export materials, sending
// index, has_key / is_invalid / failures / generation); a frame decrypts exactly when the model says
// the receiver holds, keeps as an older generation, or reaches within its window the sender's key,
// and then to exactly the plaintext with the ratchet steps / previous generation the model
// predicts; otherwise missing_key, key_invalid or auth_failed as the model says, with the failure
// tolerance applied.
//
// Input: byte 0 ring size (bits 0-1: 1..4), ratchet window (bits 2-3: 0..3), previous generations
// (bits 4-5: 0..3), failure tolerance (bits 6-7: -1..2); byte 1 bit 0 cipher (ChaCha20-Poly1305
// or AES-256-GCM); then operations, one opcode byte each plus arguments.
#include <frameseal/frameseal.hpp>

#include <optional>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;
using namespace frameseal;

const Bytes salt(default_ratchet_salt.begin(), default_ratchet_salt.end());

template <std::size_t N>
Bytes kdf(BytesIn m) {
  Bytes out(N);
  FS_FUZZ_CHECK(Hkdf{}.derive(m, salt, out) == Errc::ok);
  return out;
}

struct SlotModel {
  bool has = false;
  Bytes material;
  std::vector<Bytes> previous;  // AEAD keys, oldest first
  std::uint32_t failures = 0;
  bool invalid = false;
  std::uint64_t generation = 0;
  void clear() { *this = SlotModel{}; }
};

template <class C>
struct RingModel {
  std::vector<SlotModel> slots;
  std::size_t current = 0;
  std::size_t window = 0, keep = 0;
  int tolerance = -1;

  static Bytes key(BytesIn m) { return kdf<C::key_bytes>(m); }
  static Bytes ratchet(BytesIn m) { return kdf<ratchet_material_bytes>(m); }

  // Moves slot s forward r steps: the current key and the skipped ones become previous generations.
  void commit(SlotModel& s, std::size_t r) {
    Bytes m = s.material;
    for (std::size_t i = 0; i < r; ++i) {
      s.previous.push_back(key(m));
      m = ratchet(m);
    }
    if (s.previous.size() > keep)
      s.previous.erase(s.previous.begin(), s.previous.end() - static_cast<std::ptrdiff_t>(keep));
    s.material = m;
    s.generation += r;
    s.failures = 0;
    s.invalid = false;
  }
  void fail(SlotModel& s) {
    ++s.failures;
    if (tolerance >= 0 && s.failures > static_cast<std::uint32_t>(tolerance)) s.invalid = true;
  }
};

template <class C>
struct World {
  using Ring = KeyRing<C, Hkdf>;
  using Cryptor = livekit::FrameCryptor<C>;
  Ring rings[2];  // 0 sender, 1 receiver
  RingModel<C> models[2];

  void check_state() {
    for (int side = 0; side < 2; ++side) {
      const Ring& r = rings[side];
      const RingModel<C>& m = models[side];
      FS_FUZZ_CHECK(r.current_index() == m.current);
      for (std::size_t i = 0; i < m.slots.size(); ++i) {
        FS_FUZZ_CHECK(r.has_key(i) == m.slots[i].has);
        FS_FUZZ_CHECK(r.is_invalid(i) == m.slots[i].invalid);
        FS_FUZZ_CHECK(r.failures(i) == m.slots[i].failures);
        FS_FUZZ_CHECK(r.generation(i) == m.slots[i].generation);
      }
      FS_FUZZ_CHECK(!r.has_key(m.slots.size()));
    }
  }

  void set_key(int side, std::size_t index, BytesIn material) {
    const Errc e = rings[side].set_key(index, material);
    RingModel<C>& m = models[side];
    if (material.empty()) {
      FS_FUZZ_CHECK(e == Errc::invalid_argument);
      return;
    }
    FS_FUZZ_CHECK(e == Errc::ok);
    SlotModel& s = m.slots[index % m.slots.size()];
    s.clear();
    s.has = true;
    s.material.assign(material.begin(), material.end());
    m.current = index % m.slots.size();
  }

  void ratchet(int side, std::size_t index) {
    auto r = rings[side].ratchet(index);
    RingModel<C>& m = models[side];
    if (index >= m.slots.size()) {
      FS_FUZZ_CHECK(!r && r.error() == Errc::invalid_argument);
      return;
    }
    SlotModel& s = m.slots[index];
    if (!s.has) {
      FS_FUZZ_CHECK(!r && r.error() == Errc::missing_key);
      return;
    }
    m.commit(s, 1);
    m.current = index;
    FS_FUZZ_CHECK(r.has_value() && equal(r->view(), s.material));
  }

  void set_current(int side, std::size_t index) {
    const Errc e = rings[side].set_current_index(index);
    RingModel<C>& m = models[side];
    if (index >= m.slots.size()) {
      FS_FUZZ_CHECK(e == Errc::invalid_argument);
      return;
    }
    FS_FUZZ_CHECK(e == Errc::ok);
    m.current = index;
  }

  void clear_key(int side, std::size_t index) {
    rings[side].clear_key(index);
    if (index < models[side].slots.size()) models[side].slots[index].clear();
  }

  void export_key(int side, std::size_t index) {
    auto r = rings[side].export_key(index);
    const RingModel<C>& m = models[side];
    if (index >= m.slots.size()) {
      FS_FUZZ_CHECK(!r && r.error() == Errc::invalid_argument);
    } else if (!m.slots[index].has) {
      FS_FUZZ_CHECK(!r && r.error() == Errc::missing_key);
    } else {
      FS_FUZZ_CHECK(r.has_value() && equal(r->view(), m.slots[index].material));
    }
  }

  void send(Cryptor& tx, Cryptor& rx, std::uint32_t n, std::optional<std::uint8_t> corrupt) {
    Bytes plain(12 + n % 40);
    for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(n * 31 + i);
    plain[0] = 0x78;
    const FrameInfo info{MediaKind::audio, Codec::opus, std::nullopt, 1, n};
    Bytes enc(Cryptor::max_encrypted_size(plain.size()));
    auto e = tx.encrypt(info, plain, enc);
    RingModel<C>& mt = models[0];
    const SlotModel& st = mt.slots[mt.current];
    if (!st.has) {
      FS_FUZZ_CHECK(!e && e.error() == Errc::missing_key);
      return;
    }
    FS_FUZZ_CHECK(e.has_value() && e->size() == plain.size() + Cryptor::overhead);
    enc.resize(e->size());
    FS_FUZZ_CHECK(enc.back() == mt.current);
    const Bytes sender_key = RingModel<C>::key(st.material);
    if (corrupt) enc[1 + *corrupt % (enc.size() - 1 - livekit::trailer_bytes)] ^= 0x01;  // ciphertext or tag

    Bytes out(enc.size(), 0xCC);
    livekit::DecryptReport rep;
    auto d = rx.decrypt(info, enc, out, &rep);
    RingModel<C>& mr = models[1];
    SlotModel& s = mr.slots[mt.current];  // both rings have the same size
    if (!s.has) {
      FS_FUZZ_CHECK(!d && d.error() == Errc::missing_key);
      return;
    }
    if (s.invalid) {
      FS_FUZZ_CHECK(!d && d.error() == Errc::key_invalid);
      return;
    }
    if (!d) FS_FUZZ_CHECK(only_old_or_zero(out, Bytes(out.size(), 0xCC)));
    if (corrupt) {
      FS_FUZZ_CHECK(!d && d.error() == Errc::auth_failed);
      mr.fail(s);
      return;
    }
    // The model's search.
    std::size_t steps = 0, previous = 0;
    bool found = equal(RingModel<C>::key(s.material), sender_key);
    for (std::size_t i = 0; !found && i < s.previous.size(); ++i)
      if (equal(s.previous[s.previous.size() - 1 - i], sender_key)) {
        found = true;
        previous = i + 1;
      }
    Bytes m = s.material;
    for (std::size_t r = 1; !found && r <= mr.window; ++r) {
      m = RingModel<C>::ratchet(m);
      if (equal(RingModel<C>::key(m), sender_key)) {
        found = true;
        steps = r;
      }
    }
    if (!found) {
      FS_FUZZ_CHECK(!d && d.error() == Errc::auth_failed);
      mr.fail(s);
      return;
    }
    FS_FUZZ_CHECK(d.has_value() && equal(*d, plain));
    FS_FUZZ_CHECK(rep.match.ratchet_steps == steps && rep.match.previous_generation == previous);
    if (steps > 0) {
      mr.commit(s, steps);
      // The search derived nothing: the window is `steps` short until the caller refills it off
      // the frame path, as key_ring.hpp asks (the model's window is always full).
      FS_FUZZ_CHECK(rings[1].window_deficit(mt.current) == steps);
      FS_FUZZ_CHECK(rings[1].refill(mt.current) == Errc::ok);
      FS_FUZZ_CHECK(rings[1].window_deficit(mt.current) == 0);
    } else {
      s.failures = 0;
    }
  }
};

template <class C>
void run(Input& in, std::uint8_t b0) {
  using W = World<C>;
  KeyRingOptions o;
  o.size = 1 + (b0 & 3);
  o.ratchet_window = (b0 >> 2) & 3;
  o.previous_generations = (b0 >> 4) & 3;
  o.failure_tolerance = ((b0 >> 6) & 3) - 1;
  auto tx_ring = W::Ring::create(o);
  auto rx_ring = W::Ring::create(o);
  FS_FUZZ_CHECK(tx_ring.has_value() && rx_ring.has_value());
  W w{{std::move(*tx_ring), std::move(*rx_ring)}, {}};
  for (auto& m : w.models) {
    m.slots.resize(o.size);
    m.window = o.ratchet_window;
    m.keep = o.previous_generations;
    m.tolerance = o.failure_tolerance;
  }
  typename W::Cryptor tx(w.rings[0], {}, livekit::UniqueIv(1, 1));
  typename W::Cryptor rx(w.rings[1]);
  w.check_state();
  const std::size_t n = o.size;
  for (std::uint32_t step = 0; step < 200 && !in.empty(); ++step) {
    const std::uint8_t op = in.byte();
    const int side = (op >> 3) & 1;
    switch (op & 7) {
      case 0: {
        const std::size_t index = in.byte();
        const BytesIn material = in.bytes(in.byte() % 9);  // 0 bytes: invalid_argument
        w.set_key(side, index, material);
        break;
      }
      case 1:
        w.ratchet(side, in.byte() % (n + 1));
        break;
      case 2:
        w.set_current(side, in.byte() % (n + 1));
        break;
      case 3:
        w.clear_key(side, in.byte() % (n + 1));
        break;
      case 4:
        w.send(tx, rx, step, std::nullopt);
        break;
      case 5: {
        const std::uint8_t x = in.byte();
        w.send(tx, rx, step, (op & 0x10) ? std::optional<std::uint8_t>(x) : std::nullopt);
        break;
      }
      case 6:
        w.export_key(side, in.byte() % (n + 1));
        break;
      default: {  // the same key on both sides, at the same index
        const std::size_t index = in.byte();
        const BytesIn material = in.bytes(1 + in.byte() % 8);
        w.set_key(0, index, material);
        w.set_key(1, index, material);
        break;
      }
    }
    w.check_state();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t b0 = in.byte(), b1 = in.byte();
  if ((b1 & 1) && sodium::Aes256Gcm::available())
    run<sodium::Aes256Gcm>(in, b0);
  else
    run<sodium::ChaCha20Poly1305>(in, b0);
  return 0;
}
