// SPDX-License-Identifier: Apache-2.0
// Equations: parsing (each error with its offset), evaluation with globs, verdicts, and the
// dedup equations on a real dedup::table: they fail mid-run and hold after flush_all.
#include <catch2/catch.hpp>

#include <random>

#include "dedup/counters.hpp"
#include "dedup/key.hpp"
#include "dedup/table.hpp"
#include "telemetry/dedup_equations.hpp"
#include "telemetry/reconcile.hpp"

using namespace siehub;
using namespace siehub::telemetry;

namespace {
equation_parse parse(const char* expr, reconcile_when w = reconcile_when::always)
{
    return parse_equation({"t.eq", expr, w, "test"});
}

enum class in_counter : std::uint8_t { payloads, count_ };
inline constexpr std::array<counter_info, 1> in_table{{{"ingest.payloads", "payloads in"}}};
enum class out_counter : std::uint8_t { relayed, drop_tcp, drop_rd, tc, count_ };
inline constexpr std::array<counter_info, 4> out_table{{
    {"verify.relayed", "accepted"},
    {"verify.drop_tcp", "TCP"},
    {"verify.drop_rd", "RD=1"},
    {"verify.tc", "truncated (informational)"},
}};
} // namespace

TEST_CASE("equation parsing")
{
    auto ok = parse("a.b = c.d + e.* - f.g");
    REQUIRE(ok.error == equation_error::none);
    REQUIRE(ok.eq.lhs.size() == 1);
    CHECK(ok.eq.lhs[0].pattern == "a.b");
    REQUIRE(ok.eq.rhs.size() == 3);
    CHECK(ok.eq.rhs[1].pattern == "e.*");
    CHECK_FALSE(ok.eq.rhs[1].negative);
    CHECK(ok.eq.rhs[2].negative);
    CHECK(ok.eq.name == "t.eq");

    auto lead = parse("-a.b + c.d = 0x.y");
    REQUIRE(lead.error == equation_error::none);
    CHECK(lead.eq.lhs[0].negative);

    CHECK(parse("   ").error == equation_error::empty);
    CHECK(parse("a.b + c.d").error == equation_error::no_equals);
    auto two = parse("a.b = c.d = e.f");
    CHECK(two.error == equation_error::two_equals);
    CHECK(two.offset == 10);
    CHECK(parse(" = c.d").error == equation_error::empty_side);
    CHECK(parse("a.b = ").error == equation_error::empty_side);
    auto dangling = parse("a.b = c.d +");
    CHECK(dangling.error == equation_error::missing_term);
    CHECK(dangling.offset == 11);
    CHECK(parse("a.b = c.d + - e.f").error == equation_error::missing_term);
    CHECK(parse("a.b = c.d e.f").error == equation_error::missing_term);
    auto bad = parse("a.b = c.D");
    CHECK(bad.error == equation_error::bad_char);
    CHECK(bad.offset == 8);
    CHECK(std::string(to_string(equation_error::bad_char)) == "bad_char");

    std::array<equation_info, 2> infos{{{"x.ok", "a.b = c.d", reconcile_when::always, ""},
                                        {"x.bad", "a.b == c.d", reconcile_when::always, ""}}};
    CHECK_THROWS_AS(parse_equations(infos), std::invalid_argument);
    CHECK(parse_equations(std::span(infos).first(1)).size() == 1);

    std::vector<equation_term> t;
    std::size_t at = 0;
    CHECK(parse_terms("a.b + c.*", t, at) == equation_error::none);
    CHECK(t.size() == 2);
    CHECK(parse_terms("a.b = c", t, at) == equation_error::bad_char);
    CHECK(parse_terms("", t, at) == equation_error::empty);
}

