#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""AXA served from the hub itself (docs/sra.md "Serving from the hub"): `siehub --offline` on a
golden capture with --sra-listen (TCP, UNIX and TLS/apikey), --start-delay and --linger; clients written here
(the AXA client of axa_wire.py) log in during the start delay, watch ch=204 and a
dns= pattern, switch channel 204 on and collect WHITs until the hub closes. Every hit is checked
against the ch204 payloads of the same run's out.pcap, decoded independently with
`siehub-nmsg pcap out.pcap --vlan 204 --port 8430`; then an ACL refusal (CHANNEL outside the
account) and the counters (sra.fed = axa.publish_payloads + axa.deliver_payloads, no drops,
whit_sent).

usage: siehub_hub_sra_test.py SIEHUB SIEHUB_NMSG TESTDATA_DIR
"""
import collections
import json
import os
import socket
import signal
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

import axa_wire as sra  # AXA client, nmsg and expectations shared by the AXA tests

SIEHUB, NMSG, TESTDATA = sys.argv[1], sys.argv[2], sys.argv[3]

OP, Client, watch_body, result_text = sra.OP, sra.Client, sra.watch_body, sra.result_text
OP = dict(OP, STOP=137)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main():
    tmp = tempfile.mkdtemp(prefix="hub-sra-e2e-")
    acc = os.path.join(tmp, "accounts")
    with open(acc, "w") as f:
        f.write("user alice 204\nuser bob 202,220\napikey SECRETKEY123 204 carol\n")
    key, crt = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "1", "-subj", "/CN=siehub-test"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    unix_path = os.path.join(tmp, "sra.sock")
    out = os.path.join(tmp, "out.pcap")
    stats = os.path.join(tmp, "stats.json")
    pcap = os.path.join(TESTDATA, "pcap", "nmsg-udp-8430.pcap")
    cmd = [SIEHUB, "--offline", pcap, "--out", out, "--workers", "2", "--stats-json", stats,
           "--sra-listen", "tcp:127.0.0.1,0", "--sra-listen", "unix:" + unix_path,
           "--sra-listen", "apikey:127.0.0.1,0", "--sra-cert", crt, "--sra-key", key,
           "--sra-accounts", acc, "--start-delay", "3", "--linger", "2"]
    t0 = time.time()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    port = key_port = None
    while port is None or key_port is None:
        line = p.stderr.readline()
        if not line:
            break
        if "sra listening on " in line and "(port " in line:
            n = int(line.split("(port ")[1].rstrip(")\n"))
            if "listening on tcp:" in line:
                port = n
                t0 = time.time()  # the start delay runs from here
            else:
                key_port = n
    threading.Thread(target=lambda: [sys.stderr.write(l) for l in p.stderr], daemon=True).start()
    check(port is not None and key_port is not None, "siehub printed its AXA ports")
    if port is None or key_port is None:
        p.kill()
        sys.exit(1)

    plans = {"all": (socket.create_connection(("127.0.0.1", port)), ["ch=204"]),
             "dns": (None, ["dns=*.sub.example.com", "dns=www.example.com"])}
    u = socket.socket(socket.AF_UNIX)
    u.connect(unix_path)
    plans["dns"] = (u, plans["dns"][1])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    plans["tls"] = (ctx.wrap_socket(socket.create_connection(("127.0.0.1", key_port))),
                    ["dns=*.sub.example.com"])
    clients = {}
    for name, (sock, watches) in plans.items():
        c = Client(sock)
        hello = c.recv()
        check(hello[0] == OP["HELLO"] and b"srad" in hello[3], name + ": HELLO first")
        r = c.login("SECRETKEY123" if name == "tls" else "alice")
        check(r[0] == OP["OK"], name + ": login " + str(r))
        for i, w in enumerate(watches, 1):
            c.send(OP["WATCH"], i, watch_body(w), 2)
            r = c.reply()
            check(r[0] == OP["OK"] and r[1] == i, "%s: watch %s -> %s" % (name, w, r))
        c.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
        r = c.reply()
        check(r[0] == OP["OK"] and result_text(r) == "channel ch204 on", name + ": channel on " + str(r))
        clients[name] = c
    # Watches change before the input starts: the workers must match with the generation the
    # server compiled last. "switch" watches www.example.com, lets the hub publish that
    # generation, then stops it and watches *.sub.example.com instead: it gets the latter's
    # hits only, all with tag 2.
    sw = Client(socket.create_connection(("127.0.0.1", port)))
    sw.recv()
    check(sw.login("alice")[0] == OP["OK"], "switch: login")
    sw.send(OP["WATCH"], 1, watch_body("dns=www.example.com"), 2)
    check(sw.reply()[:2] == (OP["OK"], 1), "switch: first watch")
    sw.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
    check(sw.reply()[0] == OP["OK"], "switch: channel on")
    time.sleep(0.3)  # the server thread publishes the generation with watch 1
    sw.send(OP["STOP"], 1, b"", 2)
    check(sw.reply()[:2] == (OP["OK"], 1), "switch: STOP watch 1")
    sw.send(OP["WATCH"], 2, watch_body("dns=*.sub.example.com"), 2)
    check(sw.reply()[:2] == (OP["OK"], 2), "switch: second watch")
    clients["switch"] = sw
    plans["switch"] = (sw.s, ["dns=*.sub.example.com"])
    # A client index reused: "gone" watches everything and disconnects; "reuse" logs in
    # after it (the server hands out the freed index first) and watches one name only: it
    # never gets gone's hits.
    g = Client(socket.create_connection(("127.0.0.1", port)))
    g.recv()
    check(g.login("alice")[0] == OP["OK"], "gone: login")
    g.send(OP["WATCH"], 1, watch_body("ch=204"), 2)
    g.reply()
    g.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
    check(g.reply()[0] == OP["OK"], "gone: channel on")
    time.sleep(0.2)
    g.s.close()
    time.sleep(0.2)
    ru = Client(socket.create_connection(("127.0.0.1", port)))
    ru.recv()
    check(ru.login("alice")[0] == OP["OK"], "reuse: login")
    ru.send(OP["WATCH"], 7, watch_body("dns=www.example.com"), 2)
    check(ru.reply()[:2] == (OP["OK"], 7), "reuse: watch")
    ru.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
    check(ru.reply()[0] == OP["OK"], "reuse: channel on")
    clients["reuse"] = ru
    plans["reuse"] = (ru.s, ["dns=www.example.com"])
    # ACL: bob's account has 202 and 220 only.
    b = Client(socket.create_connection(("127.0.0.1", port)))
    b.recv()
    r = b.login("bob")
    check(r[0] == OP["OK"], "bob: login " + str(r))
    b.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
    r = b.reply()
    check(r[0] == OP["ERROR"], "bob: channel 204 refused " + str(r))
    b.s.close()
    check(time.time() - t0 < 2.9, "clients were ready before the start delay ran out")

    # SIGHUP re-reads the accounts: dave is unknown, then added, then logs in.
    d = Client(socket.create_connection(("127.0.0.1", port)))
    d.recv()
    r = d.login("dave")
    check(r[0] == OP["ERROR"], "dave refused before the reload " + str(r))
    d.s.close()
    with open(acc, "a") as f:
        f.write("user dave 202\n")
    p.send_signal(signal.SIGHUP)
    ok = False
    for _ in range(30):
        time.sleep(0.1)
        d = Client(socket.create_connection(("127.0.0.1", port)))
        d.recv()
        r = d.login("dave")
        d.s.close()
        if r[0] == OP["OK"]:
            ok = True
            break
    check(ok, "dave logs in after SIGHUP")

    results = {}

    def collect(name, c):
        hits = []
        while True:
            try:
                m = c.recv()
            except OSError:
                break
            if m is None:
                break
            if m[0] == OP["WHIT"]:
                hits.append(m)
        results[name] = hits

    ths = [threading.Thread(target=collect, args=(n, c)) for n, c in clients.items()]
    for th in ths:
        th.start()
    rc = p.wait(60)
    for th in ths:
        th.join(20)
    check(rc == 0, "siehub exit code 0 (got %s)" % rc)
    check(time.time() - t0 >= 5.0, "the hub served the start delay and the linger time")

    # Independent expectation: the ch204 payloads the same run wrote to out.pcap.
    ch_nmsg = os.path.join(tmp, "ch204.nmsg")
    d = subprocess.run([NMSG, "pcap", out, "--vlan", "204", "--port", "8430", "--nmsg", ch_nmsg],
                       capture_output=True, text=True, timeout=60)
    check(d.returncode == 0, "siehub-nmsg pcap decodes ch204: " + d.stderr[-300:])
    expected = sra.file_payloads(ch_nmsg)
    j = subprocess.run([NMSG, "read", ch_nmsg, "--json"], capture_output=True, text=True,
                       timeout=60)
    lines = [l for l in j.stdout.splitlines() if l.strip()]
    check(len(lines) == len(expected), "ch204 JSON and payload counts agree")
    check(len(expected) > 0, "the run emitted ch204 records")
    keys = [sra.json_keys(l) for l in lines]

    for name, (_, watches) in plans.items():
        want = collections.Counter(
            pl for pl, k in zip(expected, keys) if any(sra.matches(w, k) for w in watches))
        got = collections.Counter()
        for op, tag, pv, body in results.get(name, []):
            if name in ("switch", "reuse"):
                check(tag == (2 if name == "switch" else 7), "%s: WHIT tag %d" % (name, tag))
            ch, typ, pad = struct.unpack("<HBB", body[:4])
            check(ch == 204 and typ == 0, name + ": WHIT nmsg on ch204")
            unit = body[20:]
            check(unit[:4] == b"NMSG" and struct.unpack(">I", unit[6:10])[0] == len(unit) - 10,
                  name + ": nmsg unit")
            ps, crcs = sra.container_payloads(unit[10:])
            check(len(ps) == 1 and len(crcs) == 1, name + ": one payload with its CRC")
            got[ps[0]] += 1
        check(got == want, "%s: %d hits (%d distinct), expected %d (%d distinct); %d unexpected, "
              "%d missing" % (name, sum(got.values()), len(got), sum(want.values()), len(want),
                              len(got - want), len(want - got)))
        print("%s: %d hits as expected" % (name, sum(want.values())))
    sub = sum(1 for k in keys if any(sra.matches(w, k) for w in plans["dns"][1]))
    check(0 < sub < len(keys), "the dns= watches select a proper subset (%d of %d)" % (sub, len(keys)))

    st = json.load(open(stats))["totals"]
    check(st["axa.whit_sent"] == sum(len(v) for v in results.values()), "axa.whit_sent")
    # Workers match (docs/sra.md "Serving from the hub"): only payloads some client hit cross
    # the ring; the server delivers them without matching again.
    check(st["sra.fed"] == st["axa.publish_payloads"] + st["axa.deliver_payloads"],
          "sra.fed = axa.publish_payloads + axa.deliver_payloads")
    check(st["sra.fed"] == st["sra.matched"] + st["sra.overflow"], "sra.fed = matched + overflow")
    check(st["sra.matched"] + st["sra.unmatched"] + st["sra.overflow"] >= len(expected),
          "every ch204 record was matched on a worker")
    check(st["axa.publish_payloads"] == st["sra.overflow"], "the server matched only overflows")
    for k in ("sra.drop_ring_full", "sra.drop_no_buffer", "sra.drop_too_big"):
        check(st[k] == 0, k + " is 0")
    check(st["axa_error.channel_not_permitted"] == 1, "axa_error.channel_not_permitted")
    check(st["axa.reloads"] >= 1, "axa.reloads")
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("siehub AXA e2e: ok")


main()
