#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of the offline tool against the real nmsgtool's golden outputs.
# Usage: siehub_nmsg_test.sh TOOL TESTDATA
set -uo pipefail
tool=$1
td=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() { # name, command...
    local name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name"
    fi
}

# 1. read: every golden nmsg file renders byte-identical to nmsgtool -J.
for f in "$td"/nmsg/*.nmsg; do
    base=${f%.nmsg}
    golden=$base.jsonl
    [ "$(basename "$f")" = quirks-nocrc.nmsg ] && golden=$td/nmsg/quirks.jsonl
    [ -f "$golden" ] || continue
    check "read $(basename "$f")" bash -c "'$tool' read '$f' > '$work/out.jsonl' && cmp -s '$work/out.jsonl' '$golden'"
done

# 2. read from stdin, several files concatenated as one stream (the pcap vectors' stream.nmsg).
stream=("$td/nmsg/dnsqr.nmsg" "$td/nmsg/dnsdedupe-insertion.nmsg" "$td/nmsg/dnsdedupe-expiration.nmsg"
        "$td/nmsg/newdomain.nmsg" "$td/nmsg/dnsnx.nmsg")
check "read several files" bash -c "'$tool' read ${stream[*]} > '$work/s.jsonl' && cmp -s '$work/s.jsonl' '$td/pcap/nmsg-udp-8430.jsonl'"
check "read stdin" bash -c "cat ${stream[*]} | '$tool' read - > '$work/s2.jsonl' && cmp -s '$work/s2.jsonl' '$td/pcap/nmsg-udp-8430.jsonl'"

# 3. pcap: every nmsg capture gives the receiving nmsgtool's output.
for p in nmsg-udp-8430 nmsg-udp-8430-mtu1280 nmsg-udp-8430-frag512 nmsg-udp-8430-zlib \
         nmsg-udp-8430-zlib-frag512 nmsg-bcast-8430 nmsg-udp-8430-mtu1280-loss; do
    check "pcap $p" bash -c "'$tool' pcap '$td/pcap/$p.pcap' > '$work/p.jsonl' 2>'$work/p.err' && cmp -s '$work/p.jsonl' '$td/pcap/$p.jsonl'"
done
check "pcap vlan213" bash -c "'$tool' pcap '$td/pcap/nmsg-bcast-8430-vlan213.pcap' > '$work/v.jsonl' && cmp -s '$work/v.jsonl' '$td/pcap/nmsg-bcast-8430.jsonl'"
# loss: nmsgtool's totals line for the lossy capture.
check "pcap loss totals" bash -c "'$tool' pcap '$td/pcap/nmsg-udp-8430-mtu1280-loss.pcap' 2>&1 >/dev/null | grep -q 'container_recvs 10 container_drops 3'"
check "pcap no loss" bash -c "'$tool' pcap '$td/pcap/nmsg-udp-8430-mtu1280.pcap' 2>&1 >/dev/null | grep -q 'container_recvs 13 container_drops 0'"
# headerless zlib bug datagrams are dropped and counted, the rest decodes.
check "pcap headerless bug" bash -c "'$tool' pcap --skip-bad '$td/pcap/nmsg-udp-8430-zlib-mtu1280-headerless-bug.pcap' 2>'$work/h.err' >'$work/h.jsonl'; grep -q 'bad_magic' '$work/h.err'"
check "pcap headerless bug fails without skip" bash -c "! '$tool' pcap '$td/pcap/nmsg-udp-8430-zlib-mtu1280-headerless-bug.pcap' >/dev/null 2>&1"
# --port filters: nothing on port 9999.
check "pcap port filter" bash -c "[ \"\$('$tool' pcap --port 9999 '$td/pcap/nmsg-udp-8430.pcap' | wc -l)\" = 0 ]"

# 4. pcap → nmsg file → read: same payloads.
check "pcap to nmsg" bash -c "'$tool' pcap '$td/pcap/nmsg-udp-8430-frag512.pcap' --nmsg '$work/f.nmsg' && '$tool' read '$work/f.nmsg' | cmp -s - '$td/pcap/nmsg-udp-8430-frag512.jsonl'"

# 5. write: JSON → nmsg; identical bytes where nmsgtool's -j round trip is identical.
for x in dnsdedupe-insertion dnsdedupe-expiration dnsdedupe-rdata-types dnsdedupe-bigsig dnsnx; do
    check "write $x" bash -c "'$tool' write --from-json '$td/nmsg/$x.jsonl' -o '$work/w.nmsg' && cmp -s '$work/w.nmsg' '$td/nmsg/$x.nmsg'"
done
check "write newdomain input" bash -c "'$tool' write --from-json '$td/nmsg/newdomain.input.jsonl' -o '$work/n.nmsg' && '$tool' read '$work/n.nmsg' | cmp -s - '$td/nmsg/newdomain.jsonl'"
check "write zlib 1280" bash -c "'$tool' write --from-json '$td/nmsg/dnsdedupe-rdata-types.jsonl' -o '$work/z.nmsg' --zlib --container-size 1280 && '$tool' read '$work/z.nmsg' | cmp -s - '$td/nmsg/dnsdedupe-rdata-types.jsonl'"
# Payloads larger than the container keep their place in the order (as libnmsg writes them).
check "write 1280 keeps order" bash -c "'$tool' write --from-json '$td/pcap/nmsg-udp-8430.jsonl' -o '$work/o.nmsg' --container-size 1280 && '$tool' read '$work/o.nmsg' | cmp -s - '$td/pcap/nmsg-udp-8430.jsonl'"
check "read --nmsg" bash -c "'$tool' read '$td/nmsg/dnsnx.nmsg' --nmsg '$work/r.nmsg' && cmp -s '$work/r.nmsg' '$td/nmsg/dnsnx.nmsg'"

# 6. malformed input: a clear message with file and offset, non-zero exit; --skip-bad counts.
head -c 100 "$td/nmsg/dnsqr.nmsg" > "$work/trunc.nmsg"
check "truncated fails" bash -c "! '$tool' read '$work/trunc.nmsg' >/dev/null 2>'$work/t.err' && grep -q 'trunc.nmsg' '$work/t.err' && grep -q 'offset 0' '$work/t.err'"
{ cat "$td/nmsg/dnsnx.nmsg"; printf 'XXXXjunkjunk'; cat "$td/nmsg/dnsnx.nmsg"; } > "$work/junk.nmsg"
n=$(stat -c %s "$td/nmsg/dnsnx.nmsg")
check "junk offset" bash -c "! '$tool' read '$work/junk.nmsg' >/dev/null 2>'$work/j.err' && grep -q 'offset $n' '$work/j.err'"
check "skip-bad continues" bash -c "'$tool' read --skip-bad '$work/junk.nmsg' 2>'$work/j2.err' | wc -l | grep -qx 6 && grep -q 'bad_magic' '$work/j2.err'"
printf '{"time":"2026-11-22 21:15:03.629181000","vname":"SIE","mname":"nosuch","message":{}}\n' > "$work/bad.jsonl"
check "bad json fails" bash -c "! '$tool' write --from-json '$work/bad.jsonl' -o '$work/b.nmsg' 2>'$work/b.err' && grep -q 'bad.jsonl' '$work/b.err'"
check "help" bash -c "'$tool' --help | grep -q pcap && '$tool' pcap --help | grep -q -- --port"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
