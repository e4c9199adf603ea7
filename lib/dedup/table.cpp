// SPDX-License-Identifier: Apache-2.0
#include "dedup/table.hpp"

#include <bit>
#include <cassert>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace siehub::dedup {

namespace {

// Target load of the slot array at max_entries: 8-way buckets with two choices and a bounded
// breadth-first displacement search fill past 95% in practice; 80% leaves the search short.
constexpr double max_load = 0.80;
// Breadth-first displacement search: at most this many buckets visited per insertion.
constexpr std::uint32_t bfs_nodes = 64;

} // namespace

const char* to_string(config_error e) noexcept
{
    switch (e) {
    case config_error::ok:
        return "ok";
    case config_error::no_entries:
        return "no_entries";
    case config_error::too_many_entries:
        return "too_many_entries";
    case config_error::key_too_large:
        return "key_too_large";
    case config_error::zero_timeout:
        return "zero_timeout";
    }
    return "unknown";
}

const char* to_string(outcome o) noexcept
{
    switch (o) {
    case outcome::inserted:
        return "inserted";
    case outcome::duplicate:
        return "duplicate";
    case outcome::bypass:
        return "bypass";
    case outcome::dropped:
        return "dropped";
    }
    return "unknown";
}

const char* to_string(expire_reason r) noexcept
{
    switch (r) {
    case expire_reason::idle:
        return "idle";
    case expire_reason::age:
        return "age";
    case expire_reason::pressure:
        return "pressure";
    case expire_reason::collision:
        return "collision";
    case expire_reason::flush:
        return "flush";
    }
    return "unknown";
}

namespace {

std::uint64_t overflow_bytes_of(const config& c) noexcept
{
    return c.overflow_bytes != 0 ? c.overflow_bytes : std::uint64_t{c.max_entries} * 64;
}

std::uint32_t chunk_count_of(const config& c) noexcept
{
    auto const n = (overflow_bytes_of(c) + table::chunk_bytes - 1) / table::chunk_bytes;
    return n > 0xfffffff0u ? 0xfffffff0u : static_cast<std::uint32_t>(n);
}

} // namespace

config_error validate(const config& c) noexcept
{
    if (c.max_entries == 0) {
        return config_error::no_entries;
    }
    if (c.max_entries > (1u << 30)) {
        return config_error::too_many_entries;
    }
    if (c.max_key_bytes > 0xffff ||
        table::overflow_chunks_for(c.max_key_bytes) > chunk_count_of(c)) {
        return config_error::key_too_large;
    }
    if (c.idle_timeout == 0 || c.max_age == 0) {
        return config_error::zero_timeout;
    }
    return config_error::ok;
}

table::table(const config& c) : cfg_(c)
{
    assert(validate(c) == config_error::ok);
    max_entries_ = c.max_entries;
    auto const want = static_cast<std::uint64_t>(double(max_entries_) / (slots_per_bucket * max_load)) + 1;
    auto const nb = std::bit_ceil(want < 2 ? std::uint64_t{2} : want);
    mask_ = static_cast<std::uint32_t>(nb - 1);
    alt_shift_ = 32 - static_cast<std::uint32_t>(std::countr_zero(nb));
    n_chunks_ = chunk_count_of(c);

    buckets_.resize(nb);
    std::memset(static_cast<void*>(buckets_.data()), 0, nb * sizeof(bucket));
    entries_.resize(max_entries_);
    chunks_.resize(n_chunks_);
    chunk_next_.resize(n_chunks_);
    scratch_ = std::make_unique<std::uint8_t[]>(c.max_key_bytes + 1);

    for (std::uint32_t i = 0; i < max_entries_; ++i) {
        entries_[i].lru_next = i + 1 < max_entries_ ? i + 1 : nil;
    }
    free_entry_head_ = 0;
    for (std::uint32_t i = 0; i < n_chunks_; ++i) {
        chunk_next_[i] = i + 1 < n_chunks_ ? i + 1 : nil;
    }
    free_chunk_head_ = n_chunks_ > 0 ? 0 : nil;
    free_chunks_ = n_chunks_;
}

