// frameseal/session/e2ee_manager.hpp: E2eeManager and its per-participant FrameCryptor facade, the
// session layer an SFU bot, a recorder or an AI agent drives (LiveKit's E2EEManager / FrameCryptor).
//
//   auto m = session::E2eeManager<openssl::Aes128Gcm>::create(options).value();
//   m.key_provider().set_key("alice", key, 0);
//   auto alice = m.frame_cryptor("alice").value();      // once per participant, not per frame
//   auto plain = alice.decrypt(info, frame, out);        // noexcept, no allocation
//
// Format (the wire format) is a template parameter: BasicE2eeManager<Format> and
// BasicFrameCryptor<Format> work with LivekitFormat<C, Kdf, IvPolicy> (below; E2eeManager<C,
// IvPolicy> and FrameCryptor<C, IvPolicy> name it with LivekitKdf, which picks HKDF or PBKDF2 at
// run time from KeyProviderOptions::kdf; the KDF is the key ring's, not the API's) and
// with SframeFormat<S> (sframe_format.hpp: SframeE2eeManager<Suite>, RFC 9605 frames). The API,
// states, callbacks and counters are the same; the format decides what a key index means on the
// wire and what ratchet_key does (see sframe_format.hpp for SFrame's mapping).
//
// Each participant identity has one state: its key store (LiveKit: a KeyRing, key_provider.hpp;
// SFrame: SframeKeyRing), the format's frame cryptor (LiveKit: a livekit::FrameCryptor with its scratch
// buffer and IV policy), its EncryptionState, its counters and its enabled flag. A facade is
// a cheap handle (a shared_ptr) to that state, so the frame path does no map lookup; handles stay
// valid after the manager is gone. A participant's facade encrypts (the local participant) or
// decrypts (a remote one) with the same ring, as LiveKit's per-participant key handlers do.
//
// Sending key index: key_index() is the KID encrypt writes. set_key/set_shared_key/ratchet_* on the
// provider move it to the index they changed (livekit-client behaviour); set_key_index overrides it
// until the next such call. (The native SDKs keep it at 0 until set_key_index.)
//
// Enabled: the manager and each participant have a flag; a frame is encrypted/decrypted only when
// both are on. Otherwise it passes unchanged, as LiveKit does with E2EE off (copied to out, or left
// in place when out is the input), and is counted as passthrough. EncryptionType::none creates the
// manager disabled. When a participant's effective flag flips, the encryption-status-changed
// callback gets (identity, enabled), like Python's participant_encryption_status_changed.
//
// EncryptionState (one per participant, initially new_), reported to the e2ee-state-changed
// callback (Python's e2ee_state_changed) only when it changes:
//   ok                 a frame encrypted, or decrypted under the slot's key or an older generation
//   key_ratcheted, ok  a frame decrypted after a receive-side auto-ratchet: two reports, as native
//   missing_key        no key at the sending index (encrypt) or at the frame's KID (decrypt)
//   decryption_failed  auth_failed, key_invalid, malformed_frame, sif_rejected or any other decrypt
//                      error. Reported on the first such frame whatever failure_tolerance is (the
//                      native SDK reports it only once a key is marked invalid, so never at -1)
//   encryption_failed  any encrypt error other than missing_key / internal errors
//   internal_error     Errc::internal_error or backend_unavailable
// Empty frames and allowed SIF frames pass without changing the state.
// Counters (per participant, see Counters) say which sender, key index and reason fail.
//
// Threading (a control thread changes keys while media threads run frames):
//   - encrypt/decrypt lock the participant's mutex for the frame; the key provider takes the same
//     mutex to change that participant's ring. Frames of different participants never contend.
//     Several threads may use one participant (audio and video); they take turns.
//   - std::mutex::lock is used as is: it fails only on a broken mutex (EINVAL/EDEADLK), and the
//     frame path is noexcept, so that would terminate instead of throwing.
//   - key_index(), enabled(), state() and counters() are lock-free reads (atomics). A counters()
//     snapshot is not one instant: each field is read separately.
//   - callbacks run on the thread that made the change (a media thread for states), after the
//     participant's lock is released, so they may call into the provider or the manager. They must
//     be quick and must not throw (the frame path is noexcept). Two threads changing the same
//     participant's state can deliver their reports in either order; state() is authoritative.
//     Setting a callback is safe at any time; a report already under way may still use the old one.
//   - configuration calls (create, frame_cryptor, set_enabled, callbacks) allocate; frames do not
//     (beyond a livekit::FrameCryptor's scratch buffer growing to the largest frame once; an SFrame
//     receiver that follows a sender's ratchet derives and keys the new step, as a LiveKit
//     receive-side ratchet does).
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../codec/codec.hpp"
#include "../detail/relaxed_counters.hpp"
#include "../error.hpp"
#include "../kdf.hpp"
#include "../key_ring.hpp"
#include "../livekit/data_packet.hpp"
#include "../livekit/frame_cryptor.hpp"
#include "../livekit/iv.hpp"
#include "key_provider.hpp"
#include "options.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace session {

