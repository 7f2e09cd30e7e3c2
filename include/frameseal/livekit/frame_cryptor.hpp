// frameseal/livekit/frame_cryptor.hpp: FrameCryptor, one call per frame in LiveKit's E2EE format.
//
// Wire layout (livekit-client 2.23 and the webrtc-sdk frame cryptor):
//   frame_out = H || B,  B' = C || T(16) || IV(12) || 0x0C || KID
//   H   = the clear header (clear_header.hpp: audio 1 byte, VP8 10/3, VP9 0, H.264/H.265 up to the
//         first slice NALU + 2, with 3-byte start codes normalised to 4-byte ones);
//   C,T = AEAD(key of slot KID, IV, aad = H as sent, plaintext = frame[n:]);
//   B   = B' escaped with H.264 emulation prevention for H.264/H.265 frames (rbsp.hpp), else B'.
// The IV length byte and KID are not authenticated (as in LiveKit); changing either makes the frame
// fail (wrong IV -> wrong tag; wrong KID -> wrong key or missing key).
//
// Receive order (as livekit-client; the steps are frame_layout.hpp's, shared with `inspect`):
// optional LKTS packet-trailer strip; empty frames pass through;
// SIF check (a frame ending with the room's SIF trailer passes unencrypted only if its payload is a
// known blank frame, otherwise Errc::sif_rejected: never fail open); key index (last byte); key
// lookup (missing_key / key_invalid before any work); clear header; un-escape; IV length must be 12
// (livekit-client trusts any value; frameseal, like the native SDK, refuses); authenticate, then the
// key ring's search (current key, previous generations, ratchet window).
//
// Contract: encrypt/decrypt return the written prefix of `out`; `out` may be exactly the input
// memory (in place) or not overlap it. No allocation per frame in steady state (a scratch buffer,
// grown with some headroom to the largest frame that needed it, keeps the ciphertext for retries
// when decrypting in place and holds un-escaped H.264/H.265 payloads; encrypting needs none), no
// exception. A failed decrypt leaves no plaintext in `out`. A failed encrypt leaves no plaintext
// in `out` either; for an in-place encrypt that means the caller's frame is gone, so size `out`
// with max_encrypted_size() to never fail for lack of room. AV1 and unknown video codecs are
// Errc::unsupported_codec: frameseal never sends a frame whose clear-header rule it does not know.
//
// Key ring: the cryptor holds a BasicKeyRing<C>&, the part of any KeyRing<C, Kdf> the frame path
// uses, so its type does not name the KDF (the ring owns it) and it never derives a key.
// Ratchet window: decrypt searches the ring's window as it is. After a decrypt whose report says
// match.ratchet_steps = r > 0, the window is r steps short; top it up off the frame path with
// ring.refill(report.key_index) on your KeyRing (or plan_refill / derive / apply around your own
// lock). The session layer does this on its refill thread.
//
// IV state is move-only (iv.hpp): a FrameCryptor cannot be copied, and a moved-from one refuses to
// encrypt (counter_exhausted), so two cryptors never share an IV counter by accident.
//
// Threading: a FrameCryptor is used by one thread at a time; it refers to a KeyRing it does not
// own (the session layer serialises key changes against frames).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "../bytes.hpp"
#include "../cipher.hpp"
#include "../codec/codec.hpp"
#include "../codec/vp8.hpp"
#include "../error.hpp"
#include "../key_ring.hpp"
#include "clear_header.hpp"
#include "frame_cryptor_options.hpp"
#include "frame_layout.hpp"
#include "iv.hpp"
#include "rbsp.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

// What decrypt found, for counters, states and `frameseal inspect`.
struct DecryptReport {
  std::uint8_t key_index = 0;
  std::size_t clear_bytes = 0;  // header bytes left in clear
  bool passthrough = false;     // empty frame passed through
  bool sif = false;             // an allowed server-injected frame, passed through unencrypted
  KeyMatch match;               // how the key was found (ratchet steps, previous generation, attempts)
};

template <Cipher C, IvSource IvPolicy = UniqueIv>
class FrameCryptor {
 public:
  using cipher_type = C;
  using key_ring_type = BasicKeyRing<C>;  // any KeyRing<C, Kdf>: the frame path runs no KDF
  static constexpr std::size_t overhead = C::tag_bytes + trailer_bytes;  // 30 for AES-GCM

  // An upper bound of the encrypted size of an n-byte frame, for any codec (H.264/H.265 start-code
  // normalisation and emulation prevention included). Audio, VP8, VP9: exactly n + overhead.
  // Saturates at SIZE_MAX instead of wrapping (no buffer that large exists: encrypt then reports
  // buffer_too_small rather than writing past a wrapped size).
  [[nodiscard]] static constexpr std::size_t max_encrypted_size(std::size_t n) noexcept {
    constexpr std::size_t top = static_cast<std::size_t>(-1);
    if (n > top - overhead) return top;
    const std::size_t a = n + overhead, b = a / 2 + 2;
    return a > top - b ? top : a + b;
  }

