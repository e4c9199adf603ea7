// SPDX-License-Identifier: Apache-2.0
#pragma once
// Filter generations: the control thread builds a new database with one scratch per worker and
// publishes it with release semantics; workers pick it up at their next burst; the old one is
// freed once every worker has passed a quiescent point after the swap (quiescent-state-based
// reclamation, as DPDK's rte_rcu_qsbr does it, in ~100 lines without DPDK so it runs in unit
// tests and under ASan).
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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

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

class publisher {
public:
    // Starts with `initial` current; every worker starts online.
    publisher(unsigned n_workers, std::unique_ptr<generation> initial);
    publisher(const publisher&) = delete;
    publisher& operator=(const publisher&) = delete;
    ~publisher(); // workers must be stopped

    // ---- worker side: wait-free, no allocation ----
    [[nodiscard]] const generation* current() const noexcept
    {
        return current_.load(std::memory_order_acquire);
    }
    void quiescent(unsigned worker) noexcept
    {
        // Reading the epoch (acquire) orders every later current() after the swap it counts;
        // the release store orders every earlier use of an old generation before the reader
        // that frees it.
        slots_[worker].seen.store(epoch_.load(std::memory_order_acquire),
                                  std::memory_order_release);
    }
    void offline(unsigned worker) noexcept
    {
        slots_[worker].seen.store(offline_mark, std::memory_order_release);
    }
    void online(unsigned worker) noexcept
    {
        // Coming back from offline, reclaim may have skipped this worker after the last swap;
        // seq_cst store-then-reload makes sure the epoch we announce is one whose generation
        // our next current() will see (rte_rcu_qsbr_thread_online does the same).
        std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
        for (;;) {
            slots_[worker].seen.store(e, std::memory_order_seq_cst);
            std::uint64_t const again = epoch_.load(std::memory_order_seq_cst);
            if (again == e) {
                break;
            }
            e = again;
        }
    }

    // ---- control side (one thread at a time; serialised internally) ----
    // Swaps in `next` and retires the previous generation. Returns next's serial.
    std::uint64_t publish(std::unique_ptr<generation> next);
    // Frees retired generations every online worker has passed. Returns how many were freed.
    std::size_t reclaim();
    // Retired generations not yet freed.
    [[nodiscard]] std::size_t pending() const;
    [[nodiscard]] unsigned workers() const noexcept { return static_cast<unsigned>(n_); }

private:
    static constexpr std::uint64_t offline_mark = ~std::uint64_t{0};

    struct alignas(64) slot {
        std::atomic<std::uint64_t> seen{0};
    };
    struct retired {
        std::unique_ptr<const generation> gen;
        std::uint64_t epoch; // free once every online worker has seen >= epoch
    };

    std::size_t n_;
    std::unique_ptr<slot[]> slots_;
    alignas(64) std::atomic<const generation*> current_{nullptr};
    alignas(64) std::atomic<std::uint64_t> epoch_{0};
    mutable std::mutex control_mu_; // control threads only; workers never take it
    std::vector<retired> retired_;
    std::uint64_t serial_ = 0;
};

} // namespace siehub::match
