// frameseal/sframe/frame_cryptor.hpp: sframe::FrameCryptor<Suite>, one call per frame in the IETF
// SFrame format (RFC 9605), with its own key table, sender counter, replay windows and sender-key
// ratchet.
//
// Wire layout (§4.2): frame_out = Header(KID, CTR) || AEAD.Encrypt(sframe_key[KID], nonce,
// aad = Header || metadata, frame). The whole frame is encrypted (SFrame is codec-agnostic; the
// RTP payload format of draft-ietf-avtcore-rtp-sframe carries it), so FrameInfo is accepted for
// interface parity with livekit::FrameCryptor and otherwise ignored. `metadata` is authenticated
// but not sent: both sides must pass the same bytes (e.g. RTP header fields the SFU needs).
//
// Keys (§4.4.1): add_key(kid, base_key, KeyUsage::encrypt | decrypt) runs the key schedule once
// (key_schedule.hpp) and keeps only the keyed AEAD and the salt (plus, with the ratchet on, the
// Nh-byte sframe_secret of the current step). A key is encrypt-only or decrypt-only, as the RFC
// requires: decrypting under an encrypt key is missing_key, choosing a decrypt key to send with is
// invalid_argument. The first encrypt key added becomes the sending key; set_encrypt_key() switches
// (install new decrypt keys at once, switch senders only when receivers have them: §4.4.1).
//
// Sender counter: one per cryptor, strictly increasing across all keys, never reset (not by key
// changes, not by removing and re-adding a key), so a (key, CTR) pair is never used twice by one
// cryptor. The CTR value is spent before the AEAD runs. When 2^64-1 has been used the cryptor
// refuses to encrypt (Errc::counter_exhausted); create a new cryptor with new keys. By default the
// counter starts at a random value below 2^63. RFC 9605 allows one sender per KID (§9.1); the
// random start is what separates two cryptors that are (wrongly) given the same base key and KID
// (two runs of the CLI on one key file, two adapters' SframeKeys for one sender): they reuse a
// nonce only if their CTR ranges overlap, about 2F / 2^63 for F frames each (2^-30 for 2^32
// frames, a 50 fps stream for 2.7 years). The price is the CTR's width on the wire: 8 bytes for
// all but 1/128 of the starts, so the header is 9 bytes for KIDs 0-7 (10-17 for larger KIDs),
// against 1-3 bytes for a counter from zero. CounterStart::zero gives RFC-minimal headers when the
// application guarantees one cryptor per key and KID (RFC 9605 §9.1). advance_counter_to()
// restores a persisted counter (it never moves backwards).
//
// Sender-key ratchet (§5.1), with ratchet_bits R > 0: KID = generation << R | (step mod 2^R), and
// a key table entry is a chain for one generation. The sender calls ratchet(kid) (it returns the
// new KID and, on request, the new base key a late joiner needs). A receiver holding step s that sees step s
// + d of the same generation, 1 <= d <= ratchet_window, derives the keys forward and tries the one the KID
// names; like KeyRing:
//   - derived steps are cached, so a stream of forged frames costs one AEAD call each and KDF work
//     only the first time (at most ratchet_window key schedules per chain until it moves);
//   - the chain moves only after a frame authenticated under the new step; the steps it passes
//     are kept (kept_steps newest) for reordered frames, each under its own KID;
//   - at most one AEAD attempt per frame: the KID says exactly which key to use.
// The ratchet window and kept steps are clamped so they fit in 2^R - 1 distinct KIDs (the RFC's
// "R defines a reordering window"); a step outside them is missing_key.
//
// Replay (§9.3): with replay_window > 0 (default 128) each KID has a ReplayWindow over CTR; a CTR
// already accepted, or older than the window, is Errc::replay, checked before the AEAD and recorded
// only after the frame authenticated.
//
// Contract: encrypt/decrypt return the written prefix of `out`; `out` may be exactly the input
// memory (in place) or not overlap it (partial overlap: invalid_argument). decrypt in place needs
// `out` to cover the whole frame (header included). No allocation and no exception on the frame
// path: create() allocates the key table (every chain's kept-step and ratchet-cache capacity) and
// the AAD buffer once; after that only Cipher::create() allocates, in add_key(), ratchet() and a
// receiver's forward ratchet (nothing for libsodium, EVP contexts for OpenSSL).
// A failed decrypt leaves no plaintext in `out` (the header bytes of an in-place frame stay). A
// failed encrypt leaves no plaintext in `out`; in place that means the caller's frame is gone, so
// size `out` with max_encrypted_size(). Errors before any work: invalid_argument, malformed_frame
// (bad header, or ciphertext shorter than the tag), buffer_too_small (nothing written),
// missing_key (no decrypt key for the KID; never auth_failed), replay; then auth_failed.
//
// Threading: one thread at a time (frames and key calls alike); the session layer serialises key
// changes against frames. Move-only; a moved-from cryptor refuses to encrypt (counter_exhausted),
// so a (key, CTR) pair cannot be used twice through a moved cryptor.
#pragma once

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../codec/codec.hpp"
#include "../detail/sodium.hpp"
#include "../error.hpp"
#include "../secret.hpp"
#include "header.hpp"
#include "key_schedule.hpp"
#include "replay_window.hpp"
#include "suite.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sframe {