// What happened to one participant's frames since its state was created.
struct Counters {
  std::uint64_t encrypted = 0;            // frames encrypted
  std::uint64_t decrypted = 0;            // frames decrypted (authenticated)
  std::uint64_t encryption_failures = 0;  // encrypts that failed, missing key excepted
  std::uint64_t auth_failures = 0;        // Errc::auth_failed: no key tried authenticated the frame
  std::uint64_t missing_key = 0;          // no key at the KID (decrypt) or sending index (encrypt)
  std::uint64_t invalid_key = 0;          // Errc::key_invalid: the slot exceeded failure_tolerance
  std::uint64_t malformed = 0;            // Errc::malformed_frame
  std::uint64_t sif_passed = 0;           // allowed server-injected frames passed unencrypted
  std::uint64_t sif_dropped = 0;          // Errc::sif_rejected
  std::uint64_t replayed = 0;             // Errc::replay (SFrame): a CTR already accepted or too old
  std::uint64_t kdf_mismatch = 0;    // Errc::kdf_mismatch (opt-in): the sender derives with the other KDF
  std::uint64_t salt_mismatch = 0;   // Errc::salt_mismatch (opt-in): the sender uses LiveKit's default salt
  std::uint64_t other_failures = 0;  // other decrypt errors (unsupported_codec, buffer_too_small, ...)
  std::uint64_t ratchets = 0;        // ratchet steps applied to the ring: receive-side and explicit
  std::uint64_t passthrough = 0;     // frames passed unchanged because encryption was disabled
  std::uint64_t empty = 0;           // empty frames passed through (LiveKit does not encrypt them)
  std::uint64_t data_encrypted = 0;  // data packets / data track frames encrypted (encrypt_data, seal_data)
  std::uint64_t data_decrypted = 0;  // data packets / data track frames decrypted (decrypt_data, open_data)
  std::uint64_t data_failures = 0;   // data packets that failed either way (apart from frames)
  Errc data_last_error = Errc::ok;   // the most recent data failure
  Errc last_error = Errc::ok;        // the most recent failure
  std::uint8_t last_error_key_index = 0;  // its KID (decrypt) or sending index (encrypt)
  std::uint8_t last_key_index = 0;        // KID of the most recent frame encrypted or decrypted
};

}  // namespace session

// Every field but ratchets (kept by the key provider's participant state).
template <>
inline constexpr auto detail::counter_fields<session::Counters> =
    std::tuple{&session::Counters::encrypted,
               &session::Counters::decrypted,
               &session::Counters::encryption_failures,
               &session::Counters::auth_failures,
               &session::Counters::missing_key,
               &session::Counters::invalid_key,
               &session::Counters::malformed,
               &session::Counters::sif_passed,
               &session::Counters::sif_dropped,
               &session::Counters::replayed,
               &session::Counters::kdf_mismatch,
               &session::Counters::salt_mismatch,
               &session::Counters::other_failures,
               &session::Counters::passthrough,
               &session::Counters::empty,
               &session::Counters::data_encrypted,
               &session::Counters::data_decrypted,
               &session::Counters::data_failures,
               &session::Counters::data_last_error,
               &session::Counters::last_error,
               &session::Counters::last_error_key_index,
               &session::Counters::last_key_index};

