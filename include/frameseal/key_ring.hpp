// frameseal/key_ring.hpp: KeyRing<Cipher, Kdf>, the LiveKit-style ring of ratcheting keys.
//
// A ring has `size` slots (default 16, 1..256). A slot holds key material (any non-empty length;
// a passphrase is its UTF-8 bytes), the AEAD key derived from it, and its ratchet chain:
//   AESKey(m)  = KDF(m, Cipher::key_bytes)        Ratchet(m) = KDF(m, 32) -> the next material
// with KDF = HKDF-SHA256(salt, info = 128 zero bytes) or PBKDF2-HMAC-SHA256(salt, 100000) as
// LiveKit does (see kdf.hpp). The salt defaults to "LKFrameEncryptionKey".
//
// Receive-side key search (open_with), in this order, for the slot named by the frame's key index:
//   1. the slot's current key;
//   2. the previous generations kept after ratchets (newest first, at most previous_generations),
//      so frames still in flight under an older key decrypt (livekit-client drops them);
//   3. the ratchet window: m1, m2, ... mW, the keys of the next W steps of the chain. They are
//      derived when the key is installed (set_key, ratchet, refill), never while a frame is being
//      decrypted (the native SDK's semantics: a receiver W steps behind recovers in one frame;
//      livekit-client can only recover one step).
// The slot is replaced only after a frame authenticated under a ratcheted key; the keys it skipped
// become previous generations. So an undecryptable frame costs at most
// 1 + previous_generations + ratchet_window AEAD attempts and no KDF call, ever.
//
// No KDF on the frame path. set_key derives the key and the whole window (1 + W KDF calls with
// HKDF or PBKDF2, whose outputs extend by prefix: see fill_ahead), ratchet() takes the next step
// from the window and derives one more at its end. A receive-side ratchet of r steps (open_with)
// uses the window as it is and leaves it r steps short: refill(index) derives them again, or, for
// a caller that must not hold its lock during the KDF (the session layer), plan_refill() under
// the lock, derive() without it, apply() under it again (apply drops a refill that a key change
// made stale). Until then the search covers the steps still cached.
//
// What the ratchet does and does not protect. LiveKit's KDF derives the frame key and the next
// material from the same input with the same salt and info: AESKey(m_g) is the first key_bytes of
// m_(g+1) = Ratchet(m_g). So whoever holds the material of generation g + 1 (a participant given
// the ratcheted room key when joining) also holds the AES key of generation g, and reads every
// frame sent under it (but nothing older: m_(g+1) does not reveal m_g, so not AESKey(m_(g-1))).
// And whoever holds an older material derives every later one, so a ratchet never locks out a
// participant who left. To admit a participant who must not read the past, or to lock one out,
// give the room a fresh random key at a new key index (session::KeyProvider::rotate_shared_key).
// This is LiveKit's wire design and stays, for interop.
//
// Failure tolerance: failures are counted per slot, consecutively (a success resets the count).
// With failure_tolerance >= 0, more than failure_tolerance consecutive failures mark the slot
// invalid: its frames are refused with Errc::key_invalid without any decrypt attempt until the slot
// gets a new key (set_key) or is ratcheted. A negative tolerance (the default, -1) never
// invalidates: that is what livekit-client's ExternalE2EEKeyProvider and the native SDKs do. (The
// Python SDK's doc comment "-1: fail on first error" is wrong about its own behaviour.) A frame
// whose slot is empty is Errc::missing_key and is not counted: there is no key to distrust.
// Beware: with failure_tolerance >= 0, anyone who can inject frames (an untrusted SFU) can
// invalidate a key with a few forged frames naming its index (LiveKit's semantics); keep -1 there.
//
// When a key is replaced: set_key() wipes the slot's current key, its previous generations and its
// ratchet cache at once. A new key is how an application locks out a participant who left, so the
// old key must stop working immediately. ratchet() (and a successful receive-side ratchet) keeps the
// old generation as a previous generation, because ratcheting is a forward step of the same chain.
//
// Threading: a KeyRing is not synchronised. One thread at a time, or an outside lock (the session
// layer does this); derive(Refill&) alone reads nothing but the ring's options and KDF, which never
// change after create(), and may run while another thread holds the lock. No exceptions;
// configuration errors are Errc::invalid_argument. Allocation happens in create(), set_key(),
// ratchet(), the refill calls, clone(), set_key_from(), ratchet_from() and export_key(); the
// receive-side search allocates nothing and derives nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "cipher.hpp"
#include "error.hpp"
#include "kdf.hpp"
#include "secret.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {

