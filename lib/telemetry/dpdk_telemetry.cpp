// SPDX-License-Identifier: Apache-2.0
#include "telemetry/dpdk_telemetry.hpp"

#include <rte_telemetry.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <vector>

namespace siehub::telemetry {

namespace {

struct published {
    const registry* reg = nullptr;
    std::vector<equation> eqs;
};

// Guards the publication against unpublish() while a telemetry thread reads it; control side
// only, so a lock is fine here (the workers never touch it).
std::shared_mutex g_lock;
std::unique_ptr<published> g_pub;
std::once_flag g_registered;

struct entry {
    std::string key;
    std::uint64_t value;
};

// Fills `d` as a dict of entries, or {"too_many": N} past DPDK's dict bound.
int fill_dict(rte_tel_data* d, const std::vector<entry>& entries)
{
    rte_tel_data_start_dict(d);
    if (entries.size() > RTE_TEL_MAX_DICT_ENTRIES) {
        rte_tel_data_add_dict_u64(d, "too_many", entries.size());
        return 0;
    }
    for (const auto& e : entries) {
        if (rte_tel_data_add_dict_u64(d, e.key.c_str(), e.value) != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

void add_group(std::vector<entry>& out, const snapshot& s, const counter_group& g, bool all,
               std::string_view glob, const std::string& prefix)
{
    for (std::size_t i = 0; i < s.names.size(); ++i) {
        if (!all && !g.has_table[s.table_of[i]]) {
            continue;
        }
        if (!glob.empty() && !glob_match(glob, s.names[i])) {
            continue;
        }
        out.push_back({prefix + telemetry_key(s.names[i]), g.values[i]});
    }
}

std::string_view param(const char* params, std::size_t n)
{
    // Comma-separated; returns the n-th field or "".
    std::string_view p = params == nullptr ? std::string_view{} : std::string_view{params};
    for (std::size_t k = 0; k < n; ++k) {
        auto c = p.find(',');
        if (c == std::string_view::npos) {
            return {};
        }
        p.remove_prefix(c + 1);
    }
    return p.substr(0, p.find(','));
}

bool parse_u32(std::string_view s, std::uint32_t& out)
{
    if (s.empty() || s.size() > 10) {
        return false;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > std::numeric_limits<std::uint32_t>::max()) {
        return false;
    }
    out = static_cast<std::uint32_t>(v);
    return true;
}

int cmd_counters(const char*, const char* params, rte_tel_data* d)
{
    std::shared_lock lk(g_lock);
    if (!g_pub) {
        return -ENODEV;
    }
    auto const s = g_pub->reg->take();
    std::vector<entry> e;
    add_group(e, s, s.totals, true, param(params, 0), "");
    return fill_dict(d, e);
}

int cmd_worker(const char*, const char* params, rte_tel_data* d)
{
    std::shared_lock lk(g_lock);
    if (!g_pub) {
        return -ENODEV;
    }
    std::string_view const w = param(params, 0);
    std::uint32_t id = 0;
    if (w == "control") {
        id = block_scope::control_worker;
    } else if (!parse_u32(w, id)) {
        return -EINVAL;
    }
    auto const s = g_pub->reg->take();
    for (const auto& g : s.workers) {
        if (g.id == id) {
            std::vector<entry> e;
            add_group(e, s, g, false, param(params, 1), "");
            return fill_dict(d, e);
        }
    }
    return -EINVAL;
}

int scoped(const char* params, rte_tel_data* d, bool ports)
{
    std::shared_lock lk(g_lock);
    if (!g_pub) {
        return -ENODEV;
    }
    std::string_view const want = param(params, 0);
    std::uint32_t id = 0;
    if (!want.empty() && !parse_u32(want, id)) {
        return -EINVAL;
    }
    auto const s = g_pub->reg->take();
    std::vector<entry> e;
    for (const auto& g : ports ? s.ports : s.channels) {
        if (!want.empty() && g.id != id) {
            continue;
        }
        add_group(e, s, g, false, {}, telemetry_key(g.label) + "/");
    }
    return fill_dict(d, e);
}

int cmd_ports(const char*, const char* params, rte_tel_data* d)
{
    return scoped(params, d, true);
}

int cmd_channels(const char*, const char* params, rte_tel_data* d)
{
    return scoped(params, d, false);
}

void add_signed(rte_tel_data* d, const std::string& key, std::int64_t v)
{
    // 22.11 dicts hold int (32-bit) or u64; a negative value past int goes as text.
    if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) {
        rte_tel_data_add_dict_int(d, key.c_str(), static_cast<int>(v));
    } else if (v >= 0) {
        rte_tel_data_add_dict_u64(d, key.c_str(), static_cast<std::uint64_t>(v));
    } else {
        rte_tel_data_add_dict_string(d, key.c_str(), std::to_string(v).c_str());
    }
}

int cmd_reconcile(const char*, const char*, rte_tel_data* d)
{
    std::shared_lock lk(g_lock);
    if (!g_pub) {
        return -ENODEV;
    }
    auto const s = g_pub->reg->take();
    // A live snapshot: after_flush equations are reported as not checked.
    auto const vs = check_all(g_pub->eqs, s, false);
    rte_tel_data_start_dict(d);
    if (1 + 5 * vs.size() > RTE_TEL_MAX_DICT_ENTRIES) {
        rte_tel_data_add_dict_u64(d, "too_many", vs.size());
        return 0;
    }
    rte_tel_data_add_dict_int(d, "ok", all_ok(vs) ? 1 : 0);
    for (const auto& v : vs) {
        std::string const k = telemetry_key(v.name) + "/";
        rte_tel_data_add_dict_int(d, (k + "checked").c_str(), v.checked ? 1 : 0);
        rte_tel_data_add_dict_int(d, (k + "ok").c_str(), v.ok ? 1 : 0);
        add_signed(d, k + "lhs", v.lhs);
        add_signed(d, k + "rhs", v.rhs);
        add_signed(d, k + "difference", v.difference);
    }
    return 0;
}

void register_cmd(const char* cmd, telemetry_cb fn, const char* help)
{
    if (rte_telemetry_register_cmd(cmd, fn, help) != 0) {
        throw std::runtime_error(std::string("rte_telemetry_register_cmd refused ") + cmd);
    }
}

} // namespace

std::string telemetry_key(std::string_view name)
{
    std::string k(name.substr(0, RTE_TEL_MAX_STRING_LEN - 1));
    for (char& c : k) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '/';
        if (c == '.') {
            c = '/';
        } else if (!ok) {
            c = '_';
        }
    }
    return k;
}

void publish(const registry& reg, std::span<const equation> eqs)
{
    auto p = std::make_unique<published>();
    p->reg = &reg;
    p->eqs.assign(eqs.begin(), eqs.end());
    std::call_once(g_registered, [] {
        register_cmd("/siehub/counters", cmd_counters,
                     "Totals of every siehub counter (keys stage/reason). Param: glob");
        register_cmd("/siehub/counters/worker", cmd_worker,
                     "One worker's counters. Params: worker index or control[,glob]");
        register_cmd("/siehub/ports", cmd_ports, "Per-port counters. Param: port id");
        register_cmd("/siehub/channels", cmd_channels,
                     "Per-channel counters. Param: channel number");
        register_cmd("/siehub/reconcile", cmd_reconcile,
                     "Counter reconciliation equations on live totals");
    });
    std::unique_lock lk(g_lock);
    g_pub = std::move(p);
}

void unpublish() noexcept
{
    std::unique_lock lk(g_lock);
    g_pub.reset();
}

} // namespace siehub::telemetry
