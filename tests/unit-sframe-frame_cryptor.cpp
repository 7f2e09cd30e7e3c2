// sframe::FrameCryptor: the five full RFC 9605 C.3 cases (and the three post-RFC ones) encrypted
// byte for byte and decrypted; then round trips per suite in place and out of place with guard
// bytes, metadata, every flipped bit, malformed input, key usage, the sender counter (monotonic
// across key changes, exhaustion), replay windows, the sender-key ratchet (forward window, kept
// steps, commit only after authentication, wrap-around of the step bits), no allocation per frame,
// and the interface it shares with livekit::FrameCryptor.
#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/sframe/openssl_suites.hpp>
#endif

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <random>
#include <type_traits>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

// ---- allocation counting (C++ allocations only: frameseal's own; OpenSSL uses malloc) ----
// GCC sees the inlined free() of these replacements pair with `new` and warns; they are a matched
// replacement pair (new -> malloc, delete -> free), so the warning is silenced here only.
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::size_t> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  std::abort();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using sframe::CounterStart;
using sframe::FrameCryptorOptions;
using sframe::KeyUsage;

const Bytes base_key = from_hex("000102030405060708090a0b0c0d0e0f");
const Bytes other_key = from_hex("f0e0d0c0b0a090807060504030201000");

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng() >> 24);
  return b;
}

nlohmann::json load(const char* file) {
  std::ifstream f(fstest::vectors_dir() + "/sframe/" + file);
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

template <class S>
sframe::FrameCryptor<S> make(FrameCryptorOptions o = {}) {
  auto r = sframe::FrameCryptor<S>::create(o);
  REQUIRE_MESSAGE(r.has_value(), to_string(r.error()));
  return std::move(r).value();
}

// A sender and a receiver sharing one key (the sender's encrypt key is the receiver's decrypt key).
template <class S>
struct Pair {
  sframe::FrameCryptor<S> tx;
  sframe::FrameCryptor<S> rx;
  std::uint64_t kid;
  explicit Pair(FrameCryptorOptions o = {}, std::uint64_t k = 1) : tx(make<S>(o)), rx(make<S>(o)), kid(k) {
    REQUIRE(tx.add_key(kid, base_key, KeyUsage::encrypt) == Errc::ok);
    REQUIRE(rx.add_key(kid, base_key, KeyUsage::decrypt) == Errc::ok);
  }
  Bytes encrypt(const Bytes& frame, const Bytes& metadata = {}) {
    fstest::Guarded out(sframe::FrameCryptor<S>::max_encrypted_size(frame.size()));
    const std::size_t expected = tx.encrypted_size(frame.size());
    auto r = tx.encrypt(frame, out.span(), metadata);
    REQUIRE_MESSAGE(r.has_value(), to_string(r.error()));
    CHECK(r->size() == expected);
    CHECK(r->data() == out.span().data());
    CHECK(out.guard_intact());
    return Bytes(r->begin(), r->end());
  }
  Result<Bytes> decrypt(const Bytes& frame, const Bytes& metadata = {},
                        sframe::DecryptReport* rep = nullptr) {
    fstest::Guarded out(frame.size());
    auto r = rx.decrypt(frame, out.span(), metadata, rep);
    CHECK(out.guard_intact());
    if (!r) return r.error();
    return Bytes(r->begin(), r->end());
  }
};

std::uint64_t ctr_of(const Bytes& frame) {
  return sframe::parse(frame).value().header.ctr;
}
std::uint64_t kid_of(const Bytes& frame) {
  return sframe::parse(frame).value().header.kid;
}

// ---- the RFC vectors ----

template <class S>
void check_full_vector(const nlohmann::json& v) {
  const auto kid = v["kid"].get<std::uint64_t>();
  const auto ctr = v["ctr"].get<std::uint64_t>();
  const Bytes key = from_hex(v["base_key"].get<std::string>());
  const Bytes metadata = from_hex(v["metadata"].get<std::string>());
  const Bytes pt = from_hex(v["pt"].get<std::string>());
  const Bytes ct = from_hex(v["ct"].get<std::string>());

  FrameCryptorOptions o;
  o.counter_start = CounterStart::zero;
  auto tx = make<S>(o);
  REQUIRE(tx.add_key(kid, key, KeyUsage::encrypt) == Errc::ok);
  REQUIRE(tx.advance_counter_to(ctr) == Errc::ok);
  CHECK(tx.encrypted_size(pt.size()) == ct.size());
  fstest::Guarded out(ct.size());
  FrameInfo info{MediaKind::video, Codec::vp8, true, 1, 2};
  auto e = tx.encrypt(info, pt, out.span(), metadata);
  REQUIRE_MESSAGE(e.has_value(), to_string(e.error()));
  CHECK(to_hex(*e) == to_hex(ct));
  CHECK(out.guard_intact());
  CHECK(tx.next_counter() == ctr + 1);

  auto rx = make<S>();
  REQUIRE(rx.add_key(kid, key, KeyUsage::decrypt) == Errc::ok);
  fstest::Guarded back(ct.size());
  sframe::DecryptReport rep;
  auto d = rx.decrypt(info, ct, back.span(), metadata, &rep);
  REQUIRE_MESSAGE(d.has_value(), to_string(d.error()));
  CHECK(to_hex(*d) == to_hex(pt));
  CHECK(back.guard_intact());
  CHECK(rep.header.kid == kid);
  CHECK(rep.header.ctr == ctr);
  CHECK(rep.header_bytes == 5);
  // In place, and the metadata is authenticated.
  Bytes buf = ct;
  auto rx2 = make<S>();
  REQUIRE(rx2.add_key(kid, key, KeyUsage::decrypt) == Errc::ok);
  Bytes wrong = metadata;
  wrong[0] ^= 1;
  CHECK(rx2.decrypt(buf, buf, wrong).error() == Errc::auth_failed);
  buf = ct;
  auto di = rx2.decrypt(buf, buf, metadata);
  REQUIRE(di.has_value());
  CHECK(di->data() == buf.data());
  CHECK(to_hex(*di) == to_hex(pt));
}

template <class... Ss>
bool dispatch(std::uint16_t id, const nlohmann::json& v, std::size_t& ran) {
  bool found = false;
  auto one = [&](auto tag) {
    using S = typename decltype(tag)::type;
    if (S::id != id) return;
    found = true;
    if (!S::available()) {
      MESSAGE(S::name << " on " << S::cipher_type::backend << " is unavailable here: skipped");
      return;
    }
    check_full_vector<S>(v);
    ++ran;
  };
  (one(std::type_identity<Ss>{}), ...);
  return found;
}

}  // namespace

