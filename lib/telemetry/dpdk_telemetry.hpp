// SPDX-License-Identifier: Apache-2.0
#pragma once
// DPDK telemetry commands under /siehub/ (library siehub_telemetry_dpdk, the only telemetry
// file that includes rte_*.h). dpdk-telemetry.py reads them over
// <runtime dir>/dpdk_telemetry.v2 (/var/run/dpdk/<file-prefix>/ for root):
//
//   /siehub/counters[,GLOB]         totals of every counter (or those matching GLOB)
//   /siehub/counters/worker,N[,GLOB] worker N's counters (N = lcore index, or "control")
//   /siehub/ports[,ID]              per-port counters, keys "<port label>/<stage>/<reason>"
//   /siehub/channels[,CH]           per-channel counters, keys "<channel label>/<stage>/<reason>"
//   /siehub/reconcile               "ok" and per equation ok/checked/lhs/rhs/difference
//
// DPDK 22.11 dict keys may hold only letters, digits, '_' and '/', and a dict holds at most
// 256 entries with no nested dicts: so "dedup.inserted" is published as "dedup/inserted",
// and a reply that would exceed 256 entries says {"too_many": N} instead of truncating
// silently (ask with a GLOB, e.g. /siehub/counters,verify.*).
//
// The callbacks run on DPDK's telemetry threads and read the registry with relaxed loads
// (registry::take), so workers never wait. rte_telemetry cannot unregister a command:
// publish() points the commands at a registry, unpublish() (or the guard's destructor)
// detaches it and waits for a callback in progress; afterwards they answer with an error.

#include <span>
#include <string>

#include "telemetry/reconcile.hpp"
#include "telemetry/registry.hpp"

namespace siehub::telemetry {

// Registers the commands (once per process) and serves `reg` and `eqs` (copied) until
// unpublish(). `reg` must outlive the publication. Throws std::runtime_error when DPDK refuses
// a command.
void publish(const registry& reg, std::span<const equation> eqs);
void unpublish() noexcept;

class publication {
public:
    publication(const registry& reg, std::span<const equation> eqs) { publish(reg, eqs); }
    ~publication() { unpublish(); }
    publication(const publication&) = delete;
    publication& operator=(const publication&) = delete;
};

// "dedup.inserted" -> "dedup/inserted"; any other character DPDK refuses in a key -> '_'.
[[nodiscard]] std::string telemetry_key(std::string_view name);

} // namespace siehub::telemetry
