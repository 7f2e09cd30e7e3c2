// `frameseal frame encrypt|decrypt`: frames as hex arguments, one output line per frame. For people
// debugging a pipeline: a frame copied from a log can be checked by hand. --format livekit (default)
// or sframe (RFC 9605 frames, suite from --cipher); both run through the session layer.
#pragma once

#include "cli_common.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace cli {

struct FrameOptions {
  bool encrypt = true;
  fs::FrameInfo info{fs::MediaKind::video, fs::Codec::unknown, std::nullopt, 0, 0};
  SecretVec material;  // wiped whenever freed
  bool material_set = false;
  fs::KdfAlgorithm kdf = fs::KdfAlgorithm::hkdf;
  Bytes salt{fs::default_ratchet_salt.begin(), fs::default_ratchet_salt.end()};
  std::size_t key_index = 0;
  std::size_t ratchets = 0;
  std::size_t window = fs::default_ratchet_window_size;
  int failure_tolerance = fs::default_failure_tolerance;
  Bytes sif_trailer;
  bool packet_trailer = false;
  CipherId cipher = CipherId::aes128gcm;
  bool livekit_iv = false;
  std::uint32_t iv_seed = 0;
  bool shared_key = false;
  bool detect_kdf_mismatch = false;  // receiver: name a sender on the other KDF (drop kdf_mismatch)
  std::string format = "livekit";
  std::size_t ratchet_bits = 0;  // SFrame: R of RFC 9605 §5.1
  bool window_set = false;
  std::vector<std::string> livekit_only;  // LiveKit options given (refused with --format sframe)
  std::vector<Bytes> frames;
};

inline const char* frame_usage =
    "usage: frameseal frame encrypt|decrypt [options] HEX [HEX...]\n"
    "  --format livekit|sframe              frame format (default livekit). sframe: RFC 9605 frames; the key\n"
    "                                       is the base key of KID = key index (<< R with --ratchet-bits R);\n"
    "                                       --cipher aes128gcm = suite 4, aes256gcm = suite 5\n"
    "  --ratchet-bits R                     sframe: R (1..56) of RFC 9605 5.1; needed by --ratchet\n"
    "  --codec opus|vp8|vp9|h264|h265|av1   codec of the frames (opus = audio; sframe: optional, unused)\n"
    "  --key-frame                          the frames are key frames (VP8: derived from the bytes if absent)\n"
    "  --key HEX | --passphrase TEXT        key material (raw bytes, or the UTF-8 bytes of a passphrase);\n"
    "                                       visible to other local users (ps, /proc/PID/cmdline) until\n"
    "                                       frameseal overwrites it, and kept in shell history\n"
    "  --kdf hkdf|pbkdf2                    key derivation (default hkdf; native SDKs default to pbkdf2)\n"
    "  --salt TEXT | --salt-hex HEX         ratchet salt (default LKFrameEncryptionKey)\n"
    "  --key-index N                        key slot (default 0)\n"
    "  --shared-key                         the key is the room's shared key (default: the sender's own key)\n"
    "  --ratchet N                          ratchet the key N times before use\n"
    "  --ratchet-window N                   receiver ratchet window (default 16)\n"
    "  --failure-tolerance N                receiver failure tolerance (default -1: never invalidate)\n"
    "  --sif-trailer HEX                    the room's SIF trailer (receiver)\n"
    "  --packet-trailer                     strip livekit's LKTS packet trailer (receiver)\n"
    "  --cipher aes128gcm|aes256gcm|chacha20poly1305   (default aes128gcm, LiveKit's)\n"
    "  --ssrc N --timestamp N               RTP SSRC and timestamp of the frames\n"
    "  --iv unique|livekit                  IV policy (default unique; livekit = livekit's formula)\n"
    "  --detect-kdf-mismatch                receiver: a frame that authenticates only under the other KDF\n"
    "                                       (hkdf vs pbkdf2) prints \"drop kdf_mismatch sender_kdf=...\"\n"
    "  --iv-seed N                          livekit IV: first send counter (default 0, as native SDKs)\n";

