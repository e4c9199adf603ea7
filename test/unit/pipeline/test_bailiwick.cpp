// SPDX-License-Identifier: Apache-2.0
// Bailiwick reconstruction (sie.md §2.3, docs/bailiwick.md): the dns.pcap responses on a cold
// and on a warm table, a delegation chain learned from the root down, out-of-bailiwick records,
// poisoning attempts, TTL expiry, the LRU and per-zone bounds, static zones and the root hints.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../dns/dns_test_util.hpp"
#include "pipeline/bailiwick.hpp"
#include "proto/dns/writer.hpp"

using namespace siehub;
using namespace siehub::pipeline;
using dns_test::name_text;
using dns_test::wire;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes ip(const char* text)
{
    bytes b(16);
    if (inet_pton(AF_INET, text, b.data()) == 1) {
        b.resize(4);
        return b;
    }
    REQUIRE(inet_pton(AF_INET6, text, b.data()) == 1);
    return b;
}

// A parsed response with its RRset table (both are large: heap).
struct response {
    bytes wire;
    std::unique_ptr<dns::message> m = std::make_unique<dns::message>();
    std::unique_ptr<dns::rrset_table> t = std::make_unique<dns::rrset_table>();

    explicit response(bytes w) : wire(std::move(w))
    {
        REQUIRE(m->parse(wire) == dns::errc::ok);
        REQUIRE(t->build(*m) == dns::errc::ok);
    }
};

struct rr_spec {
    dns::section sec;
    std::string owner;
    std::uint16_t type;
    std::uint32_t ttl;
    std::string data; // NS: target name; A/AAAA: address text; SOA: mname; else ignored
};

constexpr std::uint16_t flag_qr = 0x8000;
constexpr std::uint16_t flag_aa = 0x0400;

bytes build(std::string const& qname, std::uint16_t qtype, std::uint16_t flags,
            std::vector<rr_spec> const& rrs)
{
    bytes buf(4096);
    core::out_buffer out{core::byte_span{buf.data(), buf.size()}};
    dns::message_writer w(out);
    REQUIRE(w.begin(0x1234, flags) == dns::errc::ok);
    REQUIRE(w.question(wire(qname), qtype, dns::rrclass::in) == dns::errc::ok);
    for (auto const& r : rrs) {
        auto const owner = wire(r.owner);
        REQUIRE(w.begin_rr(r.sec, owner, r.type, dns::rrclass::in, r.ttl) == dns::errc::ok);
        if (r.type == dns::rrtype::ns || r.type == dns::rrtype::cname) {
            w.rdata_name(wire(r.data), true);
        } else if (r.type == dns::rrtype::a || r.type == dns::rrtype::aaaa) {
            w.rdata_bytes(ip(r.data.c_str()));
        } else if (r.type == dns::rrtype::soa) {
            w.rdata_name(wire(r.data), true);
            w.rdata_name(wire(r.owner == "." ? "hostmaster." : "hostmaster." + r.owner), true);
            for (std::uint32_t v : {1u, 7200u, 900u, 1209600u, 300u}) {
                w.rdata_u32(v);
            }
        } else if (r.type == dns::rrtype::mx) {
            w.rdata_u16(10);
            w.rdata_name(wire(r.data), true);
        }
        REQUIRE(w.end_rr() == dns::errc::ok);
    }
    REQUIRE(w.finish() == dns::errc::ok);
    auto const v = w.written();
    return {v.begin(), v.end()};
}

struct outcome {
    bailiwick_source source;
    std::string bailiwick;
    std::size_t kept;
    std::vector<bool> keep;
};

outcome run(bailiwick_checker& c, response const& r, bytes const& server, bailiwick_seconds now)
{
    bailiwick_verdict v;
    bool keep[dns::rrset_table::max_rrsets];
    auto const n = c.check(*r.m, *r.t, server, now, v, keep);
    outcome o{v.source, v.ok() ? name_text(v.bailiwick()) : "", n, {}};
    o.keep.assign(keep, keep + r.t->sets().size());
    REQUIRE(c.check_invariants());
    return o;
}

std::uint64_t get(bailiwick_checker const& c, bailiwick_counter k)
{
    return c.counters().get(k);
}

struct pcap_response {
    std::uint16_t id;
    bytes server;
    bytes payload;
};

