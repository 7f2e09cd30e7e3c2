// frameseal's encrypted file: an IVF (media/ivf.hpp) whose reserved header word is the frameseal
// mark "FS" | format | cipher, one IVF frame per media frame, with the source's time stamps:
//   VP8/VP9/AV1 from IVF: the source header (fourcc, size, time base, frame count) and pts, unchanged;
//   H.264/H.265 Annex-B: fourcc H264/H265, width/height 0, time base 1/25, pts = access unit index;
//   Opus from Ogg: fourcc Opus, time base 1/48000, width|height<<16 = the Ogg serial number;
//     frames 0 and 1 are the OpusHead and OpusTags header packets, verbatim and in clear; every other
//     frame is one Opus packet whose pts is its Ogg end granule position (media/ogg.hpp);
//   last, the manifest frame (below), which decrypt and inspect check and strip.
// (Each container's encrypted_header() in media/ says how its header maps.) Frames are in the
// LiveKit format (mark format 1, cipher 1/2/3 = aes128gcm/aes256gcm/chacha20poly1305) or SFrame
// (mark format 2, cipher byte = the suite id, 4 or 5). docs/cli.md has the long form.
#pragma once

#include "cli_common.hpp"
#include "file_engine.hpp"
#include "key_options.hpp"

#include <sodium.h>

#include "media/containers.hpp"
#include "media/output.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

[[noreturn]] inline void fail_file(const std::string& path, const std::string& what) {
  std::fprintf(stderr, "frameseal: %s: %s\n", path.c_str(), what.c_str());
  std::exit(1);
}

// Writes bytes to path atomically (a temporary file renamed into place on success).
inline void write_file(const std::string& path, media::BytesIn bytes) {
  media::AtomicFile f(path);
  if (!f.ok()) fail_file(path, f.error());
  f.write(bytes);
  if (!f.commit()) fail_file(path, f.error());
}

// The manifest.
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
  if (fs::openssl::livekit_kdf(k.kdf).derive(k.material, fs::as_bytes(manifest_label), key) != fs::Errc::ok)
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
      !std::equal(manifest_magic.begin(), manifest_magic.end(), f.data.begin()) ||
      f.data[4] != manifest_version)
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

// The encrypted file: `source`'s header (its container's encrypted_header) with the mark, the
// encrypted frames with the source's pts, then the manifest frame over all of it.
inline void write_encrypted_ivf(const std::string& path, const media::MediaFile& source,
                                media::FramesealMark mark, const std::vector<media::BytesIn>& frames,
                                const KeyOptions& k) {
  media::MediaFile enc;
  enc.container = media::IvfContainer::name;
  enc.codec = source.codec;
  enc.ivf = media::encrypted_header(source);
  media::set_frameseal_mark(enc.ivf, mark);
  enc.frames = source.frames;
  media::Bytes out;
  media::IvfContainer::write(enc, frames, out);
  const SecretVec key = manifest_key(k);
  std::array<std::uint8_t, manifest_tag_bytes> tag{};
  crypto_auth_hmacsha256(tag.data(), out.data(), out.size(), key.data());
  media::write_ivf_frame_header(manifest_bytes, manifest_pts, out);
  out.insert(out.end(), manifest_magic.begin(), manifest_magic.end());
  out.push_back(manifest_version);
  out.insert(out.end(), tag.begin(), tag.end());
  write_file(path, out);
}

// The format and cipher of an encrypted file: the mark decides the format (an explicit --format
// must agree) and the cipher unless --cipher is given.
inline CipherId encrypted_file_cipher(const std::string& in, const media::MediaFile& m, KeyOptions& k,
                                      bool format_given) {
  std::string format;
  if (m.mark->format == media::mark_format_sframe)
    format = "sframe";
  else if (m.mark->format == media::mark_format_livekit)
    format = "livekit";
  else
    fail_file(in, "unknown frame format " + std::to_string(m.mark->format) + " in the frameseal mark");
  if (format_given && k.format != format)
    fail_file(in, "the file is in " + format + " format, not " + k.format);
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
  if (!c)
    fail_file(in,
              "unknown cipher " + std::to_string(m.mark->cipher) + " in the frameseal mark: give --cipher");
  return *c;
}

}  // namespace cli
