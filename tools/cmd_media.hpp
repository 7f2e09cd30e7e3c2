// The media-file commands of the frameseal CLI:
//   frameseal encrypt [options] IN OUT     IVF (VP8/VP9/AV1), H.264/H.265 Annex-B, Ogg Opus -> encrypted IVF
//   frameseal decrypt [options] IN OUT     encrypted IVF -> IVF, Annex-B or Ogg Opus (by codec)
//   frameseal inspect [options] IN         what is inside each frame; with a key, whether it authenticates
//   frameseal keygen [options] FILE        a fresh random key (libsodium randombytes_buf) in a 0600 file
//
// The encrypted file is an IVF (tools/media/ivf.hpp) whose reserved header word is the frameseal
// mark "FS" | format | cipher, one IVF frame per media frame, with the source's time stamps:
//   VP8/VP9/AV1 from IVF: the source header (fourcc, size, time base, frame count) and pts, unchanged;
//   H.264/H.265 Annex-B: fourcc H264/H265, width/height 0, time base 1/25, pts = access unit index;
//   Opus from Ogg: fourcc Opus, time base 1/48000, width|height<<16 = the Ogg serial number;
//     frames 0 and 1 are the OpusHead and OpusTags header packets, verbatim and in clear; every other
//     frame is one Opus packet whose pts is its Ogg end granule position (ogg.hpp);
//   last, the manifest frame (FSMF v1 || HMAC-SHA256 over all bytes before it, pts 2^64-1; see
//   "the manifest of an encrypted file" below), which decrypt and inspect check and strip.
// Frames are in the LiveKit format (livekit/frame_cryptor.hpp, default UniqueIv; mark format 1,
// cipher 1/2/3) or, with --format sframe, in SFrame (sframe/frame_cryptor.hpp; mark format 2, cipher
// byte = the suite id, 4 or 5). The receiver needs no per-frame side data: VP8 key frames are told
// by their clear frame tag, VP9 and AV1 have no clear header, and an H.264/H.265 frame without a
// slice is never a key frame (annexb.hpp), so its clear-header length is known without the frame
// type; SFrame encrypts whole frames.
//
// Failures name the file, the frame and the reason on one line and exit 1 (usage errors exit 2);
// output goes to a temporary file renamed into place only on success (media/output.hpp). The
// crypto loop works on the file read into memory, with one output arena sized up front: no
// allocation per frame. MB/s counts only the time inside encrypt()/decrypt() (and ratchets).
#pragma once

#include "cli_common.hpp"
#include "key_options.hpp"

#if __has_include(<frameseal/sframe/frame_cryptor.hpp>) && __has_include(<frameseal/sframe/openssl_suites.hpp>)
#include <frameseal/sframe/frame_cryptor.hpp>
#include <frameseal/sframe/openssl_suites.hpp>
#define FRAMESEAL_CLI_SFRAME 1
#else
#define FRAMESEAL_CLI_SFRAME 0
#endif
#include "media/input.hpp"
#include "media/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cli {

inline const char* media_usage =
    "usage: frameseal encrypt [options] IN OUT\n"
    "       frameseal decrypt [options] IN OUT\n"
    "       frameseal inspect [options] IN\n"
    "       frameseal keygen [--bytes N] [--hex] [--force] FILE\n"
    "IN for encrypt: IVF (VP8, VP9, AV1), an H.264/H.265 Annex-B stream (.h264/.264, .h265/.265/.hevc),\n"
    "or Ogg Opus. OUT of encrypt is an encrypted IVF; decrypt writes IVF (VP8/VP9/AV1), Annex-B\n"
    "(H.264/H.265) or Ogg Opus. Options:\n"
    "%s"
    "  --rotate-every N       encrypt: ratchet the key every N frames (the receiver follows)\n"
    "  --allow-av1            encrypt: encrypt AV1 frames whole (0 clear bytes, as the m125 native SDK;\n"
    "                         livekit-client cannot receive them). Without it AV1 is refused.\n"
    "  --codec h264|h265      the codec of an Annex-B stream (default: file extension, then the bytes)\n"
    "  --ratchet-window N     decrypt/inspect: ratchet steps the receiver searches (default 16; SFrame 8)\n"
    "  --sif-trailer HEX      decrypt/inspect: the room's SIF trailer\n"
    "  --json                 encrypt/decrypt: a JSON summary on stdout; inspect: JSON instead of a table\n"
    "  --hex                  inspect: add each frame's bytes (and, with a key, its plaintext) as hex\n"
    "  -q, --quiet            no summary line and no progress\n"
    "Exit status: 0 success, 1 a bad file or a frame that fails, 2 usage.\n";

inline void print_media_usage(std::FILE* f) { std::fprintf(f, media_usage, key_options_usage); }

[[noreturn]] inline void fail_file(const std::string& path, const std::string& what) {
  std::fprintf(stderr, "frameseal: %s: %s\n", path.c_str(), what.c_str());
  std::exit(1);
}

inline media::Bytes read_whole_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail_file(path, std::strerror(errno));
  media::Bytes data;
  std::uint8_t buf[1 << 16];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    data.insert(data.end(), buf, buf + n);
    if (n < sizeof buf) break;
  }
  const bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) fail_file(path, std::string("read failed: ") + std::strerror(errno));
  return data;
}

inline std::string explain(fs::Errc e, std::uint64_t kid, bool sframe = false) {
  using fs::Errc;
  switch (e) {
    case Errc::auth_failed:
      return sframe ? "auth_failed: the frame does not authenticate (wrong key or --cipher, or the frame was altered)"
                    : "auth_failed: the frame does not authenticate (wrong key, --kdf, --salt or --cipher; the sender "
                      "ratcheted further than --ratchet-window; or the frame was altered)";
    case Errc::missing_key:
      return sframe ? "missing_key: no key for KID " + std::to_string(kid) +
                          " (--key-index? a ratcheted sender needs the same --ratchet-bits; or further than "
                          "--ratchet-window)"
                    : "missing_key: the frame names key index " + std::to_string(kid) + ", which has no key (--key-index " +
                          std::to_string(kid) + "?)";
    case Errc::malformed_frame:
      return sframe ? "malformed_frame: not an SFrame frame (bad header, or shorter than the tag)"
                    : "malformed_frame: not a LiveKit-encrypted frame (too short for its clear header and trailer, or "
                      "the IV length byte is not 12)";
    case Errc::replay: return "replay: this KID and CTR were already accepted (a repeated frame)";
    case Errc::key_invalid: return "key_invalid: the key at this index failed too often and is disabled";
    case Errc::sif_rejected: return "sif_rejected: ends with the SIF trailer but is not an allowed blank frame";
    case Errc::unsupported_codec: return "unsupported_codec: no LiveKit clear-header rule for this codec";
    default: return std::string(fs::to_string(e));
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
  if (m.container == media::Container::annexb) return static_cast<std::uint32_t>(pts * 3600);
  if (m.ivf.rate == 0) return static_cast<std::uint32_t>(pts);
  const long double t = static_cast<long double>(pts) * 90000.0L * m.ivf.scale / m.ivf.rate;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(std::fmod(t, 18446744073709551616.0L)));
}

