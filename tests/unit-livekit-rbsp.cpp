// livekit/rbsp.hpp: LiveKit's emulation prevention (writeRbsp), its inverse (parseRbsp) and the
// receiver's trigger (needsRbspUnescaping). The table of edge cases holds the outputs of the
// functions shipped in the livekit-client 2.23.0 worker bundle; the livekit vectors check the
// escaping of C || T || IV || 0x0C || KID; byte-by-byte models of the three livekit functions are
// compared with the memchr implementation on random inputs, in and out of place.
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "common.hpp"

using namespace frameseal;
using namespace frameseal::livekit;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

// livekit writeRbsp, byte by byte.
Bytes model_write(const Bytes& in) {
  Bytes out;
  int zeros = 0;
  for (auto b : in) {
    if (b <= 3 && zeros >= 2) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

// livekit parseRbsp, byte by byte.
Bytes model_parse(const Bytes& in) {
  Bytes out;
  for (std::size_t i = 0; i < in.size();) {
    if (in.size() - i >= 3 && in[i] == 0 && in[i + 1] == 0 && in[i + 2] == 3) {
      out.push_back(0);
      out.push_back(0);
      i += 3;
    } else {
      out.push_back(in[i++]);
    }
  }
  return out;
}

// livekit needsRbspUnescaping.
bool model_needs(const Bytes& in) {
  for (std::size_t i = 0; i + 3 < in.size(); ++i)
    if (in[i] == 0 && in[i + 1] == 0 && in[i + 2] == 3) return true;
  return false;
}

Bytes escape(const Bytes& in) {
  fstest::Guarded g(escaped_size(in));
  auto r = write_rbsp(in, g.span());
  REQUIRE(r.has_value());
  REQUIRE(g.guard_intact());
  return Bytes(r->begin(), r->end());
}

Bytes unescape(const Bytes& in) {
  fstest::Guarded g(unescaped_size(in));
  auto r = unescape_rbsp(in, g.span());
  REQUIRE(r.has_value());
  REQUIRE(g.guard_intact());
  return Bytes(r->begin(), r->end());
}

// After escaping, 00 00 is never followed by 00, 01 or 02, and 00 00 03 only occurs as an
// emulation-prevention byte, that is followed by a byte <= 03 (what it protects).
bool has_start_code_emulation(BytesIn b) {
  for (std::size_t i = 0; i + 2 < b.size(); ++i) {
    if (b[i] != 0 || b[i + 1] != 0) continue;
    if (b[i + 2] <= 2) return true;
    if (b[i + 2] == 3 && (i + 3 >= b.size() || b[i + 3] > 3)) return true;
  }
  return false;
}

struct Edge {
  const char* in;
  const char* escaped;    // livekit writeRbsp(in)
  const char* unescaped;  // livekit parseRbsp(in)
  bool needs;             // livekit needsRbspUnescaping(in)
};

// Outputs of livekit-client 2.23.0's own functions.
const Edge edges[] = {
    {"", "", "", false},
    {"00", "00", "00", false},
    {"0000", "0000", "0000", false},  // a trailing 00 00 gets nothing appended
    {"000000", "00000300", "000000", false},
    {"00000000", "0000030000", "00000000", false},
    {"0000000000", "00000300000300", "0000000000", false},
    {"000000000000", "0000030000030000", "000000000000", false},
    {"000001", "00000301", "000001", false},
    {"000002", "00000302", "000002", false},
    {"000003", "00000303", "0000", false},  // a final 00 00 03 is un-escaped, but does not trigger it
    {"000004", "000004", "000004", false},
    {"0000ff", "0000ff", "0000ff", false},
    {"00000303", "0000030303", "000003", true},
    {"000001000001", "0000030100000301", "000001000001", false},
    {"0000000001", "00000300000301", "0000000001", false},
    {"00000304", "0000030304", "000004", true},  // 00 00 03 xx with xx > 3 is un-escaped too
    {"0000030000", "000003030000", "00000000", true},
    {"0000000303", "000003000303", "00000003", true},
    {"000003000003", "0000030300000303", "00000000", true},
    {"00000003", "0000030003", "000000", false},
    {"0000000003", "00000300000303", "00000000", false},
    {"00000300", "0000030300", "000000", true},
    {"0c00", "0c00", "0c00", false},
    {"01000001", "0100000301", "01000001", false},
    {"00000000000001", "00000300000300000301", "00000000000001", false},
    {"0000030c00", "000003030c00", "00000c00", true},
};

}  // namespace

TEST_CASE("rbsp: edge cases equal livekit-client's own functions") {
  for (const auto& e : edges) {
    CAPTURE(e.in);
    const Bytes in = from_hex(e.in);
    CHECK(to_hex(escape(in)) == e.escaped);
    CHECK(escaped_size(in) == from_hex(e.escaped).size());
    CHECK(escape_insertions(in) == from_hex(e.escaped).size() - in.size());
    CHECK(to_hex(unescape(in)) == e.unescaped);
    CHECK(unescaped_size(in) == from_hex(e.unescaped).size());
    CHECK(needs_unescape(in) == e.needs);
  }
}

TEST_CASE("rbsp: max_escaped_size is the exact worst case") {
  CHECK(max_escaped_size(0) == 0);
  CHECK(max_escaped_size(1) == 1);
  CHECK(max_escaped_size(2) == 2);
  CHECK(max_escaped_size(3) == 4);
  for (std::size_t n = 0; n < 300; ++n) {
    const Bytes zeros(n, 0);
    CHECK(escaped_size(zeros) == max_escaped_size(n));  // all zeros reaches the bound
  }
  CHECK(max_escaped_size(SIZE_MAX) == SIZE_MAX);  // saturates
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes b(rng() % 64);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() % 4 : 0);
    CHECK(escaped_size(b) <= max_escaped_size(b.size()));
  }
}

