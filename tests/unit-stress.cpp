// Concurrency stress and key rotation under load, through the session layer (E2eeManager).
//
// Stress: a control thread sets keys, ratchets and rotates key indexes on a sending and a
// receiving manager while one media thread encrypts frames of two participants (Opus, VP8, VP9,
// H.264 with escape-prone bodies; in place and out of place) into a queue and another decrypts
// them, so frames are in flight across key changes. Every frame either decrypts to exactly its
// plaintext or is dropped with a reason (missing_key, auth_failed); a failed call leaves no
// plaintext in `out`; the per-participant counters match what the threads saw; and once the keys
// settle, frames flow again. Run under -Db_sanitize=thread it also shows there is no data race.
//
// Rotation under load: a sender switches to a new key (at the next key index) every N frames while
// the receiver learns each key up to M frames late or early, with frames in flight; a reference
// model of the receiver's slots says, frame by frame, whether the receiver holds the key the frame
// was sent under. Frames are lost exactly when the model says the receiver lacks the key (with the
// reason it predicts) and none once the key is there. A sender that ratchets every N frames loses
// no frame, whether the receiver follows through its ratchet window or ratchets itself up to M
// frames late or early, per participant or with a shared key. Meanwhile another thread runs frames
// and key changes of a second participant on the same managers.
//
// Bounded: each stress run stops after a frame count or a time limit, whichever comes first, so
// the program finishes in seconds in a debug ASan build and under TSan.
#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace frameseal;
using namespace frameseal::session;
using fstest::Bytes;

namespace {

struct ChaCha {
  using C = sodium::ChaCha20Poly1305;
  static constexpr EncryptionType type = EncryptionType::custom;
};
#if defined(FRAMESEAL_TEST_OPENSSL)
struct Aes128 {  // LiveKit's wire cipher
  using C = openssl::Aes128Gcm;
  static constexpr EncryptionType type = EncryptionType::gcm;
};
#  define FS_STRESS_CIPHERS ChaCha, Aes128
#else
#  define FS_STRESS_CIPHERS ChaCha
#endif

using Clock = std::chrono::steady_clock;

Bytes key_bytes(std::uint32_t seed) {
  std::mt19937 rng(seed * 2654435761u + 17);
  Bytes k(32);
  for (auto& x : k) x = static_cast<std::uint8_t>(rng());
  return k;
}

struct Frame {
  FrameInfo info;
  Bytes plain;
};

// Frames of the codecs whose clear-header rules differ; H.264 bodies carry zero runs, so their
// ciphertext gets escaped and un-escaped on the way.
Frame make_frame(std::uint32_t seq) {
  std::mt19937 rng(seq);
  Frame f;
  f.info.ssrc = 0x1000 + (seq & 3);
  f.info.rtp_timestamp = seq * 960;
  const std::size_t n = 40 + rng() % 400;
  f.plain.resize(n);
  for (auto& x : f.plain) x = static_cast<std::uint8_t>(rng());
  switch (seq % 4) {
    case 0:
      f.info.kind = MediaKind::audio;
      f.info.codec = Codec::opus;
      f.plain[0] = 0x78;
      break;
    case 1: {
      f.info.codec = Codec::vp8;
      const bool key = seq % 8 == 1;
      f.info.key_frame = key;
      if (key) {
        const Bytes h = fstest::from_hex("5004009d012a4001b400");
        std::copy(h.begin(), h.end(), f.plain.begin());
      } else {
        f.plain[0] = 0x31;
      }
      break;
    }
    case 2:
      f.info.codec = Codec::vp9;
      break;
    default: {
      f.info.codec = Codec::h264;
      f.info.key_frame = true;
      const Bytes h = fstest::from_hex("00000001658884");
      std::copy(h.begin(), h.end(), f.plain.begin());
      for (std::size_t i = 12; i + 2 < f.plain.size(); i += 29) f.plain[i] = f.plain[i + 1] = 0;
      break;
    }
  }
  return f;
}

bool only_old_or_zero(BytesIn out, BytesIn before) {
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] != 0 && out[i] != before[i]) return false;
  return true;
}

