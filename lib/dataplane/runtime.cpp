// SPDX-License-Identifier: Apache-2.0
#include "dataplane/runtime.hpp"

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

#include "dataplane/counters.hpp"
#include "dataplane/exception.hpp"
#include "dataplane/newness_stage.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/slowpath.hpp"
#include "dataplane/sra_hub.hpp"
#include "dataplane/worker.hpp"
#include "dedup/counters.hpp"
#include "dpdk/eal.hpp"
#include "match/database.hpp"
#include "match/rule.hpp"
#include "telemetry/dedup_equations.hpp"
#include "telemetry/dpdk_telemetry.hpp"
#include "telemetry/live_line.hpp"
#include "telemetry/reconcile.hpp"
#include "telemetry/registry.hpp"
#include "telemetry/stats_json.hpp"

namespace siehub::dataplane {

std::atomic<bool> stop_requested{false};

namespace {

void on_signal(int)
{
    stop_requested.store(true, std::memory_order_relaxed);
}

// SIGHUP re-reads the AXA accounts (server::request_reload is async-signal-safe) and asks
// the control loop to reload the configuration's filters.
std::atomic<sra_hub*> sra_for_signal{nullptr};
std::atomic<bool> reload_requested{false};

void on_hup(int)
{
    if (auto* h = sra_for_signal.load(std::memory_order_acquire)) {
        h->request_reload();
    }
    reload_requested.store(true, std::memory_order_release);
}

// The filters as one generation for `workers` (compiles the Hyperscan database; throws
// match::compile_error or std::invalid_argument naming the bad rule).
std::unique_ptr<match::generation> filter_generation(const std::vector<filter_settings>& filters,
                                                     unsigned workers)
{
    std::vector<match::rule> rules;
    for (auto const& f : filters) {
        rules.push_back(match::parse_rule(f.spec, f.drop ? match::action::drop : match::action::pass,
                                          static_cast<std::uint32_t>(rules.size())));
    }
    return match::make_generation(rules, match::action::pass, workers);
}

struct ring_deleter {
    void operator()(rte_ring* r) const noexcept { rte_ring_free(r); }
};
using ring_ptr = std::unique_ptr<rte_ring, ring_deleter>;

ring_ptr make_ring(const std::string& name, unsigned size, unsigned flags)
{
    rte_ring* r = rte_ring_create(name.c_str(), size, static_cast<int>(rte_socket_id()), flags);
    if (r == nullptr) {
        throw dpdk::error("rte_ring_create " + name + ": " + rte_strerror(rte_errno));
    }
    return ring_ptr(r);
}

dpdk::mempool make_object_pool(const std::string& name, unsigned n, unsigned size)
{
    rte_mempool* mp = rte_mempool_create(name.c_str(), n, size, 64, 0, nullptr, nullptr, nullptr,
                                         nullptr, static_cast<int>(rte_socket_id()), 0);
    if (mp == nullptr) {
        throw dpdk::error("rte_mempool_create " + name + ": " + rte_strerror(rte_errno));
    }
    return dpdk::mempool(mp);
}

// The device name DPDK gives a port: the vdev name before the first comma, or the PCI address.
std::string device_name(const std::string& devargs)
{
    return devargs.substr(0, devargs.find(','));
}

bool is_vdev(const std::string& devargs)
{
    return devargs.rfind("net_", 0) == 0;
}

struct worker_ctx {
    worker* w;
};

int lcore_main(void* arg)
{
    return static_cast<worker_ctx*>(arg)->w->run();
}

struct port_state {
    std::uint16_t id = 0;
    std::vector<rte_spinlock_t> locks; // one per TX queue, used where senders share it
    int tap = -1;
    std::uint16_t rxq = 0;
    std::uint16_t txq = 0;
    std::unique_ptr<dpdk::port> owner;
    std::unique_ptr<dpdk::port> tap_owner;
};

} // namespace

std::uint64_t count_pcap_frames(const std::string& path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr) {
        throw std::runtime_error(path + ": " + err);
    }
    std::uint64_t n = 0;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        ++n;
    }
    pcap_close(p);
    return n;
}