namespace session {

using StateCallback = std::function<void(const std::string& participant_identity, EncryptionState state)>;
using EncryptionStatusCallback = std::function<void(const std::string& participant_identity, bool enabled)>;
// KeyProviderOptions::detect_kdf_mismatch: (identity, the KDF that participant's frames are derived with).
using KdfMismatchCallback =
    std::function<void(const std::string& participant_identity, KdfAlgorithm sender_kdf)>;

template <class Format>
class BasicFrameCryptor;

// What the facade needs to know about one decrypted (or refused) frame, whatever the format.
struct FrameOutcome {
  bool passthrough = false;       // an empty frame passed through
  bool sif = false;               // an allowed server-injected frame passed unencrypted
  std::uint8_t key_index = 0;     // the key index the frame named
  std::size_t ratchet_steps = 0;  // receive-side ratchet steps committed for it
};

// LiveKit's wire format (livekit/frame_cryptor.hpp) on a KeyRing<C, Kdf> per participant.
// What BasicE2eeManager and BasicFrameCryptor need of a wire format: its key store (a KeyStore),
// its frame cryptor and how to make one per participant, what a decrypt report says
// (outcome), whether empty frames pass and SIF frames exist. LivekitFormat (below) and
// SframeFormat (sframe_format.hpp) model it; BasicE2eeManager asserts it.
template <class F>
concept SessionFormat = KeyStore<typename F::ring_type> &&
    requires(typename F::ring_type& ring, const E2eeOptions& o, const typename F::cryptor_options& co,
             const typename F::factory_type& make, const std::string& id, const typename F::cryptor_type& c,
             const typename F::report_type& rep) {
  typename F::cipher_type;
  typename F::config_type;
  { F::name } -> std::convertible_to<std::string_view>;
  { F::empty_frames_pass } -> std::convertible_to<bool>;
  { F::supports_sif() } -> std::same_as<bool>;
  { F::make_options(o) } -> std::same_as<Result<typename F::cryptor_options>>;
  { F::make_cryptor(ring, co, make, id) } -> std::same_as<typename F::cryptor_type>;
  { F::outcome(c, rep) } -> std::same_as<FrameOutcome>;
};

template <Cipher C, class Kdf = LivekitKdf, class IvPolicy = livekit::UniqueIv>
struct LivekitFormat {
  using ring_type = KeyRing<C, Kdf>;
  using cipher_type = C;
  using config_type = Kdf;  // the key ring's KDF (create()'s second argument)
  using cryptor_type = livekit::FrameCryptor<C, IvPolicy>;
  using report_type = livekit::DecryptReport;
  // Data packets (livekit/data_packet.hpp) with the same ring; its own UniqueIv, so frames and data
  // under one key never share an IV counter.
  using data_cryptor_type = livekit::DataCryptor<C, livekit::UniqueIv>;
  using cryptor_options = livekit::FrameCryptorOptions;
  // Makes the IV policy of a participant's cryptor (E2eeManager::IvFactory).
  using factory_type = std::function<IvPolicy(const std::string& participant_identity)>;
  static constexpr std::string_view name = "livekit";
  static constexpr bool empty_frames_pass = true;  // LiveKit does not encrypt empty frames
  [[nodiscard]] static constexpr bool supports_sif() noexcept { return true; }

  [[nodiscard]] static Result<cryptor_options> make_options(const E2eeOptions& o) {
    cryptor_options fo = o.frame_cryptor_options;
    fo.sif_trailer.clear();  // applied through the key provider, so it reaches every participant
    return fo;
  }
  [[nodiscard]] static cryptor_type make_cryptor(ring_type& ring, const cryptor_options& fo,
                                                 const factory_type& make_iv, const std::string& identity) {
    return cryptor_type(ring, fo, make_iv ? make_iv(identity) : IvPolicy());
  }
  [[nodiscard]] static FrameOutcome outcome(const cryptor_type&, const report_type& r) noexcept {
    return FrameOutcome{r.passthrough, r.sif, r.key_index, r.match.ratchet_steps};
  }
};

namespace detail {

// What the manager and its facades share; facades keep it alive.
struct ManagerShared {
  explicit ManagerShared(bool on) noexcept : enabled(on) {}
  std::atomic<bool> enabled;
  std::mutex enable_mutex;    // serialises flag changes so status reports match the flags
  std::mutex callback_mutex;  // guards the two pointers below (copied out, then called unlocked)
  std::shared_ptr<const StateCallback> on_state;
  std::shared_ptr<const EncryptionStatusCallback> on_status;
  std::shared_ptr<const KdfMismatchCallback> on_kdf_mismatch;
  bool adopt_sender_kdf = false;  // set once at creation

  [[nodiscard]] std::shared_ptr<const StateCallback> state_callback() noexcept {
    std::lock_guard<std::mutex> lock(callback_mutex);
    return on_state;
  }
  [[nodiscard]] std::shared_ptr<const EncryptionStatusCallback> status_callback() noexcept {
    std::lock_guard<std::mutex> lock(callback_mutex);
    return on_status;
  }
  [[nodiscard]] std::shared_ptr<const KdfMismatchCallback> kdf_mismatch_callback() noexcept {
    std::lock_guard<std::mutex> lock(callback_mutex);
    return on_kdf_mismatch;
  }
};

// A participant's Counters as the frame path writes them (ratchets excepted: ParticipantKeys
// counts those, for the key provider too).
struct LiveCounters : frameseal::detail::RelaxedCounters<Counters> {
  void failed(Errc e, std::uint8_t kid) noexcept {
    set(&Counters::last_error, e);
    set(&Counters::last_error_key_index, kid);
  }
};

// The data cryptor of a participant, for formats that have data packets (LiveKit); none otherwise.
struct NoDataCryptor {};
template <class Format>
struct DataCryptorOf {
  using type = NoDataCryptor;
  static type make(typename Format::ring_type&) noexcept { return {}; }
};
template <class Format>
requires requires {
  typename Format::data_cryptor_type;
}
struct DataCryptorOf<Format> {
  using type = typename Format::data_cryptor_type;
  static type make(typename Format::ring_type& ring) noexcept { return type(ring); }
};

template <class Format>
class Participant final : public ParticipantKeys<typename Format::ring_type> {
 public:
  using base = ParticipantKeys<typename Format::ring_type>;

