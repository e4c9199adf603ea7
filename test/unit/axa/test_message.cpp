// SPDX-License-Identifier: Apache-2.0
// Codec: writer -> parser round trips for every SRA opcode, and every codec error reason hit
// by a crafted message.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "axa/message.hpp"
#include "axa_test_util.hpp"

using namespace siehub::axa;
using namespace axa_test;
using siehub::core::out_buffer;

namespace {

struct writer {
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(300000);
    out_buffer out{{buf.data(), buf.size()}};
};

// Frames exactly one message and checks it with the rules of `dir`.
msg one(const out_buffer& out, direction dir)
{
    auto const f = next_frame(out.written());
    REQUIRE(f.err == errc::ok);
    REQUIRE(f.complete);
    REQUIRE(f.size == out.size());
    CHECK(check_message(dir, f.h, f.body) == errc::ok);
    return {f.h, bytes(f.body.begin(), f.body.end()), bytes(out.written().begin(), out.written().end())};
}

bytes hdr(std::uint32_t len, std::uint16_t tag, std::uint8_t pvers, std::uint8_t o)
{
    return {static_cast<std::uint8_t>(len), static_cast<std::uint8_t>(len >> 8),
            static_cast<std::uint8_t>(len >> 16), static_cast<std::uint8_t>(len >> 24),
            static_cast<std::uint8_t>(tag), static_cast<std::uint8_t>(tag >> 8), pvers, o};
}

bytes message(std::uint16_t tag, op o, const bytes& body, std::uint8_t pvers = 2)
{
    auto m = hdr(static_cast<std::uint32_t>(8 + body.size()), tag, pvers, static_cast<std::uint8_t>(o));
    m.insert(m.end(), body.begin(), body.end());
    return m;
}

errc check(direction dir, const bytes& wire)
{
    auto const f = next_frame(view(wire));
    if (f.err != errc::ok) {
        return f.err;
    }
    REQUIRE(f.complete);
    return check_message(dir, f.h, f.body);
}

} // namespace

TEST_CASE("header: parse and framing", "[axa][message]")
{
    // Worked bytes from the spec: `1 watch ch=213`.
    auto const w = from_hex("0e00000001000285" "04000000d500");
    auto const h = parse_header(view(w));
    REQUIRE(h.ok());
    CHECK(h.h.len == 14);
    CHECK(h.h.tag == 1);
    CHECK(h.h.pvers == 2);
    CHECK(h.h.opcode() == op::watch);
    CHECK(h.h.body_len() == 6);

    // A stream: one whole message, then a partial one.
    bytes stream = w;
    stream.insert(stream.end(), w.begin(), w.begin() + 10);
    auto f = next_frame(view(stream));
    REQUIRE(f.complete);
    CHECK(f.size == 14);
    CHECK(f.body.size() == 6);
    f = next_frame(view(stream).subspan(14));
    CHECK(f.err == errc::ok);
    CHECK_FALSE(f.complete);
    f = next_frame(view(stream).subspan(14, 5)); // not even a header
    CHECK(f.err == errc::ok);
    CHECK_FALSE(f.complete);

    CHECK(parse_header(view(w).subspan(0, 7)).err == errc::header_truncated);
    CHECK(parse_header(view(hdr(7, 0, 1, 0))).err == errc::len_too_small);
    CHECK(parse_header(view(hdr(8 + 196608, 0, 1, 5))).ok());
    CHECK(parse_header(view(hdr(8 + 196609, 0, 1, 5))).err == errc::body_too_large);
    CHECK(parse_header(view(hdr(8, 0, 0, 0))).err == errc::bad_pvers);
    CHECK(parse_header(view(hdr(8, 0, 3, 0))).err == errc::bad_pvers);
    CHECK(parse_header(view(hdr(8, 0, 1, 0))).ok());
}

