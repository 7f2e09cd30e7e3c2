// TEST ONLY. Stand-in declarations of the libwebrtc interfaces the WebRTC adapters implement, with
// the exact signatures of three libwebrtc API generations, so the adapters can be built and run
// here without libwebrtc. FRAMESEAL_CONFIG_WEBRTC_API selects the generation (as it does for the
// adapters' own check, include/frameseal/webrtc/api.hpp):
//
//   1  webrtc-sdk/webrtc branch m125_release, commit cd6792e (2024-10-19): LiveKit's native SDKs.
//      rtc::ArrayView, cricket::MediaType (plain enum), webrtc::scoped_refptr with rtc:: aliases,
//      absl::optional, TransformableVideoFrameInterface::header() (a webrtc-sdk addition).
//   2  upstream WebRTC main, commit d1ddb57 (2025-11-30, the M144 branch period; rust-sdks build
//      webrtc-sdk's m144_release): webrtc::ArrayView, webrtc::MediaType (enum class), no rtc:: or
//      cricket:: names, std::optional, the Passkey on transformable frames, CanSetPayloadType,
//      ReceiveTime/CaptureTime/SenderCaptureTimeOffset.
//   3  upstream WebRTC main, commit f3ae3eb (2026-08-22): std::span in every signature,
//      GetRtpTimestampInfo, GetTimestamp [[deprecated]].
//
// Mirrored files (declarations copied, comments and unrelated members left out): api/array_view.h
// (reduced to the variable-size view the interfaces use), api/ref_count.h, rtc_base/ref_count.h,
// api/scoped_refptr.h (reduced), api/media_types.h, api/units/timestamp.h and time_delta.h
// (reduced), api/video/video_frame_metadata.h (empty), modules/rtp_rtcp/source/rtp_video_header.h
// (codec only), api/frame_transformer_interface.h, api/crypto/frame_encryptor_interface.h,
// api/crypto/frame_decryptor_interface.h, api/rtp_sender_interface.h and api/rtp_receiver_interface.h
// (both reduced). Everything in these files that the adapters or the tests
// touch is declared exactly as upstream; what is reduced is marked "reduced".
// The forwarding headers under tests/webrtc/fake/ (api/..., modules/...) make the libwebrtc
// include lines of the adapters resolve to this file, as they resolve to a real tree with
// -Dwebrtc_include_dir.
#pragma once

#if !defined(FRAMESEAL_CONFIG_WEBRTC_API) || FRAMESEAL_CONFIG_WEBRTC_API < 1 || \
    FRAMESEAL_CONFIG_WEBRTC_API > 3
#  error "fake_webrtc.hpp: define FRAMESEAL_CONFIG_WEBRTC_API to 1, 2 or 3"
#endif

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#define FAKE_WEBRTC_GEN FRAMESEAL_CONFIG_WEBRTC_API

// ---- absl::optional (generation 1; abseil makes it std::optional under C++17) ----
#if FAKE_WEBRTC_GEN == 1
namespace absl {
template <class T>
using optional = std::optional<T>;
inline constexpr std::nullopt_t nullopt = std::nullopt;
}  // namespace absl
#endif

// ---- api/array_view.h (reduced: variable size only) ----
#if FAKE_WEBRTC_GEN == 1
namespace rtc {
#elif FAKE_WEBRTC_GEN == 2
namespace webrtc {
#endif
#if FAKE_WEBRTC_GEN <= 2
namespace array_view_internal {
inline constexpr std::ptrdiff_t kArrayViewVarSize = -4711;
}  // namespace array_view_internal

template <typename T, std::ptrdiff_t Size = array_view_internal::kArrayViewVarSize>
class ArrayView final {
  static_assert(Size == array_view_internal::kArrayViewVarSize, "reduced: variable-size views only");

 public:
  using value_type = T;
  using iterator = T*;

  ArrayView() = default;
  template <typename U>
  ArrayView(U* data, size_t size) : data_(size == 0 ? nullptr : data), size_(size) {}
  ArrayView(std::nullptr_t) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_convertible_v<decltype(std::declval<U&>().data()), T*>>>
  ArrayView(U& u) : ArrayView(u.data(), u.size()) {}  // NOLINT: implicit, as upstream
  template <typename U,
            typename = std::enable_if_t<std::is_convertible_v<decltype(std::declval<const U&>().data()), T*>>>
  ArrayView(const U& u) : ArrayView(u.data(), u.size()) {}  // NOLINT

  T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t idx) const { return data_[idx]; }
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};
}  // namespace rtc (1) / webrtc (2)
#endif

