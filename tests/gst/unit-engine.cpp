// gst/engine.hpp without GStreamer: the engine the elements run, the avc/hvc1 <-> Annex B
// conversions and the depayloader-prefix rule, with their failure paths.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine.hpp"

namespace fg = frameseal_gst;
namespace fs = frameseal;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const Bytes sc4{0, 0, 0, 1};
const Bytes sc3{0, 0, 1};
// H.264 NAL units (header byte + a few body bytes).
const Bytes aud{0x09, 0x10};
const Bytes sps_a{0x67, 0x42, 0xc0, 0x1f, 0xda};
const Bytes sps_b{0x67, 0x42, 0xc0, 0x15, 0x8c};
const Bytes pps{0x68, 0xce, 0x3c, 0x80};
const Bytes idr{0x65, 0x88, 0x84, 0x21, 0x00, 0x07};
const Bytes slice{0x41, 0x9a, 0x11, 0x22};

Bytes key(std::uint8_t b) {
  return Bytes(32, b);
}

}  // namespace

TEST_CASE("length-prefixed to Annex B and back") {
  const Bytes avc = cat({{0, 0, 0, 5}, sps_a, {0, 0, 0, 4}, pps, {0, 0, 0, 6}, idr});
  Bytes annexb;
  REQUIRE(fg::length_prefixed_to_annexb(avc, 4, annexb));
  CHECK(annexb == cat({sc4, sps_a, sc4, pps, sc4, idr}));
  Bytes back(avc.size());
  CHECK(fg::annexb_to_length_prefixed(annexb, 4, back) == avc.size());
  CHECK(back == avc);

  SUBCASE("2-byte lengths") {
    const Bytes avc2 = cat({{0, 5}, sps_a, {0, 6}, idr});
    REQUIRE(fg::length_prefixed_to_annexb(avc2, 2, annexb));
    CHECK(annexb == cat({sc4, sps_a, sc4, idr}));
    Bytes out(avc2.size());
    CHECK(fg::annexb_to_length_prefixed(annexb, 2, out) == avc2.size());
    CHECK(out == avc2);
  }
  SUBCASE("a length past the end, or a cut length, is refused") {
    CHECK_FALSE(fg::length_prefixed_to_annexb(cat({{0, 0, 0, 9}, sps_a}), 4, annexb));
    CHECK_FALSE(fg::length_prefixed_to_annexb(Bytes{0, 0}, 4, annexb));
  }
  SUBCASE("a last NAL unit ending in 0x00 (key index 0) keeps it") {
    const Bytes frame = cat({sc4, sps_a, sc3, Bytes{0x65, 0x11, 0x0c, 0x00}});
    Bytes out(64);
    const std::size_t n = fg::annexb_to_length_prefixed(frame, 4, out);
    out.resize(n);
    CHECK(out == cat({{0, 0, 0, 5}, sps_a, {0, 0, 0, 4}, Bytes{0x65, 0x11, 0x0c, 0x00}}));
  }
  SUBCASE("refusals: no room, no leading start code, a NAL unit longer than the length size") {
    Bytes small(annexb.size() - 1);
    CHECK(fg::annexb_to_length_prefixed(annexb, 4, small) == 0);
    Bytes out(64);
    CHECK(fg::annexb_to_length_prefixed(sps_a, 4, out) == 0);
    Bytes long_nal = cat({sc4, Bytes(300, 0x55)});
    Bytes out2(400);
    CHECK(fg::annexb_to_length_prefixed(long_nal, 1, out2) == 0);
    CHECK(fg::annexb_to_length_prefixed(long_nal, 2, out2) == 302);
  }
}

