// frameseal/webrtc/frame_transformer.hpp: FrameTransformer, a webrtc::FrameTransformerInterface
// (libwebrtc's encoded-transform / insertable-streams hook, what LiveKit's native SDKs install as
// webrtc-sdk's FrameCryptorTransformer) driven by frameseal's session layer. Opt-in: include it in
// a TU that has libwebrtc's include path (the folder with api/ and rtc_base/, plus abseil); the
// umbrella never includes it. Milestones and the FRAMESEAL_CONFIG_WEBRTC_API macro: api.hpp.
//
//   auto alice = manager.frame_cryptor("alice").value();                 // session::FrameCryptor
//   auto t = webrtc_adapter::make_frame_transformer(alice, {.kind = MediaKind::video});
//   sender->SetFrameTransformer(t);        // m125: SetEncoderToPacketizerFrameTransformer(t); a
//                                          // receiver: SetDepacketizerToDecoderFrameTransformer
// What it does with a frame (Transform, on whatever thread libwebrtc calls it from):
//   - sender frames (GetDirection() == kSender) are encrypted, receiver frames decrypted, with the
//     participant's session::FrameCryptor: LiveKit's wire format, byte-compatible with
//     livekit-client and webrtc-sdk's FrameCryptorTransformer; the facade's states, counters and
//     enabled flag apply, and its state changes reach E2eeManager::on_e2ee_state_changed.
//     Frames of unknown direction are dropped unless TransformerOptions::direction says which way
//     (a frame is never forwarded in clear because its direction was not known).
//   - FrameInfo: codec from the frame's MIME type (GetMimeType, where the milestone has it), else
//     from TransformerOptions::payload_types by GetPayloadType(), else TransformerOptions::codec;
//     the media kind from the MIME type's "audio/" or "video/", else TransformerOptions::kind;
//     the key-frame flag from TransformableVideoFrameInterface::IsKeyFrame (video only); SSRC and
//     RTP timestamp from the frame (GetRtpTimestampInfo where it exists, else GetTimestamp).
//   - the result goes to the callback registered for the frame's SSRC
//     (RegisterTransformedFrameSinkCallback: video senders and receivers), else to the plain one
//     (RegisterTransformedFrameCallback: audio); with neither, the frame is dropped and counted
//     (stats().no_sink; the native SDK reports kInternalError, which a frameseal session state can
//     only get from the frame cryptor itself).
//   - a failed frame (missing key, authentication failure, ...) is dropped, not forwarded, as the
//     native SDK does; the facade has already recorded why. Empty frames are forwarded unchanged.
//   - the encrypted/decrypted frame is written into a per-transformer scratch buffer and copied
//     into the frame with one SetData call (whatever SetData does inside libwebrtc is libwebrtc's).
//     No other allocation per frame: the scratch grows only
//     when a frame needs more than any before it (reserve_bytes pre-sizes it); GetMimeType returns
//     a short std::string (no heap with the usual small-string buffer).
//
// Threading: Transform may run on several threads at once (audio and video, simulcast layers);
// frames are processed one at a time per transformer (the scratch buffer's mutex) and the result is
// forwarded synchronously from Transform, outside every lock (libwebrtc's callbacks post the frame
// to their own queue). Keys may change on any thread meanwhile: the session layer serialises key
// changes against the participant's frames. Registering and unregistering callbacks is safe at any
// time (a frame already past its callback lookup is still delivered to the old callback).
// Lifetime: a ref-counted object (create() returns libwebrtc's scoped_refptr); it keeps the
// participant's state alive through its facade handle.
#pragma once

#include <array>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../frameseal.hpp"
#include "api.hpp"
#include "api/frame_transformer_interface.h"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace webrtc_adapter {

// How Transform decides between encrypting and decrypting.
enum class Direction : std::uint8_t {
  from_frame,  // the frame's GetDirection(); frames of unknown direction are dropped
  encrypt,     // always encrypt (a transformer installed on a sender only)
  decrypt,     // always decrypt (a transformer installed on a receiver only)
};

