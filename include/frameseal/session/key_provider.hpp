// frameseal/session/key_provider.hpp: KeyProvider, the room's keys by participant identity
// (LiveKit's KeyProvider: set_shared_key, export_shared_key, ratchet_shared_key, set_key,
// export_key, ratchet_key, set_sif_trailer).
//
// Model (the native SDKs'): every participant identity has its own KeyRing, so failure counters,
// invalid flags and receive-side auto-ratchets are per participant, also in shared-key mode.
//   - Per-participant keys: set_key(identity, key, index) fills that participant's ring.
//   - Shared key (KeyProviderOptions::shared_key, or the first set_shared_key call): a master ring
//     holds the room key; a participant seen for the first time gets a clone() of it (no KDF work).
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
// (sframe_format.hpp) uses session::SframeKeys<S>, the RFC 9605 key table behind the same calls. A
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
// participant at a time; the frame path never takes the control mutex. A key operation therefore
// delays only the frames of the participants it changes, for the KDF work of the change (HKDF:
// microseconds; PBKDF2: 100000 HMAC iterations, ~20-30 ms). A shared-key change or ratchet derives
// once, in the master ring; each participant's ring copies the result (KeyRing::set_key_from,
// KeyRing::ratchet_from), so the participants' frames wait only for a copy. A per-participant
// set_key or ratchet_key derives in that ring.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../bytes.hpp"
#include "../cipher.hpp"
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

  const std::string identity;
  std::mutex mutex;
  ring_type ring;                          // guarded by mutex
  const std::size_t ring_size;             // ring.size(), readable without the lock
  std::atomic<std::uint8_t> send_index;    // the KID written on encrypt; stored with mutex held
  std::atomic<std::uint64_t> ratchets{0};  // ratchet steps applied to ring (explicit and receive-side)
};

}  // namespace detail

// The per-participant key store `Ring` is KeyRing<C, Kdf> or anything with its configuration API:
// create(KeyRingOptions, kdf_type), options(), kdf(), size(), current_index(), set_key(index, key),
// export_key(index), ratchet(index), and clone() when shared_key_safe.
template <class Ring>
class BasicKeyProvider {
 public:
  using ring_type = Ring;
  using cipher_type = typename Ring::cipher_type;
  using kdf_type = typename Ring::kdf_type;
  using Kdf = kdf_type;

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
  [[nodiscard]] const Kdf& kdf() const noexcept { return impl_->master.kdf(); }

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

  [[nodiscard]] Errc set_key(std::string_view participant_identity, BytesIn key, std::size_t key_index = 0) {
    if (key.empty()) return Errc::invalid_argument;
    Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    auto p = get_or_create(participant_identity);
    if (!p) return p.error();
    std::lock_guard<std::mutex> plock((*p)->mutex);
    if (Errc e = (*p)->ring.set_key(key_index, key); e != Errc::ok) return e;
    (*p)->send_index.store(static_cast<std::uint8_t>(key_index % (*p)->ring_size), std::memory_order_relaxed);
    return Errc::ok;
  }

  // SFrame (sframe_format.hpp): installs key as the base key of exactly this KID, i.e. key index
  // KID >> R at ratchet step KID mod 2^R. A participant who joins after ratchet_key is given the
  // returned base key and the sender's key_id(). invalid_argument for empty key material or a KID
  // whose key index is >= key_ring_size. Makes that index the sending index, as set_key does.
  [[nodiscard]] Errc set_key_for_kid(std::string_view participant_identity, BytesIn key, std::uint64_t kid)
    requires requires(Ring& r, BytesIn k, std::uint64_t id) { r.set_key_for_kid(id, k); }
  {
    if (key.empty()) return Errc::invalid_argument;
    Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    auto p = get_or_create(participant_identity);
    if (!p) return p.error();
    std::lock_guard<std::mutex> plock((*p)->mutex);
    if (Errc e = (*p)->ring.set_key_for_kid(kid, key); e != Errc::ok) return e;
    (*p)->send_index.store((*p)->ring.current_index(), std::memory_order_relaxed);
    return Errc::ok;
  }

  // SFrame: the KID that a participant's key index names now (index << R | current step), or
  // missing_key when the index has no key (invalid_argument: index >= key_ring_size).
  [[nodiscard]] Result<std::uint64_t> key_id(std::string_view participant_identity, std::size_t key_index = 0) const
    requires requires(const Ring& r, std::size_t i) { r.kid(i); }
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