inline FrameOptions parse_frame_options(int argc, char** argv) {
  FrameOptions o;
  if (argc < 1) die(frame_usage);
  std::string mode = argv[0];
  if (mode == "encrypt") o.encrypt = true;
  else if (mode == "decrypt") o.encrypt = false;
  else die(frame_usage);
  bool passphrase = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--codec") {
      auto c = fs::codec_from_string(value());
      if (!c) die("--codec: expected opus, vp8, vp9, h264, h265 or av1");
      o.info.codec = *c;
      o.info.kind = *c == fs::Codec::opus ? fs::MediaKind::audio : fs::MediaKind::video;
    } else if (a == "--key-frame") {
      o.info.key_frame = true;
    } else if (a == "--key") {
      if (i + 1 >= argc) die(a + " needs a value");
      char* v = argv[++i];
      auto k = parse_hex<SecretVec>(v);
      scrub_arg(v);
      if (!k || k->empty()) die("--key: expected non-empty hex");
      o.material = std::move(*k);
      o.material_set = true;
    } else if (a == "--passphrase") {
      if (i + 1 >= argc) die(a + " needs a value");
      char* v = argv[++i];
      const std::string_view p(v);
      if (p.empty()) die("--passphrase: must not be empty");
      o.material.assign(p.begin(), p.end());
      scrub_arg(v);
      o.material_set = passphrase = true;
    } else if (a == "--format") {
      o.format = value();
      if (o.format != "livekit" && o.format != "sframe") die("--format: expected livekit or sframe");
    } else if (a == "--ratchet-bits") {
      o.ratchet_bits = parse_uint(a, value(), fs::session::max_session_ratchet_bits);
    } else if (a == "--kdf") {
      o.livekit_only.push_back(a);
      auto k = fs::kdf_algorithm_from_string(value());
      if (!k) die("--kdf: expected hkdf or pbkdf2");
      o.kdf = *k;
    } else if (a == "--salt") {
      o.livekit_only.push_back(a);
      std::string s = value();
      o.salt.assign(s.begin(), s.end());
    } else if (a == "--salt-hex") {
      o.livekit_only.push_back(a);
      auto s = parse_hex(value());
      if (!s) die("--salt-hex: expected hex");
      o.salt = *s;
    } else if (a == "--shared-key") {
      o.shared_key = true;
    } else if (a == "--detect-kdf-mismatch") {
      o.livekit_only.push_back(a);
      o.detect_kdf_mismatch = true;
    } else if (a == "--key-index") {
      o.key_index = parse_uint(a, value(), 255);
    } else if (a == "--ratchet") {
      o.ratchets = parse_uint(a, value(), 1000);
    } else if (a == "--ratchet-window") {
      o.window = parse_uint(a, value(), 256);
      o.window_set = true;
    } else if (a == "--failure-tolerance") {
      std::string v = value();
      o.failure_tolerance = v.size() && v[0] == '-' ? -static_cast<int>(parse_uint(a, v.substr(1), 1000000))
                                                    : static_cast<int>(parse_uint(a, v, 1000000));
    } else if (a == "--sif-trailer") {
      o.livekit_only.push_back(a);
      auto s = parse_hex(value());
      if (!s) die("--sif-trailer: expected hex");
      o.sif_trailer = *s;
    } else if (a == "--packet-trailer") {
      o.livekit_only.push_back(a);
      o.packet_trailer = true;
    } else if (a == "--cipher") {
      o.cipher = parse_cipher(value());
    } else if (a == "--ssrc") {
      o.info.ssrc = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--timestamp") {
      o.info.rtp_timestamp = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--iv") {
      o.livekit_only.push_back(a);
      std::string v = value();
      if (v == "livekit") o.livekit_iv = true;
      else if (v == "unique") o.livekit_iv = false;
      else die("--iv: expected unique or livekit");
    } else if (a == "--iv-seed") {
      o.livekit_only.push_back(a);
      o.iv_seed = static_cast<std::uint32_t>(parse_uint(a, value(), 65534));
    } else if (a.size() > 1 && a[0] == '-') {
      die("unknown option " + a + "\n" + frame_usage);
    } else {
      auto f = parse_hex(a);
      if (!f) die("not a hex frame: argument " + std::to_string(i));
      o.frames.push_back(std::move(*f));
    }
  }
  (void)passphrase;
  if (!o.material_set) die("a key is needed: --key HEX or --passphrase TEXT");
  if (o.format == "sframe") {
    if (!o.livekit_only.empty())
      die(o.livekit_only.front() + " is a LiveKit option; SFrame derives its keys with RFC 9605's key schedule "
          "and encrypts whole frames");
    if (o.cipher == CipherId::chacha20poly1305) die(sframe_cipher_error);
    if (o.shared_key)
      die("--format sframe --shared-key: refused. An SFrame nonce is salt XOR CTR with the salt fixed by key and KID, "
          "and every sender counts on its own, so senders sharing a key would reuse nonces; give each sender its own key");
    if (o.ratchets && o.ratchet_bits == 0)
      die("--format sframe --ratchet: an SFrame ratchet step changes the KID, so give --ratchet-bits R (e.g. 8) "
          "here and to decrypt (RFC 9605 §5.1)");
  } else {
    if (o.ratchet_bits) die("--ratchet-bits is an SFrame option (--format sframe)");
    if (o.info.codec == fs::Codec::unknown) die("--codec is needed");
  }
  if (o.frames.empty()) die("no frames given");
  return o;
}

