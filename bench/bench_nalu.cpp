// bench_nalu: the H.264/H.265 byte-stream work of the LiveKit format, alone.
//
//   nalu/scan/<stream>/<n>          AnnexBScanner over the whole frame: every NAL unit with its end
//                                   (the scanner of codec/nalu.hpp; target >= 2 GB/s)
//   nalu/first-slice/<stream>/<n>   find_first_slice: what the clear-header rule runs per frame
//                                   (stops at the first H.264 slice; H.265 frames are scanned to the
//                                   end, because an H.264 slice anywhere would outrank them)
//   rbsp/escaped-size/random/<n>    the counting scan every H.264/H.265 encrypt makes over C||T||IV
//   rbsp/write/random/<n>           write_rbsp (count + copy) of random bytes, out of place
//   rbsp/needs-unescape/random/<n>  the check every H.264/H.265 decrypt makes
//   rbsp/unescape/escaped/<n>       unescape_rbsp of an escaped random buffer
//   baseline/memchr/<n>, baseline/memcpy/<n>   glibc's scan and copy of the same bytes, for scale
// Streams: h264-key and h265-key (SPS/PPS[/VPS] + one IDR slice with an emulation-prevented random
// payload, bench_common.hpp), h264-file (every frame of tests/data/h264-160x120-2s.h264, real x264
// output, scanned as one stream), and two crafted worst cases: dense-01 (00 00 01 00 00 01 ...: a
// NAL unit every 3 bytes) and zeros (one zero run, no start code). Each row checks its result once
// against a simple reference before timing and reports bytes/s and frames/s (frames = calls).
#include <fstream>
#include <iterator>

#include "bench_common.hpp"

namespace {

using namespace fsbench;

#if defined(FRAMESEAL_BENCH_DATA_DIR)
Bytes read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
#endif

Bytes zeros(std::size_t n) {
  return Bytes(n, 0);
}

Bytes dense01(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = (i % 3 == 2) ? 1 : 0;
  return b;
}

// Reference: the start codes of a stream, by a byte-at-a-time walk (livekit's findNALUIndices
// without the end computation): used to check the scanner's count once.
std::size_t reference_nalu_count(const Bytes& b) {
  std::size_t count = 0, i = 0;
  const std::size_t n = b.size();
  while (i + 3 < n) {
    if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 0 && b[i + 3] == 1) {
      i += 4;
    } else if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
      i += 3;
    } else {
      ++i;
      continue;
    }
    if (i + 3 < n) ++count;
  }
  return count;
}

std::size_t scan_count(fs::BytesIn b) {
  fs::AnnexBScanner s(b);
  fs::Nalu u;
  std::size_t count = 0;
  while (s.next(u)) ++count;
  return count;
}

