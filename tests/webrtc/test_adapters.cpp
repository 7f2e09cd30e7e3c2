// The WebRTC adapters (include/frameseal/webrtc/): FrameTransformer (LiveKit's format through the
// session layer) and FrameEncryptor/FrameDecryptor (SFrame), driven the way libwebrtc drives them.
// Built once per libwebrtc API generation against the stand-in declarations of fake_webrtc.hpp
// (FRAMESEAL_CONFIG_WEBRTC_API = 1, 2, 3), and compiled (not linked: no libwebrtc here) against a
// real tree with -Dwebrtc_include_dir, where the mock frames below must implement the real
// interfaces: that is the check that the stand-ins have the real signatures.
#include "../common.hpp"

#include <frameseal/webrtc/frame_encryptor.hpp>
#include <frameseal/webrtc/frame_transformer.hpp>
#if defined(FRAMESEAL_TEST_OPENSSL)
#  include <frameseal/sframe/openssl_suites.hpp>
#endif
#if defined(FRAMESEAL_TEST_WEBRTC_VIDEO_HEADER)
#  include "modules/rtp_rtcp/source/rtp_video_header.h"
#endif

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if !defined(FRAMESEAL_CONFIG_WEBRTC_API) || FRAMESEAL_CONFIG_WEBRTC_API == 0
#  error "the adapter tests are built for one API generation: define FRAMESEAL_CONFIG_WEBRTC_API"
#endif
#define GEN FRAMESEAL_CONFIG_WEBRTC_API

// The view types as each generation spells them (the adapters never do: api.hpp).
// absl::optional in generation 1: std::optional with Chromium's abseil options, a class of its own
// with Debian's libabsl-dev (ABSL_OPTION_USE_STD_OPTIONAL 0).
#if GEN == 1
#  define OPTIONAL absl::optional
#  define NULLOPT absl::nullopt
#else
#  define OPTIONAL std::optional
#  define NULLOPT std::nullopt
#endif
#if GEN == 1
#  define VIEW(T) rtc::ArrayView<T>
#  define MEDIA_AUDIO cricket::MEDIA_TYPE_AUDIO
#  define MEDIA_VIDEO cricket::MEDIA_TYPE_VIDEO
#elif GEN == 2
#  define VIEW(T) webrtc::ArrayView<T>
#  define MEDIA_AUDIO webrtc::MediaType::AUDIO
#  define MEDIA_VIDEO webrtc::MediaType::VIDEO
#else
#  define VIEW(T) std::span<T>
#  define MEDIA_AUDIO webrtc::MediaType::AUDIO
#  define MEDIA_VIDEO webrtc::MediaType::VIDEO
#endif

#include "../alloc_counter.hpp"  // g_counting, g_allocations: the frame path must not allocate

// ---- mock frames: what libwebrtc hands a transformer ----
// Named like upstream's gmock mocks (api/test/mock_transformable_*_frame.h), which the Passkey of
// generations 2 and 3 lets construct frames.
namespace webrtc {

struct FakeFrameFields {
  std::vector<std::uint8_t> data;
  std::uint32_t ssrc = 0;
  std::uint32_t timestamp = 0;
  std::uint8_t payload_type = 0;
  std::string mime;
  TransformableFrameInterface::Direction direction = TransformableFrameInterface::Direction::kSender;
  bool key_frame = false;
  int set_data_calls = 0;
};

template <class Base>
class FakeFrame : public Base {
 public:
#if GEN >= 2
  explicit FakeFrame(typename Base::Passkey key) : Base(key) {}
#endif
  FakeFrameFields f;

  VIEW(const uint8_t) GetData() const override {
    return VIEW(const uint8_t)(f.data.data(), f.data.size());
  }
  void SetData(VIEW(const uint8_t) data) override {
    f.data.assign(data.begin(), data.end());
    ++f.set_data_calls;
  }
  uint8_t GetPayloadType() const override {
    return f.payload_type;
  }
  uint32_t GetSsrc() const override {
    return f.ssrc;
  }
  uint32_t GetTimestamp() const override {
    return f.timestamp;
  }
  void SetRTPTimestamp(uint32_t timestamp) override {
    f.timestamp = timestamp;
  }
  TransformableFrameInterface::Direction GetDirection() const override {
    return f.direction;
  }
  std::string GetMimeType() const override {
    return f.mime;
  }
#if GEN >= 2
  bool CanSetPayloadType() const override {
    return true;
  }
  void SetPayloadType(uint8_t payload_type) override {
    f.payload_type = payload_type;
  }
  std::optional<Timestamp> ReceiveTime() const override {
    return std::nullopt;
  }
  std::optional<Timestamp> CaptureTime() const override {
    return std::nullopt;
  }
  std::optional<TimeDelta> SenderCaptureTimeOffset() const override {
    return std::nullopt;
  }
#endif
#if GEN >= 3
  RtpTimestampInfo GetRtpTimestampInfo() const override {
    return RtpTimestampWithOffset{f.timestamp};
  }
#endif
};

class MockTransformableVideoFrame final : public FakeFrame<TransformableVideoFrameInterface> {
 public:
#if GEN >= 2
  MockTransformableVideoFrame() : FakeFrame(Passkey()) {}
#endif
  bool IsKeyFrame() const override {
    return f.key_frame;
  }
  VideoFrameMetadata Metadata() const override {
    return VideoFrameMetadata();
  }
  void SetMetadata(const VideoFrameMetadata&) override {}
#if defined(FRAMESEAL_TEST_WEBRTC_VIDEO_HEADER)
  const RTPVideoHeader& header() const override {
    return header_;
  }