// Encrypts or decrypts o.frames through `sender`'s facade of a session manager (either format), one
// line per frame: the output hex, or "drop <reason>".
template <class Manager>
int print_frames(Manager& manager, const std::string& sender, const FrameOptions& o) {
  auto cryptor = manager.frame_cryptor(sender);
  if (!cryptor) die(std::string("frame cryptor: ") + std::string(fs::to_string(cryptor.error())));
  std::string sender_kdf;  // what the kdf-mismatch report named
  if constexpr (requires { manager.on_kdf_mismatch(nullptr); })
    manager.on_kdf_mismatch([&](const std::string&, fs::KdfAlgorithm k) { sender_kdf = std::string(fs::to_string(k)); });
  std::vector<std::uint8_t> out;
  for (const Bytes& frame : o.frames) {
    out.assign(Manager::frame_cryptor_type::max_encrypted_size(frame.size()), 0);
    auto r = o.encrypt ? cryptor->encrypt(o.info, frame, out) : cryptor->decrypt(o.info, frame, out);
    if (r)
      std::printf("%s\n", to_hex(*r).c_str());
    else if (r.error() == fs::Errc::kdf_mismatch)
      std::printf("drop kdf_mismatch sender_kdf=%s\n", sender_kdf.c_str());
    else
      std::printf("drop %s\n", std::string(fs::to_string(r.error())).c_str());
  }
  return 0;
}

// The frames run through the session layer, as an application would: a manager whose key provider
// holds the key of the participant "sender" (or the room's shared key with --shared-key), and that
// participant's FrameCryptor. So a `drop` reason is exactly what the session reports.
template <class C, class Iv>
int run_frames(const FrameOptions& o, Iv iv) {
  namespace session = fs::session;
  using Manager = session::E2eeManager<C, fs::LivekitKdf, Iv>;
  session::E2eeOptions eo;
  // custom: LiveKit's frame layout with whichever --cipher was chosen (gcm would refuse ChaCha20).
  eo.encryption_type = session::EncryptionType::custom;
  auto& ko = eo.key_provider_options;
  ko.ratchet_window_size = o.window;
  ko.failure_tolerance = o.failure_tolerance;
  ko.ratchet_salt = o.salt;
  ko.kdf = o.kdf;
  ko.detect_kdf_mismatch = o.detect_kdf_mismatch;
  eo.frame_cryptor_options.sif_trailer = o.sif_trailer;
  eo.frame_cryptor_options.packet_trailer = o.packet_trailer;
  auto manager = Manager::create(
      std::move(eo), make_kdf(o.kdf), [&iv](const std::string&) { return std::move(iv); });  // one participant: handed out once
  if (!manager) die(std::string("e2ee manager: ") + std::string(fs::to_string(manager.error())));
  auto& keys = manager->key_provider();
  const std::string sender = "sender";
  const std::size_t slot = o.key_index % keys.options().key_ring_size;
  if (o.shared_key) {
    if (auto e = keys.set_shared_key(o.material, o.key_index); e != fs::Errc::ok)
      die(std::string("set_shared_key: ") + std::string(fs::to_string(e)));
  } else if (auto e = keys.set_key(sender, o.material, o.key_index); e != fs::Errc::ok) {
    die(std::string("set_key: ") + std::string(fs::to_string(e)));
  }
  for (std::size_t r = 0; r < o.ratchets; ++r) {
    auto m = o.shared_key ? keys.ratchet_shared_key(slot) : keys.ratchet_key(sender, slot);
    if (!m) die(std::string("ratchet: ") + std::string(fs::to_string(m.error())));
  }
  return print_frames(*manager, sender, o);
}

// The same for SFrame: SframeE2eeManager<S> (session/sframe_format.hpp). Frame output is an RFC 9605
// frame (header || ciphertext || tag) for KID = key index (<< R, plus the ratchet step). The sender
// counter starts at a random value, so two runs give different bytes for the same frame.
template <class S>
int run_sframe_frames(const FrameOptions& o) {
  namespace session = fs::session;
  using Manager = session::SframeE2eeManager<S>;
  session::E2eeOptions eo;
  eo.encryption_type = session::EncryptionType::gcm;  // suites 4 and 5 are AES-GCM
  auto& ko = eo.key_provider_options;
  if (o.window_set) ko.ratchet_window_size = o.window;
  ko.failure_tolerance = o.failure_tolerance;
  session::SframeOptions so;
  so.ratchet_bits = static_cast<unsigned>(o.ratchet_bits);
  auto manager = Manager::create(std::move(eo), so);
  if (!manager) die(std::string("e2ee manager: ") + std::string(fs::to_string(manager.error())));
  auto& keys = manager->key_provider();
  const std::string sender = "sender";
  const std::size_t slot = o.key_index % keys.options().key_ring_size;
  if (auto e = keys.set_key(sender, o.material, o.key_index); e != fs::Errc::ok)
    die(std::string("set_key: ") + std::string(fs::to_string(e)));
  for (std::size_t r = 0; r < o.ratchets; ++r) {
    auto m = keys.ratchet_key(sender, slot);
    if (!m) die(std::string("ratchet: ") + std::string(fs::to_string(m.error())));
  }
  return print_frames(*manager, sender, o);
}

inline int cmd_frame(int argc, char** argv) {
  FrameOptions o = parse_frame_options(argc, argv);
  if (o.format == "sframe") return with_suite(o.cipher, [&]<class S>() { return run_sframe_frames<S>(o); });
  return with_cipher(o.cipher, [&]<class C>() {
    if (o.livekit_iv) return run_frames<C>(o, fs::livekit::LivekitIv(o.iv_seed));
    return run_frames<C>(o, fs::livekit::UniqueIv());
  });
}

}  // namespace cli
