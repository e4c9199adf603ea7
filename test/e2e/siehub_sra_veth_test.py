#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""siehub-sra --input iface:IF over a veth pair whose far end lives in a network namespace
this test creates and removes: 802.1Q-tagged nmsg datagrams on VLAN 204 and 213 and an
untagged one are sent from the namespace; a TCP client that switched on ch204 only must get
exactly the ch204 payloads, and the counters must show the untagged frame. Root only; exits 77
(skipped) elsewhere.

usage: siehub_sra_veth_test.py SIEHUB_SRA TESTDATA_DIR
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

from axa_wire import varint  # shared with the other AXA tests

SRA, TESTDATA = sys.argv[1], sys.argv[2]
if os.geteuid() != 0 or subprocess.run(["ip", "-V"], capture_output=True).returncode != 0:
    print("skipped: needs root and iproute2")
    sys.exit(77)

NS = "sra-veth-%d" % os.getpid()
A, B = "sraA%d" % (os.getpid() % 10000), "sraB%d" % (os.getpid() % 10000)


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


def ipsum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(vlan, payload, sport):
    udp = struct.pack("!HHHH", sport, 8430, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([192, 0, 2, 10]), bytes([255, 255, 255, 255]))
    ip = ip[:10] + struct.pack("!H", ipsum(ip)) + ip[12:]
    eth = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01"
    if vlan:
        eth += struct.pack("!HH", 0x8100, vlan)
    return eth + struct.pack("!H", 0x0800) + ip + udp


def payload_count(unit):
    # Nmsg container: field 1 (payloads) entries.
    body, i, n = unit[10:], 0, 0
    while i < len(body):
        k, i = varint(body, i)
        if k & 7 == 2:
            ln, i = varint(body, i)
            i += ln
            n += (k >> 3) == 1
        else:
            _, i = varint(body, i)
    return n


def main():
    failures = []
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "link", "add", A, "type", "veth", "peer", "name", B)
        sh("ip", "link", "set", B, "netns", NS)
        sh("ip", "link", "set", A, "up")
        sh("ip", "netns", "exec", NS, "ip", "link", "set", B, "up")
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % A, check=False)
        tmp = tempfile.mkdtemp(prefix="sra-veth-")
        acc = os.path.join(tmp, "acc")
        open(acc, "w").write("user tester 204,213\n")
        stats = os.path.join(tmp, "stats.json")
        p = subprocess.Popen([SRA, "--input", "iface:" + A, "--channel", "204", "--channel", "213",
                              "--sra-listen", "tcp:127.0.0.1,0", "--sra-accounts", acc,
                              "--stats-json", stats], stderr=subprocess.PIPE, text=True)
        port = None
        while port is None:
            line = p.stderr.readline()
            if not line:
                break
            if "(port " in line:
                port = int(line.split("(port ")[1].rstrip(")\n"))
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(10)
        buf = b""

        def recv():
            nonlocal buf
            while True:
                if len(buf) >= 8:
                    ln, tag, pv, op = struct.unpack("<IHBB", buf[:8])
                    if len(buf) >= ln:
                        m = (op, tag, buf[8:ln])
                        buf = buf[ln:]
                        return m
                d = s.recv(65536)
                if not d:
                    return None
                buf += d

        def send(op, tag, body):
            s.sendall(struct.pack("<IHBB", 8 + len(body), tag, 1, op) + body)

        recv()  # HELLO
        send(129, 0, b"tester".ljust(64, b"\0"))
        ok = recv()
        send(133, 1, bytes([4, 0, 0, 0]) + struct.pack("<H", 204))
        w1 = recv()
        send(133, 2, bytes([4, 0, 0, 0]) + struct.pack("<H", 213))
        w2 = recv()
        send(139, 0, struct.pack("<HB", 204, 1))
        ch = recv()
        if [m[0] for m in (ok, w1, w2, ch)] != [2, 2, 2, 2]:
            failures.append("login/watch/channel replies %s" % [m[0] for m in (ok, w1, w2, ch)])
        ins = open(TESTDATA + "/nmsg/dnsdedupe-insertion.nmsg", "rb").read()
        nx = open(TESTDATA + "/nmsg/dnsnx.nmsg", "rb").read()
        want = payload_count(ins) * 3
        sender = ("import socket,sys\n"
                  "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
                  "s.bind((%r,0))\n"
                  "for f in sys.stdin.buffer.read().split(b'--FRAME--'):\n"
                  "    s.send(f)\n") % B
        frames = [frame(204, ins, 40000 + i) for i in range(3)] + [frame(213, nx, 41000),
                                                                    frame(0, ins, 42000)]
        time.sleep(0.2)
        subprocess.run(["ip", "netns", "exec", NS, "python3", "-c", sender],
                       input=b"--FRAME--".join(frames), check=True)
        got = []
        t_end = time.time() + 10
        while len(got) < want and time.time() < t_end:
            m = recv()
            if m is None:
                break
            if m[0] == 5:
                got.append(m)
        s.settimeout(0.5)
        try:
            extra = recv()
            if extra is not None and extra[0] == 5:
                failures.append("a hit beyond the ch204 payloads (ch213 is off)")
        except socket.timeout:
            pass
        if len(got) != want:
            failures.append("WHITs %d, expected %d" % (len(got), want))
        for op, tag, body in got:
            if struct.unpack("<H", body[:2])[0] != 204 or tag != 1:
                failures.append("WHIT ch/tag %d/%d" % (struct.unpack("<H", body[:2])[0], tag))
        p.send_signal(signal.SIGTERM)
        rc = p.wait(10)
        if rc != 0:
            failures.append("exit code %d after SIGTERM" % rc)
        st = json.load(open(stats))["counters"]
        if st["sra_input.frames_untagged"] < 1:
            failures.append("sra_input.frames_untagged %d" % st["sra_input.frames_untagged"])
        if st["sra_input.datagrams"] != 4:
            failures.append("sra_input.datagrams %d (3 on VLAN 204, 1 on 213)" % st["sra_input.datagrams"])
        s.close()
    finally:
        sh("ip", "netns", "del", NS, check=False)
        sh("ip", "link", "del", A, check=False)
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print("siehub-sra veth: %d WHITs on ch204 from the AF_PACKET ring, ok" % want)


main()
