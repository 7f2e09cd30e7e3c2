// Fuzz target: LiveKit data tracks (livekit/data_track.hpp). The input is taken three ways:
//   - as one packet: parse; when it parses, the payload lies inside the input, and writing the
//     parsed header and parsing that again gives the same header and payload;
//   - as a stream of packets (each behind a 1-byte length): through a DataTrackDepacketizer; a
//     frame it returns is no longer than the packets it was given, and when it carries an E2EE
//     extension, DataCryptor::open (a ring with keys at 0 and 3) never writes past `out` and on
//     failure leaves nothing of its own there;
//   - as a payload: sealed, packetized at an MTU from the first byte, the packets pushed in order
//     (and, with bit 7, with the inner ones reversed and the first duplicated): exactly one frame
//     comes back, and it opens to the payload; beyond 128 packets none does (buffer_full).
#include <frameseal/frameseal.hpp>

#include <optional>

#include "fuzz_data.hpp"

using namespace fsfuzz;
using namespace frameseal;
using C = DataCipher;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesIn in(data, size);

  // One packet.
  auto v = livekit::parse_data_track_packet(in);
  if (v) {
    FS_FUZZ_CHECK(inside(v->payload, in));
    Bytes again(livekit::data_track_header_size(v->header));
    auto w = livekit::write_data_track_header(v->header, again);
    FS_FUZZ_CHECK(w.has_value() && *w == again.size());
    again.insert(again.end(), v->payload.begin(), v->payload.end());
    auto u = livekit::parse_data_track_packet(again);
    FS_FUZZ_CHECK(u.has_value() && u->header == v->header);
    FS_FUZZ_CHECK(std::equal(u->payload.begin(), u->payload.end(), v->payload.begin(), v->payload.end()));
  } else {
    FS_FUZZ_CHECK(v.error() == Errc::malformed_frame);
  }

  // A stream of packets.
  {
    Input s(data, size);
    livekit::DataTrackDepacketizer d;
    std::size_t fed = 0;
    while (s.left() > 0) {
      const BytesIn packet = s.bytes(s.byte());
      fed += packet.size();
      auto f = d.push(packet);
      if (!f) {
        FS_FUZZ_CHECK(f.error() == Errc::malformed_frame);
        continue;
      }
      if (!*f) continue;
      const livekit::DataTrackFrame& frame = **f;
      FS_FUZZ_CHECK(frame.payload.size() <= fed);
      if (!frame.header.e2ee) continue;
      auto r = data_ring().clone().value();
      livekit::DataCryptor<C> dc(r);
      Guarded out(frame.payload.size(), 0xCC);
      const Bytes before(frame.payload.size(), 0xCC);
      auto o = dc.open(frame.header.e2ee->key_index, frame.header.e2ee->iv, frame.payload, out.span());
      FS_FUZZ_CHECK(out.guard_intact());
      if (!o) FS_FUZZ_CHECK(only_old_or_zero(out.span(), before));
    }
  }

  // A payload.
  Input choice(data, size);
  const std::uint8_t cfg = choice.byte();
  const BytesIn payload = choice.rest();
  if (payload.empty()) return 0;  // livekit-client sends no packet for an empty frame
  auto r = data_ring().clone().value();
  FS_FUZZ_CHECK(r.set_current_index(cfg & 1 ? 3 : 0) == Errc::ok);
  livekit::DataCryptor<C> tx(r);
  Bytes sealed(payload.size() + C::tag_bytes);
  auto sd = tx.seal(payload, sealed);
  FS_FUZZ_CHECK(sd.has_value());
  const std::size_t mtu = 41 + (cfg & 0x3f);
  auto pk = livekit::DataTrackPacketizer::create(7, mtu);
  FS_FUZZ_CHECK(pk.has_value());
  std::vector<Bytes> packets;
  Bytes scratch(mtu);
  const std::optional<std::uint64_t> user_ts = cfg & 2 ? std::optional<std::uint64_t>(size) : std::nullopt;
  auto n = pk->packetize(sd->value, 90000, livekit::DataTrackE2ee{sd->key_index, sd->iv}, user_ts, scratch,
                         [&](BytesIn p) { packets.emplace_back(p.begin(), p.end()); });
  FS_FUZZ_CHECK(n.has_value() && *n == packets.size() && !packets.empty());
  for (const Bytes& p : packets) FS_FUZZ_CHECK(p.size() <= mtu);
  if ((cfg & 0x80) && packets.size() > 3) {
    std::reverse(packets.begin() + 1, packets.end() - 1);
    packets.insert(packets.begin() + 1, packets[0]);  // a duplicated start packet restarts the frame
  }
  livekit::DataTrackDepacketizer d;
  std::size_t frames = 0;
  bool buffer_full = false;
  for (const Bytes& p : packets) {
    livekit::DataTrackDrop why;
    auto f = d.push(p, &why);
    FS_FUZZ_CHECK(f.has_value());
    buffer_full |= why == livekit::DataTrackDrop::buffer_full;
    if (!*f) continue;
    ++frames;
    const livekit::DataTrackFrame& frame = **f;
    FS_FUZZ_CHECK(frame.header.e2ee.has_value() && frame.header.user_timestamp == user_ts);
    livekit::DataCryptor<C> rx(r);
    Bytes back(frame.payload.size());
    auto o = rx.open(frame.header.e2ee->key_index, frame.header.e2ee->iv, frame.payload, back);
    FS_FUZZ_CHECK(o.has_value() && std::equal(o->begin(), o->end(), payload.begin(), payload.end()));
  }
  // More packets than the depacketizer buffers (livekit-client's 128): dropped, and said why.
  const bool too_many = *n > livekit::DataTrackDepacketizer::max_packets_per_frame;
  FS_FUZZ_CHECK(frames == (too_many ? 0u : 1u));
  FS_FUZZ_CHECK(buffer_full == too_many);
  return 0;
}
