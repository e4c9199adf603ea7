// SPDX-License-Identifier: Apache-2.0
#pragma once
// The hub's AXA server (docs/sra.md "Serving from the hub"): lib/axa's server on its own
// (non-EAL) thread. Each matcher generation the server compiles is published to the workers
// behind RCU/QSBR (sra_feed.hpp); workers match, and queue only payloads some client hit, with
// their hits, on an SP/SC rte_ring of mempool objects. The thread drains the rings into
// server::deliver (server::publish for a payload that came without its hits), charges the
// workers' drops to clients as MISSED, and frees generations no worker can still hold.

#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "axa/server.hpp"
#include "dataplane/settings.hpp"
#include "dataplane/sra_feed.hpp"

namespace siehub::dataplane {

class sra_hub {
public:
    // 32 MiB: a 200k-transaction offline replay with one client taking ch202+ch204 lost 9 %
    // of its payloads to an empty pool with 1023 objects (the server thread publishes more
    // slowly than two workers emit when nothing paces the input). A dnsqr payload (query and
    // response packets) fits 8 KiB; a larger one is dropped and counted (sra.drop_too_big).
    static constexpr std::uint32_t slot_bytes = 8192;
    static constexpr unsigned pool_objects = 4095;
    static constexpr unsigned ring_size = 2048;

    // Binds the listeners and loads the accounts; throws std::runtime_error on failure. Needs
    // the EAL (rings and the pool are DPDK objects).
    sra_hub(const settings& s, unsigned workers);
    ~sra_hub();
    sra_hub(const sra_hub&) = delete;
    sra_hub& operator=(const sra_hub&) = delete;

    // Starts the server thread.
    void start();
    // Worker w's port (owned here). Workers start offline: sra_port::online() first.
    [[nodiscard]] sra_port* port(unsigned w) noexcept { return ports_[w].get(); }
    // Async-signal-safe: re-read the accounts file.
    void request_reload() noexcept { srv_->request_reload(); }
    // After every worker has stopped: serve until the rings are drained and every client queue
    // written out, then `linger_s` more seconds (or until `stop` turns true), then close every
    // session and join the thread.
    void finish(double linger_s, const std::atomic<bool>& stop);

    [[nodiscard]] const axa::server& server() const noexcept { return *srv_; }
    [[nodiscard]] const std::vector<axa::bound_listener>& bound() const noexcept { return bound_; }

private:
    void loop();
    bool drain();
    void charge_losses();
    void publish_generation();

    std::unique_ptr<axa::server> srv_;
    std::vector<axa::bound_listener> bound_;
    std::vector<std::uint16_t> channels_;
    rte_mempool* pool_ = nullptr;
    std::vector<rte_ring*> rings_;
    std::vector<std::unique_ptr<sra_port>> ports_;
    std::vector<std::vector<std::uint64_t>> lost_seen_; // [worker][ch]
    std::vector<std::uint64_t> lost_total_seen_;
    std::unique_ptr<sra_publisher> pub_;
    std::uint64_t published_serial_ = 0; // the server generation the workers have
    std::chrono::steady_clock::time_point next_compile_{}; // no compile before (see .cpp)
    std::atomic<bool> stop_{false};
    std::atomic<bool> draining_{false}; // workers are done
    std::atomic<bool> drained_{false};  // ... the rings are empty and every queue written
    std::thread thread_;
};

} // namespace siehub::dataplane
