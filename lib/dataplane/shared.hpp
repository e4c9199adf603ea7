// SPDX-License-Identifier: Apache-2.0
#pragma once
// State the runtime shares between lcores: the run phase (published by the control thread with
// release semantics, read by workers with acquire), per-worker progress flags for the orderly
// drain, and the rings and pools the workers borrow.

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/txq.hpp"
#include "match/generation.hpp"

struct rte_mempool;
struct rte_ring;

namespace siehub::dataplane {

class newness_hub; // dataplane/newness_stage.hpp
struct sra_port;   // dataplane/sra_feed.hpp

// Phases move forward only.
// The orderly drain: each phase starts only when the previous one's producers have stopped, so
// nothing is still in flight when a worker flushes its dedup table and containers.
enum class phase : std::uint32_t {
    running = 0,   // RX on
    stop_rx = 1,   // workers stop RX and say so (rx_stopped); the slow path then empties
    slow_done = 2, // the slow path will re-inject nothing more; workers take what is queued
                   // and say they will produce no more handoff records (idle)
    flush = 3,     // every producer is idle: drain handoff rings, flush dedup and containers
};

inline constexpr unsigned max_workers = 64;

struct alignas(64) worker_flag {
    std::atomic<bool> v{false};
};

struct shared_state {
    std::atomic<phase> ph{phase::running};
    worker_flag rx_stopped[max_workers];
    worker_flag idle[max_workers];
    worker_flag done[max_workers];

    [[nodiscard]] phase current() const noexcept { return ph.load(std::memory_order_acquire); }
    void advance(phase p) noexcept { ph.store(p, std::memory_order_release); }
};

// Objects a worker borrows (owned by the runtime).
struct worker_links {
    rte_mempool* frames = nullptr;    // RX frames (and exception-path frames)
    rte_mempool* tx_frames = nullptr; // channel frames (room for the largest container)
    rte_mempool* records = nullptr;   // rrset_record objects (handoff)
    rte_mempool* blocks = nullptr;    // payload_block objects (slow path re-injection)
    rte_ring* to_slow = nullptr;      // MP/SC: frames for the slow path (zlib, fragments)
    rte_ring* from_slow = nullptr;    // SP/SC: payload blocks re-injected to this worker
    std::vector<rte_ring*> handoff_out; // [owner] SP/SC: records this worker sends to owner
    std::vector<rte_ring*> handoff_in;  // [producer] SP/SC: records owned by this worker
    std::vector<txq> channel_tx;        // [settings port index] this worker's TX queue
    match::publisher* filters = nullptr; // qname exclusions (RCU/QSBR generations); nullptr = none
    newness_hub* newness = nullptr;            // channels 211-214; nullptr = off
    sra_port* sra = nullptr;                   // the hub's AXA server; nullptr = off
};

} // namespace siehub::dataplane