// ---- api/ref_count.h, rtc_base/ref_count.h ----
namespace webrtc {
enum class RefCountReleaseStatus { kDroppedLastRef, kOtherRefsRemained };

class RefCountInterface {
 public:
  virtual void AddRef() const = 0;
  virtual RefCountReleaseStatus Release() const = 0;

 protected:
  virtual ~RefCountInterface() = default;
};
}  // namespace webrtc
#if FAKE_WEBRTC_GEN == 1
namespace rtc {
using webrtc::RefCountInterface;
using webrtc::RefCountReleaseStatus;
}  // namespace rtc
#endif

// ---- api/scoped_refptr.h (reduced: the members the adapters and tests use) ----
namespace webrtc {
template <class T>
class scoped_refptr {
 public:
  typedef T element_type;

  scoped_refptr() : ptr_(nullptr) {}
  scoped_refptr(std::nullptr_t) : ptr_(nullptr) {}  // NOLINT(runtime/explicit)
  explicit scoped_refptr(T* p) : ptr_(p) {
    if (ptr_) ptr_->AddRef();
  }
  scoped_refptr(const scoped_refptr<T>& r) : ptr_(r.ptr_) {
    if (ptr_) ptr_->AddRef();
  }
  template <typename U>
  scoped_refptr(const scoped_refptr<U>& r) : ptr_(r.get()) {
    if (ptr_) ptr_->AddRef();
  }
  scoped_refptr(scoped_refptr<T>&& r) noexcept : ptr_(r.release()) {}
  template <typename U>
  scoped_refptr(scoped_refptr<U>&& r) noexcept : ptr_(r.release()) {}
  ~scoped_refptr() {
    if (ptr_) ptr_->Release();
  }

  T* get() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }
  T& operator*() const { return *ptr_; }
  T* operator->() const { return ptr_; }

  T* release() {
    T* retVal = ptr_;
    ptr_ = nullptr;
    return retVal;
  }
  scoped_refptr<T>& operator=(T* p) {
    if (p) p->AddRef();
    if (ptr_) ptr_->Release();
    ptr_ = p;
    return *this;
  }
  scoped_refptr<T>& operator=(const scoped_refptr<T>& r) { return *this = r.ptr_; }
  template <typename U>
  scoped_refptr<T>& operator=(const scoped_refptr<U>& r) {
    return *this = r.get();
  }
  scoped_refptr<T>& operator=(scoped_refptr<T>&& r) noexcept {
    scoped_refptr<T>(std::move(r)).swap(*this);
    return *this;
  }
  template <typename U>
  scoped_refptr<T>& operator=(scoped_refptr<U>&& r) noexcept {
    scoped_refptr<T>(std::move(r)).swap(*this);
    return *this;
  }
  void swap(scoped_refptr<T>& r) noexcept { std::swap(ptr_, r.ptr_); }

 protected:
  T* ptr_;
};

template <typename T>
bool operator==(const scoped_refptr<T>& a, std::nullptr_t) {
  return a.get() == nullptr;
}
}  // namespace webrtc
#if FAKE_WEBRTC_GEN == 1
namespace rtc {
template <typename T>
using scoped_refptr = ::webrtc::scoped_refptr<T>;
}  // namespace rtc
#endif

// ---- api/media_types.h ----
#if FAKE_WEBRTC_GEN == 1
namespace cricket {
enum MediaType { MEDIA_TYPE_AUDIO, MEDIA_TYPE_VIDEO, MEDIA_TYPE_DATA, MEDIA_TYPE_UNSUPPORTED };
}  // namespace cricket
namespace webrtc {
enum class MediaType { ANY, AUDIO, VIDEO, DATA };
}  // namespace webrtc
#else
namespace webrtc {
enum class MediaType {
  AUDIO,
  VIDEO,
  DATA,
  UNSUPPORTED,
  ANY,
};
}  // namespace webrtc
#endif

// ---- api/units/timestamp.h, time_delta.h (reduced); api/video/video_frame_metadata.h (empty);
//      api/video/video_codec_type.h; modules/rtp_rtcp/source/rtp_video_header.h (codec only) ----
namespace webrtc {
class Timestamp {
 public:
  static constexpr Timestamp Micros(int64_t us) { return Timestamp(us); }
  constexpr int64_t us() const { return us_; }

 private:
  explicit constexpr Timestamp(int64_t us) : us_(us) {}
  int64_t us_;
};
class TimeDelta {
 public:
  static constexpr TimeDelta Micros(int64_t us) { return TimeDelta(us); }
  constexpr int64_t us() const { return us_; }

