// SPDX-License-Identifier: Apache-2.0
// Writer -> parser round trips, every message/rdata error reason on crafted input, and a
// seeded random-mutation smoke test over the dns.pcap messages.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include "dns_test_util.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/rdata.hpp"
#include "proto/dns/rrset.hpp"
#include "proto/dns/writer.hpp"

using namespace siehub;
using namespace siehub::dns;
using dns_test::name_text;
using dns_test::wire;
using bytes = std::vector<std::uint8_t>;

namespace {

const bytes root{0};

// A typical response: question, CNAME + 2 A, NS authority, glue, OPT with ECS and cookie.
bytes build_response(bool compress)
{
    std::vector<std::uint8_t> buf(1500);
    core::out_buffer out{buf};
    message_writer w(out, compress);
    auto const qname = wire("Alias.Example.com.");
    auto const www = wire("www.example.com.");
    auto const apex = wire("example.com.");
    auto const ns1 = wire("ns1.example.com.");
    REQUIRE(w.begin(0x1234, 0x8400) == errc::ok);
    REQUIRE(w.question(qname, rrtype::a, rrclass::in) == errc::ok);
    w.begin_rr(section::answer, qname, rrtype::cname, rrclass::in, 300);
    w.rdata_name(www, true);
    w.end_rr();
    w.add_rr(section::answer, www, rrtype::a, rrclass::in, 300, bytes{192, 0, 2, 2});
    w.add_rr(section::answer, www, rrtype::a, rrclass::in, 200, bytes{192, 0, 2, 1});
    w.begin_rr(section::authority, apex, rrtype::ns, rrclass::in, 3600);
    w.rdata_name(ns1, true);
    w.end_rr();
    w.begin_rr(section::authority, apex, rrtype::mx, rrclass::in, 3600);
    w.rdata_u16(10);
    w.rdata_name(wire("mail.example.com."), true);
    w.end_rr();
    w.add_rr(section::additional, ns1, rrtype::a, rrclass::in, 3600, bytes{192, 0, 2, 53});
    w.begin_opt(1232, 0, 0, true);
    w.add_edns_option(edns_code::client_subnet, bytes{0, 1, 24, 0, 198, 51, 100});
    w.add_edns_option(edns_code::cookie, bytes{1, 2, 3, 4, 5, 6, 7, 8});
    w.end_rr();
    REQUIRE(w.finish() == errc::ok);
    auto const v = w.written();
    return {v.begin(), v.end()};
}

bytes hdr_bytes(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar)
{
    return {0,
            1,
            0x80,
            0,
            std::uint8_t(qd >> 8),
            std::uint8_t(qd),
            std::uint8_t(an >> 8),
            std::uint8_t(an),
            std::uint8_t(ns >> 8),
            std::uint8_t(ns),
            std::uint8_t(ar >> 8),
            std::uint8_t(ar)};
}

bytes cat(bytes a, const bytes& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

errc parse(const bytes& b)
{
    message m;
    return m.parse(b);
}

} // namespace

TEST_CASE("writer -> parser round trip, with and without compression", "[dns][writer]")
{
    auto const c = build_response(true);
    auto const u = build_response(false);
    CHECK(c.size() < u.size());
    for (auto const* b : {&c, &u}) {
        message m;
        REQUIRE(m.parse(*b) == errc::ok);
        CHECK(m.hdr().id == 0x1234);
        CHECK(m.hdr().aa());
        CHECK(m.records(section::answer).size() == 3);
        CHECK(m.records(section::authority).size() == 2);
        CHECK(m.records(section::additional).size() == 2);
        REQUIRE(m.edns().present);
        CHECK(m.edns().udp_size == 1232);
        CHECK(m.edns().do_bit);
        edns_option o;
        REQUIRE(m.find_edns_option(edns_code::cookie, o));
        CHECK(o.len == 8);
        CHECK(m.wire()[o.data_off + 7] == 8);
        name_buffer nb;
        auto r = read_name(m.wire(), m.records()[0].owner_off, nb);
        CHECK(name_text({nb.data(), r.wire_len}) == "Alias.Example.com.");
        std::array<std::uint8_t, 512> buf{};
        core::out_buffer out{buf};
        REQUIRE(uncompress_rdata(m.wire(), m.records()[0], out) == errc::ok);
        CHECK(name_text(out.written()) == "www.example.com.");
        core::out_buffer out2{buf};
        REQUIRE(uncompress_rdata(m.wire(), m.records()[4], out2) == errc::ok);
        CHECK(out2.written()[1] == 10);
        CHECK(name_text(out2.written().subspan(2)) == "mail.example.com.");
        rrset_table t;
        REQUIRE(t.build(m) == errc::ok);
        REQUIRE(t.sets().size() == 5);
        CHECK(t.sets()[1].count == 2);
        CHECK(t.sets()[1].ttl == 200);
    }
    // Compression matches exactly: "example.com." reuses the one inside "www.example.com."
    // but never the question's "Example.com.", so every name reads back as written.
    message m;
    REQUIRE(m.parse(c) == errc::ok);
    auto const ns_owner = m.records(section::authority)[0].owner_off;
    CHECK(m.wire()[ns_owner] == 0xC0);
    name_buffer nb;
    auto r = read_name(m.wire(), ns_owner, nb);
    CHECK(name_text({nb.data(), r.wire_len}) == "example.com.");
}

TEST_CASE("writer errors: section order, bad names, full buffer", "[dns][writer]")
{
    std::array<std::uint8_t, 64> buf{};
    {
        core::out_buffer out{buf};
        message_writer w(out);
        w.begin(1, 0);
        w.add_rr(section::authority, root, rrtype::a, 1, 0, bytes{1, 2, 3, 4});
        CHECK(w.add_rr(section::answer, root, rrtype::a, 1, 0, bytes{1, 2, 3, 4}) ==
              errc::section_order);
        CHECK(w.finish() == errc::section_order);
    }
    {
        core::out_buffer out{buf};
        message_writer w(out);
        w.begin(1, 0);
        CHECK(w.question(bytes{1, 'a', 0xC0, 0}, 1, 1) == errc::pointer_not_allowed);
    }
    {
        core::out_buffer out{buf};
        message_writer w(out);
        w.begin(1, 0);
        w.question(wire("a-rather-long-name.example.com."), 1, 1);
        CHECK(w.add_rr(section::answer, wire("another-long-name.example.org."), 1, 1, 0,
                       bytes{1, 2, 3, 4}) == errc::out_of_space);
    }
}

TEST_CASE("message: every structural error reason", "[dns][message]")
{
    bytes const q = {3, 'w', 'w', 'w', 0, 0, 1, 0, 1};
    bytes const a_rr = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
    CHECK(parse(cat(hdr_bytes(1, 1, 0, 0), cat(q, a_rr))) == errc::ok);
    CHECK(parse(bytes(11, 0)) == errc::message_too_short);
    CHECK(parse(bytes(70000, 0)) == errc::message_too_large);
    CHECK(parse(cat(hdr_bytes(1, 0xFFFF, 0, 0), cat(q, a_rr))) == errc::count_overflow);
    CHECK(parse(cat(hdr_bytes(0xFFFF, 0, 0, 0), q)) == errc::count_overflow);
    bytes big = hdr_bytes(0, 600, 0, 0);
    big.resize(12 + 600 * 11, 0);
    CHECK(parse(big) == errc::too_many_records);
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 0), bytes{3, 'w', 'w', 'w', 0, 0, 1, 0})) ==
          errc::question_truncated);
    bytes rr_short = cat(hdr_bytes(1, 1, 0, 0), q);
    rr_short.insert(rr_short.end(), {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0});
    CHECK(parse(rr_short) == errc::rr_truncated);
    bytes rd_short = cat(hdr_bytes(1, 1, 0, 0), cat(q, a_rr));
    rd_short.pop_back();
    CHECK(parse(rd_short) == errc::rdata_truncated);
    CHECK(parse(cat(hdr_bytes(1, 1, 0, 0), cat(q, cat(a_rr, bytes{0})))) == errc::trailing_data);
    // Name errors surface from question and owner names.
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 0), bytes{0xC0, 20, 0, 1, 0, 1})) == errc::pointer_forward);
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 0), bytes{0xC0, 12, 0, 1, 0, 1})) == errc::pointer_loop);
    bytes loop_owner = cat(hdr_bytes(1, 1, 0, 0), q);
    loop_owner.insert(loop_owner.end(), {0xC0, 21, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4});
    CHECK(parse(loop_owner) == errc::pointer_loop);
    // OPT rules.
    bytes const opt = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 1), cat(q, opt))) == errc::ok);
    CHECK(parse(cat(hdr_bytes(1, 1, 0, 0), cat(q, opt))) == errc::opt_misplaced);
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 2), cat(q, cat(opt, opt)))) == errc::opt_duplicate);
    bytes named_opt = {0xC0, 12, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 1), cat(q, named_opt))) == errc::opt_bad_owner);
    bytes bad_opt = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 5, 0, 8, 0, 10, 1};
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 1), cat(q, bad_opt))) == errc::opt_option_truncated);
    bytes short_opt = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 3, 0, 8, 0};
    CHECK(parse(cat(hdr_bytes(1, 0, 0, 1), cat(q, short_opt))) == errc::opt_option_truncated);
    // Extended rcode and version come from the OPT TTL.
    bytes ext_opt = {0, 0, 41, 0x02, 0, 1, 7, 0x80, 0, 0, 0};
    message m;
    REQUIRE(m.parse(cat(hdr_bytes(1, 0, 0, 1), cat(q, ext_opt))) == errc::ok);
    CHECK(m.edns().udp_size == 512);
    CHECK(m.edns().ext_rcode == 1);
    CHECK(m.edns().version == 7);
    CHECK(m.edns().do_bit);
    CHECK(m.full_rcode() == 16); // BADVERS
}