struct TransformerOptions {
  // The track's media kind, used when the frame has no MIME type (it wins when it has one).
  MediaKind kind = MediaKind::video;
  // The codec used when neither the frame's MIME type nor payload_types names one.
  Codec codec = Codec::unknown;
  // Payload type -> codec, from the negotiated SDP (rtpmap), for frames whose MIME type is missing
  // (milestones without GetMimeType) or names a codec frameseal does not know.
  std::vector<std::pair<std::uint8_t, Codec>> payload_types{};
  Direction direction = Direction::from_frame;
  // Pre-size the scratch buffer to this many bytes (no growth for frames that fit).
  std::size_t reserve_bytes = 0;
};

// What the transformer did with the frames it was given (the facade's Counters say why frames
// failed and carry the per-participant detail).
struct TransformerStats {
  std::uint64_t frames = 0;             // Transform calls with a frame
  std::uint64_t forwarded = 0;          // handed to a callback (processed, or empty and passed through)
  std::uint64_t dropped = 0;            // the frame cryptor refused the frame (see its Counters)
  std::uint64_t no_sink = 0;            // dropped: no callback for the frame's SSRC and no plain one
  std::uint64_t unknown_direction = 0;  // dropped: kUnknown direction with Direction::from_frame
  std::uint64_t out_of_memory = 0;      // dropped: the scratch buffer could not grow
};

}  // namespace webrtc_adapter

template <>
inline constexpr auto detail::counter_fields<webrtc_adapter::TransformerStats> =
    std::tuple{&webrtc_adapter::TransformerStats::frames,
               &webrtc_adapter::TransformerStats::forwarded,
               &webrtc_adapter::TransformerStats::dropped,
               &webrtc_adapter::TransformerStats::no_sink,
               &webrtc_adapter::TransformerStats::unknown_direction,
               &webrtc_adapter::TransformerStats::out_of_memory};

namespace webrtc_adapter {

namespace detail {

// "video/VP8" -> (video, vp8); case-insensitive, as libwebrtc spells codec names in upper case
// ("H264", "VP9", "AV1") and audio ones in lower case ("opus").
struct MimeInfo {
  std::optional<MediaKind> kind;
  Codec codec = Codec::unknown;
};

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

[[nodiscard]] constexpr MimeInfo parse_mime_type(std::string_view mime) noexcept {
  MimeInfo m;
  const std::size_t slash = mime.find('/');
  if (slash == std::string_view::npos) return m;
  const std::string_view type = mime.substr(0, slash), sub = mime.substr(slash + 1);
  if (iequals(type, "audio"))
    m.kind = MediaKind::audio;
  else if (iequals(type, "video"))
    m.kind = MediaKind::video;
  if (iequals(sub, "opus"))
    m.codec = Codec::opus;
  else if (iequals(sub, "vp8"))
    m.codec = Codec::vp8;
  else if (iequals(sub, "vp9"))
    m.codec = Codec::vp9;
  else if (iequals(sub, "h264"))
    m.codec = Codec::h264;
  else if (iequals(sub, "h265") || iequals(sub, "hevc"))
    m.codec = Codec::h265;
  else if (iequals(sub, "av1"))
    m.codec = Codec::av1;
  return m;
}

template <class F>
concept HasMimeType = requires(const F& f) {
  { f.GetMimeType() } -> std::convertible_to<std::string_view>;
};
// The frame's MIME type, where the milestone has GetMimeType (upstream since 2023-11, webrtc-sdk m125).
template <class F>
[[nodiscard]] MimeInfo mime_info_of(const F& frame) {
  if constexpr (HasMimeType<F>) {
    const std::string mime = frame.GetMimeType();
    return parse_mime_type(mime);
  } else {
    return {};
  }
}

template <class F>
concept HasRtpTimestampInfo = requires(const F& f) {
  f.GetRtpTimestampInfo();
};

// The RTP timestamp without touching GetTimestamp where it is deprecated (upstream 2026-07).
template <class F>
[[nodiscard]] std::uint32_t rtp_timestamp_of(const F& frame) {
  if constexpr (HasRtpTimestampInfo<F>) {
    return std::visit([](auto t) -> std::uint32_t { return t.value; }, frame.GetRtpTimestampInfo());
  } else {
    return frame.GetTimestamp();
  }
}

}  // namespace detail

template <Cipher C, class IvPolicy = livekit::UniqueIv>
class FrameTransformer final : public detail::RefCounted<::webrtc::FrameTransformerInterface> {
  using Interface = ::webrtc::FrameTransformerInterface;
  using Frame = ::webrtc::TransformableFrameInterface;
  using VideoFrame = ::webrtc::TransformableVideoFrameInterface;
  // The names of these moved between milestones (api.hpp): take them from the interfaces.
  using CallbackRef =
      typename detail::member_fn<decltype(&Interface::RegisterTransformedFrameCallback)>::template arg<0>;
  using DataView = typename detail::member_fn<decltype(&Frame::SetData)>::template arg<0>;

#if FRAMESEAL_CONFIG_WEBRTC_API != 0
  static_assert(detail::views_are_span<DataView> ==
                    (FRAMESEAL_CONFIG_WEBRTC_API == FRAMESEAL_WEBRTC_API_SPAN),
                "FRAMESEAL_CONFIG_WEBRTC_API does not match the libwebrtc headers included "
                "(TransformableFrameInterface::SetData takes std::span only in generation 3)");
#endif

