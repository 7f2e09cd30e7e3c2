// frameseal: the command-line tool. Subcommands:
//   frameseal frame encrypt|decrypt [options] HEX...   encrypt or decrypt frames given as hex
//   frameseal encrypt|decrypt [options] IN OUT          encrypt or decrypt a media file
//   frameseal inspect [options] IN                      what is inside each frame of a file
//   frameseal keygen FILE                               a fresh random key in a file
//   frameseal vectors FILE.json                         check a LiveKit known-answer file
//   frameseal selfcheck                                 known answers of every cipher and KDF
//   frameseal version
#include "cmd_data.hpp"
#include "cmd_frame.hpp"
#include "cmd_media.hpp"
#include "cmd_selfcheck.hpp"
#include "cmd_vectors.hpp"

#include <cstdio>
#include <cstring>
#include <vector>

static const char* usage =
    "usage: frameseal COMMAND ...\n"
    "  frame encrypt|decrypt [options] HEX...  encrypt or decrypt frames (see frameseal frame --help)\n"
    "  data encrypt|decrypt [options] HEX...   LiveKit E2EE data packets (see frameseal data --help)\n"
    "  data-track encrypt|decrypt [options] HEX...   LiveKit data track frames / packets (= data --track)\n"
    "  encrypt [options] IN OUT                encrypt a media file (IVF, H.264/H.265 Annex-B, Ogg Opus)\n"
    "  decrypt [options] IN OUT                decrypt a file written by frameseal encrypt\n"
    "  inspect [options] IN                    per-frame report (with a key: does it authenticate)\n"
    "  keygen FILE                             write a fresh random 32-byte key to FILE (mode 0600)\n"
    "  vectors FILE.json                       check a LiveKit known-answer file\n"
    "  selfcheck                               known answers of every cipher and KDF\n"
    "  version, --version                      print the version\n";

int main(int argc, char** argv) {
  if (sodium_init() < 0) cli::die("libsodium failed to initialise");
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help")) {
    std::fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* cmd = argv[1];
  if (!std::strcmp(cmd, "frame")) {
    if (argc >= 3 && !std::strcmp(argv[2], "--help")) {
      std::fputs(cli::frame_usage, stdout);
      return 0;
    }
    return cli::cmd_frame(argc - 2, argv + 2);
  }
  if (!std::strcmp(cmd, "data")) return cli::cmd_data(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "data-track")) {  // = data --track
    std::vector<char*> args(argv + 2, argv + argc);
    static char track[] = "--track";
    args.insert(args.begin() + (args.empty() ? 0 : 1), track);
    return cli::cmd_data(static_cast<int>(args.size()), args.data());
  }
  if (!std::strcmp(cmd, "encrypt")) return cli::cmd_encrypt(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "decrypt")) return cli::cmd_decrypt(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "inspect")) return cli::cmd_inspect(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "keygen")) return cli::cmd_keygen(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "vectors")) return cli::cmd_vectors(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "selfcheck")) return cli::cmd_selfcheck();
  if (!std::strcmp(cmd, "version") || !std::strcmp(cmd, "--version")) {
    std::printf("frameseal %s\n", frameseal::version_string);
    return 0;
  }
  std::fprintf(stderr, "frameseal: unknown command %s\n%s", cmd, usage);
  return 2;
}
