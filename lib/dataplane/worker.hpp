// SPDX-License-Identifier: Apache-2.0
#pragma once
// One worker lcore: polls its RX queues, classifies frames, decodes nmsg in place, runs the
// payload pipeline, hands RRsets to their owner, dedups what it owns, and emits channels.
// Share-nothing: everything here is owned by this worker; other lcores are reached through
// the rings in worker_links.

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/counters.hpp"
#include "dataplane/handoff.hpp"
#include "dataplane/ingest.hpp"
#include "dataplane/seq_window.hpp"
#include "dataplane/settings.hpp"
#include "dataplane/shared.hpp"
#include "dataplane/stage_timer.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"

struct rte_mbuf;

namespace siehub::dataplane {

class payload_pipeline; // lib/dataplane/pipeline.hpp

struct rx_source {
    std::uint16_t port = 0;
    std::uint16_t queue = 0;
    int tap_port = -1; // exception path for this port, -1 = none
};

struct sender_info {
    net::ip_address addr;
    std::uint16_t port = 0;
};

class worker {
public:
    static constexpr unsigned burst = 32;
    // Free slots an outgoing handoff ring must keep for RX to go on: one RX burst of dnsqr
    // payloads yields a few hundred RRset records at most.
    static constexpr unsigned handoff_headroom = 1024;
    static constexpr unsigned handoff_rounds = 16;
    // Free slots the slow-path ring must keep: one RX burst from every worker.
    static constexpr unsigned slow_headroom = 4 * burst;

    worker(unsigned id, const settings& s, shared_state& sh, worker_links links,
           std::vector<rx_source> rx, std::uint16_t tap_tx_queue);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // The lcore entry point: runs until the flush phase has completed.
    int run();

    [[nodiscard]] const rt_counters& counters() const noexcept { return c_; }
    [[nodiscard]] payload_pipeline& pipeline() noexcept { return *pipe_; }
    [[nodiscard]] const stage_counters& stage_cycles() const noexcept { return st_.counters(); }
    [[nodiscard]] unsigned id() const noexcept { return id_; }

private:
    bool poll_rx();
    void handle_frame(rte_mbuf* m, const rx_source& src);
    void handle_container(core::byte_view body, const sender_info& from);
    bool poll_slow();
    bool poll_handoff();
    void to_exception(rte_mbuf* m, const rx_source& src);

    unsigned id_;
    const settings& s_;
    shared_state& sh_;
    worker_links links_;
    std::vector<rx_source> rx_;
    std::uint16_t tap_tx_queue_;
    ingest_match ingest_;
    sender_limiter limiter_;
    rt_counters c_;
    stage_timer st_;
    seq_window_tracker<> seq_;
    std::vector<std::uint8_t> linear_; // scratch for multi-segment frames
    std::unique_ptr<payload_pipeline> pipe_;
};

} // namespace siehub::dataplane