template <class C>
fs::KeyRing<C, fs::LivekitKdf> make_ring(const KeyOptions& k) {
  fs::KeyRingOptions ro;
  ro.salt = k.salt;
  ro.ratchet_window = k.window;
  auto ring = fs::KeyRing<C, fs::LivekitKdf>::create(ro, make_kdf(k.kdf));
  if (!ring) die(std::string("key ring: ") + std::string(fs::to_string(ring.error())));
  if (auto e = ring->set_key(k.key_index, k.material); e != fs::Errc::ok)
    die(std::string("cannot install the key: ") + std::string(fs::to_string(e)));
  return std::move(*ring);
}

// The options that make no sense for the chosen format.
inline void check_format_options(const KeyOptions& k, std::size_t rotate_every) {
  if (k.format == "sframe") {
#if !FRAMESEAL_CLI_SFRAME
    die("--format sframe: not yet: frameseal's SFrame cryptor is not part of this build; use --format livekit");
#endif
    if (k.kdf_set || k.salt_set)
      die("--kdf and --salt are LiveKit key options; SFrame derives its keys with RFC 9605's key schedule");
    if (!k.sif_trailer.empty()) die("--sif-trailer is a LiveKit option");
    if (k.cipher == CipherId::chacha20poly1305)
      die(sframe_cipher_error);
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
  using Cryptor = fs::livekit::FrameCryptor<C, fs::LivekitKdf, fs::livekit::UniqueIv>;
  static constexpr bool sframe = false;
  static constexpr std::uint8_t mark_format = media::mark_format_livekit;

  LivekitEngine(const KeyOptions& k, std::size_t largest, bool = true) : ring_(make_ring<C>(k)), cryptor_(ring_, options(k, largest)) {}
  LivekitEngine(const LivekitEngine&) = delete;
  LivekitEngine& operator=(const LivekitEngine&) = delete;

  // Output room for an n-byte frame: audio, VP8, VP9 (and whole-frame AV1) grow by exactly the
  // overhead; H.264/H.265 also by start-code normalisation and escaping.
  [[nodiscard]] static std::size_t room(fs::Codec codec, std::size_t n) noexcept {
    return codec == fs::Codec::h264 || codec == fs::Codec::h265 ? Cryptor::max_encrypted_size(n) : n + Cryptor::overhead;
  }
  [[nodiscard]] fs::Result<fs::BytesOut> encrypt(const fs::FrameInfo& i, fs::BytesIn f, fs::BytesOut o) noexcept {
    return cryptor_.encrypt(i, f, o);
  }
  [[nodiscard]] fs::Errc ratchet() noexcept {
    auto r = ring_.ratchet(ring_.current_index());
    return r ? fs::Errc::ok : r.error();
  }
  // steps: ratchet steps the receiver took for this frame; kid: the key id the frame names.
  [[nodiscard]] fs::Result<fs::BytesOut> decrypt(const fs::FrameInfo& i, fs::BytesIn f, fs::BytesOut o, std::size_t& steps,
                                                 std::uint64_t& kid) noexcept {
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

#if FRAMESEAL_CLI_SFRAME
namespace sf = frameseal::sframe;

inline std::uint8_t sframe_suite_mark(CipherId c) noexcept { return c == CipherId::aes256gcm ? 5 : 4; }

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

  [[nodiscard]] static std::size_t room(fs::Codec, std::size_t n) noexcept { return Cryptor::max_encrypted_size(n); }
  [[nodiscard]] fs::Result<fs::BytesOut> encrypt(const fs::FrameInfo& i, fs::BytesIn f, fs::BytesOut o) noexcept {
    return cryptor_.encrypt(i, f, o);
  }
  [[nodiscard]] fs::Errc ratchet() noexcept {
    auto r = cryptor_.ratchet(kid_);
    if (!r) return r.error();
    kid_ = *r;
    return fs::Errc::ok;
  }
  [[nodiscard]] fs::Result<fs::BytesOut> decrypt(const fs::FrameInfo& i, fs::BytesIn f, fs::BytesOut o, std::size_t& steps,
                                                 std::uint64_t& kid) noexcept {
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

#endif

// Runs f.template operator()<Engine>() with the engine of the format and cipher.
template <class F>
int with_engine(const KeyOptions& k, CipherId cipher, F&& f) {
#if FRAMESEAL_CLI_SFRAME
  if (k.format == "sframe") return with_suite(cipher, [&]<class S>() { return f.template operator()<SframeEngine<S>>(); });
#endif
  return with_cipher(cipher, [&]<class C>() { return f.template operator()<LivekitEngine<C>>(); });
}

inline std::uint8_t mark_cipher(const KeyOptions& k, CipherId c) {
#if FRAMESEAL_CLI_SFRAME
  if (k.format == "sframe") return sframe_suite_mark(c);
#endif
  return cipher_mark(c);
}

struct RunStats {
  std::size_t frames = 0;         // frames that went through the cryptor
  std::size_t header_frames = 0;  // Opus header packets, copied in clear
  std::size_t ratchets = 0;
  std::uint64_t plain_bytes = 0, encrypted_bytes = 0;
  double crypto_seconds = 0;
  [[nodiscard]] double overhead_percent() const {
    return plain_bytes ? 100.0 * (static_cast<double>(encrypted_bytes) - static_cast<double>(plain_bytes)) / static_cast<double>(plain_bytes) : 0.0;
  }
};

inline void report_run(const char* verb, const std::string& in, const std::string& out, fs::Codec codec, CipherId cipher,
                       const KeyOptions& key, const RunStats& s, bool json, bool quiet) {
  const bool enc = std::string_view(verb) == "encrypt";
  const std::uint64_t processed = enc ? s.plain_bytes : s.encrypted_bytes;
  const double mbps = s.crypto_seconds > 0 ? processed / 1e6 / s.crypto_seconds : 0.0;
  if (json) {
    nlohmann::ordered_json j;
    j["command"] = verb;
    j["input"] = in;
    j["output"] = out;
    j["codec"] = std::string(fs::to_string(codec));
    j["format"] = key.format;
    j["cipher"] = name_of(cipher);
    j["key_fingerprint"] = fingerprint(key.material);
    j["frames"] = s.frames;
    j["header_frames"] = s.header_frames;
    j["plaintext_bytes"] = s.plain_bytes;
    j["encrypted_bytes"] = s.encrypted_bytes;
    j["overhead_bytes"] = static_cast<std::int64_t>(s.encrypted_bytes) - static_cast<std::int64_t>(s.plain_bytes);
    j["overhead_percent"] = std::round(s.overhead_percent() * 1000) / 1000;
    j["ratchets"] = s.ratchets;
    j["crypto_seconds"] = s.crypto_seconds;
    j["mb_per_s"] = std::round(mbps * 10) / 10;
    std::printf("%s\n", j.dump().c_str());
  }
  if (quiet) return;
  const std::string ratchets =
      s.ratchets ? ", " + std::to_string(s.ratchets) + (enc ? " ratchet" : " ratchet step") + (s.ratchets > 1 ? "s" : "") +
                       (enc ? "" : " followed")
                 : "";
  std::fprintf(stderr, "frameseal: %sed %zu %s frames (%s, %llu -> %llu bytes, overhead %.2f%%), %.1f MB/s, key %s (%s)%s -> %s\n",
               verb, s.frames, std::string(fs::to_string(codec)).c_str(), key.format.c_str(),
               static_cast<unsigned long long>(enc ? s.plain_bytes : s.encrypted_bytes),
               static_cast<unsigned long long>(enc ? s.encrypted_bytes : s.plain_bytes), s.overhead_percent(), mbps,
               fingerprint(key.material).c_str(), key.source.c_str(), ratchets.c_str(), out.c_str());
}

// ---- the manifest of an encrypted file ----
//
// The frames authenticate themselves (LiveKit / SFrame), but not what is around them: the IVF
// header, the Opus header packets (sent in clear), the time stamps, and how many frames there are
// and in which order. The manifest does: the last IVF frame of an encrypted file is
//   "FSMF" || version 1 || HMAC-SHA256(manifest key, every byte of the file before this frame's header)
// with pts 2^64-1, and manifest key = KDF(material, salt = "frameseal encrypted IVF manifest v1",
// 32 bytes) with the file's KDF (so a passphrase behind PBKDF2 costs PBKDF2 to attack here too),
// a key of its own label, never a frame key. decrypt checks it before writing anything: a changed
// OpusHead, injected OpusTags, changed pts, a dropped, duplicated or moved frame, a changed header,
// a cut-off file or frames appended after the manifest all exit 1 with nothing written.
inline constexpr std::array<std::uint8_t, 4> manifest_magic{'F', 'S', 'M', 'F'};
inline constexpr std::uint8_t manifest_version = 1;
inline constexpr std::size_t manifest_tag_bytes = crypto_auth_hmacsha256_BYTES;
inline constexpr std::size_t manifest_bytes = 4 + 1 + manifest_tag_bytes;
inline constexpr std::uint64_t manifest_pts = ~std::uint64_t{0};
inline constexpr std::string_view manifest_label = "frameseal encrypted IVF manifest v1";

inline SecretVec manifest_key(const KeyOptions& k) {
  SecretVec key(crypto_auth_hmacsha256_KEYBYTES);
  if (make_kdf(k.kdf).derive(k.material, fs::as_bytes(manifest_label), key) != fs::Errc::ok)
    die("cannot derive the manifest key");
  return key;
}

struct Manifest {
  std::size_t covered = 0;  // bytes of the file the tag covers (all before the manifest frame)
  std::array<std::uint8_t, manifest_tag_bytes> tag{};
};

// Removes the manifest frame from an encrypted file's frames; nullopt when the last frame is none.
inline std::optional<Manifest> take_manifest(const media::Bytes& file, media::MediaFile& m) {
  if (m.frames.empty()) return std::nullopt;
  const media::MediaFrame& f = m.frames.back();
  if (f.pts != manifest_pts || f.data.size() != manifest_bytes ||
      !std::equal(manifest_magic.begin(), manifest_magic.end(), f.data.begin()) || f.data[4] != manifest_version)
    return std::nullopt;
  Manifest man;
  man.covered = static_cast<std::size_t>(f.data.data() - file.data()) - media::ivf_frame_header_bytes;
  std::copy(f.data.begin() + 5, f.data.end(), man.tag.begin());
  m.frames.pop_back();
  return man;
}

inline bool manifest_authentic(const media::Bytes& file, const Manifest& man, const KeyOptions& k) {
  const SecretVec key = manifest_key(k);
  return crypto_auth_hmacsha256_verify(man.tag.data(), file.data(), man.covered, key.data()) == 0;
}

// Writes an IVF (header + frames) atomically; with a manifest key, the manifest frame last.
inline void write_ivf_file(const std::string& path, const media::IvfHeader& header, const media::MediaFile& m,
                           const std::vector<media::BytesIn>& frames, const SecretVec* manifest = nullptr) {
  media::AtomicFile f(path);
  if (!f.ok()) fail_file(path, f.error());
  crypto_auth_hmacsha256_state mac;
  if (manifest) crypto_auth_hmacsha256_init(&mac, manifest->data(), manifest->size());
  auto put = [&](media::BytesIn b) {
    f.write(b);
    if (manifest && !b.empty()) crypto_auth_hmacsha256_update(&mac, b.data(), b.size());
  };
  media::Bytes head;
  media::write_ivf_header(header, head);
  put(head);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    media::Bytes fh;
    media::write_ivf_frame_header(frames[i].size(), m.frames[i].pts, fh);
    put(fh);
    put(frames[i]);
  }
  if (manifest) {
    media::Bytes tail;
    media::write_ivf_frame_header(manifest_bytes, manifest_pts, tail);
    tail.insert(tail.end(), manifest_magic.begin(), manifest_magic.end());
    tail.push_back(manifest_version);
    std::array<std::uint8_t, manifest_tag_bytes> tag{};
    crypto_auth_hmacsha256_final(&mac, tag.data());
    tail.insert(tail.end(), tag.begin(), tag.end());
    f.write(tail);
  } else {
    sodium_memzero(&mac, sizeof mac);
  }
  if (!f.commit()) fail_file(path, f.error());
}

// ---------------------------------------------------------------------------------------------
// encrypt / decrypt

struct FileOptions {
  KeyOptions key;
  std::size_t rotate_every = 0;
  bool allow_av1 = false;
  fs::Codec codec_hint = fs::Codec::unknown;
  bool json = false;
  bool hex = false;
  bool quiet = false;
  std::vector<std::string> paths;
  std::string manifest;  // inspect of an encrypted file: the manifest's status
};

inline FileOptions parse_file_options(int argc, char** argv, const char* cmd) {
  FileOptions o;
  const std::string c = cmd;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (parse_key_option(o.key, argc, argv, i)) continue;
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      print_media_usage(stdout);
      std::exit(0);
    } else if (a == "--rotate-every" && c == "encrypt") {
      o.rotate_every = parse_uint(a, value(), 1u << 30);
      if (o.rotate_every == 0) die("--rotate-every: must be at least 1");
    } else if (a == "--allow-av1" && c == "encrypt") {
      o.allow_av1 = true;
    } else if (a == "--codec" && c != "decrypt") {
      const std::string v = value();
      if (v == "h264") o.codec_hint = fs::Codec::h264;
      else if (v == "h265") o.codec_hint = fs::Codec::h265;
      else die("--codec: expected h264 or h265 (other codecs come from the container)");
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--hex" && c == "inspect") {
      o.hex = true;
    } else if (a == "-q" || a == "--quiet") {
      o.quiet = true;
    } else if (a.size() > 1 && a[0] == '-') {
      die("unknown option for " + c + ": " + a + " (frameseal " + c + " --help)");
    } else {
      o.paths.push_back(a);
    }
  }
  const std::size_t want = c == "inspect" ? 1 : 2;
  if (o.paths.size() != want)
    die(c == "inspect" ? "inspect: expected one file (frameseal inspect --help)"
                       : c + ": expected IN and OUT (frameseal " + c + " --help)");
  if (c == "encrypt") check_format_options(o.key, o.rotate_every);  // decrypt/inspect: once the file says its format
  return o;
}

template <class Engine>
int encrypt_with(FileOptions& o, const media::MediaFile& m, CipherId cipher) {
  const std::string& in = o.paths[0];
  const std::string& out = o.paths[1];
  std::size_t capacity = 0, largest = 0, count = 0;
  for (const auto& f : m.frames) {
    if (f.header) continue;
    capacity += Engine::room(m.codec, f.data.size());
    largest = std::max(largest, f.data.size());
    ++count;
  }
  Engine engine(o.key, largest);
  std::unique_ptr<std::uint8_t[]> arena(new std::uint8_t[capacity + 1]);
  std::vector<media::BytesIn> outs(m.frames.size());
  const fs::FrameInfo base = base_frame_info(m.codec);
  RunStats s;
  media::Progress progress("encrypt", count, !o.quiet);
  std::size_t off = 0;
  using clock = std::chrono::steady_clock;
  clock::duration busy{};
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const media::MediaFrame& f = m.frames[i];
    if (f.header) {
      outs[i] = f.data;
      ++s.header_frames;
      continue;
    }
    const auto t0 = clock::now();
    if (o.rotate_every && s.frames && s.frames % o.rotate_every == 0) {
      if (auto e = engine.ratchet(); e != fs::Errc::ok)
        fail_file(in, "frame " + std::to_string(i) + ": cannot ratchet the key: " + std::string(fs::to_string(e)));
      ++s.ratchets;
    }
    fs::FrameInfo info = base;
    info.key_frame = f.key;
    info.rtp_timestamp = rtp_timestamp(m, f.pts);
    const std::size_t cap = Engine::room(m.codec, f.data.size());
    auto r = engine.encrypt(info, f.data, fs::BytesOut(arena.get() + off, cap));
    busy += clock::now() - t0;
    if (!r) fail_file(in, "frame " + std::to_string(i) + ": cannot encrypt: " + explain_encrypt(r.error()));
    outs[i] = *r;
    off += r->size();
    ++s.frames;
    s.plain_bytes += f.data.size();
    s.encrypted_bytes += r->size();
    progress.tick(s.frames, s.plain_bytes);
  }
  progress.finish();
  s.crypto_seconds = std::chrono::duration<double>(busy).count();

  media::IvfHeader h = m.container == media::Container::ivf ? m.ivf : media::IvfHeader{};
  h.fourcc = media::fourcc_of(m.codec);
  if (m.container == media::Container::annexb) {
    h.width = h.height = 0;
    h.rate = 25;
    h.scale = 1;
  } else if (m.container == media::Container::ogg) {
    h.width = static_cast<std::uint16_t>(m.ogg_serial & 0xffff);
    h.height = static_cast<std::uint16_t>(m.ogg_serial >> 16);
    h.rate = 48000;
    h.scale = 1;
  }
  if (m.container != media::Container::ivf) h.frame_count = static_cast<std::uint32_t>(m.frames.size());  // IVF: kept as it was
  media::set_frameseal_mark(h, {Engine::mark_format, mark_cipher(o.key, cipher)});
  const SecretVec mkey = manifest_key(o.key);
  write_ivf_file(out, h, m, outs, &mkey);
  report_run("encrypt", in, out, m.codec, cipher, o.key, s, o.json, o.quiet);
  return 0;
}

