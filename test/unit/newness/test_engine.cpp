// SPDX-License-Identifier: Apache-2.0
// The newness engine (sie.md §4): 212/213/211/214 triggers and field sets, sharding
// exactness, learning, NAD with payload time, skipped names.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <tuple>

#include "newness/engine.hpp"
#include "newness/psl_list.hpp"
#include "newness_test_util.hpp"

using namespace siehub::newness;
using namespace siehub::newness::test;

namespace {

constexpr const char* list = R"(// ===BEGIN ICANN DOMAINS===
com
net
org
uk
co.uk
arpa
in-addr.arpa
jp
*.kawasaki.jp
!city.kawasaki.jp
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
blogspot.com
// ===END PRIVATE DOMAINS===
)";

const psl_table& table()
{
    static psl_table const t = [] {
        auto const r = parse_psl(list);
        REQUIRE(r.ok());
        return psl_table(r.rules, {});
    }();
    return t;
}

constexpr std::uint32_t t0 = 1'795'000'000; // 2026-11-18
constexpr std::uint32_t day = 86400;

struct harness {
    engine e;
    std::vector<decoded> out;
    explicit harness(engine_config c = {}) : e(table(), c) {}
    std::vector<decoded> feed(const std::vector<std::uint8_t>& key, std::uint32_t t,
                              std::uint32_t ttl = 300)
    {
        std::vector<decoded> got;
        std::array<std::uint8_t, 4> ip{192, 0, 2, 53};
        insertion in{{key.data(), key.size()}, t, 7, ttl, {ip.data(), ip.size()}};
        e.on_insertion(in, [&](const out_record& r) { got.push_back(decode(r)); });
        return got;
    }
};

std::multiset<std::tuple<int, std::string, std::string>> summary(const std::vector<decoded>& v)
{
    std::multiset<std::tuple<int, std::string, std::string>> s;
    for (auto const& d : v) {
        s.emplace(d.channel, d.domain, d.rrname);
    }
    return s;
}

} // namespace

TEST_CASE("first sight: NOD per new base domain, NOH per base domain with new names")
{
    harness h;
    auto const k = make_key("example.com", 2, "com",
                            {name_rdata("ns1.example.com"), name_rdata("ns.example.net")});
    auto const got = h.feed(k, t0);
    using T = std::tuple<int, std::string, std::string>;
    CHECK(summary(got) == std::multiset<T>{{213, "example.com", "example.com"},
                                          {212, "example.com", "example.com"},
                                          {213, "example.net", "example.com"},
                                          {212, "example.net", "example.com"}});
    for (auto const& d : got) {
        CHECK(d.time_seen == t0);
        CHECK(d.bailiwick == "com");
        CHECK(d.rrtype == 2);
        CHECK(d.rdata_count == 2);
        CHECK(d.keys == 0);
        CHECK_FALSE(d.has_type);
        CHECK_FALSE(d.has_response_ip);
        CHECK_FALSE(d.has_ttl);
        if (d.channel == 212) {
            CHECK(d.new_domain == std::optional<bool>(true));
            CHECK_FALSE(d.new_rrname);
            CHECK_FALSE(d.new_rrtype);
            CHECK(d.new_rr.empty());
        } else {
            CHECK_FALSE(d.has_flags); // ch213: the published field set, no flags
        }
    }
    // Seen now: the same key or another key with the same names says nothing new.
    CHECK(h.feed(k, t0 + 5).empty());
    auto const k2 = make_key("example.com", 2, "example.com",
                             {name_rdata("ns.example.net"), name_rdata("ns1.example.com")});
    CHECK(h.feed(k2, t0 + 6).empty());
    // A new host under a known domain: NOH only.
    auto const k3 = make_key("www.example.com", 1, "example.com", {a_rdata(192, 0, 2, 1)});
    auto const g3 = h.feed(k3, t0 + 7);
    REQUIRE(g3.size() == 1);
    CHECK(g3[0].channel == 213);
    CHECK(g3[0].domain == "example.com");
    CHECK(g3[0].rrname == "www.example.com");
    CHECK(h.e.counters().get(newness_counter::nod) == 2);
    CHECK(h.e.counters().get(newness_counter::noh) == 3);
}

