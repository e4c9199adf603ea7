// SPDX-License-Identifier: Apache-2.0
// Session decisions: refusals keep the session, malformed messages close it, timers, framing
// and back-pressure. Every session reason is hit by a crafted message or a timer.
#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string>
#include <vector>

#include "axa/session.hpp"
#include "axa_test_util.hpp"

using namespace siehub::axa;
using namespace axa_test;
using namespace std::chrono_literals;
using siehub::core::out_buffer;

namespace {

struct rig {
    directory dir;
    session_config cfg;
    session s;
    std::vector<std::uint8_t> tx = std::vector<std::uint8_t>(1 << 20);
    std::set<errc> reasons;

    static directory make_dir()
    {
        directory d;
        d.add_channel(213, "vlan213");
        d.add_channel(204, "vlan204");
        std::array<std::uint16_t, 2> chans{204, 213};
        d.add_account("tester", chans);
        d.add_account("SECRETKEY123", chans, "apikey-user");
        d.add_account("nochan", {});
        return d;
    }
    static session_config make_cfg()
    {
        session_config c;
        c.max_watches = 2;
        return c;
    }

    rig() : dir(make_dir()), cfg(make_cfg()), s(cfg, dir, 7)
    {
        out_buffer out({tx.data(), tx.size()});
        s.start(0s, 1000, out);
    }

    // Sends one message; returns the step and what the session wrote.
    std::pair<step, std::vector<msg>> send(const bytes& wire, std::chrono::nanoseconds t = 1s)
    {
        auto const f = next_frame(view(wire));
        REQUIRE(f.complete);
        out_buffer out({tx.data(), tx.size()});
        auto const st = s.on_message(f.h, f.body, t, out);
        if (st.reason != errc::ok) {
            reasons.insert(st.reason);
        }
        auto replies = split(out.written());
        for (const auto& r : replies) {
            CHECK(check_message(direction::to_client, r.h, view(r.body)) == errc::ok);
        }
        return {st, replies};
    }

    bytes build(auto&& fn)
    {
        std::vector<std::uint8_t> b(2048);
        out_buffer o({b.data(), b.size()});
        fn(o);
        return bytes(o.written().begin(), o.written().end());
    }
    bytes user(std::string_view n) { return build([&](out_buffer& o) { write_user(o, 0, 1, n); }); }
    bytes empty(op x, std::uint16_t tag = 0)
    {
        return build([&](out_buffer& o) { write_empty(o, x, tag, 2); });
    }
    bytes channel(std::uint16_t ch, bool on)
    {
        return build([&](out_buffer& o) { write_channel(o, 0, 2, ch, on); });
    }
    bytes watch(std::uint16_t tag, const bytes& w)
    {
        return build([&](out_buffer& o) { write_watch_msg(o, tag, 2, view(w)); });
    }
    bytes opt32(opt_type t, std::uint32_t v)
    {
        return build([&](out_buffer& o) { write_opt_u32(o, 0, 2, t, v); });
    }
    void login()
    {
        auto const [st, r] = send(user("tester"));
        REQUIRE(s.authorized());
    }
};

void expect_error(const std::pair<step, std::vector<msg>>& r, errc why, bool closes)
{
    INFO("want " << to_string(why));
    CHECK(r.first.reason == why);
    CHECK(r.first.closing() == closes);
    REQUIRE(r.second.size() == 1);
    CHECK(r.second[0].h.opcode() == op::error);
    auto const v = parse_result(view(r.second[0].body));
    CHECK(std::string(v.text) == describe(why));
}

std::string ok_text(const std::pair<step, std::vector<msg>>& r)
{
    REQUIRE(r.second.size() == 1);
    REQUIRE(r.second[0].h.opcode() == op::ok);
    return std::string(parse_result(view(r.second[0].body)).text);
}

} // namespace

TEST_CASE("session: HELLO first, then login", "[axa][session]")
{
    directory d;
    session_config cfg;
    session s(cfg, d, 0x42);
    std::vector<std::uint8_t> tx(4096);
    out_buffer out({tx.data(), tx.size()});
    REQUIRE_FALSE(s.start(0s, 0, out).closing());
    auto const m = split(out.written());
    REQUIRE(m.size() == 1);
    CHECK(m[0].h.opcode() == op::hello);
    CHECK(m[0].h.pvers == 1);
    auto const h = parse_hello(view(m[0].body));
    CHECK(h.id == 0x42);
    CHECK(h.text.find("srad") != std::string_view::npos);
}