inline int cmd_encrypt(int argc, char** argv) {
  FileOptions o = parse_file_options(argc, argv, "encrypt");
  if (!o.key.has_key()) die("encrypt: a key is needed: --key-file PATH, --key HEX or --passphrase TEXT");
  const std::string& in = o.paths[0];
  media::Bytes file = read_whole_file(in);
  media::MediaFile m;
  if (auto e = media::read_media(file, in, o.codec_hint, m)) fail_file(in, media::describe(*e));
  if (m.mark) fail_file(in, "already encrypted by frameseal (frameseal decrypt or inspect it)");
  if (m.codec == fs::Codec::av1 && !o.allow_av1 && o.key.format == "livekit")
    fail_file(in,
              "AV1 has no LiveKit clear-header rule (livekit-client refuses to encrypt AV1); --allow-av1 encrypts "
              "whole AV1 frames (0 clear bytes, as the m125 native SDK does), which livekit-client cannot receive");
  const CipherId cipher = o.key.cipher.value_or(CipherId::aes128gcm);
  const int rc = with_engine(o.key, cipher, [&]<class E>() { return encrypt_with<E>(o, m, cipher); });
  o.key.wipe();
  return rc;
}

template <class Engine>
int decrypt_with(FileOptions& o, const media::MediaFile& m, CipherId cipher, bool container_authentic) {
  const std::string& in = o.paths[0];
  const std::string& out = o.paths[1];
  std::size_t capacity = 0, largest = 0, count = 0;
  for (const auto& f : m.frames) {
    if (f.header) continue;
    capacity += f.data.size();
    largest = std::max(largest, f.data.size());
    ++count;
  }
  Engine engine(o.key, largest, false);
  std::unique_ptr<std::uint8_t[]> arena(new std::uint8_t[capacity + 1]);
  std::vector<media::BytesIn> outs(m.frames.size());
  fs::FrameInfo base = base_frame_info(m.codec);
  if (m.codec != fs::Codec::vp8) base.key_frame = false;  // VP8: from the clear frame tag
  RunStats s;
  media::Progress progress("decrypt", count, !o.quiet);
  std::map<std::string, std::size_t> failures;
  std::size_t failed = 0, first_failure = 0;
  fs::Errc first_error = fs::Errc::ok;
  std::uint64_t first_kid = 0;
  std::size_t off = 0;
  using clock = std::chrono::steady_clock;
  clock::duration busy{};
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const media::MediaFrame& f = m.frames[i];
    if (f.header) {
      outs[i] = f.data;
      ++s.header_frames;
      continue;
    }
    fs::FrameInfo info = base;
    info.rtp_timestamp = rtp_timestamp(m, f.pts);
    std::size_t steps = 0;
    std::uint64_t kid = 0;
    const auto t0 = clock::now();
    auto r = engine.decrypt(info, f.data, fs::BytesOut(arena.get() + off, f.data.size()), steps, kid);
    busy += clock::now() - t0;
    ++s.frames;
    s.encrypted_bytes += f.data.size();
    if (!r) {
      if (failed++ == 0) {
        first_failure = i;
        first_error = r.error();
        first_kid = kid;
      }
      ++failures[std::string(fs::to_string(r.error()))];
      continue;
    }
    s.ratchets += steps;
    outs[i] = *r;
    off += r->size();
    s.plain_bytes += r->size();
    progress.tick(s.frames, s.encrypted_bytes);
  }
  progress.finish();
  s.crypto_seconds = std::chrono::duration<double>(busy).count();
  if (failed) {
    std::string what = "frame " + std::to_string(first_failure) + ": " + explain(first_error, first_kid, Engine::sframe);
    if (failed > 1 || count > 1) {
      what += " [" + std::to_string(failed) + " of " + std::to_string(count) + " frames failed:";
      for (const auto& [reason, n] : failures) what += " " + reason + " " + std::to_string(n);
      what += "]";
    }
    fail_file(in, what + "; nothing written");
  }
  if (!container_authentic)
    fail_file(in, "the container does not authenticate (manifest): its IVF header, header packets (OpusHead, "
                  "OpusTags), time stamps, or the number or order of frames were changed; nothing written");

  if (m.codec == fs::Codec::h264 || m.codec == fs::Codec::h265) {
    media::AtomicFile f(out);
    if (!f.ok()) fail_file(out, f.error());
    for (const auto& b : outs) f.write(b);
    if (!f.commit()) fail_file(out, f.error());
  } else if (m.codec == fs::Codec::opus) {
    media::Bytes ogg;
    media::OggWriter w(ogg, m.ogg_serial);
    const std::size_t n = outs.size();
    w.packet(outs[0], 0, true, false);
    w.packet(outs[1], 0, true, n == 2);
    std::int64_t page_begin = n > 2 ? static_cast<std::int64_t>(m.frames[2].pts) : 0;
    for (std::size_t k = 2; k < n; ++k) {
      const auto g = static_cast<std::int64_t>(m.frames[k].pts);
      const bool last = k + 1 == n;
      const bool flush = last || g - page_begin >= 48000;  // pages of about one second, as ffmpeg writes
      w.packet(outs[k], g, flush, last);
      if (flush) page_begin = g;
    }
    media::AtomicFile f(out);
    if (!f.ok()) fail_file(out, f.error());
    f.write(ogg);
    if (!f.commit()) fail_file(out, f.error());
  } else {
    media::IvfHeader h = m.ivf;
    h.reserved = {0, 0, 0, 0};  // the frame count is the source's, as encrypt kept it
    write_ivf_file(out, h, m, outs);
  }
  report_run("decrypt", in, out, m.codec, cipher, o.key, s, o.json, o.quiet);
  return 0;
}

