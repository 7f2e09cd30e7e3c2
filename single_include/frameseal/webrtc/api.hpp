// frameseal/webrtc/api.hpp: what the WebRTC adapters need to know about the libwebrtc they are
// compiled against. Included by frame_transformer.hpp and frame_encryptor.hpp; not on its own.
//
// libwebrtc renames things between milestones: ArrayView moved from rtc:: to webrtc:: and then
// became std::span, cricket::MediaType (a plain enum) became webrtc::MediaType (an enum class),
// scoped_refptr and RefCountInterface moved from rtc:: to webrtc::, frames gained GetMimeType,
// CanSetPayloadType, GetRtpTimestampInfo (and GetTimestamp was deprecated). The adapters never
// spell a name that moved: every parameter type of a method they override is taken from the
// interface itself (decltype of the member function), and optional frame methods are probed with
// requires-expressions. So one header compiles against every supported milestone with no
// configuration. The generations, told apart by what the declarations look like:
//
//   FRAMESEAL_WEBRTC_API_RTC    (1)  rtc::ArrayView, cricket::MediaType a plain enum: webrtc-sdk's
//                                    m125_release (LiveKit's native SDKs); upstream before 2025-03-25.
//   FRAMESEAL_WEBRTC_API_WEBRTC (2)  ArrayView (not yet std::span), webrtc::MediaType an enum class:
//                                    upstream 2025-03-25 .. 2026-03-03 (e.g. the M144 branch, which
//                                    LiveKit's rust-sdks build through webrtc-sdk's m144_release).
//   FRAMESEAL_WEBRTC_API_SPAN   (3)  std::span views: upstream since 2026-03-03 (ArrayView became an
//                                    alias of std::span; api/ was rewritten to std::span 2026-04-02).
//
// FRAMESEAL_CONFIG_WEBRTC_API (the one configuration macro): leave it undefined (or 0) to accept
// whatever the included headers declare; define it to 1, 2 or 3 to have the adapters check
// (static_assert) that the headers are of that generation, which catches an include path that
// points at another libwebrtc than the one the program is meant to link. The test suite builds
// its stand-in declarations (tests/webrtc/fake_webrtc.hpp) for each generation with this macro.
// Needs scoped_refptr and RefCountInterface in webrtc:: (upstream 2023-11, ~M121; older trees were
// not tried). Compiled against:
// webrtc-sdk/webrtc m125_release (cd6792e), upstream main 2025-11-30 (d1ddb57, the M144 branch
// period) and upstream main 2026-08-22 (f3ae3eb); see docs/webrtc.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>

#include "../frameseal.hpp"

#define FRAMESEAL_WEBRTC_API_RTC 1
#define FRAMESEAL_WEBRTC_API_WEBRTC 2
#define FRAMESEAL_WEBRTC_API_SPAN 3

#if !defined(FRAMESEAL_CONFIG_WEBRTC_API)
#  define FRAMESEAL_CONFIG_WEBRTC_API 0
#endif
#if FRAMESEAL_CONFIG_WEBRTC_API < 0 || FRAMESEAL_CONFIG_WEBRTC_API > 3
#  error "FRAMESEAL_CONFIG_WEBRTC_API must be 0 (detect), 1 (rtc::), 2 (webrtc::) or 3 (std::span)"
#endif

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
// Not `frameseal::webrtc`: with `using namespace frameseal;` that would make every `webrtc::` in
// user code ambiguous.
namespace webrtc_adapter {
namespace detail {

// The parameter and return types of a (non-overloaded) member function.
template <class F>
struct member_fn;
template <class R, class T, class... A>
struct member_fn<R (T::*)(A...)> {
  using result = R;
  template <std::size_t I>
  using arg = std::tuple_element_t<I, std::tuple<A...>>;
};
template <class R, class T, class... A>
struct member_fn<R (T::*)(A...) const> : member_fn<R (T::*)(A...)> {};

// P<T> -> P<U> (scoped_refptr of one class -> scoped_refptr of another).
template <class Ref, class U>
struct rebind;
template <template <class> class P, class T, class U>
struct rebind<P<T>, U> {
  using type = P<U>;
};

// The generation a (const byte view, media type) pair belongs to.
template <class ConstView, class MediaType>
inline constexpr int api_generation = std::is_same_v<ConstView, std::span<const std::uint8_t>>
                                          ? FRAMESEAL_WEBRTC_API_SPAN
                                      : (std::is_enum_v<MediaType> && !std::is_convertible_v<MediaType, int>)
                                          ? FRAMESEAL_WEBRTC_API_WEBRTC
                                          : FRAMESEAL_WEBRTC_API_RTC;

// True when views of this type are std::span (generation 3), for the checks that see no MediaType.
template <class ConstView>
inline constexpr bool views_are_span = std::is_same_v<ConstView, std::span<const std::uint8_t>>;

// A libwebrtc view (rtc::ArrayView, webrtc::ArrayView or std::span) over frameseal bytes, made with
// the (pointer, size) constructor that all of them have.
template <class View, class Bytes>
[[nodiscard]] View view_of(Bytes b) noexcept {
  return View(b.data(), b.size());
}
template <class View>
[[nodiscard]] BytesIn bytes_in(const View& v) noexcept {
  return BytesIn(v.data(), v.size());
}
template <class View>
[[nodiscard]] BytesOut bytes_out(const View& v) noexcept {
  return BytesOut(v.data(), v.size());
}

// AddRef/Release for a libwebrtc RefCountInterface, so the adapters need neither rtc:: nor
// webrtc::make_ref_counted (its namespace moved too). Objects start at zero references and are
// handed out only inside a scoped_refptr; the last Release deletes them.
template <class Interface>
class RefCounted : public Interface {
 public:
  using release_status = decltype(std::declval<const Interface&>().Release());

  void AddRef() const override { refs_.fetch_add(1, std::memory_order_relaxed); }
  release_status Release() const override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete this;
      return release_status::kDroppedLastRef;
    }
    return release_status::kOtherRefsRemained;
  }

 protected:
  RefCounted() = default;
  ~RefCounted() override = default;

 private:
  mutable std::atomic<int> refs_{0};
};

}  // namespace detail
}  // namespace webrtc_adapter
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
