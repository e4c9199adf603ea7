// SPDX-License-Identifier: Apache-2.0
// The compiled watch matcher (lib/axa/matcher.hpp) against a naive reference.

#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "axa/keys.hpp"
#include "axa/matcher.hpp"
#include "axa/message.hpp"
#include "proto/dns/name.hpp"

using namespace siehub::axa;
using siehub::core::out_buffer;

namespace {

std::vector<std::uint8_t> wire(std::string_view text)
{
    std::array<std::uint8_t, 255> buf{};
    auto const r = siehub::dns::from_text(text, buf);
    REQUIRE(r.ok());
    return {buf.begin(), buf.begin() + r.wire_len};
}

watch_entry make_watch(std::uint16_t tag, watch_type t, std::uint8_t prefix, std::uint8_t flags,
                       const std::vector<std::uint8_t>& pat)
{
    watch_entry e;
    e.tag = tag;
    out_buffer o(e.bytes);
    write_watch(o, t, prefix, flags, pat);
    e.len = static_cast<std::uint16_t>(o.size());
    REQUIRE(e.view().ok());
    return e;
}

} // namespace

TEST_CASE("matcher: dns exact and suffix, case-insensitive, at label boundaries", "[axa][matcher]")
{
    std::bitset<ch_max + 1> on;
    on.set(204);
    std::vector<watch_entry> w0{make_watch(3, watch_type::dns, 0, watch_flag_wild, wire("Example.COM.")),
                                make_watch(7, watch_type::dns, 0, 0, wire("www.example.com."))};
    std::vector<watch_entry> w1{make_watch(1, watch_type::dns, 0, 0, wire("www.example.com."))};
    std::vector<watch_entry> w2{make_watch(9, watch_type::dns, 0, watch_flag_wild, wire("."))};
    std::vector<client_watches> cw{{0, w0, &on}, {1, w1, &on}, {2, w2, &on}};
    auto g = match_generation::build(cw, 3);
    match_scratch s(3);
    payload_keys k;
    k.ch = 204;
    auto check = [&](std::string_view name, std::vector<std::pair<std::uint32_t, std::uint16_t>> want) {
        auto const n = wire(name);
        k.clear();
        k.add_name(n, 8, 0);
        auto hits = g->match(k, s);
        std::vector<std::pair<std::uint32_t, std::uint16_t>> got;
        for (auto h : hits) {
            got.emplace_back(h.client, h.tag);
        }
        std::sort(got.begin(), got.end());
        CHECK(got == want);
    };
    check("WWW.example.com.", {{0, 3}, {1, 1}, {2, 9}}); // client 0: lowest of tags 3 and 7
    check("example.com.", {{0, 3}, {2, 9}});
    check("a.b.example.com.", {{0, 3}, {2, 9}});
    check("badexample.com.", {{2, 9}});
    check("com.", {{2, 9}});
    k.ch = 213; // channel not switched on
    check("www.example.com.", {});
}

TEST_CASE("matcher: ip prefixes, ch=, errors and the channel gate", "[axa][matcher]")
{
    std::bitset<ch_max + 1> on204, on213;
    on204.set(204);
    on213.set(213);
    std::vector<watch_entry> w0{make_watch(2, watch_type::ipv4, 24, 1, {192, 0, 2, 0}),
                                make_watch(4, watch_type::ipv4, 32, 0, {192, 0, 2, 7}),
                                make_watch(5, watch_type::ipv6, 32, 1, {0x20, 0x01, 0x0d, 0xb8})};
    std::vector<watch_entry> w1{make_watch(6, watch_type::ch, 0, 0, {213, 0}),
                                make_watch(8, watch_type::errors, 0, 0, {})};
    std::vector<client_watches> cw{{0, w0, &on204}, {1, w1, &on213}};
    auto g = match_generation::build(cw, 2);
    match_scratch s(2);
    payload_keys k;
    k.ch = 204;
    std::vector<std::uint8_t> a1{192, 0, 2, 7}, a2{192, 0, 3, 7};
    std::vector<std::uint8_t> a6(16, 0);
    a6[0] = 0x20, a6[1] = 0x01, a6[2] = 0x0d, a6[3] = 0xb8, a6[15] = 1;
    k.clear();
    k.add_ip(a1, 6, 0);
    auto h = g->match(k, s);
    REQUIRE(h.size() == 1);
    CHECK(h[0].tag == 2);
    CHECK(h[0].field_idx == 6);
    k.clear();
    k.add_ip(a2, 6, 0);
    CHECK(g->match(k, s).empty());
    k.clear();
    k.add_ip(a6, 12, 3);
    h = g->match(k, s);
    REQUIRE(h.size() == 1);
    CHECK(h[0].tag == 5);
    CHECK(h[0].val_idx == 3);
    k.ch = 213;
    k.clear();
    k.add_ip(a1, 6, 0);
    h = g->match(k, s);
    REQUIRE(h.size() == 1); // client 1's ch=213 only; client 0 has 213 off
    CHECK(h[0].client == 1);
    CHECK(h[0].field_idx == field_idx_dark);
    k.error = true;
    h = g->match(k, s);
    REQUIRE(h.size() == 1);
    CHECK(h[0].tag == 6);
}