// The format and cipher of an encrypted file: the mark decides the format (an explicit --format
// must agree) and the cipher unless --cipher is given.
inline CipherId encrypted_file_cipher(const std::string& in, const media::MediaFile& m, KeyOptions& k, bool format_given) {
  std::string format;
  if (m.mark->format == media::mark_format_sframe) format = "sframe";
  else if (m.mark->format == media::mark_format_livekit) format = "livekit";
  else fail_file(in, "unknown frame format " + std::to_string(m.mark->format) + " in the frameseal mark");
  if (format_given && k.format != format) fail_file(in, "the file is in " + format + " format, not " + k.format);
  k.format = format;
  check_format_options(k, 0);
  if (k.cipher) return *k.cipher;
  std::optional<CipherId> c;
  if (format == "sframe") {
    if (m.mark->cipher == 4) c = CipherId::aes128gcm;
    if (m.mark->cipher == 5) c = CipherId::aes256gcm;
  } else {
    c = cipher_of_mark(m.mark->cipher);
  }
  if (!c) fail_file(in, "unknown cipher " + std::to_string(m.mark->cipher) + " in the frameseal mark: give --cipher");
  return *c;
}

inline bool format_option_given(int argc, char** argv) {
  for (int i = 0; i < argc; ++i)
    if (!std::strcmp(argv[i], "--format")) return true;
  return false;
}