template <class P>
E2eeManager<typename P::C> make_manager(std::size_t ring_size = default_key_ring_size) {
  E2eeOptions o;
  o.encryption_type = P::type;
  o.key_provider_options.key_ring_size = ring_size;
  auto m = E2eeManager<typename P::C>::create(std::move(o));
  REQUIRE(m.has_value());
  return std::move(*m);
}

// ---- stress ----

struct StressTally {
  std::size_t encrypted = 0, encrypt_missing_key = 0, decrypted = 0, auth_failed = 0, missing_key = 0;
  std::size_t wrong_plaintext = 0, bad_encrypt_reason = 0, bad_decrypt_reason = 0, plaintext_left = 0;
  std::size_t key_ops = 0;
};

template <class P>
StressTally stress(bool shared, std::uint32_t seed, Clock::duration budget, std::size_t max_frames) {
  using Manager = E2eeManager<typename P::C>;
  using Cryptor = typename Manager::frame_cryptor_type;
  constexpr std::size_t ring = 4;  // small: key index rotations revisit slots
  Manager tx = make_manager<P>(ring), rx = make_manager<P>(ring);
  const std::vector<std::string> ids = {"alice", "bob"};
  const Bytes k0 = key_bytes(seed);
  if (shared) {
    REQUIRE(tx.key_provider().set_shared_key(k0, 0) == Errc::ok);
    REQUIRE(rx.key_provider().set_shared_key(k0, 0) == Errc::ok);
  } else {
    for (const auto& id : ids) {
      REQUIRE(tx.key_provider().set_key(id, k0, 0) == Errc::ok);
      REQUIRE(rx.key_provider().set_key(id, k0, 0) == Errc::ok);
    }
  }
  std::vector<Cryptor> enc, dec;
  for (const auto& id : ids) {
    enc.push_back(tx.frame_cryptor(id).value());
    dec.push_back(rx.frame_cryptor(id).value());
  }

  struct Item {
    std::size_t who;
    Frame frame;
    Bytes enc;
  };
  std::mutex qm;
  std::condition_variable qcv;
  std::deque<std::optional<Item>> queue;  // nullopt: end of stream
  constexpr std::size_t queue_limit = 48;
  std::atomic<bool> sending{true};
  StressTally te, td, tc;  // one per thread, merged after join
  const auto deadline = Clock::now() + budget;

  auto encrypt_thread = [&] {
    for (std::size_t seq = 0; seq < max_frames && Clock::now() < deadline; ++seq) {
      const std::size_t who = (seq / 3) % 2;
      Frame f = make_frame(static_cast<std::uint32_t>(seq) ^ seed);
      const std::size_t cap = Cryptor::max_encrypted_size(f.plain.size());
      Result<BytesOut> r = Errc::internal_error;
      Bytes out;
      if (seq % 5 == 0) {  // in place
        out = f.plain;
        out.resize(cap);
        r = enc[who].encrypt(f.info, BytesIn(out.data(), f.plain.size()), out);
      } else {
        out.assign(cap, 0xEE);
        r = enc[who].encrypt(f.info, f.plain, out);
        if (!r && !only_old_or_zero(out, Bytes(cap, 0xEE))) ++te.plaintext_left;
      }
      if (!r) {
        ++te.encrypt_missing_key;
        if (r.error() != Errc::missing_key) ++te.bad_encrypt_reason;
        continue;
      }
      ++te.encrypted;
      Item item{who, std::move(f), Bytes(r->begin(), r->end())};
      std::unique_lock<std::mutex> lock(qm);
      qcv.wait(lock, [&] { return queue.size() < queue_limit; });
      queue.push_back(std::move(item));
      qcv.notify_all();
    }
    sending.store(false);
    std::lock_guard<std::mutex> lock(qm);
    queue.push_back(std::nullopt);
    qcv.notify_all();
  };

  auto decrypt_thread = [&] {
    std::size_t n = 0;
    for (;;) {
      std::optional<Item> item;
      {
        std::unique_lock<std::mutex> lock(qm);
        qcv.wait(lock, [&] { return !queue.empty(); });
        item = std::move(queue.front());
        queue.pop_front();
        qcv.notify_all();
      }
      if (!item) break;
      const Bytes& e = item->enc;
      Bytes out, before;
      Result<BytesOut> r = Errc::internal_error;
      if (n++ % 3 == 0) {  // in place
        out = e;
        before = out;
        r = dec[item->who].decrypt(item->frame.info, out, out);
      } else {
        out.assign(e.size(), 0xEE);
        before = out;
        r = dec[item->who].decrypt(item->frame.info, e, out);
      }
      if (r) {
        ++td.decrypted;
        if (!(r->size() == item->frame.plain.size() &&
              std::equal(r->begin(), r->end(), item->frame.plain.begin())))
          ++td.wrong_plaintext;
        continue;
      }
      if (!only_old_or_zero(out, before)) ++td.plaintext_left;
      switch (r.error()) {
        case Errc::auth_failed:
          ++td.auth_failed;
          break;
        case Errc::missing_key:
          ++td.missing_key;
          break;
        default:
          ++td.bad_decrypt_reason;
          break;
      }
    }
  };

  auto control_thread = [&] {
    std::mt19937 rng(seed);
    std::uint32_t next_key = seed * 1000 + 1;
    while (sending.load()) {
      ++tc.key_ops;
      const std::string& id = ids[rng() % 2];
      const std::size_t idx = rng() % ring;
      const Bytes k = key_bytes(next_key++);
      auto set = [&](Manager& m) {
        if (shared)
          (void)m.key_provider().set_shared_key(k, idx);
        else
          (void)m.key_provider().set_key(id, k, idx);
      };
      auto ratchet = [&](Manager& m) {
        if (shared)
          (void)m.key_provider().ratchet_shared_key(idx);
        else
          (void)m.key_provider().ratchet_key(id, idx);
      };
      switch (rng() % 10) {
        case 0:
        case 1:  // a new key, receiver first (the usual order)
          set(rx);
          set(tx);
          break;
        case 2:
        case 3:  // the sender ratchets; the receiver follows through its window
          ratchet(tx);
          break;
        case 4:  // both ratchet, receiver first
          ratchet(rx);
          ratchet(tx);
          break;
        case 5:  // the sender rotates to another key index (maybe empty: missing_key on encrypt)
          (void)enc[rng() % 2].set_key_index(idx);
          break;
        case 6:  // a key only the receiver has (the sender gets it later, or never)
          set(rx);
          break;
        case 7:  // a key only the sender has: the receiver lacks it until the next shared change
          set(tx);
          break;
        case 8:  // observers
          for (auto& c : rx.frame_cryptors()) (void)c.counters();
          (void)tx.key_provider().export_key(id, idx);
          (void)rx.key_provider().participant_identities();
          (void)enc[0].key_index();
          (void)dec[1].state();
          break;
        default:
          rx.key_provider().set_sif_trailer(rng() % 2 ? Bytes{0x4c, 0x4b, 0x53} : Bytes{});
          break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 400));
    }
  };

  std::thread c(control_thread), d(decrypt_thread), e(encrypt_thread);
  e.join();
  d.join();
  c.join();

  StressTally t = te;
  t.decrypted = td.decrypted;
  t.auth_failed = td.auth_failed;
  t.missing_key = td.missing_key;
  t.wrong_plaintext = td.wrong_plaintext;
  t.bad_decrypt_reason = td.bad_decrypt_reason;
  t.plaintext_left += td.plaintext_left;
  t.key_ops = tc.key_ops;

  // The counters saw exactly what the threads saw.
  std::uint64_t encrypted = 0, decrypted = 0, auth = 0, missing = 0, enc_missing = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    const Counters ce = enc[i].counters(), cd = dec[i].counters();
    encrypted += ce.encrypted;
    enc_missing += ce.missing_key;
    decrypted += cd.decrypted;
    auth += cd.auth_failures;
    missing += cd.missing_key;
    CHECK(cd.malformed == 0);
    CHECK(cd.other_failures == 0);
    CHECK(ce.encryption_failures == 0);
  }
  CHECK(encrypted == t.encrypted);
  CHECK(enc_missing == t.encrypt_missing_key);
  CHECK(decrypted == t.decrypted);
  CHECK(auth == t.auth_failed);
  CHECK(missing == t.missing_key);

  // Settled: one fresh key on both sides at one index, and every frame flows again.
  const Bytes ks = key_bytes(seed + 999999);
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(tx.key_provider().set_key(ids[i], ks, 2) == Errc::ok);
    REQUIRE(rx.key_provider().set_key(ids[i], ks, 2) == Errc::ok);
    for (std::uint32_t s = 0; s < 8; ++s) {
      const Frame f = make_frame(s);
      Bytes out(Cryptor::max_encrypted_size(f.plain.size())), back(out.size());
      auto er = enc[i].encrypt(f.info, f.plain, out);
      REQUIRE(er.has_value());
      auto dr = dec[i].decrypt(f.info, *er, back);
      REQUIRE(dr.has_value());
      CHECK(Bytes(dr->begin(), dr->end()) == f.plain);
    }
  }
  return t;
}

