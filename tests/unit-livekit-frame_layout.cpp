// livekit::parse_frame and its steps (livekit/frame_layout.hpp): the keyless reading of a received
// frame that FrameCryptor::decrypt and `frameseal inspect` share. Known answers from the frames
// livekit-client 2.23.0 encrypted (tests/vectors/livekit/), then each problem in the order the
// steps find it, SIF, the LKTS packet trailer, and the agreement with decrypt.
#include "common.hpp"
#include "livekit_vectors.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;
using fstest::info_of;
using fstest::livekit_vectors;
using fstest::to_hex;
using livekit::FrameKind;

namespace {

std::size_t num(const nlohmann::json& v) {
  return v.get<std::size_t>();
}

// An Opus frame in LiveKit's layout: TOC byte, ciphertext || tag (16), IV, 12, key index.
Bytes opus_frame(std::uint8_t kid, std::size_t body = 20) {
  Bytes f = {0x78};
  for (std::size_t i = 0; i < body + 16; ++i) f.push_back(static_cast<std::uint8_t>(i * 7));
  for (std::uint8_t i = 0; i < 12; ++i) f.push_back(static_cast<std::uint8_t>(0xa0 + i));
  f.push_back(12);
  f.push_back(kid);
  return f;
}

FrameInfo opus() {
  FrameInfo i;
  i.kind = MediaKind::audio;
  i.codec = Codec::opus;
  return i;
}

}  // namespace

TEST_CASE("parse_frame: livekit-client 2.23.0's frames, every codec") {
  const auto j = livekit_vectors();
  std::size_t n = 0;
  for (const auto& v : j["vectors"]) {
    CAPTURE(v["id"].get<std::string>());
    const Bytes frame = from_hex(v["encrypted_frame_hex"].get<std::string>());
    Bytes scratch(frame.size());
    const auto lay = livekit::parse_frame(info_of(v), frame, scratch);
    CHECK(lay.problem == Errc::ok);
    CHECK(lay.kind == FrameKind::encrypted);
    CHECK(lay.has_key_index());
    CHECK(lay.key_index == num(v["key_index"]));
    CHECK(lay.clear_bytes == num(v["unencrypted_bytes_in"]));
    REQUIRE(lay.iv.has_value());
    CHECK(to_hex(*lay.iv) == v["iv_hex"].get<std::string>());
    CHECK(lay.plaintext_bytes == from_hex(v["plaintext_hex"].get<std::string>()).size());
    CHECK(lay.escaped == (num(v["rbsp_escape_bytes_inserted"]) > 0));
    CHECK_FALSE(lay.packet_trailer);
    const std::string codec = v["codec"];
    if (codec == "h264" || codec == "h265" || codec == "vp8") {
      REQUIRE(lay.key_frame.has_value());
      CHECK(*lay.key_frame == (v["frame_type"] == "key"));
    } else {
      CHECK_FALSE(lay.key_frame.has_value());  // Opus and VP9 carry no key-frame bit in clear
    }
    ++n;
  }
  CHECK(n >= 13);
}

TEST_CASE("parse_frame: the steps report the first problem, with what they read before it") {
  Bytes scratch(256);
  SUBCASE("empty frames pass through") {
    const auto lay = livekit::parse_frame(opus(), {}, scratch);
    CHECK(lay.problem == Errc::ok);
    CHECK(lay.kind == FrameKind::empty);
    CHECK(lay.plaintext_bytes == 0u);
    CHECK_FALSE(lay.has_key_index());
  }
  SUBCASE("one byte: malformed before a key index") {
    const Bytes f = {0x05};
    const auto lay = livekit::parse_frame(opus(), f, scratch);
    CHECK(lay.problem == Errc::malformed_frame);
    CHECK_FALSE(lay.has_key_index());
  }
  SUBCASE("a short body: the key index is read, the trailer is not") {
    Bytes f = opus_frame(3);
    f.erase(f.begin() + 1, f.begin() + 30);  // 1 + 7 + 14 bytes: under tag + trailer
    const auto lay = livekit::parse_frame(opus(), f, scratch);
    CHECK(lay.problem == Errc::malformed_frame);
    CHECK(lay.has_key_index());
    CHECK(lay.key_index == 3);
    CHECK(lay.clear_bytes == 1);
    CHECK_FALSE(lay.iv.has_value());
    CHECK_FALSE(lay.plaintext_bytes.has_value());
  }
  SUBCASE("an IV length other than 12") {
    Bytes f = opus_frame(0);
    f[f.size() - 2] = 16;
    const auto lay = livekit::parse_frame(opus(), f, scratch);
    CHECK(lay.problem == Errc::malformed_frame);
    CHECK(lay.key_index == 0);
  }
  SUBCASE("AV1 has no clear-header rule") {
    FrameInfo av1;
    av1.codec = Codec::av1;
    const auto lay = livekit::parse_frame(av1, opus_frame(1), scratch);
    CHECK(lay.problem == Errc::unsupported_codec);
    CHECK(lay.has_key_index());
  }
  SUBCASE("a well-formed frame: sizes and the IV") {
    const Bytes f = opus_frame(7, 33);
    const auto lay = livekit::parse_frame(opus(), f, scratch);
    CHECK(lay.problem == Errc::ok);
    CHECK(lay.key_index == 7);
    CHECK(lay.plaintext_bytes == 1u + 33u);
    CHECK(to_hex(*lay.iv) == "a0a1a2a3a4a5a6a7a8a9aaab");
    // The other tag sizes move the boundary: 33 + 16 bytes read as 8-byte tags are 41 bytes of text.
    CHECK(livekit::parse_frame(opus(), f, scratch, {}, 8).plaintext_bytes == 1u + 41u);
  }
}

