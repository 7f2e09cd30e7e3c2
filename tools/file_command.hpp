// What encrypt, decrypt and inspect share: their options, usage, reading the input file, and the
// summary line. Failures name the file, the frame and the reason on one line and exit 1 (usage
// errors exit 2); output goes to a temporary file renamed into place only on success
// (media/output.hpp). The crypto loop works on the file read into memory, with one output arena
// sized up front: no allocation per frame. MB/s counts only the time inside encrypt()/decrypt()
// (and ratchets).
#pragma once

#include "cli_common.hpp"
#include "encrypted_ivf.hpp"
#include "file_engine.hpp"
#include "key_options.hpp"

#include <nlohmann/json.hpp>

#include "media/containers.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <optional>
#include <memory>
#include <chrono>
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
    "  --json                 encrypt/decrypt: a JSON summary on stdout; inspect: JSON instead of a table\n"
    "  --hex                  inspect: add each frame's bytes (and, with a key, its plaintext) as hex\n"
    "  -q, --quiet            no summary line and no progress\n"
    "Exit status: 0 success, 1 a bad file or a frame that fails, 2 usage.\n";

inline void print_media_usage(std::FILE* f) {
  std::fprintf(f, media_usage, key_options_usage);
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

struct FileOptions {
  KeyOptions key;
  std::size_t rotate_every = 0;
  bool allow_av1 = false;
  fs::Codec codec_hint = fs::Codec::unknown;
  bool json = false;
  bool hex = false;
  bool quiet = false;
  std::vector<std::string> paths;
  std::string manifest;       // inspect of an encrypted file: the manifest's status
  bool format_given = false;  // --format was given (decrypt/inspect: it must agree with the file)
};

inline FileOptions parse_file_options(int argc, char** argv, const char* cmd) {
  FileOptions o;
  const std::string c = cmd;
  Args args(argc, argv);
  o.format_given = args.given("--format");
  while (args.more()) {
    const std::string a = args.next();
    if (parse_key_option(o.key, args, a)) continue;
    auto value = [&]() -> std::string { return args.value(a); };
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
      if (v == "h264")
        o.codec_hint = fs::Codec::h264;
      else if (v == "h265")
        o.codec_hint = fs::Codec::h265;
      else
        die("--codec: expected h264 or h265 (other codecs come from the container)");
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
  if (c == "encrypt")
    check_format_options(o.key, o.rotate_every);  // decrypt/inspect: once the file says its format
  return o;
}

struct RunStats {
  std::size_t frames = 0;         // frames that went through the cryptor
  std::size_t header_frames = 0;  // Opus header packets, copied in clear
  std::size_t ratchets = 0;
  std::uint64_t plain_bytes = 0, encrypted_bytes = 0;
  double crypto_seconds = 0;
  [[nodiscard]] double overhead_percent() const {
    return plain_bytes ? 100.0 * (static_cast<double>(encrypted_bytes) - static_cast<double>(plain_bytes)) /
                             static_cast<double>(plain_bytes)
                       : 0.0;
  }
};

inline void report_run(const char* verb, const std::string& in, const std::string& out, fs::Codec codec,
                       CipherId cipher, const KeyOptions& key, const RunStats& s, bool json, bool quiet) {
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
    j["overhead_bytes"] =
        static_cast<std::int64_t>(s.encrypted_bytes) - static_cast<std::int64_t>(s.plain_bytes);
    j["overhead_percent"] = std::round(s.overhead_percent() * 1000) / 1000;
    j["ratchets"] = s.ratchets;
    j["crypto_seconds"] = s.crypto_seconds;
    j["mb_per_s"] = std::round(mbps * 10) / 10;
    std::printf("%s\n", j.dump().c_str());
  }
  if (quiet) return;
  const std::string ratchets = s.ratchets ? ", " + std::to_string(s.ratchets) +
                                                (enc ? " ratchet" : " ratchet step") +
                                                (s.ratchets > 1 ? "s" : "") + (enc ? "" : " followed")
                                          : "";
  std::fprintf(stderr,
               "frameseal: %sed %zu %s frames (%s, %llu -> %llu bytes, overhead %.2f%%), %.1f MB/s, key %s "
               "(%s)%s -> %s\n",
               verb, s.frames, std::string(fs::to_string(codec)).c_str(), key.format.c_str(),
               static_cast<unsigned long long>(enc ? s.plain_bytes : s.encrypted_bytes),
               static_cast<unsigned long long>(enc ? s.encrypted_bytes : s.plain_bytes), s.overhead_percent(),
               mbps, fingerprint(key.material).c_str(), key.source.c_str(), ratchets.c_str(), out.c_str());
}

// What the crypto loop of encrypt and decrypt sizes up front: the output arena (the sum of
// room(frame size) over the frames that go through the cryptor), the largest such frame, and how
// many there are. Header packets (Opus) are copied, not encrypted.
struct FrameSizes {
  std::size_t capacity = 0, largest = 0, count = 0;
};

template <class Room>
FrameSizes measure_frames(const media::MediaFile& m, Room&& room) {
  FrameSizes z;
  for (const auto& f : m.frames) {
    if (f.header) continue;
    z.capacity += room(f.data.size());
    z.largest = std::max(z.largest, f.data.size());
    ++z.count;
  }
  return z;
}

// The crypto loop of encrypt and decrypt. Header packets go to the outputs in clear; every other
// frame i gets room(its size) bytes of one arena sized up front (no allocation per frame), and
// step(i, frame, out) returns what it wrote there, or nullopt for a frame that failed (step counts
// it). Only the time inside step is crypto time (RunStats::crypto_seconds).
struct FrameOutputs {
  std::unique_ptr<std::uint8_t[]> arena;
  std::vector<media::BytesIn> frames;  // per input frame: its output (empty where it failed)
};

template <class Room, class Step>
FrameOutputs crypt_frames(const char* verb, const FileOptions& o, const media::MediaFile& m,
                          const FrameSizes& z, RunStats& s, Room&& room, Step&& step) {
  FrameOutputs out{std::unique_ptr<std::uint8_t[]>(new std::uint8_t[z.capacity + 1]),
                   std::vector<media::BytesIn>(m.frames.size())};
  media::Progress progress(verb, z.count, !o.quiet);
  const bool encrypting = std::string_view(verb) == "encrypt";
  std::size_t off = 0;
  using clock = std::chrono::steady_clock;
  clock::duration busy{};
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const media::MediaFrame& f = m.frames[i];
    if (f.header) {
      out.frames[i] = f.data;
      ++s.header_frames;
      continue;
    }
    const auto t0 = clock::now();
    const std::optional<fs::BytesOut> r =
        step(i, f, fs::BytesOut(out.arena.get() + off, room(f.data.size())));
    busy += clock::now() - t0;
    if (!r) continue;
    out.frames[i] = *r;
    off += r->size();
    progress.tick(s.frames, encrypting ? s.plain_bytes : s.encrypted_bytes);
  }
  progress.finish();
  s.crypto_seconds = std::chrono::duration<double>(busy).count();
  return out;
}

// The input of encrypt, decrypt and inspect: the file's bytes (which the frames point into) and its
// frames. Exits 1 naming the file if no container reads it.
struct InputFile {
  media::Bytes bytes;
  media::MediaFile media;
};

inline InputFile read_input(const std::string& path, fs::Codec codec_hint) {
  InputFile f{read_whole_file(path), {}};
  if (auto e = media::read_media(f.bytes, path, codec_hint, f.media)) fail_file(path, media::describe(*e));
  return f;
}

}  // namespace cli
