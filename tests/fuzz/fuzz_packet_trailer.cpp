// Fuzz target: LiveKit's LKTS packet trailer (livekit/packet_trailer.hpp).
//
// Input: byte 0 mode (0: parse the rest as a received frame; 1: append a trailer built from the
// input to the rest, in place or not, and parse it back).
// Checks: parse_packet_trailer never reads outside the frame; the frame it returns is a prefix of
// the input, a trailer it removes is 5..255 bytes ending in the magic, user data lies inside the
// trailer; strip_packet_trailer agrees; append_packet_trailer writes exactly packet_trailer_size()
// more bytes, the same in place and out of place, refuses a too small output without writing, and
// parsing its output gives back the frame and the fields.
#include <frameseal/frameseal.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;
using namespace frameseal;

void check_parse(BytesIn frame) {
  auto r = livekit::parse_packet_trailer(frame);
  auto s = livekit::strip_packet_trailer(frame);
  FS_FUZZ_CHECK(r.has_value() == s.has_value());
  if (!r) {
    FS_FUZZ_CHECK(r.error() == Errc::malformed_frame);
    // Only a frame that ends with the magic can be malformed.
    FS_FUZZ_CHECK(frame.size() >= 5 && std::memcmp(frame.data() + frame.size() - 4, "LKTS", 4) == 0);
    return;
  }
  FS_FUZZ_CHECK(r->frame.data() == frame.data() && r->frame.size() <= frame.size());
  FS_FUZZ_CHECK(s->data() == r->frame.data() && s->size() == r->frame.size());
  if (!r->present) {
    FS_FUZZ_CHECK(r->frame.size() == frame.size() && r->user_timestamp == 0 && r->frame_id == 0);
    return;
  }
  const std::size_t t = frame.size() - r->frame.size();
  FS_FUZZ_CHECK(t >= 5 && t <= 255);
  FS_FUZZ_CHECK(std::memcmp(frame.data() + frame.size() - 4, "LKTS", 4) == 0);
  FS_FUZZ_CHECK((frame[frame.size() - 5] ^ 0xff) == t);
  FS_FUZZ_CHECK(within(r->user_data_xored, frame.subspan(r->frame.size(), t - 5)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t mode = in.byte();
  if ((mode & 1) == 0) {
    const BytesIn rest = in.rest();
    const Bytes frame(rest.begin(), rest.end());
    check_parse(frame);
    return 0;
  }
  livekit::PacketTrailerFields fields;
  if (mode & 2) fields.user_timestamp = in.u64();
  if (mode & 4) fields.frame_id = in.u32();
  const BytesIn user = (mode & 8) ? in.bytes(in.byte()) : BytesIn();
  fields.user_data = user;
  const BytesIn rest = in.rest();
  const Bytes frame(rest.begin(), rest.end());

  const std::size_t t = frame.empty() ? 0 : livekit::packet_trailer_size(fields);
  Guarded out(frame.size() + t);
  auto a = livekit::append_packet_trailer(frame, fields, out.span());
  FS_FUZZ_CHECK(out.guard_intact());
  if (t > 255) {
    FS_FUZZ_CHECK(!a && a.error() == Errc::invalid_argument);
    return 0;
  }
  FS_FUZZ_CHECK(a.has_value() && a->size() == frame.size() + t);
  FS_FUZZ_CHECK(std::equal(frame.begin(), frame.end(), a->begin()));
  const Bytes appended(a->begin(), a->end());
  {  // in place
    Guarded buf(frame.size() + t);
    if (!frame.empty()) std::memcpy(buf.data(), frame.data(), frame.size());
    auto b = livekit::append_packet_trailer(BytesIn(buf.data(), frame.size()), fields, buf.span());
    FS_FUZZ_CHECK(buf.guard_intact() && b.has_value() && equal(*b, appended));
  }
  if (t > 0) {  // too small: nothing written
    Guarded small(frame.size() + t - 1);
    auto c = livekit::append_packet_trailer(frame, fields, small.span());
    FS_FUZZ_CHECK(!c && c.error() == Errc::buffer_too_small);
    FS_FUZZ_CHECK(only_old_or_zero(small.span(), Bytes(small.size(), 0xCC)) && small.guard_intact());
  }
  check_parse(appended);
  if (t == 0) return 0;
  auto p = livekit::parse_packet_trailer(appended);
  FS_FUZZ_CHECK(p.has_value() && p->present && p->frame.size() == frame.size());
  FS_FUZZ_CHECK(p->user_timestamp == fields.user_timestamp && p->frame_id == fields.frame_id);
  FS_FUZZ_CHECK(p->user_data_xored.size() == user.size());
  for (std::size_t i = 0; i < user.size(); ++i) FS_FUZZ_CHECK((p->user_data_xored[i] ^ 0xff) == user[i]);
  return 0;
}