TEST_CASE("session: refusals keep the session", "[axa][session]")
{
    rig r;
    expect_error(r.send(r.empty(op::cget)), errc::not_logged_in, false);
    expect_error(r.send(r.channel(213, true)), errc::not_logged_in, false);
    expect_error(r.send(r.user("nobody")), errc::invalid_user, false);
    CHECK_FALSE(r.s.authorized());
    r.login();
    expect_error(r.send(r.user("tester")), errc::already_logged_in, false);
    expect_error(r.send(r.channel(212, true)), errc::channel_not_permitted, false);
    CHECK_FALSE(r.s.channel_on(212));
    for (auto o : {op::mgmt_get, op::aget, op::radu}) {
        expect_error(r.send(r.empty(o)), errc::not_supported, false);
    }
    expect_error(r.send(r.build([](out_buffer& o) { write_join(o, 0, 2, 1); })),
                 errc::not_supported, false);
    expect_error(r.send(r.empty(op::wget)), errc::no_watches, false);
    expect_error(r.send(r.empty(op::stop, 9)), errc::no_such_watch, false);
    auto const ch213 = from_hex("04000000d500");
    CHECK(ok_text(r.send(r.watch(1, ch213))) == "started");
    CHECK(ok_text(r.send(r.watch(5, from_hex("05000000")))) == "started");
    expect_error(r.send(r.watch(9, ch213)), errc::too_many_watches, false);
    CHECK(ok_text(r.send(r.watch(5, ch213))) == "started"); // replacing needs no room
    expect_error(r.send(r.empty(op::wget, 6)), errc::no_such_watch, false);
    expect_error(r.send(r.opt32(opt_type::sample, sample_all + 1)), errc::bad_option_value, false);
    expect_error(r.send(r.opt32(opt_type::sndbuf, 1023)), errc::bad_option_value, false);
    rlimit_fields bad{0, rlimit_na, 0, 0, rlimit_na};
    expect_error(r.send(r.build([&](out_buffer& o) { write_opt_rlimit(o, 0, 2, bad); })),
                 errc::bad_option_value, false);
    CHECK_FALSE(r.s.closed());

    rig n;
    n.send(n.user("nochan"));
    REQUIRE(n.s.authorized());
    expect_error(n.send(n.empty(op::cget)), errc::no_channels, false);
    for (auto e : n.reasons) {
        r.reasons.insert(e);
    }
    for (auto e = static_cast<int>(errc::not_logged_in);
         e <= static_cast<int>(errc::bad_option_value); ++e) {
        INFO("refusal " << to_string(static_cast<errc>(e)));
        CHECK(r.reasons.count(static_cast<errc>(e)) == 1);
        CHECK(is_refusal(static_cast<errc>(e)));
    }
}

TEST_CASE("session: malformed messages get ERROR and close", "[axa][session]")
{
    SECTION("a watch name that breaks the DNS rules")
    {
        rig r;
        r.login();
        bytes w{3, 0, 0, 0, 64};
        w.insert(w.end(), 64, 'a');
        w.push_back(0);
        expect_error(r.send(r.watch(1, w)), errc::watch_dns_label_type, true);
        CHECK(r.s.closed());
        // Nothing more is processed.
        auto const after = r.send(r.empty(op::nop));
        CHECK(after.first.closing());
        CHECK(after.second.empty());
    }
    SECTION("malformed before login closes too")
    {
        rig r;
        expect_error(r.send(r.watch(0, from_hex("04000000d500"))), errc::tag_missing, true);
    }
    SECTION("a channel outside 0..4095")
    {
        rig r;
        r.login();
        expect_error(r.send(r.channel(4096, true)), errc::channel_range, true);
    }
    SECTION("a server-only opcode from the client")
    {
        rig r;
        r.login();
        auto const m = r.build([](out_buffer& o) { write_result(o, op::ok, 0, 2, 0x85, "x"); });
        expect_error(r.send(m), errc::wrong_direction, true);
    }
    SECTION("an unknown option")
    {
        rig r;
        r.login();
        auto m = r.opt32(opt_type::trace, 1);
        m[8] = 7;
        expect_error(r.send(m), errc::opt_type, true);
    }
    SECTION("repeated bad logins")
    {
        rig r;
        expect_error(r.send(r.user("a")), errc::invalid_user, false);
        expect_error(r.send(r.user("b")), errc::invalid_user, false);
        expect_error(r.send(r.user("c")), errc::login_failures, true);
    }
}

