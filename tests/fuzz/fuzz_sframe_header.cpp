// Fuzz target: the SFrame header codec (sframe/header.hpp, RFC 9605 §4.3).
//
// Input: any bytes, parsed as a header; the first 16 bytes also give a (KID, CTR) to encode.
// Checks:
//   - parse -> encode -> parse is the identity: a header that parses re-encodes to exactly the
//     bytes it was read from (parse accepts only minimal encodings), and those parse again to the
//     same values;
//   - a refusal names the right fault (empty, truncated, non-minimal KID / CTR), read off the
//     config byte here;
//   - encode of any (KID, CTR) has encoded_size bytes (1..17), parses back to the same values, and
//     a too small output is buffer_too_small with nothing written.
#include <frameseal/frameseal.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;
using namespace frameseal;
using namespace frameseal::sframe;

void check_encode(const Header& h) {
  const std::size_t n = encoded_size(h);
  FS_FUZZ_CHECK(n >= 1 && n <= max_header_bytes);
  const EncodedHeader e = encode(h);
  FS_FUZZ_CHECK(e.size == n);
  Guarded out(n);
  auto w = encode(h, out.span());
  FS_FUZZ_CHECK(out.guard_intact() && w.has_value() && equal(*w, e.view()));
  Guarded small(n - 1);
  auto s = encode(h, small.span());
  FS_FUZZ_CHECK(!s && s.error() == Errc::buffer_too_small);
  FS_FUZZ_CHECK(small.guard_intact() && only_old_or_zero(small.span(), Bytes(n - 1, 0xCC)));
  const Bytes exact(e.view().begin(), e.view().end());
  auto p = parse(exact);
  FS_FUZZ_CHECK(p.has_value() && p->header == h && p->size == n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, data + size);
  HeaderFault fault = HeaderFault::none;
  auto p = parse(in, &fault);

  // The expected verdict, from the config byte.
  HeaderFault want = HeaderFault::none;
  if (in.empty()) {
    want = HeaderFault::empty;
  } else {
    const unsigned k = in[0] >> 4, c = in[0] & 15;
    const std::size_t nk = (k & 8) ? (k & 7) + 1 : 0, nc = (c & 8) ? (c & 7) + 1 : 0;
    auto value = [&](std::size_t at, std::size_t len) {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < len; ++i) v = v << 8 | in[at + i];
      return v;
    };
    if (in.size() < 1 + nk + nc)
      want = HeaderFault::truncated;
    else if (nk && ((nk > 1 && in[1] == 0) || value(1, nk) < 8))
      want = HeaderFault::non_minimal_kid;
    else if (nc && ((nc > 1 && in[1 + nk] == 0) || value(1 + nk, nc) < 8))
      want = HeaderFault::non_minimal_ctr;
  }
  FS_FUZZ_CHECK(fault == want);
  FS_FUZZ_CHECK(p.has_value() == (want == HeaderFault::none));
  if (!p) {
    FS_FUZZ_CHECK(p.error() == Errc::malformed_frame);
  } else {
    FS_FUZZ_CHECK(p->size >= 1 && p->size <= in.size() && p->size <= max_header_bytes);
    const EncodedHeader e = encode(p->header);
    FS_FUZZ_CHECK(e.size == p->size &&
                  std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(p->size), e.bytes.begin()));
    auto again = parse(e.view());
    FS_FUZZ_CHECK(again.has_value() && again->header == p->header && again->size == p->size);
    check_encode(p->header);
  }

  Input values(data, size);
  Header h;
  h.kid = values.u64();
  h.ctr = values.u64();
  // Small values are where the one-byte forms live: also try them.
  check_encode(h);
  check_encode(Header{h.kid & 15, h.ctr & 15});
  check_encode(Header{h.kid >> (h.ctr & 63), h.ctr >> (h.kid & 63)});
  return 0;
}
