// Fuzz target: the Annex-B NAL unit scanner (codec/nalu.hpp) and LiveKit's clear-header rules and
// start-code normalisation (livekit/clear_header.hpp).
//
// Input: byte 0 an output offset for the overlapping normalisation check; then the stream.
// Checks, against slow byte-by-byte references written from the documented rules:
//   - the scanner's start codes (memchr-accelerated) are the first 00 00 00 01 / 00 00 01 at or
//     after each position whose 01 is not the last byte; NAL units, leading data and their count
//     (find_nalus) match; every NAL unit is inside the stream, preceded by its start code, free of
//     trailing zeros, and before the next one;
//   - find_first_slice is the first H.264 slice, else the first H.265 VCL unit, none with leading
//     data;
//   - for every codec, kind and frame type, sender and receiver clear headers stay inside the frame
//     (or report malformed/unsupported), follow the rule table, and the sender's normalised size
//     is the header plus its short start codes;
//   - normalize_start_codes gives the reference result out of place, in place and into an output
//     that starts later in the same buffer.
#include <frameseal/frameseal.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;
using namespace frameseal;

struct RefStartCode {
  std::size_t pos, len;
};

RefStartCode ref_find(BytesIn p, std::size_t from) {
  const std::size_t n = p.size();
  for (std::size_t i = from; i + 4 <= n; ++i) {  // the 01 byte at i + 2 or i + 3 must be <= n - 2
    if (i + 5 <= n && p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 0 && p[i + 3] == 1) return {i, 4};
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) return {i, 3};
  }
  return {n, 0};
}

struct RefScan {
  bool leading = false;
  std::vector<Nalu> units;
};

RefScan ref_scan(BytesIn p) {
  RefScan r;
  const std::size_t n = p.size();
  if (n < 4) return r;
  RefStartCode sc = ref_find(p, 0);
  for (std::size_t i = 0; i < sc.pos; ++i)
    if (p[i] != 0) r.leading = true;
  while (sc.len != 0) {
    const std::size_t offset = sc.pos + sc.len;
    if (offset + 3 >= n) break;
    const RefStartCode next = ref_find(p, offset);
    std::size_t end = next.pos;
    while (end > offset && p[end - 1] == 0) --end;
    r.units.push_back(Nalu{sc.pos, offset, end});
    sc = next;
  }
  return r;
}

std::size_t ref_short_start_codes(BytesIn h) {
  std::size_t c = 0;
  for (std::size_t i = 0; i + 3 <= h.size(); ++i)
    if (h[i] == 0 && h[i + 1] == 0 && h[i + 2] == 1 && (i == 0 || h[i - 1] != 0)) ++c;
  return c;
}

Bytes ref_normalize(BytesIn h) {
  Bytes out;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (i + 3 <= h.size() && h[i] == 0 && h[i + 1] == 0 && h[i + 2] == 1 && (i == 0 || h[i - 1] != 0))
      out.push_back(0);
    out.push_back(h[i]);
  }
  return out;
}

void check_normalize(BytesIn h, std::size_t shift) {
  const Bytes want = ref_normalize(h);
  FS_FUZZ_CHECK(livekit::count_short_start_codes(h) == ref_short_start_codes(h));
  FS_FUZZ_CHECK(livekit::normalized_size(h) == want.size());
  {  // out of place
    Guarded out(want.size());
    auto r = livekit::normalize_start_codes(h, out.span());
    FS_FUZZ_CHECK(out.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, want));
  }
  {  // too small: nothing written
    if (!want.empty()) {
      Guarded out(want.size() - 1);
      auto r = livekit::normalize_start_codes(h, out.span());
      FS_FUZZ_CHECK(!r && r.error() == Errc::buffer_too_small);
      FS_FUZZ_CHECK(only_old_or_zero(out.span(), Bytes(out.size(), 0xCC)) && out.guard_intact());
    }
  }
  {  // in place, and shifted later in the same buffer (allowed: back to front)
    const std::size_t k = shift % (want.size() - h.size() + 2);
    Guarded buf(want.size() + k);
    if (!h.empty()) std::memcpy(buf.data(), h.data(), h.size());
    auto r =
        livekit::normalize_start_codes(BytesIn(buf.data(), h.size()), BytesOut(buf.data() + k, want.size()));
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(r.has_value() && equal(*r, want));
  }
}