 private:
  RTPVideoHeader header_;
#endif
};

class MockTransformableAudioFrame final : public FakeFrame<TransformableAudioFrameInterface> {
 public:
#if GEN >= 2
  MockTransformableAudioFrame() : FakeFrame(Passkey()) {}
#endif
  VIEW(const uint32_t) GetContributingSources() const override {
    return VIEW(const uint32_t)();
  }
  const OPTIONAL<uint16_t> SequenceNumber() const override {
    return NULLOPT;
  }
  OPTIONAL<uint64_t> AbsoluteCaptureTimestamp() const override {
    return NULLOPT;
  }
#if GEN >= 2
  std::optional<uint8_t> AudioLevel() const override {
    return std::nullopt;
  }
#endif
};

}  // namespace webrtc

using namespace frameseal;
using namespace frameseal::session;
using frameseal::webrtc_adapter::Direction;
using frameseal::webrtc_adapter::TransformerOptions;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

using Frame = webrtc::TransformableFrameInterface;
using FrameDir = Frame::Direction;
using C = sodium::ChaCha20Poly1305;  // always available; the format does not care
using Manager = E2eeManager<C>;
using Transformer = webrtc_adapter::FrameTransformer<C>;
using State = EncryptionState;
using Log = std::vector<std::pair<std::string, State>>;

// The callback libwebrtc registers: collects the frames handed back.
class Sink final : public webrtc_adapter::detail::RefCounted<webrtc::TransformedFrameCallback> {
 public:
  void OnTransformedFrame(std::unique_ptr<Frame> frame) override { frames.push_back(std::move(frame)); }
  std::vector<std::unique_ptr<Frame>> frames;
};
webrtc::scoped_refptr<Sink> make_sink() {
  auto s = webrtc::scoped_refptr<Sink>(new Sink);
  s->frames.reserve(4096);
  return s;
}

webrtc::FakeFrameFields& fields(Frame& f, MediaKind kind) {
  if (kind == MediaKind::audio) return static_cast<webrtc::MockTransformableAudioFrame&>(f).f;
  return static_cast<webrtc::MockTransformableVideoFrame&>(f).f;
}

std::unique_ptr<Frame> make_frame(MediaKind kind, Bytes data, FrameDir dir, std::uint32_t ssrc = 0x11223344,
                                  std::uint32_t ts = 0x5e6f7081, std::string mime = {}, bool key = false,
                                  std::uint8_t pt = 111) {
  std::unique_ptr<Frame> frame;
  if (kind == MediaKind::audio)
    frame = std::make_unique<webrtc::MockTransformableAudioFrame>();
  else
    frame = std::make_unique<webrtc::MockTransformableVideoFrame>();
  auto& f = fields(*frame, kind);
  f.data = std::move(data);
  f.data.reserve(8192);
  f.ssrc = ssrc;
  f.timestamp = ts;
  f.mime = std::move(mime);
  f.direction = dir;
  f.key_frame = key;
  f.payload_type = pt;
  return frame;
}

Bytes data_of(const Frame& f) {
  auto d = f.GetData();
  return Bytes(d.begin(), d.end());
}

Bytes random_frame(std::uint32_t seed, std::size_t n, std::uint8_t first = 0x78) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  if (n) b[0] = first;
  return b;
}

// A VP8 frame whose first byte says key (bit 0 clear) or delta.
Bytes vp8_frame(std::uint32_t seed, bool key, std::size_t n = 300) {
  Bytes b = random_frame(seed, n, key ? 0x10 : 0x11);
  if (key) {  // VP8 key frame start code after the 3-byte tag
    b[3] = 0x9d;
    b[4] = 0x01;
    b[5] = 0x2a;
  }
  return b;
}

// H.264 Annex-B: SPS, PPS, IDR slice.
Bytes h264_frame(std::uint32_t seed) {
  Bytes b = {0,    0,    0,    1,    0x67, 0x42, 0xc0, 0x1e, 0,    0,    0,   1,
             0x68, 0xce, 0x3c, 0x80, 0,    0,    0,    1,    0x65, 0x88, 0x84};
  Bytes tail = random_frame(seed, 200, 0x21);
  for (auto& x : tail)
    if (x == 0) x = 1;  // no start code in the slice data
  b.insert(b.end(), tail.begin(), tail.end());
  return b;
}

E2eeOptions custom() {
  E2eeOptions o;
  o.encryption_type = EncryptionType::custom;
  return o;
}

struct Client {
  Manager m;
  Log log;
  explicit Client(E2eeOptions o = custom()) : m(std::move(Manager::create(std::move(o)).value())) {
    m.on_e2ee_state_changed([this](const std::string& who, State s) { log.emplace_back(who, s); });
  }
  Manager::frame_cryptor_type cryptor(const std::string& who) { return m.frame_cryptor(who).value(); }
  Log take_log() { return std::exchange(log, {}); }
};

const Bytes ka = from_hex("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
const Bytes kb = from_hex("b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2");

// A sender (alice's own manager) and a receiver (bob's manager decrypting alice), each with a
// transformer registered the way libwebrtc registers its callbacks.
struct Pipe {
  Client alice, bob;
  Transformer::ref_type tx, rx;
  webrtc::scoped_refptr<Sink> tx_sink = make_sink(), rx_sink = make_sink();
  MediaKind kind;

  explicit Pipe(MediaKind k, TransformerOptions o = {}) : kind(k) {
    o.kind = k;
    tx = webrtc_adapter::make_frame_transformer(alice.cryptor("alice"), o);
    rx = webrtc_adapter::make_frame_transformer(bob.cryptor("alice"), o);
    webrtc::scoped_refptr<webrtc::FrameTransformerInterface> t = tx, r = rx;  // as libwebrtc holds them
    t->RegisterTransformedFrameCallback(tx_sink);
    r->RegisterTransformedFrameCallback(rx_sink);
  }
  void keys(const Bytes& k, std::size_t index = 0) {
    REQUIRE(alice.m.key_provider().set_key("alice", k, index) == Errc::ok);
    REQUIRE(bob.m.key_provider().set_key("alice", k, index) == Errc::ok);
  }
  // Sends one frame through the sender transformer; the encrypted bytes, or nullopt if dropped.
  std::optional<Bytes> send(const Bytes& plain, std::string mime = {}, bool key = false,
                            std::uint32_t ssrc = 0x11223344) {
    const std::size_t before = tx_sink->frames.size();
    tx->Transform(make_frame(kind, plain, FrameDir::kSender, ssrc, 0x5e6f7081, std::move(mime), key));
    if (tx_sink->frames.size() == before) return std::nullopt;
    return data_of(*tx_sink->frames.back());
  }
  std::optional<Bytes> receive(const Bytes& wire, std::string mime = {}, bool key = false,
                               std::uint32_t ssrc = 0x11223344) {
    const std::size_t before = rx_sink->frames.size();
    rx->Transform(make_frame(kind, wire, FrameDir::kReceiver, ssrc, 0x5e6f7081, std::move(mime), key));
    if (rx_sink->frames.size() == before) return std::nullopt;
    return data_of(*rx_sink->frames.back());
  }
};

}  // namespace

