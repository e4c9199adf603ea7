// SPDX-License-Identifier: Apache-2.0
// privacy: the nmsgtool sensor golden vector (resolver zeroing), EDNS scrubbing (ECS, cookies)
// including across IP fragments, per-option switches, refusals, SipHash-2-4 and pseudonyms.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "axa/keys.hpp"
#include "axa_keys_util.hpp"
#include "pipeline/privacy.hpp"
#include "proto/nmsg/messages.hpp"
#include "pipeline/verify.hpp"
#include "proto/json/json_line.hpp"
#include "test_verify_util.hpp"

using namespace siehub;
using namespace siehub::pipeline;
using namespace siehub::pipeline::test;
using pc = privacy_counter;

namespace {

struct fixture {
    std::vector<golden_payload> golden = load_payloads("nmsg/dnsqr.nmsg");
    std::unique_ptr<privacy_scratch> scratch = std::make_unique<privacy_scratch>();
    std::unique_ptr<verify_scratch> vscratch = std::make_unique<verify_scratch>();
    privacy_counters c;
    bytes out = bytes(16384);
    std::size_t size = 0;

    pc scrub(core::byte_view msg, const privacy_options& o,
             std::optional<nmsg::udp_checksum> verdict = std::nullopt)
    {
        core::out_buffer ob(out);
        auto const r = scrub_dnsqr(msg, o, verdict, *scratch, ob, c);
        size = ob.size();
        return r;
    }
    [[nodiscard]] core::byte_view result() const { return {out.data(), size}; }
};

// Re-wraps a vendor message in the header of the payload it came from and renders it.
std::string render(const golden_payload& g, core::byte_view vendor)
{
    nmsg::payload_view const pv(g.payload);
    nmsg::payload_header h{pv.vid(),    pv.msgtype(),     pv.time_sec(), pv.time_nsec(),
                           pv.source(), pv.operator_id(), pv.group()};
    bytes buf(nmsg::payload_size(h, vendor));
    core::out_buffer ob(buf);
    nmsg::write_payload(ob, h, vendor);
    REQUIRE(ob.ok());
    std::string s;
    REQUIRE(json::render_json_line(core::byte_view(buf), s) == json::line_error::none);
    return s;
}

// Every EDNS option of every side of a DnsQR, after reassembly: fn(code, data).
template <class Fn> void for_each_option(core::byte_view msg, Fn&& fn)
{
    nmsg::dnsqr_view v(msg);
    REQUIRE(v.ok());
    auto sides = {collect(v.query_packet()), collect(v.response_packet())};
    for (auto const& side : sides) {
        if (side.empty()) {
            continue;
        }
        packet_set set;
        bytes buf(65536);
        REQUIRE(set.assemble(side, buf) == reasm_status::ok);
        net::udp_header u;
        REQUIRE(net::parse_udp(set.payload(), u) == net::errc::ok);
        auto m = std::make_unique<dns::message>();
        REQUIRE(m->parse(u.payload) == dns::errc::ok);
        auto it = m->edns_options();
        dns::edns_option o;
        while (it.next(o)) {
            fn(o.code, u.payload.subspan(o.data_off, o.len));
        }
    }
}

bool all_zero(core::byte_view b)
{
    for (auto x : b) {
        if (x != 0) {
            return false;
        }
    }
    return true;
}

} // namespace

TEST_CASE("privacy: counter table", "[privacy]")
{
    for (std::size_t i = 0; i < n_privacy_counters; ++i) {
        CHECK(std::string(privacy_counter_table[i].name).rfind("privacy.", 0) == 0);
    }
    CHECK(std::string(to_string(pc::fragmented)) == "privacy.fragmented");
}

