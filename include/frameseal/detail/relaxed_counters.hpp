// frameseal/detail/relaxed_counters.hpp: statistics written on the frame path and read from any
// thread, each field declared once.
//
// RelaxedCounters<S> holds an instance of the public snapshot struct S (plain integer and enum
// fields) and reaches each field through std::atomic_ref with relaxed ordering: writers add or set
// one field without a lock, snapshot() copies every field listed in counter_fields<S>. The fields
// are independent: a snapshot is not a consistent cut across them (two fields may be one frame
// apart), which is what counters for monitoring need and all that is promised. No allocation, no
// lock, nothing throws.
//
// A struct becomes countable by specialising counter_fields<S> beside it, as a std::tuple of
// member pointers; a field missing from the tuple reads as its default in every snapshot.
#pragma once

#include <atomic>
#include <tuple>
#include <type_traits>

#include "../version.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace detail {

template <class S>
inline constexpr auto counter_fields = std::tuple<>{};

template <class S>
class RelaxedCounters {
  static_assert(std::is_trivially_copyable_v<S>, "counters are plain fields");

 public:
  template <class T>
  void add(T S::*field, T n = 1) noexcept {
    static_assert(std::is_integral_v<T>);
    std::atomic_ref<T>(v_.*field).fetch_add(n, std::memory_order_relaxed);
  }
  template <class T>
  void set(T S::*field, T value) noexcept {
    std::atomic_ref<T>(v_.*field).store(value, std::memory_order_relaxed);
  }
  template <class T>
  [[nodiscard]] T get(T S::*field) const noexcept {
    return std::atomic_ref<T>(v_.*field).load(std::memory_order_relaxed);
  }
  [[nodiscard]] S snapshot() const noexcept {
    S s{};
    std::apply([&](auto... f) { ((s.*f = get(f)), ...); }, counter_fields<S>);
    return s;
  }

 private:
  mutable S v_{};  // mutable: C++20's atomic_ref needs a non-const object, also for a load
};

}  // namespace detail
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
