// SPDX-License-Identifier: Apache-2.0
// Control-side costs of telemetry at hub scale: 8 workers, 10 stage tables of 16 counters,
// plus per-(worker, channel) emit blocks for 6 channels. The workers pay nothing here (plain
// u64 adds into their own blocks); these figures bound what a once-per-second live line,
// a telemetry request or --stats-json costs the control thread.
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "telemetry/live_line.hpp"
#include "telemetry/reconcile.hpp"
#include "telemetry/registry.hpp"
#include "telemetry/stats_json.hpp"

using namespace siehub;
using namespace siehub::telemetry;
using namespace siehub::bench;

int main()
{
    constexpr std::size_t n_tables = 10;
    constexpr std::size_t per_table = 16;
    constexpr std::uint32_t workers = 8;
    constexpr std::array<std::uint32_t, 6> channels{202, 204, 220, 221, 255, 212};

    // Names must outlive the registry: stored here.
    std::vector<std::string> names;
    names.reserve(n_tables * per_table);
    std::vector<std::vector<counter_info>> tables(n_tables);
    for (std::size_t t = 0; t < n_tables; ++t) {
        for (std::size_t i = 0; i < per_table; ++i) {
            names.push_back("stage" + std::to_string(t) + ".reason_" + std::to_string(i));
        }
    }
    for (std::size_t t = 0; t < n_tables; ++t) {
        for (std::size_t i = 0; i < per_table; ++i) {
            tables[t].push_back({names[t * per_table + i].c_str(), "bench"});
        }
    }
    registry reg;
    std::vector<std::uint32_t> ids;
    for (auto& t : tables) {
        ids.push_back(reg.add_table(std::span<const counter_info>(t)));
    }
    struct alignas(64) block {
        std::array<std::uint64_t, per_table> v{};
    };
    std::vector<block> blocks(workers * (n_tables - 1 + channels.size()));
    std::size_t b = 0;
    for (std::uint32_t w = 0; w < workers; ++w) {
        for (std::size_t t = 0; t + 1 < n_tables; ++t) {
            blocks[b].v.fill(w + t);
            reg.add_block(ids[t], block_scope::on_worker(w), blocks[b++].v.data());
        }
        for (auto ch : channels) {
            blocks[b].v.fill(ch);
            reg.add_block(ids[n_tables - 1], block_scope::channel(w, ch), blocks[b++].v.data());
        }
    }
    std::vector<equation_info> infos;
    for (std::size_t t = 0; t < 10; ++t) {
        infos.push_back({"bench.eq", "stage0.reason_0 = stage1.* + stage2.reason_3 - stage9.*",
                         reconcile_when::always, ""});
    }
    auto const eqs = parse_equations(infos);
    live_line line({"stage0.reason_0",
                    "stage9.reason_1",
                    "stage0.reason_2",
                    "stage9.reason_3",
                    "stage3.reason_0",
                    {"stage4.*", "stage5.*"},
                    3});

    std::printf("registry: %zu counters, %zu blocks\n", reg.counter_count(), reg.block_count());
    print(measure(
        "registry::take (snapshot, all groups)", [&] { keep(reg.take()); }, 100));
    auto const s = reg.take();
    print(measure(
        "check_all, 10 glob equations", [&] { keep(check_all(eqs, s, true)); }, 100));
    auto const vs = check_all(eqs, s, true);
    print(measure(
        "render_stats_json",
        [&] {
            keep(render_stats_json(s, vs, {1.0, true}));
        },
        20));
    print(measure(
        "live_line::format", [&] { keep(line.format(s, 1.0, 1.0)); }, 100));
    std::printf("stats JSON size: %zu bytes\n", render_stats_json(s, vs, {1.0, true}).size());
    return 0;
}