enum class KeyUsage : std::uint8_t { encrypt, decrypt };
enum class CounterStart : std::uint8_t { random, zero };

inline constexpr std::size_t default_max_keys = 16;
inline constexpr std::size_t max_key_table_size = 256;
inline constexpr unsigned max_ratchet_bits = 63;
inline constexpr std::size_t max_ratchet_window = 256;
// Where a random counter start lies: below 2^63, so at least 2^63 frames remain before exhaustion
// and two cryptors wrongly sharing a key and KID overlap with probability ~2F/2^63 (header comment).
inline constexpr std::uint64_t random_counter_bound = std::uint64_t{1} << 63;

struct FrameCryptorOptions {
  std::size_t max_keys = default_max_keys;  // key table entries (generations), 1..256
  unsigned ratchet_bits = 0;                // R of §5.1; 0 = no ratchet (a KID is just an id), 1..63
  std::size_t ratchet_window = 8;           // forward steps a receiver derives (<= 256, <= 2^R - 1)
  std::size_t kept_steps = 2;               // older steps kept for reordering (<= 256, <= 2^R - 1 - window)
  std::size_t replay_window = 128;          // CTR values remembered per KID; 0 = no replay check; <= 1024
  std::size_t max_metadata_bytes = 1024;    // longest metadata accepted (the AAD buffer is sized once)
  CounterStart counter_start = CounterStart::random;
};

// What decrypt found, for counters, states and `frameseal inspect`.
struct DecryptReport {
  Header header;                  // KID and CTR of the frame (once its header parsed)
  std::size_t header_bytes = 0;   // header size on the wire
  std::size_t ratchet_steps = 0;  // > 0: the receiver ratcheted forward this many steps and committed
  bool kept_step = false;         // authenticated under an older ratchet step kept for reordering
};

template <CipherSuite S>
class FrameCryptor {
 public:
  using suite_type = S;
  using cipher_type = typename S::cipher_type;
  using report_type = DecryptReport;
  static constexpr std::size_t max_overhead = max_header_bytes + S::tag_bytes;

  // An upper bound of the encrypted size of an n-byte frame (a 17-byte header at worst).
  // Saturates at SIZE_MAX instead of wrapping.
  [[nodiscard]] static constexpr std::size_t max_encrypted_size(std::size_t n) noexcept {
    return n > static_cast<std::size_t>(-1) - max_overhead ? static_cast<std::size_t>(-1) : n + max_overhead;
  }

  [[nodiscard]] static Result<FrameCryptor> create(FrameCryptorOptions options = {}) noexcept {
    if (options.max_keys == 0 || options.max_keys > max_key_table_size) return Errc::invalid_argument;
    if (options.ratchet_bits > max_ratchet_bits) return Errc::invalid_argument;
    if (options.ratchet_window > max_ratchet_window || options.kept_steps > max_ratchet_window)
      return Errc::invalid_argument;
    if (options.replay_window > max_replay_window) return Errc::invalid_argument;
    if (options.max_metadata_bytes > std::numeric_limits<std::size_t>::max() - max_header_bytes)
      return Errc::invalid_argument;
    FrameCryptor fc(options);
    if (options.ratchet_bits > 0) {
      const std::uint64_t kids = (std::uint64_t{1} << options.ratchet_bits) - 1;  // distinct others
      fc.window_ = static_cast<std::size_t>(std::min<std::uint64_t>(options.ratchet_window, kids));
      fc.kept_ = static_cast<std::size_t>(std::min<std::uint64_t>(options.kept_steps, kids - fc.window_));
      fc.mask_ = (std::uint64_t{1} << options.ratchet_bits) - 1;
    }
    fc.aad_.reset(new (std::nothrow) std::uint8_t[max_header_bytes + options.max_metadata_bytes]);
    if (!fc.aad_) return Errc::internal_error;
    fc.chains_.resize(options.max_keys);
    for (Chain& c : fc.chains_) {
      c.previous.reserve(fc.kept_);
      c.ahead.reserve(fc.window_);
    }
    if (options.counter_start == CounterStart::random) {
      if (!frameseal::detail::ensure_sodium()) return Errc::backend_unavailable;
      std::uint8_t r[8];
      randombytes_buf(r, sizeof r);
      fc.counter_ = load_be64(r) % random_counter_bound;
    }
    return fc;
  }

