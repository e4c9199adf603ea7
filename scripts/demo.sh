#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job as it stands: build siehub, then run the offline nmsg tool on the golden nmsg
# captures (fragmented, zlib, lossy) the way a participant's receiver would, showing decoded
# JSON Lines and the per-sender sequence-loss report. No NIC, no hugepages.
set -euo pipefail
cd "$(dirname "$0")/.."
testdata=${SIEHUB_TESTDATA:-../shared/testdata}

bash scripts/install-deps.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build apps/siehub-nmsg/siehub-nmsg >/dev/null
tool=build/apps/siehub-nmsg/siehub-nmsg

echo "== 512-byte fragmented nmsg stream (fragments reassembled): first 3 payloads"
"$tool" pcap "$testdata/pcap/nmsg-udp-8430-frag512.pcap" --json 2>/dev/null |
    { head -3 | cut -c1-300; cat >/dev/null; }
echo
echo "== zlib + fragmented stream: payload count per message type"
"$tool" pcap "$testdata/pcap/nmsg-udp-8430-zlib-frag512.pcap" --json 2>/dev/null |
    sed -E 's/.*"vname":"([^"]*)","mname":"([^"]*)".*/\1\/\2/' | sort | uniq -c
echo
echo "== lossy 1280-byte stream: sequence loss per sender (stderr)"
"$tool" pcap "$testdata/pcap/nmsg-udp-8430-mtu1280-loss.pcap" --json >/dev/null
echo
echo "== SIE/dnsdedupe file round trip: JSON -> nmsg -> JSON is byte-identical"
out=$(mktemp -d)
"$tool" write --from-json "$testdata/nmsg/dnsdedupe-insertion.jsonl" -o "$out/d.nmsg"
"$tool" read "$out/d.nmsg" > "$out/d.jsonl"
cmp "$out/d.jsonl" "$testdata/nmsg/dnsdedupe-insertion.jsonl" && echo "identical ($(wc -l < "$out/d.jsonl") records)"
rm -rf "$out"