 private:
  explicit constexpr TimeDelta(int64_t us) : us_(us) {}
  int64_t us_;
};
class VideoFrameMetadata {};
enum VideoCodecType {
  kVideoCodecGeneric = 0,
  kVideoCodecVP8,
  kVideoCodecVP9,
  kVideoCodecAV1,
  kVideoCodecH264,
  kVideoCodecH265,
};
struct RTPVideoHeader {
  VideoCodecType codec = VideoCodecType::kVideoCodecGeneric;
};
}  // namespace webrtc

// ---- api/frame_transformer_interface.h ----
namespace webrtc {

#if FAKE_WEBRTC_GEN == 3
struct RtpTimestampWithOffset {
  uint32_t value;
  operator uint32_t() const { return value; }  // NOLINT: explicit
};
struct RtpTimestampWithoutOffset {
  uint32_t value;
  operator uint32_t() const { return value; }  // NOLINT: explicit
};
using RtpTimestampInfo = std::variant<RtpTimestampWithOffset, RtpTimestampWithoutOffset>;
#endif

#if FAKE_WEBRTC_GEN == 1

class TransformableFrameInterface {
 public:
  virtual ~TransformableFrameInterface() = default;
  virtual rtc::ArrayView<const uint8_t> GetData() const = 0;
  virtual void SetData(rtc::ArrayView<const uint8_t> data) = 0;
  virtual uint8_t GetPayloadType() const = 0;
  virtual uint32_t GetSsrc() const = 0;
  virtual uint32_t GetTimestamp() const = 0;
  virtual void SetRTPTimestamp(uint32_t timestamp) = 0;
  virtual absl::optional<Timestamp> GetCaptureTimeIdentifier() const { return absl::nullopt; }
  enum class Direction {
    kUnknown,
    kReceiver,
    kSender,
  };
  virtual Direction GetDirection() const { return Direction::kUnknown; }
  virtual std::string GetMimeType() const = 0;
};

class TransformableVideoFrameInterface : public TransformableFrameInterface {
 public:
  virtual ~TransformableVideoFrameInterface() = default;
  virtual bool IsKeyFrame() const = 0;
  virtual VideoFrameMetadata Metadata() const = 0;
  virtual void SetMetadata(const VideoFrameMetadata&) = 0;
  virtual const RTPVideoHeader& header() const = 0;  // webrtc-sdk addition
};

class TransformableAudioFrameInterface : public TransformableFrameInterface {
 public:
  virtual ~TransformableAudioFrameInterface() = default;
  virtual rtc::ArrayView<const uint32_t> GetContributingSources() const = 0;
  virtual const absl::optional<uint16_t> SequenceNumber() const = 0;
  virtual absl::optional<uint64_t> AbsoluteCaptureTimestamp() const = 0;
  enum class FrameType { kEmptyFrame, kAudioFrameSpeech, kAudioFrameCN };
  virtual FrameType Type() const { return FrameType::kEmptyFrame; }
};

class TransformedFrameCallback : public rtc::RefCountInterface {
 public:
  virtual void OnTransformedFrame(std::unique_ptr<TransformableFrameInterface> frame) = 0;
  virtual void StartShortCircuiting() {}

 protected:
  ~TransformedFrameCallback() override = default;
};

class FrameTransformerInterface : public rtc::RefCountInterface {
 public:
  virtual void Transform(std::unique_ptr<TransformableFrameInterface> transformable_frame) = 0;
  virtual void RegisterTransformedFrameCallback(rtc::scoped_refptr<TransformedFrameCallback>) {}
  virtual void RegisterTransformedFrameSinkCallback(rtc::scoped_refptr<TransformedFrameCallback>,
                                                    uint32_t /*ssrc*/) {}
  virtual void UnregisterTransformedFrameCallback() {}
  virtual void UnregisterTransformedFrameSinkCallback(uint32_t /*ssrc*/) {}

 protected:
  ~FrameTransformerInterface() override = default;
};

#else  // generations 2 and 3

#  if FAKE_WEBRTC_GEN == 2
#    define FAKE_WEBRTC_VIEW(T) ArrayView<T>
#  else
#    define FAKE_WEBRTC_VIEW(T) std::span<T>
#  endif

class TransformableFrameInterface {
 public:
  class Passkey;
  explicit TransformableFrameInterface(Passkey);  // RTC_EXPORT, defined in the library

  TransformableFrameInterface(TransformableFrameInterface&&) = default;
  TransformableFrameInterface& operator=(TransformableFrameInterface&&) = default;

