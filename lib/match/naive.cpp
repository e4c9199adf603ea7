// SPDX-License-Identifier: Apache-2.0
#include "match/naive.hpp"

#include <string>

#include "proto/dns/name.hpp"

namespace siehub::match {

naive_matcher::naive_matcher(std::span<const rule> rules, action default_action)
    : default_(default_action)
{
    for (auto const& r : rules) {
        compiled c{r.kind, {}, {}, r.act, r.id};
        if (r.kind == rule_kind::regex) {
            c.re = std::regex(r.body, std::regex::ECMAScript | std::regex::icase);
        } else {
            dns::name_buffer w{};
            auto const info = dns::from_text(r.body, w);
            if (!info.ok()) {
                throw rule_error("naive: bad name " + r.body);
            }
            c.wire.assign(w.begin(), w.begin() + info.wire_len);
        }
        rules_.push_back(std::move(c));
    }
}

verdict naive_matcher::match(core::byte_view wire) const
{
    auto const info = dns::check_name(wire);
    if (!info.ok() || info.end != wire.size()) {
        return {action::drop, decided_by::bad_name, 0};
    }
    std::string subject;
    bool have_subject = false;
    for (auto const& c : rules_) {
        bool hit = false;
        switch (c.kind) {
        case rule_kind::exact:
            hit = c.wire.size() == wire.size() &&
                  dns::equal_canonical(wire, core::byte_view{c.wire.data(), c.wire.size()});
            break;
        case rule_kind::suffix:
            hit = dns::is_subdomain(wire, core::byte_view{c.wire.data(), c.wire.size()});
            break;
        case rule_kind::regex:
            if (!have_subject) {
                name_subject(wire, subject);
                have_subject = true;
            }
            hit = std::regex_search(subject, c.re);
            break;
        }
        if (hit) {
            return {c.act, decided_by::rule, c.id};
        }
    }
    return {default_, decided_by::default_action, 0};
}

} // namespace siehub::match