  Participant(std::string id, typename base::ring_type&& ring, std::shared_ptr<ManagerShared> m,
              const typename Format::cryptor_options& options, const typename Format::factory_type& make)
      : base(std::move(id), std::move(ring)),
        manager(std::move(m)),
        cryptor(Format::make_cryptor(this->ring, options, make, this->identity)),
        data(DataCryptorOf<Format>::make(this->ring)) {}

  void apply_sif_trailer(BytesIn trailer) override {
    if constexpr (requires { cryptor.set_sif_trailer(trailer); }) cryptor.set_sif_trailer(trailer);
  }

  [[nodiscard]] bool active() const noexcept {
    return enabled.load(std::memory_order_relaxed) && manager->enabled.load(std::memory_order_relaxed);
  }

  const std::shared_ptr<ManagerShared> manager;
  typename Format::cryptor_type cryptor;                      // guarded by mutex
  typename DataCryptorOf<Format>::type data;                  // guarded by mutex
  std::atomic<EncryptionState> state{EncryptionState::new_};  // stored with mutex held
  std::atomic<bool> enabled{true};                            // stored with manager->enable_mutex held
  LiveCounters counters;
};

// The state changes of one frame (at most key_ratcheted then ok), collected under the participant's
// lock and reported after it is released.
class Transitions {
 public:
  template <class P>
  void to(P& p, EncryptionState s) noexcept {
    if (p.state.load(std::memory_order_relaxed) == s) return;
    p.state.store(s, std::memory_order_relaxed);
    states_[n_++] = s;
  }
  void report(ManagerShared& m, const std::string& identity) const noexcept {
    if (n_ == 0) return;
    auto cb = m.state_callback();
    if (!cb || !*cb) return;
    for (std::size_t i = 0; i < n_; ++i) (*cb)(identity, states_[i]);
  }

 private:
  EncryptionState states_[2]{};
  std::size_t n_ = 0;
};

inline void report_status(ManagerShared& m, const std::string& identity, bool enabled) {
  auto cb = m.status_callback();
  if (cb && *cb) (*cb)(identity, enabled);
}

}  // namespace detail

// The per-participant facade (LiveKit's FrameCryptor), obtained from E2eeManager::frame_cryptor or
// frame_cryptors(). Copies are handles to the same participant state.
template <class Format>
class BasicFrameCryptor {
 public:
  using format_type = Format;
  using frame_cryptor_type = typename Format::cryptor_type;
  using report_type = typename Format::report_type;

  // Room for any encrypted n-byte frame (see the format's max_encrypted_size).
  [[nodiscard]] static constexpr std::size_t max_encrypted_size(std::size_t n) noexcept {
    return frame_cryptor_type::max_encrypted_size(n);
  }

  [[nodiscard]] const std::string& participant_identity() const noexcept { return p_->identity; }
  [[nodiscard]] std::uint8_t key_index() const noexcept {
    return p_->send_index.load(std::memory_order_relaxed);
  }
  // This participant's flag (frames are processed only if the manager is enabled too).
  [[nodiscard]] bool enabled() const noexcept { return p_->enabled.load(std::memory_order_relaxed); }
  [[nodiscard]] EncryptionState state() const noexcept { return p_->state.load(std::memory_order_relaxed); }

  [[nodiscard]] Counters counters() const noexcept {
    Counters s = p_->counters.snapshot();
    s.ratchets = p_->ratchets.load(std::memory_order_relaxed);
    return s;
  }

  void set_enabled(bool on) {
    auto& p = *p_;
    bool report = false;
    {
      std::lock_guard<std::mutex> lock(p.manager->enable_mutex);
      const bool was = p.enabled.exchange(on, std::memory_order_relaxed);
      report = was != on && p.manager->enabled.load(std::memory_order_relaxed);
    }
    if (report) detail::report_status(*p.manager, p.identity, on);
  }

  // The KID written on encrypt from now on (until the next key change for this participant).
  // Errc::invalid_argument if index >= key_ring_size.
  [[nodiscard]] Errc set_key_index(std::size_t index) noexcept {
    auto& p = *p_;
    if (index >= p.ring_size) return Errc::invalid_argument;
    std::lock_guard<std::mutex> lock(p.mutex);
    p.send_index.store(static_cast<std::uint8_t>(index), std::memory_order_relaxed);
    return Errc::ok;
  }

  // As the format cryptor's encrypt (livekit::FrameCryptor or sframe::FrameCryptor: out may be the
  // input memory exactly, or not overlap it), plus the enabled check, state and counters.
  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo& info, BytesIn frame, BytesOut out) noexcept {
    return encrypt_with(frame, out,
                        [&](frame_cryptor_type& c) noexcept { return c.encrypt(info, frame, out); });
  }

