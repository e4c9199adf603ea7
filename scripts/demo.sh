#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hub's main job on virtual NICs (no hardware, no hugepages): siehub replays a sensor
# capture of nmsg/dnsqr traffic through the whole data plane (decode, verify, privacy scrub,
# bailiwick, dedup, channel emitters) on net_pcap devices, then the channel VLANs of its
# output are decoded with siehub-nmsg as a participant would, and the counters shown.
set -euo pipefail
cd "$(dirname "$0")/.."
testdata=${SIEHUB_TESTDATA:-../shared/testdata}
input=${1:-$testdata/pcap/nmsg-udp-8430.pcap}

bash scripts/install-deps.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build apps/siehub/siehub apps/siehub-nmsg/siehub-nmsg >/dev/null
hub=build/apps/siehub/siehub
tool=build/apps/siehub-nmsg/siehub-nmsg
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== siehub --offline $(basename "$input") (embedded demo config, 2 workers)"
"$hub" --offline "$input" --out "$out/channels.pcap" --workers 2 --stats-json "$out/stats.json" 2>&1 |
    grep -v -e '^TELEMETRY' -e '^EAL' || true
echo
echo "== per-channel output (each channel is nmsg broadcast on its own VLAN; ch255 heartbeat is off in replays)"
for ch in 202 204 220 221; do
    n=$("$tool" pcap "$out/channels.pcap" --vlan "$ch" 2>/dev/null | wc -l)
    printf '  ch%s  %4d payloads\n' "$ch" "$n"
done
echo
echo "== counters (payloads in = accepted + dropped by reason; dedup)"
python3 - "$out/stats.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
keys = ["ingest.payloads_in", "verify.accepted", "verify.not_dnsqr", "verify.tcp", "verify.rd_set",
        "verify.type_unanswered", "relay.ch202", "relay.ch220", "relay.ch221",
        "rrsets.in_bailiwick", "dedup.out_inserted", "dedup.out_suppressed", "dedup.out_expirations"]
for k in keys:
    print(f"  {k:28} {t.get(k, 0)}")
print("  reconciliation:", "ok" if d["reconciliation"]["ok"] else "FAILED")
PY
echo
echo "== ch204 (SIE/dnsdedupe), first 4 records"
"$tool" pcap "$out/channels.pcap" --vlan 204 2>/dev/null | head -4 | cut -c1-400
echo
echo "== ch221 (SIE/dnsnx)"
"$tool" pcap "$out/channels.pcap" --vlan 221 2>/dev/null | cut -c1-400