std::size_t table::memory_bytes() const noexcept
{
    return buckets_.size() * sizeof(bucket) + entries_.size() * sizeof(entry) +
           chunks_.size() * sizeof(chunk) +
           chunk_next_.size() * sizeof(std::uint32_t) + cfg_.max_key_bytes + 1 + sizeof(*this);
}

// Bit 2*s is set when slot s holds `sig` (the SSE2 byte mask, halved); iterate with
// ctz(m) / 2 and m &= m - 1.
std::uint32_t table::match_mask(const bucket& bk, std::uint16_t sig) noexcept
{
#if defined(__SSE2__)
    auto const v = _mm_load_si128(reinterpret_cast<const __m128i*>(bk.sig));
    auto const eq = _mm_cmpeq_epi16(v, _mm_set1_epi16(static_cast<short>(sig)));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(eq)) & 0x5555u;
#else
    std::uint32_t m = 0;
    for (std::uint32_t s = 0; s < slots_per_bucket; ++s) {
        m |= std::uint32_t{bk.sig[s] == sig} << (2 * s);
    }
    return m;
#endif
}

// ---- lists ---------------------------------------------------------------------------------

void table::lru_unlink(std::uint32_t e) noexcept
{
    auto& x = entries_[e];
    if (x.lru_prev != nil) {
        entries_[x.lru_prev].lru_next = x.lru_next;
    } else {
        lru_head_ = x.lru_next;
    }
    if (x.lru_next != nil) {
        entries_[x.lru_next].lru_prev = x.lru_prev;
    } else {
        lru_tail_ = x.lru_prev;
    }
}

void table::lru_push_head(std::uint32_t e) noexcept
{
    auto& x = entries_[e];
    x.lru_prev = nil;
    x.lru_next = lru_head_;
    if (lru_head_ != nil) {
        entries_[lru_head_].lru_prev = e;
    } else {
        lru_tail_ = e;
    }
    lru_head_ = e;
}

void table::fifo_unlink(std::uint32_t e) noexcept
{
    auto& x = entries_[e];
    if (x.fifo_prev != nil) {
        entries_[x.fifo_prev].fifo_next = x.fifo_next;
    } else {
        fifo_head_ = x.fifo_next;
    }
    if (x.fifo_next != nil) {
        entries_[x.fifo_next].fifo_prev = x.fifo_prev;
    } else {
        fifo_tail_ = x.fifo_prev;
    }
}

void table::fifo_push_tail(std::uint32_t e) noexcept
{
    auto& x = entries_[e];
    x.fifo_next = nil;
    x.fifo_prev = fifo_tail_;
    if (fifo_tail_ != nil) {
        entries_[fifo_tail_].fifo_next = e;
    } else {
        fifo_head_ = e;
    }
    fifo_tail_ = e;
}

// ---- keys ----------------------------------------------------------------------------------

bool table::key_equal(std::uint32_t e, byte_view key) const noexcept
{
    auto const& x = entries_[e];
    if (x.key_len != key.size()) {
        return false;
    }
    auto const first = key.size() < chunk_bytes ? key.size() : std::size_t{chunk_bytes};
    if (std::memcmp(entries_[e].home, key.data(), first) != 0) {
        return false;
    }
    std::size_t off = first;
    for (auto c = x.chunk; off < key.size(); c = chunk_next_[c]) {
        auto const n = key.size() - off < chunk_bytes ? key.size() - off : std::size_t{chunk_bytes};
        if (std::memcmp(chunks_[c].b, key.data() + off, n) != 0) {
            return false;
        }
        off += n;
    }
    return true;
}

byte_view table::gather(std::uint32_t e) const noexcept
{
    auto const& x = entries_[e];
    if (x.key_len <= chunk_bytes) {
        return {entries_[e].home, x.key_len};
    }
    std::memcpy(scratch_.get(), entries_[e].home, chunk_bytes);
    std::size_t off = chunk_bytes;
    for (auto c = x.chunk; off < x.key_len; c = chunk_next_[c]) {
        auto const n = x.key_len - off < chunk_bytes ? x.key_len - off : std::size_t{chunk_bytes};
        std::memcpy(scratch_.get() + off, chunks_[c].b, n);
        off += n;
    }
    return {scratch_.get(), x.key_len};
}

