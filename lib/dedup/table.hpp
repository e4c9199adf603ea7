// SPDX-License-Identifier: Apache-2.0
#pragma once
// The per-core RRset deduplication table (sie.md §3): a bucketised cuckoo hash over
// canonical RRset keys (key.hpp), with bounded memory, LRU eviction under pressure, idle and
// max-age expiry on the caller's clock (payload seconds), and a bulk lookup done in phases
// (hash the burst, prefetch buckets, prefetch candidate entries, then compare), after DPDK's
// __bulk_lookup_prefetching_loop.
//
// Single writer: exactly one owner core uses a table; no locks, no atomics. After construction
// nothing allocates; no call throws, logs or makes a syscall. See lib/dedup/README.md for the
// layout, the bounds, and what happens at each bound.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "core/bytes.hpp"
#include "dedup/counters.hpp"
#include "dedup/key.hpp"

namespace siehub::dedup {

using seconds = std::uint32_t; // observation clock: payload time, whole seconds (unsigned)

struct config {
    std::uint32_t max_entries = 1u << 20;
    // Key bytes beyond the first 64 of each key come from a shared pool of 64-byte chunks of
    // this many bytes in all (rounded up to a chunk). 0 means max_entries * 64.
    std::uint64_t overflow_bytes = 0;
    // Keys longer than this bypass the cache (counted; the caller emits INSERTION and an
    // immediate count-1 EXPIRATION). At most 65535 and at most 64 + overflow_bytes.
    std::uint32_t max_key_bytes = 2048;
    seconds idle_timeout = 3 * 3600; // sie.md §3 dedup.idle default
    seconds max_age = 24 * 3600;     // sie.md §3 dedup.max_age default
};

enum class config_error : std::uint8_t {
    ok = 0,
    no_entries,      // max_entries == 0
    too_many_entries, // max_entries > 2^30
    key_too_large,   // max_key_bytes > 65535 or larger than one entry's chunk budget
    zero_timeout,    // idle_timeout or max_age == 0
};

const char* to_string(config_error e) noexcept;
config_error validate(const config& c) noexcept;

enum class outcome : std::uint8_t {
    inserted,  // first sight: emit INSERTION (count 1, time_first = time_last = obs time)
    duplicate, // suppressed: count + 1, time_first = min, time_last = max, rrttl = latest
    bypass,    // key larger than max_key_bytes: not cached
    dropped,   // no room even after eviction (cannot happen with a valid config; counted)
};

const char* to_string(outcome o) noexcept;

enum class expire_reason : std::uint8_t { idle, age, pressure, collision, flush };

const char* to_string(expire_reason r) noexcept;

// What an EXPIRATION carries. `key` (the canonical RRset, parse with parse_key) is valid only
// during the sink call.
struct expired_entry {
    expire_reason reason;
    std::uint64_t count;
    seconds time_first;
    seconds time_last;
    std::uint32_t rrttl;
    byte_view key;
};

// A non-owning reference to a callable void(const expired_entry&): one indirect call per
// EXPIRATION (rare next to lookups), and no template in the table's interface.
class expire_sink {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, expire_sink>)
    expire_sink(F& f) noexcept // NOLINT: implicit by design, like a function_ref
        : ctx_(static_cast<void*>(&f)),
          fn_([](void* c, const expired_entry& e) { (*static_cast<F*>(c))(e); })
    {
    }
    void operator()(const expired_entry& e) const { fn_(ctx_, e); }

private:
    void* ctx_;
    void (*fn_)(void*, const expired_entry&);
};

// A cached entry's aggregate, for inspection and tests.
struct entry_info {
    std::uint64_t count;
    seconds time_first;
    seconds time_last;
    std::uint32_t rrttl;
};

class table {
public:
    static constexpr std::uint32_t slots_per_bucket = 8;
    static constexpr std::uint32_t chunk_bytes = 64;
    static constexpr std::size_t max_burst = 64;

    // Requires validate(c) == ok (checked with an assert; allocation happens only here).
    explicit table(const config& c);
    table(const table&) = delete;
    table& operator=(const table&) = delete;

    // Looks up each key, inserting on a miss. keys, hashes (dedup::hash with the hub seed),
    // times and ttls have n = results.size() <= max_burst elements. Keys are processed in
    // order, so a key repeated inside one burst is inserted once and then counted. Entries
    // evicted to make room go to `sink` before this returns.
    void lookup_or_insert_burst(std::span<const byte_view> keys,
                                std::span<const std::uint64_t> hashes,
                                std::span<const seconds> times, std::span<const std::uint32_t> ttls,
                                std::span<outcome> results, expire_sink sink) noexcept;

    // Expires at most `budget` entries that are idle (now - time_last >= idle_timeout) or old
    // (now - time_first >= max_age); returns how many. Call once per burst or per timer tick.
    std::uint32_t expire(seconds now, std::uint32_t budget, expire_sink sink) noexcept;

    // Expires every entry (reason flush), least recently used first; returns how many.
    std::uint64_t flush_all(expire_sink sink) noexcept;