TEST_CASE("RFC 9605 C.3: the five full SFrame cases encrypt byte for byte and decrypt") {
  const auto j = load("rfc9605-test-vectors.json");
  REQUIRE(j["sframe"].size() == 5);
  std::size_t ran = 0;
  for (const auto& v : j["sframe"]) {
    const auto id = v["cipher_suite"].get<std::uint16_t>();
    CAPTURE(id);
#if defined(FRAMESEAL_TEST_OPENSSL)
    CHECK(dispatch<sframe::Suite1, sframe::Suite2, sframe::Suite3, sframe::Suite4, sframe::Suite5,
                   sframe::Suite5Openssl>(id, v, ran));
#else
    CHECK((id != 5 || dispatch<sframe::Suite5>(id, v, ran)));
#endif
  }
#if defined(FRAMESEAL_TEST_OPENSSL)
  // Suites 1-4 and 5 on OpenSSL always; 5 on libsodium where AES-NI is present.
  CHECK(ran >= 5);
#endif
  MESSAGE("full sframe vector runs (encrypt + decrypt): " << ran);
}

#if defined(FRAMESEAL_TEST_OPENSSL)
TEST_CASE("post-RFC suites 0x0006-0x0008: the three full cases") {
  const auto j = load("post-rfc-aes256-ctr-hmac-test-vectors.json");
  REQUIRE(j["sframe_aes_256_ctr_hmac"].size() == 3);
  std::size_t ran = 0;
  for (const auto& v : j["sframe_aes_256_ctr_hmac"]) {
    const auto id = v["cipher_suite"].get<std::uint16_t>();
    CAPTURE(id);
    CHECK(dispatch<sframe::Suite6, sframe::Suite7, sframe::Suite8>(id, v, ran));
  }
  CHECK(ran == 3);
}
#endif

// ---- every suite ----

using SuiteChacha = sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>;  // private use

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define FS_SUITES                                                                                        \
    sframe::Suite1, sframe::Suite2, sframe::Suite3, sframe::Suite4, sframe::Suite5, sframe::Suite5Openssl, \
        sframe::Suite6, sframe::Suite7, sframe::Suite8, SuiteChacha
#else
#  define FS_SUITES sframe::Suite5, SuiteChacha
#endif

