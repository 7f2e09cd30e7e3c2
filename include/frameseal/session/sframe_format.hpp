// frameseal/session/sframe_format.hpp: the session layer (KeyProvider, E2eeManager, FrameCryptor
// facade) over IETF SFrame (RFC 9605) instead of LiveKit's format, with the same API.
//
//   auto m = session::SframeE2eeManager<sframe::Suite4>::create(options, {.ratchet_bits = 8}).value();
//   m.key_provider().set_key("alice", base_key, 0);     // alice's KID = 0 << 8 | step 0
//   auto alice = m.frame_cryptor("alice").value();
//   auto wire = alice.encrypt(info, frame, out);        // an RFC 9605 frame: header || ciphertext
//
// Key index -> KID. A participant's key index i (0 <= i < key_ring_size) is one SFrame key: its
// material is the RFC's base_key (any length), and its KID is
//   KID = i                        with SframeOptions::ratchet_bits R = 0 (no ratchet), or
//   KID = i << R | (step mod 2^R)  with R > 0 (RFC 9605 §5.1: the generation is the key index).
// set_key(identity, material, i) installs step 0; set_key_index(i) picks the KID encrypt sends.
// A frame whose KID names an index >= key_ring_size, or a step outside the ratchet window, is
// missing_key. KeyProviderOptions::ratchet_salt and kdf are not used (the key schedule is the
// RFC's); ratchet_window_size is the receiver's forward window and previous_generations the kept
// steps (both clamped so they fit in 2^R - 1 KIDs, see sframe/frame_cryptor.hpp).
//
// ratchet_key(identity, i) is the RFC §5.1 sender-key ratchet: the new base key is
// HKDF-Expand(sframe_secret, "SFrame 1.0 Ratchet", Nh) and the KID moves one step. It returns the
// new base key (export_key returns it from then on). A participant who joins now is given that base
// key and the KID (key_provider().key_id(identity, i)) and installs both with
// set_key_for_kid(identity, base_key, kid); it cannot derive the earlier steps, so it cannot read
// what was sent before it joined. (set_key always installs step 0.) Without ratchet bits (R = 0) a
// new key could not get a new KID, so ratchet_key is Errc::invalid_argument. A receiver whose frame
// names a step ahead of its own (within ratchet_window_size) derives it, decrypts, and moves its
// chain: the state goes key_ratcheted then ok, Counters::ratchets counts the steps, and export_key
// returns the new base key, as a LiveKit receive-side auto-ratchet does. Choose R so that
// 2^R - 1 covers ratchet_window_size + previous_generations (R = 8 does for the defaults); the
// window is served first, then kept steps.
//
// Shared-key mode is refused (KeyProviderOptions::shared_key, set_shared_key, ratchet_shared_key:
// Errc::invalid_argument). The SFrame nonce is salt XOR CTR, the salt depends only on (base key,
// KID, suite), and each sender's CTR runs independently; two senders encrypting under one key and
// KID would therefore reuse (key, nonce) pairs, which breaks AES-GCM's confidentiality and
// authenticity. Give every sender its own key (set_key per identity). For the same reason never
// set_key the same material for two participants that both encrypt.
//
// States and counters are those of e2ee_manager.hpp, with SFrame's errors: missing_key (no key
// for the KID) -> missing_key; auth_failed, key_invalid, malformed_frame (bad header, too short)
// and replay -> decryption_failed, each with its counter (Counters::replayed for a CTR already
// accepted or older than SframeOptions::replay_window). failure_tolerance works as in KeyRing:
// more than that many consecutive auth failures on one key index make it key_invalid until
// set_key or ratchet_key. Counters' key indexes are KID >> R (saturated at 255). Empty frames are
// encrypted (SFrame has no exception for them); FrameInfo is ignored (SFrame encrypts the whole
// frame); a SIF trailer and the LKTS packet trailer are LiveKit's and refused at create
// (set_sif_trailer has no effect).
// Metadata (RFC 9605 §4.4.3): the facade's encrypt/decrypt overloads with a `metadata` span
// authenticate it with the frame without sending it; the receiver must pass the same bytes (else
// auth_failed); longer than SframeOptions::max_metadata_bytes is invalid_argument.
//
// RFC 9605 §4.4.1: a key is encrypt-only or decrypt-only. Each participant therefore has two
// sframe::FrameCryptors over the same keys: one encrypts (its sender counter starts at a random
// value below 2^63 unless SframeOptions::counter_start = zero), one decrypts (with the replay
// windows and the receive-side ratchet). Frame calls take the participant's lock, do not
// allocate and do not throw; a receive-side ratchet creates cipher instances (OpenSSL: EVP
// contexts) as a LiveKit ratchet does.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../bytes.hpp"
#include "../codec/codec.hpp"
#include "../error.hpp"
#include "../key_ring.hpp"
#include "../secret.hpp"
#include "../sframe/frame_cryptor.hpp"
#include "../sframe/header.hpp"
#include "../sframe/key_schedule.hpp"
#include "../sframe/suite.hpp"
#include "e2ee_manager.hpp"
#include "key_provider.hpp"
#include "options.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace session {