// The UDP responses of dns.pcap. The server is 192.0.2.53 over IPv4 and 2001:db8::53 over
// IPv6 (testdata/README.md: every query went to one of those two addresses).
std::vector<pcap_response> const& dns_pcap()
{
    static std::vector<pcap_response> const all = [] {
        std::vector<pcap_response> r;
        for (auto& u : dns_test::load_dns_pcap(dns_test::testdata("pcap/dns.pcap"))) {
            if (u.sport != 53) {
                continue;
            }
            r.push_back({core::load_be16(u.payload.data()),
                         ip(u.ipv6 ? "2001:db8::53" : "192.0.2.53"), u.payload});
        }
        return r;
    }();
    return all;
}

pcap_response const& pcap_by_id(std::uint16_t id)
{
    for (auto const& p : dns_pcap()) {
        if (p.id == id) {
            return p;
        }
    }
    FAIL("no response with id " << id);
    throw;
}

constexpr std::uint16_t id_referral = 57679; // host.sub.example.com A

// root -> com -> example.com, as a resolver's referrals would teach it.
void warm_example_com(bailiwick_checker& c, bailiwick_seconds now, bool expect_learned = true)
{
    response root(build(
        "www.example.com.", dns::rrtype::a, flag_qr,
        {{dns::section::authority, "com.", dns::rrtype::ns, 172800, "a.gtld-servers.net."},
         {dns::section::additional, "a.gtld-servers.net.", dns::rrtype::a, 172800, "192.5.6.30"}}));
    auto o = run(c, root, ip("198.41.0.4"), now);
    REQUIRE(o.source == bailiwick_source::table);
    REQUIRE(o.bailiwick == ".");
    REQUIRE(c.knows(wire("com."), ip("192.5.6.30"), now));

    response com(build(
        "www.example.com.", dns::rrtype::a, flag_qr,
        {{dns::section::authority, "example.com.", dns::rrtype::ns, 172800, "ns1.example.com."},
         {dns::section::authority, "example.com.", dns::rrtype::ns, 172800, "ns2.example.com."},
         {dns::section::additional, "ns1.example.com.", dns::rrtype::a, 172800, "192.0.2.53"},
         {dns::section::additional, "ns1.example.com.", dns::rrtype::aaaa, 172800, "2001:db8::53"},
         {dns::section::additional, "ns2.example.com.", dns::rrtype::a, 172800, "198.51.100.53"}}));
    o = run(c, com, ip("192.5.6.30"), now);
    REQUIRE(o.source == bailiwick_source::table);
    REQUIRE(o.bailiwick == "com.");
    REQUIRE(o.kept == 4); // the NS RRset and three glue RRsets
    if (expect_learned) {
        REQUIRE(c.knows(wire("example.com."), ip("192.0.2.53"), now));
        REQUIRE(c.knows(wire("example.com."), ip("2001:db8::53"), now));
        REQUIRE(c.knows(wire("example.com."), ip("198.51.100.53"), now));
    }
}

constexpr bailiwick_seconds t0 = 1795900000; // around the capture date

} // namespace

TEST_CASE("root hints: 13 servers from named.root, both families", "[bailiwick]")
{
    auto const h = root_hints();
    REQUIRE(h.size() == 13);
    std::set<std::string> names;
    for (auto const& s : h) {
        names.insert(std::string(s.name));
    }
    CHECK(names.size() == 13);
    CHECK(h[0].name == "a.root-servers.net");
    CHECK(bytes(h[0].ipv4.begin(), h[0].ipv4.end()) == ip("198.41.0.4"));
    CHECK(bytes(h[0].ipv6.begin(), h[0].ipv6.end()) == ip("2001:503:ba3e::2:30"));
    CHECK(bytes(h[1].ipv4.begin(), h[1].ipv4.end()) == ip("170.247.170.2"));
    CHECK(bytes(h[6].ipv6.begin(), h[6].ipv6.end()) == ip("2001:500:12::d0d"));
    CHECK(bytes(h[12].ipv6.begin(), h[12].ipv6.end()) == ip("2001:dc3::35"));

    bailiwick_checker c;
    for (auto const& s : h) {
        CHECK(c.knows(wire("."), bytes(s.ipv4.begin(), s.ipv4.end()), 0));
        CHECK(c.knows(wire("."), bytes(s.ipv6.begin(), s.ipv6.end()), 0xFFFFFFF0u));
    }
    CHECK_FALSE(c.knows(wire("."), ip("192.0.2.53"), 0));

    bailiwick_checker none(bailiwick_config{.root_hints = false});
    CHECK_FALSE(none.knows(wire("."), ip("198.41.0.4"), 0));
}

