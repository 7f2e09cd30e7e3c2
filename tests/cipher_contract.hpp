// The Cipher contract (include/frameseal/cipher.hpp) as reusable checks, shared by
// unit-ciphers-sodium.cpp and unit-ciphers-openssl.cpp: known answers, round trips in place and out of
// place, guard bytes, tampering of every byte region, buffer_too_small, partial overlap, empty
// plaintext, short ciphertext, moved-from instances. FSTEST_CIPHER_CONTRACT_TESTS(prefix, types...)
// instantiates all of them as TEST_CASE_TEMPLATEs over the given cipher types.
#pragma once

#include <algorithm>
#include <random>
#include <utility>

#include "common.hpp"

namespace fstest {

// Deterministic bytes (a failure reproduces).
inline Bytes pseudo_random(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng() >> 24);
  return b;
}

inline bool all_zero(std::span<const std::uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}
inline bool all_equal(std::span<const std::uint8_t> b, std::uint8_t v) {
  return std::all_of(b.begin(), b.end(), [v](std::uint8_t x) { return x == v; });
}

template <class C>
C make_cipher(std::span<const std::uint8_t> key) {
  REQUIRE(key.size() == C::key_bytes);
  auto r = C::create(std::span<const std::uint8_t, C::key_bytes>(key.data(), C::key_bytes));
  REQUIRE_MESSAGE(r.has_value(), "create failed: ", frameseal::to_string(r.error()));
  return std::move(r).value();
}

template <class C>
std::span<const std::uint8_t, C::nonce_bytes> nonce_span(const Bytes& n) {
  REQUIRE(n.size() == C::nonce_bytes);
  return std::span<const std::uint8_t, C::nonce_bytes>(n.data(), C::nonce_bytes);
}

// An AEAD known answer; ct is ciphertext || tag. Hex strings.
struct AeadKat {
  std::string name;
  std::string key, nonce, aad, pt, ct;
};

// Checks seal (out of place and in place) and open (both ways) against the expected bytes.
template <class C>
void check_kat(const AeadKat& k) {
  CAPTURE(k.name);
  const Bytes key = from_hex(k.key), nonce = from_hex(k.nonce), aad = from_hex(k.aad);
  const Bytes pt = from_hex(k.pt), ct = from_hex(k.ct);
  REQUIRE(ct.size() == pt.size() + C::tag_bytes);
  C c = make_cipher<C>(key);

  Guarded sealed(ct.size());
  auto r = c.seal(sealed.span(), pt, aad, nonce_span<C>(nonce));
  REQUIRE(r.has_value());
  CHECK(r->data() == sealed.span().data());
  CHECK(to_hex(*r) == k.ct);
  CHECK(sealed.guard_intact());

  Bytes buf = pt;
  buf.resize(ct.size());
  auto ri = c.seal(buf, std::span<const std::uint8_t>(buf.data(), pt.size()), aad, nonce_span<C>(nonce));
  REQUIRE(ri.has_value());
  CHECK(to_hex(*ri) == k.ct);

  Guarded opened(pt.size());
  auto o = c.open(opened.span(), ct, aad, nonce_span<C>(nonce));
  REQUIRE(o.has_value());
  CHECK(o->size() == pt.size());
  CHECK(to_hex(*o) == k.pt);
  CHECK(opened.guard_intact());

  Bytes inplace = ct;
  auto oi = c.open(inplace, inplace, aad, nonce_span<C>(nonce));
  REQUIRE(oi.has_value());
  CHECK(oi->data() == inplace.data());
  CHECK(to_hex(*oi) == k.pt);
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)" (revised 2005), Appendix B test
// cases 1-4 (AES-128) and 13-16 (AES-256); 4 and 16 carry AAD, 1 and 13 have no plaintext.
inline constexpr const char* gcm_p64 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
    "b16aedf5aa0de657ba637b391aafd255";
