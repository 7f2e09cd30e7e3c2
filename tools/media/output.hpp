// Output files that appear whole or not at all, and terminal progress, for the media commands.
//
// AtomicFile writes to a temporary file next to the destination (DEST.tmp-XXXXXX, created 0600 by
// mkstemp: a new file of ours, never a planted link), then gives it its permissions and renames it
// over DEST. The permissions: an explicit mode if given (keygen: 0600, whatever was there), else
// those of an existing regular file at DEST (so decrypting over a 0600 file keeps it 0600), else
// what a new file would get (0666 less the umask); a failing fchmod fails the write. rename replaces
// DEST itself, so a symlink planted at DEST is replaced, never followed. With no_clobber, the file
// is linked into place instead (link() fails if DEST exists, symlink or not). Any failure, or
// SIGINT/SIGTERM/SIGHUP while it is open, removes the temporary file, so a failed run leaves
// neither DEST nor a temporary file behind.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "common.hpp"

namespace media {

namespace detail {
inline char g_temp_path[4096];  // the open temporary file, for the signal handler
inline void remove_temp_and_exit(int sig) {
  if (g_temp_path[0]) ::unlink(g_temp_path);
  ::_exit(128 + sig);
}
}  // namespace detail

struct AtomicFileMode {
  std::optional<mode_t> mode;  // explicit permissions
  bool no_clobber = false;     // fail (EEXIST) instead of replacing DEST
  bool unbuffered = false;     // no stdio buffer (secrets: nothing left in freed heap)
};

class AtomicFile {
 public:
  // On failure, `error` says why (and nothing exists on disk).
  using Mode = AtomicFileMode;
  explicit AtomicFile(const std::string& dest, Mode mode = {}) : dest_(dest), mode_(mode) {
    temp_ = dest + ".tmp-XXXXXX";
    if (temp_.size() >= sizeof detail::g_temp_path) {
      error_ = "path too long";
      return;
    }
    fd_ = ::mkstemp(temp_.data());
    if (fd_ < 0) {
      error_ = std::string("cannot create a temporary file next to it: ") + std::strerror(errno);
      return;
    }
    std::memcpy(detail::g_temp_path, temp_.c_str(), temp_.size() + 1);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, detail::remove_temp_and_exit);
    file_ = ::fdopen(fd_, "wb");
    if (!file_) {
      error_ = std::string("cannot open the temporary file: ") + std::strerror(errno);
      ::close(fd_);
      discard();
    } else if (mode_.unbuffered) {
      std::setvbuf(file_, nullptr, _IONBF, 0);
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (file_) {
      std::fclose(file_);
      file_ = nullptr;
    }
    if (!committed_) discard();
  }

  [[nodiscard]] bool ok() const noexcept { return error_.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

  void write(BytesIn b) {
    if (!ok() || b.empty()) return;
    if (std::fwrite(b.data(), 1, b.size(), file_) != b.size())
      error_ = std::string("write failed: ") + std::strerror(errno);
  }

  // Returns false (and removes the temporary file) when anything failed.
  bool commit() {
    if (ok() && std::fflush(file_) != 0) error_ = std::string("write failed: ") + std::strerror(errno);
    if (ok()) {
      mode_t mode = 0;
      struct stat st {};
      if (mode_.mode) {
        mode = *mode_.mode;
      } else if (::lstat(dest_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        mode = st.st_mode & 07777;
      } else {
        const mode_t mask = ::umask(0);
        ::umask(mask);
        mode = 0666 & ~mask;
      }
      if (::fchmod(::fileno(file_), mode) != 0) error_ = std::string("chmod failed: ") + std::strerror(errno);
    }
    if (ok() && ::fsync(::fileno(file_)) != 0) error_ = std::string("write failed: ") + std::strerror(errno);
    if (std::fclose(file_) != 0 && ok()) error_ = std::string("write failed: ") + std::strerror(errno);
    file_ = nullptr;
    if (ok() && mode_.no_clobber) {
      if (::link(temp_.c_str(), dest_.c_str()) != 0)
        error_ = std::strerror(errno) + std::string(errno == EEXIST ? " (--force overwrites it)" : "");
      else
        ::unlink(temp_.c_str());
    } else if (ok() && std::rename(temp_.c_str(), dest_.c_str()) != 0) {
      error_ = std::string("rename failed: ") + std::strerror(errno);
    }
    if (!ok()) {
      discard();
      return false;
    }
    committed_ = true;
    detail::g_temp_path[0] = 0;
    return true;
  }

 private:
  void discard() noexcept {  // (after a no-clobber link, the temporary name is already gone)
    if (!temp_.empty() && fd_ >= 0) ::unlink(temp_.c_str());
    detail::g_temp_path[0] = 0;
    fd_ = -1;
  }

  std::string dest_, temp_, error_;
  Mode mode_;
  int fd_ = -1;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

// "frameseal: encrypt 1200/5000 frames, 45.2 MB, 312.4 MB/s" on stderr, rewritten in place at most
// ten times a second, only when stderr is a terminal; erased by finish().
class Progress {
 public:
  using clock = std::chrono::steady_clock;
  Progress(const char* verb, std::size_t total, bool enabled)
      : verb_(verb), total_(total), on_(enabled && ::isatty(2)), start_(clock::now()), last_(start_) {}
  void tick(std::size_t frames, std::uint64_t bytes) {
    if (!on_ || (frames % 16 != 0)) return;
    const auto now = clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\rframeseal: %s %zu/%zu frames, %.1f MB, %.1f MB/s ", verb_, frames, total_,
                 bytes / 1e6, s > 0 ? bytes / 1e6 / s : 0.0);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

 private:
  const char* verb_;
  std::size_t total_;
  bool on_;
  bool shown_ = false;
  clock::time_point start_, last_;
};

}  // namespace media