TEST_CASE("dns.pcap on a cold table: SOA and NS evidence", "[bailiwick][pcap]")
{
    bailiwick_checker c;
    REQUIRE(dns_pcap().size() == 22);
    struct want {
        std::uint16_t id;
        bailiwick_source source;
        const char* bailiwick;
    };
    using bs = bailiwick_source;
    std::vector<want> const wants = {
        {47100, bs::ns, "example.com."},           // www A: apex NS in authority
        {32125, bs::ns, "example.com."},           // example.com NS: AA answer at the apex
        {16253, bs::ns, "example.com."},           // example.com SOA: NS in authority comes first
        {51678, bs::soa, "example.com."},          // NXDOMAIN: SOA in authority
        {35473, bs::unverifiable, ""},             // SERVFAIL: no evidence at all
        {24592, bs::soa, "example.com."},          // NODATA: SOA in authority
        {id_referral, bs::ns, "sub.example.com."}, // cold referral: the NS owner (child)
        {9540, bs::ns, "example.com."},            // IPv6 server
        {47340, bs::unverifiable, ""},             // REFUSED www.example.org
        {24346, bs::unverifiable, ""},             // TC=1: no records
    };
    for (auto const& w : wants) {
        INFO("id " << w.id);
        auto const& p = pcap_by_id(w.id);
        response r(p.payload);
        auto const o = run(c, r, p.server, t0);
        CHECK(o.source == w.source);
        CHECK(o.bailiwick == w.bailiwick);
        // BIND answers only from its own zone: every RRset is in bailiwick when B is known.
        CHECK(o.kept == (w.source == bs::unverifiable ? 0 : r.t->sets().size()));
    }
    CHECK(get(c, bailiwick_counter::unverifiable) == 3);
    CHECK(get(c, bailiwick_counter::contradicted) == 0);
    CHECK(get(c, bailiwick_counter::out_of_bailiwick_rrsets) == 0);
    // The cold referral is not trusted to teach the table.
    CHECK(get(c, bailiwick_counter::learn_untrusted) == 1);
    CHECK(get(c, bailiwick_counter::learned_zones) == 0);
    CHECK(c.zones() == 0);
    CHECK_FALSE(c.knows(wire("sub.example.com."), ip("192.0.2.99"), t0));
}

TEST_CASE("dns.pcap, every response, cold: each source is counted once", "[bailiwick][pcap]")
{
    bailiwick_checker c;
    std::size_t n = 0;
    for (auto const& p : dns_pcap()) {
        response r(p.payload);
        run(c, r, p.server, t0);
        ++n;
    }
    auto const total =
        get(c, bailiwick_counter::resolved_by_table) + get(c, bailiwick_counter::resolved_by_soa) +
        get(c, bailiwick_counter::resolved_by_ns) + get(c, bailiwick_counter::unverifiable);
    CHECK(total == n);
    CHECK(get(c, bailiwick_counter::resolved_by_table) == 0);
    CHECK(get(c, bailiwick_counter::resolved_by_soa) == 2); // NXDOMAIN, NODATA
    CHECK(get(c, bailiwick_counter::unverifiable) == 3);    // SERVFAIL, REFUSED, TC=1
}

TEST_CASE("sie.md example: referral for host.sub.example.com on a warm table", "[bailiwick][pcap]")
{
    bailiwick_checker c;
    warm_example_com(c, t0);
    CHECK(get(c, bailiwick_counter::learned_zones) == 2); // com, example.com

    auto const& p = pcap_by_id(id_referral);
    response r(p.payload);
    auto const o = run(c, r, p.server, t0 + 1);
    CHECK(o.source == bailiwick_source::table);
    CHECK(o.bailiwick == "example.com.");
    // sub.example.com NS ns.sub.example.com and the glue ns.sub.example.com A: both in.
    REQUIRE(r.t->sets().size() == 2);
    CHECK(o.kept == 2);
    CHECK(get(c, bailiwick_counter::learned_zones) == 3);
    CHECK(c.knows(wire("sub.example.com."), ip("192.0.2.99"), t0 + 1));

    // The learned delegation is then used for the child's own server.
    response child(
        build("host.sub.example.com.", dns::rrtype::a, flag_qr | flag_aa,
              {{dns::section::answer, "host.sub.example.com.", dns::rrtype::a, 300, "192.0.2.100"},
               {dns::section::authority, "sub.example.com.", dns::rrtype::ns, 3600,
                "ns.sub.example.com."}}));
    auto const oc = run(c, child, ip("192.0.2.99"), t0 + 2);
    CHECK(oc.source == bailiwick_source::table);
    CHECK(oc.bailiwick == "sub.example.com.");
    CHECK(oc.kept == 2);

    // Every dns.pcap response from the example.com servers now resolves by the table.
    for (auto const& q : dns_pcap()) {
        response x(q.payload);
        auto const ox = run(c, x, q.server, t0 + 3);
        INFO("id " << q.id);
        // www.example.org (REFUSED) and www.broken.example (SERVFAIL): no zone of the table
        // on their path lists the server, and the responses carry no SOA/NS.
        if (q.id == 47340 || q.id == 35473) {
            CHECK(ox.source == bailiwick_source::unverifiable);
        } else {
            CHECK(ox.source == bailiwick_source::table);
            CHECK(ox.bailiwick == "example.com.");
        }
    }
}

