// SPDX-License-Identifier: Apache-2.0
// siehub-gen: realistic sensor traffic for siehub (nmsg base/dnsqr over UDP), deterministic
// from a seed, written as pcap / nmsg or sent on a DPDK port at a target rate, with the
// ground truth of what the hub should count on it (--truth). docs/siehub-gen.md.

#include <pcap/pcap.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gen.hpp"
#include "newness/psl_list.hpp"
#include "tx.hpp"

using namespace siehub;

namespace {

constexpr const char* description =
    "siehub-gen - sensor traffic for siehub: nmsg base/dnsqr payloads (real DNS query/response\n"
    "packets: A, AAAA, NS, CNAME, MX, TXT, SOA, RRSIG; EDNS cookies and client subnet) over\n"
    "UDP to the hub's ingest address, for Zipf-popular names over real public suffixes.\n"
    "Deterministic: the same options give the same bytes. Writes a pcap (--pcap, ready for\n"
    "pktgen-dpdk and tcpreplay) and/or an nmsg file (--nmsg), or transmits on a DPDK port\n"
    "(--tx, EAL arguments after `--`) at --pps/--gbps; --truth writes what the hub should count.";

constexpr const char* footer = R"(
Malformed kinds (--malformed-kinds NAME[=WEIGHT],...; default: all, weight 1 each) and the hub
counter each lands in:
%KINDS%
Examples:
  siehub-gen --count 100000 --pcap sensors.pcap --truth sensors.truth.json
  siehub-gen --count 20000 --malformed 0.05 --zlib 0.2 --fragment 0.05 --pcap t.pcap
  siehub-gen --count 50000 --tx --pps 200000 --duration 30 -- --no-huge --no-pci \
      --file-prefix=gen --vdev=net_memif0,role=client,socket=/run/siehub.memif
Exit status: 0 success, 1 an output or DPDK failure, 2 usage error.)";

bool parse_mac(const std::string& s, std::uint8_t out[6])
{
    unsigned v[6];
    if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) !=
        6) {
        return false;
    }
    for (int i = 0; i < 6; ++i) {
        if (v[i] > 255) {
            return false;
        }
        out[i] = static_cast<std::uint8_t>(v[i]);
    }
    return true;
}