  virtual ~TransformableFrameInterface() = default;
  virtual FAKE_WEBRTC_VIEW(const uint8_t) GetData() const = 0;
  virtual void SetData(FAKE_WEBRTC_VIEW(const uint8_t) data) = 0;
  virtual uint8_t GetPayloadType() const = 0;
  virtual bool CanSetPayloadType() const { return false; }
  virtual void SetPayloadType(uint8_t /*payload_type*/) {}  // RTC_DCHECK_NOTREACHED()
  virtual uint32_t GetSsrc() const = 0;
#  if FAKE_WEBRTC_GEN == 3
  [[deprecated("Use GetRtpTimestampInfo instead")]]
#  endif
  virtual uint32_t
  GetTimestamp() const = 0;
  virtual void SetRTPTimestamp(uint32_t rtp_timestamp_with_offset) = 0;
  [[deprecated("Use GetPresentationTimestamp instead")]] virtual std::optional<Timestamp>
  GetCaptureTimeIdentifier() const {
    return std::nullopt;
  }
  virtual std::optional<Timestamp> GetPresentationTimestamp() const { return std::nullopt; }
  enum class Direction {
    kUnknown,
    kReceiver,
    kSender,
  };
  virtual Direction GetDirection() const { return Direction::kUnknown; }
  virtual std::string GetMimeType() const = 0;
  virtual std::optional<Timestamp> ReceiveTime() const = 0;
  virtual std::optional<Timestamp> CaptureTime() const = 0;
  virtual bool CanSetCaptureTime() const { return false; }
  virtual void SetCaptureTime(std::optional<Timestamp> /*capture_time*/) {}  // RTC_DCHECK_NOTREACHED()
  virtual std::optional<TimeDelta> SenderCaptureTimeOffset() const = 0;
#  if FAKE_WEBRTC_GEN == 3
  virtual RtpTimestampInfo GetRtpTimestampInfo() const = 0;
#  endif
};

class TransformableVideoFrameInterface : public TransformableFrameInterface {
 public:
  explicit TransformableVideoFrameInterface(Passkey passkey);  // RTC_EXPORT
  ~TransformableVideoFrameInterface() override = default;
  virtual bool IsKeyFrame() const = 0;
  virtual std::optional<std::string> Rid() const { return std::nullopt; }
  virtual VideoFrameMetadata Metadata() const = 0;
  virtual void SetMetadata(const VideoFrameMetadata&) = 0;
};

class TransformableAudioFrameInterface : public TransformableFrameInterface {
 public:
  explicit TransformableAudioFrameInterface(Passkey passkey);  // RTC_EXPORT
  ~TransformableAudioFrameInterface() override = default;
  virtual FAKE_WEBRTC_VIEW(const uint32_t) GetContributingSources() const = 0;
  virtual const std::optional<uint16_t> SequenceNumber() const = 0;
  virtual std::optional<uint64_t> AbsoluteCaptureTimestamp() const = 0;
  enum class FrameType { kEmptyFrame, kAudioFrameSpeech, kAudioFrameCN };
  virtual FrameType Type() const { return FrameType::kEmptyFrame; }
  virtual std::optional<uint8_t> AudioLevel() const = 0;
  virtual bool CanSetAudioLevel() const { return false; }
  virtual void SetAudioLevel(std::optional<uint8_t> /*audio_level_dbov*/) {}  // RTC_DCHECK_NOTREACHED()
};

class TransformedFrameCallback : public RefCountInterface {
 public:
  virtual void OnTransformedFrame(std::unique_ptr<TransformableFrameInterface> frame) = 0;
  virtual void StartShortCircuiting() {}

 protected:
  ~TransformedFrameCallback() override = default;
};

class FrameTransformerInterface : public RefCountInterface {
 public:
  virtual void Transform(std::unique_ptr<TransformableFrameInterface> transformable_frame) = 0;
  virtual void RegisterTransformedFrameCallback(scoped_refptr<TransformedFrameCallback>) {}
  virtual void RegisterTransformedFrameSinkCallback(scoped_refptr<TransformedFrameCallback>,
                                                    uint32_t /* ssrc */) {}
  virtual void UnregisterTransformedFrameCallback() {}
  virtual void UnregisterTransformedFrameSinkCallback(uint32_t /* ssrc */) {}

 protected:
  ~FrameTransformerInterface() override = default;
};

class FrameTransformerHost {
 public:
  virtual ~FrameTransformerHost() {}
  virtual void SetFrameTransformer(scoped_refptr<FrameTransformerInterface> frame_transformer) = 0;
};

class TransformableFrameInterface::Passkey {
 public:
  ~Passkey() = default;

