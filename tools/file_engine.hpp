// The crypto side of the media-file commands (encrypt, decrypt, inspect): one engine interface over
// the LiveKit format (KeyRing + livekit::FrameCryptor with UniqueIv) and SFrame
// (sframe::FrameCryptor<Suite>), the frame facts the LiveKit rules need, and the words a failure is
// explained in. The receiver needs no per-frame side data: VP8 key frames are told by their clear
// frame tag, VP9 and AV1 have no clear header, and an H.264/H.265 frame without a slice is never a
// key frame (media/annexb.hpp), so its clear-header length is known without the frame type; SFrame
// encrypts whole frames.
#pragma once

#include "cli_common.hpp"
#include "key_options.hpp"

#include <frameseal/sframe/frame_cryptor.hpp>
#include <frameseal/sframe/openssl_suites.hpp>

#include "media/containers.hpp"

#include <cmath>
#include <string>

namespace cli {

inline std::string explain(fs::Errc e, std::uint64_t kid, bool sframe = false) {
  using fs::Errc;
  switch (e) {
    case Errc::auth_failed:
      return sframe ? "auth_failed: the frame does not authenticate (wrong key or --cipher, or the frame was "
                      "altered)"
                    : "auth_failed: the frame does not authenticate (wrong key, --kdf, --salt or --cipher; "
                      "the sender "
                      "ratcheted further than --ratchet-window; or the frame was altered)";
    case Errc::missing_key:
      return sframe ? "missing_key: no key for KID " + std::to_string(kid) +
                          " (--key-index? a ratcheted sender needs the same --ratchet-bits; or further than "
                          "--ratchet-window)"
                    : "missing_key: the frame names key index " + std::to_string(kid) +
                          ", which has no key (--key-index " + std::to_string(kid) + "?)";
    case Errc::malformed_frame:
      return sframe ? "malformed_frame: not an SFrame frame (bad header, or shorter than the tag)"
                    : "malformed_frame: not a LiveKit-encrypted frame (too short for its clear header and "
                      "trailer, or "
                      "the IV length byte is not 12)";
    case Errc::replay:
      return "replay: this KID and CTR were already accepted (a repeated frame)";
    case Errc::key_invalid:
      return "key_invalid: the key at this index failed too often and is disabled";
    case Errc::sif_rejected:
      return "sif_rejected: ends with the SIF trailer but is not an allowed blank frame";
    case Errc::unsupported_codec:
      return "unsupported_codec: no LiveKit clear-header rule for this codec";
    default:
      return std::string(fs::to_string(e));
  }
}

inline std::string explain_encrypt(fs::Errc e) {
  if (e == fs::Errc::malformed_frame)
    return "malformed_frame: the frame is shorter than its LiveKit clear header (VP8 key frame: 10 bytes, "
           "delta: 3)";
  return explain(e, 0);
}

// The frame facts the LiveKit rules need; AV1 (opted in) is encrypted whole, like VP9.
inline fs::FrameInfo base_frame_info(fs::Codec codec) {
  fs::FrameInfo i;
  i.kind = codec == fs::Codec::opus ? fs::MediaKind::audio : fs::MediaKind::video;
  i.codec = codec == fs::Codec::av1 ? fs::Codec::vp9 : codec;
  i.ssrc = 0x46534531;  // not used by UniqueIv; any fixed value
  return i;
}

// The RTP timestamp of a frame from its container time (90 kHz video, 48 kHz Opus). UniqueIv does
// not use it; it is set for completeness.
inline std::uint32_t rtp_timestamp(const media::MediaFile& m, std::uint64_t pts) {
  if (m.codec == fs::Codec::opus) return static_cast<std::uint32_t>(pts);
  if (m.container == media::AnnexBContainer::name) return static_cast<std::uint32_t>(pts * 3600);
  if (m.ivf.rate == 0) return static_cast<std::uint32_t>(pts);
  const long double t = static_cast<long double>(pts) * 90000.0L * m.ivf.scale / m.ivf.rate;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(std::fmod(t, 18446744073709551616.0L)));
}

