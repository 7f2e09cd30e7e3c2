// bench_ratchet: the receive-side key search of KeyRing (key_ring.hpp) through the LiveKit
// FrameCryptor, with HKDF and PBKDF2, and what installing a key costs now that the ratchet window
// is derived at install time (no KDF call on the frame path).
//
//   ratchet/set-key/<cipher>/<kdf>/<n>        set_key on a ring with a window of 16: the key and the
//                                             16 window steps, 17 KDF calls (a control call; the
//                                             session layer runs it outside the participant's lock)
//   ratchet/recover-16/<cipher>/<kdf>/<n>     the sender is 16 ratchet steps ahead; one frame makes
//                                             the receiver authenticate at step 16 from the window
//                                             and commit (a fresh clone of the receiver ring per
//                                             iteration). No KDF call. Target (HKDF): <= 100 us.
//   ratchet/bad-frame/<cipher>/<kdf>/<n>      a frame that authenticates under no key, with 16
//                                             previous generations kept and a window of 16: 33 AEAD
//                                             attempts, no KDF call
//   ratchet/bad-frame-cold/<cipher>/<kdf>/<n> the same frame against a fresh clone of the ring (the
//                                             clone copies the window: no KDF call either)
//   ratchet/good-frame/<cipher>/<kdf>/<n>     the same ring, a frame under the current key (1 attempt)
// The rows check before timing that the frame recovers at step 16, resp. fails with auth_failed
// after exactly window + generations + 1 attempts and without KDF calls (counted through a KDF
// wrapper); counters: kdf_calls and aead_attempts per frame. Sizes: 160 B and 16 KiB (PBKDF2 rows:
// 160 B only).
#include <map>
#include <memory>

#include "bench_common.hpp"
#if defined(FRAMESEAL_BENCH_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

namespace {

using namespace fsbench;

const Bytes material = random_bytes(32, 90);
constexpr std::size_t steps_ahead = 16;
constexpr std::size_t window = 16;
constexpr std::size_t generations = 16;

template <class C, class K>
struct Ratchet {
  using Kdf = CountingKdf<K>;
  using Ring = fs::KeyRing<C, Kdf>;
  using Cryptor = fs::livekit::FrameCryptor<C>;

  // A ring holding `material` ratcheted `ratchets` times. The ratchets run once per program (with
  // PBKDF2 they take ~0.5 s); later calls clone the ring, which costs no KDF call.
  static std::unique_ptr<Ring> make_ring(std::size_t ratchets) {
    static std::map<std::size_t, std::unique_ptr<Ring>> made;
    auto& ring = made[ratchets];
    if (!ring) {
      fs::KeyRingOptions o;
      o.ratchet_window = window;
      o.previous_generations = generations;
      auto r = Ring::create(o);
      if (!r || r->set_key(0, material) != fs::Errc::ok) return nullptr;
      for (std::size_t i = 0; i < ratchets; ++i)
        if (!r->ratchet(0)) return nullptr;
      ring = std::make_unique<Ring>(std::move(*r));
    }
    auto c = ring->clone();
    return c ? std::make_unique<Ring>(std::move(*c)) : nullptr;
  }

  SweepFrame f;
  Bytes enc;
  std::unique_ptr<Ring> rx;  // the receiver's ring as it stands before the frame arrives

  // A frame from a sender `ahead` ratchet steps past a receiver that has ratcheted `rx_ratchets`
  // times (so it keeps that many previous generations).
  bool init(benchmark::State& state, std::size_t rx_ratchets, std::size_t ahead) {
    if (!C::available()) {
      state.SkipWithError("backend unavailable on this machine");
      return false;
    }
    f = sweep_frame(static_cast<std::size_t>(state.range(0)));
    auto tx = make_ring(rx_ratchets + ahead);
    rx = make_ring(rx_ratchets);
    if (!tx || !rx) {
      state.SkipWithError("key ring setup failed");
      return false;
    }
    Cryptor c(*tx);
    enc.assign(Cryptor::max_encrypted_size(f.bytes.size()), 0);
    auto e = c.encrypt(f.info, f.bytes, enc);
    if (!e) {
      state.SkipWithError("encrypt failed");
      return false;
    }
    enc.resize(e->size());
    return true;
  }

