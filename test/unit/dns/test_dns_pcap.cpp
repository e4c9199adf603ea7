// SPDX-License-Identifier: Apache-2.0
// Every UDP DNS message of testdata/pcap/dns.pcap (made with BIND 9.18 and dig; dns.dig.txt is
// dig's view of the same responses) through the message view, rdata and RRset code.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "dns_test_util.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/rdata.hpp"
#include "proto/dns/rrset.hpp"

using namespace siehub;
using namespace siehub::dns;
using dns_test::name_text;

namespace {

struct expect {
    std::uint16_t id;
    std::uint8_t rcode;
    std::uint16_t an, ns, ar;
    std::size_t size;
    bool aa, tc, rd, edns;
};

// From dns.dig.txt, in order (query 22 went over TCP, 23 was never answered).
const std::vector<expect> responses = {
    {47100, 0, 2, 2, 4, 200, true, false, false, true},
    {46107, 0, 1, 2, 4, 196, true, false, false, true},
    {32125, 0, 2, 0, 4, 164, true, false, false, true},
    {9, 0, 3, 2, 4, 220, true, false, false, true},
    {47231, 0, 2, 2, 5, 232, true, false, false, true},
    {697, 0, 1, 2, 4, 214, true, false, false, true},
    {16253, 0, 1, 2, 4, 211, true, false, false, true},
    {51678, 3, 0, 1, 1, 131, true, false, false, true},
    {35473, 2, 0, 0, 1, 75, false, false, false, true},
    {24592, 0, 0, 1, 1, 123, true, false, false, true},
    {57679, 0, 0, 1, 2, 110, false, false, false, true},
    {53324, 0, 1, 2, 5, 225, true, false, false, true},
    {9540, 0, 2, 2, 4, 200, true, false, false, true},
    {48878, 0, 1, 2, 4, 196, true, false, false, true},
    {52094, 0, 2, 2, 4, 200, true, false, true, true},
    {47340, 5, 0, 0, 1, 72, false, false, false, true},
    {6819, 0, 1, 2, 3, 146, true, false, false, false},
    {12364, 0, 2, 2, 4, 215, true, false, false, true},
    {23458, 0, 60, 2, 4, 1129, true, false, false, true},
    {10982, 0, 8, 2, 4, 1872, true, false, false, true},
    {24346, 0, 0, 0, 1, 72, true, true, false, true},
    {4962, 0, 1, 2, 3, 164, true, false, false, true},
};

struct corpus {
    std::vector<dns_test::udp_dns> queries;
    std::vector<dns_test::udp_dns> answers;
    unsigned tcp = 0;
};

const corpus& dns_pcap()
{
    static corpus c = [] {
        corpus r;
        for (auto& u : dns_test::load_dns_pcap(dns_test::testdata("pcap/dns.pcap"), &r.tcp)) {
            (u.sport == 53 ? r.answers : r.queries).push_back(u);
        }
        return r;
    }();
    return c;
}

std::vector<std::uint8_t> uncompressed(const message& m, const rr& r)
{
    std::array<std::uint8_t, 4096> buf{};
    core::out_buffer out{buf};
    REQUIRE(uncompress_rdata(m.wire(), r, out) == errc::ok);
    return {out.written().begin(), out.written().end()};
}

} // namespace

