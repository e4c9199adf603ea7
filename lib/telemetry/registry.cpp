// SPDX-License-Identifier: Apache-2.0
#include "telemetry/registry.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace siehub::telemetry {

namespace {

bool valid_part(std::string_view s)
{
    if (s.empty()) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// `stage.reason`: exactly one dot, both parts non-empty lowercase identifiers.
bool valid_name(std::string_view n)
{
    auto dot = n.find('.');
    if (dot == std::string_view::npos) {
        return false;
    }
    return valid_part(n.substr(0, dot)) && valid_part(n.substr(dot + 1));
}

counter_group empty_group(std::uint32_t id, std::string label, std::size_t n_counters,
                          std::size_t n_tables)
{
    counter_group g;
    g.id = id;
    g.label = std::move(label);
    g.values.assign(n_counters, 0);
    g.has_table.assign(n_tables, false);
    return g;
}

// The group for `id` in a vector kept sorted by id.
counter_group& group_for(std::vector<counter_group>& v, std::uint32_t id, const std::string& label,
                         std::size_t n_counters, std::size_t n_tables)
{
    auto it = std::lower_bound(v.begin(), v.end(), id,
                               [](const counter_group& g, std::uint32_t x) { return g.id < x; });
    if (it == v.end() || it->id != id) {
        std::string lbl = label.empty() ? std::to_string(id) : label;
        it = v.insert(it, empty_group(id, std::move(lbl), n_counters, n_tables));
    } else if (it->label == std::to_string(id) && !label.empty()) {
        it->label = label;
    }
    return *it;
}

} // namespace

bool glob_match(std::string_view glob, std::string_view name) noexcept
{
    // Iterative wildcard match with one backtrack point: linear enough for counter names.
    std::size_t g = 0;
    std::size_t n = 0;
    std::size_t star = std::string_view::npos;
    std::size_t mark = 0;
    while (n < name.size()) {
        if (g < glob.size() && glob[g] == '*') {
            star = g++;
            mark = n;
        } else if (g < glob.size() && glob[g] == name[n]) {
            ++g;
            ++n;
        } else if (star != std::string_view::npos) {
            g = star + 1;
            n = ++mark;
        } else {
            return false;
        }
    }
    while (g < glob.size() && glob[g] == '*') {
        ++g;
    }
    return g == glob.size();
}

std::optional<std::size_t> snapshot::find(std::string_view name) const
{
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            return i;
        }
    }
    return std::nullopt;
}

std::uint64_t snapshot::total(std::string_view name) const
{
    auto i = find(name);
    return i ? totals.values[*i] : 0;
}

std::vector<std::size_t> snapshot::match(std::string_view glob) const
{
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (glob_match(glob, names[i])) {
            out.push_back(i);
        }
    }
    return out;
}

std::uint32_t registry::add_table_impl(std::span<const counter_info> table)
{
    if (table.empty()) {
        throw std::invalid_argument("telemetry: empty counter table");
    }
    for (const auto& c : table) {
        if (c.name == nullptr || c.description == nullptr || !valid_name(c.name)) {
            throw std::invalid_argument(std::string("telemetry: bad counter name '") +
                                        (c.name ? c.name : "(null)") + "'");
        }
        if (index_.contains(c.name)) {
            throw std::invalid_argument(std::string("telemetry: counter '") + c.name +
                                        "' registered twice");
        }
    }
    auto const id = static_cast<std::uint32_t>(tables_.size());
    tables_.push_back(
        {static_cast<std::uint32_t>(names_.size()), static_cast<std::uint32_t>(table.size())});
    for (const auto& c : table) {
        index_.emplace(c.name, names_.size());
        names_.emplace_back(c.name);
        descriptions_.emplace_back(c.description);
        table_of_.push_back(id);
    }
    return id;
}

void registry::add_block(std::uint32_t table, block_scope scope, const std::uint64_t* values)
{
    if (table >= tables_.size()) {
        throw std::invalid_argument("telemetry: add_block for an unknown table");
    }
    if (values == nullptr ||
        reinterpret_cast<std::uintptr_t>(values) % alignof(std::uint64_t) != 0) {
        throw std::invalid_argument("telemetry: counter block null or misaligned");
    }
    blocks_.push_back({table, std::move(scope), values});
}

snapshot registry::take() const
{
    snapshot s;
    s.names = names_;
    s.descriptions = descriptions_;
    s.table_of = table_of_;
    std::size_t const nc = names_.size();
    std::size_t const nt = tables_.size();
    s.totals = empty_group(0, "total", nc, nt);

    for (const auto& b : blocks_) {
        const auto& t = tables_[b.table];
        counter_group& w = group_for(
            s.workers, b.scope.worker,
            b.scope.worker == block_scope::control_worker ? std::string("control") : std::string(),
            nc, nt);
        counter_group* extra = nullptr;
        if (b.scope.scope == block_scope::kind::port) {
            extra = &group_for(s.ports, b.scope.id, b.scope.label, nc, nt);
        } else if (b.scope.scope == block_scope::kind::channel) {
            extra = &group_for(s.channels, b.scope.id, b.scope.label, nc, nt);
        }
        s.totals.has_table[b.table] = true;
        w.has_table[b.table] = true;
        if (extra != nullptr) {
            extra->has_table[b.table] = true;
        }
        for (std::uint32_t i = 0; i < t.size; ++i) {
            // The worker writes with plain stores; atomic_ref needs a non-const object, and
            // a relaxed load never writes, so dropping const here is sound.
            auto* p = const_cast<std::uint64_t*>(b.values + i);
            std::uint64_t const v =
                std::atomic_ref<std::uint64_t>(*p).load(std::memory_order_relaxed);
            std::size_t const k = t.first + i;
            s.totals.values[k] += v;
            w.values[k] += v;
            if (extra != nullptr) {
                extra->values[k] += v;
            }
        }
    }
    return s;
}

} // namespace siehub::telemetry