inline std::vector<AeadKat> gcm_aes128_kats() {
  const std::string p64 = gcm_p64, p60 = p64.substr(0, 120);
  const std::string k = "feffe9928665731c6d6a8f9467308308", iv = "cafebabefacedbaddecaf888";
  const std::string a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
  return {
      {"GCM TC1", std::string(32, '0'), std::string(24, '0'), "", "", "58e2fccefa7e3061367f1d57a4e7455a"},
      {"GCM TC2", std::string(32, '0'), std::string(24, '0'), "", std::string(32, '0'),
       "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf"},
      {"GCM TC3", k, iv, "", p64,
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
       "1ba30b396a0aac973d58e091473f5985"
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      {"GCM TC4", k, iv, a, p60,
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
       "1ba30b396a0aac973d58e091"
       "5bc94fbc3221a5db94fae95ae7121a47"},
  };
}
inline std::vector<AeadKat> gcm_aes256_kats() {
  const std::string p64 = gcm_p64, p60 = p64.substr(0, 120);
  const std::string k = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
  const std::string iv = "cafebabefacedbaddecaf888", a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
  return {
      {"GCM TC13", std::string(64, '0'), std::string(24, '0'), "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
      {"GCM TC14", std::string(64, '0'), std::string(24, '0'), "", std::string(32, '0'),
       "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"},
      {"GCM TC15", k, iv, "", p64,
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
       "c5f61e6393ba7a0abcc9f662898015ad"
       "b094dac5d93471bdec1a502270e3cc6c"},
      {"GCM TC16", k, iv, a, p60,
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
       "c5f61e6393ba7a0abcc9f662"
       "76fc6ece0f4e1768cddf8853bb2d551b"},
  };
}

// ---- the contract ----

template <class C>
struct Fixture {
  Bytes key = pseudo_random(C::key_bytes, 1);
  Bytes nonce = pseudo_random(C::nonce_bytes, 2);
  C c = make_cipher<C>(key);
  auto n() { return nonce_span<C>(nonce); }
};

#define FSTEST_SKIP_UNAVAILABLE(C)                                             \
  if (!C::available()) {                                                       \
    MESSAGE((std::string(C::name) + " unavailable on this machine: skipped")); \
    return;                                                                    \
  }

template <class C>
void check_round_trips() {
  FSTEST_SKIP_UNAVAILABLE(C)
  Fixture<C> f;
  std::uint32_t seed = 100;
  for (std::size_t n : {0, 1, 15, 16, 17, 63, 64, 65, 160, 1000, 16384 + 3}) {
    for (std::size_t a : {0, 1, 13, 64}) {
      CAPTURE(n);
      CAPTURE(a);
      const Bytes pt = pseudo_random(n, ++seed), aad = pseudo_random(a, ++seed);
      Guarded sealed(n + C::tag_bytes);
      auto s = f.c.seal(sealed.span(), pt, aad, f.n());
      REQUIRE(s.has_value());
      REQUIRE(s->size() == n + C::tag_bytes);
      CHECK(sealed.guard_intact());
      const Bytes ct(s->begin(), s->end());
      if (n >= 16) CHECK(!std::equal(pt.begin(), pt.end(), ct.begin()));  // it did encrypt

      // Same inputs, same bytes (the IV reset per call must not leak state between frames).
      Guarded again(n + C::tag_bytes + 7);  // a larger out: only the prefix is written
      auto s2 = f.c.seal(again.span(), pt, aad, f.n());
      REQUIRE(s2.has_value());
      CHECK(s2->size() == n + C::tag_bytes);
      CHECK(to_hex(*s2) == to_hex(ct));
      CHECK(all_equal(again.span().subspan(n + C::tag_bytes), 0xCC));

      // In place.
      Bytes buf = pt;
      buf.resize(n + C::tag_bytes);
      auto si = f.c.seal(buf, std::span<const std::uint8_t>(buf.data(), n), aad, f.n());
      REQUIRE(si.has_value());
      CHECK(buf == ct);

      Guarded opened(n);
      auto o = f.c.open(opened.span(), ct, aad, f.n());
      REQUIRE(o.has_value());
      CHECK(o->size() == n);
      CHECK(Bytes(o->begin(), o->end()) == pt);
      CHECK(opened.guard_intact());

      auto oi = f.c.open(buf, buf, aad, f.n());
      REQUIRE(oi.has_value());
      CHECK(oi->data() == buf.data());
      CHECK(Bytes(oi->begin(), oi->end()) == pt);
    }
  }
  // A different nonce or key gives a different ciphertext.
  const Bytes pt = pseudo_random(40, 7);
  Bytes c1(40 + C::tag_bytes), c2(40 + C::tag_bytes), c3(40 + C::tag_bytes);
  REQUIRE(f.c.seal(c1, pt, {}, f.n()).has_value());
  Bytes other_nonce = f.nonce;
  other_nonce.back() ^= 1;
  REQUIRE(f.c.seal(c2, pt, {}, nonce_span<C>(other_nonce)).has_value());
  C other = make_cipher<C>(pseudo_random(C::key_bytes, 99));
  REQUIRE(other.seal(c3, pt, {}, f.n()).has_value());
  CHECK(c1 != c2);
  CHECK(c1 != c3);
}

// Opens a forged input out of place (out must be wiped) and in place (out wiped, or left intact when
// the backend verifies before decrypting).
template <class C>
void expect_forgery_rejected(C& c, const Bytes& forged, const Bytes& aad,
                             std::span<const std::uint8_t, C::nonce_bytes> nonce) {
  const std::size_t n = forged.size() >= C::tag_bytes ? forged.size() - C::tag_bytes : 0;
  Guarded out(n + 5);  // some spare bytes after the plaintext region: they are not touched
  auto r = c.open(out.span(), forged, aad, nonce);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == frameseal::Errc::auth_failed);
  CHECK(all_zero(out.span().first(n)));
  CHECK(all_equal(out.span().subspan(n), 0xCC));
  CHECK(out.guard_intact());

  Bytes buf = forged;
  auto ri = c.open(buf, buf, aad, nonce);
  REQUIRE_FALSE(ri.has_value());
  CHECK(ri.error() == frameseal::Errc::auth_failed);
  if constexpr (C::failed_open_keeps_input) {
    CHECK(buf == forged);
  } else {
    CHECK(all_zero(std::span<const std::uint8_t>(buf).first(n)));
    CHECK(std::equal(buf.begin() + static_cast<std::ptrdiff_t>(n), buf.end(),
                     forged.begin() + static_cast<std::ptrdiff_t>(n)));
  }
}

template <class C>
void check_tampering() {
  FSTEST_SKIP_UNAVAILABLE(C)
  Fixture<C> f;
  const Bytes pt = pseudo_random(37, 11), aad = pseudo_random(9, 12);
  Bytes ct(pt.size() + C::tag_bytes);
  REQUIRE(f.c.seal(ct, pt, aad, f.n()).has_value());

  SUBCASE("every bit of ciphertext and tag") {
    for (std::size_t i = 0; i < ct.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        CAPTURE(i);
        CAPTURE(bit);
        Bytes forged = ct;
        forged[i] ^= static_cast<std::uint8_t>(1u << bit);
        expect_forgery_rejected(f.c, forged, aad, f.n());
      }
    }
  }
  SUBCASE("every byte of the aad, and its length") {
    for (std::size_t i = 0; i < aad.size(); ++i) {
      CAPTURE(i);
      Bytes bad = aad;
      bad[i] ^= 0x80;
      expect_forgery_rejected(f.c, ct, bad, f.n());
    }
    expect_forgery_rejected(f.c, ct, Bytes(aad.begin(), aad.end() - 1), f.n());
    Bytes longer = aad;
    longer.push_back(0);
    expect_forgery_rejected(f.c, ct, longer, f.n());
    expect_forgery_rejected(f.c, ct, Bytes{}, f.n());
  }
  SUBCASE("every byte of the nonce") {
    for (std::size_t i = 0; i < f.nonce.size(); ++i) {
      CAPTURE(i);
      Bytes bad = f.nonce;
      bad[i] ^= 0x01;
      expect_forgery_rejected(f.c, ct, aad, nonce_span<C>(bad));
    }
  }
  SUBCASE("truncated, extended, wrong key") {
    expect_forgery_rejected(f.c, Bytes(ct.begin(), ct.end() - 1), aad, f.n());
    expect_forgery_rejected(f.c, Bytes(ct.begin() + 1, ct.end()), aad, f.n());
    Bytes ext = ct;
    ext.push_back(0);
    expect_forgery_rejected(f.c, ext, aad, f.n());
    C other = make_cipher<C>(pseudo_random(C::key_bytes, 77));
    expect_forgery_rejected(other, ct, aad, f.n());
  }
  // After all those failures the instance still works.
  Bytes back(pt.size());
  auto o = f.c.open(back, ct, aad, f.n());
  REQUIRE(o.has_value());
  CHECK(back == pt);
}

