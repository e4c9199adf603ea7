// SPDX-License-Identifier: Apache-2.0
#pragma once
// The name filter's counters (`match.reason`), one block per worker. Every name given to
// match_burst lands in exactly one of the verdict counters, so
//   names = rule_drop + rule_pass + default_drop + default_pass + bad_name + scan_error.

#include <array>
#include <cstdint>

#include "telemetry/counters.hpp"

namespace siehub::match {

enum class counter : std::uint8_t {
    names,        // names matched
    rule_drop,    // decided by a drop rule
    rule_pass,    // decided by a pass rule
    default_drop, // no rule matched, default action drop
    default_pass, // no rule matched, default action pass
    bad_name,     // not a valid uncompressed wire name: dropped
    scan_error,   // Hyperscan refused the scan (a bug): dropped
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<counter>>
    counter_table{{
        {"match.names", "names run through the name filters"},
        {"match.rule_drop", "names dropped by a filter rule"},
        {"match.rule_pass", "names passed by a filter rule"},
        {"match.default_drop", "names matching no filter rule, dropped by the default action"},
        {"match.default_pass", "names matching no filter rule, passed by the default action"},
        {"match.bad_name", "names that are not valid uncompressed wire names (dropped)"},
        {"match.scan_error", "names Hyperscan failed to scan (dropped; should stay 0)"},
    }};

using counter_block = telemetry::counter_block<counter>;

} // namespace siehub::match
