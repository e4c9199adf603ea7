# SPDX-License-Identifier: Apache-2.0
"""A hub whose ingest is a net_memif server, fed by `siehub-gen --tx` as the memif client in
another process (no hugepages): the configuration and the generator's command line, shared by
the e2e tests that run them (siehub_gen_memif_test.py, siehub_reload_test.py)."""

_CONFIG = """[hub]
name = "{name}"
stats_interval = "1s"
[eal]
args = ["--no-huge", "--no-pci", "-m", "256", "--file-prefix={prefix}",
        "--log-level=lib.eal:error", "--log-level=pmd.net.memif:error"]
[workers]
main_lcore = 0
lcores = [1]
[[port]]
name = "sensors"
device = "net_memif0,role=server,socket={sock},socket-abstract=no"
role = "ingest"
rss = false
address = "192.0.2.1/24"
[[port]]
name = "out"
device = "net_null_out0"
role = "output"
rss = false
address = "192.0.2.1/24"
[ingest]
udp_ports = [8430]
"""


def hub_config(name, sock, prefix, channels):
    """The hub's configuration: memif server on `sock`, channels to net_null."""
    return _CONFIG.format(name=name, sock=sock, prefix=prefix) + "".join(
        f"[[channel]]\nnumber = {c}\n" for c in channels)


def gen_tx(gen, sock, prefix, *args):
    """siehub-gen's command line: `args`, then --tx into the hub's memif socket."""
    return [gen, *args, "--tx", "--quiet", "--", "--no-huge", "--no-pci", "-m", "256",
            f"--file-prefix={prefix}", "--log-level=lib.eal:error",
            "--log-level=pmd.net.memif:error",
            f"--vdev=net_memif0,role=client,socket={sock},socket-abstract=no"]