TEST_CASE("session: requests after login", "[axa][session]")
{
    rig r;
    auto const login = r.send(r.user("SECRETKEY123"));
    // The label, never the API key, goes back to the client.
    CHECK(ok_text(login) == "apikey-user authorized");
    CHECK(login.first.changed == changed_login);

    CHECK(ok_text(r.send(r.channel(213, true))) == "channel ch213 on");
    CHECK(r.s.channel_on(213));
    CHECK_FALSE(r.s.channel_on(204));
    CHECK(ok_text(r.send(r.channel(ch_all, true))) == "all channels on");
    CHECK(r.s.channel_on(204));
    CHECK_FALSE(r.s.channel_on(212)); // "all" never exceeds the account
    auto const cget = r.send(r.empty(op::cget, 4));
    REQUIRE(cget.second.size() == 2);
    auto const c0 = parse_clist(view(cget.second[0].body));
    CHECK(c0.ch == 204);
    CHECK(c0.on);
    CHECK(c0.spec == "vlan204");
    CHECK(cget.second[0].h.tag == 4);
    CHECK(ok_text(r.send(r.channel(ch_all, false))) == "all channels off");
    CHECK_FALSE(r.s.channel_on(213));

    CHECK(ok_text(r.send(r.empty(op::pause))) == "output paused");
    CHECK(r.s.paused());
    CHECK(ok_text(r.send(r.empty(op::go))) == "output resumed");
    CHECK_FALSE(r.s.paused());

    r.send(r.watch(7, from_hex("05000000")));
    r.send(r.watch(3, from_hex("04000000d500")));
    REQUIRE(r.s.watches().size() == 2);
    CHECK(r.s.watches()[0].tag == 3); // kept in tag order
    auto const all = r.send(r.empty(op::wget));
    REQUIRE(all.second.size() == 2);
    CHECK(parse_wlist(view(all.second[0].body)).cur_tag == 3);
    CHECK(parse_wlist(view(all.second[1].body)).cur_tag == 7);
    auto const from4 = r.send(r.empty(op::wget, 4));
    REQUIRE(from4.second.size() == 1);
    CHECK(from4.second[0].h.tag == 4);
    CHECK(parse_wlist(view(from4.second[0].body)).cur_tag == 7);
    CHECK(ok_text(r.send(r.empty(op::stop, 3))) == "stopped");
    CHECK(r.s.watches().size() == 1);
    CHECK(ok_text(r.send(r.empty(op::all_stop))) == "all watches stopped");
    CHECK(r.s.watches().empty());

    // Options: set, then query.
    CHECK(ok_text(r.send(r.opt32(opt_type::trace, 3))) == "trace level set");
    CHECK(ok_text(r.send(r.opt32(opt_type::trace, trace_query))) == "trace level 3");
    auto const q = r.send(r.opt32(opt_type::sample, 0));
    REQUIRE(q.second.size() == 1);
    CHECK(parse_opt(view(q.second[0].body)).u32 == sample_all);
    auto const sb = r.send(r.opt32(opt_type::sndbuf, 0xFFFFFFFF));
    CHECK(parse_opt(view(sb.second[0].body)).u32 == r.cfg.max_sndbuf);
    r.s.set_rate_current(17);
    rlimit_fields off{rlimit_off, rlimit_na, 0, 0, rlimit_na};
    auto const rl = r.send(r.build([&](out_buffer& o) { write_opt_rlimit(o, 9, 2, off); }));
    REQUIRE(rl.second.size() == 1);
    CHECK(rl.second[0].h.tag == 9);
    auto const rv = parse_opt(view(rl.second[0].body));
    CHECK(rv.rlimit.max_pkts_per_sec == rlimit_off);
    CHECK(rv.rlimit.cur_pkts_per_sec == 17);
    CHECK(rv.rlimit.report_secs == 60);

    r.s.counters() = {5, 1, 4, 3, 2, 6};
    CHECK(ok_text(r.send(r.empty(op::acct))) ==
          "total-filtered=5 total-missed=1 total-collected=4 total-sent=3 "
          "total-ratelimited=2 total-congested=6");
    // NOP and a client HELLO are never answered; HELLO switches the reply version.
    CHECK(r.send(r.empty(op::nop)).second.empty());
    CHECK(r.s.reply_pvers() == 1);
    auto const hello = r.build([](out_buffer& o) { write_hello(o, 2, 7, 1, 2, "{}"); });
    CHECK(r.send(hello).second.empty());
    CHECK(r.s.reply_pvers() == 2);
    CHECK(r.s.client_hello_seen());
    CHECK(r.send(r.empty(op::pause)).second[0].h.pvers == 2);
}

