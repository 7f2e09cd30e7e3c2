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

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sodium {

namespace detail {
// The per-cipher half of SodiumAead: sizes, availability, the keyed state (plain data, no
// pointers, so it is moved by copying and wiping) and the two libsodium calls.

// AES-256-GCM with a 96-bit nonce and a 128-bit tag (SFrame suite 0x0005; LiveKit keySize 256). The
// key is expanded once (AES round keys and the GHASH powers of H); the raw key is not kept.
struct Aes256GcmCalls {
  static constexpr std::size_t key_bytes = crypto_aead_aes256gcm_KEYBYTES;
  static constexpr std::size_t nonce_bytes = crypto_aead_aes256gcm_NPUBBYTES;
  static constexpr std::size_t tag_bytes = crypto_aead_aes256gcm_ABYTES;
  static constexpr std::size_t max_message_bytes = crypto_aead_aes256gcm_MESSAGEBYTES_MAX;
  static constexpr std::string_view name = "aes256gcm";
  // libsodium requires 16-byte alignment of the state (its type says so too; this keeps it explicit).
  struct State {
    alignas(16) crypto_aead_aes256gcm_state st;
  };
  [[nodiscard]] static bool available() noexcept {
    return frameseal::detail::ensure_sodium() && crypto_aead_aes256gcm_is_available() == 1;
  }
  [[nodiscard]] static bool init(State& s, const std::uint8_t* key) noexcept {
    return crypto_aead_aes256gcm_beforenm(&s.st, key) == 0;
  }
  static int encrypt(std::uint8_t* c, std::uint8_t* mac, BytesIn m, BytesIn ad, const std::uint8_t* npub,
                     const State& s) noexcept {
    return crypto_aead_aes256gcm_encrypt_detached_afternm(c, mac, nullptr, frameseal::detail::sodium_in(m),
                                                          m.size(), frameseal::detail::sodium_in(ad),
                                                          ad.size(), nullptr, npub, &s.st);
  }
  static int decrypt(std::uint8_t* m, BytesIn c, const std::uint8_t* mac, BytesIn ad,
                     const std::uint8_t* npub, const State& s) noexcept {
    return crypto_aead_aes256gcm_decrypt_detached_afternm(
        m, nullptr, c.data(), c.size(), mac, frameseal::detail::sodium_in(ad), ad.size(), npub, &s.st);
  }
};

// ChaCha20-Poly1305 IETF (RFC 8439): 256-bit key, 96-bit nonce, 128-bit tag. The state is the key.
// libsodium verifies the Poly1305 tag before decrypting and zeroes m on failure.
struct ChaCha20Poly1305Calls {
  static constexpr std::size_t key_bytes = crypto_aead_chacha20poly1305_ietf_KEYBYTES;
  static constexpr std::size_t nonce_bytes = crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
  static constexpr std::size_t tag_bytes = crypto_aead_chacha20poly1305_ietf_ABYTES;
  static constexpr std::size_t max_message_bytes = crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX;
  static constexpr std::string_view name = "chacha20poly1305";
  struct State {
    std::uint8_t key[key_bytes];
  };
  [[nodiscard]] static bool available() noexcept { return frameseal::detail::ensure_sodium(); }
  [[nodiscard]] static bool init(State& s, const std::uint8_t* key) noexcept {
    std::memcpy(s.key, key, key_bytes);
    return true;
  }
  static int encrypt(std::uint8_t* c, std::uint8_t* mac, BytesIn m, BytesIn ad, const std::uint8_t* npub,
                     const State& s) noexcept {
    return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        c, mac, nullptr, frameseal::detail::sodium_in(m), m.size(), frameseal::detail::sodium_in(ad),
        ad.size(), nullptr, npub, s.key);
  }
  static int decrypt(std::uint8_t* m, BytesIn c, const std::uint8_t* mac, BytesIn ad,
                     const std::uint8_t* npub, const State& s) noexcept {
    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
        m, nullptr, c.data(), c.size(), mac, frameseal::detail::sodium_in(ad), ad.size(), npub, s.key);
  }
};