  std::unique_ptr<Ring> clone_rx() const {
    auto r = rx->clone();
    return r ? std::make_unique<Ring>(std::move(*r)) : nullptr;
  }

  // AEAD attempts the ring makes for this frame (an open_with whose attempts always fail).
  static std::size_t attempts_for_failure(Ring& ring) {
    std::size_t n = 0;
    auto m = ring.open_with(0, [&](C&) noexcept { return ++n, false; });
    return m ? 0 : n;
  }
};

template <class C, class K>
void bm_recover(benchmark::State& state) {
  Ratchet<C, K> s;
  if (!s.init(state, 0, steps_ahead)) return;
  Bytes out(s.enc.size());
  {  // check: recovers at step 16 and decrypts to the frame
    auto ring = s.clone_rx();
    if (!ring) {
      state.SkipWithError("clone failed");
      return;
    }
    typename Ratchet<C, K>::Cryptor c(*ring);
    fs::livekit::DecryptReport rep;
    auto d = c.decrypt(s.f.info, s.enc, out, &rep);
    if (!d || rep.match.ratchet_steps != steps_ahead ||
        !std::equal(d->begin(), d->end(), s.f.bytes.begin(), s.f.bytes.end())) {
      state.SkipWithError("no recovery at step 16");
      return;
    }
  }
  std::uint64_t kdf = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto ring = s.clone_rx();  // empty ratchet cache; no KDF work
    auto c = std::make_unique<typename Ratchet<C, K>::Cryptor>(*ring);
    const std::uint64_t before = kdf_calls;
    state.ResumeTiming();
    auto d = c->decrypt(s.f.info, s.enc, out);
    benchmark::DoNotOptimize(d);
    state.PauseTiming();
    kdf += kdf_calls - before;
    if (!d) state.SkipWithError("recovery failed");
    c.reset();
    ring.reset();  // destroy the clone outside the timed region
    state.ResumeTiming();
  }
  set_rates(state, s.f.bytes.size());
  state.counters["kdf_calls"] = static_cast<double>(kdf) / static_cast<double>(state.iterations());
  state.counters["aead_attempts"] = static_cast<double>(steps_ahead + 1);
}

// A bad frame: the sender uses the receiver's current key, and one ciphertext byte is flipped.
template <class C, class K>
void bm_bad_frame(benchmark::State& state, bool cold) {
  Ratchet<C, K> s;
  if (!s.init(state, generations, 0)) return;
  s.enc[s.f.clear] ^= 0x01;
  Bytes out(s.enc.size());
  typename Ratchet<C, K>::Cryptor c(*s.rx);
  auto first = c.decrypt(s.f.info, s.enc, out);  // fills the ratchet cache
  if (first || first.error() != fs::Errc::auth_failed) {
    state.SkipWithError("bad frame not refused");
    return;
  }
  const std::size_t attempts = Ratchet<C, K>::attempts_for_failure(*s.rx);
  const std::uint64_t before = kdf_calls;
  for (int i = 0; i < 10; ++i) (void)c.decrypt(s.f.info, s.enc, out);
  if (attempts != window + generations + 1 || kdf_calls != before) {
    state.SkipWithError("cached search made KDF calls or the wrong number of attempts");
    return;
  }
  std::uint64_t kdf = 0;
  if (cold) {
    for (auto _ : state) {
      state.PauseTiming();
      auto ring = s.clone_rx();  // keeps the previous generations, drops the ratchet cache
      auto cc = std::make_unique<typename Ratchet<C, K>::Cryptor>(*ring);
      const std::uint64_t k0 = kdf_calls;
      state.ResumeTiming();
      auto d = cc->decrypt(s.f.info, s.enc, out);
      benchmark::DoNotOptimize(d);
      state.PauseTiming();
      kdf += kdf_calls - k0;
      cc.reset();
      ring.reset();
      state.ResumeTiming();
    }
  } else {
    const std::uint64_t k0 = kdf_calls;
    for (auto _ : state) {
      auto d = c.decrypt(s.f.info, s.enc, out);
      benchmark::DoNotOptimize(d);
    }
    kdf = kdf_calls - k0;
  }
  set_rates(state, s.f.bytes.size());
  state.counters["kdf_calls"] = static_cast<double>(kdf) / static_cast<double>(state.iterations());
  state.counters["aead_attempts"] = static_cast<double>(attempts);
}