TEST_CASE("round trips: server to client opcodes", "[axa][message]")
{
    SECTION("NOP")
    {
        writer w;
        REQUIRE(write_empty(w.out, op::nop, 0, 2));
        auto const m = one(w.out, direction::to_client);
        CHECK(m.h.opcode() == op::nop);
        CHECK(m.h.len == 8);
    }
    SECTION("HELLO")
    {
        writer w;
        REQUIRE(write_hello(w.out, 1, 0x1122334455667788ULL, 1, 2, "srad x"));
        auto const m = one(w.out, direction::to_client);
        CHECK(m.h.tag == 0);
        auto const v = parse_hello(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.id == 0x1122334455667788ULL);
        CHECK(v.pvers_min == 1);
        CHECK(v.pvers_max == 2);
        CHECK(v.text == "srad x");
        // HELLO is legal both ways.
        CHECK(check_message(direction::to_server, m.h, view(m.body)) == errc::ok);
    }
    SECTION("OK and ERROR, long text cut to the 513-byte body")
    {
        writer w;
        REQUIRE(write_result(w.out, op::ok, 7, 2, static_cast<std::uint8_t>(op::watch), "started"));
        auto m = one(w.out, direction::to_client);
        CHECK(m.wire == from_hex("1100000007000202" "857374617274656400"));
        writer e;
        std::string const big(600, 'x');
        REQUIRE(write_result(e.out, op::error, 0, 1, 0x8b, big));
        m = one(e.out, direction::to_client);
        CHECK(m.body.size() == 513);
        auto const v = parse_result(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.orig_op == 0x8b);
        CHECK(v.text.size() == 511);
    }
    SECTION("MISSED")
    {
        writer w;
        missed_fields f{1, 2, 3, 4, 0x6b035f3f};
        REQUIRE(write_missed(w.out, 2, f));
        auto const m = one(w.out, direction::to_client);
        CHECK(m.body.size() == 36);
        auto const v = parse_missed(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.f.missed == 1);
        CHECK(v.f.dropped == 2);
        CHECK(v.f.rlimit == 3);
        CHECK(v.f.filtered == 4);
        CHECK(v.f.last_report == 0x6b035f3f);
    }
    SECTION("WHIT nmsg and IP")
    {
        writer w;
        whit_nmsg_fields f;
        f.ch = 213;
        f.field_idx = 12;
        f.val_idx = 1;
        f.vid = 2;
        f.msgtype = 5;
        f.tv_sec = 0x6b035b59;
        f.tv_nsec = 123;
        auto const nmsg = from_hex("4e4d534700020000000a0102030405060708090a");
        REQUIRE(write_whit_nmsg(w.out, 3, 2, f, view(nmsg)));
        auto m = one(w.out, direction::to_client);
        CHECK(m.h.tag == 3);
        auto v = parse_whit(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.type == whit_type::nmsg);
        CHECK(v.nmsg.ch == 213);
        CHECK(v.nmsg.field_idx == 12);
        CHECK(v.nmsg.val_idx == 1);
        CHECK(v.nmsg.vid == 2);
        CHECK(v.nmsg.msgtype == 5);
        CHECK(v.nmsg.tv_sec == 0x6b035b59);
        CHECK(v.nmsg.tv_nsec == 123);
        CHECK(bytes(v.data.begin(), v.data.end()) == nmsg);

        writer ip;
        whit_ip_fields g{4095, 10, 20, 28};
        bytes const pkt(28, 0x45);
        REQUIRE(write_whit_ip(ip.out, 9, 1, g, view(pkt)));
        m = one(ip.out, direction::to_client);
        v = parse_whit(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.type == whit_type::ip);
        CHECK(v.ip.ch == 4095);
        CHECK(v.ip.tv_sec == 10);
        CHECK(v.ip.tv_usec == 20);
        CHECK(v.ip.ip_len == 28);
        CHECK(v.data.size() == 28);
    }
    SECTION("WHIT larger than a body can be is refused by the writer")
    {
        writer w;
        bytes const huge(max_body_len, 0);
        CHECK_FALSE(write_whit_nmsg(w.out, 1, 2, {}, view(huge)));
    }
    SECTION("WLIST")
    {
        writer w;
        auto const watch = from_hex("01180100c0000200");
        REQUIRE(write_wlist(w.out, 0, 1, 2, view(watch)));
        auto const m = one(w.out, direction::to_client);
        CHECK(m.wire == from_hex("1400000000000106" "0200000001180100c0000200"));
        auto const v = parse_wlist(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.cur_tag == 2);
        CHECK(v.w.type == watch_type::ipv4);
    }
    SECTION("CLIST")
    {
        writer w;
        REQUIRE(write_clist(w.out, 0, 1, 213, true, "vlan213"));
        auto const m = one(w.out, direction::to_client);
        CHECK(m.body.size() == 1027);
        auto const v = parse_clist(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.ch == 213);
        CHECK(v.on);
        CHECK(v.spec == "vlan213");
        writer big;
        REQUIRE(write_clist(big.out, 0, 1, 1, false, std::string(2000, 'a')));
        auto const b = one(big.out, direction::to_client);
        CHECK(parse_clist(view(b.body)).spec.size() == 1023);
    }
    SECTION("MGMT_GETRSP")
    {
        writer w;
        REQUIRE(write_mgmt_getrsp(w.out, 4, 2));
        auto const m = one(w.out, direction::to_client);
        CHECK(m.body.size() == 50);
    }
    SECTION("OPT both ways, all four types")
    {
        for (auto t : {opt_type::trace, opt_type::sample, opt_type::sndbuf}) {
            writer w;
            REQUIRE(write_opt_u32(w.out, 1, 2, t, 500000));
            auto const m = one(w.out, direction::to_client);
            CHECK(check_message(direction::to_server, m.h, view(m.body)) == errc::ok);
            auto const v = parse_opt(view(m.body));
            REQUIRE(v.err == errc::ok);
            CHECK(v.type == t);
            CHECK(v.u32 == 500000);
        }
        writer w;
        rlimit_fields f{1000, rlimit_na, 0, 0, 60};
        REQUIRE(write_opt_rlimit(w.out, 0, 2, f));
        auto const m = one(w.out, direction::to_server);
        // sratool's `rate limit 1000 60`, byte for byte.
        CHECK(m.wire == from_hex("380000000000028d0100000000000000e803000000000000ffffffffffffffff"
                                 "000000000000000000000000000000003c00000000000000"));
        auto const v = parse_opt(view(m.body));
        REQUIRE(v.err == errc::ok);
        CHECK(v.rlimit.max_pkts_per_sec == 1000);
        CHECK(v.rlimit.cur_pkts_per_sec == rlimit_na);
        CHECK(v.rlimit.report_secs == 60);
    }
}

