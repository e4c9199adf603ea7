// SPDX-License-Identifier: Apache-2.0
// Validation of the parsed TOML document into the typed model. Every key of every section is
// listed here with its type and range; an unknown key is an error (with a "did you mean"), so a
// typo never silently falls back to a default.
#include "control/config.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "axa/server.hpp"
#include "control/toml.hpp"

namespace siehub::control {

std::string_view to_string(port_role r) noexcept
{
    switch (r) {
    case port_role::ingest:
        return "ingest";
    case port_role::output:
        return "output";
    case port_role::both:
        return "both";
    }
    return "?";
}

std::string_view to_string(filter_action a) noexcept
{
    return a == filter_action::drop ? "drop" : "pass";
}

std::string to_string(const diagnostic& d)
{
    std::string s = d.file;
    if (d.line > 0) {
        s += ":" + std::to_string(d.line);
        if (d.column > 0) {
            s += ":" + std::to_string(d.column);
        }
    }
    return s + ": " + d.message;
}

const channel_config* config::find_channel(std::uint16_t number) const noexcept
{
    for (const auto& c : channels) {
        if (c.number == number) {
            return &c;
        }
    }
    return nullptr;
}

const port_config* config::find_port(std::string_view name) const noexcept
{
    for (const auto& p : ports) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

namespace {

using toml::entry;
using toml::kind;
using toml::position;

// The channels siehub computes (sie.md §1).
constexpr std::uint16_t known_channels[] = {202, 204, 211, 212, 213, 214, 220, 221, 255};
constexpr std::size_t max_config_bytes = 1u << 20;
constexpr std::uint32_t max_lcore = 1023;

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& known)
{
    std::string_view best;
    std::size_t best_d = 3; // more than two edits is not a typo
    for (auto const k : known) {
        std::size_t const d = edit_distance(word, k);
        if (d < best_d) {
            best_d = d;
            best = k;
        }
    }
    if (!best.empty()) {
        return " (did you mean '" + std::string(best) + "'?)";
    }
    std::string all = " (known: ";
    for (std::size_t i = 0; i < known.size(); ++i) {
        all += (i ? ", " : "") + std::string(known[i]);
    }
    return all + ")";
}

std::uint32_t fnv1a32(std::string_view s) noexcept
{
    std::uint32_t h = 2166136261u;
    for (char const c : s) {
        h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
    }
    return h;
}

bool valid_port_name(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 32) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// A qname (exact or suffix filter, delegation zone) in presentation form: LDH/underscore labels
// of 1..63 bytes, ≤ 253 in all. With `root_ok`, "" and "." are the root (left as "").
bool normalise_name(std::string& s, std::string& why, bool root_ok = false)
{
    if (root_ok && (s.empty() || s == ".")) {
        s.clear();
        return true;
    }
    if (!s.empty() && s.front() == '.') {
        s.erase(0, 1);
    }
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    if (s.empty()) {
        why = root_ok ? "empty label" : "the root suffix would match every name";
        return false;
    }
    if (s.size() > 253) {
        why = "longer than 253 characters";
        return false;
    }
    std::size_t label = 0;
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c == '.') {
            if (label == 0) {
                why = "empty label";
                return false;
            }
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            why = std::string("character '") + c + "' (use letters, digits, '-', '_'; regex " +
                  "filters take anything else)";
            return false;
        }
        if (++label > 63) {
            why = "a label longer than 63 characters";
            return false;
        }
    }
    return true;
}