inline constexpr std::string_view default_ratchet_salt = "LKFrameEncryptionKey";
inline constexpr std::size_t default_key_ring_size = 16;
inline constexpr std::size_t max_key_ring_size = 256;
inline constexpr std::size_t default_ratchet_window_size = 16;
inline constexpr int default_failure_tolerance = -1;
// Ratchet output length: LiveKit ratchets to 32 bytes of new material.
inline constexpr std::size_t ratchet_material_bytes = 32;

struct KeyRingOptions {
  std::size_t size = default_key_ring_size;                  // slots, 1..256
  std::size_t ratchet_window = default_ratchet_window_size;  // 0..256 forward steps searched
  int failure_tolerance = default_failure_tolerance;         // < 0: never invalidate
  std::size_t previous_generations = 16;                     // 0..256 old keys kept after a ratchet
  std::vector<std::uint8_t> salt{default_ratchet_salt.begin(), default_ratchet_salt.end()};
  // Opt-in (LivekitKdf only): also derive each slot's key with the other algorithm (HKDF <-> PBKDF2)
  // when it is installed, and when no key of the search authenticates a frame, try that one key
  // (one more AEAD attempt, no KDF call): if it authenticates, the frame is refused with
  // Errc::kdf_mismatch instead of auth_failed, naming the most common interop failure. Costs one
  // KDF call with the other algorithm per set_key and explicit ratchet (PBKDF2: ~20 ms).
  // The same for the salt where it can be told: when `salt` is not LiveKit's default, the key under
  // the default salt (same KDF) is derived too, and a frame that authenticates only under it is
  // refused with Errc::salt_mismatch. (A sender on a custom salt that this ring does not know
  // cannot be told from a wrong key: that stays auth_failed.)
  bool detect_kdf_mismatch = false;
};

namespace detail {
// The index accessors every key store of the session layer shares (KeyRing; session::SframeKeyRing),
// written once. Derived holds options_, current_ and slots_, a vector of slots with holds_key(),
// ratchets(), invalid and failures, and befriends this base.
template <class Derived>
class SlotAccessors {
 public:
  [[nodiscard]] const KeyRingOptions& options() const noexcept { return self().options_; }
  [[nodiscard]] std::size_t size() const noexcept { return self().slots_.size(); }
  // The sending key index (what an encrypting FrameCryptor writes into the trailer).
  [[nodiscard]] std::uint8_t current_index() const noexcept { return self().current_; }
  [[nodiscard]] Errc set_current_index(std::size_t index) noexcept {
    if (index >= size()) return Errc::invalid_argument;
    static_cast<Derived&>(*this).current_ = static_cast<std::uint8_t>(index);
    return Errc::ok;
  }
  [[nodiscard]] bool has_key(std::size_t index) const noexcept {
    return index < size() && self().slots_[index].holds_key();
  }
  [[nodiscard]] bool is_invalid(std::size_t index) const noexcept {
    return index < size() && self().slots_[index].invalid;
  }
  // Failed frames counted against the slot's failure_tolerance since it last authenticated one.
  [[nodiscard]] std::uint32_t failures(std::size_t index) const noexcept {
    return index < size() ? self().slots_[index].failures : 0;
  }
  // Ratchet steps applied to the key index since its material was set (explicit and receive-side).
  [[nodiscard]] std::uint64_t generation(std::size_t index) const noexcept {
    return index < size() ? self().slots_[index].ratchets() : 0;
  }

 private:
  [[nodiscard]] const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
};
}  // namespace detail

// How a received frame's key was found.
struct KeyMatch {
  std::size_t ratchet_steps = 0;        // > 0: found in the ratchet window and committed
  std::size_t previous_generation = 0;  // > 0: authenticated under an older generation (1 = newest)
  std::size_t attempts = 0;             // AEAD attempts made
};

