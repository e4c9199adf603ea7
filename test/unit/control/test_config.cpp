// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "control/config.hpp"

using namespace siehub::control;
using namespace std::chrono_literals;

namespace {

std::string source_root()
{
    const char* r = std::getenv("SIEHUB_SOURCE_ROOT");
    REQUIRE(r != nullptr);
    return r;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The smallest valid config: one port that ingests and outputs, one channel.
const std::string minimal = "[[port]]\n"               // 1
                            "name = \"p0\"\n"          // 2
                            "device = \"net_null0\"\n" // 3
                            "\n"                       // 4
                            "[[channel]]\n"            // 5
                            "number = 204\n";          // 6

config parse_ok(const std::string& text)
{
    auto r = parse_config(text, "t.conf");
    for (const auto& e : r.errors) {
        UNSCOPED_INFO(to_string(e));
    }
    REQUIRE(r.errors.empty());
    REQUIRE(r.cfg.has_value());
    return *r.cfg;
}

// Parses `text`, which must fail with a first error at `line` whose message contains `says`.
void expect_error(const std::string& text, int line, const std::string& says)
{
    INFO(text);
    auto const r = parse_config(text, "t.conf");
    REQUIRE_FALSE(r.cfg.has_value());
    REQUIRE_FALSE(r.errors.empty());
    INFO(to_string(r.errors.front()));
    CHECK(r.errors.front().file == "t.conf");
    CHECK(r.errors.front().line == line);
    CHECK(r.errors.front().message.find(says) != std::string::npos);
}

// Source lines say where an item was written; they differ between a file and its rendering.
config without_lines(config c)
{
    for (auto& p : c.ports) {
        p.line = 0;
    }
    for (auto& ch : c.channels) {
        ch.line = 0;
    }
    for (auto& f : c.filters) {
        f.line = 0;
    }
    for (auto& d : c.delegations) {
        d.line = 0;
    }
    return c;
}

} // namespace

TEST_CASE("defaults are applied", "[control][config]")
{
    auto const c = parse_ok(minimal);
    CHECK(c.hub_name == "siehub");
    CHECK(c.heartbeat_interval == 500ms);
    CHECK(c.stats_interval == 1s);
    CHECK(c.drain_interval == 1ms);
    CHECK(c.eal_args.empty());
    CHECK(c.main_lcore == 0);
    CHECK(c.worker_lcores == std::vector<std::uint32_t>{1});
    REQUIRE(c.ports.size() == 1);
    const auto& p = c.ports[0];
    CHECK(p.role == port_role::both);
    CHECK(p.rx_queues == 0);
    CHECK(p.tx_queues == 0);
    CHECK(p.rss);
    CHECK(p.rx_desc == 1024);
    CHECK(p.tx_desc == 1024);
    CHECK_FALSE(p.tap);
    CHECK(p.tap_name == "sh-p0");
    CHECK_FALSE(p.address.has_value());
    CHECK(p.line == 1);
    CHECK(c.ingest_addresses.empty());
    CHECK(c.ingest_udp_ports == std::vector<std::uint16_t>{8430});
    REQUIRE(c.channels.size() == 1);
    const auto& ch = c.channels[0];
    CHECK(ch.number == 204);
    CHECK(ch.enabled);
    CHECK(ch.vlan == 204);
    CHECK(ch.dst_mac == broadcast_mac);
    CHECK(ch.dst_ip == 0xffffffffu); // no port address: limited broadcast
    CHECK(ch.src_ip == 0);
    CHECK_FALSE(ch.src_mac.has_value());
    CHECK(ch.udp_port == 8430);
    CHECK(ch.container_size == 1280);
    CHECK_FALSE(ch.zlib);
    CHECK(ch.tx_port == "p0");
    CHECK(ch.tx_port_index == 0);
    CHECK(ch.zero_resolver);
    CHECK(ch.scrub_ecs);
    CHECK(ch.scrub_cookies);
    CHECK(ch.line == 5);
    CHECK(c.dedup.max_entries == 1u << 20);
    CHECK(c.dedup.max_key_bytes == 2048);
    CHECK(c.dedup.idle == 3h);
    CHECK(c.dedup.max_age == 24h);
    CHECK(c.privacy.pseudonym_key.empty());
    CHECK(c.privacy.source_id == 0x0e21e16bu); // FNV-1a 32 of "siehub"
    CHECK(c.filters.empty());
    CHECK(c.delegations.empty());
    CHECK(c.slowpath.ring_size == 1024);
    CHECK(c.slowpath.timeout == 30s);
    CHECK(c.exception.ring_size == 1024);
}

TEST_CASE("channel addresses default from the TX port's address", "[control][config]")
{
    auto const c = parse_ok("[[port]]\nname = 'in'\ndevice = 'a'\nrole = 'ingest'\n"
                            "[[port]]\nname = 'out'\ndevice = 'b'\nrole = 'output'\n"
                            "address = '192.0.2.1/24'\n"
                            "[[channel]]\nnumber = 221\n"
                            "[[channel]]\nnumber = 202\ndst_ip = '10.1.2.3'\nsrc_ip = '10.1.2.1'\n"
                            "vlan = 7\nsrc_mac = '02:00:00:00:00:01'\n");
    REQUIRE(c.channels.size() == 2);
    // sorted by number
    CHECK(c.channels[0].number == 202);
    CHECK(c.channels[0].dst_ip == 0x0a010203u);
    CHECK(c.channels[0].src_ip == 0x0a010201u);
    CHECK(c.channels[0].vlan == 7);
    CHECK(c.channels[0].src_mac == mac_address{2, 0, 0, 0, 0, 1});
    CHECK(c.channels[1].number == 221);
    CHECK(c.channels[1].tx_port == "out");
    CHECK(c.channels[1].tx_port_index == 1);
    CHECK(c.channels[1].dst_ip == 0xc00002ffu); // 192.0.2.255
    CHECK(c.channels[1].src_ip == 0xc0000201u);
}

TEST_CASE("every validation error names its line", "[control][config]")
{
    auto with_channel = [](const std::string& keys) { return minimal + keys; };
    // line 7 is the first key added after `number = 204`
    expect_error(with_channel("vlan = 0\n"), 7, "'vlan' = 0 is out of range 1..4094");
    expect_error(with_channel("vlan = 4095\n"), 7, "out of range 1..4094");
    expect_error(with_channel("container_size = 100\n"), 7, "out of range 512..65000");
    expect_error(with_channel("container_size = 65001\n"), 7, "out of range 512..65000");
    expect_error(with_channel("dst_mac = 'ff:ff:ff:ff:ff'\n"), 7, "not a MAC address");
    expect_error(with_channel("dst_mac = 'gg:ff:ff:ff:ff:ff'\n"), 7, "not a MAC address");
    expect_error(with_channel("src_mac = '01:00:5e:00:00:01'\n"), 7, "unicast");
    expect_error(with_channel("dst_ip = '192.0.2.256'\n"), 7, "not an IPv4 address");
    expect_error(with_channel("dst_ip = '192.0.02.1'\n"), 7, "not an IPv4 address");
    expect_error(with_channel("udp_port = 0\n"), 7, "out of range 1..65535");
    expect_error(with_channel("vlna = 5\n"), 7,
                 "unknown key 'vlna' in [[channel]] (did you "
                 "mean 'vlan'?)");
    expect_error(with_channel("colour = 5\n"), 7, "(known: number, enabled, vlan");
    expect_error(with_channel("zlib = 'yes'\n"), 7, "'zlib' must be a boolean, not a string");
    expect_error(with_channel("vlan = '204'\n"), 7, "'vlan' must be an integer, not a string");
    expect_error(with_channel("tx_port = 'nope'\n"), 7, "tx_port 'nope' is not a [[port]] name");
    expect_error(with_channel("\n[[channel]]\nnumber = 204\n"), 8,
                 "channel 204 already defined at line 5");
    expect_error(with_channel("\n[[channel]]\nnumber = 202\nvlan = 204\n"), 10,
                 "vlan 204 on port 'p0' already carries channel 204 (line 5)");
    expect_error(minimal + "\n[[channel]]\nnumber = 300\n", 9, "not one siehub computes");
    expect_error(minimal + "\n[[channel]]\nvlan = 3\n", 8, "[[channel]] needs a 'number'");
    expect_error(minimal + "\n[channel]\nnumber = 202\n", 8, "write [[channel]]");
    expect_error(minimal + "\n[[hub]]\n", 8, "write [hub]");
    expect_error(minimal + "\n[hbu]\n", 8, "unknown section 'hbu' (did you mean 'hub'?)");

    // port
    expect_error("[[port]]\nname = 'p0'\n\n[[channel]]\nnumber = 204\n", 1,
                 "[[port]] needs a 'device'");
    expect_error("[[port]]\ndevice = 'x'\n\n[[channel]]\nnumber = 204\n", 1,
                 "[[port]] needs a 'name'");
    expect_error(minimal + "[[port]]\nname = 'p0'\ndevice = 'y'\n", 8,
                 "port 'p0' already defined at line 1");
    expect_error(minimal + "[[port]]\nname = 'p1'\ndevice = 'net_null0'\n", 9,
                 "already used by port 'p0'");
    expect_error(minimal + "[[port]]\nname = 'P 1'\ndevice = 'y'\n", 8, "port name 'P 1'");
    expect_error(minimal + "[[port]]\nname = 'p1'\ndevice = 'y'\nrole = 'tx'\n", 10,
                 "must be \"ingest\", \"output\" or \"both\"");
    expect_error(minimal + "[[port]]\nname = 'p1'\ndevice = 'y'\naddress = '10.0.0.1'\n", 10,
                 "with its prefix length");
    expect_error(minimal + "[[port]]\nname = 'p1'\ndevice = 'y'\naddress = '10.0.0.1/33'\n", 10,
                 "with its prefix length");
    expect_error(minimal + "[[port]]\nname = 'p1'\ndevice = 'y'\ntap_name = 'much-too-long-name'\n",
                 10, "Linux interface name");
    // two output-capable ports and no tx_port
    expect_error(minimal + "[[port]]\nname = 'p1'\ndevice = 'y'\n", 5,
                 "several ports can transmit; set 'tx_port'");
    expect_error("[[port]]\nname = 'p0'\ndevice = 'x'\nrole = 'ingest'\n[[channel]]\n"
                 "number = 204\ntx_port = 'p0'\n",
                 7, "has role \"ingest\"");
    expect_error("[[port]]\nname = 'p0'\ndevice = 'x'\nrole = 'output'\n[[channel]]\n"
                 "number = 204\n",
                 1, "nothing would be received");
    expect_error("[[channel]]\nnumber = 204\n", 0, "no [[port]]");
    expect_error("[[port]]\nname = 'p0'\ndevice = 'x'\n", 0, "no [[channel]]");

    // other sections
    expect_error(minimal + "[hub]\ndrain_interval = 1\n", 8,
                 "is a duration: write a string with a unit");
    expect_error(minimal + "[hub]\ndrain_interval = '1 ms'\n", 8, "is not a duration");
    expect_error(minimal + "[hub]\ndrain_interval = '2s'\n", 8, "out of range 1us..1s");
    expect_error(minimal + "[hub]\nstats_interval = '1ms'\n", 8, "out of range 100ms..1h (or 0)");
    expect_error(minimal + "[hub]\nname = ''\n", 8, "must not be empty");
    expect_error(minimal + "[dedup]\nidle = '1500ms'\n", 8, "whole seconds");
    expect_error(minimal + "[dedup]\nmax_entries = 0\n", 8, "out of range 1..1073741824");
    expect_error(minimal + "[workers]\nlcores = [1, 2, 1]\n", 8, "lcore 1 listed twice");
    expect_error(minimal + "[workers]\nlcores = []\n", 8, "at least one worker lcore");
    expect_error(minimal + "[workers]\nlcores = [0, 1]\n", 8, "is the main lcore");
    expect_error(minimal + "[workers]\nlcores = ['1']\n", 8, "must be an array of integers");
    expect_error(minimal + "[eal]\nargs = '--no-huge'\n", 8, "must be an array, not a string");
    expect_error(minimal + "[ingest]\nudp_ports = [8430, 0]\n", 8, "out of range 1..65535");
    expect_error(minimal + "[ingest]\naddresses = ['10.0.0.0/33']\n", 8,
                 "not an IP address or prefix");
    expect_error(minimal + "[privacy]\npseudonym_key = '0011'\n", 8, "32 hex digits");
    expect_error(minimal + "[privacy]\npseudonym_key = '00112233445566778899aabbccddeefg'\n", 8,
                 "32 hex digits");
    expect_error(minimal + "[privacy]\npseudonym_key = '00112233445566778899aabbccddeeff'\n"
                           "pseudonym_key_file = '/nonexistent/siehub.key'\n",
                 9, "cannot read");
    expect_error(minimal + "[privacy]\nsource_id = 0x100000000\n", 8, "out of range");
    expect_error(minimal + "[[filter]]\nsuffix = 'a.example'\nregex = 'x'\n", 7,
                 "exactly one of 'exact', 'suffix' or 'regex'");
    expect_error(minimal + "[[filter]]\naction = 'drop'\n", 7, "exactly one of");
    expect_error(minimal + "[[filter]]\nsuffix = '.'\n", 8, "root suffix");
    expect_error(minimal + "[[filter]]\nsuffix = 'a..example'\n", 8, "empty label");
    expect_error(minimal + "[[filter]]\nsuffix = 'a b.example'\n", 8, "character ' '");
    expect_error(minimal + "[[filter]]\nexact = 'x.example'\naction = 'reject'\n", 9,
                 "must be \"drop\" or \"pass\"");
    expect_error(minimal + "[slowpath]\nring_size = 1000\n", 8, "power of two");
    expect_error(minimal + "[slowpath]\nmax_set_bytes = 2048\nmax_total_bytes = 1024\n", 7,
                 "smaller than max_set_bytes");
    expect_error(minimal + "[exception]\nring_size = 32\n", 8, "out of range 64..1048576");
    // a syntax error stops at its own line
    expect_error(minimal + "[hub]\nname = 'x\n", 8, "unterminated string");
}

TEST_CASE("all validation errors of a file are reported at once", "[control][config]")
{
    auto const r =
        parse_config(minimal + "vlan = 0\ncontainer_size = 100\n[hub]\nnmae = 'x'\n", "t.conf");
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].line == 7);
    CHECK(r.errors[1].line == 8);
    CHECK(r.errors[2].line == 10);
    CHECK(to_string(r.errors[2]) ==
          "t.conf:10:1: unknown key 'nmae' in [hub] (did you mean 'name'?)");
}