bool decode_hex(std::string_view s, std::vector<std::uint8_t>& out)
{
    if (s.size() % 2 != 0) {
        return false;
    }
    out.clear();
    for (std::size_t i = 0; i < s.size(); i += 2) {
        auto hex = [](char c) {
            return c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        };
        int const hi = hex(s[i]);
        int const lo = hex(s[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return true;
}

std::string hex_encode(const std::vector<std::uint8_t>& b)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (auto const x : b) {
        s.push_back(digits[x >> 4]);
        s.push_back(digits[x & 15]);
    }
    return s;
}

// Channel fields whose defaults depend on other sections, resolved after every section is read.
struct channel_source {
    channel_config c;
    position pos;
    bool vlan_set = false;
    position vlan_pos;
    bool dst_ip_set = false;
    bool src_ip_set = false;
    bool tx_port_set = false;
    position tx_port_pos;
};

class validator {
public:
    validator(std::string_view file, std::vector<diagnostic>& errs) : file_(file), errs_(errs) {}

    void run(const toml::document& doc, config& c)
    {
        std::vector<channel_source> channels;
        bool source_id_set = false;
        for (const auto& sec : doc.sections) {
            if (!check_shape(sec)) {
                continue;
            }
            if (sec.name == "hub") {
                hub(sec, c);
            } else if (sec.name == "eal") {
                eal(sec, c);
            } else if (sec.name == "workers") {
                workers(sec, c);
            } else if (sec.name == "port") {
                port(sec, c);
            } else if (sec.name == "ingest") {
                ingest(sec, c);
            } else if (sec.name == "channel") {
                channels.push_back(channel(sec));
            } else if (sec.name == "dedup") {
                dedup(sec, c.dedup);
            } else if (sec.name == "privacy") {
                source_id_set |= privacy(sec, c.privacy);
            } else if (sec.name == "filter") {
                filter(sec, c);
            } else if (sec.name == "delegation") {
                delegation(sec, c);
            } else if (sec.name == "slowpath") {
                slowpath(sec, c.slowpath);
            } else if (sec.name == "exception") {
                exception(sec, c.exception);
            } else if (sec.name == "newness") {
                newness(sec, c.newness);
            } else if (sec.name == "sra") {
                sra(sec, c.sra);
            }
        }
        if (!source_id_set) {
            c.privacy.source_id = fnv1a32(c.hub_name);
        }
        cross_checks(doc, c, channels);
    }

private:
    using handler = std::function<void(const entry&)>;
    struct key_spec {
        std::string_view name;
        handler fn;
    };

    void error(position p, std::string msg)
    {
        errs_.push_back({std::string(file_), p.line, p.column, std::move(msg)});
    }

    bool check_shape(const toml::section& sec)
    {
        static const std::vector<std::string_view> tables = {
            "hub", "eal", "workers", "ingest", "dedup", "privacy", "slowpath", "exception", "newness", "sra"};
        static const std::vector<std::string_view> arrays = {"port", "channel", "filter",
                                                             "delegation"};
        bool const is_table = std::find(tables.begin(), tables.end(), sec.name) != tables.end();
        bool const is_array = std::find(arrays.begin(), arrays.end(), sec.name) != arrays.end();
        if (!is_table && !is_array) {
            std::vector<std::string_view> all = tables;
            all.insert(all.end(), arrays.begin(), arrays.end());
            error(sec.pos, "unknown section '" + sec.name + "'" + did_you_mean(sec.name, all));
            return false;
        }
        if (is_array && !sec.array_element) {
            error(sec.pos, "'" + sec.name + "' is a list: write [[" + sec.name + "]]");
            return false;
        }
        if (is_table && sec.array_element) {
            error(sec.pos, "'" + sec.name + "' is a single table: write [" + sec.name + "]");
            return false;
        }
        return true;
    }

    void dispatch(const toml::section& sec, const std::vector<key_spec>& keys)
    {
        for (const auto& e : sec.entries) {
            auto const it = std::find_if(keys.begin(), keys.end(),
                                         [&](const key_spec& k) { return k.name == e.key; });
            if (it == keys.end()) {
                std::vector<std::string_view> names;
                for (const auto& k : keys) {
                    names.push_back(k.name);
                }
                error(e.key_pos,
                      "unknown key '" + e.key + "' in " + header(sec) + did_you_mean(e.key, names));
                continue;
            }
            it->fn(e);
        }
    }

    static std::string header(const toml::section& sec)
    {
        return sec.array_element ? "[[" + sec.name + "]]" : "[" + sec.name + "]";
    }

    bool want(const entry& e, kind k)
    {
        if (e.val.type != k) {
            auto article = [](kind x) {
                return x == kind::integer || x == kind::array ? "an " : "a ";
            };
            error(e.val.pos, "'" + e.key + "' must be " + article(k) +
                                 std::string(toml::to_string(k)) + ", not " + article(e.val.type) +
                                 std::string(toml::to_string(e.val.type)));
            return false;
        }
        return true;
    }

    template <typename T> bool integer(const entry& e, std::int64_t lo, std::int64_t hi, T& out)
    {
        if (!want(e, kind::integer)) {
            return false;
        }
        if (e.val.integer < lo || e.val.integer > hi) {
            error(e.val.pos, "'" + e.key + "' = " + std::to_string(e.val.integer) +
                                 " is out of range " + std::to_string(lo) + ".." +
                                 std::to_string(hi));
            return false;
        }
        out = static_cast<T>(e.val.integer);
        return true;
    }

    bool boolean(const entry& e, bool& out)
    {
        if (!want(e, kind::boolean)) {
            return false;
        }
        out = e.val.boolean;
        return true;
    }

    bool string(const entry& e, std::string& out, bool allow_empty = false)
    {
        if (!want(e, kind::string)) {
            return false;
        }
        if (!allow_empty && e.val.str.empty()) {
            error(e.val.pos, "'" + e.key + "' must not be empty");
            return false;
        }
        if (has_control(e.val.str)) {
            error(e.val.pos, "'" + e.key + "' must not contain control characters");
            return false;
        }
        out = e.val.str;
        return true;
    }

    // No value of this config has a use for control characters (they only hide mistakes), and
    // without them every accepted string renders back as TOML.
    static bool has_control(std::string_view s) noexcept
    {
        return std::any_of(s.begin(), s.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        });
    }

    bool dur(const entry& e, duration lo, duration hi, duration& out, bool allow_zero = false)
    {
        if (e.val.type == kind::integer) {
            error(e.val.pos, "'" + e.key + "' is a duration: write a string with a unit, e.g. \"" +
                                 std::to_string(e.val.integer) + "s\" or \"" +
                                 std::to_string(e.val.integer) + "ms\"");
            return false;
        }
        if (!want(e, kind::string)) {
            return false;
        }
        auto const d = parse_duration(e.val.str);
        if (!d) {
            error(e.val.pos, "'" + e.key + "' = \"" + e.val.str +
                                 "\" is not a duration (a number and a unit: ns, us, ms, s, m, "
                                 "h, d; e.g. \"500ms\", \"3h\")");
            return false;
        }
        if ((*d < lo || *d > hi) && !(allow_zero && d->count() == 0)) {
            error(e.val.pos, "'" + e.key + "' = \"" + e.val.str + "\" is out of range " +
                                 format_duration(lo) + ".." + format_duration(hi) +
                                 (allow_zero ? " (or 0)" : ""));
            return false;
        }
        out = *d;
        return true;
    }

    bool whole_seconds(const entry& e, duration lo, duration hi, duration& out)
    {
        duration d{};
        if (!dur(e, lo, hi, d)) {
            return false;
        }
        if (d.count() % 1000000000 != 0) {
            error(e.val.pos, "'" + e.key +
                                 "' must be whole seconds (the dedup clock counts "
                                 "seconds)");
            return false;
        }
        out = d;
        return true;
    }

    bool array_of(const entry& e, kind k)
    {
        if (!want(e, kind::array)) {
            return false;
        }
        if (!e.val.array.empty() && e.val.array.front().type != k) {
            error(e.val.array.front().pos,
                  "'" + e.key + "' must be an array of " + std::string(toml::to_string(k)) + "s");
            return false;
        }
        return true;
    }

    bool ipv4(const entry& e, std::uint32_t& out)
    {
        if (!want(e, kind::string)) {
            return false;
        }
        auto const a = parse_ipv4(e.val.str);
        if (!a) {
            error(e.val.pos, "'" + e.key + "' = \"" + e.val.str +
                                 "\" is not an IPv4 address (dotted quad, e.g. 192.0.2.1)");
            return false;
        }
        out = *a;
        return true;
    }

    bool mac(const entry& e, mac_address& out)
    {
        if (!want(e, kind::string)) {
            return false;
        }
        auto const m = parse_mac(e.val.str);
        if (!m) {
            error(e.val.pos, "'" + e.key + "' = \"" + e.val.str +
                                 "\" is not a MAC address (six hex pairs, e.g. "
                                 "02:00:00:00:00:01)");
            return false;
        }
        out = *m;
        return true;
    }

    static bool power_of_two(std::uint64_t v) noexcept { return v != 0 && (v & (v - 1)) == 0; }

    void ring(const entry& e, std::uint32_t& out)
    {
        std::uint32_t v = 0;
        if (integer(e, 64, 1 << 20, v)) {
            if (!power_of_two(v)) {
                error(e.val.pos, "'" + e.key + "' must be a power of two (DPDK rings)");
            } else {
                out = v;
            }
        }
    }

    // ---- sections -----------------------------------------------------------------------------

    void hub(const toml::section& sec, config& c)
    {
        dispatch(sec, {
                          {"name",
                           [&](const entry& e) {
                               std::string s;
                               if (string(e, s)) {
                                   if (s.size() > 64) {
                                       error(e.val.pos, "'name' longer than 64 bytes");
                                   } else {
                                       c.hub_name = s;
                                   }
                               }
                           }},
                          {"heartbeat_interval",
                           [&](const entry& e) {
                               dur(e, std::chrono::milliseconds(10), std::chrono::hours(1),
                                   c.heartbeat_interval);
                           }},
                          {"stats_interval",
                           [&](const entry& e) {
                               dur(e, std::chrono::milliseconds(100), std::chrono::hours(1),
                                   c.stats_interval, true);
                           }},
                          {"drain_interval",
                           [&](const entry& e) {
                               dur(e, std::chrono::microseconds(1), std::chrono::seconds(1),
                                   c.drain_interval);
                           }},
                      });
    }

    void eal(const toml::section& sec, config& c)
    {
        dispatch(sec, {{"args", [&](const entry& e) {
                            if (!array_of(e, kind::string)) {
                                return;
                            }
                            c.eal_args.clear();
                            for (const auto& v : e.val.array) {
                                if (v.str.empty() || has_control(v.str)) {
                                    error(v.pos, "empty EAL argument or one with control "
                                                 "characters");
                                }
                                c.eal_args.push_back(v.str);
                            }
                        }}});
    }

    void workers(const toml::section& sec, config& c)
    {
        position lcores_pos{};
        bool lcores_set = false;
        bool main_set = false;
        position main_pos{};
        dispatch(sec, {{"lcores",
                        [&](const entry& e) {
                            if (!array_of(e, kind::integer)) {
                                return;
                            }
                            if (e.val.array.empty()) {
                                error(e.val.pos, "'lcores' needs at least one worker lcore");
                                return;
                            }
                            c.worker_lcores.clear();
                            for (const auto& v : e.val.array) {
                                if (v.integer < 0 || v.integer > max_lcore) {
                                    error(v.pos, "lcore " + std::to_string(v.integer) +
                                                     " out of range 0.." +
                                                     std::to_string(max_lcore));
                                    continue;
                                }
                                auto const l = static_cast<std::uint32_t>(v.integer);
                                if (std::find(c.worker_lcores.begin(), c.worker_lcores.end(), l) !=
                                    c.worker_lcores.end()) {
                                    error(v.pos, "lcore " + std::to_string(l) + " listed twice");
                                    continue;
                                }
                                c.worker_lcores.push_back(l);
                            }
                            lcores_set = true;
                            lcores_pos = e.val.pos;
                        }},
                       {"main_lcore", [&](const entry& e) {
                            main_set = integer(e, 0, max_lcore, c.main_lcore);
                            main_pos = e.val.pos;
                        }}});
        if ((lcores_set || main_set) && std::find(c.worker_lcores.begin(), c.worker_lcores.end(),
                                                  c.main_lcore) != c.worker_lcores.end()) {
            error(main_set ? main_pos : lcores_pos,
                  "lcore " + std::to_string(c.main_lcore) +
                      " is the main lcore (control, slow path); workers need their own");
        }
    }

    void port(const toml::section& sec, config& c)
    {
        port_config p;
        p.line = sec.pos.line;
        bool name_set = false;
        bool device_set = false;
        dispatch(
            sec,
            {
                {"name",
                 [&](const entry& e) {
                     if (string(e, p.name)) {
                         if (!valid_port_name(p.name)) {
                             error(e.val.pos, "port name '" + p.name +
                                                  "' must be 1..32 of a-z, 0-9, '_', '-'");
                         } else if (const auto* old = c.find_port(p.name)) {
                             error(e.val.pos, "port '" + p.name + "' already defined at line " +
                                                  std::to_string(old->line));
                         } else {
                             name_set = true;
                         }
                     }
                 }},
                {"device",
                 [&](const entry& e) {
                     if (!string(e, p.device)) {
                         return;
                     }
                     if (p.device.find_first_of(" \t") != std::string::npos) {
                         error(e.val.pos, "'device' must not contain blanks (DPDK devargs: "
                                          "\"net_pcap0,rx_pcap=in.pcap\" or \"0000:3b:00.0\")");
                         return;
                     }
                     for (const auto& old : c.ports) {
                         if (old.device == p.device) {
                             error(e.val.pos, "device \"" + p.device + "\" already used by port '" +
                                                  old.name + "' (line " + std::to_string(old.line) +
                                                  ")");
                             return;
                         }
                     }
                     device_set = true;
                 }},
                {"role",
                 [&](const entry& e) {
                     std::string s;
                     if (!string(e, s)) {
                         return;
                     }
                     if (s == "ingest") {
                         p.role = port_role::ingest;
                     } else if (s == "output") {
                         p.role = port_role::output;
                     } else if (s == "both") {
                         p.role = port_role::both;
                     } else {
                         error(e.val.pos,
                               "'role' = \"" + s + "\" must be \"ingest\", \"output\" or \"both\"");
                     }
                 }},
                {"rx_queues", [&](const entry& e) { integer(e, 0, 128, p.rx_queues); }},
                {"tx_queues", [&](const entry& e) { integer(e, 0, 128, p.tx_queues); }},
                {"rss", [&](const entry& e) { boolean(e, p.rss); }},
                {"rx_desc", [&](const entry& e) { integer(e, 32, 32768, p.rx_desc); }},
                {"tx_desc", [&](const entry& e) { integer(e, 32, 32768, p.tx_desc); }},
                {"tap", [&](const entry& e) { boolean(e, p.tap); }},
                {"tap_name",
                 [&](const entry& e) {
                     if (string(e, p.tap_name) &&
                         (p.tap_name.size() > 15 ||
                          p.tap_name.find_first_of(" /\t") != std::string::npos)) {
                         error(e.val.pos, "'tap_name' must be a Linux interface name (1..15 "
                                          "bytes, no blanks or '/')");
                     }
                 }},
                {"address",
                 [&](const entry& e) {
                     if (!want(e, kind::string)) {
                         return;
                     }
                     auto const slash = e.val.str.find('/');
                     auto const a = parse_ipv4(std::string_view(e.val.str).substr(0, slash));
                     std::uint64_t len = 0;
                     bool len_ok = slash != std::string::npos && slash + 1 < e.val.str.size() &&
                                   e.val.str.size() - slash <= 3;
                     for (std::size_t k = slash + 1; len_ok && k < e.val.str.size(); ++k) {
                         char const ch = e.val.str[k];
                         len_ok = ch >= '0' && ch <= '9';
                         len = len * 10 + static_cast<std::uint64_t>(ch - '0');
                     }
                     if (!a || !len_ok || len < 1 || len > 32) {
                         error(e.val.pos, "'address' = \"" + e.val.str +
                                              "\" must be the hub's IPv4 address with its prefix "
                                              "length, e.g. \"192.0.2.1/24\"");
                         return;
                     }
                     p.address = ipv4_prefix{*a, static_cast<std::uint8_t>(len)};
                 }},
            });
        if (!name_set && std::none_of(sec.entries.begin(), sec.entries.end(),
                                      [](const entry& e) { return e.key == "name"; })) {
            error(sec.pos, "[[port]] needs a 'name'");
        }
        if (!device_set && std::none_of(sec.entries.begin(), sec.entries.end(),
                                        [](const entry& e) { return e.key == "device"; })) {
            error(sec.pos, "[[port]] needs a 'device' (DPDK devargs or PCI address)");
        }
        if (p.tap_name.empty()) {
            p.tap_name = ("sh-" + p.name).substr(0, 15);
        }
        c.ports.push_back(std::move(p));
    }

    void ingest(const toml::section& sec, config& c)
    {
        dispatch(sec, {{"addresses",
                        [&](const entry& e) {
                            if (!array_of(e, kind::string)) {
                                return;
                            }
                            c.ingest_addresses.clear();
                            for (const auto& v : e.val.array) {
                                auto const p = parse_ip_prefix(v.str);
                                if (!p) {
                                    error(v.pos, "\"" + v.str +
                                                     "\" is not an IP address or prefix (e.g. "
                                                     "\"192.0.2.1\", \"198.51.100.0/24\", "
                                                     "\"2001:db8::/32\")");
                                    continue;
                                }
                                c.ingest_addresses.push_back(*p);
                            }
                        }},
                       {"udp_ports", [&](const entry& e) {
                            if (!array_of(e, kind::integer)) {
                                return;
                            }
                            if (e.val.array.empty()) {
                                error(e.val.pos, "'udp_ports' needs at least one port");
                                return;
                            }
                            c.ingest_udp_ports.clear();
                            for (const auto& v : e.val.array) {
                                if (v.integer < 1 || v.integer > 65535) {
                                    error(v.pos, "UDP port " + std::to_string(v.integer) +
                                                     " out of range 1..65535");
                                    continue;
                                }
                                auto const port = static_cast<std::uint16_t>(v.integer);
                                if (std::find(c.ingest_udp_ports.begin(), c.ingest_udp_ports.end(),
                                              port) != c.ingest_udp_ports.end()) {
                                    error(v.pos,
                                          "UDP port " + std::to_string(port) + " listed twice");
                                    continue;
                                }
                                c.ingest_udp_ports.push_back(port);
                            }
                        }},
                       {"sender_rate",
                        [&](const entry& e) { integer(e, 0, 1'000'000'000, c.ingest_sender_rate); }},
                       {"sender_burst",
                        [&](const entry& e) { integer(e, 0, 1'000'000'000, c.ingest_sender_burst); }}});
    }

    channel_source channel(const toml::section& sec)
    {
        channel_source s;
        s.pos = sec.pos;
        channel_config& ch = s.c;
        ch.line = sec.pos.line;
        bool number_seen = false;
        dispatch(sec,
                 {
                     {"number",
                      [&](const entry& e) {
                          number_seen = true;
                          if (!integer(e, 1, 65535, ch.number)) {
                              ch.number = 0;
                              return;
                          }
                          if (std::find(std::begin(known_channels), std::end(known_channels),
                                        ch.number) == std::end(known_channels)) {
                              error(e.val.pos,
                                    "channel " + std::to_string(ch.number) +
                                        " is not one siehub computes (202, 204, 211, 212, "
                                        "213, 214, 220, 221, 255)");
                              ch.number = 0;
                          }
                      }},
                     {"enabled", [&](const entry& e) { boolean(e, ch.enabled); }},
                     {"vlan",
                      [&](const entry& e) {
                          s.vlan_pos = e.val.pos;
                          s.vlan_set = integer(e, 1, 4094, ch.vlan);
                          if (!s.vlan_set) {
                              ch.vlan = 1; // keeps later checks quiet: the error is already out
                              s.vlan_set = true;
                          }
                      }},
                     {"dst_mac", [&](const entry& e) { mac(e, ch.dst_mac); }},
                     {"dst_ip", [&](const entry& e) { s.dst_ip_set = ipv4(e, ch.dst_ip); }},
                     {"udp_port", [&](const entry& e) { integer(e, 1, 65535, ch.udp_port); }},
                     {"container_size",
                      [&](const entry& e) {
                          integer(e, min_container_size, max_container_size, ch.container_size);
                      }},
                     {"zlib", [&](const entry& e) { boolean(e, ch.zlib); }},
                     {"tx_port",
                      [&](const entry& e) {
                          s.tx_port_pos = e.val.pos;
                          s.tx_port_set = string(e, ch.tx_port);
                      }},
                     {"src_mac",
                      [&](const entry& e) {
                          mac_address m{};
                          if (mac(e, m)) {
                              if ((m[0] & 1) != 0) {
                                  error(e.val.pos, "'src_mac' must be a unicast address");
                              } else {
                                  ch.src_mac = m;
                              }
                          }
                      }},
                     {"src_ip", [&](const entry& e) { s.src_ip_set = ipv4(e, ch.src_ip); }},
                     {"zero_resolver", [&](const entry& e) { boolean(e, ch.zero_resolver); }},
                     {"scrub_ecs", [&](const entry& e) { boolean(e, ch.scrub_ecs); }},
                     {"scrub_cookies", [&](const entry& e) { boolean(e, ch.scrub_cookies); }},
                 });
        if (!number_seen) {
            error(sec.pos, "[[channel]] needs a 'number'");
        }
        return s;
    }

    void dedup(const toml::section& sec, dedup_config& d)
    {
        dispatch(
            sec,
            {
                {"max_entries", [&](const entry& e) { integer(e, 1, 1 << 30, d.max_entries); }},
                {"max_key_bytes", [&](const entry& e) { integer(e, 64, 65535, d.max_key_bytes); }},
                {"idle",
                 [&](const entry& e) {
                     whole_seconds(e, std::chrono::seconds(1), std::chrono::days(365), d.idle);
                 }},
                {"max_age",
                 [&](const entry& e) {
                     whole_seconds(e, std::chrono::seconds(1), std::chrono::days(365), d.max_age);
                 }},
            });
    }

    bool privacy(const toml::section& sec, privacy_config& p)
    {
        bool source_id_set = false;
        position key_pos{};
        bool key_set = false;
        bool file_set = false;
        dispatch(
            sec,
            {
                {"pseudonym_key",
                 [&](const entry& e) {
                     std::string s;
                     key_pos = e.key_pos;
                     if (!string(e, s)) {
                         return;
                     }
                     std::vector<std::uint8_t> k;
                     if (!decode_hex(s, k) || k.size() != 16) {
                         error(e.val.pos, "'pseudonym_key' must be 32 hex digits (a "
                                          "16-byte SipHash key)");
                         return;
                     }
                     p.pseudonym_key = std::move(k);
                     key_set = true;
                 }},
                {"pseudonym_key_file",
                 [&](const entry& e) {
                     key_pos = e.key_pos;
                     std::string path;
                     if (!string(e, path)) {
                         return;
                     }
                     file_set = true;
                     if (path.front() != '/') {
                         auto const slash = file_.rfind('/');
                         if (slash != std::string_view::npos) {
                             path = std::string(file_.substr(0, slash + 1)) + path;
                         }
                     }
                     p.pseudonym_key_file = path;
                     std::ifstream in(path);
                     std::string text;
                     if (in) {
                         char buf[512];
                         in.read(buf, sizeof buf);
                         text.assign(buf, static_cast<std::size_t>(in.gcount()));
                     }
                     while (!text.empty() && (text.back() == '\n' || text.back() == ' ' ||
                                              text.back() == '\r' || text.back() == '\t')) {
                         text.pop_back();
                     }
                     std::vector<std::uint8_t> k;
                     if (!in && text.empty()) {
                         error(e.val.pos, "cannot read pseudonym_key_file \"" + path + "\"");
                     } else if (!decode_hex(text, k) || k.size() != 16) {
                         error(e.val.pos, "pseudonym_key_file \"" + path +
                                              "\" must hold 32 hex digits (a 16-byte "
                                              "SipHash key)");
                     } else {
                         p.pseudonym_key = std::move(k);
                     }
                 }},
                {"source_id",
                 [&](const entry& e) { source_id_set = integer(e, 0, 0xffffffffLL, p.source_id); }},
            });
        if (key_set && file_set) {
            error(key_pos, "set either 'pseudonym_key' or 'pseudonym_key_file', not both");
        }
        return source_id_set;
    }

    void filter(const toml::section& sec, config& c)
    {
        filter_config f;
        f.line = sec.pos.line;
        int patterns = 0;
        bool ok = true;
        dispatch(sec, {
                          {"exact",
                           [&](const entry& e) {
                               ++patterns;
                               f.type = filter_config::kind::exact;
                               if (!string(e, f.pattern)) {
                                   ok = false;
                                   return;
                               }
                               std::string why;
                               if (!normalise_name(f.pattern, why)) {
                                   error(e.val.pos, "exact \"" + e.val.str + "\": " + why);
                                   ok = false;
                               }
                           }},
                          {"suffix",
                           [&](const entry& e) {
                               ++patterns;
                               f.type = filter_config::kind::suffix;
                               if (!string(e, f.pattern)) {
                                   ok = false;
                                   return;
                               }
                               std::string why;
                               if (!normalise_name(f.pattern, why)) {
                                   error(e.val.pos, "suffix \"" + e.val.str + "\": " + why);
                                   ok = false;
                               }
                           }},
                          {"regex",
                           [&](const entry& e) {
                               ++patterns;
                               f.type = filter_config::kind::regex;
                               if (!string(e, f.pattern)) {
                                   ok = false;
                                   return;
                               }
                               if (f.pattern.size() > 4096) {
                                   error(e.val.pos, "regex longer than 4096 bytes");
                                   ok = false;
                               }
                           }},
                          {"action",
                           [&](const entry& e) {
                               std::string s;
                               if (!string(e, s)) {
                                   return;
                               }
                               if (s == "drop") {
                                   f.action = filter_action::drop;
                               } else if (s == "pass") {
                                   f.action = filter_action::pass;
                               } else {
                                   error(e.val.pos,
                                         "'action' = \"" + s + "\" must be \"drop\" or \"pass\"");
                               }
                           }},
                      });
        if (patterns != 1) {
            error(sec.pos, "[[filter]] needs exactly one of 'exact', 'suffix' or 'regex'");
            return;
        }
        if (ok) {
            c.filters.push_back(std::move(f));
        }
    }

    void delegation(const toml::section& sec, config& c)
    {
        delegation_config d;
        d.line = sec.pos.line;
        bool zone_ok = false;
        bool servers_ok = false;
        dispatch(
            sec,
            {
                {"zone",
                 [&](const entry& e) {
                     if (!string(e, d.zone, true)) {
                         return;
                     }
                     std::string why;
                     if (!normalise_name(d.zone, why, true)) {
                         error(e.val.pos, "zone \"" + e.val.str + "\": " + why);
                         return;
                     }
                     auto const [it, fresh] = delegation_lines_.emplace(d.zone, d.line);
                     if (!fresh) {
                         error(e.val.pos, "delegation for zone '" + zone_text(d.zone) +
                                              "' already defined at line " +
                                              std::to_string(it->second));
                         return;
                     }
                     zone_ok = true;
                 }},
                {"servers",
                 [&](const entry& e) {
                     if (!array_of(e, kind::string)) {
                         return;
                     }
                     if (e.val.array.empty()) {
                         error(e.val.pos, "'servers' needs at least one address");
                         return;
                     }
                     if (e.val.array.size() > max_delegation_servers) {
                         error(e.val.pos, "'servers' lists " + std::to_string(e.val.array.size()) +
                                              " addresses; at most " +
                                              std::to_string(max_delegation_servers) +
                                              " per zone (the bailiwick table keeps no more)");
                         return;
                     }
                     bool ok = true;
                     for (const auto& v : e.val.array) {
                         // A server is one host: a prefix length (even /32) is refused rather
                         // than read as a host, so a pasted subnet is never half-trusted.
                         auto const p = v.str.find('/') == std::string::npos
                                            ? parse_ip_prefix(v.str)
                                            : std::nullopt;
                         if (!p) {
                             error(v.pos, "\"" + v.str +
                                              "\" is not an IP address (IPv4 or IPv6, no prefix "
                                              "length; e.g. \"192.0.2.53\", \"2001:db8::53\")");
                             ok = false;
                             continue;
                         }
                         if (std::find(d.servers.begin(), d.servers.end(), *p) != d.servers.end()) {
                             error(v.pos, "server \"" + v.str + "\" listed twice");
                             ok = false;
                             continue;
                         }
                         d.servers.push_back(*p);
                     }
                     servers_ok = ok;
                 }},
            });
        auto const has = [&](std::string_view key) {
            return std::any_of(sec.entries.begin(), sec.entries.end(),
                               [&](const entry& e) { return e.key == key; });
        };
        if (!has("zone")) {
            error(sec.pos, "[[delegation]] needs a 'zone' (\"example.com\"; \"\" is the root)");
        }
        if (!has("servers")) {
            error(sec.pos, "[[delegation]] needs 'servers' (the zone's authoritative addresses)");
        }
        if (zone_ok && servers_ok) {
            c.delegations.push_back(std::move(d));
        }
    }

    static std::string zone_text(const std::string& zone) { return zone.empty() ? "." : zone; }

    void slowpath(const toml::section& sec, slowpath_config& s)
    {
        dispatch(
            sec,
            {
                {"ring_size", [&](const entry& e) { ring(e, s.ring_size); }},
                {"max_fragments", [&](const entry& e) { integer(e, 1, 65536, s.max_fragments); }},
                {"max_set_bytes",
                 [&](const entry& e) { integer(e, 1024, 64LL << 20, s.max_set_bytes); }},
                {"max_sets", [&](const entry& e) { integer(e, 1, 65536, s.max_sets); }},
                {"max_total_bytes",
                 [&](const entry& e) { integer(e, 1024, 4LL << 30, s.max_total_bytes); }},
                {"timeout",
                 [&](const entry& e) {
                     dur(e, std::chrono::milliseconds(1), std::chrono::hours(1), s.timeout);
                 }},
            });
        if (s.max_total_bytes < s.max_set_bytes) {
            error(sec.pos, "[slowpath] max_total_bytes (" + std::to_string(s.max_total_bytes) +
                               ") is smaller than max_set_bytes (" +
                               std::to_string(s.max_set_bytes) + ")");
        }
    }

    void exception(const toml::section& sec, exception_config& x)
    {
        dispatch(sec, {{"ring_size", [&](const entry& e) { ring(e, x.ring_size); }}});
    }

    void newness(const toml::section& sec, newness_config& n)
    {
        dispatch(
            sec,
            {
                {"enabled", [&](const entry& e) { boolean(e, n.enabled); }},
                {"snapshot_dir", [&](const entry& e) { string(e, n.snapshot_dir, true); }},
                {"snapshot_interval",
                 [&](const entry& e) {
                     whole_seconds(e, std::chrono::seconds(1), std::chrono::days(7),
                                   n.snapshot_interval);
                 }},
                {"nad_days", [&](const entry& e) { integer(e, 1, 3650, n.nad_days); }},
                {"learning_period",
                 [&](const entry& e) {
                     whole_seconds(e, std::chrono::seconds(0), std::chrono::days(3650),
                                   n.learning_period);
                 }},
                {"psl", [&](const entry& e) { string(e, n.psl); }},
                {"private_domains", [&](const entry& e) { boolean(e, n.private_domains); }},
                {"capacity", [&](const entry& e) { integer(e, 1024, 1LL << 36, n.capacity); }},
                {"start_empty", [&](const entry& e) { boolean(e, n.start_empty); }},
                {"ring_size", [&](const entry& e) { ring(e, n.ring_size); }},
            });
    }

    void sra(const toml::section& sec, sra_config& a)
    {
        dispatch(sec, {
                          {"listen",
                           [&](const entry& e) {
                               if (!array_of(e, kind::string)) {
                                   return;
                               }
                               a.listen.clear();
                               for (const auto& v : e.val.array) {
                                   std::string err;
                                   if (has_control(v.str) || !axa::parse_listen(v.str, err)) {
                                       error(v.pos, "[sra] listen: " +
                                                        (err.empty() ? "bad listener" : err));
                                       continue;
                                   }
                                   a.listen.push_back(v.str);
                               }
                           }},
                          {"accounts", [&](const entry& e) { string(e, a.accounts); }},
                          {"cert", [&](const entry& e) { string(e, a.cert); }},
                          {"key", [&](const entry& e) { string(e, a.key); }},
                      });
        for (auto const& m : check_sra(a)) {
            if (m.rfind("listen", 0) != 0) { // listener syntax is reported per value above
                error(sec.pos, "[sra] " + m);
            }
        }
    }

    // ---- whole-file checks --------------------------------------------------------------------

    void cross_checks(const toml::document& doc, config& c, std::vector<channel_source>& chans)
    {
        position const end_pos{0, 0};
        if (c.ports.empty()) {
            error(end_pos, "no [[port]]: the hub needs at least one port to ingest from");
        } else if (std::none_of(c.ports.begin(), c.ports.end(),
                                [](const port_config& p) { return p.ingests(); })) {
            error(position{c.ports.front().line, 1},
                  "no port has role \"ingest\" or \"both\": nothing would be received");
        }
        std::set<std::string> taps;
        for (const auto& p : c.ports) {
            if (p.tap && !taps.insert(p.tap_name).second) {
                error(position{p.line, 1}, "tap_name \"" + p.tap_name + "\" used twice");
            }
        }
        if (chans.empty()) {
            error(end_pos, "no [[channel]]: the hub would emit nothing");
        }
        std::vector<const port_config*> outputs;
        for (const auto& p : c.ports) {
            if (p.outputs()) {
                outputs.push_back(&p);
            }
        }
        for (auto& s : chans) {
            auto& ch = s.c;
            if (ch.number == 0) {
                continue; // already reported
            }
            for (const auto& other : c.channels) {
                if (other.number == ch.number) {
                    error(s.pos, "channel " + std::to_string(ch.number) +
                                     " already defined at line " + std::to_string(other.line));
                    ch.number = 0;
                    break;
                }
            }
            if (ch.number == 0) {
                continue;
            }
            if (!s.vlan_set) {
                if (ch.number > 4094) {
                    error(s.pos, "channel " + std::to_string(ch.number) +
                                     " cannot default its VLAN to its number; set 'vlan'");
                    continue;
                }
                ch.vlan = ch.number;
            }
            const port_config* tx = nullptr;
            if (s.tx_port_set) {
                tx = c.find_port(ch.tx_port);
                if (tx == nullptr) {
                    error(s.tx_port_pos, "tx_port '" + ch.tx_port + "' is not a [[port]] name");
                    continue;
                }
                if (!tx->outputs()) {
                    error(s.tx_port_pos,
                          "tx_port '" + ch.tx_port + "' has role \"ingest\"; it cannot transmit");
                    continue;
                }
            } else if (outputs.size() == 1) {
                tx = outputs.front();
            } else if (!c.ports.empty()) {
                error(s.pos, outputs.empty() ? "channel " + std::to_string(ch.number) +
                                                   ": no port has role \"output\" or \"both\""
                                             : "channel " + std::to_string(ch.number) +
                                                   ": several ports can transmit; set 'tx_port'");
                continue;
            } else {
                continue;
            }
            ch.tx_port = tx->name;
            ch.tx_port_index = static_cast<std::size_t>(tx - c.ports.data());
            if (!s.dst_ip_set) {
                ch.dst_ip = tx->address ? tx->address->broadcast() : 0xffffffffu;
            }
            if (!s.src_ip_set) {
                ch.src_ip = tx->address ? tx->address->address : 0;
            }
            c.channels.push_back(ch);
        }
        // Receivers tell channels apart by VLAN: two enabled channels on one port and VLAN would
        // mix their streams (the heartbeat must never share one, sie.md §1).
        for (std::size_t i = 0; i < c.channels.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                const auto& a = c.channels[i];
                const auto& b = c.channels[j];
                if (a.enabled && b.enabled && a.tx_port == b.tx_port && a.vlan == b.vlan) {
                    const auto& src = *std::find_if(chans.begin(), chans.end(),
                                                    [&](auto& s) { return s.c.line == a.line; });
                    error(src.vlan_set ? src.vlan_pos : src.pos,
                          "vlan " + std::to_string(a.vlan) + " on port '" + a.tx_port +
                              "' already carries channel " + std::to_string(b.number) + " (line " +
                              std::to_string(b.line) + ")");
                }
            }
        }
        std::sort(c.channels.begin(), c.channels.end(),
                  [](const auto& a, const auto& b) { return a.number < b.number; });
        (void)doc;
    }

    std::string_view file_;
    std::vector<diagnostic>& errs_;
    std::map<std::string, int> delegation_lines_; // zone -> its [[delegation]] line
};

} // namespace

load_result parse_config(std::string_view text, std::string_view file)
{
    load_result r;
    toml::document doc;
    toml::parse_error perr;
    if (!toml::parse(text, doc, perr)) {
        r.errors.push_back({std::string(file), perr.pos.line, perr.pos.column, perr.message});
        return r;
    }
    config c;
    validator(file, r.errors).run(doc, c);
    if (r.errors.empty()) {
        r.cfg = std::move(c);
    }
    return r;
}

load_result load_config_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        load_result r;
        r.errors.push_back({path, 0, 0, "cannot open the config file"});
        return r;
    }
    std::string text;
    text.resize(max_config_bytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_config_bytes) {
        load_result r;
        r.errors.push_back({path, 0, 0, "larger than 1 MiB: not a siehub config file"});
        return r;
    }
    return parse_config(text, path);
}

load_result load_embedded_default()
{
    return parse_config(embedded_default_config(), embedded_default_name);
}

namespace {

std::string quote(std::string_view s)
{
    // Literal strings keep backslashes (regexes) as written; a basic string is needed only for
    // text holding a single quote.
    if (s.find('\'') == std::string_view::npos) {
        return "'" + std::string(s) + "'";
    }
    std::string out = "\"";
    for (char const c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out + "\"";
}

std::string b(bool v)
{
    return v ? "true" : "false";
}

// A delegation server: the address alone (the length is implied by the family).
std::string format_ip_address(const ip_prefix& p)
{
    std::string s = format_ip_prefix(p);
    return s.substr(0, s.rfind('/'));
}

} // namespace

std::string render_config(const config& c)
{
    std::ostringstream o;
    o << "[hub]\nname = " << quote(c.hub_name)
      << "\nheartbeat_interval = " << quote(format_duration(c.heartbeat_interval))
      << "\nstats_interval = " << quote(format_duration(c.stats_interval))
      << "\ndrain_interval = " << quote(format_duration(c.drain_interval)) << "\n\n[eal]\nargs = [";
    for (std::size_t i = 0; i < c.eal_args.size(); ++i) {
        o << (i ? ", " : "") << quote(c.eal_args[i]);
    }
    o << "]\n\n[workers]\nmain_lcore = " << c.main_lcore << "\nlcores = [";
    for (std::size_t i = 0; i < c.worker_lcores.size(); ++i) {
        o << (i ? ", " : "") << c.worker_lcores[i];
    }
    o << "]\n";
    for (const auto& p : c.ports) {
        o << "\n[[port]]\nname = " << quote(p.name) << "\ndevice = " << quote(p.device)
          << "\nrole = " << quote(to_string(p.role)) << "\nrx_queues = " << p.rx_queues
          << "\ntx_queues = " << p.tx_queues << "\nrss = " << b(p.rss)
          << "\nrx_desc = " << p.rx_desc << "\ntx_desc = " << p.tx_desc << "\ntap = " << b(p.tap)
          << "\ntap_name = " << quote(p.tap_name) << "\n";
        if (p.address) {
            o << "address = '" << format_ipv4(p.address->address) << "/"
              << unsigned{p.address->length} << "'\n";
        }
    }
    o << "\n[ingest]\naddresses = [";
    for (std::size_t i = 0; i < c.ingest_addresses.size(); ++i) {
        o << (i ? ", " : "") << quote(format_ip_prefix(c.ingest_addresses[i]));
    }
    o << "]\nudp_ports = [";
    for (std::size_t i = 0; i < c.ingest_udp_ports.size(); ++i) {
        o << (i ? ", " : "") << c.ingest_udp_ports[i];
    }
    o << "]\nsender_rate = " << c.ingest_sender_rate << "\nsender_burst = " << c.ingest_sender_burst
      << "\n";
    for (const auto& ch : c.channels) {
        o << "\n[[channel]]\nnumber = " << ch.number << "\nenabled = " << b(ch.enabled)
          << "\nvlan = " << ch.vlan << "\ndst_mac = " << quote(format_mac(ch.dst_mac))
          << "\ndst_ip = " << quote(format_ipv4(ch.dst_ip)) << "\nudp_port = " << ch.udp_port
          << "\ncontainer_size = " << ch.container_size << "\nzlib = " << b(ch.zlib)
          << "\ntx_port = " << quote(ch.tx_port) << "\n";
        if (ch.src_mac) {
            o << "src_mac = " << quote(format_mac(*ch.src_mac)) << "\n";
        }
        o << "src_ip = " << quote(format_ipv4(ch.src_ip))
          << "\nzero_resolver = " << b(ch.zero_resolver) << "\nscrub_ecs = " << b(ch.scrub_ecs)
          << "\nscrub_cookies = " << b(ch.scrub_cookies) << "\n";
    }
    o << "\n[dedup]\nmax_entries = " << c.dedup.max_entries
      << "\nmax_key_bytes = " << c.dedup.max_key_bytes
      << "\nidle = " << quote(format_duration(c.dedup.idle))
      << "\nmax_age = " << quote(format_duration(c.dedup.max_age)) << "\n\n[privacy]\n";
    if (!c.privacy.pseudonym_key_file.empty()) {
        o << "pseudonym_key_file = " << quote(c.privacy.pseudonym_key_file) << "\n";
    } else if (!c.privacy.pseudonym_key.empty()) {
        o << "pseudonym_key = " << quote(hex_encode(c.privacy.pseudonym_key)) << "\n";
    }
    o << "source_id = " << c.privacy.source_id << "\n";
    for (const auto& f : c.filters) {
        o << "\n[[filter]]\n"
          << (f.type == filter_config::kind::exact    ? "exact"
              : f.type == filter_config::kind::suffix ? "suffix"
                                                      : "regex")
          << " = " << quote(f.pattern) << "\naction = " << quote(to_string(f.action)) << "\n";
    }
    for (const auto& d : c.delegations) {
        o << "\n[[delegation]]\nzone = " << quote(d.zone) << "\nservers = [";
        for (std::size_t i = 0; i < d.servers.size(); ++i) {
            o << (i ? ", " : "") << quote(format_ip_address(d.servers[i]));
        }
        o << "]\n";
    }
    o << "\n[slowpath]\nring_size = " << c.slowpath.ring_size
      << "\nmax_fragments = " << c.slowpath.max_fragments
      << "\nmax_set_bytes = " << c.slowpath.max_set_bytes << "\nmax_sets = " << c.slowpath.max_sets
      << "\nmax_total_bytes = " << c.slowpath.max_total_bytes
      << "\ntimeout = " << quote(format_duration(c.slowpath.timeout))
      << "\n\n[exception]\nring_size = " << c.exception.ring_size << "\n";
    o << "\n[newness]\nenabled = " << b(c.newness.enabled)
      << "\nsnapshot_dir = " << quote(c.newness.snapshot_dir)
      << "\nsnapshot_interval = " << quote(format_duration(c.newness.snapshot_interval))
      << "\nnad_days = " << c.newness.nad_days
      << "\nlearning_period = " << quote(format_duration(c.newness.learning_period))
      << "\npsl = " << quote(c.newness.psl) << "\nprivate_domains = " << b(c.newness.private_domains)
      << "\ncapacity = " << c.newness.capacity << "\nstart_empty = " << b(c.newness.start_empty)
      << "\nring_size = " << c.newness.ring_size << "\n";
    if (!c.sra.listen.empty()) {
        o << "\n[sra]\nlisten = [";
        for (std::size_t i = 0; i < c.sra.listen.size(); ++i) {
            o << (i ? ", " : "") << quote(c.sra.listen[i]);
        }
        o << "]\n";
        if (!c.sra.accounts.empty()) {
            o << "accounts = " << quote(c.sra.accounts) << "\n";
        }
        if (!c.sra.cert.empty()) {
            o << "cert = " << quote(c.sra.cert) << "\n";
        }
        if (!c.sra.key.empty()) {
            o << "key = " << quote(c.sra.key) << "\n";
        }
    }
    return o.str();
}

std::vector<std::string> check_sra(const sra_config& s)
{
    std::vector<std::string> out;
    bool apikey = false;
    for (auto const& l : s.listen) {
        std::string err;
        auto const spec = axa::parse_listen(l, err);
        if (!spec) {
            out.push_back(err); // names the listener
        } else if (spec->kind == axa::listen_kind::apikey) {
            apikey = true;
        }
    }
    if (!s.listen.empty() && s.accounts.empty()) {
        out.emplace_back("accounts (an accounts file) is required when listen is set");
    }
    if (apikey && (s.cert.empty() || s.key.empty())) {
        out.emplace_back("an apikey: listener needs cert and key");
    }
    return out;
}

std::string summary(const config& c)
{
    std::ostringstream o;
    o << "hub '" << c.hub_name << "': " << c.worker_lcores.size() << " worker(s) on lcores";
    for (auto const l : c.worker_lcores) {
        o << " " << l;
    }
    o << " (main lcore " << c.main_lcore << "), drain " << format_duration(c.drain_interval)
      << ", heartbeat " << format_duration(c.heartbeat_interval) << ", stats "
      << (c.stats_interval.count() ? format_duration(c.stats_interval) : "off") << "\n";
    o << "eal:";
    for (const auto& a : c.eal_args) {
        o << " " << a;
    }
    o << "\n";
    for (const auto& p : c.ports) {
        o << "port " << p.name << " (" << to_string(p.role) << "): " << p.device << "; queues rx "
          << (p.rx_queues ? std::to_string(p.rx_queues) : "per-worker") << " tx "
          << (p.tx_queues ? std::to_string(p.tx_queues) : "per-worker") << ", rss "
          << (p.rss ? "on" : "off");
        if (p.address) {
            o << ", address " << format_ipv4(p.address->address) << "/"
              << unsigned{p.address->length};
        }
        o << ", exception path " << (p.tap ? "tap " + p.tap_name : std::string("off")) << "\n";
    }
    o << "ingest: udp ports";
    for (auto const u : c.ingest_udp_ports) {
        o << " " << u;
    }
    o << " to ";
    if (c.ingest_addresses.empty()) {
        o << "any address";
    }
    for (std::size_t i = 0; i < c.ingest_addresses.size(); ++i) {
        o << (i ? ", " : "") << format_ip_prefix(c.ingest_addresses[i]);
    }
    o << "\n";
    for (const auto& ch : c.channels) {
        o << "channel " << ch.number << (ch.enabled ? "" : " (disabled)") << ": vlan " << ch.vlan
          << " -> " << format_mac(ch.dst_mac) << " " << format_ipv4(ch.dst_ip) << ":" << ch.udp_port
          << " via " << ch.tx_port << ", container " << ch.container_size
          << (ch.zlib ? " zlib" : "") << ", privacy";
        if (!ch.zero_resolver && !ch.scrub_ecs && !ch.scrub_cookies) {
            o << " off";
        }
        o << (ch.zero_resolver ? " zero_resolver" : "") << (ch.scrub_ecs ? " scrub_ecs" : "")
          << (ch.scrub_cookies ? " scrub_cookies" : "") << "\n";
    }
    o << "sra: ";
    if (c.sra.listen.empty()) {
        o << "off\n";
    } else {
        for (std::size_t i = 0; i < c.sra.listen.size(); ++i) {
            o << (i ? ", " : "") << c.sra.listen[i];
        }
        o << "; accounts " << c.sra.accounts << "\n";
    }
    o << "newness: " << (c.newness.enabled ? "on" : "off");
    if (c.newness.enabled) {
        o << ", psl " << c.newness.psl << (c.newness.private_domains ? "" : " (ICANN only)")
          << ", NAD after " << c.newness.nad_days << " days, snapshots "
          << (c.newness.snapshot_dir.empty()
                  ? std::string("off")
                  : c.newness.snapshot_dir + " every " + format_duration(c.newness.snapshot_interval))
          << (c.newness.learning_period.count() != 0
                  ? ", learning " + format_duration(c.newness.learning_period)
                  : std::string(""));
    }
    o << "\n";
    o << "dedup: " << c.dedup.max_entries << " entries, keys up to " << c.dedup.max_key_bytes
      << " bytes, idle " << format_duration(c.dedup.idle) << ", max age "
      << format_duration(c.dedup.max_age) << "\n";
    o << "privacy: pseudonym key "
      << (c.privacy.pseudonym_key.empty()
              ? std::string("random per start")
              : std::to_string(c.privacy.pseudonym_key.size()) + " bytes" +
                    (c.privacy.pseudonym_key_file.empty()
                         ? std::string("")
                         : " from " + c.privacy.pseudonym_key_file))
      << ", hub source id 0x" << std::hex << c.privacy.source_id << std::dec << "\n";
    std::size_t drops = 0;
    for (const auto& f : c.filters) {
        drops += f.action == filter_action::drop ? 1 : 0;
    }
    o << "filters: " << c.filters.size() << " (" << drops << " drop, " << c.filters.size() - drops
      << " pass)\n";
    std::size_t servers = 0;
    for (const auto& d : c.delegations) {
        servers += d.servers.size();
    }
    o << "delegations: " << c.delegations.size() << " static bailiwick zone(s), " << servers
      << " server address(es)\n";
    return o.str();
}

bool apply_offline(config& c, const std::string& in_pcap, const std::string& out_pcap,
                   std::string& err)
{
    // devargs separate keys with ',' and values with '='; such paths cannot be expressed.
    for (const auto* p : {&in_pcap, &out_pcap}) {
        if (p->empty() || p->find_first_of(",= \t") != std::string::npos) {
            err = "pcap path \"" + *p + "\" must be non-empty and free of ',', '=' and blanks";
            return false;
        }
    }
    port_config p;
    p.name = "offline";
    p.device = "net_pcap_siehub0,rx_pcap=" + in_pcap + ",tx_pcap=" + out_pcap;
    p.role = port_role::both;
    p.rx_queues = 1; // one rx_pcap, one queue: more would read the file twice
    p.tx_queues = 1;
    p.rss = false;
    p.tap = false;
    p.tap_name = "sh-offline";
    for (const auto& old : c.ports) {
        if (old.outputs() && old.address) {
            p.address = old.address;
            break;
        }
    }
    c.ports.assign(1, p);
    for (auto& ch : c.channels) {
        ch.tx_port = p.name;
        ch.tx_port_index = 0;
    }
    return true;
}

void apply_workers(config& c, unsigned n)
{
    if (n == 0) {
        return;
    }
    std::vector<std::uint32_t> l(c.worker_lcores.begin(),
                                 c.worker_lcores.begin() +
                                     std::min<std::size_t>(n, c.worker_lcores.size()));
    std::uint32_t next = 0;
    while (l.size() < n) {
        if (next != c.main_lcore && std::find(l.begin(), l.end(), next) == l.end()) {
            l.push_back(next);
        }
        ++next;
    }
    c.worker_lcores = std::move(l);
}

std::vector<std::string> expand_eal_args(const config& c, const std::vector<std::string>& extra,
                                         long pid)
{
    std::vector<std::string> out{"siehub"};
    for (auto a : c.eal_args) {
        for (std::size_t at = a.find("{pid}"); at != std::string::npos; at = a.find("{pid}")) {
            a.replace(at, 5, std::to_string(pid));
        }
        out.push_back(std::move(a));
    }
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

} // namespace siehub::control
