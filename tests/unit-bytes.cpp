#include "common.hpp"

// Tests of include/frameseal/bytes.hpp: as_bytes, big-endian load/store, ct_equal, overlaps_partially.

#include <array>

using fstest::Bytes;

TEST_CASE("as_bytes is the UTF-8 bytes without a terminator") {
  const auto b = frameseal::as_bytes("LKFrameEncryptionKey");
  CHECK(b.size() == 20);
  CHECK(fstest::to_hex(b) == "4c4b4672616d65456e6372797074696f6e4b6579");
  CHECK(frameseal::as_bytes("").empty());
  CHECK(fstest::to_hex(frameseal::as_bytes("\xc3\xa9")) == "c3a9");
}

TEST_CASE("big-endian load/store round trips") {
  std::array<std::uint8_t, 8> b{};
  frameseal::store_be16(b.data(), 0x1234);
  CHECK(fstest::to_hex(std::span(b).first(2)) == "1234");
  CHECK(frameseal::load_be16(b.data()) == 0x1234);

  frameseal::store_be32(b.data(), 0x11223344u);
  CHECK(fstest::to_hex(std::span(b).first(4)) == "11223344");
  CHECK(frameseal::load_be32(b.data()) == 0x11223344u);

  frameseal::store_be64(b.data(), 0x0102030405060708ull);
  CHECK(fstest::to_hex(b) == "0102030405060708");
  CHECK(frameseal::load_be64(b.data()) == 0x0102030405060708ull);

  // Extremes: the top bit must not sign-extend, all-ones must survive.
  for (std::uint64_t v : {0ull, 1ull, 0x80ull, 0xffull, 0x8000000000000000ull, 0xffffffffffffffffull,
                          0x00ff00ff00ff00ffull, 0xfedcba9876543210ull}) {
    CAPTURE(v);
    frameseal::store_be64(b.data(), v);
    CHECK(frameseal::load_be64(b.data()) == v);
    const auto v32 = static_cast<std::uint32_t>(v >> 7);
    frameseal::store_be32(b.data(), v32);
    CHECK(frameseal::load_be32(b.data()) == v32);
    const auto v16 = static_cast<std::uint16_t>(v >> 3);
    frameseal::store_be16(b.data(), v16);
    CHECK(frameseal::load_be16(b.data()) == v16);
  }
  const std::uint8_t high[4] = {0xff, 0xfe, 0x80, 0x01};
  CHECK(frameseal::load_be16(high) == 0xfffe);
  CHECK(frameseal::load_be32(high) == 0xfffe8001u);

  // constexpr: the frame formats use these in constant expressions.
  constexpr auto round = [] {
    std::array<std::uint8_t, 8> a{};
    frameseal::store_be64(a.data(), 0xa1b2c3d4e5f60718ull);
    return frameseal::load_be64(a.data());
  }();
  static_assert(round == 0xa1b2c3d4e5f60718ull);
}

TEST_CASE("ct_equal") {
  const Bytes a = {1, 2, 3, 4, 5}, same = {1, 2, 3, 4, 5};
  CHECK(frameseal::ct_equal(a, same));
  CHECK(frameseal::ct_equal(a, a));
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    Bytes d = a;
    d[i] ^= 0x01;
    CHECK_FALSE(frameseal::ct_equal(a, d));
  }
  CHECK_FALSE(frameseal::ct_equal(a, Bytes{1, 2, 3, 4}));        // different lengths: unequal
  CHECK_FALSE(frameseal::ct_equal(a, Bytes{1, 2, 3, 4, 5, 6}));  // even when one is a prefix
  CHECK(frameseal::ct_equal({}, {}));
  CHECK_FALSE(frameseal::ct_equal({}, a));
}

TEST_CASE("overlaps_partially") {
  std::array<std::uint8_t, 64> buf{};
  const std::span<std::uint8_t> s(buf);
  const std::span<const std::uint8_t> c(buf);
  // Exactly the same start (in-place) is allowed, whatever the lengths.
  CHECK_FALSE(frameseal::overlaps_partially(c.first(10), s.first(10)));
  CHECK_FALSE(frameseal::overlaps_partially(c.first(10), s.first(30)));
  CHECK_FALSE(frameseal::overlaps_partially(c.first(30), s.first(10)));
  // Disjoint and adjacent spans are fine.
  CHECK_FALSE(frameseal::overlaps_partially(c.first(10), s.subspan(10, 10)));
  CHECK_FALSE(frameseal::overlaps_partially(c.subspan(10, 10), s.first(10)));
  CHECK_FALSE(frameseal::overlaps_partially(c.first(10), s.subspan(40, 10)));
  // Output starting inside the input, or the input starting inside the output.
  CHECK(frameseal::overlaps_partially(c.first(10), s.subspan(9, 10)));
  CHECK(frameseal::overlaps_partially(c.first(10), s.subspan(1, 1)));
  CHECK(frameseal::overlaps_partially(c.subspan(5, 10), s.first(6)));
  CHECK(frameseal::overlaps_partially(c.subspan(5, 1), s.first(64)));
  // Empty spans never overlap.
  CHECK_FALSE(frameseal::overlaps_partially(c.subspan(5, 0), s.first(64)));
  CHECK_FALSE(frameseal::overlaps_partially(c.first(64), s.subspan(5, 0)));
  CHECK_FALSE(frameseal::overlaps_partially({}, {}));
}
