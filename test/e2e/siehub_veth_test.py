#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end over real kernel sockets: a sensor and the hub on two ends of a veth pair.

Two network namespaces, so nothing touches the host's interfaces or routes:
  sh-sensor-<pid>  the sensor/participant: veth end with 198.18.0.2/24, IPv6 off
  sh-hub-<pid>     the hub: siehub runs here; it takes its veth end with net_af_packet (no
                   address: ARP off and strict reverse-path filtering there, so the kernel of
                   this namespace can neither answer ARP nor take IP from that end itself);
                   the exception TAP that siehub creates has 198.18.0.1/24, IPv6 off
Checks: ping of 198.18.0.1 answers (ARP and ICMP through the exception path: worker -> TAP ->
kernel -> TAP -> control loop -> port), a UDP socket sends the sensor's nmsg datagrams to
198.18.0.1:8430, a raw AF_PACKET socket on the sensor's veth receives the channel frames (the
kernel moves the 802.1Q tag into PACKET_AUXDATA; it is put back here), every frame is checked
(Ethernet/802.1Q/IPv4/UDP, checksums, addresses), and the channels are decoded with
`siehub-nmsg pcap --vlan N` (which refuses any malformed datagram). Where the kernel has 802.1Q
sub-interfaces, a plain UDP socket on <veth>.204 must receive the same ch204 datagrams; where it
has not, that part is skipped, saying so.

AXA through the exception path (issue 7): the hub also serves AXA on 198.18.0.1:49500; a
client in the sensor's namespace connects over the veth (TCP: worker -> TAP -> the hub's
kernel, and back through the control loop), logs in, watches ch=204, switches 204 on, and must
receive one WHIT per ch204 payload the hub put on the wire while it ran, byte for byte.
(WHITs queued after the workers stop, the shutdown EXPIRATIONs, cannot reach a client behind
the exception path: it stops with the workers; docs/sra.md says so.)

The sensor stream is nmsg-udp-8430-mtu1280.pcap (1280-byte containers, two of them NMSG-
fragmented); IP-fragmented ingest (7-8 KB containers over a 1500-byte MTU) is covered by
siehub_offline_test.py.
Usage: siehub_veth_test.py SIEHUB SIEHUB_NMSG TESTDATA   (root; exit 77 = skipped)
"""
import ctypes
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import axa_wire as sra  # AXA client, nmsg and expectations shared by the AXA tests

SKIP = 77
HUB_IP, SENSOR_IP, PREFIX = "198.18.0.1", "198.18.0.2", 24
AXA_PORT = 49500
BCAST = "198.18.0.255"
NMSG_PORT = 8430
CLONE_NEWNET = 0x40000000
ETH_P_ALL, ETH_P_8021Q, ETH_P_IP = 0x0003, 0x8100, 0x0800
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 1 << 4, 1 << 6
PACKET_OUTGOING = 4

siehub, tool, td = sys.argv[1:4]
pid = os.getpid()
hub_ns, sensor_ns = f"sh-hub-{pid}", f"sh-sensor-{pid}"
veth_hub, veth_sensor, tap = f"shh{pid}", f"shs{pid}", f"sht{pid}"
work = tempfile.mkdtemp(prefix="siehub-veth-")
passed = failed = 0
hub = None
namespaces = []


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}", flush=True)
    return cond


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(SKIP)


def ip(*args, ns=None, check_rc=True):
    cmd = ["ip"] + (["-n", ns] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p


libc = ctypes.CDLL(None, use_errno=True)


class netns:
    """Runs the block in a named network namespace; sockets made there stay there."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/var/run/netns/{self.name}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {self.name}")
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        if libc.setns(self.home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
        os.close(self.home)


def sysctl(path, value):
    """Writes /proc/sys/<path> in the current network namespace."""
    with open("/proc/sys/" + path, "w") as f:
        f.write(value)


def cleanup():
    global hub
    if hub is not None and hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=10)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()
    hub = None
    for ns in namespaces:  # deleting a namespace deletes the veth end and the TAP in it
        ip("netns", "del", ns, check_rc=False)
    namespaces.clear()
    subprocess.run(["rm", "-rf", work])


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# ---- pcap files -----------------------------------------------------------------------------

