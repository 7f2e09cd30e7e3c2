#!/usr/bin/env python3
"""Compiles every public header alone (-fsyntax-only): a header that forgets an include fails here.

usage: check_headers.py INCLUDE_DIR COMPILER [ARGS...]
Headers that need an optional dependency are checked only when it is installed.
"""
import pathlib
import subprocess
import sys
import tempfile

inc = pathlib.Path(sys.argv[1])
cxx = sys.argv[2:]
optional = {"ciphers/openssl.hpp": "openssl/evp.h", "sframe/openssl_suites.hpp": "openssl/evp.h"}
failed = 0
checked = 0
for header in sorted(inc.glob("frameseal/**/*.hpp")):
    rel = header.relative_to(inc / "frameseal").as_posix()
    if rel.startswith("webrtc/"):
        continue  # needs libwebrtc; checked by the webrtc adapter build
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as tu:
        tu.write(f"#include <frameseal/{rel}>\n#include <frameseal/{rel}>\nint main() {{ return 0; }}\n")
    if rel in optional:
        probe = subprocess.run(cxx + ["-std=c++20", "-fsyntax-only", "-x", "c++", "-"],
                               input=f"#include <{optional[rel]}>\n", text=True, capture_output=True)
        if probe.returncode != 0:
            print(f"skip {rel} (needs {optional[rel]})")
            continue
    r = subprocess.run(cxx + ["-std=c++20", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", f"-I{inc}", tu.name],
                       capture_output=True, text=True)
    checked += 1
    if r.returncode != 0:
        failed += 1
        print(f"FAIL {rel}\n{r.stderr}")
    else:
        print(f"ok {rel}")
print(f"{checked - failed} headers compile alone, {failed} do not")
sys.exit(1 if failed or checked == 0 else 0)