TEST_CASE("out-of-bailiwick RRsets are dropped", "[bailiwick]")
{
    bailiwick_checker c;
    warm_example_com(c, t0);
    auto const before = get(c, bailiwick_counter::out_of_bailiwick_rrsets);
    response r(build(
        "example.com.", dns::rrtype::mx, flag_qr | flag_aa,
        {{dns::section::answer, "example.com.", dns::rrtype::mx, 3600, "mail.example.com."},
         {dns::section::additional, "mail.example.com.", dns::rrtype::a, 3600, "192.0.2.25"},
         {dns::section::additional, "mx2.example.net.", dns::rrtype::a, 3600, "203.0.113.66"}}));
    auto const o = run(c, r, ip("192.0.2.53"), t0);
    CHECK(o.source == bailiwick_source::table);
    CHECK(o.bailiwick == "example.com.");
    REQUIRE(o.keep.size() == 3);
    CHECK(o.keep == std::vector<bool>{true, true, false});
    CHECK(get(c, bailiwick_counter::out_of_bailiwick_rrsets) == before + 1);

    // Step 3 alone: label-aligned and case-insensitive.
    CHECK(in_bailiwick(wire("WWW.Example.COM."), wire("example.com.")));
    CHECK(in_bailiwick(wire("example.com."), wire("example.com.")));
    CHECK_FALSE(in_bailiwick(wire("badexample.com."), wire("example.com.")));
    CHECK_FALSE(in_bailiwick(wire("com."), wire("example.com.")));
    CHECK(in_bailiwick(wire("anything.org."), wire(".")));
    CHECK_FALSE(in_bailiwick(wire("example.com."), {}));
}

