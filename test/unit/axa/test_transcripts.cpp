// SPDX-License-Identifier: Apache-2.0
// Replays the client side of the real sratool / sratunnel 3.0.2 transcripts through the codec
// and the session, and compares what the session answers with the server side the real tools
// accepted, field by field (spec/axa.md §3, §4, §7, §8).
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "axa/message.hpp"
#include "axa/session.hpp"
#include "axa_test_util.hpp"

using namespace siehub::axa;
using namespace axa_test;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t transcript_wall = 0x6b035f3f; // MISSED last_report in sratool's capture

directory make_directory()
{
    directory d;
    d.add_channel(204, "vlan204");
    d.add_channel(212, "vlan212");
    d.add_channel(213, "vlan213");
    std::array<std::uint16_t, 3> chans{204, 212, 213};
    d.add_account("tester", chans);
    return d;
}

session_config make_config()
{
    session_config c;
    // The responder's text, so that our HELLO can be compared byte for byte.
    c.server_text = "srad v3.0.0 siehub-test supporting AXA protocols v1 to v2; currently using v1";
    return c;
}

bool is_data_plane(std::uint8_t o)
{
    return o == static_cast<std::uint8_t>(op::whit) || o == static_cast<std::uint8_t>(op::missed) ||
           o == static_cast<std::uint8_t>(op::nop);
}

// Compares one reply of ours with the transcript's, field by field.
void compare_reply(const msg& ours, const msg& theirs, const std::string& context)
{
    INFO(context << " op " << op_name(theirs.h.op));
    CHECK(check_message(direction::to_client, ours.h, view(ours.body)) == errc::ok);
    REQUIRE(ours.h.op == theirs.h.op);
    CHECK(ours.h.tag == theirs.h.tag);
    CHECK(ours.h.pvers == theirs.h.pvers);
    switch (static_cast<op>(theirs.h.op)) {
    case op::ok:
    case op::error: {
        auto const a = parse_result(view(ours.body));
        auto const b = parse_result(view(theirs.body));
        REQUIRE(a.err == errc::ok);
        REQUIRE(b.err == errc::ok);
        CHECK(a.orig_op == b.orig_op);
        std::string expected(b.text);
        if (b.orig_op == static_cast<std::uint8_t>(op::acct)) {
            // The responder repeated the op name, which sratool then prints twice
            // ("OK ACCOUNTING ACCOUNTING ..."); the spec says the text must not repeat it.
            std::string const dup = "ACCOUNTING ";
            REQUIRE(expected.rfind(dup, 0) == 0);
            expected = expected.substr(dup.size());
        }
        CHECK(std::string(a.text) == expected);
        break;
    }
    case op::opt: {
        auto const a = parse_opt(view(ours.body));
        auto const b = parse_opt(view(theirs.body));
        REQUIRE(a.err == errc::ok);
        REQUIRE(b.err == errc::ok);
        CHECK(a.type == b.type);
        if (a.type == opt_type::rlimit) {
            CHECK(a.rlimit.max_pkts_per_sec == b.rlimit.max_pkts_per_sec);
            CHECK(a.rlimit.cur_pkts_per_sec == b.rlimit.cur_pkts_per_sec);
            CHECK(a.rlimit.unused1 == b.rlimit.unused1);
            CHECK(a.rlimit.unused2 == b.rlimit.unused2);
            // The responder echoed NA when the client left report_secs unchanged (sratunnel);
            // siehub reports the effective interval (§7), 60 s by default.
            if (b.rlimit.report_secs == rlimit_na) {
                CHECK(a.rlimit.report_secs == 60);
            } else {
                CHECK(a.rlimit.report_secs == b.rlimit.report_secs);
            }
        } else {
            CHECK(a.u32 == b.u32);
            CHECK(ours.wire == theirs.wire);
        }
        break;
    }
    default:
        // HELLO, CLIST, WLIST: byte for byte.
        CHECK(ours.wire == theirs.wire);
        break;
    }
}

