// SPDX-License-Identifier: Apache-2.0
#pragma once
// The live one-line stats the control thread prints once per second:
//
//   siehub 12s | frames in 1.23M/s out 45.6k/s | payloads in 1.20M/s out 300k/s |
//   suppressed 800k/s | drops 1.25k/s: verify.rd_set 1.00k, verify.tcp 200, bailiwick.x 50
//
// (one line in reality). Rates are deltas of totals over the interval the caller measured;
// drops are every counter a drop glob matches, the largest few by this interval's delta.
// What "frames in" etc. mean is configuration (sums of counter names or globs), because the
// counters are declared by the stages, not here.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "telemetry/reconcile.hpp"
#include "telemetry/registry.hpp"

namespace siehub::telemetry {

struct live_config {
    std::string frames_in;          // e.g. "ingest.frames"
    std::string frames_out;         // e.g. "emit.frames"
    std::string payloads_in;        // e.g. "ingest.payloads"
    std::string payloads_out;       // e.g. "emit.payloads"
    std::string suppressed;         // e.g. "dedup.suppressed"
    std::vector<std::string> drops; // globs, e.g. {"verify.drop_*", "ingest.drop_*"}
    std::size_t top_reasons = 3;
};

class live_line {
public:
    // Throws std::invalid_argument when an expression does not parse (start-up error).
    explicit live_line(live_config cfg);

    // Formats the line for `s`, taken `interval_s` seconds after the previous call's snapshot
    // (the first call compares with all-zero counters), `uptime_s` after the start.
    [[nodiscard]] std::string format(const snapshot& s, double interval_s, double uptime_s);

private:
    struct series {
        std::vector<equation_term> terms;
        std::int64_t prev = 0;
    };
    double rate(series& x, const snapshot& s, double interval_s);

    live_config cfg_;
    series frames_in_, frames_out_, payloads_in_, payloads_out_, suppressed_;
    std::vector<std::uint64_t> prev_totals_; // indexed like snapshot::names
};

// 0, 999, 1.00k, 45.6k, 300k, 1.23M, 4.56G: three significant digits, SI suffix.
[[nodiscard]] std::string human_count(double v);

} // namespace siehub::telemetry
