# SPDX-License-Identifier: Apache-2.0
"""The AXA wire and nmsg pieces the e2e tests (and bench/pipeline/axa_workers.py) speak, written
from spec/axa.md and spec/nmsg.md independently of lib/: CRC-32C, protobuf fields, nmsg
containers, an AXA client, the watch encoding, and the expected keys and watch matches of a
dnsdedupe message from its JSON Lines form."""

import ipaddress
import json
import struct

# ---- crc32c, protobuf, nmsg ----------------------------------------------------------------
_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(b, i):
    v = s = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << s
        s += 7
        if not x & 0x80:
            return v, i


def fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i)
        n, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            ln, i = varint(b, i)
            v = b[i:i + ln]
            i += ln
        elif w == 5:
            v = b[i:i + 4]
            i += 4
        elif w == 1:
            v = b[i:i + 8]
            i += 8
        else:
            raise ValueError("wire type %d" % w)
        out.append((n, v))
    return out


def container_payloads(body):
    return [v for n, v in fields(body) if n == 1], [v for n, v in fields(body) if n == 2]


def file_payloads(path):
    data = open(path, "rb").read()
    i, out = 0, []
    while i < len(data):
        assert data[i:i + 4] == b"NMSG"
        flags, ver = data[i + 4], data[i + 5]
        ln = struct.unpack(">I", data[i + 6:i + 10])[0]
        body = data[i + 10:i + 10 + ln]
        if flags & 1:
            import zlib
            body = zlib.decompress(body[4:])
        out += container_payloads(body)[0]
        i += 10 + ln
    return out


def vendor_of(payload):
    for n, v in fields(payload):
        if n == 5:
            return v
    return b""


# ---- independent expectation from the JSON Lines -------------------------------------------
NAME1 = {"NS", "CNAME", "PTR", "DNAME", "MB", "MG", "MR"}


def json_keys(line):
    m = json.loads(line)["message"]
    names, ips = [], []
    for k in ("rrname", "bailiwick"):
        if k in m:
            names.append(m[k])
    if "response_ip" in m:
        ips.append(m["response_ip"])
    t = m.get("rrtype")
    for rd in m.get("rdata", []):
        tok = rd.split()
        if t in ("A", "AAAA"):
            ips.append(rd)
        elif t in NAME1:
            names.append(rd)
        elif t in ("MX", "AFSDB", "RT"):
            names.append(tok[1])
        elif t == "SRV":
            names.append(tok[3])
        elif t in ("SOA", "MINFO", "RP"):
            names += tok[:2]
        elif t == "PX":
            names += tok[1:3]
    return [n.lower() for n in names], [ipaddress.ip_address(a) for a in ips]


def matches(watch, keys):
    names, ips = keys
    kind, val = watch.split("=", 1)
    if kind == "dns":
        if val.startswith("*."):
            s = val[2:].lower().rstrip(".") + "."
            return any(n == s or n.endswith("." + s) or s == "." for n in names)
        return any(n == val.lower().rstrip(".") + "." for n in names)
    if kind == "ip":
        net = ipaddress.ip_network(val, strict=False)
        return any(a.version == net.version and a in net for a in ips)
    if kind == "ch":
        return True
    raise ValueError(watch)


# ---- AXA client ----------------------------------------------------------------------------
OP = dict(NOP=0, HELLO=1, OK=2, ERROR=3, MISSED=4, WHIT=5, WLIST=6, CLIST=9, USER=129,
          WATCH=133, CHANNEL=139, CGET=140)


def wire_name(text):
    out = b""
    for lab in text.rstrip(".").split("."):
        if lab:
            out += bytes([len(lab)]) + lab.encode()
    return out + b"\0"


def watch_body(w):
    kind, val = w.split("=", 1)
    if kind == "dns":
        if val.startswith("*."):
            return bytes([3, 0, 1, 0]) + wire_name(val[2:] or ".")
        return bytes([3, 0, 0, 0]) + wire_name(val)
    if kind == "ip":
        net = ipaddress.ip_network(val, strict=False)
        full = net.max_prefixlen
        t = 1 if net.version == 4 else 2
        pat = net.network_address.packed[:(net.prefixlen + 7) // 8]
        return bytes([t, net.prefixlen, 1 if net.prefixlen < full else 0, 0]) + pat
    if kind == "ch":
        return bytes([4, 0, 0, 0]) + struct.pack("<H", int(val.replace("ch", "")))
    raise ValueError(w)


class Client:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.s.settimeout(20)

    def send(self, op, tag=0, body=b"", pvers=1):
        self.s.sendall(struct.pack("<IHBB", 8 + len(body), tag, pvers, op) + body)

    def recv(self):
        while True:
            if len(self.buf) >= 8:
                ln, tag, pv, op = struct.unpack("<IHBB", self.buf[:8])
                if len(self.buf) >= ln:
                    m = (op, tag, pv, self.buf[8:ln])
                    self.buf = self.buf[ln:]
                    return m
            d = self.s.recv(1 << 16)
            if not d:
                return None
            self.buf += d

    def reply(self):
        while True:
            m = self.recv()
            if m is None or m[0] not in (OP["NOP"], OP["HELLO"], OP["MISSED"]):
                return m

    def login(self, name):
        self.send(OP["USER"], 0, name.encode().ljust(64, b"\0"))
        return self.reply()


def result_text(m):
    return m[3][1:].rstrip(b"\0").decode()
