// bench_frame: the LiveKit frame path against the raw AEAD call it wraps, in the same run.
//
// For every Cipher backend (OpenSSL AES-128-GCM: LiveKit's wire cipher; libsodium AES-256-GCM and
// ChaCha20-Poly1305) and every size of the sweep (bench_common.hpp: Opus 20-160 B, VP8 delta
// frames 1.2-64 KiB, VP8 key frames 256 KiB and 1 MiB):
//   raw/seal/<cipher>/<n>            C::seal of the frame's body with its clear header as AAD: exactly
//   raw/open/<cipher>/<n>            the AEAD work the frame path does, and nothing else
//   lk/encrypt/<cipher>/<n>          livekit::FrameCryptor::encrypt, out of place
//   lk/decrypt/<cipher>/<n>          livekit::FrameCryptor::decrypt, out of place (zero copy)
// and, at the table sizes, the in-place variants:
//   raw/seal-inplace, lk/encrypt-inplace     the frame buffer is the output
//   raw/open-inplace, lk/decrypt-inplace     both restore the ciphertext (memcpy) every iteration,
//                                            because an in-place open consumes it
// Codec rows (OpenSSL AES-128-GCM), 1.2 KiB to 1 MiB key frames:
//   lk/encrypt/<cipher>/{vp8-key,h264-key,h265-key}/<n>, lk/decrypt/... the H.264/H.265 path
//   (NALU scan, start-code normalisation, emulation prevention) against VP8's fixed 10-byte header.
// Every row checks its output once before timing (a decrypt of what was encrypted, compared with
// the input) and reports bytes/s (of the plaintext frame) and frames/s.
//
//   meson setup /tmp/build-bench -Dbuildtype=release -Dbench=true -Dtests=false
//   ninja -C /tmp/build-bench && /tmp/build-bench/bench/bench_frame --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true --benchmark_min_time=0.1
// (tools/bench does this and computes the ratios.) Built against BoringSSL (bench_frame-boringssl,
// meson -Dboringssl=enabled) it runs the boringssl-aes128gcm rows only.
#include <memory>

#include "bench_common.hpp"
#if defined(FRAMESEAL_BENCH_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

namespace {

using namespace fsbench;

const Bytes key_material = random_bytes(32, 77);
// ---- raw AEAD baseline: the frame's clear header is the AAD, the rest the body ----

template <class C>
struct Raw : RawAead<C> {
  SweepFrame f;
  bool init(benchmark::State& state) {
    f = sweep_frame(static_cast<std::size_t>(state.range(0)));
    const fs::BytesIn all(f.bytes);
    return RawAead<C>::init(state, all.subspan(f.clear), all.first(f.clear));
  }
};

template <class C>
void bm_raw_seal(benchmark::State& state) {
  Raw<C> r;
  if (r.init(state)) run_raw_seal(state, r, r.f.bytes.size());
}

template <class C>
void bm_raw_seal_inplace(benchmark::State& state) {
  Raw<C> r;
  if (!r.init(state)) return;
  Bytes buf(r.body.begin(), r.body.end());
  buf.resize(r.ct.size());
  const fs::BytesOut all(buf);
  if (!r.cipher->seal(all, all.first(r.body.size()), r.aad, r.nonce()) || buf != r.ct) {
    state.SkipWithError("in-place seal differs");
    return;
  }
  for (auto _ : state) {
    auto x = r.cipher->seal(all, all.first(r.body.size()), r.aad, r.nonce());
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, r.f.bytes.size());
}

template <class C>
void bm_raw_open(benchmark::State& state) {
  Raw<C> r;
  if (r.init(state)) run_raw_open(state, r, r.f.bytes.size());
}

template <class C>
void bm_raw_open_inplace(benchmark::State& state) {
  Raw<C> r;
  if (!r.init(state)) return;
  Bytes buf(r.ct.size());
  const fs::BytesOut all(buf);
  std::memcpy(buf.data(), r.ct.data(), r.ct.size());
  if (!r.cipher->open(all.first(r.body.size()), all, r.aad, r.nonce()) ||
      !std::equal(r.body.begin(), r.body.end(), buf.begin())) {
    state.SkipWithError("in-place open failed");
    return;
  }
  for (auto _ : state) {
    std::memcpy(buf.data(), r.ct.data(), r.ct.size());  // an in-place open consumes its input
    auto x = r.cipher->open(all.first(r.body.size()), all, r.aad, r.nonce());
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, r.f.bytes.size());
}

// ---- the LiveKit frame path ----

template <class C>
struct Lk {
  using Ring = fs::KeyRing<C>;
  using Cryptor = fs::livekit::FrameCryptor<C>;
  std::unique_ptr<Ring> tx_ring, rx_ring;
  std::unique_ptr<Cryptor> tx, rx;
  fs::FrameInfo info;
  Bytes frame;
  Bytes enc;  // one encrypted frame (for the decrypt rows)

