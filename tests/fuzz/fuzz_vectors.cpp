// `frameseal vectors` on mutated vector files (tools/vector_check.hpp run_vectors): any JSON, any
// field missing or of any type, must give failing lines and a count, never an abort, an uncaught
// exception or a sanitizer report. The count must cover every record it was given.
#include <vector_check.hpp>

#include <string_view>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // PBKDF2 records cost 17 x 100000 HMAC iterations per key ring: correct, but too slow to fuzz.
  if (text.find("pbkdf2") != std::string_view::npos) return 0;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  const cli::VectorRun run = cli::run_vectors(j, /*quiet=*/true);
  std::size_t records = 0;
  if (j.is_object())
    for (const char* section : {"ratchet_chains", "vectors", "decode_behaviour"})
      if (j.contains(section)) records += j[section].is_array() ? j[section].size() : 1;
  FS_FUZZ_CHECK(run.passed >= 0 && run.failed >= 0);
  FS_FUZZ_CHECK(static_cast<std::size_t>(run.passed + run.failed) >= (j.is_object() ? records : 1));
  return 0;
}