TEST_CASE("rbsp: random inputs equal the byte-by-byte models; round trip; no start-code emulation") {
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 20000; ++iter) {
    const std::size_t len = rng() % (iter % 16 == 0 ? 2000 : 40);
    Bytes in(len);
    const int mode = iter % 3;
    for (auto& x : in) {
      const auto r = rng();
      x = mode == 0   ? static_cast<std::uint8_t>(r % 5)                            // 00..04 only
          : mode == 1 ? static_cast<std::uint8_t>(r % 3 == 0 ? 0 : (r >> 8) % 256)  // zero-heavy
                      : static_cast<std::uint8_t>(r >> 8);                          // ciphertext-like
    }
    const Bytes esc = escape(in);
    if (esc != model_write(in)) FAIL_CHECK("write_rbsp differs for " << to_hex(in));
    if (has_start_code_emulation(esc)) FAIL_CHECK("start-code emulation left in " << to_hex(esc));
    if (unescape(esc) != in) FAIL_CHECK("round trip failed for " << to_hex(in));
    if (unescape(in) != model_parse(in)) FAIL_CHECK("unescape_rbsp differs for " << to_hex(in));
    if (needs_unescape(in) != model_needs(in)) FAIL_CHECK("needs_unescape differs for " << to_hex(in));

    // in place: escape grows back to front, unescape shrinks front to back
    Bytes buf = in;
    buf.resize(esc.size() + 3, 0xee);
    auto w = write_rbsp(BytesIn(buf.data(), in.size()), buf);
    REQUIRE(w.has_value());
    if (Bytes(w->begin(), w->end()) != esc) FAIL_CHECK("in-place write_rbsp differs for " << to_hex(in));
    auto u = unescape_rbsp(BytesIn(buf.data(), esc.size()), BytesOut(buf.data(), esc.size()));
    REQUIRE(u.has_value());
    if (Bytes(u->begin(), u->end()) != in) FAIL_CHECK("in-place unescape differs for " << to_hex(in));

    // staged at the end of the buffer and escaped forward into its front (the frame cryptor's way)
    const std::size_t slack = 5;
    Bytes stage(slack + esc.size(), 0xee);
    const std::size_t at = stage.size() - in.size();
    std::copy(in.begin(), in.end(), stage.begin() + static_cast<std::ptrdiff_t>(at));
    auto s = write_rbsp(BytesIn(stage.data() + at, in.size()), BytesOut(stage.data() + slack, esc.size()));
    REQUIRE(s.has_value());
    if (Bytes(s->begin(), s->end()) != esc) FAIL_CHECK("staged write_rbsp differs for " << to_hex(in));
  }
}

