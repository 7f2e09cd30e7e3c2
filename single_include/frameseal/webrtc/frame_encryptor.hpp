// frameseal/webrtc/frame_encryptor.hpp: FrameEncryptor and FrameDecryptor, libwebrtc's older
// per-frame hooks (webrtc::FrameEncryptorInterface / FrameDecryptorInterface, set with
// RtpSenderInterface::SetFrameEncryptor and RtpReceiverInterface::SetFrameDecryptor), backed by
// frameseal's SFrame (RFC 9605) cryptor. Opt-in: include it in a TU that has libwebrtc's include
// path; the umbrella never includes it. Milestones and FRAMESEAL_CONFIG_WEBRTC_API: api.hpp.
//
// Wire format: one SFrame ciphertext per encoded frame (RFC 9605 §4.2), the whole frame encrypted:
//   frame_out = Header(KID, CTR) || AEAD.Encrypt(key[KID], nonce(CTR), aad = Header || additional_data,
//   frame)
// libwebrtc's additional_data (for video, the serialised generic frame descriptor when the
// WebRTC-GenericDescriptorAuth field trial is on; empty for audio) is the SFrame "metadata":
// authenticated, not sent, so both ends must derive the same bytes (libwebrtc does). No codec
// header is left in clear, so the RTP packetisation must not parse the payload (VP8/VP9/AV1 with
// the generic descriptor; H.264/H.265 need a codec-agnostic packetisation).
// This is not LiveKit's format and cannot interoperate with LiveKit's E2EE, which is transform-based
// (frame_transformer.hpp, webrtc-sdk's FrameCryptorTransformer) and keeps codec headers in clear:
// a FrameEncryptor sees the frame at a different point of the pipeline, and its additional_data has
// no place in LiveKit's frame. Keys are SFrame keys (KIDs, base keys, RFC 9605 key schedule), not a
// LiveKit KeyProvider.
//
//   auto keys = webrtc_adapter::SframeKeys<sframe::Suite5>::create().value();
//   keys->add_key(kid_me, my_base_key, sframe::KeyUsage::encrypt);
//   keys->add_key(kid_bob, bobs_base_key, sframe::KeyUsage::decrypt);
//   sender->SetFrameEncryptor(webrtc_adapter::FrameEncryptor<sframe::Suite5>::create(keys));
//   receiver->SetFrameDecryptor(webrtc_adapter::FrameDecryptor<sframe::Suite5>::create(keys));
//
// Encrypt: returns 0 and sets *bytes_written, or a non-zero frameseal::Errc value (bytes_written 0)
// on failure (missing_key when no encrypt key is set). GetMaxCiphertextByteSize never
// under-estimates: n + 17-byte worst-case header + tag. Decrypt: in place as libwebrtc calls it
// (`frame` is the memory of `encrypted_frame`, GetMaxPlaintextByteSize(n) = n long) or into a
// separate buffer; Status::kOk with bytes_written; kRecoverable when the frame cannot be decrypted
// now but the stream still can (missing_key: no key for its KID yet; replay: a duplicate or too-old
// CTR); kFailedToDecrypt otherwise (authentication failure, malformed frame). A failed decrypt leaves
// no plaintext behind.
//
// Threading: SframeKeys holds the one sframe::FrameCryptor behind a mutex, so key changes on the
// signalling thread and frames on libwebrtc's send/receive threads may run at once; encryptors and
// decryptors that share one SframeKeys share its sender counter (every frame gets a fresh CTR) and
// its replay windows. No allocation per frame.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "../frameseal.hpp"
#include "api.hpp"
#include "api/crypto/frame_decryptor_interface.h"
#include "api/crypto/frame_encryptor_interface.h"
#include "api/scoped_refptr.h"  // not included by the interfaces any more (upstream 2026)

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace webrtc_adapter {

// What the encryptors and decryptors of one SframeKeys did.
struct SframeStats {
  std::uint64_t encrypted = 0;
  std::uint64_t encrypt_failures = 0;  // including missing_key
  std::uint64_t decrypted = 0;
  std::uint64_t missing_key = 0;       // decrypt: no key for the frame's KID (Status::kRecoverable)
  std::uint64_t replayed = 0;          // decrypt: CTR seen before or too old (Status::kRecoverable)
  std::uint64_t decrypt_failures = 0;  // decrypt: everything else (Status::kFailedToDecrypt)
  Errc last_error = Errc::ok;
};

}  // namespace webrtc_adapter