struct replay_result {
    std::size_t compared = 0;
    std::size_t client_messages = 0;
    std::size_t data_plane_checked = 0;
};

replay_result replay(const std::string& file)
{
    auto const recs = load_transcript(file);
    REQUIRE(recs.size() > 10);
    auto const dir = make_directory();
    auto const cfg = make_config();
    session s(cfg, dir, 1);
    std::vector<std::uint8_t> tx(256 * 1024);
    replay_result rr;

    // The server speaks first.
    siehub::core::out_buffer out({tx.data(), tx.size()});
    auto const st = s.start(0s, transcript_wall, out);
    REQUIRE(!st.closing());
    auto ours = split(out.written());
    REQUIRE(ours.size() == 1);
    REQUIRE_FALSE(recs[0].to_server);
    compare_reply(ours[0], split(view(recs[0].wire))[0], file + " HELLO");
    ++rr.compared;

    auto t = 1s;
    std::size_t i = 1;
    while (i < recs.size()) {
        if (!recs[i].to_server) {
            // Server messages the session does not produce by itself (WHIT, MISSED, NOP come
            // from the data plane and the timers): check them with the client's rules and that
            // our writers reproduce them exactly.
            auto const m = split(view(recs[i].wire))[0];
            INFO(file << " record " << i << " " << recs[i].op_name);
            REQUIRE(is_data_plane(m.h.op));
            CHECK(check_message(direction::to_client, m.h, view(m.body)) == errc::ok);
            std::vector<std::uint8_t> buf(m.wire.size() + 16);
            siehub::core::out_buffer w({buf.data(), buf.size()});
            if (m.h.op == static_cast<std::uint8_t>(op::whit)) {
                auto const v = parse_whit(view(m.body));
                REQUIRE(v.err == errc::ok);
                CHECK(v.type == whit_type::nmsg);
                CHECK(v.nmsg.ch == 213);
                CHECK(v.nmsg.field_idx == field_idx_dark);
                CHECK(v.data.size() > 10);
                REQUIRE(write_whit_nmsg(w, m.h.tag, m.h.pvers, v.nmsg, v.data));
            } else if (m.h.op == static_cast<std::uint8_t>(op::missed)) {
                auto const v = parse_missed(view(m.body));
                REQUIRE(v.err == errc::ok);
                REQUIRE(write_missed(w, m.h.pvers, v.f));
            } else {
                REQUIRE(write_empty(w, op::nop, m.h.tag, m.h.pvers));
            }
            CHECK(bytes(w.written().begin(), w.written().end()) == m.wire);
            ++rr.data_plane_checked;
            ++i;
            continue;
        }
        auto const req = split(view(recs[i].wire))[0];
        INFO(file << " record " << i << " " << recs[i].op_name << " tag " << req.h.tag);
        CHECK(check_message(direction::to_server, req.h, view(req.body)) == errc::ok);
        ++rr.client_messages;
        if (req.h.op == static_cast<std::uint8_t>(op::acct)) {
            // The totals the responder reported.
            s.counters() = {};
            s.counters().filtered = 5;
            s.counters().collected = 5;
            s.counters().sent = 5;
        }
        siehub::core::out_buffer o({tx.data(), tx.size()});
        auto const step = s.on_message(req.h, view(req.body), t, o);
        CHECK(step.reason == errc::ok);
        CHECK_FALSE(step.closing());
        ours = split(o.written());
        // The transcript's replies to this request: the server messages up to the next
        // request, less the data-plane ones.
        std::vector<msg> theirs;
        std::size_t j = i + 1;
        for (; j < recs.size() && !recs[j].to_server; ++j) {
            auto const m = split(view(recs[j].wire))[0];
            if (!is_data_plane(m.h.op)) {
                theirs.push_back(m);
            }
        }
        REQUIRE(ours.size() == theirs.size());
        for (std::size_t k = 0; k < ours.size(); ++k) {
            compare_reply(ours[k], theirs[k], file + " reply to " + recs[i].op_name);
            ++rr.compared;
        }
        // Data-plane records in that range are checked by the branch above.
        ++i;
        while (i < j) {
            auto const m = split(view(recs[i].wire))[0];
            if (is_data_plane(m.h.op)) {
                break;
            }
            ++i;
        }
        t += 1s;
    }
    CHECK(s.authorized());
    CHECK(s.reply_pvers() == 2);
    return rr;
}

} // namespace

