// SPDX-License-Identifier: Apache-2.0
#pragma once
// The counter registry: built once at start-up on the control side (it allocates), then frozen
// and read by the control thread (live line, --stats-json) and the DPDK telemetry thread.
//
//   registry reg;
//   auto t = reg.add_table(dedup::counter_table);              // any {name, description} shape
//   reg.add_block(t, block_scope::worker(w), dedup_blocks[w].v.data());
//   reg.add_block(emit_t, block_scope::channel(w, 204, "ch204"), emit_blocks[w][i].v.data());
//   snapshot s = reg.take();     // totals, per worker, per port, per channel
//
// Writers are the workers: plain u64 stores into their own cache-aligned blocks, no atomics, no
// locks. The reader loads each value with a relaxed std::atomic_ref, which on x86-64 and
// AArch64 is the same instruction as a plain aligned load: a value is never torn, it may only
// be a burst old. Totals of different counters are therefore not one instant; equations over
// them hold when the workers are quiescent (reconcile.hpp).

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "telemetry/counters.hpp"

namespace siehub::telemetry {

// Where a block's counts belong besides the totals. Every block has a worker (the lcore's
// index, or control_worker for counters the control thread writes, e.g. ethdev stats); a
// block may also belong to one port or one channel, which feeds the per-port/per-channel views.
struct block_scope {
    enum class kind : std::uint8_t { worker, port, channel };
    static constexpr std::uint32_t control_worker = 0xffffffffu;

    kind scope = kind::worker;
    std::uint32_t worker = 0;
    std::uint32_t id = 0; // port id or channel number
    std::string label;    // "net_pcap0", "ch204"; empty: the id in decimal

    static block_scope on_worker(std::uint32_t w) { return {kind::worker, w, 0, {}}; }
    static block_scope port(std::uint32_t w, std::uint32_t port_id, std::string lbl = {})
    {
        return {kind::port, w, port_id, std::move(lbl)};
    }
    static block_scope channel(std::uint32_t w, std::uint32_t ch, std::string lbl = {})
    {
        return {kind::channel, w, ch, std::move(lbl)};
    }
};

// Any table entry with `name` and `description` C strings: telemetry::counter_info and the
// stage-local copies of it (dedup::counter_info) alike.
template <class Info>
concept counter_info_like = requires(const Info& i)
{
    {
        i.name
        } -> std::convertible_to<const char*>;
    {
        i.description
        } -> std::convertible_to<const char*>;
};

// Sums over one group of blocks (all blocks, one worker's, one port's, one channel's).
// `values` is indexed like snapshot::names; `has_table[t]` says whether any block of table t
// fed the group, so a view lists only the counters that exist for it.
struct counter_group {
    std::uint32_t id = 0;
    std::string label;
    std::vector<std::uint64_t> values;
    std::vector<bool> has_table;

    [[nodiscard]] bool has_counter(std::size_t i, std::span<const std::uint32_t> table_of) const
    {
        return has_table[table_of[i]];
    }
};

struct snapshot {
    // Every registered counter in registration order, and the table each belongs to.
    std::vector<std::string_view> names;
    std::vector<std::string_view> descriptions;
    std::vector<std::uint32_t> table_of;

    counter_group totals;
    std::vector<counter_group> workers;  // ascending worker id; control_worker last if present
    std::vector<counter_group> ports;    // ascending port id
    std::vector<counter_group> channels; // ascending channel number

    // Index of a counter by exact name, or nullopt.
    [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const;
    // Total of a counter by exact name; 0 when absent (use find() to tell the difference).
    [[nodiscard]] std::uint64_t total(std::string_view name) const;
    // Indices of the counters matching a glob (`*` = any run of characters), in order.
    [[nodiscard]] std::vector<std::size_t> match(std::string_view glob) const;
};

// `*` matches any run of characters (including dots); everything else matches itself.
[[nodiscard]] bool glob_match(std::string_view glob, std::string_view name) noexcept;

class registry {
public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    // Registers a stage's table and returns its table id. Throws std::invalid_argument when a
    // name is not `stage.reason` (lowercase, digits, `_`) or is already registered: a clash
    // would make totals and equations ambiguous.
    template <counter_info_like Info> std::uint32_t add_table(std::span<const Info> table)
    {
        std::vector<counter_info> conv;
        conv.reserve(table.size());
        for (const auto& i : table) {
            conv.push_back({i.name, i.description});
        }
        return add_table_impl(conv);
    }
    template <counter_info_like Info, std::size_t N>
    std::uint32_t add_table(const std::array<Info, N>& table)
    {
        return add_table(std::span<const Info>(table));
    }

    // Registers one block of `table`'s counters (table.size() u64 values at `values`, which
    // must stay valid and 8-byte aligned while the registry is read).
    void add_block(std::uint32_t table, block_scope scope, const std::uint64_t* values);

    [[nodiscard]] std::size_t table_count() const noexcept { return tables_.size(); }
    [[nodiscard]] std::size_t counter_count() const noexcept { return names_.size(); }
    [[nodiscard]] std::size_t block_count() const noexcept { return blocks_.size(); }

    // Reads every block once (relaxed loads) and sums the groups. Allocates: control side.
    [[nodiscard]] snapshot take() const;

private:
    struct table_rec {
        std::uint32_t first; // index of its first counter
        std::uint32_t size;
    };
    struct block_rec {
        std::uint32_t table;
        block_scope scope;
        const std::uint64_t* values;
    };

    std::uint32_t add_table_impl(std::span<const counter_info> table);

    std::vector<table_rec> tables_;
    std::vector<std::string_view> names_;
    std::vector<std::string_view> descriptions_;
    std::vector<std::uint32_t> table_of_;
    std::map<std::string_view, std::size_t> index_;
    std::vector<block_rec> blocks_;
};

} // namespace siehub::telemetry