TEST_CASE("api generation: detected from the declarations, as configured") {
  using Enc = webrtc_adapter::detail::EncryptFn;
  CHECK(webrtc_adapter::detail::api_generation<Enc::arg<2>, Enc::arg<0>> == GEN);
  static_assert(std::is_same_v<Enc::arg<2>, VIEW(const uint8_t)>);
  static_assert(std::is_same_v<Enc::arg<4>, VIEW(uint8_t)>);
  static_assert(std::is_same_v<Transformer::ref_type, webrtc::scoped_refptr<Transformer>>);
}

TEST_CASE("transformer: the sender encrypts, the receiver decrypts (audio, plain callback)") {
  Pipe p(MediaKind::audio);
  p.keys(ka);
  for (std::uint32_t i = 0; i < 5; ++i) {
    const Bytes plain = random_frame(i, 120);
    auto wire = p.send(plain, "audio/opus");
    REQUIRE(wire.has_value());
    CHECK(wire->size() == plain.size() + Manager::frame_cryptor_type::frame_cryptor_type::overhead);
    CHECK((*wire)[0] == plain[0]);  // the Opus TOC byte stays in clear
    CHECK(wire->back() == 0);       // KID
    CHECK(fields(*p.tx_sink->frames.back(), MediaKind::audio).set_data_calls == 1);
    auto back = p.receive(*wire, "audio/opus");
    REQUIRE(back.has_value());
    CHECK(to_hex(*back) == to_hex(plain));
    CHECK(fields(*p.rx_sink->frames.back(), MediaKind::audio).set_data_calls == 1);
  }
  CHECK(p.alice.take_log() == Log{{"alice", State::ok}});
  CHECK(p.bob.take_log() == Log{{"alice", State::ok}});
  CHECK(p.tx->stats().forwarded == 5);
  CHECK(p.rx->stats().forwarded == 5);
  CHECK(p.bob.cryptor("alice").counters().decrypted == 5);
}

TEST_CASE("transformer: round trip with the core (session facades and livekit::FrameCryptor)") {
  Pipe p(MediaKind::video);
  p.keys(ka);
  const FrameInfo vp8_key{MediaKind::video, Codec::vp8, true, 0x11223344, 0x5e6f7081};
  // Transformer out, facade in.
  const Bytes plain = vp8_frame(1, true);
  auto wire = p.send(plain, "video/VP8", true);
  REQUIRE(wire.has_value());
  CHECK(to_hex(Bytes(wire->begin(), wire->begin() + 10)) == to_hex(Bytes(plain.begin(), plain.begin() + 10)));
  Client carol;
  REQUIRE(carol.m.key_provider().set_key("alice", ka) == Errc::ok);
  Bytes out(wire->size());
  auto d = carol.cryptor("alice").decrypt(vp8_key, *wire, out);
  REQUIRE(d.has_value());
  CHECK(to_hex(*d) == to_hex(plain));

  // Core out (a bare livekit::FrameCryptor over its own key ring), transformer in.
  auto ring = KeyRing<C, LivekitKdf>::create(KeyRingOptions{}).value();
  REQUIRE(ring.set_key(0, ka) == Errc::ok);
  livekit::FrameCryptor<C> core(ring);
  const Bytes plain2 = vp8_frame(2, false);
  const FrameInfo vp8_delta{MediaKind::video, Codec::vp8, false, 0x11223344, 0x5e6f7082};
  Bytes enc(livekit::FrameCryptor<C>::max_encrypted_size(plain2.size()));
  auto e = core.encrypt(vp8_delta, plain2, enc);
  REQUIRE(e.has_value());
  auto back = p.receive(Bytes(e->begin(), e->end()), "video/VP8", false);
  REQUIRE(back.has_value());
  CHECK(to_hex(*back) == to_hex(plain2));
}

