// SPDX-License-Identifier: Apache-2.0
#pragma once
// `--stats-json FILE`: the final counters of a run as one JSON document, for people and for
// the e2e tests. Key order is stable: top-level keys in the order below, counters sorted by
// name, workers/ports/channels by id. Written atomically (temp file in the same directory,
// fsync, rename), so a reader never sees half a file.
//
// {
//   "format": "siehub-stats-1",
//   "duration_s": 2.5,
//   "finished": true,
//   "totals": {"dedup.cuckoo_moves": 0, ...},                every registered counter
//   "workers": [{"worker": 0, "label": "0", "counters": {...}}, ...],
//   "ports": [{"port": 0, "label": "net_pcap0", "counters": {...}}, ...],
//   "channels": [{"channel": 204, "label": "ch204", "counters": {...}}, ...],
//   "reconciliation": {"ok": true, "equations": [{"name": ..., "expression": ..., "when":
//       "always", "checked": true, "ok": true, "lhs": 5, "rhs": 5, "difference": 0,
//       "unmatched": []}, ...]}
// }
// A group lists only the counters of tables that have a block in it. The control thread's
// blocks appear as worker id 4294967295 with label "control".

#include <span>
#include <string>
#include <string_view>

#include "telemetry/reconcile.hpp"
#include "telemetry/registry.hpp"

namespace siehub::telemetry {

struct run_info {
    double duration_s = 0.0;
    bool finished = false; // the run ended cleanly (after_flush equations were checked)
};

[[nodiscard]] std::string render_stats_json(const snapshot& s, std::span<const verdict> verdicts,
                                            const run_info& run);

// Writes `content` to `path` atomically; throws std::system_error naming the failing step.
void write_file_atomic(const std::string& path, std::string_view content);

inline void write_stats_json(const std::string& path, const snapshot& s,
                             std::span<const verdict> verdicts, const run_info& run)
{
    write_file_atomic(path, render_stats_json(s, verdicts, run));
}

// Appends `text` as a JSON string literal (quotes, escapes, \u00XX for control bytes).
void append_json_string(std::string& out, std::string_view text);

} // namespace siehub::telemetry