TEST_CASE("the shipped example configs parse", "[control][config]")
{
    auto const root = source_root();
    auto const demo = load_config_file(root + "/drivers-config/siehub-demo.conf");
    for (const auto& e : demo.errors) {
        UNSCOPED_INFO(to_string(e));
    }
    REQUIRE(demo.cfg.has_value());
    CHECK(demo.cfg->hub_name == "siehub-demo");
    REQUIRE(demo.cfg->ports.size() == 2);
    CHECK(demo.cfg->ports[1].device == "net_pcap_out0,tx_pcap=siehub-demo-out.pcap");
    CHECK(demo.cfg->channels.size() == 5);
    CHECK(demo.cfg->find_channel(255)->dst_ip == 0xc00002ffu);

    auto const ex = load_config_file(root + "/drivers-config/siehub-example.conf");
    for (const auto& e : ex.errors) {
        UNSCOPED_INFO(to_string(e));
    }
    REQUIRE(ex.cfg.has_value());
    const auto& c = *ex.cfg;
    CHECK(c.worker_lcores == std::vector<std::uint32_t>{2, 3, 4, 5});
    CHECK(c.ports[0].tap);
    CHECK(c.ports[0].address == ipv4_prefix{0xc633640au, 24});
    CHECK(c.find_channel(204)->container_size == 8192);
    CHECK(c.find_channel(204)->src_ip == 0xc0000204u);
    CHECK_FALSE(c.find_channel(213)->enabled);
    CHECK(c.find_channel(202)->tx_port == "participants");
    CHECK(c.privacy.pseudonym_key.size() == 16);
    CHECK(c.privacy.source_id == 0x51e00001u);
    REQUIRE(c.filters.size() == 4);
    CHECK(c.filters[0].action == filter_action::pass);
    CHECK(c.filters[2].type == filter_config::kind::exact);
    CHECK(c.filters[3].type == filter_config::kind::regex);
    CHECK(c.filters[3].pattern == "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+\\.dnsbl\\.example$");
    CHECK(c.filters[3].line == 116);
    CHECK(c.dedup.max_entries == 16777216);
    CHECK(c.ingest_udp_ports == std::vector<std::uint16_t>{8430, 8431});
    REQUIRE(c.ingest_addresses.size() == 1);
    CHECK(format_ip_prefix(c.ingest_addresses[0]) == "198.51.100.10/32");
    REQUIRE(c.delegations.size() == 1);
    CHECK(c.delegations[0].zone == "example.com");
    REQUIRE(c.delegations[0].servers.size() == 2);
    CHECK(format_ip_prefix(c.delegations[0].servers[0]) == "192.0.2.53/32");
    CHECK(format_ip_prefix(c.delegations[0].servers[1]) == "2001:db8::53/128");
    CHECK(c.delegations[0].line == 125);
}