TEST_CASE("privacy: resolver zeroing equals nmsgtool's sensor (dnsqr-sensor-rd0-zeroed)",
          "[privacy][golden]")
{
    fixture fx;
    auto const want = read_lines(testdata("nmsg/dnsqr-sensor-rd0-zeroed.jsonl"));
    auto const sensor = load_payloads("nmsg/dnsqr-sensor-rd0-zeroed.nmsg");
    REQUIRE(want.size() == 32);
    REQUIRE(sensor.size() == 32);
    privacy_options o;
    o.scrub_ecs = false;
    o.scrub_cookies = false;
    std::size_t k = 0;
    std::size_t same_bytes = 0;
    for (std::size_t i = 0; i < fx.golden.size(); ++i) {
        if (i == 14) {
            continue; // line 15: RD = 1, the sensor does not capture it
        }
        INFO("dnsqr.jsonl line " << i + 1 << ", sensor line " << k + 1);
        REQUIRE(fx.scrub(fx.golden[i].message, o) == pc::scrubbed);
        if (i == 12) {
            // IPv6 (line 13): nmsgtool zeroes the query packet's source *and destination* and
            // leaves the response packet's destination (the resolver) as it was: for IPv6 it
            // writes the response-side zeroing into the query packet. siehub follows sie.md §6
            // (query source, response destination). The sensor's bytes with that one
            // difference corrected must equal ours exactly.
            owned_dnsqr fixed(sensor[k].message);
            owned_dnsqr orig(fx.golden[i].message);
            std::copy(orig.qp[0].begin() + 24, orig.qp[0].begin() + 40, fixed.qp[0].begin() + 24);
            CHECK(fixed.rp[0] == orig.rp[0]); // the sensor left the resolver address there
            std::fill(fixed.rp[0].begin() + 24, fixed.rp[0].begin() + 40, 0);
            CHECK(copy(fx.result()) == fixed.encode());
            CHECK(render(fx.golden[i], fx.result()) != want[k]);
            ++k;
            continue;
        }
        CHECK(render(fx.golden[i], fx.result()) == want[k]);
        same_bytes += copy(fx.result()) == sensor[k].message;
        ++k;
    }
    CHECK(k == 32);
    // Field order follows the field numbers, as libnmsg writes: the bytes are identical too.
    CHECK(same_bytes == 31);
    CHECK(fx.c.get(pc::scrubbed) == 32);
    CHECK(fx.c.get(pc::resolver_zeroed) == 22); // 21 UDP_QUERY_RESPONSE + 1 unanswered
    CHECK(fx.c.get(pc::ecs_zeroed) == 0);
    CHECK(fx.c.get(pc::cookies_zeroed) == 0);
}

TEST_CASE("privacy: ECS and cookies zeroed in every packet, scrubbed payloads re-verify",
          "[privacy][golden]")
{
    fixture fx;
    verify_result vr;
    std::size_t cookies_before = 0;
    std::size_t cookies_after = 0;
    for (std::size_t i = 0; i < fx.golden.size(); ++i) {
        INFO("line " << i + 1);
        auto const& g = fx.golden[i];
        if (verify(input_of(g), {}, *fx.vscratch, vr) != verify_counter::accepted) {
            continue;
        }
        for_each_option(g.message, [&](std::uint16_t code, core::byte_view data) {
            if (code == dns::edns_code::cookie && !all_zero(data)) {
                ++cookies_before;
            }
        });
        REQUIRE(fx.scrub(g.message, {}, vr.checksum) == pc::scrubbed);
        for_each_option(fx.result(), [&](std::uint16_t code, core::byte_view data) {
            if (code == dns::edns_code::cookie) {
                ++cookies_after;
                CHECK(all_zero(data));
            }
            if (code == dns::edns_code::client_subnet) {
                REQUIRE(data.size() >= 4);
                CHECK(core::load_be16(data.data()) == 1); // family kept
                CHECK(all_zero(data.subspan(2)));
            }
        });
        // The scrubbed copy is still a valid transaction (addresses zeroed on both sides, the
        // sensor's checksum verdict kept).
        auto const scrubbed = copy(fx.result());
        REQUIRE(verify(input_of(g, scrubbed), {}, *fx.vscratch, vr) == verify_counter::accepted);
        CHECK(vr.checksum == nmsg::udp_checksum::correct);
        CHECK(all_zero(vr.query_ip));
        nmsg::dnsqr_view v(scrubbed);
        CHECK(v.resolver_address_zeroed() == true);
        if (i == 13) {
            std::string const before = render(g, g.message);
            std::string const after = render(g, scrubbed);
            CHECK(before.find("CLIENT-SUBNET: 198.51.100.0/24/0") != std::string::npos);
            CHECK(after.find("CLIENT-SUBNET: 198.51.100.0/24/0") == std::string::npos);
            CHECK(after.find("\"CLIENT-SUBNET: 0.0.0.0/0/0\"") != std::string::npos);
        }
    }
    CHECK(cookies_before > 30);
    CHECK(cookies_after == cookies_before);
    CHECK(fx.c.get(pc::ecs_zeroed) == 2); // line 14: query and response
    CHECK(fx.c.get(pc::cookies_zeroed) == cookies_before);
    CHECK(fx.c.get(pc::fragmented) == 1); // line 20's response
}

