// The CLI's key buffers (tools/cli_common.hpp SecretVec, tools/key_options.hpp read_key_file): key
// bytes are wiped before the heap gets their memory back, also when a buffer grows and moves.
#include <cli_common.hpp>
#include <key_options.hpp>

#include <cstdlib>
#include <fstream>
#include <new>

#include "common.hpp"

namespace {
const void* g_watch = nullptr;  // the block whose release is checked
std::size_t g_watch_bytes = 0;
int g_released_zeroed = -1;  // -1: not released yet; 0: released with data; 1: released wiped

void check_release(void* p) noexcept {
  if (p == nullptr || p != g_watch) return;
  const auto* b = static_cast<const unsigned char*>(p);
  bool zero = true;
  for (std::size_t i = 0; i < g_watch_bytes; ++i) zero = zero && b[i] == 0;
  g_released_zeroed = zero ? 1 : 0;
  g_watch = nullptr;
}
void watch(const void* p, std::size_t n) {
  g_watch = p;
  g_watch_bytes = n;
  g_released_zeroed = -1;
}
}  // namespace

// Replaced global allocation functions: they look at a watched block just before it is freed.
void* operator new(std::size_t n) {
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  check_release(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  check_release(p);
  std::free(p);
}

TEST_CASE("SecretVec wipes its block when it is freed, and when it grows") {
  {
    cli::SecretVec v(64, 0xAB);
    watch(v.data(), v.size());
  }
  CHECK(g_released_zeroed == 1);

  cli::SecretVec g(16, 0xCD);
  watch(g.data(), g.size());
  for (int i = 0; i < 1000; ++i) g.push_back(0xEE);  // reallocates: the old block goes back
  CHECK(g_released_zeroed == 1);

  // The check can fail: a plain vector leaves its bytes behind.
  {
    std::vector<std::uint8_t> plain(64, 0xAB);
    watch(plain.data(), plain.size());
  }
  CHECK(g_released_zeroed == 0);
}

TEST_CASE("read_key_file reads hex or raw keys into a SecretVec") {
  const std::string dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  const std::string hex = dir + "/fs-secret-hex.key", raw = dir + "/fs-secret-raw.key";
  std::ofstream(hex) << "00112233445566778899aabbccddeeff\n";
  std::ofstream(raw, std::ios::binary) << "raw key bytes!";
  const cli::SecretVec a = cli::read_key_file(hex);
  CHECK(fstest::to_hex(a) == "00112233445566778899aabbccddeeff");
  const cli::SecretVec b = cli::read_key_file(raw);
  CHECK(std::string(b.begin(), b.end()) == "raw key bytes!");
}