// The part of a key ring the frame path uses: the slots with their keyed ciphers, the sending
// index and the receive search (open_with). It never derives a key; KeyRing<C, Kdf> below adds
// everything that does (installing, ratcheting, refilling), so a FrameCryptor or DataCryptor holds
// a BasicKeyRing<C>& and does not depend on the KDF.
template <Cipher C>
class BasicKeyRing : public detail::SlotAccessors<BasicKeyRing<C>> {
  friend class detail::SlotAccessors<BasicKeyRing>;

 protected:
  // The slots' parts, first so that the public nested types of KeyRing can hold them.
  struct Keyed {
    SecretBytes<C::key_bytes> key;  // kept so a ring can be cloned without KDF work
    C cipher;
  };
  struct Ahead {
    SecretBytes<ratchet_material_bytes> material;
    Keyed keyed;
  };
  struct Slot {
    SecretBuffer base;                                        // material as set (any length)
    SecretBytes<ratchet_material_bytes> ratcheted;            // material after >= 1 ratchet
    std::optional<Keyed> key;                                 // AEAD key of the current material
    std::vector<Keyed> previous;                              // oldest first
    std::vector<Ahead> ahead;                                 // ahead[i] = generation + i + 1
    std::optional<SecretBytes<ratchet_material_bytes>> next;  // Ratchet(last known material), if computed
    std::optional<Keyed> other_kdf;   // AESKey of the current material under the other KDF
    std::optional<Keyed> other_salt;  // ... under LiveKit's default salt (custom salt set)
    std::uint64_t generation = 0;
    std::uint64_t epoch = 0;  // counts key installs: a stale Refill is dropped
    std::uint32_t failures = 0;
    bool invalid = false;

    [[nodiscard]] BytesIn material() const noexcept {
      return generation == 0 ? base.view() : BytesIn(ratcheted.view());
    }
    [[nodiscard]] bool holds_key() const noexcept { return key.has_value(); }
    [[nodiscard]] std::uint64_t ratchets() const noexcept { return generation; }
    void clear() noexcept {
      base.release();
      ratcheted.wipe();
      key.reset();
      previous.clear();
      ahead.clear();
      next.reset();
      other_kdf.reset();
      other_salt.reset();
      generation = 0;
      failures = 0;
      invalid = false;
    }
  };

 public:
  using cipher_type = C;

  // The keyed cipher of the sending slot, or missing_key.
  [[nodiscard]] Result<C*> sending_cipher() noexcept {
    Slot& s = slots_[current_];
    if (!s.key) return Errc::missing_key;
    return &s.key->cipher;
  }

  // Receive side: finds the key of slot `kid` that makes attempt(C&) return true (see the header
  // comment for the order and the cost bound). attempt must be noexcept and must not depend on a
  // previous failed attempt having left its output intact. Never derives: after a ratchet of r
  // steps here, window_deficit(kid) is r until a refill.
  template <class Attempt>
  [[nodiscard]] Result<KeyMatch> open_with(std::size_t kid, Attempt&& attempt) noexcept {
    if (kid >= slots_.size()) return Errc::missing_key;
    Slot& s = slots_[kid];
    if (!s.key) return Errc::missing_key;
    if (s.invalid) return Errc::key_invalid;
    KeyMatch m;
    ++m.attempts;
    if (attempt(s.key->cipher)) return success(s, m);
    for (std::size_t i = 0; i < s.previous.size(); ++i) {  // newest first
      ++m.attempts;
      if (attempt(s.previous[s.previous.size() - 1 - i].cipher)) {
        m.previous_generation = i + 1;
        return success(s, m);
      }
    }
    const std::size_t window = std::min(options_.ratchet_window, s.ahead.size());  // derived at install
    for (std::size_t r = 1; r <= window; ++r) {
      ++m.attempts;
      if (attempt(s.ahead[r - 1].keyed.cipher)) {
        commit(s, r);
        m.ratchet_steps = r;
        return success(s, m);
      }
    }
    if (s.other_kdf) {
      ++m.attempts;
      if (attempt(s.other_kdf->cipher)) return Errc::kdf_mismatch;  // authentic, under the other KDF
    }
    if (s.other_salt) {
      ++m.attempts;
      if (attempt(s.other_salt->cipher)) return Errc::salt_mismatch;  // authentic, under the default salt
    }
    ++s.failures;
    if (options_.failure_tolerance >= 0 &&
        s.failures > static_cast<std::uint32_t>(options_.failure_tolerance))
      s.invalid = true;
    return Errc::auth_failed;
  }