TEST_CASE("matcher: random prefixes agree with a naive scan", "[axa][matcher]")
{
    std::mt19937 rng(42);
    std::bitset<ch_max + 1> on;
    on.set(1);
    constexpr std::uint32_t clients = 50;
    std::vector<std::vector<watch_entry>> ws(clients);
    struct pfx {
        std::uint32_t c, lo, hi;
        std::uint16_t tag;
    };
    std::vector<pfx> all;
    for (std::uint32_t c = 0; c < clients; ++c) {
        for (std::uint16_t t = 1; t <= 20; ++t) {
            std::uint8_t const len = static_cast<std::uint8_t>(8 + rng() % 25);
            std::uint32_t a = rng() & 0x0fffffff; // keep them clustered so they nest
            std::uint32_t const mask = len >= 32 ? ~0u : ~((1u << (32 - len)) - 1);
            a &= mask;
            std::vector<std::uint8_t> p{static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                                        static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
            ws[c].push_back(make_watch(t, watch_type::ipv4, len, len < 32 ? 1 : 0, p));
            all.push_back({c, a, a | ~mask, t});
        }
    }
    std::vector<client_watches> cw;
    for (std::uint32_t c = 0; c < clients; ++c) {
        cw.push_back({c, ws[c], &on});
    }
    auto g = match_generation::build(cw, clients);
    match_scratch s(clients);
    payload_keys k;
    k.ch = 1;
    for (int i = 0; i < 20000; ++i) {
        std::uint32_t a = i % 2 ? all[rng() % all.size()].lo + (rng() % 256) : rng() & 0x0fffffff;
        std::vector<std::uint8_t> b{static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                                    static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
        k.clear();
        k.add_ip(b, 1, 0);
        std::map<std::uint32_t, std::uint16_t> want;
        for (const auto& p : all) {
            if (a >= p.lo && a <= p.hi) {
                auto it = want.find(p.c);
                if (it == want.end() || p.tag < it->second) {
                    want[p.c] = p.tag;
                }
            }
        }
        std::map<std::uint32_t, std::uint16_t> got;
        for (auto h : g->match(k, s)) {
            got[h.client] = h.tag;
        }
        REQUIRE(got == want);
    }
}

TEST_CASE("keys: dnsdedupe rdata names and addresses", "[axa][matcher]")
{
    payload_keys k;
    auto const soa = [] {
        auto m = wire("ns1.example.com.");
        auto r = wire("hostmaster.example.com.");
        m.insert(m.end(), r.begin(), r.end());
        for (int i = 0; i < 20; ++i) {
            m.push_back(0);
        }
        return m;
    }();
    rdata_keys(6, soa, 12, 2, k);
    REQUIRE(k.n_names == 2);
    CHECK(k.names[1].len == wire("hostmaster.example.com.").size());
    CHECK(k.names[1].val_idx == 2);
    auto mx = wire("mx.example.com.");
    mx.insert(mx.begin(), {0, 10});
    rdata_keys(15, mx, 12, 0, k);
    CHECK(k.n_names == 3);
    std::vector<std::uint8_t> a{192, 0, 2, 1};
    rdata_keys(1, a, 12, 0, k);
    CHECK(k.n_ips == 1);
    std::vector<std::uint8_t> bad{0xc0, 0x0c}; // a pointer: not an uncompressed name
    rdata_keys(5, bad, 12, 0, k);
    CHECK(k.n_names == 3);
}