TEST_CASE("round trips: client to server opcodes", "[axa][message]")
{
    SECTION("USER: name zero-padded to 64, cut to 63")
    {
        writer w;
        REQUIRE(write_user(w.out, 0, 1, "tester"));
        auto const m = one(w.out, direction::to_server);
        CHECK(m.wire == from_hex("4800000000000181" "7465737465720000000000000000000000000000000000000000000000000000"
                                 "0000000000000000000000000000000000000000000000000000000000000000"));
        CHECK(parse_user(view(m.body)).name == "tester");
        writer l;
        REQUIRE(write_user(l.out, 0, 1, std::string(80, 'k')));
        CHECK(parse_user(view(one(l.out, direction::to_server).body)).name.size() == 63);
    }
    SECTION("JOIN")
    {
        writer w;
        REQUIRE(write_join(w.out, 0, 2, 42));
        auto const m = one(w.out, direction::to_server);
        CHECK(m.body.size() == 8);
    }
    SECTION("WATCH")
    {
        writer w;
        std::vector<std::uint8_t> wb(16);
        out_buffer wo({wb.data(), wb.size()});
        bytes const ch{0xd5, 0x00};
        REQUIRE(write_watch(wo, watch_type::ch, 0, 0, view(ch)));
        REQUIRE(write_watch_msg(w.out, 1, 2, wo.written()));
        auto const m = one(w.out, direction::to_server);
        CHECK(m.wire == from_hex("0e00000001000285" "04000000d500"));
    }
    SECTION("CHANNEL")
    {
        writer w;
        REQUIRE(write_channel(w.out, 0, 2, 213, true));
        auto const m = one(w.out, direction::to_server);
        CHECK(m.wire == from_hex("0b0000000000028b" "d50001"));
        auto const v = parse_channel(view(m.body));
        CHECK(v.ch == 213);
        CHECK(v.on);
        writer all;
        REQUIRE(write_channel(all.out, 0, 2, ch_all, false));
        auto const a = parse_channel(view(one(all.out, direction::to_server).body));
        CHECK(a.err == errc::ok);
        CHECK(a.ch == ch_all);
        CHECK_FALSE(a.on);
    }
    SECTION("body-less requests")
    {
        for (auto o : {op::pause, op::go, op::wget, op::all_stop, op::cget, op::acct,
                       op::mgmt_get, op::aget, op::radu}) {
            writer w;
            REQUIRE(write_empty(w.out, o, 0, 2));
            auto const m = one(w.out, direction::to_server);
            CHECK(m.h.opcode() == o);
        }
        writer s;
        REQUIRE(write_empty(s.out, op::stop, 5, 2));
        CHECK(one(s.out, direction::to_server).h.tag == 5);
    }
    SECTION("admin requests with their fixed sizes")
    {
        CHECK(check(direction::to_server, message(0, op::kill_req, bytes(76))) == errc::ok);
        CHECK(check(direction::to_server, message(0, op::stats_req, bytes(70))) == errc::ok);
        CHECK(check(direction::to_server, message(1, op::anom, bytes(40))) == errc::ok);
    }
}

