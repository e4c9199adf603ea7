#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end: the whole data plane on net_pcap devices (no NIC, no hugepages).

Runs `siehub --offline` on the golden nmsg captures (plain, 1280-byte with NMSG fragments,
512-byte fragments, zlib) with 1 and 2 workers, decodes every channel VLAN of the output with
`siehub-nmsg pcap --vlan N` (which refuses any malformed datagram), and checks each channel
against expectations computed here from the golden vectors, independently of the pipeline.
Usage: siehub_offline_test.py SIEHUB SIEHUB_NMSG TESTDATA DEMO_CONF
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

siehub, tool, td, demo_conf = sys.argv[1:5]
work = tempfile.mkdtemp(prefix="siehub-offline-")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}")


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_hub(pcap, workers, tag, extra=()):
    out = os.path.join(work, f"{tag}.pcap")
    stats = os.path.join(work, f"{tag}.json")
    p = subprocess.run([siehub, "--offline", pcap, "--out", out, "--workers", str(workers),
                        "--stats-json", stats, *extra],
                       capture_output=True, text=True, timeout=120)
    check(f"{tag}: exit 0", p.returncode == 0, p.stderr[-2000:])
    if p.returncode != 0:
        return None, None
    with open(stats) as f:
        st = json.load(f)
    return out, st


def channel(out, vlan):
    p = subprocess.run([tool, "pcap", out, "--port", "8430", "--vlan", str(vlan)],
                       capture_output=True, text=True, timeout=60)
    check(f"ch{vlan} decodes cleanly (no malformed datagram)", p.returncode == 0, p.stderr[-500:])
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


# Independent expectations from the sensor's own dnsqr file (nmsgtool made it from dns.pcap).
dnsqr = [r["message"] for r in jsonl(os.path.join(td, "nmsg/dnsqr.jsonl"))]
expect_relay = []
for m in dnsqr:
    if m.get("type") != "UDP_QUERY_RESPONSE":
        continue
    q = m.get("query_json") or {}
    if "rd" in q.get("header", {}).get("flags", []):
        continue  # client traffic: never relayed
    expect_relay.append(m)
expect_errors = sorted(m["rcode"] for m in expect_relay if m["rcode"] != "NOERROR")
expect_nx = [m for m in expect_relay if m["rcode"] == "NXDOMAIN"]
golden_ins = [r["message"] for r in jsonl(os.path.join(td, "nmsg/dnsdedupe-insertion.jsonl"))]
key_fields = ("rrname", "rrclass", "rrtype", "rdata", "bailiwick")


def rkey(m):
    return json.dumps([m.get(k) for k in key_fields])