  explicit FrameCryptor(key_ring_type& ring, FrameCryptorOptions options = {}, IvPolicy iv = {}) noexcept
      : ring_(&ring), options_(std::move(options)), iv_(std::move(iv)) {
    if (options_.reserve_bytes) (void)ensure_scratch(options_.reserve_bytes);
  }

  [[nodiscard]] key_ring_type& key_ring() noexcept { return *ring_; }
  [[nodiscard]] const FrameCryptorOptions& options() const noexcept { return options_; }
  // Configuration call (allocates): the room's SIF trailer; empty disables SIF detection.
  void set_sif_trailer(BytesIn trailer) { options_.sif_trailer.assign(trailer.begin(), trailer.end()); }
  [[nodiscard]] IvPolicy& iv_policy() noexcept { return iv_; }

  [[nodiscard]] Result<BytesOut> encrypt(const FrameInfo& info, BytesIn frame, BytesOut out) noexcept {
    if (overlaps_partially(frame, out)) return Errc::invalid_argument;
    if (frame.empty()) return out.first(0);  // LiveKit passes empty frames through
    auto cipher = ring_->sending_cipher();
    if (!cipher) return cipher.error();
    const std::uint8_t kid = ring_->current_index();
    auto ch = sender_clear_header(info, key_frame_flag(info, frame), frame);
    if (!ch) return ch.error();
    const std::size_t n = ch->in_bytes, h = ch->out_bytes, body = frame.size() - n;
    const std::size_t bprime = body + overhead;
    const bool in_place = frame.data() == out.data();
    if (out.size() < h + bprime) return Errc::buffer_too_small;
    auto iv = iv_.next(info);
    if (!iv) return iv.error();

    if (!ch->nalu) {  // h == n: header, then C || T || IV || 0x0C || KID
      if (!in_place) std::memcpy(out.data(), frame.data(), n);
      auto sealed =
          (*cipher)->seal(out.subspan(n, body + C::tag_bytes), frame.subspan(n), frame.first(n), *iv);
      if (!sealed) return fail_encrypt(out, in_place ? n + body : 0, sealed.error());
      write_trailer(out.data() + n + body + C::tag_bytes, *iv, kid);
      return out.first(n + bprime);
    }

    // H.264/H.265: seal B' = C || T || IV || 0x0C || KID right after the (normalised) header, then
    // escape it. An escape needs 00 00 followed by a byte <= 03, about once per 3 MiB of ciphertext
    // (~0.5% of 16 KiB frames), so escaping usually ends with the counting scan. Otherwise B' moves
    // to the end of out and is escaped forward into place (the output never overtakes its input
    // because it starts at least (escaped size - |B'|) bytes earlier).
    if (in_place) {
      if (h != n) {
        // The header grows: move the body behind where it will end, then normalise the header in
        // place (normalize_start_codes works back to front; the body is no longer in its way).
        std::memmove(out.data() + h, out.data() + n, body);
        auto hn = normalize_start_codes(BytesIn(out.data(), n), out.first(h));
        if (!hn) return fail_encrypt(out, 0, hn.error());
      }
      BytesOut staged = out.subspan(h, body + C::tag_bytes);
      auto sealed = (*cipher)->seal(staged, staged.first(body), out.first(h), *iv);
      if (!sealed) return fail_encrypt(out, 0, sealed.error());
    } else {
      auto hn = normalize_start_codes(frame.first(n), out.first(h));
      if (!hn) return fail_encrypt(out, 0, hn.error());
      auto sealed = (*cipher)->seal(out.subspan(h, body + C::tag_bytes), frame.subspan(n), out.first(h), *iv);
      if (!sealed) return fail_encrypt(out, 0, sealed.error());
    }
    write_trailer(out.data() + h + body + C::tag_bytes, *iv, kid);
    const std::size_t escaped = escaped_size(BytesIn(out.data() + h, bprime));
    if (escaped == bprime) return out.first(h + bprime);
    if (h + escaped > out.size()) return fail_encrypt(out, 0, Errc::buffer_too_small);
    const std::size_t stage = out.size() - bprime;  // >= h + (escaped - bprime)
    std::memmove(out.data() + stage, out.data() + h, bprime);
    auto written = write_rbsp(BytesIn(out.data() + stage, bprime), out.subspan(h, escaped));
    if (!written) return fail_encrypt(out, 0, written.error());
    return out.first(h + escaped);
  }