  // SFrame only: `metadata` is authenticated with the frame but not sent (RFC 9605 §4.4.3: e.g. RTP
  // header fields both sides know); the receiver must pass the same bytes to decrypt.
  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo& info, BytesIn frame, BytesOut out,
                                         BytesIn metadata) noexcept requires requires(frame_cryptor_type& c) {
    c.encrypt(info, frame, out, metadata);
  }
  {
    return encrypt_with(
        frame, out, [&](frame_cryptor_type& c) noexcept { return c.encrypt(info, frame, out, metadata); });
  }

  // As the format cryptor's decrypt (report, if given, is its report: how the key was found), plus
  // the enabled check, state and counters.
  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo& info, BytesIn frame, BytesOut out,
                                         report_type* report = nullptr) noexcept {
    return decrypt_with(frame, out, report, [&](frame_cryptor_type& c, report_type* rep) noexcept {
      return c.decrypt(info, frame, out, rep);
    });
  }

  // SFrame only: decrypt with the metadata the sender authenticated (see encrypt).
  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo& info, BytesIn frame, BytesOut out, BytesIn metadata,
                                         report_type* report = nullptr) noexcept requires
      requires(frame_cryptor_type& c, report_type* rep) {
    c.decrypt(info, frame, out, metadata, rep);
  }
  {
    return decrypt_with(frame, out, report, [&](frame_cryptor_type& c, report_type* rep) noexcept {
      return c.decrypt(info, frame, out, metadata, rep);
    });
  }

  // LiveKit data packets (chat, RPC, byte and text streams, user packets) with this participant's
  // key ring, as livekit-client's E2eeManager.encryptData/decryptData: payload = a serialized
  // EncryptedPacketPayload; packet = a serialized EncryptedPacket (DataPacket field 18). Counted
  // apart from frames (Counters::data_*); the EncryptionState is the frames' and does not change.
  // The enabled flags do not apply: the room's encryption option decides whether data is
  // encrypted, and the caller calls these only then. No allocation; a decrypt that follows a
  // sender's ratchet moves the ring (frames too) and asks the refill thread to top the window up.
  [[nodiscard]] Result<BytesOut> encrypt_data(BytesIn payload,
                                              BytesOut packet_out) noexcept requires requires {
    typename Format::data_cryptor_type;
  }
  {
    return send_data<Result<BytesOut>>(
        [&](auto& data) noexcept { return data.encrypt(payload, packet_out); });
  }
  // Room for the packet of an n-byte payload.
  [[nodiscard]] static constexpr std::size_t max_data_packet_size(std::size_t n) noexcept requires requires {
    typename Format::data_cryptor_type;
  }
  { return Format::data_cryptor_type::max_packet_size(n); }
  [[nodiscard]] Result<BytesOut> decrypt_data(
      BytesIn packet, BytesOut payload_out,
      livekit::DataReport* report = nullptr) noexcept requires requires {
    typename Format::data_cryptor_type;
  }
  {
    return receive_data(report, [&](auto& data, livekit::DataReport* rep) noexcept {
      return data.decrypt(packet, payload_out, rep);
    });
  }

  // LiveKit data tracks (livekit/data_track.hpp): a frame's payload sealed as a whole (AES-GCM, no
  // AAD) under this participant's sending key index; key index and IV go into the packets' E2EE
  // extension (livekit-client's encryptData / handleEncryptedData). `value_out` needs payload +
  // tag bytes. Counted with the data packets (Counters::data_*).
  [[nodiscard]] Result<livekit::SealedData> seal_data(BytesIn payload,
                                                      BytesOut value_out) noexcept requires requires {
    typename Format::data_cryptor_type;
  }
  {
    return send_data<Result<livekit::SealedData>>(
        [&](auto& data) noexcept { return data.seal(payload, value_out); });
  }
  // The reverse, with the key index and IV of the frame's E2EE extension.
  [[nodiscard]] Result<BytesOut> open_data(std::uint8_t key_index, BytesIn iv, BytesIn value,
                                           BytesOut payload_out,
                                           livekit::DataReport* report = nullptr) noexcept requires requires {
    typename Format::data_cryptor_type;
  }
  {
    return receive_data(report, [&](auto& data, livekit::DataReport* rep) noexcept {
      return data.open(key_index, iv, value, payload_out, rep);
    });
  }

 private:
  // A data send under the participant's lock, at its sending key index, counted.
  template <class R, class Call>
  [[nodiscard]] R send_data(Call&& call) noexcept {
    auto& p = *p_;
    R r = Errc::internal_error;
    {
      std::lock_guard<std::mutex> lock(p.mutex);
      const std::uint8_t kid = p.send_index.load(std::memory_order_relaxed);
      (void)p.ring.set_current_index(kid);
      r = call(p.data);
    }
    count_data(r, &Counters::data_encrypted);
    return r;
  }
  // A data receive under the participant's lock: a ratchet it followed is counted and refilled off
  // the frame path, a KDF mismatch reported, the result counted.
  template <class Call>
  [[nodiscard]] Result<BytesOut> receive_data(livekit::DataReport* report, Call&& call) noexcept {
    auto& p = *p_;
    livekit::DataReport local;
    livekit::DataReport& rep = report ? *report : local;
    Result<BytesOut> r = Errc::internal_error;
    std::optional<KdfAlgorithm> mismatch;
    {
      std::lock_guard<std::mutex> lock(p.mutex);
      r = call(p.data, &rep);
      if (r && rep.match.ratchet_steps > 0)
        p.ratchets.fetch_add(rep.match.ratchet_steps, std::memory_order_relaxed);
      if (!r && r.error() == Errc::kdf_mismatch) mismatch = sender_kdf(p);
    }
    if (mismatch) {
      p.counters.add(&Counters::kdf_mismatch);
      kdf_mismatch_found(*mismatch);
    }
    if constexpr (detail::refills_outside_lock<typename Format::ring_type>) {
      if (r && rep.match.ratchet_steps > 0) p.request_refill();
    }
    count_data(r, &Counters::data_decrypted);
    return r;
  }

  template <class R>
  void count_data(const R& r, std::uint64_t Counters::*ok) noexcept {
    auto& c = p_->counters;
    if (r) {
      c.add(ok);
    } else {
      c.add(&Counters::data_failures);
      c.set(&Counters::data_last_error, r.error());
    }
  }

  template <class Call>
  [[nodiscard]] Result<BytesOut> encrypt_with(BytesIn frame, BytesOut out, Call&& call) noexcept {
    auto& p = *p_;
    if (!p.active()) return pass(frame, out);
    detail::Transitions t;
    auto r = [&]() noexcept -> Result<BytesOut> {
      std::lock_guard<std::mutex> lock(p.mutex);
      const std::uint8_t kid = p.send_index.load(std::memory_order_relaxed);
      (void)p.ring.set_current_index(kid);  // kid < ring_size: checked wherever it is stored
      auto res = call(p.cryptor);
      auto& c = p.counters;
      if (res) {
        if (frame.empty() && Format::empty_frames_pass) {
          c.add(&Counters::empty);
        } else {
          c.add(&Counters::encrypted);
          c.set(&Counters::last_key_index, kid);
          t.to(p, EncryptionState::ok);
        }
        return res;
      }
      const Errc e = res.error();
      c.failed(e, kid);
      if (e == Errc::missing_key) {
        c.add(&Counters::missing_key);
        t.to(p, EncryptionState::missing_key);
      } else {
        c.add(&Counters::encryption_failures);
        t.to(p, is_internal(e) ? EncryptionState::internal_error : EncryptionState::encryption_failed);
      }
      return res;
    }();
    t.report(*p.manager, p.identity);
    return r;
  }

  template <class Call>
  [[nodiscard]] Result<BytesOut> decrypt_with(BytesIn frame, BytesOut out, report_type* report,
                                              Call&& call) noexcept {
    auto& p = *p_;
    if (!p.active()) return pass(frame, out);
    report_type local;
    report_type& rep = report ? *report : local;
    detail::Transitions t;
    bool ratcheted = false;
    std::optional<KdfAlgorithm> mismatch;
    auto r = [&]() noexcept -> Result<BytesOut> {
      std::lock_guard<std::mutex> lock(p.mutex);
      auto res = call(p.cryptor, &rep);
      if (!res && res.error() == Errc::kdf_mismatch) mismatch = sender_kdf(p);
      const FrameOutcome o = Format::outcome(p.cryptor, rep);
      ratcheted = res && o.ratchet_steps > 0;
      auto& c = p.counters;
      if (res) {
        if (o.passthrough) {
          c.add(&Counters::empty);
        } else if (o.sif) {
          c.add(&Counters::sif_passed);
        } else {
          c.add(&Counters::decrypted);
          c.set(&Counters::last_key_index, o.key_index);
          if (o.ratchet_steps > 0) {
            p.ratchets.fetch_add(o.ratchet_steps, std::memory_order_relaxed);
            t.to(p, EncryptionState::key_ratcheted);
          }
          t.to(p, EncryptionState::ok);
        }
        return res;
      }
      const Errc e = res.error();
      c.failed(e, o.key_index);
      EncryptionState s = EncryptionState::decryption_failed;
      switch (e) {
        case Errc::missing_key:
          c.add(&Counters::missing_key);
          s = EncryptionState::missing_key;
          break;
        case Errc::key_invalid:
          c.add(&Counters::invalid_key);
          break;
        case Errc::auth_failed:
          c.add(&Counters::auth_failures);
          break;
        case Errc::malformed_frame:
          c.add(&Counters::malformed);
          break;
        case Errc::sif_rejected:
          c.add(&Counters::sif_dropped);
          break;
        case Errc::replay:
          c.add(&Counters::replayed);
          break;
        case Errc::kdf_mismatch:
          c.add(&Counters::kdf_mismatch);
          break;
        case Errc::salt_mismatch:
          c.add(&Counters::salt_mismatch);
          break;
        default:
          c.add(&Counters::other_failures);
          if (is_internal(e)) s = EncryptionState::internal_error;
          break;
      }
      t.to(p, s);
      return res;
    }();
    // The window lost the steps this frame ratcheted past: the provider's refill thread derives
    // them again (no KDF here).
    if constexpr (detail::refills_outside_lock<typename Format::ring_type>) {
      if (ratcheted) p.request_refill();
    }
    t.report(*p.manager, p.identity);
    if (mismatch) kdf_mismatch_found(*mismatch);
    return r;
  }

  // The other KDF than the ring's (participant's lock held): what a kdf_mismatch sender uses.
  static std::optional<KdfAlgorithm> sender_kdf(detail::Participant<Format>& p) noexcept {
    if constexpr (requires { p.ring.other_algorithm(); })
      return p.ring.other_algorithm();
    else
      return std::nullopt;
  }
  // After the lock: report it, and with adopt_sender_kdf ask the refill thread to re-derive.
  void kdf_mismatch_found(KdfAlgorithm sender) noexcept {
    auto& p = *p_;
    if (p.manager->adopt_sender_kdf) p.request_kdf_adoption(sender);
    auto cb = p.manager->kdf_mismatch_callback();
    if (cb && *cb) (*cb)(p.identity, sender);
  }

  template <class>
  friend class BasicE2eeManager;
  using participant_type = detail::Participant<Format>;

  explicit BasicFrameCryptor(std::shared_ptr<participant_type> p) noexcept : p_(std::move(p)) {}

  static bool is_internal(Errc e) noexcept {
    return e == Errc::internal_error || e == Errc::backend_unavailable;
  }

  // Disabled: the frame goes through unchanged.
  Result<BytesOut> pass(BytesIn frame, BytesOut out) noexcept {
    if (overlaps_partially(frame, out)) return Errc::invalid_argument;
    if (out.size() < frame.size()) return Errc::buffer_too_small;
    if (!frame.empty() && frame.data() != out.data()) std::memcpy(out.data(), frame.data(), frame.size());
    p_->counters.add(&Counters::passthrough);
    return out.first(frame.size());
  }

  std::shared_ptr<participant_type> p_;
};

