// unit-alloc: the frame path allocates nothing per frame in steady state, for every format.
//
// This program replaces the global operator new/delete and, on glibc without a sanitizer, malloc,
// calloc, realloc and the aligned allocators (forwarding to __libc_*); under AddressSanitizer or
// ThreadSanitizer it counts through __sanitizer_install_malloc_and_free_hooks instead. So the
// counts include what the crypto libraries allocate inside a call, not only frameseal's own `new`.
// Each case warms up (the first frames may grow the scratch buffer of a LiveKit cryptor; keys and
// ratchet caches are created outside the counted region), then counts around a loop of frames:
//   - LiveKit, per cipher backend and codec (Opus, VP8 key/delta, VP9, H.264 and H.265 key frames
//     with 3-byte start codes so the header is normalised, an H.264 delta frame), encrypt and
//     decrypt, out of place and in place; large H.264 frames that need emulation prevention;
//   - LiveKit ratchet search: success after the window was cached (also under OpenSSL, whose keys
//     are EVP contexts), success under a previous generation, and undecryptable frames (which
//     must also make no KDF call);
//   - SFrame, per suite, encrypt and decrypt, out of place and in place.
// Everything must be zero, except that OpenSSL 3.0 allocates inside EVP_MD_CTX_copy_ex for each
// AES-CTR+HMAC tag: for those SFrame suites frameseal's own `new` count must be zero and the malloc
// count is reported (MESSAGE) rather than required to be zero.
#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/sframe/openssl_suites.hpp>
#endif

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define FSTEST_ALLOC_SANITIZER 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#    define FSTEST_ALLOC_SANITIZER 1
#  endif
#endif
#if defined(FSTEST_ALLOC_SANITIZER)
// <sanitizer/allocator_interface.h> (clang ships it, GCC does not; both runtimes export it).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;

// ---- counting ----
namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_news{0};     // operator new calls (frameseal's and the standard library's)
std::atomic<std::size_t> g_mallocs{0};  // malloc-family calls (incl. those of operator new)