template <class C>
fs::KeyRing<C, fs::LivekitKdf> make_ring(const KeyOptions& k) {
  fs::KeyRingOptions ro;
  ro.salt = k.salt;
  ro.ratchet_window = k.window;
  auto ring = fs::KeyRing<C, fs::LivekitKdf>::create(ro, fs::openssl::livekit_kdf(k.kdf));
  if (!ring) die(std::string("key ring: ") + std::string(fs::to_string(ring.error())));
  if (auto e = ring->set_key(k.key_index, k.material); e != fs::Errc::ok)
    die(std::string("cannot install the key: ") + std::string(fs::to_string(e)));
  return std::move(*ring);
}

// The options that make no sense for the chosen format.
inline void check_format_options(const KeyOptions& k, std::size_t rotate_every) {
  if (k.format == "sframe") {
    if (k.kdf_set || k.salt_set)
      die("--kdf and --salt are LiveKit key options; SFrame derives its keys with RFC 9605's key schedule");
    if (!k.sif_trailer.empty()) die("--sif-trailer is a LiveKit option");
    if (k.cipher == CipherId::chacha20poly1305) die(sframe_cipher_error);
    if (rotate_every && k.ratchet_bits == 0)
      die("--format sframe --rotate-every: an SFrame ratchet step changes the KID, so give --ratchet-bits R "
          "(e.g. 8) here and to decrypt (RFC 9605 §5.1)");
  } else if (k.ratchet_bits) {
    die("--ratchet-bits is an SFrame option (--format sframe)");
  }
}

// A cryptor behind one interface for the file loops: LiveKit (KeyRing + livekit::FrameCryptor with
// UniqueIv) or SFrame (sframe::FrameCryptor<Suite>). Not movable: the LiveKit cryptor points at its
// ring.
template <class C>
class LivekitEngine {
 public:
  using Cryptor = fs::livekit::FrameCryptor<C, fs::livekit::UniqueIv>;
  static constexpr bool sframe = false;
  static constexpr std::uint8_t mark_format = media::mark_format_livekit;

  LivekitEngine(const KeyOptions& k, std::size_t largest, bool = true)
      : ring_(make_ring<C>(k)), cryptor_(ring_, options(k, largest)) {}
  LivekitEngine(const LivekitEngine&) = delete;
  LivekitEngine& operator=(const LivekitEngine&) = delete;

  // Output room for an n-byte frame: audio, VP8, VP9 (and whole-frame AV1) grow by exactly the
  // overhead; H.264/H.265 also by start-code normalisation and escaping.
  [[nodiscard]] static std::size_t room(fs::Codec codec, std::size_t n) noexcept {
    return codec == fs::Codec::h264 || codec == fs::Codec::h265 ? Cryptor::max_encrypted_size(n)
                                                                : n + Cryptor::overhead;
  }
  [[nodiscard]] fs::Result<fs::BytesOut> encrypt(const fs::FrameInfo& i, fs::BytesIn f,
                                                 fs::BytesOut o) noexcept {
    return cryptor_.encrypt(i, f, o);
  }
  [[nodiscard]] fs::Errc ratchet() noexcept {
    auto r = ring_.ratchet(ring_.current_index());
    return r ? fs::Errc::ok : r.error();
  }
  // steps: ratchet steps the receiver took for this frame; kid: the key id the frame names.
  [[nodiscard]] fs::Result<fs::BytesOut> decrypt(const fs::FrameInfo& i, fs::BytesIn f, fs::BytesOut o,
                                                 std::size_t& steps, std::uint64_t& kid) noexcept {
    fs::livekit::DecryptReport rep;
    auto r = cryptor_.decrypt(i, f, o, &rep);
    steps = r ? rep.match.ratchet_steps : 0;
    kid = f.empty() ? 0 : f.back();
    // The ring searched its window without deriving; a file tool can top it up right here (a
    // real-time receiver does it off the frame path, as the session layer's refill thread does).
    if (steps > 0) (void)ring_.refill(rep.key_index);
    return r;
  }

