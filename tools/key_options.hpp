// Key options of every command that takes a key (frame, data, encrypt, decrypt, inspect): --key HEX |
// --key-file PATH | --passphrase TEXT, --kdf, --salt/--salt-hex,
// --key-index, --cipher, --format, --ratchet-window.
//
// A key given on the command line is never printed back: the commands show fingerprint() (the
// first 8 hex digits of SHA-256 of the material). The argv copy of --key/--passphrase is
// overwritten once read, so it does not linger in /proc/PID/cmdline; a key file is still better.
//
// --key-file: if the file, less trailing white space, is an even number (>= 2) of hex digits it is
// read as hex, otherwise its bytes are the key as they are. (A raw 32-byte random key reads as hex
// with probability (22/256)^32, about 10^-34.)
#pragma once

#include "cli_common.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace cli {

struct KeyOptions {
  SecretVec material;  // wiped by wipe() and whenever freed
  std::string source;  // "--key", "--key-file PATH", "--passphrase" (for messages; never the key)
  fs::KdfAlgorithm kdf = fs::KdfAlgorithm::hkdf;
  Bytes salt{fs::default_ratchet_salt.begin(), fs::default_ratchet_salt.end()};
  std::size_t key_index = 0;
  std::optional<CipherId> cipher;  // unset: aes128gcm to encrypt, the file's cipher to decrypt
  std::size_t window = fs::default_ratchet_window_size;
  std::string format = "livekit";
  Bytes sif_trailer;
  std::size_t ratchet_bits = 0;  // SFrame: R of RFC 9605 §5.1 (KID = key index << R | step)
  bool kdf_set = false, salt_set = false, window_set = false;  // given explicitly
  std::vector<std::string> livekit_only;  // LiveKit-only options given (refused with --format sframe)
  std::size_t max_ratchet_bits = 63;      // what --ratchet-bits accepts (the session layer: 56)

  [[nodiscard]] bool has_key() const noexcept { return !material.empty(); }
  void wipe() noexcept {
    if (!material.empty()) sodium_memzero(material.data(), material.size());
    material.clear();
  }
};

inline const char* key_options_usage =
    "  --key HEX | --key-file PATH | --passphrase TEXT\n"
    "                         key material: hex, a file (hex text or raw bytes), or the UTF-8 bytes\n"
    "                         of a passphrase. Never printed; a fingerprint is shown instead.\n"
    "                         --key and --passphrase are visible to other local users (ps,\n"
    "                         /proc/PID/cmdline) until frameseal overwrites them, and stay in your\n"
    "                         shell history: prefer --key-file (a 0600 file, see keygen).\n"
    "  --kdf hkdf|pbkdf2      key derivation (default hkdf; native SDKs default to pbkdf2)\n"
    "  --salt TEXT | --salt-hex HEX   ratchet salt (default LKFrameEncryptionKey)\n"
    "  --key-index N          key slot (default 0)\n"
    "  --cipher aes128gcm|aes256gcm|chacha20poly1305\n"
    "                         (default aes128gcm, LiveKit's; decrypt and inspect of a file: the file's)\n"
    "  --format livekit|sframe   frame format (default livekit). SFrame (RFC 9605): the key is the\n"
    "                         base key of KID = key index (<< R); --cipher aes128gcm = suite 4\n"
    "                         AES_128_GCM_SHA256_128, aes256gcm = suite 5 AES_256_GCM_SHA512_128\n"
    "  --ratchet-bits R       SFrame: ratchet bits R of the KID (1..63; frame: 1..56), for a sender\n"
    "                         that ratchets (--rotate-every, frame --ratchet) and its receiver\n"
    "  --ratchet-window N     receiver: ratchet steps searched (default 16; SFrame 8)\n"
    "  --sif-trailer HEX      receiver: the room's SIF trailer\n";

inline std::string name_of(CipherId c) {
  switch (c) {
    case CipherId::aes128gcm:
      return "aes128gcm";
    case CipherId::aes256gcm:
      return "aes256gcm";
    case CipherId::chacha20poly1305:
      return "chacha20poly1305";
  }
  return "?";
}