 private:
  friend class TransformableOutgoingAudioFrame;
  friend class TransformableIncomingAudioFrame;
  friend class TransformableVideoSenderFrame;
  friend class TransformableVideoReceiverFrame;

  friend class MockTransformableFrame;
  friend class MockTransformableAudioFrame;
  friend class MockTransformableVideoFrame;
  Passkey() = default;
};

// api/frame_transformer_interface.cc
inline TransformableFrameInterface::TransformableFrameInterface(Passkey) {}
inline TransformableVideoFrameInterface::TransformableVideoFrameInterface(Passkey passkey)
    : TransformableFrameInterface(passkey) {}
inline TransformableAudioFrameInterface::TransformableAudioFrameInterface(Passkey passkey)
    : TransformableFrameInterface(passkey) {}

#endif  // generations
}  // namespace webrtc

// ---- api/crypto/frame_encryptor_interface.h, frame_decryptor_interface.h ----
namespace webrtc {
#if FAKE_WEBRTC_GEN == 1
#  define FAKE_WEBRTC_MEDIA_TYPE cricket::MediaType
#  define FAKE_WEBRTC_VIEW_E(T) rtc::ArrayView<T>
#  define FAKE_WEBRTC_REFCOUNT rtc::RefCountInterface
#else
#  define FAKE_WEBRTC_MEDIA_TYPE MediaType
#  define FAKE_WEBRTC_VIEW_E(T) FAKE_WEBRTC_VIEW(T)
#  define FAKE_WEBRTC_REFCOUNT RefCountInterface
#endif

class FrameEncryptorInterface : public FAKE_WEBRTC_REFCOUNT {
 public:
  ~FrameEncryptorInterface() override {}
  virtual int Encrypt(FAKE_WEBRTC_MEDIA_TYPE media_type, uint32_t ssrc,
                      FAKE_WEBRTC_VIEW_E(const uint8_t) additional_data,
                      FAKE_WEBRTC_VIEW_E(const uint8_t) frame, FAKE_WEBRTC_VIEW_E(uint8_t) encrypted_frame,
                      size_t* bytes_written) = 0;
  virtual size_t GetMaxCiphertextByteSize(FAKE_WEBRTC_MEDIA_TYPE media_type, size_t frame_size) = 0;
};

class FrameDecryptorInterface : public FAKE_WEBRTC_REFCOUNT {
 public:
  enum class Status { kOk, kRecoverable, kFailedToDecrypt, kUnknown };

  struct Result {
    Result(Status status, size_t bytes_written) : status(status), bytes_written(bytes_written) {}
    bool IsOk() const { return status == Status::kOk; }
    const Status status;
    const size_t bytes_written;
  };

  ~FrameDecryptorInterface() override {}
  virtual Result Decrypt(FAKE_WEBRTC_MEDIA_TYPE media_type, const std::vector<uint32_t>& csrcs,
                         FAKE_WEBRTC_VIEW_E(const uint8_t) additional_data,
                         FAKE_WEBRTC_VIEW_E(const uint8_t) encrypted_frame,
                         FAKE_WEBRTC_VIEW_E(uint8_t) frame) = 0;
  virtual size_t GetMaxPlaintextByteSize(FAKE_WEBRTC_MEDIA_TYPE media_type, size_t encrypted_frame_size) = 0;
};

// api/rtp_sender_interface.h, api/rtp_receiver_interface.h (reduced to the frame-transformer
// setters; docs/webrtc.md's wiring example calls them). Generation 1 (webrtc-sdk m125) names them
// per direction; upstream since 2024-05 has FrameTransformerHost::SetFrameTransformer.
#if FAKE_WEBRTC_GEN == 1
class RtpSenderInterface : public rtc::RefCountInterface {
 public:
  virtual void SetEncoderToPacketizerFrameTransformer(
      rtc::scoped_refptr<FrameTransformerInterface> frame_transformer) = 0;
};
class RtpReceiverInterface : public rtc::RefCountInterface {
 public:
  virtual void SetDepacketizerToDecoderFrameTransformer(
      rtc::scoped_refptr<FrameTransformerInterface> frame_transformer) = 0;
};
#else  // FrameTransformerHost: above
class RtpSenderInterface : public RefCountInterface, public FrameTransformerHost {};
class RtpReceiverInterface : public RefCountInterface, public FrameTransformerHost {};
#endif

#undef FAKE_WEBRTC_MEDIA_TYPE
#undef FAKE_WEBRTC_VIEW_E
#undef FAKE_WEBRTC_REFCOUNT
#ifdef FAKE_WEBRTC_VIEW
#  undef FAKE_WEBRTC_VIEW
#endif
}  // namespace webrtc