void check_clear_headers(BytesIn frame) {
  const FirstSlice s = find_first_slice(frame);
  for (int kind = 0; kind < 2; ++kind) {
    for (Codec codec :
         {Codec::unknown, Codec::opus, Codec::vp8, Codec::vp9, Codec::h264, Codec::h265, Codec::av1}) {
      for (bool key : {false, true}) {
        FrameInfo info;
        info.kind = kind == 0 ? MediaKind::audio : MediaKind::video;
        info.codec = codec;
        for (bool sender : {false, true}) {
          auto h = sender ? livekit::sender_clear_header(info, key, frame)
                          : livekit::receiver_clear_header(info, key, frame);
          if (frame.empty()) {
            FS_FUZZ_CHECK(h.has_value() && h->in_bytes == 0 && h->out_bytes == 0 && !h->nalu);
            continue;
          }
          const bool video_supported =
              codec == Codec::vp8 || codec == Codec::vp9 || codec == Codec::h264 || codec == Codec::h265;
          if (info.kind == MediaKind::video && !video_supported) {
            FS_FUZZ_CHECK(!h && h.error() == Errc::unsupported_codec);
            continue;
          }
          std::size_t n = 0;
          bool nalu = false;
          if (info.kind == MediaKind::audio) {
            n = 1;
          } else if (codec == Codec::vp8) {
            n = key ? 10 : 3;
          } else if (codec == Codec::vp9) {
            n = 0;
          } else if (!s.leading_data && s.codec != Codec::unknown) {
            n = s.offset + 2;
            nalu = true;
          } else {
            n = key ? 10 : 3;
          }
          if (sender && info.kind == MediaKind::video && codec == Codec::h265 && s.codec == Codec::h264) {
            FS_FUZZ_CHECK(!h && h.error() == Errc::malformed_frame);  // would leave a slice in clear
            continue;
          }
          if (n > frame.size()) {
            FS_FUZZ_CHECK(!h && h.error() == Errc::malformed_frame);
            continue;
          }
          FS_FUZZ_CHECK(h.has_value());
          FS_FUZZ_CHECK(h->in_bytes == n && h->nalu == nalu);
          if (nalu) FS_FUZZ_CHECK(h->codec == s.codec);
          const std::size_t out = (sender && nalu) ? n + ref_short_start_codes(frame.first(n)) : n;
          FS_FUZZ_CHECK(h->out_bytes == out);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t shift = in.byte();
  const BytesIn rest = in.rest();
  const Bytes stream(rest.begin(), rest.end());  // exactly sized: ASan sees reads past the end

  const RefScan want = ref_scan(stream);
  AnnexBScanner scanner(stream);
  FS_FUZZ_CHECK(scanner.leading_data() == want.leading);
  std::vector<Nalu> got;
  Nalu u;
  while (scanner.next(u)) got.push_back(u);
  FS_FUZZ_CHECK(got == want.units);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Nalu& x = got[i];
    FS_FUZZ_CHECK(x.start_code_bytes() == 3 || x.start_code_bytes() == 4);
    FS_FUZZ_CHECK(x.offset < stream.size() && x.end <= stream.size() && x.offset <= x.end);
    FS_FUZZ_CHECK(stream[x.offset - 1] == 1 && stream[x.offset - 2] == 0 && stream[x.offset - 3] == 0);
    if (x.start_code_bytes() == 4) FS_FUZZ_CHECK(stream[x.start_code] == 0);
    if (x.end > x.offset) FS_FUZZ_CHECK(stream[x.end - 1] != 0);
    if (i + 1 < got.size()) FS_FUZZ_CHECK(x.end <= got[i + 1].start_code);
  }

  Nalu few[3];
  auto count = find_nalus(stream, few);
  if (want.leading) {
    FS_FUZZ_CHECK(!count && count.error() == Errc::malformed_frame);
  } else {
    FS_FUZZ_CHECK(count.has_value() && *count == got.size());
    for (std::size_t i = 0; i < std::min<std::size_t>(3, got.size()); ++i) FS_FUZZ_CHECK(few[i] == got[i]);
  }

  const FirstSlice s = find_first_slice(stream);
  FS_FUZZ_CHECK(s.leading_data == want.leading);
  FirstSlice ref;
  if (!want.leading) {
    for (const Nalu& x : got)
      if (h264_is_slice(stream[x.offset])) {
        ref.codec = Codec::h264;
        ref.offset = x.offset;
        break;
      }
    if (ref.codec == Codec::unknown)
      for (const Nalu& x : got)
        if (h265_is_vcl(stream[x.offset])) {
          ref.codec = Codec::h265;
          ref.offset = x.offset;
          break;
        }
  }
  FS_FUZZ_CHECK(s.codec == ref.codec);
  if (s.codec != Codec::unknown) FS_FUZZ_CHECK(s.offset == ref.offset && s.offset + 2 < stream.size());

  check_clear_headers(stream);
  check_normalize(stream, shift);
  return 0;
}