TEST_CASE("writers never leave half a message in a full buffer", "[axa][message]")
{
    std::vector<std::uint8_t> buf(20);
    out_buffer out({buf.data(), buf.size()});
    REQUIRE(write_empty(out, op::nop, 0, 2));
    CHECK_FALSE(write_result(out, op::ok, 0, 2, 0x85, "started")); // needs 17, 12 left
    CHECK_FALSE(out.ok());
    CHECK(out.size() == 8);
}

TEST_CASE("every codec error reason from a crafted message", "[axa][message]")
{
    struct crafted {
        direction dir;
        bytes wire;
        errc want;
    };
    auto const S = direction::to_server;
    auto const C = direction::to_client;
    bytes user(64, 'a');
    bytes clist_bad_ch(1027, 0);
    clist_bad_ch[0] = 0x00;
    clist_bad_ch[1] = 0x10; // 4096
    bytes clist_unterminated(1027, 'a');
    clist_unterminated[0] = 1;
    clist_unterminated[1] = 0;
    bytes const label64 = [] {
        bytes b{64};
        b.insert(b.end(), 64, 'a');
        b.push_back(0);
        return b;
    }();
    bytes const name256 = [] {
        bytes b;
        for (int i = 0; i < 4; ++i) {
            b.push_back(63);
            b.insert(b.end(), 63, 'a');
        }
        b.push_back(0); // 257 bytes
        return b;
    }();
    auto watch = [](std::uint8_t type, std::uint8_t prefix, std::uint8_t flags, std::uint8_t pad,
                    bytes pat) {
        bytes b{type, prefix, flags, pad};
        b.insert(b.end(), pat.begin(), pat.end());
        return b;
    };
    bytes dns_label64 = watch(3, 0, 0, 0, label64);
    bytes dns_long = watch(3, 0, 0, 0, name256);
    dns_long.resize(260); // still within the WATCH body limit, and over 255 as a name

    std::vector<crafted> cases = {
        {S, hdr(7, 0, 1, 0), errc::len_too_small},
        {S, hdr(8 + 196609, 0, 1, 0), errc::body_too_large},
        {S, hdr(8, 0, 9, 0), errc::bad_pvers},
        {S, message(0, static_cast<op>(200), {}), errc::unknown_op},
        {S, message(0, static_cast<op>(20), {}), errc::unknown_op},
        {S, message(0, op::ok, {0x85, 0}), errc::wrong_direction},
        {S, message(1, op::whit, bytes(40)), errc::wrong_direction},
        {S, message(0, op::clist, bytes(1027)), errc::wrong_direction},
        {S, message(0, op::ahit, bytes(40)), errc::wrong_direction},
        {C, message(0, op::user, user), errc::wrong_direction},
        {C, message(0, op::ahit, bytes(40)), errc::not_for_sra},
        {C, message(0, op::missed_rad, bytes(40)), errc::not_for_sra},
        {C, message(0, op::stats_rsp, bytes(40)), errc::not_for_sra},
        {S, message(0, op::user, bytes(63)), errc::body_too_short},
        {S, message(0, op::channel, {0xd5, 0}), errc::body_too_short},
        {S, message(1, op::watch, {3, 0, 0}), errc::body_too_short},
        {C, message(0, op::missed, bytes(35)), errc::body_too_short},
        {S, message(0, op::hello, bytes(9)), errc::body_too_short},
        {S, message(0, op::user, bytes(65)), errc::body_too_long},
        {S, message(0, op::pause, {0}), errc::body_too_long},
        {S, message(1, op::watch, bytes(261)), errc::body_too_long},
        {S, message(0, op::opt, bytes(1033)), errc::body_too_long},
        {C, message(0, op::wlist, bytes(265)), errc::body_too_long},
        {S, message(0, op::watch, {4, 0, 0, 0, 0xd5, 0}), errc::tag_missing},
        {S, message(0, op::stop, {}), errc::tag_missing},
        {C, message(0, op::whit, bytes(40)), errc::tag_missing},
        {S, message(3, op::hello, bytes(11)), errc::tag_forbidden},
        {C, message(3, op::missed, bytes(36)), errc::tag_forbidden},
        {S, message(0, op::user, user), errc::string_unterminated},
        {S, message(0, op::hello, bytes(12, 'x')), errc::string_unterminated},
        {C, message(0, op::ok, {0x85, 'x'}), errc::string_unterminated},
        {C, message(0, op::clist, clist_unterminated), errc::string_unterminated},
        {S, message(0, op::channel, {0x00, 0x10, 1}), errc::channel_range},
        {S, message(0, op::channel, {0xfe, 0xff, 1}), errc::channel_range},
        {C, message(0, op::clist, clist_bad_ch), errc::channel_range},
        {S, message(1, op::watch, watch(4, 0, 0, 0, {0x00, 0x10})), errc::channel_range},
        {C, message(1, op::whit, [] { bytes b(40); b[1] = 0x10; return b; }()), errc::channel_range},
        {C, message(0, op::wlist, {1, 0, 1, 0, 5, 0, 0, 0}), errc::wlist_pad},
        {C, message(1, op::whit, [] { bytes b(40); b[2] = 2; return b; }()), errc::whit_type},
        {C, message(1, op::whit, bytes(19)), errc::whit_short},
        {C, message(1, op::whit, [] { bytes b(15 + 2); b[2] = 1; return b; }()), errc::ok},
        {C, message(1, op::whit, [] { bytes b(17); b[2] = 1; b[16] = 1; return b; }()), errc::ok},
        {S, message(0, op::opt, bytes{9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}), errc::opt_type},
        {S, message(0, op::opt, bytes{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}), errc::opt_len},
        {S, message(0, op::opt, bytes{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}), errc::opt_len},
        {C, message(0, op::mgmt_getrsp, bytes(50, 'm')), errc::mgmt_text},
        {S, message(1, op::watch, watch(5, 0, 0, 1, {})), errc::watch_pad},
        {S, message(1, op::watch, watch(5, 0, 4, 0, {})), errc::watch_flags},
        {S, message(1, op::watch, watch(6, 0, 0, 0, {})), errc::watch_type},
        {S, message(1, op::watch, watch(0, 0, 0, 0, {})), errc::watch_type},
        {S, message(1, op::watch, watch(1, 8, 0, 0, {})), errc::watch_ip_len},
        {S, message(1, op::watch, watch(1, 32, 0, 0, bytes(5))), errc::watch_ip_len},
        {S, message(1, op::watch, watch(2, 64, 0, 0, bytes(17))), errc::watch_ip_len},
        {S, message(1, op::watch, watch(1, 0, 0, 0, bytes(4))), errc::watch_ip_prefix},
        {S, message(1, op::watch, watch(1, 33, 0, 0, bytes(4))), errc::watch_ip_prefix},
        {S, message(1, op::watch, watch(1, 24, 1, 0, bytes(2))), errc::watch_ip_prefix},
        {S, message(1, op::watch, watch(2, 129, 0, 0, bytes(16))), errc::watch_ip_prefix},
        {S, message(1, op::watch, watch(1, 16, 1, 0, bytes(2))), errc::ok},
        {S, message(1, op::watch, watch(3, 0, 0, 0, {})), errc::watch_dns_len},
        {S, message(1, op::watch, watch(3, 0, 0, 0, {3, 'w', 'w'})), errc::watch_dns_labels},
        {S, message(1, op::watch, watch(3, 0, 0, 0, {1, 'a', 0, 0})), errc::watch_dns_labels},
        {S, message(1, op::watch, watch(3, 0, 0, 0, {1, 'a'})), errc::watch_dns_labels},
        {S, message(1, op::watch, dns_label64), errc::watch_dns_label_type},
        {S, message(1, op::watch, watch(3, 0, 0, 0, {0xc0, 0x00})), errc::watch_dns_label_type},
        {S, message(1, op::watch, dns_long), errc::watch_dns_too_long},
        {S, message(1, op::watch, watch(3, 0, 1, 0, {0})), errc::ok},
        {S, message(1, op::watch, watch(4, 0, 0, 0, {0xd5})), errc::watch_ch_len},
        {S, message(1, op::watch, watch(5, 0, 0, 0, {0})), errc::watch_errors_len},
        {S, message(1, op::watch, watch(5, 0, 2, 0, {})), errc::ok},
    };
    std::set<errc> hit;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << " want " << to_string(cases[i].want));
        CHECK(check(cases[i].dir, cases[i].wire) == cases[i].want);
        hit.insert(cases[i].want);
    }
    // A header cut short is the only reason framing cannot show (next_frame waits instead).
    CHECK(parse_header(view(bytes(7))).err == errc::header_truncated);
    hit.insert(errc::header_truncated);
    for (auto e = static_cast<int>(errc::header_truncated);
         e <= static_cast<int>(errc::watch_errors_len); ++e) {
        INFO("reason " << to_string(static_cast<errc>(e)));
        CHECK(hit.count(static_cast<errc>(e)) == 1);
    }
}

