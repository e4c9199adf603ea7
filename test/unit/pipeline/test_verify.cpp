// SPDX-License-Identifier: Apache-2.0
// verify: every golden dnsqr payload through sie.md §2, crafted mismatches for every reason,
// RRsets of a known response, dnsnx records.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "pipeline/verify.hpp"
#include "proto/dns/rrset.hpp"
#include "test_verify_util.hpp"

using namespace siehub;
using namespace siehub::pipeline;
using namespace siehub::pipeline::test;
using vc = verify_counter;

namespace {

struct fixture {
    std::vector<golden_payload> golden = load_payloads("nmsg/dnsqr.nmsg");
    std::unique_ptr<verify_scratch> scratch = std::make_unique<verify_scratch>();
    verify_result r;

    vc run(const golden_payload& g, core::byte_view msg, const verify_options& o = {})
    {
        return verify(input_of(g, msg), o, *scratch, r);
    }
    vc run_line(std::size_t line) { return run(golden.at(line - 1), golden.at(line - 1).message); }
    // Line 1 (www.example.com A, NOERROR) edited by fn.
    template <class Fn> vc run_edit(std::size_t line, Fn&& fn, const verify_options& o = {})
    {
        owned_dnsqr d(golden.at(line - 1).message);
        fn(d);
        auto const m = d.encode();
        return run(golden.at(line - 1), m, o);
    }
};

std::string presentation(core::byte_view wire)
{
    std::string s;
    std::size_t i = 0;
    while (i < wire.size() && wire[i] != 0) {
        std::size_t const n = wire[i];
        s.append(reinterpret_cast<const char*>(wire.data() + i + 1), n);
        s.push_back('.');
        i += n + 1;
    }
    return s;
}

} // namespace

TEST_CASE("verify: counter table names every reason once, stage.reason form", "[verify]")
{
    for (std::size_t i = 0; i < n_verify_counters; ++i) {
        std::string const n = verify_counter_table[i].name;
        CHECK(n.rfind("verify.", 0) == 0);
        CHECK(std::string(verify_counter_table[i].description).size() > 5);
        for (std::size_t j = 0; j < i; ++j) {
            CHECK(n != verify_counter_table[j].name);
        }
    }
    CHECK(std::string(to_string(vc::rd_set)) == "verify.rd_set");
    CHECK(std::string(to_string(vc::excluded)) == "verify.excluded");
}

TEST_CASE("verify: every payload of dnsqr.nmsg", "[verify][golden]")
{
    fixture fx;
    REQUIRE(fx.golden.size() == 33);
    verify_counters c;
    for (std::size_t line = 1; line <= 33; ++line) {
        INFO("line " << line);
        auto const why = fx.run_line(line);
        count(c, fx.r);
        if (line == 15) {
            CHECK(why == vc::rd_set);
        } else if (line >= 22 && line <= 31) {
            CHECK(why == vc::tcp);
        } else if (line == 33) {
            CHECK(why == vc::type_unanswered);
        } else {
            REQUIRE(why == vc::accepted);
            auto const route = line == 8                 ? rcode_route::nxdomain
                               : line == 9 || line == 16 ? rcode_route::error
                                                         : rcode_route::noerror;
            CHECK(fx.r.route == route);
            CHECK(fx.r.tc == (line == 21));
            CHECK(fx.r.fragmented == (line == 20));
            CHECK(fx.r.rrsets_valid == (route == rcode_route::noerror && line != 21));
            CHECK((fx.r.rrsets != nullptr) == fx.r.rrsets_valid);
            CHECK(fx.r.message != nullptr);
            CHECK(fx.r.checksum == nmsg::udp_checksum::correct);
            CHECK_FALSE(fx.r.checksum_computed);
            CHECK(fx.r.response_ip.size() == (line == 13 ? 16u : 4u));
        }
    }
    CHECK(c.get(vc::accepted) == 21);
    CHECK(c.get(vc::rd_set) == 1);
    CHECK(c.get(vc::tcp) == 10);
    CHECK(c.get(vc::type_unanswered) == 1);
    CHECK(c.get(vc::route_noerror) == 18);
    CHECK(c.get(vc::route_nxdomain) == 1);
    CHECK(c.get(vc::route_error) == 2);
    CHECK(c.get(vc::truncated) == 1);
    CHECK(c.get(vc::fragmented_response) == 1);
    std::uint64_t verdicts = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(first_info_counter); ++i) {
        verdicts += c.v[i];
    }
    CHECK(verdicts == 33); // one verdict per payload: the counters reconcile
}

