// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reassembly of the IP packets of one side of a dnsqr transaction (query_packet or
// response_packet): one unfragmented packet is used in place; several fragments of one
// datagram are checked (same addresses, protocol and id; no overlap, no gap, last without MF)
// and their payloads copied, in offset order, into a caller buffer. Bounded by max_packets
// and by the buffer; nothing is allocated.
//
// The fragment table is kept so that a byte of the reassembled payload can be mapped back to
// the packet it came from: the privacy scrubber zeroes EDNS options found in the reassembled
// message inside the fragments themselves (an option may straddle two fragments).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "proto/net/ip.hpp"

namespace siehub::pipeline {

enum class reasm_status : std::uint8_t {
    ok = 0,
    no_packets,
    bad_packet,        // a packet does not parse as IPv4/IPv6 (see ip_error)
    too_many_packets,  // more than max_packets
    not_fragment,      // several packets, one of them not a fragment
    fragment_mismatch, // fragments of different datagrams (addresses, protocol, id)
    overlap,           // fragments overlap (or repeat)
    incomplete,        // a gap, or no last fragment
    too_large,         // reassembled payload larger than the buffer
};

const char* to_string(reasm_status s) noexcept;

class packet_set {
public:
    static constexpr std::size_t max_packets = 64;

    // Parses `packets` (in any order) and builds the payload. `buf` receives the reassembled
    // payload when there is more than one packet; payload() then points into it.
    reasm_status assemble(std::span<const core::byte_view> packets, core::byte_span buf) noexcept;

    // The upper-layer payload (UDP header first) of the datagram.
    [[nodiscard]] core::byte_view payload() const noexcept { return payload_; }
    // Header fields of the first fragment (addresses, protocol).
    [[nodiscard]] const net::ip_packet& ip() const noexcept { return ip_[order_[0]]; }
    [[nodiscard]] bool reassembled() const noexcept { return n_ > 1; }
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    [[nodiscard]] net::errc ip_error() const noexcept { return ip_err_; }

    // Calls fn(packet_index, offset_in_packet, len) for every piece of the payload range
    // [off, off + len) (offsets into payload()), so the caller can touch the same bytes in
    // the original packets. The range must lie within payload().
    template <class Fn> void map_range(std::size_t off, std::size_t len, Fn&& fn) const noexcept
    {
        for (std::size_t k = 0; k < n_ && len > 0; ++k) {
            auto const& p = ip_[order_[k]];
            std::size_t const start = p.frag_offset;
            std::size_t const stop = start + p.payload.size();
            if (off >= stop || off < start) {
                continue;
            }
            std::size_t const take = len < stop - off ? len : stop - off;
            std::size_t const in_packet =
                static_cast<std::size_t>(p.payload.data() - packets_[order_[k]].data()) +
                (off - start);
            fn(static_cast<std::size_t>(order_[k]), in_packet, take);
            off += take;
            len -= take;
        }
    }

private:
    std::array<net::ip_packet, max_packets> ip_;
    std::array<std::uint8_t, max_packets> order_{};
    std::span<const core::byte_view> packets_;
    core::byte_view payload_;
    std::size_t n_ = 0;
    net::errc ip_err_ = net::errc::ok;
};

} // namespace siehub::pipeline
