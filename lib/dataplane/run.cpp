// SPDX-License-Identifier: Apache-2.0
// From a validated configuration (lib/control) to the runtime's resolved settings.
#include "dataplane/run.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "dataplane/runtime.hpp"

namespace siehub::dataplane {

namespace {

std::array<std::uint8_t, 4> ipv4_bytes(std::uint32_t a)
{
    return {static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
            static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
}

std::uint64_t ns(control::duration d)
{
    return static_cast<std::uint64_t>(d.count());
}

} // namespace

static std::vector<filter_settings> filters_of(const control::config& cfg)
{
    std::vector<filter_settings> out;
    for (auto const& f : cfg.filters) {
        char const* kind = f.type == control::filter_config::kind::exact    ? "exact:"
                           : f.type == control::filter_config::kind::suffix ? "suffix:"
                                                                            : "regex:";
        out.push_back({kind + f.pattern, f.action == control::filter_action::drop});
    }
    return out;
}

settings to_settings(const control::config& cfg, const run_options& opts)
{
    settings s;
    s.eal_args = control::expand_eal_args(cfg, opts.eal_extra, ::getpid());
    for (auto const& p : cfg.ports) {
        port_settings ps;
        ps.devargs = p.device;
        ps.ingest = p.ingests();
        ps.output = p.outputs();
        ps.tap_name = p.tap ? p.tap_name : std::string();
        if (p.address) {
            ps.address = ipv4_bytes(p.address->address); // config keeps host order
            ps.prefix = p.address->length;
        }
        ps.rx_desc = p.rx_desc;
        ps.tx_desc = p.tx_desc;
        ps.rss = p.rss;
        s.ports.push_back(ps);
    }
    s.workers = static_cast<unsigned>(cfg.worker_lcores.size());
    s.main_cpu = cfg.main_lcore;
    s.worker_cpus.assign(cfg.worker_lcores.begin(), cfg.worker_lcores.end());
    for (auto const& d : cfg.delegations) {
        delegation_settings ds;
        ds.zone = d.zone;
        for (auto const& a : d.servers) {
            ds.servers.emplace_back(a.address.begin(), a.address.begin() + (a.v6 ? 16 : 4));
        }
        s.delegations.push_back(std::move(ds));
    }
    s.ingest_udp_ports = cfg.ingest_udp_ports;
    for (auto const& a : cfg.ingest_addresses) {
        s.ingest_addresses.push_back({static_cast<std::uint8_t>(a.v6 ? 6 : 4), a.address, a.length});
    }
    s.sender_rate = cfg.ingest_sender_rate;
    s.sender_burst = cfg.ingest_sender_burst;
    for (auto const& c : cfg.channels) {
        if (!c.enabled) {
            continue;
        }
        channel_settings ch;
        ch.channel = c.number;
        ch.vlan = c.vlan;
        ch.dst_mac = c.dst_mac;
        if (c.src_mac) {
            ch.src_mac = *c.src_mac;
        }
        ch.dst_ip = ipv4_bytes(c.dst_ip);
        ch.src_ip = ipv4_bytes(c.src_ip);
        ch.dst_port = c.udp_port;
        ch.container_size = c.container_size;
        ch.zlib = c.zlib;
        ch.tx_port = static_cast<std::uint16_t>(c.tx_port_index);
        ch.zero_resolver = c.zero_resolver;
        ch.scrub_ecs = c.scrub_ecs;
        ch.scrub_cookies = c.scrub_cookies;
        s.channels.push_back(ch);
    }
    s.filters = filters_of(cfg);
    if (!opts.config_path.empty()) {
        s.reload_filters = [path = opts.config_path] {
            auto loaded = control::load_config_file(path);
            if (!loaded.cfg) {
                std::string why = path + ": " + std::to_string(loaded.errors.size()) + " error(s)";
                if (!loaded.errors.empty()) {
                    why += ", first: " + control::to_string(loaded.errors.front());
                }
                throw std::runtime_error(why);
            }
            return filters_of(*loaded.cfg);
        };
    }
    s.slow_ring_size = cfg.slowpath.ring_size;
    s.reasm_max_fragments = cfg.slowpath.max_fragments;
    s.reasm_max_set_bytes = cfg.slowpath.max_set_bytes;
    s.reasm_max_sets = cfg.slowpath.max_sets;
    s.reasm_max_total_bytes = cfg.slowpath.max_total_bytes;
    s.reasm_timeout_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.slowpath.timeout).count());
    s.drain_ns = ns(cfg.drain_interval);
    s.heartbeat_ns = ns(cfg.heartbeat_interval);
    s.hub_name = cfg.hub_name;
    s.hub_source = cfg.privacy.source_id;
    for (std::size_t i = 0; i < s.pseudonym_key.size() && i < cfg.privacy.pseudonym_key.size(); ++i) {
        s.pseudonym_key[i] = cfg.privacy.pseudonym_key[i];
    }
    s.dedup_entries = cfg.dedup.max_entries;
    s.dedup_idle_s = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(cfg.dedup.idle).count());
    s.dedup_max_age_s = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(cfg.dedup.max_age).count());
    s.newness.enabled = cfg.newness.enabled;
    s.newness.snapshot_dir = cfg.newness.snapshot_dir;
    s.newness.snapshot_interval_s = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(cfg.newness.snapshot_interval).count());
    s.newness.nad_days = cfg.newness.nad_days;
    s.newness.learning_period_s = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(cfg.newness.learning_period).count());
    s.newness.psl_path = cfg.newness.psl;
    s.newness.private_domains = cfg.newness.private_domains;
    s.newness.capacity = cfg.newness.capacity;
    s.newness.start_empty = cfg.newness.start_empty;
    s.newness.ring_size = cfg.newness.ring_size;
    s.duration_s = opts.duration_s;
    s.stats_json = opts.stats_json;
    s.live_stats = cfg.stats_interval.count() != 0;
    s.stage_cycles = opts.stage_cycles;
    s.sra.listen = cfg.sra.listen;
    s.sra.accounts = cfg.sra.accounts;
    s.sra.cert = cfg.sra.cert;
    s.sra.key = cfg.sra.key;
    s.sra.start_delay_s = opts.start_delay_s;
    s.sra.linger_s = opts.linger_s;
    if (!opts.offline_in.empty()) {
        // A replay ends when its input is exhausted, and gives the same channel content every
        // run: the heartbeat (wall-clock content) is off.
        s.offline_frames = count_pcap_frames(opts.offline_in);
        s.heartbeat_ns = 0;
    }
    return s;
}

int run(const control::config& cfg, const run_options& opts)
{
    settings s;
    try {
        s = to_settings(cfg, opts);
    } catch (const std::exception& e) {
        std::cerr << "siehub: " << e.what() << "\n";
        return 3;
    }
    if (!opts.offline_in.empty() && s.offline_frames == 0) {
        std::cerr << "siehub: " << opts.offline_in << ": no frames\n";
    }
    auto r = run_settings(s);
    if (r.status != 0) {
        std::cerr << "siehub: " << r.error << "\n";
        return 3; // the data plane failed to start or stopped on an error
    }
    std::fprintf(stderr, "siehub: finished in %.3f s, counters %s\n", r.duration_s,
                 r.reconciled ? "reconcile" : "DO NOT reconcile (see --stats-json)");
    return r.reconciled ? 0 : 4;
}

} // namespace siehub::dataplane
