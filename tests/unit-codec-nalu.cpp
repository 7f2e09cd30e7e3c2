// codec/nalu.hpp: Annex-B scanning with livekit-client 2.23.0 `findNALUIndices` semantics, the
// H.264/H.265 type helpers and the first-slice rule of `processNALUsForEncryption`.
// The expected values of the hand-made cases were checked against the functions shipped in the
// livekit-client 2.23.0 worker bundle; a byte-by-byte model of the same algorithm (as livekit
// scans) is compared with the memchr scanner on random streams.
#include <random>
#include <string>
#include <vector>

#include "common.hpp"

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;

namespace {

struct Scan {
  bool leading = false;
  std::vector<Nalu> nalus;
  bool operator==(const Scan&) const = default;
};

Scan scan(const Bytes& b) {
  Scan s;
  AnnexBScanner sc(b);
  s.leading = sc.leading_data();
  Nalu u;
  while (sc.next(u)) s.nalus.push_back(u);
  return s;
}

std::vector<std::size_t> offsets(const Bytes& b) {
  std::vector<std::size_t> o;
  for (auto& u : scan(b).nalus) o.push_back(u.offset);
  return o;
}

// A byte-by-byte model of livekit's findNALUIndices, also recording start codes and trimmed ends.
Scan model(const Bytes& d) {
  Scan s;
  const std::size_t len = d.size();
  if (len < 4) return s;
  const std::size_t search = len - 3;
  std::size_t start = 0, pos = 0, sc_pos = 0;
  bool first = true;
  while (pos < search) {
    std::size_t sc_len = 3;
    while (pos < search) {
      if (pos + 1 < search && d[pos] == 0 && d[pos + 1] == 0 && d[pos + 2] == 0 && d[pos + 3] == 1) {
        sc_len = 4;
        break;
      }
      if (d[pos] == 0 && d[pos + 1] == 0 && d[pos + 2] == 1) break;
      ++pos;
    }
    if (pos >= search) pos = len;
    std::size_t end = pos;
    while (end > start && d[end - 1] == 0) --end;
    if (first) {
      s.leading = end != start;
      first = false;
    } else {
      s.nalus.push_back(Nalu{sc_pos, start, end});
    }
    sc_pos = pos;
    start = pos = pos + sc_len;
  }
  return s;
}

std::string first_slice_str(const Bytes& b) {
  auto r = find_first_slice(b);
  if (r.leading_data) return "leading";
  if (r.codec == Codec::unknown) return "none";
  return std::string(to_string(r.codec)) + ":" + std::to_string(r.offset);
}

}  // namespace

TEST_CASE("nalu: type helpers") {
  CHECK(h264_nalu_type(0x65) == 5);
  CHECK(h264_nalu_type(0x41) == 1);
  CHECK(h264_nalu_type(0x67) == 7);
  CHECK(h264_is_slice(0x65));
  CHECK(h264_is_slice(0x41));
  CHECK(h264_is_slice(0x01));
  CHECK_FALSE(h264_is_slice(0x67));
  CHECK_FALSE(h264_is_slice(0x06));
  CHECK_FALSE(h264_is_slice(0x42));  // data partition A
  CHECK_FALSE(h264_is_slice(0x74));  // type 20, slice extension: not counted by livekit
  CHECK(h265_nalu_type(0x26) == 19);
  CHECK(h265_nalu_type(0x40) == 32);
  for (int t = 0; t < 64; ++t) {
    const auto b = static_cast<std::uint8_t>(t << 1);
    CHECK(h265_nalu_type(b) == t);
    CHECK(h265_is_vcl(b) == ((t <= 9) || (t >= 16 && t <= 21)));
    CHECK(h265_is_vcl(static_cast<std::uint8_t>(b | 0x81)) == h265_is_vcl(b));  // layer-id / F bits ignored
  }
  // Non-slice H.264 headers that read as H.265 VCL types (why H.264 is searched first).
  CHECK(h265_is_vcl(0x09));  // AUD -> STSA_N
  CHECK(h265_is_vcl(0x06));  // SEI -> TSA_R
  CHECK_FALSE(h265_is_vcl(0x67));
  CHECK_FALSE(h265_is_vcl(0x68));
}

