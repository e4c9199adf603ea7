// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-sender nmsg sequence-loss counting that tolerates reordering. Containers that go through
// the slow path (zlib, fragments) come back later than the plain containers sent after them;
// nmsgtool's strict "expected = seq + 1" rule would call that loss. Here a sequence number is
// lost only when it falls out of a 4096-wide window without having been seen (a zlib or
// fragmented container may come back behind a whole slow-path ring of plain ones), so
// reordering within the window costs nothing; jumps beyond nmsgtool's 2^20 limit (restarts)
// reset the state as nmsgtool does. The window is a circular bitmap: moving it costs one word
// operation per 64 numbers. Fixed capacity, no allocation: the least recently used sender is
// evicted when the table is full (counted).

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace siehub::dataplane {

struct seq_sender {
    std::uint64_t sequence_id = 0;
    std::array<std::uint8_t, 16> addr{};
    std::uint16_t port = 0;
    friend bool operator==(const seq_sender&, const seq_sender&) = default;
};

template <std::size_t Capacity = 64, std::uint32_t Window = 4096>
class seq_window_tracker {
    static_assert(Window % 64 == 0 && Window >= 64, "the window is whole 64-bit words");

public:
    static constexpr std::uint32_t window = Window;
    static constexpr std::uint32_t max_jump = 1u << 20;

    // Records one container; returns the number of sequence numbers newly declared lost.
    std::uint32_t observe(const seq_sender& s, std::uint32_t seq, std::uint64_t now) noexcept
    {
        ++recvs_;
        std::uint64_t const h = key_hash(s);
        slot* e = find(s, h);
        if (e == nullptr) {
            e = claim(s, h, now);
            restart(*e, seq);
            return 0;
        }
        e->last_use = now;
        std::uint32_t const ahead = seq - e->top; // modulo 2^32
        if (ahead == 0) {
            return 0; // duplicate
        }
        if (ahead <= max_jump) {
            // Moves the window forward; expected numbers leaving it unseen are lost. The bit of
            // number n is n % Window, so the numbers entering take the bits of those leaving.
            std::uint32_t lost = 0;
            if (ahead >= window) {
                for (std::size_t w = 0; w < words; ++w) {
                    lost += static_cast<std::uint32_t>(std::popcount(e->valid[w] & ~e->seen[w]));
                    e->valid[w] = ~std::uint64_t{0};
                    e->seen[w] = 0;
                }
                lost += ahead - window;
            } else {
                lost = enter(*e, e->top + 1, ahead);
            }
            e->top = seq;
            set(e->seen, seq);
            drops_ += lost;
            return lost;
        }
        std::uint32_t const behind = e->top - seq;
        if (behind < window) {
            // A late arrival inside the window (e.g. from the slow path); numbers from before
            // the stream's first container were never expected and are ignored.
            if (test(e->valid, seq)) {
                set(e->seen, seq);
            }
            return 0;
        }
        // Far behind or far ahead: the sender restarted; start over as nmsgtool does.
        restart(*e, seq);
        ++resets_;
        return 0;
    }

    [[nodiscard]] std::uint64_t recvs() const noexcept { return recvs_; }
    [[nodiscard]] std::uint64_t drops() const noexcept { return drops_; }
    [[nodiscard]] std::uint64_t resets() const noexcept { return resets_; }
    [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }

private:
    static constexpr std::size_t words = Window / 64;
    using bits = std::array<std::uint64_t, words>;

    struct slot {
        seq_sender key;
        std::uint64_t hash = 0;
        std::uint32_t top = 0;
        bits seen{};  // bit n % Window: number n was seen
        bits valid{}; // bit n % Window: n is a number this sender is expected to have sent
        std::uint64_t last_use = 0;
        bool used = false;
    };

    static void set(bits& b, std::uint32_t n) noexcept
    {
        b[(n % Window) / 64] |= std::uint64_t{1} << (n % 64);
    }
    static bool test(const bits& b, std::uint32_t n) noexcept
    {
        return (b[(n % Window) / 64] >> (n % 64)) & 1u;
    }

    static void restart(slot& e, std::uint32_t seq) noexcept
    {
        e.top = seq;
        e.seen = {};
        e.valid = {};
        set(e.seen, seq);
        set(e.valid, seq);
    }

    // Numbers first .. first+count-1 (count < Window) enter the window: returns how many of
    // the numbers they replace were expected and never seen, and marks the new ones expected
    // and unseen. A word at a time.
    static std::uint32_t enter(slot& e, std::uint32_t first, std::uint32_t count) noexcept
    {
        std::uint32_t lost = 0;
        std::uint32_t bit = first % Window;
        while (count != 0) {
            std::uint32_t const w = bit / 64;
            std::uint32_t const lo = bit % 64;
            std::uint32_t const n = std::min<std::uint32_t>(count, 64 - lo);
            std::uint64_t const mask = (n == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << n) - 1)) << lo;
            lost += static_cast<std::uint32_t>(std::popcount(e.valid[w] & ~e.seen[w] & mask));
            e.valid[w] |= mask;
            e.seen[w] &= ~mask;
            count -= n;
            bit = (bit + n) % Window;
        }
        return lost;
    }

    static std::uint64_t key_hash(const seq_sender& s) noexcept
    {
        std::uint64_t h = s.sequence_id * 0x9e3779b97f4a7c15ULL ^ s.port;
        for (std::size_t i = 0; i < 16; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, s.addr.data() + i, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdULL;
            h ^= h >> 33;
        }
        return h;
    }

    slot* find(const seq_sender& s, std::uint64_t h) noexcept
    {
        if (last_ != nullptr && last_->hash == h && last_->key == s) {
            return last_; // one sender's datagrams come in runs
        }
        for (auto& e : slots_) {
            if (e.used && e.hash == h && e.key == s) {
                last_ = &e;
                return &e;
            }
        }
        return nullptr;
    }

    slot* claim(const seq_sender& s, std::uint64_t h, std::uint64_t now) noexcept
    {
        slot* victim = &slots_[0];
        for (auto& e : slots_) {
            if (!e.used) {
                victim = &e;
                break;
            }
            if (e.last_use < victim->last_use) {
                victim = &e;
            }
        }
        if (victim->used) {
            ++evictions_;
        }
        victim->key = s;
        victim->hash = h;
        victim->last_use = now;
        victim->used = true;
        last_ = victim;
        return victim;
    }

    std::array<slot, Capacity> slots_{};
    slot* last_ = nullptr;
    std::uint64_t recvs_ = 0;
    std::uint64_t drops_ = 0;
    std::uint64_t resets_ = 0;
    std::uint64_t evictions_ = 0;
};

} // namespace siehub::dataplane
