// SPDX-License-Identifier: Apache-2.0
#pragma once
// The dedup table's counters: one cache-aligned block per table (one table per owner core,
// single writer, so plain increments), and a static (name, description) table that docs and
// telemetry list. Names follow the `stage.reason` rule.

#include <array>
#include <cstddef>
#include <cstdint>

namespace siehub::dedup {

enum class counter : std::uint8_t {
    inserted,           // first sight: caller emits INSERTION
    suppressed,         // duplicate while cached: count + 1, no output
    bypass_oversize,    // key larger than max_key_bytes: not cached
    dropped,            // no room even after eviction (unreachable by design; see README)
    expire_idle,        // EXPIRATION: idle >= idle_timeout since time_last
    expire_age,         // EXPIRATION: age >= max_age since time_first
    evict_pressure,     // EXPIRATION: LRU victim because entries or key bytes ran out
    evict_collision,    // EXPIRATION: cuckoo path search failed, oldest of 16 candidates evicted
    flush,              // EXPIRATION: flush_all (orderly shutdown or snapshot)
    expired_observations, // sum of count over every EXPIRATION emitted
    cuckoo_moves,       // entries relocated to their other bucket to make room
    count_
};

inline constexpr std::size_t n_counters = static_cast<std::size_t>(counter::count_);

struct counter_info {
    const char* name;
    const char* description;
};

inline constexpr std::array<counter_info, n_counters> counter_table{{
    {"dedup.inserted", "RRsets seen for the first time while not cached (INSERTION emitted)"},
    {"dedup.suppressed", "RRset observations absorbed by a cached entry (count incremented)"},
    {"dedup.bypass_oversize", "RRsets whose key exceeds dedup.max_key_bytes and skip the cache"},
    {"dedup.dropped", "RRsets that found no room even after eviction (should stay 0)"},
    {"dedup.expire_idle", "entries expired: no observation for dedup.idle seconds"},
    {"dedup.expire_age", "entries expired: first seen dedup.max_age seconds ago"},
    {"dedup.evict_pressure", "entries evicted (LRU) because the entry or key-byte bound was hit"},
    {"dedup.evict_collision", "entries evicted because both cuckoo buckets and every "
                              "displacement path were full"},
    {"dedup.flush", "entries expired by an orderly flush (shutdown or snapshot)"},
    {"dedup.expired_observations", "sum of EXPIRATION counts emitted (equals observations "
                                   "absorbed once the table is flushed)"},
    {"dedup.cuckoo_moves", "entries moved to their alternative bucket to make room"},
}};

struct alignas(64) counter_block {
    std::array<std::uint64_t, n_counters> v{};

    void add(counter c, std::uint64_t n = 1) noexcept { v[static_cast<std::size_t>(c)] += n; }
    [[nodiscard]] std::uint64_t get(counter c) const noexcept
    {
        return v[static_cast<std::size_t>(c)];
    }
};

} // namespace siehub::dedup
