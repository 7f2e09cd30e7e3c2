// session/options.hpp: the LiveKit E2EE defaults (Python SDK DEFAULT_* and dataclass defaults), the
// FFI enum values (livekit-ffi e2ee.proto) and their names.
#include "common.hpp"

#include <string>
#include <type_traits>

using namespace frameseal;
using namespace frameseal::session;

TEST_CASE("defaults match the Python SDK's constants (and the one deliberate difference)") {
  CHECK(default_ratchet_salt == "LKFrameEncryptionKey");  // DEFAULT_RATCHET_SALT
  CHECK(default_ratchet_window_size == 16);               // DEFAULT_RATCHET_WINDOW_SIZE
  CHECK(default_failure_tolerance == -1);                 // DEFAULT_FAILURE_TOLERANCE
  CHECK(default_key_ring_size == 16);                     // DEFAULT_KEY_RING_SIZE
  CHECK(default_kdf == KdfAlgorithm::hkdf);               // Python: PBKDF2 (see options.hpp)
  CHECK(default_encryption_type == EncryptionType::gcm);

  KeyProviderOptions k;
  CHECK(k.shared_key.empty());
  CHECK(std::string(k.ratchet_salt.begin(), k.ratchet_salt.end()) == "LKFrameEncryptionKey");
  CHECK(k.ratchet_window_size == 16);
  CHECK(k.failure_tolerance == -1);
  CHECK(k.key_ring_size == 16);
  CHECK(k.kdf == KdfAlgorithm::hkdf);
  CHECK(k.previous_generations == KeyRingOptions{}.previous_generations);

  E2eeOptions e;
  CHECK(e.encryption_type == EncryptionType::gcm);
  CHECK(e.frame_cryptor_options.sif_trailer.empty());
  CHECK_FALSE(e.frame_cryptor_options.packet_trailer);
  // Options carry a secret (the shared key), so they move but do not copy.
  CHECK_FALSE(std::is_copy_constructible_v<KeyProviderOptions>);
  CHECK(std::is_nothrow_move_constructible_v<KeyProviderOptions>);
  CHECK(std::is_move_constructible_v<E2eeOptions>);
}

TEST_CASE("enum values are the FFI protocol's") {
  CHECK(static_cast<int>(EncryptionType::none) == 0);
  CHECK(static_cast<int>(EncryptionType::gcm) == 1);
  CHECK(static_cast<int>(EncryptionType::custom) == 2);
  CHECK(static_cast<int>(EncryptionState::new_) == 0);
  CHECK(static_cast<int>(EncryptionState::ok) == 1);
  CHECK(static_cast<int>(EncryptionState::encryption_failed) == 2);
  CHECK(static_cast<int>(EncryptionState::decryption_failed) == 3);
  CHECK(static_cast<int>(EncryptionState::missing_key) == 4);
  CHECK(static_cast<int>(EncryptionState::key_ratcheted) == 5);
  CHECK(static_cast<int>(EncryptionState::internal_error) == 6);
}

TEST_CASE("to_string names") {
  CHECK(to_string(EncryptionType::none) == "none");
  CHECK(to_string(EncryptionType::gcm) == "gcm");
  CHECK(to_string(EncryptionType::custom) == "custom");
  const char* names[] = {
      "new",           "ok", "encryption_failed", "decryption_failed", "missing_key", "key_ratcheted",
      "internal_error"};
  for (int i = 0; i <= 6; ++i) CHECK(to_string(static_cast<EncryptionState>(i)) == names[i]);
  CHECK(to_string(static_cast<EncryptionState>(7)) == "unknown");
  static_assert(to_string(EncryptionState::ok) == "ok");  // usable at compile time
}