TEST_CASE("sratool transcript: every reply matches the accepted server side", "[axa][transcript]")
{
    auto const rr = replay("axa/sratool.transcript.txt");
    // USER CGET WATCH x6 WGET OPT x4 ACCT STOP PAUSE GO CHANNEL HELLO.
    CHECK(rr.client_messages == 19);
    // HELLO, OK(USER), 3 CLIST, 6 OK, 6 WLIST, 3 OPT, OK(trace), OK(ACCT), 4 OK.
    CHECK(rr.compared == 1 + 1 + 3 + 6 + 6 + 3 + 1 + 1 + 4);
    CHECK(rr.data_plane_checked == 7); // 5 WHIT, MISSED, NOP
}

TEST_CASE("sratunnel transcript: every reply matches the accepted server side", "[axa][transcript]")
{
    auto const rr = replay("axa/sratunnel.transcript.txt");
    // USER HELLO OPT x3 PAUSE WATCH x2 CHANNEL GO ACCT x2.
    CHECK(rr.client_messages == 12);
    CHECK(rr.compared == 1 + 1 + 3 + 1 + 2 + 1 + 1 + 2);
    CHECK(rr.data_plane_checked == 5);
}

TEST_CASE("sratool transcript: the MISSED report the timers produce", "[axa][transcript]")
{
    auto const recs = load_transcript("axa/sratool.transcript.txt");
    msg expected;
    for (const auto& r : recs) {
        if (r.op_name == "MISSED") {
            expected = split(view(r.wire))[0];
        }
    }
    REQUIRE(expected.h.op == static_cast<std::uint8_t>(op::missed));

    auto const dir = make_directory();
    auto const cfg = make_config();
    session s(cfg, dir, 1);
    std::vector<std::uint8_t> tx(64 * 1024);
    siehub::core::out_buffer out({tx.data(), tx.size()});
    s.start(0s, transcript_wall, out);
    // Log in and announce protocol 2 as the client does, then count 7 hits, 2 rate-limited.
    std::vector<std::uint8_t> in(1024);
    siehub::core::out_buffer req({in.data(), in.size()});
    write_user(req, 0, 1, "tester");
    write_hello(req, 2, 1, 1, 2, "{}");
    std::size_t used = 0;
    s.feed(req.written(), 1s, out, used);
    REQUIRE(used == req.size());
    s.counters().filtered = 7;
    s.counters().rlimit = 2;

    siehub::core::out_buffer t1({tx.data(), tx.size()});
    s.tick(59s, transcript_wall + 59, t1); // within the 60 s report interval: no MISSED
    auto const keepalive = split(t1.written());
    REQUIRE(keepalive.size() == 1); // but 58 s of silence towards the client: a NOP
    CHECK(keepalive[0].h.op == static_cast<std::uint8_t>(op::nop));
    CHECK(keepalive[0].h.pvers == 2);
    siehub::core::out_buffer t2({tx.data(), tx.size()});
    s.tick(60s, transcript_wall + 60, t2);
    auto const ours = split(t2.written());
    REQUIRE(ours.size() == 1);
    CHECK(ours[0].wire == expected.wire);
    // Nothing changed since: the next interval sends no MISSED.
    siehub::core::out_buffer t3({tx.data(), tx.size()});
    s.tick(121s - 2s, transcript_wall + 119, t3);
    for (const auto& m : split(t3.written())) {
        CHECK(m.h.op != static_cast<std::uint8_t>(op::missed));
    }
}