  bool init(benchmark::State& state, fs::FrameInfo i, Bytes f) {
    info = i;
    frame = std::move(f);
    if (!C::available()) {
      state.SkipWithError("backend unavailable on this machine");
      return false;
    }
    for (auto* ring : {&tx_ring, &rx_ring}) {
      auto r = Ring::create();
      if (!r || r->set_key(0, key_material) != fs::Errc::ok) {
        state.SkipWithError("key ring setup failed");
        return false;
      }
      *ring = std::make_unique<Ring>(std::move(*r));
    }
    tx = std::make_unique<Cryptor>(*tx_ring);
    rx = std::make_unique<Cryptor>(*rx_ring);
    enc.assign(Cryptor::max_encrypted_size(frame.size()), 0);
    auto e = tx->encrypt(info, frame, enc);
    if (!e) {
      state.SkipWithError("encrypt failed");
      return false;
    }
    enc.resize(e->size());
    return check(state, enc);
  }

  // The frame decrypts (out of place and in place) to what was encrypted.
  bool check(benchmark::State& state, fs::BytesIn encrypted) {
    Bytes out(encrypted.size());
    auto d = rx->decrypt(info, encrypted, out);
    Bytes copy(encrypted.begin(), encrypted.end());
    auto d2 = rx->decrypt(info, copy, copy);
    if (!d || !d2 || !std::equal(d->begin(), d->end(), frame.begin(), frame.end()) ||
        !std::equal(d2->begin(), d2->end(), frame.begin(), frame.end())) {
      state.SkipWithError("frame round trip failed");
      return false;
    }
    return true;
  }
};

template <class C>
void run_lk_encrypt(benchmark::State& state, fs::FrameInfo info, Bytes frame) {
  Lk<C> s;
  if (!s.init(state, info, std::move(frame))) return;
  Bytes out(Lk<C>::Cryptor::max_encrypted_size(s.frame.size()));
  auto e = s.tx->encrypt(s.info, s.frame, out);
  if (!e || !s.check(state, *e)) return;
  for (auto _ : state) {
    auto x = s.tx->encrypt(s.info, s.frame, out);
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, s.frame.size());
}

template <class C>
void run_lk_decrypt(benchmark::State& state, fs::FrameInfo info, Bytes frame) {
  Lk<C> s;
  if (!s.init(state, info, std::move(frame))) return;
  Bytes out(s.enc.size());
  for (auto _ : state) {
    auto x = s.rx->decrypt(s.info, s.enc, out);
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, s.frame.size());
}

template <class C>
void bm_lk_encrypt(benchmark::State& state) {
  SweepFrame f = sweep_frame(static_cast<std::size_t>(state.range(0)));
  run_lk_encrypt<C>(state, f.info, std::move(f.bytes));
}

template <class C>
void bm_lk_decrypt(benchmark::State& state) {
  SweepFrame f = sweep_frame(static_cast<std::size_t>(state.range(0)));
  run_lk_decrypt<C>(state, f.info, std::move(f.bytes));
}

template <class C>
void bm_lk_encrypt_inplace(benchmark::State& state) {
  SweepFrame f = sweep_frame(static_cast<std::size_t>(state.range(0)));
  Lk<C> s;
  if (!s.init(state, f.info, std::move(f.bytes))) return;
  const std::size_t n = s.frame.size();
  Bytes buf(Lk<C>::Cryptor::max_encrypted_size(n));
  std::memcpy(buf.data(), s.frame.data(), n);
  const fs::BytesOut all(buf);
  auto e = s.tx->encrypt(s.info, all.first(n), all);
  if (!e || !s.check(state, *e)) return;
  // From here on the buffer's first n bytes are ciphertext: encrypting them again costs the same
  // (the clear header rule is fixed for audio and VP8 with a given frame type).
  for (auto _ : state) {
    auto x = s.tx->encrypt(s.info, all.first(n), all);
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, n);
}

template <class C>
void bm_lk_decrypt_inplace(benchmark::State& state) {
  SweepFrame f = sweep_frame(static_cast<std::size_t>(state.range(0)));
  Lk<C> s;
  if (!s.init(state, f.info, std::move(f.bytes))) return;
  Bytes buf(s.enc.size());
  const fs::BytesOut all(buf);
  for (auto _ : state) {
    std::memcpy(buf.data(), s.enc.data(), s.enc.size());  // as raw/open-inplace
    auto x = s.rx->decrypt(s.info, all, all);
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, s.frame.size());
}

// ---- codec rows ----

enum class KeyFrame { vp8, h264, h265 };

[[maybe_unused]] std::pair<fs::FrameInfo, Bytes> key_frame(KeyFrame k,
                                                           std::size_t n) {  // unused in -boringssl
  fs::FrameInfo info;
  info.kind = fs::MediaKind::video;
  info.key_frame = true;
  info.ssrc = 0x11223344;
  info.rtp_timestamp = 0x5e6f7081;
  switch (k) {
    case KeyFrame::vp8:
      info.codec = fs::Codec::vp8;
      return {info, vp8_frame(n, true)};
    case KeyFrame::h264:
      info.codec = fs::Codec::h264;
      return {info, h264_key_frame(n)};
    case KeyFrame::h265:
      info.codec = fs::Codec::h265;
      return {info, h265_key_frame(n)};
  }
  return {info, {}};
}

template <class C>
void bm_codec_encrypt(benchmark::State& state, KeyFrame k) {
  auto [info, frame] = key_frame(k, static_cast<std::size_t>(state.range(0)));
  run_lk_encrypt<C>(state, info, std::move(frame));
}

template <class C>
void bm_codec_decrypt(benchmark::State& state, KeyFrame k) {
  auto [info, frame] = key_frame(k, static_cast<std::size_t>(state.range(0)));
  run_lk_decrypt<C>(state, info, std::move(frame));
}

template <class C>
void register_cipher() {
  const std::string l = label<C>();
  auto reg = [](const std::string& name, auto fn, std::int64_t n) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(n);
  };
  for (auto n : sweep_sizes) {
    reg("raw/seal/" + l, bm_raw_seal<C>, n);
    reg("lk/encrypt/" + l, bm_lk_encrypt<C>, n);
    reg("raw/open/" + l, bm_raw_open<C>, n);
    reg("lk/decrypt/" + l, bm_lk_decrypt<C>, n);
  }
  for (auto n : table_sizes) {
    reg("raw/seal-inplace/" + l, bm_raw_seal_inplace<C>, n);
    reg("lk/encrypt-inplace/" + l, bm_lk_encrypt_inplace<C>, n);
    reg("raw/open-inplace/" + l, bm_raw_open_inplace<C>, n);
    reg("lk/decrypt-inplace/" + l, bm_lk_decrypt_inplace<C>, n);
  }
}

