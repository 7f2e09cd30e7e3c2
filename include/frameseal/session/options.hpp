// frameseal/session/options.hpp: the options, states and defaults of LiveKit's E2EE API, in C++.
//
// The session layer gives C++ users the model that LiveKit's Python (and Rust) SDK documents:
// KeyProviderOptions, E2eeOptions, EncryptionType and EncryptionState, with the same defaults
// (key ring 16, ratchet window 16, failure tolerance -1, salt "LKFrameEncryptionKey"). Two defaults
// differ on purpose and are named here so nobody has to guess:
//   - kdf defaults to HKDF (Python/Rust default to PBKDF2): livekit-client's setKey(ArrayBuffer) uses
//     HKDF and so does frameseal's LivekitKdf; set kdf = KdfAlgorithm::pbkdf2 to talk to a native
//     SDK left at its default.
//   - the shared key is a SecretBuffer (wiped, move-only), not a byte string, so the options are
//     move-only too; KeyProvider::create consumes it.
// The DEFAULT_* constants of the Python SDK are frameseal::default_ratchet_salt,
// default_ratchet_window_size, default_failure_tolerance and default_key_ring_size (key_ring.hpp),
// plus default_kdf and default_encryption_type below.
//
// Contract: plain data, no synchronisation (fill them in before creating a provider or manager).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../kdf.hpp"
#include "../key_ring.hpp"
#include "../livekit/frame_cryptor_options.hpp"
#include "../secret.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace session {

// livekit-ffi e2ee.proto EncryptionType: NONE = 0, GCM = 1, CUSTOM = 2.
//   none   the manager starts disabled: frames pass unchanged (set_enabled(true) turns it on);
//   gcm    LiveKit's wire format with AES-GCM; the manager refuses a cipher that is not AES-GCM,
//          because the other side could never decrypt it;
//   custom LiveKit's frame layout with whatever AEAD the manager was instantiated with (e.g.
//          ChaCha20-Poly1305): both sides must be frameseal with the same cipher.
enum class EncryptionType : std::uint8_t { none = 0, gcm = 1, custom = 2 };

// livekit-ffi e2ee.proto EncryptionState (same values as webrtc-sdk's FrameCryptionState). `new`
// is a keyword, hence `new_`. See e2ee_manager.hpp for when each one is reported.
enum class EncryptionState : std::uint8_t {
  new_ = 0,
  ok = 1,
  encryption_failed = 2,
  decryption_failed = 3,
  missing_key = 4,
  key_ratcheted = 5,
  internal_error = 6,
};

[[nodiscard]] constexpr std::string_view to_string(EncryptionType t) noexcept {
  switch (t) {
    case EncryptionType::none:
      return "none";
    case EncryptionType::gcm:
      return "gcm";
    case EncryptionType::custom:
      return "custom";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(EncryptionState s) noexcept {
  switch (s) {
    case EncryptionState::new_:
      return "new";
    case EncryptionState::ok:
      return "ok";
    case EncryptionState::encryption_failed:
      return "encryption_failed";
    case EncryptionState::decryption_failed:
      return "decryption_failed";
    case EncryptionState::missing_key:
      return "missing_key";
    case EncryptionState::key_ratcheted:
      return "key_ratcheted";
    case EncryptionState::internal_error:
      return "internal_error";
  }
  return "unknown";
}

inline constexpr KdfAlgorithm default_kdf = KdfAlgorithm::hkdf;
inline constexpr EncryptionType default_encryption_type = EncryptionType::gcm;

struct KeyProviderOptions {
  // Non-empty: shared-key mode from the start, with this material at key index 0 (Python's
  // shared_key=...). Empty: per-participant keys until set_shared_key() is called.
  SecretBuffer shared_key;
  std::vector<std::uint8_t> ratchet_salt{default_ratchet_salt.begin(), default_ratchet_salt.end()};
  std::size_t ratchet_window_size = default_ratchet_window_size;  // 0..256
  int failure_tolerance = default_failure_tolerance;              // < 0: never mark a key invalid
  std::size_t key_ring_size = default_key_ring_size;              // 1..256
  KdfAlgorithm kdf = default_kdf;
  // frameseal extension: old keys kept per slot after a ratchet so frames in flight still decrypt.
  std::size_t previous_generations = KeyRingOptions{}.previous_generations;
  // frameseal extension, opt-in: name a KDF mismatch (KeyRingOptions::detect_kdf_mismatch). A frame
  // or data packet that authenticates only under the other KDF (HKDF vs PBKDF2) is refused with
  // Errc::kdf_mismatch, counted (Counters::kdf_mismatch) and reported to the manager's
  // on_kdf_mismatch callback with the sender's KDF. With adopt_sender_kdf (implies detection) the
  // participant's ring is then re-derived with the sender's KDF on the provider's refill thread,
  // off the frame path, and later frames decrypt. Costs one KDF call of the other kind per key
  // install (PBKDF2: ~20 ms). With a custom ratchet_salt it also names a sender on LiveKit's default
  // salt (Errc::salt_mismatch, Counters::salt_mismatch; not adopted, and no callback).
  bool detect_kdf_mismatch = false;
  bool adopt_sender_kdf = false;
};

struct E2eeOptions {
  KeyProviderOptions key_provider_options;
  EncryptionType encryption_type = default_encryption_type;
  // frameseal extension: per-participant frame cryptor settings (initial SIF trailer, LKTS packet
  // trailer stripping, scratch pre-sizing). KeyProvider::set_sif_trailer replaces the trailer later.
  livekit::FrameCryptorOptions frame_cryptor_options;
};

}  // namespace session
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
