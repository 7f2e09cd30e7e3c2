// frameseal: the command-line tool. Subcommands:
//   frameseal frame encrypt|decrypt [options] HEX...   encrypt or decrypt frames given as hex
//   frameseal vectors FILE.json                         check a LiveKit known-answer file
//   frameseal selfcheck                                 known answers of every cipher and KDF
//   frameseal version
#include "cmd_frame.hpp"
#include "cmd_selfcheck.hpp"
#include "cmd_vectors.hpp"

#include <cstdio>
#include <cstring>

static const char* usage =
    "usage: frameseal COMMAND ...\n"
    "  frame encrypt|decrypt [options] HEX...  encrypt or decrypt frames (see frameseal frame --help)\n"
    "  vectors FILE.json                       check a LiveKit known-answer file\n"
    "  selfcheck                               known answers of every cipher and KDF\n"
    "  version                                 print the version\n";

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
  if (!std::strcmp(cmd, "vectors")) return cli::cmd_vectors(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "selfcheck")) return cli::cmd_selfcheck();
  if (!std::strcmp(cmd, "version")) {
    std::printf("frameseal %s\n", frameseal::version_string);
    return 0;
  }
  std::fprintf(stderr, "frameseal: unknown command %s\n%s", cmd, usage);
  return 2;
}