TEST_CASE_TEMPLATE("round trip of frame sizes from empty to video, out of place and in place", S, FS_SUITES) {
  if (!S::available()) return;
  Pair<S> p;
  for (std::size_t n : {0u, 1u, 20u, 160u, 1200u, 5000u, 70000u}) {
    CAPTURE(n);
    const Bytes frame = random_bytes(n, static_cast<std::uint32_t>(n) + 1);
    for (const Bytes& metadata : {Bytes{}, from_hex("80e1000100000002deadbeef")}) {
      const Bytes enc = p.encrypt(frame, metadata);
      CHECK(enc.size() == n + sframe::encoded_size(sframe::parse(enc)->header) + S::tag_bytes);
      CHECK(enc.size() <= sframe::FrameCryptor<S>::max_encrypted_size(n));
      auto d = p.decrypt(enc, metadata);
      REQUIRE(d.has_value());
      CHECK(*d == frame);

      // In place, both directions, in a buffer sized with max_encrypted_size.
      Bytes buf = frame;
      buf.resize(sframe::FrameCryptor<S>::max_encrypted_size(n), 0x5A);
      auto e2 = p.tx.encrypt(BytesIn(buf.data(), n), buf, metadata);
      REQUIRE(e2.has_value());
      CHECK(e2->data() == buf.data());
      const std::size_t elen = e2->size();
      auto d2 = p.rx.decrypt(BytesIn(buf.data(), elen), buf, metadata);
      REQUIRE(d2.has_value());
      CHECK(d2->data() == buf.data());
      CHECK(Bytes(d2->begin(), d2->end()) == frame);
    }
  }
}

TEST_CASE_TEMPLATE("every flipped bit of header, ciphertext, tag or metadata fails and leaves no plaintext",
                   S, FS_SUITES) {
  if (!S::available()) return;
  FrameCryptorOptions o;
  o.counter_start = CounterStart::zero;
  Pair<S> p(o, 0x123);
  REQUIRE(p.tx.advance_counter_to(0x4567) == Errc::ok);
  const Bytes frame = random_bytes(48, 7);
  const Bytes metadata = from_hex("0102030405");
  const Bytes enc = p.encrypt(frame, metadata);
  std::size_t flips = 0;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      Bytes bad = enc;
      bad[i] ^= static_cast<std::uint8_t>(1u << b);
      // Out of place: the output holds only its fill byte or zeros.
      Bytes out(bad.size(), 0xEE);
      auto r = p.rx.decrypt(bad, out, metadata);
      REQUIRE_FALSE(r.has_value());
      CHECK((r.error() == Errc::auth_failed || r.error() == Errc::missing_key ||
             r.error() == Errc::malformed_frame));
      CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE || x == 0; }));
      // In place: whatever is left is not the plaintext.
      Bytes inplace = bad;
      auto ri = p.rx.decrypt(inplace, inplace, metadata);
      REQUIRE_FALSE(ri.has_value());
      CHECK(std::search(inplace.begin(), inplace.end(), frame.begin(), frame.end()) == inplace.end());
      ++flips;
    }
  }
  for (std::size_t i = 0; i < metadata.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      Bytes md = metadata;
      md[i] ^= static_cast<std::uint8_t>(1u << b);
      Bytes out(enc.size(), 0xEE);
      CHECK(p.rx.decrypt(enc, out, md).error() == Errc::auth_failed);
      ++flips;
    }
  }
  Bytes sink(enc.size());
  CHECK(p.rx.decrypt(enc, sink, Bytes{}).error() == Errc::auth_failed);  // metadata dropped
  CHECK(flips == (enc.size() + metadata.size()) * 8);
  // The genuine frame still decrypts: no failure moved any state.
  auto ok = p.decrypt(enc, metadata);
  REQUIRE(ok.has_value());
  CHECK(*ok == frame);
}

