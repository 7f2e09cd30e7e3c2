// livekit/sif.hpp: server-injected frames. The allow-list is the union of livekit-client 2.23.0's
// (SHA-256 digests in sifPayload.ts) and the newer webrtc-sdk's (sif_payload_unittest.cc); the
// stored payloads must hash to the digests livekit-client pins. Records D11a/D11b of the livekit
// vectors are what the real livekit-client receiver did with a known and an unknown payload.
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common.hpp"

using namespace frameseal;
using namespace frameseal::livekit;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

std::string sha256_hex(BytesIn b) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, b.data(), b.size());
  return to_hex(BytesIn(d, sizeof d));
}

Bytes cat(std::initializer_list<BytesIn> parts) {
  Bytes out;
  for (BytesIn p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes opus_silence() {
  Bytes v(80, 0);
  v[0] = 0xf8;
  v[1] = 0xff;
  v[2] = 0xfe;
  return v;
}

const Bytes sc4 = {0, 0, 0, 1};
const Bytes vp8(sif_vp8_key_frame_8x8.begin(), sif_vp8_key_frame_8x8.end());
const Bytes sps(sif_h264_sps_2x2.begin(), sif_h264_sps_2x2.end());
const Bytes pps(sif_h264_pps_2x2.begin(), sif_h264_pps_2x2.end());
const Bytes idr(sif_h264_idr_2x2.begin(), sif_h264_idr_2x2.end());

}  // namespace

TEST_CASE("sif: stored payloads hash to livekit-client's pinned SHA-256 digests") {
  REQUIRE(sodium_init() >= 0);
  // sifPayload.ts CryptoHashes
  CHECK(sha256_hex(vp8) == "ef0161653d8b2b23aad46624b420af1d03ce48950e9fc85718028f91b50f9219");
  CHECK(sha256_hex(sps) == "f0a0e09647d891d6d50aa898bce7108090375d0d55e50a2bb21147afee558e44");
  CHECK(sha256_hex(pps) == "61d9665eed71b6d424ae9539330a3bdd5cb386d4d781c808219a6e36750493a7");
  CHECK(sha256_hex(idr) == "faffc26b68a2fc09096fa20f3351e706398b6f838a7500c8063472c2e476e90d");
  CHECK(sha256_hex(opus_silence()) == "aad8d31fc56b2802ca500e58c2fb9d0b29ad71bb7cb52cd6530251eade188988");
  // and the livekit-server downtrack.go bytes, as copied into sifPayload.ts
  CHECK(to_hex(vp8) == "1002009d012a080008000047088585888584880202000c0d6000feffab5080");
  CHECK(to_hex(sps) == "6742c01f0fd91f888884000003000400000300c83c60c920");
  CHECK(to_hex(pps) == "6887cb83cb20");
  CHECK(to_hex(idr) == "6588840af2628000a7be");
}

TEST_CASE("sif: the allow-list is the union of both lists") {
  // livekit-client 2.23.0
  CHECK(identify_sif_payload(vp8) == SifPayload::vp8_key_frame);
  CHECK(identify_sif_payload(opus_silence()) == SifPayload::opus_silence);
  CHECK(identify_sif_payload(sps) == SifPayload::h264_sps);
  CHECK(identify_sif_payload(pps) == SifPayload::h264_pps);
  CHECK(identify_sif_payload(idr) == SifPayload::h264_idr);
  // newer webrtc-sdk (sif_payload_unittest.cc AcceptsServerBlankFrames)
  CHECK(identify_sif_payload(cat({Bytes{0x6f}, opus_silence()})) == SifPayload::opus_red_silence);
  CHECK(identify_sif_payload(Bytes(160, 0xff)) == SifPayload::pcmu_silence);
  CHECK(identify_sif_payload(Bytes(160, 0xd5)) == SifPayload::pcma_silence);
  CHECK(identify_sif_payload(cat({sc4, sps, sc4, pps, sc4, idr})) == SifPayload::h264_annexb_sps_pps_idr);
  CHECK(identify_sif_payload(cat({sc4, idr})) == SifPayload::h264_annexb_idr);
  CHECK(is_known_sif_payload(cat({sc4, idr})));
}

TEST_CASE("sif: anything else is not on the list") {
  // sif_payload_unittest.cc RejectsAnythingElse (minus the bare IDR, which livekit-client accepts)
  CHECK_FALSE(is_known_sif_payload(Bytes{}));
  CHECK_FALSE(is_known_sif_payload(Bytes{0x01, 0x02, 0x03}));
  Bytes tampered = vp8;
  tampered[10] ^= 0x01;
  CHECK_FALSE(is_known_sif_payload(tampered));
  CHECK_FALSE(is_known_sif_payload(cat({vp8, Bytes{0x00}})));
  Bytes truncated = opus_silence();
  truncated.pop_back();
  CHECK_FALSE(is_known_sif_payload(truncated));
  CHECK_FALSE(is_known_sif_payload(cat({Bytes{0xef}, opus_silence()})));  // RED header with F = 1
  CHECK_FALSE(is_known_sif_payload(Bytes(159, 0xff)));
  CHECK_FALSE(is_known_sif_payload(Bytes(160, 0xfe)));
  CHECK_FALSE(is_known_sif_payload(cat({sc4, sps, sc4, pps, sc4, Bytes{0x65, 0xde, 0xad, 0xbe, 0xef}})));
  // more: a non-zero byte inside the silence, one odd byte inside G.711, 3-byte start codes,
  // parameter sets without the IDR, an extra trailing byte, the wrong order
  Bytes noisy = opus_silence();
  noisy[40] = 1;
  CHECK_FALSE(is_known_sif_payload(noisy));
  Bytes g711(160, 0xff);
  g711[159] = 0xd5;
  CHECK_FALSE(is_known_sif_payload(g711));
  const Bytes sc3 = {0, 0, 1};
  CHECK_FALSE(is_known_sif_payload(cat({sc3, sps, sc3, pps, sc3, idr})));
  CHECK_FALSE(is_known_sif_payload(cat({sc3, idr})));
  CHECK_FALSE(is_known_sif_payload(cat({sc4, sps, sc4, pps})));
  CHECK_FALSE(is_known_sif_payload(cat({sc4, idr, Bytes{0x00}})));
  CHECK_FALSE(is_known_sif_payload(cat({sc4, pps, sc4, sps, sc4, idr})));
  Bytes bad_idr = cat({sc4, idr});
  bad_idr.back() ^= 0x80;
  CHECK_FALSE(is_known_sif_payload(bad_idr));
}

TEST_CASE("sif: check_sif on trailers") {
  const Bytes trailer = from_hex("4578616d706c65526f6f6d536966547261696c6572");  // "ExampleRoomSifTrailer"
  const Bytes allowed = cat({vp8, trailer});
  BytesIn payload = from_hex("ff");
  const BytesIn untouched = payload;
  CHECK(check_sif(allowed, trailer, &payload) == SifResult::allowed);
  CHECK(to_hex(payload) == to_hex(vp8));
  CHECK(payload.data() == allowed.data());  // a view into the frame, no copy
  CHECK(check_sif(allowed, trailer, nullptr) == SifResult::allowed);

  // no trailer configured: never a SIF
  payload = untouched;
  CHECK(check_sif(allowed, Bytes{}, &payload) == SifResult::not_sif);
  CHECK(payload.data() == untouched.data());
  // not ending with the trailer (one byte off, or a prefix of it)
  Bytes off = allowed;
  off.back() ^= 1;
  CHECK(check_sif(off, trailer, &payload) == SifResult::not_sif);
  CHECK(payload.data() == untouched.data());
  CHECK(check_sif(BytesIn(allowed).first(allowed.size() - 1), trailer, nullptr) == SifResult::not_sif);
  // shorter than the trailer
  CHECK(check_sif(BytesIn(trailer).last(5), trailer, nullptr) == SifResult::not_sif);
  CHECK(check_sif(Bytes{}, trailer, nullptr) == SifResult::not_sif);
  // just the trailer: a SIF with an empty payload, which is not allowed
  CHECK(check_sif(trailer, trailer, &payload) == SifResult::rejected);
  CHECK(payload.empty());
  // the trailer after an unknown payload
  const Bytes unknown = cat({from_hex("deadbeef00112233"), trailer});
  CHECK(check_sif(unknown, trailer, &payload) == SifResult::rejected);
  CHECK(to_hex(payload) == "deadbeef00112233");
  // the webrtc-sdk's H.264 form, and livekit-client's
  CHECK(check_sif(cat({sc4, sps, sc4, pps, sc4, idr, trailer}), trailer, nullptr) == SifResult::allowed);
  CHECK(check_sif(cat({pps, trailer}), trailer, nullptr) == SifResult::allowed);
}

TEST_CASE("sif: livekit-client decode records D11a / D11b") {
  std::ifstream f(fstest::vectors_dir() + "/livekit/livekit-client-2.23.0-public.json");
  REQUIRE(f.good());
  const auto doc = nlohmann::json::parse(f);
  Bytes trailer;
  int seen = 0;
  for (const auto& r : doc.at("decode_behaviour")) {
    const std::string id = r.at("id");
    CAPTURE(id);
    if (r.at("receiver").is_object() && r.at("receiver").contains("sif_trailer_hex"))
      trailer = from_hex(r.at("receiver").at("sif_trailer_hex").get<std::string>());
    const Bytes in = from_hex(r.at("input").at("encrypted_frame_hex").get<std::string>());
    if (id.rfind("D11", 0) != 0) continue;
    REQUIRE_FALSE(trailer.empty());
    BytesIn payload;
    const SifResult got = check_sif(in, trailer, &payload);
    const bool decrypted = r.at("result").at("decrypted").get<bool>();
    if (id.rfind("D11a", 0) == 0) {
      CHECK(decrypted);
      CHECK(got == SifResult::allowed);
      CHECK(to_hex(payload) == r.at("result").at("output_frame_hex").get<std::string>());
    } else if (id.rfind("D11b", 0) == 0) {
      CHECK_FALSE(decrypted);
      CHECK(got == SifResult::rejected);
    } else {
      CHECK(got == SifResult::not_sif);  // D11c: normal frames are unaffected
    }
    ++seen;
  }
  CHECK(seen >= 2);
  // ordinary encrypted frames of the vectors do not end with the trailer
  for (const auto& v : doc.at("vectors"))
    CHECK(check_sif(from_hex(v.at("encrypted_frame_hex").get<std::string>()), trailer, nullptr) ==
          SifResult::not_sif);
}
