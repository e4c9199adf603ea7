// SPDX-License-Identifier: Apache-2.0
#pragma once
// Transmit generated frames on a DPDK port at a target rate (token bucket), with a live rate
// line on stderr once a second.

#include <cstdint>
#include <string>
#include <vector>

namespace siehub::gen {

struct tx_options {
    std::vector<std::string> eal_args; // after `--` on the command line
    std::string port;                  // device name; empty: the first port
    double pps = 0;                    // frames per second (0: no frame limit)
    double gbps = 0;                   // Gbit/s of frame bytes (0: no bit limit)
    double duration = 0;               // seconds; 0: one pass over the frames (times loops)
    std::uint64_t loops = 1;           // passes over the frames when duration is 0
    bool quiet = false;                // no live line
    unsigned link_wait = 10;           // seconds to wait for the link before sending
    double linger = 0.5;               // seconds to keep the port open after the last frame
};

struct tx_result {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t retries = 0; // TX bursts not fully taken (queue full) and retried
    std::uint64_t dropped = 0; // frames given up after the port took nothing for 100 ms
    double seconds = 0;
};

// Sends `frames` in order, repeatedly, until the duration or loop count is reached. Returns
// false (message on stderr) if the EAL or port cannot be set up.
bool transmit(const std::vector<std::vector<std::uint8_t>>& frames, const tx_options& o,
              tx_result& r);

} // namespace siehub::gen
