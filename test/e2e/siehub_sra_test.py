#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""siehub-sra end to end: replay golden nmsg files on ch204, three clients written here (TCP,
UNIX and TLS/apikey) log in, watch, enable the channel and collect WHITs; every hit is checked
against an expectation computed independently from the golden JSON Lines (names, suffixes,
prefixes), every WHIT's nmsg unit is checked (one payload, CRC), then ACL refusals.

usage: siehub_sra_test.py SIEHUB_SRA TESTDATA_DIR
"""
import ipaddress
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

SRA, TESTDATA = sys.argv[1], sys.argv[2]
FILES = ["nmsg/dnsdedupe-insertion", "nmsg/dnsdedupe-rdata-types"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


from axa_wire import (OP, Client, container_payloads, crc32c, file_payloads, json_keys,  # noqa: E402
                      matches, result_text, vendor_of, watch_body)


def main():
    tmp = tempfile.mkdtemp(prefix="sra-e2e-")
    key, crt = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "1", "-subj", "/CN=siehub-test"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    acc = os.path.join(tmp, "accounts")
    with open(acc, "w") as f:
        f.write("user alice 204\nuser bob ch204,213 # two channels\n"
                "apikey SECRETKEY123 all carol\n")
    unix_path = os.path.join(tmp, "sra.sock")
    stats = os.path.join(tmp, "stats.json")
    cmd = [SRA, "--sra-accounts", acc, "--sra-cert", crt, "--sra-key", key,
           "--sra-listen", "tcp:127.0.0.1,0", "--sra-listen", "unix:" + unix_path,
           "--sra-listen", "apikey:127.0.0.1,0",
           "--sra-listen", "tcp:127.0.0.1,0;allow=10.0.0.0/8",
           "--channel", "213=vlan213", "--start-delay", "4", "--linger", "1",
           "--stats-json", stats]
    for f in FILES:
        cmd += ["--input", "file:%s/%s.nmsg=204" % (TESTDATA, f)]
    t0 = time.time()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    ports = []
    while len(ports) < 3:
        line = p.stderr.readline()
        if not line:
            break
        if "(port " in line:
            ports.append(int(line.split("(port ")[1].rstrip(")\n")))
    threading.Thread(target=lambda: [sys.stderr.write(l) for l in p.stderr], daemon=True).start()
    check(len(ports) == 3, "siehub-sra printed its ports")
    tcp_port, key_port, acl_port = ports

    payloads, keys = [], []
    for f in FILES:
        payloads += file_payloads("%s/%s.nmsg" % (TESTDATA, f))
        keys += [json_keys(l) for l in open("%s/%s.jsonl" % (TESTDATA, f))]
    check(len(payloads) == len(keys), "payload and JSON line counts agree")

    plans = {
        "tcp": (["dns=*.example.net", "ip=2001:db8::/32", "dns=host.example.com",
                 "dns=*.in-addr.arpa"], "alice"),
        "unix": (["ch=204"], "bob"),
        "tls": (["dns=*.sub.example.com", "ip=192.0.2.1/32", "dns=WWW.EXAMPLE.COM"], "SECRETKEY123"),
    }
    clients = {}
    s = socket.create_connection(("127.0.0.1", tcp_port))
    clients["tcp"] = Client(s)
    u = socket.socket(socket.AF_UNIX)
    u.connect(unix_path)
    clients["unix"] = Client(u)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # As the real 3.0.2 client: TLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384 only, P-256 only.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    ctx.set_ecdh_curve("prime256v1")
    t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", key_port)))
    check(t.version() == "TLSv1.2" and t.cipher()[0] == "ECDHE-RSA-AES256-GCM-SHA384",
          "TLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384 (%s %s)" % (t.version(), t.cipher()))
    clients["tls"] = Client(t)

    for name, c in clients.items():
        hello = c.recv()
        check(hello[0] == OP["HELLO"] and b"srad" in hello[3], name + ": HELLO first")
        watches, user = plans[name]
        r = c.login(user)
        check(r[0] == OP["OK"] and result_text(r).endswith("authorized"), name + ": login " + str(r))
        check("SECRETKEY123" not in result_text(r), name + ": the key is not echoed")
        for i, w in enumerate(watches, 1):
            c.send(OP["WATCH"], i, watch_body(w), 2)
            r = c.reply()
            check(r[0] == OP["OK"] and r[1] == i, "%s: watch %s -> %s" % (name, w, r))
        c.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
        r = c.reply()
        check(r[0] == OP["OK"] and result_text(r) == "channel ch204 on", name + ": channel on " + str(r))
    # ACL refusals while the others wait: alice may not use 213, a wrong user, a wrong key.
    c = clients["tcp"]
    c.send(OP["CHANNEL"], 0, struct.pack("<HB", 213, 1), 2)
    r = c.reply()
    check(r[0] == OP["ERROR"], "alice: channel 213 refused " + str(r))
    c.send(OP["CGET"], 0, b"", 2)
    r = c.reply()
    check(r[0] == OP["CLIST"] and struct.unpack("<H", r[3][:2])[0] == 204,
          "alice: CGET lists ch204 only " + str(r[:3]))
    x = Client(socket.create_connection(("127.0.0.1", tcp_port)))
    x.recv()
    r = x.login("mallory")
    check(r[0] == OP["ERROR"], "unknown user refused")
    x.s.close()
    y = Client(ctx.wrap_socket(socket.create_connection(("127.0.0.1", key_port))))
    y.recv()
    r = y.login("SECRETKEY124")
    check(r[0] == OP["ERROR"], "wrong API key refused")
    y.s.close()
    z = Client(socket.create_connection(("127.0.0.1", tcp_port)))
    z.recv()
    r = z.login("carol")  # an apikey label is not a user name
    check(r[0] == OP["ERROR"], "apikey account name refused on tcp")
    z.s.close()
    a = socket.create_connection(("127.0.0.1", acl_port))
    a.settimeout(5)
    try:
        got = a.recv(100)
    except OSError:
        got = b""
    check(got == b"", "allow-list listener closes 127.0.0.1 without a HELLO")
    a.close()
    check(time.time() - t0 < 3.8, "clients were ready before the start delay ran out")

    results = {}

    def collect(name, c):
        hits = []
        while True:
            m = c.recv()
            if m is None:
                break
            if m[0] == OP["WHIT"]:
                hits.append(m)
        results[name] = hits

    ths = [threading.Thread(target=collect, args=(n, c)) for n, c in clients.items()]
    for th in ths:
        th.start()
    for th in ths:
        th.join(60)
    rc = p.wait(60)
    check(rc == 0, "siehub-sra exit code 0 (got %s)" % rc)

    for name, (watches, _) in plans.items():
        want = {}
        for i, k in enumerate(keys):
            tags = [j for j, w in enumerate(watches, 1) if matches(w, k)]
            if tags:
                want[i] = min(tags)
        got = {}
        for op, tag, pv, body in results.get(name, []):
            ch, typ, pad = struct.unpack("<HBB", body[:4])
            check(ch == 204 and typ == 0 and pad == 0, name + ": WHIT nmsg on ch204")
            unit = body[20:]
            check(unit[:4] == b"NMSG" and unit[4] == 0 and unit[5] == 2, name + ": nmsg header")
            check(struct.unpack(">I", unit[6:10])[0] == len(unit) - 10, name + ": nmsg length")
            ps, crcs = container_payloads(unit[10:])
            check(len(ps) == 1 and len(crcs) == 1, name + ": one payload with its CRC")
            crc = int.from_bytes(crc32c(vendor_of(ps[0])).to_bytes(4, "big"), "little")
            check(crcs[0] == crc, name + ": CRC")
            idx = payloads.index(ps[0]) if ps[0] in payloads else -1
            check(idx >= 0, name + ": WHIT carries an input payload")
            check(idx not in got, name + ": payload %d sent once" % idx)
            got[idx] = tag
        check(got == want, "%s: hits %s, expected %s" % (name, sorted(got.items()), sorted(want.items())))
        print("%s: %d hits as expected" % (name, len(want)))
    st = json.load(open(stats))["counters"]
    check(st["axa.whit_sent"] == sum(len(v) for v in results.values()), "axa.whit_sent")
    check(st["axa.refused_acl"] == 1, "axa.refused_acl")
    check(st["axa_error.channel_not_permitted"] == 1, "axa_error.channel_not_permitted")
    check(st["axa_error.invalid_user"] == 3, "axa_error.invalid_user")
    check(st["sra_input.payloads"] == len(payloads), "sra_input.payloads")
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("siehub-sra e2e: ok")


main()
