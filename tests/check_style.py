#!/usr/bin/env python3
"""Every C/C++ source line and every line of a code block (```cpp, ```sh, ...; not the bare ```
blocks that show a program's output) in README.md and docs/ stays within .clang-format's
ColumnLimit (the project is formatted with `clang-format -i --sort-includes=false`).

usage: check_style.py SOURCE_ROOT
Prints each offending file:line and ends with "N files checked, M lines too long"; exits 1 if M > 0.
"""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(sys.argv[1])
limit = int(re.search(r"^ColumnLimit:\s*(\d+)", (root / ".clang-format").read_text(), re.M).group(1))

tracked = subprocess.run(["git", "-C", str(root), "ls-files"], capture_output=True, text=True)
if tracked.returncode == 0:
    files = [root / f for f in tracked.stdout.split()]
else:  # a source tree without git (an unpacked release): every file
    files = [p for p in root.rglob("*") if p.is_file()]
skip = ("build", "node_modules", "subprojects")
files = [f for f in files if f.exists() and not any(part in skip for part in f.relative_to(root).parts)]

sources = [f for f in files if f.suffix in (".hpp", ".cpp", ".h", ".c", ".cc")]
docs = [f for f in files if f.suffix == ".md" and (f.parent == root or f.relative_to(root).parts[0] == "docs")]

bad = 0
for f in sources:
    for n, line in enumerate(f.read_text(encoding="utf-8").split("\n"), 1):
        if len(line) > limit:
            print(f"{f.relative_to(root)}:{n}: {len(line)} columns (limit {limit})")
            bad += 1
for f in docs:
    fenced, code = False, False
    for n, line in enumerate(f.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith("```"):
            fenced = not fenced
            code = fenced and line[3:].strip() != ""  # ```cpp, ```sh, ...; a bare ``` block is output
            continue
        if code and len(line) > limit:
            print(f"{f.relative_to(root)}:{n}: code block line of {len(line)} columns (limit {limit})")
            bad += 1
print(f"{len(sources) + len(docs)} files checked, {bad} lines too long")
sys.exit(1 if bad else 0)
