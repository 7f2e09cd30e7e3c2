// bench_sframe: SFrame (RFC 9605) encrypt/decrypt per cipher suite against the raw AEAD call of
// the suite's cipher, in the same run, at the table sizes (20 B to 1 MiB).
//
//   raw/seal/<cipher>/<n>, raw/open/<cipher>/<n>   the cipher alone: n bytes of plaintext, a 4-byte
//                                                  AAD (an SFrame header is 2-17 bytes; here 4)
//   sframe/encrypt/<cipher>/<n>                    sframe::FrameCryptor::encrypt of the suite over
//                                                  that cipher (the row's label names the suite)
//   sframe/decrypt/<cipher>/<n>                    sframe::FrameCryptor::decrypt, out of place, with
//                                                  the replay window off: the row decrypts one
//                                                  frame again and again, which replay protection
//                                                  would rightly refuse (its check is a bit test)
// Suites: 0x0005 on libsodium; with OpenSSL 0x0001-0x0004, 0x0005 and 0x0006-0x0008. Every row
// checks a round trip once before timing and reports bytes/s and frames/s.
#include <memory>

#include "bench_common.hpp"
#if defined(FRAMESEAL_BENCH_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#  include <frameseal/sframe/openssl_suites.hpp>
#endif

namespace {

using namespace fsbench;
namespace sf = fs::sframe;

const Bytes base_key = random_bytes(32, 55);
const Bytes aad4 = random_bytes(4, 56);

// The raw baseline: the frame's random bytes as the body, a 4-byte AAD (an SFrame header's size).
template <class C>
struct Raw : RawAead<C> {
  Bytes pt;
  bool init(benchmark::State& state) {
    pt = random_bytes(static_cast<std::size_t>(state.range(0)), 59);
    return RawAead<C>::init(state, pt, aad4);
  }
};

template <class C>
void bm_raw_seal(benchmark::State& state) {
  Raw<C> r;
  if (r.init(state)) run_raw_seal(state, r, r.pt.size());
}

template <class C>
void bm_raw_open(benchmark::State& state) {
  Raw<C> r;
  if (r.init(state)) run_raw_open(state, r, r.pt.size());
}

template <class S>
struct Sf {
  using Cryptor = sf::FrameCryptor<S>;
  std::unique_ptr<Cryptor> tx, rx;
  Bytes frame, enc;

  bool init(benchmark::State& state) {
    if (!S::available()) {
      state.SkipWithError("suite unavailable on this machine");
      return false;
    }
    sf::FrameCryptorOptions o;
    o.replay_window = 0;
    auto t = Cryptor::create(o);
    auto r = Cryptor::create(o);
    if (!t || !r || t->add_key(1, base_key, sf::KeyUsage::encrypt) != fs::Errc::ok ||
        r->add_key(1, base_key, sf::KeyUsage::decrypt) != fs::Errc::ok) {
      state.SkipWithError("SFrame setup failed");
      return false;
    }
    tx = std::make_unique<Cryptor>(std::move(*t));
    rx = std::make_unique<Cryptor>(std::move(*r));
    frame = random_bytes(static_cast<std::size_t>(state.range(0)), 60);
    enc.assign(Cryptor::max_encrypted_size(frame.size()), 0);
    auto e = tx->encrypt(frame, enc);
    if (!e) {
      state.SkipWithError("encrypt failed");
      return false;
    }
    enc.resize(e->size());
    Bytes back(enc.size());
    auto d = rx->decrypt(enc, back);
    if (!d || !std::equal(d->begin(), d->end(), frame.begin(), frame.end())) {
      state.SkipWithError("SFrame round trip failed");
      return false;
    }
    return true;
  }
};

template <class S>
void bm_sf_encrypt(benchmark::State& state) {
  Sf<S> s;
  if (!s.init(state)) return;
  Bytes out(Sf<S>::Cryptor::max_encrypted_size(s.frame.size()));
  for (auto _ : state) {
    auto x = s.tx->encrypt(s.frame, out);
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, s.frame.size());
  state.SetLabel(std::string(S::name));
}

template <class S>
void bm_sf_decrypt(benchmark::State& state) {
  Sf<S> s;
  if (!s.init(state)) return;
  Bytes out(s.enc.size());
  for (auto _ : state) {
    auto x = s.rx->decrypt(s.enc, out);
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, s.frame.size());
  state.SetLabel(std::string(S::name));
}

template <class C>
void register_raw() {
  for (auto n : table_sizes) {
    benchmark::RegisterBenchmark(("raw/seal/" + label<C>()).c_str(), bm_raw_seal<C>)->Arg(n);
    benchmark::RegisterBenchmark(("raw/open/" + label<C>()).c_str(), bm_raw_open<C>)->Arg(n);
  }
}

template <class S>
void register_suite() {
  // Named by the suite's cipher (the raw row to compare with); the label names the suite.
  const std::string name = label<typename S::cipher_type>();
  for (auto n : table_sizes) {
    benchmark::RegisterBenchmark(("sframe/encrypt/" + name).c_str(), bm_sf_encrypt<S>)->Arg(n);
    benchmark::RegisterBenchmark(("sframe/decrypt/" + name).c_str(), bm_sf_decrypt<S>)->Arg(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_raw<fs::sodium::Aes256Gcm>();
  register_suite<sf::Suite5>();
#if defined(FRAMESEAL_BENCH_OPENSSL)
  register_raw<fs::openssl::AesCtr128HmacSha256_80>();
  register_raw<fs::openssl::AesCtr128HmacSha256_64>();
  register_raw<fs::openssl::AesCtr128HmacSha256_32>();
  register_raw<fs::openssl::Aes128Gcm>();
  register_raw<fs::openssl::Aes256Gcm>();
  register_raw<fs::openssl::AesCtr256HmacSha512_80>();
  register_raw<fs::openssl::AesCtr256HmacSha512_64>();
  register_raw<fs::openssl::AesCtr256HmacSha512_32>();
  register_suite<sf::Suite1>();
  register_suite<sf::Suite2>();
  register_suite<sf::Suite3>();
  register_suite<sf::Suite4>();
  register_suite<sf::Suite5Openssl>();
  register_suite<sf::Suite6>();
  register_suite<sf::Suite7>();
  register_suite<sf::Suite8>();
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
