// frameseal/session/key_provider.hpp: KeyProvider, the room's keys by participant identity
// (LiveKit's KeyProvider: set_shared_key, export_shared_key, ratchet_shared_key, set_key,
// export_key, ratchet_key, set_sif_trailer).
//
// Model (the native SDKs'): every participant identity has its own KeyRing, so failure counters,
// invalid flags and receive-side auto-ratchets are per participant, also in shared-key mode.
//   - Per-participant keys: set_key(identity, key, index) fills that participant's ring.
//   - Shared key (KeyProviderOptions::shared_key, or the first set_shared_key call): a master ring
//     holds the room key; a participant seen for the first time gets a clone() of it (no KDF work).
//   - Admitting a joiner who must not read the past: rotate_shared_key() (a fresh random key at a
//     new index). A ratchet does not do that: the ratcheted material holds the previous
//     generation's AES key (key_ring.hpp, "What the ratchet does and does not protect").
//     set_shared_key sets the master and every participant's ring (a copy of the master's slot).
//     ratchet_shared_key ratchets the master, then each participant's ring: ratcheted in turn with
//     the master's step when it still holds the master's old material (so it keeps the old key as a
//     previous generation and frames in flight keep decrypting), left as is when a receive-side
//     auto-ratchet already took it to the new material, otherwise given the new material.
//   - set_key on a participant in shared-key mode changes only that participant's ring, until the
//     next set_shared_key of the same index.
// Key index semantics are LiveKit's: set_* stores at key_index % key_ring_size; export_* and
// ratchet_* need key_index < key_ring_size (Errc::invalid_argument otherwise). Every set_* and
// ratchet_* that changes a participant's ring also makes that index the participant's sending key
// index (the KID its FrameCryptor writes), as livekit-client does; the native SDKs instead keep the
// KID at 0 until FrameCryptor::set_key_index, a common source of "missing key" on the other side.
// export_* returns the slot's current material (after ratchets, the ratcheted material), never the
// AES key, and ratchet_* returns the new material, as the Python SDK does.
//
// Formats: BasicKeyProvider<Ring> is generic over the per-participant key store. KeyProvider<C, Kdf>
// is BasicKeyProvider<KeyRing<C, Kdf>> (LiveKit's format); SframeKeyProvider<S>
// (sframe_format.hpp) uses session::SframeKeyRing<S>, the RFC 9605 key table behind the same calls. A
// store whose `shared_key_safe` is false (SFrame: a shared key and KID would make senders reuse
// nonces) refuses shared-key mode: options.shared_key, set_shared_key and ratchet_shared_key are
// Errc::invalid_argument.
//
// Errors, never exceptions: empty key material, an out-of-range index or bad options are
// Errc::invalid_argument; a slot without key is Errc::missing_key. A shared-key call that fails for
// one participant's ring after the master was changed still updates the others and returns the first
// error. Configuration calls allocate (identity strings, rings, the participant map); the frame path
// (e2ee_manager.hpp) does not touch the map.
//
// Threading: every member function may be called from any thread at any time, also while media
// threads encrypt and decrypt. One control mutex serialises the key operations and guards the
// identity map and the master ring; each participant's ring sits behind that participant's own
// mutex, which the frame path of that participant also takes. Lock order: control, then one
// participant at a time; the frame path never takes the control mutex.
//
// No KDF on the frame path, none under a participant's lock (KeyRing stores): set_key derives the
// key and the whole ratchet window (KeyRing::prepare_key) before taking the participant's lock and
// then only installs it; ratchet_key takes the step from the window under the lock and derives the
// step that tops it up after releasing it (plan_refill / derive / apply). A shared-key change or
// ratchet derives once, in the master ring (control mutex only); each participant's ring copies the
// result (KeyRing::set_key_from, KeyRing::ratchet_from). A frame that follows a sender's ratchet
// uses the window as it is and asks the provider's refill thread (started by create(), joined by
// the destructor) to derive the used-up steps, again outside the participant's lock; refill_now()
// does the same on the calling thread. The KDF work therefore runs on the control thread (HKDF:
// tens of microseconds for a window of 16; PBKDF2: about 0.4-0.6 s) or on the refill thread.
//
// User code runs with no lock held: the participant factory (the manager's IvFactory) is called
// outside the control mutex, so it may call back into the provider and the manager; creating the
// participant being created from inside it is Errc::invalid_argument (it would recurse).
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../detail/sodium.hpp"
#include "../error.hpp"
#include "../kdf.hpp"
#include "../key_ring.hpp"
#include "../secret.hpp"
#include "options.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace session {

