// SPDX-License-Identifier: Apache-2.0
#pragma once
// Writes the channel output frame a participant sees on a channel VLAN: Ethernet (broadcast by
// default), one 802.1Q tag, IPv4 (DF set, TTL 64, as nmsgtool's datagrams leave Linux) and UDP
// around one nmsg container. Checksums are computed in software here; the data plane leaves
// them to the NIC where the port offloads them.

#include <array>
#include <cstdint>

#include "core/out_buffer.hpp"
#include "proto/net/checksum.hpp"

namespace siehub::net {

struct channel_frame_spec {
    std::array<std::uint8_t, 6> dst_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    std::array<std::uint8_t, 6> src_mac{};
    std::uint16_t vlan = 0;     // 0: untagged
    std::uint8_t pcp = 0;
    std::array<std::uint8_t, 4> src_ip{};
    std::array<std::uint8_t, 4> dst_ip{255, 255, 255, 255};
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 8430;
    std::uint8_t ttl = 64;
};

inline constexpr std::size_t channel_frame_overhead(bool tagged) noexcept
{
    return 14 + (tagged ? 4 : 0) + 20 + 8;
}

// Who fills the checksums: this writer, or the NIC (DPDK's convention for IPv4/UDP checksum
// offload: the IP checksum field 0, the UDP field holding the pseudo-header sum, not inverted).
enum class checksums : std::uint8_t { software, offload };

// Writes the headers for a payload of `payload_len` bytes, then the payload, and fills both
// checksums (or prepares them for the NIC). Returns false (and writes nothing usable) when the
// buffer is too small or the datagram would exceed IPv4's 64 KiB.
inline bool write_channel_frame(core::out_buffer& out, const channel_frame_spec& s,
                                std::uint16_t ip_id, core::byte_view payload,
                                checksums how = checksums::software) noexcept
{
    if (payload.size() > 65535 - 28) {
        return false;
    }
    auto const udp_len = static_cast<std::uint16_t>(8 + payload.size());
    auto const ip_len = static_cast<std::uint16_t>(20 + udp_len);
    out.put(core::byte_view{s.dst_mac});
    out.put(core::byte_view{s.src_mac});
    if (s.vlan != 0) {
        out.put_be16(0x8100);
        out.put_be16(static_cast<std::uint16_t>((s.pcp << 13) | (s.vlan & 0x0fff)));
    }
    out.put_be16(0x0800);
    std::uint8_t* ip = out.reserve(20);
    std::uint8_t* udp = out.reserve(8);
    out.put(payload);
    if (!out.ok()) {
        return false;
    }
    ip[0] = 0x45;
    ip[1] = 0;
    core::store_be16(ip + 2, ip_len);
    core::store_be16(ip + 4, ip_id);
    core::store_be16(ip + 6, 0x4000); // DF
    ip[8] = s.ttl;
    ip[9] = 17;
    core::store_be16(ip + 10, 0);
    std::memcpy(ip + 12, s.src_ip.data(), 4);
    std::memcpy(ip + 16, s.dst_ip.data(), 4);

    core::store_be16(udp, s.src_port);
    core::store_be16(udp + 2, s.dst_port);
    core::store_be16(udp + 4, udp_len);
    core::store_be16(udp + 6, 0);
    std::uint32_t acc = ones_sum(ip + 12, 8); // pseudo-header: addresses
    acc += 17u + udp_len;
    if (how == checksums::offload) {
        core::store_be16(udp + 6, fold(acc));
        return true;
    }
    core::store_be16(ip + 10, static_cast<std::uint16_t>(~fold(ones_sum(ip, 20))));
    acc = ones_sum(udp, udp_len, acc);
    std::uint16_t sum = static_cast<std::uint16_t>(~fold(acc));
    core::store_be16(udp + 6, sum == 0 ? 0xffff : sum); // 0 means "no checksum" in UDP/IPv4
    return true;
}

} // namespace siehub::net
