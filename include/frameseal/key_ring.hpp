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
//   3. the ratchet window: m1, m2, ... mW derived progressively from the current material (the
//      native SDK's semantics: a receiver W steps behind recovers in one frame; livekit-client can
//      only recover one step). The derived keys are cached, so a stream of frames that never
//      authenticate costs AEAD attempts only, never repeated KDF work.
// The slot is replaced only after a frame authenticated under a ratcheted key; the keys it skipped
// become previous generations. So an undecryptable frame costs at most
// 1 + previous_generations + ratchet_window AEAD attempts, and KDF calls only the first time.
//
// Failure tolerance: failures are counted per slot, consecutively (a success resets the count).
// With failure_tolerance >= 0, more than failure_tolerance consecutive failures mark the slot
// invalid: its frames are refused with Errc::key_invalid without any decrypt attempt until the slot
// gets a new key (set_key) or is ratcheted. A negative tolerance (the default, -1) never
// invalidates: that is what livekit-client's ExternalE2EEKeyProvider and the native SDKs do. (The
// Python SDK's doc comment "-1: fail on first error" is wrong about its own behaviour.) A frame
// whose slot is empty is Errc::missing_key and is not counted: there is no key to distrust.
//
// When a key is replaced: set_key() wipes the slot's current key, its previous generations and its
// ratchet cache at once. A new key is how an application locks out a participant who left, so the
// old key must stop working immediately. ratchet() (and a successful receive-side ratchet) keeps the
// old generation as a previous generation, because ratcheting is a forward step of the same chain.
//
// Threading: a KeyRing is not synchronised. One thread at a time, or an outside lock (the session
// layer does this). No exceptions; configuration errors are Errc::invalid_argument. Allocation
// happens in create(), set_key(), ratchet() and export_key(); the receive-side search allocates only
// what the cipher backend allocates when a new key is derived (OpenSSL: one EVP context).
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
  std::size_t size = default_key_ring_size;               // slots, 1..256
  std::size_t ratchet_window = default_ratchet_window_size;  // 0..256 forward steps searched
  int failure_tolerance = default_failure_tolerance;      // < 0: never invalidate
  std::size_t previous_generations = 16;                  // 0..256 old keys kept after a ratchet
  std::vector<std::uint8_t> salt{default_ratchet_salt.begin(), default_ratchet_salt.end()};
};

// How a received frame's key was found.
struct KeyMatch {
  std::size_t ratchet_steps = 0;      // > 0: found in the ratchet window and committed
  std::size_t previous_generation = 0;  // > 0: authenticated under an older generation (1 = newest)
  std::size_t attempts = 0;           // AEAD attempts made
};

template <Cipher C, class Kdf = LivekitKdf>
class KeyRing {
 public:
  using cipher_type = C;
  using kdf_type = Kdf;

  [[nodiscard]] static Result<KeyRing> create(KeyRingOptions options = {}, Kdf kdf = {}) noexcept {
    if (options.size == 0 || options.size > max_key_ring_size) return Errc::invalid_argument;
    if (options.ratchet_window > 256 || options.previous_generations > 256) return Errc::invalid_argument;
    KeyRing ring(std::move(options), std::move(kdf));
    ring.slots_.resize(ring.options_.size);
    for (Slot& s : ring.slots_) {
      s.ahead.reserve(ring.options_.ratchet_window);
      s.previous.reserve(ring.options_.previous_generations);
    }
    return ring;
  }

  KeyRing(KeyRing&&) noexcept = default;
  KeyRing& operator=(KeyRing&&) noexcept = default;

