// sframe/header.hpp: the 289 header vectors of RFC 9605 Appendix C.1 in both directions, then the
// parser's refusals (truncated, non-minimal), boundary values, and an exhaustive sweep over every
// config byte at every length that checks parse never reads past its input.
#include "common.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

nlohmann::json rfc_vectors() {
  std::ifstream f(fstest::vectors_dir() + "/sframe/rfc9605-test-vectors.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

// An independent encoder, written from the RFC text, for the sweep below.
Bytes reference_encode(std::uint64_t kid, std::uint64_t ctr) {
  auto len = [](std::uint64_t v) {
    std::size_t n = 0;
    while (v) {
      ++n;
      v >>= 8;
    }
    return n;
  };
  Bytes out(1);
  auto put = [&](std::uint64_t v, int shift) {
    if (v < 8) {
      out[0] |= static_cast<std::uint8_t>(v << shift);
      return;
    }
    const std::size_t n = len(v);
    out[0] |= static_cast<std::uint8_t>((0x08 | (n - 1)) << shift);
    for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put(kid, 4);
  put(ctr, 0);
  return out;
}

}  // namespace

TEST_CASE("RFC 9605 C.1: all 289 header vectors encode and parse exactly") {
  const auto j = rfc_vectors();
  const auto& cases = j["header"];
  REQUIRE(cases.size() == 289);
  std::size_t checked = 0;
  for (const auto& v : cases) {
    const auto kid = v["kid"].get<std::uint64_t>();
    const auto ctr = v["ctr"].get<std::uint64_t>();
    const Bytes want = from_hex(v["encoded"].get<std::string>());
    CAPTURE(v["encoded"].get<std::string>());
    const sframe::Header h{kid, ctr};
    CHECK(sframe::encoded_size(h) == want.size());
    CHECK(to_hex(sframe::encode(h).view()) == to_hex(want));
    fstest::Guarded out(want.size());
    auto written = sframe::encode(h, out.span());
    REQUIRE(written.has_value());
    CHECK(to_hex(*written) == to_hex(want));
    CHECK(out.guard_intact());

    auto p = sframe::parse(want);
    REQUIRE(p.has_value());
    CHECK(p->header == h);
    CHECK(p->size == want.size());
    // Trailing bytes (ciphertext) are not the header's.
    Bytes longer = want;
    longer.insert(longer.end(), {0x00, 0xff, 0x12});
    auto q = sframe::parse(longer);
    REQUIRE(q.has_value());
    CHECK(q->header == h);
    CHECK(q->size == want.size());
    ++checked;
  }
  CHECK(checked == 289);
  MESSAGE("sframe header vectors checked: " << checked);
}

TEST_CASE("parse refuses every truncation of every vector") {
  const auto j = rfc_vectors();
  std::size_t refused = 0;
  for (const auto& v : j["header"]) {
    const Bytes enc = from_hex(v["encoded"].get<std::string>());
    for (std::size_t n = 0; n < enc.size(); ++n) {
      // A fresh allocation of exactly n bytes, so a read past the end trips ASan.
      std::vector<std::uint8_t> cut(enc.begin(), enc.begin() + static_cast<long>(n));
      sframe::HeaderFault fault{};
      auto p = sframe::parse(cut, &fault);
      REQUIRE_FALSE(p.has_value());
      CHECK(p.error() == Errc::malformed_frame);
      CHECK(fault == (n == 0 ? sframe::HeaderFault::empty : sframe::HeaderFault::truncated));
      ++refused;
    }
  }
  CHECK(refused > 1000);
}

TEST_CASE("parse refuses non-minimal encodings") {
  struct Case {
    const char* hex;
    sframe::HeaderFault fault;
  };
  const Case cases[] = {
      {"8000", sframe::HeaderFault::non_minimal_kid},    // KID 0 in one extended byte
      {"8007", sframe::HeaderFault::non_minimal_kid},    // KID 7 extended
      {"900008", sframe::HeaderFault::non_minimal_kid},  // KID 8 with a leading zero byte
      {"f000000000000000ff", sframe::HeaderFault::non_minimal_kid},
      {"0800", sframe::HeaderFault::non_minimal_ctr},  // CTR 0 extended
      {"0807", sframe::HeaderFault::non_minimal_ctr},
      {"090010", sframe::HeaderFault::non_minimal_ctr},  // CTR 16 in two bytes
      {"0f00ffffffffffffff", sframe::HeaderFault::non_minimal_ctr},
      {"880800", sframe::HeaderFault::non_minimal_ctr},  // KID fine, CTR 0 extended
  };
  for (const Case& c : cases) {
    CAPTURE(c.hex);
    sframe::HeaderFault fault{};
    auto p = sframe::parse(from_hex(c.hex), &fault);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error() == Errc::malformed_frame);
    CHECK(fault == c.fault);
    CHECK(sframe::to_string(fault) != "none");
  }
  // The minimal forms of the same values parse.
  for (const char* ok : {"00", "70", "8008", "08ff", "0808", "9001ff",
                         "ff"
                         "ffffffffffffffff"
                         "ffffffffffffffff"}) {
    CAPTURE(ok);
    CHECK(sframe::parse(from_hex(ok)).has_value());
  }
}

TEST_CASE("every config byte at every input length: parse agrees with the reference and stays in bounds") {
  std::mt19937_64 rng(42);
  std::size_t accepted = 0;
  for (int config = 0; config < 256; ++config) {
    for (std::size_t len = 1; len <= sframe::max_header_bytes + 1; ++len) {
      for (int trial = 0; trial < 4; ++trial) {
        std::vector<std::uint8_t> in(len);
        in[0] = static_cast<std::uint8_t>(config);
        for (std::size_t i = 1; i < len; ++i) in[i] = static_cast<std::uint8_t>(rng());
        if (trial == 0 && len > 1) in[1] = 0;  // leading zeros are the interesting case
        auto p = sframe::parse(in);
        if (!p) continue;
        ++accepted;
        REQUIRE(p->size <= len);
        // Whatever parses re-encodes to the same bytes: the encoding is canonical.
        CHECK(to_hex(reference_encode(p->header.kid, p->header.ctr)) == to_hex(BytesIn(in.data(), p->size)));
      }
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("boundary values round trip") {
  const std::uint64_t values[] = {0,
                                  1,
                                  7,
                                  8,
                                  0xff,
                                  0x100,
                                  0xffff,
                                  0x10000,
                                  0xffffff,
                                  0x1000000,
                                  0xffffffffull,
                                  0x100000000ull,
                                  0xffffffffffull,
                                  0x10000000000ull,
                                  0xffffffffffffull,
                                  0x1000000000000ull,
                                  0xffffffffffffffull,
                                  0x100000000000000ull,
                                  ~std::uint64_t{0} - 1,
                                  ~std::uint64_t{0}};
  for (std::uint64_t kid : values) {
    for (std::uint64_t ctr : values) {
      const sframe::Header h{kid, ctr};
      const auto e = sframe::encode(h);
      CHECK(to_hex(e.view()) == to_hex(reference_encode(kid, ctr)));
      auto p = sframe::parse(e.view());
      REQUIRE(p.has_value());
      CHECK(p->header == h);
      CHECK(p->size == e.size);
    }
  }
  CHECK(sframe::encoded_size({~std::uint64_t{0}, ~std::uint64_t{0}}) == sframe::max_header_bytes);
  CHECK(sframe::encoded_size({0, 0}) == sframe::min_header_bytes);
}

TEST_CASE("encode into a span: too small writes nothing") {
  const sframe::Header h{0x123, 0x4567};
  Bytes small(4, 0xEE);
  CHECK(sframe::encode(h, small).error() == Errc::buffer_too_small);
  CHECK(small == Bytes(4, 0xEE));
  Bytes exact(5);
  CHECK(to_hex(sframe::encode(h, exact).value()) == "9901234567");
}

// The codec is usable at compile time.
static_assert(sframe::encode(sframe::Header{0x123, 0x4567}).size == 5);
static_assert(sframe::encode(sframe::Header{0, 0}).bytes[0] == 0x00);
static_assert(sframe::encoded_size(sframe::Header{7, 8}) == 2);
