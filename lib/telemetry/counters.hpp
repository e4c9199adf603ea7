// SPDX-License-Identifier: Apache-2.0
#pragma once
// The counter vocabulary every stage uses: an enum of reasons, a static table of
// (name, one-line description) with names `stage.reason`, and a cache-aligned block of plain
// u64 counters owned by one worker (single writer: plain increments, readers tolerate tearing
// of nothing because u64 stores are atomic on the targets we run on).
//
//   enum class my_counter : std::uint8_t { ok, bad_thing, count_ };
//   inline constexpr std::array<telemetry::counter_info, 2> my_counter_table{{
//       {"mystage.ok", "payloads that passed"}, {"mystage.bad_thing", "…"}}};
//   telemetry::counter_block<my_counter> c;  c.add(my_counter::bad_thing);
//
// The registry (telemetry/registry.hpp) lists blocks by their table for stats, JSON and
// DPDK telemetry; docs/counters.md lists every table.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace siehub::telemetry {

struct counter_info {
    const char* name;
    const char* description;
};

template <class Enum>
inline constexpr std::size_t counter_count = static_cast<std::size_t>(Enum::count_);

template <class Enum> struct alignas(64) counter_block {
    std::array<std::uint64_t, counter_count<Enum>> v{};

    void add(Enum c, std::uint64_t n = 1) noexcept { v[static_cast<std::size_t>(c)] += n; }
    [[nodiscard]] std::uint64_t get(Enum c) const noexcept
    {
        return v[static_cast<std::size_t>(c)];
    }
    [[nodiscard]] std::span<const std::uint64_t> values() const noexcept { return v; }
};

// A reconciliation equation a stage declares next to its counter table, e.g.
//   {"dedup.entries", "dedup.inserted = dedup.expire_* + dedup.evict_* + dedup.flush",
//    reconcile_when::after_flush, "every cached entry leaves the table exactly once"}
// Terms are counter names or globs (`*` matches any run of characters); `+`/`-` on both sides.
// telemetry/reconcile.hpp parses and checks them; docs/counters.md lists them.
enum class reconcile_when : std::uint8_t {
    always,      // holds on any snapshot taken between bursts (in-flight work aside)
    after_flush, // holds once the run ended cleanly (rings drained, tables flushed)
};

struct equation_info {
    const char* name;
    const char* expression;
    reconcile_when when;
    const char* description;
};

} // namespace siehub::telemetry