  [[nodiscard]] Result<SecretBuffer> ratchet_key(std::string_view participant_identity, std::size_t key_index = 0) {
    Impl& s = *impl_;
    std::lock_guard<std::mutex> lock(s.mutex);
    std::shared_ptr<participant_type> p;
    if (s.shared) {  // the native SDK clones the shared key for a participant on first use
      auto created = get_or_create(participant_identity);
      if (!created) return created.error();
      p = std::move(*created);
    } else {
      auto it = s.participants.find(participant_identity);
      if (it == s.participants.end()) return Errc::missing_key;
      p = it->second;
    }
    std::lock_guard<std::mutex> plock(p->mutex);
    auto next = p->ring.ratchet(key_index);
    if (next) {
      p->send_index.store(static_cast<std::uint8_t>(key_index), std::memory_order_relaxed);
      p->ratchets.fetch_add(1, std::memory_order_relaxed);
    }
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

  // The shared-key operations, instantiated only for a store that allows a shared key.
  // A participant's ring takes the master's slot: copied (no KDF call) when the ring type can,
  // otherwise derived again from the material.
  [[nodiscard]] static Errc install_from_master(Ring& ring, const Ring& master, std::size_t key_index, BytesIn key) {
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

  using participant_type = detail::ParticipantKeys<Ring>;
  // How a participant's state is made: the manager's adds a frame cryptor; null: bare keys.
  using Factory = std::function<std::shared_ptr<participant_type>(std::string identity, ring_type&& ring)>;

  struct Impl {
    Impl(KeyProviderOptions o, ring_type m, Factory f) noexcept
        : options(std::move(o)), master(std::move(m)), make(std::move(f)) {}
    mutable std::mutex mutex;  // the control mutex: guards everything below except `options`
    KeyProviderOptions options;
    ring_type master;
    std::map<std::string, std::shared_ptr<participant_type>, std::less<>> participants;
    std::vector<std::uint8_t> sif_trailer;
    Factory make;
    bool shared = false;
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

  [[nodiscard]] static Result<BasicKeyProvider> create_with(KeyProviderOptions options, Kdf kdf, Factory make) {
    if (!shared_key_supported && !options.shared_key.empty()) return Errc::invalid_argument;
    auto resolved = resolve_kdf(options.kdf, std::move(kdf));
    if (!resolved) return resolved.error();
    KeyRingOptions ro;
    ro.size = options.key_ring_size;
    ro.ratchet_window = options.ratchet_window_size;
    ro.failure_tolerance = options.failure_tolerance;
    ro.previous_generations = options.previous_generations;
    ro.salt = options.ratchet_salt;
    auto master = ring_type::create(std::move(ro), std::move(*resolved));
    if (!master) return master.error();
    SecretBuffer shared_key = std::move(options.shared_key);
    auto impl = std::make_unique<Impl>(std::move(options), std::move(*master), std::move(make));
    if (!shared_key.empty()) {
      if (Errc e = impl->master.set_key(0, shared_key.view()); e != Errc::ok) return e;
      impl->shared = true;
    }
    return BasicKeyProvider(std::move(impl));
  }

  // Control mutex held.
  [[nodiscard]] Result<std::shared_ptr<participant_type>> get_or_create(std::string_view identity) {
    Impl& s = *impl_;
    if (identity.empty()) return Errc::invalid_argument;
    if (auto it = s.participants.find(identity); it != s.participants.end()) return it->second;
    auto ring = [&s]() noexcept {
      if constexpr (shared_key_supported) {
        if (s.shared) return s.master.clone();
      }
      return ring_type::create(s.master.options(), s.master.kdf());
    }();
    if (!ring) return ring.error();
    std::shared_ptr<participant_type> p = s.make ? s.make(std::string(identity), std::move(*ring))
                                                 : std::make_shared<participant_type>(std::string(identity), std::move(*ring));
    if (!p) return Errc::internal_error;
    if (!s.sif_trailer.empty()) {
      std::lock_guard<std::mutex> plock(p->mutex);
      p->apply_sif_trailer(s.sif_trailer);
    }
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
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return get_or_create(identity);
  }

  std::unique_ptr<Impl> impl_;
};

// LiveKit's KeyProvider: one KeyRing<C, Kdf> per participant.
template <Cipher C, class Kdf = LivekitKdf>
using KeyProvider = BasicKeyProvider<KeyRing<C, Kdf>>;

}  // namespace session
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
