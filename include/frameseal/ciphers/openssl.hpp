// frameseal/ciphers/openssl.hpp: the OpenSSL 3 / BoringSSL Cipher backends (opt-in; link libcrypto).
//
//   openssl::Aes128Gcm, openssl::Aes256Gcm        AES-GCM, 96-bit nonce, 128-bit tag. Aes128Gcm is
//                                                 LiveKit's wire cipher (libsodium has no AES-128).
//   openssl::AesCtr128HmacSha256_80/_64/_32       SFrame (RFC 9605 §4.5.1) suites 0x0001-0x0003
//   openssl::AesCtr256HmacSha512_80/_64/_32       the post-RFC suites 0x0006-0x0008
//   openssl::pbkdf2_hmac_sha256, openssl::Pbkdf2  PKCS5_PBKDF2_HMAC: the same bytes as the libsodium
//                                                 PBKDF2 in kdf.hpp, ~1.7x faster (SHA-NI)
// All of them model the Cipher concept (cipher.hpp) or the KDF policy shape (kdf.hpp). The same
// header builds against OpenSSL 3 or BoringSSL (whichever <openssl/evp.h> the include path finds;
// meson -Dboringssl=enabled builds the suites against Debian's android-libboringssl-dev). AES-CTR+HMAC
// and PBKDF2 use only API the two share (EVP_CIPHER_CTX, EVP_MD_CTX, PKCS5_PBKDF2_HMAC), nothing
// deprecated in OpenSSL 3. AES-GCM uses EVP_CIPHER_CTX on OpenSSL and BoringSSL's EVP_AEAD_CTX on
// BoringSSL (backend name "boringssl"): one call per frame instead of five, the same bytes.
//
// Per-key work happens once in create(): the cipher contexts are created and keyed there (GCM: one
// for sealing, one for opening; on BoringSSL one EVP_AEAD_CTX for both), and the HMAC inner/outer
// hash states are absorbed there. Per frame only the IV is reset (BoringSSL: passed to the one
// call). Consequently an instance owns mutable contexts and is NOT thread-safe: use one instance
// per thread (or lock). Keys are not kept outside the contexts; EVP_CIPHER_CTX_free and
// EVP_MD_CTX_free cleanse them (OPENSSL_clear_free / BoringSSL's zeroising OPENSSL_free), and the
// HMAC pad blocks are wiped with OPENSSL_cleanse. Instances are move-only; a moved-from instance
// refuses to work (Errc::invalid_argument).
//
// Aliasing and failures follow cipher.hpp: out may be the input exactly or disjoint (partial overlap
// is Errc::invalid_argument); every authentication failure is Errc::auth_failed.
//   - AES-GCM (EVP) decrypts before it can check the tag, so a failed open zeroes the plaintext
//     region of out; in place that destroys the ciphertext (failed_open_keeps_input = false).
//   - AES-CTR+HMAC verifies the tag (constant time) before decrypting anything, so a failed open in
//     place leaves the ciphertext intact and a caller may retry another key on the same buffer
//     (failed_open_keeps_input = true); an out-of-place out is zeroed.
// Inputs are limited to INT_MAX bytes (the EVP length type); larger ones are Errc::invalid_argument.
// Allocation: frameseal allocates nothing per frame; OpenSSL 3.0 itself allocates inside
// EVP_MD_CTX_copy_ex (two small allocations per AES-CTR+HMAC tag), GCM allocates nothing.
//
// It includes only the core headers it uses; the single-header edition's copy includes the
// amalgamated core instead (tools/amalgamate.py rewrites the includes).
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#if defined(OPENSSL_IS_BORINGSSL)
#  include <openssl/aead.h>
#  include <openssl/err.h>
#endif

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../error.hpp"
#include "../kdf.hpp"
#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace openssl {