template <class C>
void check_buffer_too_small() {
  FSTEST_SKIP_UNAVAILABLE(C)
  Fixture<C> f;
  const Bytes pt = pseudo_random(50, 21);
  Bytes ct(pt.size() + C::tag_bytes);
  REQUIRE(f.c.seal(ct, pt, {}, f.n()).has_value());
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, pt.size(), pt.size() + C::tag_bytes - 1}) {
    CAPTURE(size);
    Guarded out(size);
    auto r = f.c.seal(out.span(), pt, {}, f.n());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == frameseal::Errc::buffer_too_small);
    CHECK(all_equal(out.span(), 0xCC));
    CHECK(out.guard_intact());
  }
  for (std::size_t size : {std::size_t{0}, pt.size() - 1}) {
    CAPTURE(size);
    Guarded out(size);
    auto r = f.c.open(out.span(), ct, {}, f.n());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == frameseal::Errc::buffer_too_small);
    CHECK(all_equal(out.span(), 0xCC));
    CHECK(out.guard_intact());
  }
}

template <class C>
void check_partial_overlap() {
  FSTEST_SKIP_UNAVAILABLE(C)
  Fixture<C> f;
  const std::size_t n = 40;
  Bytes buf = pseudo_random(n + C::tag_bytes + 8, 31);
  const Bytes before = buf;
  for (std::ptrdiff_t shift : {1, 4, 8}) {
    CAPTURE(shift);
    // out starts inside the input (writing ahead of the reader) ...
    auto r = f.c.seal(std::span<std::uint8_t>(buf).subspan(static_cast<std::size_t>(shift), n + C::tag_bytes),
                      std::span<const std::uint8_t>(buf).first(n), {}, f.n());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == frameseal::Errc::invalid_argument);
    // ... or the input starts inside out.
    auto r2 =
        f.c.seal(std::span<std::uint8_t>(buf).first(n + C::tag_bytes),
                 std::span<const std::uint8_t>(buf).subspan(static_cast<std::size_t>(shift), n), {}, f.n());
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error() == frameseal::Errc::invalid_argument);
    auto r3 = f.c.open(std::span<std::uint8_t>(buf).subspan(static_cast<std::size_t>(shift), n),
                       std::span<const std::uint8_t>(buf).first(n + C::tag_bytes), {}, f.n());
    REQUIRE_FALSE(r3.has_value());
    CHECK(r3.error() == frameseal::Errc::invalid_argument);
  }
  CHECK(buf == before);  // nothing was written
}