template <class Format>
class BasicE2eeManager {
  static_assert(SessionFormat<Format>, "BasicE2eeManager<Format>: Format must model session::SessionFormat");

 public:
  using format_type = Format;
  using cipher_type = typename Format::cipher_type;
  using config_type = typename Format::config_type;  // LiveKit: the KDF; SFrame: SframeOptions
  using key_provider_type = BasicKeyProvider<typename Format::ring_type>;
  using frame_cryptor_type = BasicFrameCryptor<Format>;
  // LiveKit: makes the IV policy of a participant's cryptor. Default: IvPolicy() per participant.
  // Never copy one UniqueIv into several participants: in a shared-key room their IVs would repeat.
  using IvFactory = typename Format::factory_type;

  // options.key_provider_options as KeyProvider::create (kdf is the KDF prototype; SFrame: the
  // SframeOptions). Errors: invalid_argument for bad options, for encryption_type gcm with a
  // cipher that is not AES-GCM, or for options the format refuses (SFrame: a shared key, a SIF
  // trailer).
  [[nodiscard]] static Result<BasicE2eeManager> create(E2eeOptions options = {}, config_type config = {},
                                                       IvFactory make_iv = {}) {
    if (options.encryption_type == EncryptionType::gcm &&
        !std::string_view(cipher_type::name).ends_with("gcm"))
      return Errc::invalid_argument;
    auto shared = std::make_shared<detail::ManagerShared>(options.encryption_type != EncryptionType::none);
    shared->adopt_sender_kdf = options.key_provider_options.adopt_sender_kdf;
    std::vector<std::uint8_t> sif = std::move(options.frame_cryptor_options.sif_trailer);
    options.frame_cryptor_options.sif_trailer.clear();
    auto fo = Format::make_options(options);
    if (!fo) return fo.error();
    if (!sif.empty() && !Format::supports_sif()) return Errc::invalid_argument;
    auto make = [shared, fo = std::move(*fo), make_iv = std::move(make_iv)](
                    std::string identity, typename key_provider_type::ring_type&& ring)
        -> std::shared_ptr<typename key_provider_type::participant_type> {
      return std::make_shared<participant_type>(std::move(identity), std::move(ring), shared, fo, make_iv);
    };
    auto provider = key_provider_type::create_with(std::move(options.key_provider_options), std::move(config),
                                                   std::move(make));
    if (!provider) return provider.error();
    if (!sif.empty()) provider->set_sif_trailer(sif);
    return BasicE2eeManager(std::move(shared), std::move(*provider), options.encryption_type);
  }

