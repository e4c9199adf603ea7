#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reserve (or show, or release) hugepages for siehub and siehub-gen; wraps DPDK's
# dpdk-hugepages.py (Debian package dpdk). Needs root.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/hugepages.sh SIZE [--node N] [--pagesize 2M|1G]   reserve SIZE (e.g. 4G, 512M)
       scripts/hugepages.sh --show                                 what is reserved and mounted
       scripts/hugepages.sh --clear                                release every reservation

Reserves SIZE of hugepages (2 MiB pages by default; 1 GiB pages need them enabled on the kernel
command line: default_hugepagesz=1G hugepagesz=1G hugepages=N) on every NUMA node or on node N,
and mounts hugetlbfs at /dev/hugepages if nothing is mounted. The hub's profiles for real NICs
use --socket-mem=4096 (4 GiB per socket). Size it from the dedup table (about 160 bytes per
entry and worker, lib/dedup/README.md: 16 M entries x 4 workers is about 10 GiB) plus
the mbuf pools (tens of MiB); raise --socket-mem in the profile to match.
Virtual-device profiles (net_pcap, net_ring, net_memif, net_tap, net_af_packet) run with
--no-huge and need none of this.
USAGE
}

tool=$(command -v dpdk-hugepages.py || true)
if [ -z "$tool" ]; then
    echo "hugepages.sh: dpdk-hugepages.py not found (apt-get install dpdk)" >&2
    exit 1
fi
case "${1:-}" in
"" | -h | --help) usage; exit 0 ;;
--show) exec "$tool" --show ;;
--clear) exec "$tool" --clear --unmount ;;
-*) usage >&2; exit 2 ;;
esac
size=$1
shift
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --node) args+=(--node "$2"); shift 2 ;;
    --pagesize) args+=(--pagesize "$2"); shift 2 ;;
    *) usage >&2; exit 2 ;;
    esac
done
mount_args=()
if ! grep -q hugetlbfs /proc/mounts; then
    mount_args=(--mount)
fi
"$tool" --reserve "$size" "${args[@]}" "${mount_args[@]}"
exec "$tool" --show