// ---- rotation ----

enum class Verdict : std::uint8_t { ok, missing_key, auth_failed };

const char* name(Verdict v) {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::missing_key:
      return "missing_key";
    case Verdict::auth_failed:
      return "auth_failed";
  }
  return "?";
}

Verdict verdict_of(const Result<BytesOut>& r) {
  if (r) return Verdict::ok;
  if (r.error() == Errc::missing_key) return Verdict::missing_key;
  if (r.error() == Errc::auth_failed) return Verdict::auth_failed;
  FAIL("unexpected decrypt error " << to_string(r.error()));
  return Verdict::auth_failed;
}

// A second participant ("bob") on the same managers: frames and key changes from another thread,
// as load on the managers' locks while the rotation under test runs for "alice".
template <class P>
class Load {
 public:
  using Manager = E2eeManager<typename P::C>;
  // Returns once the load thread has run its first frame, so it overlaps what follows.
  Load(Manager& tx, Manager& rx) : tx_(tx), rx_(rx), thread_([this] { run(); }) {
    while (frames_.load() == 0) std::this_thread::yield();
  }
  ~Load() {
    stop_.store(true);
    thread_.join();
  }
  std::size_t frames() const { return frames_.load(); }

 private:
  void run() {
    auto enc = tx_.frame_cryptor("bob").value();
    auto dec = rx_.frame_cryptor("bob").value();
    std::uint32_t i = 0;
    while (!stop_.load()) {
      if (i % 50 == 0) {
        const Bytes k = key_bytes(700000 + i);
        (void)rx_.key_provider().set_key("bob", k, i / 50 % 3);
        (void)tx_.key_provider().set_key("bob", k, i / 50 % 3);
      }
      if (i % 50 == 25) (void)tx_.key_provider().ratchet_key("bob", i / 50 % 3);
      const Frame f = make_frame(i);
      Bytes out(decltype(enc)::max_encrypted_size(f.plain.size()));
      auto e = enc.encrypt(f.info, f.plain, out);
      if (e) {
        Bytes back(e->size());
        auto d = dec.decrypt(f.info, *e, back);
        if (d) CHECK(std::equal(d->begin(), d->end(), f.plain.begin(), f.plain.end()));
      }
      ++i;
      frames_.fetch_add(1);
    }
  }
  Manager& tx_;
  Manager& rx_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> frames_{0};
  std::thread thread_;
};

