// `frameseal keygen [--bytes N] [--hex] [--force] FILE`: a fresh random key (libsodium
// randombytes_buf) in a new 0600 file.
#include "command.hpp"
#include "file_command.hpp"

#include <sodium.h>

namespace cli {
namespace {

class Keygen final : public Command {
 public:
  Keygen()
      : Command("keygen [--bytes N] [--hex] [--force] FILE",
                "write a fresh random key (default 32 bytes) to FILE (mode 0600)") {}
  int run(int argc, char** argv) override;
};

int Keygen::run(int argc, char** argv) {
  std::size_t n = 32;
  bool hex = false, force = false, quiet = false;
  std::string path;
  Args args(argc, argv);
  while (args.more()) {
    const std::string a = args.next();
    if (a == "--bytes") {
      n = parse_uint(a, args.value(a), 1024);
      if (n == 0) die("--bytes: at least 1");
    } else if (a == "--hex") {
      hex = true;
    } else if (a == "--force") {
      force = true;
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "--help" || a == "-h") {
      print_media_usage(stdout);
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      die("unknown option for keygen: " + a);
    } else if (path.empty()) {
      path = a;
    } else {
      die("keygen: expected one FILE");
    }
  }
  if (path.empty()) die("keygen: expected FILE (frameseal keygen [--bytes N] [--hex] [--force] FILE)");
  SecretVec key(n);
  randombytes_buf(key.data(), key.size());
  SecretVec text;
  if (hex) {
    const std::string h = to_hex(key);  // short-lived: copied into the wiping buffer, then wiped
    text.assign(h.begin(), h.end());
    sodium_memzero(const_cast<char*>(h.data()), h.size());
    text.push_back('\n');
  }
  // A new 0600 file of our own (mkstemp), renamed over FILE with --force (a symlink planted at FILE
  // is replaced, not followed; an existing file of another user is replaced, never chmod-ed or
  // written through), or linked into place without --force (fails if anything is at FILE).
  media::AtomicFile f(path, {.mode = 0600, .no_clobber = !force, .unbuffered = true});
  if (!f.ok()) fail_file(path, f.error());
  f.write(hex ? media::BytesIn(text) : media::BytesIn(key));
  const std::string fp = fingerprint(key);
  if (!f.commit()) fail_file(path, f.error());
  if (!quiet)
    std::fprintf(stderr, "frameseal: wrote a %zu-byte random key to %s (fingerprint %s)\n", n, path.c_str(),
                 fp.c_str());
  return 0;
}

FRAMESEAL_CLI_COMMAND("keygen", Keygen);

}  // namespace

}  // namespace cli
