// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for the nmsg codec: golden file access, UDP datagrams out of pcaps (libpcap),
// and owned copies of message views so that a view can be fed back to its writer.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "nmsg_copy.hpp"
#include "proto/nmsg/messages.hpp"

namespace siehub::nmsg::test {

inline std::string testdata(const std::string& rel)
{
    const char* root = std::getenv("SIEHUB_TESTDATA");
    return std::string(root ? root : "../shared/testdata") + "/" + rel;
}

inline std::vector<std::uint8_t> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct udp_datagram {
    std::array<std::uint8_t, 16> src{};
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::uint64_t ts_ms = 0;
    std::vector<std::uint8_t> payload;
};

// UDP payloads of every IPv4/UDP frame of an Ethernet (optionally 802.1Q) pcap or pcapng.
inline std::vector<udp_datagram> read_udp(const std::string& path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) {
        throw std::runtime_error(err);
    }
    int const dlt = pcap_datalink(p);
    std::vector<udp_datagram> out;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        std::size_t off = 0;
        std::size_t const n = h->caplen;
        if (dlt == DLT_EN10MB) {
            off = 12;
            std::uint16_t et = static_cast<std::uint16_t>((d[off] << 8) | d[off + 1]);
            off += 2;
            if (et == 0x8100) {
                et = static_cast<std::uint16_t>((d[off + 2] << 8) | d[off + 3]);
                off += 4;
            }
            if (et != 0x0800) {
                continue;
            }
        } else if (dlt != DLT_RAW) {
            continue;
        }
        if (off + 20 > n || (d[off] >> 4) != 4 || d[off + 9] != 17) {
            continue;
        }
        std::size_t const ihl = (d[off] & 0xfu) * 4u;
        std::size_t const tot = static_cast<std::size_t>((d[off + 2] << 8) | d[off + 3]);
        udp_datagram u;
        std::copy(d + off + 12, d + off + 16, u.src.begin());
        std::size_t const udp = off + ihl;
        u.sport = static_cast<std::uint16_t>((d[udp] << 8) | d[udp + 1]);
        u.dport = static_cast<std::uint16_t>((d[udp + 2] << 8) | d[udp + 3]);
        u.ts_ms = static_cast<std::uint64_t>(h->ts.tv_sec) * 1000 + h->ts.tv_usec / 1000;
        std::size_t const end = off + tot < n ? off + tot : n;
        u.payload.assign(d + udp + 8, d + end);
        out.push_back(std::move(u));
    }
    pcap_close(p);
    return out;
}

} // namespace siehub::nmsg::test
