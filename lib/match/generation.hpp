// SPDX-License-Identifier: Apache-2.0
#pragma once
// Filter generations: the control thread builds a new database with one scratch per worker and
// publishes it with release semantics; workers pick it up at their next burst; the old one is
// freed once every worker has passed a quiescent point after the swap (quiescent-state-based
// reclamation, as DPDK's rte_rcu_qsbr does it, in ~100 lines without DPDK so it runs in unit
// tests and under ASan; the mechanism is core::qsbr_publisher, lib/core/qsbr.hpp).
//
// Worker loop (worker w):
//     const generation* g = pub.current();          // one acquire load per burst
//     g->db.match_burst(names, verdicts, g->worker_scratch(w), counters);
//     ...
//     pub.quiescent(w);                              // no pointer from before survives this
// Control thread:
//     pub.publish(make_generation(rules, default_action, n_workers));
//     pub.reclaim();                                  // now or later: frees what is safe to free
//
// A worker that stops polling (idle, shutting down) calls offline(w) so it does not hold
// reclamation back, and online(w) before it reads current() again.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/qsbr.hpp"
#include "match/database.hpp"

namespace siehub::match {

struct generation {
    database db;
    std::vector<scratch> scratches; // one per worker, made for db
    std::uint64_t serial = 0;       // set by publish

    [[nodiscard]] scratch& worker_scratch(unsigned worker) const noexcept
    {
        // The generation is shared read-only; each worker writes only its own scratch.
        return const_cast<scratch&>(scratches[worker]);
    }
};

// Compiles the rules and makes one scratch per worker (control side; throws compile_error).
std::unique_ptr<generation> make_generation(std::span<const rule> rules, action default_action,
                                            unsigned n_workers);

// The filter database's publisher: core::qsbr_publisher (lib/core/qsbr.hpp) over generations,
// with the worker vocabulary of this file.
class publisher : public core::qsbr_publisher<generation> {
public:
    using core::qsbr_publisher<generation>::qsbr_publisher;
    [[nodiscard]] unsigned workers() const noexcept { return readers(); }
};

} // namespace siehub::match