inline void count_new() noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_news.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if defined(FSTEST_ALLOC_SANITIZER)
namespace {
void malloc_hook(const volatile void*, std::size_t) {
  if (g_counting.load(std::memory_order_relaxed)) g_mallocs.fetch_add(1, std::memory_order_relaxed);
}
void free_hook(const volatile void*) {}
[[maybe_unused]] const int hooks_installed =
    __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
}  // namespace
constexpr const char* malloc_counting = "sanitizer allocator hooks";
#elif defined(__GLIBC__)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}
namespace {
inline void count_malloc() noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_mallocs.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace
extern "C" {
void* malloc(std::size_t n) {
  count_malloc();
  return __libc_malloc(n);
}
void* calloc(std::size_t k, std::size_t n) {
  count_malloc();
  return __libc_calloc(k, n);
}
void* realloc(void* p, std::size_t n) {
  count_malloc();
  return __libc_realloc(p, n);
}
void free(void* p) {
  __libc_free(p);
}
void* memalign(std::size_t a, std::size_t n) {
  count_malloc();
  return __libc_memalign(a, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
  count_malloc();
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, std::size_t a, std::size_t n) {
  count_malloc();
  void* p = __libc_memalign(a, n);
  if (p == nullptr) return 12;  // ENOMEM
  *out = p;
  return 0;
}
}
constexpr const char* malloc_counting = "malloc interposed (glibc __libc_*)";
#else
constexpr const char* malloc_counting = "operator new only (no malloc interposition on this libc)";
#endif

// noinline: GCC would otherwise see malloc/free paired with new/delete and warn, although the
// pairing is consistent (every replaced new uses malloc, every replaced delete uses free).
namespace {
[[gnu::noinline]] void* counted_new(std::size_t n) noexcept {
  count_new();
  return std::malloc(n != 0 ? n : 1);
}
[[gnu::noinline]] void* counted_new_aligned(std::size_t n, std::align_val_t a) noexcept {
  count_new();
  const std::size_t al = static_cast<std::size_t>(a);
  void* p = nullptr;
  if (posix_memalign(&p, al < sizeof(void*) ? sizeof(void*) : al, n != 0 ? n : 1) != 0) return nullptr;
  return p;
}
}  // namespace
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (void* p = counted_new(n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) {
  if (void* p = counted_new(n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_new(n);
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_new(n);
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = counted_new_aligned(n, a)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a) {
  if (void* p = counted_new_aligned(n, a)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace {

struct Counts {
  std::size_t news = 0, mallocs = 0;
};

// Runs f with counting on and returns what it allocated. f must not use doctest assertions
// (doctest allocates when it records one): it returns false on a wrong result instead.
template <class F>
Counts counted(F&& f, bool& ok) {
  g_news = 0;
  g_mallocs = 0;
  g_counting = true;
  ok = f();
  g_counting = false;
  return {g_news.load(), g_mallocs.load()};
}

void* volatile g_sink = nullptr;  // keeps the compiler from eliding the allocations below

TEST_CASE("the counters see allocations") {
  bool ok = false;
  const Counts c = counted(
      [] {
        auto* p = new (std::nothrow) std::uint8_t[64];
        g_sink = p;
        void* q = std::malloc(32);
        g_sink = q;
        const bool got = p != nullptr && q != nullptr;
        delete[] p;
        std::free(q);
        return got;
      },
      ok);
  MESSAGE("malloc counting: " << std::string(malloc_counting));
  CHECK(ok);
  CHECK(c.news == 1);
#if defined(FSTEST_ALLOC_SANITIZER) || defined(__GLIBC__)
  CHECK(c.mallocs >= 2);  // the malloc behind new, and the malloc
#endif
}

// ---- frames ----

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  Bytes b(n);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& v : b) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    v = static_cast<std::uint8_t>((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
  return b;
}

// A NAL unit payload as an encoder writes it: random and emulation-prevented.
Bytes nal_payload(std::size_t n, std::uint64_t seed) {
  Bytes raw = random_bytes(n, seed);
  Bytes out(livekit::escaped_size(raw));
  REQUIRE(livekit::write_rbsp(raw, out).has_value());
  if (!out.empty() && out.back() == 0) out.back() = 0x80;
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

struct FrameCase {
  std::string name;
  FrameInfo info;
  Bytes frame;
};

std::vector<FrameCase> livekit_cases() {
  std::vector<FrameCase> v;
  auto video = [](Codec c, bool key) { return FrameInfo{MediaKind::video, c, key, 0x11223344, 0x5e6f7081}; };
  Bytes opus = random_bytes(160, 1);
  opus[0] = 0x78;
  v.push_back(
      {"opus-160", FrameInfo{MediaKind::audio, Codec::opus, std::nullopt, 0x11223344, 0x5e6f7081}, opus});
  Bytes vp8k = random_bytes(16384, 2);
  vp8k[0] = 0x50, vp8k[3] = 0x9d, vp8k[4] = 0x01, vp8k[5] = 0x2a;
  v.push_back({"vp8-key-16k", video(Codec::vp8, true), vp8k});
  Bytes vp8d = random_bytes(1200, 3);
  vp8d[0] = 0x51;
  v.push_back({"vp8-delta-1200", video(Codec::vp8, false), vp8d});
  v.push_back({"vp9-1200", video(Codec::vp9, false), random_bytes(1200, 4)});
  // H.264 key frame, SPS and PPS behind 3-byte start codes: the sender normalises the header.
  v.push_back({"h264-key-16k", video(Codec::h264, true),
               cat({from_hex("00000167"), nal_payload(12, 5), from_hex("00000168"), nal_payload(4, 6),
                    from_hex("0000000165"), nal_payload(16384, 7)})});
  v.push_back(
      {"h264-delta-1200", video(Codec::h264, false), cat({from_hex("0000000141"), nal_payload(1200, 8)})});
  v.push_back(
      {"h265-key-16k", video(Codec::h265, true),
       cat({from_hex("0000014001"), nal_payload(20, 9), from_hex("0000014201"), nal_payload(30, 10),
            from_hex("0000014401"), nal_payload(6, 11), from_hex("000000012601"), nal_payload(16384, 12)})});
  return v;
}

template <class C>
struct LkPair {
  KeyRing<C> tx_ring = make_ring();
  KeyRing<C> rx_ring = make_ring();
  livekit::FrameCryptor<C> tx{tx_ring, {}, livekit::UniqueIv(0x01020304, 0)};
  livekit::FrameCryptor<C> rx{rx_ring};
  static KeyRing<C> make_ring() {
    auto r = KeyRing<C>::create();
    REQUIRE(r.has_value());
    REQUIRE(r->set_key(0, from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")) ==
            Errc::ok);
    return std::move(*r);
  }
};

// One frame through all four paths; false when a result is wrong. `expected` is the decrypted
// frame (for H.264/H.265 the clear header comes back with 4-byte start codes, so it may differ from
// the input); empty: learn it from this call. Buffers are sized by the caller.
template <class C>
bool four_ways(LkPair<C>& p, const FrameCase& c, Bytes& expected, Bytes& enc, Bytes& dec, Bytes& inplace) {
  auto e = p.tx.encrypt(c.info, c.frame, enc);
  if (!e) return false;
  auto d = p.rx.decrypt(c.info, *e, dec);
  if (!d) return false;
  if (expected.empty()) expected.assign(d->begin(), d->end());
  if (!std::equal(d->begin(), d->end(), expected.begin(), expected.end())) return false;
  std::memcpy(inplace.data(), c.frame.data(), c.frame.size());
  auto ei = p.tx.encrypt(c.info, BytesOut(inplace).first(c.frame.size()), inplace);
  if (!ei) return false;
  auto di = p.rx.decrypt(c.info, *ei, *ei);
  return di.has_value() && std::equal(di->begin(), di->end(), expected.begin(), expected.end());
}

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define FS_ALLOC_CIPHERS openssl::Aes128Gcm, sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#else
#  define FS_ALLOC_CIPHERS sodium::ChaCha20Poly1305, sodium::Aes256Gcm
#endif

TEST_CASE_TEMPLATE("LiveKit: no allocation per frame, every codec, both directions, in and out of place", C,
                   FS_ALLOC_CIPHERS) {
  if (!C::available()) return;
  LkPair<C> p;
  for (const FrameCase& c : livekit_cases()) {
    CAPTURE(c.name);
    const std::size_t cap = livekit::FrameCryptor<C>::max_encrypted_size(c.frame.size());
    Bytes expected, enc(cap), dec(cap), inplace(cap);
    REQUIRE(four_ways(p, c, expected, enc, dec, inplace));  // warm-up: the receiver's scratch buffer grows
    if (c.info.kind == MediaKind::audio || c.info.codec == Codec::vp8 || c.info.codec == Codec::vp9)
      CHECK(expected == c.frame);
    bool ok = false;
    const Counts n = counted(
        [&] {
          for (int i = 0; i < 20; ++i)
            if (!four_ways(p, c, expected, enc, dec, inplace)) return false;
          return true;
        },
        ok);
    CHECK(ok);
    CHECK(n.news == 0);
    CHECK(n.mallocs == 0);
  }
}

TEST_CASE_TEMPLATE("LiveKit: H.264 frames that need emulation prevention allocate nothing either", C,
                   FS_ALLOC_CIPHERS) {
  if (!C::available()) return;
  LkPair<C> p;
  // 256 KiB of ciphertext needs an escape in ~8% of frames (00 00 followed by a byte <= 03).
  const FrameCase c{
      "h264-key-256k", FrameInfo{MediaKind::video, Codec::h264, true, 1, 2},
      cat({from_hex("0000000167"), nal_payload(12, 20), from_hex("0000000165"), nal_payload(262144, 21)})};
  const std::size_t cap = livekit::FrameCryptor<C>::max_encrypted_size(c.frame.size());
  Bytes expected, enc(cap), dec(cap), inplace(cap);
  REQUIRE(four_ways(p, c, expected, enc, dec, inplace));
  CHECK(expected == c.frame);
  const std::size_t unescaped = c.frame.size() + livekit::FrameCryptor<C>::overhead;
  std::size_t escaped_frames = 0;
  bool ok = false;
  const Counts n = counted(
      [&] {
        for (int i = 0; i < 64; ++i) {
          if (!four_ways(p, c, expected, enc, dec, inplace)) return false;
          // the out-of-place frame of this round: longer than C||T||IV||12||KID when escaped
          auto e = p.tx.encrypt(c.info, c.frame, enc);
          if (!e) return false;
          if (e->size() > unescaped) ++escaped_frames;
          auto d = p.rx.decrypt(c.info, *e, dec);
          if (!d) return false;
        }
        return true;
      },
      ok);
  CHECK(ok);
  CHECK(escaped_frames > 0);  // deterministic: fixed key and IV counter
  CHECK(n.news == 0);
  CHECK(n.mallocs == 0);
}

// ---- ratchet search ----

std::uint64_t g_kdf_calls = 0;
struct CountingHkdf {
  [[maybe_unused]] static constexpr std::string_view name = "hkdf";
  static constexpr bool prefix_extendable = true;
  Errc derive(BytesIn material, BytesIn salt, BytesOut out) const noexcept {
    ++g_kdf_calls;
    return Hkdf{}.derive(material, salt, out);
  }
};

TEST_CASE_TEMPLATE("LiveKit ratchet search: cached window, previous generations, bad frames", C,
                   FS_ALLOC_CIPHERS) {
  if (!C::available()) return;
  using Ring = KeyRing<C, CountingHkdf>;
  using Cryptor = livekit::FrameCryptor<C>;
  KeyRingOptions o;
  o.ratchet_window = 16;
  o.previous_generations = 4;
  auto make = [&] {
    auto r = Ring::create(o);
    REQUIRE(r.has_value());
    REQUIRE(r->set_key(0, from_hex("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1")) ==
            Errc::ok);
    return std::move(*r);
  };
  Ring tx_ring = make(), rx_ring = make(), old_ring = make();
  Cryptor tx(tx_ring), rx(rx_ring), old_tx(old_ring);
  const FrameInfo audio{MediaKind::audio, Codec::opus, std::nullopt, 1, 2};
  Bytes frame = random_bytes(160, 30);
  Bytes enc(Cryptor::max_encrypted_size(frame.size())), dec(enc.size());

  // Warm-up: an undecryptable frame derives the whole window once (keys, and EVP contexts).
  auto e = tx.encrypt(audio, frame, enc);
  REQUIRE(e.has_value());
  Bytes bad(e->begin(), e->end());
  bad[3] ^= 0x40;
  CHECK(rx.decrypt(audio, bad, dec).error() == Errc::auth_failed);

  // The sender ratchets 3 steps; the receiver finds the key in its cached window and commits.
  for (int i = 0; i < 3; ++i) REQUIRE(tx_ring.ratchet(0).has_value());
  auto r3 = tx.encrypt(audio, frame, enc);
  REQUIRE(r3.has_value());
  Bytes ahead(r3->begin(), r3->end());
  auto old = old_tx.encrypt(audio, frame, enc);  // generation 0, now a previous generation
  REQUIRE(old.has_value());
  Bytes previous(old->begin(), old->end());

  // Counted: the frame 3 steps ahead (found in the cached window, committed), then the old frame
  // (found among the previous generations). Neither derives a key.
  std::uint64_t kdf_before = g_kdf_calls;
  livekit::DecryptReport rep_ahead, rep_prev;
  bool ok = false;
  Counts n = counted(
      [&] {
        auto a = rx.decrypt(audio, ahead, dec, &rep_ahead);
        if (!a || !std::equal(a->begin(), a->end(), frame.begin(), frame.end())) return false;
        auto b = rx.decrypt(audio, previous, dec, &rep_prev);
        return b.has_value() && std::equal(b->begin(), b->end(), frame.begin(), frame.end());
      },
      ok);
  CHECK(ok);
  CHECK(rep_ahead.match.ratchet_steps == 3);
  CHECK(rep_prev.match.previous_generation == 3);
  CHECK(g_kdf_calls == kdf_before);
  CHECK(n.news == 0);
  CHECK(n.mallocs == 0);

  // The window moved by 3: the next bad frame derives those 3 steps once (warm-up again) ...
  kdf_before = g_kdf_calls;
  CHECK(rx.decrypt(audio, bad, dec).error() == Errc::auth_failed);
  CHECK(g_kdf_calls - kdf_before <= 3 + 1);
  // ... and from then on bad frames cost AEAD attempts only: no KDF call, no allocation.
  kdf_before = g_kdf_calls;
  n = counted(
      [&] {
        for (int i = 0; i < 20; ++i) {
          auto x = rx.decrypt(audio, bad, dec);
          if (x || x.error() != Errc::auth_failed) return false;
          auto y = rx.decrypt(audio, ahead, dec);  // under the current key now
          if (!y || !std::equal(y->begin(), y->end(), frame.begin(), frame.end())) return false;
        }
        return true;
      },
      ok);
  CHECK(ok);
  CHECK(g_kdf_calls == kdf_before);
  CHECK(n.news == 0);
  CHECK(n.mallocs == 0);
  // An undecryptable frame costs: current key + kept generations (3 so far) + the cached window,
  // which the receive-side ratchets left short (a bare ring refills only when asked).
  std::size_t attempts = 0;
  const std::size_t short_by = rx_ring.window_deficit(0);
  CHECK(short_by > 0);
  CHECK(!rx_ring.open_with(0, [&](C&) noexcept { return ++attempts, false; }).has_value());
  CHECK(attempts == 1 + 3 + 16 - short_by);
  REQUIRE(rx_ring.refill(0) == Errc::ok);
  attempts = 0;
  CHECK(!rx_ring.open_with(0, [&](C&) noexcept { return ++attempts, false; }).has_value());
  CHECK(attempts == 1 + 3 + 16);
}

// ---- SFrame ----

template <class S>
void sframe_case(bool gcm) {
  if (!S::available()) return;
  using Cryptor = sframe::FrameCryptor<S>;
  auto t = Cryptor::create();
  auto r = Cryptor::create();
  REQUIRE((t.has_value() && r.has_value()));
  const Bytes key = random_bytes(32, 40);
  REQUIRE(t->add_key(7, key, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(r->add_key(7, key, sframe::KeyUsage::decrypt) == Errc::ok);
  const Bytes meta = from_hex("80e1");
  for (std::size_t size : {std::size_t{160}, std::size_t{16384}}) {
    CAPTURE(size);
    const Bytes frame = random_bytes(size, 41);
    Bytes enc(Cryptor::max_encrypted_size(size)), dec(enc.size()), inplace(enc.size());
    auto round = [&] {
      auto e = t->encrypt(frame, enc, meta);
      if (!e) return false;
      auto d = r->decrypt(*e, dec, meta);
      if (!d || !std::equal(d->begin(), d->end(), frame.begin(), frame.end())) return false;
      std::memcpy(inplace.data(), frame.data(), size);
      auto ei = t->encrypt(BytesOut(inplace).first(size), inplace, meta);
      if (!ei) return false;
      auto di = r->decrypt(*ei, *ei, meta);
      return di.has_value() && std::equal(di->begin(), di->end(), frame.begin(), frame.end());
    };
    REQUIRE(round());
    bool ok = false;
    const Counts n = counted(
        [&] {
          for (int i = 0; i < 20; ++i)
            if (!round()) return false;
          return true;
        },
        ok);
    CHECK(ok);
    CHECK(n.news == 0);
    if (gcm) {
      CHECK(n.mallocs == 0);
    } else {
      MESSAGE(S::name << " (" << S::cipher_type::backend << "): " << n.mallocs
                      << " malloc calls in 80 calls (40 encrypt, 40 decrypt; "
                      << static_cast<double>(n.mallocs) / 80.0 << " per call), all inside OpenSSL");
    }
  }
}

TEST_CASE("SFrame: no allocation per frame, every suite") {
  SUBCASE("0x0005 libsodium") {
    sframe_case<sframe::Suite5>(true);
  }
#if defined(FRAMESEAL_TEST_OPENSSL)
  SUBCASE("0x0001") {
    sframe_case<sframe::Suite1>(false);
  }
  SUBCASE("0x0002") {
    sframe_case<sframe::Suite2>(false);
  }
  SUBCASE("0x0003") {
    sframe_case<sframe::Suite3>(false);
  }
  SUBCASE("0x0004") {
    sframe_case<sframe::Suite4>(true);
  }
  SUBCASE("0x0005 OpenSSL") {
    sframe_case<sframe::Suite5Openssl>(true);
  }
  SUBCASE("0x0006") {
    sframe_case<sframe::Suite6>(false);
  }
  SUBCASE("0x0007") {
    sframe_case<sframe::Suite7>(false);
  }
  SUBCASE("0x0008") {
    sframe_case<sframe::Suite8>(false);
  }
#endif
}

TEST_CASE("LiveKit data tracks: no allocation per packet in steady state, sealing and reassembling") {
  using C = sodium::ChaCha20Poly1305;
  auto ring = KeyRing<C>::create().value();
  REQUIRE(ring.set_key(0, as_bytes("data track")) == Errc::ok);
  livekit::DataCryptor<C> dc(ring);
  auto pk = livekit::DataTrackPacketizer::create(3, 1200).value();
  const std::vector<std::uint8_t> frame(5000, 0x5a);
  std::vector<std::uint8_t> sealed(frame.size() + C::tag_bytes), scratch(pk.mtu()), plain(frame.size());
  // the packets of one frame, kept in buffers sized once
  std::vector<std::vector<std::uint8_t>> packets(8, std::vector<std::uint8_t>(pk.mtu()));
  std::vector<std::size_t> sizes(8);
  livekit::DataTrackDepacketizer d;
  auto one_frame = [&]() noexcept {
    auto s = dc.seal(frame, sealed);
    if (!s) return false;
    std::size_t n = 0;
    auto k = pk.packetize(s->value, 0, livekit::DataTrackE2ee{s->key_index, s->iv}, std::nullopt, scratch,
                          [&](BytesIn p) {
                            std::memcpy(packets[n].data(), p.data(), p.size());
                            sizes[n++] = p.size();
                          });
    if (!k || *k != n || n > packets.size()) return false;
    bool got = false;
    for (std::size_t i = 0; i < n; ++i) {
      auto f = d.push(BytesIn(packets[i].data(), sizes[i]));
      if (!f) return false;
      if (!*f) continue;
      auto o = dc.open((*f)->header.e2ee->key_index, (*f)->header.e2ee->iv, (*f)->payload, plain);
      got = o && o->size() == frame.size() && std::equal(o->begin(), o->end(), frame.begin());
    }
    return got;
  };
  bool ok = false;
  (void)counted(one_frame, ok);  // warm-up: the depacketizer's slots and frame buffer grow once
  REQUIRE(ok);
  const Counts c = counted(
      [&]() noexcept {
        for (int i = 0; i < 20; ++i)
          if (!one_frame()) return false;
        return true;
      },
      ok);
  CHECK(ok);
  CHECK(c.news == 0);
  CHECK(c.mallocs == 0);
}

}  // namespace