namespace detail {
inline constexpr std::size_t max_evp_len = static_cast<std::size_t>(INT_MAX);

// A non-null pointer for an empty input (EVP treats NULL input as "AAD only" or as an error).
inline constexpr std::uint8_t empty_in[1] = {0};
[[nodiscard]] inline const std::uint8_t* in_ptr(BytesIn b) noexcept {
  return b.data() != nullptr ? b.data() : empty_in;
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// AES-GCM
// ---------------------------------------------------------------------------------------------

namespace detail {
// The backend-specific half of AesGcm: the keyed context(s) and the calls per frame. Arguments are
// checked by AesGcm before these run; a plain aggregate of pointers, moved by copying and clearing.
#if defined(OPENSSL_IS_BORINGSSL)
// BoringSSL: its AEAD interface (EVP_AEAD_CTX), one keyed context for both directions, one call per
// frame (no IV reset, no separate AAD/update/final/tag calls). On a failure BoringSSL zero-fills out.
template <std::size_t KeyBytes>
struct GcmEngine {
  static constexpr std::string_view backend = "boringssl";
  static const EVP_AEAD* algorithm() noexcept {
    return KeyBytes == 16 ? EVP_aead_aes_128_gcm() : EVP_aead_aes_256_gcm();
  }
  EVP_AEAD_CTX* ctx = nullptr;

  [[nodiscard]] bool keyed() const noexcept { return ctx != nullptr; }
  [[nodiscard]] Errc init(const std::uint8_t* key) noexcept {
    ctx = EVP_AEAD_CTX_new(algorithm(), key, KeyBytes, 16);
    return ctx != nullptr ? Errc::ok : Errc::internal_error;
  }
  void release() noexcept {
    if (ctx != nullptr) EVP_AEAD_CTX_free(ctx);  // cleanup, then BoringSSL's zeroising free
    ctx = nullptr;
  }
  [[nodiscard]] Errc seal(std::uint8_t* out, BytesIn plaintext, BytesIn aad,
                          const std::uint8_t* nonce) noexcept {
    std::size_t len = 0;
    if (EVP_AEAD_CTX_seal(ctx, out, &len, plaintext.size() + 16, nonce, 12, in_ptr(plaintext),
                          plaintext.size(), in_ptr(aad), aad.size()) != 1 ||
        len != plaintext.size() + 16) {
      ERR_clear_error();
      return Errc::internal_error;
    }
    return Errc::ok;
  }
  // The arguments are checked, so a failure is the tag's (BoringSSL does not tell them apart by
  // return value; its error queue says CIPHER_R_BAD_DECRYPT, cleared here).
  [[nodiscard]] Errc open(std::uint8_t* out, BytesIn ciphertext_and_tag, BytesIn aad,
                          const std::uint8_t* nonce) noexcept {
    const std::size_t n = ciphertext_and_tag.size() - 16;
    std::size_t len = 0;
    if (EVP_AEAD_CTX_open(ctx, out, &len, n, nonce, 12, ciphertext_and_tag.data(), ciphertext_and_tag.size(),
                          in_ptr(aad), aad.size()) != 1 ||
        len != n) {
      ERR_clear_error();
      return Errc::auth_failed;
    }
    return Errc::ok;
  }
};
#else
// OpenSSL 3: EVP_CIPHER_CTX, one keyed context for sealing and one for opening; per frame the IV is
// set, then AAD, data, final and the tag.
template <std::size_t KeyBytes>
struct GcmEngine {
  static constexpr std::string_view backend = "openssl";
  static const EVP_CIPHER* algorithm() noexcept {
    return KeyBytes == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  }
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;

  [[nodiscard]] bool keyed() const noexcept { return enc != nullptr; }
  [[nodiscard]] Errc init(const std::uint8_t* key) noexcept {
    enc = EVP_CIPHER_CTX_new();
    dec = EVP_CIPHER_CTX_new();
    if (enc == nullptr || dec == nullptr) return Errc::internal_error;
    // Cipher first, then the IV length, then the key: the order EVP requires for a non-default IV
    // length (12 is GCM's default, set anyway so the contract does not rest on a default).
    if (EVP_EncryptInit_ex(enc, algorithm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_DecryptInit_ex(dec, algorithm(), nullptr, nullptr, nullptr) != 1) {
      return Errc::backend_unavailable;
    }
    if (EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_EncryptInit_ex(enc, nullptr, nullptr, key, nullptr) != 1 ||
        EVP_DecryptInit_ex(dec, nullptr, nullptr, key, nullptr) != 1) {
      return Errc::internal_error;
    }
    return Errc::ok;
  }
  void release() noexcept {
    if (enc != nullptr) EVP_CIPHER_CTX_free(enc);  // frees and cleanses the key schedule
    if (dec != nullptr) EVP_CIPHER_CTX_free(dec);
    enc = dec = nullptr;
  }
  [[nodiscard]] Errc seal(std::uint8_t* out, BytesIn plaintext, BytesIn aad,
                          const std::uint8_t* nonce) noexcept {
    const std::size_t n = plaintext.size();
    int len = 0;
    std::uint8_t fin[16];
    if (EVP_EncryptInit_ex(enc, nullptr, nullptr, nullptr, nonce) != 1) return Errc::internal_error;
    if (!aad.empty() && EVP_EncryptUpdate(enc, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
      return Errc::internal_error;
    if (n != 0 && EVP_EncryptUpdate(enc, out, &len, plaintext.data(), static_cast<int>(n)) != 1)
      return Errc::internal_error;
    if (EVP_EncryptFinal_ex(enc, fin, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_GET_TAG, 16, out + n) != 1)
      return Errc::internal_error;
    return Errc::ok;
  }
  [[nodiscard]] Errc open(std::uint8_t* out, BytesIn ciphertext_and_tag, BytesIn aad,
                          const std::uint8_t* nonce) noexcept {
    const std::size_t n = ciphertext_and_tag.size() - 16;
    // Copy the tag first: in place, nothing overwrites it (out gets n bytes), but SET_TAG wants a
    // mutable pointer and a copy keeps the input strictly read-only.
    std::array<std::uint8_t, 16> tag;
    std::memcpy(tag.data(), ciphertext_and_tag.data() + n, tag.size());
    int len = 0;
    std::uint8_t fin[16];
    bool ok = EVP_DecryptInit_ex(dec, nullptr, nullptr, nullptr, nonce) == 1;
    if (ok && !aad.empty())
      ok = EVP_DecryptUpdate(dec, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
    if (ok && n != 0)
      ok = EVP_DecryptUpdate(dec, out, &len, ciphertext_and_tag.data(), static_cast<int>(n)) == 1;
    if (ok) ok = EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1;
    if (!ok) return Errc::internal_error;
    return EVP_DecryptFinal_ex(dec, fin, &len) > 0 ? Errc::ok : Errc::auth_failed;
  }
};
#endif  // OPENSSL_IS_BORINGSSL
}  // namespace detail

// AES-GCM on whichever library <openssl/evp.h> is: the checks, the move-only ownership and the
// wiping of a failed open are written once here, the library calls in detail::GcmEngine.
template <std::size_t KeyBytes>
class AesGcm {
  static_assert(KeyBytes == 16 || KeyBytes == 32, "AES-128-GCM or AES-256-GCM");
  using Engine = detail::GcmEngine<KeyBytes>;

 public:
  static constexpr std::size_t key_bytes = KeyBytes;
  static constexpr std::size_t nonce_bytes = 12;
  static constexpr std::size_t tag_bytes = 16;
  static constexpr std::string_view name = KeyBytes == 16 ? "aes128gcm" : "aes256gcm";
  static constexpr std::string_view backend = Engine::backend;
  static constexpr bool failed_open_keeps_input = false;

  [[nodiscard]] static bool available() noexcept { return Engine::algorithm() != nullptr; }

  [[nodiscard]] static Result<AesGcm> create(std::span<const std::uint8_t, key_bytes> key) noexcept {
    if (!available()) return Errc::backend_unavailable;
    AesGcm c;
    if (const Errc e = c.engine_.init(key.data()); e != Errc::ok) return e;  // c's destructor frees
    return c;
  }

  AesGcm(AesGcm&& o) noexcept : engine_(std::exchange(o.engine_, Engine{})) {}
  AesGcm& operator=(AesGcm&& o) noexcept {
    if (this != &o) {
      engine_.release();
      engine_ = std::exchange(o.engine_, Engine{});
    }
    return *this;
  }
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;
  ~AesGcm() { engine_.release(); }

  Result<BytesOut> seal(BytesOut out, BytesIn plaintext, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) noexcept {
    if (!engine_.keyed()) return Errc::invalid_argument;
    if (const Errc e = frameseal::detail::check_seal_args(plaintext, out, tag_bytes); e != Errc::ok) return e;
    if (plaintext.size() > detail::max_evp_len || aad.size() > detail::max_evp_len)
      return Errc::invalid_argument;
    if (const Errc e = engine_.seal(out.data(), plaintext, aad, nonce.data()); e != Errc::ok) return e;
    return out.first(plaintext.size() + tag_bytes);
  }

  // GCM decrypts before it can check the tag: a failed open wipes the plaintext region of out.
  Result<BytesOut> open(BytesOut out, BytesIn ciphertext_and_tag, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) noexcept {
    if (!engine_.keyed()) return Errc::invalid_argument;
    if (const Errc e = frameseal::detail::check_open_args(ciphertext_and_tag, out, tag_bytes); e != Errc::ok)
      return e;
    if (ciphertext_and_tag.size() > detail::max_evp_len || aad.size() > detail::max_evp_len)
      return Errc::invalid_argument;
    const std::size_t n = ciphertext_and_tag.size() - tag_bytes;
    if (const Errc e = engine_.open(out.data(), ciphertext_and_tag, aad, nonce.data()); e != Errc::ok) {
      frameseal::detail::wipe_failed_open(out, n);
      return e;
    }
    return out.first(n);
  }

 private:
  AesGcm() noexcept = default;
  Engine engine_{};
};

using Aes128Gcm = AesGcm<16>;
using Aes256Gcm = AesGcm<32>;

// ---------------------------------------------------------------------------------------------
// AES-CTR + HMAC (RFC 9605 §4.5.1)
// ---------------------------------------------------------------------------------------------

// Hash selectors for AesCtrHmac (OpenSSL EVP digests; the SFrame key schedule's hashes are
// sframe::Sha256 / sframe::Sha512, suite.hpp).
struct EvpSha256 {
  static constexpr std::size_t digest_bytes = 32;
  static constexpr std::size_t block_bytes = 64;
  static constexpr std::string_view name = "sha256";
  static const EVP_MD* md() noexcept { return EVP_sha256(); }
};
struct EvpSha512 {
  static constexpr std::size_t digest_bytes = 64;
  static constexpr std::size_t block_bytes = 128;
  static constexpr std::string_view name = "sha512";
  static const EVP_MD* md() noexcept { return EVP_sha512(); }
};

namespace detail {
template <std::size_t EncKeyBytes, class Hash, std::size_t TagBytes>
constexpr std::string_view ctr_hmac_name() noexcept {
  constexpr bool sha256 = std::is_same_v<Hash, EvpSha256>;
  if constexpr (EncKeyBytes == 16 && sha256) {
    if constexpr (TagBytes == 10)
      return "aes_128_ctr_hmac_sha256_80";
    else if constexpr (TagBytes == 8)
      return "aes_128_ctr_hmac_sha256_64";
    else if constexpr (TagBytes == 4)
      return "aes_128_ctr_hmac_sha256_32";
    else
      return "aes_128_ctr_hmac_sha256";
  } else if constexpr (EncKeyBytes == 32 && !sha256) {
    if constexpr (TagBytes == 10)
      return "aes_256_ctr_hmac_sha512_80";
    else if constexpr (TagBytes == 8)
      return "aes_256_ctr_hmac_sha512_64";
    else if constexpr (TagBytes == 4)
      return "aes_256_ctr_hmac_sha512_32";
    else
      return "aes_256_ctr_hmac_sha512";
  } else {
    return "aes_ctr_hmac";
  }
}
}  // namespace detail

// The SFrame composite AEAD. key = enc_key (EncKeyBytes) || auth_key (Hash::digest_bytes);
// CTR initial block = nonce || 00000000; tag = the first TagBytes bytes of
// HMAC(auth_key, u64be(|aad|) || u64be(|ct|) || u64be(TagBytes) || nonce || aad || ct).
template <std::size_t EncKeyBytes, class Hash, std::size_t TagBytes>
class AesCtrHmac {
  static_assert(EncKeyBytes == 16 || EncKeyBytes == 32, "AES-128 or AES-256");
  static_assert(TagBytes >= 4 && TagBytes <= Hash::digest_bytes, "tag length");
  static_assert(Hash::digest_bytes <= Hash::block_bytes, "the auth key fits one HMAC block unhashed");

 public:
  static constexpr std::size_t enc_key_bytes = EncKeyBytes;
  static constexpr std::size_t auth_key_bytes = Hash::digest_bytes;
  static constexpr std::size_t key_bytes = EncKeyBytes + Hash::digest_bytes;
  static constexpr std::size_t nonce_bytes = 12;
  static constexpr std::size_t tag_bytes = TagBytes;
  static constexpr std::string_view name = detail::ctr_hmac_name<EncKeyBytes, Hash, TagBytes>();
  static constexpr std::string_view backend = "openssl";
  static constexpr bool failed_open_keeps_input = true;

  [[nodiscard]] static bool available() noexcept { return cipher() != nullptr && Hash::md() != nullptr; }

  [[nodiscard]] static Result<AesCtrHmac> create(std::span<const std::uint8_t, key_bytes> key) noexcept {
    if (!available()) return Errc::backend_unavailable;
    AesCtrHmac c;
    c.ctr_ = EVP_CIPHER_CTX_new();
    c.inner_ = EVP_MD_CTX_new();
    c.outer_ = EVP_MD_CTX_new();
    c.work_ = EVP_MD_CTX_new();
    if (c.ctr_ == nullptr || c.inner_ == nullptr || c.outer_ == nullptr || c.work_ == nullptr) {
      return Errc::internal_error;
    }
    if (EVP_EncryptInit_ex(c.ctr_, cipher(), nullptr, key.data(), nullptr) != 1)
      return Errc::backend_unavailable;

    // HMAC's keyed prefix: H((K ^ ipad) || ...) and H((K ^ opad) || ...), absorbed once here so a
    // frame costs a context copy instead of two extra compression calls.
    std::array<std::uint8_t, Hash::block_bytes> ipad;
    std::array<std::uint8_t, Hash::block_bytes> opad;
    ipad.fill(0x36);
    opad.fill(0x5c);
    for (std::size_t i = 0; i < auth_key_bytes; ++i) {
      ipad[i] ^= key[EncKeyBytes + i];
      opad[i] ^= key[EncKeyBytes + i];
    }
    const bool ok = EVP_DigestInit_ex(c.inner_, Hash::md(), nullptr) == 1 &&
                    EVP_DigestUpdate(c.inner_, ipad.data(), ipad.size()) == 1 &&
                    EVP_DigestInit_ex(c.outer_, Hash::md(), nullptr) == 1 &&
                    EVP_DigestUpdate(c.outer_, opad.data(), opad.size()) == 1;
    OPENSSL_cleanse(ipad.data(), ipad.size());
    OPENSSL_cleanse(opad.data(), opad.size());
    if (!ok) return Errc::internal_error;
    return c;
  }

  AesCtrHmac(AesCtrHmac&& o) noexcept
      : ctr_(std::exchange(o.ctr_, nullptr)),
        inner_(std::exchange(o.inner_, nullptr)),
        outer_(std::exchange(o.outer_, nullptr)),
        work_(std::exchange(o.work_, nullptr)) {}
  AesCtrHmac& operator=(AesCtrHmac&& o) noexcept {
    if (this != &o) {
      reset();
      ctr_ = std::exchange(o.ctr_, nullptr);
      inner_ = std::exchange(o.inner_, nullptr);
      outer_ = std::exchange(o.outer_, nullptr);
      work_ = std::exchange(o.work_, nullptr);
    }
    return *this;
  }
  AesCtrHmac(const AesCtrHmac&) = delete;
  AesCtrHmac& operator=(const AesCtrHmac&) = delete;
  ~AesCtrHmac() { reset(); }

  // Encrypt, then MAC the ciphertext.
  Result<BytesOut> seal(BytesOut out, BytesIn plaintext, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) noexcept {
    if (ctr_ == nullptr) return Errc::invalid_argument;
    if (const Errc e = frameseal::detail::check_seal_args(plaintext, out, tag_bytes); e != Errc::ok) return e;
    if (plaintext.size() > detail::max_evp_len) return Errc::invalid_argument;
    const std::size_t n = plaintext.size();
    std::array<std::uint8_t, Hash::digest_bytes> mac;
    if (!ctr_xor(out.data(), plaintext, nonce) || !compute_mac(mac, nonce, aad, BytesIn(out.data(), n))) {
      return Errc::internal_error;
    }
    std::memcpy(out.data() + n, mac.data(), tag_bytes);
    return out.first(n + tag_bytes);
  }

  // MAC check first (constant time), decrypt only an authentic ciphertext.
  Result<BytesOut> open(BytesOut out, BytesIn ciphertext_and_tag, BytesIn aad,
                        std::span<const std::uint8_t, nonce_bytes> nonce) noexcept {
    if (ctr_ == nullptr) return Errc::invalid_argument;
    if (const Errc e = frameseal::detail::check_open_args(ciphertext_and_tag, out, tag_bytes);
        e != Errc::ok) {
      return e;
    }
    if (ciphertext_and_tag.size() > detail::max_evp_len) return Errc::invalid_argument;
    const std::size_t n = ciphertext_and_tag.size() - tag_bytes;
    const BytesIn ct = ciphertext_and_tag.first(n);
    const bool in_place = out.data() == ciphertext_and_tag.data();
    std::array<std::uint8_t, Hash::digest_bytes> mac;
    if (!compute_mac(mac, nonce, aad, ct)) {
      if (!in_place) frameseal::detail::wipe_failed_open(out, n);
      return Errc::internal_error;
    }
    if (!ct_equal(BytesIn(mac.data(), tag_bytes), ciphertext_and_tag.subspan(n))) {
      // Nothing was decrypted: in place the ciphertext is still there; a separate out is zeroed so
      // it never holds stale plaintext from an earlier frame that a careless caller might use.
      if (!in_place) frameseal::detail::wipe_failed_open(out, n);
      return Errc::auth_failed;
    }
    if (!ctr_xor(out.data(), ct, nonce)) {
      frameseal::detail::wipe_failed_open(out, n);
      return Errc::internal_error;
    }
    return out.first(n);
  }

 private:
  AesCtrHmac() noexcept = default;
  static const EVP_CIPHER* cipher() noexcept {
    return EncKeyBytes == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
  }

  // out = in XOR AES-CTR keystream from the block nonce || 0^32 (OpenSSL's CTR counter is the whole
  // 128-bit block, big-endian; an INT_MAX-byte input uses < 2^27 blocks, so it never carries into
  // the nonce).
  bool ctr_xor(std::uint8_t* out, BytesIn in, std::span<const std::uint8_t, nonce_bytes> nonce) noexcept {
    std::array<std::uint8_t, 16> iv{};
    std::memcpy(iv.data(), nonce.data(), nonce_bytes);
    if (EVP_EncryptInit_ex(ctr_, nullptr, nullptr, nullptr, iv.data()) != 1) return false;
    if (in.empty()) return true;
    int len = 0;
    return EVP_EncryptUpdate(ctr_, out, &len, in.data(), static_cast<int>(in.size())) == 1;
  }

  bool compute_mac(std::array<std::uint8_t, Hash::digest_bytes>& mac,
                   std::span<const std::uint8_t, nonce_bytes> nonce, BytesIn aad, BytesIn ct) noexcept {
    std::uint8_t lengths[24];
    store_be64(lengths, static_cast<std::uint64_t>(aad.size()));
    store_be64(lengths + 8, static_cast<std::uint64_t>(ct.size()));
    store_be64(lengths + 16, static_cast<std::uint64_t>(tag_bytes));
    std::array<std::uint8_t, Hash::digest_bytes> inner;
    unsigned int len = 0;
    bool ok = EVP_MD_CTX_copy_ex(work_, inner_) == 1 &&
              EVP_DigestUpdate(work_, lengths, sizeof lengths) == 1 &&
              EVP_DigestUpdate(work_, nonce.data(), nonce.size()) == 1 &&
              EVP_DigestUpdate(work_, detail::in_ptr(aad), aad.size()) == 1 &&
              EVP_DigestUpdate(work_, detail::in_ptr(ct), ct.size()) == 1 &&
              EVP_DigestFinal_ex(work_, inner.data(), &len) == 1;
    ok = ok && EVP_MD_CTX_copy_ex(work_, outer_) == 1 &&
         EVP_DigestUpdate(work_, inner.data(), inner.size()) == 1 &&
         EVP_DigestFinal_ex(work_, mac.data(), &len) == 1;
    OPENSSL_cleanse(inner.data(), inner.size());
    return ok;
  }

  void reset() noexcept {
    if (ctr_ != nullptr) EVP_CIPHER_CTX_free(ctr_);
    if (inner_ != nullptr) EVP_MD_CTX_free(inner_);  // the keyed hash states are cleansed on free
    if (outer_ != nullptr) EVP_MD_CTX_free(outer_);
    if (work_ != nullptr) EVP_MD_CTX_free(work_);
    ctr_ = nullptr;
    inner_ = outer_ = work_ = nullptr;
  }

  EVP_CIPHER_CTX* ctr_ = nullptr;
  EVP_MD_CTX* inner_ = nullptr;
  EVP_MD_CTX* outer_ = nullptr;
  EVP_MD_CTX* work_ = nullptr;
};

using AesCtr128HmacSha256_80 = AesCtrHmac<16, EvpSha256, 10>;  // SFrame 0x0001
using AesCtr128HmacSha256_64 = AesCtrHmac<16, EvpSha256, 8>;   // SFrame 0x0002
using AesCtr128HmacSha256_32 = AesCtrHmac<16, EvpSha256, 4>;   // SFrame 0x0003
using AesCtr256HmacSha512_80 = AesCtrHmac<32, EvpSha512, 10>;  // SFrame 0x0006 (post-RFC)
using AesCtr256HmacSha512_64 = AesCtrHmac<32, EvpSha512, 8>;   // SFrame 0x0007 (post-RFC)
using AesCtr256HmacSha512_32 = AesCtrHmac<32, EvpSha512, 4>;   // SFrame 0x0008 (post-RFC)

static_assert(Cipher<Aes128Gcm>);
static_assert(Cipher<Aes256Gcm>);
static_assert(Cipher<AesCtr128HmacSha256_80>);
static_assert(Cipher<AesCtr256HmacSha512_32>);

// ---------------------------------------------------------------------------------------------
// PBKDF2-HMAC-SHA256 and the LiveKit policies on it
// ---------------------------------------------------------------------------------------------

// Same signature and bytes as frameseal::pbkdf2_hmac_sha256 (kdf.hpp), so it plugs into
// LivekitKdf::pbkdf2. iterations == 0 and lengths above INT_MAX are Errc::invalid_argument; out must
// not overlap salt.
inline Errc pbkdf2_hmac_sha256(BytesIn password, BytesIn salt, std::uint32_t iterations,
                               BytesOut out) noexcept {
  if (iterations == 0 || iterations > static_cast<std::uint32_t>(INT_MAX)) return Errc::invalid_argument;
  if (password.size() > detail::max_evp_len || salt.size() > detail::max_evp_len ||
      out.size() > detail::max_evp_len || frameseal::detail::overlaps_any(salt, out)) {
    return Errc::invalid_argument;
  }
  if (out.empty()) return Errc::ok;
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(detail::in_ptr(password)),
                        static_cast<int>(password.size()), detail::in_ptr(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Errc::internal_error;
  }
  return Errc::ok;
}

// LiveKit's PBKDF2 mode (kdf.hpp) on OpenSSL.
using Pbkdf2 = frameseal::BasicPbkdf2<&pbkdf2_hmac_sha256>;

// A LivekitKdf (kdf.hpp) whose PBKDF2 mode runs on OpenSSL.
[[nodiscard]] inline LivekitKdf livekit_kdf(KdfAlgorithm algorithm) noexcept {
  LivekitKdf k;
  k.algorithm = algorithm;
  k.pbkdf2 = &pbkdf2_hmac_sha256;
  return k;
}

}  // namespace openssl
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
