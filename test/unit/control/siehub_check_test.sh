#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The siehub CLI contract around --check: exit 0 on valid configs, 1 with file:line on a broken
# one, 2 on usage errors; --help carries the man-page sections.
set -u
siehub=$1
root=$2
broken=$3
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail=0

expect() { # expect STATUS DESCRIPTION -- ARGS...
    want=$1
    what=$2
    shift 3
    "$siehub" "$@" >"$out" 2>"$err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"
        cat "$out" "$err"
        fail=1
    else
        echo "ok: $what (exit $got)"
    fi
}

expect 0 "demo config" -- --config "$root/drivers-config/siehub-demo.conf" --check
grep -q "^config ok: $root/drivers-config/siehub-demo.conf" "$out" || { echo "FAIL: no 'config ok'"; fail=1; }
grep -q "^channel 204: vlan 204 -> ff:ff:ff:ff:ff:ff 192.0.2.255:8430 via out0" "$out" ||
    { echo "FAIL: demo summary lacks channel 204"; cat "$out"; fail=1; }

expect 0 "example config" -- --config "$root/drivers-config/siehub-example.conf" --check
grep -q "^port sensors (ingest): 0000:3b:00.0" "$out" || { echo "FAIL: example summary"; cat "$out"; fail=1; }
grep -q "^delegations: 1 static bailiwick zone(s), 2 server address(es)" "$out" ||
    { echo "FAIL: example summary lacks the delegation"; cat "$out"; fail=1; }

expect 0 "embedded default" -- --check
grep -q "^config ok: <embedded siehub-demo.conf>" "$out" || { echo "FAIL: embedded"; fail=1; }

expect 0 "offline override" -- --check --offline in.pcap --out out.pcap --workers 2
grep -q "^port offline (both): net_pcap_siehub0,rx_pcap=in.pcap,tx_pcap=out.pcap" "$out" ||
    { echo "FAIL: offline summary"; cat "$out"; fail=1; }
grep -q "2 worker(s) on lcores 1 2" "$out" || { echo "FAIL: --workers"; cat "$out"; fail=1; }

expect 1 "broken config" -- --config "$broken" --check
grep -q "^$broken:12:8: 'vlan' = 4095 is out of range 1..4094" "$err" ||
    { echo "FAIL: broken config message does not name line 12"; cat "$err"; fail=1; }

expect 1 "missing config" -- --config /nonexistent/siehub.conf --check
expect 2 "--offline without --out" -- --offline in.pcap --check
expect 2 "unknown option" -- --frobnicate
expect 2 "--workers 0" -- --workers 0 --check

expect 0 "--help" -- --help
for section in "--config FILE" "--check" "--duration S" "--stats-json FILE" "--workers N" \
    "--offline IN.pcap" "--out OUT.pcap" FILES EXAMPLES "EXIT STATUS"; do
    grep -q -- "$section" "$out" || { echo "FAIL: --help lacks '$section'"; fail=1; }
done
exit $fail
