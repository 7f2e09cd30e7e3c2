// alloc_counter.hpp: counts operator new calls on the current thread, for the session tests that
// prove their frame path does not allocate (tests/unit-alloc.cpp is the full version: malloc too,
// every format). Include it in exactly one .cpp of a test program: it replaces the global
// operator new/delete.
//
//   g_counting = true;  ...frames...;  g_counting = false;  CHECK(g_allocations == 0);
//
// Under ThreadSanitizer the replacement is left out (clang's TSan runtime defines operator new
// itself, and the link would fail): those builds check threading, and g_allocations stays 0. The
// gcc (ASan) and clang builds of tools/test run the counting.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_THREAD__)
#  define FSTEST_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define FSTEST_COUNTS_ALLOCATIONS 0
#  endif
#endif
#if !defined(FSTEST_COUNTS_ALLOCATIONS)
#  define FSTEST_COUNTS_ALLOCATIONS 1
#endif

namespace {
thread_local bool g_counting = false;
thread_local std::size_t g_allocations = 0;
}  // namespace

#if FSTEST_COUNTS_ALLOCATIONS
namespace {
void* counted_malloc(std::size_t n) noexcept {
  if (g_counting) ++g_allocations;
  return std::malloc(n != 0 ? n : 1);
}
}  // namespace

// noinline: GCC would otherwise see malloc/free paired with new/delete and warn, although the pairing
// is consistent (every replaced new uses malloc, every replaced delete uses free).
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#endif
