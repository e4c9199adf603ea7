#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every profile in drivers-config/ passes `siehub --check --config F`.
# usage: drivers_config_test.sh SIEHUB DRIVERS_CONFIG_DIR
set -u
siehub=$1
dir=$2
n=0
bad=0
for f in "$dir"/*.conf; do
    n=$((n + 1))
    if out=$("$siehub" --check --config "$f" 2>&1); then
        echo "ok   $f"
    else
        echo "FAIL $f"
        echo "$out" | tail -5
        bad=$((bad + 1))
    fi
done
# The profiles the issue names must exist.
for p in mlx5 ice i40e ixgbe virtio net_pcap net_ring net_memif net_af_packet net_tap; do
    if [ ! -f "$dir/siehub-$p.conf" ]; then
        echo "FAIL missing profile siehub-$p.conf"
        bad=$((bad + 1))
    fi
done
echo "$n profiles, $bad failure(s)"
[ "$bad" -eq 0 ]
