#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds siehub and runs every test: the normal build (unit, differential, golden, e2e and fuzz
# corpus replay), then an ASan+UBSan build that replays the fuzz corpora and the unit tests.
# Ends with meson's summaries and one plain line "N passed, N failed"; exits non-zero on any
# failure. Usage: bash scripts/test.sh [--no-sanitize]
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1

sanitize=1
[ "${1:-}" = "--no-sanitize" ] && sanitize=0
jobs=$(nproc)

setup() { # dir, extra args…
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

status=0
setup build || exit 1
ninja -C build -j"$jobs" || exit 1
meson test -C build --print-errorlogs --num-processes "$jobs" || status=1

if [ $sanitize -eq 1 ]; then
    setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized -Dbench=false \
        || exit 1
    ninja -C build-asan -j"$jobs" || exit 1
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        meson test -C build-asan --print-errorlogs --num-processes "$jobs" --no-suite slow || status=1
fi

python3 - "$sanitize" <<'PY'
import json, sys
passed = failed = skipped = 0
dirs = ["build"] + (["build-asan"] if sys.argv[1] == "1" else [])
for d in dirs:
    try:
        with open(f"{d}/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line)
                s = r.get("result")
                if s in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif s == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
