// SPDX-License-Identifier: Apache-2.0
#include "dpdk/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

namespace siehub::dpdk {

namespace {
[[noreturn]] void fail(const std::string& what, int err)
{
    throw error(what + ": " + rte_strerror(err < 0 ? -err : err));
}
} // namespace

eal::eal(std::vector<std::string> args)
{
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
        fail("rte_eal_init", rte_errno);
    }
}

eal::~eal()
{
    rte_eal_cleanup();
}

std::vector<std::string> eal::virtual_args(const std::string& prefix_tag, unsigned memory_mb)
{
    return {"siehub",
            "--no-huge",
            "--no-pci",
            "-m",
            std::to_string(memory_mb),
            "--file-prefix=siehub-" + prefix_tag + "-" + std::to_string(::getpid()),
            "--log-level=lib.eal:error",
            "--no-telemetry"};
}

void mempool_deleter::operator()(rte_mempool* mp) const noexcept
{
    rte_mempool_free(mp);
}

mempool make_pktmbuf_pool(const std::string& name, unsigned count, unsigned cache,
                          std::uint16_t data_room, int socket)
{
    rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), count, cache, 0, data_room,
                                              socket < 0 ? static_cast<int>(rte_socket_id()) : socket);
    if (mp == nullptr) {
        fail("rte_pktmbuf_pool_create " + name, rte_errno);
    }
    return mempool(mp);
}

port::port(std::uint16_t port_id, rte_mempool* pool, const config& cfg) : id_(port_id)
{
    rte_eth_conf conf{};
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(id_, &info);
    if (rc < 0) {
        fail("rte_eth_dev_info_get", rc);
    }
    if (cfg.rss && cfg.rx_queues > 1) {
        // Sensors differ by address and port: hash on both, as far as the device can.
        rss_hf_ = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        if (rss_hf_ != 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = rss_hf_;
        }
    }
    constexpr std::uint64_t cksum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    if (cfg.tx_checksums && (info.tx_offload_capa & cksum) == cksum) {
        conf.txmode.offloads |= cksum;
        tx_checksums_ = true;
    }
    rc = rte_eth_dev_configure(id_, cfg.rx_queues, cfg.tx_queues, &conf);
    if (rc < 0) {
        fail("rte_eth_dev_configure", rc);
    }
    std::uint16_t rxd = cfg.rx_desc;
    std::uint16_t txd = cfg.tx_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rxd, &txd);
    int const socket = rte_eth_dev_socket_id(id_);
    for (std::uint16_t q = 0; q < cfg.rx_queues; ++q) {
        rc = rte_eth_rx_queue_setup(id_, q, rxd, socket, nullptr, pool);
        if (rc < 0) {
            fail("rte_eth_rx_queue_setup", rc);
        }
    }
    for (std::uint16_t q = 0; q < cfg.tx_queues; ++q) {
        rc = rte_eth_tx_queue_setup(id_, q, txd, socket, nullptr);
        if (rc < 0) {
            fail("rte_eth_tx_queue_setup", rc);
        }
    }
    rc = rte_eth_dev_start(id_);
    if (rc < 0) {
        fail("rte_eth_dev_start", rc);
    }
    if (cfg.promiscuous) {
        rte_eth_promiscuous_enable(id_); // not every vdev supports it; harmless when not
    }
}

port::~port()
{
    if (open_) {
        rte_eth_dev_stop(id_);
        rte_eth_dev_close(id_);
    }
}

std::uint16_t port::find(const std::string& name)
{
    std::uint16_t id;
    int rc = rte_eth_dev_get_port_by_name(name.c_str(), &id);
    if (rc < 0) {
        fail("no port named " + name, rc);
    }
    return id;
}

} // namespace siehub::dpdk