TEST_CASE_TEMPLATE("malformed input, buffers and aliasing", S, FS_SUITES) {
  if (!S::available()) return;
  Pair<S> p;
  const Bytes frame = random_bytes(30, 3);
  const Bytes enc = p.encrypt(frame);
  const std::size_t h = sframe::parse(enc)->size;
  Bytes out(4096, 0xEE);

  SUBCASE("empty and truncated headers are malformed_frame") {
    CHECK(p.rx.decrypt(Bytes{}, out).error() == Errc::malformed_frame);
    for (std::size_t n = 1; n < h; ++n) {
      Bytes cut(enc.begin(), enc.begin() + static_cast<long>(n));
      CHECK(p.rx.decrypt(cut, out).error() == Errc::malformed_frame);
    }
  }
  SUBCASE("ciphertext shorter than the tag is malformed_frame, never a crash") {
    for (std::size_t t = 0; t < S::tag_bytes; ++t) {
      Bytes cut(enc.begin(), enc.begin() + static_cast<long>(h + t));
      CHECK(p.rx.decrypt(cut, out).error() == Errc::malformed_frame);
    }
  }
  SUBCASE("an empty frame encrypts to header + tag and decrypts to nothing") {
    const Bytes e = p.encrypt(Bytes{});
    CHECK(e.size() == sframe::parse(e)->size + S::tag_bytes);
    auto d = p.decrypt(e);
    REQUIRE(d.has_value());
    CHECK(d->empty());
  }
  SUBCASE("an unknown KID is missing_key, not auth_failed") {
    auto q = make<S>();
    REQUIRE(q.add_key(2, base_key, KeyUsage::decrypt) == Errc::ok);
    CHECK(q.decrypt(enc, out).error() == Errc::missing_key);
    auto empty = make<S>();
    CHECK(empty.decrypt(enc, out).error() == Errc::missing_key);
  }
  SUBCASE("the same KID under a different key is auth_failed") {
    auto q = make<S>();
    REQUIRE(q.add_key(p.kid, other_key, KeyUsage::decrypt) == Errc::ok);
    CHECK(q.decrypt(enc, out).error() == Errc::auth_failed);
  }
  SUBCASE("output too small: buffer_too_small, nothing written") {
    Bytes small(frame.size() - 1, 0xEE);
    CHECK(p.rx.decrypt(enc, small).error() == Errc::buffer_too_small);
    CHECK(std::all_of(small.begin(), small.end(), [](std::uint8_t x) { return x == 0xEE; }));
    Bytes small2(p.tx.encrypted_size(frame.size()) - 1, 0xEE);
    const auto before = p.tx.next_counter();
    CHECK(p.tx.encrypt(frame, small2).error() == Errc::buffer_too_small);
    CHECK(std::all_of(small2.begin(), small2.end(), [](std::uint8_t x) { return x == 0xEE; }));
    CHECK(p.tx.next_counter() == before);  // no CTR spent on a call that did nothing
    // In place, the output must cover the header too.
    Bytes buf = enc;
    CHECK(p.rx.decrypt(BytesIn(buf), BytesOut(buf.data(), frame.size())).error() == Errc::buffer_too_small);
  }
  SUBCASE("partial overlap is invalid_argument") {
    Bytes buf = enc;
    buf.resize(enc.size() * 2);
    CHECK(p.rx.decrypt(BytesIn(buf.data(), enc.size()), BytesOut(buf.data() + 1, enc.size())).error() ==
          Errc::invalid_argument);
    CHECK(p.rx.decrypt(BytesIn(buf.data(), enc.size()), BytesOut(buf.data() + h, enc.size())).error() ==
          Errc::invalid_argument);
    CHECK(p.tx.encrypt(BytesIn(buf.data() + 3, frame.size()), BytesOut(buf.data(), buf.size())).error() ==
          Errc::invalid_argument);
  }
  SUBCASE("metadata longer than max_metadata_bytes is invalid_argument") {
    FrameCryptorOptions o;
    o.max_metadata_bytes = 8;
    Pair<S> q(o);
    const Bytes md9(9, 1), md8(8, 1);
    CHECK(q.tx.encrypt(frame, out, md9).error() == Errc::invalid_argument);
    const Bytes e = q.encrypt(frame, md8);
    CHECK(q.rx.decrypt(e, out, md9).error() == Errc::invalid_argument);
    CHECK(q.decrypt(e, md8).has_value());
  }
  SUBCASE("a failed in-place encrypt leaves no plaintext") {
    auto q = make<S>();  // no key
    Bytes buf = frame;
    buf.resize(frame.size() + sframe::FrameCryptor<S>::max_overhead);
    CHECK(q.encrypt(BytesIn(buf.data(), frame.size()), buf).error() == Errc::missing_key);
    CHECK(Bytes(buf.begin(), buf.begin() + static_cast<long>(frame.size())) ==
          frame);  // untouched: nothing ran
  }
}

// ---- keys ----

TEST_CASE_TEMPLATE("key usage: encrypt-only and decrypt-only keys (RFC 9605 4.4.1)", S, FS_SUITES) {
  if (!S::available()) return;
  auto c = make<S>();
  const Bytes frame = random_bytes(10, 1);
  Bytes out(100);
  CHECK(c.encrypt(frame, out).error() == Errc::missing_key);
  CHECK_FALSE(c.encrypt_kid().has_value());
  REQUIRE(c.add_key(7, base_key, KeyUsage::decrypt) == Errc::ok);
  CHECK(c.encrypt(frame, out).error() == Errc::missing_key);  // a decrypt key never encrypts
  CHECK(c.set_encrypt_key(7) == Errc::invalid_argument);
  REQUIRE(c.add_key(9, base_key, KeyUsage::encrypt) == Errc::ok);  // first encrypt key: sending key
  CHECK(c.encrypt_kid() == 9u);
  auto e = c.encrypt(frame, out);
  REQUIRE(e.has_value());
  const Bytes enc(e->begin(), e->end());
  Bytes back(enc.size());
  CHECK(c.decrypt(enc, back).error() == Errc::missing_key);  // an encrypt key never decrypts
  REQUIRE(c.add_key(10, other_key, KeyUsage::encrypt) == Errc::ok);
  CHECK(c.encrypt_kid() == 9u);  // adding does not switch; set_encrypt_key does
  CHECK(c.set_encrypt_key(10) == Errc::ok);
  CHECK(c.encrypt_kid() == 10u);
  CHECK(c.set_encrypt_key(11) == Errc::missing_key);
  CHECK(c.key_count() == 3);
  CHECK(c.has_key(7));
  CHECK_FALSE(c.has_key(8));
  // Re-adding the sending key's KID as a decrypt key takes it out of the sender.
  REQUIRE(c.add_key(10, other_key, KeyUsage::decrypt) == Errc::ok);
  CHECK_FALSE(c.encrypt_kid().has_value());
  CHECK(c.remove_key(10) == Errc::ok);
  CHECK(c.remove_key(10) == Errc::missing_key);
  CHECK(c.add_key(1, BytesIn{}, KeyUsage::decrypt) == Errc::invalid_argument);
}