struct IndexCase {
  std::size_t n;        // frames per key
  std::size_t m;        // the receiver learns each key up to m frames late or early
  std::size_t ring;     // key ring size (key index = key number mod ring)
  std::size_t latency;  // frames in flight between encrypt and decrypt
  std::size_t keys;     // keys the sender goes through
};

// How late (> 0) or early (< 0) the receiver learns key j: the extremes, on time, and values
// in between, in a fixed order.
long offset_of(std::size_t j, std::size_t m) {
  if (m == 0) return 0;
  const long M = static_cast<long>(m);
  switch (j % 5) {
    case 0:
      return M;
    case 1:
      return -M;
    case 2:
      return 0;
    case 3:
      return static_cast<long>((j * 7919) % (2 * m + 1)) - M;
    default:
      return M / 2 + 1 > M ? M : M / 2 + 1;
  }
}

struct RotationResult {
  std::size_t frames = 0, lost = 0, mismatches = 0, lost_with_key = 0;
  std::size_t load_frames = 0;  // frames of the other participant meanwhile
};

template <class P>
RotationResult rotate_key_index(const IndexCase& c, bool shared) {
  using Manager = E2eeManager<typename P::C>;
  Manager tx = make_manager<P>(c.ring), rx = make_manager<P>(c.ring);
  Load<P> load(tx, rx);
  auto enc = tx.frame_cryptor("alice").value();
  auto dec = rx.frame_cryptor("alice").value();
  const std::size_t frames = c.n * c.keys;
  // When the receiver learns key j: tick j*n + offset (at least 0), before that tick's frames.
  std::vector<long> learn(c.keys);
  for (std::size_t j = 0; j < c.keys; ++j)
    learn[j] = std::max(0L, static_cast<long>(j * c.n) + offset_of(j, c.m));
  std::vector<std::optional<std::size_t>> slots(c.ring);  // the model: which key each receiver slot holds
  auto key_of = [](std::size_t j) { return key_bytes(static_cast<std::uint32_t>(100 + j)); };
  auto set = [&](Manager& m, std::size_t j) {
    const Errc e = shared ? m.key_provider().set_shared_key(key_of(j), j % c.ring)
                          : m.key_provider().set_key("alice", key_of(j), j % c.ring);
    REQUIRE(e == Errc::ok);
  };

  std::deque<std::pair<std::size_t, Bytes>> in_flight;  // (frame number, encrypted frame)
  std::vector<Frame> sent(frames);
  RotationResult res;
  res.frames = frames;
  const long last_tick = static_cast<long>(frames + c.latency);
  for (long t = 0; t < last_tick; ++t) {
    for (std::size_t j = 0; j < c.keys; ++j)
      if (learn[j] == t) {
        set(rx, j);
        slots[j % c.ring] = j;
      }
    if (t < static_cast<long>(frames)) {
      const std::size_t i = static_cast<std::size_t>(t);
      if (i % c.n == 0) set(tx, i / c.n);
      sent[i] = make_frame(static_cast<std::uint32_t>(i));
      Bytes out(decltype(enc)::max_encrypted_size(sent[i].plain.size()));
      auto e = enc.encrypt(sent[i].info, sent[i].plain, out);
      REQUIRE(e.has_value());
      REQUIRE(enc.key_index() == (i / c.n) % c.ring);
      in_flight.emplace_back(i, Bytes(e->begin(), e->end()));
    }
    if (t >= static_cast<long>(c.latency)) {
      auto [i, frame] = std::move(in_flight.front());
      in_flight.pop_front();
      const std::size_t j = i / c.n;
      const std::optional<std::size_t>& held = slots[j % c.ring];
      const Verdict want = !held ? Verdict::missing_key : *held == j ? Verdict::ok : Verdict::auth_failed;
      Bytes out(frame.size());
      auto d = dec.decrypt(sent[i].info, frame, out);
      const Verdict got = verdict_of(d);
      if (got != want) {
        ++res.mismatches;
        if (res.mismatches <= 5)
          MESSAGE("frame " << i << " (key " << j << ", learnt at tick " << learn[j] << "): " << name(got)
                           << ", expected " << name(want));
      }
      if (got == Verdict::ok) {
        CHECK(std::equal(d->begin(), d->end(), sent[i].plain.begin(), sent[i].plain.end()));
      } else {
        ++res.lost;
        if (want == Verdict::ok) ++res.lost_with_key;
      }
    }
  }
  res.load_frames = load.frames();
  return res;
}

