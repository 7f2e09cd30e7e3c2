// `frameseal frame encrypt|decrypt`: frames as hex arguments, one output line per frame. For people
// debugging a pipeline: a frame copied from a log can be checked by hand. --format livekit (default)
// or sframe (RFC 9605 frames, suite from --cipher); both run through the session layer.
#include "cli_common.hpp"
#include "command.hpp"
#include "key_options.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace cli {
namespace {

class Frame final : public Command {
 public:
  Frame()
      : Command("frame encrypt|decrypt [options] HEX...",
                "encrypt or decrypt frames given as hex (see frameseal frame --help)") {}
  int run(int argc, char** argv) override;
};

struct FrameOptions {
  KeyOptions key;  // --key/--key-file/--passphrase, --kdf, --salt, --key-index, --cipher, --format, ...
  bool encrypt = true;
  fs::FrameInfo info{fs::MediaKind::video, fs::Codec::unknown, std::nullopt, 0, 0};
  std::size_t ratchets = 0;
  int failure_tolerance = fs::default_failure_tolerance;
  bool packet_trailer = false;
  bool livekit_iv = false;
  std::uint32_t iv_seed = 0;
  bool shared_key = false;
  bool detect_kdf_mismatch = false;  // receiver: name a sender on the other KDF (drop kdf_mismatch)
  std::vector<Bytes> frames;
  [[nodiscard]] CipherId cipher() const noexcept { return key.cipher.value_or(CipherId::aes128gcm); }
};

inline const char* frame_usage =
    "usage: frameseal frame encrypt|decrypt [options] HEX [HEX...]\n"
    "%s"
    "  --codec opus|vp8|vp9|h264|h265|av1   codec of the frames (opus = audio; sframe: optional, unused)\n"
    "  --key-frame                          the frames are key frames (VP8: derived from the bytes if "
    "absent)\n"
    "  --shared-key                         the key is the room's shared key (default: the sender's own "
    "key)\n"
    "  --ratchet N                          ratchet the key N times before use\n"
    "  --failure-tolerance N                receiver failure tolerance (default -1: never invalidate)\n"
    "  --packet-trailer                     strip livekit's LKTS packet trailer (receiver)\n"
    "  --ssrc N --timestamp N               RTP SSRC and timestamp of the frames\n"
    "  --iv unique|livekit                  IV policy (default unique; livekit = livekit's formula)\n"
    "  --detect-kdf-mismatch                receiver: a frame that authenticates only under the other KDF\n"
    "                                       (hkdf vs pbkdf2) prints \"drop kdf_mismatch sender_kdf=...\"\n"
    "  --iv-seed N                          livekit IV: first send counter (default 0, as native SDKs)\n";

inline void print_frame_usage(std::FILE* f) {
  std::fprintf(f, frame_usage, key_options_usage);
}

inline FrameOptions parse_frame_options(int argc, char** argv) {
  FrameOptions o;
  o.key.max_ratchet_bits = fs::session::max_session_ratchet_bits;
  if (argc < 1) {
    print_frame_usage(stderr);
    std::exit(2);
  }
  const std::string mode = argv[0];
  if (mode == "--help" || mode == "-h") {
    print_frame_usage(stdout);
    std::exit(0);
  }
  if (mode != "encrypt" && mode != "decrypt") {
    print_frame_usage(stderr);
    std::exit(2);
  }
  o.encrypt = mode == "encrypt";
  std::vector<std::string> livekit_only;  // frame options only LiveKit's format has
  Args args(argc - 1, argv + 1);
  while (args.more()) {
    const std::string a = args.next();
    if (parse_key_option(o.key, args, a)) continue;
    auto value = [&]() -> std::string { return args.value(a); };
    if (a == "--codec") {
      auto c = fs::codec_from_string(value());
      if (!c) die("--codec: expected opus, vp8, vp9, h264, h265 or av1");
      o.info.codec = *c;
      o.info.kind = *c == fs::Codec::opus ? fs::MediaKind::audio : fs::MediaKind::video;
    } else if (a == "--key-frame") {
      o.info.key_frame = true;
    } else if (a == "--shared-key") {
      o.shared_key = true;
    } else if (a == "--detect-kdf-mismatch") {
      livekit_only.push_back(a);
      o.detect_kdf_mismatch = true;
    } else if (a == "--ratchet") {
      o.ratchets = parse_uint(a, value(), 1000);
    } else if (a == "--failure-tolerance") {
      const std::string v = value();
      o.failure_tolerance = v.size() && v[0] == '-' ? -static_cast<int>(parse_uint(a, v.substr(1), 1000000))
                                                    : static_cast<int>(parse_uint(a, v, 1000000));
    } else if (a == "--packet-trailer") {
      livekit_only.push_back(a);
      o.packet_trailer = true;
    } else if (a == "--ssrc") {
      o.info.ssrc = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--timestamp") {
      o.info.rtp_timestamp = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--iv") {
      livekit_only.push_back(a);
      const std::string v = value();
      if (v == "livekit")
        o.livekit_iv = true;
      else if (v == "unique")
        o.livekit_iv = false;
      else
        die("--iv: expected unique or livekit");
    } else if (a == "--iv-seed") {
      livekit_only.push_back(a);
      o.iv_seed = static_cast<std::uint32_t>(parse_uint(a, value(), 65534));
    } else if (a.size() > 1 && a[0] == '-') {
      die("unknown option " + a + " (frameseal frame --help)");
    } else {
      auto f = parse_hex(a);
      if (!f) die("not a hex frame: argument " + std::to_string(args.last_index() + 1));
      o.frames.push_back(std::move(*f));
    }
  }
  if (!o.key.has_key()) die("a key is needed: --key HEX, --key-file PATH or --passphrase TEXT");
  livekit_only.insert(livekit_only.begin(), o.key.livekit_only.begin(), o.key.livekit_only.end());
  if (o.key.format == "sframe") {
    if (!livekit_only.empty())
      die(livekit_only.front() +
          " is a LiveKit option; SFrame derives its keys with RFC 9605's key schedule "
          "and encrypts whole frames");
    if (o.cipher() == CipherId::chacha20poly1305) die(sframe_cipher_error);
    if (o.shared_key)
      die("--format sframe --shared-key: refused. An SFrame nonce is salt XOR CTR with the salt fixed by key "
          "and KID, "
          "and every sender counts on its own, so senders sharing a key would reuse nonces; give each sender "
          "its own key");
    if (o.ratchets && o.key.ratchet_bits == 0)
      die("--format sframe --ratchet: an SFrame ratchet step changes the KID, so give --ratchet-bits R (e.g. "
          "8) "
          "here and to decrypt (RFC 9605 §5.1)");
  } else {
    if (o.key.ratchet_bits) die("--ratchet-bits is an SFrame option (--format sframe)");
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
    manager.on_kdf_mismatch(
        [&](const std::string&, fs::KdfAlgorithm k) { sender_kdf = std::string(fs::to_string(k)); });
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
  using Manager = session::E2eeManager<C, Iv>;
  session::E2eeOptions eo;
  // custom: LiveKit's frame layout with whichever --cipher was chosen (gcm would refuse ChaCha20).
  eo.encryption_type = session::EncryptionType::custom;
  auto& ko = eo.key_provider_options;
  ko.ratchet_window_size = o.key.window;
  ko.failure_tolerance = o.failure_tolerance;
  ko.ratchet_salt = o.key.salt;
  ko.kdf = o.key.kdf;
  ko.detect_kdf_mismatch = o.detect_kdf_mismatch;
  eo.frame_cryptor_options.sif_trailer = o.key.sif_trailer;
  eo.frame_cryptor_options.packet_trailer = o.packet_trailer;
  auto manager = Manager::create(
      std::move(eo), fs::openssl::livekit_kdf(o.key.kdf),
      [&iv](const std::string&) { return std::move(iv); });  // one participant: handed out once
  if (!manager) die(std::string("e2ee manager: ") + std::string(fs::to_string(manager.error())));
  auto& keys = manager->key_provider();
  const std::string sender = "sender";
  const std::size_t slot = o.key.key_index % keys.options().key_ring_size;
  if (o.shared_key) {
    if (auto e = keys.set_shared_key(o.key.material, o.key.key_index); e != fs::Errc::ok)
      die(std::string("set_shared_key: ") + std::string(fs::to_string(e)));
  } else if (auto e = keys.set_key(sender, o.key.material, o.key.key_index); e != fs::Errc::ok) {
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
  if (o.key.window_set) ko.ratchet_window_size = o.key.window;
  ko.failure_tolerance = o.failure_tolerance;
  session::SframeOptions so;
  so.ratchet_bits = static_cast<unsigned>(o.key.ratchet_bits);
  auto manager = Manager::create(std::move(eo), so);
  if (!manager) die(std::string("e2ee manager: ") + std::string(fs::to_string(manager.error())));
  auto& keys = manager->key_provider();
  const std::string sender = "sender";
  const std::size_t slot = o.key.key_index % keys.options().key_ring_size;
  if (auto e = keys.set_key(sender, o.key.material, o.key.key_index); e != fs::Errc::ok)
    die(std::string("set_key: ") + std::string(fs::to_string(e)));
  for (std::size_t r = 0; r < o.ratchets; ++r) {
    auto m = keys.ratchet_key(sender, slot);
    if (!m) die(std::string("ratchet: ") + std::string(fs::to_string(m.error())));
  }
  return print_frames(*manager, sender, o);
}

int Frame::run(int argc, char** argv) {
  FrameOptions o = parse_frame_options(argc, argv);
  if (o.key.format == "sframe")
    return with_suite(o.cipher(), [&]<class S>() { return run_sframe_frames<S>(o); });
  return with_cipher(o.cipher(), [&]<class C>() {
    if (o.livekit_iv) return run_frames<C>(o, fs::livekit::LivekitIv(o.iv_seed));
    return run_frames<C>(o, fs::livekit::UniqueIv());
  });
}

FRAMESEAL_CLI_COMMAND("frame", Frame);

}  // namespace

}  // namespace cli
