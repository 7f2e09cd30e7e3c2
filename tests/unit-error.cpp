#include "common.hpp"

// Tests of include/frameseal/error.hpp: Errc, to_string(Errc), Result<T>, Result<void>.

#include <memory>
#include <set>
#include <type_traits>

using frameseal::Errc;
using frameseal::Result;

namespace {

// Counts live instances, so the tests can see Result construct and destroy its value exactly once.
struct Tracked {
  static inline int live = 0;
  int v;
  explicit Tracked(int x) noexcept : v(x) { ++live; }
  Tracked(const Tracked& o) noexcept : v(o.v) { ++live; }
  Tracked(Tracked&& o) noexcept : v(std::exchange(o.v, -1)) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) = default;
  ~Tracked() { --live; }
};

Result<int> parse_positive(int x) noexcept {
  if (x <= 0) return Errc::invalid_argument;
  return x;
}

}  // namespace

TEST_CASE("to_string covers every Errc with a distinct name") {
  const std::pair<Errc, std::string_view> expected[] = {
      {Errc::ok, "ok"},
      {Errc::invalid_argument, "invalid_argument"},
      {Errc::buffer_too_small, "buffer_too_small"},
      {Errc::malformed_frame, "malformed_frame"},
      {Errc::missing_key, "missing_key"},
      {Errc::key_invalid, "key_invalid"},
      {Errc::auth_failed, "auth_failed"},
      {Errc::unsupported_codec, "unsupported_codec"},
      {Errc::sif_rejected, "sif_rejected"},
      {Errc::counter_exhausted, "counter_exhausted"},
      {Errc::backend_unavailable, "backend_unavailable"},
      {Errc::replay, "replay"},
      {Errc::internal_error, "internal_error"},
      {Errc::kdf_mismatch, "kdf_mismatch"},
      {Errc::salt_mismatch, "salt_mismatch"},
  };
  std::set<std::string_view> names;
  for (const auto& item : expected) {
    const int code = static_cast<int>(item.first);
    CAPTURE(code);
    CHECK(frameseal::to_string(item.first) == item.second);
    names.insert(frameseal::to_string(item.first));
  }
  CHECK(names.size() == std::size(expected));
  // Every enumerator up to the last one is named (catches a new Errc added without a name).
  for (int i = 0; i <= static_cast<int>(Errc::salt_mismatch); ++i) {
    CAPTURE(i);
    CHECK(frameseal::to_string(static_cast<Errc>(i)) != "unknown");
  }
  CHECK(frameseal::to_string(static_cast<Errc>(200)) == "unknown");
  static_assert(frameseal::to_string(Errc::auth_failed) == "auth_failed");  // usable at compile time
  static_assert(sizeof(Errc) == 1);
}

TEST_CASE("Result<T>: value and error") {
  auto good = parse_positive(5);
  REQUIRE(good.has_value());
  CHECK(static_cast<bool>(good));
  CHECK(good.error() == Errc::ok);
  CHECK(good.value() == 5);
  CHECK(*good == 5);
  CHECK(good.value_or(9) == 5);

  auto bad = parse_positive(-1);
  CHECK_FALSE(bad.has_value());
  CHECK_FALSE(static_cast<bool>(bad));
  CHECK(bad.error() == Errc::invalid_argument);
  CHECK(bad.value_or(9) == 9);

  // An "error" of ok would be a value-less success: it is turned into internal_error.
  Result<int> odd(Errc::ok);
  CHECK_FALSE(odd.has_value());
  CHECK(odd.error() == Errc::internal_error);

  Result<std::string> s(std::string("frame"));
  CHECK(s->size() == 5);
  s.value() += "seal";
  CHECK(*s == "frameseal");
}

TEST_CASE("Result<T>: copies, moves and assignment manage the value's lifetime") {
  REQUIRE(Tracked::live == 0);
  {
    Result<Tracked> a(Tracked(1));
    CHECK(Tracked::live == 1);
    Result<Tracked> b = a;  // copy
    CHECK(Tracked::live == 2);
    CHECK(b->v == 1);
    Result<Tracked> c = std::move(a);  // move: the source keeps a moved-from value
    CHECK(Tracked::live == 3);
    CHECK(c->v == 1);
    Result<Tracked> e(Errc::missing_key);
    CHECK(Tracked::live == 3);
    e = c;  // error -> value
    CHECK(Tracked::live == 4);
    CHECK(e->v == 1);
    e = Result<Tracked>(Errc::replay);  // value -> error destroys the value
    CHECK(Tracked::live == 3);
    CHECK(e.error() == Errc::replay);
    c = std::move(b);
    CHECK(Tracked::live == 3);
    Result<Tracked>& self = c;
    c = self;  // self-assignment keeps the value
    CHECK(c->v == 1);
    CHECK(Tracked::live == 3);
  }
  CHECK(Tracked::live == 0);
}

TEST_CASE("Result<T>: move-only values (SecretBuffer, unique_ptr)") {
  auto r = frameseal::SecretBuffer::copy_of(frameseal::as_bytes("material"));
  REQUIRE(r.has_value());
  static_assert(!std::is_copy_constructible_v<frameseal::SecretBuffer>);
  frameseal::SecretBuffer b = std::move(r).value();
  CHECK(b.size() == 8);
  CHECK(r->empty());  // the Result's value was moved from

  Result<std::unique_ptr<int>> p(std::make_unique<int>(42));
  Result<std::unique_ptr<int>> q = std::move(p);
  REQUIRE(q.has_value());
  CHECK(**q == 42);
  static_assert(std::is_nothrow_move_constructible_v<Result<frameseal::SecretBuffer>>);
  static_assert(!std::is_copy_constructible_v<Result<frameseal::SecretBuffer>>);
  static_assert(!std::is_copy_assignable_v<Result<std::unique_ptr<int>>>);
  static_assert(std::is_copy_constructible_v<Result<int>>);
}

TEST_CASE("Result<void>") {
  Result<void> ok;
  CHECK(ok.has_value());
  CHECK(static_cast<bool>(ok));
  CHECK(ok.error() == Errc::ok);
  ok.value();  // does not abort

  Result<void> bad(Errc::counter_exhausted);
  CHECK_FALSE(bad.has_value());
  CHECK(bad.error() == Errc::counter_exhausted);

  // Unlike Result<T>, Result<void>(Errc::ok) is a success.
  Result<void> from_ok(Errc::ok);
  CHECK(from_ok.has_value());
}