 protected:
  explicit BasicKeyRing(KeyRingOptions options) noexcept : options_(std::move(options)) {}
  BasicKeyRing(BasicKeyRing&&) noexcept = default;
  BasicKeyRing& operator=(BasicKeyRing&&) noexcept = default;
  ~BasicKeyRing() = default;

  // Makes generation + r current. The current key and ahead[0 .. r-2] become previous generations
  // (stored oldest first, at most previous_generations, within the capacity reserved at create());
  // the rest of the cache stays valid because it continues the same chain.
  void commit(Slot& s, std::size_t r) noexcept {
    const std::size_t keep = options_.previous_generations;
    const std::size_t incoming = std::min(r, keep);  // the newest `incoming` of: current, ahead[0..r-2]
    if (incoming > 0) {
      const std::size_t room = keep - incoming;
      if (s.previous.size() > room)
        s.previous.erase(s.previous.begin(),
                         s.previous.begin() + static_cast<std::ptrdiff_t>(s.previous.size() - room));
      // Candidates in age order: current (oldest), ahead[0], ..., ahead[r-2] (newest).
      for (std::size_t c = r - incoming; c < r; ++c)
        s.previous.push_back(c == 0 ? std::move(*s.key) : std::move(s.ahead[c - 1].keyed));
    }
    s.key.emplace(std::move(s.ahead[r - 1].keyed));
    s.ratcheted = std::move(s.ahead[r - 1].material);
    s.ahead.erase(s.ahead.begin(), s.ahead.begin() + static_cast<std::ptrdiff_t>(r));
    if (s.generation == 0) s.base.release();
    s.other_kdf.reset();  // re-derived by an explicit ratchet(); a receive-side step shows the KDFs agree
    s.other_salt.reset();
    s.generation += r;
    s.failures = 0;
    s.invalid = false;
  }

  [[nodiscard]] Result<KeyMatch> success(Slot& s, const KeyMatch& m) noexcept {
    s.failures = 0;
    return m;
  }

  KeyRingOptions options_;
  std::vector<Slot> slots_;
  std::uint8_t current_ = 0;
};

template <Cipher C, KdfPolicy Kdf = LivekitKdf>
class KeyRing : public BasicKeyRing<C> {
  using Base = BasicKeyRing<C>;
  using Base::commit;
  using Base::current_;
  using Base::options_;
  using Base::slots_;
  using typename Base::Ahead;
  using typename Base::Keyed;
  using typename Base::Slot;

 public:
  using cipher_type = C;
  using kdf_type = Kdf;
  using config_type = Kdf;  // what the session layer's key provider passes to create() (key_provider.hpp)
  using Base::open_with;
  using Base::sending_cipher;

  [[nodiscard]] static Result<KeyRing> create(KeyRingOptions options = {}, Kdf kdf = {}) noexcept {
    if (options.size == 0 || options.size > max_key_ring_size) return Errc::invalid_argument;
    if (options.ratchet_window > 256 || options.previous_generations > 256) return Errc::invalid_argument;
    KeyRing ring(std::move(options), std::move(kdf));
    ring.slots_.resize(ring.options_.size);
    for (Slot& s : ring.slots_) (void)ring.reserve(s);
    return ring;
  }

  KeyRing(KeyRing&&) noexcept = default;
  KeyRing& operator=(KeyRing&&) noexcept = default;

  [[nodiscard]] const Kdf& kdf() const noexcept { return kdf_; }
  [[nodiscard]] const Kdf& config() const noexcept { return kdf_; }
  // With detect_kdf_mismatch: the algorithm a sender uses when frames fail with kdf_mismatch.
  [[nodiscard]] KdfAlgorithm other_algorithm() const noexcept requires requires(const Kdf k) { k.algorithm; }
  { return kdf_.algorithm == KdfAlgorithm::hkdf ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf; }

  // Installs material at index % size (LiveKit semantics); by default it becomes the sending index.
  // Derives the key and the whole ratchet window (1 + ratchet_window KDF calls).
  [[nodiscard]] Errc set_key(std::size_t index, BytesIn material, bool make_current = true) noexcept {
    auto prepared = prepare_key(material);
    if (!prepared) return prepared.error();
    return install(index, std::move(*prepared), make_current);
  }