TEST_CASE("verify: RRsets of line 1 (www.example.com A)", "[verify][golden]")
{
    fixture fx;
    REQUIRE(fx.run_line(1) == vc::accepted);
    CHECK(presentation(fx.r.qname) == "www.example.com.");
    CHECK(fx.r.question.type == dns::rrtype::a);
    CHECK(fx.r.question.cls == dns::rrclass::in);
    CHECK(fx.r.response_time_sec == 1795382289);
    CHECK(fx.r.response_time_nsec == 825124000);
    auto const& t = *fx.r.rrsets;
    auto const sets = t.sets();
    REQUIRE(sets.size() == 5); // the OPT record is not an RRset
    struct want {
        const char* owner;
        std::uint16_t type;
        dns::section sec;
        std::uint16_t members;
        std::uint32_t ttl;
    };
    want const w[] = {
        {"www.example.com.", dns::rrtype::a, dns::section::answer, 2, 300},
        {"example.com.", dns::rrtype::ns, dns::section::authority, 2, 3600},
        {"ns1.example.com.", dns::rrtype::a, dns::section::additional, 1, 3600},
        {"ns2.example.com.", dns::rrtype::a, dns::section::additional, 1, 3600},
        {"ns1.example.com.", dns::rrtype::aaaa, dns::section::additional, 1, 3600},
    };
    for (std::size_t i = 0; i < 5; ++i) {
        INFO("set " << i);
        dns::name_buffer nb;
        auto const n = dns::canonical_owner(*fx.r.message, sets[i], nb);
        REQUIRE(n.ok());
        CHECK(presentation({nb.data(), n.wire_len}) == w[i].owner);
        CHECK(sets[i].type == w[i].type);
        CHECK(sets[i].sec == w[i].sec);
        CHECK(sets[i].count == w[i].members);
        CHECK(sets[i].ttl == w[i].ttl);
        CHECK(sets[i].cls == dns::rrclass::in);
    }
    // The answer's rdata in wire order: 192.0.2.2 then 192.0.2.1.
    auto const m = t.members(sets[0]);
    auto const& rr0 = fx.r.message->records()[m[0]];
    auto const& rr1 = fx.r.message->records()[m[1]];
    auto const wire = fx.r.message->wire();
    CHECK(wire[rr0.rdata_off + 3] == 2);
    CHECK(wire[rr1.rdata_off + 3] == 1);
}

TEST_CASE("verify: rule 1 and 2 rejections", "[verify]")
{
    fixture fx;
    auto const& g = fx.golden[0];
    CHECK(verify({2, 9, g.message, 0, 0}, {}, *fx.scratch, fx.r) == vc::not_dnsqr);
    CHECK(verify({1, 7, g.message, 0, 0}, {}, *fx.scratch, fx.r) == vc::not_dnsqr);
    bytes junk = {0x08, 0x01, 0xff};
    CHECK(fx.run(g, junk) == vc::bad_dnsqr);
    CHECK(fx.run(g, core::byte_view(g.message).first(g.message.size() / 2)) == vc::bad_dnsqr);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.type = 0; }) == vc::type_invalid);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.type = 3; }) == vc::type_unsolicited);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.type = 5; }) == vc::icmp);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.type = 6; }) == vc::type_query_only);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.type = 7; }) == vc::type_response_only);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.type = 99; }) == vc::type_unknown);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.query_ip.push_back(0); }) == vc::bad_address);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.response_ip.resize(16); }) == vc::bad_address);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.qp.clear(); }) == vc::no_query_packet);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.rp.clear(); }) == vc::no_response_packet);
}