void bm_scan(benchmark::State& state, Bytes (*make)(std::size_t)) {
  const Bytes b = make(static_cast<std::size_t>(state.range(0)));
  if (b.empty()) {
    state.SkipWithError("no input (data file missing)");
    return;
  }
  if (scan_count(b) != reference_nalu_count(b)) {
    state.SkipWithError("NAL unit count differs from the reference walk");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(scan_count(b));
  set_rates(state, b.size());
}

void bm_first_slice(benchmark::State& state, Bytes (*make)(std::size_t), fs::Codec want) {
  const Bytes b = make(static_cast<std::size_t>(state.range(0)));
  const fs::FirstSlice s = fs::find_first_slice(b);
  if (s.leading_data || s.codec != want) {
    state.SkipWithError("first slice not found");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(fs::find_first_slice(b));
  set_rates(state, b.size());
}

// Reference escape count: the zero-counter loop of livekit's writeRbsp, byte by byte.
std::size_t reference_insertions(const Bytes& b) {
  std::size_t zeros = 0, count = 0;
  for (auto x : b) {
    if (zeros >= 2 && x <= 3) {
      ++count;
      zeros = 0;
    }
    zeros = x == 0 ? zeros + 1 : 0;
  }
  return count;
}

// Random bytes with a few escapes planted, so every row exercises the insertion path too.
Bytes random_with_escapes(std::size_t n) {
  Bytes b = random_bytes(n, 9);
  for (std::size_t at = 1000; at + 3 < n; at += 100000) b[at] = b[at + 1] = 0, b[at + 2] = 1;
  return b;
}

void bm_escaped_size(benchmark::State& state) {
  const Bytes b = random_with_escapes(static_cast<std::size_t>(state.range(0)));
  if (fs::livekit::escape_insertions(b) != reference_insertions(b)) {
    state.SkipWithError("escape count differs from the reference");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(fs::livekit::escaped_size(b));
  set_rates(state, b.size());
}

void bm_write_rbsp(benchmark::State& state) {
  const Bytes b = random_with_escapes(static_cast<std::size_t>(state.range(0)));
  Bytes out(fs::livekit::max_escaped_size(b.size()));
  auto w = fs::livekit::write_rbsp(b, out);
  Bytes back(b.size());
  if (!w || w->size() != b.size() + reference_insertions(b) || !fs::livekit::unescape_rbsp(*w, back) ||
      back != b) {
    state.SkipWithError("escape round trip failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fs::livekit::write_rbsp(b, out));
    benchmark::ClobberMemory();
  }
  set_rates(state, b.size());
}

void bm_needs_unescape(benchmark::State& state) {
  const Bytes b = random_bytes(static_cast<std::size_t>(state.range(0)), 10);
  bool ref = false;
  for (std::size_t i = 0; i + 3 < b.size(); ++i) ref |= b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 3;
  if (fs::livekit::needs_unescape(b) != ref) {
    state.SkipWithError("needs_unescape differs from the reference");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(fs::livekit::needs_unescape(b));
  set_rates(state, b.size());
}

void bm_unescape(benchmark::State& state) {
  const Bytes raw = random_with_escapes(static_cast<std::size_t>(state.range(0)));
  const Bytes esc = escaped(raw);
  Bytes out(esc.size());
  auto u = fs::livekit::unescape_rbsp(esc, out);
  if (!u || !std::equal(u->begin(), u->end(), raw.begin(), raw.end())) {
    state.SkipWithError("unescape differs");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fs::livekit::unescape_rbsp(esc, out));
    benchmark::ClobberMemory();
  }
  set_rates(state, esc.size());
}

void bm_memchr(benchmark::State& state) {
  Bytes b = random_bytes(static_cast<std::size_t>(state.range(0)), 11);
  for (auto& x : b) x |= 0x80;  // no hit: one pass over everything
  if (std::memchr(b.data(), 0x01, b.size()) != nullptr) {
    state.SkipWithError("unexpected hit");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::memchr(b.data(), 0x01, b.size()));
    benchmark::ClobberMemory();
  }
  set_rates(state, b.size());
}

void bm_memcpy(benchmark::State& state) {
  const Bytes b = random_bytes(static_cast<std::size_t>(state.range(0)), 12);
  Bytes out(b.size());
  for (auto _ : state) {
    std::memcpy(out.data(), b.data(), b.size());
    benchmark::ClobberMemory();
  }
  if (out != b) state.SkipWithError("memcpy differs");
  set_rates(state, b.size());
}

Bytes h264_key(std::size_t n) {
  return h264_key_frame(n);
}
Bytes h265_key(std::size_t n) {
  return h265_key_frame(n);
}
Bytes h264_file(std::size_t) {
#if defined(FRAMESEAL_BENCH_DATA_DIR)
  return read_file(std::string(FRAMESEAL_BENCH_DATA_DIR) + "/h264-160x120-2s.h264");
#else
  return {};
#endif
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::int64_t sizes[] = {1200, 16384, 65536, 1048576};
  for (auto n : sizes) {
    benchmark::RegisterBenchmark("nalu/scan/h264-key", bm_scan, &h264_key)->Arg(n);
    benchmark::RegisterBenchmark("nalu/scan/h265-key", bm_scan, &h265_key)->Arg(n);
    benchmark::RegisterBenchmark("nalu/first-slice/h264-key", bm_first_slice, &h264_key, fs::Codec::h264)
        ->Arg(n);
    benchmark::RegisterBenchmark("nalu/first-slice/h265-key", bm_first_slice, &h265_key, fs::Codec::h265)
        ->Arg(n);
    benchmark::RegisterBenchmark("rbsp/escaped-size/random", bm_escaped_size)->Arg(n);
    benchmark::RegisterBenchmark("rbsp/write/random", bm_write_rbsp)->Arg(n);
    benchmark::RegisterBenchmark("rbsp/needs-unescape/random", bm_needs_unescape)->Arg(n);
    benchmark::RegisterBenchmark("rbsp/unescape/escaped", bm_unescape)->Arg(n);
    benchmark::RegisterBenchmark("baseline/memchr", bm_memchr)->Arg(n);
    benchmark::RegisterBenchmark("baseline/memcpy", bm_memcpy)->Arg(n);
  }
  benchmark::RegisterBenchmark("nalu/scan/dense-01", bm_scan, &dense01)->Arg(16384);
  benchmark::RegisterBenchmark("nalu/scan/zeros", bm_scan, &zeros)->Arg(16384);
  benchmark::RegisterBenchmark("nalu/scan/h264-file", bm_scan, &h264_file)->Arg(0);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
