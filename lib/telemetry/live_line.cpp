// SPDX-License-Identifier: Apache-2.0
#include "telemetry/live_line.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace siehub::telemetry {

namespace {

std::vector<equation_term> parse_or_throw(const char* what, const std::string& text)
{
    std::vector<equation_term> t;
    std::size_t at = 0;
    if (auto e = parse_terms(text, t, at); e != equation_error::none) {
        throw std::invalid_argument(std::string("live stats: ") + what + " '" + text +
                                    "': " + to_string(e) + " at offset " + std::to_string(at));
    }
    return t;
}

} // namespace

std::string human_count(double v)
{
    char buf[32];
    if (!(v > 0)) {
        return "0";
    }
    static constexpr const char* suffix[] = {"", "k", "M", "G", "T", "P"};
    std::size_t k = 0;
    // Round to three significant digits first, so 999.6 becomes 1.00k and not 1000.
    while (k + 1 < std::size(suffix) && v >= 999.5) {
        v /= 1000.0;
        ++k;
    }
    if (k == 0) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else if (v >= 99.95) {
        std::snprintf(buf, sizeof buf, "%.0f%s", v, suffix[k]);
    } else if (v >= 9.995) {
        std::snprintf(buf, sizeof buf, "%.1f%s", v, suffix[k]);
    } else {
        std::snprintf(buf, sizeof buf, "%.2f%s", v, suffix[k]);
    }
    return buf;
}

live_line::live_line(live_config cfg) : cfg_(std::move(cfg))
{
    frames_in_.terms = parse_or_throw("frames_in", cfg_.frames_in);
    frames_out_.terms = parse_or_throw("frames_out", cfg_.frames_out);
    payloads_in_.terms = parse_or_throw("payloads_in", cfg_.payloads_in);
    payloads_out_.terms = parse_or_throw("payloads_out", cfg_.payloads_out);
    suppressed_.terms = parse_or_throw("suppressed", cfg_.suppressed);
    for (const auto& d : cfg_.drops) {
        (void)parse_or_throw("drops", d);
    }
}

double live_line::rate(series& x, const snapshot& s, double interval_s)
{
    std::int64_t const now = evaluate(x.terms, s, s.totals.values);
    std::int64_t const delta = now - x.prev;
    x.prev = now;
    // Counters only grow; a negative delta means a different registry: show 0, not garbage.
    return delta <= 0 || !(interval_s > 0) ? 0.0 : static_cast<double>(delta) / interval_s;
}

std::string live_line::format(const snapshot& s, double interval_s, double uptime_s)
{
    if (prev_totals_.size() != s.totals.values.size()) {
        prev_totals_.assign(s.totals.values.size(), 0);
    }
    std::string out =
        "siehub " +
        std::to_string(static_cast<long long>(std::floor(uptime_s < 0 ? 0 : uptime_s))) + "s";
    auto per_s = [](double r) { return human_count(r) + "/s"; };
    out += " | frames in " + per_s(rate(frames_in_, s, interval_s));
    out += " out " + per_s(rate(frames_out_, s, interval_s));
    out += " | payloads in " + per_s(rate(payloads_in_, s, interval_s));
    out += " out " + per_s(rate(payloads_out_, s, interval_s));
    out += " | suppressed " + per_s(rate(suppressed_, s, interval_s));

    // Drop reasons: each counter once even when several globs match it.
    struct reason {
        std::size_t index;
        std::uint64_t delta;
    };
    std::vector<reason> reasons;
    std::uint64_t total_delta = 0;
    for (std::size_t i = 0; i < s.names.size(); ++i) {
        bool const is_drop =
            std::any_of(cfg_.drops.begin(), cfg_.drops.end(),
                        [&](const std::string& g) { return glob_match(g, s.names[i]); });
        std::uint64_t const now = s.totals.values[i];
        std::uint64_t const delta = now >= prev_totals_[i] ? now - prev_totals_[i] : 0;
        prev_totals_[i] = now;
        if (is_drop && delta > 0) {
            reasons.push_back({i, delta});
            total_delta += delta;
        }
    }
    std::sort(reasons.begin(), reasons.end(), [&](const reason& a, const reason& b) {
        return a.delta != b.delta ? a.delta > b.delta : s.names[a.index] < s.names[b.index];
    });
    double const div = interval_s > 0 ? interval_s : 1.0;
    out += " | drops " + per_s(static_cast<double>(total_delta) / div);
    for (std::size_t k = 0; k < reasons.size() && k < cfg_.top_reasons; ++k) {
        out += k == 0 ? ": " : ", ";
        out += std::string(s.names[reasons[k].index]) + " " +
               human_count(static_cast<double>(reasons[k].delta) / div);
    }
    return out;
}

} // namespace siehub::telemetry