TEST_CASE("views are safe on short input", "[axa][message]")
{
    bytes const empty;
    CHECK(parse_hello(view(empty)).err == errc::body_too_short);
    CHECK(parse_result(view(empty)).err == errc::body_too_short);
    CHECK(parse_missed(view(empty)).err == errc::body_too_short);
    CHECK(parse_missed(view(bytes(37))).err == errc::body_too_long);
    CHECK(parse_whit(view(empty)).err == errc::whit_short);
    CHECK(parse_wlist(view(empty)).err == errc::body_too_short);
    CHECK(parse_clist(view(empty)).err == errc::body_too_short);
    CHECK(parse_user(view(empty)).err == errc::body_too_short);
    CHECK(parse_channel(view(empty)).err == errc::body_too_short);
    CHECK(parse_opt(view(empty)).err == errc::body_too_short);
    CHECK(parse_watch(view(empty)).err == errc::body_too_short);
}

TEST_CASE("names of reasons and ops", "[axa][message]")
{
    CHECK(std::string(to_string(errc::watch_dns_label_type)) == "watch_dns_label_type");
    CHECK(std::string(to_string(errc::reply_overflow)) == "reply_overflow");
    CHECK(std::string(describe(errc::invalid_user)) == "invalid user");
    CHECK(is_refusal(errc::channel_not_permitted));
    CHECK(is_refusal(errc::not_logged_in));
    CHECK_FALSE(is_refusal(errc::watch_dns_labels));
    CHECK_FALSE(is_refusal(errc::login_timeout));
    CHECK(std::string(op_name(0x8b)) == "CHANNEL ON/OFF");
    CHECK(std::string(op_name(0x8e)) == "ACCOUNTING");
    CHECK(std::string(op_name(99)) == "unknown op");
}