TEST_CASE("key table: fixed capacity, replacement and idempotent re-adding") {
  using S = SuiteChacha;
  FrameCryptorOptions o;
  o.max_keys = 2;
  auto c = make<S>(o);
  REQUIRE(c.add_key(1, base_key, KeyUsage::decrypt) == Errc::ok);
  REQUIRE(c.add_key(2, base_key, KeyUsage::decrypt) == Errc::ok);
  CHECK(c.add_key(3, base_key, KeyUsage::decrypt) == Errc::invalid_argument);  // full
  REQUIRE(c.remove_key(1) == Errc::ok);
  CHECK(c.add_key(3, base_key, KeyUsage::decrypt) == Errc::ok);

  // The same key again changes nothing (its replay window survives); a different key replaces.
  Pair<S> p;
  const Bytes f = p.encrypt(random_bytes(20, 1));
  REQUIRE(p.decrypt(f).has_value());
  REQUIRE(p.rx.add_key(p.kid, base_key, KeyUsage::decrypt) == Errc::ok);
  CHECK(p.decrypt(f).error() == Errc::replay);
  REQUIRE(p.rx.add_key(p.kid, other_key, KeyUsage::decrypt) == Errc::ok);
  CHECK(p.decrypt(f).error() == Errc::auth_failed);

  CHECK(sframe::FrameCryptor<S>::create({.max_keys = 0}).error() == Errc::invalid_argument);
  CHECK(sframe::FrameCryptor<S>::create({.max_keys = 257}).error() == Errc::invalid_argument);
  FrameCryptorOptions bad;
  bad.ratchet_bits = 64;
  CHECK(sframe::FrameCryptor<S>::create(bad).error() == Errc::invalid_argument);
  bad = {};
  bad.replay_window = sframe::max_replay_window + 1;
  CHECK(sframe::FrameCryptor<S>::create(bad).error() == Errc::invalid_argument);
}

// ---- the sender counter ----

TEST_CASE("sender counter: per cryptor, strictly increasing across key changes, never reused") {
  using S = SuiteChacha;
  FrameCryptorOptions o;
  o.counter_start = CounterStart::zero;
  Pair<S> p(o);
  const Bytes frame = random_bytes(16, 2);
  CHECK(ctr_of(p.encrypt(frame)) == 0);
  CHECK(ctr_of(p.encrypt(frame)) == 1);
  // Remove the key and add it again: the CTR continues, so (key, CTR) never repeats.
  REQUIRE(p.tx.remove_key(p.kid) == Errc::ok);
  Bytes out(100);
  CHECK(p.tx.encrypt(frame, out).error() == Errc::missing_key);
  REQUIRE(p.tx.add_key(p.kid, base_key, KeyUsage::encrypt) == Errc::ok);
  CHECK(ctr_of(p.encrypt(frame)) == 2);
  REQUIRE(p.tx.add_key(2, other_key, KeyUsage::encrypt) == Errc::ok);
  REQUIRE(p.tx.set_encrypt_key(2) == Errc::ok);
  CHECK(ctr_of(p.encrypt(frame)) == 3);
  REQUIRE(p.tx.set_encrypt_key(p.kid) == Errc::ok);
  CHECK(ctr_of(p.encrypt(frame)) == 4);
  // A failed seal still spends its CTR (none fails here, so check the bookkeeping instead).
  CHECK(p.tx.next_counter() == 5u);
  CHECK(p.tx.advance_counter_to(4) == Errc::invalid_argument);  // never backwards
  CHECK(p.tx.advance_counter_to(5) == Errc::ok);
  CHECK(p.tx.advance_counter_to(1000) == Errc::ok);
  CHECK(ctr_of(p.encrypt(frame)) == 1000);
}