TEST_CASE("privacy: the fragmented response's cookie is zeroed across fragments", "[privacy]")
{
    fixture fx;
    auto const& g = fx.golden[19];
    REQUIRE(fx.scrub(g.message, {}) == pc::scrubbed);
    owned_dnsqr before(g.message);
    owned_dnsqr after(fx.result());
    REQUIRE(after.rp.size() == 2);
    // Only the resolver address (dst, 4 bytes) changes in the first fragment; the OPT record
    // sits in the second, whose cookie bytes are zeroed.
    std::size_t diff0 = 0;
    for (std::size_t j = 0; j < before.rp[0].size(); ++j) {
        diff0 += before.rp[0][j] != after.rp[0][j];
    }
    CHECK(diff0 <= 4);
    CHECK(before.rp[1] != after.rp[1]);
    CHECK(before.rp[1].size() == after.rp[1].size());
}

TEST_CASE("privacy: scrub_edns agrees with dns::scrub_edns_privacy", "[privacy]")
{
    fixture fx;
    for (std::size_t line : {1, 14, 17}) {
        owned_dnsqr d(fx.golden[line - 1].message);
        for (auto const* side : {&d.qp, &d.rp}) {
            bytes a = (*side)[0];
            bytes b = a;
            auto const off = dns_offset(a);
            auto m = std::make_unique<dns::message>();
            REQUIRE(m->parse(core::byte_view(a).subspan(off)) == dns::errc::ok);
            auto const n = scrub_edns(core::byte_span(a).subspan(off), *m, {});
            auto m2 = std::make_unique<dns::message>();
            REQUIRE(m2->parse(core::byte_view(b).subspan(off)) == dns::errc::ok);
            auto const n2 = dns::scrub_edns_privacy(core::byte_span(b).subspan(off), *m2);
            CHECK(n.ecs + n.cookies == n2);
            CHECK(a == b);
        }
    }
}