inline int cmd_decrypt(int argc, char** argv) {
  const bool format_given = format_option_given(argc, argv);
  FileOptions o = parse_file_options(argc, argv, "decrypt");
  if (!o.key.has_key()) die("decrypt: a key is needed: --key-file PATH, --key HEX or --passphrase TEXT");
  const std::string& in = o.paths[0];
  media::Bytes file = read_whole_file(in);
  media::MediaFile m;
  if (auto e = media::read_media(file, in, fs::Codec::unknown, m)) fail_file(in, media::describe(*e));
  if (m.container != media::Container::ivf || !m.mark)
    fail_file(in, "not a frameseal-encrypted file (no frameseal mark in an IVF header): decrypt reads what "
                  "frameseal encrypt writes");
  const CipherId cipher = encrypted_file_cipher(in, m, o.key, format_given);
  const auto man = take_manifest(file, m);
  if (!man)
    fail_file(in, "no manifest at the end of the file: it was cut short, frames were appended after its end, or it "
                  "was written before frameseal authenticated its container; nothing written");
  const bool authentic = manifest_authentic(file, *man, o.key);
  const int rc = with_engine(o.key, cipher, [&]<class E>() { return decrypt_with<E>(o, m, cipher, authentic); });
  o.key.wipe();
  return rc;
}

// ---------------------------------------------------------------------------------------------
// inspect

inline nlohmann::json key_frame_json(std::optional<bool> k) {
  if (!k) return nullptr;
  return *k;
}

inline const char* key_frame_text(std::optional<bool> k) { return !k ? "?" : *k ? "yes" : "no"; }

inline int inspect_plain(const FileOptions& o, const media::MediaFile& m) {
  const std::string& in = o.paths[0];
  std::uint64_t bytes = 0;
  std::size_t keys = 0, frames = 0;
  nlohmann::ordered_json jf = nlohmann::ordered_json::array();
  if (!o.json)
    std::printf("%s: %s %s, not encrypted by frameseal, %zu frames\n%7s %12s %8s  %-5s %-4s\n", in.c_str(),
                std::string(fs::to_string(m.codec)).c_str(), std::string(media::to_string(m.container)).c_str(),
                m.frames.size() - m.header_frames(), "frame", "pts", "bytes", "codec", "key");
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const auto& f = m.frames[i];
    nlohmann::ordered_json j;
    j["index"] = i;
    j["pts"] = f.pts;
    j["size"] = f.data.size();
    if (f.header) {
      j["header"] = std::string(reinterpret_cast<const char*>(f.data.data()), 8);
    } else {
      j["codec"] = std::string(fs::to_string(m.codec));
      j["key_frame"] = key_frame_json(f.key);
      bytes += f.data.size();
      ++frames;
      if (f.key.value_or(false)) ++keys;
    }
    j["encrypted"] = false;
    if (o.hex) j["hex"] = to_hex(f.data);
    if (o.json) {
      jf.push_back(std::move(j));
    } else if (f.header) {
      std::printf("%7zu %12llu %8zu  %s header packet, clear\n", i, static_cast<unsigned long long>(f.pts), f.data.size(),
                  std::string(reinterpret_cast<const char*>(f.data.data()), 8).c_str());
    } else {
      std::printf("%7zu %12llu %8zu  %-5s %-4s%s%s\n", i, static_cast<unsigned long long>(f.pts), f.data.size(),
                  std::string(fs::to_string(m.codec)).c_str(), (m.codec == fs::Codec::opus ? "-" : key_frame_text(f.key)), o.hex ? " " : "",
                  o.hex ? to_hex(f.data).c_str() : "");
    }
  }
  if (o.json) {
    nlohmann::ordered_json j;
    j["file"] = in;
    j["container"] = std::string(media::to_string(m.container));
    j["codec"] = std::string(fs::to_string(m.codec));
    j["encrypted"] = false;
    j["frames"] = std::move(jf);
    j["summary"] = {{"frames", frames}, {"header_frames", m.header_frames()}, {"bytes", bytes}, {"key_frames", keys}};
    std::printf("%s\n", j.dump(1).c_str());
  } else {
    std::printf("summary: %zu frames (%zu key frames), %llu bytes, not encrypted\n", frames, keys,
                static_cast<unsigned long long>(bytes));
  }
  return 0;
}

