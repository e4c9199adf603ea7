// SPDX-License-Identifier: Apache-2.0
#pragma once
// Raw IP packets (no link layer), as base/dnsqr carries them in query_packet/response_packet:
// IPv4 or IPv6 header with fragment information, the UDP header, and the UDP checksum.
// Pure bounded views; errors reuse net::errc so counters name them the same way as the frame
// classifier does. Reassembly of fragments lives with its one user (pipeline/dnsqr_reasm).

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/bytes.hpp"
#include "proto/net/checksum.hpp"
#include "proto/net/packet.hpp"

namespace siehub::net {

struct ip_packet {
    ip_address src;
    ip_address dst;
    std::uint8_t proto = 0;
    bool fragment = false;       // part of a fragmented datagram (MF set or offset non-zero)
    bool more_fragments = false; // MF
    std::uint32_t frag_id = 0;
    std::uint32_t frag_offset = 0; // bytes
    std::uint16_t src_off = 0;     // where the source address lies in the packet
    std::uint16_t dst_off = 0;     // where the destination address lies in the packet
    core::byte_view payload;       // after every header, bounded by the IP length
};

// IPv6 extension headers followed before the upper-layer header; more is ipv6_ext_header.
inline constexpr unsigned max_ipv6_ext_headers = 8;

// Parses one raw IPv4/IPv6 packet. Bytes after the IP total length are ignored (capture
// padding); a length beyond the captured bytes is an error.
inline errc parse_ip(core::byte_view pkt, ip_packet& out) noexcept
{
    out = {};
    if (pkt.empty()) {
        return errc::not_ip;
    }
    unsigned const version = pkt[0] >> 4;
    if (version == 4) {
        if (pkt.size() < 20) {
            return errc::truncated_ipv4;
        }
        unsigned const ihl = (pkt[0] & 0x0fu) * 4u;
        unsigned const total = core::load_be16(&pkt[2]);
        if (ihl < 20 || total < ihl) {
            return errc::bad_ipv4_header;
        }
        if (total > pkt.size()) {
            return errc::truncated_ipv4;
        }
        std::uint16_t const frag = core::load_be16(&pkt[6]);
        out.src.family = out.dst.family = 4;
        std::memcpy(out.src.bytes.data(), &pkt[12], 4);
        std::memcpy(out.dst.bytes.data(), &pkt[16], 4);
        out.src_off = 12;
        out.dst_off = 16;
        out.proto = pkt[9];
        out.more_fragments = (frag & 0x2000) != 0;
        out.frag_offset = std::uint32_t{frag & 0x1fffu} * 8u;
        out.fragment = out.more_fragments || out.frag_offset != 0;
        out.frag_id = core::load_be16(&pkt[4]);
        out.payload = pkt.subspan(ihl, total - ihl);
        return errc::ok;
    }
    if (version != 6) {
        return errc::not_ip;
    }
    if (pkt.size() < 40) {
        return errc::truncated_ipv6;
    }
    std::size_t const plen = core::load_be16(&pkt[4]);
    if (plen + 40 > pkt.size()) {
        return errc::truncated_ipv6;
    }
    out.src.family = out.dst.family = 6;
    std::memcpy(out.src.bytes.data(), &pkt[8], 16);
    std::memcpy(out.dst.bytes.data(), &pkt[24], 16);
    out.src_off = 8;
    out.dst_off = 24;
    std::uint8_t next = pkt[6];
    std::size_t pos = 40;
    std::size_t const end = 40 + plen;
    for (unsigned i = 0;; ++i) {
        if (next != 0 && next != 43 && next != 60 && next != 44) {
            break;
        }
        if (i == max_ipv6_ext_headers || end - pos < 8) {
            return errc::ipv6_ext_header;
        }
        if (next == 44) {
            // The fragment header ends the walk: what follows is fragment data.
            std::uint16_t const fo = core::load_be16(&pkt[pos + 2]);
            out.frag_offset = static_cast<std::uint32_t>(fo >> 3) * 8u;
            out.more_fragments = (fo & 1u) != 0;
            out.fragment = true;
            out.frag_id = core::load_be32(&pkt[pos + 4]);
            next = pkt[pos];
            pos += 8;
            break;
        }
        std::size_t const len = (std::size_t{pkt[pos + 1]} + 1) * 8;
        if (end - pos < len) {
            return errc::ipv6_ext_header;
        }
        next = pkt[pos];
        pos += len;
    }
    out.proto = next;
    out.payload = pkt.subspan(pos, end - pos);
    return errc::ok;
}

struct udp_header {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint16_t length = 0;
    std::uint16_t checksum = 0;
    core::byte_view datagram; // header + payload, `length` bytes
    core::byte_view payload;
};

// Parses the UDP header at the start of a (reassembled) IP payload.
inline errc parse_udp(core::byte_view l4, udp_header& out) noexcept
{
    if (l4.size() < 8) {
        return errc::truncated_udp;
    }
    out.src_port = core::load_be16(&l4[0]);
    out.dst_port = core::load_be16(&l4[2]);
    out.length = core::load_be16(&l4[4]);
    out.checksum = core::load_be16(&l4[6]);
    if (out.length < 8 || out.length > l4.size()) {
        return errc::bad_udp_length;
    }
    out.datagram = l4.first(out.length);
    out.payload = l4.subspan(8, out.length - 8u);
    return errc::ok;
}


// True when the UDP checksum of `datagram` (header + payload, checksum field included)
// verifies against the pseudo-header of src/dst. A zero IPv4 checksum means "not computed":
// callers test for it before (it is not a verdict of this function).
inline bool udp_checksum_ok(const ip_address& src, const ip_address& dst,
                            core::byte_view datagram) noexcept
{
    // Callers pass at most 65535 bytes: every partial sum stays far below 2^32.
    std::uint32_t acc = ones_sum(src.view().data(), src.view().size());
    acc = ones_sum(dst.view().data(), dst.view().size(), acc);
    acc += ipproto_udp;
    acc += static_cast<std::uint32_t>(datagram.size());
    acc = ones_sum(datagram.data(), datagram.size(), acc);
    return fold(acc) == 0xffff;
}

} // namespace siehub::net