std::uint32_t table::find(byte_view key, std::uint64_t h) const noexcept
{
    auto const sig = sig_of(h);
    auto const b1 = primary_of(h);
    auto const b2 = alt_of(b1, sig);
    for (auto const b : {b1, b2}) {
        auto const& bk = buckets_[b];
        for (auto m = match_mask(bk, sig); m != 0; m &= m - 1) {
            auto const e = bk.idx[std::countr_zero(m) >> 1];
            // The full hash rejects most signature collisions before the key bytes are read.
            if (entries_[e].hash == h && key_equal(e, key)) {
                return e;
            }
        }
        if (b2 == b1) {
            break;
        }
    }
    return nil;
}

// ---- removal -------------------------------------------------------------------------------

void table::remove(std::uint32_t e, expire_reason why, expire_sink& sink) noexcept
{
    auto& x = entries_[e];
    auto const sig = sig_of(x.hash);
    auto const b1 = primary_of(x.hash);
    auto const b2 = alt_of(b1, sig);
    bool cleared = false;
    for (auto const b : {b1, b2}) {
        auto& bk = buckets_[b];
        for (auto m = match_mask(bk, sig); m != 0; m &= m - 1) {
            auto const s = static_cast<std::uint32_t>(std::countr_zero(m)) >> 1;
            if (bk.idx[s] == e) {
                bk.sig[s] = 0;
                cleared = true;
                break;
            }
        }
        if (cleared) {
            break;
        }
    }
    assert(cleared);
    lru_unlink(e);
    fifo_unlink(e);

    sink(expired_entry{why, x.count, x.first, x.last, x.ttl, gather(e)});
    switch (why) {
    case expire_reason::idle:
        counters_.add(counter::expire_idle);
        break;
    case expire_reason::age:
        counters_.add(counter::expire_age);
        break;
    case expire_reason::pressure:
        counters_.add(counter::evict_pressure);
        break;
    case expire_reason::collision:
        counters_.add(counter::evict_collision);
        break;
    case expire_reason::flush:
        counters_.add(counter::flush);
        break;
    }
    counters_.add(counter::expired_observations, x.count);

    // Give the overflow chunks back (they form a chain ending where the key ends).
    auto const n = overflow_chunks_for(x.key_len);
    auto c = x.chunk;
    for (std::uint32_t i = 0; i < n; ++i) {
        auto const next = chunk_next_[c];
        chunk_next_[c] = free_chunk_head_;
        free_chunk_head_ = c;
        c = next;
    }
    free_chunks_ += n;
    x.lru_next = free_entry_head_;
    free_entry_head_ = e;
    --live_;
}

// ---- insertion -----------------------------------------------------------------------------

// Breadth-first search for a displacement path from b1/b2 to a bucket with a free slot, then
// the moves from the far end back, so that b1 or b2 ends with a free slot. Only signatures are
// read (alt_of needs nothing else).
bool table::make_room(std::uint32_t b1, std::uint32_t b2) noexcept
{
    struct node {
        std::uint32_t bucket;
        std::uint32_t parent; // node index, or nil for a root
        std::uint32_t slot;   // slot in the parent's bucket whose entry would move here
    };
    node q[bfs_nodes];
    std::uint32_t n = 0;
    q[n++] = {b1, nil, 0};
    if (b2 != b1) {
        q[n++] = {b2, nil, 0};
    }
    for (std::uint32_t head = 0; head < n; ++head) {
        auto const b = q[head].bucket;
        for (std::uint32_t s = 0; s < slots_per_bucket; ++s) {
            auto const alt = alt_of(b, buckets_[b].sig[s]);
            if (alt == b) {
                continue;
            }
            auto& to = buckets_[alt];
            std::uint32_t free_slot = nil;
            for (std::uint32_t t = 0; t < slots_per_bucket; ++t) {
                if (to.sig[t] == 0) {
                    free_slot = t;
                    break;
                }
            }
            if (free_slot != nil) {
                // Move b[s] -> alt[free_slot], then walk up the parents.
                auto cur = head;
                auto cur_slot = s;
                auto dst_bucket = alt;
                auto dst_slot = free_slot;
                for (;;) {
                    auto& src = buckets_[q[cur].bucket];
                    buckets_[dst_bucket].sig[dst_slot] = src.sig[cur_slot];
                    buckets_[dst_bucket].idx[dst_slot] = src.idx[cur_slot];
                    src.sig[cur_slot] = 0;
                    counters_.add(counter::cuckoo_moves);
                    if (q[cur].parent == nil) {
                        return true;
                    }
                    dst_bucket = q[cur].bucket;
                    dst_slot = cur_slot;
                    cur_slot = q[cur].slot;
                    cur = q[cur].parent;
                }
            }
            if (n == bfs_nodes) {
                continue;
            }
            bool seen = false;
            for (std::uint32_t i = 0; i < n; ++i) {
                if (q[i].bucket == alt) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                q[n++] = {alt, head, s};
            }
        }
    }
    return false;
}

