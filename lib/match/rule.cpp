// SPDX-License-Identifier: Apache-2.0
#include "match/rule.hpp"

#include "proto/dns/name.hpp"

namespace siehub::match {

std::string_view to_string(action a) noexcept
{
    return a == action::drop ? "drop" : "pass";
}

std::string_view to_string(rule_kind k) noexcept
{
    switch (k) {
    case rule_kind::exact:
        return "exact";
    case rule_kind::suffix:
        return "suffix";
    case rule_kind::regex:
        return "regex";
    }
    return "?";
}

std::optional<action> action_from_text(std::string_view text) noexcept
{
    if (text == "drop") {
        return action::drop;
    }
    if (text == "pass") {
        return action::pass;
    }
    return std::nullopt;
}

std::string rule::text() const
{
    std::string s{to_string(kind)};
    s += ':';
    s += body;
    return s;
}

rule parse_rule(std::string_view spec, action act, std::uint32_t id)
{
    auto const colon = spec.find(':');
    if (colon == std::string_view::npos) {
        throw rule_error("filter rule '" + std::string(spec) +
                         "': expected exact:NAME, suffix:NAME or regex:RE");
    }
    auto const kind = spec.substr(0, colon);
    auto const body = spec.substr(colon + 1);
    rule r;
    r.act = act;
    r.id = id;
    r.body = std::string(body);
    if (kind == "exact") {
        r.kind = rule_kind::exact;
    } else if (kind == "suffix") {
        r.kind = rule_kind::suffix;
    } else if (kind == "regex") {
        r.kind = rule_kind::regex;
    } else {
        throw rule_error("filter rule '" + std::string(spec) + "': unknown kind '" +
                         std::string(kind) + "' (exact, suffix or regex)");
    }
    if (body.empty()) {
        throw rule_error("filter rule '" + std::string(spec) + "': empty " +
                         std::string(kind == "regex" ? "regex" : "name"));
    }
    if (r.kind != rule_kind::regex) {
        dns::name_buffer wire{};
        auto const info = dns::from_text(body, wire);
        if (!info.ok()) {
            throw rule_error("filter rule '" + std::string(spec) + "': bad name (" +
                             std::string(dns::to_string(info.err)) + ")");
        }
    }
    return r;
}

} // namespace siehub::match
