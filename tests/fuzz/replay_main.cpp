// Replays fuzz inputs through a target without libFuzzer: the unit-test side of every fuzz target.
//
//   fuzz-replay-<name> DIR_OR_FILE...
//
// Runs LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize, if the target has one) over every file
// named, and every regular file of every directory named (sorted, dot files skipped; a directory
// that does not exist is skipped: regression folders appear only once a crash was found). A broken
// invariant in the target traps, which fails the test; otherwise it prints how many inputs ran.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

static bool run_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, so ASan sees reads one past its end.
  std::vector<std::uint8_t> exact(data);
  exact.shrink_to_fit();
  static std::uint8_t none[1];  // libFuzzer never passes a null pointer, not even for an empty input
  (void)LLVMFuzzerTestOneInput(exact.empty() ? none : exact.data(), exact.size());
  return true;
}

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t count = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(arg))
        if (e.is_regular_file() && e.path().filename().string().rfind('.', 0) != 0) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        ok = run_file(f) && ok;
        ++count;
      }
    } else if (fs::is_regular_file(arg, ec)) {
      ok = run_file(arg) && ok;
      ++count;
    } else {
      std::printf("replay: %s does not exist, skipped\n", argv[i]);
    }
  }
  std::printf("replay: %zu inputs, no failed check\n", count);
  return ok ? 0 : 1;
}
