// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <pcap/pcap.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "proto/net/packet.hpp"

using namespace siehub;

namespace {

std::vector<std::vector<std::uint8_t>> read_pcap(const std::string& name)
{
    std::string path = std::string(std::getenv("SIEHUB_TESTDATA")) + "/pcap/" + name;
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

TEST_CASE("dns.pcap frames classify as the capture says")
{
    auto frames = read_pcap("dns.pcap");
    REQUIRE(frames.size() == 56);
    std::map<net::errc, int> by;
    int v6 = 0;
    int dns_udp = 0;
    for (auto& f : frames) {
        net::udp_packet u;
        auto e = net::parse_udp_frame(f, u);
        ++by[e];
        if (e == net::errc::ok) {
            CHECK((u.src_port == 53 || u.dst_port == 53));
            CHECK(u.payload.size() >= 12);
            ++dns_udp;
            if (u.src.family == 6) {
                ++v6;
            }
        }
    }
    // Query 13 went over IPv6 (query + response).
    CHECK(v6 == 2);
    // Query 20's 1872-byte response arrived in two IPv4 fragments.
    CHECK(by[net::errc::ipv4_fragment] == 2);
    // Query 22 went over TCP: handshake, data, teardown segments.
    CHECK(by[net::errc::not_udp] >= 5);
    CHECK(dns_udp + by[net::errc::ipv4_fragment] + by[net::errc::not_udp] == 56);
}

TEST_CASE("VLAN-tagged channel frame: tag read, payload found")
{
    auto frames = read_pcap("nmsg-bcast-8430-vlan213.pcap");
    REQUIRE(frames.size() == 1);
    net::udp_packet u;
    REQUIRE(net::parse_udp_frame(frames[0], u) == net::errc::ok);
    CHECK(u.vlan == 213);
    CHECK(u.vlan_count == 1);
    CHECK(u.dst_port == 8430);
    CHECK(u.payload.size() == 674);
    CHECK(u.payload[0] == 'N');
}

TEST_CASE("every truncation of a frame is rejected without reading past the end")
{
    auto frames = read_pcap("nmsg-bcast-8430-vlan213.pcap");
    auto const& f = frames[0];
    for (std::size_t n = 0; n < f.size(); ++n) {
        // Exact-size copy so a sanitizer build catches over-reads.
        std::vector<std::uint8_t> cut(f.begin(), f.begin() + static_cast<long>(n));
        net::udp_packet u;
        CHECK(net::parse_udp_frame(cut, u) != net::errc::ok);
    }
}

TEST_CASE("inconsistent lengths are named")
{
    auto frames = read_pcap("nmsg-bcast-8430.pcap");
    auto f = frames[0];
    net::udp_packet u;
    REQUIRE(net::parse_udp_frame(f, u) == net::errc::ok);
    auto g = f;
    g[14 + 20 + 4] = 0xff; // UDP length larger than the IP payload
    CHECK(net::parse_udp_frame(g, u) == net::errc::bad_udp_length);
    g = f;
    g[14] = 0x44; // IHL 4 words
    CHECK(net::parse_udp_frame(g, u) == net::errc::bad_ipv4_header);
    g = f;
    g[12] = 0x08;
    g[13] = 0x06; // ARP
    CHECK(net::parse_udp_frame(g, u) == net::errc::not_ip);
    g = f;
    g[14 + 9] = 6; // TCP
    CHECK(net::parse_udp_frame(g, u) == net::errc::not_udp);
}

#include "proto/net/frame_writer.hpp"

TEST_CASE("channel frame writer reproduces nmsgtool's broadcast frame on VLAN 213")
{
    auto frames = read_pcap("nmsg-bcast-8430-vlan213.pcap");
    auto const& golden = frames[0];
    net::udp_packet u;
    REQUIRE(net::parse_udp_frame(golden, u) == net::errc::ok);

    net::channel_frame_spec s;
    std::copy(golden.begin() + 6, golden.begin() + 12, s.src_mac.begin());
    s.vlan = 213;
    s.src_ip = {198, 18, 213, 1};
    s.dst_ip = {198, 18, 213, 255};
    s.src_port = 47014;
    s.dst_port = 8430;
    std::vector<std::uint8_t> buf(2048);
    core::out_buffer out(buf);
    REQUIRE(net::write_channel_frame(out, s, 62579, u.payload));
    std::vector<std::uint8_t> mine(out.written().begin(), out.written().end());
    CHECK(mine == golden); // same bytes, checksums included

    std::vector<std::uint8_t> small(100);
    core::out_buffer tight(small);
    CHECK_FALSE(net::write_channel_frame(tight, s, 1, u.payload));
}

// The eight-bytes-at-a-time sum against RFC 1071's definition (big-endian 16-bit words, an odd
// last byte padded with zero), on every length 0..300 and on split blocks.
TEST_CASE("ones_sum equals the RFC 1071 word-by-word sum", "[net][checksum]")
{
    auto reference = [](const std::uint8_t* p, std::size_t len, std::uint32_t acc) {
        std::uint64_t s = acc;
        for (std::size_t i = 0; i + 1 < len; i += 2) {
            s += (std::uint32_t{p[i]} << 8) | p[i + 1];
        }
        if (len % 2 != 0) {
            s += std::uint32_t{p[len - 1]} << 8;
        }
        while (s >> 16) {
            s = (s & 0xffff) + (s >> 16);
        }
        return static_cast<std::uint16_t>(s);
    };
    std::vector<std::uint8_t> buf(300);
    std::uint32_t x = 12345;
    for (int round = 0; round < 20; ++round) {
        for (auto& b : buf) {
            x = x * 1103515245u + 12345u;
            b = round == 0 ? 0xff : static_cast<std::uint8_t>(x >> 16); // all-ones: carries
        }
        for (std::size_t len = 0; len <= buf.size(); ++len) {
            REQUIRE(net::fold(net::ones_sum(buf.data(), len)) == reference(buf.data(), len, 0));
            std::size_t const half = (len / 2) & ~std::size_t{1}; // an even first block
            std::uint32_t const a = net::ones_sum(buf.data(), half, 0x1234);
            REQUIRE(net::fold(net::ones_sum(buf.data() + half, len - half, a)) ==
                    reference(buf.data(), len, 0x1234));
        }
    }
}