def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, want Ethernet")
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_payloads(path, port):
    """The UDP payloads to `port` of an Ethernet/IPv4 capture."""
    out = []
    for fr in pcap_frames(path):
        if len(fr) < 14 + 20 + 8 or struct.unpack("!H", fr[12:14])[0] != ETH_P_IP:
            continue
        ihl = (fr[14] & 0x0F) * 4
        if fr[14 + 9] != 17:
            continue
        u = fr[14 + ihl:]
        sport, dport, ulen = struct.unpack("!HHH", u[:6])
        if dport == port:
            out.append(u[8:ulen])
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


# ---- wire formats ----------------------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse_channel_frame(fr):
    """Ethernet / one 802.1Q tag / IPv4 / UDP, every length and checksum checked. Returns
    (vlan, src_mac, ip_src, ip_dst, dport, payload) or raises ValueError naming the fault."""
    if len(fr) < 18 or struct.unpack("!H", fr[12:14])[0] != ETH_P_8021Q:
        raise ValueError("not 802.1Q")
    tci, et = struct.unpack("!HH", fr[14:18])
    if et != ETH_P_IP:
        raise ValueError(f"inner ethertype {et:#x}")
    iph = fr[18:]
    if len(iph) < 20 or iph[0] >> 4 != 4:
        raise ValueError("not IPv4")
    ihl = (iph[0] & 0x0F) * 4
    total = struct.unpack("!H", iph[2:4])[0]
    if ihl < 20 or total < ihl + 8 or total > len(iph):
        raise ValueError(f"IPv4 lengths ihl {ihl} total {total} have {len(iph)}")
    if csum(iph[:ihl]) != 0:
        raise ValueError("IPv4 header checksum")
    if struct.unpack("!H", iph[6:8])[0] & 0x3FFF:
        raise ValueError("IPv4 fragment")
    if iph[9] != 17:
        raise ValueError("not UDP")
    u = iph[ihl:total]
    sport, dport, ulen, ucs = struct.unpack("!HHHH", u[:8])
    if ulen != len(u):
        raise ValueError(f"UDP length {ulen} != {len(u)}")
    if ucs != 0:
        pseudo = iph[12:20] + struct.pack("!BBH", 0, 17, ulen)
        if csum(pseudo + u) != 0:
            raise ValueError("UDP checksum")
    return (tci & 0x0FFF, fr[6:12], socket.inet_ntoa(iph[12:16]), socket.inet_ntoa(iph[16:20]),
            dport, u[8:])


def icmp_echo(sock, ident, seq, timeout):
    body = struct.pack("!d", time.time()) + b"siehub-veth"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body
    sock.sendto(pkt, (HUB_IP, 0))
    deadline = time.time() + timeout
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            data, (src, _) = sock.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (data[0] & 0x0F) * 4
        t, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if t == 0 and rid == ident and rseq == seq and src == HUB_IP and data[ihl + 8:] == body:
            return True
    return False


class capture:
    """A raw AF_PACKET socket on an interface; VLAN tags come back from PACKET_AUXDATA."""

    def __init__(self, ifname):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind((ifname, ETH_P_ALL))
        self.s.setblocking(False)
        self.frames = []
        self.stripped = 0

    def drain(self):
        while True:
            try:
                data, anc, _, addr = self.s.recvmsg(65536, socket.CMSG_SPACE(64))
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue  # the sensor's own frames
            for level, typ, cdata in anc:
                if level != SOL_PACKET or typ != PACKET_AUXDATA or len(cdata) < 20:
                    continue
                status, _, _, _, _, vtci, vtpid = struct.unpack("=IIIHHHH", cdata[:20])
                if status & TP_STATUS_VLAN_VALID:
                    tpid = vtpid if status & TP_STATUS_VLAN_TPID_VALID else ETH_P_8021Q
                    data = data[:12] + struct.pack("!HH", tpid, vtci) + data[12:]
                    self.stripped += 1
            self.frames.append((time.time(), data))


