#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds siehub and runs every test: the normal build (unit, differential, golden, e2e and fuzz
# corpus replay), then an ASan+UBSan build that replays the fuzz corpora and the unit tests and
# runs the e2e tests of siehub itself (scripts/test-select.py picks them and their targets).
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
        # (setup --reconfigure keeps an existing dir's cpp_args; configure applies them)
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

status=0
setup build || exit 1
ninja -C build -j"$jobs" || exit 1
meson test -C build --print-errorlogs --num-processes "$jobs" || status=1

if [ $sanitize -eq 1 ]; then
    # -O1 with line tables only (-g1): about half the compile time of -O2 -g, and ASan reports
    # still name file:line. The sanitizer run covers every unit and fuzz-corpus test and the
    # e2e tests that drive siehub itself (hostile captures, the veth exception path, AXA in the
    # hub); the other tools' e2e tests run in the normal build above.
    setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Ddebug=false \
        -Dcpp_args=-g1 -Dbench=false || exit 1
    { read -r asan_targets; read -r asan_tests; } < <(python3 scripts/test-select.py build-asan \
        --skip-suite e2e --keep siehub_offline_e2e --keep siehub_veth_e2e --keep siehub_hub_sra_e2e \
        --keep siehub_nmsg_e2e --keep drivers_config_check) || exit 1
    # shellcheck disable=SC2086 # word lists
    ninja -C build-asan -j"$jobs" $asan_targets || exit 1
    # shellcheck disable=SC2086
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        meson test -C build-asan --no-rebuild --print-errorlogs --num-processes "$jobs" $asan_tests \
        || status=1
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