TEST_CASE("214 flags: new rrtype, new rdata, new rdata set, only for a known owner")
{
    harness h;
    auto a1 = make_key("www.example.com", 1, "example.com", {a_rdata(192, 0, 2, 1)});
    CHECK(summary(h.feed(a1, t0)).size() == 2); // NOH + NOD; owner new: no 214
    // Same owner/type, one more address: new_rr [false, true], new_rrset.
    auto a12 = make_key("www.example.com", 1, "example.com",
                        {a_rdata(192, 0, 2, 1), a_rdata(192, 0, 2, 2)});
    auto g = h.feed(a12, t0 + 60, 600);
    REQUIRE(g.size() == 1);
    CHECK(g[0].channel == 214);
    CHECK(g[0].domain == "example.com");
    CHECK(g[0].new_domain == std::optional<bool>(false));
    CHECK(g[0].new_rrname == std::optional<bool>(false));
    CHECK(g[0].new_rrtype == std::optional<bool>(false));
    CHECK(g[0].new_rr == std::vector<bool>{false, true});
    CHECK(g[0].new_rrset == std::optional<bool>(true));
    CHECK(g[0].has_type);
    CHECK(g[0].has_response_ip);
    CHECK(g[0].has_ttl);
    CHECK(g[0].keys == 0);
    // A new type for the owner.
    std::vector<std::uint8_t> v6(16, 0);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[15] = 1;
    g = h.feed(make_key("www.example.com", 28, "example.com", {v6}), t0 + 61);
    REQUIRE(g.size() == 1);
    CHECK(g[0].new_rrtype == std::optional<bool>(true));
    CHECK(g[0].new_rr == std::vector<bool>{true});
    CHECK(g[0].new_rrset == std::optional<bool>(true));
    // A subset already seen as rdata but never as a set: only new_rrset.
    g = h.feed(make_key("www.example.com", 1, "example.com", {a_rdata(192, 0, 2, 2)}), t0 + 62);
    REQUIRE(g.size() == 1);
    CHECK(g[0].new_rr == std::vector<bool>{false});
    CHECK(g[0].new_rrset == std::optional<bool>(true));
    CHECK(g[0].new_rrtype == std::optional<bool>(false));
    // The same RRset under another bailiwick (another dedup key): no new fact, nothing.
    CHECK(h.feed(make_key("www.example.com", 1, "com",
                          {a_rdata(192, 0, 2, 1), a_rdata(192, 0, 2, 2)}),
                 t0 + 63)
              .empty());
    CHECK(h.e.counters().get(newness_counter::changes) == 3);
    // A name first seen inside rdata (an NS target) is not a known owner: its first RRset is
    // NOH-old but not a DNS change.
    CHECK(summary(h.feed(make_key("example.com", 2, "com", {name_rdata("ns9.example.com")}), t0 + 70))
              .size() == 1); // 213 for ns9 (example.com is known as a base domain)
    CHECK(h.feed(make_key("ns9.example.com", 1, "example.com", {a_rdata(192, 0, 2, 9)}), t0 + 71).empty());
    g = h.feed(make_key("ns9.example.com", 1, "example.com", {a_rdata(192, 0, 2, 10)}), t0 + 72);
    REQUIRE(g.size() == 1);
    CHECK(g[0].channel == 214);
}