template <class Format>
class BasicE2eeManager;

namespace detail {

// Whether a key store may be shared by several senders (KeyRing: yes; LiveKit's IVs carry the
// sender's SSRC/timestamp/counter). A store says no with `static constexpr bool shared_key_safe = false`.
template <class Ring>
inline constexpr bool shared_key_safe = [] {
  if constexpr (requires { Ring::shared_key_safe; })
    return static_cast<bool>(Ring::shared_key_safe);
  else
    return true;
}();

// Wakes the provider's refill thread (see "No KDF on the frame path" in the header comment).
// request() is what the frame path calls: an atomic increment and a futex wake, no lock, no
// allocation.
struct RefillSignal {
  std::atomic<std::uint32_t> wake{0};
  std::atomic<bool> stop{false};
  void request() noexcept {
    wake.fetch_add(1, std::memory_order_release);
    wake.notify_one();
  }
};

// Whether a key store can refill its ratchet window outside its lock (KeyRing can).
template <class Ring>
concept RefillsOutsideLock = requires {
  typename Ring::Refill;
}
&&requires(Ring& r, const Ring& cr, typename Ring::Refill& f) {
  cr.plan_refill(std::size_t{});
  cr.derive(f);
  r.apply(std::move(f));
};
template <class Ring>
inline constexpr bool refills_outside_lock = RefillsOutsideLock<Ring>;

// One participant's keys. Everything a frame of this participant touches is guarded by `mutex`;
// the manager derives from this to add the frame cryptor, its state and its counters.
template <class Ring>
class ParticipantKeys {
 public:
  using ring_type = Ring;

  ParticipantKeys(std::string participant_identity, ring_type&& key_ring) noexcept
      : identity(std::move(participant_identity)),
        ring(std::move(key_ring)),
        ring_size(ring.size()),
        send_index(ring.current_index()) {}
  ParticipantKeys(const ParticipantKeys&) = delete;
  ParticipantKeys& operator=(const ParticipantKeys&) = delete;
  virtual ~ParticipantKeys() = default;

  // Called with `mutex` held when the room's SIF trailer changes (the manager's participants hand
  // it to their frame cryptor; a bare provider has nothing to update).
  virtual void apply_sif_trailer(BytesIn /*trailer*/) {}

  // Frame path, after a receive-side ratchet (mutex not held): asks the refill thread to derive the
  // steps the window used up.
  void request_refill() noexcept {
    needs_refill.store(true, std::memory_order_relaxed);
    if (refill_signal) refill_signal->request();
  }

  const std::string identity;
  std::mutex mutex;
  ring_type ring;                               // guarded by mutex (its options and KDF never change)
  std::shared_ptr<RefillSignal> refill_signal;  // set before the participant is published
  std::atomic<bool> needs_refill{false};
  // Frame path, after Errc::kdf_mismatch with adopt_sender_kdf: the KDF to re-derive the ring with
  // (0: none, else 1 + KdfAlgorithm), done by the refill thread.
  std::atomic<std::uint8_t> adopt_kdf{0};
  void request_kdf_adoption(KdfAlgorithm a) noexcept {
    adopt_kdf.store(static_cast<std::uint8_t>(1 + static_cast<unsigned>(a)), std::memory_order_relaxed);
    if (refill_signal) refill_signal->request();
  }
  const std::size_t ring_size;             // ring.size(), readable without the lock
  std::atomic<std::uint8_t> send_index;    // the KID written on encrypt; stored with mutex held
  std::atomic<std::uint64_t> ratchets{0};  // ratchet steps applied to ring (explicit and receive-side)
};

}  // namespace detail