TEST_CASE("dns.pcap: every UDP message parses, counts and flags as dig saw them", "[dns][pcap]")
{
    auto const& c = dns_pcap();
    CHECK(c.tcp == 10);
    REQUIRE(c.queries.size() == 23);
    REQUIRE(c.answers.size() == responses.size());
    for (auto const& q : c.queries) {
        message m;
        INFO("query frame " << q.frame);
        REQUIRE(m.parse(q.payload) == errc::ok);
        CHECK_FALSE(m.hdr().qr());
        CHECK(m.questions().size() == 1);
    }
    for (std::size_t i = 0; i < responses.size(); ++i) {
        auto const& e = responses[i];
        auto const& a = c.answers[i];
        INFO("response " << i << " frame " << a.frame);
        message m;
        REQUIRE(m.parse(a.payload) == errc::ok);
        CHECK(a.payload.size() == e.size);
        CHECK(m.hdr().id == e.id);
        CHECK(m.hdr().qr());
        CHECK(m.hdr().opcode() == 0);
        CHECK(m.hdr().rcode() == e.rcode);
        CHECK(m.full_rcode() == e.rcode);
        CHECK(m.hdr().aa() == e.aa);
        CHECK(m.hdr().tc() == e.tc);
        CHECK(m.hdr().rd() == e.rd);
        CHECK(m.records(section::answer).size() == e.an);
        CHECK(m.records(section::authority).size() == e.ns);
        CHECK(m.records(section::additional).size() == e.ar);
        CHECK(m.edns().present == e.edns);
        if (e.edns) {
            CHECK(m.edns().udp_size == 4096);
            CHECK(m.edns().version == 0);
            CHECK_FALSE(m.edns().do_bit);
            // Every EDNS response echoes dig's cookie: 8 client + 16 server bytes.
            edns_option ck;
            REQUIRE(m.find_edns_option(edns_code::cookie, ck));
            CHECK(ck.len == 24);
        }
        // The lazy reader sees the same records.
        rr_reader rd;
        REQUIRE(rd.start(a.payload) == errc::ok);
        rr r;
        std::size_t n = 0;
        while (rd.next(r)) {
            CHECK(r.owner_off == m.records()[n].owner_off);
            CHECK(r.rdata_off == m.records()[n].rdata_off);
            ++n;
        }
        CHECK(rd.error() == errc::ok);
        CHECK(n == m.records().size());
        // Every RDATA decompresses into RDATA that passes the uncompressed check.
        for (auto const& x : m.records()) {
            CHECK(check_rdata(m.wire(), x) == errc::ok);
            auto const u = uncompressed(m, x);
            CHECK(check_rdata(x.type, u) == errc::ok);
        }
        rrset_table t;
        REQUIRE(t.build(m) == errc::ok);
    }
}

TEST_CASE("dns.pcap: query 1 response content and RRsets", "[dns][pcap]")
{
    message m;
    REQUIRE(m.parse(dns_pcap().answers[0].payload) == errc::ok);
    name_buffer nb;
    auto q = read_name(m.wire(), m.questions()[0].name_off, nb);
    REQUIRE(q.ok());
    CHECK(name_text({nb.data(), q.wire_len}) == "www.example.com.");
    CHECK(m.questions()[0].type == rrtype::a);
    auto ans = m.records(section::answer);
    REQUIRE(ans.size() == 2);
    a_view av;
    REQUIRE(view_a(m.wire().subspan(ans[0].rdata_off, ans[0].rdata_len), av) == errc::ok);
    CHECK(av.addr[0] == 192);
    CHECK(av.addr[3] == 2);
    CHECK(ans[0].ttl == 300);
    rrset_table t;
    REQUIRE(t.build(m) == errc::ok);
    // answer A x2, authority NS x2, additional A ns1, A ns2, AAAA ns1 (OPT excluded).
    auto sets = t.sets();
    REQUIRE(sets.size() == 5);
    CHECK(sets[0].type == rrtype::a);
    CHECK(sets[0].count == 2);
    CHECK(sets[0].sec == section::answer);
    CHECK(sets[1].type == rrtype::ns);
    CHECK(sets[1].count == 2);
    CHECK(sets[1].ttl == 3600);
    CHECK(sets[2].sec == section::additional);
    CHECK(sets[4].type == rrtype::aaaa);
    // Members in wire order: 192.0.2.2 first.
    auto mem = t.members(sets[0]);
    CHECK(m.wire()[m.records()[mem[0]].rdata_off + 3] == 2);
    CHECK(m.wire()[m.records()[mem[1]].rdata_off + 3] == 1);
    // Sorted canonical rdata: 192.0.2.1 before 192.0.2.2.
    std::array<std::uint8_t, 512> scratch{};
    core::out_buffer sb{scratch};
    std::array<byte_view, 8> views;
    std::size_t n = 0;
    REQUIRE(canonical_rdata_set(m, t, sets[0], sb, views, n) == errc::ok);
    REQUIRE(n == 2);
    CHECK(views[0][3] == 1);
    CHECK(views[1][3] == 2);
    // NS rdata expands to names.
    core::out_buffer sb2{scratch};
    REQUIRE(canonical_rdata_set(m, t, sets[1], sb2, views, n) == errc::ok);
    REQUIRE(n == 2);
    CHECK(name_text(views[0]) == "ns1.example.com.");
    CHECK(name_text(views[1]) == "ns2.example.com.");
}

