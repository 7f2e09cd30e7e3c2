// frameseal/secret.hpp: wiping containers for keys and key material.
//
// SecretBytes<N> (fixed size, inline storage) and SecretBuffer (any length, heap) are move-only.
// Their bytes are wiped with sodium_memzero when they are destroyed, when they are moved from, and
// before they are overwritten. Copies must be explicit (clone()), so a key never spreads through
// the program by accident. Compare secrets with ct_equal (sodium_memcmp), never with ==.
// Allocation happens only when material is installed (a configuration call), never per frame; an
// allocation failure is reported as Errc::internal_error, not thrown.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "bytes.hpp"
#include "error.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

template <std::size_t N>
class SecretBytes {
 public:
  static constexpr std::size_t size_bytes = N;

  SecretBytes() noexcept { bytes_.fill(0); }
  explicit SecretBytes(BytesIn src) noexcept {
    bytes_.fill(0);
    std::memcpy(bytes_.data(), src.data(), src.size() < N ? src.size() : N);
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept {
    std::memcpy(bytes_.data(), o.bytes_.data(), N);
    o.wipe();
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      std::memcpy(bytes_.data(), o.bytes_.data(), N);
      o.wipe();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  [[nodiscard]] SecretBytes clone() const noexcept { return SecretBytes(view()); }
  void wipe() noexcept { sodium_memzero(bytes_.data(), N); }

  [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }
  [[nodiscard]] std::uint8_t* data() noexcept { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }
  [[nodiscard]] std::span<const std::uint8_t, N> view() const noexcept {
    return std::span<const std::uint8_t, N>(bytes_);
  }
  [[nodiscard]] std::span<std::uint8_t, N> mutable_view() noexcept {
    return std::span<std::uint8_t, N>(bytes_);
  }

 private:
  std::array<std::uint8_t, N> bytes_;
};

// Variable-length secret (LiveKit key material may have any length > 0; a passphrase is its UTF-8
// bytes). Empty means "no material".
class SecretBuffer {
 public:
  SecretBuffer() noexcept = default;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  SecretBuffer(SecretBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  SecretBuffer& operator=(SecretBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~SecretBuffer() { release(); }

  // A wiped buffer of n bytes, or Errc::internal_error when memory is exhausted.
  [[nodiscard]] static Result<SecretBuffer> allocate(std::size_t n) noexcept {
    SecretBuffer b;
    if (n == 0) return b;
    b.data_ = new (std::nothrow) std::uint8_t[n];
    if (b.data_ == nullptr) return Errc::internal_error;
    b.size_ = n;
    std::memset(b.data_, 0, n);
    return b;
  }
  // A copy of src (which may be empty).
  [[nodiscard]] static Result<SecretBuffer> copy_of(BytesIn src) noexcept {
    auto b = allocate(src.size());
    if (b && !src.empty()) std::memcpy(b->data_, src.data(), src.size());
    return b;
  }
  [[nodiscard]] Result<SecretBuffer> clone() const noexcept { return copy_of(view()); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::uint8_t* data() noexcept { return data_; }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_; }
  [[nodiscard]] BytesIn view() const noexcept { return {data_, size_}; }
  [[nodiscard]] BytesOut mutable_view() noexcept { return {data_, size_}; }

  // Wipes and frees the bytes; the buffer becomes empty.
  void release() noexcept {
    if (data_ != nullptr) {
      sodium_memzero(data_, size_);
      delete[] data_;
    }
    data_ = nullptr;
    size_ = 0;
  }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