// What BasicKeyProvider needs of a per-participant key store. KeyRing<C, Kdf> (LiveKit) and
// SframeKeyRing<S> (SFrame, sframe_format.hpp) model it; a shared key also needs clone()
// (detail::shared_key_safe). BasicKeyProvider asserts it, so a wrong store fails with this name.
template <class R>
concept KeyStore = std::move_constructible<R> &&
    requires(R& r, const R& cr, const KeyRingOptions& o, const typename R::config_type& cfg, BytesIn key,
             std::size_t i) {
  typename R::cipher_type;
  { R::create(o, cfg) } -> std::same_as<Result<R>>;
  { cr.options() } -> std::same_as<const KeyRingOptions&>;
  { cr.config() } -> std::same_as<const typename R::config_type&>;
  { cr.size() } -> std::same_as<std::size_t>;
  { cr.current_index() } -> std::same_as<std::uint8_t>;
  { r.set_key(i, key) } -> std::same_as<Errc>;
  { cr.export_key(i) } -> std::same_as<Result<SecretBuffer>>;
  { r.ratchet(i) } -> std::same_as<Result<SecretBuffer>>;
};

// The per-participant key store `Ring` is a KeyStore (above).
template <class Ring>
class BasicKeyProvider {
  static_assert(KeyStore<Ring>, "BasicKeyProvider<Ring>: Ring must model session::KeyStore");

 public:
  using ring_type = Ring;
  using cipher_type = typename Ring::cipher_type;
  // What a ring needs beyond KeyRingOptions: KeyRing's KDF (LiveKit), SframeOptions (SFrame).
  using config_type = typename Ring::config_type;
  using Kdf = config_type;

  // options.kdf selects the algorithm of a LivekitKdf prototype (pass one to plug in another PBKDF2
  // implementation, e.g. openssl::pbkdf2_hmac_sha256); with Kdf = Hkdf or Pbkdf2 it must name that
  // algorithm; any other KDF policy is used as given. options.shared_key is consumed.
  [[nodiscard]] static Result<BasicKeyProvider> create(KeyProviderOptions options = {}, Kdf kdf = {}) {
    return create_with(std::move(options), std::move(kdf), {});
  }

  BasicKeyProvider(BasicKeyProvider&&) noexcept = default;
  BasicKeyProvider& operator=(BasicKeyProvider&&) noexcept = default;

  // False for a format where a shared key is refused (SFrame: see sframe_format.hpp).
  static constexpr bool shared_key_supported = detail::shared_key_safe<Ring>;

  // The options it was created with (shared_key is empty: the provider took it).
  [[nodiscard]] const KeyProviderOptions& options() const noexcept { return impl_->options; }
  [[nodiscard]] const config_type& config() const noexcept { return impl_->master.config(); }

