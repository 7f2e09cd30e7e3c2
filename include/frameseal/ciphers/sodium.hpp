// frameseal/ciphers/sodium.hpp: the libsodium Cipher backends, sodium::Aes256Gcm and
// sodium::ChaCha20Poly1305 (IETF, RFC 8439). Both model the Cipher concept (cipher.hpp).
//
// AES-256-GCM in libsodium is hardware-only: on x86-64 it needs AES-NI and PCLMUL (aarch64 needs
// libsodium >= 1.0.19 and the ARM crypto extensions). available() says whether this machine has them;
// create() returns Errc::backend_unavailable when it does not, and never touches the instructions.
// libsodium has no AES-128-GCM, so LiveKit's default cipher needs the OpenSSL backend.
//
// Threading: a keyed instance is immutable after create() (the expanded key schedule / key is only
// read), so one instance may be used by any number of threads at once; seal/open are const.
// Aliasing: out may be the input exactly (in-place) or disjoint; partial overlap is
// Errc::invalid_argument. A failed open returns Errc::auth_failed and leaves the plaintext region of
// out zeroed; in-place that destroys the ciphertext (libsodium zeroes m itself on failure), so a
// caller that retries with another key must decrypt out of place.
// Instances are move-only; the key material is wiped with sodium_memzero on destruction and when
// moved from. A moved-from instance refuses to work (Errc::invalid_argument) rather than encrypt
// under an all-zero key.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../detail/sodium.hpp"
#include "../error.hpp"
#include "../secret.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sodium {

// AES-256-GCM with a 96-bit nonce and a 128-bit tag (SFrame suite 0x0005; LiveKit keySize 256).
class Aes256Gcm {
 public:
  static constexpr std::size_t key_bytes = crypto_aead_aes256gcm_KEYBYTES;
  static constexpr std::size_t nonce_bytes = crypto_aead_aes256gcm_NPUBBYTES;
  static constexpr std::size_t tag_bytes = crypto_aead_aes256gcm_ABYTES;
  static constexpr std::string_view name = "aes256gcm";
  static constexpr std::string_view backend = "libsodium";
  // A failed open in place leaves zeros where the ciphertext was (see the header comment).
  static constexpr bool failed_open_keeps_input = false;

  [[nodiscard]] static bool available() noexcept {
    return detail::ensure_sodium() && crypto_aead_aes256gcm_is_available() == 1;
  }

  // Expands the key once (AES round keys and the GHASH powers of H); the raw key is not kept.
  [[nodiscard]] static Result<Aes256Gcm> create(std::span<const std::uint8_t, key_bytes> key) noexcept {
    if (!available()) return Errc::backend_unavailable;
    Aes256Gcm c;
    if (crypto_aead_aes256gcm_beforenm(&c.state_, key.data()) != 0) return Errc::internal_error;
    c.keyed_ = true;
    return c;
  }

  Aes256Gcm(Aes256Gcm&& o) noexcept : keyed_(std::exchange(o.keyed_, false)) {
    std::memcpy(&state_, &o.state_, sizeof state_);  // the state is plain data (no pointers)
    sodium_memzero(&o.state_, sizeof o.state_);
  }
  Aes256Gcm& operator=(Aes256Gcm&& o) noexcept {
    if (this != &o) {
      std::memcpy(&state_, &o.state_, sizeof state_);
      keyed_ = std::exchange(o.keyed_, false);
      sodium_memzero(&o.state_, sizeof o.state_);
    }
    return *this;
  }
  Aes256Gcm(const Aes256Gcm&) = delete;
  Aes256Gcm& operator=(const Aes256Gcm&) = delete;
  ~Aes256Gcm() { sodium_memzero(&state_, sizeof state_); }

  Result<BytesOut> seal(BytesOut out, BytesIn plaintext, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) const noexcept {
    if (!keyed_) return Errc::invalid_argument;
    if (const Errc e = detail::check_seal_args(plaintext, out, tag_bytes); e != Errc::ok) return e;
    if (plaintext.size() > crypto_aead_aes256gcm_MESSAGEBYTES_MAX) return Errc::invalid_argument;
    const std::size_t n = plaintext.size();
    if (crypto_aead_aes256gcm_encrypt_detached_afternm(
            out.data(), out.data() + n, nullptr, detail::sodium_in(plaintext), n, detail::sodium_in(aad),
            aad.size(), nullptr, nonce.data(), &state_) != 0) {
      return Errc::internal_error;
    }
    return out.first(n + tag_bytes);
  }