    // Inspection (not for the fast path).
    [[nodiscard]] bool peek(byte_view key, std::uint64_t h, entry_info& out) const noexcept;
    [[nodiscard]] std::uint32_t size() const noexcept { return live_; }
    [[nodiscard]] std::uint32_t capacity() const noexcept { return max_entries_; }
    [[nodiscard]] std::uint32_t bucket_count() const noexcept { return mask_ + 1; }
    [[nodiscard]] std::uint32_t overflow_chunks_total() const noexcept { return n_chunks_; }
    [[nodiscard]] std::uint32_t overflow_chunks_free() const noexcept { return free_chunks_; }
    // Bytes held by the table's arrays; fixed at construction.
    [[nodiscard]] std::size_t memory_bytes() const noexcept;
    [[nodiscard]] const counter_block& counters() const noexcept { return counters_; }
    [[nodiscard]] const config& cfg() const noexcept { return cfg_; }

    // Walks every structure and checks its invariants (O(size)); for tests.
    [[nodiscard]] bool check_invariants() const noexcept;

    // Overflow chunks a key of `len` bytes needs (the first 64 bytes live in the entry).
    static constexpr std::uint32_t overflow_chunks_for(std::size_t len) noexcept
    {
        return len <= chunk_bytes ? 0 : static_cast<std::uint32_t>((len - 1) / chunk_bytes);
    }

private:
    static constexpr std::uint32_t nil = 0xffffffffu;

    // Slot s is empty when sig[s] == 0; computed signatures are never 0.
    struct alignas(64) bucket {
        std::uint16_t sig[slots_per_bucket];
        std::uint32_t idx[slots_per_bucket];
    };

    // Metadata and the first 64 key bytes in one 128-byte record: one page, two adjacent lines
    // (the adjacent-line prefetcher and one TLB entry cover both).
    struct alignas(64) entry {
        std::uint64_t hash;
        std::uint64_t count;
        seconds first;
        seconds last;
        std::uint32_t ttl;
        std::uint32_t chunk; // first overflow chunk, or nil
        std::uint32_t lru_prev, lru_next;   // most recent at head; also the free-entry list
        std::uint32_t fifo_prev, fifo_next; // insertion order, oldest at head
        std::uint16_t key_len;
        std::uint8_t home[chunk_bytes]; // the key's first 64 bytes
    };

    struct alignas(64) chunk {
        std::uint8_t b[chunk_bytes];
    };

    static std::uint16_t sig_of(std::uint64_t h) noexcept
    {
        auto const s = static_cast<std::uint16_t>(h >> 32);
        return s == 0 ? std::uint16_t{1} : s;
    }
    std::uint32_t primary_of(std::uint64_t h) const noexcept
    {
        return static_cast<std::uint32_t>(h) & mask_;
    }
    // The other bucket from a bucket and a signature alone (an involution), so that a
    // displacement never reads the entry.
    std::uint32_t alt_of(std::uint32_t b, std::uint16_t sig) const noexcept
    {
        return (b ^ ((std::uint32_t{sig} * 0x9e3779b1u) >> alt_shift_)) & mask_;
    }
    static std::uint32_t match_mask(const bucket& bk, std::uint16_t sig) noexcept;

    std::uint32_t find(byte_view key, std::uint64_t h) const noexcept;
    bool key_equal(std::uint32_t e, byte_view key) const noexcept;
    outcome insert(byte_view key, std::uint64_t h, seconds t, std::uint32_t ttl,
                   expire_sink& sink) noexcept;
    bool place(std::uint32_t e, std::uint64_t h, expire_sink& sink) noexcept;
    bool make_room(std::uint32_t b1, std::uint32_t b2) noexcept;
    void remove(std::uint32_t e, expire_reason why, expire_sink& sink) noexcept;
    byte_view gather(std::uint32_t e) const noexcept;

    void lru_unlink(std::uint32_t e) noexcept;
    void lru_push_head(std::uint32_t e) noexcept;
    void fifo_unlink(std::uint32_t e) noexcept;
    void fifo_push_tail(std::uint32_t e) noexcept;

    config cfg_;
    std::uint32_t max_entries_ = 0;
    std::uint32_t mask_ = 0;
    std::uint32_t alt_shift_ = 0;
    std::uint32_t n_chunks_ = 0;
    std::uint32_t free_chunks_ = 0;
    std::uint32_t free_chunk_head_ = nil;
    std::uint32_t free_entry_head_ = nil;
    std::uint32_t live_ = 0;
    std::uint32_t lru_head_ = nil, lru_tail_ = nil;
    std::uint32_t fifo_head_ = nil, fifo_tail_ = nil;

    std::vector<bucket> buckets_;
    std::vector<entry> entries_;
    std::vector<chunk> chunks_;        // overflow pool
    std::vector<std::uint32_t> chunk_next_;
    std::unique_ptr<std::uint8_t[]> scratch_; // max_key_bytes: a whole key for the sink

    counter_block counters_;
};

} // namespace siehub::dedup