template <class C>
void check_empty_and_short() {
  FSTEST_SKIP_UNAVAILABLE(C)
  Fixture<C> f;
  // Empty plaintext (a null span) still produces and checks a tag.
  Guarded tag(C::tag_bytes);
  auto s = f.c.seal(tag.span(), std::span<const std::uint8_t>{}, std::span<const std::uint8_t>{}, f.n());
  REQUIRE(s.has_value());
  CHECK(s->size() == C::tag_bytes);
  CHECK(tag.guard_intact());
  const Bytes t(s->begin(), s->end());
  auto o = f.c.open(std::span<std::uint8_t>{}, t, std::span<const std::uint8_t>{}, f.n());
  REQUIRE(o.has_value());
  CHECK(o->empty());
  Bytes bad = t;
  bad[0] ^= 1;
  auto ob = f.c.open(std::span<std::uint8_t>{}, bad, {}, f.n());
  REQUIRE_FALSE(ob.has_value());
  CHECK(ob.error() == frameseal::Errc::auth_failed);

  // Anything shorter than a tag is an authentication failure, never a crash or a size error.
  for (std::size_t len = 0; len < C::tag_bytes; ++len) {
    CAPTURE(len);
    const Bytes shorty = pseudo_random(len, 40 + static_cast<std::uint32_t>(len));
    Guarded out(8);
    auto r = f.c.open(out.span(), shorty, {}, f.n());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == frameseal::Errc::auth_failed);
    CHECK(out.guard_intact());
    auto r0 = f.c.open(std::span<std::uint8_t>{}, shorty, {}, f.n());
    REQUIRE_FALSE(r0.has_value());
    CHECK(r0.error() == frameseal::Errc::auth_failed);
  }
}