  BasicE2eeManager(BasicE2eeManager&&) noexcept = default;
  BasicE2eeManager& operator=(BasicE2eeManager&&) noexcept = default;

  [[nodiscard]] key_provider_type& key_provider() noexcept { return provider_; }
  [[nodiscard]] const key_provider_type& key_provider() const noexcept { return provider_; }
  [[nodiscard]] EncryptionType encryption_type() const noexcept { return type_; }
  [[nodiscard]] bool enabled() const noexcept { return shared_->enabled.load(std::memory_order_relaxed); }

  // Turns E2EE on or off for every participant (off: frames pass unchanged). Reports the
  // participants whose effective flag flipped (those enabled themselves).
  void set_enabled(bool on) {
    std::vector<std::shared_ptr<typename key_provider_type::participant_type>> flipped;
    {
      std::lock_guard<std::mutex> lock(shared_->enable_mutex);
      if (shared_->enabled.exchange(on, std::memory_order_relaxed) == on) return;
      for (auto& k : provider_.snapshot())
        if (static_cast<participant_type&>(*k).enabled.load(std::memory_order_relaxed))
          flipped.push_back(std::move(k));
    }
    for (const auto& k : flipped) detail::report_status(*shared_, k->identity, on);
  }

  // The facade of a participant, created with its state on first use (in shared-key mode its ring
  // is then cloned from the shared key). Errc::invalid_argument for an empty identity.
  [[nodiscard]] Result<frame_cryptor_type> frame_cryptor(std::string_view participant_identity) {
    auto k = provider_.participant(participant_identity);
    if (!k) return k.error();
    return frame_cryptor_type(std::static_pointer_cast<participant_type>(std::move(*k)));
  }