 private:
  static fs::livekit::FrameCryptorOptions options(const KeyOptions& k, std::size_t largest) {
    fs::livekit::FrameCryptorOptions fo;
    fo.reserve_bytes = largest + Cryptor::overhead;
    fo.sif_trailer = k.sif_trailer;
    return fo;
  }
  fs::KeyRing<C, fs::LivekitKdf> ring_;
  Cryptor cryptor_;
};

namespace sf = frameseal::sframe;

inline std::uint8_t sframe_suite_mark(CipherId c) noexcept {
  return c == CipherId::aes256gcm ? 5 : 4;
}

// The KID of key index i, ratchet step 0: i << R (generation i) with R ratchet bits, else i.
inline std::uint64_t sframe_kid(const KeyOptions& k) noexcept {
  return k.ratchet_bits ? std::uint64_t{k.key_index} << k.ratchet_bits : k.key_index;
}

template <class S>
sf::FrameCryptor<S> make_sframe_cryptor(const KeyOptions& k, bool sender) {
  sf::FrameCryptorOptions so;
  so.ratchet_bits = static_cast<unsigned>(k.ratchet_bits);
  if (k.window_set) so.ratchet_window = k.window;
  auto fc = sf::FrameCryptor<S>::create(so);
  if (!fc) die(std::string("SFrame cryptor: ") + std::string(fs::to_string(fc.error())));
  if (auto e = fc->add_key(sframe_kid(k), k.material, sender ? sf::KeyUsage::encrypt : sf::KeyUsage::decrypt);
      e != fs::Errc::ok)
    die(std::string("cannot install the SFrame key: ") + std::string(fs::to_string(e)));
  return std::move(*fc);
}

template <class S>
class SframeEngine {
 public:
  using Cryptor = sf::FrameCryptor<S>;
  static constexpr bool sframe = true;
  static constexpr std::uint8_t mark_format = media::mark_format_sframe;

  SframeEngine(const KeyOptions& k, std::size_t, bool sender = true)
      : cryptor_(make_sframe_cryptor<S>(k, sender)), kid_(sframe_kid(k)) {}
  SframeEngine(const SframeEngine&) = delete;
  SframeEngine& operator=(const SframeEngine&) = delete;

  [[nodiscard]] static std::size_t room(fs::Codec, std::size_t n) noexcept {
    return Cryptor::max_encrypted_size(n);
  }
  [[nodiscard]] fs::Result<fs::BytesOut> encrypt(const fs::FrameInfo& i, fs::BytesIn f,
                                                 fs::BytesOut o) noexcept {
    return cryptor_.encrypt(i, f, o);
  }
  [[nodiscard]] fs::Errc ratchet() noexcept {
    auto r = cryptor_.ratchet(kid_);
    if (!r) return r.error();
    kid_ = *r;
    return fs::Errc::ok;
  }
  [[nodiscard]] fs::Result<fs::BytesOut> decrypt(const fs::FrameInfo& i, fs::BytesIn f, fs::BytesOut o,
                                                 std::size_t& steps, std::uint64_t& kid) noexcept {
    sf::DecryptReport rep;
    auto r = cryptor_.decrypt(i, f, o, &rep);
    steps = r ? rep.ratchet_steps : 0;
    auto h = sf::parse(f);
    kid = h ? h->header.kid : 0;
    return r;
  }
  [[nodiscard]] Cryptor& cryptor() noexcept { return cryptor_; }

 private:
  Cryptor cryptor_;
  std::uint64_t kid_;
};

// Runs f.template operator()<Engine>() with the engine of the format and cipher.
template <class F>
int with_engine(const KeyOptions& k, CipherId cipher, F&& f) {
  if (k.format == "sframe")
    return with_suite(cipher, [&]<class S>() { return f.template operator()<SframeEngine<S>>(); });
  return with_cipher(cipher, [&]<class C>() { return f.template operator()<LivekitEngine<C>>(); });
}

inline std::uint8_t mark_cipher(const KeyOptions& k, CipherId c) {
  if (k.format == "sframe") return sframe_suite_mark(c);
  return cipher_mark(c);
}

}  // namespace cli
