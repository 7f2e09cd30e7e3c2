// Runs the frameseal CLI (path in the FRAMESEAL_CLI environment variable) and collects its output.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace fstest {

struct Run {
  int status = -1;
  std::vector<std::string> lines;  // stdout and stderr, one entry per line
};

inline Run cli(const std::string& args) {
  const char* path = std::getenv("FRAMESEAL_CLI");
  REQUIRE_MESSAGE(path != nullptr, "FRAMESEAL_CLI is not set");
  const std::string cmd = std::string(path) + " " + args + " 2>&1";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string line;
  for (int c; (c = std::fgetc(p)) != EOF;) {
    if (c == '\n') {
      r.lines.push_back(line);
      line.clear();
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  if (!line.empty()) r.lines.push_back(line);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace fstest