TEST_CASE("docs/config.md carries the example config verbatim", "[control][config]")
{
    auto const root = source_root();
    auto const doc = read_file(root + "/docs/config.md");
    std::string const begin = "<!-- example:begin -->\n```toml\n";
    std::string const end = "```\n<!-- example:end -->";
    auto const b = doc.find(begin);
    REQUIRE(b != std::string::npos);
    auto const e = doc.find(end, b);
    REQUIRE(e != std::string::npos);
    std::string const example = doc.substr(b + begin.size(), e - b - begin.size());
    CHECK(example == read_file(root + "/drivers-config/siehub-example.conf"));
    auto const r = parse_config(example, "docs/config.md");
    CHECK(r.cfg.has_value());
}

TEST_CASE("the embedded default is the demo config and round-trips", "[control][config]")
{
    auto const root = source_root();
    CHECK(embedded_default_config() == read_file(root + "/drivers-config/siehub-demo.conf"));
    auto const r = load_embedded_default();
    REQUIRE(r.cfg.has_value());
    // The EAL arguments run without hugepages and with a per-process prefix.
    auto const args = expand_eal_args(*r.cfg, {"--log-level=pmd:debug"}, 4242);
    CHECK(args.front() == "siehub");
    CHECK(std::find(args.begin(), args.end(), "--no-huge") != args.end());
    CHECK(std::find(args.begin(), args.end(), "--file-prefix=siehub-demo-4242") != args.end());
    CHECK(std::find(args.begin(), args.end(), "--in-memory") == args.end());
    CHECK(args.back() == "--log-level=pmd:debug");

    // render -> parse gives the same model, and rendering is a fixed point.
    for (const auto* path :
         {"/drivers-config/siehub-demo.conf", "/drivers-config/siehub-example.conf"}) {
        INFO(path);
        auto const a = load_config_file(root + path);
        REQUIRE(a.cfg.has_value());
        std::string const text = render_config(*a.cfg);
        auto const b = parse_config(text, "rendered");
        for (const auto& e : b.errors) {
            UNSCOPED_INFO(to_string(e));
        }
        REQUIRE(b.cfg.has_value());
        CHECK(*b.cfg != *a.cfg);                               // the lines differ ...
        CHECK(without_lines(*b.cfg) == without_lines(*a.cfg)); // ... nothing else
        CHECK(render_config(*b.cfg) == text);
    }
}

