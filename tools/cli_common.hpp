// Shared pieces of the frameseal CLI: hex, the option parser (Args), errors, and the runtime choice
// of cipher and suite (the library is templated; the CLI picks the instantiation per run).
#pragma once

#include <frameseal/frameseal.hpp>
#include <sodium.h>
#include <frameseal/ciphers/openssl.hpp>
#include <frameseal/sframe/openssl_suites.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

using Bytes = std::vector<std::uint8_t>;
namespace fs = frameseal;

// An allocator that wipes (sodium_memzero) every block before it is freed, so key bytes do not stay
// in freed heap memory: not when the vector is destroyed, and not when it grows and moves.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    sodium_memzero(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  friend bool operator==(const WipingAllocator&, const WipingAllocator&) noexcept { return true; }
};
// Key material in the CLI: wiped when freed (see WipingAllocator).
using SecretVec = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "frameseal: %s\n", msg.c_str());
  std::exit(2);
}

// Overwrites a secret argv string in place (so ps and /proc/PID/cmdline no longer show it).
inline void scrub_arg(char* s) noexcept {
  if (s) sodium_memzero(s, std::strlen(s));
}

template <class V = Bytes>
inline std::optional<V> parse_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  V out(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return std::nullopt;
    out[i / 2] = static_cast<std::uint8_t>(out[i / 2] << 4 | v);
  }
  return out;
}

inline std::string to_hex(fs::BytesIn b) {
  static constexpr char d[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (auto x : b) {
    s.push_back(d[x >> 4]);
    s.push_back(d[x & 15]);
  }
  return s;
}

// A short fingerprint of a secret for logs: the first 8 hex digits of SHA-256(secret). Never the key.
inline std::string fingerprint(fs::BytesIn secret) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, secret.data(), secret.size());
  return to_hex(fs::BytesIn(h, 4));
}

inline std::uint64_t parse_uint(std::string_view what, std::string_view s, std::uint64_t max) {
  if (s.empty()) die(std::string(what) + ": expected a number");
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') die(std::string(what) + ": not a decimal number: " + std::string(s));
    if (v > (max - static_cast<std::uint64_t>(c - '0')) / 10)
      die(std::string(what) + ": out of range: " + std::string(s));
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

enum class CipherId { aes128gcm, aes256gcm, chacha20poly1305 };

inline CipherId parse_cipher(std::string_view s) {
  if (s == "aes128gcm") return CipherId::aes128gcm;
  if (s == "aes256gcm") return CipherId::aes256gcm;
  if (s == "chacha20poly1305") return CipherId::chacha20poly1305;
  die("--cipher: expected aes128gcm, aes256gcm or chacha20poly1305, got " + std::string(s));
}

// Calls f.template operator()<C>() with the cipher type named by id. AES-256-GCM prefers libsodium
// (AES-NI) and falls back to OpenSSL where libsodium cannot run it.
template <class F>
decltype(auto) with_cipher(CipherId id, F&& f) {
  switch (id) {
    case CipherId::aes128gcm:
      return f.template operator()<fs::openssl::Aes128Gcm>();
    case CipherId::aes256gcm:
      if (fs::sodium::Aes256Gcm::available()) return f.template operator()<fs::sodium::Aes256Gcm>();
      return f.template operator()<fs::openssl::Aes256Gcm>();
    case CipherId::chacha20poly1305:
      break;
  }
  return f.template operator()<fs::sodium::ChaCha20Poly1305>();
}

// Calls f.template operator()<S>() with the SFrame suite of the cipher: aes128gcm = suite 4
// (AES_128_GCM_SHA256_128), aes256gcm = suite 5 (AES_256_GCM_SHA512_128; libsodium where it runs,
// else OpenSSL). ChaCha20-Poly1305 has no RFC 9605 suite: callers refuse it before (sframe_cipher_error).
template <class F>
decltype(auto) with_suite(CipherId id, F&& f) {
  if (id == CipherId::aes256gcm) {
    if (fs::sodium::Aes256Gcm::available()) return f.template operator()<fs::sframe::Suite5>();
    return f.template operator()<fs::sframe::Suite5Openssl>();
  }
  return f.template operator()<fs::sframe::Suite4>();
}

inline const char* sframe_cipher_error =
    "--format sframe: RFC 9605 registers no ChaCha20-Poly1305 suite; use aes128gcm (suite 4) or aes256gcm "
    "(suite 5)";

// The one option parser of every command: a cursor over argv. A command loops
//   while (args.more()) { const std::string a = args.next(); if (parse_key_option(key, args, a)) continue;
//   ... }
// and takes an option's value with args.value(a) (a char* so a secret can be overwritten in place).
class Args {
 public:
  Args(int argc, char** argv) noexcept : argc_(argc), argv_(argv) {}
  [[nodiscard]] bool more() const noexcept { return i_ < argc_; }
  // The next argument, an option or an operand.
  std::string next() { return argv_[i_++]; }
  // The value of `option`, the argument after it; exits 2 with "OPTION needs a value" if none.
  char* value(std::string_view option) {
    if (i_ >= argc_) die(std::string(option) + " needs a value");
    return argv_[i_++];
  }
  // The index in argv of the argument next() returned last (for "argument N" in messages).
  [[nodiscard]] int last_index() const noexcept { return i_ - 1; }
  // Whether `option` appears anywhere in argv (before the loop reads it).
  [[nodiscard]] bool given(std::string_view option) const noexcept {
    for (int k = 0; k < argc_; ++k)
      if (option == argv_[k]) return true;
    return false;
  }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
};

}  // namespace cli