inline std::uint8_t cipher_mark(CipherId c) noexcept {
  switch (c) {
    case CipherId::aes128gcm:
      return 1;
    case CipherId::aes256gcm:
      return 2;
    case CipherId::chacha20poly1305:
      return 3;
  }
  return 0;
}

inline std::optional<CipherId> cipher_of_mark(std::uint8_t m) noexcept {
  switch (m) {
    case 1:
      return CipherId::aes128gcm;
    case 2:
      return CipherId::aes256gcm;
    case 3:
      return CipherId::chacha20poly1305;
    default:
      return std::nullopt;
  }
}

// Reads a key file with open/read into a wiping buffer (no stdio or iostream buffer keeps a copy).
inline SecretVec read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("--key-file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    die("--key-file " + path + ": not a regular file");
  }
  constexpr off_t max_key_file = 1 << 20;
  if (st.st_size > max_key_file) {
    ::close(fd);
    die("--key-file " + path + ": larger than 1 MiB, not a key");
  }
  SecretVec raw(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < raw.size()) {
    const ssize_t r = ::read(fd, raw.data() + got, raw.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  raw.resize(got);
  std::size_t n = raw.size();
  while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r' || raw[n - 1] == ' ' || raw[n - 1] == '\t')) --n;
  SecretVec key;
  if (n >= 2 && n % 2 == 0) {
    if (auto h = parse_hex<SecretVec>(std::string_view(reinterpret_cast<const char*>(raw.data()), n)))
      key = std::move(*h);
  }
  if (key.empty()) key = raw;
  if (key.empty()) die("--key-file " + path + ": the file is empty");
  return key;
}

// If `a` (just read from args) is a key option, takes its value from args and returns true. The
// one parser of the key options of every command (frame, data, encrypt, decrypt, inspect).
inline bool parse_key_option(KeyOptions& o, Args& args, const std::string& a) {
  auto value = [&]() -> char* { return args.value(a); };
  auto set_material = [&](SecretVec m, std::string source) {
    if (o.has_key()) die("give one key: --key, --key-file or --passphrase");
    o.material = std::move(m);
    o.source = std::move(source);
  };
  if (a == "--key") {
    char* v = value();
    auto k = parse_hex<SecretVec>(v);
    scrub_arg(v);
    if (!k || k->empty()) die("--key: expected non-empty hex");
    set_material(std::move(*k), "--key");
  } else if (a == "--key-file") {
    const std::string path = value();
    set_material(read_key_file(path), "--key-file " + path);
  } else if (a == "--passphrase") {
    char* v = value();
    std::string_view p(v);
    if (p.empty()) die("--passphrase: must not be empty");
    SecretVec m(p.begin(), p.end());
    scrub_arg(v);
    set_material(std::move(m), "--passphrase");
  } else if (a == "--kdf") {
    auto k = fs::kdf_algorithm_from_string(value());
    if (!k) die("--kdf: expected hkdf or pbkdf2");
    o.kdf = *k;
    o.kdf_set = true;
    o.livekit_only.push_back(a);
  } else if (a == "--salt") {
    const std::string s = value();
    o.salt.assign(s.begin(), s.end());
    o.salt_set = true;
    o.livekit_only.push_back(a);
  } else if (a == "--salt-hex") {
    auto s = parse_hex(value());
    if (!s) die("--salt-hex: expected hex");
    o.salt = *s;
    o.salt_set = true;
    o.livekit_only.push_back(a);
  } else if (a == "--key-index") {
    o.key_index = parse_uint(a, value(), 255);
  } else if (a == "--cipher") {
    o.cipher = parse_cipher(value());
  } else if (a == "--ratchet-window") {
    o.window = parse_uint(a, value(), 256);
    o.window_set = true;
  } else if (a == "--sif-trailer") {
    auto s = parse_hex(value());
    if (!s) die("--sif-trailer: expected hex");
    o.sif_trailer = *s;
    o.livekit_only.push_back(a);
  } else if (a == "--ratchet-bits") {
    o.ratchet_bits = parse_uint(a, value(), o.max_ratchet_bits);
  } else if (a == "--format") {
    o.format = value();
    if (o.format != "livekit" && o.format != "sframe") die("--format: expected livekit or sframe");
  } else {
    return false;
  }
  return true;
}

}  // namespace cli