  // Move-only. The moved-from cryptor keeps no key and no counter: encrypt is counter_exhausted
  // (it must never send again with the counter that moved away), decrypt is missing_key.
  FrameCryptor(FrameCryptor&& o) noexcept
      : options_(o.options_),
        chains_(std::move(o.chains_)),
        aad_(std::move(o.aad_)),
        window_(o.window_),
        kept_(o.kept_),
        mask_(o.mask_),
        encrypt_(o.encrypt_),
        last_(o.last_),
        counter_(o.counter_),
        exhausted_(o.exhausted_) {
    o.disown();
  }
  FrameCryptor& operator=(FrameCryptor&& o) noexcept {
    if (this != &o) {
      options_ = o.options_;
      chains_ = std::move(o.chains_);
      aad_ = std::move(o.aad_);
      window_ = o.window_;
      kept_ = o.kept_;
      mask_ = o.mask_;
      encrypt_ = o.encrypt_;
      last_ = o.last_;
      counter_ = o.counter_;
      exhausted_ = o.exhausted_;
      o.disown();
    }
    return *this;
  }

  [[nodiscard]] const FrameCryptorOptions& options() const noexcept { return options_; }
  // The ratchet window and kept steps in force (after clamping to 2^R - 1 KIDs).
  [[nodiscard]] std::size_t ratchet_window() const noexcept { return window_; }
  [[nodiscard]] std::size_t kept_steps() const noexcept { return kept_; }

  // ---- keys (configuration calls: may allocate; not concurrent with frames) ----

  // Installs base_key under kid. With the ratchet on, kid's high bits name the generation: a key
  // of the same generation is replaced (old steps, cache and replay windows wiped), unless it is
  // the very same key, KID and usage again, or the base key of a step the chain has already
  // ratcheted past (it ratchets forward to the current secret), which change nothing: key servers
  // resend keys, and replacing the chain would reset its replay windows.
  // Errors: invalid_argument (empty key, table full), backend_unavailable (e.g. no AES-NI for
  // sodium::Aes256Gcm), internal_error; the table is unchanged then.
  [[nodiscard]] Errc add_key(std::uint64_t kid, BytesIn base_key, KeyUsage usage) noexcept {
    if (usage != KeyUsage::encrypt && usage != KeyUsage::decrypt) return Errc::invalid_argument;
    SframeSecret<S> secret;
    if (const Errc e = derive_secret<S>(base_key, secret); e != Errc::ok) return e;
    auto ctx = make_key_context<S>(secret, kid);
    if (!ctx) return ctx.error();
    const std::uint64_t gen = generation_of(kid);
    std::size_t index = find_chain(gen);
    if (index != npos) {
      const Chain& old = chains_[index];
      if (old.usage == usage && old.current && old.current->kid == kid &&
          ct_equal(old.current->ctx.salt.view(), ctx->salt.view())) {
        return Errc::ok;  // same key again: keep its ratchet state and replay windows
      }
      if (old.usage == usage && old.current && ratcheting()) {
        // A key already in the chain's history (the base key of a step this chain has ratcheted
        // past, e.g. resent by a key server after the receiver followed the sender's ratchet):
        // ratcheted forward to the current step it gives the current secret. Changes nothing, so
        // the replay windows stay and an old frame is not accepted a second time.
        const std::uint64_t back = ((old.step & mask_) - (kid & mask_)) & mask_;
        if (back >= 1 && back <= old.moved) {
          SframeSecret<S> walked = secret.clone();
          for (std::uint64_t i = 0; i < back; ++i) {
            SframeSecret<S> next;
            if (const Errc e = ratchet_secret<S>(walked, next); e != Errc::ok) return e;
            walked = std::move(next);
          }
          if (ct_equal(walked.view(), old.secret.view())) return Errc::ok;
        }  // otherwise: a new key for the generation, replacing the chain
      }
    } else {
      index = free_chain();
      if (index == npos) return Errc::invalid_argument;
    }
    Chain& c = chains_[index];
    c.clear();
    c.used = true;
    c.usage = usage;
    c.generation = gen;
    c.step = kid & mask_;
    c.current.emplace(Entry{kid, std::move(*ctx), ReplayWindow(options_.replay_window)});
    if (ratcheting()) c.secret = std::move(secret);
    if (usage == KeyUsage::decrypt && encrypt_ == index) encrypt_ = npos;
    if (usage == KeyUsage::encrypt && encrypt_ == npos) encrypt_ = index;
    return Errc::ok;
  }

