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

// One generation of every client's watches (client c holds ws[c]), all with the channels `on`.
std::shared_ptr<const match_generation> build_all(const std::vector<std::vector<watch_entry>>& ws,
                                                  const std::bitset<ch_max + 1>& on)
{
    std::vector<client_watches> cw;
    for (std::uint32_t c = 0; c < ws.size(); ++c) {
        cw.push_back({c, ws[c], &on});
    }
    return match_generation::build(cw, ws.size());
}

// What a naive scan expects per client: the lowest matching tag.
using tags_by_client = std::map<std::uint32_t, std::uint16_t>;
void keep_lowest(tags_by_client& want, std::uint32_t client, std::uint16_t tag)
{
    auto const it = want.find(client);
    if (it == want.end() || tag < it->second) {
        want[client] = tag;
    }
}

// What the generation reports: each client once, with its tag.
tags_by_client hits_of(const match_generation& g, const payload_keys& k, match_scratch& s)
{
    tags_by_client got;
    for (auto h : g.match(k, s)) {
        REQUIRE(got.count(h.client) == 0);
        got[h.client] = h.tag;
    }
    return got;
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
    auto g = build_all(ws, on);
    match_scratch s(clients);
    payload_keys k;
    k.ch = 1;
    for (int i = 0; i < 20000; ++i) {
        std::uint32_t a = i % 2 ? all[rng() % all.size()].lo + (rng() % 256) : rng() & 0x0fffffff;
        std::vector<std::uint8_t> b{static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                                    static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
        k.clear();
        k.add_ip(b, 1, 0);
        tags_by_client want;
        for (const auto& p : all) {
            if (a >= p.lo && a <= p.hi) {
                keep_lowest(want, p.c, p.tag);
            }
        }
        REQUIRE(hits_of(*g, k, s) == want);
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

namespace {

// A random wire name: `labels` labels of 1..maxlen bytes from a small alphabet (so that
// watch names and payload names share suffixes), in random case.
std::vector<std::uint8_t> random_name(std::mt19937& rng, std::size_t labels, std::size_t maxlen)
{
    static constexpr char alpha[] = "abAB0-";
    std::vector<std::uint8_t> n;
    for (std::size_t l = 0; l < labels; ++l) {
        std::size_t const len = 1 + rng() % maxlen;
        n.push_back(static_cast<std::uint8_t>(len));
        for (std::size_t i = 0; i < len; ++i) {
            n.push_back(static_cast<std::uint8_t>(alpha[rng() % 6]));
        }
    }
    n.push_back(0);
    return n;
}

std::vector<std::size_t> label_offsets_of(const std::vector<std::uint8_t>& n)
{
    std::vector<std::size_t> offs;
    for (std::size_t o = 0; n[o] != 0; o += n[o] + 1u) {
        offs.push_back(o);
    }
    return offs;
}

std::vector<std::uint8_t> upper(std::vector<std::uint8_t> n)
{
    for (auto& c : n) {
        c = static_cast<std::uint8_t>(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    return n;
}

} // namespace

TEST_CASE("matcher: one-pass suffix hashes equal the whole-name hash of each suffix", "[axa][matcher]")
{
    std::bitset<ch_max + 1> on;
    on.set(1);
    std::vector<watch_entry> w{make_watch(1, watch_type::dns, 0, 0, wire("example.com."))};
    std::vector<client_watches> cw{{0, w, &on}};
    auto g = match_generation::build(cw, 1);
    auto g2 = match_generation::build(cw, 1);
    std::mt19937 rng(11);
    std::array<std::uint64_t, 128> whole{}, part{}, up{}, other{};
    std::map<std::uint64_t, std::vector<std::uint8_t>> seen; // distinct lower-case names
    for (int iter = 0; iter < 3000; ++iter) {
        // 1..12 labels of up to 3, 9 or 40 bytes: words shorter than, across and beyond 8 bytes.
        std::size_t const maxlen = std::array<std::size_t, 3>{3, 9, 40}[rng() % 3];
        auto const n = random_name(rng, 1 + rng() % 12, maxlen);
        if (n.size() > 255) {
            continue;
        }
        auto const offs = label_offsets_of(n);
        std::size_t const labels = g->suffix_hashes(n, whole);
        REQUIRE(labels == offs.size());
        for (std::size_t k = 0; k <= labels; ++k) {
            // The suffix of the last k labels as a name of its own, copied so that its
            // buffer ends where it ends.
            std::size_t const off = k == labels ? 0 : (k == 0 ? n.size() - 1 : offs[labels - k]);
            std::vector<std::uint8_t> const suf(n.begin() + static_cast<long>(off), n.end());
            REQUIRE(g->suffix_hashes(suf, part) == k);
            CHECK(part[k] == whole[k]);
        }
        REQUIRE(g->suffix_hashes(upper(n), up) == labels);
        for (std::size_t k = 0; k <= labels; ++k) {
            CHECK(up[k] == whole[k]); // case-insensitive
            CHECK((whole[k] & 1) == 1); // never the empty-slot 0
        }
        // Another generation keys the hash differently.
        g2->suffix_hashes(n, other);
        CHECK(other[labels] != whole[labels]);
        // Different names (ignoring case) hash differently (a 2^-63 chance each to fail).
        std::vector<std::uint8_t> lower(n);
        for (auto& c : lower) {
            c = siehub::dns::ascii_lower(c);
        }
        auto const [it, fresh] = seen.emplace(whole[labels], lower);
        CHECK((fresh || it->second == lower));
    }
    // Every byte counts: names that differ in one byte of a label (at each position of labels
    // of 1 to 63 bytes, so in every word of them) hash differently.
    for (std::size_t len = 1; len <= 63; ++len) {
        std::vector<std::uint8_t> n{static_cast<std::uint8_t>(len)};
        n.insert(n.end(), len, 'a');
        auto const tail = wire("example.com.");
        n.insert(n.end(), tail.begin(), tail.end());
        g->suffix_hashes(n, whole);
        for (std::size_t i = 1; i <= len; ++i) {
            auto m = n;
            m[i] = 'b';
            g->suffix_hashes(m, other);
            CHECK(other[3] != whole[3]);
            CHECK(other[2] == whole[2]); // the shared suffix still agrees
        }
    }
}

TEST_CASE("matcher: a name of 127 labels, and names shorter than 8 bytes", "[axa][matcher]")
{
    std::vector<std::uint8_t> longest;
    for (int i = 0; i < 127; ++i) {
        longest.push_back(1);
        longest.push_back(i % 2 ? 'a' : 'B');
    }
    longest.push_back(0);
    REQUIRE(longest.size() == 255);
    std::vector<std::uint8_t> const tail2(longest.end() - 5, longest.end()); // the last 2 labels
    std::bitset<ch_max + 1> on;
    on.set(1);
    std::vector<watch_entry> w0{make_watch(4, watch_type::dns, 0, 0, upper(longest))};
    std::vector<watch_entry> w1{make_watch(2, watch_type::dns, 0, watch_flag_wild, tail2)};
    std::vector<watch_entry> w2{make_watch(3, watch_type::dns, 0, 0, wire("a."))};
    std::vector<client_watches> cw{{0, w0, &on}, {1, w1, &on}, {2, w2, &on}};
    auto g = match_generation::build(cw, 3);
    std::array<std::uint64_t, 128> h{};
    CHECK(g->suffix_hashes(longest, h) == 127);
    match_scratch s(3);
    payload_keys k;
    k.ch = 1;
    auto clients = [&](const std::vector<std::uint8_t>& n, bool by_hand) {
        k.clear();
        if (by_hand) { // a key the guardian did not count: the matcher walks the name
            k.names[0] = {n.data(), static_cast<std::uint16_t>(n.size()), 1, 0};
            k.n_names = 1;
        } else {
            k.add_name(n, 1, 0);
            REQUIRE(k.n_names == 1);
        }
        std::vector<std::uint32_t> got;
        for (auto hit : g->match(k, s)) {
            got.push_back(hit.client);
        }
        std::sort(got.begin(), got.end());
        return got;
    };
    for (bool by_hand : {false, true}) {
        CHECK(clients(longest, by_hand) == std::vector<std::uint32_t>{0, 1});
        CHECK(clients(upper(longest), by_hand) == std::vector<std::uint32_t>{0, 1});
        CHECK(clients(tail2, by_hand) == std::vector<std::uint32_t>{1});
        CHECK(clients(wire("A."), by_hand) == std::vector<std::uint32_t>{2});
        CHECK(clients(wire("x.a."), by_hand).empty());
        CHECK(clients(wire("."), by_hand).empty());
    }
}

TEST_CASE("matcher: random dns= watch sets agree with a naive scan", "[axa][matcher]")
{
    std::mt19937 rng(5);
    std::bitset<ch_max + 1> on;
    on.set(3);
    constexpr std::uint32_t clients = 40;
    // Zones to draw from: few, short and from a small alphabet, so names share suffixes.
    std::vector<std::vector<std::uint8_t>> zones;
    for (int i = 0; i < 30; ++i) {
        zones.push_back(random_name(rng, 1 + rng() % 3, rng() % 4 ? 3 : 12));
    }
    auto const prepend = [&](std::vector<std::uint8_t> z, std::size_t labels) {
        auto const p = random_name(rng, labels, rng() % 2 ? 2 : 10);
        z.insert(z.begin(), p.begin(), p.end() - 1);
        return z;
    };
    struct nw {
        std::uint32_t c;
        std::uint16_t tag;
        bool wild;
        std::vector<std::uint8_t> name;
    };
    std::vector<nw> all;
    std::vector<std::vector<watch_entry>> ws(clients);
    for (std::uint32_t c = 0; c < clients; ++c) {
        for (std::uint16_t t = 1; t <= 12; ++t) {
            bool wild = rng() % 2;
            auto n = prepend(zones[rng() % zones.size()], rng() % 3);
            if (c == 0 && t == 12) {
                n = {0}; // the root: `*.` matches every name
                wild = true;
            }
            ws[c].push_back(make_watch(t, watch_type::dns, 0, wild ? watch_flag_wild : 0, n));
            all.push_back({c, t, wild, n});
        }
    }
    auto g = build_all(ws, on);
    match_scratch s(clients);
    payload_keys k;
    k.ch = 3;
    auto const ieq = [](const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (siehub::dns::ascii_lower(a[i]) != siehub::dns::ascii_lower(b[i])) {
                return false;
            }
        }
        return true;
    };
    std::size_t matched = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        // 1..6 names per payload, each in a buffer of its own size.
        std::vector<std::vector<std::uint8_t>> names;
        std::size_t const nn = 1 + rng() % 6;
        for (std::size_t i = 0; i < nn; ++i) {
            auto n = prepend(rng() % 4 ? zones[rng() % zones.size()] : random_name(rng, 1, 3),
                             rng() % 4);
            if (rng() % 3 == 0) {
                n = upper(n);
            }
            names.push_back(std::move(n));
        }
        k.clear();
        for (std::size_t i = 0; i < names.size(); ++i) {
            k.add_name(names[i], 8, static_cast<std::uint16_t>(i));
        }
        REQUIRE(k.n_names == names.size());
        tags_by_client want;
        for (const auto& w : all) {
            bool hit = false;
            for (const auto& n : names) {
                if (!w.wild) {
                    hit = hit || (n.size() == w.name.size() && ieq(n.data(), w.name.data(), n.size()));
                    continue;
                }
                for (std::size_t o = 0;; o += n[o] + 1u) { // every label boundary, the root too
                    if (n.size() - o == w.name.size() && ieq(n.data() + o, w.name.data(), w.name.size())) {
                        hit = true;
                    }
                    if (n[o] == 0) {
                        break;
                    }
                }
            }
            if (hit) {
                keep_lowest(want, w.c, w.tag);
            }
        }
        REQUIRE(hits_of(*g, k, s) == want);
        matched += want.size() > 1 ? 1 : 0; // beyond client 0's root watch
    }
    CHECK(matched > 300); // the draw exercises hits, not only misses
    CHECK(matched < 2900);
}

TEST_CASE("matcher: random IPv4 and IPv6 prefixes, several addresses a payload", "[axa][matcher]")
{
    std::mt19937 rng(9);
    std::bitset<ch_max + 1> on;
    on.set(2);
    constexpr std::uint32_t clients = 30;
    using u128 = unsigned __int128;
    struct pfx {
        std::uint32_t c;
        std::uint16_t tag;
        int family;
        u128 lo, hi;
    };
    std::vector<pfx> all;
    std::vector<std::vector<watch_entry>> ws(clients);
    auto const to_bytes = [](u128 a, int family) {
        std::vector<std::uint8_t> b(family == 4 ? 4 : 16);
        for (std::size_t i = b.size(); i-- > 0;) {
            b[i] = static_cast<std::uint8_t>(a);
            a >>= 8;
        }
        return b;
    };
    auto const rand_addr = [&](int family) {
        // Clustered (nesting, sharing directory slots) under 10/8 or 2001:db8::/32.
        if (family == 4) {
            return u128{0x0a000000u | (rng() & 0x00ffffffu)};
        }
        u128 a = (u128{0x20010db8} << 96) | (u128{rng() & 0xffffu} << 80) | rng();
        return a;
    };
    for (std::uint32_t c = 0; c < clients; ++c) {
        for (std::uint16_t t = 1; t <= 16; ++t) {
            int const family = rng() % 2 ? 4 : 6;
            unsigned const bits = family == 4 ? 32 : 128;
            unsigned const len = family == 4 ? 4 + rng() % 29 : 16 + rng() % 113;
            u128 const all1 = ~u128{0};
            u128 const span = bits == 128 ? all1 : (u128{1} << bits) - 1;
            u128 const host = len >= bits ? 0 : (u128{1} << (bits - len)) - 1;
            u128 const lo = rand_addr(family) & ~host & span;
            auto p = to_bytes(lo, family);
            p.resize((len + 7) / 8);
            ws[c].push_back(make_watch(t, family == 4 ? watch_type::ipv4 : watch_type::ipv6,
                                       static_cast<std::uint8_t>(len), 0, p));
            all.push_back({c, t, family, lo, lo | host});
        }
    }
    auto g = build_all(ws, on);
    match_scratch s(clients);
    payload_keys k;
    k.ch = 2;
    for (int iter = 0; iter < 5000; ++iter) {
        k.clear();
        std::vector<std::pair<int, u128>> addrs;
        std::size_t const n = 1 + rng() % 5;
        for (std::size_t i = 0; i < n; ++i) {
            int const family = rng() % 2 ? 4 : 6;
            u128 a = rand_addr(family);
            if (rng() % 2) { // inside some watched prefix of that family
                for (const auto& p : all) {
                    if (p.family == family && rng() % 8 == 0) {
                        a = p.lo + (rng() % 4 == 0 ? p.hi - p.lo : 0);
                        break;
                    }
                }
            }
            addrs.emplace_back(family, a);
            auto const b = to_bytes(a, family);
            k.add_ip(b, 12, static_cast<std::uint16_t>(i));
        }
        tags_by_client want;
        for (const auto& p : all) {
            for (auto [family, a] : addrs) {
                if (family == p.family && a >= p.lo && a <= p.hi) {
                    keep_lowest(want, p.c, p.tag);
                }
            }
        }
        REQUIRE(hits_of(*g, k, s) == want);
    }
}