template <>
inline constexpr auto detail::counter_fields<webrtc_adapter::SframeStats> =
    std::tuple{&webrtc_adapter::SframeStats::encrypted, &webrtc_adapter::SframeStats::encrypt_failures,
               &webrtc_adapter::SframeStats::decrypted, &webrtc_adapter::SframeStats::missing_key,
               &webrtc_adapter::SframeStats::replayed,  &webrtc_adapter::SframeStats::decrypt_failures,
               &webrtc_adapter::SframeStats::last_error};

namespace webrtc_adapter {

// The SFrame keys and state that FrameEncryptor/FrameDecryptor use: a mutex-guarded
// sframe::FrameCryptor<S>. Make one per local participant, holding its sending key and every remote
// sender's key, and share it between all of that participant's streams (audio, video, simulcast):
// they then share one sender counter. Never give two SframeKeys the same encrypt key and KID: each
// has its own counter, and only the random start (sframe/frame_cryptor.hpp) keeps their nonces
// apart; RFC 9605 §9.1 allows one sender per KID. Use distinct KIDs (or keys) per sender instead.
template <sframe::CipherSuite S>
class SframeKeys {
 public:
  using cryptor_type = sframe::FrameCryptor<S>;

  [[nodiscard]] static Result<std::shared_ptr<SframeKeys>> create(sframe::FrameCryptorOptions options = {}) {
    auto c = cryptor_type::create(options);
    if (!c) return c.error();
    return std::shared_ptr<SframeKeys>(new SframeKeys(std::move(*c)));
  }

  // Key management, as sframe::FrameCryptor (see sframe/frame_cryptor.hpp), under the lock.
  [[nodiscard]] Errc add_key(std::uint64_t kid, BytesIn base_key, sframe::KeyUsage usage) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    return cryptor_.add_key(kid, base_key, usage);
  }
  [[nodiscard]] Errc remove_key(std::uint64_t kid) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    return cryptor_.remove_key(kid);
  }
  [[nodiscard]] Errc set_encrypt_key(std::uint64_t kid) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    return cryptor_.set_encrypt_key(kid);
  }
  // Anything else (ratchet, advance_counter_to, has_key, ...): f(cryptor) runs under the lock.
  template <class F>
  decltype(auto) with_cryptor(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::forward<F>(f)(cryptor_);
  }

  [[nodiscard]] SframeStats stats() const noexcept { return stats_.snapshot(); }

  // The frame path (what the adapters call): sframe::FrameCryptor::encrypt/decrypt with
  // metadata, under the lock, counted.
  [[nodiscard]] Result<BytesOut> encrypt(BytesIn frame, BytesOut out, BytesIn metadata) noexcept {
    auto r = [&]() noexcept {
      std::lock_guard<std::mutex> lock(mutex_);
      return cryptor_.encrypt(frame, out, metadata);
    }();
    if (r) {
      bump(&SframeStats::encrypted);
    } else {
      bump(&SframeStats::encrypt_failures);
      stats_.set(&SframeStats::last_error, r.error());
    }
    return r;
  }
  [[nodiscard]] Result<BytesOut> decrypt(BytesIn frame, BytesOut out, BytesIn metadata) noexcept {
    auto r = [&]() noexcept {
      std::lock_guard<std::mutex> lock(mutex_);
      return cryptor_.decrypt(frame, out, metadata);
    }();
    if (r) {
      bump(&SframeStats::decrypted);
      return r;
    }
    switch (r.error()) {
      case Errc::missing_key:
        bump(&SframeStats::missing_key);
        break;
      case Errc::replay:
        bump(&SframeStats::replayed);
        break;
      default:
        bump(&SframeStats::decrypt_failures);
        break;
    }
    stats_.set(&SframeStats::last_error, r.error());
    return r;
  }

 private:
  explicit SframeKeys(cryptor_type c) noexcept : cryptor_(std::move(c)) {}
  void bump(std::uint64_t SframeStats::*field) noexcept { stats_.add(field); }

  std::mutex mutex_;
  cryptor_type cryptor_;
  frameseal::detail::RelaxedCounters<SframeStats> stats_;
};

