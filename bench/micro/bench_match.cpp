// SPDX-License-Identifier: Apache-2.0
// bench_match: ns per name for the Hyperscan name filter (match_burst, bursts of 32) with 10,
// 1 000 and 10 000 rules (60 % suffix, 38 % exact, 2 % regex), against the naive matcher
// (rules in order: guardian comparisons, std::regex) in the same run, plus compile time and
// database size. Names: 2-4 labels, a fifth of them under some rule's domain.
//
// Two more rows back the choice of subject form (README.md): the cost of building the text
// subject alone, and a wire-form database (exact/suffix rules as caseless wire literals, the
// hit's end checked as in the text form, but without the label-boundary check a real wire
// matcher would still need) against the text-form database on the same exact/suffix rules.
//
// Usage: bench_match [seed]

#include <hs/hs.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench_util.hpp"
#include "match/database.hpp"
#include "match/naive.hpp"
#include "proto/dns/name.hpp"

using namespace siehub;
using namespace siehub::match;

namespace {

constexpr std::size_t burst = 32;
constexpr std::size_t n_names = 4096;

std::string rand_label(std::mt19937_64& rng, std::size_t lo, std::size_t hi)
{
    static constexpr char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::size_t const n = lo + rng() % (hi - lo + 1);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += alpha[rng() % (i == 0 ? 26 : 36)];
    }
    return s;
}

std::string rand_domain(std::mt19937_64& rng)
{
    static const char* tlds[] = {"com", "net", "org", "de", "uk", "io"};
    return rand_label(rng, 4, 12) + "." + tlds[rng() % 6];
}

std::vector<std::uint8_t> to_wire(const std::string& text)
{
    dns::name_buffer b{};
    auto const info = dns::from_text(text, b);
    if (!info.ok()) {
        std::fprintf(stderr, "bad name %s\n", text.c_str());
        std::exit(1);
    }
    return {b.begin(), b.begin() + info.wire_len};
}

struct workload {
    std::vector<rule> rules;
    std::vector<std::string> domains; // the rules' domains
    std::vector<std::vector<std::uint8_t>> names;
    std::vector<core::byte_view> views;
};

workload make(std::size_t n_rules, std::mt19937_64& rng)
{
    workload w;
    for (std::size_t i = 0; i < n_rules; ++i) {
        std::string const d = rand_domain(rng);
        w.domains.push_back(d);
        action const act = (rng() & 1) != 0 ? action::drop : action::pass;
        auto const id = static_cast<std::uint32_t>(i);
        unsigned const k = rng() % 100;
        if (k < 60) {
            w.rules.push_back({rule_kind::suffix, d, act, id});
        } else if (k < 98) {
            w.rules.push_back({rule_kind::exact, "www." + d, act, id});
        } else {
            w.rules.push_back(
                {rule_kind::regex, "^mail[0-9]*\\." + rand_label(rng, 4, 8), act, id});
        }
    }
    for (std::size_t i = 0; i < n_names; ++i) {
        std::string base =
            (rng() % 5 == 0) ? w.domains[rng() % w.domains.size()] : rand_domain(rng);
        std::size_t const prefixes = rng() % 3;
        for (std::size_t p = 0; p < prefixes; ++p) {
            base = (rng() % 3 == 0 ? std::string("www") : rand_label(rng, 1, 10)) + "." + base;
        }
        w.names.push_back(to_wire(base));
    }
    for (auto const& n : w.names) {
        w.views.emplace_back(n.data(), n.size());
    }
    return w;
}

double ms_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The wire-form experiment: canonical wire, exact = anchored literal, suffix = literal at the
// end. Misses the label-boundary check, so it is a lower bound for a wire matcher.
struct wire_db {
    hs_database_t* db = nullptr;
    hs_scratch_t* s = nullptr;
    ~wire_db()
    {
        hs_free_scratch(s);
        hs_free_database(db);
    }
};

void escape_wire(core::byte_view w, std::string& p)
{
    static constexpr char hex[] = "0123456789abcdef";
    for (auto const c : w) {
        p += "\\x";
        p += hex[c >> 4];
        p += hex[c & 15];
    }
}

struct wire_ctx {
    unsigned len;
    const std::vector<std::pair<bool, unsigned>>* rules; // (exact, literal length)
    unsigned best;
};

int on_wire_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* vctx)
{
    auto* ctx = static_cast<wire_ctx*>(vctx);
    auto const [exact, lit_len] = (*ctx->rules)[id];
    if (id < ctx->best && to == ctx->len && (!exact || lit_len == ctx->len)) {
        ctx->best = id;
    }
    return 0;
}

