// SPDX-License-Identifier: Apache-2.0
#pragma once
// A TX queue as a sender sees it. Real NICs give every worker its own queue; virtual devices
// may have fewer queues than senders (net_pcap has one per tx_pcap file), and then senders
// share a queue under a spinlock taken once per burst, never per packet.

#include <rte_ethdev.h>
#include <rte_spinlock.h>

#include <cstdint>

namespace siehub::dataplane {

struct txq {
    std::uint16_t port = 0;
    std::uint16_t queue = 0;
    rte_spinlock_t* lock = nullptr; // set when the queue is shared
    bool checksum_offload = false;  // the port fills IPv4/UDP checksums (dpdk::port)

    std::uint16_t burst(rte_mbuf** pkts, std::uint16_t n) const noexcept
    {
        if (lock == nullptr) {
            return rte_eth_tx_burst(port, queue, pkts, n);
        }
        rte_spinlock_lock(lock);
        std::uint16_t const sent = rte_eth_tx_burst(port, queue, pkts, n);
        rte_spinlock_unlock(lock);
        return sent;
    }
};

} // namespace siehub::dataplane
