// The frameseal CLI's commands and their registry (the shape of Botan's src/cli/): each command is a
// small class in its own translation unit under tools/commands/, registered by one
// FRAMESEAL_CLI_COMMAND line there; frameseal.cpp only looks the name up. Adding a command is one
// new .cpp file and its line in tools/meson.build.
//
// A command's run() receives the arguments after its name. It returns the exit status: 0 success,
// 1 a bad file or a frame that fails, 2 a usage error (cli::die exits 2 at once).
#pragma once

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

namespace cli {

class Command {
 public:
  // synopsis: "NAME ARGS"; description: one line. Both for `frameseal --help`.
  Command(std::string_view synopsis, std::string_view description) noexcept
      : synopsis_(synopsis), description_(description) {}
  virtual ~Command() = default;
  [[nodiscard]] std::string_view synopsis() const noexcept { return synopsis_; }
  [[nodiscard]] std::string_view description() const noexcept { return description_; }
  virtual int run(int argc, char** argv) = 0;

 private:
  std::string_view synopsis_, description_;
};

struct CommandEntry {
  std::string_view name;
  std::unique_ptr<Command> (*make)();
};

// Every registered command, in registration order (which is unspecified across translation units;
// sorted() gives the help listing's order).
inline std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> commands;
  return commands;
}

inline std::vector<CommandEntry> sorted_commands() {
  std::vector<CommandEntry> v = command_registry();
  std::sort(v.begin(), v.end(), [](const CommandEntry& a, const CommandEntry& b) { return a.name < b.name; });
  return v;
}

inline const CommandEntry* find_command(std::string_view name) {
  for (const CommandEntry& e : command_registry())
    if (e.name == name) return &e;
  return nullptr;
}

struct CommandRegistration {
  CommandRegistration(std::string_view name, std::unique_ptr<Command> (*make)()) {
    command_registry().push_back({name, make});
  }
};

}  // namespace cli

// Registers Class (default-constructible, derived from cli::Command) as `frameseal NAME`.
#define FRAMESEAL_CLI_COMMAND(NAME, Class)                                \
  static const ::cli::CommandRegistration frameseal_cli_register_##Class( \
      NAME, []() { return std::unique_ptr<::cli::Command>(std::make_unique<Class>()); })
