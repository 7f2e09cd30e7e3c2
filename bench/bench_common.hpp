// bench_common.hpp: what the frameseal benchmark programs share: deterministic random bytes,
// realistic frames per codec, the frame-size sweep, the rate counters and a KDF call counter.
//
// Row names follow one scheme so tools/bench can pair a frame-path row with its baseline:
//   <group>/<op>/<backend-cipher>[/<variant>]/<bytes>
// e.g. raw/seal/openssl-aes128gcm/16384 beside lk/encrypt/openssl-aes128gcm/16384. Every row
// reports bytes/s (of the input frame) and frames/s.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <frameseal/frameseal.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fsbench {

namespace fs = frameseal;
using Bytes = std::vector<std::uint8_t>;

// The sweep: audio 20-160 B (Opus), video 1.2-64 KiB (VP8 delta frames), key frames to 1 MiB.
inline constexpr std::int64_t sweep_sizes[] = {20, 60, 160, 1200, 4096, 16384, 65536, 262144, 1048576};
// The sizes of the ratio table (every row kind runs at these).
inline constexpr std::int64_t table_sizes[] = {20, 160, 1200, 16384, 65536, 1048576};

// xorshift64*: random-looking bytes (byte values and zero runs as in compressed media or ciphertext),
// the same for every run.
inline Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  Bytes b(n);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    b[i] = static_cast<std::uint8_t>((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
  return b;
}

// Encoder output never contains 00 00 00..03 inside a NAL unit (emulation prevention): the same
// escaping LiveKit applies to ciphertext (livekit::write_rbsp).
inline Bytes escaped(const Bytes& raw) {
  Bytes out(fs::livekit::escaped_size(raw));
  if (!raw.empty() && !fs::livekit::write_rbsp(raw, out)) std::abort();
  return out;
}

inline void append(Bytes& b, const Bytes& x) {
  b.insert(b.end(), x.begin(), x.end());
}

// Opus: a TOC byte (LiveKit keeps 1 byte in clear) and the coded payload.
inline Bytes opus_frame(std::size_t n, std::uint64_t seed = 1) {
  Bytes b = random_bytes(n, seed);
  if (n) b[0] = 0x78;  // SILK-only WB 20 ms, stereo 0, one frame
  return b;
}

// VP8: frame tag (bit 0 = 0 for a key frame), a key frame's start code and size, payload.
inline Bytes vp8_frame(std::size_t n, bool key, std::uint64_t seed = 2) {
  Bytes b = random_bytes(n, seed);
  if (n >= 10) {
    b[0] = key ? 0x50 : 0x51;
    if (key) {
      b[3] = 0x9d, b[4] = 0x01, b[5] = 0x2a;
      b[6] = 0x80, b[7] = 0x07, b[8] = 0x38, b[9] = 0x04;  // 1920 x 1080
    }
  }
  return b;
}

// H.264 key frame as an encoder emits it (Annex-B, 4-byte start codes): SPS, PPS, then one IDR
// slice carrying the rest; the slice payload is random and emulation-prevented.
inline Bytes h264_key_frame(std::size_t n, std::uint64_t seed = 3) {
  Bytes b = {0,    0,    0,    1,    0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01,
             0x40, 0x16, 0xe8, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40,  // SPS
             0,    0,    0,    1,    0x68, 0xce, 0x3c, 0x80,        // PPS
             0,    0,    0,    1,    0x65, 0x88, 0x84};             // IDR
  Bytes payload = escaped(random_bytes(n > b.size() ? n - b.size() : 16, seed));
  append(b, payload);
  b.resize(std::max(n, std::size_t{32}));
  if (b.back() == 0) b.back() = 0x80;  // rbsp_stop_one_bit: a NAL unit never ends in 00
  return b;
}

// H.265 key frame: VPS, SPS, PPS, then an IDR_W_RADL slice segment (type 19) with the rest.
inline Bytes h265_key_frame(std::size_t n, std::uint64_t seed = 4) {
  Bytes b = {0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90,  // VPS
             0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0xa0, 0x03, 0xc0,  // SPS
             0, 0, 0, 1, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40,                                      // PPS
             0, 0, 0, 1, 0x26, 0x01, 0xaf};  // IDR_W_RADL
  Bytes payload = escaped(random_bytes(n > b.size() ? n - b.size() : 16, seed));
  append(b, payload);
  b.resize(std::max(n, std::size_t{48}));
  if (b.back() == 0) b.back() = 0x80;
  return b;
}

// The frame kind the sweep uses at each size: Opus up to 160 B, VP8 delta frames up to 64 KiB,
// VP8 key frames above.
struct SweepFrame {
  fs::FrameInfo info;
  Bytes bytes;
  std::size_t clear = 0;  // LiveKit clear-header bytes (the AEAD's AAD)
};
inline SweepFrame sweep_frame(std::size_t n) {
  SweepFrame f;
  if (n <= 160) {
    f.info.kind = fs::MediaKind::audio;
    f.info.codec = fs::Codec::opus;
    f.bytes = opus_frame(n);
    f.clear = 1;
  } else {
    const bool key = n > 65536;
    f.info.kind = fs::MediaKind::video;
    f.info.codec = fs::Codec::vp8;
    f.info.key_frame = key;
    f.bytes = vp8_frame(n, key);
    f.clear = key ? 10 : 3;
  }
  f.info.ssrc = 0x11223344;
  f.info.rtp_timestamp = 0x5e6f7081;
  return f;
}

inline void set_rates(benchmark::State& state, std::size_t frame_bytes) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame_bytes));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

