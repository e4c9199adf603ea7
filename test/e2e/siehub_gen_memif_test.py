#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""siehub-gen --tx into a hub in another process over net_memif (the hub is the memif server,
the generator the client; no hugepages): every counter of the truth must match the hub's.

usage: siehub_gen_memif_test.py SIEHUB_GEN SIEHUB
"""

import json
import os
import signal
import subprocess
import sys
import tempfile

from memif_hub import gen_tx, hub_config

GEN, HUB = (os.path.abspath(p) for p in sys.argv[1:3])

def main():
    with tempfile.TemporaryDirectory(prefix="siehub-gen-memif-") as tmp:
        sock = os.path.join(tmp, "memif.sock")
        cfg = os.path.join(tmp, "hub.conf")
        with open(cfg, "w") as f:
            f.write(hub_config("gen-memif-test", sock, f"gen-memif-hub-{os.getpid()}",
                               (202, 204, 220, 221, 255)))
        stats = os.path.join(tmp, "stats.json")
        truth = os.path.join(tmp, "truth.json")
        hub = subprocess.Popen([HUB, "--config", cfg, "--stats-json", stats],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=tmp)
        # The first live line says the workers are polling: memif frames sent earlier would
        # sit in the rings, and go with them if the generator closed first.
        early = []
        for line in hub.stdout:
            early.append(line)
            if "| frames in" in line:
                break
        if hub.poll() is not None or not os.path.exists(sock):
            hub.kill()
            print("FAIL the hub did not start its memif port:\n" + "".join(early)[-2000:])
            return 1
        gen = subprocess.run(gen_tx(GEN, sock, f"gen-memif-gen-{os.getpid()}", "--count", "1500",
                                    "--seed", "21", "--malformed", "0.05", "--truth", truth,
                                    "--pps", "20000", "--linger", "1"),
                             capture_output=True, text=True, timeout=20)
        # The generator lingers 1 s after its last frame; then stop the hub (orderly: flush,
        # counters, stats JSON).
        hub.send_signal(signal.SIGINT)
        out = "".join(early) + hub.communicate(timeout=20)[0]
        if gen.returncode != 0 or hub.returncode != 0:
            print(f"FAIL siehub-gen exit {gen.returncode}, siehub exit {hub.returncode}")
            print(gen.stderr[-2000:], out[-2000:])
            return 1
        with open(truth) as f:
            t = json.load(f)
        with open(stats) as f:
            tot = json.load(f)["totals"]
        bad = [f"{k}: truth {v}, hub {tot.get(k)}" for k, v in sorted(t["counters"].items())
               if int(tot.get(k, -1)) != v]
        for b in bad:
            print("FAIL " + b)
        print(f"{'ok  ' if not bad else 'FAIL'} {len(t['counters'])} counters over memif "
              f"({t['frames']} frames, {t['payloads']} payloads)")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
