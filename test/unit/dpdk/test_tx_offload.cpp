// SPDX-License-Identifier: Apache-2.0
// Channel frames with IPv4/UDP checksum offload on a device that has it (net_tap fills the
// checksums in its PMD, as a NIC would): the frame the kernel receives on the TAP must be
// byte-identical to the one the software writer makes, and its checksums must verify. RSS is
// asked for on the same port (net_tap offers it for IP/UDP).
#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "dataplane/pipeline.hpp"
#include "dpdk/eal.hpp"
#include "proto/net/frame_writer.hpp"
#include "proto/net/ip.hpp"
#include "proto/net/packet.hpp"

using namespace siehub;

TEST_CASE("channel frames with TX checksum offload equal the software-checksummed frames")
{
    if (::geteuid() != 0 || ::access("/dev/net/tun", R_OK | W_OK) != 0) {
        WARN("skipped: needs root and /dev/net/tun");
        return;
    }
    std::string const ifname = "shtx" + std::to_string(::getpid() % 100000);
    auto args = dpdk::eal::virtual_args("t-txoff", 128);
    args.push_back("--vdev=net_tap0,iface=" + ifname);
    dpdk::eal eal(args);
    auto pool = dpdk::make_pktmbuf_pool("t_txoff", 1023, 32);
    dpdk::port::config pc;
    pc.rx_queues = 2; // net_tap wants as many TX as RX queues
    pc.tx_queues = 2;
    pc.rx_desc = 128;
    pc.tx_desc = 128;
    pc.rss = true;
    pc.tx_checksums = true;
    dpdk::port port(dpdk::port::find("net_tap0"), pool.get(), pc);
    REQUIRE(port.tx_checksums());
    CHECK(port.rss_hf() != 0);

    // The kernel side: every frame that arrives on the TAP interface.
    int const fd = ::socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    REQUIRE(fd >= 0);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    REQUIRE(sll.sll_ifindex > 0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) == 0);

    net::channel_frame_spec spec;
    spec.src_mac = {0x02, 0, 0, 0, 0, 1};
    spec.src_ip = {192, 0, 2, 1};
    spec.dst_ip = {192, 0, 2, 255};
    spec.vlan = 0; // the kernel would strip a tag before the packet socket sees it
    dataplane::rt_counters c;
    dataplane::mbuf_sink sink(pool.get(), dataplane::txq{port.id(), 0, nullptr, true}, spec, c);
    std::vector<std::vector<std::uint8_t>> sent;
    for (std::size_t len : {1u, 2u, 3u, 100u, 1001u, 1252u}) {
        std::vector<std::uint8_t> datagram(len);
        for (std::size_t i = 0; i < len; ++i) {
            datagram[i] = static_cast<std::uint8_t>(i * 7 + len);
        }
        REQUIRE(sink.send(datagram, {static_cast<std::uint16_t>(40000 + len)}));
        net::channel_frame_spec s = spec;
        s.src_port = static_cast<std::uint16_t>(40000 + len);
        std::vector<std::uint8_t> frame(net::channel_frame_overhead(false) + len);
        core::out_buffer out(frame);
        REQUIRE(net::write_channel_frame(out, s, static_cast<std::uint16_t>(sent.size()), datagram));
        sent.push_back(frame);
    }
    sink.flush();
    REQUIRE(c.get(dataplane::rt_counter::tx_frames) == sent.size());

    std::vector<std::vector<std::uint8_t>> got;
    std::vector<std::uint8_t> buf(2048);
    while (got.size() < sent.size()) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0) {
            break;
        }
        ssize_t const n = ::recv(fd, buf.data(), buf.size(), 0);
        REQUIRE(n > 0);
        net::udp_packet u;
        std::vector<std::uint8_t> f(buf.begin(), buf.begin() + n);
        if (net::parse_udp_frame(f, u) == net::errc::ok && u.src_port >= 40000) {
            got.push_back(std::move(f)); // the kernel's own traffic (IPv6 RS, …) is skipped
        }
    }
    ::close(fd);
    REQUIRE(got.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        INFO("frame " << i);
        CHECK(got[i] == sent[i]);
        net::udp_packet u;
        REQUIRE(net::parse_udp_frame(got[i], u) == net::errc::ok);
        CHECK(net::fold(net::ones_sum(got[i].data() + u.l3_offset, 20)) == 0xffff);
        CHECK(net::udp_checksum_ok(u.src, u.dst, {got[i].data() + u.l4_offset, 8 + u.payload.size()}));
    }
}
