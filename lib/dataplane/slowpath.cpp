// SPDX-License-Identifier: Apache-2.0
#include "dataplane/slowpath.hpp"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cstring>

#include "dataplane/handoff.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"

namespace siehub::dataplane {

slow_path::slow_path(rte_ring* in, std::vector<rte_ring*> to_workers, rte_mempool* blocks,
                     const nmsg::reasm_config& reasm)
    : in_(in), out_(std::move(to_workers)), blocks_(blocks), reasm_(reasm),
      inflated_(nmsg::zlib_max_inflated),
      linear_(65536)
{
}

bool slow_path::idle() const noexcept
{
    return rte_ring_empty(in_) != 0;
}

void slow_path::handle(rte_mbuf* m, std::uint64_t now_ms)
{
    c_.add(slow_counter::frames);
    auto const len = rte_pktmbuf_pkt_len(m);
    net::udp_packet u;
    nmsg::nmsg_unit unit;
    bool ok = len <= linear_.size();
    if (ok) {
        auto const* d = static_cast<const std::uint8_t*>(rte_pktmbuf_read(m, 0, len, linear_.data()));
        if (d != linear_.data()) {
            std::memcpy(linear_.data(), d, len); // keep the bytes after the mbuf is freed
        }
        ok = net::parse_udp_frame({linear_.data(), len}, u) == net::errc::ok;
    }
    rte_pktmbuf_free(m);
    if (ok) {
        unit = nmsg::parse_datagram(u.payload);
        ok = unit.ok();
    }
    if (!ok) {
        c_.add(slow_counter::drop_frame);
        return;
    }
    core::byte_view body = unit.body;
    bool zlib = unit.header.zlib();
    if (unit.header.fragment()) {
        auto r = reasm_.offer(body, unit.header.flags, u.src.bytes, u.src_port, now_ms);
        if (r.st == nmsg::reasm_result::status::pending) {
            return;
        }
        if (r.st == nmsg::reasm_result::status::dropped) {
            if (r.reason != nmsg::reasm_reason::duplicate) {
                c_.add(slow_counter::drop_fragment);
            }
            return;
        }
        body = r.body;
        zlib = r.zlib;
    }
    if (zlib) {
        auto r = inflater_.inflate(body, inflated_);
        if (!r.ok()) {
            c_.add(slow_counter::drop_zlib);
            return;
        }
        body = r.data;
    }
    nmsg::nmsg_view v(body);
    if (!v.valid()) {
        c_.add(slow_counter::drop_container);
        return;
    }
    c_.add(slow_counter::containers);
    // One sender's containers always go to the same worker, so its sequence stays in order.
    std::uint32_t h = u.src_port;
    for (auto b : u.src.bytes) {
        h = h * 31 + b;
    }
    rte_ring* ring = out_[h % out_.size()];
    bool first = true;
    auto send = [&](payload_block* b) {
        if (rte_ring_enqueue(ring, b) != 0) {
            c_.add(slow_counter::drop_ring_full);
            rte_mempool_put(blocks_, b);
            return false;
        }
        return true;
    };
    auto fresh = [&]() -> payload_block* {
        void* obj = nullptr;
        if (rte_mempool_get(blocks_, &obj) != 0) {
            return nullptr;
        }
        auto* b = static_cast<payload_block*>(obj);
        b->sender_addr = u.src.bytes;
        b->sender_family = u.src.family;
        b->sender_port = u.src_port;
        b->has_sequence = first && v.sequence() && v.sequence_id();
        b->sequence = v.sequence().value_or(0);
        b->sequence_id = v.sequence_id().value_or(0);
        b->len = 0;
        first = false;
        return b;
    };
    for (auto const& e : v.entries()) {
        if (!e.crc_ok()) {
            c_.add(slow_counter::drop_crc);
            continue;
        }
        auto bytes = e.view.bytes();
        if (bytes.size() > max_block_payload) {
            c_.add(slow_counter::drop_payload_too_large);
            continue;
        }
        payload_block* b = fresh();
        if (b == nullptr) {
            c_.add(slow_counter::drop_no_block);
            continue;
        }
        std::memcpy(b->bytes.data(), bytes.data(), bytes.size());
        b->len = static_cast<std::uint32_t>(bytes.size());
        if (send(b)) {
            c_.add(slow_counter::payloads);
        }
    }
    if (first && v.sequence() && v.sequence_id()) {
        // No payload survived: still report the container's sequence.
        if (payload_block* b = fresh()) {
            send(b);
        }
    }
}

bool slow_path::poll(std::uint64_t now_ms)
{
    void* objs[32];
    unsigned const n = rte_ring_dequeue_burst(in_, objs, 32, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        handle(static_cast<rte_mbuf*>(objs[i]), now_ms);
    }
    if (n == 0) {
        reasm_.expire(now_ms);
    }
    return n != 0;
}

} // namespace siehub::dataplane