TEST_CASE("privacy: per-channel switches", "[privacy]")
{
    fixture fx;
    auto const& g = fx.golden[13]; // ECS + cookie
    auto count_nonzero = [](core::byte_view msg, std::uint16_t want) {
        std::size_t n = 0;
        for_each_option(msg, [&](std::uint16_t code, core::byte_view data) {
            if (code == want && !all_zero(want == 8 ? data.subspan(2) : data)) {
                ++n;
            }
        });
        return n;
    };
    REQUIRE(count_nonzero(g.message, 8) == 2);
    REQUIRE(count_nonzero(g.message, 10) == 2);
    privacy_options o;
    o.scrub_cookies = false;
    REQUIRE(fx.scrub(g.message, o) == pc::scrubbed);
    CHECK(count_nonzero(fx.result(), 8) == 0);
    CHECK(count_nonzero(fx.result(), 10) == 2);
    o = {};
    o.scrub_ecs = false;
    REQUIRE(fx.scrub(g.message, o) == pc::scrubbed);
    CHECK(count_nonzero(fx.result(), 8) == 2);
    CHECK(count_nonzero(fx.result(), 10) == 0);
    o = {};
    o.zero_resolver = false;
    REQUIRE(fx.scrub(g.message, o) == pc::scrubbed);
    nmsg::dnsqr_view v(fx.result());
    CHECK(copy(v.query_ip()) == bytes{198, 51, 100, 7});
    CHECK_FALSE(v.resolver_address_zeroed().has_value());
    owned_dnsqr d(fx.result());
    CHECK(d.qp[0][12] == 198);
    CHECK(d.rp[0][16] == 198);
}

TEST_CASE("privacy: udp_checksum verdict from verify when the field is absent", "[privacy]")
{
    fixture fx;
    owned_dnsqr d(fx.golden[0].message);
    d.udp_checksum.reset();
    auto const m = d.encode();
    REQUIRE(fx.scrub(m, {}, nmsg::udp_checksum::correct) == pc::scrubbed);
    CHECK(nmsg::dnsqr_view(fx.result()).udp_checksum() == 3);
    REQUIRE(fx.scrub(m, {}) == pc::scrubbed);
    CHECK_FALSE(nmsg::dnsqr_view(fx.result()).udp_checksum().has_value());
    // A present field is never overridden.
    REQUIRE(fx.scrub(fx.golden[0].message, {}, nmsg::udp_checksum::absent) == pc::scrubbed);
    CHECK(nmsg::dnsqr_view(fx.result()).udp_checksum() == 3);
}

TEST_CASE("privacy: refusals", "[privacy]")
{
    fixture fx;
    bytes junk = {0x08, 0x01, 0xff};
    CHECK(fx.scrub(junk, {}) == pc::bad_dnsqr);
    owned_dnsqr d(fx.golden[0].message);
    d.rp[0][dns_offset(d.rp[0]) + 7] += 1; // ANCOUNT one too many: the OPT cannot be located
    auto const m = d.encode();
    CHECK(fx.scrub(m, {}) == pc::unscrubbable);
    privacy_options only_zero;
    only_zero.scrub_ecs = false;
    only_zero.scrub_cookies = false;
    CHECK(fx.scrub(m, only_zero) == pc::scrubbed);
    owned_dnsqr t(fx.golden[0].message);
    t.qp[0].resize(10);
    auto const mt = t.encode();
    CHECK(fx.scrub(mt, only_zero) == pc::unparsable_packet);
    owned_dnsqr many(fx.golden[0].message);
    many.qs.resize(65, 1);
    auto const mm = many.encode();
    CHECK(fx.scrub(mm, {}) == pc::too_many_packets);
    // Output too small: refused, nothing appended.
    bytes small(40);
    core::out_buffer ob(small);
    CHECK(scrub_dnsqr(fx.golden[0].message, {}, std::nullopt, *fx.scratch, ob, fx.c) ==
          pc::out_of_space);
    CHECK(ob.size() == 0);
    CHECK(fx.c.get(pc::out_of_space) == 1);
    CHECK(fx.c.get(pc::unscrubbable) == 1);
}