TEST_CASE("pseudonym_key_file is read relative to the config file", "[control][config]")
{
    char dir_tmpl[] = "/tmp/siehub-control-XXXXXX";
    REQUIRE(mkdtemp(dir_tmpl) != nullptr);
    std::string const dir = dir_tmpl;
    {
        std::ofstream(dir + "/k.hex") << "000102030405060708090a0b0c0d0e0f\n";
        std::ofstream(dir + "/short.hex") << "0001\n";
    }
    auto const r =
        parse_config(minimal + "[privacy]\npseudonym_key_file = 'k.hex'\n", dir + "/hub.conf");
    REQUIRE(r.cfg.has_value());
    REQUIRE(r.cfg->privacy.pseudonym_key.size() == 16);
    CHECK(r.cfg->privacy.pseudonym_key[15] == 0x0f);
    CHECK(r.cfg->privacy.pseudonym_key_file == dir + "/k.hex");
    auto const bad =
        parse_config(minimal + "[privacy]\npseudonym_key_file = 'short.hex'\n", dir + "/hub.conf");
    REQUIRE_FALSE(bad.errors.empty());
    CHECK(bad.errors[0].line == 8);
    CHECK(bad.errors[0].message.find("must hold 32 hex digits") != std::string::npos);
    std::remove((dir + "/k.hex").c_str());
    std::remove((dir + "/short.hex").c_str());
    rmdir(dir.c_str());
}