template <class C>
void check_moves() {
  FSTEST_SKIP_UNAVAILABLE(C)
  static_assert(frameseal::Cipher<C>);
  static_assert(!std::is_copy_constructible_v<C> && !std::is_copy_assignable_v<C>);
  static_assert(std::is_nothrow_move_constructible_v<C> && std::is_nothrow_move_assignable_v<C>);
  Fixture<C> f;
  const Bytes pt = pseudo_random(33, 51);
  Bytes ct(pt.size() + C::tag_bytes);
  REQUIRE(f.c.seal(ct, pt, {}, f.n()).has_value());

  C moved = std::move(f.c);
  Bytes back(pt.size());
  REQUIRE(moved.open(back, ct, {}, f.n()).has_value());
  CHECK(back == pt);
  // The moved-from instance refuses to work instead of using a wiped key.
  Bytes out(pt.size() + C::tag_bytes);
  auto r = f.c.seal(out, pt, {}, f.n());  // NOLINT(bugprone-use-after-move): that is the test
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == frameseal::Errc::invalid_argument);
  auto r2 = f.c.open(back, ct, {}, f.n());
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error() == frameseal::Errc::invalid_argument);

  // Move assignment replaces the key; self-move is harmless.
  C other = make_cipher<C>(pseudo_random(C::key_bytes, 52));
  other = std::move(moved);
  Bytes back2(pt.size());
  REQUIRE(other.open(back2, ct, {}, f.n()).has_value());
  CHECK(back2 == pt);
  C& alias = other;
  other = std::move(alias);
  REQUIRE(other.open(back2, ct, {}, f.n()).has_value());
}

}  // namespace fstest

#define FSTEST_CIPHER_CONTRACT_TESTS(prefix, ...)                                                     \
  TEST_CASE_TEMPLATE(prefix ": round trips in place and out of place, guard bytes", C, __VA_ARGS__) { \
    fstest::check_round_trips<C>();                                                                   \
  }                                                                                                   \
  TEST_CASE_TEMPLATE(prefix ": tampering fails with auth_failed and wipes out", C, __VA_ARGS__) {     \
    fstest::check_tampering<C>();                                                                     \
  }                                                                                                   \
  TEST_CASE_TEMPLATE(prefix ": buffer_too_small writes nothing", C, __VA_ARGS__) {                    \
    fstest::check_buffer_too_small<C>();                                                              \
  }                                                                                                   \
  TEST_CASE_TEMPLATE(prefix ": partial overlap is invalid_argument", C, __VA_ARGS__) {                \
    fstest::check_partial_overlap<C>();                                                               \
  }                                                                                                   \
  TEST_CASE_TEMPLATE(prefix ": empty plaintext, input shorter than the tag", C, __VA_ARGS__) {        \
    fstest::check_empty_and_short<C>();                                                               \
  }                                                                                                   \
  TEST_CASE_TEMPLATE(prefix ": move-only, moved-from refuses", C, __VA_ARGS__) {                      \
    fstest::check_moves<C>();                                                                         \
  }