TEST_CASE("transformer: key-frame flag, per-SSRC sinks and the plain callback, no sink") {
  Pipe p(MediaKind::video);
  p.keys(ka);
  auto low = make_sink(), high = make_sink();
  webrtc::scoped_refptr<webrtc::FrameTransformerInterface> t = p.tx;
  t->RegisterTransformedFrameSinkCallback(low, 1000);
  t->RegisterTransformedFrameSinkCallback(high, 2000);
  const Bytes key = vp8_frame(3, true), delta = vp8_frame(4, false);
  auto send = [&](const Bytes& plain, bool is_key, std::uint32_t ssrc) {
    t->Transform(make_frame(MediaKind::video, plain, FrameDir::kSender, ssrc, 0x1000, "video/VP8", is_key));
  };
  send(key, true, 1000);
  send(delta, false, 2000);
  send(delta, false, 3000);  // no sink for 3000: the plain callback
  REQUIRE(low->frames.size() == 1);
  REQUIRE(high->frames.size() == 1);
  REQUIRE(p.tx_sink->frames.size() == 1);
  // VP8: 10 clear bytes on a key frame, 3 on a delta frame (livekit's rule), from IsKeyFrame().
  const Bytes wk = data_of(*low->frames[0]), wd = data_of(*high->frames[0]);
  // The clear bytes are copied; the rest is ciphertext (comparing only the first encrypted byte would
  // fail once in 256 runs). The clear length is authenticated, so reading a frame with the other
  // frame type's clear length fails: that pins 10 and 3 exactly.
  CHECK(std::equal(key.begin(), key.begin() + 10, wk.begin()));
  CHECK_FALSE(std::equal(key.begin() + 10, key.end(), wk.begin() + 10));
  CHECK(std::equal(delta.begin(), delta.begin() + 3, wd.begin()));
  CHECK_FALSE(std::equal(delta.begin() + 3, delta.end(), wd.begin() + 3));
  CHECK(p.receive(wk, "video/VP8", true, 1000) == key);
  CHECK(p.receive(wd, "video/VP8", false, 2000) == delta);
  CHECK_FALSE(p.receive(wk, "video/VP8", false, 1000).has_value());
  CHECK_FALSE(p.receive(wd, "video/VP8", true, 2000).has_value());

  t->UnregisterTransformedFrameSinkCallback(1000);
  send(key, true, 1000);  // falls back to the plain callback
  CHECK(low->frames.size() == 1);
  CHECK(p.tx_sink->frames.size() == 2);
  t->UnregisterTransformedFrameCallback();
  send(key, true, 1000);  // nobody to hand it to
  CHECK(p.tx->stats().no_sink == 1);
  send(delta, false, 2000);
  CHECK(high->frames.size() == 2);
}

TEST_CASE("transformer: codec from the MIME type or the payload type") {
  const Bytes plain = h264_frame(5);
  const FrameInfo h264{MediaKind::video, Codec::h264, true, 0x11223344, 0x5e6f7081};
  Client carol;
  REQUIRE(carol.m.key_provider().set_key("alice", ka) == Errc::ok);
  auto check_h264 = [&](const Bytes& wire) {
    Bytes out(wire.size());
    auto d = carol.cryptor("alice").decrypt(h264, wire, out);
    REQUIRE(d.has_value());
    CHECK(to_hex(*d) == to_hex(plain));
    // H.264: everything up to the first slice NALU and 2 bytes of it are clear.
    CHECK(std::equal(plain.begin(), plain.begin() + 22, wire.begin()));
  };
  {
    Pipe p(MediaKind::video);
    p.keys(ka);
    auto wire = p.send(plain, "video/H264", true);
    REQUIRE(wire.has_value());
    check_h264(*wire);
  }
  {
    TransformerOptions o;
    o.payload_types = {{96, Codec::vp8}, {102, Codec::h264}};
    Pipe p(MediaKind::video, o);
    p.keys(ka);
    p.tx->Transform(
        make_frame(MediaKind::video, plain, FrameDir::kSender, 0x11223344, 0x5e6f7081, "", true, 102));
    REQUIRE(p.tx_sink->frames.size() == 1);
    check_h264(data_of(*p.tx_sink->frames[0]));
    // A MIME type frameseal does not know: the payload type decides.
    p.tx->Transform(make_frame(MediaKind::video, plain, FrameDir::kSender, 0x11223344, 0x5e6f7081,
                               "video/x-new", true, 102));
    REQUIRE(p.tx_sink->frames.size() == 2);
    check_h264(data_of(*p.tx_sink->frames[1]));
    // Neither names a codec: dropped (frameseal never guesses a video codec), the state says so.
    p.tx->Transform(
        make_frame(MediaKind::video, plain, FrameDir::kSender, 0x11223344, 0x5e6f7081, "", true, 120));
    CHECK(p.tx_sink->frames.size() == 2);
    CHECK(p.tx->stats().dropped == 1);
    CHECK(p.alice.cryptor("alice").counters().last_error == Errc::unsupported_codec);
    CHECK(p.alice.take_log() == Log{{"alice", State::ok}, {"alice", State::encryption_failed}});
  }
  {
    TransformerOptions o;
    o.codec = Codec::h264;  // the track's codec as a last resort
    Pipe p(MediaKind::video, o);
    p.keys(ka);
    auto wire = p.send(plain, "", true);
    REQUIRE(wire.has_value());
    check_h264(*wire);
  }
}

TEST_CASE("transformer: a key change mid-stream, a missing key, the states through the session") {
  Pipe p(MediaKind::audio);
  p.keys(ka, 0);
  std::uint32_t seed = 100;
  auto round = [&]() -> std::optional<Bytes> {
    const Bytes plain = random_frame(seed++, 80);
    auto wire = p.send(plain, "audio/opus");
    REQUIRE(wire.has_value());
    auto back = p.receive(*wire, "audio/opus");
    if (back) CHECK(*back == plain);
    return back;
  };
  CHECK(round().has_value());
  CHECK(p.bob.take_log() == Log{{"alice", State::ok}});

  // Alice moves to key index 1; bob does not have it yet: missing key, frames dropped.
  REQUIRE(p.alice.m.key_provider().set_key("alice", kb, 1) == Errc::ok);
  CHECK_FALSE(round().has_value());
  CHECK_FALSE(round().has_value());
  CHECK(p.bob.take_log() == Log{{"alice", State::missing_key}});
  CHECK(p.rx->stats().dropped == 2);
  CHECK(p.bob.cryptor("alice").counters().missing_key == 2);

  // Bob gets it: back to ok. Frames still in flight under index 0 decrypt too.
  const Bytes old_plain = random_frame(999, 80);
  REQUIRE(p.alice.m.key_provider().set_key("alice", ka, 0) == Errc::ok);
  auto old_wire = p.send(old_plain, "audio/opus");
  REQUIRE(p.alice.m.key_provider().set_key("alice", kb, 1) == Errc::ok);
  REQUIRE(p.bob.m.key_provider().set_key("alice", kb, 1) == Errc::ok);
  CHECK(round().has_value());
  CHECK(p.receive(*old_wire, "audio/opus") == old_plain);
  CHECK(p.bob.take_log() == Log{{"alice", State::ok}});

  // A ratchet on the sender: the receiver follows it (ratchet window), key_ratcheted then ok.
  REQUIRE(p.alice.m.key_provider().ratchet_key("alice", 1).has_value());
  CHECK(round().has_value());
  CHECK(p.bob.take_log() == Log{{"alice", State::key_ratcheted}, {"alice", State::ok}});

  // No key at all on a fresh receiver.
  Client dave;
  auto rx = webrtc_adapter::make_frame_transformer(dave.cryptor("alice"), {.kind = MediaKind::audio});
  auto sink = make_sink();
  rx->RegisterTransformedFrameCallback(sink);
  auto wire = p.send(random_frame(7, 50), "audio/opus");
  rx->Transform(make_frame(MediaKind::audio, *wire, FrameDir::kReceiver, 1, 2, "audio/opus"));
  CHECK(sink->frames.empty());
  CHECK(dave.take_log() == Log{{"alice", State::missing_key}});
  // A sender without a key drops too (never sends in clear).
  Client erin;
  auto tx = webrtc_adapter::make_frame_transformer(erin.cryptor("erin"), {.kind = MediaKind::audio});
  tx->RegisterTransformedFrameCallback(sink);
  tx->Transform(make_frame(MediaKind::audio, random_frame(8, 50), FrameDir::kSender, 1, 2, "audio/opus"));
  CHECK(sink->frames.empty());
  CHECK(erin.take_log() == Log{{"erin", State::missing_key}});
}

