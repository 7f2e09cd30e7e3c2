// `frameseal encrypt [options] IN OUT`: a media file (IVF with VP8/VP9/AV1, H.264/H.265 Annex-B,
// Ogg Opus) into frameseal's encrypted IVF (encrypted_ivf.hpp), frame by frame in the LiveKit format
// (default; UniqueIv) or SFrame (--format sframe), with --rotate-every N ratcheting the key.
#include "command.hpp"
#include "file_command.hpp"

#include <chrono>
#include <memory>

namespace cli {
namespace {

class Encrypt final : public Command {
 public:
  Encrypt()
      : Command("encrypt [options] IN OUT", "encrypt a media file (IVF, H.264/H.265 Annex-B, Ogg Opus)") {}
  int run(int argc, char** argv) override;
};

template <class Engine>
int encrypt_with(FileOptions& o, const media::MediaFile& m, CipherId cipher) {
  const std::string& in = o.paths[0];
  const std::string& out = o.paths[1];
  auto room = [&](std::size_t n) { return Engine::room(m.codec, n); };
  const FrameSizes z = measure_frames(m, room);
  Engine engine(o.key, z.largest);
  const fs::FrameInfo base = base_frame_info(m.codec);
  RunStats s;
  FrameOutputs outs = crypt_frames(
      "encrypt", o, m, z, s, room, [&](std::size_t i, const media::MediaFrame& f, fs::BytesOut dst) {
        if (o.rotate_every && s.frames && s.frames % o.rotate_every == 0) {
          if (auto e = engine.ratchet(); e != fs::Errc::ok)
            fail_file(in, "frame " + std::to_string(i) +
                              ": cannot ratchet the key: " + std::string(fs::to_string(e)));
          ++s.ratchets;
        }
        fs::FrameInfo info = base;
        info.key_frame = f.key;
        info.rtp_timestamp = rtp_timestamp(m, f.pts);
        auto r = engine.encrypt(info, f.data, dst);
        if (!r)
          fail_file(in, "frame " + std::to_string(i) + ": cannot encrypt: " + explain_encrypt(r.error()));
        ++s.frames;
        s.plain_bytes += f.data.size();
        s.encrypted_bytes += r->size();
        return std::optional<fs::BytesOut>(*r);
      });

  write_encrypted_ivf(out, m, {Engine::mark_format, mark_cipher(o.key, cipher)}, outs.frames, o.key);
  report_run("encrypt", in, out, m.codec, cipher, o.key, s, o.json, o.quiet);
  return 0;
}

int Encrypt::run(int argc, char** argv) {
  FileOptions o = parse_file_options(argc, argv, "encrypt");
  if (!o.key.has_key()) die("encrypt: a key is needed: --key-file PATH, --key HEX or --passphrase TEXT");
  const std::string& in = o.paths[0];
  const InputFile input = read_input(in, o.codec_hint);
  const media::MediaFile& m = input.media;
  if (m.mark) fail_file(in, "already encrypted by frameseal (frameseal decrypt or inspect it)");
  if (m.codec == fs::Codec::av1 && !o.allow_av1 && o.key.format == "livekit")
    fail_file(
        in,
        "AV1 has no LiveKit clear-header rule (livekit-client refuses to encrypt AV1); --allow-av1 encrypts "
        "whole AV1 frames (0 clear bytes, as the m125 native SDK does), which livekit-client cannot receive");
  const CipherId cipher = o.key.cipher.value_or(CipherId::aes128gcm);
  const int rc = with_engine(o.key, cipher, [&]<class E>() { return encrypt_with<E>(o, m, cipher); });
  o.key.wipe();
  return rc;
}

FRAMESEAL_CLI_COMMAND("encrypt", Encrypt);

}  // namespace

}  // namespace cli