  // Shared-key mode: set at creation with options.shared_key or by the first set_shared_key.
  [[nodiscard]] bool shared_key_mode() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->shared;
  }

  [[nodiscard]] Errc set_shared_key(BytesIn key, std::size_t key_index = 0) {
    if constexpr (!shared_key_supported) {
      (void)key;
      (void)key_index;
      return Errc::invalid_argument;
    } else {
      return set_shared(key, key_index);
    }
  }

  [[nodiscard]] Result<SecretBuffer> export_shared_key(std::size_t key_index = 0) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->master.export_key(key_index);
  }

  [[nodiscard]] Result<SecretBuffer> ratchet_shared_key(std::size_t key_index = 0) {
    if constexpr (!shared_key_supported) {
      (void)key_index;
      return Errc::invalid_argument;
    } else {
      return ratchet_shared(key_index);
    }
  }

  // A fresh random key (32 bytes from libsodium's randombytes_buf) and the key index it was set at.
  struct RotatedKey {
    std::size_t key_index = 0;
    SecretBuffer key;
  };

  // The safe way to admit a participant who must not read the past (and to lock out one who left):
  // a fresh random shared key at key_index (default: the index after the master's current one),
  // set as set_shared_key does, and returned for distribution. Ratcheting is not enough for that:
  // the ratcheted material contains the previous generation's AES key (key_ring.hpp). Frames
  // still in flight under the old index keep decrypting until that slot is overwritten.
  [[nodiscard]] Result<RotatedKey> rotate_shared_key(std::optional<std::size_t> key_index = std::nullopt) {
    if constexpr (!shared_key_supported) {
      (void)key_index;
      return Errc::invalid_argument;
    } else {
      std::size_t index = 0;
      {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        index = key_index ? *key_index : (impl_->master.current_index() + 1u) % impl_->master.size();
      }
      auto key = random_key();
      if (!key) return key.error();
      if (Errc e = set_shared(key->view(), index); e != Errc::ok) return e;
      return RotatedKey{index % impl_->options.key_ring_size, std::move(*key)};
    }
  }

  // The same for one participant's own key (per-participant keys): a fresh random key at
  // key_index (default: the index after that participant's sending index), set and returned.
  [[nodiscard]] Result<RotatedKey> rotate_key(std::string_view participant_identity,
                                              std::optional<std::size_t> key_index = std::nullopt) {
    auto p = ensure(participant_identity);
    if (!p) return p.error();
    const std::size_t index = key_index ? *key_index : ((*p)->send_index.load() + 1u) % (*p)->ring_size;
    auto key = random_key();
    if (!key) return key.error();
    if (Errc e = set_key(participant_identity, key->view(), index); e != Errc::ok) return e;
    return RotatedKey{index % (*p)->ring_size, std::move(*key)};
  }

  // The KDF work of a per-participant key is done before that participant's lock is taken (the
  // whole ratchet window: 1 + ratchet_window_size derivations); its frames wait only for the install.
  [[nodiscard]] Errc set_key(std::string_view participant_identity, BytesIn key, std::size_t key_index = 0) {
    if (key.empty()) return Errc::invalid_argument;
    auto pr = ensure(participant_identity);
    if (!pr) return pr.error();
    participant_type& p = **pr;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if constexpr (requires(const Ring& r) { r.prepare_key(key); }) {
      auto prepared = p.ring.prepare_key(key);  // reads only the ring's options and KDF
      if (!prepared) return prepared.error();
      std::lock_guard<std::mutex> plock(p.mutex);
      if (Errc e = p.ring.install(key_index, std::move(*prepared)); e != Errc::ok) return e;
    } else {
      std::lock_guard<std::mutex> plock(p.mutex);
      if (Errc e = p.ring.set_key(key_index, key); e != Errc::ok) return e;
    }
    p.send_index.store(static_cast<std::uint8_t>(key_index % p.ring_size), std::memory_order_relaxed);
    return Errc::ok;
  }

  // Derives, on the calling thread, every step that any participant's ratchet window lacks (the
  // refill thread does this by itself after receive-side ratchets; this is for callers that want
  // it done now, e.g. before a burst of frames). Participants' locks are held only to plan and to
  // apply, never during the KDF.
  void refill_now() {
    if constexpr (detail::refills_outside_lock<Ring>) {
      auto all = snapshot();
      // The control mutex keeps a KDF adoption (which replaces a ring) from running meanwhile.
      std::lock_guard<std::mutex> lock(impl_->mutex);
      for (auto& p : all) refill_participant(*p);
    }
  }

  // Steps missing from a participant's ratchet window at key_index (0: full; missing_key without
  // that participant). For monitoring and tests.
  [[nodiscard]] Result<std::size_t> window_deficit(std::string_view participant_identity,
                                                   std::size_t key_index = 0) const requires
      requires(const Ring& r) {
    r.window_deficit(std::size_t{});
  }
  {
    std::shared_ptr<participant_type> p;
    {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      auto it = impl_->participants.find(participant_identity);
      if (it == impl_->participants.end()) return Errc::missing_key;
      p = it->second;
    }
    std::lock_guard<std::mutex> plock(p->mutex);
    return p->ring.window_deficit(key_index);
  }

  // SFrame (sframe_format.hpp): installs key as the base key of exactly this KID, i.e. key index
  // KID >> R at ratchet step KID mod 2^R. A participant who joins after ratchet_key is given the
  // returned base key and the sender's key_id(). invalid_argument for empty key material or a KID
  // whose key index is >= key_ring_size. Makes that index the sending index, as set_key does.
  [[nodiscard]] Errc set_key_for_kid(std::string_view participant_identity, BytesIn key,
                                     std::uint64_t kid) requires
      requires(Ring& r, BytesIn k, std::uint64_t id) {
    r.set_key_for_kid(id, k);
  }
  {
    if (key.empty()) return Errc::invalid_argument;
    auto p = ensure(participant_identity);
    if (!p) return p.error();
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::lock_guard<std::mutex> plock((*p)->mutex);
    if (Errc e = (*p)->ring.set_key_for_kid(kid, key); e != Errc::ok) return e;
    (*p)->send_index.store((*p)->ring.current_index(), std::memory_order_relaxed);
    return Errc::ok;
  }

  // SFrame: the KID that a participant's key index names now (index << R | current step), or
  // missing_key when the index has no key (invalid_argument: index >= key_ring_size).
  [[nodiscard]] Result<std::uint64_t> key_id(std::string_view participant_identity,
                                             std::size_t key_index = 0) const requires
      requires(const Ring& r, std::size_t i) {
    r.kid(i);
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto it = impl_->participants.find(participant_identity);
    if (it == impl_->participants.end()) return Errc::missing_key;
    std::lock_guard<std::mutex> plock(it->second->mutex);
    const Ring& r = it->second->ring;
    if (key_index >= r.size()) return Errc::invalid_argument;
    if (!r.has_key(key_index)) return Errc::missing_key;
    return r.kid(key_index);
  }

  // In shared-key mode a participant without a ring yet reports the shared key it would get.
  [[nodiscard]] Result<SecretBuffer> export_key(std::string_view participant_identity,
                                                std::size_t key_index = 0) const {
    const Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.participants.find(participant_identity);
    if (it == s.participants.end()) {
      if (s.shared) return s.master.export_key(key_index);
      return Errc::missing_key;
    }
    std::lock_guard<std::mutex> plock(it->second->mutex);
    return it->second->ring.export_key(key_index);
  }

  // The step comes from the participant's ratchet window; the step derived to top the window up
  // again is derived outside that participant's lock.
  [[nodiscard]] Result<SecretBuffer> ratchet_key(std::string_view participant_identity,
                                                 std::size_t key_index = 0) {
    Impl& s = *impl_;
    std::shared_ptr<participant_type> p;
    bool shared = false;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      shared = s.shared;
      if (!shared) {
        auto it = s.participants.find(participant_identity);
        if (it == s.participants.end()) return Errc::missing_key;
        p = it->second;
      }
    }
    if (shared) {  // the native SDK clones the shared key for a participant on first use
      auto created = ensure(participant_identity);
      if (!created) return created.error();
      p = std::move(*created);
    }
    std::lock_guard<std::mutex> lock(s.mutex);
    Result<SecretBuffer> next = Errc::internal_error;
    {
      std::lock_guard<std::mutex> plock(p->mutex);
      if constexpr (detail::refills_outside_lock<Ring>) {
        next = p->ring.ratchet(key_index, false);
      } else {
        next = p->ring.ratchet(key_index);
      }
      if (next) {
        p->send_index.store(static_cast<std::uint8_t>(key_index), std::memory_order_relaxed);
        p->ratchets.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (next) refill_participant(*p);
    return next;
  }

  // The room's server-injected-frame trailer (JoinResponse.sif_trailer); empty disables SIF
  // detection. Applies to every participant, present and future.
  void set_sif_trailer(BytesIn trailer) {
    Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    s.sif_trailer.assign(trailer.begin(), trailer.end());
    for (auto& entry : s.participants) {
      std::lock_guard<std::mutex> plock(entry.second->mutex);
      entry.second->apply_sif_trailer(trailer);
    }
  }

  [[nodiscard]] std::vector<std::uint8_t> sif_trailer() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->sif_trailer;
  }

  // The identities that have a ring (through a key operation or a frame cryptor), sorted.
  [[nodiscard]] std::vector<std::string> participant_identities() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<std::string> ids;
    ids.reserve(impl_->participants.size());
    for (const auto& entry : impl_->participants) ids.push_back(entry.first);
    return ids;
  }

 private:
  template <class>
  friend class BasicE2eeManager;
  using participant_type = detail::ParticipantKeys<Ring>;
  struct Impl;

  [[nodiscard]] static Result<SecretBuffer> random_key() noexcept {
    if (!frameseal::detail::ensure_sodium()) return Errc::backend_unavailable;
    auto key = SecretBuffer::allocate(32);
    if (!key) return key.error();
    randombytes_buf(key->data(), key->size());
    return key;
  }

  // Tops up every slot's ratchet window of one participant: plan and apply under its lock, the KDF
  // work between them without it (the ring's options and KDF never change, so derive needs no lock).
  static void refill_participant(participant_type& p) noexcept {
    if constexpr (detail::refills_outside_lock<Ring>) {
      for (std::size_t i = 0; i < p.ring_size; ++i) {
        std::optional<typename Ring::Refill> plan;
        {
          std::lock_guard<std::mutex> plock(p.mutex);
          plan = p.ring.plan_refill(i);
        }
        if (!plan || p.ring.derive(*plan) != Errc::ok) continue;
        std::lock_guard<std::mutex> plock(p.mutex);
        (void)p.ring.apply(std::move(*plan));
      }
    } else {
      (void)p;
    }
  }

  // Re-derives a participant's ring with another KDF algorithm (adopt_sender_kdf): every slot's
  // current material installed again in a new ring, swapped in under the participant's lock. The
  // KDF work runs under the control mutex only (the refill thread calls this).
  [[nodiscard]] static Errc adopt_kdf(Impl& s, participant_type& p, KdfAlgorithm algorithm) {
    if constexpr (requires(Kdf k) { k.algorithm = algorithm; }) {
      std::lock_guard<std::mutex> lock(s.mutex);
      Kdf kdf = p.ring.config();
      if (kdf.algorithm == algorithm) return Errc::ok;
      kdf.algorithm = algorithm;
      auto fresh = ring_type::create(p.ring.options(), kdf);
      if (!fresh) return fresh.error();
      std::vector<SecretBuffer> materials(p.ring_size);
      std::uint8_t current = 0;
      {
        std::lock_guard<std::mutex> plock(p.mutex);
        current = p.ring.current_index();
        for (std::size_t i = 0; i < p.ring_size; ++i) {
          auto m = p.ring.export_key(i);
          if (m) materials[i] = std::move(*m);
        }
      }
      for (std::size_t i = 0; i < p.ring_size; ++i)
        if (materials[i].size() != 0)
          if (Errc e = fresh->set_key(i, materials[i].view(), false); e != Errc::ok) return e;
      (void)fresh->set_current_index(current);
      std::lock_guard<std::mutex> plock(p.mutex);
      p.ring = std::move(*fresh);
      return Errc::ok;
    } else {
      (void)s, (void)p, (void)algorithm;
      return Errc::invalid_argument;
    }
  }

  // The shared-key operations, instantiated only for a store that allows a shared key.
  // A participant's ring takes the master's slot: copied (no KDF call) when the ring type can,
  // otherwise derived again from the material.
  [[nodiscard]] static Errc install_from_master(Ring& ring, const Ring& master, std::size_t key_index,
                                                BytesIn key) {
    if constexpr (requires { ring.set_key_from(master, key_index); }) {
      return ring.set_key_from(master, key_index);
    } else {
      return ring.set_key(key_index, key);
    }
  }

  // A participant's ring on the master's chain takes the master's new step (no KDF call) when the
  // ring type can, otherwise ratchets itself.
  [[nodiscard]] static Errc follow_master(Ring& ring, const Ring& master, std::size_t key_index) {
    if constexpr (requires { ring.ratchet_from(master, key_index); }) {
      return ring.ratchet_from(master, key_index);
    } else {
      auto r = ring.ratchet(key_index);
      return r ? Errc::ok : r.error();
    }
  }

  [[nodiscard]] Errc set_shared(BytesIn key, std::size_t key_index) {
    Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    if (Errc e = s.master.set_key(key_index, key); e != Errc::ok) return e;
    s.shared = true;
    ++s.key_epoch;
    const auto slot = static_cast<std::uint8_t>(key_index % s.master.size());
    Errc first = Errc::ok;
    for (auto& entry : s.participants) {
      auto& p = *entry.second;
      std::lock_guard<std::mutex> plock(p.mutex);
      const Errc e = install_from_master(p.ring, s.master, key_index, key);
      if (e == Errc::ok)
        p.send_index.store(slot, std::memory_order_relaxed);
      else if (first == Errc::ok)
        first = e;
    }
    return first;
  }

  [[nodiscard]] Result<SecretBuffer> ratchet_shared(std::size_t key_index) {
    Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    auto old = s.master.export_key(key_index);
    if (!old) return old.error();
    auto next = s.master.ratchet(key_index);
    if (!next) return next.error();
    ++s.key_epoch;
    const auto slot = static_cast<std::uint8_t>(key_index);
    Errc first = Errc::ok;
    for (auto& entry : s.participants) {
      auto& p = *entry.second;
      std::lock_guard<std::mutex> plock(p.mutex);
      auto current = p.ring.export_key(key_index);
      Errc e = Errc::ok;
      if (current && ct_equal(current->view(), old->view())) {
        e = follow_master(p.ring, s.master, key_index);
        if (e == Errc::ok) p.ratchets.fetch_add(1, std::memory_order_relaxed);
      } else if (current && ct_equal(current->view(), next->view())) {
        // A receive-side ratchet got there first (and kept the old key as a previous generation).
      } else {
        e = install_from_master(p.ring, s.master, key_index, next->view());
      }
      if (e == Errc::ok)
        p.send_index.store(slot, std::memory_order_relaxed);
      else if (first == Errc::ok)
        first = e;
    }
    if (first != Errc::ok) return first;
    return next;
  }

  // How a participant's state is made: the manager's adds a frame cryptor; null: bare keys.
  using Factory = std::function<std::shared_ptr<participant_type>(std::string identity, ring_type&& ring)>;

  struct Impl {
    Impl(KeyProviderOptions o, ring_type m, Factory f) noexcept
        : options(std::move(o)), master(std::move(m)), make(std::move(f)) {}
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
      if (worker.joinable()) {
        signal->stop.store(true, std::memory_order_relaxed);
        signal->request();
        worker.join();
      }
    }
    mutable std::mutex mutex;  // the control mutex: guards everything below except `options`
    KeyProviderOptions options;
    ring_type master;
    std::map<std::string, std::shared_ptr<participant_type>, std::less<>> participants;
    std::vector<std::uint8_t> sif_trailer;
    Factory make;
    bool shared = false;
    std::uint64_t key_epoch = 0;  // counts changes of the master (a ring cloned before one is stale)
    std::shared_ptr<detail::RefillSignal> signal = std::make_shared<detail::RefillSignal>();
    std::thread worker;  // the refill thread (KeyRing stores only); joined by the destructor

    // The refill thread: waits for a request, then refills the participants that asked.
    void run() noexcept {
      for (;;) {
        const std::uint32_t seen = signal->wake.load(std::memory_order_acquire);
        if (signal->stop.load(std::memory_order_relaxed)) return;
        std::vector<std::shared_ptr<participant_type>> todo, adopt;
        {
          std::lock_guard<std::mutex> lock(mutex);
          for (auto& entry : participants) {
            if (entry.second->needs_refill.exchange(false, std::memory_order_relaxed))
              todo.push_back(entry.second);
            if (entry.second->adopt_kdf.load(std::memory_order_relaxed) != 0) adopt.push_back(entry.second);
          }
        }
        for (auto& p : todo) refill_participant(*p);
        for (auto& p : adopt) {
          const std::uint8_t a = p->adopt_kdf.exchange(0, std::memory_order_relaxed);
          if (a != 0) (void)adopt_kdf(*this, *p, static_cast<KdfAlgorithm>(a - 1));
        }
        signal->wake.wait(seen, std::memory_order_acquire);
      }
    }
  };

  explicit BasicKeyProvider(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

  [[nodiscard]] static Result<Kdf> resolve_kdf(KdfAlgorithm algorithm, Kdf kdf) noexcept {
    if constexpr (std::is_same_v<Kdf, LivekitKdf>) {
      kdf.algorithm = algorithm;
    } else if constexpr (std::is_same_v<Kdf, Hkdf>) {
      if (algorithm != KdfAlgorithm::hkdf) return Errc::invalid_argument;
    } else if constexpr (std::is_same_v<Kdf, Pbkdf2>) {
      if (algorithm != KdfAlgorithm::pbkdf2) return Errc::invalid_argument;
    }
    return kdf;
  }

  [[nodiscard]] static Result<BasicKeyProvider> create_with(KeyProviderOptions options, Kdf kdf,
                                                            Factory make) {
    if (!shared_key_supported && !options.shared_key.empty()) return Errc::invalid_argument;
    auto resolved = resolve_kdf(options.kdf, std::move(kdf));
    if (!resolved) return resolved.error();
    KeyRingOptions ro;
    ro.size = options.key_ring_size;
    ro.ratchet_window = options.ratchet_window_size;
    ro.failure_tolerance = options.failure_tolerance;
    ro.previous_generations = options.previous_generations;
    ro.salt = options.ratchet_salt;
    ro.detect_kdf_mismatch = options.detect_kdf_mismatch || options.adopt_sender_kdf;
    auto master = ring_type::create(std::move(ro), std::move(*resolved));
    if (!master) return master.error();
    SecretBuffer shared_key = std::move(options.shared_key);
    auto impl = std::make_unique<Impl>(std::move(options), std::move(*master), std::move(make));
    if (!shared_key.empty()) {
      if (Errc e = impl->master.set_key(0, shared_key.view()); e != Errc::ok) return e;
      impl->shared = true;
    }
    if constexpr (detail::refills_outside_lock<Ring>) {
      Impl* raw = impl.get();
      impl->worker = std::thread([raw] { raw->run(); });
    }
    return BasicKeyProvider(std::move(impl));
  }

  // A fresh ring for a new participant (control mutex held): a clone of the shared key, or empty.
  [[nodiscard]] Result<ring_type> new_ring() const noexcept {
    const Impl& s = *impl_;
    if constexpr (shared_key_supported) {
      if (s.shared) return s.master.clone();
    }
    return ring_type::create(s.master.options(), s.master.config());
  }

  // The participant's state, created on first use. No lock is held while the factory (user code:
  // the manager's IvFactory) runs, so it may call into the provider and the manager; the one call
  // it cannot make is creating the same participant again (Errc::invalid_argument: it would
  // recurse). If the shared key changed meanwhile, the new ring is cloned again before the
  // participant is published.
  [[nodiscard]] Result<std::shared_ptr<participant_type>> ensure(std::string_view identity) {
    Impl& s = *impl_;
    if (identity.empty()) return Errc::invalid_argument;
    std::uint64_t epoch = 0;
    Result<ring_type> ring = Errc::internal_error;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (auto it = s.participants.find(identity); it != s.participants.end()) return it->second;
      ring = new_ring();
      epoch = s.key_epoch;
    }
    if (!ring) return ring.error();
    thread_local const void* creating_for = nullptr;
    thread_local std::string_view creating_id;
    if (creating_for == &s && creating_id == identity) return Errc::invalid_argument;
    std::shared_ptr<participant_type> p;
    {
      const void* outer_for = creating_for;
      const std::string_view outer_id = creating_id;
      creating_for = &s;
      creating_id = identity;
      p = s.make ? s.make(std::string(identity), std::move(*ring))
                 : std::make_shared<participant_type>(std::string(identity), std::move(*ring));
      creating_for = outer_for;
      creating_id = outer_id;
    }
    if (!p) return Errc::internal_error;
    std::lock_guard<std::mutex> lock(s.mutex);
    if (auto it = s.participants.find(identity); it != s.participants.end())
      return it->second;  // lost a race
    {
      std::lock_guard<std::mutex> plock(p->mutex);
      if (s.key_epoch != epoch) {
        auto fresh = new_ring();
        if (!fresh) return fresh.error();
        p->ring = std::move(*fresh);
      }
      if (!s.sif_trailer.empty()) p->apply_sif_trailer(s.sif_trailer);
    }
    p->refill_signal = s.signal;
    s.participants.emplace(std::string(identity), p);
    return p;
  }

  // Control mutex taken here: a copy of the participant list for the manager.
  [[nodiscard]] std::vector<std::shared_ptr<participant_type>> snapshot() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<std::shared_ptr<participant_type>> out;
    out.reserve(impl_->participants.size());
    for (const auto& entry : impl_->participants) out.push_back(entry.second);
    return out;
  }

  [[nodiscard]] Result<std::shared_ptr<participant_type>> participant(std::string_view identity) {
    return ensure(identity);
  }

  std::unique_ptr<Impl> impl_;
};

// LiveKit's KeyProvider: one KeyRing<C, Kdf> per participant.
template <Cipher C, class Kdf = LivekitKdf>
using KeyProvider = BasicKeyProvider<KeyRing<C, Kdf>>;

}  // namespace session
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