template <class C>
std::string label() {
  return std::string(C::backend) + "-" + std::string(C::name);
}

template <class C>
std::span<const std::uint8_t, C::key_bytes> key_span(const Bytes& k) {
  return std::span<const std::uint8_t, C::key_bytes>(k.data(), C::key_bytes);
}

// The raw AEAD call a frame-path row is compared with: one keyed cipher over a body and its AAD
// (the program decides which bytes those are), with the ciphertext, checked by a round trip before
// anything is timed.
template <class C>
struct RawAead {
  Bytes key = random_bytes(C::key_bytes, 79);
  Bytes nonce_bytes = random_bytes(C::nonce_bytes, 78);
  fs::Result<C> cipher = fs::Errc::internal_error;
  fs::BytesIn body, aad;
  Bytes ct;

  std::span<const std::uint8_t, C::nonce_bytes> nonce() const {
    return std::span<const std::uint8_t, C::nonce_bytes>(nonce_bytes.data(), C::nonce_bytes);
  }
  bool init(benchmark::State& state, fs::BytesIn b, fs::BytesIn a) {
    body = b;
    aad = a;
    if (!C::available()) {
      state.SkipWithError("backend unavailable on this machine");
      return false;
    }
    cipher = C::create(key_span<C>(key));
    if (!cipher) {
      state.SkipWithError("create failed");
      return false;
    }
    ct.assign(body.size() + C::tag_bytes, 0);
    Bytes back(body.size());
    if (!cipher->seal(ct, body, aad, nonce()) || !cipher->open(back, ct, aad, nonce()) ||
        !std::equal(back.begin(), back.end(), body.begin())) {
      state.SkipWithError("raw round trip failed");
      return false;
    }
    return true;
  }
};

// The timed loops of the raw rows (out of place); frame_bytes is what the rates count.
template <class C>
void run_raw_seal(benchmark::State& state, RawAead<C>& r, std::size_t frame_bytes) {
  Bytes out(r.ct.size());
  for (auto _ : state) {
    auto x = r.cipher->seal(out, r.body, r.aad, r.nonce());
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, frame_bytes);
}
template <class C>
void run_raw_open(benchmark::State& state, RawAead<C>& r, std::size_t frame_bytes) {
  Bytes out(r.body.size());
  for (auto _ : state) {
    auto x = r.cipher->open(out, r.ct, r.aad, r.nonce());
    benchmark::DoNotOptimize(x);
    benchmark::ClobberMemory();
  }
  set_rates(state, frame_bytes);
}

// A KDF policy that counts its calls (to show that a cached ratchet search derives nothing).
inline std::uint64_t kdf_calls = 0;
template <class Kdf>
struct CountingKdf {
  static constexpr std::string_view name = Kdf::name;
  static constexpr bool prefix_extendable = Kdf::prefix_extendable;
  Kdf inner{};
  fs::Errc derive(fs::BytesIn material, fs::BytesIn salt, fs::BytesOut out) const noexcept {
    ++kdf_calls;
    return inner.derive(material, salt, out);
  }
};

}  // namespace fsbench
