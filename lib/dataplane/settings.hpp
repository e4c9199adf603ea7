// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the DPDK runtime needs to know, already validated and resolved (devargs, lcores,
// addresses). The control layer (lib/control) turns a config file into this; tests build it
// directly.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/ingest.hpp"

#include "dataplane/newness_settings.hpp"

namespace siehub::dataplane {

struct port_settings {
    std::string devargs;        // "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap" or a PCI address
    bool ingest = true;         // polled for sensor traffic
    bool output = true;         // channels may transmit here
    std::string tap_name;       // exception-path TAP interface; empty = none
    std::array<std::uint8_t, 4> address{}; // the hub's IPv4 address here (network order), for
    std::uint8_t prefix = 0;               // the TAP; prefix 0 = no address
    std::uint32_t rx_desc = 1024;
    std::uint32_t tx_desc = 1024;
    bool rss = true; // RSS over the worker queues where the device has several
};

struct channel_settings {
    std::uint16_t channel = 0;
    std::uint16_t vlan = 0;
    std::array<std::uint8_t, 6> dst_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    std::array<std::uint8_t, 6> src_mac{};
    std::array<std::uint8_t, 4> dst_ip{255, 255, 255, 255};
    std::array<std::uint8_t, 4> src_ip{};
    std::uint16_t dst_port = 8430;
    std::uint16_t src_port_base = 40000; // + worker index
    std::uint32_t container_size = 1280;
    bool zlib = false;
    std::uint16_t tx_port = 0;           // index into settings::ports
    bool zero_resolver = true;
    bool scrub_ecs = true;
    bool scrub_cookies = true;
};

// A qname exclusion (sie.md §2 rule 6) in lib/match's `kind:NAME` form.
struct filter_settings {
    std::string spec; // "exact:www.example.com", "suffix:example.com", "regex:…"
    bool drop = true;
};

// An operator-trusted delegation for bailiwick reconstruction (docs/bailiwick.md).
struct delegation_settings {
    std::string zone;                             // presentation form, "" = the root
    std::vector<std::vector<std::uint8_t>> servers; // 4- or 16-byte addresses
};

// The hub's own AXA server (docs/sra.md "Serving from the hub"); off without listeners.
struct sra_settings {
    std::vector<std::string> listen; // tcp:HOST,PORT | unix:PATH | apikey:HOST,PORT [;allow=…]
    std::string accounts;            // accounts file (SIGHUP re-reads it)
    std::string cert;                // PEM, for apikey listeners
    std::string key;
    double start_delay_s = 0; // listeners up, then wait this long before the workers start
    double linger_s = 0;      // after the run is flushed, serve this long more
    [[nodiscard]] bool enabled() const noexcept { return !listen.empty(); }
};

struct settings {
    std::vector<std::string> eal_args;
    std::vector<port_settings> ports;
    unsigned workers = 1;
    unsigned main_cpu = 0;              // CPU of the main (control + slow path) lcore
    std::vector<unsigned> worker_cpus;  // CPU of each worker lcore
    std::vector<std::uint16_t> ingest_udp_ports{8430};
    std::vector<ingest_prefix> ingest_addresses; // empty: any destination
    std::uint32_t sender_rate = 0;               // payloads/s per sender; 0: no limit
    std::uint32_t sender_burst = 0;
    std::vector<channel_settings> channels;
    std::vector<filter_settings> filters; // first match decides; no match passes
    // SIGHUP: re-reads the configuration and returns its filters (throws std::exception with
    // the reason when the file no longer loads). Empty: the filters cannot be reloaded (the
    // embedded default configuration).
    std::function<std::vector<filter_settings>()> reload_filters;
    std::vector<delegation_settings> delegations;
    std::uint64_t drain_ns = 1'000'000;
    std::uint64_t heartbeat_ns = 500'000'000;
    std::string hub_name = "siehub";
    std::uint32_t hub_source = 0;
    std::array<std::uint8_t, 16> pseudonym_key{};
    // dedup
    std::uint32_t dedup_entries = 1u << 16;
    std::uint32_t dedup_idle_s = 3 * 3600;
    std::uint32_t dedup_max_age_s = 24 * 3600;
    newness_settings newness; // channels 211-214 (docs/config.md [newness])
    sra_settings sra;         // AXA server ([sra], --sra-listen)
    // slow path (docs/config.md [slowpath])
    std::uint32_t slow_ring_size = 1024;
    std::uint32_t reasm_max_fragments = 4096;
    std::uint64_t reasm_max_set_bytes = 1048576 + 4096;
    std::uint32_t reasm_max_sets = 64;
    std::uint64_t reasm_max_total_bytes = 16u << 20;
    std::uint64_t reasm_timeout_ms = 30000;
    // pools
    std::uint32_t mbufs = 8191;
    // offline: stop once this many frames have been received on ingest ports (0 = run on)
    std::uint64_t offline_frames = 0;
    double duration_s = 0; // 0 = until signalled (or offline input exhausted)
    std::string stats_json;
    bool live_stats = true;
    bool stage_cycles = false; // --stage-cycles: per-stage TSC counters (stage_timer.hpp)
};

} // namespace siehub::dataplane
