// SPDX-License-Identifier: Apache-2.0
#pragma once
// The newness stage in the data plane (docs/newness.md): the dedup owner of an RRset hands
// each INSERTION (and each EXPIRATION's time_last) to the newness owner shards of the key's
// base domains through bounded SP/SC rings; each worker runs one newness::engine shard and
// emits ch211-214 through its own channel emitters.
//
//  newness_hub    (one per run, built on the control lcore): the compiled PSL, the message
//                 pool, one ring per (producer, owner) pair, the shutdown barrier, and the
//                 counter/equation registration.
//  newness_stage  (one per worker, owned by its payload_pipeline): routes, polls its rings,
//                 evaluates, snapshots at the interval and on shutdown.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/bytes.hpp"
#include "dataplane/handoff.hpp"
#include "dataplane/settings.hpp"
#include "newness/engine.hpp"
#include "newness/psl_table.hpp"
#include "proto/nmsg/container.hpp"
#include "telemetry/counters.hpp"

struct rte_ring;
struct rte_mempool;

namespace siehub::telemetry {
class registry;
}

namespace siehub::dataplane {

enum class newness_route_counter : std::uint8_t {
    insertions,
    unroutable,
    routed,
    local,
    sent,
    full,
    no_message,
    received,
    expiry_local,
    expiry_sent,
    expiry_dropped,
    expiry_received,
    snapshots,
    snapshot_errors,
    count_
};

inline constexpr std::array<telemetry::counter_info,
                            telemetry::counter_count<newness_route_counter>>
    newness_route_counter_table{{
        {"newness_route.insertions", "ch204 INSERTIONs handed to the newness stage"},
        {"newness_route.unroutable", "INSERTIONs with no name under a public suffix (no shard)"},
        {"newness_route.routed", "INSERTIONs sent to one or more owner shards"},
        {"newness_route.local", "INSERTION deliveries to this worker's own shard"},
        {"newness_route.sent", "INSERTION deliveries put on another shard's ring"},
        {"newness_route.full", "INSERTION deliveries dropped: the owner's ring was full"},
        {"newness_route.no_message", "INSERTION deliveries dropped: the message pool was empty"},
        {"newness_route.received", "INSERTION deliveries taken from the rings by this shard"},
        {"newness_route.expiry_local", "EXPIRATION time_last updates for this worker's shard"},
        {"newness_route.expiry_sent", "EXPIRATION time_last updates put on another shard's ring"},
        {"newness_route.expiry_dropped", "EXPIRATION updates dropped (ring full or pool empty)"},
        {"newness_route.expiry_received", "EXPIRATION updates taken from the rings"},
        {"newness_route.snapshots", "snapshots written (the interval ones by a forked child)"},
        {"newness_route.snapshot_errors", "seen-set snapshots that failed (see the log)"},
    }};

inline constexpr std::array<telemetry::equation_info, 4> newness_equations{{
    {"newness.routed_accounted",
     "newness_route.insertions = newness_route.unroutable + newness_route.routed",
     telemetry::reconcile_when::after_flush,
     "every INSERTION reaches its owner shards or has no base domain at all"},
    {"newness.handoff_delivered", "newness_route.sent = newness_route.received",
     telemetry::reconcile_when::after_flush,
     "every INSERTION put on a newness ring is evaluated by its owner shard"},
    {"newness.expiry_delivered", "newness_route.expiry_sent = newness_route.expiry_received",
     telemetry::reconcile_when::after_flush,
     "every EXPIRATION update put on a newness ring is applied by its owner shard"},
    {"newness.insertions_evaluated", "newness.insertions = newness_route.local + newness_route.received",
     telemetry::reconcile_when::after_flush,
     "each shard evaluates exactly what was delivered to it"},
}};

using newness_route_counters = telemetry::counter_block<newness_route_counter>;

// One message between workers.
struct newness_msg {
    std::uint8_t kind = 0; // 0 INSERTION, 1 EXPIRATION
    std::uint8_t response_ip_len = 0;
    std::uint16_t key_len = 0;
    std::uint32_t time_sec = 0; // INSERTION: observation; EXPIRATION: time_last
    std::uint32_t time_nsec = 0;
    std::uint32_t ttl = 0;
    std::array<std::uint8_t, 16> response_ip{};
    std::array<std::uint8_t, max_record_key> key;
};

class newness_stage;

class newness_hub {
public:
    // Loads and compiles the PSL (throws std::runtime_error naming the file on failure),
    // creates the pool and rings. DPDK's EAL must be up.
    newness_hub(const newness_settings& s, unsigned workers);
    ~newness_hub();
    newness_hub(const newness_hub&) = delete;
    newness_hub& operator=(const newness_hub&) = delete;

    [[nodiscard]] const newness::psl_table& psl() const noexcept { return *psl_; }
    [[nodiscard]] const newness_settings& config() const noexcept { return s_; }
    [[nodiscard]] unsigned workers() const noexcept { return workers_; }
    [[nodiscard]] rte_ring* ring(unsigned from, unsigned to) const noexcept
    {
        return rings_[from * workers_ + to];
    }
    [[nodiscard]] rte_mempool* pool() const noexcept { return pool_; }

    void attach(unsigned worker, newness_stage* st) { stages_.at(worker) = st; }
    // Registers every stage's engine and route counters, and returns the equations to check.
    void register_counters(telemetry::registry& reg) const;

    // Shutdown barrier: workers that have produced their last message.
    std::atomic<unsigned> finished{0};

private:
    newness_settings s_;
    unsigned workers_;
    std::unique_ptr<newness::psl_table> psl_;
    rte_mempool* pool_ = nullptr;
    std::vector<rte_ring*> rings_; // [from * workers + to], nullptr on the diagonal
    std::vector<newness_stage*> stages_;
};

class newness_stage {
public:
    using emit_fn = std::function<void(std::uint16_t, const nmsg::payload_header&, core::byte_view)>;

    // Loads this shard's snapshot (throws std::runtime_error when it is damaged and
    // start_empty is off).
    newness_stage(unsigned worker, const settings& s, newness_hub& hub, emit_fn emit);

    // The dedup owner emitted an INSERTION for rec / an EXPIRATION for key.
    void on_insertion(const rrset_record& rec) noexcept;
    void on_expiration(core::byte_view key, std::uint32_t time_last) noexcept;

    // Drains this shard's rings (bounded) and writes the interval snapshot when due.
    bool poll(std::uint64_t tsc) noexcept;
    // Shutdown, after the dedup flush: barrier with the other workers, last drain, snapshot.
    void finish() noexcept;

    [[nodiscard]] const newness::engine& engine() const noexcept { return *engine_; }
    [[nodiscard]] const newness_route_counters& route_counters() const noexcept { return rc_; }

private:
    void evaluate(const newness_msg& m) noexcept;
    bool drain() noexcept;
    void snapshot() noexcept;
    void snapshot_in_background() noexcept;
    bool reap(bool wait) noexcept; // true when no child is writing (any finished one counted)
    void send(const newness_msg& proto, std::uint64_t mask, bool expiry) noexcept;

    unsigned worker_;
    newness_hub& hub_;
    emit_fn emit_;
    std::unique_ptr<newness::engine> engine_;
    newness_route_counters rc_;
    std::string path_;
    std::uint64_t tsc_hz_ = 1;
    std::uint64_t next_snapshot_tsc_ = 0;
    std::unique_ptr<newness_msg> scratch_;
    int child_ = -1; // pid of the process writing the interval snapshot
};

} // namespace siehub::dataplane