bool table::place(std::uint32_t e, std::uint64_t h, expire_sink& sink) noexcept
{
    auto const sig = sig_of(h);
    auto const b1 = primary_of(h);
    auto const b2 = alt_of(b1, sig);
    auto const try_slot = [&]() {
        for (auto const b : {b1, b2}) {
            auto& bk = buckets_[b];
            for (std::uint32_t s = 0; s < slots_per_bucket; ++s) {
                if (bk.sig[s] == 0) {
                    bk.sig[s] = sig;
                    bk.idx[s] = e;
                    return true;
                }
            }
        }
        return false;
    };
    if (try_slot()) {
        return true;
    }
    if (make_room(b1, b2) && try_slot()) {
        return true;
    }
    // Every path is full: evict the least recently seen of the 16 candidates (their entries
    // are read only on this rare path).
    std::uint32_t victim = nil;
    for (auto const b : {b1, b2}) {
        for (std::uint32_t s = 0; s < slots_per_bucket; ++s) {
            auto const v = buckets_[b].idx[s];
            if (buckets_[b].sig[s] != 0 &&
                (victim == nil || entries_[v].last < entries_[victim].last)) {
                victim = v;
            }
        }
    }
    if (victim == nil) {
        return false;
    }
    remove(victim, expire_reason::collision, sink);
    return try_slot();
}

outcome table::insert(byte_view key, std::uint64_t h, seconds t, std::uint32_t ttl,
                      expire_sink& sink) noexcept
{
    auto const need = overflow_chunks_for(key.size());
    // Table pressure: take room from the least recently seen entries until both bounds allow
    // the new key. validate() guarantees one key always fits an empty table.
    while (free_entry_head_ == nil || free_chunks_ < need) {
        if (lru_tail_ == nil) {
            counters_.add(counter::dropped);
            return outcome::dropped;
        }
        remove(lru_tail_, expire_reason::pressure, sink);
    }
    auto const e = free_entry_head_;
    free_entry_head_ = entries_[e].lru_next;

    auto& x = entries_[e];
    x.hash = h;
    x.count = 1;
    x.first = t;
    x.last = t;
    x.ttl = ttl;
    x.key_len = static_cast<std::uint16_t>(key.size());
    x.chunk = nil;
    auto const first = key.size() < chunk_bytes ? key.size() : std::size_t{chunk_bytes};
    std::memcpy(entries_[e].home, key.data(), first);
    // Chain the overflow chunks in key order.
    std::uint32_t* link = &x.chunk;
    std::size_t off = first;
    for (std::uint32_t i = 0; i < need; ++i) {
        auto const c = free_chunk_head_;
        free_chunk_head_ = chunk_next_[c];
        *link = c;
        link = &chunk_next_[c];
        auto const n = key.size() - off < chunk_bytes ? key.size() - off : std::size_t{chunk_bytes};
        std::memcpy(chunks_[c].b, key.data() + off, n);
        off += n;
    }
    *link = nil;
    free_chunks_ -= need;
    ++live_;
    lru_push_head(e);
    fifo_push_tail(e);

    if (!place(e, h, sink)) {
        // Unreachable with two distinct buckets of 8 slots; undo so the bounds stay exact.
        x.count = 0;
        lru_unlink(e);
        fifo_unlink(e);
        auto c = x.chunk;
        for (std::uint32_t i = 0; i < need; ++i) {
            auto const next = chunk_next_[c];
            chunk_next_[c] = free_chunk_head_;
            free_chunk_head_ = c;
            c = next;
        }
        free_chunks_ += need;
        x.lru_next = free_entry_head_;
        free_entry_head_ = e;
        --live_;
        counters_.add(counter::dropped);
        return outcome::dropped;
    }
    counters_.add(counter::inserted);
    return outcome::inserted;
}