results = {}
for pcap in ("nmsg-udp-8430", "nmsg-udp-8430-mtu1280", "nmsg-udp-8430-frag512",
             "nmsg-udp-8430-zlib"):
    for workers in (1, 2):
        tag = f"{pcap}-w{workers}"
        out, st = run_hub(os.path.join(td, "pcap", pcap + ".pcap"), workers, tag)
        if out is None:
            continue
        t = st["totals"]
        check(f"{tag}: counters reconcile", st["reconciliation"]["ok"], json.dumps(st["reconciliation"])[:800])
        check(f"{tag}: 55 payloads in", t.get("ingest.payloads_in") == 55, str(t.get("ingest.payloads_in")))

        relay = [r["message"] for r in channel(out, 202)]
        check(f"{tag}: ch202 relays every RD=0 answered UDP transaction",
              len(relay) == len(expect_relay), f"{len(relay)} != {len(expect_relay)}")
        check(f"{tag}: ch202 resolver addresses zeroed",
              all(m.get("query_ip") == "0.0.0.0" or m.get("query_ip") == "::" for m in relay))
        check(f"{tag}: ch202 resolver_address_zeroed set",
              all(m.get("resolver_address_zeroed") is True for m in relay))
        ids = sorted(m["id"] for m in relay)
        check(f"{tag}: ch202 carries exactly the expected transactions",
              ids == sorted(m["id"] for m in expect_relay))
        no_cookie = all("OPT=10: 00 00 00 00 00 00 00 00" in json.dumps(m.get("query_json", ""))
                        or "OPT=10" not in json.dumps(m.get("query_json", "")) for m in relay)
        check(f"{tag}: ch202 cookies zeroed", no_cookie)

        errors = [r["message"] for r in channel(out, 220)]
        check(f"{tag}: ch220 holds the non-zero rcodes",
              sorted(m["rcode"] for m in errors) == expect_errors, str([m["rcode"] for m in errors]))

        nx = [r["message"] for r in channel(out, 221)]
        check(f"{tag}: ch221 one dnsnx per NXDOMAIN", len(nx) == len(expect_nx))
        if nx and expect_nx:
            e = expect_nx[0]
            check(f"{tag}: ch221 fields", nx[0]["qname"] == e["qname"].lower() and
                  nx[0]["qtype"] == e["qtype"] and nx[0]["response_ip"] == e["response_ip"] and
                  nx[0].get("soa_rrname") == "example.com.", json.dumps(nx[0]))

        dd = [r["message"] for r in channel(out, 204)]
        ins = [m for m in dd if m["type"] == "INSERTION"]
        exp = [m for m in dd if m["type"] == "EXPIRATION"]
        check(f"{tag}: INSERTIONs have count 1 and first == last",
              all(m["count"] == 1 and m["time_first"] == m["time_last"] and "response_ip" in m for m in ins))
        check(f"{tag}: EXPIRATIONs have no response_ip", all("response_ip" not in m for m in exp))
        check(f"{tag}: one EXPIRATION per INSERTION at shutdown",
              sorted(map(rkey, ins)) == sorted(map(rkey, exp)))
        check(f"{tag}: no RRset inserted twice", len(set(map(rkey, ins))) == len(ins))
        check(f"{tag}: sum of EXPIRATION counts = observations",
              sum(m["count"] for m in exp) == t.get("rrsets.in_bailiwick"),
              f"{sum(m['count'] for m in exp)} != {t.get('rrsets.in_bailiwick')}")
        ours = set(map(rkey, ins))
        missing = [m["rrname"] + " " + m["rrtype"] for m in golden_ins
                   if m["rrname"] != "sub.example.com." and rkey(m) not in ours]
        check(f"{tag}: golden ch204 INSERTIONs present (except the cold-table referral)",
              not missing, str(missing))
        results[tag] = (sorted(map(rkey, ins)), sorted((rkey(m), m["count"]) for m in exp),
                        sorted(json.dumps(m, sort_keys=True) for m in relay))

# Exactness across cores and across transports: the same RRsets, counts and relayed payloads
# whatever the worker count, fragmentation or compression.
base = results.get("nmsg-udp-8430-w1")
for tag, r in results.items():
    check(f"{tag}: same channel content as nmsg-udp-8430 with 1 worker", r == base)

