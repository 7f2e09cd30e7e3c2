#!/usr/bin/env python3
"""Prints the tests/unit-*.cpp files, one per line (meson reads this list at configure time)."""
import pathlib

here = pathlib.Path(__file__).parent
print("\n".join(sorted(p.name for p in here.glob("unit-*.cpp"))))
