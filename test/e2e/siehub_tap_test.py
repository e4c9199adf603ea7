#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""siehub-tap end to end.

  siehub_tap_test.py pcap TAP SIEHUB_NMSG TESTDATA
      --pcap on the golden channel captures: JSON identical to the golden .jsonl; nmsg files
      read back by siehub-nmsg (which reads what nmsgtool reads) give the same JSON; channel
      selection on a capture with two VLANs; rotation by size and by time (a capture fed
      slowly through a pipe); SIGTERM closes the file cleanly (exit 0, no .part left); libnmsg
      sequence loss on the lossy capture; malformed frames counted by reason and never
      written; --count; --udp re-send read back.
  siehub_tap_test.py veth TAP SIEHUB_NMSG TESTDATA      (root; exit 77 = skipped)
      A network namespace with a veth pair: a raw AF_PACKET socket sends 802.1Q-tagged channel
      frames (VLAN 204 and 213) on one end, siehub-tap --iface reads the other end's TPACKET_V3
      ring; the kernel strips the tags, so the channels must come from the ring's VLAN
      metadata (tap.vlan_from_ring), and each channel's payloads must equal what
      `siehub-nmsg pcap --vlan N` decodes from the same tagged frames.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
NL = b"\n"
mode, tap, tool, td = sys.argv[1:5]
pcapdir = os.path.join(td, "pcap")
work = tempfile.mkdtemp(prefix="siehub-tap-")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}", flush=True)
    return cond


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=kw.pop("timeout", 30), **kw)