def tx_checksum_off(ifname):
    """ethtool -K IF tx off, by ioctl (no ethtool here). A veth leaves TCP/UDP checksums for
    the receiver to fill in (CHECKSUM_PARTIAL); an AF_PACKET port hands the frame on as it is,
    and the hub's kernel would drop the TCP segments it got through the TAP. NICs put complete
    checksums on the wire, so this is the sensor's veth behaving like one."""
    import array
    import fcntl
    ev = array.array("I", [0x17, 0])  # ETHTOOL_STXCSUM, off
    ifr = struct.pack("16sP", ifname.encode(), ev.buffer_info()[0]).ljust(40, b"\0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), 0x8946, ifr)  # SIOCETHTOOL


def mac_of(ifname, ns):
    out = ip("-j", "link", "show", "dev", ifname, ns=ns).stdout
    return bytes.fromhex(json.loads(out)[0]["address"].replace(":", ""))


def sysfs_counter(ifname, name, ns):
    """A kernel interface counter read inside `ns` (ip netns exec mounts that namespace's /sys)."""
    p = subprocess.run(["ip", "netns", "exec", ns, "cat",
                        f"/sys/class/net/{ifname}/statistics/{name}"],
                       capture_output=True, text=True, timeout=10)
    return int(p.stdout) if p.returncode == 0 else -1


def jsonl_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def decode_channel(pcap, vlan):
    p = subprocess.run([tool, "pcap", pcap, "--port", str(NMSG_PORT), "--vlan", str(vlan)],
                       capture_output=True, text=True, timeout=60)
    check(f"ch{vlan} decodes cleanly (no malformed datagram)", p.returncode == 0, p.stderr[-500:])
    return [r["message"] for r in jsonl_lines(p.stdout)]


# ---- the test ---------------------------------------------------------------------------------

def main():
    global hub
    if os.geteuid() != 0:
        skip("needs root (network namespaces, veth, TAP)")
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        skip("`ip netns` is not available")
    if not os.path.exists("/dev/net/tun"):
        skip("no /dev/net/tun (the exception path needs a TAP)")

    for ns in (hub_ns, sensor_ns):
        if ip("netns", "add", ns, check_rc=False).returncode != 0:
            skip(f"cannot create network namespace {ns}")
        namespaces.append(ns)
    with netns(sensor_ns):
        # Nothing of IPv6 on the sensor's side: no link-local addresses, DAD or MLD.
        sysctl("net/ipv6/conf/all/disable_ipv6", "1")
        sysctl("net/ipv6/conf/default/disable_ipv6", "1")
    if ip("link", "add", veth_hub, "type", "veth", "peer", "name", veth_sensor, "netns", sensor_ns,
          ns=hub_ns, check_rc=False).returncode != 0:
        skip("cannot create a veth pair")
    with netns(hub_ns):
        # IPv6 off on the hub's veth end only: the TAP must switch it off itself (exception.hpp),
        # which the address and stray-frame checks below see.
        sysctl(f"net/ipv6/conf/{veth_hub}/disable_ipv6", "1")

    # The hub's end: no address, ARP off, strict reverse-path filter; what reaches the hub's
    # kernel must come through the TAP.
    with netns(hub_ns):
        sysctl("net/ipv4/conf/all/rp_filter", "1")
        sysctl(f"net/ipv4/conf/{veth_hub}/rp_filter", "1")
    ip("link", "set", veth_hub, "arp", "off", "up", ns=hub_ns)
    # The sensor's end.
    with netns(sensor_ns):
        sysctl("net/ipv4/conf/all/rp_filter", "0")
        sysctl("net/ipv4/conf/default/rp_filter", "0")
        sysctl(f"net/ipv4/conf/{veth_sensor}/rp_filter", "0")
    ip("addr", "add", f"{SENSOR_IP}/{PREFIX}", "dev", veth_sensor, ns=sensor_ns)
    with netns(sensor_ns):
        tx_checksum_off(veth_sensor)
    ip("link", "set", veth_sensor, "up", ns=sensor_ns)
    hub_mac = mac_of(veth_hub, hub_ns)

    # 802.1Q sub-interface, where the kernel has them.
    vlan_if = f"{veth_sensor}.204"
    have_vlan = ip("link", "add", "link", veth_sensor, "name", vlan_if, "type", "vlan", "id", "204",
                   ns=sensor_ns, check_rc=False)
    if have_vlan.returncode == 0:
        with netns(sensor_ns):
            sysctl(f"net/ipv4/conf/{vlan_if}/rp_filter", "0")
        ip("link", "set", vlan_if, "up", ns=sensor_ns)
    else:
        print(f"SKIP (part): this kernel has no 802.1Q sub-interfaces "
              f"({have_vlan.stderr.strip()}): no plain UDP socket on {vlan_if}", flush=True)

    conf = os.path.join(work, "siehub.conf")
    stats = os.path.join(work, "stats.json")
    with open(conf, "w") as f:
        f.write(f"""[hub]
name = "siehub-veth"
stats_interval = "0"
heartbeat_interval = "500ms"
[eal]
args = ["--no-huge", "--no-pci", "-m", "256", "--file-prefix=siehub-veth-{{pid}}",
        "--log-level=lib.eal:error"]
[workers]
main_lcore = 0
lcores = [1]
[[port]]
name = "veth"
device = "net_af_packet0,iface={veth_hub}"
role = "both"
rss = false
tap = true
tap_name = "{tap}"
address = "{HUB_IP}/{PREFIX}"
[ingest]
udp_ports = [{NMSG_PORT}]
[[channel]]
number = 202
tx_port = "veth"
[[channel]]
number = 204
tx_port = "veth"
[[channel]]
number = 221
tx_port = "veth"
[dedup]
max_entries = 65536
""")
    accounts = os.path.join(work, "accounts")
    with open(accounts, "w") as f:
        f.write("user tester 204\n")
    log = open(os.path.join(work, "siehub.log"), "w+")
    hub = subprocess.Popen(["ip", "netns", "exec", hub_ns, siehub, "--config", conf,
                            "--duration", "20", "--stats-json", stats,
                            "--sra-listen", f"tcp:*,{AXA_PORT}", "--sra-accounts", accounts],
                           stdout=log, stderr=subprocess.STDOUT)

    # Ready once the TAP is up with the hub's address (set before the workers start).
    ready = False
    deadline = time.time() + 15
    while time.time() < deadline and hub.poll() is None:
        p = ip("-j", "addr", "show", "dev", tap, ns=hub_ns, check_rc=False)
        if p.returncode == 0:
            info = json.loads(p.stdout)[0]
            addrs = [(a["family"], a["local"], a["prefixlen"]) for a in info.get("addr_info", [])]
            if "UP" in info.get("flags", []) and ("inet", HUB_IP, PREFIX) in addrs:
                ready = True
                check("TAP has only the hub's IPv4 address (IPv6 off)", addrs == [("inet", HUB_IP, PREFIX)],
                      str(addrs))
                check("TAP carries the port's MAC", bytes.fromhex(info["address"].replace(":", "")) == hub_mac,
                      f"{info['address']} != {hub_mac.hex(':')}")
                break
        time.sleep(0.1)
    if not check("hub up with its TAP", ready):
        log.seek(0)
        print(log.read()[-3000:])
        return
    time.sleep(0.5)  # the control loop starts right after the TAP

    with netns(sensor_ns):
        cap = capture(veth_sensor)
        icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        vsock = None
        if have_vlan.returncode == 0:
            vsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            vsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            vsock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            vsock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, vlan_if.encode())
            vsock.bind(("", NMSG_PORT))
            vsock.setblocking(False)

    # ping: the first echo also resolves 198.18.0.1 by ARP through the exception path.
    t0 = time.time()
    answered = [icmp_echo(icmp, pid & 0xFFFF, seq, 3.0) for seq in range(1, 4)]
    ping_s = time.time() - t0
    check("ping 198.18.0.1 answers 3 of 3 through the exception path", all(answered), str(answered))
    with netns(sensor_ns):
        neigh = ip("-j", "neigh", "show", HUB_IP, "dev", veth_sensor).stdout
    lladdr = [n.get("lladdr") for n in json.loads(neigh or "[]")]
    check("ARP resolved 198.18.0.1 to the hub port's MAC", hub_mac.hex(":") in lladdr, str(lladdr))
    tap_rx = sysfs_counter(tap, "rx_packets", hub_ns)  # frames the hub's kernel got from the TAP
    tap_tx = sysfs_counter(tap, "tx_packets", hub_ns)  # frames it sent there
    check("the hub's kernel received ARP and echo requests from the TAP", tap_rx >= 4, str(tap_rx))
    check("the hub's kernel sent ARP and echo replies to the TAP", tap_tx >= 4, str(tap_tx))
    veth_rx_kernel = sysfs_counter(veth_hub, "rx_packets", hub_ns)

    # An AXA client in the sensor's namespace, through the hub port's exception path.
    OP = sra.OP
    whits = []
    axa = None
    try:
        with netns(sensor_ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((HUB_IP, AXA_PORT))
        axa = sra.Client(s)
        hello = axa.recv()
        check("AXA over the exception path: HELLO", hello is not None and hello[0] == OP["HELLO"], str(hello))
        r = axa.login("tester")
        check("AXA: login", r is not None and r[0] == OP["OK"], str(r))
        axa.send(OP["WATCH"], 1, sra.watch_body("ch=204"), 2)
        r = axa.reply()
        check("AXA: watch ch=204", r is not None and r[0] == OP["OK"], str(r))
        axa.send(OP["CHANNEL"], 0, struct.pack("<HB", 204, 1), 2)
        r = axa.reply()
        check("AXA: channel 204 on", r is not None and r[0] == OP["OK"], str(r))
    except OSError as e:
        check("AXA client connects to 198.18.0.1:49500 through the exception path", False, repr(e))
        axa = None

    def collect():
        while True:
            try:
                m = axa.recv()
            except OSError:
                return
            if m is None:
                return
            if m[0] == OP["WHIT"]:
                whits.append(m)

    collector = None
    if axa is not None:
        axa.s.settimeout(None)
        collector = threading.Thread(target=collect, daemon=True)
        collector.start()

    # The sensor's nmsg stream.
    datagrams = udp_payloads(os.path.join(td, "pcap", "nmsg-udp-8430-mtu1280.pcap"), NMSG_PORT)
    check("sensor stream read", len(datagrams) == 15, str(len(datagrams)))
    for d in datagrams:
        udp.sendto(d, (HUB_IP, NMSG_PORT))
        time.sleep(0.002)
        cap.drain()
    # Until the INSERTIONs are out (or 5 s), then a clean stop flushes EXPIRATIONs.
    deadline = time.time() + 5
    while time.time() < deadline:
        cap.drain()
        if sum(1 for _, fr in cap.frames if fr[12:14] == b"\x81\x00" and
               struct.unpack("!H", fr[14:16])[0] & 0xFFF == 204) >= 2:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    # The AXA client has its WHITs once their count stops moving (or 5 s).
    last, deadline = -1, time.time() + 5
    while axa is not None and time.time() < deadline:
        cap.drain()
        if len(whits) == last and last > 0:
            break
        last = len(whits)
        time.sleep(0.5)
    whits_before_stop = list(whits)
    cap.drain()
    frames_before_stop = len(cap.frames)
    hub.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    while hub.poll() is None and time.time() < deadline:
        cap.drain()
        time.sleep(0.02)
    time.sleep(0.2)
    cap.drain()
    rc = hub.wait(timeout=5)
    log.seek(0)
    hub_log = log.read()
    check("siehub exits 0 after SIGTERM", rc == 0, hub_log[-2000:])

    # Every channel frame well formed and addressed as configured.
    by_vlan = {}
    bad = []
    stray = []
    others = 0
    for t, fr in cap.frames:
        if fr[12:14] != b"\x81\x00":
            others += 1
            et = fr[12:14]
            ihl = (fr[14] & 0x0F) * 4 if et == b"\x08\x00" else 0
            axa_tcp = et == b"\x08\x00" and fr[14 + 9] == 6 and \
                struct.unpack("!H", fr[14 + ihl:14 + ihl + 2])[0] == AXA_PORT
            if not (et == b"\x08\x06" or (et == b"\x08\x00" and fr[14 + 9] == 1) or axa_tcp):
                stray.append(fr[:40].hex())  # only the kernel's ARP, ICMP and AXA TCP are untagged
            continue
        try:
            vlan, src_mac, sip, dip, dport, payload = parse_channel_frame(fr)
        except ValueError as e:
            bad.append(str(e))
            continue
        if fr[:6] != b"\xff" * 6 or src_mac != hub_mac or sip != HUB_IP or dip != BCAST or \
                dport != NMSG_PORT:
            bad.append(f"vlan {vlan}: {fr[:6].hex()} {src_mac.hex()} {sip} {dip} {dport}")
            continue
        by_vlan.setdefault(vlan, []).append((t, fr, payload))
    check("every channel frame is well formed and addressed as configured", not bad, str(bad[:5]))
    check("nothing but ARP, ICMP and the AXA session leaves the hub untagged (no IPv6, no other chatter)",
          not stray, str(stray[:3]))
    check("VLAN tags arrived in PACKET_AUXDATA", cap.stripped > 0, str(cap.stripped))
    check("only the configured VLANs", set(by_vlan) <= {202, 204, 221}, str(sorted(by_vlan)))

    pcaps = {}
    for vlan in (202, 204, 221):
        pcaps[vlan] = os.path.join(work, f"ch{vlan}.pcap")
        write_pcap(pcaps[vlan], [(t, fr) for t, fr, _ in by_vlan.get(vlan, [])])

    # ch204: INSERTIONs (www.example.com A among them), one EXPIRATION each at shutdown.
    dd = decode_channel(pcaps[204], 204)
    ins = [m for m in dd if m.get("type") == "INSERTION"]
    exp = [m for m in dd if m.get("type") == "EXPIRATION"]
    www = [m for m in ins if m.get("rrname") == "www.example.com." and m.get("rrtype") == "A"]
    check("ch204 INSERTION for www.example.com A",
          len(www) == 1 and sorted(www[0]["rdata"]) == ["192.0.2.1", "192.0.2.2"] and
          www[0]["bailiwick"] == "example.com." and www[0]["count"] == 1, json.dumps(www))
    key = lambda m: json.dumps([m.get(k) for k in ("rrname", "rrclass", "rrtype", "rdata", "bailiwick")])
    check("ch204 no RRset inserted twice", len(set(map(key, ins))) == len(ins))
    check("ch204 one EXPIRATION per INSERTION at shutdown", sorted(map(key, ins)) == sorted(map(key, exp)),
          f"{len(ins)} insertions, {len(exp)} expirations")

    # AXA: one WHIT per ch204 payload on the wire before the stop, each a complete nmsg unit
    # with its CRC; every payload of an unfragmented ch204 datagram is among them, byte for byte.
    if axa is not None:
        before = [(t, fr) for t, fr, _ in by_vlan.get(204, []) if cap.frames.index((t, fr)) < frames_before_stop]
        pre = os.path.join(work, "ch204-before-stop.pcap")
        write_pcap(pre, before)
        n_before = len(decode_channel(pre, 204))
        plain = []
        for t, fr, payload in by_vlan.get(204, []):
            if (t, fr) in before and payload[4] & 3 == 0:  # neither zlib nor an NMSG fragment
                plain += sra.container_payloads(payload[10:])[0]
        got, units_ok = [], True
        for op, tag, pv, body in whits_before_stop:
            unit = body[20:]
            ps, crcs = sra.container_payloads(unit[10:])
            crc = int.from_bytes(sra.crc32c(sra.vendor_of(ps[0])).to_bytes(4, "big"), "little") if ps else None
            units_ok &= unit[:4] == b"NMSG" and len(ps) == 1 and crcs == [crc] and tag == 1
            got += ps
        check("AXA through the exception path: one WHIT per ch204 payload of the run",
              len(got) == n_before > 0, f"{len(got)} WHITs, {n_before} ch204 payloads")
        check("AXA: every WHIT one nmsg payload with its CRC, tag 1", units_ok)
        check("AXA: the payloads of unfragmented ch204 datagrams arrived byte for byte",
              plain and all(x in got for x in plain), f"{sum(x in got for x in plain)} of {len(plain)}")
        axa.s.close()

    # ch202 and ch221 against the sensor's own dnsqr file (independent of the pipeline).
    with open(os.path.join(td, "nmsg/dnsqr.jsonl")) as f:
        dnsqr = [r["message"] for r in jsonl_lines(f.read())]
    relay = [m for m in dnsqr if m.get("type") == "UDP_QUERY_RESPONSE" and
             "rd" not in (m.get("query_json") or {}).get("header", {}).get("flags", [])]
    got202 = decode_channel(pcaps[202], 202)
    check("ch202 relays every RD=0 answered UDP transaction, resolver zeroed",
          sorted(m["id"] for m in got202) == sorted(m["id"] for m in relay) and
          all(m.get("query_ip") in ("0.0.0.0", "::") for m in got202),
          f"{len(got202)} != {len(relay)}")
    got221 = decode_channel(pcaps[221], 221)
    check("ch221 one dnsnx per NXDOMAIN",
          len(got221) == sum(1 for m in relay if m["rcode"] == "NXDOMAIN"), str(len(got221)))

    if vsock is not None:
        vdata = []
        while True:
            try:
                vdata.append(vsock.recv(65536))
            except BlockingIOError:
                break
        raw204 = [p for _, _, p in by_vlan.get(204, [])]
        check(f"UDP socket on {vlan_if} received the ch204 datagrams", vdata == raw204,
              f"{len(vdata)} vs {len(raw204)}")

    with open(stats) as f:
        st = json.load(f)
    t = st["totals"]
    check("counters reconcile", st["reconciliation"]["ok"], json.dumps(st["reconciliation"])[:800])
    check("55 payloads in", t.get("ingest.payloads_in") == 55, str(t.get("ingest.payloads_in")))
    check("ARP and ICMP took the exception path", t.get("rx.exception", 0) >= 4, str(t.get("rx.exception")))
    check("no frame dropped for want of a TAP", t.get("rx.drop_no_tap", 0) == 0)
    print(f"ping: 3 echoes in {ping_s:.2f} s (first one resolves ARP); frames captured: "
          f"{len(cap.frames)} ({others} untagged), per VLAN "
          f"{ {v: len(x) for v, x in sorted(by_vlan.items())} }; ch204 {len(ins)} INSERTION "
          f"{len(exp)} EXPIRATION; TAP kernel rx {tap_rx} tx {tap_tx}; hub-veth kernel rx "
          f"{veth_rx_kernel}; rx.exception {t.get('rx.exception')}", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    start = time.time()
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # a broken set-up is a failure, never a hang or a leftover namespace
        check("set-up and run", False, repr(e))
    finally:
        cleanup()
    print(f"{passed} passed, {failed} failed in {time.time() - start:.1f} s")
    sys.exit(1 if failed or passed == 0 else 0)
