// SPDX-License-Identifier: Apache-2.0
#pragma once
// The hub's validated configuration model. The file format (a TOML subset, toml.hpp) and every
// key are documented in docs/config.md. load/parse functions return either a complete model in
// which every default has been applied, or a list of diagnostics each naming file:line:column.
// The data plane reads this model once at start-up; nothing here touches DPDK.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace siehub::control {

using duration = std::chrono::nanoseconds;

inline constexpr std::uint16_t default_udp_port = 8430; // sie.md §1
inline constexpr std::uint32_t default_container_size = 1280;
inline constexpr std::uint32_t min_container_size = 512;
inline constexpr std::uint32_t max_container_size = 65000;

using mac_address = std::array<std::uint8_t, 6>;
inline constexpr mac_address broadcast_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// IPv4 addresses are kept in host order: easy to compare, mask and print.
struct ipv4_prefix {
    std::uint32_t address = 0;
    std::uint8_t length = 32;
    [[nodiscard]] std::uint32_t mask() const noexcept
    {
        return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
    }
    [[nodiscard]] std::uint32_t broadcast() const noexcept { return address | ~mask(); }
    bool operator==(const ipv4_prefix&) const = default;
};

// An IPv4 or IPv6 prefix or address (ingest destinations, delegation servers). The address
// bytes are in network order: IPv6 fills all 16; IPv4 has v6 = false, its 4 bytes in address[0..3]
// (192.0.2.53 is c0 00 02 35) and zeros after them. Host bits beyond `length` are zero.
struct ip_prefix {
    bool v6 = false;
    std::array<std::uint8_t, 16> address{};
    std::uint8_t length = 0;
    bool operator==(const ip_prefix&) const = default;
};

enum class port_role : std::uint8_t { ingest, output, both };
std::string_view to_string(port_role r) noexcept;

struct port_config {
    std::string name;   // how channels and messages refer to the port
    std::string device; // DPDK devargs: "net_pcap0,rx_pcap=in.pcap" or a PCI address
    port_role role = port_role::both;
    std::uint16_t rx_queues = 0; // 0: one per worker
    std::uint16_t tx_queues = 0; // 0: one per worker
    bool rss = true;
    std::uint16_t rx_desc = 1024;
    std::uint16_t tx_desc = 1024;
    bool tap = false;                   // exception path: a kernel TAP for this port
    std::string tap_name;               // default "siehub-<name>" cut to 15 bytes
    std::optional<ipv4_prefix> address; // the hub's IPv4 address/prefix on this port
    int line = 0;
    [[nodiscard]] bool ingests() const noexcept { return role != port_role::output; }
    [[nodiscard]] bool outputs() const noexcept { return role != port_role::ingest; }
    bool operator==(const port_config&) const = default;
};

struct channel_config {
    std::uint16_t number = 0;
    bool enabled = true;
    std::uint16_t vlan = 0; // 1..4094; default: the channel number
    mac_address dst_mac = broadcast_mac;
    std::uint32_t dst_ip = 0xffffffffu; // default: subnet broadcast of the TX port's address
    std::uint16_t udp_port = default_udp_port;
    std::uint32_t container_size = default_container_size;
    bool zlib = false;
    std::string tx_port;                // a port name; default: the only output port
    std::size_t tx_port_index = 0;      // index into config::ports
    std::optional<mac_address> src_mac; // default: the TX port's own MAC (known at run time)
    std::uint32_t src_ip = 0;           // default: the TX port's address, else 0.0.0.0
    bool zero_resolver = true;          // sie.md §6
    bool scrub_ecs = true;
    bool scrub_cookies = true;
    int line = 0;
    bool operator==(const channel_config&) const = default;
};

enum class filter_action : std::uint8_t { drop, pass };
std::string_view to_string(filter_action a) noexcept;

struct filter_config {
    // The rule kinds of lib/match (match::parse_rule): the first matching filter in file order
    // decides; a name no filter matches passes.
    enum class kind : std::uint8_t { exact, suffix, regex };
    kind type = kind::suffix;
    std::string pattern; // exact/suffix: lowercase, no trailing dot; regex: as written
    filter_action action = filter_action::drop;
    int line = 0; // the match builder names this line when Hyperscan rejects a regex
    bool operator==(const filter_config&) const = default;
};

// A delegation the operator trusts (docs/bailiwick.md, static zones): the bailiwick checker
// seeds each worker's table with it through add_static(zone wire form, address bytes), one call
// per server. Static zones never expire and learning never overwrites them.
struct delegation_config {
    std::string zone;               // lower-case presentation name without the final dot ("" = the
                                    // root), validated like filter names (normalise_name)
    std::vector<ip_prefix> servers; // full-length addresses: IPv4 with length 32 (v6 = false,
                                    // address in the first 4 bytes, network order), IPv6 with
                                    // length 128; 1..max_delegation_servers, no duplicates
    int line = 0;                   // the [[delegation]] header
    bool operator==(const delegation_config&) const = default;
};
inline constexpr std::size_t max_delegation_servers = 16; // bailiwick's per-zone default

struct dedup_config {
    std::uint32_t max_entries = 1u << 20;
    std::uint32_t max_key_bytes = 2048;
    duration idle = std::chrono::hours(3);
    duration max_age = std::chrono::hours(24);
    bool operator==(const dedup_config&) const = default;
};

struct privacy_config {
    // SipHash-2-4 key (16 bytes) of the per-participant pseudonyms. Empty: a random key is
    // drawn at start (pseudonyms then change with every restart).
    std::vector<std::uint8_t> pseudonym_key;
    std::string pseudonym_key_file; // where the key came from, if a file
    std::uint32_t source_id = 0;    // nmsg source of aggregated channels; default: hash of name
    bool operator==(const privacy_config&) const = default;
};