  Result<BytesOut> open(BytesOut out, BytesIn ciphertext_and_tag, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) const noexcept {
    if (!keyed_) return Errc::invalid_argument;
    if (const Errc e = detail::check_open_args(ciphertext_and_tag, out, tag_bytes); e != Errc::ok) return e;
    const std::size_t n = ciphertext_and_tag.size() - tag_bytes;
    std::uint8_t dummy = 0;  // libsodium wants a non-null m even for an empty plaintext
    std::uint8_t* m = out.data() != nullptr ? out.data() : &dummy;
    if (crypto_aead_aes256gcm_decrypt_detached_afternm(m, nullptr, ciphertext_and_tag.data(), n,
                                                       ciphertext_and_tag.data() + n, detail::sodium_in(aad),
                                                       aad.size(), nonce.data(), &state_) != 0) {
      detail::wipe_failed_open(out, n);
      return Errc::auth_failed;
    }
    return out.first(n);
  }

 private:
  Aes256Gcm() noexcept { std::memset(&state_, 0, sizeof state_); }

  // libsodium requires 16-byte alignment of the state (its type says so too; this keeps it explicit).
  alignas(16) crypto_aead_aes256gcm_state state_;
  bool keyed_ = false;
};

// ChaCha20-Poly1305 IETF (RFC 8439): 256-bit key, 96-bit nonce, 128-bit tag. Constant-time in
// software, so it is the backend for machines without AES instructions (not LiveKit-compatible).
class ChaCha20Poly1305 {
 public:
  static constexpr std::size_t key_bytes = crypto_aead_chacha20poly1305_ietf_KEYBYTES;
  static constexpr std::size_t nonce_bytes = crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
  static constexpr std::size_t tag_bytes = crypto_aead_chacha20poly1305_ietf_ABYTES;
  static constexpr std::string_view name = "chacha20poly1305";
  static constexpr std::string_view backend = "libsodium";
  static constexpr bool failed_open_keeps_input = false;

  [[nodiscard]] static bool available() noexcept { return detail::ensure_sodium(); }

  [[nodiscard]] static Result<ChaCha20Poly1305> create(
      std::span<const std::uint8_t, key_bytes> key) noexcept {
    if (!available()) return Errc::backend_unavailable;
    ChaCha20Poly1305 c;
    c.key_ = SecretBytes<key_bytes>(BytesIn(key));
    c.keyed_ = true;
    return c;
  }

  // SecretBytes wipes the source on move and itself on destruction.
  ChaCha20Poly1305(ChaCha20Poly1305&& o) noexcept
      : key_(std::move(o.key_)), keyed_(std::exchange(o.keyed_, false)) {}
  ChaCha20Poly1305& operator=(ChaCha20Poly1305&& o) noexcept {
    if (this != &o) {
      key_ = std::move(o.key_);
      keyed_ = std::exchange(o.keyed_, false);
    }
    return *this;
  }
  ChaCha20Poly1305(const ChaCha20Poly1305&) = delete;
  ChaCha20Poly1305& operator=(const ChaCha20Poly1305&) = delete;
  ~ChaCha20Poly1305() = default;

  Result<BytesOut> seal(BytesOut out, BytesIn plaintext, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) const noexcept {
    if (!keyed_) return Errc::invalid_argument;
    if (const Errc e = detail::check_seal_args(plaintext, out, tag_bytes); e != Errc::ok) return e;
    if (plaintext.size() > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX) return Errc::invalid_argument;
    const std::size_t n = plaintext.size();
    if (crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            out.data(), out.data() + n, nullptr, detail::sodium_in(plaintext), n, detail::sodium_in(aad),
            aad.size(), nullptr, nonce.data(), key_.data()) != 0) {
      return Errc::internal_error;
    }
    return out.first(n + tag_bytes);
  }

  Result<BytesOut> open(BytesOut out, BytesIn ciphertext_and_tag, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) const noexcept {
    if (!keyed_) return Errc::invalid_argument;
    if (const Errc e = detail::check_open_args(ciphertext_and_tag, out, tag_bytes); e != Errc::ok) return e;
    const std::size_t n = ciphertext_and_tag.size() - tag_bytes;
    std::uint8_t dummy = 0;
    std::uint8_t* m = out.data() != nullptr ? out.data() : &dummy;
    // libsodium verifies the Poly1305 tag before decrypting and zeroes m on failure.
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            m, nullptr, ciphertext_and_tag.data(), n, ciphertext_and_tag.data() + n, detail::sodium_in(aad),
            aad.size(), nonce.data(), key_.data()) != 0) {
      detail::wipe_failed_open(out, n);
      return Errc::auth_failed;
    }
    return out.first(n);
  }

 private:
  ChaCha20Poly1305() noexcept = default;

  SecretBytes<key_bytes> key_;
  bool keyed_ = false;
};

static_assert(Cipher<Aes256Gcm>);
static_assert(Cipher<ChaCha20Poly1305>);

}  // namespace sodium
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