TEST_CASE("siphash24: reference vectors (SipHash paper, appendix A; vectors.h)", "[privacy]")
{
    std::array<std::uint8_t, 16> kb{};
    for (std::size_t i = 0; i < 16; ++i) {
        kb[i] = static_cast<std::uint8_t>(i);
    }
    auto const key = siphash_key::from_bytes(kb);
    bytes msg(64);
    for (std::size_t i = 0; i < msg.size(); ++i) {
        msg[i] = static_cast<std::uint8_t>(i);
    }
    auto h = [&](std::size_t n) { return siphash24(key, core::byte_view(msg).first(n)); };
    CHECK(h(15) == 0xa129ca6149be45e5ULL); // the paper's worked example
    CHECK(h(0) == 0x726fdb47dd0e0e31ULL);
    CHECK(h(1) == 0x74f839c593dc67fdULL);
    CHECK(h(7) == 0xab0200f58b01d137ULL);
    CHECK(h(8) == 0x93f5f5799a932462ULL);
    CHECK(h(63) == 0x958a324ceb064572ULL);
}

TEST_CASE("pseudonym: keyed, stable, distinct", "[privacy]")
{
    siphash_key const k1{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    siphash_key const k2{0x0706050403020100ULL, 0x0f0e0d0c0b0a0909ULL};
    std::uint32_t const a = pseudonym(k1, std::uint32_t{0xa1b2c3d4});
    CHECK(a == pseudonym(k1, std::uint32_t{0xa1b2c3d4}));
    CHECK(a != pseudonym(k2, std::uint32_t{0xa1b2c3d4}));
    CHECK(a != pseudonym(k1, std::uint32_t{0xa1b2c3d5}));
    std::uint8_t const le[4] = {0xd4, 0xc3, 0xb2, 0xa1};
    CHECK(a == pseudonym(k1, core::byte_view(le, 4)));
    std::uint64_t const h = siphash24(k1, core::byte_view(le, 4));
    CHECK(a == static_cast<std::uint32_t>(h ^ (h >> 32)));
    CHECK(a != 0xa1b2c3d4u);
}

// The in-place way (copy + patch) against decode + re-encode: for every golden DnsQR, every
// option combination and verdict, the same outcome, the same counters and the same bytes.
TEST_CASE("privacy: in-place scrub equals decode and re-encode", "[privacy]")
{
    fixture fx;
    auto inputs = fx.golden;
    for (auto& g : load_payloads("nmsg/dnsqr-sensor-rd0-zeroed.nmsg")) {
        inputs.push_back(std::move(g)); // resolver_address_zeroed present: the re-encode way
    }
    std::size_t in_place_eligible = 0;
    for (int mask = 0; mask < 8; ++mask) {
        for (auto verdict : {std::optional<nmsg::udp_checksum>{},
                             std::optional<nmsg::udp_checksum>{nmsg::udp_checksum::correct}}) {
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                INFO("input " << i << " options " << mask);
                privacy_options fast{(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, true};
                privacy_options slow = fast;
                slow.in_place = false;
                fixture a;
                fixture b;
                auto const ra = a.scrub(inputs[i].message, fast, verdict);
                auto const rb = b.scrub(inputs[i].message, slow, verdict);
                REQUIRE(ra == rb);
                CHECK(copy(a.result()) == copy(b.result()));
                CHECK(a.c.v == b.c.v);
                nmsg::dnsqr_view const v(inputs[i].message);
                if (i < fx.golden.size()) {
                    in_place_eligible += v.canonical() && !v.resolver_address_zeroed();
                }
            }
        }
    }
    CHECK(in_place_eligible == 16 * fx.golden.size()); // every sensor-side golden input
}

TEST_CASE("privacy: a DnsQR with an unknown field is re-encoded without it", "[privacy]")
{
    fixture fx;
    bytes msg = copy(fx.golden[0].message);
    // Field 99 (varint 7) appended: not canonical for the schema, so the in-place way is not
    // taken and the unknown bytes never reach a channel.
    for (std::uint8_t b : {std::uint8_t{0x98}, std::uint8_t{0x06}, std::uint8_t{0x07}}) {
        msg.push_back(b);
    }
    nmsg::dnsqr_view const v(msg);
    REQUIRE(v.ok());
    CHECK_FALSE(v.canonical());
    REQUIRE(fx.scrub(msg, {}) == pc::scrubbed);
    bytes const with_unknown = copy(fx.result());
    REQUIRE(fx.scrub(fx.golden[0].message, {}) == pc::scrubbed);
    CHECK(with_unknown == copy(fx.result()));
}

TEST_CASE("privacy: the response as verify parsed it scrubs exactly as a second parse does",
          "[privacy][golden]")
{
    // The data plane hands scrub_dnsqr verify's reassembly and parse of the response
    // (parsed_side) instead of letting it parse the response packets again: same bytes, same
    // counters, for both ways of writing the copy and for the fragmented response (line 20).
    fixture fx;
    verify_result vr;
    std::size_t accepted = 0;
    for (bool const in_place : {true, false}) {
        privacy_options o;
        o.in_place = in_place;
        privacy_counters c_reused;
        privacy_counters c_parsed;
        for (std::size_t i = 0; i < fx.golden.size(); ++i) {
            INFO("line " << i + 1 << (in_place ? " in place" : " re-encoded"));
            auto const& g = fx.golden[i];
            if (verify(input_of(g), {}, *fx.vscratch, vr) != verify_counter::accepted) {
                continue;
            }
            ++accepted;
            REQUIRE(vr.response_set != nullptr);
            REQUIRE(vr.message != nullptr);
            bytes reused(16384);
            core::out_buffer ob(reused);
            auto const r1 = scrub_dnsqr(*vr.dnsqr, o, vr.checksum, *fx.scratch, ob, c_reused,
                                        {vr.response_set, vr.message});
            bytes parsed(16384);
            core::out_buffer ob2(parsed);
            auto const r2 = scrub_dnsqr(nmsg::dnsqr_view(g.message), o, vr.checksum, *fx.scratch,
                                        ob2, c_parsed);
            CHECK(r1 == r2);
            CHECK(copy(ob.written()) == copy(ob2.written()));
        }
        for (std::size_t k = 0; k < n_privacy_counters; ++k) {
            auto const pk = static_cast<pc>(k);
            INFO(to_string(pk));
            CHECK(c_reused.get(pk) == c_parsed.get(pk));
        }
        CHECK(c_reused.get(pc::fragmented) == 1);
    }
    CHECK(accepted > 30);
}

// The data plane matches a relayed DnsQR's AXA keys from verify's view of the payload it
// received (axa::dnsqr_keys), not from the scrubbed copy it emits: for every golden input
// and privacy option, both give the same names and addresses, byte for byte.
TEST_CASE("privacy: AXA keys from the received view equal those of the scrubbed copy", "[privacy][axa]")
{
    fixture fx;
    auto inputs = fx.golden;
    for (auto& g : load_payloads("nmsg/dnsqr-sensor-rd0-zeroed.nmsg")) {
        inputs.push_back(std::move(g));
    }
    std::size_t compared = 0;
    std::size_t zeroed = 0;
    for (int mask = 0; mask < 16; ++mask) {
        privacy_options o{(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, (mask & 8) != 0};
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            INFO("input " << i << " options " << mask);
            fixture a;
            if (a.scrub(inputs[i].message, o) != pc::scrubbed) {
                continue;
            }
            axa::payload_keys want;
            REQUIRE(axa::extract_keys(axa::vid_base, axa::msgtype_dnsqr, a.result(), want));
            nmsg::dnsqr_view const v(inputs[i].message);
            axa::payload_keys got;
            axa::dnsqr_keys(v, o.zero_resolver, got);
            require_same_keys(got, want);
            for (std::size_t n = 0; n < got.n_ips; ++n) {
                auto const q = v.query_ip();
                zeroed += o.zero_resolver && got.ips[n].field_idx == 1 &&
                          std::any_of(q.begin(), q.end(), [](std::uint8_t b) { return b != 0; });
            }
            compared += got.n_names + got.n_ips;
        }
    }
    CHECK(compared > 100);
    CHECK(zeroed > 0); // some query address was really zeroed in the copy
}