  // set_key in two halves, so that a caller can do the KDF work without holding the lock that
  // guards the ring: prepare_key reads only the options and the KDF (which never change after
  // create()) and touches no slot; install moves the result into slot index % size (no KDF call).
  class PreparedKey {
    friend class KeyRing;
    Slot slot_;
  };
  [[nodiscard]] Result<PreparedKey> prepare_key(BytesIn material) const noexcept {
    if (material.empty()) return Errc::invalid_argument;
    auto base = SecretBuffer::copy_of(material);
    if (!base) return base.error();
    PreparedKey p;
    Slot& s = p.slot_;
    if (!reserve(s)) return Errc::internal_error;
    std::optional<SecretBytes<ratchet_material_bytes>> next;
    SecretBytes<C::key_bytes> key;
    if constexpr (kdf_prefix_extendable()) {
      next.emplace();
      if (Errc e = kdf_.derive(material, options_.salt, next->mutable_view()); e != Errc::ok) return e;
      std::copy_n(next->data(), C::key_bytes, key.data());
    } else {
      if (Errc e = kdf_.derive(material, options_.salt, key.mutable_view()); e != Errc::ok) return e;
    }
    auto keyed = keyed_from(std::move(key));
    if (!keyed) return keyed.error();
    s.base = std::move(*base);
    s.key.emplace(std::move(*keyed));
    s.next = std::move(next);
    if (Errc e = fill_ahead(s, cache_target()); e != Errc::ok) return e;
    if (Errc e = derive_other_kdf(s); e != Errc::ok) return e;
    return p;
  }
  [[nodiscard]] Errc install(std::size_t index, PreparedKey&& prepared, bool make_current = true) noexcept {
    if (!prepared.slot_.key) return Errc::invalid_argument;
    const std::size_t slot_index = index % slots_.size();
    Slot& s = slots_[slot_index];
    const std::uint64_t epoch = s.epoch + 1;
    s.clear();
    s = std::move(prepared.slot_);
    s.epoch = epoch;
    prepared.slot_.clear();
    if (make_current) current_ = static_cast<std::uint8_t>(slot_index);
    return Errc::ok;
  }

  // Removes the key of a slot (wiped).
  void clear_key(std::size_t index) noexcept {
    if (index >= slots_.size()) return;
    slots_[index].clear();
    ++slots_[index].epoch;
  }