TEST_CASE("load_config_file reports unreadable and oversized files", "[control][config]")
{
    auto const r = load_config_file("/nonexistent/siehub.conf");
    REQUIRE(r.errors.size() == 1);
    CHECK(to_string(r.errors[0]) == "/nonexistent/siehub.conf: cannot open the config file");
}

TEST_CASE("--offline and --workers overrides", "[control][config]")
{
    auto c = *load_embedded_default().cfg;
    std::string err;
    REQUIRE(apply_offline(c, "in.pcap", "/tmp/out.pcap", err));
    REQUIRE(c.ports.size() == 1);
    CHECK(c.ports[0].device == "net_pcap_siehub0,rx_pcap=in.pcap,tx_pcap=/tmp/out.pcap");
    CHECK(c.ports[0].role == port_role::both);
    CHECK_FALSE(c.ports[0].tap);
    CHECK(c.ports[0].address == ipv4_prefix{0xc0000201u, 24}); // kept from out0
    for (const auto& ch : c.channels) {
        CHECK(ch.tx_port == "offline");
        CHECK(ch.tx_port_index == 0);
    }
    // the result is still a valid config
    auto const again = parse_config(render_config(c), "rendered");
    CHECK(again.cfg.has_value());
    CHECK_FALSE(apply_offline(c, "a,b.pcap", "out.pcap", err));
    CHECK(err.find("','") != std::string::npos);

    apply_workers(c, 3);
    CHECK(c.worker_lcores == std::vector<std::uint32_t>{1, 2, 3});
    apply_workers(c, 2);
    CHECK(c.worker_lcores == std::vector<std::uint32_t>{1, 2});
    apply_workers(c, 0); // 0: keep
    CHECK(c.worker_lcores.size() == 2);
}