def golden(name):
    with open(os.path.join(pcapdir, name + ".jsonl"), "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------- pcap helpers
def read_pcap(path):
    """Returns (global header bytes, [(ts_sec, ts_usec, frame bytes)])."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, f"{path}: not a little-endian microsecond pcap"
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack("<IIII", data[off : off + 16])
        out.append((sec, usec, data[off + 16 : off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], out


def pcap_bytes(frames, snaplen=262144):
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)
    recs = [hdr]
    for i, fr in enumerate(frames):
        recs.append(struct.pack("<IIII", 1764000000 + i, 0, len(fr), len(fr)) + fr)
    return b"".join(recs)


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(pcap_bytes(frames))


def tag(frame, vid):
    """Inserts an 802.1Q tag after the MAC addresses; the destination becomes broadcast."""
    return b"\xff" * 6 + frame[6:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]


def udp_frame(payload, dport=8430, sport=40000, ip_flags=0x4000, vid=None):
    ip_len = 20 + 8 + len(payload)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 1, ip_flags, 64, 17, 0,
                      bytes([198, 18, 0, 2]), bytes([198, 18, 0, 255]))
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    eth = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x02"
    if vid is not None:
        eth += struct.pack("!HH", 0x8100, vid)
    return eth + b"\x08\x00" + iph + udp + payload


def stats_of(path):
    with open(path) as f:
        return json.load(f)


def nmsg_read(files):
    p = run([tool, "read"] + files)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def no_parts(d):
    return [n for n in os.listdir(d) if n.endswith(".part")]


# ------------------------------------------------------------------------------- pcap mode
def test_pcap():
    # 1. Every golden channel capture: JSON identical to what nmsgtool wrote.
    for name in ["nmsg-udp-8430", "nmsg-udp-8430-mtu1280", "nmsg-udp-8430-frag512",
                 "nmsg-udp-8430-zlib", "nmsg-udp-8430-zlib-frag512", "nmsg-bcast-8430",
                 "nmsg-udp-8430-mtu1280-loss"]:
        out = os.path.join(work, name + ".jsonl")
        p = run([tap, "--pcap", os.path.join(pcapdir, name + ".pcap"), "--json", out, "-q"])
        check(f"{name} exit", p.returncode == 0, p.stderr)
        with open(out, "rb") as f:
            check(f"{name} json == golden", f.read() == golden(name))

    # 2. nmsg files read back (plain, fragmented+zlib, zlib output).
    for name, extra in [("nmsg-udp-8430", []), ("nmsg-udp-8430-zlib-frag512", []),
                        ("nmsg-udp-8430-mtu1280", ["--zlib", "--container-size", "1280"])]:
        d = tempfile.mkdtemp(dir=work)
        p = run([tap, "--pcap", os.path.join(pcapdir, name + ".pcap"),
                 "--nmsg", os.path.join(d, "tap-%Y%m%d.nmsg"), "-q"] + extra)
        files = sorted(os.listdir(d))
        check(f"{name} nmsg: one file, no .part", p.returncode == 0 and len(files) == 1 and
              files[0].endswith(".nmsg"), f"{files} {p.stderr}")
        rc, out, err = nmsg_read([os.path.join(d, f) for f in files])
        check(f"{name} nmsg read back == golden {extra}", rc == 0 and out == golden(name), err)

    # 3. Channel selection: the VLAN 213 frame, and a capture with two channels.
    vlan213 = os.path.join(pcapdir, "nmsg-bcast-8430-vlan213.pcap")
    p = run([tap, "--pcap", vlan213, "--channel", "213", "--json", "-", "-q"])
    check("vlan213 --channel 213 == golden", p.stdout == golden("nmsg-bcast-8430"))
    st = os.path.join(work, "ch.json")
    p = run([tap, "--pcap", vlan213, "--channel", "204", "--json", "-", "-q", "--stats-json", st])
    s = stats_of(st)
    check("vlan213 --channel 204 empty", p.returncode == 0 and p.stdout == b"" and
          s["counters"]["tap.ignored_other_channel"] == 1, s["counters"])

    _, frames = read_pcap(os.path.join(pcapdir, "nmsg-udp-8430-mtu1280.pcap"))
    # Whole containers per channel (a fragmented container's datagrams stay together).
    mixed = [tag(fr, 204 if i < 6 else 213) for i, (_, _, fr) in enumerate(frames)]
    mixed_pcap = os.path.join(work, "mixed.pcap")
    write_pcap(mixed_pcap, mixed)
    for ch in (204, 213):
        want = run([tool, "pcap", mixed_pcap, "--vlan", str(ch)]).stdout
        p = run([tap, "--pcap", mixed_pcap, "--channel", str(ch), "--json", "-", "-q",
                 "--stats-json", st])
        s = stats_of(st)
        check(f"mixed --channel {ch}", p.returncode == 0 and p.stdout == want and
              len(want) > 0 and list(s["channels"].keys()) == [str(ch)], s["channels"])
    p = run([tap, "--pcap", mixed_pcap, "--channel", "204", "--channel", "213", "--json", "-",
             "-q", "--stats-json", st])
    s = stats_of(st)
    check("mixed both channels == golden", p.stdout == golden("nmsg-udp-8430-mtu1280") and
          sorted(s["channels"].keys()) == ["204", "213"] and
          s["channels"]["204"]["payloads"] + s["channels"]["213"]["payloads"] == 55, s["channels"])

    # 4. Rotation by size: every file complete on its own, none above the limit unless a
    # single fragment batch needs more, concatenation == all payloads.
    d = tempfile.mkdtemp(dir=work)
    p = run([tap, "--pcap", os.path.join(pcapdir, "nmsg-udp-8430.pcap"), "--nmsg",
             os.path.join(d, "s.nmsg"), "--rotate-size", "3000", "--container-size", "1280", "-q"])
    names = sorted(os.listdir(d), key=lambda n: 0 if n == "s.nmsg" else int(n.split(".")[1]))
    check("rotate-size: several files", p.returncode == 0 and len(names) >= 4 and
          not no_parts(d), names)
    every_ok = True
    for n in names:
        size = os.path.getsize(os.path.join(d, n))
        rc, out, err = nmsg_read([os.path.join(d, n)])
        every_ok &= rc == 0 and len(out) > 0 and size <= 3000
    check("rotate-size: each file readable and <= 3000 bytes", every_ok)
    rc, out, err = nmsg_read([os.path.join(d, n) for n in names])
    check("rotate-size: concatenation == golden", rc == 0 and out == golden("nmsg-udp-8430"), err)

    # 5. Rotation by time, then SIGTERM: the capture arrives slowly through a pipe.
    d = tempfile.mkdtemp(dir=work)
    gh, recs = read_pcap(os.path.join(pcapdir, "nmsg-udp-8430-mtu1280.pcap"))
    proc = subprocess.Popen([tap, "--pcap", "-", "--nmsg", os.path.join(d, "t-%H%M%S.nmsg"),
                             "--rotate", "1", "--container-size", "1280", "-q"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(gh)
    t0 = time.monotonic()
    for i, (sec, usec, fr) in enumerate(recs):
        proc.stdin.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr)
        proc.stdin.flush()
        # 15 datagrams over about 2.8 s: at least two rotations.
        time.sleep(0.2)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)  # the pipe stays open: only the signal ends the run
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -1
    proc.stdin.close()
    names = sorted(os.listdir(d), key=lambda n: os.stat(os.path.join(d, n)).st_mtime_ns)
    check("rotate 1 s + SIGTERM: exit 0", rc == 0, proc.stderr.read())
    check("rotate 1 s: >= 2 files, no .part", len(names) >= 2 and not no_parts(d), names)
    rc, out, err = nmsg_read([os.path.join(d, n) for n in names])
    check("rotate 1 s: files complete, concatenation == golden",
          rc == 0 and out == golden("nmsg-udp-8430-mtu1280"), err)

    # 6. Loss: libnmsg's count on the lossy capture (nmsgtool -dd totals).
    with open(os.path.join(pcapdir, "nmsg-udp-8430-mtu1280-loss.totals.txt")) as f:
        tot = f.read().split()
    want_recvs = int(tot[tot.index("container_recvs") + 1])
    want_drops = int(tot[tot.index("container_drops") + 1])
    p = run([tap, "--pcap", os.path.join(pcapdir, "nmsg-udp-8430-mtu1280-loss.pcap"),
             "--json", "-", "--stats-json", st])
    s = stats_of(st)
    check("loss: container_recvs/drops as nmsgtool -dd",
          s["sequence"]["container_recvs"] == want_recvs and
          s["sequence"]["container_drops"] == want_drops and
          len(s["senders"]) == 1 and s["senders"][0]["lost"] == want_drops, s["sequence"])
    check("loss: live line reports it", f"lost {want_drops}" in p.stderr.decode(), p.stderr)
    check("loss: incomplete fragment set not written",
          p.stdout == golden("nmsg-udp-8430-mtu1280-loss"))

    # 7. Malformed frames: counted by reason, never written, never a crash.
    good = frames[0][2]
    good_payload = good[42:]  # lo capture: 14 Ethernet + 20 IPv4 + 8 UDP
    ihl4 = bytearray(udp_frame(good_payload))
    ihl4[14] = 0x44
    ihl4 = bytes(ihl4)
    arp = b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06" + b"\x00" * 28
    bad = [
        b"\x01\x02\x03",                                        # truncated Ethernet
        good[:20],                                              # truncated IPv4
        udp_frame(good_payload, vid=204)[:14 + 2],              # truncated VLAN
        udp_frame(good_payload)[:-100],                         # IP total length > frame
        ihl4,                                                   # IPv4 IHL < 5
        udp_frame(b"NMSG\x00\x03\x00\x00\x00\x05hello"),        # wrong version
        udp_frame(b"NMSX" + good_payload[4:]),                  # bad magic
        udp_frame(good_payload[:10] + b"\xff" * (len(good_payload) - 10)),  # body garbage
        udp_frame(good_payload, ip_flags=0x2000),               # IPv4 fragment (MF)
        udp_frame(good_payload, dport=9999),                    # other port
        arp,
        udp_frame(b"NMSG\x01\x02\x00\x00\x00\x04\x00\x00\x00\x10"),  # zlib, no stream
    ]
    crc_bad = bytearray(good_payload)
    crc_bad[60] ^= 0x01  # inside the first payload's vendor bytes: its CRC no longer matches
    bad.append(udp_frame(bytes(crc_bad)))
    _, hl = read_pcap(os.path.join(pcapdir, "nmsg-udp-8430-zlib-mtu1280-headerless-bug.pcap"))
    mal = os.path.join(work, "malformed.pcap")
    write_pcap(mal, bad + [fr for (_, _, fr) in hl] + [udp_frame(good_payload)])
    p = run([tap, "--pcap", mal, "--json", "-", "--stats-json", st, "--port", "8430"])
    s = stats_of(st)["counters"]
    check("malformed: exit 0", p.returncode == 0, p.stderr)
    check("malformed: reasons", s["tap.drop_frame_truncated"] == 4 and
          s["tap.drop_frame_malformed"] == 1 and s["tap.drop_ipv4_fragment"] == 1 and
          s["tap.ignored_other_port"] == 1 and s["tap.ignored_not_ip"] == 1 and
          s["tap.drop_container_header"] == 2 + 2 and  # version, magic; 2 headerless
          s["tap.drop_container"] == 1 and s["tap.drop_zlib"] == 1 and
          s["tap.drop_payload_crc"] == 1, s)
    # Headerless capture: 7 good zlib containers + the good frame at the end; the crc_bad
    # frame loses only its last payload.
    want = run([tool, "--skip-bad", "pcap", mal]).stdout
    check("malformed: only valid payloads written", p.stdout == want and
          s["tap.payloads_out"] == want.count(b"\n") and len(want) > 0,
          f"{s['tap.payloads_out']} vs {want.count(NL)}")

    # 8. --count stops after exactly N payloads.
    p = run([tap, "--pcap", os.path.join(pcapdir, "nmsg-udp-8430.pcap"), "--json", "-",
             "--count", "7", "-q"])
    check("--count 7", p.returncode == 0 and
          p.stdout == b"".join(golden("nmsg-udp-8430").splitlines(True)[:7]))

    # 9. --udp re-send: datagrams received here are complete units; read back as a file.
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    rx.settimeout(2)
    port = rx.getsockname()[1]
    p = run([tap, "--pcap", os.path.join(pcapdir, "nmsg-udp-8430.pcap"), "--udp",
             f"127.0.0.1/{port}", "--udp-size", "1280", "-q"])
    dgrams = []
    try:
        while True:
            dgrams.append(rx.recv(65536))
            rx.settimeout(0.3)
    except socket.timeout:
        pass
    rx.close()
    frags = sum(1 for d in dgrams if d[4] & 0x02)
    ufile = os.path.join(work, "udp.nmsg")
    with open(ufile, "wb") as f:
        f.write(b"".join(d for d in dgrams if not d[4] & 0x02))
    rc, out, err = nmsg_read([ufile])
    # Reassembled through siehub-tap itself from a capture of what was received.
    upcap = os.path.join(work, "udp.pcap")
    write_pcap(upcap, [udp_frame(d) for d in dgrams])
    p2 = run([tap, "--pcap", upcap, "--json", "-", "-q", "--stats-json", st])
    s = stats_of(st)
    check("--udp: <= 1280-byte datagrams, fragments for big payloads",
          p.returncode == 0 and all(len(d) <= 1280 for d in dgrams) and frags >= 2, len(dgrams))
    check("--udp: received stream == golden, no loss", p2.stdout == golden("nmsg-udp-8430") and
          s["sequence"]["container_drops"] == 0 and s["sequence"]["container_recvs"] > 0,
          s["sequence"])

    # 10. --help documents the contract's options.
    h = run([tap, "--help"]).stdout.decode()
    check("--help", all(o in h for o in ["--iface", "--pcap", "--channel", "--nmsg", "--rotate",
                                         "--rotate-size", "--json", "--udp", "--count",
                                         "--duration", "--stats-json"]))


# ------------------------------------------------------------------------------- veth mode
def test_veth():
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespace, veth)")
        sys.exit(SKIP)
    pid = os.getpid()
    ns, a, b = f"sh-tap-{pid}", f"sta{pid}", f"stb{pid}"
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        print("SKIP: cannot create a network namespace")
        sys.exit(SKIP)
    try:
        def nsx(*cmd, **kw):
            return subprocess.run(["ip", "netns", "exec", ns] + list(cmd), capture_output=True,
                                  timeout=kw.pop("timeout", 20), **kw)
        for cmd in (["ip", "link", "add", a, "type", "veth", "peer", "name", b],
                    ["sysctl", "-qw", f"net.ipv6.conf.all.disable_ipv6=1"],
                    ["ip", "link", "set", a, "up"], ["ip", "link", "set", b, "up"]):
            r = nsx(*cmd)
            if r.returncode != 0 and cmd[0] == "ip":
                raise RuntimeError(f"{cmd}: {r.stderr}")
        _, recs = read_pcap(os.path.join(pcapdir, "nmsg-udp-8430-mtu1280.pcap"))
        frames = [tag(fr, 204 if i < 6 else 213) for i, (_, _, fr) in enumerate(recs)]
        _, b213 = read_pcap(os.path.join(pcapdir, "nmsg-bcast-8430-vlan213.pcap"))
        sent = frames + [b213[0][2]]
        sent_pcap = os.path.join(work, "sent.pcap")
        write_pcap(sent_pcap, sent)
        want = {ch: run([tool, "pcap", sent_pcap, "--vlan", str(ch)]).stdout for ch in (204, 213)}
        want_n = {ch: want[ch].count(b"\n") for ch in want}
        sender = os.path.join(work, "send.py")
        with open(sender, "w") as f:
            f.write(
                "import socket,sys\n"
                "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
                f"s.bind(({a!r},0))\n"
                "d=open(sys.argv[1],'rb').read()\n"
                "import struct\n"
                "o=24\n"
                "while o+16<=len(d):\n"
                "    n=struct.unpack('<I',d[o+8:o+12])[0]\n"
                "    s.send(d[o+16:o+16+n]); o+=16+n\n")

        def start_tap(args):
            # A 32 MiB ring: ample for these frames, light on a CI host's locked memory.
            proc = subprocess.Popen(["ip", "netns", "exec", ns, tap, "--iface", b,
                                     "--ring-blocks", "8"] + args,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            line = proc.stderr.readline().decode()
            check("tap started", "reading" in line, line)
            return proc

        def finish(proc, timeout=10):
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=10)
                check("tap ended by itself", False)
            return proc.returncode, out, err.decode(errors="replace")

        # Channel 204 only, JSON, stops by itself after the expected payloads.
        st = os.path.join(work, "veth204.json")
        proc = start_tap(["--channel", "204", "--json", "-", "--count", str(want_n[204]),
                          "--stats-json", st, "--duration", "8"])
        r = nsx(sys.executable, sender, sent_pcap)
        check("sender", r.returncode == 0, r.stderr)
        rc, out, err = finish(proc)
        s = stats_of(st)
        c = s["counters"]
        check("veth ch204: exit 0", rc == 0, err)
        check("veth ch204: payloads == siehub-nmsg pcap --vlan 204", out == want[204] and
              want_n[204] > 0, f"{out.count(NL)} vs {want_n[204]}")
        check("veth: VLAN from the ring metadata", c["tap.vlan_from_ring"] >= 6 and
              list(s["channels"].keys()) == ["204"], c)

        # Every channel into nmsg files; ends on --duration; per-channel stats.
        d = tempfile.mkdtemp(dir=work)
        st = os.path.join(work, "vethall.json")
        proc = start_tap(["--nmsg", os.path.join(d, "all-%Y%m%d%H%M%S.nmsg"),
                          "--duration", "3", "--stats-json", st])
        nsx(sys.executable, sender, sent_pcap)
        rc, out, err = finish(proc)
        s = stats_of(st)
        names = sorted(os.listdir(d))
        check("veth all: exit 0, one file, no .part", rc == 0 and len(names) == 1 and
              not no_parts(d), f"{names} {err}")
        rc, out, err = nmsg_read([os.path.join(d, n) for n in names])
        check("veth all: file == both channels' payloads",
              rc == 0 and out.count(b"\n") == want_n[204] + want_n[213] and
              out == golden("nmsg-udp-8430-mtu1280") + golden("nmsg-bcast-8430"), err)
        ch = s["channels"]
        check("veth all: per-channel counts", sorted(ch.keys()) == ["204", "213"] and
              ch["204"]["payloads"] == want_n[204] and ch["213"]["payloads"] == want_n[213] and
              s["ring"]["drops"] == 0 and s["sequence"]["container_drops"] == 0, ch)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    # Disk full (a 12 KiB tmpfs in a private mount namespace): exit 1 with the reason, and
    # every file left behind is complete (the failed one cut back to whole containers or
    # removed), no .part.
    d = tempfile.mkdtemp(dir=work)
    script = (f"mount -t tmpfs -o size=12k tmpfs {d} || exit 77; "
              f"{tap} --pcap {os.path.join(pcapdir, 'nmsg-udp-8430.pcap')} --nmsg {d}/f.nmsg "
              f"--container-size 1280 --rotate-size 8000 -q; echo rc=$?; "
              f"ls -a {d}; {tool} read {d}/*.nmsg | wc -l; echo read=${{PIPESTATUS[0]}}")
    r = subprocess.run(["unshare", "-m", "bash", "-c", script], capture_output=True, text=True,
                       timeout=30)
    if "rc=" in r.stdout:
        out = r.stdout
        check("disk full: exit 1 with the reason", "rc=1" in out and
              "No space left" in r.stderr, out + r.stderr)
        check("disk full: files complete, no .part", "read=0" in out and ".part" not in out and
              int(out.split()[-2]) > 0, out)
    else:
        print("SKIP: disk-full check (no private mount namespace / tmpfs)")


try:
    if mode == "pcap":
        test_pcap()
    elif mode == "veth":
        test_veth()
    else:
        sys.exit(f"unknown mode {mode}")
finally:
    subprocess.run(["rm", "-rf", work])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
