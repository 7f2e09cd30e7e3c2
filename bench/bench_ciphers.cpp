// bench_ciphers: the raw AEAD and KDF costs under frameseal's Cipher backends.
//
//   seal/<backend>-<cipher>/<bytes>, open/...   one call per frame through the Cipher API (keyed once)
//   seal/openssl-aes128gcm-fresh-ctx/<bytes>     the same frame with a new EVP_CIPHER_CTX keyed per
//                                                frame: what per-frame key setup would cost
//   kdf/hkdf-sha256-livekit-16                   HKDF-SHA256(material, "LKFrameEncryptionKey",
//                                                info = 128 zero bytes) -> 16-byte AES key
//   kdf/pbkdf2-100k/<backend>                    LiveKit's PBKDF2 (100000 iterations, 16 bytes)
// Each benchmark checks its output once before timing (a round trip, or a known answer) and reports
// bytes/s and frames/s. Sizes: 160 B (an audio frame) and 16 KiB (a video frame).
//
//   meson setup /tmp/build-bench -Dbuildtype=release -Dbench=true -Dtests=false
//   ninja -C /tmp/build-bench && /tmp/build-bench/bench/bench_ciphers --benchmark_min_time=0.2
// bench_ciphers-boringssl (-Dboringssl=enabled) is this file built against BoringSSL: the backend's
// rows only, named boringssl-* (its AES-GCM is EVP_AEAD), beside bench_ciphers' openssl-* rows.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <frameseal/frameseal.hpp>
#include <string>
#include <vector>
#if defined(FRAMESEAL_BENCH_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

namespace {

namespace fs = frameseal;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t frame_sizes[] = {160, 16 * 1024};

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31);
  return b;
}

std::string hex(fs::BytesIn b) {
  static constexpr char d[] = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s.push_back(d[x >> 4]);
    s.push_back(d[x & 15]);
  }
  return s;
}

void set_rates(benchmark::State& state, std::size_t frame_bytes) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame_bytes));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// A keyed instance plus a frame sealed once and checked by a round trip; nullptr-like failure is
// reported through SkipWithError so a broken backend never produces a number.
template <class C>
struct Setup {
  Bytes key = pattern(C::key_bytes, 1);
  Bytes nonce = pattern(C::nonce_bytes, 2);
  Bytes aad = pattern(1, 3);  // LiveKit audio: the Opus TOC byte in clear
  Bytes pt, ct, back;
  fs::Result<C> cipher = fs::Errc::internal_error;

  bool init(benchmark::State& state, std::size_t n) {
    if (!C::available()) {
      state.SkipWithError("backend unavailable on this machine");
      return false;
    }
    cipher = C::create(std::span<const std::uint8_t, C::key_bytes>(key.data(), C::key_bytes));
    if (!cipher) {
      state.SkipWithError("create failed");
      return false;
    }
    pt = pattern(n, 4);
    ct.assign(n + C::tag_bytes, 0);
    back.assign(n, 0);
    auto s = cipher->seal(ct, pt, aad, nonce_span());
    auto o = cipher->open(back, ct, aad, nonce_span());
    if (!s || !o || back != pt) {
      state.SkipWithError("round trip failed");
      return false;
    }
    return true;
  }
  std::span<const std::uint8_t, C::nonce_bytes> nonce_span() const {
    return std::span<const std::uint8_t, C::nonce_bytes>(nonce.data(), C::nonce_bytes);
  }
};

template <class C>
void bm_seal(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Setup<C> s;
  if (!s.init(state, n)) return;
  Bytes out(n + C::tag_bytes);
  for (auto _ : state) {
    auto r = s.cipher->seal(out, s.pt, s.aad, s.nonce_span());
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  set_rates(state, n);
}

template <class C>
void bm_open(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Setup<C> s;
  if (!s.init(state, n)) return;
  Bytes out(n);
  for (auto _ : state) {
    auto r = s.cipher->open(out, s.ct, s.aad, s.nonce_span());
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  set_rates(state, n);
}

template <class C>
void register_cipher() {
  const std::string label = std::string(C::backend) + "-" + std::string(C::name);
  for (auto n : frame_sizes) {
    benchmark::RegisterBenchmark(("seal/" + label).c_str(), bm_seal<C>)->Arg(n);
    benchmark::RegisterBenchmark(("open/" + label).c_str(), bm_open<C>)->Arg(n);
  }
}

#if defined(FRAMESEAL_BENCH_OPENSSL)
// The baseline: AES-128-GCM with the whole EVP setup (context allocation, cipher fetch, key
// schedule) repeated per frame, as code that keeps only raw keys around would do.
bool fresh_ctx_seal(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& pt, Bytes& out) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, key.data(), iv.data()) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx, out.data(), &len, pt.data(), static_cast<int>(pt.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, out.data() + pt.size(), &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + pt.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

bool fresh_ctx_open(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& ct, Bytes& out) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  const std::size_t n = ct.size() - 16;
  std::uint8_t tag[16];
  std::memcpy(tag, ct.data() + n, 16);
  std::uint8_t fin[16];
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, key.data(), iv.data()) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx, out.data(), &len, ct.data(), static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx, fin, &len) > 0;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

