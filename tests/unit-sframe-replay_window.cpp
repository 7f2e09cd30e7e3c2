// sframe/replay_window.hpp: RFC 3711 §3.3.2-style semantics, then a comparison with a plain model
// (a set of accepted CTRs) over long random sequences for several window sizes, including jumps
// across 64-bit word boundaries.
#include "common.hpp"

#include <random>
#include <set>

using namespace frameseal;

namespace {

// The model: accepted values are remembered forever; a value is fresh if never accepted and not
// older than size below the highest accepted.
struct Model {
  std::size_t size;
  std::set<std::uint64_t> seen;
  bool check(std::uint64_t c) const {
    if (seen.empty()) return true;
    const std::uint64_t hi = *seen.rbegin();
    if (c > hi) return true;
    if (hi - c >= size) return false;
    return !seen.count(c);
  }
  void accept(std::uint64_t c) {
    if (check(c)) seen.insert(c);
  }
};

}  // namespace

TEST_CASE("ReplayWindow: fresh, replayed, too old") {
  sframe::ReplayWindow w(64);
  CHECK(w.size() == 64);
  CHECK(w.empty());
  CHECK(w.check(1000));
  w.accept(1000);
  CHECK_FALSE(w.empty());
  CHECK(w.highest() == 1000);
  CHECK_FALSE(w.check(1000));  // replay
  CHECK(w.check(999));         // inside the window, not seen
  CHECK(w.check(937));         // age 63: the oldest remembered
  CHECK_FALSE(w.check(936));   // age 64: too old
  CHECK(w.check(1001));
  w.accept(999);
  CHECK_FALSE(w.check(999));
  w.accept(1100);  // jump ahead past the whole window
  CHECK(w.highest() == 1100);
  CHECK_FALSE(w.check(1000));  // now too old
  CHECK(w.check(1099));
  CHECK_FALSE(w.check(1100));
  // Accepting something check() refuses changes nothing.
  w.accept(5);
  CHECK(w.highest() == 1100);
  CHECK(w.check(1099));
  w.reset();
  CHECK(w.empty());
  CHECK(w.check(5));
}

TEST_CASE("ReplayWindow: size limits and the extremes of the counter") {
  CHECK(sframe::ReplayWindow(0).size() == 1);
  CHECK(sframe::ReplayWindow(5000).size() == sframe::max_replay_window);
  sframe::ReplayWindow one(1);
  one.accept(10);
  CHECK_FALSE(one.check(9));
  CHECK_FALSE(one.check(10));
  CHECK(one.check(11));
  sframe::ReplayWindow w(128);
  w.accept(~std::uint64_t{0});
  CHECK_FALSE(w.check(~std::uint64_t{0}));
  CHECK(w.check(~std::uint64_t{0} - 127));
  CHECK_FALSE(w.check(~std::uint64_t{0} - 128));
  sframe::ReplayWindow z(128);
  z.accept(0);
  CHECK_FALSE(z.check(0));
  CHECK(z.check(1));
}

TEST_CASE("ReplayWindow agrees with a model over random sequences") {
  for (std::size_t size : {1u, 2u, 63u, 64u, 65u, 100u, 128u, 129u, 1000u, 1024u}) {
    CAPTURE(size);
    std::mt19937_64 rng(size);
    sframe::ReplayWindow w(size);
    Model m{size, {}};
    std::uint64_t base = 1u << 20;
    for (int i = 0; i < 20000; ++i) {
      std::uint64_t c;
      switch (rng() % 6) {
        case 0:
          base += rng() % 3;
          c = base;
          break;  // in order
        case 1:
          base += 64 + rng() % 200;
          c = base;
          break;  // jumps across words
        case 2:
          c = base - rng() % (size + 8);
          break;  // reordered / old
        case 3:
          c = base - rng() % 4;
          break;  // likely replays
        case 4:
          base += rng() % 2000;
          c = base;
          break;  // big jumps
        default:
          c = base + rng() % 70;
          break;  // ahead
      }
      REQUIRE(w.check(c) == m.check(c));
      if (rng() % 4 != 0) {  // not every checked frame authenticates
        w.accept(c);
        m.accept(c);
      }
    }
  }
}

static_assert(sframe::ReplayWindow(64).check(3));