TEST_CASE("transformer: empty frames, disabled encryption, unknown direction, fixed direction") {
  Pipe p(MediaKind::audio);
  p.keys(ka);
  CHECK(p.send(Bytes{}, "audio/opus") == Bytes{});
  CHECK(p.receive(Bytes{}, "audio/opus") == Bytes{});
  CHECK(p.alice.take_log().empty());

  p.alice.cryptor("alice").set_enabled(false);
  const Bytes plain = random_frame(9, 60);
  CHECK(p.send(plain, "audio/opus") == plain);  // LiveKit with E2EE off: unchanged
  p.alice.cryptor("alice").set_enabled(true);
  CHECK(p.send(plain, "audio/opus") != plain);

  p.tx->Transform(make_frame(MediaKind::audio, plain, FrameDir::kUnknown, 1, 2, "audio/opus"));
  CHECK(p.tx->stats().unknown_direction == 1);
  CHECK(p.tx_sink->frames.size() == 3);

  TransformerOptions o;
  o.kind = MediaKind::audio;
  o.direction = Direction::encrypt;
  auto tx = webrtc_adapter::make_frame_transformer(p.alice.cryptor("alice"), o);
  auto sink = make_sink();
  tx->RegisterTransformedFrameCallback(sink);
  tx->Transform(make_frame(MediaKind::audio, plain, FrameDir::kUnknown, 1, 2, "audio/opus"));
  REQUIRE(sink->frames.size() == 1);
  CHECK(p.receive(data_of(*sink->frames[0]), "audio/opus") == plain);
}

TEST_CASE("transformer: no allocation per frame after warm-up, one SetData per frame") {
  Pipe p(MediaKind::video);
  p.keys(ka);
  std::vector<std::unique_ptr<Frame>> frames;
  for (std::uint32_t i = 0; i < 40; ++i)
    frames.push_back(make_frame(MediaKind::video, vp8_frame(i, i % 10 == 0, 1000), FrameDir::kSender, 0x1234,
                                i * 3000, "video/VP8", i % 10 == 0));
  p.tx->Transform(make_frame(MediaKind::video, vp8_frame(99, true, 1000), FrameDir::kSender, 0x1234, 0,
                             "video/VP8", true));
  std::size_t allocations = 0;
  for (auto& f : frames) {
    g_counting = true;
    p.tx->Transform(std::move(f));
    g_counting = false;
    allocations += g_allocations;
    g_allocations = 0;
  }
  CHECK(allocations == 0);
  REQUIRE(p.tx_sink->frames.size() == 41);
  for (std::size_t i = 1; i < p.tx_sink->frames.size(); ++i) {
    CHECK(fields(*p.tx_sink->frames[i], MediaKind::video).set_data_calls == 1);
    auto back = p.receive(data_of(*p.tx_sink->frames[i]), "video/VP8", (i - 1) % 10 == 0, 0x1234);
    CHECK(back.has_value());
  }
}

TEST_CASE("transformer: keys change on a signalling thread while frames flow on a worker thread") {
  Pipe p(MediaKind::audio);
  p.keys(ka, 0);
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> changes{0};
  std::thread signalling([&] {
    for (std::size_t i = 0; !stop.load(); ++i, ++changes) {
      const Bytes& k = i % 2 ? kb : ka;
      (void)p.alice.m.key_provider().set_key("alice", k, i % 4);
      (void)p.bob.m.key_provider().set_key("alice", k, i % 4);
      if (i % 3 == 0) (void)p.alice.m.key_provider().ratchet_key("alice", i % 4);
      std::this_thread::yield();
    }
  });
  std::size_t delivered = 0, wrong = 0;
  const Bytes plain = random_frame(11, 200);
  for (std::uint32_t i = 0; i < 3000; ++i) {
    auto wire = p.send(plain, "audio/opus");
    if (!wire) continue;
    auto back = p.receive(*wire, "audio/opus");
    if (!back) continue;
    ++delivered;
    if (*back != plain) ++wrong;
    p.tx_sink->frames.clear();
    p.rx_sink->frames.clear();
  }
  stop = true;
  signalling.join();
  CHECK(wrong == 0);
  CHECK(delivered > 0);
  CHECK(changes.load() > 0);
  MESSAGE(delivered << " of 3000 frames delivered during " << changes.load() << " key changes");
}

