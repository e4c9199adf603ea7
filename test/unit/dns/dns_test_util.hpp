// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for the DNS codec tests: DNS payloads out of dns.pcap (Ethernet / IPv4 with
// fragment reassembly / IPv6 / UDP; TCP frames are skipped), and a plain name -> text helper.

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "proto/dns/name.hpp"

namespace dns_test {

struct udp_dns {
    unsigned frame = 0; // 1-based pcap frame of the last fragment
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    bool ipv6 = false;
    std::vector<std::uint8_t> payload;
};

inline std::string testdata(const std::string& rel)
{
    const char* d = std::getenv("SIEHUB_TESTDATA");
    return std::string(d != nullptr ? d : "../shared/testdata") + "/" + rel;
}

inline std::vector<udp_dns> load_dns_pcap(const std::string& path, unsigned* tcp_frames = nullptr)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr) {
        throw std::runtime_error(err);
    }
    std::vector<udp_dns> out;
    // IPv4 fragments by IP id: the reassembled IP payload so far.
    std::map<std::uint16_t, std::vector<std::uint8_t>> frags;
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    unsigned frame = 0;
    unsigned tcp = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        ++frame;
        std::size_t n = h->caplen;
        if (n < 14) {
            continue;
        }
        std::uint16_t const et = siehub::core::load_be16(d + 12);
        const std::uint8_t* ip = d + 14;
        std::size_t iplen = n - 14;
        std::vector<std::uint8_t> l4;
        std::uint8_t proto = 0;
        bool v6 = false;
        if (et == 0x0800) {
            std::size_t const ihl = (ip[0] & 0xF) * 4u;
            std::size_t const tot = siehub::core::load_be16(ip + 2);
            proto = ip[9];
            std::uint16_t const id = siehub::core::load_be16(ip + 4);
            std::uint16_t const fo = siehub::core::load_be16(ip + 6);
            bool const mf = fo & 0x2000;
            std::size_t const off = (fo & 0x1FFF) * 8u;
            std::vector<std::uint8_t> part(ip + ihl, ip + std::min(tot, iplen));
            if (mf || off != 0) {
                auto& buf = frags[id];
                if (buf.size() < off + part.size()) {
                    buf.resize(off + part.size());
                }
                std::copy(part.begin(), part.end(), buf.begin() + static_cast<long>(off));
                if (mf) {
                    continue;
                }
                l4 = std::move(buf);
                frags.erase(id);
            } else {
                l4 = std::move(part);
            }
        } else if (et == 0x86DD) {
            v6 = true;
            proto = ip[6];
            std::size_t const plen = siehub::core::load_be16(ip + 4);
            l4.assign(ip + 40, ip + 40 + std::min(plen, iplen - 40));
        } else {
            continue;
        }
        if (proto == 6) {
            ++tcp;
            continue;
        }
        if (proto != 17 || l4.size() < 8) {
            continue;
        }
        udp_dns u;
        u.frame = frame;
        u.ipv6 = v6;
        u.sport = siehub::core::load_be16(l4.data());
        u.dport = siehub::core::load_be16(l4.data() + 2);
        std::size_t const ulen = siehub::core::load_be16(l4.data() + 4);
        u.payload.assign(l4.begin() + 8, l4.begin() + static_cast<long>(std::min(ulen, l4.size())));
        out.push_back(std::move(u));
    }
    pcap_close(p);
    if (tcp_frames != nullptr) {
        *tcp_frames = tcp;
    }
    return out;
}

// Dotted text of an uncompressed wire name, no escaping (test names are plain).
inline std::string name_text(siehub::core::byte_view wire)
{
    std::string s;
    std::size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        s.append(reinterpret_cast<const char*>(wire.data() + pos + 1), wire[pos]);
        s += '.';
        pos += wire[pos] + 1u;
    }
    return s.empty() ? "." : s;
}

// Wire form of a presentation name; throws on error (test input is trusted).
inline std::vector<std::uint8_t> wire(const std::string& text)
{
    siehub::dns::name_buffer b;
    auto r = siehub::dns::from_text(text, b);
    if (!r.ok()) {
        throw std::runtime_error("bad test name " + text);
    }
    return {b.begin(), b.begin() + r.wire_len};
}

} // namespace dns_test
