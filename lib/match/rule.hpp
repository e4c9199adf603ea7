// SPDX-License-Identifier: Apache-2.0
#pragma once
// Name filter rules: the tiny syntax the config uses, parsed and validated on the control side.
//
//   exact:NAME    the name NAME only                      exact:www.example.com
//   suffix:NAME   NAME and every name below it            suffix:example.com
//   regex:RE      RE searched (unanchored, case-insensitive) in the lower-case presentation
//                 form without the final dot              regex:^ns[0-9]+\.
//
// NAME is presentation text (dns::from_text escapes: `\.`, `\\`, `\DDD`); a trailing dot is
// optional, "." is the root (`suffix:.` matches every name). Matching ignores ASCII case.
// Each rule carries an action (drop | pass) and an id chosen by the config; the first matching
// rule in rule order decides, no match gives the filter's default action.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace siehub::match {

enum class action : std::uint8_t { pass, drop };
enum class rule_kind : std::uint8_t { exact, suffix, regex };

std::string_view to_string(action a) noexcept;
std::string_view to_string(rule_kind k) noexcept;
std::optional<action> action_from_text(std::string_view text) noexcept;

struct rule {
    rule_kind kind = rule_kind::exact;
    std::string body; // NAME or RE as written, without the `kind:` prefix
    action act = action::drop;
    std::uint32_t id = 0;

    // `kind:body`, the form parse_rule reads.
    [[nodiscard]] std::string text() const;
};

// A rule the syntax refuses (unknown kind, missing body, NAME that is not a valid DNS name).
class rule_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Parses `exact:NAME`, `suffix:NAME` or `regex:RE`. Throws rule_error naming the spec.
// Regexes are only checked by compilation (database::compile).
rule parse_rule(std::string_view spec, action act, std::uint32_t id);

} // namespace siehub::match