#if defined(FRAMESEAL_TEST_OPENSSL)
namespace {
nlohmann::json livekit_vectors() {
  std::ifstream f(fstest::vectors_dir() + "/livekit/livekit-client-2.23.0-public.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}
}  // namespace

TEST_CASE("transformer: livekit-client 2.23.0 vectors, byte for byte in both directions") {
  using Gcm = openssl::Aes128Gcm;
  std::size_t checked = 0;
  const nlohmann::json all = livekit_vectors();
  for (const auto& v : all["vectors"]) {
    CAPTURE(v["id"].get<std::string>());
    if (v["key_size_bits"] != 128) continue;
    const Bytes material = from_hex(v["key_material_hex"].get<std::string>());
    const std::size_t kid = v["key_index"];
    const std::size_t ratchets = v["ratchet_count"];
    const MediaKind kind = v["kind"] == "audio" ? MediaKind::audio : MediaKind::video;
    const std::string mime = v["mime_type"];
    const bool key = v["frame_type"] == "key";
    const std::uint32_t ssrc = v["ssrc"], ts = v["rtp_timestamp"], seed = v["send_count_mod_65535"];
    const Bytes plain = from_hex(v["plaintext_hex"].get<std::string>());
    const Bytes wire = from_hex(v["encrypted_frame_hex"].get<std::string>());
    const std::string want_plain = v.contains("package_roundtrip")
                                       ? v["package_roundtrip"]["decrypted_frame_hex"].get<std::string>()
                                       : v["plaintext_hex"].get<std::string>();
    auto options = [&] {
      E2eeOptions o;  // encryption_type gcm: right for AES-128-GCM
      o.key_provider_options.ratchet_salt = from_hex(v["ratchet_salt_hex"].get<std::string>());
      o.key_provider_options.kdf = v["kdf"] == "pbkdf2" ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf;
      return o;
    };
    LivekitKdf fast;  // OpenSSL's PBKDF2 plugged into LiveKit's KDF (the CLI's choice)
    fast.pbkdf2 = &openssl::pbkdf2_hmac_sha256;

    // Send: the sender transformer writes exactly the bytes livekit-client wrote (LiveKit's IV
    // formula with the vector's counter).
    auto tx =
        E2eeManager<Gcm, livekit::LivekitIv>::create(options(), fast, [seed](const std::string&) {
          return livekit::LivekitIv(seed);
        }).value();
    REQUIRE(tx.key_provider().set_key("me", material, kid) == Errc::ok);
    for (std::size_t r = 0; r < ratchets; ++r) REQUIRE(tx.key_provider().ratchet_key("me", kid).has_value());
    auto t = webrtc_adapter::make_frame_transformer(tx.frame_cryptor("me").value(), {.kind = kind});
    auto sink = make_sink();
    t->RegisterTransformedFrameSinkCallback(sink, ssrc);
    t->Transform(make_frame(kind, plain, FrameDir::kSender, ssrc, ts, mime, key));
    REQUIRE(sink->frames.size() == 1);
    CHECK(to_hex(data_of(*sink->frames[0])) == to_hex(wire));

    // Receive: the receiver transformer recovers the plaintext (auto-ratcheting if needed).
    auto rx = E2eeManager<Gcm>::create(options(), fast).value();
    REQUIRE(rx.key_provider().set_key("lk-sender", material, kid) == Errc::ok);
    auto r = webrtc_adapter::make_frame_transformer(rx.frame_cryptor("lk-sender").value(), {.kind = kind});
    r->RegisterTransformedFrameSinkCallback(sink, ssrc);
    r->Transform(make_frame(kind, wire, FrameDir::kReceiver, ssrc, ts, mime, key));
    REQUIRE(sink->frames.size() == 2);
    CHECK(to_hex(data_of(*sink->frames[1])) == want_plain);
    ++checked;
  }
  CHECK(checked >= 10);
}
#endif

// ---- FrameEncryptor / FrameDecryptor (SFrame) ----

namespace {

template <class S>
struct SframeEnd {
  std::shared_ptr<webrtc_adapter::SframeKeys<S>> keys;
  webrtc::scoped_refptr<webrtc::FrameEncryptorInterface> enc;  // as RtpSender holds it
  webrtc::scoped_refptr<webrtc::FrameDecryptorInterface> dec;  // as RtpReceiver holds it
  SframeEnd() : keys(webrtc_adapter::SframeKeys<S>::create().value()) {
    enc = webrtc_adapter::FrameEncryptor<S>::create(keys);
    dec = webrtc_adapter::FrameDecryptor<S>::create(keys);
  }
  // libwebrtc's send path: size the output with GetMaxCiphertextByteSize, then Encrypt.
  std::optional<Bytes> encrypt(const Bytes& frame, const Bytes& ad = {}, int* status = nullptr) {
    Bytes out(enc->GetMaxCiphertextByteSize(MEDIA_VIDEO, frame.size()));
    std::size_t written = 99;
    const int rc = enc->Encrypt(MEDIA_VIDEO, 0x1234, VIEW(const uint8_t)(ad.data(), ad.size()),
                                VIEW(const uint8_t)(frame.data(), frame.size()),
                                VIEW(uint8_t)(out.data(), out.size()), &written);
    if (status) *status = rc;
    if (rc != 0) {
      CHECK(written == 0);
      return std::nullopt;
    }
    REQUIRE(written <= out.size());
    out.resize(written);
    return out;
  }
  // libwebrtc's receive path (video/buffered_frame_decryptor.cc): decrypt in place into the first
  // GetMaxPlaintextByteSize bytes of the frame itself.
  webrtc::FrameDecryptorInterface::Status decrypt_in_place(Bytes& frame, const Bytes& ad = {}) {
    const std::size_t max = dec->GetMaxPlaintextByteSize(MEDIA_VIDEO, frame.size());
    REQUIRE(max <= frame.size());
    auto r = dec->Decrypt(MEDIA_VIDEO, {}, VIEW(const uint8_t)(ad.data(), ad.size()),
                          VIEW(const uint8_t)(frame.data(), frame.size()), VIEW(uint8_t)(frame.data(), max));
    if (r.IsOk()) {
      REQUIRE(r.bytes_written <= max);
      frame.resize(r.bytes_written);
    } else {
      CHECK(r.bytes_written == 0);
    }
    return r.status;
  }
};

}  // namespace

#if defined(FRAMESEAL_TEST_OPENSSL)
#  define SFRAME_SUITES sframe::Suite5, sframe::Suite4
#else
#  define SFRAME_SUITES sframe::Suite5
#endif

TEST_CASE_TEMPLATE("encryptor: round trip, additional_data authenticated, in-place and separate decrypt", S,
                   SFRAME_SUITES) {
  if (!S::available()) return;
  using Status = webrtc::FrameDecryptorInterface::Status;
  SframeEnd<S> alice, bob;
  const Bytes ka16(S::hash_bytes, 0xa1);
  REQUIRE(alice.keys->add_key(7, ka16, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(bob.keys->add_key(7, ka16, sframe::KeyUsage::decrypt) == Errc::ok);
  const Bytes ad = from_hex("0102030405");  // e.g. a serialised generic frame descriptor
  for (std::uint32_t i = 0; i < 5; ++i) {
    const Bytes plain = random_frame(i, 500);
    auto wire = alice.encrypt(plain, ad);
    REQUIRE(wire.has_value());
    CHECK(wire->size() > plain.size() + S::tag_bytes);  // SFrame header, ciphertext, tag
    CHECK(wire->size() <= alice.enc->GetMaxCiphertextByteSize(MEDIA_VIDEO, plain.size()));
    // In place, as the video receiver does it.
    Bytes frame = *wire;
    CHECK(bob.decrypt_in_place(frame, ad) == Status::kOk);
    CHECK(frame == plain);
    // Into a separate buffer (another frame: the same one again would be a replay).
    wire = alice.encrypt(plain, ad);
    REQUIRE(wire.has_value());
    Bytes out(bob.dec->GetMaxPlaintextByteSize(MEDIA_AUDIO, wire->size()), 0xcc);
    auto r = bob.dec->Decrypt(MEDIA_AUDIO, {}, VIEW(const uint8_t)(ad.data(), ad.size()),
                              VIEW(const uint8_t)(wire->data(), wire->size()),
                              VIEW(uint8_t)(out.data(), out.size()));
    REQUIRE(r.IsOk());
    CHECK(Bytes(out.begin(), out.begin() + r.bytes_written) == plain);
  }
  // Other additional_data: not authentic. The in-place frame keeps no plaintext.
  const Bytes plain = random_frame(42, 300);
  auto wire = alice.encrypt(plain, ad);
  Bytes frame = *wire;
  CHECK(bob.decrypt_in_place(frame, from_hex("0102030406")) == Status::kFailedToDecrypt);
  CHECK(frame.size() == wire->size());
  CHECK(std::search(frame.begin(), frame.end(), plain.begin() + 1, plain.begin() + 40) == frame.end());
  // The same frame again after it decrypted: a replay, recoverable.
  frame = *wire;
  CHECK(bob.decrypt_in_place(frame, ad) == Status::kOk);
  frame = *wire;
  CHECK(bob.decrypt_in_place(frame, ad) == Status::kRecoverable);
  CHECK(bob.keys->stats().replayed == 1);

  // Round trip with the core: a bare sframe::FrameCryptor with the additional_data as metadata.
  auto core = sframe::FrameCryptor<S>::create().value();
  REQUIRE(core.add_key(7, ka16, sframe::KeyUsage::decrypt) == Errc::ok);
  auto w2 = alice.encrypt(plain, ad);
  Bytes out(w2->size());
  auto d = core.decrypt(*w2, out, ad);
  REQUIRE(d.has_value());
  CHECK(Bytes(d->begin(), d->end()) == plain);
  // (Another sender, so another KID: one sender per key, RFC 9605 §9.1.)
  auto core_tx = sframe::FrameCryptor<S>::create().value();
  REQUIRE(core_tx.add_key(8, ka16, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(bob.keys->add_key(8, ka16, sframe::KeyUsage::decrypt) == Errc::ok);
  Bytes enc(sframe::FrameCryptor<S>::max_encrypted_size(plain.size()));
  auto e = core_tx.encrypt(plain, enc, ad);
  REQUIRE(e.has_value());
  Bytes f3(e->begin(), e->end());
  CHECK(bob.decrypt_in_place(f3, ad) == Status::kOk);
  CHECK(f3 == plain);
}

TEST_CASE_TEMPLATE("encryptor: missing key is recoverable, key change mid-stream, no key to send", S,
                   SFRAME_SUITES) {
  if (!S::available()) return;
  using Status = webrtc::FrameDecryptorInterface::Status;
  SframeEnd<S> alice, bob;
  const Bytes k1(S::hash_bytes, 0x11), k2(S::hash_bytes, 0x22);
  int rc = 0;
  CHECK_FALSE(alice.encrypt(random_frame(1, 100), {}, &rc).has_value());
  CHECK(rc == static_cast<int>(Errc::missing_key));
  CHECK(alice.keys->stats().encrypt_failures == 1);

  REQUIRE(alice.keys->add_key(1, k1, sframe::KeyUsage::encrypt) == Errc::ok);
  const Bytes p1 = random_frame(2, 100);
  auto w1 = alice.encrypt(p1);
  Bytes f = *w1;
  CHECK(bob.decrypt_in_place(f) == Status::kRecoverable);  // bob has no key 1 yet
  CHECK(bob.keys->stats().missing_key == 1);
  CHECK(bob.keys->stats().last_error == Errc::missing_key);
  REQUIRE(bob.keys->add_key(1, k1, sframe::KeyUsage::decrypt) == Errc::ok);
  f = *w1;
  CHECK(bob.decrypt_in_place(f) == Status::kOk);  // libwebrtc retries stashed frames
  CHECK(f == p1);

  // Alice switches to key 2 mid-stream; a frame under key 1 still in flight decrypts.
  const Bytes p_old = random_frame(3, 100);
  auto w_old = alice.encrypt(p_old);
  REQUIRE(alice.keys->add_key(2, k2, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(alice.keys->set_encrypt_key(2) == Errc::ok);
  REQUIRE(bob.keys->add_key(2, k2, sframe::KeyUsage::decrypt) == Errc::ok);
  const Bytes p2 = random_frame(4, 100);
  auto w2 = alice.encrypt(p2);
  f = *w2;
  CHECK(bob.decrypt_in_place(f) == Status::kOk);
  CHECK(f == p2);
  f = *w_old;
  CHECK(bob.decrypt_in_place(f) == Status::kOk);
  CHECK(f == p_old);
  // Bob drops key 1: the old key's frames are now only recoverable.
  REQUIRE(bob.keys->remove_key(1) == Errc::ok);
  f = *w1;
  CHECK(bob.decrypt_in_place(f) == Status::kRecoverable);
  // Garbage is not recoverable.
  Bytes junk = random_frame(5, 3, 0xff);
  CHECK(bob.decrypt_in_place(junk) == Status::kFailedToDecrypt);
  CHECK(webrtc_adapter::FrameDecryptor<S>::status_of(Errc::auth_failed) == Status::kFailedToDecrypt);
  CHECK(webrtc_adapter::FrameDecryptor<S>::status_of(Errc::missing_key) == Status::kRecoverable);
}

TEST_CASE_TEMPLATE("encryptor: GetMaxCiphertextByteSize never under-estimates", S, SFRAME_SUITES) {
  if (!S::available()) return;
  SframeEnd<S> alice;
  const Bytes k(S::hash_bytes, 0x33);
  // The largest header: a large KID and a CTR near 2^64.
  REQUIRE(alice.keys->add_key(0xfedcba9876543210ull, k, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(alice.keys->with_cryptor([](auto& c) { return c.advance_counter_to(0xfffffffffffffff0ull); }) ==
          Errc::ok);
  for (std::size_t n : {0u, 1u, 2u, 15u, 16u, 17u, 160u, 1200u, 65536u}) {
    CAPTURE(n);
    const std::size_t max = alice.enc->GetMaxCiphertextByteSize(MEDIA_AUDIO, n);
    auto w = alice.encrypt(random_frame(static_cast<std::uint32_t>(n), n));
    REQUIRE(w.has_value());
    CHECK(w->size() <= max);
    CHECK(max - w->size() <= 17);
  }
  CHECK(alice.dec->GetMaxPlaintextByteSize(MEDIA_AUDIO, 100) == 100);
}

TEST_CASE_TEMPLATE("encryptor: no allocation per frame, keys change while frames flow", S, SFRAME_SUITES) {
  if (!S::available()) return;
  using Status = webrtc::FrameDecryptorInterface::Status;
  SframeEnd<S> alice, bob;
  const Bytes k1(S::hash_bytes, 0x44), k2(S::hash_bytes, 0x55);
  REQUIRE(alice.keys->add_key(1, k1, sframe::KeyUsage::encrypt) == Errc::ok);
  REQUIRE(bob.keys->add_key(1, k1, sframe::KeyUsage::decrypt) == Errc::ok);
  const Bytes plain = random_frame(6, 800);
  const Bytes ad = from_hex("aabbcc");
  Bytes wire(alice.enc->GetMaxCiphertextByteSize(MEDIA_VIDEO, plain.size()));
  Bytes frame(wire.size());
  std::size_t allocations = 0;
  for (int i = 0; i < 20; ++i) {
    std::size_t written = 0;
    g_counting = true;
    const int rc = alice.enc->Encrypt(MEDIA_VIDEO, 1, VIEW(const uint8_t)(ad.data(), ad.size()),
                                      VIEW(const uint8_t)(plain.data(), plain.size()),
                                      VIEW(uint8_t)(wire.data(), wire.size()), &written);
    std::copy(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(written), frame.begin());
    auto r =
        bob.dec->Decrypt(MEDIA_VIDEO, {}, VIEW(const uint8_t)(ad.data(), ad.size()),
                         VIEW(const uint8_t)(frame.data(), written), VIEW(uint8_t)(frame.data(), written));
    g_counting = false;
    allocations += g_allocations;
    g_allocations = 0;
    REQUIRE(rc == 0);
    REQUIRE(r.IsOk());
  }
  CHECK(allocations == 0);

  std::atomic<bool> stop{false};
  std::thread signalling([&] {
    for (std::uint64_t i = 0; !stop.load(); ++i) {
      const std::uint64_t kid = 1 + i % 2;
      const Bytes& k = kid == 1 ? k1 : k2;
      (void)bob.keys->add_key(kid, k, sframe::KeyUsage::decrypt);
      (void)alice.keys->add_key(kid, k, sframe::KeyUsage::encrypt);
      (void)alice.keys->set_encrypt_key(kid);
      std::this_thread::yield();
    }
  });
  std::size_t ok = 0, wrong = 0;
  for (int i = 0; i < 3000; ++i) {
    auto w = alice.encrypt(plain, ad);
    if (!w) continue;
    if (bob.decrypt_in_place(*w, ad) == Status::kOk) {
      ++ok;
      if (*w != plain) ++wrong;
    }
  }
  stop = true;
  signalling.join();
  CHECK(ok > 0);
  CHECK(wrong == 0);
}

TEST_CASE("ref counting: the last scoped_refptr deletes the adapter") {
  Client c;
  auto t = webrtc_adapter::make_frame_transformer(c.cryptor("x"));
  {
    webrtc::scoped_refptr<webrtc::FrameTransformerInterface> other = t;
    CHECK(other.get() == t.get());
  }
  t = nullptr;  // deleted here (AddressSanitizer's leak check would see it otherwise)
  CHECK(t.get() == nullptr);
}