TEST_CASE("poisoning attempts", "[bailiwick]")
{
    bailiwick_checker c;
    warm_example_com(c, t0);
    // org is known too (a root referral), served by 199.19.56.1.
    response orgref(build(
        "www.example.org.", dns::rrtype::a, flag_qr,
        {{dns::section::authority, "org.", dns::rrtype::ns, 86400, "a0.org.afilias-nst.info."},
         {dns::section::additional, "a0.org.afilias-nst.info.", dns::rrtype::a, 86400,
          "199.19.56.1"}}));
    REQUIRE(run(c, orgref, ip("198.41.0.4"), t0).source == bailiwick_source::table);
    REQUIRE(c.knows(wire("org."), ip("199.19.56.1"), t0));

    SECTION("a server for example.com answers for example.org without evidence")
    {
        response r(build(
            "www.example.org.", dns::rrtype::a, flag_qr | flag_aa,
            {{dns::section::answer, "www.example.org.", dns::rrtype::a, 3600, "203.0.113.66"}}));
        auto const o = run(c, r, ip("192.0.2.53"), t0);
        CHECK(o.source == bailiwick_source::unverifiable);
        CHECK(o.kept == 0);
        CHECK(o.keep == std::vector<bool>{false});
    }
    SECTION("a server for example.com claims the org zone itself")
    {
        response r(
            build("www.example.org.", dns::rrtype::a, flag_qr | flag_aa,
                  {{dns::section::answer, "www.example.org.", dns::rrtype::a, 3600, "203.0.113.66"},
                   {dns::section::authority, "org.", dns::rrtype::soa, 3600,
                    "a0.org.afilias-nst.info."}}));
        bailiwick_verdict v;
        CHECK(c.bailiwick_for(*r.m, *r.t, ip("192.0.2.53"), t0, v) ==
              bailiwick_source::unverifiable);
        CHECK(v.contradicted);
        CHECK(get(c, bailiwick_counter::contradicted) == 1);
    }
    SECTION("a claim of the root by a non-root server is contradicted by the hints")
    {
        response r(
            build("www.example.net.", dns::rrtype::a, flag_qr | flag_aa,
                  {{dns::section::answer, "www.example.net.", dns::rrtype::a, 3600, "203.0.113.66"},
                   {dns::section::authority, ".", dns::rrtype::soa, 3600, "a.root-servers.net."}}));
        auto const o = run(c, r, ip("203.0.113.1"), t0);
        CHECK(o.source == bailiwick_source::unverifiable);
        CHECK(get(c, bailiwick_counter::contradicted) == 1);
    }
    SECTION("the example.com server claims example.org by SOA: accepted (cold rule), not taught")
    {
        // sie.md step 2 takes an SOA strictly below every zone the table knows; the claim
        // covers only this response's RRsets under example.org, and teaches nothing.
        response r(build(
            "www.example.org.", dns::rrtype::a, flag_qr,
            {{dns::section::authority, "example.org.", dns::rrtype::soa, 3600, "ns.example.org."},
             {dns::section::authority, "www.example.org.", dns::rrtype::ns, 3600,
              "ns.evil.example."},
             {dns::section::additional, "ns.evil.example.", dns::rrtype::a, 3600,
              "203.0.113.66"}}));
        auto const o = run(c, r, ip("192.0.2.53"), t0);
        CHECK(o.source == bailiwick_source::soa);
        CHECK(o.bailiwick == "example.org.");
        CHECK(o.keep == std::vector<bool>{true, true, false});
        CHECK(get(c, bailiwick_counter::learn_untrusted) == 1);
        CHECK_FALSE(c.knows(wire("www.example.org."), ip("203.0.113.66"), t0));
    }
    SECTION("a forged TLD SOA cannot plant a delegation")
    {
        response r(build(
            "www.bank.test.", dns::rrtype::a, flag_qr,
            {{dns::section::authority, "test.", dns::rrtype::soa, 3600, "ns.test."},
             {dns::section::authority, "bank.test.", dns::rrtype::ns, 3600, "ns.bank.test."},
             {dns::section::additional, "ns.bank.test.", dns::rrtype::a, 3600, "203.0.113.66"}}));
        auto const o = run(c, r, ip("203.0.113.1"), t0);
        CHECK(o.source == bailiwick_source::soa);
        CHECK(get(c, bailiwick_counter::learn_untrusted) == 1);
        CHECK_FALSE(c.knows(wire("bank.test."), ip("203.0.113.66"), t0));
    }
    SECTION("a referral to a zone that is not below B")
    {
        response r(build(
            "www.example.com.", dns::rrtype::a, flag_qr,
            {{dns::section::authority, "example.org.", dns::rrtype::ns, 3600, "ns.example.org."},
             {dns::section::additional, "ns.example.org.", dns::rrtype::a, 3600, "203.0.113.66"}}));
        auto const o = run(c, r, ip("192.0.2.53"), t0);
        CHECK(o.source == bailiwick_source::table);
        CHECK(o.bailiwick == "example.com.");
        CHECK(o.keep == std::vector<bool>{false, false});
        CHECK(get(c, bailiwick_counter::referral_not_below) == 1);
        CHECK_FALSE(c.knows(wire("example.org."), ip("203.0.113.66"), t0));
    }
    SECTION("a referral below B but off the question's path")
    {
        response r(build("www.example.com.", dns::rrtype::a, flag_qr,
                         {{dns::section::authority, "evil.example.com.", dns::rrtype::ns, 3600,
                           "ns.evil.example.com."},
                          {dns::section::additional, "ns.evil.example.com.", dns::rrtype::a, 3600,
                           "203.0.113.66"}}));
        auto const o = run(c, r, ip("192.0.2.53"), t0);
        CHECK(o.kept == 2); // in bailiwick, so kept for ch204, but not a delegation for Q
        CHECK(get(c, bailiwick_counter::referral_not_below) == 1);
        CHECK_FALSE(c.knows(wire("evil.example.com."), ip("203.0.113.66"), t0));
    }
    SECTION("the parent re-delegating itself (NS for B) teaches nothing")
    {
        response r(build(
            "www.example.com.", dns::rrtype::a, flag_qr,
            {{dns::section::authority, "example.com.", dns::rrtype::ns, 3600, "ns9.example.com."},
             {dns::section::additional, "ns9.example.com.", dns::rrtype::a, 3600,
              "203.0.113.66"}}));
        run(c, r, ip("192.0.2.53"), t0);
        CHECK(get(c, bailiwick_counter::referral_not_below) == 1);
        CHECK_FALSE(c.knows(wire("example.com."), ip("203.0.113.66"), t0));
    }
    SECTION("out-of-bailiwick glue and unnamed glue are not learned")
    {
        response r(build(
            "host.sub.example.com.", dns::rrtype::a, flag_qr,
            {{dns::section::authority, "sub.example.com.", dns::rrtype::ns, 3600,
              "ns.sub.example.com."},
             {dns::section::authority, "sub.example.com.", dns::rrtype::ns, 3600, "ns.bank.test."},
             {dns::section::additional, "ns.bank.test.", dns::rrtype::a, 3600, "203.0.113.66"},
             {dns::section::additional, "other.example.com.", dns::rrtype::a, 3600, "203.0.113.67"},
             {dns::section::additional, "ns.sub.example.com.", dns::rrtype::a, 3600,
              "192.0.2.99"}}));
        auto const o = run(c, r, ip("192.0.2.53"), t0);
        CHECK(o.source == bailiwick_source::table);
        CHECK(o.keep == std::vector<bool>{true, false, true, true});
        CHECK(c.knows(wire("sub.example.com."), ip("192.0.2.99"), t0));
        CHECK_FALSE(c.knows(wire("sub.example.com."), ip("203.0.113.66"), t0));
        CHECK_FALSE(c.knows(wire("sub.example.com."), ip("203.0.113.67"), t0));
    }
    SECTION("a referral without glue is counted, not learned")
    {
        response r(build("host.sub.example.com.", dns::rrtype::a, flag_qr,
                         {{dns::section::authority, "sub.example.com.", dns::rrtype::ns, 3600,
                           "ns.provider.test."}}));
        run(c, r, ip("192.0.2.53"), t0);
        CHECK(get(c, bailiwick_counter::learn_no_glue) == 1);
        CHECK(c.zones() == 3);
    }
}

