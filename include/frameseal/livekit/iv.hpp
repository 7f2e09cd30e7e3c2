// frameseal/livekit/iv.hpp: how an encrypting FrameCryptor builds the 12-byte AES-GCM IV.
//
// Receivers never care how an IV was built: it travels in the frame trailer. What matters is that
// an IV never repeats under one key, because a repeated GCM nonce leaks the XOR of two plaintexts
// and the authentication key.
//
// UniqueIv (the default): IV = 4 random bytes (drawn once per cryptor) || a 64-bit big-endian
// counter that starts at a random value below 2^63 and increments per frame. Uniqueness argument:
//   - within one cryptor the counter is strictly increasing and the cryptor refuses to encrypt
//     (Errc::counter_exhausted) rather than wrap, so no IV repeats for the life of the cryptor,
//     whatever keys come and go (key changes do not reset it);
//   - across cryptors that share a key (a shared-key room: every participant holds the same key;
//     one participant's audio and video), a repeat needs equal 32-bit prefixes AND overlapping
//     counter ranges: for two cryptors sending F frames each, about 2^-32 * 2F / 2^63 = F * 2^-94;
//     a room of 1000 streams (about 2^19 pairs) sending 2^32 frames each: about 2^-43;
//   - nothing depends on the RTP timestamp, so a missing or repeating timestamp cannot collapse
//     the IV (livekit-client's formula turns into BE32(ssrc) || 0 || 0 when its timestamp is missing).
// It also stops leaking SSRC and timestamp in the IV (they are in the RTP header anyway).
//
// IV state is move-only, so ordinary API use cannot duplicate it: a UniqueIv (or LivekitIv) cannot
// be copied, a moved-from one refuses to produce an IV (Errc::counter_exhausted), and so does a
// FrameCryptor that was moved from (its policy moved with it). An IvFactory (session layer) returns a
// fresh policy by value for each participant; a factory that captured one policy can hand it out
// once (std::move), after which it hands out moved-from policies that refuse to encrypt. The only way
// to make two equal UniqueIvs is the seeded constructor with equal arguments, which exists for tests
// and known answers.
//
// LivekitIv: livekit's formula, exactly, for known-answer vectors and byte-identical output:
//   IV = BE32(ssrc) || BE32(ts) || BE32(ts - (send_count mod 65535))   (mod 2^32)
// with send_count per SSRC starting at `counter_seed` (native SDKs: 0; livekit-client: random in
// [0, 65534]) and incremented per frame, never reset by key changes. It can repeat an IV under one
// key (same SSRC, a timestamp that comes back after wrapping, a congruent counter; or a fresh cryptor
// for the same SSRC and key), so use it only where byte-identical output matters.
#pragma once

#include <sodium.h>

#include <array>
#include <concepts>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "../bytes.hpp"
#include "../codec/codec.hpp"
#include "../error.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

inline constexpr std::size_t iv_bytes = 12;
using Iv = std::array<std::uint8_t, iv_bytes>;

// The IV-policy shape an encrypting FrameCryptor takes: next() gives the IV of the next frame, or
// an error (counter_exhausted) rather than a repeat; move-only, so its state cannot be duplicated
// by accident (see the header comment).
template <class P>
concept IvSource = std::movable<P> && !std::copy_constructible<P> && requires(P p, const FrameInfo& info) {
  { p.next(info) }
  noexcept->std::same_as<Result<Iv>>;
};

class UniqueIv {
 public:
  static constexpr std::string_view name = "unique";

  UniqueIv() noexcept {
    if (sodium_init() < 0) {
      exhausted_ = true;  // no randomness: refuse to encrypt rather than risk a repeat
      return;
    }
    randombytes_buf(prefix_.data(), prefix_.size());
    std::uint8_t c[8];
    randombytes_buf(c, sizeof c);
    counter_ = load_be64(c) >> 1;  // below 2^63: at least 2^63 frames before exhaustion
  }
  // For tests and known answers only: a fixed prefix and counter start. Two policies made with the
  // same arguments repeat each other's IVs.
  UniqueIv(std::uint32_t prefix, std::uint64_t counter_start) noexcept : counter_(counter_start) {
    store_be32(prefix_.data(), prefix);
  }

