// SPDX-License-Identifier: Apache-2.0
#include "tx.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>

#include "dpdk/eal.hpp"

namespace siehub::gen {

namespace {
std::atomic<bool> stop_requested{false};
void on_signal(int)
{
    stop_requested.store(true);
}
} // namespace

bool transmit(const std::vector<std::vector<std::uint8_t>>& frames, const tx_options& o,
              tx_result& res)
{
    if (frames.empty()) {
        std::fprintf(stderr, "siehub-gen: nothing to send\n");
        return false;
    }
    try {
        std::vector<std::string> args{"siehub-gen"};
        args.insert(args.end(), o.eal_args.begin(), o.eal_args.end());
        dpdk::eal eal(args);
        if (rte_eth_dev_count_avail() == 0) {
            std::fprintf(stderr,
                         "siehub-gen: no DPDK port (give one with -- --vdev=... or -a PCI)\n");
            return false;
        }
        std::uint16_t pid = 0;
        if (!o.port.empty()) {
            pid = dpdk::port::find(o.port);
        } else {
            std::uint16_t p = 0;
            RTE_ETH_FOREACH_DEV(p)
            {
                pid = p;
                break;
            }
        }
        std::size_t max_len = 0;
        for (auto const& f : frames) {
            max_len = std::max(max_len, f.size());
        }
        // One segment per frame: the data room holds the largest (8192-byte containers too).
        auto const room =
            static_cast<std::uint16_t>(std::max<std::size_t>(2048, max_len) + RTE_PKTMBUF_HEADROOM);
        auto pool = dpdk::make_pktmbuf_pool("gen_pool", 8191, 256, room);
        dpdk::port::config pc;
        pc.rx_queues = 1;
        pc.tx_queues = 1;
        pc.tx_desc = 1024;
        pc.rx_desc = 512;
        dpdk::port port(pid, pool.get(), pc);

        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        // Wait for the link (a memif peer connecting, a NIC negotiating): frames sent before it
        // is up are lost or refused.
        {
            rte_eth_link link{};
            std::uint64_t const give_up =
                rte_rdtsc() + static_cast<std::uint64_t>(o.link_wait) * rte_get_tsc_hz();
            bool said = false;
            while (!stop_requested.load() && rte_eth_link_get_nowait(port.id(), &link) == 0 &&
                   link.link_status == RTE_ETH_LINK_DOWN && rte_rdtsc() < give_up) {
                if (!said && !o.quiet) {
                    std::fprintf(stderr, "siehub-gen: waiting for the link of port %u\n",
                                 port.id());
                    said = true;
                }
                rte_delay_ms(10);
            }
            if (link.link_status == RTE_ETH_LINK_DOWN) {
                std::fprintf(stderr, "siehub-gen: link still down after %u s; sending anyway\n",
                             o.link_wait);
            }
        }
        std::uint64_t const hz = rte_get_tsc_hz();
        std::uint64_t const t0 = rte_rdtsc();
        std::uint64_t const end =
            o.duration > 0 ? t0 + static_cast<std::uint64_t>(o.duration * static_cast<double>(hz))
                           : 0;
        std::uint64_t const total = o.duration > 0 ? UINT64_MAX : o.loops * frames.size();
        // Token buckets (frames and bits), refilled from the TSC. Depth: 10 ms of the rate (at
        // least 64 frames), so a thread descheduled for a few ms (shared CPUs) catches up
        // instead of losing the time, while bursts stay short.
        double const frame_cap = std::max(64.0, o.pps * 0.01);
        double const bit_cap =
            std::max(64.0 * 8 * static_cast<double>(max_len), o.gbps * 1e9 * 0.01);
        double frame_tokens = 64, bit_tokens = 64.0 * 8 * static_cast<double>(max_len);
        std::uint64_t last = t0, next_line = t0 + hz;
        std::uint64_t line_frames = 0, line_bytes = 0, line_dropped = 0;
        std::size_t idx = 0;
        std::uint64_t sent = 0;
        constexpr unsigned burst = 32;
        rte_mbuf* pkts[burst];
        // Ethernet on the wire: + preamble/SFD 8, FCS 4, inter-frame gap 12.
        auto wire_bits = [](std::size_t len) {
            return 8.0 * static_cast<double>(std::max<std::size_t>(len, 60) + 24);
        };
        while (!stop_requested.load(std::memory_order_relaxed) && sent < total) {
            std::uint64_t const now = rte_rdtsc();
            if (end != 0 && now >= end) {
                break;
            }
            double const dt = static_cast<double>(now - last) / static_cast<double>(hz);
            last = now;
            if (o.pps > 0) {
                frame_tokens = std::min(frame_cap, frame_tokens + dt * o.pps);
            }
            if (o.gbps > 0) {
                bit_tokens = std::min(bit_cap, bit_tokens + dt * o.gbps * 1e9);
            }
            unsigned n = 0;
            double bits = 0;
            while (n < burst && sent + n < total) {
                auto const& f = frames[(idx + n) % frames.size()];
                if (o.pps > 0 && frame_tokens < n + 1) {
                    break;
                }
                if (o.gbps > 0 && bit_tokens < bits + wire_bits(f.size())) {
                    break;
                }
                bits += wire_bits(f.size());
                ++n;
            }
            if (n != 0 && rte_pktmbuf_alloc_bulk(pool.get(), pkts, n) == 0) {
                for (unsigned i = 0; i < n; ++i) {
                    auto const& f = frames[(idx + i) % frames.size()];
                    char* d = rte_pktmbuf_append(pkts[i], static_cast<std::uint16_t>(f.size()));
                    std::memcpy(d, f.data(), f.size());
                }
                // A full TX queue is retried; a peer that takes nothing for 100 ms (or the end
                // of --duration) gets the rest of the burst dropped and counted, never a hang.
                unsigned done = 0;
                std::uint64_t const stall_limit = rte_rdtsc() + hz / 10;
                while (done < n) {
                    unsigned const k = rte_eth_tx_burst(port.id(), 0, pkts + done,
                                                        static_cast<std::uint16_t>(n - done));
                    done += k;
                    if (done < n && k == 0) {
                        ++res.retries;
                        std::uint64_t const t = rte_rdtsc();
                        if (stop_requested.load(std::memory_order_relaxed) || t >= stall_limit ||
                            (end != 0 && t >= end)) {
                            rte_pktmbuf_free_bulk(pkts + done, n - done);
                            res.dropped += n - done;
                            line_dropped += n - done;
                            break;
                        }
                    }
                }
                for (unsigned i = 0; i < done; ++i) {
                    auto const len = frames[(idx + i) % frames.size()].size();
                    line_bytes += len;
                    res.bytes += len;
                }
                frame_tokens -= n;
                bit_tokens -= bits;
                line_frames += done;
                sent += n;
                res.frames += done;
                idx = (idx + n) % frames.size();
            }
            if (now >= next_line) {
                double const s =
                    static_cast<double>(now - (next_line - hz)) / static_cast<double>(hz);
                if (!o.quiet) {
                    std::fprintf(stderr,
                                 "siehub-gen: tx %.3f Mpps %.3f Gbit/s (frames %llu, dropped "
                                 "%llu/s, %.1f s)\n",
                                 static_cast<double>(line_frames) / s / 1e6,
                                 static_cast<double>(line_bytes) * 8 / s / 1e9,
                                 static_cast<unsigned long long>(res.frames),
                                 static_cast<unsigned long long>(line_dropped),
                                 static_cast<double>(now - t0) / static_cast<double>(hz));
                }
                line_frames = line_bytes = line_dropped = 0;
                next_line = now + hz;
            }
        }
        res.seconds = static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(hz);
        // Let the peer take what is still queued (memif: the rings go when the port closes).
        if (o.linger > 0) {
            rte_delay_us_sleep(static_cast<unsigned>(o.linger * 1e6));
        }
        return true;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "siehub-gen: DPDK: %s\n", e.what());
        return false;
    }
}

} // namespace siehub::gen
