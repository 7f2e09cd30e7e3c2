#!/usr/bin/env python3
"""Checks that include/frameseal/version.hpp says what VERSION (the one source) says, and that the
CLI's `frameseal --version` does too when its path is given."""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(sys.argv[1])
want = (root / "VERSION").read_text().strip()
if not re.fullmatch(r"\d+\.\d+\.\d+", want):
    sys.exit(f"VERSION: expected MAJOR.MINOR.PATCH, got {want!r}")
major, minor, patch = want.split(".")
hpp = (root / "include/frameseal/version.hpp").read_text()
macros = dict(re.findall(r"#define FRAMESEAL_(VERSION_\w+|ABI_NAMESPACE) (\S+)", hpp))
expected = {
    "VERSION_MAJOR": major,
    "VERSION_MINOR": minor,
    "VERSION_PATCH": patch,
    "VERSION_STRING": f'"{want}"',
    "ABI_NAMESPACE": f"v{major}_{minor}_{patch}",
}
bad = [f"{k} is {macros.get(k)!r}, expected {v!r}" for k, v in expected.items() if macros.get(k) != v]
if len(sys.argv) > 2:
    out = subprocess.run([sys.argv[2], "--version"], capture_output=True, text=True).stdout.strip()
    if out != f"frameseal {want}":
        bad.append(f"frameseal --version prints {out!r}, expected 'frameseal {want}'")
if bad:
    sys.exit("version.hpp / CLI disagree with VERSION " + want + ": " + "; ".join(bad))
print(f"version {want}: VERSION, version.hpp and the CLI agree")