// ---- bulk lookup ---------------------------------------------------------------------------

void table::lookup_or_insert_burst(std::span<const byte_view> keys,
                                   std::span<const std::uint64_t> hashes,
                                   std::span<const seconds> times,
                                   std::span<const std::uint32_t> ttls,
                                   std::span<outcome> results, expire_sink sink) noexcept
{
    auto const n = results.size() < max_burst ? results.size() : max_burst;
    assert(keys.size() >= n && hashes.size() >= n && times.size() >= n && ttls.size() >= n);

    // Phase 1: both candidate buckets of every key.
    std::uint32_t b1[max_burst];
    std::uint32_t b2[max_burst];
    for (std::size_t i = 0; i < n; ++i) {
        auto const h = hashes[i];
        b1[i] = primary_of(h);
        b2[i] = alt_of(b1[i], sig_of(h));
        __builtin_prefetch(&buckets_[b1[i]]);
        __builtin_prefetch(&buckets_[b2[i]]);
    }
    // Phase 2: signature matches, then the candidate entries and their first key bytes. A
    // hint only: phase 3 repeats the match because insertions earlier in the burst may move
    // entries.
    for (std::size_t i = 0; i < n; ++i) {
        auto const sig = sig_of(hashes[i]);
        for (auto const b : {b1[i], b2[i]}) {
            auto const& bk = buckets_[b];
            auto const m = match_mask(bk, sig);
            if (m != 0) {
                auto const e = bk.idx[std::countr_zero(m) >> 1];
                auto const* p = reinterpret_cast<const char*>(&entries_[e]);
                __builtin_prefetch(p);
                __builtin_prefetch(p + 64);
            }
        }
    }
    // Phase 3: compare and update, in order.
    for (std::size_t i = 0; i < n; ++i) {
        auto const key = keys[i];
        if (key.size() > cfg_.max_key_bytes) {
            counters_.add(counter::bypass_oversize);
            results[i] = outcome::bypass;
            continue;
        }
        auto const h = hashes[i];
        auto const t = times[i];
        auto e = find(key, h);
        if (e != nil) {
            // An entry that the timer has not yet expired but that this observation's clock
            // says has left the cache (sie.md §3: idle since time_last, or too old) leaves now,
            // so the observation starts a new entry with its own INSERTION. Otherwise a jump in
            // payload time would fold new observations into a stale aggregate.
            auto const& old = entries_[e];
            if (t > old.last && t - old.last >= cfg_.idle_timeout) {
                remove(e, expire_reason::idle, sink);
                e = nil;
            } else if (t > old.first && t - old.first >= cfg_.max_age) {
                remove(e, expire_reason::age, sink);
                e = nil;
            }
        }
        if (e != nil) {
            auto& x = entries_[e];
            ++x.count;
            if (t < x.first) {
                x.first = t;
            }
            // The LRU list is ordered by time_last (seconds): an entry moves to the head only
            // when its time_last advances. Hits within the same second (most hits on hot keys)
            // then touch no neighbour entries; an out-of-order observation updates the
            // aggregate but not the position.
            if (t > x.last) {
                x.last = t;
                if (lru_head_ != e) {
                    lru_unlink(e);
                    lru_push_head(e);
                }
            }
            x.ttl = ttls[i];
            counters_.add(counter::suppressed);
            results[i] = outcome::duplicate;
            continue;
        }
        results[i] = insert(key, h, t, ttls[i], sink);
    }
}