TEST_CASE("learned delegations expire with their TTL; TTLs are clamped", "[bailiwick]")
{
    bailiwick_config cfg;
    cfg.max_ttl = 86400;
    bailiwick_checker c(cfg);
    // Root referral for test. with glue TTL 300 (the smaller of NS and glue TTL counts).
    response ref(
        build("www.example.test.", dns::rrtype::a, flag_qr,
              {{dns::section::authority, "test.", dns::rrtype::ns, 172800, "ns.test."},
               {dns::section::additional, "ns.test.", dns::rrtype::a, 300, "203.0.113.53"}}));
    REQUIRE(run(c, ref, ip("198.41.0.4"), 1000).source == bailiwick_source::table);
    response ans(
        build("www.example.test.", dns::rrtype::a, flag_qr | flag_aa,
              {{dns::section::answer, "www.example.test.", dns::rrtype::a, 60, "203.0.113.80"}}));
    CHECK(run(c, ans, ip("203.0.113.53"), 1299).source == bailiwick_source::table);
    CHECK(c.knows(wire("test."), ip("203.0.113.53"), 1299));
    CHECK_FALSE(c.knows(wire("test."), ip("203.0.113.53"), 1300));
    CHECK(get(c, bailiwick_counter::expired_zones) == 0);
    CHECK(run(c, ans, ip("203.0.113.53"), 1300).source == bailiwick_source::unverifiable);
    CHECK(get(c, bailiwick_counter::expired_zones) == 1);
    CHECK(c.zones() == 0);

    // A huge TTL is clamped to max_ttl.
    response big(build(
        "www.example.test.", dns::rrtype::a, flag_qr,
        {{dns::section::authority, "test.", dns::rrtype::ns, 0x7FFFFFFF, "ns.test."},
         {dns::section::additional, "ns.test.", dns::rrtype::a, 0x7FFFFFFF, "203.0.113.53"}}));
    run(c, big, ip("198.41.0.4"), 2000);
    CHECK(c.knows(wire("test."), ip("203.0.113.53"), 2000 + 86399));
    CHECK_FALSE(c.knows(wire("test."), ip("203.0.113.53"), 2000 + 86400));

    // A refresh extends the TTL and counts as refreshed.
    run(c, big, ip("198.41.0.4"), 3000);
    CHECK(get(c, bailiwick_counter::refreshed_zones) == 1);
    CHECK(c.knows(wire("test."), ip("203.0.113.53"), 3000 + 86399));
}

