#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Pipeline throughput benchmark: siehub on net_pcap infinite RX next to dpdk-testpmd
io-forwarding on the same pcap and the same vdev settings, in the same run. The input is a
siehub-gen pcap (apps/siehub-gen, docs/siehub-gen.md).

For each worker count (1..N, N = nproc - 1 unless --workers/--max-workers say otherwise) it
runs, for --duration seconds each:
  * dpdk-testpmd --forward-mode=io (the I/O floor: net_pcap RX copy + TX drop, nothing else);
  * siehub --config <generated> --duration D --stats-json F (decode, verify, privacy scrub,
    bailiwick, dedup, emit of ch202/204/220/221/255 to the same port's TX drop queue).
Prints a table and writes JSON (results-<UTC date>-<commit>.json in --results-dir, or stdout with
--json). How to read it: docs/performance.md.
"""

import argparse
import datetime
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def git_commit():
    try:
        rev = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
        dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def conditions():
    load = os.getloadavg()
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "loadavg_before": [round(x, 2) for x in load],
    }


def read_steal():
    # /proc/stat "cpu" line: user nice system idle iowait irq softirq steal (jiffies).
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[7], sum(v)


def read_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample_threads(p, duration_limit, mem=None):
    """Waits for p while reading /proc/PID/task/*/schedstat: per thread, the CPU time it ran
    and the time it waited runnable for a CPU (other processes on this shared machine).
    `mem` (a dict) receives the peak resident memory: VmHWM as last sampled and ru_maxrss
    from wait4 (both KiB)."""
    threads = {}
    steal0, total0 = read_steal()
    mem = {} if mem is None else mem
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            p.returncode = os.waitstatus_to_exitcode(status)
            mem["ru_maxrss_kib"] = ru.ru_maxrss
            break
        mem["vm_hwm_kib"] = max(mem.get("vm_hwm_kib", 0), read_hwm_kib(p.pid))
        try:
            for tid in os.listdir(f"/proc/{p.pid}/task"):
                try:
                    with open(f"/proc/{p.pid}/task/{tid}/comm") as f:
                        comm = f.read().strip()
                    with open(f"/proc/{p.pid}/task/{tid}/schedstat") as f:
                        run_ns, wait_ns, _ = (int(x) for x in f.read().split())
                except OSError:
                    continue
                threads[tid] = {"comm": comm, "run_s": run_ns / 1e9, "wait_s": wait_ns / 1e9}
        except OSError:
            pass
        time.sleep(0.2)
    steal1, total1 = read_steal()
    steal = (steal1 - steal0) / (total1 - total0) if total1 > total0 else 0.0
    return list(threads.values()), steal


def worker_cpu(threads):
    # EAL worker threads are named rte-worker-N (lcore-worker-N in later DPDK); the main
    # lcore keeps the process name.
    ws = [t for t in threads if t["comm"].startswith(("rte-worker", "lcore-worker"))]
    return {
        "worker_run_s": round(sum(t["run_s"] for t in ws), 3),
        "worker_wait_s": round(sum(t["wait_s"] for t in ws), 3),
        "threads": threads,
    }


def vdev(pcap, queues):
    # One rx_pcap per queue: net_pcap has one RX queue per stream, and infinite RX keeps each
    # queue's copy of the file in its own ring (mbufs of the port's pool). No tx stream: the
    # driver gives one TX-drop queue per RX queue.
    return "net_pcap0," + ",".join(f"rx_pcap={pcap}" for _ in range(queues)) + ",infinite_rx=1"


def lcores(workers, ncpu):
    # As the hub places them (lib/dataplane/runtime.cpp): lcore i on CPU i % ncpu, 0 = main.
    return ",".join(f"{i}@{i % ncpu}" for i in range(workers + 1))


def write_config(path, pcap, workers, mbufs_note):
    eal = ('["--no-huge", "--no-pci", "-m", "512", "--file-prefix=siehub-bench-{pid}", '
           '"--log-level=lib.eal:error", "--log-level=pmd.net.pcap:error"]')
    with open(path, "w") as f:
        f.write(f"""# Generated by bench/pipeline/run_bench.py ({mbufs_note}).
[hub]
name = "siehub-bench"
heartbeat_interval = "500ms"
stats_interval = "1s"
drain_interval = "1ms"

[eal]
args = {eal}

[workers]
main_lcore = 0
lcores = [{", ".join(str(i + 1) for i in range(workers))}]

[[port]]
name = "bench0"
device = "{vdev(pcap, workers)}"
role = "both"
rss = false
address = "192.0.2.1/24"

[ingest]
udp_ports = [8430]

[[channel]]
number = 202

[[channel]]
number = 204

[[channel]]
number = 220

[[channel]]
number = 221

[[channel]]
number = 255

[dedup]
max_entries = 65536
idle = "3h"
max_age = "24h"
""")


def run_testpmd(testpmd, pcap, workers, duration, ncpu):
    cmd = [testpmd, "--no-huge", "--no-pci", "-m", "512",
           f"--file-prefix=bench-testpmd-{os.getpid()}", f"--lcores={lcores(workers, ncpu)}",
           "--log-level=lib.eal:error", "--log-level=pmd.net.pcap:error",
           f"--vdev={vdev(pcap, workers)}", "--",
           "--forward-mode=io", f"--nb-cores={workers}", f"--rxq={workers}", f"--txq={workers}",
           "-a", "--stats-period", "1", "--total-num-mbufs=8191"]
    t0 = time.monotonic()
    log = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL)
    timer = __import__("threading").Timer(duration + 1.0, p.send_signal, [signal.SIGINT])
    timer.start()
    threads, steal = sample_threads(p, duration)
    timer.cancel()
    wall = time.monotonic() - t0
    log.seek(0)
    out = log.read()
    pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", out)]
    total = re.findall(r"Accumulated forward statistics.*?RX-packets:\s+(\d+)", out, re.S)
    if not pps:
        raise RuntimeError("dpdk-testpmd gave no statistics:\n" + out[-3000:])
    # The first period includes start-up; the median of the rest is the steady rate.
    steady = pps[1:] or pps
    return {
        "frames_per_s": round(statistics.median(steady)),
        "frames_per_s_samples": pps,
        "rx_packets": int(total[-1]) if total else None,
        "wall_s": round(wall, 3),
        "steal": round(steal, 4),
        **worker_cpu(threads),
        "command": " ".join(cmd),
    }


def peak_mib(h):
    return max(h.get("vm_hwm_kib", 0), h.get("ru_maxrss_kib", 0)) / 1024


def human(v):
    # The live line's three-digit counts: "412k", "1.25M".
    mult = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    m = re.fullmatch(r"([0-9.]+)([kMGT]?)", v)
    return round(float(m.group(1)) * mult[m.group(2)]) if m else 0


def live_payload_rates(err):
    """Per-second payload rates from the hub's live line: the early format
    ("payloads in N (+R/s)") or the telemetry live line ("| payloads in R/s out ...")."""
    old = [int(x) for x in re.findall(r"payloads in \d+ \(\+(\d+)/s\)", err)]
    if old:
        return old
    return [human(x) for x in re.findall(r"\| payloads in ([0-9.]+[kMGT]?)/s", err)]


def run_hub(siehub, cfg, stats_path, duration, stage_cycles):
    cmd = [siehub, "--config", cfg, "--duration", str(duration), "--stats-json", stats_path]
    if stage_cycles:
        cmd.append("--stage-cycles")
    log = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL)
    mem = {}
    threads, steal = sample_threads(p, duration, mem)
    log.seek(0)
    err = log.read()
    if p.returncode not in (0, 4):
        raise RuntimeError(f"siehub exited {p.returncode}:\n{err[-3000:]}")
    with open(stats_path) as f:
        stats = json.load(f)
    live = live_payload_rates(err)
    cpu = worker_cpu(threads)
    cpu["steal"] = round(steal, 4)
    cpu.update(mem)
    return stats, live, " ".join(cmd), p.returncode, cpu


def run_replay(siehub, pcap, stats_path, workers, tsc_hz):
    """Finite replay (siehub --offline): the only mode that takes 8192-byte containers, whose
    frames need chained mbufs that net_pcap's infinite RX refuses. Includes libpcap file reads
    and the output pcap writes (to /dev/null), so read it for the container-size comparison."""
    cmd = [siehub, "--offline", pcap, "--out", "/dev/null", "--workers", str(workers),
           "--stats-json", stats_path]
    log = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL)
    mem = {}
    threads, steal = sample_threads(p, 0, mem)
    log.seek(0)
    err = log.read()
    if p.returncode not in (0, 4):
        raise RuntimeError(f"siehub exited {p.returncode}:\n{err[-3000:]}")
    with open(stats_path) as f:
        stats = json.load(f)
    cpu = worker_cpu(threads)
    payloads = counter(stats, "ingest.payloads_in")
    d = float(stats["duration_s"])
    return {
        "workers": workers,
        "duration_s": d,
        "frames": counter(stats, "rx.frames"),
        "payloads_in": payloads,
        "payloads_per_s": round(payloads / d) if d else 0,
        "worker_run_s": cpu["worker_run_s"],
        "cpu_cycles_per_payload": round(tsc_hz * cpu["worker_run_s"] / payloads)
        if payloads and cpu["worker_run_s"] else None,
        "verify_accepted": counter(stats, "verify.accepted"),
        "dedup_inserted": counter(stats, "dedup.out_inserted"),
        "dedup_suppressed": counter(stats, "dedup.out_suppressed"),
        "peak_rss_kib": max(mem.get("vm_hwm_kib", 0), mem.get("ru_maxrss_kib", 0)),
        "steal": round(steal, 4),
        "command": " ".join(cmd),
    }


def generate(gen, pcap, seed, payloads, dup, container):
    """siehub-gen's pcap and a summary of its truth (what the hub should count on one pass)."""
    truth_path = pcap + ".truth.json"
    sh([gen, "--pcap", pcap, "--truth", truth_path, "--seed", str(seed), "--count",
        str(payloads), "--dup", str(dup), "--container", str(container)])
    with open(truth_path) as f:
        t = json.load(f)
    return {"generator": "siehub-gen", "options": t["generator"], "frames": t["frames"],
            "bytes": t["bytes"], "payloads": t["payloads"], "accepted": t["accepted"],
            "distinct_rrsets": t["distinct_rrsets"],
            "duplicate_observations": t["duplicate_observations"], "container": container}


def counter(stats, name):
    return int(stats["totals"].get(name, 0))


def hub_figures(stats, live, tsc_hz, workers):
    d = float(stats["duration_s"])
    t = stats["totals"]
    payloads = counter(stats, "ingest.payloads_in")
    frames = counter(stats, "rx.frames")
    accepted = counter(stats, "verify.accepted")
    drop_names = ["rx.drop_malformed", "rx.drop_fragment_full", "rx.drop_no_tap",
                  "nmsg.drop_header", "nmsg.drop_container", "nmsg.crc_mismatch",
                  "nmsg.to_slow_full", "handoff.full", "handoff.no_record", "tx.full",
                  "tx.no_mbuf", "dedup.dropped"]
    drops = {n: int(t[n]) for n in drop_names if int(t.get(n, 0)) != 0}
    # Live-line seconds: the first is start-up, the last may be partial.
    steady = live[1:-1] if len(live) > 2 else live
    pps_mean = payloads / d if d > 0 else 0.0
    pps_steady = round(statistics.median(steady) if steady else pps_mean)
    ppf = payloads / frames if frames else 0.0
    return {
        "duration_s": d,
        "frames": frames,
        "payloads_in": payloads,
        "payloads_per_frame": round(ppf, 3),
        "payloads_per_s_mean": round(pps_mean),
        "payloads_per_s": pps_steady,
        "payloads_per_s_samples": live,
        "frames_per_s": round(pps_steady / ppf) if ppf else 0,
        "cycles_per_payload": round(tsc_hz * workers / pps_steady) if pps_steady else None,
        "verify_accepted": accepted,
        "verify_rejected": payloads - accepted - counter(stats, "nmsg.crc_mismatch"),
        "relayed_202": counter(stats, "relay.ch202"),
        "dedup_inserted": counter(stats, "dedup.out_inserted"),
        "dedup_suppressed": counter(stats, "dedup.out_suppressed"),
        "relayed_220": counter(stats, "relay.ch220"),
        "relayed_221": counter(stats, "relay.ch221"),
        "tx_frames": counter(stats, "tx.frames"),
        "seq_lost": counter(stats, "nmsg.seq_lost"),
        "drops": drops,
        "reconciled": stats.get("reconciliation", {}).get("ok"),
        # Per-stage TSC cycles (siehub --stage-cycles): every cycles.* counter the hub reports,
        # summed over workers, per payload that entered.
        "stage_cycles": {k: int(v) for k, v in sorted(t.items()) if k.startswith("cycles.")},
        "stage_cycles_per_payload": {k[len("cycles."):]: round(int(v) / payloads)
                                     for k, v in sorted(t.items())
                                     if k.startswith("cycles.") and payloads},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"),
                    help="meson build dir with apps/siehub/siehub and bench/pipeline/*")
    ap.add_argument("--siehub", help="siehub binary (default: BUILD/apps/siehub/siehub)")
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("--workers", help="comma-separated worker counts (default 1..--max-workers)")
    ap.add_argument("--max-workers", type=int,
                    help="run 1..N workers (default: nproc - 1, at least 1)")
    ap.add_argument("--no-stage-cycles", action="store_true",
                    help="do not pass --stage-cycles to siehub (no per-stage TSC counters)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    ap.add_argument("--payloads", type=int, default=6000,
                    help="transactions in the generated pcap (about 2 payloads a 1280-byte "
                         "frame; frames x queues must fit the hub's 8191 mbufs)")
    ap.add_argument("--dup", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pcap", help="use this pcap instead of generating one")
    ap.add_argument("--replay-payloads", type=int, default=100000,
                    help="payloads of the finite 1280/8192 replay runs (0: skip them)")
    ap.add_argument("--commit", help="commit the siehub binary was built from (default: HEAD)")
    ap.add_argument("--json", action="store_true", help="JSON on stdout instead of a file")
    ap.add_argument("--results-dir", default=HERE)
    a = ap.parse_args()

    siehub = a.siehub or os.path.join(a.build, "apps", "siehub", "siehub")
    gen = os.path.join(a.build, "apps", "siehub-gen", "siehub-gen")
    tsc = os.path.join(a.build, "bench", "pipeline", "tsc_hz")
    ncpu = os.cpu_count() or 1
    if a.workers:
        workers = [int(x) for x in a.workers.split(",")]
    else:
        workers = list(range(1, (a.max_workers or max(1, ncpu - 1)) + 1))
    helptext = subprocess.run([siehub, "--help"], capture_output=True, text=True).stdout
    stage_cycles = not a.no_stage_cycles and "--stage-cycles" in helptext
    tmp = tempfile.mkdtemp(prefix="siehub-bench-")
    cond = conditions()
    tsc_hz = int(sh([tsc]).strip())

    if a.pcap:
        pcap, gen_info = os.path.abspath(a.pcap), {"pcap": a.pcap}
    else:
        pcap = os.path.join(tmp, "sensors-1280.pcap")
        gen_info = generate(gen, pcap, a.seed, a.payloads, a.dup, 1280)

    rows = []
    for w in workers:
        floor = run_testpmd(a.testpmd, pcap, w, a.duration, ncpu)
        cfg = os.path.join(tmp, f"bench-{w}w.conf")
        write_config(cfg, pcap, w, f"{w} worker(s)")
        stats, live, cmd, rc, cpu = run_hub(siehub, cfg, os.path.join(tmp, f"stats-{w}w.json"),
                                            a.duration, stage_cycles)
        hub = hub_figures(stats, live, tsc_hz, w)
        hub.update(cpu)
        # Cost on the CPU the workers actually got (this machine is shared): TSC cycles of
        # worker run time per payload, and the rate one dedicated core would give.
        if hub["payloads_in"] and hub["worker_run_s"]:
            hub["cpu_cycles_per_payload"] = round(tsc_hz * hub["worker_run_s"] /
                                                  hub["payloads_in"])
            hub["payloads_per_cpu_s"] = round(hub["payloads_in"] / hub["worker_run_s"] * w)
        if floor.get("rx_packets") and floor["worker_run_s"]:
            floor["frames_per_cpu_s"] = round(floor["rx_packets"] / floor["worker_run_s"] * w)
        hub["command"] = cmd
        hub["exit_status"] = rc
        ppf = hub["payloads_per_frame"]
        floor["payloads_per_s"] = round(floor["frames_per_s"] * ppf)
        rows.append({
            "workers": w,
            "hub": hub,
            "testpmd_io": floor,
            "ratio_to_floor": round(hub["frames_per_s"] / floor["frames_per_s"], 3)
            if floor["frames_per_s"] else None,
        })

    replays = []
    for size in ([1280, 8192] if a.replay_payloads else []):
        rp = os.path.join(tmp, f"replay-{size}.pcap")
        info = generate(gen, rp, a.seed, a.replay_payloads, a.dup, size)
        r = run_replay(siehub, rp, os.path.join(tmp, f"stats-replay-{size}.json"), 1, tsc_hz)
        r["container"] = size
        r["input"] = info
        replays.append(r)

    cond["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": a.commit or git_commit(),
        "siehub": siehub,
        "tsc_hz": tsc_hz,
        "duration_s": a.duration,
        "conditions": cond,
        "input": gen_info,
        "rows": rows,
        "replay": replays,
    }

    hdr = (f"{'workers':>7} {'frames/s':>9} {'payloads/s':>10} {'cyc/pl':>7} {'wk cpu%':>7} "
           f"{'cpu cyc/pl':>10} {'pl/cpu-s':>9} {'floor fr/s':>10} {'fl fr/cpu-s':>11} "
           f"{'ratio':>6} {'r(cpu)':>6} {'suppr%':>6} {'peak MiB':>8}  drops")
    lines = [hdr]
    for r in rows:
        h, f = r["hub"], r["testpmd_io"]
        dd = h["dedup_inserted"] + h["dedup_suppressed"]
        sup = 100.0 * h["dedup_suppressed"] / dd if dd else 0.0
        drops = ", ".join(f"{k}={v}" for k, v in h["drops"].items()) or "none"
        ppf = h["payloads_per_frame"] or 1.0
        hub_fr_cpu = h.get("payloads_per_cpu_s", 0) / ppf
        fl_fr_cpu = f.get("frames_per_cpu_s", 0)
        r["ratio_to_floor_cpu"] = round(hub_fr_cpu / fl_fr_cpu, 4) if fl_fr_cpu else None
        wk = 100 * h["worker_run_s"] / (h["duration_s"] * r["workers"])
        lines.append(f"{r['workers']:>7} {h['frames_per_s']:>9,} {h['payloads_per_s']:>10,} "
                     f"{h['cycles_per_payload'] or 0:>7,} {wk:>7.0f} "
                     f"{h.get('cpu_cycles_per_payload', 0):>10,} "
                     f"{h.get('payloads_per_cpu_s', 0):>9,} {f['frames_per_s']:>10,} "
                     f"{fl_fr_cpu:>11,} {r['ratio_to_floor']:>6.3f} "
                     f"{r['ratio_to_floor_cpu'] or 0:>6.4f} {sup:>6.1f} "
                     f"{peak_mib(h):>8.0f}  {drops}")
    stages = sorted({k for r in rows for k in r["hub"]["stage_cycles_per_payload"]})
    if stages:
        lines.append("# TSC cycles per payload by stage (siehub --stage-cycles, all workers; "
                     "idle = polls without work):")
        lines.append(f"{'workers':>7} " + " ".join(f"{s:>{max(8, len(s))}}" for s in stages))
        for r in rows:
            c = r["hub"]["stage_cycles_per_payload"]
            lines.append(f"{r['workers']:>7} " + " ".join(
                f"{c.get(s, 0):>{max(8, len(s))},}" for s in stages))
        # The stage counters read the TSC, which also runs while a worker is descheduled: on a
        # shared machine they include other processes' time. Scaled so that they add up to the
        # CPU-time cost (cpu cyc/pl, from schedstat), they estimate each stage's own cost,
        # assuming preemption hits every stage alike.
        lines.append("# the same scaled to the workers' CPU time (sum = cpu cyc/pl):")
        for r in rows:
            c = r["hub"]["stage_cycles_per_payload"]
            total = sum(c.values())
            cpu = r["hub"].get("cpu_cycles_per_payload") or 0
            scaled = {k: round(v * cpu / total) for k, v in c.items()} if total else {}
            r["hub"]["stage_cycles_per_payload_cpu_scaled"] = scaled
            lines.append(f"{r['workers']:>7} " + " ".join(
                f"{scaled.get(s, 0):>{max(8, len(s))},}" for s in stages))
    elif rows:
        lines.append("# no cycles.* counters in this siehub's stats (no --stage-cycles)")
    if replays:
        lines.append("# finite replay (--offline, 1 worker, libpcap read + /dev/null pcap write):")
        lines.append(f"{'container':>9} {'frames':>8} {'payloads':>9} {'payloads/s':>11} "
                     f"{'cpu cyc/pl':>10} {'accepted':>9} {'inserted':>9} {'truth':>9} "
                     f"{'peak MiB':>8}")
        for r in replays:
            lines.append(f"{r['container']:>9} {r['frames']:>8,} {r['payloads_in']:>9,} "
                         f"{r['payloads_per_s']:>11,} {r['cpu_cycles_per_payload'] or 0:>10,} "
                         f"{r['verify_accepted']:>9,} {r['dedup_inserted']:>9,} "
                         f"{r['input']['distinct_rrsets']:>9,} {r['peak_rss_kib'] / 1024:>8.0f}")
    table = "\n".join(lines)
    note = (f"# siehub pipeline benchmark {result['date']} commit {result['commit']}; "
            f"{cond['cpus']} x {cond['cpu']}, TSC {tsc_hz / 1e9:.3f} GHz, load "
            f"{cond['loadavg_before'][0]} -> {cond['loadavg_after'][0]}; "
            f"{a.duration:g} s per run; input {gen_info.get('frames', '?')} frames, "
            f"{gen_info.get('payloads', '?')} payloads, 1280-byte containers, net_pcap infinite RX")
    if a.json:
        print(json.dumps(result, indent=2))
        print(note + "\n" + table, file=sys.stderr)
    else:
        path = os.path.join(a.results_dir,
                            f"results-{result['date'][:10]}-{result['commit']}.json")
        with open(path, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(note)
        print(table)
        print(f"# JSON: {path}")


if __name__ == "__main__":
    main()
