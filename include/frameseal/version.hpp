// frameseal/version.hpp: version macros, the inline ABI namespace and the C++20 guard.
//
// Every frameseal symbol lives in frameseal::FRAMESEAL_ABI_NAMESPACE (an inline namespace named after
// the version), so two copies of different versions linked into one program cannot silently mix.
#pragma once

#if defined(_MSVC_LANG)
#  define FRAMESEAL_CPLUSPLUS _MSVC_LANG
#else
#  define FRAMESEAL_CPLUSPLUS __cplusplus
#endif
#if FRAMESEAL_CPLUSPLUS < 202002L
#  error "frameseal needs C++20 (compile with -std=c++20 or later)"
#endif

// The version's one source is the file VERSION at the top of the tree (meson and CMake read it);
// these lines must say the same, which the meta test `version-consistent` checks.
#define FRAMESEAL_VERSION_MAJOR 0
#define FRAMESEAL_VERSION_MINOR 2
#define FRAMESEAL_VERSION_PATCH 0
#define FRAMESEAL_VERSION_STRING "0.2.0"
#define FRAMESEAL_ABI_NAMESPACE v0_2_0

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
inline constexpr int version_major = FRAMESEAL_VERSION_MAJOR;
inline constexpr int version_minor = FRAMESEAL_VERSION_MINOR;
inline constexpr int version_patch = FRAMESEAL_VERSION_PATCH;
inline constexpr const char* version_string = FRAMESEAL_VERSION_STRING;
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