TEST_CASE("dns.pcap: the 60-record response is one RRset", "[dns][pcap]")
{
    message m;
    REQUIRE(m.parse(dns_pcap().answers[18].payload) == errc::ok);
    REQUIRE(m.records(section::answer).size() == 60);
    rrset_table t;
    REQUIRE(t.build(m) == errc::ok);
    REQUIRE(t.sets()[0].count == 60);
    CHECK(t.sets()[0].type == rrtype::a);
    std::array<std::uint8_t, 1024> scratch{};
    core::out_buffer sb{scratch};
    std::array<byte_view, 64> views;
    std::size_t n = 0;
    REQUIRE(canonical_rdata_set(m, t, t.sets()[0], sb, views, n) == errc::ok);
    REQUIRE(n == 60);
    for (std::size_t i = 0; i < n; ++i) {
        CHECK(views[i][3] == i + 1); // 203.0.113.1 .. 60, sorted
    }
}

TEST_CASE("dns.pcap: referral for host.sub.example.com, bailiwick helpers", "[dns][pcap]")
{
    message m;
    REQUIRE(m.parse(dns_pcap().answers[10].payload) == errc::ok);
    CHECK_FALSE(m.hdr().aa());
    auto auth = m.records(section::authority);
    REQUIRE(auth.size() == 1);
    CHECK(auth[0].type == rrtype::ns);
    name_buffer owner;
    auto o = read_name_canonical(m.wire(), auth[0].owner_off, owner);
    REQUIRE(o.ok());
    byte_view ow{owner.data(), o.wire_len};
    CHECK(name_text(ow) == "sub.example.com.");
    auto const apex = dns_test::wire("example.com.");
    auto const other = dns_test::wire("example.net.");
    CHECK(is_subdomain(ow, apex));
    CHECK_FALSE(is_subdomain(ow, other));
    auto const u = uncompressed(m, auth[0]);
    CHECK(name_text(u) == "ns.sub.example.com.");
    auto add = m.records(section::additional);
    REQUIRE(add.size() == 2);
    CHECK(add[0].type == rrtype::a);
    CHECK(m.wire()[add[0].rdata_off + 3] == 99);
    CHECK(add[1].type == rrtype::opt);
}

TEST_CASE("dns.pcap: rdata views of MX, SOA, SRV, TXT, CNAME", "[dns][pcap]")
{
    auto const& a = dns_pcap().answers;
    message m;
    // 4: alias.example.com CNAME www.example.com.
    REQUIRE(m.parse(a[3].payload) == errc::ok);
    CHECK(m.records()[0].type == rrtype::cname);
    name_view nv;
    auto cn = uncompressed(m, m.records()[0]);
    REQUIRE(view_name(cn, nv) == errc::ok);
    CHECK(name_text(nv.name) == "www.example.com.");
    rrset_table t;
    REQUIRE(t.build(m) == errc::ok);
    CHECK(t.sets()[0].type == rrtype::cname);
    CHECK(t.sets()[1].count == 2);
    // 5: MX 20 mx2.example.net, MX 10 mail.example.com
    REQUIRE(m.parse(a[4].payload) == errc::ok);
    mx_view mx;
    auto u = uncompressed(m, m.records()[0]);
    REQUIRE(view_mx(u, mx) == errc::ok);
    CHECK(mx.preference == 20);
    CHECK(name_text(mx.exchange) == "mx2.example.net.");
    // 6: TXT "say "hi"" "back\slash" "café" "tab\tend"
    REQUIRE(m.parse(a[5].payload) == errc::ok);
    u = uncompressed(m, m.records()[0]);
    REQUIRE(check_rdata(rrtype::txt, u) == errc::ok);
    string_iter si(u);
    byte_view s;
    std::vector<std::string> strs;
    while (si.next(s)) {
        strs.emplace_back(core::as_chars(s));
    }
    REQUIRE(strs.size() == 4);
    CHECK(strs[0] == "say \"hi\"");
    CHECK(strs[1] == "back\\slash");
    CHECK(strs[3] == "tab\tend");
    // 7: SOA
    REQUIRE(m.parse(a[6].payload) == errc::ok);
    soa_view soa;
    u = uncompressed(m, m.records()[0]);
    REQUIRE(view_soa(u, soa) == errc::ok);
    CHECK(name_text(soa.mname) == "ns1.example.com.");
    CHECK(soa.minimum > 0);
    // 12: SRV 10 60 5060 sip.example.com.
    REQUIRE(m.parse(a[11].payload) == errc::ok);
    srv_view srv;
    u = uncompressed(m, m.records()[0]);
    REQUIRE(view_srv(u, srv) == errc::ok);
    CHECK(srv.priority == 10);
    CHECK(srv.weight == 60);
    CHECK(srv.port == 5060);
    CHECK(name_text(srv.target) == "sip.example.com.");
}

