// SPDX-License-Identifier: Apache-2.0
// Base-domain lookup: psl_table::lookup on wire names vs libpsl's psl_registrable_domain on the
// same names (dotted), same run, same list (/usr/share/publicsuffix). Names: 3-5 labels, 60%
// under the commonest suffixes, 40% under any rule of the list (fixed seed). Also reports the
// load and compile times and the compiled table's memory.

#include <libpsl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "newness/psl_list.hpp"
#include "newness/psl_table.hpp"

using namespace siehub;
using namespace siehub::newness;

namespace {

std::vector<std::uint8_t> to_wire(const std::string& dotted)
{
    std::vector<std::uint8_t> w;
    std::size_t pos = 0;
    while (pos < dotted.size()) {
        std::size_t dot = dotted.find('.', pos);
        if (dot == std::string::npos) {
            dot = dotted.size();
        }
        w.push_back(static_cast<std::uint8_t>(dot - pos));
        w.insert(w.end(), dotted.begin() + static_cast<std::ptrdiff_t>(pos),
                 dotted.begin() + static_cast<std::ptrdiff_t>(dot));
        pos = dot + 1;
    }
    w.push_back(0);
    return w;
}

std::string label(std::mt19937_64& rng)
{
    std::size_t const len = 3 + rng() % 10;
    std::string s;
    for (std::size_t i = 0; i < len; ++i) {
        s.push_back(static_cast<char>('a' + rng() % 26));
    }
    return s;
}

double ms_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main()
{
    auto t0 = std::chrono::steady_clock::now();
    load_result const list = load_psl_file();
    double const load_ms = ms_since(t0);
    if (!list.ok()) {
        std::fprintf(stderr, "cannot load %s: %s (line %u)\n", default_psl_path,
                     to_string(list.status), list.line);
        return 1;
    }
    t0 = std::chrono::steady_clock::now();
    psl_table const table(list.rules, psl_options{});
    double const build_ms = ms_since(t0);
    psl_ctx_t* ctx = psl_load_file(default_psl_path);
    if (ctx == nullptr) {
        std::fprintf(stderr, "libpsl cannot load %s\n", default_psl_path);
        return 1;
    }

    static const char* const common[] = {"com",    "net", "org", "de",   "co.uk", "ru", "jp",
                                         "com.br", "io",  "cn",  "info", "nl",    "fr", "com.au"};
    std::mt19937_64 rng(42);
    std::vector<std::string> dotted;
    std::vector<std::vector<std::uint8_t>> wire;
    constexpr std::size_t n_names = 1 << 16;
    for (std::size_t i = 0; i < n_names; ++i) {
        std::string suffix = rng() % 10 < 6 ? common[rng() % std::size(common)]
                                            : list.rules[rng() % list.rules.size()].name;
        // 3-5 labels in all, and at least one label under the suffix
        auto const suffix_labels =
            1 + static_cast<std::size_t>(std::count(suffix.begin(), suffix.end(), '.'));
        std::size_t const labels = std::max<std::size_t>(3 + rng() % 3, suffix_labels + 1);
        std::string name = suffix;
        for (std::size_t have = suffix_labels; have < labels; ++have) {
            name = label(rng) + "." + name;
        }
        dotted.push_back(name);
        wire.push_back(to_wire(name));
    }
    // Names side by side in one buffer, as they would sit in a burst of packets.
    std::vector<std::uint8_t> arena;
    for (const auto& w : wire) {
        arena.insert(arena.end(), w.begin(), w.end());
    }
    std::vector<core::byte_view> views;
    std::size_t at = 0;
    for (const auto& w : wire) {
        views.emplace_back(arena.data() + at, w.size());
        at += w.size();
    }

    std::size_t i = 0;
    std::size_t ok = 0;
    auto ours = bench::measure("psl_table::lookup (wire, 64k names)", [&] {
        base_result const r = table.lookup(views[i++ & (n_names - 1)]);
        ok += r.ok();
        bench::keep(r);
    });
    std::size_t j = 0;
    std::array<base_result, 32> out{};
    auto burst = bench::measure(
        "psl_table::lookup_burst (32 names, per name)",
        [&] {
            table.lookup_burst(std::span(views).subspan((j++ * 32) & (n_names - 1), 32), out);
            bench::keep(out);
        },
        1000);
    burst.ns_per_op /= 32;
    i = 0;
    auto theirs = bench::measure("libpsl psl_registrable_domain (same names)", [&] {
        const char* rd = psl_registrable_domain(ctx, dotted[i++ & (n_names - 1)].c_str());
        bench::keep(rd);
    });
    // Hot case: one name over and over (everything in L1).
    core::byte_view const one = views[0];
    auto hot = bench::measure("psl_table::lookup (one name, hot)", [&] {
        base_result const r = table.lookup(one);
        bench::keep(r);
    });

    bench::print(ours);
    bench::print(burst);
    bench::print(theirs);
    bench::print(hot);
    bench::print_ratio("speed-up vs libpsl", ours, theirs);
    bench::print_ratio("burst vs single lookups", burst, ours);
    std::printf("list: %zu rules (%zu ICANN, %zu private), load %.1f ms, compile %.1f ms\n",
                list.rules.size(), list.icann_rules, list.private_rules, load_ms, build_ms);
    std::printf("table: %zu entries, %zu slots, %zu bytes (%.1f KiB), max rule labels %zu\n",
                table.entries(), table.slots(), table.memory_bytes(),
                double(table.memory_bytes()) / 1024.0, table.max_rule_labels());
    bench::keep(ok);
    psl_free(ctx);
    return 0;
}
