// SPDX-License-Identifier: Apache-2.0
#include "telemetry/reconcile.hpp"

#include <stdexcept>

namespace siehub::telemetry {

namespace {

bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '*';
}

bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

// Parses `expr[from, to)` as `[-]term {(+|-) term}` into `out`.
equation_error parse_side(std::string_view expr, std::size_t from, std::size_t to,
                          std::vector<equation_term>& out, std::size_t& err_at)
{
    std::size_t i = from;
    bool want_term = true;
    bool negative = false;
    bool seen_any = false;
    while (i < to) {
        char const c = expr[i];
        if (blank(c)) {
            ++i;
            continue;
        }
        if (c == '+' || c == '-') {
            // A leading sign is allowed once; otherwise an operator must follow a term.
            if (want_term && (seen_any || c == '+')) {
                err_at = i;
                return equation_error::missing_term;
            }
            negative = (c == '-');
            want_term = true;
            seen_any = true;
            ++i;
            continue;
        }
        if (!name_char(c)) {
            err_at = i;
            return equation_error::bad_char;
        }
        if (!want_term) {
            err_at = i;
            return equation_error::missing_term;
        }
        std::size_t j = i;
        while (j < to && name_char(expr[j])) {
            ++j;
        }
        out.push_back({negative, std::string(expr.substr(i, j - i))});
        negative = false;
        want_term = false;
        seen_any = true;
        i = j;
    }
    if (!seen_any) {
        err_at = from;
        return equation_error::empty_side;
    }
    if (want_term) {
        err_at = to;
        return equation_error::missing_term;
    }
    return equation_error::none;
}

} // namespace

const char* to_string(equation_error e) noexcept
{
    switch (e) {
    case equation_error::none:
        return "none";
    case equation_error::empty:
        return "empty";
    case equation_error::no_equals:
        return "no_equals";
    case equation_error::two_equals:
        return "two_equals";
    case equation_error::empty_side:
        return "empty_side";
    case equation_error::missing_term:
        return "missing_term";
    case equation_error::bad_char:
        return "bad_char";
    }
    return "unknown";
}

const char* to_string(reconcile_when w) noexcept
{
    switch (w) {
    case reconcile_when::always:
        return "always";
    case reconcile_when::after_flush:
        return "after_flush";
    }
    return "unknown";
}

equation_error parse_terms(std::string_view text, std::vector<equation_term>& out,
                           std::size_t& err_at)
{
    out.clear();
    err_at = 0;
    if (text.find('=') != std::string_view::npos) {
        err_at = text.find('=');
        return equation_error::bad_char;
    }
    auto e = parse_side(text, 0, text.size(), out, err_at);
    if (e == equation_error::empty_side) {
        e = equation_error::empty;
    }
    if (e != equation_error::none) {
        out.clear();
    }
    return e;
}

equation_parse parse_equation(const equation_info& info)
{
    equation_parse r;
    r.eq.name = info.name ? info.name : "";
    r.eq.expression = info.expression ? info.expression : "";
    r.eq.when = info.when;
    r.eq.description = info.description ? info.description : "";
    std::string_view const e = r.eq.expression;
    if (e.find_first_not_of(" \t\n") == std::string_view::npos) {
        r.error = equation_error::empty;
        return r;
    }
    auto const eq = e.find('=');
    if (eq == std::string_view::npos) {
        r.error = equation_error::no_equals;
        r.offset = e.size();
        return r;
    }
    if (auto second = e.find('=', eq + 1); second != std::string_view::npos) {
        r.error = equation_error::two_equals;
        r.offset = second;
        return r;
    }
    r.error = parse_side(e, 0, eq, r.eq.lhs, r.offset);
    if (r.error == equation_error::none) {
        r.error = parse_side(e, eq + 1, e.size(), r.eq.rhs, r.offset);
    }
    if (r.error != equation_error::none) {
        r.eq.lhs.clear();
        r.eq.rhs.clear();
    }
    return r;
}

std::vector<equation> parse_equations(std::span<const equation_info> infos)
{
    std::vector<equation> out;
    out.reserve(infos.size());
    for (const auto& i : infos) {
        auto p = parse_equation(i);
        if (p.error != equation_error::none) {
            throw std::invalid_argument("telemetry: equation '" + p.eq.name +
                                        "': " + to_string(p.error) + " at offset " +
                                        std::to_string(p.offset) + " in '" + p.eq.expression + "'");
        }
        out.push_back(std::move(p.eq));
    }
    return out;
}

std::int64_t evaluate(std::span<const equation_term> side, const snapshot& s,
                      std::span<const std::uint64_t> values, std::vector<std::string>* unmatched)
{
    // Unsigned arithmetic wraps instead of overflowing; the result is read as two's complement.
    std::uint64_t sum = 0;
    for (const auto& t : side) {
        bool matched = false;
        for (std::size_t i = 0; i < s.names.size(); ++i) {
            if (glob_match(t.pattern, s.names[i])) {
                matched = true;
                sum = t.negative ? sum - values[i] : sum + values[i];
            }
        }
        if (!matched && unmatched != nullptr) {
            unmatched->push_back(t.pattern);
        }
    }
    return static_cast<std::int64_t>(sum);
}

verdict check(const equation& eq, const snapshot& s, bool run_finished)
{
    verdict v;
    v.name = eq.name;
    v.expression = eq.expression;
    v.when = eq.when;
    v.lhs = evaluate(eq.lhs, s, s.totals.values, &v.unmatched);
    v.rhs = evaluate(eq.rhs, s, s.totals.values, &v.unmatched);
    v.difference = static_cast<std::int64_t>(static_cast<std::uint64_t>(v.lhs) -
                                             static_cast<std::uint64_t>(v.rhs));
    v.checked = eq.when == reconcile_when::always || run_finished;
    v.ok = v.checked && v.unmatched.empty() && v.difference == 0;
    return v;
}

std::vector<verdict> check_all(std::span<const equation> eqs, const snapshot& s, bool run_finished)
{
    std::vector<verdict> out;
    out.reserve(eqs.size());
    for (const auto& e : eqs) {
        out.push_back(check(e, s, run_finished));
    }
    return out;
}

bool all_ok(std::span<const verdict> vs) noexcept
{
    for (const auto& v : vs) {
        if (v.checked && !v.ok) {
            return false;
        }
    }
    return true;
}

std::string describe_failures(std::span<const verdict> vs)
{
    std::string out;
    for (const auto& v : vs) {
        if (!v.checked || v.ok) {
            continue;
        }
        out += v.name + ": ";
        if (!v.unmatched.empty()) {
            out += "no counter matches";
            for (const auto& u : v.unmatched) {
                out += " '" + u + "'";
            }
        } else {
            out += "lhs " + std::to_string(v.lhs) + " != rhs " + std::to_string(v.rhs) +
                   " (difference " + (v.difference > 0 ? "+" : "") + std::to_string(v.difference) +
                   ")";
        }
        out += " [" + v.expression + "]\n";
    }
    return out;
}

} // namespace siehub::telemetry