// The start of every row of both inspect commands: index, pts, size.
inline nlohmann::ordered_json inspect_row(std::size_t i, const media::MediaFrame& f) {
  nlohmann::ordered_json j;
  j["index"] = i;
  j["pts"] = f.pts;
  j["size"] = f.data.size();
  return j;
}

// A container's header packet (Ogg's OpusHead/OpusTags): clear, shown as such, never decrypted.
inline void inspect_header_packet(const FileOptions& o, std::size_t i, const media::MediaFrame& f,
                                  nlohmann::ordered_json j, nlohmann::ordered_json& jf) {
  const std::string name(reinterpret_cast<const char*>(f.data.data()), 8);
  j["header"] = name;
  j["encrypted"] = false;
  if (o.hex) j["hex"] = to_hex(f.data);
  if (o.json)
    jf.push_back(std::move(j));
  else
    std::printf("%7zu %12llu %8zu  %s header packet, clear\n", i, static_cast<unsigned long long>(f.pts),
                f.data.size(), name.c_str());
}

// The end of both inspect commands: the JSON document (head: the file's fields, then "frames"
// and "summary") or the text summary lines. Returns the exit code: 1 when a frame failed.
struct InspectTotals {
  std::uint64_t bytes = 0, plain_bytes = 0;
  std::size_t frames = 0, header_frames = 0, authenticated = 0, ratchet_steps = 0;
  std::optional<std::size_t> key_frames;  // LiveKit files: SFrame carries no key-frame flag
  std::map<std::string, std::size_t> failures;
};

inline int finish_inspect(const FileOptions& o, bool with_key, nlohmann::ordered_json head,
                          nlohmann::ordered_json frames_json, const InspectTotals& t) {
  std::size_t failed = 0;
  for (const auto& [_, n] : t.failures) failed += n;
  const std::int64_t overhead = static_cast<std::int64_t>(t.bytes) - static_cast<std::int64_t>(t.plain_bytes);
  const double overhead_pct =
      t.plain_bytes ? 100.0 * static_cast<double>(overhead) / static_cast<double>(t.plain_bytes) : 0.0;
  if (o.json) {
    head["frames"] = std::move(frames_json);
    nlohmann::ordered_json sum;
    sum["frames"] = t.frames;
    sum["header_frames"] = t.header_frames;
    if (t.key_frames) sum["key_frames"] = *t.key_frames;
    sum["bytes"] = t.bytes;
    sum["plaintext_bytes"] = t.plain_bytes;
    sum["overhead_bytes"] = overhead;
    sum["overhead_percent"] = std::round(overhead_pct * 1000) / 1000;
    if (with_key) {
      sum["authenticated"] = t.authenticated;
      sum["ratchet_steps"] = t.ratchet_steps;
    }
    sum["failed"] = failed;
    if (!o.manifest.empty()) sum["manifest"] = o.manifest;
    nlohmann::ordered_json fj = nlohmann::ordered_json::object();
    for (const auto& [reason, n] : t.failures) fj[reason] = n;
    sum["failures"] = fj;
    head["summary"] = sum;
    std::printf("%s\n", head.dump(1).c_str());
  } else {
    const std::string key_frames = t.key_frames ? " (" + std::to_string(*t.key_frames) + " key frames)" : "";
    std::printf("summary: %zu frames%s, %llu bytes, plaintext %llu bytes, overhead %lld bytes (%.2f%%)\n", t.frames,
                key_frames.c_str(), static_cast<unsigned long long>(t.bytes),
                static_cast<unsigned long long>(t.plain_bytes), static_cast<long long>(overhead), overhead_pct);
    if (with_key)
      std::printf("         %zu authenticated, %zu ratchet step%s followed, %zu failed\n", t.authenticated,
                  t.ratchet_steps, t.ratchet_steps == 1 ? "" : "s", failed);
    std::string ftext;
    for (const auto& [reason, n] : t.failures) ftext += (ftext.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    std::printf("failures: %s\n", ftext.empty() ? "none" : ftext.c_str());
    if (!o.manifest.empty()) std::printf("manifest: %s\n", o.manifest.c_str());
  }
  const bool container_bad = o.manifest == "missing" || (with_key && o.manifest != "ok" && !o.manifest.empty());
  return failed || container_bad ? 1 : 0;
}

template <class C>
int inspect_encrypted(FileOptions& o, const media::MediaFile& m, CipherId cipher) {
  using Cryptor = fs::livekit::FrameCryptor<C, fs::LivekitKdf, fs::livekit::UniqueIv>;
  const std::string& in = o.paths[0];
  const bool with_key = o.key.has_key();
  std::optional<fs::KeyRing<C, fs::LivekitKdf>> ring;
  std::optional<Cryptor> cryptor;
  std::size_t largest = 0;
  for (const auto& f : m.frames) largest = std::max(largest, f.data.size());
  if (with_key) {
    ring.emplace(make_ring<C>(o.key));
    fs::livekit::FrameCryptorOptions fo;
    fo.reserve_bytes = largest;
    fo.sif_trailer = o.key.sif_trailer;
    cryptor.emplace(*ring, fo);
  }
  media::Bytes scratch(largest + 1), plain(largest + 1);
  const fs::FrameInfo base = base_frame_info(m.codec);
  const std::string codec_name(fs::to_string(m.codec));

  std::uint64_t bytes = 0, plain_bytes = 0;
  std::size_t frames = 0, authenticated = 0, ratchet_steps = 0, key_frames = 0;
  std::map<std::string, std::size_t> failures;
  nlohmann::ordered_json jf = nlohmann::ordered_json::array();

  if (!o.json) {
    std::printf("%s: frameseal-encrypted IVF, LiveKit format, %s, cipher %s, %zu frames", in.c_str(), codec_name.c_str(),
                name_of(cipher).c_str(), m.frames.size() - m.header_frames());
    if (with_key) std::printf("; key %s (%s), ratchet window %zu", fingerprint(o.key.material).c_str(), o.key.source.c_str(), o.key.window);
    std::printf("\n%7s %12s %8s  %-5s %-4s %6s %4s  %-24s %-4s%s\n", "frame", "pts", "bytes", "codec", "key", "clear",
                "kid", "iv", "sif", with_key ? "  auth" : "");
  }
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const media::MediaFrame& f = m.frames[i];
    nlohmann::ordered_json j = inspect_row(i, f);
    if (f.header) {
      inspect_header_packet(o, i, f, std::move(j), jf);
      continue;
    }
    ++frames;
    bytes += f.data.size();
    fs::FrameInfo info = base;
    info.rtp_timestamp = rtp_timestamp(m, f.pts);
    // What the bytes say, without a key: the library's own parser (livekit/frame_layout.hpp).
    const fs::BytesIn frame = f.data;
    fs::livekit::LayoutOptions lo;
    lo.sif_trailer = o.key.sif_trailer;
    const fs::livekit::FrameLayout lay =
        fs::livekit::parse_frame(info, frame, fs::BytesOut(scratch.data(), scratch.size()), lo, C::tag_bytes);
    fs::Errc problem = lay.problem;  // ok: no problem
    const std::optional<bool> key = lay.key_frame;
    const std::string shown_codec(fs::to_string(lay.codec));
    const std::size_t clear = lay.clear_bytes;
    const std::optional<unsigned> kid = lay.has_key_index() ? std::optional<unsigned>(lay.key_index) : std::nullopt;
    const std::string iv = lay.iv ? to_hex(*lay.iv) : std::string();
    const bool sif = lay.kind == fs::livekit::FrameKind::sif || problem == fs::Errc::sif_rejected;
    std::size_t plaintext_size = lay.plaintext_bytes.value_or(0);
    if (key.value_or(false)) ++key_frames;
    // With a key: does it authenticate?
    std::string auth;
    fs::livekit::DecryptReport rep;
    std::optional<fs::BytesIn> decrypted;
    if (with_key) {
      auto r = cryptor->decrypt(info, frame, fs::BytesOut(plain.data(), plain.size()), &rep);
      if (r) {
        auth = "ok";
        ++authenticated;
        ratchet_steps += rep.match.ratchet_steps;
        if (rep.match.ratchet_steps > 0) (void)ring->refill(rep.key_index);  // top the window up again
        decrypted = *r;
        plaintext_size = r->size();
        problem = fs::Errc::ok;
      } else {
        auth = std::string(fs::to_string(r.error()));
        problem = r.error();
      }
    }
    if (problem != fs::Errc::ok) ++failures[std::string(fs::to_string(problem))];
    plain_bytes += problem != fs::Errc::ok && !decrypted ? 0 : plaintext_size;

    j["codec"] = shown_codec;
    j["key_frame"] = key_frame_json(key);
    j["encrypted"] = !frame.empty() && !(sif && problem == fs::Errc::ok);
    j["clear_bytes"] = clear;
    j["key_index"] = kid ? nlohmann::json(*kid) : nlohmann::json(nullptr);
    j["iv"] = iv.empty() ? nlohmann::json(nullptr) : nlohmann::json(iv);
    j["sif"] = sif;
    j["plaintext_size"] = problem != fs::Errc::ok && !decrypted ? nlohmann::json(nullptr) : nlohmann::json(plaintext_size);
    if (with_key) {
      j["auth"] = auth;
      if (decrypted) {
        j["ratchet_steps"] = rep.match.ratchet_steps;
        j["previous_generation"] = rep.match.previous_generation;
        j["attempts"] = rep.match.attempts;
        j["generation"] = ring->generation(rep.key_index);
      }
    } else if (problem != fs::Errc::ok) {
      j["error"] = std::string(fs::to_string(problem));
    }
    if (o.hex) {
      j["hex"] = to_hex(frame);
      if (decrypted) j["plaintext_hex"] = to_hex(*decrypted);
    }
    if (o.json) {
      jf.push_back(std::move(j));
      continue;
    }
    std::string auth_text;
    if (with_key) {
      auth_text = "  " + auth;
      if (decrypted && rep.match.ratchet_steps)
        auth_text += " after " + std::to_string(rep.match.ratchet_steps) + " ratchet step" + (rep.match.ratchet_steps > 1 ? "s" : "") +
                     " (generation " + std::to_string(ring->generation(rep.key_index)) + ")";
      if (decrypted && rep.match.previous_generation)
        auth_text += " with the key " + std::to_string(rep.match.previous_generation) + " generation(s) back";
    } else if (problem != fs::Errc::ok) {
      auth_text = "  " + std::string(fs::to_string(problem));
    }
    std::printf("%7zu %12llu %8zu  %-5s %-4s %6zu %4s  %-24s %-4s%s\n", i, static_cast<unsigned long long>(f.pts),
                frame.size(), shown_codec.c_str(), (m.codec == fs::Codec::opus ? "-" : key_frame_text(key)), clear, kid ? std::to_string(*kid).c_str() : "-",
                iv.empty() ? "-" : iv.c_str(), sif ? "yes" : "no", auth_text.c_str());
    if (o.hex) {
      std::printf("        frame %s\n", to_hex(frame).c_str());
      if (decrypted) std::printf("        plain %s\n", to_hex(*decrypted).c_str());
    }
  }
  nlohmann::ordered_json head;
  head["file"] = in;
  head["container"] = "ivf";
  head["codec"] = codec_name;
  head["encrypted"] = true;
  head["format"] = "livekit";
  head["cipher"] = name_of(cipher);
  if (with_key) {
    head["key_fingerprint"] = fingerprint(o.key.material);
    head["ratchet_window"] = o.key.window;
  }
  return finish_inspect(o, with_key, std::move(head), std::move(jf),
                        {bytes, plain_bytes, frames, m.header_frames(), authenticated, ratchet_steps, key_frames,
                         std::move(failures)});
}