  // Ratchets the slot one step: its material becomes Ratchet(material), the old key is kept as a
  // previous generation, the slot becomes the sending index and valid again. Returns the new
  // material (32 bytes), as LiveKit's ratchet_key does. The step comes from the window; with
  // refill_window (the default) one more step is derived at its end, otherwise the window is left
  // one short for a refill outside the caller's lock (plan_refill).
  [[nodiscard]] Result<SecretBuffer> ratchet(std::size_t index, bool refill_window = true) noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    Slot& s = slots_[index];
    if (!s.key) return Errc::missing_key;
    if (Errc e = fill_ahead(s, 1); e != Errc::ok) return e;  // derives only when the window is empty
    auto material = SecretBuffer::copy_of(s.ahead.front().material.view());
    if (!material) return material.error();
    commit(s, 1);
    current_ = static_cast<std::uint8_t>(index);
    if (Errc e = derive_other_kdf(s); e != Errc::ok) return e;
    if (refill_window) {
      if (Errc e = fill_ahead(s, cache_target()); e != Errc::ok) return e;
    }
    return material;
  }

  // ---- refilling the window after a receive-side ratchet (or ratchet(index, false)) ----

  // What one slot's window lacks, and (after derive) the steps that fill it.
  class Refill {
    friend class KeyRing;
    std::size_t index_ = 0;
    std::uint64_t epoch_ = 0;
    std::uint64_t end_ = 0;  // generation + cached steps, when planned
    std::size_t count_ = 0;  // steps to derive
    Slot chain_;             // base = the last known material
  };
  // Steps the slot's window lacks (0: full, empty slot or index out of range).
  [[nodiscard]] std::size_t window_deficit(std::size_t index) const noexcept {
    if (index >= slots_.size() || !slots_[index].key) return 0;
    const std::size_t have = slots_[index].ahead.size();
    return have < cache_target() ? cache_target() - have : 0;
  }
  // Under the caller's lock: nullopt when there is nothing to refill. Allocates, derives nothing.
  [[nodiscard]] std::optional<Refill> plan_refill(std::size_t index) const noexcept {
    const std::size_t missing = window_deficit(index);
    if (missing == 0) return std::nullopt;
    const Slot& s = slots_[index];
    Refill r;
    r.index_ = index;
    r.epoch_ = s.epoch;
    r.end_ = s.generation + s.ahead.size();
    auto tail =
        SecretBuffer::copy_of(s.ahead.empty() ? s.material() : BytesIn(s.ahead.back().material.view()));
    if (!tail) return std::nullopt;
    r.chain_.base = std::move(*tail);
    if (s.next) r.chain_.next = s.next->clone();
    r.chain_.ahead.reserve(missing);
    r.count_ = missing;
    return r;
  }
  // Without the lock: the KDF work. Reads only the options and the KDF.
  [[nodiscard]] Errc derive(Refill& r) const noexcept { return fill_ahead(r.chain_, r.count_); }
  // Under the lock again: appends the derived steps when the slot still ends where it ended at
  // plan time (same key, no refill in between; steps committed meanwhile do not matter). Returns
  // whether it did.
  bool apply(Refill&& r) noexcept {
    if (r.index_ >= slots_.size()) return false;
    Slot& s = slots_[r.index_];
    if (!s.key || s.epoch != r.epoch_ || s.generation + s.ahead.size() != r.end_) return false;
    const std::size_t room = cache_target() - std::min(cache_target(), s.ahead.size());
    const std::size_t take = std::min(room, r.chain_.ahead.size());
    for (std::size_t i = 0; i < take; ++i) s.ahead.push_back(std::move(r.chain_.ahead[i]));
    if (take == r.chain_.ahead.size())
      s.next = std::move(r.chain_.next);
    else
      s.next.reset();
    return take > 0;
  }
  // plan_refill + derive + apply in one call, for a ring used from one thread.
  [[nodiscard]] Errc refill(std::size_t index) noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    return fill_ahead(slots_[index], slots_[index].key ? cache_target() : 0);
  }

  // ratchet(index), taking the step from src instead of deriving it, when src's slot index holds the
  // next material of this slot's chain (src, from the same options and KDF, was ratcheted from the
  // material this slot holds now): the session layer's shared-key ratchet, where the master ring
  // derives once and each participant's ring follows. As ratchet, the current key becomes a previous
  // generation; the window is then topped up with copies of src's (no KDF call). The step is taken
  // only when it is provably the next one (this slot's next cached material, or precomputed next
  // material, equals src's); otherwise it is derived as ratchet() would. Errc::invalid_argument for
  // another size or salt or index >= size, Errc::missing_key when either slot is empty.
  [[nodiscard]] Errc ratchet_from(const KeyRing& src, std::size_t index) noexcept {
    if (src.slots_.size() != slots_.size() || src.options_.salt != options_.salt || index >= slots_.size())
      return Errc::invalid_argument;
    Slot& s = slots_[index];
    const Slot& from = src.slots_[index];
    if (!s.key || !from.key) return Errc::missing_key;
    const BytesIn target = from.material();
    const bool cached = !s.ahead.empty() && ct_equal(s.ahead.front().material.view(), target);
    if (!cached && s.ahead.empty() && from.generation > 0 && s.next && ct_equal(s.next->view(), target)) {
      auto keyed = keyed_from(from.key->key.clone());
      if (!keyed) return keyed.error();
      s.ahead.push_back(Ahead{from.ratcheted.clone(), std::move(*keyed)});
      s.next.reset();
    } else if (!cached) {
      if (Errc e = fill_ahead(s, 1); e != Errc::ok) return e;
    }
    commit(s, 1);
    current_ = static_cast<std::uint8_t>(index);
    if (!ct_equal(s.material(), from.material())) {  // another chain
      if (Errc e = derive_other_kdf(s); e != Errc::ok) return e;
      return fill_ahead(s, cache_target());
    }
    if (Errc e = copy_other_kdf(from, s); e != Errc::ok) return e;
    return copy_window(from, s);
  }

  // The slot's current material (after ratchets: the ratcheted material), never the AEAD key.
  [[nodiscard]] Result<SecretBuffer> export_key(std::size_t index) const noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    const Slot& s = slots_[index];
    if (!s.key) return Errc::missing_key;
    return SecretBuffer::copy_of(s.material());
  }

  // set_key(index, m) where m is the current material of src's slot index % size, without the KDF
  // work: the AES key and the ratchet window are copied from src. Like set_key, the slot starts
  // with no previous generations and fresh counters. For rings made from the
  // same options and KDF (a clone() of one another, or create() with equal arguments), which is how
  // the session layer's shared-key mode uses it: the room key is derived once for the master ring
  // instead of once per participant (PBKDF2: 100000 iterations each). Errc::invalid_argument when
  // the sizes or salts differ, Errc::missing_key when src's slot is empty.
  [[nodiscard]] Errc set_key_from(const KeyRing& src, std::size_t index, bool make_current = true) noexcept {
    if (src.slots_.size() != slots_.size() || src.options_.salt != options_.salt)
      return Errc::invalid_argument;
    const std::size_t slot_index = index % slots_.size();
    const Slot& from = src.slots_[slot_index];
    if (!from.key) return Errc::missing_key;
    auto base = SecretBuffer::copy_of(from.material());
    if (!base) return base.error();
    auto keyed = keyed_from(from.key->key.clone());
    if (!keyed) return keyed.error();
    Slot& s = slots_[slot_index];
    s.clear();
    ++s.epoch;
    s.base = std::move(*base);
    s.key.emplace(std::move(*keyed));
    if (Errc e = copy_window(from, s); e != Errc::ok) return e;
    if (Errc e = copy_other_kdf(from, s); e != Errc::ok) return e;
    if (make_current) current_ = static_cast<std::uint8_t>(slot_index);
    return Errc::ok;
  }

  // A copy with the same options, materials, keys, previous generations, ratchet windows and sending
  // index, but with fresh failure counters (the shared-key mode of the native SDKs gives each
  // participant such a clone). Costs no KDF call: the keys are re-created from their bytes.
  [[nodiscard]] Result<KeyRing> clone() const noexcept {
    auto copy = create(options_, kdf_);
    if (!copy) return copy.error();
    copy->current_ = current_;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Slot& from = slots_[i];
      Slot& to = copy->slots_[i];
      if (!from.key) continue;
      auto base = from.base.clone();
      if (!base) return base.error();
      to.base = std::move(*base);
      to.ratcheted = from.ratcheted.clone();
      to.generation = from.generation;
      auto key = keyed_from(from.key->key.clone());
      if (!key) return key.error();
      to.key.emplace(std::move(*key));
      if (Errc e = copy_window(from, to); e != Errc::ok) return e;
      if (Errc e = copy_other_kdf(from, to); e != Errc::ok) return e;
      for (const Keyed& p : from.previous) {
        auto k = keyed_from(p.key.clone());
        if (!k) return k.error();
        to.previous.push_back(std::move(*k));
      }
    }
    return copy;
  }

 private:
  KeyRing(KeyRingOptions options, Kdf kdf) noexcept : Base(std::move(options)), kdf_(std::move(kdf)) {}

  static constexpr bool kdf_prefix_extendable() noexcept {
    if constexpr (requires { Kdf::prefix_extendable; }) {
      return Kdf::prefix_extendable && C::key_bytes <= ratchet_material_bytes;
    } else {
      return false;
    }
  }

  [[nodiscard]] Result<Keyed> keyed_from(SecretBytes<C::key_bytes>&& key) const noexcept {
    auto cipher = C::create(key.view());
    if (!cipher) return cipher.error();
    return Keyed{std::move(key), std::move(*cipher)};
  }

  // Steps kept derived ahead: the ratchet window, and at least one so that ratchet() never waits for
  // a KDF either (with ratchet_window 0 the search uses none of them).
  [[nodiscard]] std::size_t cache_target() const noexcept {
    return std::max<std::size_t>(options_.ratchet_window, 1);
  }

  // The opt-in KDF-mismatch key (KeyRingOptions::detect_kdf_mismatch, LivekitKdf only).
  [[nodiscard]] Errc derive_other_kdf(Slot& s) const noexcept {
    s.other_kdf.reset();
    s.other_salt.reset();
    if constexpr (requires(Kdf k) { k.algorithm = KdfAlgorithm::hkdf; }) {
      if (!options_.detect_kdf_mismatch) return Errc::ok;
      Kdf other = kdf_;
      other.algorithm = other_algorithm();
      SecretBytes<C::key_bytes> key;
      if (Errc e = other.derive(s.material(), options_.salt, key.mutable_view()); e != Errc::ok) return e;
      auto keyed = keyed_from(std::move(key));
      if (!keyed) return keyed.error();
      s.other_kdf.emplace(std::move(*keyed));
      const BytesIn default_salt(reinterpret_cast<const std::uint8_t*>(default_ratchet_salt.data()),
                                 default_ratchet_salt.size());
      if (std::equal(options_.salt.begin(), options_.salt.end(), default_salt.begin(), default_salt.end()))
        return Errc::ok;
      SecretBytes<C::key_bytes> salted;
      if (Errc e = kdf_.derive(s.material(), default_salt, salted.mutable_view()); e != Errc::ok) return e;
      auto keyed_salt = keyed_from(std::move(salted));
      if (!keyed_salt) return keyed_salt.error();
      s.other_salt.emplace(std::move(*keyed_salt));
    }
    return Errc::ok;
  }

  bool reserve(Slot& s) const noexcept {
    s.ahead.reserve(cache_target());
    s.previous.reserve(options_.previous_generations);
    return true;
  }

  [[nodiscard]] Errc copy_other_kdf(const Slot& from, Slot& to) const noexcept {
    to.other_kdf.reset();
    to.other_salt.reset();
    if (from.other_kdf) {
      auto keyed = keyed_from(from.other_kdf->key.clone());
      if (!keyed) return keyed.error();
      to.other_kdf.emplace(std::move(*keyed));
    }
    if (from.other_salt) {
      auto keyed = keyed_from(from.other_salt->key.clone());
      if (!keyed) return keyed.error();
      to.other_salt.emplace(std::move(*keyed));
    }
    return Errc::ok;
  }

  // Tops up to's window with copies of from's steps (no KDF call), when both slots hold the same
  // current material and from's window is longer; the precomputed next step too.
  [[nodiscard]] Errc copy_window(const Slot& from, Slot& to) const noexcept {
    if (!ct_equal(from.material(), to.material())) return Errc::ok;
    for (std::size_t i = to.ahead.size(); i < from.ahead.size() && i < cache_target(); ++i) {
      auto keyed = keyed_from(from.ahead[i].keyed.key.clone());
      if (!keyed) return keyed.error();
      to.ahead.push_back(Ahead{from.ahead[i].material.clone(), std::move(*keyed)});
    }
    if (to.ahead.size() == from.ahead.size()) {
      to.next.reset();
      if (from.next) to.next = from.next->clone();
    }
    return Errc::ok;
  }

  // Makes s.ahead hold at least `count` generations. With a prefix-extendable KDF (HKDF and
  // PBKDF2 are: their first 16 output bytes do not depend on the output length), AESKey(m) is the
  // prefix of Ratchet(m), so each step costs one KDF call instead of two.
  [[nodiscard]] Errc fill_ahead(Slot& s, std::size_t count) const noexcept {
    while (s.ahead.size() < count) {
      BytesIn from = s.ahead.empty() ? s.material() : BytesIn(s.ahead.back().material.view());
      SecretBytes<ratchet_material_bytes> material;
      if (s.next) {
        material = std::move(*s.next);
        s.next.reset();
      } else if (Errc e = kdf_.derive(from, options_.salt, material.mutable_view()); e != Errc::ok) {
        return e;
      }
      SecretBytes<C::key_bytes> key;
      if constexpr (kdf_prefix_extendable()) {
        SecretBytes<ratchet_material_bytes> after;
        if (Errc e = kdf_.derive(material.view(), options_.salt, after.mutable_view()); e != Errc::ok)
          return e;
        std::copy_n(after.data(), C::key_bytes, key.data());
        s.next.emplace(std::move(after));
      } else {
        if (Errc e = kdf_.derive(material.view(), options_.salt, key.mutable_view()); e != Errc::ok) return e;
      }
      auto keyed = keyed_from(std::move(key));
      if (!keyed) return keyed.error();
      s.ahead.push_back(Ahead{std::move(material), std::move(*keyed)});
    }
    return Errc::ok;
  }

  Kdf kdf_;
};

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
