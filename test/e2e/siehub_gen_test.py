#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""siehub-gen end to end: determinism (same seed, same bytes; another seed, other bytes), the
ground truth (--truth) against the hub's counters on `siehub --offline` with 1 and 2 workers
(malformed kinds, zlib and fragments included), and its pcap decoded by `siehub-nmsg pcap`.

usage: siehub_gen_test.py SIEHUB_GEN SIEHUB SIEHUB_NMSG
"""

import json
import os
import subprocess
import sys
import tempfile

GEN, HUB, NMSG = (os.path.abspath(p) for p in sys.argv[1:4])
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def gen(tmp, name, *args):
    pcap = os.path.join(tmp, name + ".pcap")
    nmsg = os.path.join(tmp, name + ".nmsg")
    truth = os.path.join(tmp, name + ".json")
    run([GEN, "--pcap", pcap, "--nmsg", nmsg, "--truth", truth, *args])
    with open(truth) as f:
        t = json.load(f)
    return pcap, nmsg, t


def read(p):
    with open(p, "rb") as f:
        return f.read()


def frames_of(b):
    """Frame bytes of a pcap (little-endian classic format, as libpcap writes it)."""
    out, i = [], 24
    while i + 16 <= len(b):
        cl = int.from_bytes(b[i + 8:i + 12], "little")
        out.append(b[i + 16:i + 16 + cl])
        i += 16 + cl
    return out


def compare(truth, stats, skip, label):
    tot = stats["totals"]
    bad = []
    for k, v in sorted(truth["counters"].items()):
        if k in skip:
            continue
        h = int(tot.get(k, -1))
        if h != v:
            bad.append(f"{k}: truth {v}, hub {h}")
    check(not bad, f"{label}: {len(truth['counters']) - len(skip)} counters agree with the truth"
          + ("" if not bad else " -- " + "; ".join(bad)))


def hub(tmp, pcap, workers, label, extra=()):
    stats = os.path.join(tmp, f"{label}.stats.json")
    p = subprocess.run([HUB, "--offline", pcap, "--out", os.path.join(tmp, f"{label}.out.pcap"),
                        "--workers", str(workers), "--stats-json", stats, *extra],
                       capture_output=True, text=True, cwd=tmp)
    check(p.returncode == 0, f"{label}: siehub --offline exits 0 (got {p.returncode})")
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-2000:])
        return None
    with open(stats) as f:
        return json.load(f)


def main():
    with tempfile.TemporaryDirectory(prefix="siehub-gen-test-") as tmp:
        # Determinism.
        common = ["--count", "1500", "--malformed", "0.1", "--zlib", "0.2", "--fragment", "0.1"]
        a = gen(tmp, "a", "--seed", "11", *common)
        b = gen(tmp, "b", "--seed", "11", *common)
        c = gen(tmp, "c", "--seed", "12", *common)
        check(read(a[0]) == read(b[0]) and len(read(a[0])) > 100000, "same seed, same pcap bytes")
        check(read(a[1]) == read(b[1]), "same seed, same nmsg bytes")
        check(a[2] == b[2], "same seed, same truth")
        check(read(a[0]) != read(c[0]) and read(a[1]) != read(c[1]), "another seed, other bytes")
        d = gen(tmp, "d", "--seed", "11", "--count", "1500", "--container", "8192")
        check(read(d[0]) != read(a[0]), "options change the bytes")
        p1 = gen(tmp, "p1", "--seed", "11", "--count", "1500")
        check(p1[2]["distinct_rrsets"] == d[2]["distinct_rrsets"]
              and p1[2]["accepted"] == d[2]["accepted"] and p1[2]["frames"] > d[2]["frames"],
              "container size changes the framing, not the transactions")

        # The truth has what it promises.
        t = a[2]
        check(all(t["malformed"][k]["count"] > 0 for k in t["malformed"]),
              "every malformed kind occurs in a 10 % malformed run of 1500")
        check(t["distinct_rrsets"] > 0 and t["duplicate_observations"] > 0
              and t["newness"]["base_domains"] > 0 and t["newness"]["fqdns"] > 0,
              "truth: distinct RRsets, duplicates, new names")

        # Truth against the hub: plain containers with every malformed kind, 1 worker (every
        # counter, sequence loss included) ...
        e = gen(tmp, "e", "--seed", "5", "--count", "2000", "--malformed", "0.1")
        s = hub(tmp, e[0], 1, "plain-1w")
        if s:
            compare(e[2], s, set(), "plain, 1 worker")
            check(s["reconciliation"]["ok"], "plain, 1 worker: counters reconcile")
        # ... and zlib + fragments through the slow path on 2 workers, with the newness stage
        # on (fresh seen-sets, no learning period). The slow path returns its containers late
        # (the offline replay feeds the whole file at once), inside the hub's 4096-container
        # reorder window, so nmsg.seq_lost is exact here too.
        demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                            "drivers-config", "siehub-demo.conf")
        cfg = os.path.join(tmp, "newness.conf")
        with open(demo) as f, open(cfg, "w") as o:
            o.write(f.read() + "\n[[channel]]\nnumber = 212\n\n[[channel]]\nnumber = 213\n"
                    "\n[[channel]]\nnumber = 214\n\n[newness]\nenabled = true\n")
        s = hub(tmp, a[0], 2, "slow-2w", ["--config", cfg])
        if s:
            compare(t, s, set(), "zlib+fragments+malformed, 2 workers")
            compare({"counters": t["newness_counters"]}, s, set(), "newness, 2 workers")
            check(s["reconciliation"]["ok"], "2 workers: counters reconcile")

        # 8192-byte containers on a 1500-byte link: IP fragments, reassembled in the hub's slow
        # path (small enough that the offline replay does not outrun the slow path's pools).
        m = gen(tmp, "m", "--seed", "4", "--count", "600", "--container", "8192", "--mtu", "1500",
                "--malformed", "0.05")
        check(m[2]["counters"]["rx.ipv4_fragments"] > 100, "--mtu 1500 makes IP fragments")
        s = hub(tmp, m[0], 1, "ipfrag-1w")
        if s:
            compare(m[2], s, set(), "IP fragments, 1 worker")

        # The pcap decodes with siehub-nmsg (fragments reassembled, zlib inflated).
        f = gen(tmp, "f", "--seed", "3", "--count", "800", "--zlib", "0.3", "--fragment", "0.2")
        out = run([NMSG, "pcap", f[0], "--json"]).stdout.splitlines()
        check(len(out) == f[2]["payloads"],
              f"siehub-nmsg pcap decodes {len(out)} payloads of {f[2]['payloads']}")
        check(all('"mname":"dnsqr"' in x or '"mname": "dnsqr"' in x for x in out[:50]),
              "decoded payloads are base/dnsqr")
        out = run([NMSG, "read", f[1], "--json"]).stdout.splitlines()
        check(len(out) == f[2]["payloads"], "siehub-nmsg read decodes the nmsg file")

        # DPDK transmit (net_pcap TX into a file): the same frames as --pcap, at the rate asked.
        g = os.path.join(tmp, "g.pcap")
        txo = os.path.join(tmp, "tx.pcap")
        p = subprocess.run([GEN, "--count", "1000", "--seed", "9", "--pcap", g, "--tx", "--pps",
                            "2000", "--", "--no-huge", "--no-pci", "-m", "256",
                            f"--file-prefix=siehub-gen-test-{os.getpid()}",
                            "--log-level=lib.eal:error", f"--vdev=net_pcap0,tx_pcap={txo}"],
                           capture_output=True, text=True)
        check(p.returncode == 0, f"--tx on net_pcap exits 0 ({p.stderr[-300:] if p.returncode else ''})")
        if p.returncode == 0:
            check(frames_of(read(g)) == frames_of(read(txo)), "--tx sends exactly the --pcap frames")
            sent = [x for x in p.stderr.splitlines() if "sent" in x]
            secs = float(sent[-1].split(" in ")[1].split()[0]) if sent else 0
            n = len(frames_of(read(g)))
            # 64 frames of initial burst, then 2000/s: at least (n - 64) / 2000 s.
            check(secs >= (n - 64) / 2000 * 0.95, f"--pps paces: {n} frames took {secs:.3f} s")

        # The built-in suffixes are real public suffixes (ICANN rules of the PSL), and none has
        # a wildcard or exception rule at or below it.
        psl = "/usr/share/publicsuffix/public_suffix_list.dat"
        if os.path.exists(psl):
            rules = set()
            special = set()
            with open(psl, encoding="utf-8") as f:
                for line in f:
                    if "===END ICANN DOMAINS===" in line:
                        break
                    r = line.strip()
                    if not r or r.startswith("//"):
                        continue
                    if r.startswith(("*.", "!")):
                        special.add(r.lstrip("*.!").split(".", 1)[-1] if r.startswith("!") else r[2:])
                    else:
                        rules.add(r)
            sufs = run([GEN, "--list-suffixes"]).stdout.split()
            check(sufs and all(x in rules for x in sufs) and not any(x in special for x in sufs),
                  f"built-in suffixes are ICANN public suffixes: {' '.join(sufs)}")

        # Usage.
        h = run([GEN, "--help"]).stdout
        check("--truth" in h and "verify.rd_set" in h and "--pps" in h, "--help documents options and kinds")
        p = subprocess.run([GEN, "--count", "10"], capture_output=True, text=True)
        check(p.returncode == 2, "no output requested: usage error (2)")
        p = subprocess.run([GEN, "--truth", "/dev/null", "--malformed-kinds", "nope"],
                           capture_output=True, text=True)
        check(p.returncode == 2, "unknown malformed kind: usage error (2)")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
