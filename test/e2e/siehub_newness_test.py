#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end: the newness channels 211-214 (sie.md §4, docs/newness.md) through the whole hub.

The sensor traffic is the golden dnsqr capture (testdata/nmsg/dnsqr.jsonl), re-timed here and
written as nmsg-over-UDP pcaps: P0 at its own time, P12 the same traffic 12 days later. The
expected 211-214 records are computed here from the hub's own ch204 INSERTIONs with an
independent model of sie.md §4 and libpsl (ctypes) for base domains, not with the engine.
Checks: exact records with 1 worker; the same NOD/NAD set and "new once hub-wide" with 2
workers (cross-shard handoff exercised); NAD on payload time; restart persistence (nothing new
on a replay); a damaged snapshot refused (and accepted with start_empty); kill -9 loses at most
one snapshot interval.
Usage: siehub_newness_test.py SIEHUB SIEHUB_NMSG SIEHUB_SEEN TESTDATA DEMO_CONF [channels|persistence]
(the two halves run as two tests to keep each short; without the last argument, both).
"""
import ctypes
import datetime
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

siehub, tool, seen_tool, td, demo_conf = sys.argv[1:6]
mode = sys.argv[6] if len(sys.argv) > 6 else "all"
do_channels = mode in ("all", "channels")
do_persistence = mode in ("all", "persistence")
work = tempfile.mkdtemp(prefix="siehub-newness-")
PSL_PATH = "/usr/share/publicsuffix/public_suffix_list.dat"
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}")


# ------------------------------------------------------------------ independent PSL (libpsl)
libpsl = ctypes.CDLL("libpsl.so.5")
libpsl.psl_load_file.restype = ctypes.c_void_p
libpsl.psl_load_file.argtypes = [ctypes.c_char_p]
libpsl.psl_registrable_domain.restype = ctypes.c_char_p
libpsl.psl_registrable_domain.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
psl = libpsl.psl_load_file(PSL_PATH.encode())
assert psl, "libpsl cannot load the list"


def base_of(name):
    n = name.rstrip(".").lower()
    r = libpsl.psl_registrable_domain(psl, n.encode())
    return None if r is None else r.decode() + "."


# --------------------------------------------------------------------------- input pcaps
def shifted_jsonl(days, seconds=0):
    out = []
    delta = days * 86400 + seconds
    with open(os.path.join(td, "nmsg/dnsqr.jsonl")) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            t = datetime.datetime.strptime(r["time"][:19], "%Y-%m-%d %H:%M:%S")
            t += datetime.timedelta(seconds=delta)
            r["time"] = t.strftime("%Y-%m-%d %H:%M:%S") + r["time"][19:]
            m = r["message"]
            for k in ("query_time_sec", "response_time_sec"):
                if k in m:
                    m[k] = [v + delta for v in m[k]]
            out.append(json.dumps(r))
    return out


def nmsg_units(path):
    d = open(path, "rb").read()
    off = 0
    while off < len(d):
        assert d[off:off + 4] == b"NMSG"
        (length,) = struct.unpack(">I", d[off + 6:off + 10])
        yield d[off:off + 10 + length]
        off += 10 + length


def ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def write_pcap(path, parts, container_size=8192):
    """parts: lists of JSON lines; each list becomes containers of up to container_size bytes."""
    frames = []
    units = {}
    for i, lines in enumerate(parts):
        key = tuple(lines)
        if key not in units:
            j = os.path.join(work, f"part-{container_size}-{len(units)}.jsonl")
            n = j + ".nmsg"
            with open(j, "w") as f:
                f.write("\n".join(lines) + "\n")
            subprocess.run([tool, "write", "--from-json", j, "-o", n, "--container-size",
                            str(container_size)], check=True, capture_output=True)
            units[key] = list(nmsg_units(n))
        for u in units[key]:
            udp = struct.pack("!HHHH", 41621, 8430, 8 + len(u), 0) + u
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), len(frames) & 0xFFFF, 0x4000,
                             64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
            frames.append(b"\0" * 12 + b"\x08\x00" + ip + udp)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for k, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1795382289 + k, 0, len(fr), len(fr)))
            f.write(fr)


p0 = os.path.join(work, "p0.pcap")
p0_small = os.path.join(work, "p0-1280.pcap")  # net_pcap's infinite_rx takes single-segment frames
write_pcap(p0_small, [shifted_jsonl(0)], 1280)
pnad = os.path.join(work, "p0-p12.pcap")
write_pcap(p0, [shifted_jsonl(0)])
# The dedup table expires idle entries on its tick, after a burst's lookups, so a replay whose
# clock jumps inside one RX burst would find the old entries still cached. 40 single-container
# frames carrying an NXDOMAIN answer (no RRsets) 12 days later move the clock first, so the
# replay's RRsets are INSERTIONs again, as they would be on a live hub after the gap.
nx_line = [l for l in shifted_jsonl(12, -3600) if json.loads(l)["message"].get("rcode") == "NXDOMAIN"][0]
write_pcap(pnad, [shifted_jsonl(0)] + [[nx_line]] * 40 + [shifted_jsonl(12)])

base_conf = open(demo_conf).read().replace("[dedup]", """[[channel]]
number = 211