  // Removes the key (the whole generation's chain with the ratchet on) and wipes it. If it was the
  // sending key, encrypt() reports missing_key until set_encrypt_key(). The sender counter is not
  // touched: adding the key again continues with fresh CTR values.
  [[nodiscard]] Errc remove_key(std::uint64_t kid) noexcept {
    const std::size_t index = find_chain(generation_of(kid));
    if (index == npos) return Errc::missing_key;
    chains_[index].clear();
    if (encrypt_ == index) encrypt_ = npos;
    return Errc::ok;
  }

  // Makes the encrypt key with this exact KID the sending key. missing_key when there is none;
  // invalid_argument when kid is a decrypt key (RFC 9605 §4.4.1: never both).
  [[nodiscard]] Errc set_encrypt_key(std::uint64_t kid) noexcept {
    const std::size_t index = find_chain(generation_of(kid));
    if (index == npos || !chains_[index].current || chains_[index].current->kid != kid)
      return Errc::missing_key;
    if (chains_[index].usage != KeyUsage::encrypt) return Errc::invalid_argument;
    encrypt_ = index;
    return Errc::ok;
  }

  // Ratchets the generation that kid belongs to one step forward (§5.1) and returns the new KID.
  // An encrypt key drops the old step at once (a sender never needs it); a decrypt key keeps it as
  // a kept step. With next_base_key, also returns the new step's base key: what a participant who
  // joins now must be given with the new KID (the cryptor itself keeps only sframe_secrets).
  // invalid_argument without ratchet_bits, missing_key without such a key; on an error nothing
  // changed and *next_base_key is wiped.
  [[nodiscard]] Result<std::uint64_t> ratchet(std::uint64_t kid,
                                              SecretBytes<S::hash_bytes>* next_base_key = nullptr) noexcept {
    if (next_base_key != nullptr) next_base_key->wipe();
    if (!ratcheting()) return Errc::invalid_argument;
    const std::size_t index = find_chain(generation_of(kid));
    if (index == npos) return Errc::missing_key;
    Chain& c = chains_[index];
    SecretBytes<S::hash_bytes> base;
    if (next_base_key != nullptr) {
      if (const Errc e = ratchet_base_key<S>(c.secret, base); e != Errc::ok) return e;
    }
    auto done = step_forward(c);
    if (done && next_base_key != nullptr) *next_base_key = std::move(base);
    return done;
  }

