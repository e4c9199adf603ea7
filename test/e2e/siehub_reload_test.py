#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""SIGHUP reloads the [[filter]] rules of a running hub (RCU/QSBR generations, docs/config.md).

One hub listens on net_memif; siehub-gen sends the same traffic (same seed) four times, and the
hub's counters are read over the DPDK telemetry socket after each round:
  1. no filter                  -> nothing excluded, A payloads accepted
  2. SIGHUP, `suffix = "com"` drop -> E > 0 excluded, A - E accepted
  3. SIGHUP with a broken file  -> refused (reload.failed), the filter stays: E again
  4. SIGHUP, the filter removed -> nothing excluded, A accepted
Identical input makes every round's figures predictable from round 1's and round 2's.

usage: siehub_reload_test.py SIEHUB_GEN SIEHUB
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from memif_hub import gen_tx, hub_config

GEN, HUB = (os.path.abspath(p) for p in sys.argv[1:3])

FILTER = '\n[[filter]]\nsuffix = "com"\naction = "drop"\n'

failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f" ({detail})"))
    if not ok:
        failures += 1


def telemetry(prefix, cmd):
    """One command over the hub's DPDK telemetry socket (as dpdk-telemetry.py speaks it)."""
    base = "/var/run/dpdk" if os.getuid() == 0 else os.path.join(
        os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(os.path.join(base, prefix, "dpdk_telemetry.v2"))
        json.loads(s.recv(16384))  # greeting
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 20))[cmd.split(",")[0]]
    finally:
        s.close()


def counters(prefix):
    """The totals this test reads (a glob per command keeps each reply under DPDK's dict bound)."""
    out = {}
    for glob in ("verify.accepted", "verify.excluded", "match.*", "reload.*", "ingest.payloads_in"):
        out.update(telemetry(prefix, "/siehub/counters," + glob))
    return out


def main():
    with tempfile.TemporaryDirectory(prefix="siehub-reload-") as tmp:
        prefix = f"reload-hub-{os.getpid()}"
        sock = os.path.join(tmp, "memif.sock")
        cfg = os.path.join(tmp, "hub.conf")
        base = hub_config("reload-test", sock, prefix, (202, 204))
        with open(cfg, "w") as f:
            f.write(base)
        stats = os.path.join(tmp, "stats.json")
        log = open(os.path.join(tmp, "hub.log"), "w+")
        hub = subprocess.Popen([HUB, "--config", cfg, "--stats-json", stats],
                               stdout=log, stderr=subprocess.STDOUT, text=True, cwd=tmp)

        def hub_log():
            log.flush()
            with open(log.name) as f:
                return f.read()

        def wait_log(text, n=1, timeout=20):
            end = time.time() + timeout
            while time.time() < end and hub.poll() is None:
                if hub_log().count(text) >= n:
                    return True
                time.sleep(0.05)
            return False

        try:
            if not wait_log("| frames in") or not os.path.exists(sock):
                print("FAIL the hub did not start its memif port:\n" + hub_log()[-2000:])
                return 1

            def send(round_no):
                g = subprocess.run(gen_tx(GEN, sock, f"reload-gen-{os.getpid()}-{round_no}",
                                          "--count", "800", "--seed", "41", "--malformed", "0",
                                          "--pps", "20000", "--linger", "1"),
                                   capture_output=True, text=True, timeout=30)
                if g.returncode != 0:
                    raise RuntimeError(f"siehub-gen exit {g.returncode}: {g.stderr[-1000:]}")
                # The hub has read the round when its payload count stops moving.
                last = None
                for _ in range(100):
                    c = counters(prefix)
                    if last is not None and c == last:
                        return c
                    last = c
                    time.sleep(0.2)
                return last

            def delta(a, b, key):
                return int(b.get(key, 0)) - int(a.get(key, 0))

            zero = counters(prefix)
            r1 = send(1)
            acc = delta(zero, r1, "verify/accepted")
            check("round 1 (no filter): payloads accepted, nothing excluded",
                  acc > 0 and delta(zero, r1, "verify/excluded") == 0, f"accepted {acc}")

            with open(cfg, "w") as f:
                f.write(base + FILTER)
            hub.send_signal(signal.SIGHUP)
            check("SIGHUP: the filter generation is published",
                  wait_log("filters reloaded: generation 2, 1 rule(s)"), hub_log()[-1000:])
            r2 = send(2)
            exc = delta(r1, r2, "verify/excluded")
            check("round 2 (suffix com dropped): some payloads excluded", exc > 0, f"excluded {exc}")
            check("round 2: accepted = round 1's - excluded",
                  delta(r1, r2, "verify/accepted") == acc - exc,
                  f"{delta(r1, r2, 'verify/accepted')} != {acc} - {exc}")
            check("round 2: every excluded name went through a rule",
                  delta(r1, r2, "match/rule_drop") == exc, f"rule_drop {delta(r1, r2, 'match/rule_drop')}")

            with open(cfg, "w") as f:
                f.write(base + FILTER + "\n[[filter]]\nregex = \"(\"\naction = \"drop\"\n")
            hub.send_signal(signal.SIGHUP)
            check("SIGHUP with a filter that does not compile: refused",
                  wait_log("filters unchanged"), hub_log()[-1000:])
            r3 = send(3)
            check("round 3: the previous filter still applies",
                  delta(r2, r3, "verify/excluded") == exc and delta(r2, r3, "verify/accepted") == acc - exc,
                  f"excluded {delta(r2, r3, 'verify/excluded')}")

            with open(cfg, "w") as f:
                f.write(base)
            hub.send_signal(signal.SIGHUP)
            check("SIGHUP: the filter removed", wait_log("filters reloaded: generation 3, 0 rule(s)"),
                  hub_log()[-1000:])
            r4 = send(4)
            check("round 4 (no filter again): nothing excluded, everything accepted",
                  delta(r3, r4, "verify/excluded") == 0 and delta(r3, r4, "verify/accepted") == acc,
                  f"excluded {delta(r3, r4, 'verify/excluded')} accepted {delta(r3, r4, 'verify/accepted')}")
            print(f"rounds of {delta(zero, r1, 'ingest/payloads_in')} payloads: {acc} accepted without "
                  f"the filter, {exc} excluded with it", flush=True)
            check("reload counters: 2 applied, 1 refused",
                  r4.get("reload/filters") == 2 and r4.get("reload/failed") == 1,
                  f"{r4.get('reload/filters')} {r4.get('reload/failed')}")
        except Exception as e:  # noqa: BLE001 - report and fail
            check("test ran", False, repr(e))
        finally:
            if hub.poll() is None:
                hub.send_signal(signal.SIGINT)
            try:
                hub.wait(timeout=20)
            except subprocess.TimeoutExpired:
                hub.kill()
                hub.wait()
        check("hub exits 0 with reconciled counters", hub.returncode == 0, hub_log()[-1500:])
        if os.path.exists(stats):
            with open(stats) as f:
                st = json.load(f)
            check("stats JSON: reconciled", st["reconciliation"]["ok"])
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
