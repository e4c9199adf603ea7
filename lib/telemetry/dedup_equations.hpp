// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reconciliation equations of the dedup table's counters (lib/dedup/counters.hpp). They live
// here, next to the other equation tables telemetry knows, because the dedup module predates
// equation_info; docs/counters.md lists them with the counters.

#include <array>

#include "telemetry/counters.hpp"

namespace siehub::telemetry {

inline constexpr std::array<equation_info, 2> dedup_equations{{
    {"dedup.entries_leave_once",
     "dedup.inserted = dedup.expire_idle + dedup.expire_age + dedup.evict_pressure + "
     "dedup.evict_collision + dedup.flush",
     reconcile_when::after_flush,
     "every entry created on first sight leaves the table exactly once, by one reason"},
    {"dedup.observations_conserved",
     "dedup.expired_observations = dedup.inserted + dedup.suppressed", reconcile_when::after_flush,
     "every cached observation is reported in exactly one EXPIRATION count"},
}};

} // namespace siehub::telemetry