// Largest R: KID = key index (< 256, 8 bits) << R | step must fit in 64 bits.
inline constexpr unsigned max_session_ratchet_bits = 56;

// SFrame's settings that LiveKit's options have no name for. It takes the place of the KDF in
// SframeKeyProvider::create / SframeE2eeManager::create: SFrame's KDF is the RFC key schedule, and
// R is part of how it names keys.
struct SframeOptions {
  unsigned ratchet_bits = 0;        // R of RFC 9605 §5.1; 0 = no ratchet; at most 56
  std::size_t replay_window = 128;  // CTR values remembered per KID; 0 = no replay check; <= 1024
  sframe::CounterStart counter_start = sframe::CounterStart::random;
  std::size_t max_metadata_bytes = 1024;  // longest metadata for the facade's metadata overloads
};

// One participant's SFrame keys: the "ring" of SframeKeyProvider (same configuration API as
// KeyRing) and the two sframe::FrameCryptors that use them. Not synchronised (the session layer
// holds the participant's lock).
template <sframe::CipherSuite S>
class SframeKeyRing : public frameseal::detail::SlotAccessors<SframeKeyRing<S>> {
  friend class frameseal::detail::SlotAccessors<SframeKeyRing>;

 public:
  using suite_type = S;
  using cipher_type = typename S::cipher_type;
  using config_type = SframeOptions;
  using cryptor_type = sframe::FrameCryptor<S>;
  static constexpr bool shared_key_safe = false;  // see the header comment: nonce reuse

  [[nodiscard]] static Result<SframeKeyRing> create(KeyRingOptions options = {},
                                                    SframeOptions so = {}) noexcept {
    if (options.size == 0 || options.size > max_key_ring_size) return Errc::invalid_argument;
    if (so.ratchet_bits > max_session_ratchet_bits) return Errc::invalid_argument;
    sframe::FrameCryptorOptions fo;
    fo.max_keys = options.size;
    fo.ratchet_bits = so.ratchet_bits;
    fo.ratchet_window = options.ratchet_window;
    fo.kept_steps = options.previous_generations;
    fo.replay_window = so.replay_window;
    fo.max_metadata_bytes = so.max_metadata_bytes;
    fo.counter_start = so.counter_start;
    auto tx = cryptor_type::create(fo);
    if (!tx) return tx.error();
    fo.counter_start = sframe::CounterStart::zero;  // the receiving cryptor never sends
    auto rx = cryptor_type::create(fo);
    if (!rx) return rx.error();
    SframeKeyRing k(std::move(options), so, std::move(*tx), std::move(*rx));
    k.slots_.resize(k.options_.size);
    return k;
  }

  SframeKeyRing(SframeKeyRing&&) noexcept = default;
  SframeKeyRing& operator=(SframeKeyRing&&) noexcept = default;

