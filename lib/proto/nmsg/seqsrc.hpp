// SPDX-License-Identifier: Apache-2.0
#pragma once
// Container loss accounting exactly as libnmsg's input_seqsrc.c (spec nmsg.md §7): state per
// (sequence_id, source address, source port); first container of a key counts no loss;
// delta = (seq - expected) mod 2^32: 0 in order, 1…1048576 counted as dropped, larger
// (every backwards step) resets silently; expected = seq + 1 always. Keys idle for 120 s are
// forgotten. Control/slow-path object: it allocates, bounded by max_keys.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>

namespace siehub::nmsg {

struct seq_key {
    std::uint64_t sequence_id = 0;
    std::array<std::uint8_t, 16> addr{}; // IPv4 as the first 4 bytes, rest zero
    std::uint16_t port = 0;

    auto operator<=>(const seq_key&) const = default;
};

class seqsrc_tracker {
public:
    static constexpr std::uint32_t max_delta = 1048576;
    static constexpr std::uint64_t idle_ms = 120000;

    explicit seqsrc_tracker(std::size_t max_keys = 4096) noexcept : max_keys_(max_keys) {}

    // Accounts one fully parsed container carrying sequence fields. Returns how many
    // containers this one reveals as lost.
    std::uint32_t observe(const seq_key& key, std::uint32_t seq, std::uint64_t now_ms)
    {
        ++recvs_;
        auto it = states_.find(key);
        if (it != states_.end() && now_ms - it->second.last_ms > idle_ms) {
            states_.erase(it);
            it = states_.end();
        }
        if (it == states_.end()) {
            if (states_.size() >= max_keys_) {
                expire(now_ms);
            }
            if (states_.size() >= max_keys_) {
                ++untracked_;
                return 0;
            }
            states_.emplace(key, state{seq + 1, now_ms});
            return 0;
        }
        state& s = it->second;
        std::uint32_t const delta = seq - s.expected;
        s.expected = seq + 1;
        s.last_ms = now_ms;
        if (delta >= 1 && delta <= max_delta) {
            drops_ += delta;
            return delta;
        }
        return 0;
    }

    // Forgets keys idle for 120 s; returns how many.
    std::size_t expire(std::uint64_t now_ms)
    {
        std::size_t n = 0;
        for (auto it = states_.begin(); it != states_.end();) {
            if (now_ms - it->second.last_ms > idle_ms) {
                it = states_.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
        return n;
    }

    [[nodiscard]] std::uint64_t container_recvs() const noexcept { return recvs_; }
    [[nodiscard]] std::uint64_t container_drops() const noexcept { return drops_; }
    // Containers not tracked because max_keys states were live.
    [[nodiscard]] std::uint64_t untracked() const noexcept { return untracked_; }
    [[nodiscard]] std::size_t keys() const noexcept { return states_.size(); }

private:
    struct state {
        std::uint32_t expected;
        std::uint64_t last_ms;
    };

    std::map<seq_key, state> states_;
    std::size_t max_keys_;
    std::uint64_t recvs_ = 0;
    std::uint64_t drops_ = 0;
    std::uint64_t untracked_ = 0;
};

} // namespace siehub::nmsg
