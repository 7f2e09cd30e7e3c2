// frameseal: the command-line tool. Each command is a class in tools/commands/ that registers itself
// (command.hpp); this file looks the name up and runs it. `frameseal --help` lists them all.
#include "cli_common.hpp"
#include "command.hpp"

#include <cstdio>
#include <string_view>

namespace {

void print_usage(std::FILE* f) {
  std::fputs("usage: frameseal COMMAND ...\n", f);
  for (const cli::CommandEntry& e : cli::sorted_commands()) {
    const auto c = e.make();
    const std::string_view s = c->synopsis(), d = c->description();
    std::fprintf(f, "  %-44.*s %.*s\n", static_cast<int>(s.size()), s.data(), static_cast<int>(d.size()),
                 d.data());
  }
  std::fputs("  version, --version                           print the version\n", f);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) cli::die("libsodium failed to initialise");
  const std::string_view cmd = argc >= 2 ? argv[1] : "";
  if (argc < 2 || cmd == "--help" || cmd == "-h" || cmd == "help") {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("frameseal %s\n", frameseal::version_string);
    return 0;
  }
  const cli::CommandEntry* e = cli::find_command(cmd);
  if (!e) {
    std::fprintf(stderr, "frameseal: unknown command %s\n", argv[1]);
    print_usage(stderr);
    return 2;
  }
  return e->make()->run(argc - 2, argv + 2);
}