  [[nodiscard]] const SframeOptions& config() const noexcept { return sframe_; }
  // The KID of the key index's current step (what encrypt writes when it is the sending index).
  [[nodiscard]] std::uint64_t kid(std::size_t index) const noexcept {
    const unsigned r = sframe_.ratchet_bits;
    if (r == 0) return index;
    const std::uint64_t step = index < slots_.size() ? slots_[index].step : 0;
    return std::uint64_t{index} << r | (step & ((std::uint64_t{1} << r) - 1));
  }
  // The key index a KID names (KID >> R); may be >= size() for a foreign KID.
  [[nodiscard]] std::uint64_t index_of(std::uint64_t kid) const noexcept {
    return kid >> sframe_.ratchet_bits;
  }

  // Installs material as the base key of KID = index << R (step 0) at index % size, for both
  // directions. On an error the index has no key (the old one is gone too).
  [[nodiscard]] Errc set_key(std::size_t index, BytesIn material, bool make_current = true) noexcept {
    return install(index % slots_.size(), 0, material, make_current);
  }

  // Installs material as the base key of exactly this KID: key index KID >> R at ratchet step
  // KID mod 2^R (what a participant who joins after ratchet_key is given). invalid_argument when
  // the index is >= size.
  [[nodiscard]] Errc set_key_for_kid(std::uint64_t k, BytesIn material, bool make_current = true) noexcept {
    const std::uint64_t index = index_of(k);
    if (index >= slots_.size()) return Errc::invalid_argument;
    const std::uint64_t step =
        sframe_.ratchet_bits == 0 ? 0 : k & ((std::uint64_t{1} << sframe_.ratchet_bits) - 1);
    return install(static_cast<std::size_t>(index), step, material, make_current);
  }