template <class C>
void register_codecs() {
  const std::string l = label<C>();
  const std::pair<KeyFrame, const char*> kinds[] = {
      {KeyFrame::vp8, "vp8-key"}, {KeyFrame::h264, "h264-key"}, {KeyFrame::h265, "h265-key"}};
  for (std::int64_t n : {1200, 16384, 65536, 1048576}) {
    for (auto [k, name] : kinds) {
      benchmark::RegisterBenchmark(("lk/encrypt/" + l + "/" + name).c_str(), bm_codec_encrypt<C>, k)->Arg(n);
      benchmark::RegisterBenchmark(("lk/decrypt/" + l + "/" + name).c_str(), bm_codec_decrypt<C>, k)->Arg(n);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#if defined(FRAMESEAL_BENCH_OPENSSL) && defined(OPENSSL_IS_BORINGSSL)
  // bench_frame-boringssl (-Dboringssl=enabled): only the rows of the BoringSSL backend
  // (boringssl-aes128gcm); the libsodium and codec rows are bench_frame's.
  register_cipher<fs::openssl::Aes128Gcm>();
#else
#  if defined(FRAMESEAL_BENCH_OPENSSL)
  register_cipher<fs::openssl::Aes128Gcm>();
  register_codecs<fs::openssl::Aes128Gcm>();
#  else
  register_codecs<fs::sodium::Aes256Gcm>();
#  endif
  register_cipher<fs::sodium::Aes256Gcm>();
  register_cipher<fs::sodium::ChaCha20Poly1305>();
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