TEST_CASE("sender counter: at its maximum the cryptor refuses to encrypt") {
  using S = SuiteChacha;
  Pair<S> p;
  const std::uint64_t max = ~std::uint64_t{0};
  REQUIRE(p.tx.advance_counter_to(max) == Errc::ok);
  const Bytes frame = random_bytes(16, 2);
  const Bytes last = p.encrypt(frame);  // CTR 2^64-1 is a valid CTR and is used once
  CHECK(ctr_of(last) == max);
  CHECK(sframe::parse(last)->size == 9);
  CHECK_FALSE(p.tx.next_counter().has_value());
  Bytes out(100, 0xEE);
  CHECK(p.tx.encrypt(frame, out).error() == Errc::counter_exhausted);
  CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE; }));
  CHECK(p.tx.advance_counter_to(max) == Errc::counter_exhausted);
  // A new key does not reset it: the counter belongs to the cryptor.
  REQUIRE(p.tx.add_key(5, other_key, KeyUsage::encrypt) == Errc::ok);
  REQUIRE(p.tx.set_encrypt_key(5) == Errc::ok);
  CHECK(p.tx.encrypt(frame, out).error() == Errc::counter_exhausted);
  auto d = p.decrypt(last);
  REQUIRE(d.has_value());
  CHECK(*d == frame);
}

TEST_CASE("sender counter: random start below 2^48 by default, zero on request") {
  using S = SuiteChacha;
  auto a = make<S>(), b = make<S>();
  REQUIRE(a.next_counter().has_value());
  CHECK(*a.next_counter() < sframe::random_counter_bound);
  CHECK(*a.next_counter() != *b.next_counter());  // 2^-48 to fail
  CHECK(make<S>({.counter_start = CounterStart::zero}).next_counter() == 0u);
}

// ---- replay ----

TEST_CASE_TEMPLATE("replay window: a replayed frame is its own error, updated only after authentication", S,
                   FS_SUITES) {
  if (!S::available()) return;
  FrameCryptorOptions o;
  o.replay_window = 64;
  Pair<S> p(o);
  std::vector<Bytes> frames;
  for (int i = 0; i < 80; ++i) frames.push_back(p.encrypt(random_bytes(12, static_cast<std::uint32_t>(i))));
  REQUIRE(p.decrypt(frames[10]).has_value());
  CHECK(p.decrypt(frames[10]).error() == Errc::replay);
  // In place too: a replay is refused before anything is written.
  Bytes buf = frames[10];
  CHECK(p.rx.decrypt(buf, buf).error() == Errc::replay);
  CHECK(buf == frames[10]);
  // Out of order inside the window is fine; each only once.
  REQUIRE(p.decrypt(frames[5]).has_value());
  CHECK(p.decrypt(frames[5]).error() == Errc::replay);
  // A forged frame far ahead does not move the window.
  Bytes forged = frames[79];
  forged.back() ^= 1;
  CHECK(p.decrypt(forged).error() == Errc::auth_failed);
  REQUIRE(p.decrypt(frames[6]).has_value());
  // The genuine frame far ahead moves it: frames older than 64 behind are refused.
  REQUIRE(p.decrypt(frames[79]).has_value());
  CHECK(p.decrypt(frames[7]).error() == Errc::replay);
  REQUIRE(p.decrypt(frames[16]).has_value());  // age 63: still inside

  // Without a window, the same frame decrypts again (RFC 9605 leaves replay to the application).
  FrameCryptorOptions off;
  off.replay_window = 0;
  Pair<S> q(off);
  const Bytes f = q.encrypt(random_bytes(12, 1));
  REQUIRE(q.decrypt(f).has_value());
  CHECK(q.decrypt(f).has_value());
}

// ---- the sender-key ratchet (RFC 9605 5.1) ----