  // The base key of the index's current step (after ratchets: the ratcheted base key).
  [[nodiscard]] Result<SecretBuffer> export_key(std::size_t index) const noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    const Slot& s = slots_[index];
    if (!s.has) return Errc::missing_key;
    return SecretBuffer::copy_of(s.material());
  }

  // RFC 9605 §5.1 sender-key ratchet of the index: one step, both directions (the receiving side
  // keeps the old step for frames in flight). Returns the new base key (Nh bytes) and makes the
  // index the sending index. invalid_argument without ratchet bits or for index >= size.
  [[nodiscard]] Result<SecretBuffer> ratchet(std::size_t index) noexcept {
    if (index >= slots_.size()) return Errc::invalid_argument;
    if (sframe_.ratchet_bits == 0) return Errc::invalid_argument;
    Slot& s = slots_[index];
    if (!s.has) return Errc::missing_key;
    const std::uint64_t old_kid = kid(index);
    SecretBytes<S::hash_bytes> next;
    auto new_kid = tx_.ratchet(old_kid, &next);
    if (!new_kid) return new_kid.error();
    auto out = SecretBuffer::copy_of(next.view());
    if (!out) {
      (void)drop(index);
      return out.error();
    }
    if (auto r = rx_.ratchet(old_kid); !r) {  // e.g. ratchet_window 0: install the step afresh
      if (const Errc e = rx_.add_key(*new_kid, next.view(), sframe::KeyUsage::decrypt); e != Errc::ok) {
        (void)drop(index);
        return e;
      }
    }
    s.ratcheted = std::move(next);
    ++s.step;
    s.failures = 0;
    s.invalid = false;
    current_ = static_cast<std::uint8_t>(index);
    return out;
  }

  // ---- frame path (FrameCryptor facade, participant lock held) ----

  [[nodiscard]] Result<BytesOut> encrypt(BytesIn frame, BytesOut out, BytesIn metadata = {}) noexcept {
    const std::size_t i = current_;
    if (!slots_[i].has) return Errc::missing_key;
    const std::uint64_t k = kid(i);
    if (tx_.encrypt_kid() != k) {
      if (const Errc e = tx_.set_encrypt_key(k); e != Errc::ok) return e;
    }
    return tx_.encrypt(frame, out, metadata);
  }

  [[nodiscard]] Result<BytesOut> decrypt(BytesIn frame, BytesOut out, sframe::DecryptReport& rep,
                                         BytesIn metadata = {}) noexcept {
    rep = sframe::DecryptReport{};
    auto parsed = sframe::parse(frame);
    if (parsed) {
      const std::uint64_t index = index_of(parsed->header.kid);
      if (index < slots_.size() && slots_[index].has && slots_[index].invalid) {
        rep.header = parsed->header;
        rep.header_bytes = parsed->size;
        return Errc::key_invalid;
      }
    }
    auto r = rx_.decrypt(frame, out, metadata, &rep);
    if (!parsed) return r;
    const std::uint64_t index = index_of(rep.header.kid);
    if (index >= slots_.size()) return r;
    Slot& s = slots_[index];
    if (r) {
      s.failures = 0;
      if (rep.ratchet_steps > 0) follow(static_cast<std::size_t>(index), rep.ratchet_steps);
    } else if (r.error() == Errc::auth_failed && s.has) {
      ++s.failures;
      const int tolerance = options_.failure_tolerance;
      if (tolerance >= 0 && s.failures > static_cast<std::uint32_t>(tolerance)) s.invalid = true;
    }
    return r;
  }

  [[nodiscard]] const cryptor_type& sender() const noexcept { return tx_; }
  [[nodiscard]] const cryptor_type& receiver() const noexcept { return rx_; }

 private:
  struct Slot {
    SecretBuffer base;                     // material as set (any length), for step base_step
    SecretBytes<S::hash_bytes> ratcheted;  // base key after >= 1 ratchet step since then
    std::uint64_t base_step = 0;           // the step the material was set at
    std::uint64_t step = 0;                // the current step (its low R bits are in the KID)
    std::uint32_t failures = 0;
    bool has = false;
    bool invalid = false;

    [[nodiscard]] BytesIn material() const noexcept {
      return step == base_step ? base.view() : BytesIn(ratcheted.view());
    }
    [[nodiscard]] bool holds_key() const noexcept { return has; }
    [[nodiscard]] std::uint64_t ratchets() const noexcept { return step; }
    void clear() noexcept {
      base.release();
      ratcheted.wipe();
      base_step = 0;
      step = 0;
      failures = 0;
      has = false;
      invalid = false;
    }
  };

  SframeKeyRing(KeyRingOptions options, SframeOptions so, cryptor_type tx, cryptor_type rx) noexcept
      : options_(std::move(options)), sframe_(so), tx_(std::move(tx)), rx_(std::move(rx)) {}

  [[nodiscard]] Errc install(std::size_t i, std::uint64_t step, BytesIn material,
                             bool make_current) noexcept {
    if (material.empty()) return Errc::invalid_argument;
    auto base = SecretBuffer::copy_of(material);
    if (!base) return base.error();
    Slot& s = slots_[i];
    s.clear();  // add_key replaces the index's chain (the same key and KID again: a no-op)
    s.base_step = s.step = step;
    const std::uint64_t k = kid(i);
    Errc e = tx_.add_key(k, material, sframe::KeyUsage::encrypt);
    if (e == Errc::ok) e = rx_.add_key(k, material, sframe::KeyUsage::decrypt);
    if (e != Errc::ok) {
      remove(k);
      s.clear();
      return e;
    }
    s.base = std::move(*base);
    s.has = true;
    if (make_current) current_ = static_cast<std::uint8_t>(i);
    return Errc::ok;
  }

  void remove(std::uint64_t k) noexcept {
    (void)tx_.remove_key(k);
    (void)rx_.remove_key(k);
  }
  [[nodiscard]] Errc drop(std::size_t index) noexcept {
    remove(kid(index));
    slots_[index].clear();
    return Errc::ok;
  }

  // The receiving chain moved `steps` forward after an authenticated frame: move the sending key
  // and the exported base key along (what KeyRing's shared slot does on a receive-side ratchet).
  void follow(std::size_t index, std::size_t steps) noexcept {
    Slot& s = slots_[index];
    for (std::size_t n = 0; n < steps; ++n) {
      SecretBytes<S::hash_bytes> next;
      auto moved = tx_.ratchet(kid(index), &next);
      if (!moved) {  // backend failure only: better no sending key than a stale one
        (void)tx_.remove_key(kid(index));
        return;
      }
      s.ratcheted = std::move(next);
      ++s.step;
    }
    s.failures = 0;
    s.invalid = false;
  }

  KeyRingOptions options_;
  SframeOptions sframe_;
  cryptor_type tx_;
  cryptor_type rx_;
  std::vector<Slot> slots_;
  std::uint8_t current_ = 0;
};