  [[nodiscard]] const KeyRingOptions& options() const noexcept { return options_; }
  [[nodiscard]] const Kdf& kdf() const noexcept { return kdf_; }
  [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }
  // The sending key index (what an encrypting FrameCryptor writes into the trailer).
  [[nodiscard]] std::uint8_t current_index() const noexcept { return current_; }
  [[nodiscard]] Errc set_current_index(std::size_t index) noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    current_ = static_cast<std::uint8_t>(index);
    return Errc::ok;
  }
  [[nodiscard]] bool has_key(std::size_t index) const noexcept {
    return index < slots_.size() && slots_[index].key.has_value();
  }
  [[nodiscard]] bool is_invalid(std::size_t index) const noexcept {
    return index < slots_.size() && slots_[index].invalid;
  }
  [[nodiscard]] std::uint32_t failures(std::size_t index) const noexcept {
    return index < slots_.size() ? slots_[index].failures : 0;
  }
  // Ratchets applied to the slot since its material was set (explicit and receive-side).
  [[nodiscard]] std::uint64_t generation(std::size_t index) const noexcept {
    return index < slots_.size() ? slots_[index].generation : 0;
  }

  // Installs material at index % size (LiveKit semantics); by default it becomes the sending index.
  [[nodiscard]] Errc set_key(std::size_t index, BytesIn material, bool make_current = true) noexcept {
    if (material.empty()) return Errc::invalid_argument;
    auto base = SecretBuffer::copy_of(material);
    if (!base) return base.error();
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
    const std::size_t slot_index = index % slots_.size();
    Slot& s = slots_[slot_index];
    s.clear();
    s.base = std::move(*base);
    s.key.emplace(std::move(*keyed));
    s.next = std::move(next);
    if (make_current) current_ = static_cast<std::uint8_t>(slot_index);
    return Errc::ok;
  }

  // Removes the key of a slot (wiped).
  void clear_key(std::size_t index) noexcept {
    if (index < slots_.size()) slots_[index].clear();
  }

  // Ratchets the slot one step: its material becomes Ratchet(material), the old key is kept as a
  // previous generation, the slot becomes the sending index and valid again. Returns the new
  // material (32 bytes), as LiveKit's ratchet_key does.
  [[nodiscard]] Result<SecretBuffer> ratchet(std::size_t index) noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    Slot& s = slots_[index];
    if (!s.key) return Errc::missing_key;
    if (Errc e = fill_ahead(s, 1); e != Errc::ok) return e;
    commit(s, 1);
    current_ = static_cast<std::uint8_t>(index);
    return SecretBuffer::copy_of(s.material());
  }

  // ratchet(index), taking the step from src instead of deriving it, when src's slot index holds the
  // next material of this slot's chain (src, from the same options and KDF, was ratcheted from the
  // material this slot holds now): the session layer's shared-key ratchet, where the master ring
  // derives once and each participant's ring follows. As ratchet, the current key becomes a previous
  // generation. The step is taken only when it is provably the next one (this slot's precomputed
  // next material equals src's); otherwise, or when this slot's cache already holds it, it is
  // derived or taken from the cache as ratchet() would. Errc::invalid_argument for another size or
  // salt or index >= size, Errc::missing_key when either slot is empty.
  [[nodiscard]] Errc ratchet_from(const KeyRing& src, std::size_t index) noexcept {
    if (src.slots_.size() != slots_.size() || src.options_.salt != options_.salt || index >= slots_.size())
      return Errc::invalid_argument;
    Slot& s = slots_[index];
    const Slot& from = src.slots_[index];
    if (!s.key || !from.key) return Errc::missing_key;
    if (s.ahead.empty() && from.generation > 0 && s.next && ct_equal(s.next->view(), from.ratcheted.view())) {
      auto keyed = keyed_from(from.key->key.clone());
      if (!keyed) return keyed.error();
      s.ahead.push_back(Ahead{from.ratcheted.clone(), std::move(*keyed)});
      s.next = from.next_after_current();
    } else if (Errc e = fill_ahead(s, 1); e != Errc::ok) {
      return e;
    }
    commit(s, 1);
    current_ = static_cast<std::uint8_t>(index);
    return Errc::ok;
  }

  // The slot's current material (after ratchets: the ratcheted material), never the AEAD key.
  [[nodiscard]] Result<SecretBuffer> export_key(std::size_t index) const noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    const Slot& s = slots_[index];
    if (!s.key) return Errc::missing_key;
    return SecretBuffer::copy_of(s.material());
  }

  // set_key(index, m) where m is the current material of src's slot index % size, without the KDF
  // work: the AES key and the derived next ratchet step are copied from src. Like set_key, the slot
  // starts with no previous generations, an empty cache and fresh counters. For rings made from the
  // same options and KDF (a clone() of one another, or create() with equal arguments), which is how
  // the session layer's shared-key mode uses it: the room key is derived once for the master ring
  // instead of once per participant (PBKDF2: 100000 iterations each). Errc::invalid_argument when
  // the sizes or salts differ, Errc::missing_key when src's slot is empty.
  [[nodiscard]] Errc set_key_from(const KeyRing& src, std::size_t index, bool make_current = true) noexcept {
    if (src.slots_.size() != slots_.size() || src.options_.salt != options_.salt) return Errc::invalid_argument;
    const std::size_t slot_index = index % slots_.size();
    const Slot& from = src.slots_[slot_index];
    if (!from.key) return Errc::missing_key;
    auto base = SecretBuffer::copy_of(from.material());
    if (!base) return base.error();
    auto keyed = keyed_from(from.key->key.clone());
    if (!keyed) return keyed.error();
    Slot& s = slots_[slot_index];
    s.clear();
    s.base = std::move(*base);
    s.key.emplace(std::move(*keyed));
    s.next = from.next_after_current();
    if (make_current) current_ = static_cast<std::uint8_t>(slot_index);
    return Errc::ok;
  }

  // A copy with the same options, materials, keys, previous generations and sending index, but with
  // fresh failure counters and an empty ratchet cache (the shared-key mode of the native SDKs gives
  // each participant such a clone). Costs no KDF call: the keys are re-created from their bytes.
  // The next ratchet step's material, when already derived, is copied too, so a clone's first
  // search costs the same KDF calls as the original's.
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
      to.next = from.next_after_current();  // the clone has no cache
      auto key = keyed_from(from.key->key.clone());
      if (!key) return key.error();
      to.key.emplace(std::move(*key));
      for (const Keyed& p : from.previous) {
        auto k = keyed_from(p.key.clone());
        if (!k) return k.error();
        to.previous.push_back(std::move(*k));
      }
    }
    return copy;
  }

  // The keyed cipher of the sending slot, or missing_key.
  [[nodiscard]] Result<C*> sending_cipher() noexcept {
    Slot& s = slots_[current_];
    if (!s.key) return Errc::missing_key;
    return &s.key->cipher;
  }

  // Receive side: finds the key of slot `kid` that makes attempt(C&) return true (see the header
  // comment for the order and the cost bound). attempt must be noexcept and must not depend on a
  // previous failed attempt having left its output intact.
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
    for (std::size_t r = 1; r <= options_.ratchet_window; ++r) {
      if (s.ahead.size() < r && fill_ahead(s, r) != Errc::ok) break;
      ++m.attempts;
      if (attempt(s.ahead[r - 1].keyed.cipher)) {
        commit(s, r);
        m.ratchet_steps = r;
        return success(s, m);
      }
    }
    ++s.failures;
    if (options_.failure_tolerance >= 0 && s.failures > static_cast<std::uint32_t>(options_.failure_tolerance))
      s.invalid = true;
    return Errc::auth_failed;
  }

 private:
  struct Keyed {
    SecretBytes<C::key_bytes> key;  // kept so a ring can be cloned without KDF work
    C cipher;
  };
  struct Ahead {
    SecretBytes<ratchet_material_bytes> material;
    Keyed keyed;
  };
  struct Slot {
    SecretBuffer base;                                  // material as set (any length)
    SecretBytes<ratchet_material_bytes> ratcheted;      // material after >= 1 ratchet
    std::optional<Keyed> key;                           // AEAD key of the current material
    std::vector<Keyed> previous;                        // oldest first
    std::vector<Ahead> ahead;                           // ahead[i] = generation + i + 1
    std::optional<SecretBytes<ratchet_material_bytes>> next;  // Ratchet(last known material), if computed
    std::uint64_t generation = 0;
    std::uint32_t failures = 0;
    bool invalid = false;

    [[nodiscard]] BytesIn material() const noexcept {
      return generation == 0 ? base.view() : BytesIn(ratcheted.view());
    }
    // Ratchet(material()), if already derived: `next` continues the chain after the last cached
    // generation, so with a cache it is the first cached step's material. For a copy of this slot
    // without the cache (clone, set_key_from, ratchet_from).
    [[nodiscard]] std::optional<SecretBytes<ratchet_material_bytes>> next_after_current() const noexcept {
      if (!ahead.empty()) return ahead.front().material.clone();
      if (next) return next->clone();
      return std::nullopt;
    }
    void clear() noexcept {
      base.release();
      ratcheted.wipe();
      key.reset();
      previous.clear();
      ahead.clear();
      next.reset();
      generation = 0;
      failures = 0;
      invalid = false;
    }
  };

  KeyRing(KeyRingOptions options, Kdf kdf) noexcept : options_(std::move(options)), kdf_(std::move(kdf)) {}

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

  // Makes s.ahead hold at least `count` generations. With a prefix-extendable KDF (HKDF and
  // PBKDF2 are: their first 16 output bytes do not depend on the output length), AESKey(m) is the
  // prefix of Ratchet(m), so each step costs one KDF call instead of two.
  [[nodiscard]] Errc fill_ahead(Slot& s, std::size_t count) noexcept {
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
        if (Errc e = kdf_.derive(material.view(), options_.salt, after.mutable_view()); e != Errc::ok) return e;
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

  // Makes generation + r current. The current key and ahead[0 .. r-2] become previous generations
  // (stored oldest first, at most previous_generations, within the capacity reserved at create());
  // the rest of the cache stays valid because it continues the same chain.
  void commit(Slot& s, std::size_t r) noexcept {
    const std::size_t keep = options_.previous_generations;
    const std::size_t incoming = std::min(r, keep);  // the newest `incoming` of: current, ahead[0..r-2]
    if (incoming > 0) {
      const std::size_t room = keep - incoming;
      if (s.previous.size() > room)
        s.previous.erase(s.previous.begin(), s.previous.begin() + static_cast<std::ptrdiff_t>(s.previous.size() - room));
      // Candidates in age order: current (oldest), ahead[0], ..., ahead[r-2] (newest).
      for (std::size_t c = r - incoming; c < r; ++c)
        s.previous.push_back(c == 0 ? std::move(*s.key) : std::move(s.ahead[c - 1].keyed));
    }
    s.key.emplace(std::move(s.ahead[r - 1].keyed));
    s.ratcheted = std::move(s.ahead[r - 1].material);
    s.ahead.erase(s.ahead.begin(), s.ahead.begin() + static_cast<std::ptrdiff_t>(r));
    if (s.generation == 0) s.base.release();
    s.generation += r;
    s.failures = 0;
    s.invalid = false;
  }

  [[nodiscard]] Result<KeyMatch> success(Slot& s, const KeyMatch& m) noexcept {
    s.failures = 0;
    return m;
  }

  KeyRingOptions options_;
  Kdf kdf_;
  std::vector<Slot> slots_;
  std::uint8_t current_ = 0;
};

}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
