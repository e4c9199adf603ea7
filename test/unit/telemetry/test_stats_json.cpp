// SPDX-License-Identifier: Apache-2.0
// --stats-json: the document parses as strict JSON, keys come in the documented stable order,
// values and verdicts are the snapshot's, and the file is replaced atomically.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "proto/json/json_reader.hpp"
#include "telemetry/stats_json.hpp"

using namespace siehub;
using namespace siehub::telemetry;

namespace {
enum class a_counter : std::uint8_t { zeta, alpha, count_ };
inline constexpr std::array<counter_info, 2> a_table{
    {{"stage_a.zeta", "z"}, {"stage_a.alpha", "a"}}};
enum class e_counter : std::uint8_t { payloads, count_ };
inline constexpr std::array<counter_info, 1> e_table{{{"emit.payloads", "p"}}};

std::vector<std::string> keys_of(const json::document& d, const json::node& obj)
{
    std::vector<std::string> out;
    for (auto const* n = d.first(obj); n != nullptr; n = d.next(*n)) {
        out.emplace_back(d.key(*n));
    }
    return out;
}

const json::node& get(const json::document& d, const json::node& obj, std::string_view k)
{
    auto const* n = d.find(obj, k);
    INFO("key " << k);
    REQUIRE(n != nullptr);
    return *n;
}

std::string slurp(const std::filesystem::path& p)
{
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
} // namespace

TEST_CASE("stats JSON content and key order")
{
    registry r;
    auto const a = r.add_table(a_table);
    auto const e = r.add_table(e_table);
    counter_block<a_counter> a0, a1;
    counter_block<e_counter> e0;
    r.add_block(a, block_scope::port(1, 0, "net_pcap0"), a1.v.data());
    r.add_block(a, block_scope::port(0, 0, "net_pcap0"), a0.v.data());
    r.add_block(e, block_scope::channel(0, 204, "ch204"), e0.v.data());
    a0.add(a_counter::zeta, 3);
    a1.add(a_counter::zeta, 4);
    a1.add(a_counter::alpha, 1);
    e0.add(e_counter::payloads, 7);

    auto const eqs = parse_equations(std::array<equation_info, 2>{{
        {"x.ok", "stage_a.zeta = emit.payloads", reconcile_when::always, ""},
        {"x.bad", "stage_a.alpha = emit.payloads", reconcile_when::after_flush, "\"q\""},
    }});
    auto const s = r.take();
    auto const vs = check_all(eqs, s, true);
    std::string const text = render_stats_json(s, vs, {2.5, true});

    json::document d;
    REQUIRE(d.parse(text) == json::read_error::none);
    auto const& root = d.root();
    CHECK(keys_of(d, root) == std::vector<std::string>{"format", "duration_s", "finished", "totals",
                                                       "workers", "ports", "channels",
                                                       "reconciliation"});
    CHECK(d.str(get(d, root, "format")) == "siehub-stats-1");
    CHECK(get(d, root, "duration_s").real == Approx(2.5));
    CHECK(get(d, root, "finished").boolean);

    auto const& totals = get(d, root, "totals");
    CHECK(keys_of(d, totals) ==
          std::vector<std::string>{"emit.payloads", "stage_a.alpha", "stage_a.zeta"});
    CHECK(get(d, totals, "stage_a.zeta").u64 == 7);
    CHECK(get(d, totals, "emit.payloads").u64 == 7);

    auto const& workers = get(d, root, "workers");
    REQUIRE(workers.child_count == 2);
    auto const* w0 = d.first(workers);
    auto const* w1 = d.next(*w0);
    CHECK(get(d, *w0, "worker").u64 == 0);
    CHECK(get(d, *w1, "worker").u64 == 1);
    CHECK(keys_of(d, get(d, *w0, "counters")) ==
          std::vector<std::string>{"emit.payloads", "stage_a.alpha", "stage_a.zeta"});
    // Worker 1 has no emit block: its object lists only stage_a.
    CHECK(keys_of(d, get(d, *w1, "counters")) ==
          std::vector<std::string>{"stage_a.alpha", "stage_a.zeta"});
    CHECK(get(d, get(d, *w1, "counters"), "stage_a.zeta").u64 == 4);

    auto const& ports = get(d, root, "ports");
    REQUIRE(ports.child_count == 1);
    CHECK(d.str(get(d, *d.first(ports), "label")) == "net_pcap0");
    CHECK(get(d, get(d, *d.first(ports), "counters"), "stage_a.zeta").u64 == 7);
    auto const& channels = get(d, root, "channels");
    REQUIRE(channels.child_count == 1);
    CHECK(get(d, *d.first(channels), "channel").u64 == 204);
    CHECK(keys_of(d, get(d, *d.first(channels), "counters")) ==
          std::vector<std::string>{"emit.payloads"});

    auto const& rec = get(d, root, "reconciliation");
    CHECK_FALSE(get(d, rec, "ok").boolean);
    auto const& list = get(d, rec, "equations");
    REQUIRE(list.child_count == 2);
    auto const* good = d.first(list);
    auto const* bad = d.next(*good);
    CHECK(d.str(get(d, *good, "name")) == "x.ok");
    CHECK(get(d, *good, "ok").boolean);
    CHECK(d.str(get(d, *bad, "when")) == "after_flush");
    CHECK(get(d, *bad, "checked").boolean);
    CHECK_FALSE(get(d, *bad, "ok").boolean);
    CHECK(get(d, *bad, "difference").negative);
    CHECK(get(d, *bad, "difference").i64 == -6);

    // Same input, same bytes.
    CHECK(render_stats_json(r.take(), vs, {2.5, true}) == text);
}

TEST_CASE("strings are escaped")
{
    std::string out;
    append_json_string(out, std::string_view("a\"b\\c\n\x01", 7));
    CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST_CASE("stats file is replaced atomically and errors are reported")
{
    auto const dir =
        std::filesystem::temp_directory_path() / ("siehub-stats-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto const path = dir / "stats.json";
    write_file_atomic(path.string(), "old\n");
    write_file_atomic(path.string(), "{\"new\": 1}\n");
    CHECK(slurp(path) == "{\"new\": 1}\n");
    // Nothing but the target is left behind.
    std::size_t files = 0;
    for (auto const& ent : std::filesystem::directory_iterator(dir)) {
        (void)ent;
        ++files;
    }
    CHECK(files == 1);
    CHECK_THROWS_AS(write_file_atomic((dir / "missing" / "s.json").string(), "x"),
                    std::system_error);
    std::filesystem::remove_all(dir);
}