// The cryptor of an SFrame participant: its SframeKeyRing do the work (both directions).
template <sframe::CipherSuite S>
class SframeParticipantCryptor {
 public:
  explicit SframeParticipantCryptor(SframeKeyRing<S>& keys) noexcept : keys_(&keys) {}
  [[nodiscard]] static constexpr std::size_t max_encrypted_size(std::size_t n) noexcept {
    return sframe::FrameCryptor<S>::max_encrypted_size(n);
  }
  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo&, BytesIn frame, BytesOut out) noexcept {
    return keys_->encrypt(frame, out);
  }
  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo&, BytesIn frame, BytesOut out,
                                         sframe::DecryptReport* rep) noexcept {
    return keys_->decrypt(frame, out, *rep);
  }
  // With metadata: authenticated, not sent (RFC 9605 §4.4.3); longer than
  // SframeOptions::max_metadata_bytes is Errc::invalid_argument.
  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo&, BytesIn frame, BytesOut out,
                                         BytesIn metadata) noexcept {
    return keys_->encrypt(frame, out, metadata);
  }
  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo&, BytesIn frame, BytesOut out, BytesIn metadata,
                                         sframe::DecryptReport* rep) noexcept {
    return keys_->decrypt(frame, out, *rep, metadata);
  }
  [[nodiscard]] const SframeKeyRing<S>& keys() const noexcept { return *keys_; }

 private:
  SframeKeyRing<S>* keys_;
};

// The SFrame format policy of BasicE2eeManager / BasicFrameCryptor.
template <sframe::CipherSuite S>
struct SframeFormat {
  using suite_type = S;
  using ring_type = SframeKeyRing<S>;
  using cipher_type = typename S::cipher_type;
  using config_type = SframeOptions;
  using cryptor_type = SframeParticipantCryptor<S>;
  using report_type = sframe::DecryptReport;
  struct cryptor_options {};
  using factory_type = std::nullptr_t;  // nothing per participant to make (no IV policy)
  static constexpr std::string_view name = "sframe";
  static constexpr bool empty_frames_pass = false;  // an empty frame is encrypted (header + tag)
  [[nodiscard]] static constexpr bool supports_sif() noexcept { return false; }

  // E2eeOptions::frame_cryptor_options are LiveKit's: an LKTS packet trailer is refused (a SIF
  // trailer too, in BasicE2eeManager::create); reserve_bytes has nothing to pre-size here.
  [[nodiscard]] static Result<cryptor_options> make_options(const E2eeOptions& o) {
    if (o.frame_cryptor_options.packet_trailer) return Errc::invalid_argument;
    return cryptor_options{};
  }
  [[nodiscard]] static cryptor_type make_cryptor(ring_type& ring, const cryptor_options&, const factory_type&,
                                                 const std::string&) noexcept {
    return cryptor_type(ring);
  }
  [[nodiscard]] static FrameOutcome outcome(const cryptor_type& c, const report_type& r) noexcept {
    const std::uint64_t index = c.keys().index_of(r.header.kid);
    return FrameOutcome{false, false, static_cast<std::uint8_t>(std::min<std::uint64_t>(index, 255)),
                        r.ratchet_steps};
  }
};

template <sframe::CipherSuite S>
using SframeKeyProvider = BasicKeyProvider<SframeKeyRing<S>>;
template <sframe::CipherSuite S>
using SframeE2eeManager = BasicE2eeManager<SframeFormat<S>>;
template <sframe::CipherSuite S>
using SframeFrameCryptor = BasicFrameCryptor<SframeFormat<S>>;

}  // namespace session
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