 public:
  using frame_cryptor_type = session::FrameCryptor<C, IvPolicy>;
  using ref_type = typename detail::rebind<CallbackRef, FrameTransformer>::type;  // libwebrtc's scoped_refptr

  // A transformer for one participant's frames: the local participant's facade on a sender, the
  // remote participant's on a receiver (as LiveKit creates one FrameCryptor per participant track).
  [[nodiscard]] static ref_type create(frame_cryptor_type cryptor, TransformerOptions options = {}) {
    return ref_type(new FrameTransformer(std::move(cryptor), std::move(options)));
  }

  // The participant's facade: set_enabled, set_key_index, state(), counters().
  [[nodiscard]] frame_cryptor_type& cryptor() noexcept {
    return cryptor_;
  }
  [[nodiscard]] const TransformerOptions& options() const noexcept {
    return options_;
  }

  [[nodiscard]] TransformerStats stats() const noexcept {
    return stats_.snapshot();
  }

  void Transform(std::unique_ptr<Frame> frame) override {
    if (!frame) return;
    bump(&TransformerStats::frames);
    CallbackRef sink = sink_for(frame->GetSsrc());
    if (!sink) {
      bump(&TransformerStats::no_sink);
      return;
    }
    bool encrypt = false;
    switch (options_.direction) {
      case Direction::encrypt:
        encrypt = true;
        break;
      case Direction::decrypt:
        encrypt = false;
        break;
      case Direction::from_frame:
        switch (frame->GetDirection()) {
          case Frame::Direction::kSender:
            encrypt = true;
            break;
          case Frame::Direction::kReceiver:
            encrypt = false;
            break;
          default:
            bump(&TransformerStats::unknown_direction);
            return;
        }
        break;
    }
    if (!process(*frame, encrypt)) return;
    bump(&TransformerStats::forwarded);
    sink->OnTransformedFrame(std::move(frame));
  }

  void RegisterTransformedFrameCallback(CallbackRef callback) override {
    std::lock_guard<std::mutex> lock(sinks_mutex_);
    plain_sink_ = std::move(callback);
  }
  void RegisterTransformedFrameSinkCallback(CallbackRef callback, std::uint32_t ssrc) override {
    std::lock_guard<std::mutex> lock(sinks_mutex_);
    sinks_[ssrc] = std::move(callback);
  }
  void UnregisterTransformedFrameCallback() override {
    CallbackRef old;  // released outside the lock
    std::lock_guard<std::mutex> lock(sinks_mutex_);
    old = std::move(plain_sink_);
  }
  void UnregisterTransformedFrameSinkCallback(std::uint32_t ssrc) override {
    CallbackRef old;
    std::lock_guard<std::mutex> lock(sinks_mutex_);
    if (auto it = sinks_.find(ssrc); it != sinks_.end()) {
      old = std::move(it->second);
      sinks_.erase(it);
    }
  }