void run(std::size_t n_rules, std::uint64_t seed)
{
    std::mt19937_64 rng(seed + n_rules);
    workload w = make(n_rules, rng);

    auto t0 = std::chrono::steady_clock::now();
    database db = database::compile(w.rules, action::pass);
    double const compile_ms = ms_since(t0);
    scratch s(db);
    counter_block c;
    naive_matcher naive(w.rules, action::pass);
    std::printf("-- %zu rules: compile %.1f ms, database %zu bytes\n", n_rules, compile_ms,
                db.size_bytes());

    std::vector<verdict> out(burst);
    std::size_t at = 0;
    auto next_burst = [&]() {
        auto const v = std::span(w.views).subspan(at, burst);
        at = (at + burst) % n_names;
        return v;
    };
    auto hs = bench::measure(
        "hyperscan match_burst/32 (" + std::to_string(n_rules) + " rules)",
        [&] {
            db.match_burst(next_burst(), out, s, c);
            bench::keep(out[0]);
        },
        n_names / burst, 400);
    hs.ns_per_op /= burst;
    bench::print(hs);

    // The naive matcher is slow with many rules: smaller batches, same names.
    std::uint64_t const nb = n_rules >= 10000 ? 1 : n_rules >= 1000 ? 8 : n_names / burst;
    auto nv = bench::measure(
        "naive matcher (" + std::to_string(n_rules) + " rules)",
        [&] {
            for (auto const name : next_burst()) {
                auto const v = naive.match(name);
                bench::keep(v);
            }
        },
        nb, 400);
    nv.ns_per_op /= burst;
    bench::print(nv);
    bench::print_ratio("  speed-up over naive", hs, nv);

    // Agreement on the bench names (a cheap sanity check of the numbers' meaning).
    std::size_t disagree = 0;
    std::size_t hits = 0;
    for (std::size_t i = 0; i < n_names && i < (n_rules >= 10000 ? 512u : n_names); ++i) {
        auto const a = db.match(w.views[i], s, c);
        auto const b = naive.match(w.views[i]);
        disagree += (a.act != b.act || a.by != b.by || a.rule_id != b.rule_id) ? 1 : 0;
        hits += a.by == decided_by::rule ? 1 : 0;
    }
    std::printf("   agreement check: %zu disagreements, %zu rule hits\n", disagree, hits);

    // Subject form: text rendering alone, and a wire-form database on the exact/suffix rules.
    std::string text;
    text.reserve(max_text_len);
    std::size_t ti = 0;
    auto subj = bench::measure("  text subject alone (canonicalize + name_to_text)", [&] {
        name_subject(w.views[ti], text);
        ti = (ti + 1) % n_names;
        bench::keep(text.data());
    });
    bench::print(subj);

    std::vector<rule> names_only;
    for (auto const& r : w.rules) {
        if (r.kind != rule_kind::regex) {
            names_only.push_back(r);
        }
    }
    database tdb = database::compile(names_only, action::pass);
    scratch ts(tdb);
    auto tx = bench::measure(
        "  text-form db, exact+suffix only, match_burst/32",
        [&] {
            tdb.match_burst(next_burst(), out, ts, c);
            bench::keep(out[0]);
        },
        n_names / burst, 300);
    tx.ns_per_op /= burst;
    bench::print(tx);

    wire_db wdb;
    std::vector<std::pair<bool, unsigned>> wire_rules;
    {
        std::vector<std::string> pats;
        for (auto const& r : names_only) {
            auto const wr = to_wire(r.body);
            std::string p;
            escape_wire({wr.data(), wr.size()}, p);
            pats.push_back(std::move(p));
            wire_rules.emplace_back(r.kind == rule_kind::exact, static_cast<unsigned>(wr.size()));
        }
        std::vector<const char*> ex;
        std::vector<unsigned> fl(pats.size(), HS_FLAG_CASELESS);
        std::vector<unsigned> ids;
        for (std::size_t i = 0; i < pats.size(); ++i) {
            ex.push_back(pats[i].c_str());
            ids.push_back(static_cast<unsigned>(i));
        }
        hs_compile_error_t* err = nullptr;
        if (hs_compile_multi(ex.data(), fl.data(), ids.data(), static_cast<unsigned>(ex.size()),
                             HS_MODE_BLOCK, nullptr, &wdb.db, &err) != HS_SUCCESS) {
            std::fprintf(stderr, "wire db: %s\n", err->message);
            hs_free_compile_error(err);
            return;
        }
        hs_alloc_scratch(wdb.db, &wdb.s);
    }
    auto wx = bench::measure(
        "  wire-form db (lower bound), check_name + scan/32",
        [&] {
            for (auto const name : next_burst()) {
                auto const info = dns::check_name(name);
                wire_ctx ctx{info.wire_len, &wire_rules, ~0u};
                hs_scan(wdb.db, reinterpret_cast<const char*>(name.data()), info.wire_len, 0, wdb.s,
                        on_wire_match, &ctx);
                bench::keep(ctx.best);
            }
        },
        n_names / burst, 300);
    wx.ns_per_op /= burst;
    bench::print(wx);
    bench::print_ratio("  wire-form speed-up over text-form", wx, tx);
}

} // namespace

int main(int argc, char** argv)
{
    std::uint64_t const seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 42;
    for (std::size_t n : {10u, 1000u, 10000u}) {
        run(n, seed);
    }
    return 0;
}
