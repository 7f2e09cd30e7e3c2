#!/usr/bin/env python3
"""Every code block of README.md and docs/*.md is compiled or run by a test, and this checks it.

usage: check_docs.py SOURCE_ROOT FRAMESEAL_CLI

A fenced block with a language (```cpp, ```sh, ```cmake, ```meson) must follow, as the nearest
non-blank line, a marker that says who checks it:

  <!-- compiled by: tests/a.cpp[, tests/b.cpp] -->
      C++: every line of the block, without its // comment and without white space, must occur in
      the named files (also without comments and white space), which the unit tests compile and run.
      So the documented code is the tested code, whatever line breaks clang-format chose there.
  <!-- run by: tests/check_docs.py [(NAME = tests/data/FILE, ...)] -->
      sh: the block runs here as a bash script (set -euo pipefail) in a fresh folder, with
      `frameseal` = FRAMESEAL_CLI on PATH, `tests` linked to the source tree's tests/ and each NAME
      a copy of its file; it must exit 0.
  <!-- run by: FILE -->  (any other FILE)
      sh: FILE must exist and mention every command the block runs (the first word of each line).
      FILE is the test that runs them (the
      GStreamer page: tests/gst/loopback.py runs the page's commands itself, so it must name the
      page).
  <!-- entry points: SCRIPT[, SCRIPT] -->
      sh: the README's own commands (tools/demo, tools/test), which no test can run from inside
      tools/test: each command must be one of the named scripts, each an executable file of the
      repository, and .ci/run must run tools/test.
  <!-- built by: FILE[, FILE] -->
      sh compiler lines: every option (-std=, -l, -I, -L, -isystem, -Wl,...) must occur in FILE;
      cmake/meson: every call and keyword (`find_package(`, `REQUIRED`, `frameseal::openssl`) must.

Blocks without a language are program output and are not checked. Ends with "docs: N blocks
checked, M failed"; exits 1 when M > 0.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

root = pathlib.Path(sys.argv[1]).resolve()
cli = pathlib.Path(sys.argv[2]).resolve()

MARKER = re.compile(r"<!--\s*(compiled by|run by|built by|entry points):\s*(.*?)\s*-->")


def strip_cpp_comment(line):
    """The line without a // comment (a // inside a string literal stays)."""
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif line.startswith("//", i):
            return line[:i]
        i += 1
    return line


def squash(text):
    return re.sub(r"\s+", "", text)


def cpp_text(paths):
    return "".join(squash(strip_cpp_comment(l)) for p in paths for l in p.read_text().split("\n"))


def blocks(md):
    """(line number, language, marker kind, marker value, lines) of each fenced block with a language."""
    lines = md.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if lang:
            k = start - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            mk = MARKER.search(lines[k]) if k >= 0 else None
            yield start + 1, lang, (mk.group(1) if mk else None), (mk.group(2) if mk else ""), lines[start + 1 : j]
        i = j + 1


def files_of(value):
    names = re.sub(r"\(.*\)", "", value)
    return [root / n.strip() for n in names.split(",") if n.strip()]


def check_compiled(lines, value):
    paths = files_of(value)
    missing = [str(p.relative_to(root)) for p in paths if not p.exists()]
    if missing:
        return [f"no such file: {', '.join(missing)}"]
    text = cpp_text(paths)
    problems = []
    for line in lines:
        s = squash(strip_cpp_comment(line))
        if s and s not in text:
            problems.append(f"not in {value}: {line.strip()}")
    return problems


def check_run_here(lines, value, where):
    copies = dict(re.findall(r"([\w.-]+)\s*=\s*([\w./-]+)", value))
    with tempfile.TemporaryDirectory(prefix="frameseal-docs-") as d:
        bindir = pathlib.Path(d) / "bin"
        bindir.mkdir()
        (bindir / "frameseal").symlink_to(cli)
        work = pathlib.Path(d) / "work"
        work.mkdir()
        (work / "tests").symlink_to(root / "tests")
        for name, src in copies.items():
            if not (root / src).exists():
                return [f"no such sample: {src}"]
            shutil.copy(root / src, work / name)
        script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
        env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}")
        r = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            tail = (r.stderr or r.stdout).strip().split("\n")[-3:]
            return [f"exit {r.returncode}: {' | '.join(tail)}"]
        print(f"  {where}: ran, {len(r.stdout.splitlines())} lines of output")
    return []


def commands(lines):
    """The command lines of a sh block: comments dropped, continuations joined."""
    out, cur = [], ""
    for line in lines:
        line = re.sub(r"(^|\s)#.*$", "", line).rstrip()
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        if cur.strip():
            out.append(cur.strip())
        cur = ""
    return out


def check_run_by(lines, value):
    paths = files_of(value)
    if not paths or not all(p.exists() for p in paths):
        return [f"no such file: {value}"]
    text = "".join(p.read_text() for p in paths)
    problems = []
    for cmd in commands(lines):
        word = cmd.split()[0]
        if word in text:
            continue
        problems.append(f"{value} does not run `{word}`")
    return problems


def check_entry_points(lines, value):
    scripts = [n.strip() for n in value.split(",") if n.strip()]
    problems = [f"{n} is not an executable file" for n in scripts if not os.access(root / n, os.X_OK)]
    for cmd in commands(lines):
        if cmd.split()[0] not in scripts:
            problems.append(f"`{cmd.split()[0]}` is not one of the entry points {value}")
    if "tools/test" not in (root / ".ci/run").read_text():
        problems.append(".ci/run does not run tools/test")
    return problems


def check_built_by(lang, lines, value):
    paths = files_of(value)
    if not paths or not all(p.exists() for p in paths):
        return [f"no such file: {value}"]
    text = "".join(p.read_text() for p in paths)
    problems = []
    if lang == "sh":
        for cmd in commands(lines):
            for tok in cmd.split()[1:]:
                if not tok.startswith("-"):
                    continue
                if tok.startswith("-l") or tok.startswith("-std="):
                    want = tok
                else:
                    want = re.match(r"-[A-Za-z]+(,-rpath,)?", tok).group(0)
                if want not in text:
                    problems.append(f"{value} does not use {want}")
    else:
        code = "\n".join(re.sub(r"#.*$", "", l) for l in lines)
        wants = set(re.findall(r"\b(\w+)\(", code))
        wants |= set(re.findall(r"\b[A-Z][A-Z_]{2,}\b", code))
        wants |= set(re.findall(r"frameseal[\w:-]*", code))
        for w in sorted(wants):
            if w.startswith("CMAKE_"):
                continue  # the consumer test points at the tree another way
            if w not in text:
                problems.append(f"{value} does not use {w}")
    return problems


docs = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
checked = failed = 0
for md in docs:
    for line, lang, kind, value, body in blocks(md):
        where = f"{md.relative_to(root)}:{line}"
        checked += 1
        if kind is None:
            problems = [f"a ```{lang} block without a <!-- compiled by / run by / built by: ... --> line"]
        elif kind == "compiled by":
            problems = check_compiled(body, value)
        elif kind == "run by" and value.startswith("tests/check_docs.py"):
            problems = check_run_here(body, value, where)
        elif kind == "run by":
            problems = check_run_by(body, value)
        elif kind == "entry points":
            problems = check_entry_points(body, value)
        else:
            problems = check_built_by(lang, body, value)
        for p in problems:
            print(f"{where}: {p}")
        if problems:
            failed += 1
print(f"docs: {checked} blocks checked, {failed} failed")
sys.exit(1 if failed else 0)
