// SPDX-License-Identifier: Apache-2.0
#pragma once
// Frame classification: Ethernet, up to two 802.1Q/802.1ad tags, IPv4 or IPv6, UDP. A pure view
// over the frame bytes: it says what the frame is and where the UDP payload lies, or why the
// frame is not usable. Shared by the offline pcap reader, the data-plane classifier and the tap.

#include <array>
#include <cstring>
#include <cstdint>
#include <string_view>

#include "core/cursor.hpp"

namespace siehub::net {

enum class errc : std::uint8_t {
    ok = 0,
    truncated_ether,
    truncated_vlan,
    too_many_vlans,
    not_ip,          // ARP, LLDP, … (exception path material, not an error of the frame)
    truncated_ipv4,
    bad_ipv4_header, // version/IHL/total length inconsistent
    ipv4_fragment,   // needs reassembly before the UDP header can be trusted
    truncated_ipv6,
    bad_ipv6_length,
    ipv6_ext_header, // extension headers other than none are not followed
    not_udp,         // TCP, ICMP, … (exception path material)
    truncated_udp,
    bad_udp_length,
};

constexpr std::string_view to_string(errc e) noexcept
{
    switch (e) {
    case errc::ok: return "ok";
    case errc::truncated_ether: return "truncated_ether";
    case errc::truncated_vlan: return "truncated_vlan";
    case errc::too_many_vlans: return "too_many_vlans";
    case errc::not_ip: return "not_ip";
    case errc::truncated_ipv4: return "truncated_ipv4";
    case errc::bad_ipv4_header: return "bad_ipv4_header";
    case errc::ipv4_fragment: return "ipv4_fragment";
    case errc::truncated_ipv6: return "truncated_ipv6";
    case errc::bad_ipv6_length: return "bad_ipv6_length";
    case errc::ipv6_ext_header: return "ipv6_ext_header";
    case errc::not_udp: return "not_udp";
    case errc::truncated_udp: return "truncated_udp";
    case errc::bad_udp_length: return "bad_udp_length";
    }
    return "unknown";
}

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
inline constexpr std::uint16_t ethertype_vlan = 0x8100;
inline constexpr std::uint16_t ethertype_qinq = 0x88a8;
inline constexpr std::uint8_t ipproto_udp = 17;

// An IPv4 address is held in the first 4 bytes with family 4.
struct ip_address {
    std::uint8_t family = 0; // 4 or 6
    std::array<std::uint8_t, 16> bytes{};

    [[nodiscard]] core::byte_view view() const noexcept
    {
        return {bytes.data(), family == 4 ? 4u : family == 6 ? 16u : 0u};
    }
    friend bool operator==(const ip_address&, const ip_address&) = default;
};

struct udp_packet {
    std::uint16_t vlan = 0;      // innermost VLAN id, 0 when untagged
    std::uint8_t vlan_count = 0;
    std::uint16_t ethertype = 0; // after the tags
    std::uint16_t l3_offset = 0;
    std::uint16_t l4_offset = 0;
    std::uint8_t ip_proto = 0;
    ip_address src;
    ip_address dst;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    core::byte_view payload;      // UDP payload, bounded by the UDP length
};

// Classifies one Ethernet frame. `out` is filled as far as parsing went (ethertype, ip_proto
// and addresses are valid for not_udp / ipv4_fragment, so callers can route those onwards).
inline errc parse_udp_frame(core::byte_view frame, udp_packet& out) noexcept
{
    core::wire_cursor<errc> c(frame);
    c.skip(12, errc::truncated_ether);
    std::uint16_t type = c.be16(errc::truncated_ether);
    if (!c.ok()) {
        return c.error();
    }
    while (type == ethertype_vlan || type == ethertype_qinq) {
        if (out.vlan_count == 2) {
            return errc::too_many_vlans;
        }
        out.vlan = c.be16(errc::truncated_vlan) & 0x0fff;
        type = c.be16(errc::truncated_vlan);
        if (!c.ok()) {
            return c.error();
        }
        ++out.vlan_count;
    }
    out.ethertype = type;
    out.l3_offset = static_cast<std::uint16_t>(c.offset());
    std::size_t l4_len = 0;
    if (type == ethertype_ipv4) {
        auto ip = c.rest();
        if (ip.size() < 20) {
            return errc::truncated_ipv4;
        }
        unsigned const ihl = (ip[0] & 0x0f) * 4u;
        unsigned const total = core::load_be16(&ip[2]);
        if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl) {
            return errc::bad_ipv4_header;
        }
        if (total > ip.size()) {
            return errc::truncated_ipv4;
        }
        out.ip_proto = ip[9];
        out.src.family = out.dst.family = 4;
        std::memcpy(out.src.bytes.data(), &ip[12], 4);
        std::memcpy(out.dst.bytes.data(), &ip[16], 4);
        if ((core::load_be16(&ip[6]) & 0x3fff) != 0) { // MF set or offset non-zero
            return errc::ipv4_fragment;
        }
        c.skip(ihl, errc::truncated_ipv4);
        l4_len = total - ihl;
    } else if (type == ethertype_ipv6) {
        auto ip = c.rest();
        if (ip.size() < 40) {
            return errc::truncated_ipv6;
        }
        unsigned const plen = core::load_be16(&ip[4]);
        if ((ip[0] >> 4) != 6) {
            return errc::bad_ipv6_length;
        }
        if (plen + 40u > ip.size()) {
            return errc::truncated_ipv6;
        }
        out.ip_proto = ip[6];
        out.src.family = out.dst.family = 6;
        std::memcpy(out.src.bytes.data(), &ip[8], 16);
        std::memcpy(out.dst.bytes.data(), &ip[24], 16);
        c.skip(40, errc::truncated_ipv6);
        l4_len = plen;
        // Hop-by-hop, routing, fragment, destination options: not expected from sensors.
        if (out.ip_proto == 0 || out.ip_proto == 43 || out.ip_proto == 44 || out.ip_proto == 60) {
            return errc::ipv6_ext_header;
        }
    } else {
        return errc::not_ip;
    }
    out.l4_offset = static_cast<std::uint16_t>(c.offset());
    if (out.ip_proto != ipproto_udp) {
        return errc::not_udp;
    }
    if (l4_len < 8) {
        return errc::truncated_udp;
    }
    out.src_port = c.be16(errc::truncated_udp);
    out.dst_port = c.be16(errc::truncated_udp);
    unsigned const ulen = c.be16(errc::truncated_udp);
    c.skip(2, errc::truncated_udp);
    if (!c.ok()) {
        return c.error();
    }
    // UDP length must cover its header and fit inside the IP payload; Ethernet padding after
    // the IP payload is ignored.
    if (ulen < 8 || ulen > l4_len) {
        return errc::bad_udp_length;
    }
    out.payload = c.take(ulen - 8, errc::truncated_udp);
    return c.error();
}

} // namespace siehub::net
