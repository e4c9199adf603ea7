// SPDX-License-Identifier: Apache-2.0
#pragma once
// The seen-sets of the newness stage (sie.md §4): names and facts kept as 64-bit fingerprints
// (seeded XXH3 of the canonical bytes) in a compact open-addressing table.
//
// Layout: buckets of 8 u64 slots (one cache line); a key goes to bucket fastrange(mix(key))
// and, when that bucket is full, to the next one (bucketised linear probing). 0 marks an empty
// slot (a fingerprint of 0 is stored as 1). A lookup reads one cache line in the common case
// and stops at the first bucket that still has an empty slot. The table grows by 1.5x when it
// would pass 90 % load, so it stays between 60 % and 90 % full once warm: 8.9 .. 13.3 bytes
// per name (plus 2 bytes per slot for a day map). Growth allocates and rehashes: it happens
// O(log n) times in the life of a set and is counted (`grows()`).
//
// Errors are one-sided. Two different names with the same fingerprint make the second one
// look "seen" (a missed new name); a seen name always finds its own fingerprint, so it is
// never reported as new. With f fingerprint bits and n stored names the chance that a new
// name is reported seen is n / 2^f (f = 64: 5.4e-12 at n = 1e8); `fingerprint_bits` < 64 is
// there so tests and the benchmark can measure that rate at sizes where it is observable.
//
// A day map is the same table with a parallel u16 array: days since 1970-01-01 (good until
// 2149), the last-seen day of a base domain for NAD.
//
// Single writer, no locks: one instance belongs to one shard (one worker).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace siehub::newness {

class seen_table {
public:
    static constexpr std::size_t bucket_slots = 8;
    static constexpr double max_load = 0.9;

    // capacity: names to hold before the first growth. with_days: keep a u16 per slot.
    explicit seen_table(std::size_t capacity = 1024, bool with_days = false,
                        unsigned fingerprint_bits = 64);

    // Turns a 64-bit hash into the stored fingerprint (masked to fingerprint_bits, never 0).
    [[nodiscard]] std::uint64_t fingerprint(std::uint64_t hash) const noexcept
    {
        std::uint64_t const f = hash & fp_mask_;
        return f == 0 ? 1 : f;
    }

    [[nodiscard]] bool contains(std::uint64_t hash) const noexcept;

    // Inserts; true when the fingerprint was not there (a new name).
    bool insert(std::uint64_t hash);

    // Day map: inserts with `day` when absent (was_new), else sets the day to max(old, day)
    // and reports the old day.
    struct touch_result {
        bool was_new = false;
        std::uint16_t previous_day = 0;
    };
    touch_result touch(std::uint64_t hash, std::uint16_t day);
    // Day map: raises the day of a present key; an absent key is left absent (false).
    bool raise_day(std::uint64_t hash, std::uint16_t day) noexcept;

    // Pulls the key's first bucket into cache ahead of a lookup.
    void prefetch(std::uint64_t hash) const noexcept
    {
        __builtin_prefetch(&slots_[bucket_of(fingerprint(hash)) * bucket_slots]);
    }

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] std::size_t buckets() const noexcept { return buckets_; }
    [[nodiscard]] std::size_t slot_count() const noexcept { return slots_.size(); }
    [[nodiscard]] bool has_days() const noexcept { return with_days_; }
    [[nodiscard]] unsigned fingerprint_bits() const noexcept { return fp_bits_; }
    [[nodiscard]] std::size_t grows() const noexcept { return grows_; }
    [[nodiscard]] std::size_t memory_bytes() const noexcept
    {
        return slots_.size() * sizeof(std::uint64_t) + days_.size() * sizeof(std::uint16_t);
    }

    // Raw arrays for the snapshot (snapshot.cpp): slots, and days when has_days().
    [[nodiscard]] std::span<const std::uint64_t> raw_slots() const noexcept { return slots_; }
    [[nodiscard]] std::span<const std::uint16_t> raw_days() const noexcept { return days_; }
    // Mutable raw arrays sized for `buckets` (the snapshot loader reads into them).
    void resize_raw(std::size_t buckets);
    [[nodiscard]] std::span<std::uint64_t> raw_slots_mut() noexcept { return slots_; }
    [[nodiscard]] std::span<std::uint16_t> raw_days_mut() noexcept { return days_; }
    // After resize_raw + reading: recount occupied slots.
    std::size_t recount() noexcept;

private:
    [[nodiscard]] std::size_t bucket_of(std::uint64_t fp) const noexcept
    {
        std::uint64_t const m = fp * 0x9E3779B97F4A7C15ULL;
        return static_cast<std::size_t>(
            (static_cast<unsigned __int128>(m) * buckets_) >> 64);
    }
    // Slot holding fp, or the first empty slot on its probe path (slots_.size() if neither:
    // cannot happen below 100 % load).
    [[nodiscard]] std::size_t find_slot(std::uint64_t fp, bool& found) const noexcept;
    void grow();
    static std::size_t buckets_for(std::size_t names) noexcept;

    std::vector<std::uint64_t> slots_;
    std::vector<std::uint16_t> days_;
    std::size_t buckets_ = 0;
    std::size_t count_ = 0;
    std::size_t limit_ = 0; // count_ that triggers growth
    std::size_t grows_ = 0;
    std::uint64_t fp_mask_ = ~0ULL;
    unsigned fp_bits_ = 64;
    bool with_days_ = false;
};

} // namespace siehub::newness
