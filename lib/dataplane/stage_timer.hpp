// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-stage TSC accounting for one worker (`siehub --stage-cycles`): the worker is always "in"
// exactly one stage, and each switch charges the cycles since the previous switch to the stage
// that is being left. The counters are therefore exclusive and add up to the worker loop's
// whole time, so `cycles.<stage> / ingest.payloads_in` is that stage's cycles per payload and
// the sum over stages is the worker's. One rdtsc per switch; nothing at all when disabled.

#include <rte_cycles.h>

#include <array>
#include <cstdint>

#include "telemetry/counters.hpp"

namespace siehub::dataplane {

enum class stage : std::uint8_t {
    idle,
    rx_classify,
    verify,
    relay,
    dnsnx,
    rrsets,
    dedup,
    slow_in,
    handoff_in,
    tick,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<stage>>
    stage_counter_table{{
        {"cycles.idle", "TSC cycles in loops that found no work (with --stage-cycles)"},
        {"cycles.rx_classify",
         "TSC cycles in RX bursts, classification, nmsg container walks and mbuf frees"},
        {"cycles.verify", "TSC cycles in dnsqr and DNS verification (sie.md §2)"},
        {"cycles.relay", "TSC cycles in the privacy scrub and the ch202/ch220 emitters"},
        {"cycles.dnsnx", "TSC cycles building and emitting ch221 dnsnx records"},
        {"cycles.rrsets", "TSC cycles in bailiwick, dedup key building and the owner handoff"},
        {"cycles.dedup", "TSC cycles in dedup bursts, INSERTION and EXPIRATION records"},
        {"cycles.slow_in", "TSC cycles taking payloads back from the slow path (their pipeline "
                           "stages are charged to those stages)"},
        {"cycles.handoff_in", "TSC cycles dequeuing RRset records from other workers"},
        {"cycles.tick", "TSC cycles in drain timers, expiry and the heartbeat"},
    }};

using stage_counters = telemetry::counter_block<stage>;

class stage_timer {
public:
    explicit stage_timer(bool enabled) noexcept : on_(enabled), last_(enabled ? rte_rdtsc() : 0) {}

    // Enters `s` and returns the stage that was left, for `leave` to restore.
    stage enter(stage s) noexcept
    {
        if (!on_) {
            return s;
        }
        std::uint64_t const now = rte_rdtsc();
        c_.add(cur_, now - last_);
        last_ = now;
        stage const prev = cur_;
        cur_ = s;
        return prev;
    }
    void leave(stage prev) noexcept { enter(prev); }

    [[nodiscard]] bool enabled() const noexcept { return on_; }
    [[nodiscard]] const stage_counters& counters() const noexcept { return c_; }

private:
    bool on_;
    stage cur_ = stage::idle;
    std::uint64_t last_;
    stage_counters c_;
};

// Charges the enclosing scope to a stage and gives the time back to the caller's stage.
class stage_scope {
public:
    stage_scope(stage_timer& t, stage s) noexcept : t_(t), prev_(t.enter(s)) {}
    ~stage_scope() { t_.leave(prev_); }
    stage_scope(const stage_scope&) = delete;
    stage_scope& operator=(const stage_scope&) = delete;

private:
    stage_timer& t_;
    stage prev_;
};

} // namespace siehub::dataplane