  // Move-only: the moved-from policy refuses to produce another IV.
  UniqueIv(const UniqueIv&) = delete;
  UniqueIv& operator=(const UniqueIv&) = delete;
  UniqueIv(UniqueIv&& o) noexcept : prefix_(o.prefix_), counter_(o.counter_), exhausted_(o.exhausted_) {
    o.exhausted_ = true;
  }
  UniqueIv& operator=(UniqueIv&& o) noexcept {
    if (this != &o) {
      prefix_ = o.prefix_;
      counter_ = o.counter_;
      exhausted_ = o.exhausted_;
      o.exhausted_ = true;
    }
    return *this;
  }

  [[nodiscard]] Result<Iv> next(const FrameInfo&) noexcept {
    if (exhausted_) return Errc::counter_exhausted;
    Iv iv;
    std::copy(prefix_.begin(), prefix_.end(), iv.begin());
    store_be64(iv.data() + 4, counter_);
    if (counter_ == std::numeric_limits<std::uint64_t>::max())
      exhausted_ = true;
    else
      ++counter_;
    return iv;
  }

 private:
  std::array<std::uint8_t, 4> prefix_{};
  std::uint64_t counter_ = 0;
  bool exhausted_ = false;
};

class LivekitIv {
 public:
  static constexpr std::string_view name = "livekit";
  static constexpr std::size_t max_ssrcs = 32;  // per-SSRC counters kept (least recently used evicted)

  explicit LivekitIv(std::uint32_t counter_seed = 0) noexcept : seed_(counter_seed) {}

  // Move-only, as UniqueIv: the moved-from policy refuses (Errc::counter_exhausted).
  LivekitIv(const LivekitIv&) = delete;
  LivekitIv& operator=(const LivekitIv&) = delete;
  LivekitIv(LivekitIv&& o) noexcept : table_(o.table_), seed_(o.seed_), clock_(o.clock_), moved_(o.moved_) {
    o.moved_ = true;
  }
  LivekitIv& operator=(LivekitIv&& o) noexcept {
    if (this != &o) {
      table_ = o.table_;
      seed_ = o.seed_;
      clock_ = o.clock_;
      moved_ = o.moved_;
      o.moved_ = true;
    }
    return *this;
  }

  [[nodiscard]] Result<Iv> next(const FrameInfo& info) noexcept {
    if (moved_) return Errc::counter_exhausted;
    Entry* e = find_or_add(info.ssrc);
    const std::uint32_t ts = info.rtp_timestamp;
    Iv iv;
    store_be32(iv.data(), info.ssrc);
    store_be32(iv.data() + 4, ts);
    store_be32(iv.data() + 8, ts - (e->count % 0xffffu));
    ++e->count;
    e->last_use = ++clock_;
    return iv;
  }

 private:
  struct Entry {
    std::uint32_t ssrc = 0;
    std::uint32_t count = 0;
    std::uint64_t last_use = 0;  // 0 = unused
  };
  Entry* find_or_add(std::uint32_t ssrc) noexcept {
    Entry* victim = &table_[0];
    for (Entry& e : table_) {
      if (e.last_use != 0 && e.ssrc == ssrc) return &e;
      if (e.last_use < victim->last_use) victim = &e;
    }
    *victim = Entry{ssrc, seed_, 0};
    return victim;
  }

  std::array<Entry, max_ssrcs> table_{};
  std::uint32_t seed_;
  std::uint64_t clock_ = 0;
  bool moved_ = false;
};

static_assert(!std::is_copy_constructible_v<UniqueIv> && !std::is_copy_assignable_v<UniqueIv>,
              "IV state must not be duplicated");
static_assert(!std::is_copy_constructible_v<LivekitIv> && !std::is_copy_assignable_v<LivekitIv>,
              "IV state must not be duplicated");

static_assert(IvSource<UniqueIv>);
static_assert(IvSource<LivekitIv>);

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
