// bench_instr: instruction counts per frame, which a busy machine does not change. Run under
// callgrind (tools/bench does):
//
//   valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=DIR/cg.%p bench_instr [ITERS]
//
// For every backend's AES-GCM / ChaCha20-Poly1305 and 160 B, 1.2 KiB and 16 KiB frames (the
// bench_common sweep frames: Opus, VP8 delta frames), four rows, each ITERS calls (default 200)
// after 20 untimed ones:
//   raw-seal, raw-open     C::seal / C::open of the frame body with its clear header as AAD
//   lk-encrypt, lk-decrypt livekit::FrameCryptor::encrypt / decrypt of the same frame, out of place
// Collection is on only around each loop, and each loop ends with a dump named
// "<row>/<backend>-<cipher>/<bytes> x<ITERS>": bench/report.py divides each dump's instruction
// total (Ir) by ITERS. Outside valgrind the client requests do nothing and the program only checks
// its round trips. Built against BoringSSL it is bench_instr-boringssl (boringssl-* rows).
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_common.hpp"
#if defined(FRAMESEAL_BENCH_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

namespace {

using namespace fsbench;

void die(const std::string& why) {
  std::fprintf(stderr, "bench_instr: %s\n", why.c_str());
  std::exit(1);
}

template <class F>
void measure(const std::string& name, int iters, F&& call) {
  for (int i = 0; i < 20; ++i) call();  // warm: first-use paths (scratch growth, lazy tables) are not counted
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  for (int i = 0; i < iters; ++i) call();
  CALLGRIND_TOGGLE_COLLECT;
  const std::string label = name + " x" + std::to_string(iters);
  CALLGRIND_DUMP_STATS_AT(label.c_str());
  std::printf("%s\n", label.c_str());
}

template <class C>
void rows(int iters) {
  if (!C::available()) return;
  const Bytes material = random_bytes(32, 77);
  for (std::size_t n : {std::size_t{160}, std::size_t{1200}, std::size_t{16384}}) {
    const std::string suffix = "/" + label<C>() + "/" + std::to_string(n);
    SweepFrame f = sweep_frame(n);
    const fs::BytesIn all(f.bytes);

    // raw: the same AEAD work as the frame path, nothing else
    const Bytes key = random_bytes(C::key_bytes, 79);
    const Bytes nonce_bytes = random_bytes(C::nonce_bytes, 78);
    const std::span<const std::uint8_t, C::nonce_bytes> nonce(nonce_bytes.data(), C::nonce_bytes);
    auto cipher = C::create(key_span<C>(key));
    if (!cipher) die("create failed");
    Bytes ct(n - f.clear + C::tag_bytes), back(n);
    if (!cipher->seal(ct, all.subspan(f.clear), all.first(f.clear), nonce)) die("raw seal failed");
    measure("raw-seal" + suffix, iters, [&] {
      if (!cipher->seal(ct, all.subspan(f.clear), all.first(f.clear), nonce)) die("raw seal failed");
    });
    measure("raw-open" + suffix, iters, [&] {
      if (!cipher->open(back, ct, all.first(f.clear), nonce)) die("raw open failed");
    });

    // the frame path (key rings with the default window, as the session layer keeps them)
    using Ring = fs::KeyRing<C>;
    using Cryptor = fs::livekit::FrameCryptor<C>;
    auto tx_ring = Ring::create(), rx_ring = Ring::create();
    if (!tx_ring || !rx_ring || tx_ring->set_key(0, material) != fs::Errc::ok ||
        rx_ring->set_key(0, material) != fs::Errc::ok)
      die("key ring setup failed");
    Cryptor tx(*tx_ring), rx(*rx_ring);
    Bytes enc(Cryptor::max_encrypted_size(n));
    auto sealed = tx.encrypt(f.info, f.bytes, enc);
    if (!sealed) die("encrypt failed");
    const Bytes frame(sealed->begin(), sealed->end());
    Bytes out(frame.size());
    measure("lk-encrypt" + suffix, iters, [&] {
      if (!tx.encrypt(f.info, f.bytes, enc)) die("encrypt failed");
    });
    measure("lk-decrypt" + suffix, iters, [&] {
      auto r = rx.decrypt(f.info, frame, out);
      if (!r || r->size() != n) die("decrypt failed");
    });
    auto r = rx.decrypt(f.info, frame, out);
    if (!r || !std::equal(r->begin(), r->end(), f.bytes.begin(), f.bytes.end())) die("decrypt differs");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 200;
  if (iters <= 0) die("usage: bench_instr [ITERS > 0]");
#if defined(FRAMESEAL_BENCH_OPENSSL)
  rows<fs::openssl::Aes128Gcm>(iters);
#endif
#if !defined(OPENSSL_IS_BORINGSSL)
  rows<fs::sodium::Aes256Gcm>(iters);
  rows<fs::sodium::ChaCha20Poly1305>(iters);
#endif
  return 0;
}