TEST_CASE("NAD: a base domain back after >= nad_days of inactivity, on payload time")
{
    harness h;
    auto const k1 = make_key("a.example.org", 1, "example.org", {a_rdata(192, 0, 2, 1)});
    CHECK(h.feed(k1, t0).size() == 2);
    // 9 days later: not inactive long enough (and last-seen moves to t0 + 9 d).
    auto const k2 = make_key("a.example.org", 1, "example.org", {a_rdata(192, 0, 2, 2)});
    auto g = h.feed(k2, t0 + 9 * day);
    CHECK(std::none_of(g.begin(), g.end(), [](auto const& d) { return d.channel == 211; }));
    // 19 days after t0 = 10 days after the last sighting: NAD once.
    auto const k3 = make_key("b.example.org", 1, "example.org", {a_rdata(192, 0, 2, 3)});
    g = h.feed(k3, t0 + 19 * day);
    auto const nad = std::count_if(g.begin(), g.end(), [](auto const& d) { return d.channel == 211; });
    CHECK(nad == 1);
    for (auto const& d : g) {
        if (d.channel == 211) {
            CHECK(d.domain == "example.org");
            CHECK(d.rrname == "b.example.org");
            CHECK_FALSE(d.has_flags);
            CHECK_FALSE(d.has_type);
        }
    }
    // The next sighting the same day is not a return.
    auto const k4 = make_key("c.example.org", 1, "example.org", {a_rdata(192, 0, 2, 4)});
    g = h.feed(k4, t0 + 19 * day + 10);
    CHECK(std::none_of(g.begin(), g.end(), [](auto const& d) { return d.channel == 211; }));
    // An EXPIRATION's time_last counts as a sighting: no NAD 10 days after the INSERTION.
    h.e.on_expiration({k4.data(), k4.size()}, t0 + 25 * day);
    g = h.feed(make_key("d.example.org", 1, "example.org", {a_rdata(192, 0, 2, 5)}), t0 + 30 * day);
    CHECK(std::none_of(g.begin(), g.end(), [](auto const& d) { return d.channel == 211; }));
    CHECK(h.e.counters().get(newness_counter::nad) == 1);
    CHECK(h.e.counters().get(newness_counter::expirations) == 1);
}

TEST_CASE("skipped names: public suffixes, .arpa for 211/212, bad keys")
{
    harness h;
    // The owner is itself a public suffix (co.uk) and the rdata names are valid.
    auto g = h.feed(make_key("co.uk", 2, "uk", {name_rdata("ns.example.co.uk")}), t0);
    CHECK(summary(g) == std::multiset<std::tuple<int, std::string, std::string>>{
                            {212, "example.co.uk", "co.uk"}, {213, "example.co.uk", "co.uk"}});
    CHECK(h.e.counters().get(newness_counter::skip_public_suffix) == 1);
    // Private section: blogspot.com is a suffix, foo.blogspot.com the base domain.
    g = h.feed(make_key("www.foo.blogspot.com", 1, "blogspot.com", {a_rdata(192, 0, 2, 1)}), t0);
    CHECK(summary(g) == std::multiset<std::tuple<int, std::string, std::string>>{
                            {212, "foo.blogspot.com", "www.foo.blogspot.com"},
                            {213, "foo.blogspot.com", "www.foo.blogspot.com"}});
    // Wildcard and exception rules.
    g = h.feed(make_key("a.b.c.kawasaki.jp", 1, "jp", {a_rdata(192, 0, 2, 1)}), t0);
    CHECK(g.size() == 2);
    CHECK(g[0].domain == "b.c.kawasaki.jp");
    g = h.feed(make_key("www.city.kawasaki.jp", 1, "jp", {a_rdata(192, 0, 2, 1)}), t0);
    CHECK(g.size() == 2);
    CHECK(g[0].domain == "city.kawasaki.jp");
    // .arpa: 213 only.
    g = h.feed(make_key("1.2.0.192.in-addr.arpa", 12, "in-addr.arpa",
                        {name_rdata("host.example.net")}),
               t0);
    CHECK(summary(g) == std::multiset<std::tuple<int, std::string, std::string>>{
                            {213, "192.in-addr.arpa", "1.2.0.192.in-addr.arpa"},
                            {213, "example.net", "1.2.0.192.in-addr.arpa"},
                            {212, "example.net", "1.2.0.192.in-addr.arpa"}});
    CHECK(h.e.counters().get(newness_counter::skip_arpa) == 1);
    // A key that does not parse.
    std::vector<std::uint8_t> bad{5, 1, 2};
    CHECK(h.feed(bad, t0).empty());
    CHECK(h.e.counters().get(newness_counter::bad_key) == 1);
    // A truncated name inside NS rdata.
    g = h.feed(make_key("example.org", 2, "org", {{7, 'e', 'x'}}), t0);
    CHECK(h.e.counters().get(newness_counter::skip_bad_name) == 1);
    // An MX exchange and an SRV target are names too.
    g = h.feed(make_key("example.org", 15, "org", {mx_rdata(10, "mx.example.io")}), t0);
    CHECK(std::count_if(g.begin(), g.end(), [](auto const& d) { return d.domain == "example.io"; }) == 2);
}