  // Every participant that has a state, sorted by identity.
  [[nodiscard]] std::vector<frame_cryptor_type> frame_cryptors() const {
    std::vector<frame_cryptor_type> out;
    for (auto& k : provider_.snapshot())
      out.push_back(frame_cryptor_type(std::static_pointer_cast<participant_type>(std::move(k))));
    return out;
  }

  // Python's room.on("e2ee_state_changed"): (identity, new state), once per change.
  void on_e2ee_state_changed(StateCallback cb) {
    auto p = cb ? std::make_shared<const StateCallback>(std::move(cb)) : nullptr;
    std::lock_guard<std::mutex> lock(shared_->callback_mutex);
    shared_->on_state = std::move(p);
  }
  // KeyProviderOptions::detect_kdf_mismatch: called (identity, sender's KDF) for each frame or data
  // packet refused with Errc::kdf_mismatch, on the thread that decrypted it, after its lock.
  void on_kdf_mismatch(KdfMismatchCallback cb) {
    auto p = cb ? std::make_shared<const KdfMismatchCallback>(std::move(cb)) : nullptr;
    std::lock_guard<std::mutex> lock(shared_->callback_mutex);
    shared_->on_kdf_mismatch = std::move(p);
  }
  // Python's room.on("participant_encryption_status_changed"): (identity, enabled).
  void on_participant_encryption_status_changed(EncryptionStatusCallback cb) {
    auto p = cb ? std::make_shared<const EncryptionStatusCallback>(std::move(cb)) : nullptr;
    std::lock_guard<std::mutex> lock(shared_->callback_mutex);
    shared_->on_status = std::move(p);
  }

 private:
  using participant_type = detail::Participant<Format>;

  BasicE2eeManager(std::shared_ptr<detail::ManagerShared> shared, key_provider_type provider,
                   EncryptionType type) noexcept
      : shared_(std::move(shared)), provider_(std::move(provider)), type_(type) {}

  std::shared_ptr<detail::ManagerShared> shared_;
  key_provider_type provider_;
  EncryptionType type_;
};

// LiveKit's E2EEManager and FrameCryptor (the wire format of livekit-client and the native SDKs).
template <Cipher C, class IvPolicy = livekit::UniqueIv>
using E2eeManager = BasicE2eeManager<LivekitFormat<C, LivekitKdf, IvPolicy>>;
template <Cipher C, class IvPolicy = livekit::UniqueIv>
using FrameCryptor = BasicFrameCryptor<LivekitFormat<C, LivekitKdf, IvPolicy>>;

}  // namespace session
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