TEST_CASE("value text forms", "[control][config]")
{
    CHECK(parse_duration("500ms") == duration{500ms});
    CHECK(parse_duration("1h30m") == duration{90min});
    CHECK(parse_duration("2d") == duration{48h});
    CHECK(parse_duration("7us") == duration{7us});
    CHECK(parse_duration("0") == duration{0});
    CHECK_FALSE(parse_duration("").has_value());
    CHECK_FALSE(parse_duration("5").has_value());
    CHECK_FALSE(parse_duration("ms").has_value());
    CHECK_FALSE(parse_duration("1.5s").has_value());
    CHECK_FALSE(parse_duration("5 s").has_value());
    CHECK_FALSE(parse_duration("99999999999999999999d").has_value());
    for (auto const d : {duration{1ms}, duration{90min}, duration{1500ms}, duration{3h},
                         duration{7ns}, duration{24h}}) {
        CHECK(parse_duration(format_duration(d)) == d);
    }
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(24h) == "1d");

    CHECK(parse_mac("02:00:5E:00:02:04") == mac_address{2, 0, 0x5e, 0, 2, 4});
    CHECK(parse_mac("02-00-5e-00-02-04") == mac_address{2, 0, 0x5e, 0, 2, 4});
    CHECK_FALSE(parse_mac("02:00:5e:00:02").has_value());
    CHECK_FALSE(parse_mac("02:00:5e:00:02:4x").has_value());
    CHECK(format_mac({2, 0, 0x5e, 0, 2, 4}) == "02:00:5e:00:02:04");

    CHECK(parse_ipv4("192.0.2.1") == 0xc0000201u);
    CHECK(parse_ipv4("0.0.0.0") == 0u);
    CHECK_FALSE(parse_ipv4("192.0.2").has_value());
    CHECK_FALSE(parse_ipv4("192.0.2.1.5").has_value());
    CHECK_FALSE(parse_ipv4("010.0.0.1").has_value());
    CHECK_FALSE(parse_ipv4("1.2.3.-4").has_value());
    CHECK(format_ipv4(0xc00002ffu) == "192.0.2.255");

    auto const p6 = parse_ip_prefix("2001:db8::1/32");
    REQUIRE(p6.has_value());
    CHECK(format_ip_prefix(*p6) == "2001:db8::/32");
    CHECK(format_ip_prefix(*parse_ip_prefix("198.51.100.7/24")) == "198.51.100.0/24");
    CHECK_FALSE(parse_ip_prefix("2001:db8::/129").has_value());
    CHECK_FALSE(parse_ip_prefix("10.0.0.0/").has_value());

    ipv4_prefix const net{0xc0000201u, 24};
    CHECK(net.broadcast() == 0xc00002ffu);
    CHECK(ipv4_prefix{0x0a000001u, 32}.broadcast() == 0x0a000001u);
}

TEST_CASE("strings with control characters are refused", "[control][config]")
{
    expect_error(minimal + "[hub]\nname = \"a\\nb\"\n", 8, "must not contain control characters");
    expect_error(minimal + "[eal]\nargs = [\"--no-huge\", \"a\\tb\"]\n", 8, "control characters");
}

namespace {

ip_prefix v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
{
    ip_prefix p;
    p.address = {a, b, c, d};
    p.length = 32;
    return p;
}

// 2001:db8::<last two bytes>
ip_prefix v6_doc(std::uint8_t hi, std::uint8_t lo)
{
    ip_prefix p;
    p.v6 = true;
    p.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, hi, lo};
    p.length = 128;
    return p;
}

} // namespace

