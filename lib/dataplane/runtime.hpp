// SPDX-License-Identifier: Apache-2.0
#pragma once
// The DPDK runtime: brings up EAL, pools, ports, rings and worker lcores from `settings`, runs
// the control loop (slow path, exception return path, stats, shutdown) on the main lcore, and
// tears everything down in order. Returns the process exit status.

#include <atomic>
#include <string>

#include "dataplane/settings.hpp"

namespace siehub::telemetry {
struct snapshot;
}

namespace siehub::dataplane {

// Set by SIGINT/SIGTERM handlers (installed by run()); tests may set it too.
extern std::atomic<bool> stop_requested;

struct run_result {
    int status = 0;
    std::string error;           // set when status != 0
    double duration_s = 0;
    bool reconciled = false;     // every reconciliation equation held at the end
    std::string stats_json;      // the final stats document (also written to settings.stats_json)
};

run_result run_settings(const settings& s);

// Counts the frames of a capture (for --offline: the run ends once all were received).
std::uint64_t count_pcap_frames(const std::string& path);

} // namespace siehub::dataplane