run_result run_settings(const settings& s)
{
    run_result res;
    if (s.workers == 0 || s.workers > max_workers) {
        res.status = 2;
        res.error = "workers must be 1.." + std::to_string(max_workers);
        return res;
    }
    std::vector<std::string> args = s.eal_args;
    if (args.empty() || args[0].rfind("-", 0) == 0) {
        args.insert(args.begin(), "siehub");
    }
    // One lcore per worker plus the main (control + slow path) lcore, spread over the CPUs
    // this process may use; more lcores than CPUs is allowed (tests on small machines).
    // Lcore i runs on the configured CPU (main: main_cpu, worker w: worker_cpus[w]); a CPU this
    // machine does not have falls back to round-robin, so small test machines still run.
    unsigned const ncpu = std::max(1u, std::thread::hardware_concurrency());
    auto cpu_for = [&](unsigned lcore) {
        unsigned want = lcore == 0 ? s.main_cpu
                        : lcore - 1 < s.worker_cpus.size() ? s.worker_cpus[lcore - 1]
                                                            : lcore;
        return want < ncpu ? want : lcore % ncpu;
    };
    std::string lcores = "--lcores=";
    for (unsigned i = 0; i <= s.workers; ++i) {
        lcores += (i ? "," : "") + std::to_string(i) + "@" + std::to_string(cpu_for(i));
    }
    args.push_back(lcores);
    for (std::size_t i = 0; i < s.ports.size(); ++i) {
        auto const& p = s.ports[i];
        args.push_back(is_vdev(p.devargs) ? "--vdev=" + p.devargs : "--allow=" + p.devargs);
        if (!p.tap_name.empty()) {
            args.push_back("--vdev=net_tap" + std::to_string(i) + ",iface=" + p.tap_name);
        }
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
        dpdk::eal eal(args);
        auto const t0 = std::chrono::steady_clock::now();
        unsigned const nw = s.workers;
        auto frames = dpdk::make_pktmbuf_pool("sh_frames", s.mbufs, 256);
        std::uint32_t max_container = 1280;
        for (auto const& ch : s.channels) {
            max_container = std::max(max_container, ch.container_size);
        }
        auto tx_frames = dpdk::make_pktmbuf_pool(
            "sh_tx", 2047, 64, static_cast<std::uint16_t>(max_container + 64 + RTE_PKTMBUF_HEADROOM));
        auto records = make_object_pool("sh_records", 8192 * std::max(1u, nw) - 1, sizeof(rrset_record));
        auto blocks = make_object_pool("sh_blocks", 1023, sizeof(payload_block));

        // Ports: RX queues spread over workers; a TX queue per worker plus one for the
        // control lcore where the device has them.
        std::vector<port_state> ports(s.ports.size());
        for (std::size_t i = 0; i < s.ports.size(); ++i) {
            auto& ps = ports[i];
            ps.id = dpdk::port::find(device_name(s.ports[i].devargs));
            rte_eth_dev_info info{};
            rte_eth_dev_info_get(ps.id, &info);
            ps.rxq = static_cast<std::uint16_t>(std::min<unsigned>(nw, info.max_rx_queues));
            ps.txq = static_cast<std::uint16_t>(std::min<unsigned>(nw + 1, info.max_tx_queues));
            if (ps.rxq == 0 && s.ports[i].ingest) {
                throw dpdk::error("port " + s.ports[i].devargs + " has no RX queue");
            }
            if (ps.txq == 0) {
                throw dpdk::error("port " + s.ports[i].devargs + " has no TX queue");
            }
            dpdk::port::config pc;
            pc.rx_queues = ps.rxq;
            pc.tx_queues = ps.txq;
            pc.rx_desc = static_cast<std::uint16_t>(s.ports[i].rx_desc);
            pc.tx_desc = static_cast<std::uint16_t>(s.ports[i].tx_desc);
            pc.rss = s.ports[i].rss;
            pc.tx_checksums = true; // channel frames; software where the device has none
            ps.owner = std::make_unique<dpdk::port>(ps.id, frames.get(), pc);
            if (!s.ports[i].tap_name.empty()) {
                ps.tap = dpdk::port::find("net_tap" + std::to_string(i));
                // The kernel side: the port's MAC and MTU, the hub's address (exception.hpp).
                auto const tap_id = tap_identity_for(ps.id, s.ports[i]);
                prepare_tap(static_cast<std::uint16_t>(ps.tap), tap_id);
                dpdk::port::config tc;
                tc.tx_queues = static_cast<std::uint16_t>(nw);
                ps.tap_owner = std::make_unique<dpdk::port>(static_cast<std::uint16_t>(ps.tap),
                                                            frames.get(), tc);
                bring_up_tap(static_cast<std::uint16_t>(ps.tap), tap_id);
            }
        }

        // Senders are the workers (0..nw-1) and the control lcore (nw); sender k uses TX queue
        // k % txq, under that queue's lock when another sender maps to it too.
        auto sender_txq = [&](std::size_t port_index, unsigned k) {
            auto& ps = ports[port_index];
            if (ps.locks.empty()) {
                ps.locks.resize(ps.txq);
                for (auto& l : ps.locks) {
                    rte_spinlock_init(&l);
                }
            }
            auto const q = static_cast<std::uint16_t>(k % ps.txq);
            bool const shared = nw + 1 > ps.txq;
            return txq{ps.id, q, shared ? &ps.locks[q] : nullptr, ps.owner->tx_checksums()};
        };
        // Channels without a configured source MAC use their TX port's own.
        settings eff = s;
        for (auto& ch : eff.channels) {
            if (ch.src_mac == std::array<std::uint8_t, 6>{} && ch.tx_port < ports.size()) {
                rte_ether_addr a{};
                if (rte_eth_macaddr_get(ports[ch.tx_port].id, &a) == 0) {
                    std::copy(std::begin(a.addr_bytes), std::end(a.addr_bytes), ch.src_mac.begin());
                }
            }
        }

        // Qname exclusions: one Hyperscan database per generation with a scratch per worker,
        // published to the workers by QSBR; SIGHUP compiles and publishes the next one.
        match::publisher filters(nw, filter_generation(s.filters, nw));

        // Newness (ch211-214): PSL, message pool and rings; a bad PSL stops the start here.
        std::unique_ptr<newness_hub> newness;
        if (s.newness.enabled) {
            newness = std::make_unique<newness_hub>(s.newness, nw);
        }

        // The AXA server: listeners bound and accounts loaded before anything runs.
        std::unique_ptr<sra_hub> sra;
        if (s.sra.enabled()) {
            sra = std::make_unique<sra_hub>(s, nw);
            for (auto const& l : sra->bound()) {
                std::fprintf(stderr, "siehub: sra listening on %s", l.text.c_str());
                if (l.kind != axa::listen_kind::unix_path) {
                    std::fprintf(stderr, " (port %u)", static_cast<unsigned>(l.port));
                }
                std::fprintf(stderr, "\n");
            }
        }

        // Rings.
        shared_state sh;
        auto to_slow = make_ring("sh_to_slow", s.slow_ring_size, RING_F_SC_DEQ);
        std::vector<ring_ptr> from_slow;
        std::vector<std::vector<ring_ptr>> handoff(nw);
        for (unsigned w = 0; w < nw; ++w) {
            from_slow.push_back(make_ring("sh_fs" + std::to_string(w), 1024,
                                          RING_F_SP_ENQ | RING_F_SC_DEQ));
            for (unsigned o = 0; o < nw; ++o) {
                handoff[w].push_back(o == w ? nullptr
                                            : make_ring("sh_h" + std::to_string(w) + "_" +
                                                            std::to_string(o),
                                                        8192, RING_F_SP_ENQ | RING_F_SC_DEQ));
            }
        }
        std::vector<std::unique_ptr<worker>> workers;
        for (unsigned w = 0; w < nw; ++w) {
            worker_links l;
            l.frames = frames.get();
            l.tx_frames = tx_frames.get();
            l.records = records.get();
            l.blocks = blocks.get();
            l.to_slow = to_slow.get();
            l.filters = &filters;
            l.newness = newness.get();
            l.sra = sra ? sra->port(w) : nullptr;
            for (std::size_t i = 0; i < s.ports.size(); ++i) {
                l.channel_tx.push_back(sender_txq(i, w));
            }
            l.from_slow = from_slow[w].get();
            for (unsigned o = 0; o < nw; ++o) {
                l.handoff_out.push_back(handoff[w][o].get());
                if (o != w) {
                    l.handoff_in.push_back(handoff[o][w].get());
                }
            }
            std::vector<rx_source> rx;
            for (std::size_t i = 0; i < s.ports.size(); ++i) {
                if (!s.ports[i].ingest) {
                    continue;
                }
                for (std::uint16_t q = 0; q < ports[i].rxq; ++q) {
                    if (q % nw == w) {
                        rx.push_back({ports[i].id, q, ports[i].tap});
                    }
                }
            }
            workers.push_back(std::make_unique<worker>(w, eff, sh, std::move(l), std::move(rx),
                                                       static_cast<std::uint16_t>(w)));
        }
        std::vector<rte_ring*> fs;
        for (auto& r : from_slow) {
            fs.push_back(r.get());
        }
        nmsg::reasm_config rc;
        rc.max_fragments = s.reasm_max_fragments;
        rc.max_set_bytes = s.reasm_max_set_bytes;
        rc.max_sets = s.reasm_max_sets;
        rc.max_total_bytes = s.reasm_max_total_bytes;
        rc.timeout_ms = s.reasm_timeout_ms;
        slow_path slow(to_slow.get(), fs, blocks.get(), rc,
                       ingest_match{s.ingest_udp_ports, s.ingest_addresses});

        // Counters: every block registered once; the registry reads them without locks.
        telemetry::registry reg;
        auto const t_rt = reg.add_table(rt_counter_table);
        auto const t_pipe = reg.add_table(pipe_counter_table);
        auto const t_verify = reg.add_table(pipeline::verify_counter_table);
        auto const t_bw = reg.add_table(pipeline::bailiwick_counter_table);
        auto const t_dedup = reg.add_table(dedup::counter_table);
        auto const t_emit = reg.add_table(pipeline::emit_counter_table);
        auto const t_slow = reg.add_table(slow_counter_table);
        auto const t_priv = reg.add_table(pipeline::privacy_counter_table);
        auto const t_match = reg.add_table(match::counter_table);
        auto const t_stage = reg.add_table(stage_counter_table);
        for (auto& w : workers) {
            auto const id = w->id();
            reg.add_block(t_rt, telemetry::block_scope::on_worker(id), w->counters().v.data());
            if (s.stage_cycles) {
                reg.add_block(t_stage, telemetry::block_scope::on_worker(id), w->stage_cycles().v.data());
            }
            auto& p = w->pipeline();
            reg.add_block(t_pipe, telemetry::block_scope::on_worker(id), p.counters().v.data());
            reg.add_block(t_verify, telemetry::block_scope::on_worker(id), p.verify_counters().v.data());
            reg.add_block(t_priv, telemetry::block_scope::on_worker(id), p.privacy_counters().v.data());
            reg.add_block(t_match, telemetry::block_scope::on_worker(id), p.match_counters().v.data());
            reg.add_block(t_bw, telemetry::block_scope::on_worker(id), p.bailiwick().counters().v.data());
            reg.add_block(t_dedup, telemetry::block_scope::on_worker(id), p.dedup_table().counters().v.data());
            for (auto const& o : p.channels()) {
                reg.add_block(t_emit, telemetry::block_scope::channel(id, o.channel, "ch" + std::to_string(o.channel)),
                              o.emitter->counters().v.data());
            }
        }
        reg.add_block(t_slow, telemetry::block_scope::on_worker(telemetry::block_scope::control_worker),
                      slow.counters().v.data());
        if (newness) {
            newness->register_counters(reg);
        }
        if (sra) {
            auto const t_sra = reg.add_table(sra_counter_table);
            for (unsigned w = 0; w < nw; ++w) {
                reg.add_block(t_sra, telemetry::block_scope::on_worker(w), sra->port(w)->counters.v.data());
            }
            auto const ctl = telemetry::block_scope::on_worker(telemetry::block_scope::control_worker);
            reg.add_block(reg.add_table(axa::server_counter_table), ctl, sra->server().counters().v.data());
            reg.add_block(reg.add_table(axa::error_counter_table), ctl, sra->server().errors().v.data());
        }
        // The control lcore's own frame counters: the exception return path (TAP → wire).
        rt_counters control_counters;
        reg.add_block(t_rt, telemetry::block_scope::on_worker(telemetry::block_scope::control_worker),
                      control_counters.v.data());

        // Payload-level equations: every payload that entered is accepted or dropped by one
        // verify reason (or its CRC failed); every accepted one is relayed on ch202.
        std::vector<telemetry::equation_info> eq_info(rt_equations.begin(), rt_equations.end());
        eq_info.insert(eq_info.end(), telemetry::dedup_equations.begin(), telemetry::dedup_equations.end());
        if (newness) {
            eq_info.insert(eq_info.end(), newness_equations.begin(), newness_equations.end());
        }
        std::string verify_sum = "ingest.payloads_in = nmsg.crc_mismatch";
        for (std::size_t i = 0; i < static_cast<std::size_t>(pipeline::first_info_counter); ++i) {
            verify_sum += std::string(" + ") + pipeline::verify_counter_table[i].name;
        }
        eq_info.push_back({"ingest.payloads_accounted", verify_sum.c_str(),
                           telemetry::reconcile_when::always,
                           "every payload is accepted or dropped under exactly one reason"});
        bool const has_202 = std::any_of(s.channels.begin(), s.channels.end(),
                                         [](auto const& c) { return c.channel == 202; });
        if (has_202) {
            eq_info.push_back({"relay.accepted_relayed",
                               "verify.accepted = relay.ch202 + privacy.scrub_failed",
                               telemetry::reconcile_when::always,
                               "every accepted payload leaves on ch202 (scrubbed) or is counted"});
        }
        if (sra) {
            eq_info.push_back({"sra.fed_published",
                               "sra.fed = axa.publish_payloads + axa.deliver_payloads",
                               telemetry::reconcile_when::always,
                               "every payload a worker queued for AXA clients reached the server"});
            eq_info.push_back({"sra.fed_split", "sra.fed = sra.matched + sra.overflow",
                               telemetry::reconcile_when::always,
                               "a queued payload carries its hits or is matched by the server"});
        }
        auto const equations = telemetry::parse_equations(eq_info);
        // /siehub/... commands for dpdk-telemetry.py, withdrawn before the registry goes away.
        telemetry::publication published(reg, equations);
        telemetry::live_config lc;
        lc.frames_in = "rx.frames";
        lc.frames_out = "tx.frames";
        lc.payloads_in = "ingest.payloads_in";
        lc.payloads_out = "emit.payloads";
        lc.suppressed = "dedup.out_suppressed";
        lc.drops = {"rx.drop_*", "nmsg.drop_*", "nmsg.crc_mismatch", "nmsg.to_slow_full",
                    "slow.drop_*", "handoff.full", "handoff.no_record", "tx.full", "tx.no_mbuf",
                    "rrsets.out_of_bailiwick", "rrsets.unverifiable", "emit.dropped_*"};
        for (std::size_t i = 1; i < static_cast<std::size_t>(pipeline::first_info_counter); ++i) {
            lc.drops.emplace_back(pipeline::verify_counter_table[i].name);
        }
        telemetry::live_line live(lc);

        // SIGHUP points at the server only while it exists (an exception unwinds this too).
        struct hup_guard {
            bool armed = false;
            ~hup_guard()
            {
                if (armed) {
                    std::signal(SIGHUP, SIG_DFL);
                    sra_for_signal.store(nullptr, std::memory_order_release);
                }
            }
        } hup;
        reload_requested.store(false, std::memory_order_relaxed);
        std::signal(SIGHUP, on_hup);
        hup.armed = true;
        if (sra) {
            sra->start();
            sra_for_signal.store(sra.get(), std::memory_order_release);
            std::signal(SIGPIPE, SIG_IGN);
            // Clients log in and switch channels on before the first frame is read.
            auto const until = std::chrono::steady_clock::now() +
                               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(s.sra.start_delay_s));
            while (!stop_requested.load() && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }

        std::vector<worker_ctx> ctx(nw);
        unsigned wi = 0;
        unsigned lcore;
        RTE_LCORE_FOREACH_WORKER(lcore)
        {
            if (wi == nw) {
                break;
            }
            ctx[wi].w = workers[wi].get();
            rte_eal_remote_launch(lcore_main, &ctx[wi], lcore);
            ++wi;
        }
        if (wi != nw) {
            throw dpdk::error("not enough lcores for " + std::to_string(nw) + " workers");
        }

        // SIGHUP: the configuration is re-read and its filters compiled on a helper thread (a
        // large rule set takes a while; the slow path keeps running), then published to the
        // workers; the previous generation is freed once every worker has passed a quiescent
        // point (reclaim, polled here).
        struct filter_reloader {
            const settings& s;
            match::publisher& pub;
            rt_counters& c;
            unsigned workers;
            std::future<std::unique_ptr<match::generation>> pending;
            void poll(bool& busy)
            {
                if (pending.valid()) {
                    if (pending.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
                        return;
                    }
                    busy = true;
                    try {
                        auto g = pending.get();
                        auto const rules = g->db.rule_count();
                        auto const serial = pub.publish(std::move(g));
                        c.add(rt_counter::reload_filters);
                        std::fprintf(stderr, "siehub: SIGHUP: filters reloaded: generation %llu, %zu rule(s)\n",
                                     static_cast<unsigned long long>(serial), rules);
                    } catch (const std::exception& e) {
                        c.add(rt_counter::reload_failed);
                        std::fprintf(stderr, "siehub: SIGHUP: filters unchanged: %s\n", e.what());
                    }
                }
                if (pub.pending() != 0) {
                    pub.reclaim();
                }
                if (!reload_requested.exchange(false, std::memory_order_acq_rel)) {
                    return;
                }
                busy = true;
                if (!s.reload_filters) {
                    // Nothing to re-read (the embedded default): only the AXA accounts reload.
                    std::fprintf(stderr, "siehub: SIGHUP: no --config file: filters unchanged\n");
                    return;
                }
                pending = std::async(std::launch::async, [this] {
                    return filter_generation(s.reload_filters(), workers);
                });
            }
            ~filter_reloader()
            {
                if (pending.valid()) {
                    pending.wait();
                }
            }
        } reload{s, filters, control_counters, nw, {}};

        // Control loop on the main lcore.
        auto const hz = rte_get_tsc_hz();
        std::uint64_t next_stats = rte_rdtsc() + hz;
        auto ingest_frames = [&]() {
            std::uint64_t n = 0;
            for (std::size_t i = 0; i < s.ports.size(); ++i) {
                if (!s.ports[i].ingest) {
                    continue;
                }
                rte_eth_stats st{};
                rte_eth_stats_get(ports[i].id, &st);
                n += st.ipackets + st.imissed + st.ierrors + st.rx_nombuf;
            }
            return n;
        };
        auto all = [&](worker_flag* f) {
            for (unsigned w = 0; w < nw; ++w) {
                if (!f[w].v.load(std::memory_order_acquire)) {
                    return false;
                }
            }
            return true;
        };
        while (true) {
            std::uint64_t const now = rte_rdtsc();
            std::uint64_t const now_ms = now * 1000 / hz;
            bool busy = slow.poll(now_ms);
            // Exception return path: what the kernel sends on a TAP leaves by its port.
            for (auto& ps : ports) {
                if (ps.tap < 0) {
                    continue;
                }
                rte_mbuf* pkts[32];
                std::uint16_t const n = rte_eth_rx_burst(static_cast<std::uint16_t>(ps.tap), 0, pkts, 32);
                if (n != 0) {
                    busy = true;
                    std::uint16_t const sent = sender_txq(static_cast<std::size_t>(&ps - ports.data()), nw).burst(pkts, n);
                    control_counters.add(rt_counter::exception_tx, sent);
                    control_counters.add(rt_counter::exception_tx_full, n - sent);
                    for (std::uint16_t k = sent; k < n; ++k) {
                        rte_pktmbuf_free(pkts[k]);
                    }
                }
            }
            reload.poll(busy);
            phase const ph = sh.current();
            if (ph == phase::running) {
                double const elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                bool done = stop_requested.load(std::memory_order_relaxed) ||
                            (s.duration_s > 0 && elapsed >= s.duration_s);
                if (s.offline_frames != 0 && ingest_frames() >= s.offline_frames) {
                    done = true;
                }
                if (done) {
                    sh.advance(phase::stop_rx);
                }
            } else if (ph == phase::stop_rx) {
                // Once no worker can hand the slow path anything more, let it run dry.
                if (all(sh.rx_stopped) && slow.idle() && !busy) {
                    sh.advance(phase::slow_done);
                }
            } else if (ph == phase::slow_done) {
                if (all(sh.idle)) {
                    sh.advance(phase::flush);
                }
            } else if (all(sh.done)) {
                break;
            }
            if (s.live_stats && now >= next_stats) {
                next_stats = now + hz;
                double const up = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                std::fprintf(stderr, "siehub: %s\n", live.format(reg.take(), 1.0, up).c_str());
            }
            if (!busy) {
                rte_delay_us_sleep(100);
            }
        }
        rte_eal_mp_wait_lcore();
        if (sra) {
            // Every channel payload is queued: deliver it, serve the linger time, close.
            sra->finish(s.sra.linger_s, stop_requested);
        }

        res.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        auto snap = reg.take();
        auto verdicts = telemetry::check_all(equations, snap, true);
        res.reconciled = telemetry::all_ok(verdicts);
        res.stats_json = telemetry::render_stats_json(snap, verdicts, {res.duration_s, true});
        if (!s.stats_json.empty()) {
            telemetry::write_file_atomic(s.stats_json, res.stats_json);
        }
        workers.clear(); // pipelines (emitters, tables) before the pools they borrow
        for (auto& ps : ports) {
            ps.tap_owner.reset();
            ps.owner.reset(); // stops and closes: net_pcap writes its file out
        }
    } catch (const std::exception& e) {
        res.status = 1;
        res.error = e.what();
    }
    return res;
}

} // namespace siehub::dataplane