// One libsodium AEAD as a Cipher: the checks, the move-only ownership and the wiping written once.
template <class Calls>
class SodiumAead {
 public:
  static constexpr std::size_t key_bytes = Calls::key_bytes;
  static constexpr std::size_t nonce_bytes = Calls::nonce_bytes;
  static constexpr std::size_t tag_bytes = Calls::tag_bytes;
  static constexpr std::string_view name = Calls::name;
  static constexpr std::string_view backend = "libsodium";
  // A failed open in place leaves zeros where the ciphertext was (see the header comment).
  static constexpr bool failed_open_keeps_input = false;

  [[nodiscard]] static bool available() noexcept { return Calls::available(); }

  [[nodiscard]] static Result<SodiumAead> create(std::span<const std::uint8_t, key_bytes> key) noexcept {
    if (!available()) return Errc::backend_unavailable;
    SodiumAead c;
    if (!Calls::init(c.state_, key.data())) return Errc::internal_error;
    c.keyed_ = true;
    return c;
  }

  SodiumAead(SodiumAead&& o) noexcept : keyed_(std::exchange(o.keyed_, false)) {
    std::memcpy(&state_, &o.state_, sizeof state_);
    sodium_memzero(&o.state_, sizeof o.state_);
  }
  SodiumAead& operator=(SodiumAead&& o) noexcept {
    if (this != &o) {
      std::memcpy(&state_, &o.state_, sizeof state_);
      keyed_ = std::exchange(o.keyed_, false);
      sodium_memzero(&o.state_, sizeof o.state_);
    }
    return *this;
  }
  SodiumAead(const SodiumAead&) = delete;
  SodiumAead& operator=(const SodiumAead&) = delete;
  ~SodiumAead() { sodium_memzero(&state_, sizeof state_); }

  Result<BytesOut> seal(BytesOut out, BytesIn plaintext, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) const noexcept {
    if (!keyed_) return Errc::invalid_argument;
    if (const Errc e = frameseal::detail::check_seal_args(plaintext, out, tag_bytes); e != Errc::ok) return e;
    if (plaintext.size() > Calls::max_message_bytes) return Errc::invalid_argument;
    const std::size_t n = plaintext.size();
    if (Calls::encrypt(out.data(), out.data() + n, plaintext, aad, nonce.data(), state_) != 0)
      return Errc::internal_error;
    return out.first(n + tag_bytes);
  }

  Result<BytesOut> open(BytesOut out, BytesIn ciphertext_and_tag, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) const noexcept {
    if (!keyed_) return Errc::invalid_argument;
    if (const Errc e = frameseal::detail::check_open_args(ciphertext_and_tag, out, tag_bytes); e != Errc::ok)
      return e;
    const std::size_t n = ciphertext_and_tag.size() - tag_bytes;
    std::uint8_t dummy = 0;  // libsodium wants a non-null m even for an empty plaintext
    std::uint8_t* m = out.data() != nullptr ? out.data() : &dummy;
    if (Calls::decrypt(m, ciphertext_and_tag.first(n), ciphertext_and_tag.data() + n, aad, nonce.data(),
                       state_) != 0) {
      frameseal::detail::wipe_failed_open(out, n);
      return Errc::auth_failed;
    }
    return out.first(n);
  }

 private:
  SodiumAead() noexcept { std::memset(&state_, 0, sizeof state_); }

  typename Calls::State state_;
  bool keyed_ = false;
};
}  // namespace detail

// AES-256-GCM (hardware only: available() says whether this machine has AES-NI and PCLMUL).
using Aes256Gcm = detail::SodiumAead<detail::Aes256GcmCalls>;
// ChaCha20-Poly1305 IETF: constant-time in software, so it is the backend for machines without AES
// instructions (not LiveKit-compatible).
using ChaCha20Poly1305 = detail::SodiumAead<detail::ChaCha20Poly1305Calls>;

static_assert(Cipher<Aes256Gcm>);
static_assert(Cipher<ChaCha20Poly1305>);

}  // namespace sodium
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
