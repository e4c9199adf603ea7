// SPDX-License-Identifier: Apache-2.0
// The Hyperscan database against the naive matcher: 10 000 random names x 1 000 random rules,
// seeded. Names are built from a small label pool (so rules and names share suffixes) that
// holds escaped bytes: dots and backslashes inside labels, NUL, 0xff, spaces, upper case.

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "match/database.hpp"
#include "match/naive.hpp"
#include "proto/dns/presentation.hpp"

using namespace siehub;
using namespace siehub::match;

namespace {

using label = std::string; // raw label bytes

const std::vector<label>& pool()
{
    static const std::vector<label> p = [] {
        std::vector<label> v{"com",
                             "net",
                             "org",
                             "example",
                             "www",
                             "ns1",
                             "ns2",
                             "mail",
                             "a",
                             "b",
                             "ab",
                             "a.b",
                             "a\\",
                             "\\",
                             ".",
                             "x y",
                             std::string("n\0l", 3),
                             "\xff",
                             "Www",
                             "EXAMPLE",
                             "cdn-7",
                             "_tcp",
                             "_srv",
                             "api2",
                             "co",
                             "uk",
                             "x",
                             "xx",
                             "9"};
        // Plain filler labels so that rules do not cover every name.
        for (int i = 0; i < 60; ++i) {
            v.push_back("h" + std::to_string(i));
        }
        return v;
    }();
    return p;
}

// Plain alphanumeric labels, safe to put into a regex unescaped.
const std::vector<std::string> plain{"com", "net",  "org", "example", "www", "ns1",
                                     "ns2", "mail", "a",   "b",       "ab",  "api2",
                                     "co",  "uk",   "x",   "xx",      "9"};

std::vector<std::uint8_t> to_wire(const std::vector<label>& labels)
{
    std::vector<std::uint8_t> w;
    for (auto const& l : labels) {
        w.push_back(static_cast<std::uint8_t>(l.size()));
        w.insert(w.end(), l.begin(), l.end());
    }
    w.push_back(0);
    return w;
}

std::string to_text(const std::vector<label>& labels)
{
    auto const w = to_wire(labels);
    std::string t;
    dns::name_to_text(core::byte_view{w.data(), w.size()}, t);
    return t;
}

std::string flip_case(std::string s, std::mt19937_64& rng)
{
    for (auto& ch : s) {
        if (ch >= 'a' && ch <= 'z' && (rng() & 3) == 0) {
            ch = static_cast<char>(ch - 32);
        } else if (ch >= 'A' && ch <= 'Z' && (rng() & 3) == 0) {
            ch = static_cast<char>(ch + 32);
        }
    }
    return s;
}

std::vector<label> random_labels(std::mt19937_64& rng)
{
    auto const& p = pool();
    std::size_t const n = 1 + rng() % 5;
    std::vector<label> ls;
    for (std::size_t i = 0; i < n; ++i) {
        ls.push_back(flip_case(p[rng() % p.size()], rng));
    }
    return ls;
}

rule random_rule(std::mt19937_64& rng, std::uint32_t id)
{
    action const act = (rng() & 1) != 0 ? action::drop : action::pass;
    unsigned const k = rng() % 10;
    if (k < 4) {
        return {rule_kind::exact, to_text(random_labels(rng)), act, id};
    }
    if (k < 8) {
        // Shorter suffixes so that many names fall below them.
        // At least two labels where the draw has them: one-label suffixes over a pool this
        // small would catch nearly every name.
        auto ls = random_labels(rng);
        std::size_t const keep = ls.size() < 2 ? ls.size() : 2 + rng() % (ls.size() - 1);
        ls.erase(ls.begin(), ls.end() - static_cast<long>(keep));
        return {rule_kind::suffix, to_text(ls), act, id};
    }
    // Case flips only inside labels: `[a-z]` must stay a lower-case range.
    auto const a = flip_case(plain[rng() % plain.size()], rng);
    auto const b = flip_case(plain[rng() % plain.size()], rng);
    std::string re;
    switch (rng() % 6) {
    case 0:
        re = "^" + a + "\\." + b + "\\.";
        break;
    case 1:
        re = "\\." + a + "\\." + b + "$";
        break;
    case 2:
        re = a + "\\." + b;
        break;
    case 3:
        re = "^[a-z]+[0-9]\\." + a;
        break;
    case 4:
        re = "\\\\" + a; // a backslash escape before a plain label
        break;
    default:
        re = "^" + a + "(\\.[a-z0-9]+)*\\." + b + "$";
        break;
    }
    return {rule_kind::regex, re, act, id};
}

} // namespace

TEST_CASE("Hyperscan database agrees with the naive matcher on random names and rules")
{
    std::mt19937_64 rng(20240611);
    std::vector<rule> rules;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        rules.push_back(random_rule(rng, 1000 + i));
    }
    auto db = database::compile(rules, action::pass);
    naive_matcher naive(rules, action::pass);
    scratch s(db);
    counter_block c;

    std::vector<std::vector<std::uint8_t>> names;
    for (int i = 0; i < 10000; ++i) {
        auto ls = random_labels(rng);
        if (i % 500 == 0) {
            ls.clear(); // the root now and then
        }
        names.push_back(to_wire(ls));
    }
    std::vector<core::byte_view> views;
    for (auto const& n : names) {
        views.emplace_back(n.data(), n.size());
    }
    std::vector<verdict> got(views.size());
    // Bursts of 32, as the data plane calls it.
    for (std::size_t i = 0; i < views.size(); i += 32) {
        std::size_t const n = std::min<std::size_t>(32, views.size() - i);
        db.match_burst(std::span(views).subspan(i, n), std::span(got).subspan(i, n), s, c);
    }
    std::size_t by_rule = 0;
    std::size_t by_regex = 0;
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < views.size(); ++i) {
        auto const want = naive.match(views[i]);
        bool const same =
            want.act == got[i].act && want.by == got[i].by && want.rule_id == got[i].rule_id;
        if (!same && ++mismatches <= 5) {
            std::string t;
            dns::name_to_text(views[i], t);
            INFO("name " << t << " naive rule " << want.rule_id << " (" << static_cast<int>(want.by)
                         << ") hyperscan rule " << got[i].rule_id << " ("
                         << static_cast<int>(got[i].by) << ")");
            CHECK(same);
        }
        if (want.by == decided_by::rule) {
            ++by_rule;
            if (rules[want.rule_id - 1000].kind == rule_kind::regex) {
                ++by_regex;
            }
        }
    }
    CHECK(mismatches == 0);
    // The draw must exercise both outcomes and every rule kind, or the test proves little.
    CHECK(by_rule > 2000);
    CHECK(views.size() - by_rule > 500);
    CHECK(by_regex > 100);
    CHECK(c.get(counter::names) == views.size());
}
