// SPDX-License-Identifier: Apache-2.0
// The DPDK owners on a real virtual device: EAL without hugepages or PCI, a net_pcap port that
// replays a golden capture, and a TX side whose file must hold the same frames.
#include <catch2/catch.hpp>
#include <pcap/pcap.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dpdk/eal.hpp"

using namespace siehub;

namespace {
std::vector<std::vector<std::uint8_t>> read_pcap(const std::string& path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    REQUIRE(p != nullptr);
    std::vector<std::vector<std::uint8_t>> frames;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        frames.emplace_back(d, d + h->caplen);
    }
    pcap_close(p);
    return frames;
}
} // namespace

TEST_CASE("net_pcap port forwards every frame of a capture unchanged")
{
    std::string const in = std::string(std::getenv("SIEHUB_TESTDATA")) + "/pcap/dns.pcap";
    auto const out = std::filesystem::temp_directory_path() /
                     ("siehub-dpdk-test-" + std::to_string(::getpid()) + ".pcap");
    auto args = dpdk::eal::virtual_args("t-pcap", 128);
    args.push_back("--vdev=net_pcap0,rx_pcap=" + in + ",tx_pcap=" + out.string());
    {
        dpdk::eal eal(args);
        auto pool = dpdk::make_pktmbuf_pool("t_pool", 1023, 32);
        {
            dpdk::port port(dpdk::port::find("net_pcap0"), pool.get(), {});
            unsigned total = 0;
            rte_mbuf* burst[32];
            for (int idle = 0; idle < 100;) {
                std::uint16_t n = rte_eth_rx_burst(port.id(), 0, burst, 32);
                if (n == 0) {
                    ++idle;
                    continue;
                }
                total += n;
                std::uint16_t sent = rte_eth_tx_burst(port.id(), 0, burst, n);
                for (std::uint16_t i = sent; i < n; ++i) {
                    rte_pktmbuf_free(burst[i]);
                }
                REQUIRE(sent == n);
            }
            CHECK(total == 56);
        } // port closed: the pcap writer is flushed
    }
    CHECK(read_pcap(out.string()) == read_pcap(in));
    std::filesystem::remove(out);
}
