// `frameseal decrypt [options] IN OUT`: a file written by frameseal encrypt back to IVF (VP8/VP9/AV1),
// Annex-B (H.264/H.265) or Ogg Opus. The manifest and every frame are checked before anything is
// written: one failure and OUT is not created.
#include "command.hpp"
#include "file_command.hpp"

#include <chrono>
#include <map>
#include <memory>

namespace cli {
namespace {

class Decrypt final : public Command {
 public:
  Decrypt() : Command("decrypt [options] IN OUT", "decrypt a file written by frameseal encrypt") {}
  int run(int argc, char** argv) override;
};

template <class Engine>
int decrypt_with(FileOptions& o, const media::MediaFile& m, CipherId cipher, bool container_authentic) {
  const std::string& in = o.paths[0];
  const std::string& out = o.paths[1];
  auto room = [](std::size_t n) { return n; };
  const FrameSizes z = measure_frames(m, room);
  Engine engine(o.key, z.largest, false);
  fs::FrameInfo base = base_frame_info(m.codec);
  if (m.codec != fs::Codec::vp8) base.key_frame = false;  // VP8: from the clear frame tag
  RunStats s;
  std::map<std::string, std::size_t> failures;
  std::size_t failed = 0, first_failure = 0;
  fs::Errc first_error = fs::Errc::ok;
  std::uint64_t first_kid = 0;
  FrameOutputs outs = crypt_frames("decrypt", o, m, z, s, room,
                                   [&](std::size_t i, const media::MediaFrame& f, fs::BytesOut dst) {
                                     fs::FrameInfo info = base;
                                     info.rtp_timestamp = rtp_timestamp(m, f.pts);
                                     std::size_t steps = 0;
                                     std::uint64_t kid = 0;
                                     auto r = engine.decrypt(info, f.data, dst, steps, kid);
                                     ++s.frames;
                                     s.encrypted_bytes += f.data.size();
                                     if (!r) {
                                       if (failed++ == 0) {
                                         first_failure = i;
                                         first_error = r.error();
                                         first_kid = kid;
                                       }
                                       ++failures[std::string(fs::to_string(r.error()))];
                                       return std::optional<fs::BytesOut>();
                                     }
                                     s.ratchets += steps;
                                     s.plain_bytes += r->size();
                                     return std::optional<fs::BytesOut>(*r);
                                   });
  if (failed) {
    std::string what =
        "frame " + std::to_string(first_failure) + ": " + explain(first_error, first_kid, Engine::sframe);
    if (failed > 1 || z.count > 1) {
      what += " [" + std::to_string(failed) + " of " + std::to_string(z.count) + " frames failed:";
      for (const auto& [reason, n] : failures) what += " " + reason + " " + std::to_string(n);
      what += "]";
    }
    fail_file(in, what + "; nothing written");
  }
  if (!container_authentic)
    fail_file(in,
              "the container does not authenticate (manifest): its IVF header, header packets (OpusHead, "
              "OpusTags), time stamps, or the number or order of frames were changed; nothing written");

  media::MediaFile plain = m;         // the frames' pts and the source's header, without the mark
  plain.ivf.reserved = {0, 0, 0, 0};  // the frame count is the source's, as encrypt kept it
  media::Bytes bytes;
  if (!media::write_media(plain, outs.frames, bytes))
    fail_file(in, "no container writes " + std::string(fs::to_string(m.codec)));
  write_file(out, bytes);
  report_run("decrypt", in, out, m.codec, cipher, o.key, s, o.json, o.quiet);
  return 0;
}

int Decrypt::run(int argc, char** argv) {
  FileOptions o = parse_file_options(argc, argv, "decrypt");
  if (!o.key.has_key()) die("decrypt: a key is needed: --key-file PATH, --key HEX or --passphrase TEXT");
  const std::string& in = o.paths[0];
  InputFile input = read_input(in, fs::Codec::unknown);
  const media::Bytes& file = input.bytes;
  media::MediaFile& m = input.media;
  if (m.container != media::IvfContainer::name || !m.mark)
    fail_file(in,
              "not a frameseal-encrypted file (no frameseal mark in an IVF header): decrypt reads what "
              "frameseal encrypt writes");
  const CipherId cipher = encrypted_file_cipher(in, m, o.key, o.format_given);
  const auto man = take_manifest(file, m);
  if (!man)
    fail_file(
        in,
        "no manifest at the end of the file: it was cut short, frames were appended after its end, or it "
        "was written before frameseal authenticated its container; nothing written");
  const bool authentic = manifest_authentic(file, *man, o.key);
  const int rc =
      with_engine(o.key, cipher, [&]<class E>() { return decrypt_with<E>(o, m, cipher, authentic); });
  o.key.wipe();
  return rc;
}

FRAMESEAL_CLI_COMMAND("decrypt", Decrypt);

}  // namespace

}  // namespace cli