namespace detail {

using EncryptFn = member_fn<decltype(&::webrtc::FrameEncryptorInterface::Encrypt)>;
using DecryptFn = member_fn<decltype(&::webrtc::FrameDecryptorInterface::Decrypt)>;

#if FRAMESEAL_CONFIG_WEBRTC_API != 0
static_assert(api_generation<EncryptFn::arg<2>, EncryptFn::arg<0>> == FRAMESEAL_CONFIG_WEBRTC_API,
              "FRAMESEAL_CONFIG_WEBRTC_API does not match the libwebrtc headers included (api.hpp lists "
              "the generations)");
#endif

}  // namespace detail

template <sframe::CipherSuite S>
class FrameEncryptor final : public detail::RefCounted<::webrtc::FrameEncryptorInterface> {
  using Fn = detail::EncryptFn;
  // The names of these moved between milestones (api.hpp): take them from the interface.
  using MediaType = typename Fn::template arg<0>;
  using ConstView = typename Fn::template arg<2>;
  using MutableView = typename Fn::template arg<4>;

 public:
  using keys_type = SframeKeys<S>;
  using ref_type = ::webrtc::scoped_refptr<FrameEncryptor>;

  [[nodiscard]] static ref_type create(std::shared_ptr<keys_type> keys) {
    return ref_type(new FrameEncryptor(std::move(keys)));
  }

  [[nodiscard]] const std::shared_ptr<keys_type>& keys() const noexcept { return keys_; }

  int Encrypt(MediaType /*media_type*/, std::uint32_t /*ssrc*/, ConstView additional_data, ConstView frame,
              MutableView encrypted_frame, std::size_t* bytes_written) override {
    if (bytes_written) *bytes_written = 0;
    auto r = keys_->encrypt(detail::bytes_in(frame), detail::bytes_out(encrypted_frame),
                            detail::bytes_in(additional_data));
    if (!r) return static_cast<int>(r.error());
    if (bytes_written) *bytes_written = r->size();
    return 0;
  }

  std::size_t GetMaxCiphertextByteSize(MediaType /*media_type*/, std::size_t frame_size) override {
    return keys_type::cryptor_type::max_encrypted_size(frame_size);
  }

 private:
  explicit FrameEncryptor(std::shared_ptr<keys_type> keys) noexcept : keys_(std::move(keys)) {}
  std::shared_ptr<keys_type> keys_;
};

template <sframe::CipherSuite S>
class FrameDecryptor final : public detail::RefCounted<::webrtc::FrameDecryptorInterface> {
  using Fn = detail::DecryptFn;
  using MediaType = typename Fn::template arg<0>;
  using ConstView = typename Fn::template arg<2>;
  using MutableView = typename Fn::template arg<4>;
  using Interface = ::webrtc::FrameDecryptorInterface;

 public:
  using keys_type = SframeKeys<S>;
  using ref_type = ::webrtc::scoped_refptr<FrameDecryptor>;
  using Result = Interface::Result;
  using Status = Interface::Status;

  [[nodiscard]] static ref_type create(std::shared_ptr<keys_type> keys) {
    return ref_type(new FrameDecryptor(std::move(keys)));
  }

  [[nodiscard]] const std::shared_ptr<keys_type>& keys() const noexcept { return keys_; }

  // The status libwebrtc gets for a frameseal error.
  [[nodiscard]] static constexpr Status status_of(Errc e) noexcept {
    switch (e) {
      case Errc::ok:
        return Status::kOk;
      case Errc::missing_key:
      case Errc::replay:
        return Status::kRecoverable;
      default:
        return Status::kFailedToDecrypt;
    }
  }

  Result Decrypt(MediaType /*media_type*/, const std::vector<std::uint32_t>& /*csrcs*/,
                 ConstView additional_data, ConstView encrypted_frame, MutableView frame) override {
    auto r = keys_->decrypt(detail::bytes_in(encrypted_frame), detail::bytes_out(frame),
                            detail::bytes_in(additional_data));
    if (!r) return Result(status_of(r.error()), 0);
    return Result(Status::kOk, r->size());
  }

  // Never more than the ciphertext; exactly it, so an in-place decrypt has the room the cryptor
  // needs (libwebrtc decrypts into the first GetMaxPlaintextByteSize bytes of the frame).
  std::size_t GetMaxPlaintextByteSize(MediaType /*media_type*/, std::size_t encrypted_frame_size) override {
    return encrypted_frame_size;
  }

 private:
  explicit FrameDecryptor(std::shared_ptr<keys_type> keys) noexcept : keys_(std::move(keys)) {}
  std::shared_ptr<keys_type> keys_;
};

}  // namespace webrtc_adapter
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
