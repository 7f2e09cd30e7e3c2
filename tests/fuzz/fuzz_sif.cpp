// Fuzz target: the server-injected-frame matcher (livekit/sif.hpp) and the frame cryptor's SIF path.
//
// Input: byte 0 bits 0-4 the trailer length (0-31; 21 = the vectors' "ExampleRoomSifTrailer",
// other lengths take the trailer from the input), bits 5-7 codec; then the frame.
// Checks: identify_sif_payload equals a plain comparison with the union of the two allow-lists,
// built here from the constants' byte values; check_sif classifies as the rules say (never
// `allowed` for a payload off the list, the payload is the frame minus the trailer); decrypt
// passes exactly the allowed payloads through, refuses the other frames carrying the trailer with
// sif_rejected without touching `out`, and otherwise is not a SIF decision.
#include "fuzz_livekit_frame.hpp"

#include <array>

namespace {

using namespace fsfuzz;

Bytes hex(std::string_view h) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}

struct Allowed {
  livekit::SifPayload kind;
  Bytes bytes;
};

const std::vector<Allowed>& allow_list() {
  static const std::vector<Allowed> list = [] {
    const Bytes vp8 = hex("1002009d012a080008000047088585888584880202000c0d6000feffab5080");
    const Bytes sps = hex("6742c01f0fd91f888884000003000400000300c83c60c920");
    const Bytes pps = hex("6887cb83cb20");
    const Bytes idr = hex("6588840af2628000a7be");
    Bytes opus = {0xf8, 0xff, 0xfe};
    opus.resize(80, 0);
    Bytes red(1 + opus.size(), 0x6f);
    std::copy(opus.begin(), opus.end(), red.begin() + 1);
    const Bytes sc = {0, 0, 0, 1};
    Bytes annexb;
    for (const Bytes* part : {&sc, &sps, &sc, &pps, &sc, &idr})
      annexb.insert(annexb.end(), part->begin(), part->end());
    Bytes annexb_idr = sc;
    annexb_idr.insert(annexb_idr.end(), idr.begin(), idr.end());
    using P = livekit::SifPayload;
    return std::vector<Allowed>{{P::vp8_key_frame, vp8},
                                {P::opus_silence, opus},
                                {P::h264_sps, sps},
                                {P::h264_pps, pps},
                                {P::h264_idr, idr},
                                {P::opus_red_silence, red},
                                {P::pcmu_silence, Bytes(160, 0xff)},
                                {P::pcma_silence, Bytes(160, 0xd5)},
                                {P::h264_annexb_sps_pps_idr, annexb},
                                {P::h264_annexb_idr, annexb_idr}};
  }();
  return list;
}

livekit::SifPayload ref_identify(BytesIn p) {
  for (const Allowed& a : allow_list())
    if (equal(p, a.bytes)) return a.kind;
  return livekit::SifPayload::none;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t cfg = in.byte();
  const std::size_t tlen = cfg & 31;
  Bytes trailer;
  if (tlen == sif_trailer.size()) {
    trailer.assign(sif_trailer.begin(), sif_trailer.end());
  } else {
    const BytesIn t = in.bytes(tlen);
    trailer.assign(t.begin(), t.end());
  }
  const BytesIn rest = in.rest();
  const Bytes frame(rest.begin(), rest.end());

  FS_FUZZ_CHECK(livekit::identify_sif_payload(frame) == ref_identify(frame));
  FS_FUZZ_CHECK(livekit::is_known_sif_payload(frame) == (ref_identify(frame) != livekit::SifPayload::none));

  const bool ends_with =
      !trailer.empty() && frame.size() >= trailer.size() &&
      std::equal(trailer.begin(), trailer.end(), frame.end() - static_cast<std::ptrdiff_t>(trailer.size()));
  const BytesIn payload_ref = ends_with ? BytesIn(frame).first(frame.size() - trailer.size()) : BytesIn();
  BytesIn payload;
  const auto verdict = livekit::check_sif(frame, trailer, &payload);
  if (!ends_with) {
    FS_FUZZ_CHECK(verdict == livekit::SifResult::not_sif);
  } else {
    FS_FUZZ_CHECK(payload.data() == frame.data() && payload.size() == payload_ref.size());
    FS_FUZZ_CHECK(verdict == (ref_identify(payload_ref) != livekit::SifPayload::none
                                  ? livekit::SifResult::allowed
                                  : livekit::SifResult::rejected));
  }

  // Through the frame cryptor (ChaCha20-Poly1305: the cipher does not matter for SIF).
  using C = sodium::ChaCha20Poly1305;
  KeyRing<C> ring = fixed_ring<C>();
  livekit::FrameCryptorOptions options;
  options.sif_trailer = trailer;
  livekit::FrameCryptor<C> rx(ring, options);
  FrameInfo info = frame_info(static_cast<std::uint8_t>(cfg >> 5));
  Guarded out(frame.size());
  livekit::DecryptReport rep;
  auto r = rx.decrypt(info, frame, out.span(), &rep);
  FS_FUZZ_CHECK(out.guard_intact());
  if (frame.empty()) {
    FS_FUZZ_CHECK(r.has_value() && rep.passthrough);
  } else if (verdict == livekit::SifResult::allowed) {
    FS_FUZZ_CHECK(r.has_value() && rep.sif && equal(*r, payload_ref));
  } else if (verdict == livekit::SifResult::rejected) {
    FS_FUZZ_CHECK(!r && r.error() == Errc::sif_rejected);
    FS_FUZZ_CHECK(only_old_or_zero(out.span(), Bytes(frame.size(), 0xCC)));
  } else {
    FS_FUZZ_CHECK(!rep.sif && (!r || r.error() != Errc::sif_rejected));
  }
  return 0;
}