enum class RxRatchet : std::uint8_t { follow, late, early };

template <class P>
RotationResult rotate_ratchet(std::size_t n, std::size_t m, RxRatchet rx_mode, bool shared,
                              std::size_t latency, std::size_t ratchets) {
  using Manager = E2eeManager<typename P::C>;
  Manager tx = make_manager<P>(), rx = make_manager<P>();
  Load<P> load(tx, rx);
  const Bytes k = key_bytes(4242);
  if (shared) {
    REQUIRE(tx.key_provider().set_shared_key(k, 0) == Errc::ok);
    REQUIRE(rx.key_provider().set_shared_key(k, 0) == Errc::ok);
  } else {
    REQUIRE(tx.key_provider().set_key("alice", k, 0) == Errc::ok);
    REQUIRE(rx.key_provider().set_key("alice", k, 0) == Errc::ok);
  }
  auto enc = tx.frame_cryptor("alice").value();
  auto dec = rx.frame_cryptor("alice").value();
  auto ratchet = [&](Manager& mgr) {
    auto r = shared ? mgr.key_provider().ratchet_shared_key(0) : mgr.key_provider().ratchet_key("alice", 0);
    REQUIRE(r.has_value());
  };
  const std::size_t frames = n * (ratchets + 1);
  std::vector<long> rx_ticks;  // when the receiver ratchets by itself
  if (rx_mode != RxRatchet::follow)
    for (std::size_t j = 1; j <= ratchets; ++j)
      rx_ticks.push_back(std::max(
          0L, static_cast<long>(j * n) + (rx_mode == RxRatchet::late ? 1 : -1) * static_cast<long>(m)));
  std::deque<std::pair<std::size_t, Bytes>> in_flight;
  std::vector<Frame> sent(frames);
  RotationResult res;
  res.frames = frames;
  for (long t = 0; t < static_cast<long>(frames + latency); ++t) {
    for (long rt : rx_ticks)
      if (rt == t) ratchet(rx);
    if (t < static_cast<long>(frames)) {
      const std::size_t i = static_cast<std::size_t>(t);
      if (i > 0 && i % n == 0) ratchet(tx);
      sent[i] = make_frame(static_cast<std::uint32_t>(i));
      Bytes out(decltype(enc)::max_encrypted_size(sent[i].plain.size()));
      auto e = enc.encrypt(sent[i].info, sent[i].plain, out);
      REQUIRE(e.has_value());
      in_flight.emplace_back(i, Bytes(e->begin(), e->end()));
    }
    if (t >= static_cast<long>(latency)) {
      auto [i, frame] = std::move(in_flight.front());
      in_flight.pop_front();
      Bytes out(frame.size());
      auto d = dec.decrypt(sent[i].info, frame, out);
      if (!d) {
        ++res.lost;
        ++res.mismatches;
        if (res.mismatches <= 5) MESSAGE("frame " << i << " lost: " << to_string(d.error()));
      } else {
        CHECK(std::equal(d->begin(), d->end(), sent[i].plain.begin(), sent[i].plain.end()));
      }
    }
  }
  res.load_frames = load.frames();
  return res;
}

}  // namespace