TEST_CASE("parameter sets a depayloader put in front of an access unit are found, nothing else") {
  const bool h264 = false;
  // the sender's own access units: untouched
  CHECK(fg::inserted_parameter_sets(cat({sc4, sps_a, sc4, pps, sc4, idr}), h264) == 0);
  CHECK(fg::inserted_parameter_sets(cat({sc4, aud, sc4, sps_a, sc4, pps, sc4, idr}), h264) == 0);
  CHECK(fg::inserted_parameter_sets(cat({sc4, slice}), h264) == 0);
  CHECK(fg::inserted_parameter_sets(cat({sc4, sps_a, sc4, pps}), h264) == 0);  // no slice
  CHECK(fg::inserted_parameter_sets(Bytes{}, h264) == 0);
  CHECK(fg::inserted_parameter_sets(sps_a, h264) == 0);  // no start code
  // seen earlier in the stream: the same sets again
  const Bytes prefix = cat({sc4, sps_a, sc4, pps});
  CHECK(fg::inserted_parameter_sets(cat({prefix, sc4, sps_a, sc4, pps, sc4, idr}), h264) == prefix.size());
  // from the caps (webrtcbin's sprop-parameter-sets of the other direction): different sets
  CHECK(fg::inserted_parameter_sets(cat({prefix, sc4, sps_b, sc4, pps, sc4, idr}), h264) == prefix.size());
  // in front of an AUD
  CHECK(fg::inserted_parameter_sets(cat({prefix, sc4, aud, sc4, sps_a, sc4, pps, sc4, idr}), h264) ==
        prefix.size());
  // 3-byte start codes
  const Bytes prefix3 = cat({sc3, sps_b, sc3, pps});
  CHECK(fg::inserted_parameter_sets(cat({prefix3, sc4, sps_a, sc4, idr}), h264) == prefix3.size());

  SUBCASE("H.265: VPS/SPS/PPS in front of the sender's VPS") {
    const Bytes vps{0x40, 0x01, 0x0c}, sps{0x42, 0x01, 0x01}, hpps{0x44, 0x01, 0xc1},
        hidr{0x26, 0x01, 0xaf, 0x09};
    const Bytes pre = cat({sc4, vps, sc4, sps, sc4, hpps});
    CHECK(fg::inserted_parameter_sets(cat({pre, sc4, vps, sc4, sps, sc4, hpps, sc4, hidr}), true) ==
          pre.size());
    CHECK(fg::inserted_parameter_sets(cat({sc4, vps, sc4, sps, sc4, hpps, sc4, hidr}), true) == 0);
  }
}

TEST_CASE("the engine: a LiveKit sender and receiver, key changes, refusals") {
  std::vector<fs::session::EncryptionState> states;
  fg::EngineConfig c;
  c.identity = "alice";
  std::string error;
  auto tx = fg::make_engine(c, nullptr, error);
  auto rx = fg::make_engine(
      c, [&](fs::session::EncryptionState s) { states.push_back(s); }, error);
  REQUIRE(tx);
  REQUIRE(rx);
  const fs::FrameInfo info{fs::MediaKind::video, fs::Codec::h264, true, 0, 0};
  const Bytes frame = cat({sc4, sps_a, sc4, pps, sc4, idr, Bytes(200, 0x5a)});
  Bytes enc(tx->max_encrypted_size(frame.size())), dec(enc.size());

  SUBCASE("no key: the frame is dropped, nothing is written in clear") {
    auto r = tx->encrypt(info, frame, enc);
    REQUIRE_FALSE(r);
    CHECK(r.error() == fs::Errc::missing_key);
    CHECK(tx->state() == fs::session::EncryptionState::missing_key);
  }
  REQUIRE(tx->set_key(key(1), 0) == fs::Errc::ok);
  REQUIRE(rx->set_key(key(1), 0) == fs::Errc::ok);
  auto e = tx->encrypt(info, frame, enc);
  REQUIRE(e);
  CHECK(e->size() > frame.size());
  auto d = rx->decrypt(info, *e, dec);
  REQUIRE(d);
  CHECK(Bytes(d->begin(), d->end()) == frame);
  CHECK(rx->counters().decrypted == 1);
  CHECK(states.back() == fs::session::EncryptionState::ok);

  SUBCASE("through avc length prefixes, as the elements carry it") {
    Bytes avc(e->size() + 16);
    const std::size_t n = fg::annexb_to_length_prefixed(*e, 4, avc);
    REQUIRE(n > 0);
    avc.resize(n);
    Bytes annexb;
    REQUIRE(fg::length_prefixed_to_annexb(avc, 4, annexb));
    CHECK(annexb == Bytes(e->begin(), e->end()));
  }
  SUBCASE("a sender ratchet is followed; a new key index too") {
    REQUIRE(tx->ratchet(0) == fs::Errc::ok);
    auto e2 = tx->encrypt(info, frame, enc);
    REQUIRE(e2);
    REQUIRE(rx->decrypt(info, *e2, dec));
    CHECK(rx->counters().ratchets == 1);
    REQUIRE(tx->set_key(key(2), 1) == fs::Errc::ok);
    CHECK(tx->key_index() == 1);
    auto e3 = tx->encrypt(info, frame, enc);
    REQUIRE(e3);
    auto miss = rx->decrypt(info, *e3, dec);
    REQUIRE_FALSE(miss);
    CHECK(miss.error() == fs::Errc::missing_key);
    REQUIRE(rx->set_key(key(2), 1) == fs::Errc::ok);
    REQUIRE(rx->decrypt(info, *e3, dec));
  }
  SUBCASE("a wrong key fails to authenticate and the state says so") {
    REQUIRE(rx->set_key(key(9), 0) == fs::Errc::ok);
    auto bad = rx->decrypt(info, *e, dec);
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == fs::Errc::auth_failed);
    CHECK(rx->state() == fs::session::EncryptionState::decryption_failed);
    CHECK(rx->counters().auth_failures == 1);
  }
}