// ---- expiry --------------------------------------------------------------------------------

std::uint32_t table::expire(seconds now, std::uint32_t budget, expire_sink sink) noexcept
{
    // Idle and age candidates alternate, so that a backlog of idle entries larger than the
    // budget cannot starve max-age expiry of a busy entry (or the other way round).
    std::uint32_t done = 0;
    while (done < budget) {
        bool progress = false;
        auto const t = lru_tail_;
        if (t != nil && now >= entries_[t].last && now - entries_[t].last >= cfg_.idle_timeout) {
            remove(t, expire_reason::idle, sink);
            ++done;
            progress = true;
        }
        auto const f = fifo_head_;
        if (done < budget && f != nil && now >= entries_[f].first &&
            now - entries_[f].first >= cfg_.max_age) {
            remove(f, expire_reason::age, sink);
            ++done;
            progress = true;
        }
        if (!progress) {
            break;
        }
    }
    return done;
}

std::uint64_t table::flush_all(expire_sink sink) noexcept
{
    std::uint64_t done = 0;
    while (lru_tail_ != nil) {
        remove(lru_tail_, expire_reason::flush, sink);
        ++done;
    }
    return done;
}

bool table::peek(byte_view key, std::uint64_t h, entry_info& out) const noexcept
{
    if (key.size() > cfg_.max_key_bytes) {
        return false;
    }
    auto const e = find(key, h);
    if (e == nil) {
        return false;
    }
    auto const& x = entries_[e];
    out = {x.count, x.first, x.last, x.ttl};
    return true;
}

bool table::check_invariants() const noexcept
{
    // Every occupied slot: a live entry in one of its own two buckets, referenced once.
    std::vector<std::uint8_t> seen(max_entries_, 0);
    std::uint64_t slots = 0;
    for (std::uint32_t b = 0; b <= mask_; ++b) {
        for (std::uint32_t s = 0; s < slots_per_bucket; ++s) {
            if (buckets_[b].sig[s] == 0) {
                continue;
            }
            auto const e = buckets_[b].idx[s];
            if (e >= max_entries_ || seen[e] != 0) {
                return false;
            }
            seen[e] = 1;
            auto const h = entries_[e].hash;
            if (sig_of(h) != buckets_[b].sig[s]) {
                return false;
            }
            if (b != primary_of(h) && b != alt_of(primary_of(h), sig_of(h))) {
                return false;
            }
            ++slots;
        }
    }
    if (slots != live_) {
        return false;
    }
    // Both lists hold exactly the live entries, linked consistently.
    std::uint64_t n = 0;
    std::uint64_t chunks_used = 0;
    for (auto e = lru_head_, prev = nil; e != nil; prev = e, e = entries_[e].lru_next) {
        if (entries_[e].lru_prev != prev || seen[e] != 1 || ++n > live_) {
            return false;
        }
        seen[e] = 2;
        chunks_used += overflow_chunks_for(entries_[e].key_len);
    }
    if (n != live_) {
        return false;
    }
    n = 0;
    for (auto e = fifo_head_, prev = nil; e != nil; prev = e, e = entries_[e].fifo_next) {
        if (entries_[e].fifo_prev != prev || seen[e] != 2 || ++n > live_) {
            return false;
        }
    }
    if (n != live_) {
        return false;
    }
    // Free lists account for the rest.
    n = 0;
    for (auto e = free_entry_head_; e != nil; e = entries_[e].lru_next) {
        if (seen[e] != 0 || ++n > max_entries_) {
            return false;
        }
    }
    if (n + live_ != max_entries_) {
        return false;
    }
    n = 0;
    for (auto c = free_chunk_head_; c != nil; c = chunk_next_[c]) {
        if (++n > n_chunks_) {
            return false;
        }
    }
    return n == free_chunks_ && chunks_used + free_chunks_ == n_chunks_;
}

} // namespace siehub::dedup