  [[nodiscard]] Result<BytesOut> decrypt(const FrameInfo& info, BytesIn frame, BytesOut out,
                                         DecryptReport* report = nullptr) noexcept {
    if (overlaps_partially(frame, out)) return Errc::invalid_argument;
    DecryptReport local;
    DecryptReport& rep = report ? *report : local;
    rep = DecryptReport{};
    LayoutOptions lo;
    lo.sif_trailer = options_.sif_trailer;
    lo.packet_trailer = options_.packet_trailer;
    auto outer = read_outer(frame, lo);
    if (!outer) return outer.error();
    const BytesIn f = outer->frame;
    const bool in_place = !frame.empty() && frame.data() == out.data();
    if (outer->kind == FrameKind::empty) {
      rep.passthrough = true;
      return out.first(0);
    }
    if (outer->kind == FrameKind::sif) {
      if (out.size() < f.size()) return Errc::buffer_too_small;
      if (!in_place) std::memcpy(out.data(), f.data(), f.size());
      rep.sif = true;
      return out.first(f.size());
    }
    const std::uint8_t kid = outer->key_index;
    rep.key_index = kid;
    if (!ring_->has_key(kid)) return Errc::missing_key;
    if (ring_->is_invalid(kid)) return Errc::key_invalid;
    auto clear = read_clear(info, f);
    if (!clear) return clear.error();
    const std::size_t n = clear->header.in_bytes;
    rep.clear_bytes = n;
    const BytesIn body = clear->body;

    // The ciphertext must survive failed attempts (each failed open wipes its output), so when
    // decrypting in place, or when it must be un-escaped first, it lives in the scratch buffer.
    BytesIn src = body;
    if (clear->header.nalu && needs_unescape(body)) {
      if (!ensure_scratch(body.size())) return Errc::internal_error;
      auto un = unescape_rbsp(body, BytesOut(scratch_.get(), body.size()));
      if (!un) return un.error();
      src = *un;
    } else if (in_place && !body.empty()) {  // (an empty body: memcpy must not see a null scratch)
      if (!ensure_scratch(body.size())) return Errc::internal_error;
      std::memcpy(scratch_.get(), body.data(), body.size());
      src = BytesIn(scratch_.get(), body.size());
    }
    auto parts = read_sealed(src, C::tag_bytes);
    if (!parts) return parts.error();
    const BytesIn sealed = parts->sealed;
    const auto iv = parts->iv;
    const std::size_t plain = sealed.size() - C::tag_bytes;
    if (out.size() < n + plain) return Errc::buffer_too_small;
    if (!in_place) std::memcpy(out.data(), f.data(), n);
    const BytesIn aad = clear->aad;
    const BytesOut pt = out.subspan(n, plain);
    auto match =
        ring_->open_with(kid, [&](C& c) noexcept { return c.open(pt, sealed, aad, iv).has_value(); });
    if (!match) {
      // A failed open wipes its output; with kdf_mismatch the other KDF's key did open the frame,
      // so its plaintext is wiped here.
      if (plain) sodium_memzero(pt.data(), pt.size());
      if (!in_place && n) sodium_memzero(out.data(), n);
      return match.error();
    }
    rep.match = *match;
    return out.first(n + plain);
  }

 private:
  static void write_trailer(std::uint8_t* p, const Iv& iv, std::uint8_t kid) noexcept {
    std::memcpy(p, iv.data(), iv.size());
    p[iv_bytes] = iv_length_byte;
    p[iv_bytes + 1] = kid;
  }

  // Leaves no plaintext behind: wipes the first `plaintext_extent` bytes of out (where an in-place
  // frame's plaintext may still be) and everything written so far.
  static Errc fail_encrypt(BytesOut out, std::size_t plaintext_extent, Errc e) noexcept {
    const std::size_t n = plaintext_extent == 0 ? out.size() : std::min(plaintext_extent, out.size());
    if (n) sodium_memzero(out.data(), n);
    return e;
  }

  // Grows with headroom (1/16 + 64 bytes): the escaped body of an H.264/H.265 frame is a few bytes
  // longer than the frames before it whenever its ciphertext needed an escape, and a buffer grown
  // to the exact size would be reallocated for each of those in an otherwise steady stream.
  [[nodiscard]] bool ensure_scratch(std::size_t n) noexcept {
    if (n <= scratch_size_) return true;
    const std::size_t size = n + n / 16 + 64 > n ? n + n / 16 + 64 : n;
    std::unique_ptr<std::uint8_t[]> grown(new (std::nothrow) std::uint8_t[size]);
    if (!grown) return false;
    scratch_ = std::move(grown);
    scratch_size_ = size;
    return true;
  }

  key_ring_type* ring_;
  FrameCryptorOptions options_;
  IvPolicy iv_;
  std::unique_ptr<std::uint8_t[]> scratch_;
  std::size_t scratch_size_ = 0;
};

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