TEST_CASE("session: timers", "[axa][session]")
{
    std::vector<std::uint8_t> tx(4096);
    SECTION("login deadline")
    {
        rig r;
        out_buffer a({tx.data(), tx.size()});
        CHECK_FALSE(r.s.tick(29s, 0, a).closing());
        out_buffer b({tx.data(), tx.size()});
        auto const st = r.s.tick(30s, 0, b);
        CHECK(st.closing());
        CHECK(st.reason == errc::login_timeout);
        CHECK(split(b.written())[0].h.opcode() == op::error);
    }
    SECTION("keepalive and idle close")
    {
        rig r;
        r.login(); // at 1 s
        out_buffer a({tx.data(), tx.size()});
        CHECK_FALSE(r.s.tick(30s, 0, a).closing());
        CHECK(a.size() == 0); // 29 s since the OK
        out_buffer b({tx.data(), tx.size()});
        r.s.tick(31s, 0, b);
        auto const nop = split(b.written());
        REQUIRE(nop.size() == 1);
        CHECK(nop[0].h.opcode() == op::nop);
        r.s.note_output(50s); // a WHIT went out
        out_buffer c({tx.data(), tx.size()});
        r.s.tick(79s, 0, c);
        CHECK(c.size() == 0);
        out_buffer d({tx.data(), tx.size()});
        auto const st = r.s.tick(121s, 0, d);
        CHECK(st.closing());
        CHECK(st.reason == errc::idle_timeout);
    }
    SECTION("report interval off: no MISSED")
    {
        rig r;
        r.login();
        rlimit_fields f{rlimit_na, rlimit_na, 0, 0, rlimit_off};
        r.send(r.build([&](out_buffer& o) { write_opt_rlimit(o, 0, 2, f); }));
        r.s.counters().filtered = 3;
        out_buffer a({tx.data(), tx.size()});
        r.s.tick(100s, 0, a);
        for (const auto& m : split(a.written())) {
            CHECK(m.h.opcode() != op::missed);
        }
    }
}

TEST_CASE("session: feed frames a byte stream", "[axa][session]")
{
    rig r;
    bytes stream = r.user("tester");
    auto const cget = r.empty(op::cget);
    stream.insert(stream.end(), cget.begin(), cget.end());
    auto const pause = r.empty(op::pause);
    stream.insert(stream.end(), pause.begin(), pause.begin() + 5); // partial

    out_buffer out({r.tx.data(), r.tx.size()});
    std::size_t used = 0;
    auto const st = r.s.feed(view(stream), 1s, out, used);
    CHECK_FALSE(st.closing());
    CHECK(used == 72 + 8);
    auto const replies = split(out.written());
    REQUIRE(replies.size() == 3); // OK, 2 CLIST
    CHECK(replies[0].h.opcode() == op::ok);

    SECTION("back-pressure: stops before a request when TX room is short")
    {
        std::vector<std::uint8_t> small(600);
        out_buffer o({small.data(), small.size()});
        std::size_t n = 0;
        auto const c = r.empty(op::cget); // 2 CLIST need 2070 bytes
        r.s.feed(view(c), 2s, o, n);
        CHECK(n == 0);
        CHECK(o.size() == 0);
        CHECK_FALSE(r.s.closed());
    }
    SECTION("a reply larger than the whole buffer closes with reply_overflow")
    {
        std::vector<std::uint8_t> small(600);
        out_buffer o({small.data(), small.size()});
        auto const c = r.empty(op::cget);
        auto const f = next_frame(view(c));
        auto const s2 = r.s.on_message(f.h, f.body, 2s, o);
        CHECK(s2.closing());
        CHECK(s2.reason == errc::reply_overflow);
    }
    SECTION("a header error closes")
    {
        bytes bad = from_hex("0800000000000383"); // pvers 3
        out_buffer o({r.tx.data(), r.tx.size()});
        std::size_t n = 0;
        auto const s2 = r.s.feed(view(bad), 2s, o, n);
        CHECK(s2.closing());
        CHECK(s2.reason == errc::bad_pvers);
        CHECK(split(o.written())[0].h.opcode() == op::error);
    }
}
