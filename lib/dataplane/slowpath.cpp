// SPDX-License-Identifier: Apache-2.0
#include "dataplane/slowpath.hpp"

// rte_ip_frag_table_del_expired_entries is experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dataplane/handoff.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"

namespace siehub::dataplane {

void slow_path::frag_table_deleter::operator()(rte_ip_frag_tbl* t) const noexcept
{
    rte_ip_frag_table_destroy(t); // frees the fragments it still holds
}

slow_path::slow_path(rte_ring* in, std::vector<rte_ring*> to_workers, rte_mempool* blocks,
                     const nmsg::reasm_config& reasm, ingest_match ingest)
    : in_(in), out_(std::move(to_workers)), blocks_(blocks), reasm_(reasm),
      inflated_(nmsg::zlib_max_inflated),
      linear_(65536 + 64), // a whole reassembled IPv4 datagram and its L2 header
      ingest_(std::move(ingest)),
      death_row_(std::make_unique<rte_ip_frag_death_row>())
{
    death_row_->cnt = 0;
    std::uint64_t const ttl_ms = std::max<std::uint64_t>(reasm.timeout_ms, 1);
    std::uint64_t const max_cycles = rte_get_tsc_hz() / 1000 * ttl_ms;
    frags_.reset(rte_ip_frag_table_create(ip_frag_flows / 4, 4, ip_frag_flows, max_cycles,
                                          SOCKET_ID_ANY));
    if (!frags_) {
        throw std::runtime_error(std::string("rte_ip_frag_table_create: ") + rte_strerror(rte_errno));
    }
}

slow_path::~slow_path()
{
    frags_.reset();
    rte_ip_frag_free_death_row(death_row_.get(), 0);
}

rte_mbuf* slow_path::reassemble(rte_mbuf* m, std::uint16_t l3_offset)
{
    c_.add(slow_counter::ip_fragments);
    if (rte_pktmbuf_data_len(m) < l3_offset + sizeof(rte_ipv4_hdr)) {
        rte_pktmbuf_free(m); // headers not in the first segment: never seen from a PMD
        return nullptr;
    }
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l3_offset);
    m->l2_len = l3_offset;
    m->l3_len = rte_ipv4_hdr_len(ip);
    rte_mbuf* const whole = rte_ipv4_frag_reassemble_packet(frags_.get(), death_row_.get(), m,
                                                             rte_rdtsc(), ip);
    rte_ip_frag_free_death_row(death_row_.get(), 3);
    if (whole != nullptr) {
        c_.add(slow_counter::ip_reassembled);
    }
    return whole;
}

bool slow_path::idle() const noexcept
{
    return rte_ring_empty(in_) != 0;
}

void slow_path::handle(rte_mbuf* m, std::uint64_t now_ms)
{
    auto const read = [&](rte_mbuf* f, net::udp_packet& out) {
        auto const len = rte_pktmbuf_pkt_len(f);
        if (len > linear_.size()) {
            return net::errc::truncated_ipv4;
        }
        auto const* d = static_cast<const std::uint8_t*>(rte_pktmbuf_read(f, 0, len, linear_.data()));
        if (d != linear_.data()) {
            std::memcpy(linear_.data(), d, len); // keep the bytes after the mbuf is freed
        }
        return net::parse_udp_frame({linear_.data(), len}, out);
    };
    net::udp_packet u;
    auto e = read(m, u);
    if (e == net::errc::ipv4_fragment) {
        m = reassemble(m, u.l3_offset);
        if (m == nullptr) {
            return; // held until its datagram is complete (or dropped with it)
        }
        u = {};
        e = read(m, u);
        if (e == net::errc::ok && !ingest_.matches(u)) {
            c_.add(slow_counter::ip_not_ingest);
            rte_pktmbuf_free(m);
            return;
        }
    }
    c_.add(slow_counter::frames);
    nmsg::nmsg_unit unit;
    bool ok = e == net::errc::ok;
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
    // Back-pressure: while the workers still hold most re-injection blocks, leave the frames in
    // the ring (the workers then pause RX) rather than drop payloads for want of a block.
    if (rte_mempool_avail_count(blocks_) < block_reserve) {
        return !rte_ring_empty(in_);
    }
    void* objs[32];
    unsigned const n = rte_ring_dequeue_burst(in_, objs, 32, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        handle(static_cast<rte_mbuf*>(objs[i]), now_ms);
    }
    if (n == 0) {
        reasm_.expire(now_ms);
        rte_ip_frag_table_del_expired_entries(frags_.get(), death_row_.get(), rte_rdtsc());
        rte_ip_frag_free_death_row(death_row_.get(), 0);
    }
    return n != 0;
}

} // namespace siehub::dataplane