TEST_CASE("nalu: 4-byte, 3-byte and zero-padded start codes") {
  // 00000001 67 aa | 000001 68 bb | 00 00000001 65 88 99 cc
  const Bytes f = from_hex("0000000167aa00000168bb0000000001658899cc");
  const Scan s = scan(f);
  CHECK_FALSE(s.leading);
  REQUIRE(s.nalus.size() == 3);
  CHECK(s.nalus[0] == Nalu{0, 4, 6});
  CHECK(s.nalus[0].start_code_bytes() == 4);
  CHECK(s.nalus[0].size() == 2);
  CHECK(s.nalus[1] == Nalu{6, 9, 11});  // the extra zero before the next start code is trimmed
  CHECK(s.nalus[1].start_code_bytes() == 3);
  CHECK(s.nalus[2] == Nalu{12, 16, 20});  // 00 00 00 01 preferred over the 00 00 01 inside it
  CHECK(s == model(f));
  CHECK(first_slice_str(f) == "h264:16");
}

TEST_CASE("nalu: short streams, the end of the stream and empty NAL units") {
  CHECK(scan(Bytes{}) == Scan{});
  CHECK(scan(from_hex("abcdef")) == Scan{});  // < 4 bytes: no scan at all, not even leading data
  CHECK(scan(from_hex("000001")) == Scan{});
  CHECK(offsets(from_hex("00000165")).empty());
  CHECK(offsets(from_hex("0000016588")).empty());
  // a NAL unit starting in the last 3 bytes is not reported
  CHECK(offsets(from_hex("000001658899")).empty());
  CHECK(offsets(from_hex("00000165889900")) == std::vector<std::size_t>{3});
  CHECK(offsets(from_hex("0000000165")).empty());
  CHECK(offsets(from_hex("00000001658899")).empty());
  CHECK(first_slice_str(from_hex("00000001658899")) == "none");
  // a start code whose 01 is the last byte is not one
  {
    const Bytes f = from_hex("000001678899000001");
    const Scan s = scan(f);
    REQUIRE(s.nalus.size() == 1);
    CHECK(s.nalus[0] == Nalu{0, 3, 9});  // runs to the end; the final 01 is not a zero to trim
    CHECK(first_slice_str(f) == "none");
  }
  // an empty NAL unit is reported; its "header" byte is the next start code's 00 (H.265 TRAIL_N)
  {
    const Bytes f = from_hex("000001000001658899");
    const Scan s = scan(f);
    REQUIRE(s.nalus.size() == 1);
    CHECK(s.nalus[0] == Nalu{0, 3, 3});
    CHECK(first_slice_str(f) == "h265:3");  // the IDR at 6 starts in the last 3 bytes
  }
  CHECK(offsets(from_hex("00000000000165880000")) == std::vector<std::size_t>{6});
}

TEST_CASE("nalu: leading data") {
  const Bytes f = from_hex("65880000016588aabb");
  const Scan s = scan(f);
  CHECK(s.leading);
  REQUIRE(s.nalus.size() == 1);  // the scanner still iterates; livekit ignores the stream
  CHECK(s.nalus[0].offset == 5);
  CHECK(first_slice_str(f) == "leading");
  Nalu out[4];
  CHECK(find_nalus(f, out).error() == Errc::malformed_frame);
  // no start code at all: leading data when any byte is non-zero
  CHECK(scan(from_hex("0102030405")).leading);
  CHECK_FALSE(scan(from_hex("0000000000")).leading);
  CHECK(first_slice_str(from_hex("0000000000")) == "none");
  // zero bytes before the first start code are not leading data
  CHECK_FALSE(scan(from_hex("0000000000016588aabb")).leading);
  CHECK(first_slice_str(from_hex("0000000000016588aabb")) == "h264:6");
  // a start code at offset 1 preceded by a non-zero byte
  CHECK(scan(from_hex("0100000165aabbcc")).leading);
}