TEST_CASE("rbsp: failure paths write nothing") {
  const Bytes in = from_hex("aa000001bb000000cc");
  const std::size_t e = escaped_size(in);
  REQUIRE(e == in.size() + 2);
  fstest::Guarded small(e - 1);
  CHECK(write_rbsp(in, small.span()).error() == Errc::buffer_too_small);
  for (auto b : small.written(e - 1)) CHECK(b == 0xCC);
  CHECK(small.guard_intact());

  const Bytes esc = from_hex("aa00000301bb00000300cc");
  fstest::Guarded tiny(unescaped_size(esc) - 1);
  CHECK(unescape_rbsp(esc, tiny.span()).error() == Errc::buffer_too_small);
  for (auto b : tiny.written(unescaped_size(esc) - 1)) CHECK(b == 0xCC);
  // exactly the unescaped size is enough, even though it is less than the input
  fstest::Guarded exact(unescaped_size(esc));
  auto ok = unescape_rbsp(esc, exact.span());
  REQUIRE(ok.has_value());
  CHECK(to_hex(*ok) == "aa000001bb000000cc");
  CHECK(exact.guard_intact());

  // escaping into a buffer that starts inside the input's first insertion distance
  Bytes buf(in.size() + 8, 0);
  std::copy(in.begin(), in.end(), buf.begin() + 1);
  CHECK(write_rbsp(BytesIn(buf.data() + 1, in.size()), BytesOut(buf.data(), e)).error() ==
        Errc::invalid_argument);
  // but starting `insertions` bytes before the input is fine
  Bytes buf2(in.size() + 2, 0);
  std::copy(in.begin(), in.end(), buf2.begin() + 2);
  auto fwd = write_rbsp(BytesIn(buf2.data() + 2, in.size()), BytesOut(buf2.data(), e));
  REQUIRE(fwd.has_value());
  CHECK(to_hex(*fwd) == "aa00000301bb00000300cc");
  // un-escaping into a buffer that starts after the input and overlaps it
  Bytes ubuf(esc.size() + 4, 0);
  std::copy(esc.begin(), esc.end(), ubuf.begin());
  CHECK(unescape_rbsp(BytesIn(ubuf.data(), esc.size()), BytesOut(ubuf.data() + 1, esc.size())).error() ==
        Errc::invalid_argument);
  // empty input
  CHECK(write_rbsp(Bytes{}, BytesOut{}).has_value());
  CHECK(unescape_rbsp(Bytes{}, BytesOut{}).has_value());
}

TEST_CASE("rbsp: livekit vectors, escaping of C || T || IV || 0x0C || KID") {
  std::ifstream f(fstest::vectors_dir() + "/livekit/livekit-client-2.23.0-public.json");
  REQUIRE(f.good());
  const auto doc = nlohmann::json::parse(f);
  int checked = 0, escaped_vectors = 0;
  for (const auto& v : doc.at("vectors")) {
    CAPTURE(v.at("id").get<std::string>());
    const std::string codec = v.at("codec");
    const bool nalu = codec == "h264" || codec == "h265";
    Bytes bprime = from_hex(v.at("ciphertext_and_tag_hex").get<std::string>());
    const Bytes iv = from_hex(v.at("iv_hex").get<std::string>());
    bprime.insert(bprime.end(), iv.begin(), iv.end());
    bprime.push_back(0x0c);
    bprime.push_back(static_cast<std::uint8_t>(v.at("key_index").get<int>()));
    const Bytes frame = from_hex(v.at("encrypted_frame_hex").get<std::string>());
    const std::size_t h = from_hex(v.at("aad_hex").get<std::string>()).size();
    REQUIRE(frame.size() >= h);
    const Bytes tail(frame.begin() + static_cast<std::ptrdiff_t>(h), frame.end());
    if (nalu) {
      CHECK(escape(bprime) == tail);
      CHECK(escape_insertions(bprime) == v.at("rbsp_escape_bytes_inserted").get<std::size_t>());
      if (escape_insertions(bprime) != 0) ++escaped_vectors;
      CHECK(needs_unescape(tail) == (escape_insertions(bprime) != 0));
      CHECK(unescape(tail) == bprime);
    } else {
      CHECK(tail == bprime);
      CHECK(v.at("rbsp_escape_bytes_inserted").get<std::size_t>() == 0);
    }
    ++checked;
  }
  CHECK(checked == doc.at("vectors").size());
  CHECK(escaped_vectors >= 1);  // hkdf-h264-ciphertext-needs-escaping
}