[[channel]]
number = 212

[[channel]]
number = 213

[[channel]]
number = 214

[dedup]""")


def conf(tag, snap_dir, extra=""):
    p = os.path.join(work, tag + ".conf")
    with open(p, "w") as f:
        f.write(base_conf + f"""
[newness]
enabled = true
snapshot_dir = "{snap_dir}"
snapshot_interval = "1s"
{extra}
""")
    return p


def run_hub(tag, pcap, workers, snap_dir, extra="", expect_ok=True):
    t0 = time.time()
    try:
        return run_hub_(tag, pcap, workers, snap_dir, extra, expect_ok)
    finally:
        if os.environ.get("NEWNESS_TEST_TIMES"):
            print(f"{tag}: {time.time() - t0:.2f} s")


def run_hub_(tag, pcap, workers, snap_dir, extra, expect_ok):
    out = os.path.join(work, f"{tag}.pcap")
    stats = os.path.join(work, f"{tag}.json")
    p = subprocess.run([siehub, "--config", conf(tag, snap_dir, extra), "--offline", pcap, "--out",
                        out, "--workers", str(workers), "--stats-json", stats],
                       capture_output=True, text=True, timeout=60)
    if not expect_ok:
        return p, None, None
    check(f"{tag}: exit 0", p.returncode == 0, p.stderr[-2000:])
    if p.returncode != 0:
        return p, None, None
    with open(stats) as f:
        st = json.load(f)
    check(f"{tag}: counters reconcile", st["reconciliation"]["ok"],
          json.dumps(st["reconciliation"])[:1500])
    return p, out, st


def channel(out, vlan):
    p = subprocess.run([tool, "pcap", out, "--port", "8430", "--vlan", str(vlan)],
                       capture_output=True, text=True, timeout=60)
    check(f"ch{vlan} decodes cleanly", p.returncode == 0, p.stderr[-500:])
    return [json.loads(l)["message"] for l in p.stdout.splitlines() if l.strip()]


# ------------------------------------------------------------- the model of sie.md §4
NAME_TYPES = {"NS", "CNAME", "DNAME", "PTR", "MX", "SRV"}


def rdata_names(m):
    if m["rrtype"] not in NAME_TYPES:
        return []
    return [r.split()[-1] for r in m["rdata"]]


def model(insertions, nad_days=10):
    fqdns, bases, owners, facts = set(), {}, set(), set()
    out = []
    for m in insertions:
        done = set()
        day = m["time_first_s"] // 86400

        def put(ch, dom, extra=None):
            if (ch, dom) in done:
                return
            done.add((ch, dom))
            out.append((ch, dom, m["rrname"], m["rrtype"], tuple(m["rdata"]), extra))

        owner = m["rrname"].lower()
        names = [owner] + [n.lower() for n in rdata_names(m)]
        owner_base = None
        owner_base_new = False
        for i, n in enumerate(names):
            b = base_of(n)
            if b is None:
                continue
            if i == 0:
                owner_base = b
            if n not in fqdns:
                fqdns.add(n)
                put(213, b)
            if n.rstrip(".").endswith(".arpa") or n == "arpa.":
                continue
            if b not in bases:
                bases[b] = day
                if i == 0:
                    owner_base_new = True
                put(212, b)
            else:
                if day - bases[b] >= nad_days:
                    put(211, b)
                bases[b] = max(bases[b], day)
        if owner_base is not None:
            known = owner in owners
            owners.add(owner)
            t = (owner, m["rrtype"])
            new_type = t not in facts
            facts.add(t)
            new_rr = []
            for r in m["rdata"]:
                new_rr.append((t, r) not in facts)
                facts.add((t, r))
            s = (t, tuple(sorted(m["rdata"])))
            new_set = s not in facts
            facts.add(s)
            if known and (new_type or any(new_rr) or new_set):
                put(214, owner_base, (owner_base_new, False, new_type, tuple(new_rr), new_set))
    return out


def to_ts(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def got_records(out):
    recs = []
    for ch in (211, 212, 213, 214):
        for m in channel(out, ch):
            extra = None
            if ch == 214:
                extra = (m.get("new_domain"), m.get("new_rrname"), m.get("new_rrtype"),
                         tuple(m.get("new_rr", [])), m.get("new_rrset"))
                check("ch214 carries the INSERTION fields", all(
                    k in m for k in ("type", "count", "time_first", "time_last", "response_ip",
                                     "rrttl")), json.dumps(m))
            else:
                check(f"ch{ch} has the published field set", set(m) - {"new_domain"} ==
                      {"domain", "time_seen", "bailiwick", "rrname", "rrclass", "rrtype", "rdata",
                       "keys", "new_rr"} and m["keys"] == [] and m["new_rr"] == [], json.dumps(m))
                check(f"ch{ch} new_domain only on 212",
                      ("new_domain" in m) == (ch == 212) and m.get("new_domain", True) is True)
            recs.append((ch, m["domain"], m["rrname"], m["rrtype"], tuple(m["rdata"]), extra))
    return recs


def insertions_of(out):
    ins = [m for m in channel(out, 204) if m["type"] == "INSERTION"]
    for m in ins:
        m["time_first_s"] = to_ts(m["time_first"])
    return ins


# ---------------------------------------------- 1 worker: exact records, NAD on payload time
s1 = os.path.join(work, "snap1")
out1 = out2 = None
if do_channels:
    _, out1, st1 = run_hub("w1", pnad, 1, s1)
elif do_persistence:
    # A snapshot to damage below (bootstrapped by the tool: no hub run needed).
    v = subprocess.run([seen_tool, "import", "--snapshot-dir", s1, "--shards", "1",
                        os.path.join(td, "nmsg/dnsdedupe-insertion.nmsg")], capture_output=True, text=True)
    check("seed snapshot imported", v.returncode == 0, v.stderr)
    out1 = v.returncode == 0
if out1 and do_channels:
    ins = insertions_of(out1)
    want = model(ins)
    got = got_records(out1)
    check("w1: the model expects every channel", {r[0] for r in want} == {211, 212, 213, 214},
          str(sorted({r[0] for r in want})))
    check("w1: records equal the model (1 worker)", sorted(got, key=repr) == sorted(want, key=repr),
          f"\n got  {sorted(got, key=repr)}\n want {sorted(want, key=repr)}")
    t12 = min(m["time_first_s"] for m in ins) + 12 * 86400 - 3600
    nad = [r for r in got if r[0] == 211]
    check("w1: NAD once per base domain that came back after 12 days",
          sorted(r[1] for r in nad) == sorted({r[1] for r in got if r[0] == 212}), str(nad))
    late = [m for ch in (212, 213, 214) for m in channel(out1, ch) if to_ts(m["time_seen"]) >= t12]
    check("w1: nothing but NAD in the replay 12 days later", not late, str(late))
    check("w1: NAD records carry the replay's time",
          all(to_ts(m["time_seen"]) >= t12 for m in channel(out1, 211)))
    check("w1: counters match the records",
          st1["totals"].get("newness.out_nod") == len([r for r in got if r[0] == 212]) and
          st1["totals"].get("newness.out_nad") == len(nad))
    w1_sets = ({r[1] for r in got if r[0] == 212}, sorted(r[1] for r in got if r[0] == 211))

# ------------------------------------------------------- 2 workers: new once hub-wide
if do_channels:
    _, out2, st2 = run_hub("w2", pnad, 2, os.path.join(work, "snap2"))
if out2 and out1:
    t = st2["totals"]
    check("w2: cross-shard handoff exercised", t.get("newness_route.sent", 0) > 0, str(t))
    ins2 = insertions_of(out2)
    got2 = got_records(out2)
    nod2 = [r[1] for r in got2 if r[0] == 212]
    check("w2: each base domain NOD exactly once hub-wide", sorted(nod2) == sorted(set(nod2)))
    check("w2: same NOD set as 1 worker", set(nod2) == w1_sets[0], f"{nod2} vs {w1_sets[0]}")
    # NAD depends on which RRsets the dedup stage re-inserted after the gap (each dedup owner
    # moves its clock on its own records), so it is checked against the model of this run's
    # own INSERTIONs: once per returning base domain, whichever shard owns it.
    # NAD with several workers is checked loosely: each dedup owner moves its own clock, so an
    # RRset whose first observation after the gap lands on a still-cached (stale) entry of
    # another owner is suppressed as a duplicate and its EXPIRATION may raise last-seen before
    # another RRset of the domain is re-inserted. Never twice, never for a domain the model
    # (this run's INSERTIONs, by time) does not see returning.
    nad2 = [r[1] for r in got2 if r[0] == 211]
    want2 = {r[1] for r in model(sorted(ins2, key=lambda m: m["time_first_s"])) if r[0] == 211}
    check("w2: NAD at most once per domain, only for returning domains",
          nad2 and len(nad2) == len(set(nad2)) and set(nad2) <= want2, f"{nad2} vs {want2}")
    # NOH: every FQDN of the INSERTIONs is covered by a ch213 record of its base domain, and
    # there are never more ch213 records than distinct FQDNs per base domain.
    fq = {}
    for m in ins2:
        for n in [m["rrname"]] + rdata_names(m):
            if base_of(n):
                fq.setdefault(base_of(n), set()).add(n.lower())
    cover = {}
    for r in got2:
        if r[0] == 213:
            names = [r[2]] + ([x.split()[-1] for x in r[4]] if r[3] in NAME_TYPES else [])
            cover.setdefault(r[1], set()).update(n.lower() for n in names if base_of(n) == r[1])
            cover.setdefault(("n", r[1]), 0)
            cover[("n", r[1])] += 1
    check("w2: every FQDN announced on ch213", all(fq[b] <= cover.get(b, set()) for b in fq),
          str({b: fq[b] - cover.get(b, set()) for b in fq}))
    check("w2: at most one ch213 record per new FQDN",
          all(cover.get(("n", b), 0) <= len(fq[b]) for b in fq))

# ------------------------------------------------ restart: the snapshot remembers everything
clean_fqdns = None
if out1 and do_channels:
    _, out3, st3 = run_hub("restart", p0, 1, s1)
    if out3:
        check("restart: nothing new on a replay after a restart",
              all(len(channel(out3, ch)) == 0 for ch in (211, 212, 213, 214)),
              json.dumps({k: v for k, v in st3["totals"].items() if k.startswith("newness.out")}))
if out1 and do_persistence:
    # A damaged snapshot is refused, unless start_empty says otherwise.
    snap = os.path.join(s1, "newness-0-of-1.snap")
    data = bytearray(open(snap, "rb").read())
    data[len(data) // 2] ^= 0x40
    open(snap, "wb").write(bytes(data))
    v = subprocess.run([seen_tool, "check", snap], capture_output=True, text=True)
    check("siehub-seen check flags the damage", v.returncode == 1 and "checksum" in v.stderr, v.stderr)
    p, _, _ = run_hub("corrupt", p0, 1, s1, expect_ok=False)
    check("corrupt snapshot: refusal to start", p.returncode != 0 and "refusing to start" in p.stderr,
          f"rc={p.returncode} {p.stderr[-600:]}")
    _, out4, _ = run_hub("start-empty", p0, 1, s1, "start_empty = true")
    if out4:
        check("start_empty: starts fresh (NOD again)", len(channel(out4, 212)) > 0)
        # Its shutdown snapshot is a clean run's over P0: the reference for the kill -9 check.
        v = subprocess.run([seen_tool, "info", snap], capture_output=True, text=True)
        clean_fqdns = v.stdout.split("fqdns ")[1].split()[0] if "fqdns " in v.stdout else None

# ------------------------------------------- bootstrap: siehub-seen import, then the hub
if do_persistence:
    s7 = os.path.join(work, "snap7")
    names = os.path.join(work, "names.txt")
    with open(names, "w") as f:
        f.write("# seed list\nExample.NET\nmx2.example.net.\n")
    v = subprocess.run([seen_tool, "import", "--snapshot-dir", s7, "--shards", "2",
                        os.path.join(td, "nmsg/dnsdedupe-insertion.nmsg"),
                        os.path.join(td, "nmsg/dnsdedupe-insertion.jsonl"), names],
                       capture_output=True, text=True)
    check("siehub-seen import", v.returncode == 0 and "imported" in v.stdout, v.stdout + v.stderr)
    v = subprocess.run([seen_tool, "import", "--snapshot-dir", s7, "--shards", "2", names],
                       capture_output=True, text=True)
    check("siehub-seen import refuses to overwrite without --merge", v.returncode == 1, v.stderr)
    _, out7, _ = run_hub("bootstrapped", p0, 2, s7)
    if out7:
        check("bootstrapped hub: no NOD for imported base domains", len(channel(out7, 212)) == 0)
        noh = channel(out7, 213)
        check("bootstrapped hub: NOH only for names the import did not hold",
              all(m["rrname"] != "www.example.com." for m in noh), json.dumps(noh)[:600])

# ------------------------------------------------------ kill -9 loses at most one interval
if not do_persistence:
    print(f"{passed} passed, {failed} failed")
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)
s5 = os.path.join(work, "snap5")
live_conf = open(conf("live", s5)).read().replace('device = "net_null_in0,no-rx=1"',
                                     f'device = "net_pcap_in0,rx_pcap={p0_small},infinite_rx=1"')
live_conf = live_conf.replace("siehub-demo-out.pcap", os.path.join(work, "live-out.pcap"))
lc = os.path.join(work, "live2.conf")
open(lc, "w").write(live_conf)
hub = subprocess.Popen([siehub, "--config", lc], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
snap5 = os.path.join(s5, "newness-0-of-1.snap")
deadline = time.time() + 10
while time.time() < deadline and not os.path.exists(snap5) and hub.poll() is None:
    time.sleep(0.1)
time.sleep(1.3)
killed_at = time.time()
hub.send_signal(signal.SIGKILL)
hub.wait()
check("kill -9: a snapshot was written while running", os.path.exists(snap5),
      (hub.stderr.read() or "")[-800:])
if os.path.exists(snap5):
    v = subprocess.run([seen_tool, "check", snap5], capture_output=True, text=True)
    check("kill -9: the snapshot is intact", v.returncode == 0, v.stderr)
    saved = int(v.stdout.split("saved ")[1].split()[0]) if "saved " in v.stdout else 0
    check("kill -9: the last snapshot is at most one interval (1 s) old, plus slack",
          killed_at - saved <= 2.5, f"{killed_at - saved:.1f} s")
    v = subprocess.run([seen_tool, "info", snap5], capture_output=True, text=True)
    check("kill -9: the snapshot holds every name of the traffic (as a clean run's)",
          v.stdout.split("fqdns ")[1].split()[0] == clean_fqdns if clean_fqdns else False,
          f"{v.stdout} vs {clean_fqdns}")

print(f"{passed} passed, {failed} failed")
if failed == 0:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if failed else 0)
