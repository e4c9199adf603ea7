// SPDX-License-Identifier: Apache-2.0
#pragma once
// The one call the `siehub` CLI makes into the data plane: a validated configuration (lib/control)
// plus the per-run options of the command line. The CLI has already applied --offline and
// --workers to the config (control::apply_offline/apply_workers); the options repeat them for
// messages and for stop conditions (an offline run ends once its input is exhausted).

#include <string>
#include <vector>

#include "control/config.hpp"

namespace siehub::dataplane {

struct run_options {
    double duration_s = 0;              // --duration; 0: until SIGINT/SIGTERM (or offline EOF)
    std::string stats_json;             // --stats-json FILE; empty: none
    unsigned workers = 0;               // --workers N; 0: as configured
    std::string offline_in;             // --offline IN.pcap; empty: live
    std::string offline_out;            // --out OUT.pcap
    std::vector<std::string> eal_extra; // EAL args after `--`, appended to the config's
    std::string config_name;            // the file the config came from (for messages)
    std::string config_path;            // --config FILE (SIGHUP re-reads its filters); empty:
                                        // the embedded default
    bool stage_cycles = false;          // --stage-cycles: per-stage TSC counters
    // The hub's AXA server ([sra] of the config, where the CLI has already applied
    // --sra-listen/--sra-accounts/--sra-cert/--sra-key).
    double start_delay_s = 0;            // --start-delay S (listeners up, then read the input)
    double linger_s = 0;                 // --linger S (after the flush, serve S seconds more)
};

// Runs the hub until the duration ends, a signal arrives or the offline input is exhausted, and
// flushes everything. Returns the process exit status (0 on an orderly end).
int run(const control::config& cfg, const run_options& opts);

} // namespace siehub::dataplane