TEST_CASE("verify: rule 3 query checks", "[verify]")
{
    fixture fx;
    auto rd = [](owned_dnsqr& d) { d.qp[0][dns_offset(d.qp[0]) + 2] |= 0x01; };
    CHECK(fx.run_edit(1, rd) == vc::rd_set);
    auto qr = [](owned_dnsqr& d) { d.qp[0][dns_offset(d.qp[0]) + 2] |= 0x80; };
    CHECK(fx.run_edit(1, qr) == vc::query_not_query);
    auto opcode = [](owned_dnsqr& d) { d.qp[0][dns_offset(d.qp[0]) + 2] |= 0x10; };
    CHECK(fx.run_edit(1, opcode) == vc::opcode_not_query);
    auto truncated = [](owned_dnsqr& d) { d.qp[0].resize(d.qp[0].size() - 1); };
    CHECK(fx.run_edit(1, truncated) == vc::query_packet_malformed);
    CHECK(fx.r.ip_error == net::errc::truncated_ipv4);
    auto tcp = [](owned_dnsqr& d) { d.qp[0][9] = 6; };
    CHECK(fx.run_edit(1, tcp) == vc::query_not_udp);
    auto qd0 = [](owned_dnsqr& d) { d.qp[0][dns_offset(d.qp[0]) + 5] = 0; };
    CHECK(fx.run_edit(1, qd0) == vc::query_dns_malformed);
    // A lone query fragment (MF set) cannot be whole.
    auto frag = [](owned_dnsqr& d) { d.qp[0][6] |= 0x20; };
    CHECK(fx.run_edit(1, frag) == vc::query_reassembly_failed);
    CHECK(fx.r.reasm_error == reasm_status::incomplete);
    // The RD = 1 golden transaction stays refused whatever else holds.
    CHECK(fx.run_line(15) == vc::rd_set);
}

TEST_CASE("verify: rule 4 response matches query", "[verify]")
{
    fixture fx;
    auto resp_dns = [](owned_dnsqr& d) -> std::uint8_t* {
        return d.rp[0].data() + dns_offset(d.rp[0]);
    };
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[1] ^= 1; }) == vc::id_mismatch);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.id ^= 1; }) == vc::id_mismatch);
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[2] &= 0x7f; }) == vc::response_not_qr);
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[2] |= 0x20; }) == vc::opcode_not_query);
    // Question: "www" -> "WwW" in the response only: case does not matter.
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) {
        resp_dns(d)[13] = 'W';
        resp_dns(d)[15] = 'W';
    }) == vc::accepted);
    CHECK(presentation(fx.r.qname) == "www.example.com.");
    // "www" -> "wwx": another name.
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[15] = 'x'; }) == vc::question_mismatch);
    // qtype A -> NS (after 17 name bytes at offset 12).
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[12 + 17 + 1] = 2; }) ==
          vc::question_mismatch);
    // qclass IN -> CH
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[12 + 17 + 3] = 3; }) ==
          vc::question_mismatch);
    // qdcount 2
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[5] = 2; }) == vc::question_mismatch);
    // The response's destination is another host.
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.rp[0][19] ^= 1; }) == vc::addr_mismatch);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.response_ip[3] ^= 1; }) == vc::addr_mismatch);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.query_ip[3] ^= 1; }) == vc::addr_mismatch);
    // Ports swapped in the fields, then in the response packet.
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { std::swap(d.query_port, d.response_port); }) ==
          vc::port_mismatch);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        auto& p = d.rp[0];
        auto const u = udp_offset(p);
        std::swap(p[u], p[u + 2]);
        std::swap(p[u + 1], p[u + 3]);
    }) == vc::port_mismatch);
    // Consistently on port 5353: mirrored, but not port 53.
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        d.response_port = 5353;
        core::store_be16(d.qp[0].data() + udp_offset(d.qp[0]) + 2, 5353);
        core::store_be16(d.rp[0].data() + udp_offset(d.rp[0]), 5353);
    }) == vc::response_port_not_53);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.rp[0][9] = 1; }) == vc::response_not_udp);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.rp[0].resize(30); }) ==
          vc::response_packet_malformed);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        auto& p = d.rp[0];
        core::store_be16(p.data() + udp_offset(p) + 4, 4000); // UDP length past the packet
    }) == vc::response_packet_malformed);
    CHECK(fx.r.ip_error == net::errc::bad_udp_length);
}