TEST_CASE("[[delegation]] parses zones and server addresses", "[control][config][delegation]")
{
    auto const c = parse_ok(minimal +                                    // lines 1-6
                            "[[delegation]]\n"                           // 7
                            "zone = 'Example.COM.'\n"                    // 8
                            "servers = ['192.0.2.53', '2001:DB8::53']\n" // 9
                            "\n"                                         // 10
                            "[[delegation]]\n"                           // 11
                            "servers = [\n"                              // 12
                            "    '10.0.0.1',\n"                          // 13
                            "]\n"                                        // 14
                            "zone = ''\n"                                // 15
                            "[[delegation]]\n"                           // 16
                            "zone = '.sub_1.example.net'\n"              // 17
                            "servers = ['::ffff:192.0.2.1', '255.255.255.255']\n");
    REQUIRE(c.delegations.size() == 3);
    const auto& a = c.delegations[0];
    CHECK(a.zone == "example.com"); // lower case, no final dot
    CHECK(a.line == 7);
    REQUIRE(a.servers.size() == 2);
    // IPv4: network order in the first 4 bytes, the rest zero, length 32.
    CHECK(a.servers[0] == v4(192, 0, 2, 53));
    CHECK_FALSE(a.servers[0].v6);
    CHECK(a.servers[0].address[0] == 0xc0);
    CHECK(a.servers[0].address[3] == 0x35);
    CHECK(a.servers[0].address[4] == 0);
    CHECK(a.servers[1] == v6_doc(0, 0x53));
    const auto& root = c.delegations[1];
    CHECK(root.zone.empty());
    CHECK(root.line == 11);
    CHECK(root.servers == std::vector<ip_prefix>{v4(10, 0, 0, 1)});
    const auto& b = c.delegations[2];
    CHECK(b.zone == "sub_1.example.net");
    REQUIRE(b.servers.size() == 2);
    CHECK(b.servers[0].v6); // a v4-mapped address stays IPv6
    CHECK(b.servers[0].length == 128);
    CHECK(b.servers[0].address[10] == 0xff);
    CHECK(b.servers[0].address[15] == 1);
    CHECK(b.servers[1] == v4(255, 255, 255, 255));

    // "." is the root as well.
    auto const dot = parse_ok(minimal + "[[delegation]]\nzone = '.'\nservers = ['192.0.2.1']\n");
    REQUIRE(dot.delegations.size() == 1);
    CHECK(dot.delegations[0].zone.empty());

    // 16 servers is the most a zone may list.
    std::string many = "servers = [";
    for (int i = 1; i <= 16; ++i) {
        many += (i > 1 ? ", '10.0.0." : "'10.0.0.") + std::to_string(i) + "'";
    }
    auto const full = parse_ok(minimal + "[[delegation]]\nzone = 'a.example'\n" + many + "]\n");
    REQUIRE(full.delegations.size() == 1);
    CHECK(full.delegations[0].servers.size() == max_delegation_servers);
    CHECK(full.delegations[0].servers.back() == v4(10, 0, 0, 16));

    // 63-byte labels and 253 characters are the limits, as for filter names.
    std::string const l63(63, 'a');
    std::string const long_zone = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
    REQUIRE(long_zone.size() == 253);
    auto const lz =
        parse_ok(minimal + "[[delegation]]\nzone = '" + long_zone + ".'\nservers = ['::1']\n");
    CHECK(lz.delegations[0].zone == long_zone);
}

TEST_CASE("[[delegation]] errors name their lines", "[control][config][delegation]")
{
    auto del = [](const std::string& body) { return minimal + "[[delegation]]\n" + body; };
    std::string const zone = "zone = 'example.com'\n"; // line 8 when first
    std::string const servers = "servers = ['192.0.2.53']\n";

    // required keys: the error names the [[delegation]] header (line 7)
    expect_error(del(servers), 7, "[[delegation]] needs a 'zone'");
    expect_error(del(zone), 7, "[[delegation]] needs 'servers'");
    expect_error(minimal + "[delegation]\n" + zone + servers, 7, "write [[delegation]]");
    expect_error(minimal + "[[delegaton]]\n" + zone + servers, 7,
                 "unknown section 'delegaton' (did you mean 'delegation'?)");
    expect_error(del(zone + servers + "server = ['192.0.2.54']\n"), 10,
                 "unknown key 'server' in [[delegation]] (did you mean 'servers'?)");
    expect_error(del(zone + servers + "ttl = 5\n"), 10, "(known: zone, servers)");

    // zone
    expect_error(del("zone = 5\n" + servers), 8, "'zone' must be a string, not an integer");
    expect_error(del("zone = 'a b.example'\n" + servers), 8, "zone \"a b.example\": character ' '");
    expect_error(del("zone = 'a..example'\n" + servers), 8, "empty label");
    expect_error(del("zone = '..'\n" + servers), 8, "empty label");
    expect_error(del("zone = 'a/b.example'\n" + servers), 8, "character '/'");
    expect_error(del("zone = '" + std::string(64, 'a') + ".example'\n" + servers), 8,
                 "a label longer than 63 characters");
    expect_error(del("zone = '" + std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                     std::string(63, 'a') + "." + std::string(62, 'a') + "'\n" + servers),
                 8, "longer than 253 characters");
    expect_error(del("zone = \"a\\tb\"\n" + servers), 8, "control characters");

    // servers
    expect_error(del(zone + "servers = '192.0.2.53'\n"), 9,
                 "'servers' must be an array, not a string");
    expect_error(del(zone + "servers = [53]\n"), 9, "'servers' must be an array of strings");
    expect_error(del(zone + "servers = []\n"), 9, "'servers' needs at least one address");
    std::string seventeen = "servers = [";
    for (int i = 1; i <= 17; ++i) {
        seventeen += (i > 1 ? ", '10.0.0." : "'10.0.0.") + std::to_string(i) + "'";
    }
    expect_error(del(zone + seventeen + "]\n"), 9, "lists 17 addresses; at most 16 per zone");
    expect_error(del(zone + "servers = ['192.0.2.0/24']\n"), 9,
                 "\"192.0.2.0/24\" is not an IP address (IPv4 or IPv6, no prefix length");
    expect_error(del(zone + "servers = ['192.0.2.53/32']\n"), 9, "no prefix length");
    expect_error(del(zone + "servers = ['2001:db8::53/128']\n"), 9, "no prefix length");
    expect_error(del(zone + "servers = ['192.0.2.256']\n"), 9, "is not an IP address");
    expect_error(del(zone + "servers = ['ns1.example.com']\n"), 9, "is not an IP address");
    expect_error(del(zone + "servers = ['2001:db8::5g']\n"), 9, "is not an IP address");
    expect_error(del(zone + "servers = ['']\n"), 9, "\"\" is not an IP address");
    expect_error(del(zone + "servers = ['192.0.2.53', '192.0.2.053']\n"), 9,
                 "\"192.0.2.053\" is not an IP address");
    // a bad element on its own line of a multi-line array is reported at that line
    expect_error(del(zone + "servers = [\n  '192.0.2.53',\n  '2001:db8::53',\n  'x',\n]\n"), 12,
                 "\"x\" is not an IP address");
    expect_error(del(zone + "servers = [\n  '2001:db8::53',\n  '2001:DB8:0::53',\n]\n"), 11,
                 "server \"2001:DB8:0::53\" listed twice");

    // duplicate zones: the error is at the second zone and names the first table's line
    expect_error(del(zone + servers) + "\n[[delegation]]\n" + zone + servers, 12,
                 "delegation for zone 'example.com' already defined at line 7");
    expect_error(del(zone + servers) + "[[delegation]]\nzone = 'EXAMPLE.com.'\n" + servers, 11,
                 "zone 'example.com' already defined at line 7");
    expect_error(del("zone = ''\n" + servers) + "[[delegation]]\n" + servers + "zone = '.'\n", 12,
                 "delegation for zone '.' already defined at line 7");
}