TEST_CASE("dns.pcap: mixed-case query keeps case, canonical form lowers it", "[dns][pcap]")
{
    message m;
    REQUIRE(m.parse(dns_pcap().answers[17].payload) == errc::ok);
    // BIND echoes the question's case but writes owners in the zone's case (dns.dig.txt).
    name_buffer nb;
    auto r = read_name(m.wire(), m.questions()[0].name_off, nb);
    REQUIRE(r.ok());
    CHECK(name_text({nb.data(), r.wire_len}) == "WwW.ExAmPlE.CoM.");
    r = read_name_canonical(m.wire(), m.questions()[0].name_off, nb);
    CHECK(name_text({nb.data(), r.wire_len}) == "www.example.com.");
    r = read_name(m.wire(), m.records()[0].owner_off, nb);
    CHECK(name_text({nb.data(), r.wire_len}) == "www.example.com.");
    CHECK(m.records()[0].owner_off != m.questions()[0].name_off);
    CHECK(names_equal(m.wire(), m.questions()[0].name_off, m.records()[0].owner_off));
}

TEST_CASE("dns.pcap: EDNS client subnet in query 14, scrubbed in place", "[dns][pcap]")
{
    auto q = dns_pcap().queries[13].payload;
    message m;
    REQUIRE(m.parse(q) == errc::ok);
    edns_option o;
    REQUIRE(m.find_edns_option(edns_code::client_subnet, o));
    client_subnet cs;
    REQUIRE(parse_client_subnet(m.wire().subspan(o.data_off, o.len), cs) == errc::ok);
    CHECK(cs.family == 1);
    CHECK(cs.source_prefix == 24);
    CHECK(cs.scope_prefix == 0);
    REQUIRE(cs.address.size() == 3);
    CHECK(cs.address[0] == 198);
    edns_option ck;
    REQUIRE(m.find_edns_option(edns_code::cookie, ck));
    CHECK(ck.len == 8);
    auto const before = q;
    CHECK(scrub_edns_privacy(q, m) == 2);
    CHECK(q.size() == before.size());
    // Family kept, everything else of both options zero; nothing else changed.
    CHECK(core::load_be16(q.data() + o.data_off) == 1);
    for (std::size_t i = 2; i < o.len; ++i) {
        CHECK(q[o.data_off + i] == 0);
    }
    for (std::size_t i = 0; i < ck.len; ++i) {
        CHECK(q[ck.data_off + i] == 0);
    }
    std::size_t changed = 0;
    for (std::size_t i = 0; i < q.size(); ++i) {
        changed += q[i] != before[i];
    }
    CHECK(changed > 0);
    CHECK(changed <= std::size_t{o.len} - 2 + ck.len);
    message again;
    CHECK(again.parse(q) == errc::ok);
    // Query 17 (+noedns) has no OPT at all.
    REQUIRE(m.parse(dns_pcap().queries[16].payload) == errc::ok);
    CHECK_FALSE(m.edns().present);
}