TEST_CASE("verify: udp_checksum verdicts and the hub's own check", "[verify]")
{
    fixture fx;
    using ck = nmsg::udp_checksum;
    auto set = [](ck v) { return [v](owned_dnsqr& d) { d.udp_checksum = static_cast<int>(v); }; };
    CHECK(fx.run_edit(1, set(ck::incorrect)) == vc::checksum_incorrect);
    CHECK(fx.run_edit(1, set(ck::error)) == vc::checksum_error);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        d.udp_checksum = static_cast<int>(ck::error);
        d.resolver_address_zeroed = true;
    }) == vc::accepted);
    CHECK(fx.r.checksum == ck::error);
    CHECK(fx.run_edit(1, set(ck::absent)) == vc::accepted);
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.udp_checksum = 7; }) == vc::checksum_unknown);

    // Field missing: the hub checks the response datagram itself.
    auto drop = [](owned_dnsqr& d) { d.udp_checksum.reset(); };
    CHECK(fx.run_edit(1, drop) == vc::accepted);
    CHECK(fx.r.checksum_computed);
    CHECK(fx.r.checksum == ck::correct);
    CHECK(fx.run_edit(13, drop) == vc::accepted); // IPv6 pseudo-header
    CHECK(fx.r.checksum == ck::correct);
    CHECK(fx.run_edit(20, drop) == vc::accepted); // over the reassembled datagram
    CHECK(fx.r.checksum == ck::correct);
    // A changed last byte (the server cookie): the checksum no longer holds.
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        d.udp_checksum.reset();
        d.rp[0].back() ^= 0x40;
    }) == vc::checksum_incorrect);
    // The same change with the field CORRECT is trusted (the sensor saw the wire).
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) { d.rp[0].back() ^= 0x40; }) == vc::accepted);
    // IPv4 checksum 0 = not computed by the sender.
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        d.udp_checksum.reset();
        core::store_be16(d.rp[0].data() + udp_offset(d.rp[0]) + 6, 0);
    }) == vc::accepted);
    CHECK(fx.r.checksum == ck::absent);
    // Zeroed resolver and no field: nothing to compute, accepted without a verdict.
    CHECK(fx.run_edit(1, [](owned_dnsqr& d) {
        d.udp_checksum.reset();
        d.resolver_address_zeroed = true;
        d.rp[0].back() ^= 0x40;
    }) == vc::accepted);
    CHECK_FALSE(fx.r.checksum.has_value());
}

TEST_CASE("verify: rule 5 response parses completely", "[verify]")
{
    fixture fx;
    auto resp_dns = [](owned_dnsqr& d) -> std::uint8_t* {
        return d.rp[0].data() + dns_offset(d.rp[0]);
    };
    // One more answer than present.
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[7] += 1; }) == vc::response_malformed);
    CHECK(fx.r.dns_error != dns::errc::ok);
    // A compression pointer to itself in the first answer's owner (offset 33: c0 0c -> c0 21).
    CHECK(fx.run_edit(1, [&](owned_dnsqr& d) { resp_dns(d)[34] = 33; }) == vc::response_malformed);
    CHECK(fx.r.dns_error == dns::errc::pointer_loop);
}