TEST_CASE("the engine: SFrame, and what it refuses") {
  fg::EngineConfig c;
  c.identity = "bob";
  c.format = fg::WireFormat::sframe;
  std::string error;
  c.cipher = fg::CipherChoice::chacha20poly1305;
  CHECK_FALSE(fg::make_engine(c, nullptr, error));
  CHECK(error.find("ChaCha20-Poly1305") != std::string::npos);
  for (auto cipher : {fg::CipherChoice::aes128gcm, fg::CipherChoice::aes256gcm}) {
    c.cipher = cipher;
    auto tx = fg::make_engine(c, nullptr, error), rx = fg::make_engine(c, nullptr, error);
    REQUIRE(tx);
    REQUIRE(rx);
    REQUIRE(tx->set_key(key(3), 2) == fs::Errc::ok);
    REQUIRE(rx->set_key(key(3), 2) == fs::Errc::ok);
    CHECK(tx->ratchet(2) != fs::Errc::ok);  // needs sframe_ratchet_bits > 0
    const fs::FrameInfo info{fs::MediaKind::video, fs::Codec::av1, true, 0, 0};
    const Bytes frame(100, 0x11);
    Bytes enc(tx->max_encrypted_size(frame.size())), dec(enc.size());
    auto e = tx->encrypt(info, frame, enc);
    REQUIRE(e);
    auto d = rx->decrypt(info, *e, dec);
    REQUIRE(d);
    CHECK(Bytes(d->begin(), d->end()) == frame);
  }
  c.format = fg::WireFormat::livekit;
  c.ratchet_window = 1000;  // beyond 256
  CHECK_FALSE(fg::make_engine(c, nullptr, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("the engine: a control thread changes keys while a streaming thread runs frames") {
  fg::EngineConfig c;
  c.identity = "carol";
  std::string error;
  auto tx = fg::make_engine(c, nullptr, error), rx = fg::make_engine(c, nullptr, error);
  REQUIRE(tx);
  REQUIRE(rx);
  REQUIRE(tx->set_key(key(4), 0) == fs::Errc::ok);
  REQUIRE(rx->set_key(key(4), 0) == fs::Errc::ok);
  std::atomic<bool> done{false};
  std::thread control([&] {
    for (int i = 0; i < 20 && !done; ++i) {
      CHECK(tx->ratchet(0) == fs::Errc::ok);  // the receiver follows within its window
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const fs::FrameInfo info{fs::MediaKind::audio, fs::Codec::opus, std::nullopt, 0, 0};
  const Bytes frame(160, 0x42);
  Bytes enc(tx->max_encrypted_size(frame.size())), dec(enc.size());
  std::size_t ok = 0;
  for (int i = 0; i < 2000; ++i) {
    auto e = tx->encrypt(info, frame, enc);
    REQUIRE(e);
    auto d = rx->decrypt(info, *e, dec);
    if (d && Bytes(d->begin(), d->end()) == frame) ++ok;
  }
  done = true;
  control.join();
  CHECK(ok == 2000);
  CHECK(rx->counters().auth_failures == 0);
}