#if FRAMESEAL_CLI_SFRAME
// inspect for SFrame files: the header (KID, CTR) of each frame; with a key, whether it
// authenticates and how many ratchet steps the receiver took.
template <class S>
int inspect_sframe(FileOptions& o, const media::MediaFile& m, CipherId cipher) {
  const std::string& in = o.paths[0];
  const bool with_key = o.key.has_key();
  std::optional<sf::FrameCryptor<S>> cryptor;
  if (with_key) cryptor.emplace(make_sframe_cryptor<S>(o.key, false));
  std::size_t largest = 0;
  for (const auto& f : m.frames) largest = std::max(largest, f.data.size());
  media::Bytes plain(largest + 1);
  const fs::FrameInfo base = base_frame_info(m.codec);
  const std::string codec_name(fs::to_string(m.codec));
  std::uint64_t bytes = 0, plain_bytes = 0;
  std::size_t frames = 0, authenticated = 0, ratchet_steps = 0;
  std::map<std::string, std::size_t> failures;
  nlohmann::ordered_json jf = nlohmann::ordered_json::array();
  if (!o.json) {
    std::printf("%s: frameseal-encrypted IVF, SFrame format (RFC 9605), suite %s (%s), %s, %zu frames", in.c_str(),
                std::string(S::name).c_str(), name_of(cipher).c_str(), codec_name.c_str(), m.frames.size() - m.header_frames());
    if (with_key) std::printf("; key %s (%s), ratchet bits %zu", fingerprint(o.key.material).c_str(), o.key.source.c_str(), o.key.ratchet_bits);
    std::printf("\n%7s %12s %8s  %-5s %6s %10s %14s%s\n", "frame", "pts", "bytes", "codec", "header", "kid", "ctr",
                with_key ? "  auth" : "");
  }
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const media::MediaFrame& f = m.frames[i];
    nlohmann::ordered_json j = inspect_row(i, f);
    if (f.header) {
      inspect_header_packet(o, i, f, std::move(j), jf);
      continue;
    }
    ++frames;
    bytes += f.data.size();
    fs::Errc problem = fs::Errc::ok;
    sf::HeaderFault fault = sf::HeaderFault::none;
    auto h = sf::parse(f.data, &fault);
    std::size_t plaintext_size = 0;
    if (!h) problem = h.error();
    else if (f.data.size() < h->size + S::tag_bytes) problem = fs::Errc::malformed_frame;
    else plaintext_size = f.data.size() - h->size - S::tag_bytes;
    std::string auth;
    sf::DecryptReport rep;
    std::optional<fs::BytesIn> decrypted;
    if (with_key) {
      fs::FrameInfo info = base;
      auto r = cryptor->decrypt(info, f.data, fs::BytesOut(plain.data(), plain.size()), &rep);
      if (r) {
        auth = "ok";
        ++authenticated;
        ratchet_steps += rep.ratchet_steps;
        decrypted = *r;
        problem = fs::Errc::ok;
      } else {
        auth = std::string(fs::to_string(r.error()));
        problem = r.error();
      }
    }
    if (problem != fs::Errc::ok) ++failures[std::string(fs::to_string(problem))];
    else plain_bytes += plaintext_size;
    j["codec"] = codec_name;
    j["key_frame"] = nullptr;  // SFrame encrypts the whole frame
    j["encrypted"] = true;
    j["header_bytes"] = h ? nlohmann::json(h->size) : nlohmann::json(nullptr);
    j["kid"] = h ? nlohmann::json(h->header.kid) : nlohmann::json(nullptr);
    j["ctr"] = h ? nlohmann::json(h->header.ctr) : nlohmann::json(nullptr);
    j["plaintext_size"] = problem == fs::Errc::ok ? nlohmann::json(plaintext_size) : nlohmann::json(nullptr);
    if (!h) j["header_fault"] = std::string(sf::to_string(fault));
    if (with_key) {
      j["auth"] = auth;
      if (decrypted) {
        j["ratchet_steps"] = rep.ratchet_steps;
        j["kept_step"] = rep.kept_step;
      }
    } else if (problem != fs::Errc::ok) {
      j["error"] = std::string(fs::to_string(problem));
    }
    if (o.hex) {
      j["hex"] = to_hex(f.data);
      if (decrypted) j["plaintext_hex"] = to_hex(*decrypted);
    }
    if (o.json) {
      jf.push_back(std::move(j));
      continue;
    }
    std::string auth_text;
    if (with_key) {
      auth_text = "  " + auth;
      if (decrypted && rep.ratchet_steps)
        auth_text += " after " + std::to_string(rep.ratchet_steps) + " ratchet step" + (rep.ratchet_steps > 1 ? "s" : "");
      if (decrypted && rep.kept_step) auth_text += " (an older kept step)";
    } else if (problem != fs::Errc::ok) {
      auth_text = "  " + std::string(fs::to_string(problem)) + (h ? "" : " (" + std::string(sf::to_string(fault)) + ")");
    }
    std::printf("%7zu %12llu %8zu  %-5s %6s %10s %14s%s\n", i, static_cast<unsigned long long>(f.pts), f.data.size(),
                codec_name.c_str(), h ? std::to_string(h->size).c_str() : "-", h ? std::to_string(h->header.kid).c_str() : "-",
                h ? std::to_string(h->header.ctr).c_str() : "-", auth_text.c_str());
    if (o.hex) {
      std::printf("        frame %s\n", to_hex(f.data).c_str());
      if (decrypted) std::printf("        plain %s\n", to_hex(*decrypted).c_str());
    }
  }
  nlohmann::ordered_json head;
  head["file"] = in;
  head["container"] = "ivf";
  head["codec"] = codec_name;
  head["encrypted"] = true;
  head["format"] = "sframe";
  head["suite"] = std::string(S::name);
  head["cipher"] = name_of(cipher);
  if (with_key) {
    head["key_fingerprint"] = fingerprint(o.key.material);
    head["ratchet_bits"] = o.key.ratchet_bits;
  }
  return finish_inspect(o, with_key, std::move(head), std::move(jf),
                        {bytes, plain_bytes, frames, m.header_frames(), authenticated, ratchet_steps, std::nullopt,
                         std::move(failures)});
}
#endif