TEST_CASE("learning period: recorded, not emitted")
{
    engine_config c;
    c.learning_period_s = 3600;
    harness h(c);
    CHECK(h.feed(make_key("example.com", 1, "com", {a_rdata(192, 0, 2, 1)}), t0).empty());
    CHECK(h.feed(make_key("www.example.com", 1, "com", {a_rdata(192, 0, 2, 1)}), t0 + 3599).empty());
    CHECK(h.e.counters().get(newness_counter::learning) == 3); // 212, 213, 213
    auto g = h.feed(make_key("www.example.com", 1, "com", {a_rdata(192, 0, 2, 1)}), t0 + 3600);
    CHECK(g.empty()); // the set is known (learnt), no change
    g = h.feed(make_key("mail.example.com", 1, "com", {a_rdata(192, 0, 2, 1)}), t0 + 3601);
    REQUIRE(g.size() == 1);
    CHECK(g[0].channel == 213);
}

TEST_CASE("sharded evaluation equals one shard: each name decided once hub-wide")
{
    // Random RRsets over a small name space, so names repeat across keys.
    std::mt19937 rng(42);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto name = [&] {
        static const char* tld[] = {"com", "net", "co.uk", "org", "blogspot.com"};
        return "h" + std::to_string(pick(6)) + ".d" + std::to_string(pick(40)) + "." + tld[pick(5)];
    };
    std::vector<std::pair<std::vector<std::uint8_t>, std::uint32_t>> keys;
    for (int i = 0; i < 3000; ++i) {
        std::uint32_t t = t0 + static_cast<std::uint32_t>(i) * 600; // ~20 days in all
        int const type = pick(3);
        if (type == 0) {
            keys.emplace_back(make_key(name(), 1, "com",
                                       {a_rdata(192, 0, 2, static_cast<std::uint8_t>(pick(4)))}),
                              t);
        } else if (type == 1) {
            keys.emplace_back(make_key(name(), 2, "com", {name_rdata(name()), name_rdata(name())}), t);
        } else {
            keys.emplace_back(make_key(name(), 15, "com", {mx_rdata(10, name())}), t);
        }
    }
    for (unsigned shards : {2u, 3u, 5u}) {
        harness one;
        std::vector<std::unique_ptr<harness>> parts;
        for (unsigned s = 0; s < shards; ++s) {
            engine_config c;
            c.shard = s;
            c.shards = shards;
            parts.push_back(std::make_unique<harness>(c));
        }
        std::multiset<std::tuple<int, std::string, std::string>> a, b;
        for (auto const& [k, t] : keys) {
            auto const ga = one.feed(k, t);
            for (auto const& d : ga) {
                a.emplace(d.channel, d.domain, d.rrname);
            }
            std::uint64_t const mask = route({k.data(), k.size()}, table(), shards);
            for (unsigned s = 0; s < shards; ++s) {
                auto const gb = parts[s]->feed(k, t);
                if ((mask >> s & 1) == 0) {
                    CHECK(gb.empty()); // a shard the route skips has nothing to say
                }
                for (auto const& d : gb) {
                    b.emplace(d.channel, d.domain, d.rrname);
                }
            }
        }
        CHECK(a.size() > 100);
        CHECK(a == b);
    }
}