TEST_CASE("verify: IP-fragmented response (line 20)", "[verify]")
{
    fixture fx;
    REQUIRE(fx.run_line(20) == vc::accepted);
    CHECK(fx.r.fragmented);
    CHECK(fx.r.rrsets_valid);
    REQUIRE(!fx.r.rrsets->sets().empty());
    CHECK(fx.r.rrsets->sets()[0].type == dns::rrtype::txt);
    // Fragments out of order still form the datagram.
    CHECK(fx.run_edit(20, [](owned_dnsqr& d) { std::swap(d.rp[0], d.rp[1]); }) == vc::accepted);
    // Missing last fragment, missing first fragment, repeated fragment, foreign fragment.
    CHECK(fx.run_edit(20, [](owned_dnsqr& d) { d.rp.pop_back(); }) ==
          vc::response_reassembly_failed);
    CHECK(fx.r.reasm_error == reasm_status::incomplete);
    CHECK(fx.run_edit(20, [](owned_dnsqr& d) { d.rp.erase(d.rp.begin()); }) ==
          vc::response_reassembly_failed);
    CHECK(fx.run_edit(20, [](owned_dnsqr& d) { d.rp.push_back(d.rp[0]); }) ==
          vc::response_reassembly_failed);
    CHECK(fx.r.reasm_error == reasm_status::overlap);
    CHECK(fx.run_edit(20, [](owned_dnsqr& d) { d.rp[1][5] ^= 1; }) ==
          vc::response_reassembly_failed);
    CHECK(fx.r.reasm_error == reasm_status::fragment_mismatch);
    // TC = 1 (line 21): rcode kept, no RRsets.
    REQUIRE(fx.run_line(21) == vc::accepted);
    CHECK(fx.r.tc);
    CHECK(fx.r.route == rcode_route::noerror);
    CHECK_FALSE(fx.r.rrsets_valid);
    CHECK(fx.r.rrsets == nullptr);
}

TEST_CASE("verify: rule 6 qname exclusion predicate", "[verify]")
{
    fixture fx;
    struct ctx_t {
        std::string excluded;
        int calls = 0;
    } ctx{"www.example.com.", 0};
    verify_options o;
    o.exclude_ctx = &ctx;
    o.exclude = [](void* c, core::byte_view qname) noexcept {
        auto* x = static_cast<ctx_t*>(c);
        ++x->calls;
        return presentation(qname) == x->excluded;
    };
    CHECK(fx.run(fx.golden[0], fx.golden[0].message, o) == vc::excluded);
    CHECK(fx.run(fx.golden[17], fx.golden[17].message, o) == vc::excluded); // WwW.ExAmPlE.CoM
    CHECK(fx.run(fx.golden[2], fx.golden[2].message, o) == vc::accepted);   // example.com NS
    CHECK(ctx.calls == 3);
    CHECK(fx.run(fx.golden[14], fx.golden[14].message, o) == vc::rd_set); // not reached
    CHECK(ctx.calls == 3);
}

TEST_CASE("verify: dnsnx record for NXDOMAIN (line 8)", "[verify][dnsnx]")
{
    fixture fx;
    REQUIRE(fx.run_line(8) == vc::accepted);
    REQUIRE(fx.r.route == rcode_route::nxdomain);
    bytes buf(512);
    core::out_buffer out(buf);
    REQUIRE(write_dnsnx(fx.r, out));
    nmsg::dnsnx_view v(out.written());
    REQUIRE(v.ok());
    CHECK(presentation(v.qname()) == "nonexistent.example.com.");
    CHECK(v.qtype() == 1);
    CHECK(v.qclass() == 1);
    CHECK(copy(v.response_ip()) == bytes{192, 0, 2, 53});
    REQUIRE(v.soa_rrname());
    CHECK(presentation(*v.soa_rrname()) == "example.com.");
    owned_dnsqr d(fx.golden[7].message);
    CHECK(v.response_time_sec() == d.rs.at(0));
    CHECK(v.response_time_nsec() == d.rn.at(0));

    // Too small a buffer: nothing written.
    bytes small(10);
    core::out_buffer so(small);
    CHECK_FALSE(write_dnsnx(fx.r, so));
    CHECK(so.size() == 0);
    CHECK(so.ok());
    // Not NXDOMAIN: no record.
    REQUIRE(fx.run_line(1) == vc::accepted);
    core::out_buffer o2(buf);
    CHECK_FALSE(write_dnsnx(fx.r, o2));
    REQUIRE(fx.run_line(9) == vc::accepted); // SERVFAIL
    CHECK(fx.r.route == rcode_route::error);
    CHECK_FALSE(write_dnsnx(fx.r, o2));
}