TEST_CASE("the table is bounded: LRU eviction of zones, per-zone address cap", "[bailiwick]")
{
    bailiwick_config cfg;
    cfg.max_zones = 4;
    cfg.max_addrs_per_zone = 2;
    bailiwick_checker c(cfg);
    auto const bytes_at_start = c.memory_bytes();
    auto referral = [](std::string const& tld, std::vector<std::string> const& addrs) {
        std::vector<rr_spec> rrs{
            {dns::section::authority, tld + ".", dns::rrtype::ns, 3600, "ns." + tld + "."}};
        for (auto const& a : addrs) {
            rrs.push_back({dns::section::additional, "ns." + tld + ".",
                           a.find(':') != std::string::npos ? dns::rrtype::aaaa : dns::rrtype::a,
                           3600, a});
        }
        return response(build("www.x." + tld + ".", dns::rrtype::a, flag_qr, rrs));
    };
    auto learn = [&](std::string const& tld, std::string const& addr, bailiwick_seconds now) {
        auto r = referral(tld, {addr});
        REQUIRE(run(c, r, ip("198.41.0.4"), now).source == bailiwick_source::table);
    };
    learn("t1", "203.0.113.1", 10);
    learn("t2", "203.0.113.2", 11);
    learn("t3", "203.0.113.3", 12);
    learn("t4", "203.0.113.4", 13);
    CHECK(c.zones() == 4);
    // Use t1 so that t2 becomes the least recently used.
    response use(build("www.x.t1.", dns::rrtype::a, flag_qr | flag_aa,
                       {{dns::section::answer, "www.x.t1.", dns::rrtype::a, 60, "192.0.2.1"}}));
    REQUIRE(run(c, use, ip("203.0.113.1"), 14).source == bailiwick_source::table);
    learn("t5", "203.0.113.5", 15);
    learn("t6", "203.0.113.6", 16);
    CHECK(c.zones() == 4);
    CHECK(get(c, bailiwick_counter::evicted_zones) == 2);
    CHECK(c.knows(wire("t1."), ip("203.0.113.1"), 16));
    CHECK_FALSE(c.knows(wire("t2."), ip("203.0.113.2"), 16));
    CHECK_FALSE(c.knows(wire("t3."), ip("203.0.113.3"), 16));
    CHECK(c.knows(wire("t4."), ip("203.0.113.4"), 16));
    CHECK(c.knows(wire("t6."), ip("203.0.113.6"), 16));
    CHECK(c.memory_bytes() == bytes_at_start);

    // Three glue addresses for a zone with room for two: one is replaced.
    auto r = referral("t7", {"203.0.113.71", "203.0.113.72", "2001:db8::73"});
    run(c, r, ip("198.41.0.4"), 20);
    CHECK(get(c, bailiwick_counter::replaced_addresses) == 1);
    int known = 0;
    for (auto const* a : {"203.0.113.71", "203.0.113.72", "2001:db8::73"}) {
        known += c.knows(wire("t7."), ip(a), 20) ? 1 : 0;
    }
    CHECK(known == 2);
    CHECK(c.knows(wire("t7."), ip("2001:db8::73"), 20));
    CHECK(c.check_invariants());

    // Many zones through a small table: invariants hold throughout.
    for (int i = 0; i < 200; ++i) {
        learn("z" + std::to_string(i), "198.18.0." + std::to_string(i % 250 + 1),
              static_cast<bailiwick_seconds>(100 + i));
    }
    CHECK(c.zones() == 4);
    CHECK(c.knows(wire("z199."), ip("198.18.0.200"), 300));
}