  // True when a key with exactly this KID is held (current step or a kept step), either usage.
  [[nodiscard]] bool has_key(std::uint64_t kid) const noexcept {
    const std::size_t index = find_chain(generation_of(kid));
    if (index == npos) return false;
    const Chain& c = chains_[index];
    if (c.current && c.current->kid == kid) return true;
    return std::any_of(c.previous.begin(), c.previous.end(), [kid](const Entry& e) { return e.kid == kid; });
  }
  // The KID encrypt() sends with, if any.
  [[nodiscard]] std::optional<std::uint64_t> encrypt_kid() const noexcept {
    if (encrypt_ == npos) return std::nullopt;
    return chains_[encrypt_].current->kid;
  }
  // Key table entries in use (generations with the ratchet on).
  [[nodiscard]] std::size_t key_count() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(chains_.begin(), chains_.end(), [](const Chain& c) { return c.used; }));
  }

  // ---- sender counter ----

  // The CTR the next frame gets; nullopt once 2^64-1 has been used.
  [[nodiscard]] std::optional<std::uint64_t> next_counter() const noexcept {
    if (exhausted_) return std::nullopt;
    return counter_;
  }
  // Moves the counter forward to ctr (restoring a persisted counter). Moving it backwards is
  // invalid_argument: that is exactly a nonce reuse.
  [[nodiscard]] Errc advance_counter_to(std::uint64_t ctr) noexcept {
    if (exhausted_) return Errc::counter_exhausted;
    if (ctr < counter_) return Errc::invalid_argument;
    counter_ = ctr;
    return Errc::ok;
  }

  // The exact size encrypt() will produce for an n-byte frame right now.
  [[nodiscard]] std::size_t encrypted_size(std::size_t n) const noexcept {
    if (encrypt_ == npos) return max_encrypted_size(n);
    return encoded_size(Header{chains_[encrypt_].current->kid, counter_}) + n + S::tag_bytes;
  }

  // ---- frame path ----

  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo&, BytesIn frame, BytesOut out) noexcept {
    return encrypt(frame, out, BytesIn{});
  }
  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo&, BytesIn frame, BytesOut out,
                                         BytesIn metadata) noexcept {
    return encrypt(frame, out, metadata);
  }
  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo&, BytesIn frame, BytesOut out,
                                         DecryptReport* report = nullptr) noexcept {
    return decrypt(frame, out, BytesIn{}, report);
  }
  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo&, BytesIn frame, BytesOut out, BytesIn metadata,
                                         DecryptReport* report = nullptr) noexcept {
    return decrypt(frame, out, metadata, report);
  }

  [[nodiscard]] Result<BytesOut> encrypt(BytesIn frame, BytesOut out, BytesIn metadata = {}) noexcept {
    if (overlaps_partially(frame, out)) return Errc::invalid_argument;
    if (exhausted_) return Errc::counter_exhausted;
    if (encrypt_ == npos) return Errc::missing_key;
    if (metadata.size() > options_.max_metadata_bytes) return Errc::invalid_argument;
    Entry& key = *chains_[encrypt_].current;
    const EncodedHeader hdr = encode(Header{key.kid, counter_});
    const std::size_t h = hdr.size, n = frame.size(), total = h + n + S::tag_bytes;
    if (out.size() < total) return Errc::buffer_too_small;

    // The CTR is spent from here on, whatever happens: a seal that failed half way may still have
    // produced keystream under this nonce.
    const std::uint64_t ctr = counter_;
    if (counter_ == std::numeric_limits<std::uint64_t>::max())
      exhausted_ = true;
    else
      ++counter_;

    const bool in_place = n != 0 && frame.data() == out.data();
    if (in_place) std::memmove(out.data() + h, out.data(), n);
    std::memcpy(out.data(), hdr.bytes.data(), h);
    const BytesIn aad = build_aad(hdr.view(), metadata);
    std::array<std::uint8_t, S::nonce_bytes> nonce;
    make_nonce<S::nonce_bytes>(key.ctx.salt.view(), ctr, nonce);
    const BytesIn plaintext = in_place ? BytesIn(out.data() + h, n) : frame;
    auto sealed = key.ctx.cipher.seal(out.subspan(h, n + S::tag_bytes), plaintext, aad, nonce);
    sodium_memzero(nonce.data(), nonce.size());
    if (!sealed) {
      sodium_memzero(out.data(), total);  // in place, the plaintext was there
      return sealed.error();
    }
    return out.first(total);
  }

  [[nodiscard]] Result<BytesOut> decrypt(BytesIn frame, BytesOut out, BytesIn metadata = {},
                                         DecryptReport* report = nullptr) noexcept {
    DecryptReport local;
    DecryptReport& rep = report != nullptr ? *report : local;
    rep = DecryptReport{};
    if (overlaps_partially(frame, out)) return Errc::invalid_argument;
    if (metadata.size() > options_.max_metadata_bytes) return Errc::invalid_argument;
    auto parsed = parse(frame);
    if (!parsed) return parsed.error();
    const Header hdr = parsed->header;
    const std::size_t h = parsed->size;
    rep.header = hdr;
    rep.header_bytes = h;
    const BytesIn sealed = frame.subspan(h);
    if (sealed.size() < S::tag_bytes) return Errc::malformed_frame;
    const std::size_t plain = sealed.size() - S::tag_bytes;
    const bool in_place = frame.data() == out.data();
    if (out.size() < (in_place ? h + plain : plain)) return Errc::buffer_too_small;

    auto found = find_decrypt_key(hdr.kid);
    if (!found) return found.error();
    Entry& key = *found->entry;
    const bool replay_check = options_.replay_window != 0;
    if (replay_check && !key.replay.check(hdr.ctr)) return Errc::replay;

    const BytesIn aad = build_aad(frame.first(h), metadata);
    std::array<std::uint8_t, S::nonce_bytes> nonce;
    make_nonce<S::nonce_bytes>(key.ctx.salt.view(), hdr.ctr, nonce);
    const BytesOut dst = in_place ? out.subspan(h, plain) : out.first(plain);
    auto opened = key.ctx.cipher.open(dst, sealed, aad, nonce);
    sodium_memzero(nonce.data(), nonce.size());
    if (!opened) return opened.error();  // the cipher wiped dst

    // Authenticated: now, and only now, the state may move.
    if (replay_check) key.replay.accept(hdr.ctr);
    if (found->ahead_steps != 0) commit(chains_[found->chain], found->ahead_steps);
    last_ = found->chain;
    rep.ratchet_steps = found->ahead_steps;
    rep.kept_step = found->kept;
    if (in_place && h != 0 && plain != 0) std::memmove(out.data(), out.data() + h, plain);
    return out.first(plain);
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct Entry {
    std::uint64_t kid;
    KeyContext<S> ctx;
    ReplayWindow replay;
  };
  struct Ahead {
    Entry entry;
    SframeSecret<S> secret;
  };
  struct Chain {
    bool used = false;
    KeyUsage usage = KeyUsage::decrypt;
    std::uint64_t generation = 0;
    std::uint64_t step = 0;   // its low R bits are the current KID's ratchet step
    std::uint64_t moved = 0;  // steps taken since add_key installed the chain's base key
    std::optional<Entry> current;
    SframeSecret<S> secret;       // sframe_secret of the current step (ratchet on only)
    std::vector<Entry> previous;  // kept steps, oldest first (capacity kept_)
    std::vector<Ahead> ahead;     // ahead[i] is step + i + 1 (capacity window_)

    void clear() noexcept {
      used = false;
      usage = KeyUsage::decrypt;
      generation = 0;
      step = 0;
      moved = 0;
      current.reset();
      secret.wipe();
      previous.clear();  // keeps the capacity reserved at create()
      ahead.clear();
    }
  };
  struct Found {
    Entry* entry;
    std::size_t chain;
    std::size_t ahead_steps;
    bool kept;
  };

  explicit FrameCryptor(const FrameCryptorOptions& options) noexcept : options_(options) {}

  // What a moved-from cryptor is left with: no chains, no sending key, no counter.
  void disown() noexcept {
    chains_.clear();
    encrypt_ = npos;
    last_ = 0;
    exhausted_ = true;
  }

  [[nodiscard]] bool ratcheting() const noexcept { return options_.ratchet_bits != 0; }
  [[nodiscard]] std::uint64_t generation_of(std::uint64_t kid) const noexcept {
    return ratcheting() ? kid >> options_.ratchet_bits : kid;
  }
  [[nodiscard]] std::uint64_t kid_of(std::uint64_t generation, std::uint64_t step) const noexcept {
    return (generation << options_.ratchet_bits) | (step & mask_);
  }

  [[nodiscard]] std::size_t find_chain(std::uint64_t generation) const noexcept {
    if (last_ < chains_.size() && chains_[last_].used && chains_[last_].generation == generation)
      return last_;
    for (std::size_t i = 0; i < chains_.size(); ++i)
      if (chains_[i].used && chains_[i].generation == generation) return i;
    return npos;
  }
  [[nodiscard]] std::size_t free_chain() const noexcept {
    for (std::size_t i = 0; i < chains_.size(); ++i)
      if (!chains_[i].used) return i;
    return npos;
  }

  // The decrypt key a KID names: the chain's current step, a kept step, or a step ahead within the
  // window (derived and cached here, committed by the caller after authentication).
  [[nodiscard]] Result<Found> find_decrypt_key(std::uint64_t kid) noexcept {
    const std::size_t index = find_chain(generation_of(kid));
    if (index == npos) return Errc::missing_key;
    Chain& c = chains_[index];
    if (c.usage != KeyUsage::decrypt || !c.current) return Errc::missing_key;
    if (c.current->kid == kid) return Found{&*c.current, index, 0, false};
    for (std::size_t i = c.previous.size(); i-- > 0;)
      if (c.previous[i].kid == kid) return Found{&c.previous[i], index, 0, true};
    if (window_ != 0) {
      const std::uint64_t d = ((kid & mask_) - (c.step & mask_)) & mask_;
      if (d >= 1 && d <= window_) {
        const std::size_t r = static_cast<std::size_t>(d);
        if (const Errc e = fill_ahead(c, r); e != Errc::ok) return e;
        return Found{&c.ahead[r - 1].entry, index, r, false};
      }
    }
    return Errc::missing_key;
  }

  // Makes c.ahead hold at least `count` (<= window_) derived steps.
  [[nodiscard]] Errc fill_ahead(Chain& c, std::size_t count) noexcept {
    while (c.ahead.size() < count) {
      const SframeSecret<S>& from = c.ahead.empty() ? c.secret : c.ahead.back().secret;
      SframeSecret<S> next;
      if (const Errc e = ratchet_secret<S>(from, next); e != Errc::ok) return e;
      const std::uint64_t kid = kid_of(c.generation, c.step + c.ahead.size() + 1);
      auto ctx = make_key_context<S>(next, kid);
      if (!ctx) return ctx.error();
      c.ahead.push_back(
          Ahead{Entry{kid, std::move(*ctx), ReplayWindow(options_.replay_window)}, std::move(next)});
    }
    return Errc::ok;
  }

  // Makes step + r current. The current step and ahead[0 .. r-2] become kept steps (the newest
  // kept_ of them, oldest first, within the capacity reserved at create()); the rest of the cache
  // continues the same chain and stays.
  void commit(Chain& c, std::size_t r) noexcept {
    const std::size_t incoming = std::min(r, kept_);
    if (incoming > 0) {
      const std::size_t room = kept_ - incoming;
      if (c.previous.size() > room)
        c.previous.erase(c.previous.begin(),
                         c.previous.begin() + static_cast<std::ptrdiff_t>(c.previous.size() - room));
      for (std::size_t k = r - incoming; k < r; ++k)
        c.previous.push_back(k == 0 ? std::move(*c.current) : std::move(c.ahead[k - 1].entry));
    }
    c.current.emplace(std::move(c.ahead[r - 1].entry));
    c.secret = std::move(c.ahead[r - 1].secret);
    c.ahead.erase(c.ahead.begin(), c.ahead.begin() + static_cast<std::ptrdiff_t>(r));
    c.step += r;
    c.moved += r;
  }

  // One ratchet step of a chain (ratchet()'s work once the arguments are checked).
  [[nodiscard]] Result<std::uint64_t> step_forward(Chain& c) noexcept {
    if (c.usage == KeyUsage::encrypt) {
      SframeSecret<S> next;
      if (const Errc e = ratchet_secret<S>(c.secret, next); e != Errc::ok) return e;
      const std::uint64_t next_kid = kid_of(c.generation, c.step + 1);
      auto ctx = make_key_context<S>(next, next_kid);
      if (!ctx) return ctx.error();
      c.current.emplace(Entry{next_kid, std::move(*ctx), ReplayWindow(options_.replay_window)});
      c.secret = std::move(next);
      ++c.step;
      ++c.moved;
      return next_kid;
    }
    if (window_ == 0) return Errc::invalid_argument;  // ratchet_window 0: no cache to step through
    if (const Errc e = fill_ahead(c, 1); e != Errc::ok) return e;
    commit(c, 1);
    return c.current->kid;
  }

  // aad = header || metadata, in the buffer sized at create() (the Cipher API takes one span).
  [[nodiscard]] BytesIn build_aad(BytesIn header, BytesIn metadata) noexcept {
    std::memcpy(aad_.get(), header.data(), header.size());
    if (!metadata.empty()) std::memcpy(aad_.get() + header.size(), metadata.data(), metadata.size());
    return BytesIn(aad_.get(), header.size() + metadata.size());
  }

  FrameCryptorOptions options_;
  std::vector<Chain> chains_;
  std::unique_ptr<std::uint8_t[]> aad_;
  std::size_t window_ = 0;
  std::size_t kept_ = 0;
  std::uint64_t mask_ = 0;
  std::size_t encrypt_ = npos;
  std::size_t last_ = 0;  // the chain of the last decrypted frame: checked first
  std::uint64_t counter_ = 0;
  bool exhausted_ = false;
};

}  // namespace sframe
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
