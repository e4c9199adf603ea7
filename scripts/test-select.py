#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Picks tests of a configured meson build dir and the ninja targets they need.

    test-select.py BUILD_DIR [--skip-suite S]... [--keep TEST]...

Prints two lines: the build outputs (relative to BUILD_DIR) the selected tests depend on, and
the selected test names. A test is selected unless one of its suites is skipped; --keep selects
a test whatever its suites. scripts/test.sh uses it so that the sanitizer build compiles only
what its tests run (the unit and fuzz suites and the e2e tests that drive siehub itself).
"""

import argparse
import json
import os
import subprocess
import sys


def introspect(build, what):
    out = subprocess.run(["meson", "introspect", build, what], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--skip-suite", action="append", default=[])
    ap.add_argument("--keep", action="append", default=[])
    a = ap.parse_args()
    tests = introspect(a.build, "--tests")
    files = {t["id"]: t["filename"] for t in introspect(a.build, "--targets")}
    skip = {f"siehub:{s}" for s in a.skip_suite} | set(a.skip_suite)
    names, outputs = [], set()
    unknown = set(a.keep) - {t["name"] for t in tests}
    if unknown:
        sys.exit(f"test-select: no such test: {', '.join(sorted(unknown))}")
    for t in tests:
        if t["name"] not in a.keep and skip.intersection(t["suite"]):
            continue
        names.append(t["name"])
        for d in t["depends"]:
            for f in files.get(d, []):
                outputs.add(os.path.relpath(f, os.path.abspath(a.build)))
    print(" ".join(sorted(outputs)))
    print(" ".join(names))


if __name__ == "__main__":
    main()