TEST_CASE("verdicts: pass, fail by how much, unmatched terms, after_flush")
{
    registry r;
    auto const in = r.add_table(in_table);
    auto const out = r.add_table(out_table);
    counter_block<in_counter> ib;
    counter_block<out_counter> ob;
    r.add_block(in, block_scope::on_worker(0), ib.v.data());
    r.add_block(out, block_scope::on_worker(0), ob.v.data());
    ib.add(in_counter::payloads, 100);
    ob.add(out_counter::relayed, 70);
    ob.add(out_counter::drop_tcp, 20);
    ob.add(out_counter::drop_rd, 10);
    ob.add(out_counter::tc, 5);

    auto const eqs = parse_equations(std::array<equation_info, 4>{{
        {"a.globs", "ingest.payloads = verify.relayed + verify.drop_*", reconcile_when::always, ""},
        {"a.minus", "ingest.payloads = verify.* - verify.tc", reconcile_when::always, ""},
        {"a.typo", "ingest.payloads = verify.relayed + verify.dropped_*", reconcile_when::always,
         ""},
        {"a.final", "ingest.payloads = verify.relayed", reconcile_when::after_flush, ""},
    }});
    auto vs = check_all(eqs, r.take(), false);
    CHECK(vs[0].ok);
    CHECK(vs[0].lhs == 100);
    CHECK(vs[0].rhs == 100);
    CHECK(vs[1].ok);
    CHECK_FALSE(vs[2].ok);
    CHECK(vs[2].unmatched == std::vector<std::string>{"verify.dropped_*"});
    CHECK_FALSE(vs[3].checked);
    CHECK_FALSE(vs[3].ok);
    CHECK_FALSE(all_ok(vs));
    CHECK(all_ok(std::span(vs).first(2)));
    CHECK(all_ok(std::span(vs).subspan(3))); // unchecked does not count against

    vs = check_all(eqs, r.take(), true);
    REQUIRE(vs[3].checked);
    CHECK_FALSE(vs[3].ok);
    CHECK(vs[3].difference == 30);
    auto const text = describe_failures(vs);
    CHECK(text.find("a.final: lhs 100 != rhs 70 (difference +30)") != std::string::npos);
    CHECK(text.find("a.typo: no counter matches 'verify.dropped_*'") != std::string::npos);
    CHECK(text.find("a.globs") == std::string::npos);

    // One more payload in with no outcome: the equation fails by exactly one.
    ib.add(in_counter::payloads);
    auto const v = check(eqs[0], r.take(), false);
    CHECK_FALSE(v.ok);
    CHECK(v.difference == 1);
    ob.add(out_counter::drop_rd);
    CHECK(check(eqs[0], r.take(), false).ok);
}

TEST_CASE("dedup equations on a real table: open mid-run, closed after flush")
{
    dedup::config cfg;
    cfg.max_entries = 256; // small: pressure evictions happen
    cfg.idle_timeout = 50;
    cfg.max_age = 400;
    dedup::table t(cfg);

    registry r;
    auto const id = r.add_table(dedup::counter_table);
    r.add_block(id, block_scope::on_worker(0), t.counters().v.data());
    auto const eqs = parse_equations(dedup_equations);

    std::mt19937_64 rng(42);
    std::uint64_t expired_count_sum = 0;
    auto on_expire = [&](const dedup::expired_entry& e) { expired_count_sum += e.count; };
    std::vector<std::vector<std::uint8_t>> key_store(64);
    for (dedup::seconds now = 1; now < 1400; now += 3) {
        std::array<dedup::byte_view, 64> keys;
        std::array<std::uint64_t, 64> hashes;
        std::array<dedup::seconds, 64> times;
        std::array<std::uint32_t, 64> ttls;
        std::array<dedup::outcome, 64> res;
        for (std::size_t i = 0; i < 64; ++i) {
            // 200 keys per 500 s epoch (fits the table), then 200 new ones: the old set leaves
            // by pressure, idle time and age. Lengths vary (some over 64 bytes: chunks).
            auto const k = rng() % 200 + (now / 500) * 200;
            key_store[i].assign(8 + (k % 5) * 30, static_cast<std::uint8_t>(k));
            key_store[i][0] = static_cast<std::uint8_t>(k >> 8);
            keys[i] = key_store[i];
            hashes[i] = dedup::hash(keys[i], 7);
            times[i] = now;
            ttls[i] = 300;
        }
        t.lookup_or_insert_burst(keys, hashes, times, ttls, res, on_expire);
        t.expire(now, 16, on_expire);
    }
    auto mid = check_all(eqs, r.take(), true);
    // Entries are still cached: nothing has balanced yet.
    CHECK(t.size() > 0);
    CHECK_FALSE(mid[0].ok);
    CHECK(mid[0].difference == static_cast<std::int64_t>(t.size()));
    CHECK_FALSE(mid[1].ok);
    // Mid-run verdicts are not judged unless the caller says the run finished.
    CHECK(all_ok(check_all(eqs, r.take(), false)));

    t.flush_all(on_expire);
    auto const s = r.take();
    auto end = check_all(eqs, s, true);
    INFO(describe_failures(end));
    CHECK(all_ok(end));
    CHECK(end[0].checked);
    CHECK(s.total("dedup.expired_observations") == expired_count_sum);
    CHECK(s.total("dedup.evict_pressure") > 0);
    CHECK(s.total("dedup.expire_idle") > 0);
    CHECK(s.total("dedup.expire_age") > 0);
    CHECK(s.total("dedup.suppressed") > 0);
}
