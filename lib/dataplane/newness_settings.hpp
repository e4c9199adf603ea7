// SPDX-License-Identifier: Apache-2.0
#pragma once
// The newness stage's settings (docs/config.md [newness], docs/newness.md), resolved from the
// config by run.cpp. DPDK-free.

#include <cstdint>
#include <string>

namespace siehub::dataplane {

struct newness_settings {
    bool enabled = false;
    std::string snapshot_dir;            // empty: no snapshots (seen-sets live in memory only)
    std::uint32_t snapshot_interval_s = 300;
    std::uint32_t nad_days = 10;
    std::uint32_t learning_period_s = 0; // record, don't emit, for this long after creation
    std::string psl_path = "/usr/share/publicsuffix/public_suffix_list.dat";
    bool private_domains = true;
    std::uint64_t capacity = 1u << 20;   // names, hub-wide, before the first growth
    bool start_empty = false;            // a damaged snapshot: start empty instead of refusing
    std::uint32_t ring_size = 4096;      // per (dedup owner, newness owner) pair; power of two
};

} // namespace siehub::dataplane