template <class C, class K>
void bm_good_frame(benchmark::State& state) {
  Ratchet<C, K> s;
  if (!s.init(state, generations, 0)) return;
  Bytes out(s.enc.size());
  typename Ratchet<C, K>::Cryptor c(*s.rx);
  auto d = c.decrypt(s.f.info, s.enc, out);
  if (!d || !std::equal(d->begin(), d->end(), s.f.bytes.begin(), s.f.bytes.end())) {
    state.SkipWithError("good frame not decrypted");
    return;
  }
  for (auto _ : state) {
    auto x = c.decrypt(s.f.info, s.enc, out);
    benchmark::DoNotOptimize(x);
  }
  set_rates(state, s.f.bytes.size());
  state.counters["aead_attempts"] = 1;
}

template <class C, class K>
void bm_set_key(benchmark::State& state) {
  using Ring = typename Ratchet<C, K>::Ring;
  if (!C::available()) {
    state.SkipWithError("backend unavailable on this machine");
    return;
  }
  fs::KeyRingOptions o;
  o.ratchet_window = window;
  auto ring = Ring::create(o);
  if (!ring) {
    state.SkipWithError("key ring setup failed");
    return;
  }
  std::uint64_t kdf = 0;
  for (auto _ : state) {
    const std::uint64_t before = kdf_calls;
    const fs::Errc e = ring->set_key(0, material);
    kdf += kdf_calls - before;
    if (e != fs::Errc::ok || ring->window_deficit(0) != 0) state.SkipWithError("set_key failed");
  }
  state.counters["kdf_calls"] = static_cast<double>(kdf) / static_cast<double>(state.iterations());
}

template <class C, class K>
void register_rows(const std::string& kdf, bool slow_kdf) {
  const std::string l = label<C>() + "/" + kdf;
  auto* install = benchmark::RegisterBenchmark(("ratchet/set-key/" + l).c_str(), bm_set_key<C, K>)->Arg(32);
  if (slow_kdf)
    install->Unit(benchmark::kMillisecond)->Iterations(2);
  else
    install->Unit(benchmark::kMicrosecond);
  for (std::int64_t n : {160, 16384}) {
    if (slow_kdf && n != 160) continue;  // the KDF dominates; one size says it
    auto* r = benchmark::RegisterBenchmark(("ratchet/recover-16/" + l).c_str(), bm_recover<C, K>)->Arg(n);
    auto* cold =
        benchmark::RegisterBenchmark(("ratchet/bad-frame-cold/" + l).c_str(), bm_bad_frame<C, K>, true)
            ->Arg(n);
    benchmark::RegisterBenchmark(("ratchet/bad-frame/" + l).c_str(), bm_bad_frame<C, K>, false)->Arg(n);
    benchmark::RegisterBenchmark(("ratchet/good-frame/" + l).c_str(), bm_good_frame<C, K>)->Arg(n);
    if (slow_kdf) {
      r->Unit(benchmark::kMillisecond)->Iterations(2);
      cold->Unit(benchmark::kMillisecond)->Iterations(2);
    } else {
      r->Unit(benchmark::kMicrosecond);
      cold->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#if defined(FRAMESEAL_BENCH_OPENSSL)
  register_rows<fs::openssl::Aes128Gcm, fs::Hkdf>("hkdf", false);
  register_rows<fs::openssl::Aes128Gcm, fs::openssl::Pbkdf2>("pbkdf2-openssl", true);
#endif
  register_rows<fs::sodium::Aes256Gcm, fs::Hkdf>("hkdf", false);
  register_rows<fs::sodium::Aes256Gcm, fs::Pbkdf2>("pbkdf2-libsodium", true);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
