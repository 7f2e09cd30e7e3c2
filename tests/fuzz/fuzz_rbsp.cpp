// Fuzz target: LiveKit's emulation prevention (livekit/rbsp.hpp): write_rbsp, unescape_rbsp,
// needs_unescape and the size functions.
//
// Input: byte 0 an offset for the aliasing checks; then the bytes.
// Checks:
//   - write_rbsp equals a byte-by-byte port of livekit-client's writeRbsp; escaped_size is its size
//     and stays within max_escaped_size; the escaped bytes never contain 00 00 00, 00 00 01 or
//     00 00 02, and every 00 00 03 is followed by a byte <= 03 or ends the buffer;
//   - the round trip is exact: unescape_rbsp(write_rbsp(x)) == x;
//   - unescape_rbsp of any bytes equals a port of livekit's parseRbsp, and unescaped_size and
//     needs_unescape (livekit's needsRbspUnescaping) agree with their ports;
//   - the same results in place, staged at the end of the buffer and escaped forward (what the
//     frame cryptor does), and un-escaped into an output that starts earlier; a too small output is
//     buffer_too_small with nothing written.
#include <frameseal/frameseal.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;
using namespace frameseal;

Bytes ref_write(BytesIn in) {
  Bytes out;
  int zeros = 0;
  for (std::uint8_t b : in) {
    if (b <= 3 && zeros >= 2) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

Bytes ref_parse(BytesIn in) {
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

bool ref_needs_unescape(BytesIn in) {
  for (std::size_t i = 0; i + 3 < in.size(); ++i)
    if (in[i] == 0 && in[i + 1] == 0 && in[i + 2] == 3) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t shift = in.byte();
  const BytesIn rest = in.rest();
  const Bytes x(rest.begin(), rest.end());

  // Escaping.
  const Bytes want = ref_write(x);
  FS_FUZZ_CHECK(livekit::escaped_size(x) == want.size());
  FS_FUZZ_CHECK(livekit::escape_insertions(x) == want.size() - x.size());
  FS_FUZZ_CHECK(want.size() <= livekit::max_escaped_size(x.size()));
  for (std::size_t i = 0; i + 2 < want.size(); ++i) {
    if (want[i] != 0 || want[i + 1] != 0) continue;
    FS_FUZZ_CHECK(want[i + 2] >= 3);
    if (want[i + 2] == 3) FS_FUZZ_CHECK(i + 3 == want.size() || want[i + 3] <= 3);
  }
  {
    Guarded out(want.size());
    auto r = livekit::write_rbsp(x, out.span());
    FS_FUZZ_CHECK(out.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, want));
  }
  if (!want.empty()) {  // too small
    Guarded out(want.size() - 1);
    auto r = livekit::write_rbsp(x, out.span());
    FS_FUZZ_CHECK(!r && r.error() == Errc::buffer_too_small);
    FS_FUZZ_CHECK(out.guard_intact() && only_old_or_zero(out.span(), Bytes(out.size(), 0xCC)));
  }
  {  // in place (back to front), the input at the start of a buffer of the escaped size, or later
    const std::size_t k = shift % 4;
    Guarded buf(want.size() + k);
    if (!x.empty()) std::memcpy(buf.data(), x.data(), x.size());
    auto r = livekit::write_rbsp(BytesIn(buf.data(), x.size()), BytesOut(buf.data() + k, want.size()));
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, want));
  }
  {  // staged at the end, escaped forward into place (the frame cryptor's H.264 path)
    const std::size_t extra = want.size() - x.size();
    Guarded buf(want.size());
    if (!x.empty()) std::memcpy(buf.data() + extra, x.data(), x.size());
    auto r = livekit::write_rbsp(BytesIn(buf.data() + extra, x.size()), buf.span());
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, want));
  }

  // The round trip.
  {
    Bytes back(want.size());
    auto r = livekit::unescape_rbsp(want, back);
    FS_FUZZ_CHECK(r.has_value() && equal(*r, x));
  }

  // Un-escaping arbitrary bytes.
  const Bytes parsed = ref_parse(x);
  FS_FUZZ_CHECK(livekit::unescaped_size(x) == parsed.size());
  FS_FUZZ_CHECK(livekit::needs_unescape(x) == ref_needs_unescape(x));
  {
    Guarded out(parsed.size());
    auto r = livekit::unescape_rbsp(x, out.span());
    FS_FUZZ_CHECK(out.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, parsed));
  }
  if (!parsed.empty()) {
    Guarded out(parsed.size() - 1);
    auto r = livekit::unescape_rbsp(x, out.span());
    FS_FUZZ_CHECK(!r && r.error() == Errc::buffer_too_small);
    FS_FUZZ_CHECK(out.guard_intact() && only_old_or_zero(out.span(), Bytes(out.size(), 0xCC)));
  }
  {  // in place, and into an output that starts before the input in the same buffer
    const std::size_t k = shift % 3;
    Guarded buf(x.size() + k);
    if (!x.empty()) std::memcpy(buf.data() + k, x.data(), x.size());
    auto r = livekit::unescape_rbsp(BytesIn(buf.data() + k, x.size()), BytesOut(buf.data(), x.size() + k));
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, parsed));
  }
  return 0;
}
