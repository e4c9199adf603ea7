// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dnsqr_reasm.hpp"

#include <cstring>

namespace siehub::pipeline {

const char* to_string(reasm_status s) noexcept
{
    switch (s) {
    case reasm_status::ok:
        return "ok";
    case reasm_status::no_packets:
        return "no_packets";
    case reasm_status::bad_packet:
        return "bad_packet";
    case reasm_status::too_many_packets:
        return "too_many_packets";
    case reasm_status::not_fragment:
        return "not_fragment";
    case reasm_status::fragment_mismatch:
        return "fragment_mismatch";
    case reasm_status::overlap:
        return "overlap";
    case reasm_status::incomplete:
        return "incomplete";
    case reasm_status::too_large:
        return "too_large";
    }
    return "unknown";
}

reasm_status packet_set::assemble(std::span<const core::byte_view> packets,
                                  core::byte_span buf) noexcept
{
    n_ = 0;
    payload_ = {};
    ip_err_ = net::errc::ok;
    packets_ = packets;
    if (packets.empty()) {
        return reasm_status::no_packets;
    }
    if (packets.size() > max_packets) {
        return reasm_status::too_many_packets;
    }
    for (std::size_t i = 0; i < packets.size(); ++i) {
        ip_err_ = net::parse_ip(packets[i], ip_[i]);
        if (ip_err_ != net::errc::ok) {
            return reasm_status::bad_packet;
        }
        order_[i] = static_cast<std::uint8_t>(i);
    }
    n_ = packets.size();
    if (n_ == 1) {
        // A lone fragment cannot be whole: a sensor that kept only part of a datagram.
        if (ip_[0].fragment) {
            return reasm_status::incomplete;
        }
        payload_ = ip_[0].payload;
        return reasm_status::ok;
    }
    auto const& first = ip_[0];
    for (std::size_t i = 0; i < n_; ++i) {
        auto const& p = ip_[i];
        if (!p.fragment) {
            return reasm_status::not_fragment;
        }
        if (p.src != first.src || p.dst != first.dst || p.proto != first.proto ||
            p.frag_id != first.frag_id) {
            return reasm_status::fragment_mismatch;
        }
    }
    // Insertion sort by offset: n <= 64 and sensors write fragments in order already.
    for (std::size_t i = 1; i < n_; ++i) {
        std::uint8_t const v = order_[i];
        std::size_t j = i;
        while (j > 0 && ip_[order_[j - 1]].frag_offset > ip_[v].frag_offset) {
            order_[j] = order_[j - 1];
            --j;
        }
        order_[j] = v;
    }
    std::size_t expected = 0;
    for (std::size_t k = 0; k < n_; ++k) {
        auto const& p = ip_[order_[k]];
        if (p.frag_offset < expected) {
            return reasm_status::overlap;
        }
        if (p.frag_offset > expected) {
            return reasm_status::incomplete;
        }
        bool const last = k + 1 == n_;
        if (p.more_fragments == last) {
            // MF on the last piece: the datagram is not finished; MF clear before the end: two
            // pieces each claim to be the last.
            return last ? reasm_status::incomplete : reasm_status::fragment_mismatch;
        }
        if (buf.size() - expected < p.payload.size()) {
            return reasm_status::too_large;
        }
        if (!p.payload.empty()) {
            std::memcpy(buf.data() + expected, p.payload.data(), p.payload.size());
        }
        expected += p.payload.size();
    }
    payload_ = core::byte_view{buf.data(), expected};
    return reasm_status::ok;
}

} // namespace siehub::pipeline
