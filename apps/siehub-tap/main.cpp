// SPDX-License-Identifier: Apache-2.0
// siehub-tap: a participant's tap on siehub channels. Reads the channel broadcast (nmsg over
// UDP, one VLAN per channel) from an AF_PACKET TPACKET_V3 ring or a pcap, and writes the
// payloads to rotating nmsg files, nmsgtool JSON Lines, or re-sends them over UDP.

#include <CLI/CLI.hpp>
#include <linux/if_packet.h>
#include <pcap/pcap.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <system_error>
#include <vector>

#include "capture/afpacket.hpp"
#include "tap.hpp"

using namespace siehub;

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int)
{
    g_stop = 1;
}

void install_signals()
{
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: poll() returns EINTR and the loop sees the flag
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

double mono_now()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool write_file_atomic(const std::string& path, const std::string& text)
{
    std::string const tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
        return false;
    }
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fclose(f) == 0 && ok;
    return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Once a second: rates, the live line, the stats file, output flush and time rotation.
struct reporter {
    tap::decoder& dec;
    tap::payload_sink& out;
    std::string input;
    std::string stats_path;
    bool quiet = false;
    double start = mono_now();
    double last = start;
    capture::afpacket_ring* ring = nullptr;
    capture::ring_stats rs{};

    void maybe_tick(bool force = false)
    {
        double const now = mono_now();
        if (!force && now - last < 1.0) {
            return;
        }
        dec.update_rates(now - last);
        last = now;
        if (ring != nullptr) {
            rs = ring->stats();
        }
        out.tick(static_cast<std::int64_t>(std::time(nullptr)));
        if (!quiet) {
            std::fprintf(stderr, "%s\n", tap::live_line(dec, now - start, rs.drops).c_str());
        }
        write_stats();
    }

    void write_stats()
    {
        if (!stats_path.empty() &&
            !write_file_atomic(stats_path, tap::stats_json(dec, mono_now() - start, input,
                                                           rs.packets, rs.drops))) {
            std::fprintf(stderr, "siehub-tap: cannot write %s\n", stats_path.c_str());
        }
    }
};

const char* const footer = R"(
CHANNELS
  siehub sends every channel as nmsg-over-UDP broadcast (port 8430), one container per
  datagram, on 802.1Q VLAN = channel number. On a trunk (raw) interface the kernel strips the
  tag and the ring reports it: the channel is that VLAN id. On a VLAN sub-interface (eth0.204)
  frames arrive untagged: they count as channel --untagged-channel (default 0), so use no
  --channel or --channel with that number there.

OUTPUT
  --nmsg PATTERN   nmsg files (nmsgtool -r reads them), PATTERN expanded by strftime in UTC,
                   e.g. 'ch204-%Y%m%d-%H%M%S.nmsg'. A file is written as .NAME.part in the same
                   directory and renamed to NAME when it is closed (rotation, --count,
                   --duration, SIGINT, SIGTERM); a name already taken gets .1, .2 … before the
                   extension. Only whole containers are written, so a closed file never ends in
                   a partial container.
  --json FILE|-    JSON Lines, byte-identical to nmsgtool -J.
  --udp ADDR/PORT  nmsg over UDP as nmsgtool -s sends it (own sequence numbers).

LOSS AND COUNTERS
  Container loss per sender (sequence_id, address, port) is counted exactly as libnmsg does
  (nmsgtool -dd container_drops). Once a second a line on stderr gives frames, payloads,
  containers lost, bad input, and payloads/s per channel; --stats-json FILE is rewritten
  every second and at exit. Bad frames and payloads are never written; they are counted by
  reason (tap.drop_* in the stats; docs/counters.md).

EXIT STATUS
  0 when the input ended, --count or --duration was reached, or on SIGINT/SIGTERM (the
  current file is closed and renamed first); 1 when the input or the output cannot be
  opened or written; 2 on a usage error.

EXAMPLES
  siehub-tap --iface eth1 --channel 204 --nmsg '/data/ch204-%Y%m%d-%H%M.nmsg' --rotate 3600
  siehub-tap --iface eth1.213 --json - --count 10
  siehub-tap --pcap capture.pcap --channel 213 --json out.jsonl --stats-json stats.json
  siehub-tap --iface eth1 --channel 202 --udp 127.0.0.1/8430      (then nmsgtool -l 127.0.0.1/8430)
)";

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"siehub-tap - tap siehub channels (nmsg broadcast on VLANs) into nmsg files,\n"
                 "nmsgtool JSON Lines or a UDP stream",
                 "siehub-tap"};
    app.footer(footer);
    std::string iface;
    std::string pcap_file;
    std::vector<unsigned> channels;
    unsigned port = 8430;
    unsigned untagged = 0;
    std::string nmsg_pattern;
    std::string json_out;
    std::string udp_out;
    std::uint64_t rotate_s = 0;
    std::uint64_t rotate_bytes = 0;
    std::size_t container_size = nmsg::container_size_max;
    std::size_t udp_size = nmsg::container_size_jumbo;
    bool zlib = false;
    std::uint64_t count = 0;
    double duration = 0;
    std::string stats_json;
    bool quiet = false;
    capture::ring_config ring_cfg;
    bool no_promisc = false;

    auto* oi = app.add_option("--iface", iface,
                              "read an interface through an AF_PACKET TPACKET_V3 ring (root or "
                              "CAP_NET_RAW)");
    auto* op = app.add_option("--pcap", pcap_file, "read a pcap/pcapng capture (Ethernet)");
    oi->excludes(op);
    op->excludes(oi);
    app.add_option("--channel", channels,
                   "only this channel (VLAN id); repeatable; default: every channel")
        ->check(CLI::Range(0, 4095));
    app.add_option("--port", port, "UDP destination port of the channels; 0 = any")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app.add_option("--untagged-channel", untagged,
                   "channel number given to untagged frames (a VLAN sub-interface)")
        ->check(CLI::Range(0, 4095))
        ->capture_default_str();
    auto* on = app.add_option("--nmsg", nmsg_pattern,
                              "write nmsg files named by this strftime "
                              "pattern (UTC)");
    auto* oj =
        app.add_option("--json", json_out, "write nmsgtool -J JSON Lines to FILE or - (stdout)");
    auto* ou =
        app.add_option("--udp", udp_out, "re-send the payloads as nmsg over UDP to ADDR/PORT");
    on->excludes(oj)->excludes(ou);
    oj->excludes(on)->excludes(ou);
    ou->excludes(on)->excludes(oj);
    app.add_option("--rotate", rotate_s,
                   "with --nmsg: start a new file at every multiple of SECONDS since the epoch "
                   "(3600: on the hour; 0 = never)")
        ->needs(on);
    app.add_option("--rotate-size", rotate_bytes,
                   "with --nmsg: start a new file before one would exceed BYTES (0 = never; a "
                   "single container larger than BYTES gets a file of its own)")
        ->needs(on);
    app.add_option("--container-size", container_size,
                   "with --nmsg: largest container in bytes, 512 to 1048576 (default 1048576, as "
                   "nmsgtool -w); containers are also closed once a second")
        ->check(CLI::Range(nmsg::container_size_min, nmsg::container_size_max));
    app.add_option("--udp-size", udp_size,
                   "with --udp: largest datagram (default 8192, as nmsgtool -s; 1280 for a "
                   "1500-byte MTU without IP fragments)")
        ->check(CLI::Range(nmsg::container_size_min, std::size_t{65000}));
    app.add_flag("--zlib", zlib, "with --nmsg or --udp: zlib-compress the containers");
    app.add_option("--count", count, "stop after N payloads written (0 = no limit)");
    app.add_option("--duration", duration, "stop S seconds after the start (0 = no limit)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--stats-json", stats_json,
                   "write the counters, per-channel and per-sender figures here every second and "
                   "at exit");
    app.add_flag("-q,--quiet", quiet, "no live line on stderr");
    app.add_option("--ring-blocks", ring_cfg.block_count, "ring blocks")->capture_default_str();
    app.add_option("--ring-block-size", ring_cfg.block_size,
                   "bytes per ring block (a multiple of the page size)")
        ->capture_default_str();
    app.add_flag("--no-promisc", no_promisc, "do not put the interface in promiscuous mode");
    app.add_option("--fanout", ring_cfg.fanout_group,
                   "join PACKET_FANOUT_HASH group ID (several taps share one interface)");

    CLI11_PARSE(app, argc, argv);
    if (iface.empty() && pcap_file.empty()) {
        std::fprintf(stderr, "siehub-tap: one of --iface or --pcap is required (see --help)\n");
        return 2;
    }
    if (nmsg_pattern.empty() && json_out.empty() && udp_out.empty()) {
        std::fprintf(stderr,
                     "siehub-tap: one of --nmsg, --json or --udp is required (see --help)\n");
        return 2;
    }

    tap::decoder_options dopt;
    dopt.port = static_cast<std::uint16_t>(port);
    dopt.untagged_channel = static_cast<std::uint16_t>(untagged);
    dopt.count = count;
    dopt.all_channels = channels.empty();
    for (unsigned c : channels) {
        dopt.channels.set(c);
    }

    std::unique_ptr<tap::payload_sink> out;
    try {
        if (!nmsg_pattern.empty()) {
            out = tap::make_file_sink({nmsg_pattern, rotate_s, rotate_bytes, container_size, zlib});
        } else if (!json_out.empty()) {
            out = tap::make_json_sink(json_out);
        } else {
            out = tap::make_udp_sink(udp_out, udp_size, zlib);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "siehub-tap: %s\n", e.what());
        return 1;
    }

    install_signals();
    tap::decoder dec(dopt, *out);
    reporter rep{dec, *out, iface.empty() ? pcap_file : iface, stats_json, quiet};
    auto const deadline = duration > 0 ? rep.start + duration : 0.0;
    auto should_stop = [&] {
        return g_stop != 0 || dec.done() || out->failed() ||
               (deadline != 0 && mono_now() >= deadline);
    };
    int rc = 0;

    if (!iface.empty()) {
        ring_cfg.iface = iface;
        ring_cfg.promiscuous = !no_promisc;
        std::unique_ptr<capture::afpacket_ring> ring;
        try {
            ring = std::make_unique<capture::afpacket_ring>(ring_cfg);
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "siehub-tap: %s: %s\n", iface.c_str(), e.what());
            return 1;
        }
        rep.ring = ring.get();
        if (!quiet) {
            std::fprintf(stderr,
                         "siehub-tap: reading %s (TPACKET_V3 ring, %u blocks of %u bytes)\n",
                         iface.c_str(), ring_cfg.block_count, ring_cfg.block_size);
        }
        while (!should_stop()) {
            ring->poll(100, [&](const capture::frame& f) {
                if (f.pkttype == PACKET_OUTGOING) {
                    dec.ignore(tap::tap_counter::ignored_outgoing);
                    return;
                }
                dec.frame(f.data, f.vlan(), std::uint64_t{f.sec} * 1000u + f.nsec / 1000000u);
            });
            rep.maybe_tick();
        }
        rep.rs = ring->stats();
        rep.ring = nullptr;
    } else {
        char errbuf[PCAP_ERRBUF_SIZE];
        pcap_t* p = pcap_open_offline(pcap_file.c_str(), errbuf);
        if (p == nullptr) {
            std::fprintf(stderr, "siehub-tap: %s: %s\n", pcap_file.c_str(), errbuf);
            return 1;
        }
        if (pcap_datalink(p) != DLT_EN10MB) {
            std::fprintf(stderr, "siehub-tap: %s: link type %d is not Ethernet\n",
                         pcap_file.c_str(), pcap_datalink(p));
            pcap_close(p);
            return 1;
        }
        pcap_pkthdr* h = nullptr;
        const u_char* d = nullptr;
        // A capture may be a pipe fed slowly ("-"): the clock is read per record (vDSO, tens
        // of ns) so time rotation and --duration hold there too.
        for (;;) {
            if (should_stop()) {
                break;
            }
            rep.maybe_tick();
            int const r = pcap_next_ex(p, &h, &d);
            if (r != 1) {
                if (r == PCAP_ERROR && g_stop == 0) {
                    std::fprintf(stderr, "siehub-tap: %s: %s\n", pcap_file.c_str(), pcap_geterr(p));
                    rc = 1;
                }
                break;
            }
            dec.frame({d, h->caplen}, -1,
                      std::uint64_t(h->ts.tv_sec) * 1000u + std::uint64_t(h->ts.tv_usec) / 1000u);
        }
        pcap_close(p);
    }

    out->close();
    if (out->failed()) {
        std::fprintf(stderr, "siehub-tap: %s\n", out->error().c_str());
        rc = 1;
    }
    double const now = mono_now();
    dec.update_rates(now - rep.last);
    if (!quiet) {
        std::fprintf(stderr, "%s\n", tap::live_line(dec, now - rep.start, rep.rs.drops).c_str());
    }
    rep.write_stats();
    return rc;
}
