#include "common.hpp"

// Tests of include/frameseal/secret.hpp: SecretBytes<N> and SecretBuffer wipe what they held.

#include <cstdlib>
#include <new>
#include <type_traits>

using frameseal::SecretBuffer;
using frameseal::SecretBytes;
using fstest::Bytes;

// ---- a window onto freed heap blocks ----
// The array forms of operator new/delete are replaced (with malloc/free, consistently, so sanitizers
// stay happy) so that delete[] can copy a watched block's bytes just before it is freed: that is the
// only defined way to see what SecretBuffer left in memory it gave back.
namespace {
const void* g_watch = nullptr;
std::size_t g_watch_size = 0;
std::uint8_t g_seen[256];
bool g_seen_valid = false;

void inspect(void* p) noexcept {
  if (p != nullptr && p == g_watch) {
    std::memcpy(g_seen, p, g_watch_size);
    g_seen_valid = true;
    g_watch = nullptr;
  }
}
}  // namespace

// noinline: if GCC inlines these it sees malloc/free paired with new[]/delete[] and warns
// (-Wmismatched-new-delete) although the pairing is consistent.
[[gnu::noinline]] void* operator new[](std::size_t n) {
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return std::malloc(n != 0 ? n : 1);
}
[[gnu::noinline]] void operator delete[](void* p) noexcept {
  inspect(p);
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept {
  inspect(p);
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

TEST_CASE("SecretBytes: construction, views, clone") {
  static_assert(!std::is_copy_constructible_v<SecretBytes<32>> &&
                !std::is_copy_assignable_v<SecretBytes<32>>);
  static_assert(std::is_nothrow_move_constructible_v<SecretBytes<32>>);
  static_assert(SecretBytes<32>::size() == 32 && SecretBytes<16>::size_bytes == 16);

  SecretBytes<32> zero;
  CHECK(fstest::to_hex(zero.view()) == std::string(64, '0'));

  const Bytes src = fstest::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  SecretBytes<32> k(src);
  CHECK(fstest::to_hex(k.view()) == fstest::to_hex(src));
  CHECK(frameseal::ct_equal(k.view(), src));

  // Shorter input is zero-padded, longer input truncated.
  SecretBytes<4> shorter(Bytes{9, 8});
  CHECK(fstest::to_hex(shorter.view()) == "09080000");
  SecretBytes<4> longer(Bytes{1, 2, 3, 4, 5, 6});
  CHECK(fstest::to_hex(longer.view()) == "01020304");

  SecretBytes<32> copy = k.clone();
  CHECK(frameseal::ct_equal(copy.view(), k.view()));
  copy.mutable_view()[0] ^= 0xff;  // independent storage
  CHECK_FALSE(frameseal::ct_equal(copy.view(), k.view()));
  CHECK(k.data()[0] == 0x00);

  k.wipe();
  CHECK(fstest::to_hex(k.view()) == std::string(64, '0'));
}

TEST_CASE("SecretBytes: wiped on destruction") {
  // Construct in a buffer we own, destroy it, then read the buffer: the key must be gone.
  alignas(SecretBytes<32>) std::uint8_t storage[sizeof(SecretBytes<32>)];
  auto* s = ::new (static_cast<void*>(storage)) SecretBytes<32>(Bytes(32, 0xAB));
  CHECK(s->data()[31] == 0xAB);
  CHECK(static_cast<void*>(s->data()) >= static_cast<void*>(storage));
  s->~SecretBytes<32>();
  for (std::uint8_t b : storage) CHECK(b == 0);
}

TEST_CASE("SecretBytes: moved-from is wiped, move assignment too") {
  SecretBytes<16> a(Bytes(16, 0x5A));
  SecretBytes<16> b(std::move(a));
  CHECK(fstest::to_hex(b.view()) == "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
  CHECK(fstest::to_hex(a.view()) == std::string(32, '0'));  // NOLINT(bugprone-use-after-move)

  SecretBytes<16> c(Bytes(16, 0x11));
  c = std::move(b);
  CHECK(c.data()[0] == 0x5A);
  CHECK(fstest::to_hex(b.view()) == std::string(32, '0'));  // NOLINT(bugprone-use-after-move)
  SecretBytes<16>& self = c;
  c = std::move(self);  // self-move keeps the key
  CHECK(c.data()[15] == 0x5A);
}

TEST_CASE("SecretBuffer: allocate, copy_of, clone") {
  auto z = SecretBuffer::allocate(24);
  REQUIRE(z.has_value());
  CHECK(z->size() == 24);
  CHECK(fstest::to_hex(z->view()) == std::string(48, '0'));

  auto e = SecretBuffer::allocate(0);
  REQUIRE(e.has_value());
  CHECK(e->empty());
  CHECK(e->data() == nullptr);

  const auto text = frameseal::as_bytes("a passphrase");
  auto c = SecretBuffer::copy_of(text);
  REQUIRE(c.has_value());
  CHECK(frameseal::ct_equal(c->view(), text));
  CHECK(c->data() != text.data());

  auto cl = c->clone();
  REQUIRE(cl.has_value());
  CHECK(frameseal::ct_equal(cl->view(), text));
  CHECK(cl->data() != c->data());
  cl->mutable_view()[0] = 'A';
  CHECK(c->data()[0] == 'a');

  auto empty_copy = SecretBuffer::copy_of({});
  REQUIRE(empty_copy.has_value());
  CHECK(empty_copy->empty());
}

TEST_CASE("SecretBuffer: move leaves the source empty; release empties") {
  static_assert(!std::is_copy_constructible_v<SecretBuffer> &&
                std::is_nothrow_move_constructible_v<SecretBuffer>);
  SecretBuffer a = SecretBuffer::copy_of(Bytes(10, 7)).value();
  const std::uint8_t* p = a.data();
  SecretBuffer b(std::move(a));
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(a.data() == nullptr);
  CHECK(b.data() == p);  // ownership moved, no copy left behind
  CHECK(b.size() == 10);

  SecretBuffer c = SecretBuffer::copy_of(Bytes(3, 1)).value();
  c = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(c.size() == 10);
  CHECK(c.data() == p);

  c.release();
  CHECK(c.empty());
  CHECK(c.data() == nullptr);
  c.release();  // idempotent
}

TEST_CASE("SecretBuffer: heap bytes are zeroed before they are freed") {
  SUBCASE("destruction") {
    {
      SecretBuffer s = SecretBuffer::copy_of(Bytes(48, 0xC3)).value();
      g_watch = s.data();
      g_watch_size = s.size();
      g_seen_valid = false;
    }
    REQUIRE(g_seen_valid);
    for (std::size_t i = 0; i < 48; ++i) CHECK(g_seen[i] == 0);
  }
  SUBCASE("release") {
    SecretBuffer s = SecretBuffer::copy_of(Bytes(17, 0x9E)).value();
    g_watch = s.data();
    g_watch_size = s.size();
    g_seen_valid = false;
    s.release();
    REQUIRE(g_seen_valid);
    for (std::size_t i = 0; i < 17; ++i) CHECK(g_seen[i] == 0);
  }
  SUBCASE("overwritten by move assignment") {
    SecretBuffer s = SecretBuffer::copy_of(Bytes(32, 0x77)).value();
    g_watch = s.data();
    g_watch_size = s.size();
    g_seen_valid = false;
    s = SecretBuffer::copy_of(Bytes(5, 1)).value();
    REQUIRE(g_seen_valid);
    for (std::size_t i = 0; i < 32; ++i) CHECK(g_seen[i] == 0);
    CHECK(s.size() == 5);
  }
  g_watch = nullptr;
}
