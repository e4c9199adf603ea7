#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer target (clang-14, ASan+UBSan) for a while, each on a copy of its seed
# corpus, and prints executions and findings. Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
if [ ! -f build-fuzz/build.ninja ]; then
    CXX=clang++-14 meson setup build-fuzz -Dfuzzing=true -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz
for exe in build-fuzz/test/fuzz/fuzz_*; do
    [ -x "$exe" ] || continue
    name=$(basename "$exe")
    work=$(mktemp -d)
    cp -r "test/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
    mkdir -p "build-fuzz/findings/$name"
    echo "== $name ($secs s)"
    "$exe" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$name/" \
        "$work" 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' || true
    rm -rf "$work"
done
