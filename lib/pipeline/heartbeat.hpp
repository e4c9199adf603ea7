// SPDX-License-Identifier: Apache-2.0
#pragma once
// The ch255 heartbeat schedule (sie.md §1): one base/encode payload every 0.5 s, numbered from
// 0 per hub start. The caller polls with its TSC-derived nanoseconds and, when one is due,
// gets the record to add to channel 255's emitter (followed by a drain or flush, since a
// heartbeat must not wait for a full container). One instance per hub (one core owns ch255).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/records.hpp"

namespace siehub::pipeline {

class heartbeat {
public:
    static constexpr std::uint64_t default_interval_ns = 500'000'000;

    // hub: at most max_hub_name bytes (checked by build_heartbeat; config validates it first).
    explicit heartbeat(std::string_view hub, std::optional<std::uint32_t> source = {},
                       std::uint64_t interval_ns = default_interval_ns)
        : hub_(hub), source_(source), interval_ns_(interval_ns == 0 ? 1 : interval_ns)
    {
    }

    // Returns a heartbeat record when one is due at `now_ns` (the first poll is always due),
    // stamped with wall-clock `wall`; its vendor bytes stay valid until the next poll. Due
    // times advance in whole intervals, so a late poll sends one heartbeat, not a burst.
    std::optional<record> poll(std::uint64_t now_ns, record_time wall) noexcept
    {
        if (started_ && now_ns < next_ns_) {
            return std::nullopt;
        }
        if (!started_) {
            started_ = true;
            next_ns_ = now_ns;
        }
        std::uint64_t const behind = (now_ns - next_ns_) / interval_ns_;
        next_ns_ += (behind + 1) * interval_ns_;
        record r = build_heartbeat(buf_, n_, hub_, wall, source_);
        if (r.ok()) {
            ++n_;
        }
        return r;
    }

    [[nodiscard]] std::uint64_t sent() const noexcept { return n_; }
    [[nodiscard]] std::uint64_t next_due_ns() const noexcept { return next_ns_; }

private:
    std::string hub_;
    std::optional<std::uint32_t> source_;
    std::uint64_t interval_ns_;
    std::uint64_t next_ns_ = 0;
    std::uint64_t n_ = 0;
    bool started_ = false;
    std::array<std::uint8_t, heartbeat_buffer_size> buf_{};
};

} // namespace siehub::pipeline
