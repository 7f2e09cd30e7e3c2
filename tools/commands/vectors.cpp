// `frameseal vectors FILE.json`: checks a LiveKit known-answer file (vector_check.hpp) and prints one
// line per failing case and a last line "N passed, M failed". Exit 1 on any failure.
#include "command.hpp"
#include "vector_check.hpp"

#include <fstream>

namespace cli {
namespace {

class Vectors final : public Command {
 public:
  Vectors() : Command("vectors FILE.json", "check a LiveKit known-answer file") {}
  int run(int argc, char** argv) override;
};

int Vectors::run(int argc, char** argv) {
  if (argc != 1) die("usage: frameseal vectors FILE.json");
  std::ifstream file(argv[0]);
  if (!file) die(std::string("cannot open ") + argv[0]);
  nlohmann::json j = nlohmann::json::parse(file, nullptr, false);
  if (j.is_discarded()) die(std::string(argv[0]) + ": not valid JSON");
  const VectorRun run = run_vectors(j);
  std::printf("%d passed, %d failed\n", run.passed, run.failed);
  return run.failed == 0 && run.passed > 0 ? 0 : 1;
}

FRAMESEAL_CLI_COMMAND("vectors", Vectors);

}  // namespace

}  // namespace cli