 private:
  FrameTransformer(frame_cryptor_type cryptor, TransformerOptions options)
      : cryptor_(std::move(cryptor)), options_(std::move(options)) {
    pt_codecs_.fill(Codec::unknown);
    for (const auto& [pt, codec] : options_.payload_types) pt_codecs_[pt & 0x7f] = codec;
    if (options_.reserve_bytes) (void)ensure_scratch(options_.reserve_bytes);
  }

  void bump(std::uint64_t TransformerStats::*field) noexcept {
    stats_.add(field);
  }

  [[nodiscard]] CallbackRef sink_for(std::uint32_t ssrc) {
    std::lock_guard<std::mutex> lock(sinks_mutex_);
    if (auto it = sinks_.find(ssrc); it != sinks_.end() && it->second) return it->second;
    return plain_sink_;
  }

  [[nodiscard]] FrameInfo frame_info(const Frame& frame) const {
    FrameInfo info;
    info.kind = options_.kind;
    const detail::MimeInfo m = detail::mime_info_of(frame);
    if (m.kind) info.kind = *m.kind;
    info.codec = m.codec;
    if (info.codec == Codec::unknown) info.codec = pt_codecs_[frame.GetPayloadType() & 0x7f];
    if (info.codec == Codec::unknown) info.codec = options_.codec;
    // Only a video frame is a TransformableVideoFrameInterface (libwebrtc builds without RTTI, so
    // the kind must be right: from the MIME type, or the options of a transformer on a video track).
    if (info.kind == MediaKind::video) info.key_frame = static_cast<const VideoFrame&>(frame).IsKeyFrame();
    info.ssrc = frame.GetSsrc();
    info.rtp_timestamp = detail::rtp_timestamp_of(frame);
    return info;
  }

  // Encrypts or decrypts the frame's payload into the scratch buffer and copies it back with one
  // SetData. False: drop the frame.
  [[nodiscard]] bool process(Frame& frame, bool encrypt) {
    const BytesIn in = detail::bytes_in(frame.GetData());
    if (in.empty()) return true;  // LiveKit passes empty frames through, in both directions
    const FrameInfo info = frame_info(frame);
    const std::size_t need = encrypt ? frame_cryptor_type::max_encrypted_size(in.size()) : in.size();
    std::lock_guard<std::mutex> lock(scratch_mutex_);
    if (!ensure_scratch(need)) {
      bump(&TransformerStats::out_of_memory);
      return false;
    }
    const BytesOut out(scratch_.get(), need);
    auto r = encrypt ? cryptor_.encrypt(info, in, out) : cryptor_.decrypt(info, in, out);
    if (!r) {
      bump(&TransformerStats::dropped);
      return false;
    }
    frame.SetData(detail::view_of<DataView>(BytesIn(*r)));
    return true;
  }

  [[nodiscard]] bool ensure_scratch(std::size_t n) noexcept {
    if (n <= scratch_size_) return true;
    std::unique_ptr<std::uint8_t[]> grown(new (std::nothrow) std::uint8_t[n]);
    if (!grown) return false;
    scratch_ = std::move(grown);
    scratch_size_ = n;
    return true;
  }

  frame_cryptor_type cryptor_;
  const TransformerOptions options_;
  std::array<Codec, 128> pt_codecs_{};
  frameseal::detail::RelaxedCounters<TransformerStats> stats_;

  std::mutex scratch_mutex_;  // guards the scratch buffer, and so serialises frames
  std::unique_ptr<std::uint8_t[]> scratch_;
  std::size_t scratch_size_ = 0;

  std::mutex sinks_mutex_;
  CallbackRef plain_sink_;
  std::map<std::uint32_t, CallbackRef> sinks_;
};

// make_frame_transformer(facade, options): FrameTransformer<C, IvPolicy>::create with the
// template arguments taken from the facade.
template <Cipher C, class IvPolicy>
[[nodiscard]] typename FrameTransformer<C, IvPolicy>::ref_type make_frame_transformer(
    session::FrameCryptor<C, IvPolicy> cryptor, TransformerOptions options = {}) {
  return FrameTransformer<C, IvPolicy>::create(std::move(cryptor), std::move(options));
}

}  // namespace webrtc_adapter
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