TEST_CASE_TEMPLATE(
    "sender-key ratchet: receivers follow, keep recent steps, commit only after authentication", S,
    FS_SUITES) {
  if (!S::available()) return;
  FrameCryptorOptions o;
  o.ratchet_bits = 4;
  o.ratchet_window = 8;
  o.kept_steps = 2;
  const std::uint64_t gen = 5, kid0 = gen << 4;
  Pair<S> p(o, kid0);
  CHECK(p.rx.ratchet_window() == 8);
  CHECK(p.rx.kept_steps() == 2);
  const Bytes frame = random_bytes(40, 9);

  const Bytes f0 = p.encrypt(frame);
  CHECK(kid_of(f0) == kid0);
  // Carol joins: the sender ratchets (so Carol cannot read f0) and hands Carol the new step's base
  // key and KID; Bob, already in, needs nothing.
  SecretBytes<S::hash_bytes> b1;
  auto k1 = p.tx.ratchet(kid0, &b1);
  REQUIRE(k1.has_value());
  CHECK(*k1 == (kid0 | 1));
  // base_key[1] of 000102..0f, computed independently (see unit-sframe-key_schedule.cpp).
  CHECK(to_hex(b1.view()).substr(0, 16) == (S::hash_bytes == 32 ? "fb75d8d5782da6c6" : "895fe5603750295c"));
  CHECK(p.tx.encrypt_kid() == (kid0 | 1));
  CHECK_FALSE(p.tx.has_key(kid0));  // a sender drops the old step at once
  const Bytes f1 = p.encrypt(frame);
  CHECK(kid_of(f1) == (kid0 | 1));
  auto carol = make<S>(o);
  REQUIRE(carol.add_key(*k1, b1.view(), KeyUsage::decrypt) == Errc::ok);
  Bytes carol_out(f1.size());
  CHECK(carol.decrypt(f0, carol_out).error() == Errc::missing_key);
  auto cd = carol.decrypt(f1, carol_out);
  REQUIRE(cd.has_value());
  CHECK(Bytes(cd->begin(), cd->end()) == frame);

  sframe::DecryptReport rep;
  REQUIRE(p.decrypt(f1, {}, &rep).has_value());
  CHECK(rep.ratchet_steps == 1);
  CHECK(p.rx.has_key(kid0 | 1));
  REQUIRE(p.decrypt(f0, {}, &rep).has_value());  // in flight from before the ratchet
  CHECK(rep.kept_step);

  // Three steps at once: the receiver derives forward.
  for (int i = 0; i < 3; ++i) REQUIRE(p.tx.ratchet(*p.tx.encrypt_kid()).has_value());
  const Bytes f4 = p.encrypt(frame);
  CHECK(kid_of(f4) == (kid0 | 4));
  // A forged frame of that step neither decrypts nor moves the receiver.
  Bytes forged = f4;
  forged.back() ^= 0x80;
  CHECK(p.decrypt(forged).error() == Errc::auth_failed);
  CHECK_FALSE(p.rx.has_key(kid0 | 4));
  CHECK(p.rx.has_key(kid0 | 1));
  REQUIRE(p.decrypt(f4, {}, &rep).has_value());
  CHECK(rep.ratchet_steps == 3);
  // Kept: the two newest passed steps (2 and 3), not 1 or 0.
  CHECK(p.rx.has_key(kid0 | 3));
  CHECK(p.rx.has_key(kid0 | 2));
  CHECK_FALSE(p.rx.has_key(kid0 | 1));
  CHECK(p.decrypt(f1).error() == Errc::missing_key);

  // Beyond the window (9 steps ahead) the KID names no key the receiver may derive.
  for (int i = 0; i < 9; ++i) REQUIRE(p.tx.ratchet(*p.tx.encrypt_kid()).has_value());
  const Bytes f13 = p.encrypt(frame);
  CHECK(kid_of(f13) == (kid0 | 13));
  CHECK(p.decrypt(f13).error() == Errc::missing_key);

  // A new generation (someone left): a new base key, distributed out of band.
  REQUIRE(p.tx.add_key(6 << 4, other_key, KeyUsage::encrypt) == Errc::ok);
  REQUIRE(p.tx.set_encrypt_key(6 << 4) == Errc::ok);
  const Bytes g6 = p.encrypt(frame);
  CHECK(p.decrypt(g6).error() == Errc::missing_key);
  REQUIRE(p.rx.add_key(6 << 4, other_key, KeyUsage::decrypt) == Errc::ok);
  REQUIRE(p.decrypt(g6).has_value());
  // And the old generation can be removed as a whole.
  REQUIRE(p.rx.remove_key(kid0 | 3) == Errc::ok);
  CHECK_FALSE(p.rx.has_key(kid0 | 4));
}

TEST_CASE("sender-key ratchet: the step bits wrap, windows are clamped to 2^R - 1 KIDs") {
  using S = SuiteChacha;
  FrameCryptorOptions o;
  o.ratchet_bits = 2;  // 4 KIDs per generation
  o.ratchet_window = 8;
  o.kept_steps = 2;
  Pair<S> p(o, 3 << 2);
  CHECK(p.rx.ratchet_window() == 3);
  CHECK(p.rx.kept_steps() == 0);
  const Bytes frame = random_bytes(10, 1);
  for (int step = 1; step <= 9; ++step) {
    REQUIRE(p.tx.ratchet(*p.tx.encrypt_kid()).has_value());
    const Bytes f = p.encrypt(frame);
    CHECK(kid_of(f) == ((3u << 2) | (step & 3)));
    sframe::DecryptReport rep;
    auto d = p.decrypt(f, {}, &rep);
    REQUIRE(d.has_value());
    CHECK(rep.ratchet_steps == 1);
  }
  // Receivers can ratchet explicitly too; without ratchet bits there is no ratchet.
  auto r = p.rx.ratchet(3 << 2);
  REQUIRE(r.has_value());
  CHECK(*r == ((3u << 2) | 2));
  auto plain = make<S>();
  REQUIRE(plain.add_key(1, base_key, KeyUsage::encrypt) == Errc::ok);
  SecretBytes<32> untouched;
  std::memset(untouched.data(), 0xAB, untouched.size());
  CHECK(plain.ratchet(1, &untouched).error() == Errc::invalid_argument);
  CHECK(std::all_of(untouched.data(), untouched.data() + 32, [](std::uint8_t x) { return x == 0; }));
  CHECK(p.tx.ratchet(7 << 2).error() == Errc::missing_key);
}