TEST_CASE("static zones: operator seeds resolve, never expire, are not overwritten", "[bailiwick]")
{
    bailiwick_checker c;
    REQUIRE(c.add_static(wire("Example.COM."), ip("192.0.2.53")) == static_zone_error::ok);
    REQUIRE(c.add_static(wire("example.com."), ip("2001:db8::53")) == static_zone_error::ok);
    CHECK(c.add_static(wire("example.com."), ip("192.0.2.53")) == static_zone_error::ok);
    CHECK(c.add_static(bytes{3, 'c', 'o'}, ip("192.0.2.53")) == static_zone_error::bad_name);
    CHECK(c.add_static(wire("example.com."), bytes{1, 2, 3}) == static_zone_error::bad_address);
    CHECK(c.zones() == 1);

    // The referral now resolves to example.com. as in sie.md's example, on a table that was
    // never warmed by referrals (how an offline replay can reproduce dnsdedupe-insertion).
    auto const& p = pcap_by_id(id_referral);
    response r(p.payload);
    auto const o = run(c, r, p.server, 0xFFFFFFF0u);
    CHECK(o.source == bailiwick_source::table);
    CHECK(o.bailiwick == "example.com.");
    CHECK(c.knows(wire("sub.example.com."), ip("192.0.2.99"), 0xFFFFFFF0u));

    // A referral for example.com itself (from the com servers) leaves the static data alone.
    bailiwick_checker d;
    REQUIRE(d.add_static(wire("example.com."), ip("192.0.2.53")) == static_zone_error::ok);
    warm_example_com(d, t0, false); // com learned; example.com referral ignored
    CHECK(get(d, bailiwick_counter::learn_static_kept) == 1);
    CHECK_FALSE(d.knows(wire("example.com."), ip("198.51.100.53"), t0));

    // Static zones fill the table: learning then has nowhere to go.
    bailiwick_config small;
    small.max_zones = 1;
    small.max_addrs_per_zone = 1;
    bailiwick_checker e(small);
    REQUIRE(e.add_static(wire("a.test."), ip("192.0.2.1")) == static_zone_error::ok);
    CHECK(e.add_static(wire("a.test."), ip("192.0.2.2")) == static_zone_error::zone_full);
    CHECK(e.add_static(wire("b.test."), ip("192.0.2.2")) == static_zone_error::table_full);
    CHECK(e.check_invariants());
}

TEST_CASE("config validation and counter names", "[bailiwick]")
{
    CHECK(validate(bailiwick_config{}) == bailiwick_config_error::ok);
    CHECK(validate(bailiwick_config{.max_zones = 0}) == bailiwick_config_error::zero_zones);
    CHECK(validate(bailiwick_config{.max_zones = (1u << 24) + 1}) ==
          bailiwick_config_error::too_many_zones);
    CHECK(validate(bailiwick_config{.max_addrs_per_zone = 0}) ==
          bailiwick_config_error::zero_addrs);
    CHECK(validate(bailiwick_config{.max_addrs_per_zone = 65}) ==
          bailiwick_config_error::too_many_addrs);
    CHECK(validate(bailiwick_config{.max_ttl = 0}) == bailiwick_config_error::zero_ttl);
    CHECK_THROWS_AS(bailiwick_checker(bailiwick_config{.max_zones = 0}), std::invalid_argument);
    CHECK(std::string(to_string(bailiwick_config_error::too_many_addrs)) == "too_many_addrs");
    CHECK(std::string(to_string(bailiwick_source::soa)) == "soa");
    CHECK(std::string(to_string(static_zone_error::zone_full)) == "zone_full");

    std::set<std::string> names;
    for (auto const& i : bailiwick_counter_table) {
        std::string const n = i.name;
        CHECK(n.rfind("bailiwick.", 0) == 0);
        CHECK(std::string(i.description).size() > 10);
        names.insert(n);
    }
    CHECK(names.size() == bailiwick_counter_table.size());
    CHECK(names.count("bailiwick.unverifiable") == 1);
    CHECK(names.count("bailiwick.out_of_bailiwick_rrsets") == 1);
}

TEST_CASE("garbage in the response never breaks the checker", "[bailiwick]")
{
    bailiwick_checker c;
    warm_example_com(c, t0);
    // No question: unverifiable, nothing kept.
    bytes noq = build("www.example.com.", dns::rrtype::a, flag_qr, {});
    noq[5] = 0; // QDCOUNT 0 and cut the question away
    noq.resize(12);
    response r(noq);
    auto const o = run(c, r, ip("192.0.2.53"), t0);
    CHECK(o.source == bailiwick_source::unverifiable);
    // Odd response addresses (empty, 5 bytes) match no table entry: on the warm table the
    // NS claim for example.com is contradicted, on a cold one it stands.
    auto const& p = pcap_by_id(47100);
    response x(p.payload);
    CHECK(run(c, x, bytes{}, t0).source == bailiwick_source::unverifiable);
    CHECK(run(c, x, bytes{192, 0, 2, 53, 0}, t0).source == bailiwick_source::unverifiable);
    bailiwick_checker cold;
    CHECK(run(cold, x, bytes{}, t0).source == bailiwick_source::ns);
    CHECK(run(cold, x, bytes{192, 0, 2, 53, 0}, t0).source == bailiwick_source::ns);
}
