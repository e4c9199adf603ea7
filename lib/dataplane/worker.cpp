// SPDX-License-Identifier: Apache-2.0
#include "dataplane/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstring>

#include "dataplane/pipeline.hpp"
#include "dataplane/sra_feed.hpp"

namespace siehub::dataplane {

worker::worker(unsigned id, const settings& s, shared_state& sh, worker_links links,
               std::vector<rx_source> rx, std::uint16_t tap_tx_queue)
    : id_(id), s_(s), sh_(sh), links_(std::move(links)), rx_(std::move(rx)),
      tap_tx_queue_(tap_tx_queue), ingest_{s.ingest_udp_ports, s.ingest_addresses},
      limiter_(s.sender_rate, s.sender_burst, rte_get_tsc_hz()), st_(s.stage_cycles), linear_(65536),
      pipe_(std::make_unique<payload_pipeline>(id, s, links_, c_, st_))
{
}

worker::~worker() = default;

void worker::to_exception(rte_mbuf* m, const rx_source& src)
{
    if (src.tap_port < 0) {
        c_.add(rt_counter::rx_drop_no_tap);
        rte_pktmbuf_free(m);
        return;
    }
    c_.add(rt_counter::rx_exception);
    if (rte_eth_tx_burst(static_cast<std::uint16_t>(src.tap_port), tap_tx_queue_, &m, 1) == 1) {
        c_.add(rt_counter::exception_tx);
    } else {
        c_.add(rt_counter::exception_tx_full);
        rte_pktmbuf_free(m);
    }
}

void worker::handle_container(core::byte_view body, const sender_info& from)
{
    nmsg::nmsg_view v(body);
    if (!v.valid()) {
        c_.add(rt_counter::nmsg_drop_container);
        return;
    }
    if (limiter_.enabled() &&
        !limiter_.admit(from.addr, from.port, static_cast<std::uint32_t>(v.payload_count()), rte_rdtsc())) {
        c_.add(rt_counter::nmsg_drop_sender_rate);
        return;
    }
    c_.add(rt_counter::nmsg_containers);
    if (v.sequence() && v.sequence_id()) {
        seq_sender k{*v.sequence_id(), from.addr.bytes, from.port};
        c_.add(rt_counter::nmsg_seq_lost, seq_.observe(k, *v.sequence(), rte_rdtsc()));
    }
    for (auto const& e : v.entries()) {
        c_.add(rt_counter::ingest_payloads_in);
        if (!e.crc_ok()) {
            c_.add(rt_counter::nmsg_crc_mismatch);
            continue;
        }
        pipe_->on_payload(e.view, from);
    }
}

void worker::handle_frame(rte_mbuf* m, const rx_source& src)
{
    c_.add(rt_counter::rx_frames);
    auto const len = rte_pktmbuf_pkt_len(m);
    if (len > linear_.size()) {
        c_.add(rt_counter::rx_drop_malformed);
        rte_pktmbuf_free(m);
        return;
    }
    // Single-segment frames are read in place; chained ones (jumbo containers) are copied once.
    auto const* data = static_cast<const std::uint8_t*>(rte_pktmbuf_read(m, 0, len, linear_.data()));
    net::udp_packet u;
    auto const e = net::parse_udp_frame({data, len}, u);
    switch (e) {
    case net::errc::ok:
        break;
    case net::errc::not_ip:
    case net::errc::not_udp:
        to_exception(m, src);
        return;
    case net::errc::ipv4_fragment:
        // Which datagram a fragment belongs to, and whether it is ingest traffic, is known only
        // once the slow path has them all (RSS may even spread them over queues).
        if (rte_ring_enqueue(links_.to_slow, m) == 0) {
            c_.add(rt_counter::rx_ipv4_fragments);
        } else {
            c_.add(rt_counter::rx_drop_fragment_full);
            rte_pktmbuf_free(m);
        }
        return;
    default:
        c_.add(rt_counter::rx_drop_malformed);
        rte_pktmbuf_free(m);
        return;
    }
    if (!ingest_.matches(u)) {
        to_exception(m, src); // other UDP (DNS to the host, NTP, …) belongs to the kernel
        return;
    }
    c_.add(rt_counter::rx_ingest);
    auto const unit = nmsg::parse_datagram(u.payload);
    if (!unit.ok()) {
        c_.add(rt_counter::nmsg_drop_header);
        rte_pktmbuf_free(m);
        return;
    }
    if (unit.header.zlib() || unit.header.fragment()) {
        // The slow path re-parses the frame; the mbuf travels as it is.
        if (rte_ring_enqueue(links_.to_slow, m) == 0) {
            c_.add(rt_counter::nmsg_to_slow_path);
        } else {
            c_.add(rt_counter::nmsg_to_slow_full);
            rte_pktmbuf_free(m);
        }
        return;
    }
    handle_container(unit.body, sender_info{u.src, u.src_port});
    rte_pktmbuf_free(m);
}

bool worker::poll_rx()
{
    // Back-pressure: when an owner's ring or the slow path's door is nearly full, take no new
    // frames this round, so overload shows up as RX drops at the port (counted there), never
    // as lost dedup state or payloads dropped between stages.
    for (auto* r : links_.handoff_out) {
        if (r != nullptr && rte_ring_free_count(r) < handoff_headroom) {
            c_.add(rt_counter::rx_paused);
            return false;
        }
    }
    if (rte_ring_free_count(links_.to_slow) < slow_headroom) {
        c_.add(rt_counter::rx_paused);
        return false;
    }
    bool any = false;
    rte_mbuf* pkts[burst];
    stage_scope const timed(st_, stage::rx_classify);
    for (auto const& src : rx_) {
        std::uint16_t const n = rte_eth_rx_burst(src.port, src.queue, pkts, burst);
        for (std::uint16_t i = 0; i < n; ++i) {
            if (i + 1 < n) {
                rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
            }
            handle_frame(pkts[i], src);
        }
        any |= n != 0;
    }
    return any;
}

bool worker::poll_slow()
{
    void* objs[burst];
    stage_scope const timed(st_, stage::slow_in);
    unsigned const n = rte_ring_dequeue_burst(links_.from_slow, objs, burst, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        auto* b = static_cast<payload_block*>(objs[i]);
        sender_info from;
        from.addr.family = b->sender_family;
        from.addr.bytes = b->sender_addr;
        from.port = b->sender_port;
        if (b->has_sequence) {
            seq_sender k{b->sequence_id, b->sender_addr, b->sender_port};
            c_.add(rt_counter::nmsg_seq_lost, seq_.observe(k, b->sequence, rte_rdtsc()));
        }
        if (b->len != 0) {
            c_.add(rt_counter::slow_payloads_in);
            c_.add(rt_counter::ingest_payloads_in);
            nmsg::payload_view p(b->payload());
            pipe_->on_payload(p, from);
        }
        rte_mempool_put(links_.blocks, b);
    }
    return n != 0;
}

bool worker::poll_handoff()
{
    // One RX burst can hand an owner several records per frame, so a ring is drained in
    // several bursts per loop (bounded, so RX is never starved).
    bool any = false;
    void* objs[burst];
    stage_scope const timed(st_, stage::handoff_in);
    for (auto* r : links_.handoff_in) {
        for (unsigned round = 0; round < handoff_rounds; ++round) {
            unsigned const n = rte_ring_dequeue_burst(r, objs, burst, nullptr);
            if (n == 0) {
                break;
            }
            c_.add(rt_counter::handoff_received, n);
            pipe_->on_owned_records({reinterpret_cast<rrset_record**>(objs), n});
            any = true;
        }
    }
    return any;
}

int worker::run()
{
    unsigned idle_loops = 0;
    bool rx_stopped = false;
    bool idle = false;
    if (links_.sra != nullptr) {
        links_.sra->online(); // reads the AXA watch generations from now on
    }
    for (;;) {
        if (links_.sra != nullptr) {
            // Quiescent for the AXA watch generations, then this iteration's one (sra_feed.hpp).
            links_.sra->next_iteration();
        }
        phase const ph = sh_.current();
        bool busy = false;
        if (ph == phase::running) {
            busy |= poll_rx();
        } else if (!rx_stopped) {
            rx_stopped = true; // this loop will never poll RX again
            sh_.rx_stopped[id_].v.store(true, std::memory_order_release);
        }
        bool const took_blocks = poll_slow();
        busy |= took_blocks;
        busy |= poll_handoff();
        {
            stage_scope const timed(st_, stage::tick);
            pipe_->tick(rte_rdtsc());
        }
        if (ph >= phase::slow_done && !idle && !took_blocks && rte_ring_empty(links_.from_slow)) {
            // The slow path is finished and its ring is empty: this worker will create no more
            // handoff records.
            idle = true;
            sh_.idle[id_].v.store(true, std::memory_order_release);
        }
        if (ph == phase::flush) {
            // Every producer is idle: take what is still queued, then flush and leave.
            while (poll_handoff()) {
            }
            pipe_->flush(rte_rdtsc());
            if (links_.sra != nullptr) {
                links_.sra->offline();
            }
            if (links_.filters != nullptr) {
                links_.filters->offline(id_); // never reads a filter generation again
            }
            sh_.done[id_].v.store(true, std::memory_order_release);
            return 0;
        }
        if (links_.filters != nullptr) {
            // Between bursts: no filter generation read before this point is used after it.
            links_.filters->quiescent(id_);
        }
        if (busy) {
            idle_loops = 0;
        } else if (++idle_loops > 1024) {
            // An idle poller gives its core back; never taken while traffic flows.
            rte_delay_us_sleep(50);
        } else {
            rte_pause();
        }
    }
}

} // namespace siehub::dataplane
