// frameseal/error.hpp: the error model.
//
// frameseal never throws. Every call that can fail returns an Errc or a Result<T>, both
// [[nodiscard]]. Configuration calls (set_key, options) report bad arguments as
// Errc::invalid_argument instead of throwing, so the whole library compiles with -fno-exceptions.
// All authentication failures are the single Errc::auth_failed: callers cannot tell a bad tag from
// a bad key from a bad IV, which is what an attacker would like to learn.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

enum class [[nodiscard]] Errc : std::uint8_t{
    ok = 0,
    invalid_argument,     // a parameter is out of range (empty key material, ring size 0, ...)
    buffer_too_small,     // the output span cannot hold the result; nothing was written
    malformed_frame,      // the frame cannot be parsed (too short, bad trailer, bad IV length)
    missing_key,          // no key at the frame's key index (or none to encrypt with)
    key_invalid,          // the key at that index failed too often and is disabled (failure tolerance)
    auth_failed,          // the frame did not authenticate under any key tried
    unsupported_codec,    // the codec has no safe clear-header rule (AV1, unknown)
    sif_rejected,         // ends with the SIF trailer but the payload is not an allowed blank frame
    counter_exhausted,    // the IV counter would wrap under this key: install a new key
    backend_unavailable,  // the crypto backend cannot run here (e.g. AES-GCM without AES-NI)
    replay,               // the frame's counter was already seen (SFrame replay window)
    internal_error,       // a backend call failed unexpectedly
    kdf_mismatch,         // opt-in check: the frame authenticates under the other KDF (HKDF vs PBKDF2) than
                          // the one configured: the sender derives differently (KeyRingOptions)
    salt_mismatch,        // opt-in check: the frame authenticates under LiveKit's default ratchet salt, not
                          // the custom one configured (KeyRingOptions::detect_kdf_mismatch)
};

[[nodiscard]] constexpr std::string_view to_string(Errc e) noexcept {
  switch (e) {
    case Errc::ok:
      return "ok";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::buffer_too_small:
      return "buffer_too_small";
    case Errc::malformed_frame:
      return "malformed_frame";
    case Errc::missing_key:
      return "missing_key";
    case Errc::key_invalid:
      return "key_invalid";
    case Errc::auth_failed:
      return "auth_failed";
    case Errc::unsupported_codec:
      return "unsupported_codec";
    case Errc::sif_rejected:
      return "sif_rejected";
    case Errc::counter_exhausted:
      return "counter_exhausted";
    case Errc::backend_unavailable:
      return "backend_unavailable";
    case Errc::replay:
      return "replay";
    case Errc::internal_error:
      return "internal_error";
    case Errc::kdf_mismatch:
      return "kdf_mismatch";
    case Errc::salt_mismatch:
      return "salt_mismatch";
  }
  return "unknown";
}

// Result<T>: a value or an Errc (a small subset of std::expected). value() on an error is a
// programming error and aborts (it never throws).
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

 public:
  using value_type = T;

  Result(const T& v) noexcept(std::is_nothrow_copy_constructible_v<T>) : err_(Errc::ok) {  // NOLINT
    ::new (static_cast<void*>(&storage_.value)) T(v);
  }
  Result(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) : err_(Errc::ok) {  // NOLINT
    ::new (static_cast<void*>(&storage_.value)) T(std::move(v));
  }
  Result(Errc e) noexcept : err_(e == Errc::ok ? Errc::internal_error : e) {  // NOLINT
    // Trivial values (spans, pointers, integers) are zeroed even in an error Result: costs nothing
    // and keeps compilers' "may be used uninitialized" analysis quiet when a Result is reassigned.
    if constexpr (std::is_nothrow_default_constructible_v<T> && std::is_trivially_destructible_v<T>)
      ::new (static_cast<void*>(&storage_.value)) T();
  }

  Result(const Result& o) noexcept(
      std::is_nothrow_copy_constructible_v<T>) requires std::is_copy_constructible_v<T> : err_(o.err_) {
    if (has_value()) ::new (static_cast<void*>(&storage_.value)) T(o.storage_.value);
  }
  Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : err_(o.err_) {
    if (has_value()) ::new (static_cast<void*>(&storage_.value)) T(std::move(o.storage_.value));
  }
  Result& operator=(const Result& o) requires std::is_copy_constructible_v<T> {
    if (this != &o) {
      reset();
      err_ = o.err_;
      if (has_value()) ::new (static_cast<void*>(&storage_.value)) T(o.storage_.value);
    }
    return *this;
  }
  Result& operator=(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      reset();
      err_ = o.err_;
      if (has_value()) ::new (static_cast<void*>(&storage_.value)) T(std::move(o.storage_.value));
    }
    return *this;
  }
  ~Result() { reset(); }

  [[nodiscard]] bool has_value() const noexcept { return err_ == Errc::ok; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] Errc error() const noexcept { return err_; }

  [[nodiscard]] T& value() & noexcept {
    check();
    return storage_.value;
  }
  [[nodiscard]] const T& value() const& noexcept {
    check();
    return storage_.value;
  }
  [[nodiscard]] T&& value() && noexcept {
    check();
    return std::move(storage_.value);
  }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T&& operator*() && noexcept { return std::move(*this).value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? storage_.value : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const noexcept {
    if (!has_value()) std::abort();
  }
  void reset() noexcept {
    if (has_value()) storage_.value.~T();
    err_ = Errc::internal_error;
  }
  union Storage {
    Storage() noexcept {}
    ~Storage() {}
    T value;
  } storage_;
  Errc err_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(Errc e) noexcept : err_(e) {}  // NOLINT
  [[nodiscard]] bool has_value() const noexcept { return err_ == Errc::ok; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] Errc error() const noexcept { return err_; }
  void value() const noexcept {
    if (!has_value()) std::abort();
  }

 private:
  Errc err_ = Errc::ok;
};

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
