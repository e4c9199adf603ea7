// SPDX-License-Identifier: Apache-2.0
// DNS response parse + RRset grouping on real responses from testdata/pcap/dns.pcap.
// Also measures the lazy rr_reader walk against the fixed-array parse (the message.hpp choice)
// and full decompression of every RDATA. Target: parse + grouping <= 150 ns for typical
// 200-400 byte responses.
#include <pcap/pcap.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/rdata.hpp"
#include "proto/dns/rrset.hpp"

using namespace siehub;
using namespace siehub::dns;

namespace {

// UDP payloads from port 53, unfragmented IPv4/IPv6 frames only (enough for the benchmark).
std::vector<std::vector<std::uint8_t>> load_responses(const std::string& path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    std::vector<std::vector<std::uint8_t>> out;
    if (p == nullptr) {
        std::fprintf(stderr, "%s\n", err);
        return out;
    }
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        std::size_t const et = core::load_be16(d + 12);
        const std::uint8_t* l4 = nullptr;
        if (et == 0x0800 && d[14 + 9] == 17 && (core::load_be16(d + 14 + 6) & 0x3FFF) == 0) {
            l4 = d + 14 + (d[14] & 0xF) * 4;
        } else if (et == 0x86DD && d[14 + 6] == 17) {
            l4 = d + 14 + 40;
        }
        if (l4 == nullptr || core::load_be16(l4) != 53) {
            continue;
        }
        out.emplace_back(l4 + 8, l4 + core::load_be16(l4 + 4));
    }
    pcap_close(p);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    std::string const path =
        argc > 1 ? argv[1] : std::string(SIEHUB_TESTDATA_DIR) + "/pcap/dns.pcap";
    auto const resp = load_responses(path);
    if (resp.size() < 21) {
        std::fprintf(stderr, "expected the dns.pcap responses in %s\n", path.c_str());
        return 1;
    }
    struct pick {
        const char* what;
        std::size_t index;
    };
    // Indices among the unfragmented UDP responses (query 20's fragmented one is absent).
    pick const picks[] = {{"q1 www A (2/2/4)", 0},
                          {"q5 MX (2/2/5)", 4},
                          {"q11 referral (0/1/2)", 10},
                          {"q12 SRV (1/2/5)", 11},
                          {"q19 60 x A (60/2/4)", 18}};
    static message m;
    static rrset_table t;
    static std::array<std::uint8_t, 4096> buf;
    for (auto const& pk : picks) {
        auto const& w = resp[pk.index];
        byte_view const v{w.data(), w.size()};
        if (m.parse(v) != errc::ok) {
            std::fprintf(stderr, "%s does not parse\n", pk.what);
            return 1;
        }
        std::string const tag = std::string(pk.what) + " " + std::to_string(w.size()) + "B";
        auto const parse =
            bench::measure("parse          " + tag, [&] { bench::keep(m.parse(v)); });
        auto const group = bench::measure("parse+rrsets   " + tag, [&] {
            bench::keep(m.parse(v));
            bench::keep(t.build(m));
        });
        auto const lazy = bench::measure("rr_reader walk " + tag, [&] {
            rr_reader rd;
            rd.start(v);
            rr r;
            std::uint32_t ttl = 0;
            while (rd.next(r)) {
                ttl += r.ttl;
            }
            bench::keep(ttl);
        });
        auto const full = bench::measure("parse+rrsets+uncompress all rdata " + tag, [&] {
            bench::keep(m.parse(v));
            bench::keep(t.build(m));
            for (auto const& r : m.records()) {
                core::out_buffer out{buf};
                bench::keep(uncompress_rdata(v, r, out));
            }
        });
        bench::print(parse);
        bench::print(lazy);
        bench::print(group);
        bench::print(full);
        std::printf("  -> %zu RRs, %zu RRsets; parse+rrsets %s the 150 ns target\n",
                    m.records().size(), t.sets().size(),
                    group.ns_per_op <= 150.0 ? "meets" : "MISSES");
    }
    return 0;
}