TEST_CASE("parse_frame: H.264 bodies are un-escaped into the scratch, which must be large enough") {
  const auto j = livekit_vectors();
  for (const auto& v : j["vectors"]) {
    if (v["id"] != "hkdf-h264-ciphertext-needs-escaping") continue;
    const Bytes frame = from_hex(v["encrypted_frame_hex"].get<std::string>());
    Bytes scratch(frame.size(), 0xee);
    const auto ok = livekit::parse_frame(info_of(v), frame, scratch);
    CHECK(ok.problem == Errc::ok);
    CHECK(ok.escaped);
    CHECK(to_hex(*ok.iv) == v["iv_hex"].get<std::string>());
    const auto small = livekit::parse_frame(info_of(v), frame, BytesOut(scratch.data(), 4));
    CHECK(small.problem == Errc::buffer_too_small);
    CHECK(small.clear_bytes == num(v["unencrypted_bytes_in"]));
    return;
  }
  FAIL("the vectors have no frame that needed escaping");
}

TEST_CASE("parse_frame: SIF frames and the LKTS packet trailer") {
  Bytes scratch(512);
  const std::string trailer = "ExampleRoomSifTrailer";
  livekit::LayoutOptions o;
  o.sif_trailer = as_bytes(trailer);
  SUBCASE("an allow-listed blank frame passes; its payload size is reported") {
    Bytes f = {0xf8, 0xff, 0xfe};  // Opus silence: TOC and two bytes, zero padded to 80
    f.resize(80, 0);
    f.insert(f.end(), trailer.begin(), trailer.end());
    const auto lay = livekit::parse_frame(opus(), f, scratch, o);
    CHECK(lay.problem == Errc::ok);
    CHECK(lay.kind == FrameKind::sif);
    CHECK(lay.plaintext_bytes == 80u);
  }
  SUBCASE("any other frame that ends with the trailer is refused") {
    Bytes f = opus_frame(0);
    f.insert(f.end(), trailer.begin(), trailer.end());
    CHECK(livekit::parse_frame(opus(), f, scratch, o).problem == Errc::sif_rejected);
  }
  SUBCASE("without the room's trailer the same frame is an encrypted frame") {
    Bytes f = opus_frame(0);
    f.insert(f.end(), trailer.begin(), trailer.end());
    const auto lay = livekit::parse_frame(opus(), f, scratch);
    CHECK(lay.kind == FrameKind::encrypted);
    CHECK(lay.key_index == static_cast<std::uint8_t>('r'));
  }
  SUBCASE("the packet trailer is stripped first and its fields read") {
    const Bytes f = opus_frame(2);
    Bytes with(f.size() + 64);
    livekit::PacketTrailerFields t;
    t.user_timestamp = 0x0102030405060708;
    t.frame_id = 77;
    auto w = livekit::append_packet_trailer(f, t, with);
    REQUIRE(w.has_value());
    const Bytes sent(w->begin(), w->end());
    livekit::LayoutOptions lkts;
    lkts.packet_trailer = true;
    const auto lay = livekit::parse_frame(opus(), sent, scratch, lkts);
    CHECK(lay.problem == Errc::ok);
    CHECK(lay.packet_trailer);
    CHECK(lay.user_timestamp == 0x0102030405060708u);
    CHECK(lay.frame_id == 77u);
    CHECK(lay.key_index == 2);
    // Read without stripping, the trailer's magic is the end of the frame: 'S' is the key index.
    CHECK(livekit::parse_frame(opus(), sent, scratch).key_index == static_cast<std::uint8_t>('S'));
  }
}

#if defined(FRAMESEAL_TEST_OPENSSL)
TEST_CASE("parse_frame agrees with decrypt on the vectors and on tampered copies") {
  const auto j = livekit_vectors();
  for (const auto& v : j["vectors"]) {
    CAPTURE(v["id"].get<std::string>());
    if (v["key_size_bits"] != 128) continue;
    KeyRingOptions ro;
    ro.salt = from_hex(v["ratchet_salt_hex"].get<std::string>());
    LivekitKdf kdf;
    kdf.algorithm = v["kdf"] == "pbkdf2" ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf;
    kdf.pbkdf2 = &openssl::pbkdf2_hmac_sha256;
    auto ring = KeyRing<openssl::Aes128Gcm, LivekitKdf>::create(ro, kdf);
    REQUIRE(ring.has_value());
    const std::size_t kid = num(v["key_index"]);
    REQUIRE(ring->set_key(kid, from_hex(v["key_material_hex"].get<std::string>())) == Errc::ok);
    livekit::FrameCryptor<openssl::Aes128Gcm> rx(*ring);  // ratcheted frames: the window
    const Bytes frame = from_hex(v["encrypted_frame_hex"].get<std::string>());
    Bytes scratch(frame.size()), out(frame.size());
    livekit::DecryptReport rep;
    const auto lay = livekit::parse_frame(info_of(v), frame, scratch);
    auto d = rx.decrypt(info_of(v), frame, out, &rep);
    REQUIRE(d.has_value());
    CHECK(d->size() == lay.plaintext_bytes);
    CHECK(rep.clear_bytes == lay.clear_bytes);
    CHECK(rep.key_index == lay.key_index);
    Bytes bad = frame;
    bad[bad.size() - 2] = 11;  // the IV length: both say malformed
    CHECK(livekit::parse_frame(info_of(v), bad, scratch).problem == Errc::malformed_frame);
    auto db = rx.decrypt(info_of(v), bad, out);
    CHECK((!db && db.error() == Errc::malformed_frame));
  }
}
#endif
