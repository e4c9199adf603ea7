// SPDX-License-Identifier: Apache-2.0
#pragma once
// Move-only owners of DPDK resources. These are the only non-stage places that include
// rte_*.h; the data-plane loop borrows raw pointers from them.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct rte_mempool;

namespace siehub::dpdk {

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The Environment Abstraction Layer: initialised once per process, cleaned up on destruction.
class eal {
public:
    explicit eal(std::vector<std::string> args);
    ~eal();
    eal(const eal&) = delete;
    eal& operator=(const eal&) = delete;

    // Arguments for tests and the demo: no hugepages, no PCI, a per-process file prefix
    // (DPDK 22.11 refuses --in-memory together with --no-huge).
    static std::vector<std::string> virtual_args(const std::string& prefix_tag,
                                                 unsigned memory_mb = 256);
};

struct mempool_deleter {
    void operator()(rte_mempool* mp) const noexcept;
};
using mempool = std::unique_ptr<rte_mempool, mempool_deleter>;

// A packet-buffer pool; throws dpdk::error with rte_strerror on failure.
mempool make_pktmbuf_pool(const std::string& name, unsigned count, unsigned cache = 256,
                          std::uint16_t data_room = 2048 + 128, int socket = -1);

// An ethdev port configured with rxq/txq queues and started; stopped and closed on destruction.
class port {
public:
    struct config {
        std::uint16_t rx_queues = 1;
        std::uint16_t tx_queues = 1;
        std::uint16_t rx_desc = 1024;
        std::uint16_t tx_desc = 1024;
        bool promiscuous = true;
        bool rss = false;          // spread RX over the queues by IP/UDP hash (rx_queues > 1)
        bool tx_checksums = false; // ask for IPv4 and UDP TX checksum offload where offered
    };
    port(std::uint16_t port_id, rte_mempool* pool, const config& cfg);
    ~port();
    port(port&& o) noexcept
        : id_(o.id_), open_(o.open_), tx_checksums_(o.tx_checksums_), rss_hf_(o.rss_hf_)
    {
        o.open_ = false;
    }
    port(const port&) = delete;
    port& operator=(const port&) = delete;
    port& operator=(port&&) = delete;

    [[nodiscard]] std::uint16_t id() const noexcept { return id_; }
    // Whether IPv4 + UDP TX checksum offload was asked for and the device has both.
    [[nodiscard]] bool tx_checksums() const noexcept { return tx_checksums_; }
    // The RSS hash types in effect (0: none).
    [[nodiscard]] std::uint64_t rss_hf() const noexcept { return rss_hf_; }

    // Finds a port by device name (e.g. the vdev name "net_pcap0"); throws if absent.
    static std::uint16_t find(const std::string& name);

private:
    std::uint16_t id_;
    bool open_ = true;
    bool tx_checksums_ = false;
    std::uint64_t rss_hf_ = 0;
};

} // namespace siehub::dpdk