struct slowpath_config {
    std::uint32_t ring_size = 1024; // bounded door from the workers; a power of two
    std::uint32_t max_fragments = 4096;
    std::uint64_t max_set_bytes = 1048576 + 4096;
    std::uint32_t max_sets = 64;
    std::uint64_t max_total_bytes = 16u << 20;
    duration timeout = std::chrono::seconds(30);
    bool operator==(const slowpath_config&) const = default;
};

struct exception_config {
    std::uint32_t ring_size = 1024; // worker → TAP ring per port; a power of two
    bool operator==(const exception_config&) const = default;
};

// [newness]: channels 211-214 (docs/newness.md).
struct newness_config {
    bool enabled = false;
    std::string snapshot_dir;                        // "" = no snapshots
    duration snapshot_interval = std::chrono::minutes(5);
    std::uint32_t nad_days = 10;
    duration learning_period = std::chrono::seconds(0);
    std::string psl = "/usr/share/publicsuffix/public_suffix_list.dat";
    bool private_domains = true;
    std::uint64_t capacity = 1u << 20;
    bool start_empty = false;
    std::uint32_t ring_size = 4096;
    bool operator==(const newness_config&) const = default;
};

// [sra]: the hub's own AXA server (docs/sra.md "Serving from the hub"); off without listen.
struct sra_config {
    std::vector<std::string> listen; // tcp:HOST,PORT | unix:PATH | apikey:HOST,PORT [;allow=…]
    std::string accounts;            // accounts file; SIGHUP re-reads it
    std::string cert;                // PEM certificate (chain) for apikey listeners
    std::string key;                 // its private key
    bool operator==(const sra_config&) const = default;
};

// Checks [sra] as a whole (listener syntax, accounts present, cert and key for apikey);
// returns the problems, empty when fine. Used by the parser and for command-line overrides.
std::vector<std::string> check_sra(const sra_config& s);

struct config {
    std::string hub_name = "siehub";
    duration heartbeat_interval = std::chrono::milliseconds(500);
    duration stats_interval = std::chrono::seconds(1); // 0: no live line
    duration drain_interval = std::chrono::milliseconds(1);

    std::vector<std::string> eal_args; // "{pid}" is replaced by the process id (expand_eal_args)
    std::uint32_t main_lcore = 0;
    std::vector<std::uint32_t> worker_lcores{1};

    std::vector<port_config> ports;
    std::vector<ip_prefix> ingest_addresses; // empty: any destination address
    std::vector<std::uint16_t> ingest_udp_ports{default_udp_port};
    std::uint32_t ingest_sender_rate = 0;  // payloads/s per sender (address, port); 0: no limit
    std::uint32_t ingest_sender_burst = 0; // bucket depth in payloads; 0: one second's worth
    std::vector<channel_config> channels; // sorted by channel number

    dedup_config dedup;
    privacy_config privacy;
    std::vector<filter_config> filters;
    std::vector<delegation_config> delegations; // file order; zones unique
    slowpath_config slowpath;
    exception_config exception;
    newness_config newness;
    sra_config sra;

    bool operator==(const config&) const = default;

    [[nodiscard]] const channel_config* find_channel(std::uint16_t number) const noexcept;
    [[nodiscard]] const port_config* find_port(std::string_view name) const noexcept;
};

struct diagnostic {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;
};
// "file:line:column: message" (column omitted when 0, line too when 0).
std::string to_string(const diagnostic& d);

struct load_result {
    std::optional<config> cfg;
    std::vector<diagnostic> errors; // empty iff cfg is set
};

// Parses and validates config text; `file` only labels the diagnostics and resolves a relative
// privacy.pseudonym_key_file (relative to the directory of `file`).
load_result parse_config(std::string_view text, std::string_view file);

// Reads and parses a file (at most 1 MiB: a config is small; a bigger file is a mistake).
load_result load_config_file(const std::string& path);

// The configuration used when no --config is given: the text of drivers-config/siehub-demo.conf,
// compiled into the binary (virtual NICs, no hugepages, no hardware).
std::string_view embedded_default_config() noexcept;
inline constexpr std::string_view embedded_default_name = "<embedded siehub-demo.conf>";
load_result load_embedded_default();

// Canonical text of a model with every default written out; parses back to an equal model.
std::string render_config(const config& c);

// A short human summary for `siehub --check`.
std::string summary(const config& c);

// --offline IN --out OUT: replaces the ports with one net_pcap vdev that reads IN and writes
// OUT (role both, no TAP, one queue each: net_pcap has one queue per pcap) and points every
// channel at it. The address of the first replaced output port is kept. Returns false (and says
// why in `err`) for a path that devargs cannot carry (',', '=', blanks).
bool apply_offline(config& c, const std::string& in_pcap, const std::string& out_pcap,
                   std::string& err);

// --workers N: the first N configured lcores, extended with the next free lcore ids.
void apply_workers(config& c, unsigned n);

// EAL argv (argv[0] first): the config's args with "{pid}" replaced, then `extra` (after `--`).
std::vector<std::string> expand_eal_args(const config& c, const std::vector<std::string>& extra,
                                         long pid);

// Text helpers, exposed for tests and for the CLI.
std::optional<duration> parse_duration(std::string_view s);
std::string format_duration(duration d);
std::optional<mac_address> parse_mac(std::string_view s);
std::string format_mac(const mac_address& m);
std::optional<std::uint32_t> parse_ipv4(std::string_view s);
std::string format_ipv4(std::uint32_t a);
std::optional<ip_prefix> parse_ip_prefix(std::string_view s);
std::string format_ip_prefix(const ip_prefix& p);

} // namespace siehub::control
