// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-sender nmsg sequence-loss counting that tolerates reordering. Containers that go through
// the slow path (zlib, fragments) come back later than the plain containers sent after them;
// nmsgtool's strict "expected = seq + 1" rule would call that loss. Here a sequence number is
// lost only when it falls out of a 64-wide window without having been seen, so reordering
// within the window costs nothing; jumps beyond nmsgtool's 2^20 limit (restarts) reset the
// state as nmsgtool does. Fixed capacity, no allocation: the least recently used sender is
// evicted when the table is full (counted).

#include <array>
#include <bit>
#include <cstdint>

namespace siehub::dataplane {

struct seq_sender {
    std::uint64_t sequence_id = 0;
    std::array<std::uint8_t, 16> addr{};
    std::uint16_t port = 0;
    friend bool operator==(const seq_sender&, const seq_sender&) = default;
};

template <std::size_t Capacity = 64>
class seq_window_tracker {
public:
    static constexpr std::uint32_t window = 64;
    static constexpr std::uint32_t max_jump = 1u << 20;

    // Records one container; returns the number of sequence numbers newly declared lost.
    std::uint32_t observe(const seq_sender& s, std::uint32_t seq, std::uint64_t now) noexcept
    {
        ++recvs_;
        slot* e = find(s);
        if (e == nullptr) {
            e = claim(s, now);
            e->top = seq;
            e->seen = 1; // bit i: top - i was seen
            e->valid = 1; // bit i: top - i is a number this sender is expected to have sent
            return 0;
        }
        e->last_use = now;
        std::uint32_t const ahead = seq - e->top; // modulo 2^32
        if (ahead == 0) {
            return 0; // duplicate
        }
        if (ahead <= max_jump) {
            // Moves the window forward; expected numbers leaving it unseen are lost.
            std::uint32_t lost = 0;
            if (ahead >= window) {
                lost = static_cast<std::uint32_t>(std::popcount(e->valid & ~e->seen)) +
                       (ahead - window);
                e->valid = ~std::uint64_t{0};
                e->seen = 1;
            } else {
                std::uint64_t const unseen = e->valid & ~e->seen;
                lost = static_cast<std::uint32_t>(std::popcount(unseen >> (window - ahead)));
                e->valid = (e->valid << ahead) | ((std::uint64_t{1} << ahead) - 1);
                e->seen = (e->seen << ahead) | 1;
            }
            e->top = seq;
            drops_ += lost;
            return lost;
        }
        std::uint32_t const behind = e->top - seq;
        if (behind < window) {
            // A late arrival inside the window (e.g. from the slow path); numbers from before
            // the stream's first container were never expected and are ignored.
            e->seen |= (std::uint64_t{1} << behind) & e->valid;
            return 0;
        }
        // Far behind or far ahead: the sender restarted; start over as nmsgtool does.
        e->top = seq;
        e->seen = 1;
        e->valid = 1;
        ++resets_;
        return 0;
    }

    [[nodiscard]] std::uint64_t recvs() const noexcept { return recvs_; }
    [[nodiscard]] std::uint64_t drops() const noexcept { return drops_; }
    [[nodiscard]] std::uint64_t resets() const noexcept { return resets_; }
    [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }

private:
    struct slot {
        seq_sender key;
        std::uint32_t top = 0;
        std::uint64_t seen = 0;
        std::uint64_t valid = 0;
        std::uint64_t last_use = 0;
        bool used = false;
    };

    slot* find(const seq_sender& s) noexcept
    {
        for (auto& e : slots_) {
            if (e.used && e.key == s) {
                return &e;
            }
        }
        return nullptr;
    }

    slot* claim(const seq_sender& s, std::uint64_t now) noexcept
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
        *victim = slot{s, 0, 0, 0, now, true};
        return victim;
    }

    std::array<slot, Capacity> slots_{};
    std::uint64_t recvs_ = 0;
    std::uint64_t drops_ = 0;
    std::uint64_t resets_ = 0;
    std::uint64_t evictions_ = 0;
};

} // namespace siehub::dataplane