# IPv4 fragments (a sensor sending 8192-byte containers over a 1500-byte MTU): the golden
# capture's datagrams are cut into 1480-byte fragments, the second datagram's in reverse order,
# plus a fragmented UDP datagram to another port and the first fragment alone of a datagram that
# never completes. The hub reassembles in the slow path: the same channel content as unfragmented.
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    frames, off = [], 24
    while off < len(data):
        ts, tu, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append((ts, tu, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], frames


def ip_fragments(frame, mtu=1500):
    l2, ip = frame[:14], frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    hdr, body = bytearray(ip[:ihl]), ip[ihl:struct.unpack("!H", ip[2:4])[0]]
    step = (mtu - ihl) // 8 * 8
    out = []
    for at in range(0, len(body), step):
        chunk = body[at:at + step]
        h = bytearray(hdr)
        struct.pack_into("!H", h, 2, ihl + len(chunk))
        struct.pack_into("!H", h, 6, (0x2000 if at + step < len(body) else 0) | (at // 8))
        struct.pack_into("!H", h, 10, 0)
        s = sum(struct.unpack(f"!{ihl // 2}H", bytes(h)))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        struct.pack_into("!H", h, 10, ~s & 0xFFFF)
        out.append(l2 + bytes(h) + chunk)
    return out


def with_port(frame, port, ident):
    f = bytearray(frame)
    struct.pack_into("!H", f, 14 + 4, ident)
    ihl = (f[14] & 0x0F) * 4
    struct.pack_into("!H", f, 14 + ihl + 2, port)
    struct.pack_into("!H", f, 14 + ihl + 6, 0)  # no UDP checksum: the port was rewritten
    return bytes(f)


head, frames = read_pcap(os.path.join(td, "pcap", "nmsg-udp-8430.pcap"))
frag_frames, n_frag, n_whole = [], 0, 0
for i, (ts, tu, fr) in enumerate(frames):
    if len(fr) <= 1514:
        frag_frames.append((ts, tu, fr))
        continue
    parts = ip_fragments(fr)
    if i == 1:
        parts.reverse()
    frag_frames += [(ts, tu, p) for p in parts]
    n_frag += len(parts)
    n_whole += 1
big = max((fr for _, _, fr in frames), key=len)
other = ip_fragments(with_port(big, 9999, 0x4242))
incomplete = ip_fragments(with_port(big, 8430, 0x4343))[:1]
frag_frames += [(frames[-1][0], 0, p) for p in other + incomplete]
frag_pcap = os.path.join(work, "ipfrag.pcap")
with open(frag_pcap, "wb") as f:
    f.write(head)
    for ts, tu, fr in frag_frames:
        f.write(struct.pack("<IIII", ts, tu, len(fr), len(fr)) + fr)
for workers in (1, 2):
    tag = f"ipfrag-w{workers}"
    out, st = run_hub(frag_pcap, workers, tag)
    if out is None:
        continue
    t = st["totals"]
    check(f"{tag}: counters reconcile", st["reconciliation"]["ok"], json.dumps(st["reconciliation"])[:800])
    check(f"{tag}: every fragment to the slow path",
          t.get("rx.ipv4_fragments") == n_frag + len(other) + 1, str(t.get("rx.ipv4_fragments")))
    check(f"{tag}: complete datagrams reassembled", t.get("slow.ip_reassembled") == n_whole + 1,
          str(t.get("slow.ip_reassembled")))
    check(f"{tag}: the datagram to port 9999 is not ingest", t.get("slow.ip_not_ingest") == 1)
    check(f"{tag}: 55 payloads in", t.get("ingest.payloads_in") == 55, str(t.get("ingest.payloads_in")))
    ins = [r["message"] for r in channel(out, 204) if r["message"]["type"] == "INSERTION"]
    exp = [r["message"] for r in channel(out, 204) if r["message"]["type"] == "EXPIRATION"]
    relay = [r["message"] for r in channel(out, 202)]
    r = (sorted(map(rkey, ins)), sorted((rkey(m), m["count"]) for m in exp),
         sorted(json.dumps(m, sort_keys=True) for m in relay))
    check(f"{tag}: same channel content as unfragmented", r == base)

# Determinism: a replay gives the same content every run.
out, st = run_hub(os.path.join(td, "pcap", "nmsg-udp-8430.pcap"), 1, "again")
if out is not None:
    a = sorted(json.dumps(r["message"], sort_keys=True) for r in channel(out, 204))
    b_out = os.path.join(work, "nmsg-udp-8430-w1.pcap")
    b = sorted(json.dumps(r["message"], sort_keys=True) for r in channel(b_out, 204))
    check("replay is deterministic (ch204)", a == b)

# Qname exclusions (sie.md §2 rule 6): a participant's own zone never leaves the hub.
conf = os.path.join(work, "filter.conf")
with open(demo_conf) as f, open(conf, "w") as g:
    g.write(f.read() + '\n[[filter]]\nsuffix = "www.example.com"\naction = "drop"\n')
out, st = run_hub(os.path.join(td, "pcap", "nmsg-udp-8430.pcap"), 1, "filtered", ("--config", conf))
if out is not None:
    t = st["totals"]
    relay = [r["message"] for r in channel(out, 202)]
    www = [m for m in expect_relay if m["qname"].lower() == "www.example.com."]
    check("filter: www.example.com transactions excluded and counted",
          t.get("verify.excluded") == len(www) and len(relay) == len(expect_relay) - len(www),
          f"excluded {t.get('verify.excluded')} relay {len(relay)} www {len(www)}")
    check("filter: nothing for www.example.com on ch202",
          all(m["qname"].lower() != "www.example.com." for m in relay))
    check("filter: counters reconcile", st["reconciliation"]["ok"])

# [ingest] addresses: sensor traffic to another address is not ingest (here, with no TAP on
# the offline port, it is dropped as rx.drop_no_tap); to the listed address it is.
for addr, ingest in (("10.9.9.9", False), ("127.0.0.0/8", True)):
    conf = os.path.join(work, "addr.conf")
    with open(demo_conf) as f, open(conf, "w") as g:
        g.write(f.read().replace("[ingest]\n", f'[ingest]\naddresses = ["{addr}"]\n', 1))
    out, st = run_hub(os.path.join(td, "pcap", "nmsg-udp-8430.pcap"), 1, "addr", ("--config", conf))
    if out is not None:
        t = st["totals"]
        check(f"ingest addresses {addr}: ingest {ingest}",
              (t.get("rx.ingest", 0) == 3 and t.get("ingest.payloads_in") == 55) if ingest
              else (t.get("rx.ingest", 0) == 0 and t.get("rx.drop_no_tap") == 3), json.dumps(t)[:300])
        check(f"ingest addresses {addr}: counters reconcile", st["reconciliation"]["ok"])

# [ingest] sender_rate: the capture's one sender sends three containers within microseconds; a 10-payload bucket admits the first (a container larger than the bucket
# needs a full one) and drops the other two, counted, before any payload is decoded.
conf = os.path.join(work, "rate.conf")
with open(demo_conf) as f, open(conf, "w") as g:
    g.write(f.read().replace("[ingest]\n", "[ingest]\nsender_rate = 10\nsender_burst = 10\n", 1))
out, st = run_hub(os.path.join(td, "pcap", "nmsg-udp-8430.pcap"), 1, "rate", ("--config", conf))
if out is not None:
    t = st["totals"]
    check("sender_rate: two containers dropped", t.get("nmsg.drop_sender_rate") == 2, json.dumps(t)[:300])
    check("sender_rate: one container decoded", t.get("nmsg.containers") == 1)
    check("sender_rate: counters reconcile", st["reconciliation"]["ok"])

# With the operator's delegation for example.com (docs/bailiwick.md), the referral's NS RRset is
# in bailiwick example.com. as the golden ch204 vector has it: every golden INSERTION appears.
conf = os.path.join(work, "delegation.conf")
with open(demo_conf) as f, open(conf, "w") as g:
    g.write(f.read() + '\n[[delegation]]\nzone = "example.com"\nservers = ["192.0.2.53", "2001:db8::53"]\n')
out, st = run_hub(os.path.join(td, "pcap", "nmsg-udp-8430.pcap"), 2, "delegation", ("--config", conf))
if out is not None:
    ins = {rkey(r["message"]) for r in channel(out, 204) if r["message"]["type"] == "INSERTION"}
    missing = [m["rrname"] + " " + m["rrtype"] for m in golden_ins if rkey(m) not in ins]
    check("delegation: all 9 golden ch204 INSERTIONs present", not missing, str(missing))
    check("delegation: bailiwick resolved by the table", st["totals"].get("bailiwick.resolved_by_table", 0) > 0)
    check("delegation: counters reconcile", st["reconciliation"]["ok"])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