TEST_CASE("rdata: validity per type and error reasons", "[dns][rdata]")
{
    CHECK(check_rdata(rrtype::a, bytes{1, 2, 3, 4}) == errc::ok);
    CHECK(check_rdata(rrtype::a, bytes{1, 2, 3, 4, 5}) == errc::rdata_bad_length);
    CHECK(check_rdata(rrtype::aaaa, bytes(15, 0)) == errc::rdata_bad_length);
    CHECK(check_rdata(rrtype::ns, bytes{}) == errc::rdata_short);
    CHECK(check_rdata(rrtype::ns, bytes{0, 0}) == errc::rdata_long);
    CHECK(check_rdata(rrtype::mx, bytes{0}) == errc::rdata_short);
    CHECK(check_rdata(rrtype::mx, bytes{0, 10, 0}) == errc::ok);
    CHECK(check_rdata(rrtype::soa, cat(bytes{0, 0}, bytes(20, 0))) == errc::ok);
    CHECK(check_rdata(rrtype::soa, cat(bytes{0, 0}, bytes(19, 0))) == errc::rdata_short);
    CHECK(check_rdata(rrtype::soa, cat(bytes{0, 0}, bytes(21, 0))) == errc::rdata_long);
    CHECK(check_rdata(rrtype::txt, bytes{}) == errc::rdata_short);
    CHECK(check_rdata(rrtype::txt, bytes{0}) == errc::ok);
    CHECK(check_rdata(rrtype::txt, bytes{1, 'a', 1, 'b'}) == errc::ok);
    CHECK(check_rdata(rrtype::txt, bytes{2, 'a'}) == errc::rdata_bad_string);
    CHECK(check_rdata(rrtype::srv, bytes{0, 1, 0, 2, 0, 3, 0}) == errc::ok);
    CHECK(check_rdata(rrtype::ds, bytes{0, 1, 8, 2}) == errc::ok);
    CHECK(check_rdata(rrtype::dnskey, bytes{1, 1, 3}) == errc::rdata_short);
    bytes const rrsig = cat(bytes{0, 1, 13, 2, 0, 0, 1, 44, 0, 0, 0, 9, 0, 0, 0, 1, 0, 7},
                            cat(wire("example."), bytes{0xAA, 0xBB}));
    CHECK(check_rdata(rrtype::rrsig, rrsig) == errc::ok);
    rrsig_view rv;
    REQUIRE(view_rrsig(rrsig, rv) == errc::ok);
    CHECK(rv.type_covered == 1);
    CHECK(rv.labels == 2);
    CHECK(rv.original_ttl == 300);
    CHECK(name_text(rv.signer) == "example.");
    CHECK(rv.signature.size() == 2);
    // NSEC: next name + bitmap for A, MX, RRSIG, NSEC (window 0), CAA (window 1).
    bytes const nsec = cat(wire("b.example."), bytes{0, 6, 0x40, 1, 0, 0, 0, 3, 1, 1, 0x40});
    REQUIRE(check_rdata(rrtype::nsec, nsec) == errc::ok);
    nsec_view nv;
    REQUIRE(view_nsec(nsec, nv) == errc::ok);
    type_bitmap_iter it(nv.type_bitmap);
    std::vector<std::uint16_t> types;
    std::uint16_t ty;
    while (it.next(ty)) {
        types.push_back(ty);
    }
    CHECK(types == std::vector<std::uint16_t>{1, 15, 46, 47, 257});
    CHECK(check_rdata(rrtype::nsec, cat(wire("b."), bytes{0, 0})) == errc::rdata_bad_bitmap);
    CHECK(check_rdata(rrtype::nsec, cat(wire("b."), bytes{0, 33})) == errc::rdata_bad_bitmap);
    CHECK(check_rdata(rrtype::nsec, cat(wire("b."), bytes{1, 1, 0, 0, 1, 0})) ==
          errc::rdata_bad_bitmap);
    CHECK(check_rdata(rrtype::nsec, cat(wire("b."), bytes{0, 2, 0})) == errc::rdata_bad_bitmap);
    bytes const nsec3 = {1, 0, 0, 10, 2, 0xAB, 0xCD, 3, 1, 2, 3, 0, 1, 0x40};
    nsec3_view n3;
    REQUIRE(view_nsec3(nsec3, n3) == errc::ok);
    CHECK(n3.iterations == 10);
    CHECK(n3.salt.size() == 2);
    CHECK(n3.next_hashed.size() == 3);
    CHECK(check_rdata(rrtype::nsec3, bytes{1, 0, 0, 10, 0, 0}) == errc::rdata_empty_field);
    // SVCB/HTTPS: keys must increase; target never compressed.
    bytes const https = cat(bytes{0, 1}, cat(wire("svc.example."),
                                             bytes{0, 1, 0, 3, 2, 'h', '2', 0, 3, 0, 2, 1, 0xBB}));
    svcb_view sv;
    REQUIRE(view_svcb(https, sv) == errc::ok);
    CHECK(sv.priority == 1);
    CHECK(name_text(sv.target) == "svc.example.");
    svc_param_iter pi(sv.params);
    svc_param sp;
    REQUIRE(pi.next(sp));
    CHECK(sp.key == 1);
    REQUIRE(pi.next(sp));
    CHECK(sp.key == 3);
    CHECK_FALSE(pi.next(sp));
    CHECK(check_rdata(rrtype::https, cat(bytes{0, 1, 0}, bytes{0, 3, 0, 0, 0, 1, 0, 0})) ==
          errc::rdata_bad_svc_param);
    CHECK(check_rdata(rrtype::https, cat(bytes{0, 1, 0}, bytes{0, 3, 0, 5, 0})) ==
          errc::rdata_bad_svc_param);
    CHECK(check_rdata(rrtype::svcb, bytes{0, 1, 0xC0, 0}) == errc::pointer_not_allowed);
    caa_view cv;
    bytes const caa{0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a', '.'};
    REQUIRE(view_caa(caa, cv) == errc::ok);
    CHECK(core::as_chars(cv.tag) == "issue");
    CHECK(core::as_chars(cv.value) == "ca.");
    CHECK(check_rdata(rrtype::caa, bytes{0, 0}) == errc::rdata_empty_field);
    CHECK(check_rdata(rrtype::caa, bytes{0, 6, 'i'}) == errc::rdata_bad_string);
    CHECK(check_rdata(65280, bytes{0xC0, 0x0C}) == errc::ok); // opaque: bytes, not a pointer
    CHECK(check_rdata(65280, bytes{}) == errc::ok);
}

TEST_CASE("rdata in a message: compression rule, canonical form", "[dns][rdata]")
{
    std::vector<std::uint8_t> buf(512);
    core::out_buffer out{buf};
    message_writer w(out);
    auto const owner = wire("Host.Example.");
    w.begin(7, 0x8000);
    w.question(owner, rrtype::a, rrclass::in);
    // SRV target compressed (RFC 3597 "SHOULD decompress"): accepted.
    w.begin_rr(section::answer, owner, rrtype::srv, rrclass::in, 60);
    w.rdata_u16(1);
    w.rdata_u16(2);
    w.rdata_u16(3);
    w.rdata_name(owner, true);
    w.end_rr();
    // SVCB target compressed: not allowed.
    w.begin_rr(section::answer, owner, rrtype::svcb, rrclass::in, 60);
    w.rdata_u16(1);
    w.rdata_name(owner, true);
    w.end_rr();
    // RRSIG signer: accepted compressed (wdns compat), canonical form keeps its case.
    w.begin_rr(section::answer, owner, rrtype::rrsig, rrclass::in, 60);
    w.rdata_bytes(bytes{0, 1, 13, 2, 0, 0, 1, 44, 0, 0, 0, 9, 0, 0, 0, 1, 0, 7});
    w.rdata_name(owner, true);
    w.rdata_bytes(bytes{0xAA});
    w.end_rr();
    // Opaque type whose bytes happen to look like a pointer: copied verbatim.
    w.add_rr(section::answer, owner, 65280, rrclass::in, 60, bytes{0xC0, 12});
    REQUIRE(w.finish() == errc::ok);
    message m;
    REQUIRE(m.parse(w.written()) == errc::ok);
    auto const r = m.records();
    REQUIRE(r.size() == 4);
    CHECK(m.wire()[r[0].rdata_off + 6] == 0xC0); // really compressed on the wire
    CHECK(check_rdata(m.wire(), r[0]) == errc::ok);
    CHECK(check_rdata(m.wire(), r[1]) == errc::pointer_not_allowed);
    CHECK(check_rdata(m.wire(), r[2]) == errc::ok);
    CHECK(check_rdata(m.wire(), r[3]) == errc::ok);
    std::array<std::uint8_t, 512> tmp{};
    core::out_buffer o{tmp};
    REQUIRE(uncompress_rdata(m.wire(), r[0], o) == errc::ok);
    CHECK(name_text(o.written().subspan(6)) == "Host.Example.");
    core::out_buffer o2{tmp};
    REQUIRE(canonical_rdata(m.wire(), r[0], o2) == errc::ok);
    CHECK(name_text(o2.written().subspan(6)) == "host.example.");
    core::out_buffer o3{tmp};
    CHECK(uncompress_rdata(m.wire(), r[1], o3) == errc::pointer_not_allowed);
    CHECK(o3.size() == 0);
    core::out_buffer o4{tmp};
    REQUIRE(canonical_rdata(m.wire(), r[2], o4) == errc::ok);
    CHECK(name_text(o4.written().subspan(18, 14)) == "Host.Example.");
    core::out_buffer o5{tmp};
    REQUIRE(uncompress_rdata(m.wire(), r[3], o5) == errc::ok);
    CHECK(o5.written().size() == 2);
    CHECK(o5.written()[0] == 0xC0);
    // Too small an output buffer: a specific error, nothing left behind.
    std::array<std::uint8_t, 8> small{};
    core::out_buffer o6{small};
    CHECK(uncompress_rdata(m.wire(), r[0], o6) == errc::out_of_space);
    CHECK(o6.size() == 0);
    CHECK(o6.ok());
}

TEST_CASE("rrsets: RRSIG by type covered, class and meta filters, sections", "[dns][rrset]")
{
    std::vector<std::uint8_t> buf(1024);
    core::out_buffer out{buf};
    message_writer w(out);
    auto const a = wire("a.example.");
    auto const A = wire("A.EXAMPLE.");
    auto sig = [&](std::uint16_t covered, std::uint32_t ttl) {
        w.begin_rr(section::answer, a, rrtype::rrsig, rrclass::in, ttl);
        w.rdata_u16(covered);
        w.rdata_bytes(bytes{13, 2, 0, 0, 1, 44, 0, 0, 0, 9, 0, 0, 0, 1, 0, 7});
        w.rdata_name(wire("example."), false);
        w.end_rr();
    };
    w.begin(1, 0x8000);
    w.add_rr(section::answer, a, rrtype::a, rrclass::in, 50, bytes{1, 1, 1, 1});
    sig(rrtype::a, 40);
    w.add_rr(section::answer, a, rrtype::txt, rrclass::in, 50, bytes{1, 'x'});
    sig(rrtype::txt, 30);
    w.add_rr(section::answer, A, rrtype::a, rrclass::in, 20, bytes{1, 1, 1, 2});
    sig(rrtype::a, 45);
    w.add_rr(section::answer, a, rrtype::a, rrclass::ch, 50, bytes{1, 1, 1, 3});
    w.add_rr(section::authority, a, rrtype::a, rrclass::in, 50, bytes{1, 1, 1, 4});
    w.add_rr(section::additional, root, rrtype::tsig, rrclass::any, 0, bytes{0});
    REQUIRE(w.finish() == errc::ok);
    message m;
    REQUIRE(m.parse(w.written()) == errc::ok);
    rrset_table t;
    REQUIRE(t.build(m) == errc::ok);
    auto s = t.sets();
    REQUIRE(s.size() == 5);
    CHECK(s[0].type == rrtype::a);
    CHECK(s[0].count == 2); // a. and A. are one owner
    CHECK(s[0].ttl == 20);
    CHECK(s[1].type == rrtype::rrsig);
    CHECK(s[1].covered == rrtype::a);
    CHECK(s[1].count == 2);
    CHECK(s[1].ttl == 40);
    CHECK(s[2].type == rrtype::txt);
    CHECK(s[3].covered == rrtype::txt);
    CHECK(s[4].sec == section::authority);
    auto mem = t.members(s[0]);
    CHECK(mem[0] == 0);
    CHECK(mem[1] == 4);
    // Without filters the CH record and the TSIG get sets of their own.
    REQUIRE(t.build(m, {false, false}) == errc::ok);
    CHECK(t.sets().size() == 7);
    // Duplicate rdata collapses in the canonical set.
    std::vector<std::uint8_t> b2(256);
    core::out_buffer o2{b2};
    message_writer w2(o2);
    w2.begin(1, 0x8000);
    w2.add_rr(section::answer, a, rrtype::ns, rrclass::in, 5, wire("NS.example."));
    w2.add_rr(section::answer, a, rrtype::ns, rrclass::in, 5, wire("ns.example."));
    w2.add_rr(section::answer, a, rrtype::ns, rrclass::in, 5, wire("b.example."));
    REQUIRE(w2.finish() == errc::ok);
    REQUIRE(m.parse(w2.written()) == errc::ok);
    REQUIRE(t.build(m) == errc::ok);
    std::array<std::uint8_t, 256> scratch{};
    core::out_buffer sb{scratch};
    std::array<byte_view, 4> views;
    std::size_t n = 0;
    REQUIRE(canonical_rdata_set(m, t, t.sets()[0], sb, views, n) == errc::ok);
    REQUIRE(n == 2);
    CHECK(name_text(views[0]) == "b.example.");
    CHECK(name_text(views[1]) == "ns.example.");
    std::array<byte_view, 2> too_few;
    CHECK(canonical_rdata_set(m, t, t.sets()[0], sb, too_few, n) == errc::too_many_records);
}

TEST_CASE("random mutations of real messages never break the rules", "[dns][mutation]")
{
    auto const pkts = dns_test::load_dns_pcap(dns_test::testdata("pcap/dns.pcap"));
    REQUIRE(!pkts.empty());
    std::mt19937 rng(20261122);
    std::size_t parsed = 0;
    std::size_t rejected = 0;
    std::vector<std::uint8_t> scratch(70000);
    for (int iter = 0; iter < 20000; ++iter) {
        bytes b = pkts[rng() % pkts.size()].payload;
        int const edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            switch (rng() % 4) {
            case 0:
                b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
                break;
            case 1:
                b[rng() % b.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
                break;
            case 2:
                b.resize(rng() % (b.size() + 1));
                break;
            default:
                b[rng() % b.size()] = 0xC0;
                break;
            }
            if (b.empty()) {
                b.push_back(0);
            }
        }
        message m;
        if (m.parse(b) != errc::ok) {
            ++rejected;
            continue;
        }
        ++parsed;
        for (auto const& r : m.records()) {
            REQUIRE(r.rdata_off + r.rdata_len <= b.size());
            name_buffer nb;
            auto const o = read_name(m.wire(), r.owner_off, nb);
            REQUIRE(o.ok());
            REQUIRE(validate_name({nb.data(), o.wire_len}) == errc::ok);
            core::out_buffer out{scratch};
            if (uncompress_rdata(m.wire(), r, out) == errc::ok) {
                REQUIRE(check_rdata(r.type, out.written()) == errc::ok);
            }
        }
        rrset_table t;
        REQUIRE(t.build(m) == errc::ok);
    }
    CHECK(parsed > 100);
    CHECK(rejected > 100);
}