TEST_CASE("nalu: find_nalus writes like snprintf") {
  const Bytes f = from_hex("0000000167aa00000168bb0000000001658899cc");
  Nalu two[2];
  auto r = find_nalus(f, two);
  REQUIRE(r.has_value());
  CHECK(*r == 3);
  CHECK(two[0].offset == 4);
  CHECK(two[1].offset == 9);
  auto none = find_nalus(f, {});
  REQUIRE(none.has_value());
  CHECK(*none == 3);
  CHECK(*find_nalus(Bytes{}, {}) == 0);
}

TEST_CASE("nalu: first slice, the bytes decide and H.264 outranks H.265") {
  // AUD (reads as H.265 STSA_N) then an H.264 IDR: H.264 wins, at the IDR.
  CHECK(first_slice_str(from_hex("0000000109f000000001658899aa")) == "h264:10");
  // H.265 VPS (32) then IDR_W_RADL (19)
  CHECK(first_slice_str(from_hex("00000001400101aa000000012601bbcc")) == "h265:12");
  // SPS + PPS only: no slice of either kind
  CHECK(first_slice_str(from_hex("00000001678899aa0000000168aabbcc")) == "none");
  // an H.265 VCL unit before an H.264 slice does not win
  CHECK(first_slice_str(from_hex("000000010201aabb0000000141aabbcc")) == "h264:12");
  // H.265 only: the first VCL unit (TRAIL_R after a prefix SEI), even when later ones exist
  CHECK(first_slice_str(from_hex("000000014e01aa0000000102011122000000012601aabb")) == "h265:11");
  CHECK(first_slice_str(Bytes{}) == "none");
}

TEST_CASE("nalu: the memchr scanner equals the byte-by-byte model on random streams") {
  std::mt19937 rng(20240601);
  const std::uint8_t alphabet[] = {0, 0, 0, 0, 1, 1, 3, 0x65, 0x41, 0x67, 0x26, 0x02, 0x09, 0xff};
  for (int iter = 0; iter < 20000; ++iter) {
    const std::size_t len = rng() % (iter % 10 == 0 ? 400 : 24);
    Bytes b(len);
    const bool any = iter % 3 == 0;
    for (auto& x : b) x = any ? static_cast<std::uint8_t>(rng()) : alphabet[rng() % sizeof alphabet];
    const Scan got = scan(b), want = model(b);
    if (got != want) FAIL_CHECK("mismatch for " << fstest::to_hex(b));
    // first slice = first H.264 slice if any, else first H.265 VCL unit
    std::string expect = "none";
    if (want.leading) {
      expect = "leading";
    } else {
      for (auto& u : want.nalus)
        if (h264_is_slice(b[u.offset])) {
          expect = "h264:" + std::to_string(u.offset);
          break;
        }
      if (expect == "none")
        for (auto& u : want.nalus)
          if (h265_is_vcl(b[u.offset])) {
            expect = "h265:" + std::to_string(u.offset);
            break;
          }
    }
    if (first_slice_str(b) != expect) FAIL_CHECK("first slice mismatch for " << fstest::to_hex(b));
  }
}

TEST_CASE("nalu: never reads outside the span") {
  // A start-code prefix right at the end of a span cut out of a larger buffer: the byte after the
  // span is 01, which must not complete a start code.
  const Bytes big = from_hex("00000001658899aa0000");
  const Bytes extended = from_hex("00000001658899aa000001");
  const BytesIn cut(extended.data(), big.size());
  AnnexBScanner s(cut);
  Nalu u;
  REQUIRE(s.next(u));
  CHECK(u == Nalu{0, 4, 8});
  CHECK_FALSE(s.next(u));
}