TEST_CASE("[[delegation]] reports every mistake at once", "[control][config][delegation]")
{
    auto const r = parse_config(minimal +                        // 1-6
                                    "[[delegation]]\n"           // 7
                                    "zone = 'example.com'\n"     // 8
                                    "servers = [\n"              // 9
                                    "  '192.0.2.1/32',\n"        // 10
                                    "  '192.0.2.53',\n"          // 11
                                    "  'nope',\n"                // 12
                                    "]\n"                        // 13
                                    "[[delegation]]\n"           // 14
                                    "zone = 'example.com'\n"     // 15
                                    "servers = ['192.0.2.53']\n" // 16
                                    "[[delegation]]\n"           // 17
                                    "zone = 'other.example'\n",  // 18
                                "t.conf");
    REQUIRE(r.errors.size() == 4);
    CHECK(r.errors[0].line == 10);
    CHECK(r.errors[1].line == 12);
    CHECK(to_string(r.errors[2]) ==
          "t.conf:15:8: delegation for zone 'example.com' already defined at line 7");
    CHECK(r.errors[3].line == 17);
    CHECK(r.errors[3].message.find("needs 'servers'") != std::string::npos);
}

TEST_CASE("[[delegation]] round-trips through render_config", "[control][config][delegation]")
{
    auto const a = parse_ok(minimal + "[[delegation]]\nzone = 'Example.com'\n"
                                      "servers = ['192.0.2.53', '2001:db8::53']\n"
                                      "[[delegation]]\nzone = '.'\nservers = ['198.41.0.4']\n"
                                      "[[delegation]]\nzone = 'b.example'\n"
                                      "servers = ['::ffff:10.0.0.1', '10.0.0.1']\n");
    std::string const text = render_config(a);
    CHECK(text.find("[[delegation]]\nzone = 'example.com'\n"
                    "servers = ['192.0.2.53', '2001:db8::53']\n") != std::string::npos);
    CHECK(text.find("[[delegation]]\nzone = ''\nservers = ['198.41.0.4']\n") != std::string::npos);
    auto const b = parse_config(text, "rendered");
    for (const auto& e : b.errors) {
        UNSCOPED_INFO(to_string(e));
    }
    REQUIRE(b.cfg.has_value());
    REQUIRE(b.cfg->delegations.size() == 3);
    CHECK(b.cfg->delegations[1].zone.empty());
    CHECK(without_lines(*b.cfg) == without_lines(a));
    CHECK(render_config(*b.cfg) == text);
    // no delegations: no [[delegation]] table in the text
    CHECK(render_config(parse_ok(minimal)).find("delegation") == std::string::npos);

    CHECK(summary(a).find("delegations: 3 static bailiwick zone(s), 5 server address(es)\n") !=
          std::string::npos);
}
