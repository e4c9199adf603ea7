// SPDX-License-Identifier: Apache-2.0
#pragma once
// The reference matcher tests and benchmarks compare the Hyperscan database with: rules tried
// one by one in order, exact and suffix by the DNS name guardian (equal_canonical,
// is_subdomain on wire names), regexes by std::regex (ECMAScript, icase) on the same subject
// text. It shares no pattern encoding with database.cpp. Not for the data plane.

#include <regex>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "match/database.hpp"
#include "match/rule.hpp"

namespace siehub::match {

class naive_matcher {
public:
    naive_matcher(std::span<const rule> rules, action default_action);
    [[nodiscard]] verdict match(core::byte_view wire) const;

private:
    struct compiled {
        rule_kind kind;
        std::vector<std::uint8_t> wire; // exact, suffix
        std::regex re;                  // regex
        action act;
        std::uint32_t id;
    };
    std::vector<compiled> rules_;
    action default_;
};

} // namespace siehub::match
