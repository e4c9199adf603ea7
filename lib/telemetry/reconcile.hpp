// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reconciliation: equations over counter names, declared by the stages next to their counter
// tables (telemetry::equation_info), parsed once at start-up and checked on a snapshot by the
// e2e tests, --stats-json and /siehub/reconcile.
//
//   "ingest.payloads = emit.relayed + dedup.suppressed + verify.drop_* - verify.drop_tc"
//
// A term is an exact counter name or a glob (`*` = any run of characters); its value is the
// sum of the totals it matches, so a new drop reason added to a table joins its equation with
// no edit. A term that matches no registered counter makes the verdict fail (`unmatched`):
// a renamed counter must not turn an equation silently into 0 = 0.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "telemetry/counters.hpp"
#include "telemetry/registry.hpp"

namespace siehub::telemetry {

enum class equation_error : std::uint8_t {
    none = 0,
    empty,        // nothing but blanks
    no_equals,    // no `=`
    two_equals,   // more than one `=`
    empty_side,   // nothing on one side of `=`
    missing_term, // an operator with no term after it, or two terms with no operator
    bad_char,     // a character that is not in a counter name, `*`, `+`, `-`, `=`, blank
};

[[nodiscard]] const char* to_string(equation_error e) noexcept;
[[nodiscard]] const char* to_string(reconcile_when w) noexcept;

struct equation_term {
    bool negative = false;
    std::string pattern;
};

struct equation {
    std::string name;
    std::string expression;
    reconcile_when when = reconcile_when::always;
    std::string description;
    std::vector<equation_term> lhs;
    std::vector<equation_term> rhs;
};

struct equation_parse {
    equation eq;
    equation_error error = equation_error::none;
    std::size_t offset = 0; // where in the expression the error was found
};

[[nodiscard]] equation_parse parse_equation(const equation_info& info);

// Parses a bare sum of terms (`a.x + b.* - c.y`), as used by the live line's configuration.
// Returns none and fills `out`, or the error and its offset in `err_at`.
[[nodiscard]] equation_error parse_terms(std::string_view text, std::vector<equation_term>& out,
                                         std::size_t& err_at);

// Parses every entry; throws std::invalid_argument naming the equation, the reason and the
// offset on the first bad one (start-up configuration error, not data).
[[nodiscard]] std::vector<equation> parse_equations(std::span<const equation_info> infos);

struct verdict {
    std::string name;
    std::string expression;
    reconcile_when when = reconcile_when::always;
    bool checked = false; // false: an after_flush equation on a snapshot taken mid-run
    bool ok = false;      // checked, every term matched, lhs == rhs
    std::int64_t lhs = 0;
    std::int64_t rhs = 0;
    std::int64_t difference = 0;        // lhs - rhs
    std::vector<std::string> unmatched; // terms that matched no counter
};

// Checks one equation on the snapshot's totals. `run_finished` says whether the run ended
// cleanly (rings drained, containers and dedup flushed): only then are after_flush checked.
[[nodiscard]] verdict check(const equation& eq, const snapshot& s, bool run_finished);

[[nodiscard]] std::vector<verdict> check_all(std::span<const equation> eqs, const snapshot& s,
                                             bool run_finished);

// True when every checked verdict is ok (unchecked ones do not count against it).
[[nodiscard]] bool all_ok(std::span<const verdict> vs) noexcept;

// Sum of the totals a side's terms match (signed); appends unmatched patterns to `unmatched`.
[[nodiscard]] std::int64_t evaluate(std::span<const equation_term> side, const snapshot& s,
                                    std::span<const std::uint64_t> values,
                                    std::vector<std::string>* unmatched = nullptr);

// One line per failing verdict: "name: lhs 10 != rhs 9 (difference +1)" or the unmatched terms.
[[nodiscard]] std::string describe_failures(std::span<const verdict> vs);

} // namespace siehub::telemetry
