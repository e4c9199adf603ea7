// SPDX-License-Identifier: Apache-2.0
// ns per bailiwick decision on the dns.pcap responses (22 UDP responses, parsed and grouped
// once, outside the timed loop): step 2 alone and steps 2-4 (check), on a warm table (the
// example.com servers known, as after a referral chain from the root) and on a cold one
// (root hints only: the SOA/NS fallback), and on a table filled to its 16384-zone bound.
#include <arpa/inet.h>

#include <memory>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "dns_test_util.hpp"
#include "pipeline/bailiwick.hpp"

using namespace siehub;
using namespace siehub::pipeline;

namespace {

struct parsed {
    std::vector<std::uint8_t> wire;
    std::vector<std::uint8_t> server;
    std::unique_ptr<dns::message> m = std::make_unique<dns::message>();
    std::unique_ptr<dns::rrset_table> t = std::make_unique<dns::rrset_table>();
};

std::vector<std::uint8_t> ip(const char* text)
{
    std::vector<std::uint8_t> b(16);
    if (inet_pton(AF_INET, text, b.data()) == 1) {
        b.resize(4);
    } else {
        inet_pton(AF_INET6, text, b.data());
    }
    return b;
}

} // namespace

int main()
{
    std::vector<parsed> rs;
    for (auto& u : dns_test::load_dns_pcap(std::string(SIEHUB_TESTDATA_DIR) + "/pcap/dns.pcap")) {
        if (u.sport != 53) {
            continue;
        }
        parsed p;
        p.wire = u.payload;
        p.server = ip(u.ipv6 ? "2001:db8::53" : "192.0.2.53");
        if (p.m->parse(p.wire) != dns::errc::ok || p.t->build(*p.m) != dns::errc::ok) {
            continue;
        }
        rs.push_back(std::move(p));
    }
    std::printf("dns.pcap: %zu UDP responses\n", rs.size());
    if (rs.empty()) {
        return 1;
    }

    auto run = [&](const char* name, bailiwick_checker& c, bool full) {
        std::size_t i = 0;
        bailiwick_verdict v;
        bool keep[dns::rrset_table::max_rrsets];
        auto r = bench::measure(name, [&] {
            auto const& p = rs[i];
            i = i + 1 == rs.size() ? 0 : i + 1;
            if (full) {
                bench::keep(c.check(*p.m, *p.t, p.server, 1000, v, keep));
            } else {
                bench::keep(c.bailiwick_for(*p.m, *p.t, p.server, 1000, v));
            }
        });
        bench::print(r);
        return r;
    };

    bailiwick_checker warm;
    warm.add_static(dns_test::wire("example.com."), ip("192.0.2.53"));
    warm.add_static(dns_test::wire("example.com."), ip("2001:db8::53"));
    auto const w2 = run("bailiwick_for, warm table (example.com known)", warm, false);
    auto const w4 = run("check (steps 2-4), warm table", warm, true);

    bailiwick_checker cold;
    auto const c2 = run("bailiwick_for, cold table (SOA/NS fallback)", cold, false);
    run("check (steps 2-4), cold table", cold, true);

    // A table at its bound: 16384 learned zones (direct static entries stand in for learned
    // ones; the lookup path is the same), example.com among them.
    bailiwick_checker big;
    for (int i = 0; i < 16383; ++i) {
        std::string z = "zone" + std::to_string(i) + ".test.";
        big.add_static(dns_test::wire(z), ip("198.18.0.1"));
    }
    big.add_static(dns_test::wire("example.com."), ip("192.0.2.53"));
    big.add_static(dns_test::wire("example.com."), ip("2001:db8::53"));
    std::printf("full table: %zu zones, %zu KiB\n", big.zones(), big.memory_bytes() / 1024);
    run("bailiwick_for, 16384-zone table", big, false);
    bench::print_ratio("cold fallback vs warm lookup (step 2)", w2, c2);
    bench::keep(w4.ns_per_op);
    return 0;
}