bool parse_ip(const std::string& s, std::uint8_t out[4])
{
    unsigned v[4];
    char tail;
    if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4) {
        return false;
    }
    for (int i = 0; i < 4; ++i) {
        if (v[i] > 255) {
            return false;
        }
        out[i] = static_cast<std::uint8_t>(v[i]);
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    // Everything after the first `--` belongs to the EAL (--tx).
    std::vector<std::string> eal_args;
    int cli_argc = argc;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--") {
            cli_argc = i;
            eal_args.assign(argv + i + 1, argv + argc);
            break;
        }
    }
    std::string kinds_text;
    for (auto const& k : gen::bad_kind_table) {
        char line[160];
        std::snprintf(line, sizeof line, "  %-19s -> %-26s %s\n", k.name, k.counter, k.meaning);
        kinds_text += line;
    }
    std::string foot = footer;
    foot.replace(foot.find("%KINDS%"), 7, kinds_text);

    CLI::App app{description, "siehub-gen"};
    app.footer(foot);
    app.get_formatter()->column_width(34);
    gen::options o;
    std::string pcap_path, nmsg_path, truth_path, kinds, psl_path, dst_mac, dst_ip, src_net;
    bool tx = false;
    gen::tx_options to;

    app.add_option("--seed", o.seed, "random seed: same seed and options, same bytes")
        ->capture_default_str();
    app.add_option("--count", o.count, "transactions to generate (payloads, incl. malformed)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}))
        ->capture_default_str();
    app.add_option("--names", o.names, "size of the Zipf universe of FQDNs (zones = names/6)")
        ->check(CLI::Range(1u, 100000000u))
        ->capture_default_str();
    app.add_option("--zipf", o.zipf_s, "Zipf exponent of name popularity")
        ->check(CLI::Range(0.1, 3.0))
        ->capture_default_str();
    app.add_option("--dup", o.dup,
                   "fraction of NOERROR transactions repeating an earlier (qname, qtype)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option(
           "--new-names", o.new_names,
           "fraction of the other NOERROR transactions for a never-seen name (half in new zones)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--nxdomain", o.nxdomain, "fraction of NXDOMAIN responses")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--servfail", o.servfail, "fraction of SERVFAIL responses")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--refused", o.refused, "fraction of REFUSED responses")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--tc", o.truncated_tc, "fraction of NOERROR responses with TC = 1 (no records)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--no-checksum", o.no_checksum,
                   "fraction of payloads without udp_checksum (the hub computes it)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--case-mix", o.case_mix, "fraction of qnames in DNS 0x20 mixed case")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--malformed", o.malformed,
                   "fraction of transactions made malformed (kinds below)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--malformed-kinds", kinds,
                   "kinds and relative weights: NAME[=W],... (default all =1)");
    app.add_option("--sensors", o.sensors,
                   "sensors: source address SRC_NET.(10+i), port 50000+i, own sequence")
        ->check(CLI::Range(1u, 200u))
        ->capture_default_str();
    app.add_option("--container", o.container, "container (datagram) size: 1280 or 8192")
        ->check(CLI::IsMember({1280u, 8192u}))
        ->capture_default_str();
    app.add_option("--zlib", o.zlib, "fraction of containers sent zlib-compressed")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--fragment", o.fragment,
                   "fraction of containers built 3x oversize and sent as NMSG fragments")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--mtu", o.mtu,
                   "IPv4 MTU: datagrams over it leave as IP fragments, e.g. 8192-byte containers "
                   "on a 1500 link (0: never)")
        ->check(CLI::Range(0u, 9000u))
        ->capture_default_str();
    app.add_option(
           "--psl", psl_path,
           "draw suffixes uniformly from this Public Suffix List's ICANN rules (e.g. "
           "/usr/share/publicsuffix/public_suffix_list.dat) instead of the built-in weighted list")
        ->type_name("FILE");
    app.add_option("--dst-mac", dst_mac,
                   "destination MAC (default 02:70:63:61:70:00, net_pcap0's)");
    app.add_option("--dst-ip", dst_ip, "the hub's ingest address (default 192.0.2.1)");
    app.add_option("--src-net", src_net, "sensors' /24 as A.B.C (default 192.0.2)");
    app.add_option("--port", o.dst_port, "the hub's ingest UDP port")->capture_default_str();
    app.add_option("--pcap", pcap_path, "write the frames as a pcap (Ethernet/IPv4/UDP)")
        ->type_name("FILE");
    app.add_option("--nmsg", nmsg_path, "write the nmsg units (datagram payloads) as an nmsg file")
        ->type_name("FILE");
    app.add_option("--truth", truth_path,
                   "write the ground truth (JSON): what the hub should count")
        ->type_name("FILE");
    bool list_suffixes = false;
    app.add_flag("--list-suffixes", list_suffixes,
                 "print the public suffixes names are drawn from (one a line) and exit");
    app.add_flag("--tx", tx, "transmit on a DPDK port (EAL arguments after `--`)");
    app.add_option("--tx-port", to.port, "DPDK device name to send on (default: the first port)");
    app.add_option("--pps", to.pps,
                   "target rate in frames per second (token bucket; 0 = unlimited)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--gbps", to.gbps,
                   "target rate in Gbit/s on the wire (token bucket; 0 = unlimited)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--duration", to.duration,
                   "seconds to transmit, looping over the frames (0: --loops passes)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--loops", to.loops, "passes over the frames when --duration is 0")
        ->capture_default_str();
    app.add_flag("--quiet", to.quiet, "no live rate line");
    app.add_option("--link-wait", to.link_wait,
                   "seconds to wait for the port's link (memif peer) before sending")
        ->capture_default_str();
    app.add_option("--linger", to.linger,
                   "seconds to keep the port open after the last frame (peer drains)")
        ->check(CLI::Range(0.0, 60.0))
        ->capture_default_str();
    try {
        app.parse(cli_argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    to.eal_args = eal_args;
    if (o.nxdomain + o.servfail + o.refused > 1.0) {
        std::cerr << "siehub-gen: --nxdomain + --servfail + --refused > 1\n";
        return 2;
    }
    if ((!dst_mac.empty() && !parse_mac(dst_mac, o.dst_mac)) ||
        (!dst_ip.empty() && !parse_ip(dst_ip, o.dst_ip))) {
        std::cerr << "siehub-gen: bad --dst-mac or --dst-ip\n";
        return 2;
    }
    if (!src_net.empty()) {
        std::uint8_t ip[4];
        if (!parse_ip(src_net + ".0", ip)) {
            std::cerr << "siehub-gen: bad --src-net (A.B.C)\n";
            return 2;
        }
        std::copy(ip, ip + 3, o.src_net);
    }
    if (!kinds.empty()) {
        std::fill(o.kind_weights.begin(), o.kind_weights.end(), 0.0);
        std::stringstream ss(kinds);
        std::string item;
        while (std::getline(ss, item, ',')) {
            auto const eq = item.find('=');
            std::string const name = item.substr(0, eq);
            double w = 1.0;
            if (eq != std::string::npos) {
                try {
                    w = std::stod(item.substr(eq + 1));
                } catch (const std::exception&) {
                    w = -1;
                }
            }
            std::size_t i = 0;
            while (i < o.kind_weights.size() && name != gen::bad_kind_table[i].name) {
                ++i;
            }
            if (i == o.kind_weights.size() || w < 0) {
                std::cerr << "siehub-gen: unknown malformed kind or weight '" << item
                          << "' (see --help)\n";
                return 2;
            }
            o.kind_weights[i] = w;
        }
    }
    if (!psl_path.empty()) {
        auto const psl = newness::load_psl_file(psl_path);
        if (!psl.ok()) {
            std::cerr << "siehub-gen: " << psl_path << ": " << newness::to_string(psl.status)
                      << " (line " << psl.line << ")\n";
            return 1;
        }
        // Plain ICANN rules with no wildcard or exception at or below them.
        std::set<std::string> wild;
        for (auto const& r : psl.rules) {
            if (r.kind != newness::rule_kind::normal) {
                wild.insert(r.name);
            }
        }
        for (auto const& r : psl.rules) {
            if (r.kind == newness::rule_kind::normal && r.section == newness::psl_section::icann &&
                wild.count(r.name) == 0) {
                o.suffixes.push_back(r.name);
            }
        }
        if (o.suffixes.empty()) {
            std::cerr << "siehub-gen: " << psl_path << ": no usable ICANN rules\n";
            return 1;
        }
    }
    if (list_suffixes) {
        std::set<std::string> const uniq(
            o.suffixes.empty() ? gen::builtin_suffixes().begin() : o.suffixes.begin(),
            o.suffixes.empty() ? gen::builtin_suffixes().end() : o.suffixes.end());
        for (auto const& x : uniq) {
            std::cout << x << "\n";
        }
        return 0;
    }
    if (pcap_path.empty() && nmsg_path.empty() && !tx && truth_path.empty()) {
        std::cerr
            << "siehub-gen: nothing to do: give --pcap, --nmsg, --tx and/or --truth (see --help)\n";
        return 2;
    }

    pcap_t* dead = nullptr;
    pcap_dumper_t* dumper = nullptr;
    if (!pcap_path.empty()) {
        dead = pcap_open_dead(DLT_EN10MB, 65535);
        dumper = pcap_dump_open(dead, pcap_path.c_str());
        if (dumper == nullptr) {
            std::cerr << "siehub-gen: " << pcap_path << ": " << pcap_geterr(dead) << "\n";
            return 1;
        }
    }
    std::ofstream nmsg_out;
    if (!nmsg_path.empty()) {
        nmsg_out.open(nmsg_path, std::ios::binary | std::ios::trunc);
        if (!nmsg_out) {
            std::cerr << "siehub-gen: cannot write " << nmsg_path << "\n";
            return 1;
        }
    }
    std::vector<std::vector<std::uint8_t>> frames;
    // Frame time stamps: 20 µs apart from the capture's epoch (pcap replay tools pace by them
    // unless told to go at line rate).
    std::int64_t ts_usec = 1795382289LL * 1000000;
    gen::generator g(o);
    bool const ok = g.run([&](core::byte_view frame, core::byte_view unit) {
        if (dumper != nullptr) {
            pcap_pkthdr ph{};
            ph.ts.tv_sec = static_cast<time_t>(ts_usec / 1000000);
            ph.ts.tv_usec = static_cast<suseconds_t>(ts_usec % 1000000);
            ph.caplen = ph.len = static_cast<bpf_u_int32>(frame.size());
            pcap_dump(reinterpret_cast<u_char*>(dumper), &ph, frame.data());
            ts_usec += 20;
        }
        if (nmsg_out.is_open() && !unit.empty()) {
            nmsg_out.write(reinterpret_cast<const char*>(unit.data()),
                           static_cast<std::streamsize>(unit.size()));
        }
        if (tx) {
            frames.emplace_back(frame.begin(), frame.end());
        }
    });
    if (dumper != nullptr) {
        pcap_dump_close(dumper);
        pcap_close(dead);
    }
    if (nmsg_out.is_open()) {
        nmsg_out.close();
        if (!nmsg_out) {
            std::cerr << "siehub-gen: write error on " << nmsg_path << "\n";
            return 1;
        }
    }
    if (!ok) {
        return 1;
    }
    auto const& t = g.result();
    if (!truth_path.empty()) {
        std::ofstream tf(truth_path, std::ios::trunc);
        tf << gen::truth_json(o, t);
        if (!tf) {
            std::cerr << "siehub-gen: cannot write " << truth_path << "\n";
            return 1;
        }
    }
    std::fprintf(
        stderr,
        "siehub-gen: %llu transactions, %llu frames (%llu bytes), %llu payloads, %llu accepted, "
        "%llu distinct RRsets, %llu duplicates\n",
        (unsigned long long)t.transactions, (unsigned long long)t.frames,
        (unsigned long long)t.bytes, (unsigned long long)t.payloads, (unsigned long long)t.accepted,
        (unsigned long long)t.distinct_rrsets, (unsigned long long)t.duplicates);
    if (tx) {
        gen::tx_result r;
        if (!gen::transmit(frames, to, r)) {
            return 1;
        }
        std::fprintf(stderr,
                     "siehub-gen: sent %llu frames, %llu bytes in %.3f s (%.3f Mpps, %.3f "
                     "Gbit/s of frame bytes), %llu dropped (port stalled)\n",
                     (unsigned long long)r.frames, (unsigned long long)r.bytes, r.seconds,
                     r.seconds > 0 ? static_cast<double>(r.frames) / r.seconds / 1e6 : 0.0,
                     r.seconds > 0 ? static_cast<double>(r.bytes) * 8 / r.seconds / 1e9 : 0.0,
                     (unsigned long long)r.dropped);
    }
    return 0;
}