void bm_fresh_seal(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Setup<fs::openssl::Aes128Gcm> s;
  if (!s.init(state, n)) return;
  Bytes out(n + 16);
  if (!fresh_ctx_seal(s.key, s.nonce, s.aad, s.pt, out) || out != s.ct) {  // same bytes as the keyed instance
    state.SkipWithError("fresh-context seal differs");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fresh_ctx_seal(s.key, s.nonce, s.aad, s.pt, out));
    benchmark::ClobberMemory();
  }
  set_rates(state, n);
}

void bm_fresh_open(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Setup<fs::openssl::Aes128Gcm> s;
  if (!s.init(state, n)) return;
  Bytes out(n);
  if (!fresh_ctx_open(s.key, s.nonce, s.aad, s.ct, out) || out != s.pt) {
    state.SkipWithError("fresh-context open failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fresh_ctx_open(s.key, s.nonce, s.aad, s.ct, out));
    benchmark::ClobberMemory();
  }
  set_rates(state, n);
}
#endif

// ---- KDFs ----

const Bytes chain_m0 = [] {
  Bytes b(32);
  for (std::size_t i = 0; i < 32; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}();

void bm_hkdf_livekit(benchmark::State& state) {
  const auto salt = fs::as_bytes("LKFrameEncryptionKey");
  Bytes key(16);
  // livekit-client 2.23.0 chain-hkdf: AESKey(00..1f) (tests/vectors/livekit).
  if (fs::Hkdf{}.derive(chain_m0, salt, key) != fs::Errc::ok ||
      hex(key) != "6d0dd7b3d6f4efde47ab9a9e15abde76") {
    state.SkipWithError("HKDF known answer failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fs::Hkdf{}.derive(chain_m0, salt, key));
    benchmark::ClobberMemory();
  }
  state.counters["derives/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void bm_pbkdf2(benchmark::State& state, fs::Pbkdf2Fn fn) {
  // The webrtc-sdk unit-test anchor: PBKDF2(00..0f, 00..07, 100000, 16).
  Bytes pw(16), salt(8), key(16);
  for (std::size_t i = 0; i < pw.size(); ++i) pw[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<std::uint8_t>(i);
  if (fn(pw, salt, 100000, key) != fs::Errc::ok || hex(key) != "a658cd52efbacadfecdfe0a0dc574ec3") {
    state.SkipWithError("PBKDF2 known answer failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(pw, salt, 100000, key));
    benchmark::ClobberMemory();
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

#if defined(FRAMESEAL_BENCH_OPENSSL) && defined(OPENSSL_IS_BORINGSSL)
  // bench_ciphers-boringssl (-Dboringssl=enabled): the backend's rows only, named "boringssl".
  constexpr bool libsodium_rows = false;
#else
  constexpr bool libsodium_rows = true;
#endif
  if (libsodium_rows) {
    register_cipher<fs::sodium::Aes256Gcm>();
    register_cipher<fs::sodium::ChaCha20Poly1305>();
  }
#if defined(FRAMESEAL_BENCH_OPENSSL)
  const std::string ssl(fs::openssl::Aes128Gcm::backend);  // "openssl" or "boringssl"
  register_cipher<fs::openssl::Aes128Gcm>();
  register_cipher<fs::openssl::Aes256Gcm>();
  register_cipher<fs::openssl::AesCtr128HmacSha256_80>();
  register_cipher<fs::openssl::AesCtr256HmacSha512_80>();
  for (auto n : frame_sizes) {
    benchmark::RegisterBenchmark(("seal/" + ssl + "-aes128gcm-fresh-ctx").c_str(), bm_fresh_seal)->Arg(n);
    benchmark::RegisterBenchmark(("open/" + ssl + "-aes128gcm-fresh-ctx").c_str(), bm_fresh_open)->Arg(n);
  }
#endif
  if (libsodium_rows) {
    benchmark::RegisterBenchmark("kdf/hkdf-sha256-livekit-16", bm_hkdf_livekit);
    benchmark::RegisterBenchmark("kdf/pbkdf2-100k/libsodium", bm_pbkdf2, &fs::pbkdf2_hmac_sha256)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(5);
  }
#if defined(FRAMESEAL_BENCH_OPENSSL)
  benchmark::RegisterBenchmark(("kdf/pbkdf2-100k/" + ssl).c_str(), bm_pbkdf2,
                               &fs::openssl::pbkdf2_hmac_sha256)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(5);
#endif

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