inline int cmd_inspect(int argc, char** argv) {
  const bool format_given = format_option_given(argc, argv);
  FileOptions o = parse_file_options(argc, argv, "inspect");
  const std::string& in = o.paths[0];
  media::Bytes file = read_whole_file(in);
  media::MediaFile m;
  if (auto e = media::read_media(file, in, o.codec_hint, m)) fail_file(in, media::describe(*e));
  int rc;
  if (!m.mark) {
    rc = inspect_plain(o, m);
  } else {
    const CipherId cipher = encrypted_file_cipher(in, m, o.key, format_given);
    const auto man = take_manifest(file, m);
    o.manifest = !man ? "missing" : !o.key.has_key() ? "present (not checked without a key)"
                 : manifest_authentic(file, *man, o.key) ? "ok" : "does not authenticate";
#if FRAMESEAL_CLI_SFRAME
    if (o.key.format == "sframe")
      rc = with_suite(cipher, [&]<class S>() { return inspect_sframe<S>(o, m, cipher); });
    else
#endif
      rc = with_cipher(cipher, [&]<class C>() { return inspect_encrypted<C>(o, m, cipher); });
  }
  o.key.wipe();
  return rc;
}

// ---------------------------------------------------------------------------------------------
// keygen

inline int cmd_keygen(int argc, char** argv) {
  std::size_t n = 32;
  bool hex = false, force = false, quiet = false;
  std::string path;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--bytes") {
      if (i + 1 >= argc) die("--bytes needs a value");
      n = parse_uint(a, argv[++i], 1024);
      if (n == 0) die("--bytes: at least 1");
    } else if (a == "--hex") {
      hex = true;
    } else if (a == "--force") {
      force = true;
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "--help" || a == "-h") {
      print_media_usage(stdout);
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      die("unknown option for keygen: " + a);
    } else if (path.empty()) {
      path = a;
    } else {
      die("keygen: expected one FILE");
    }
  }
  if (path.empty()) die("keygen: expected FILE (frameseal keygen [--bytes N] [--hex] [--force] FILE)");
  SecretVec key(n);
  randombytes_buf(key.data(), key.size());
  SecretVec text;
  if (hex) {
    const std::string h = to_hex(key);  // short-lived: copied into the wiping buffer, then wiped
    text.assign(h.begin(), h.end());
    sodium_memzero(const_cast<char*>(h.data()), h.size());
    text.push_back('\n');
  }
  // A new 0600 file of our own (mkstemp), renamed over FILE with --force (a symlink planted at FILE
  // is replaced, not followed; an existing file of another user is replaced, never chmod-ed or
  // written through), or linked into place without --force (fails if anything is at FILE).
  media::AtomicFile f(path, {.mode = 0600, .no_clobber = !force, .unbuffered = true});
  if (!f.ok()) fail_file(path, f.error());
  f.write(hex ? media::BytesIn(text) : media::BytesIn(key));
  const std::string fp = fingerprint(key);
  if (!f.commit()) fail_file(path, f.error());
  if (!quiet) std::fprintf(stderr, "frameseal: wrote a %zu-byte random key to %s (fingerprint %s)\n", n, path.c_str(), fp.c_str());
  return 0;
}

}  // namespace cli