TEST_CASE_TEMPLATE("stress: a control thread changes keys while frames stream through two media threads", P,
                   FS_STRESS_CIPHERS) {
  if (!P::C::available()) return;
  for (bool shared : {false, true}) {
    CAPTURE(shared);
    const StressTally t = stress<P>(shared, shared ? 11 : 22, std::chrono::milliseconds(2500), 12000);
    MESSAGE(std::string(shared ? "shared key: " : "per participant: ")
            << t.encrypted + t.encrypt_missing_key << " frames, " << t.decrypted << " decrypted, "
            << t.auth_failed << " auth_failed, " << t.missing_key << " missing_key on decrypt, "
            << t.encrypt_missing_key << " missing_key on encrypt, " << t.key_ops << " key operations");
    CHECK(t.wrong_plaintext == 0);
    CHECK(t.bad_encrypt_reason == 0);
    CHECK(t.bad_decrypt_reason == 0);
    CHECK(t.plaintext_left == 0);
    CHECK(t.decrypted + t.auth_failed + t.missing_key == t.encrypted);  // every frame accounted for
    CHECK(t.decrypted > 0);
    CHECK(t.key_ops > 0);
  }
}

TEST_CASE_TEMPLATE("rotation under load: a new key index every N frames, the receiver M frames late or early",
                   P, FS_STRESS_CIPHERS) {
  if (!P::C::available()) return;
  const std::vector<IndexCase> cases = {
      {10, 0, 16, 0, 30},  // on time: nothing lost
      {10, 3, 16, 0, 30},  // a little late or early
      {10, 9, 16, 2, 30},  // almost a whole key period, frames in flight
      {5, 7, 16, 0, 40},   // M > N: keys arrive out of order
      {1, 1, 16, 1, 60},   // a new key every frame
      {8, 12, 2, 0, 30},   // ring of 2: an early key overwrites the slot still in use
      {20, 20, 4, 3, 16},  // ring of 4, a full period late or early
  };
  for (bool shared : {false, true}) {
    for (const IndexCase& c : cases) {
      CAPTURE(shared);
      CAPTURE(c.n);
      CAPTURE(c.m);
      CAPTURE(c.ring);
      CAPTURE(c.latency);
      const RotationResult r = rotate_key_index<P>(c, shared);
      CHECK(r.mismatches == 0);     // lost exactly when the receiver lacks the key, for that reason
      CHECK(r.lost_with_key == 0);  // never once it has it
      if (c.m == 0) CHECK(r.lost == 0);
      if (c.m > c.latency && c.ring >= 16) CHECK(r.lost > 0);  // late keys do cost frames (the test bites)
      MESSAGE("N=" << c.n << " M=" << c.m << " ring=" << c.ring << " in flight " << c.latency
                   << std::string(shared ? " shared" : "") << ": " << r.lost << " of " << r.frames
                   << " frames lost, all while the receiver lacked the key (" << r.load_frames
                   << " frames of a second participant meanwhile)");
    }
  }
}

TEST_CASE_TEMPLATE("rotation under load: a ratchet every N frames loses no frame", P, FS_STRESS_CIPHERS) {
  if (!P::C::available()) return;
  struct Case {
    std::size_t n, m;
    RxRatchet mode;
    std::size_t latency;
  };
  const std::vector<Case> cases = {
      {10, 0, RxRatchet::follow, 0}, {10, 0, RxRatchet::follow, 3}, {1, 0, RxRatchet::follow, 2},
      {10, 3, RxRatchet::late, 0},   {10, 3, RxRatchet::early, 0},  {5, 8, RxRatchet::late, 2},
      {5, 8, RxRatchet::early, 2},   {2, 1, RxRatchet::late, 1},    {2, 1, RxRatchet::early, 1},
  };
  for (bool shared : {false, true}) {
    for (const Case& c : cases) {
      CAPTURE(shared);
      CAPTURE(c.n);
      CAPTURE(c.m);
      CAPTURE(static_cast<int>(c.mode));
      CAPTURE(c.latency);
      const RotationResult r = rotate_ratchet<P>(c.n, c.m, c.mode, shared, c.latency, 12);
      CHECK(r.lost == 0);
    }
  }
}