// ---- performance contract: no allocation per frame ----

TEST_CASE_TEMPLATE("no C++ allocation on the frame path (encrypt, decrypt, in place, replay, errors)", S,
                   FS_SUITES) {
  if (!S::available()) return;
  Pair<S> p;
  const Bytes frame = random_bytes(1200, 4);
  const Bytes metadata = from_hex("0011223344");
  Bytes out(sframe::FrameCryptor<S>::max_encrypted_size(frame.size()));
  Bytes back(out.size());
  Bytes buf(out.size());
  const std::size_t before = g_allocations.load();
  for (int i = 0; i < 50; ++i) {
    auto e = p.tx.encrypt(frame, out, metadata);
    REQUIRE(e.has_value());
    const std::size_t n = e->size();
    REQUIRE(p.rx.decrypt(BytesIn(out.data(), n), back, metadata).has_value());
    CHECK(p.rx.decrypt(BytesIn(out.data(), n), back, metadata).error() == Errc::replay);
    std::copy(frame.begin(), frame.end(), buf.begin());
    auto ei = p.tx.encrypt(BytesIn(buf.data(), frame.size()), buf);
    REQUIRE(ei.has_value());
    buf[ei->size() - 1] ^= 1;
    CHECK(p.rx.decrypt(BytesIn(buf.data(), ei->size()), buf).error() == Errc::auth_failed);
  }
  CHECK(g_allocations.load() == before);
}

// ---- one interface for both formats ----

namespace {
// What a session layer needs from a format's cryptor (see the report on issue 6).
template <class F, class Report>
concept FrameCryptorShape = requires(F& f, const FrameInfo& info, BytesIn in, BytesOut out, Report* rep,
                                     std::size_t n) {
  { F::max_encrypted_size(n) }
  noexcept->std::same_as<std::size_t>;
  { f.encrypt(info, in, out) }
  noexcept->std::same_as<Result<BytesOut>>;
  { f.decrypt(info, in, out, rep) }
  noexcept->std::same_as<Result<BytesOut>>;
  { f.decrypt(info, in, out) }
  noexcept->std::same_as<Result<BytesOut>>;
};
static_assert(FrameCryptorShape<livekit::FrameCryptor<sodium::Aes256Gcm>, livekit::DecryptReport>);
static_assert(FrameCryptorShape<sframe::FrameCryptor<sframe::Suite5>, sframe::DecryptReport>);
static_assert(std::is_same_v<sframe::FrameCryptor<sframe::Suite5>::report_type, sframe::DecryptReport>);
}  // namespace

TEST_CASE("both formats through one generic function") {
  auto round_trip = [](auto& tx, auto& rx, const FrameInfo& info, const Bytes& frame) {
    using F = std::remove_reference_t<decltype(tx)>;
    Bytes wire(F::max_encrypted_size(frame.size()));
    auto e = tx.encrypt(info, frame, wire);
    REQUIRE(e.has_value());
    Bytes back(e->size());
    auto d = rx.decrypt(info, *e, back);
    REQUIRE(d.has_value());
    return Bytes(d->begin(), d->end());
  };
  const FrameInfo info{MediaKind::audio, Codec::opus, std::nullopt, 1, 2};
  const Bytes frame = random_bytes(100, 5);
  Pair<SuiteChacha> s;
  CHECK(round_trip(s.tx, s.rx, info, frame) == frame);
  auto ring_tx = KeyRing<sodium::ChaCha20Poly1305>::create().value();
  auto ring_rx = KeyRing<sodium::ChaCha20Poly1305>::create().value();
  REQUIRE(ring_tx.set_key(0, base_key) == Errc::ok);
  REQUIRE(ring_rx.set_key(0, base_key) == Errc::ok);
  livekit::FrameCryptor<sodium::ChaCha20Poly1305> ltx(ring_tx), lrx(ring_rx);
  CHECK(round_trip(ltx, lrx, info, frame) == frame);
}
