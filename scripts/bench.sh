#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One command for the pipeline benchmark: builds siehub, siehub-gen and tsc_hz in release and
# runs bench/pipeline/run_bench.py (siehub on net_pcap infinite RX of a siehub-gen pcap next to
# dpdk-testpmd io-forwarding on the same pcap, 1..N workers (N = nproc - 1 by default), then
# finite 1280/8192 replays), printing a table (frames/s, payloads/s, cycles per payload,
# drops, the ratio to the I/O floor, cycles per payload per stage, peak memory) and writing
# bench/pipeline/results-<date>-<commit>.json. docs/performance.md explains it.
#
#   scripts/bench.sh [--build DIR] [--at REV] [run_bench.py options...]
#     --build DIR   meson build directory (default: build-bench; set up as release if missing)
#     --at REV      benchmark commit REV: a `git archive` snapshot built in its own directory
#                   (compare commits without touching the working tree)
#   run_bench.py options: --duration S, --workers 1,2 | --max-workers N, --payloads N, --dup R,
#     --pcap F (your own capture), --replay-payloads N (0: skip), --json, --no-stage-cycles
#   e.g. scripts/bench.sh --duration 20 --max-workers 3
#        scripts/bench.sh --at HEAD~3 --json > old.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
at=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$(realpath -m "$2"); shift 2 ;;
    --at) at="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
src="$root"
commit=$(git -C "$root" rev-parse --short HEAD)
if [ -n "$at" ]; then
    commit=$(git -C "$root" rev-parse --short "$at")
    src="${TMPDIR:-/tmp}/siehub-bench-src-$commit"
    if [ ! -d "$src" ]; then
        mkdir -p "$src"
        git -C "$root" archive "$commit" | tar -x -C "$src"
    fi
    # The snapshot may predate the harness: use this checkout's bench/pipeline.
    mkdir -p "$src/bench/pipeline"
    cp "$root"/bench/pipeline/*.cpp "$root"/bench/pipeline/*.py "$root"/bench/pipeline/meson.build \
        "$src/bench/pipeline/"
    # ... and this checkout's generator when the snapshot predates it.
    if [ ! -d "$src/apps/siehub-gen" ]; then
        cp -r "$root/apps/siehub-gen" "$src/apps/"
        echo "subdir('siehub-gen')" >> "$src/apps/meson.build"
    fi
    if ! grep -q "subdir('pipeline')" "$src/bench/meson.build"; then
        echo "subdir('pipeline')" >> "$src/bench/meson.build"
    fi
    build="$src/build-bench"
elif [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    commit="$commit-dirty"
fi
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$src" --buildtype=release >/dev/null
fi
# Two jobs at most: this machine is shared (and measurements want the cores anyway).
ninja -C "$build" -j2 apps/siehub/siehub apps/siehub-gen/siehub-gen bench/pipeline/tsc_hz >/dev/null
exec python3 "$root/bench/pipeline/run_bench.py" --build "$build" --commit "$commit" \
    --results-dir "$root/bench/pipeline" "${args[@]}"
