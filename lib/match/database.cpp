// SPDX-License-Identifier: Apache-2.0
#include "match/database.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <utility>

#include "proto/dns/name.hpp"
#include "proto/dns/presentation.hpp"

namespace siehub::match {

namespace {

// The subject alphabet is printable ASCII (name_to_text escapes the rest), so escaping every
// non-alphanumeric byte as \xNN keeps Hyperscan's syntax out of names entirely.
void append_escaped(std::string_view text, std::string& out)
{
    static constexpr char hex[] = "0123456789abcdef";
    for (char const ch : text) {
        auto const c = static_cast<unsigned char>(ch);
        bool const alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum) {
            out += ch;
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
}

// The subject text of a rule's NAME, the same rendering the workers apply to names.
std::string name_rule_subject(const rule& r)
{
    dns::name_buffer wire{};
    auto const info = dns::from_text(r.body, wire);
    if (!info.ok()) {
        throw rule_error(std::string("bad name (") + dns::to_string(info.err) + ")");
    }
    std::string subject;
    subject.reserve(max_text_len);
    name_subject(core::byte_view{wire.data(), info.wire_len}, subject);
    return subject;
}

// How a pattern's hits are read. Exact and suffix rules compile to unanchored literals of the
// rule's subject text: Hyperscan compiles 10 000 of them in about half a second where the
// anchored forms (`^lit$`, `(?:^|\.)lit$`) took minutes (README.md). The anchoring is checked
// here instead, from the hit's end offset and the literal's length.
struct scan_ctx {
    const char* text;
    unsigned len;
    const database_rule* rules;
    unsigned best;
};

// True when text[dot] is a label separator, not the second byte of a `\.` escape: the dot is
// escaped exactly when an odd run of backslashes precedes it (a run always starts on an escape
// boundary, because the byte before it ends a token).
bool real_separator(const char* text, unsigned dot) noexcept
{
    if (text[dot] != '.') {
        return false;
    }
    unsigned run = 0;
    while (run < dot && text[dot - 1 - run] == '\\') {
        ++run;
    }
    return run % 2 == 0;
}

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long to,
             unsigned int /*flags*/, void* vctx) noexcept
{
    auto* ctx = static_cast<scan_ctx*>(vctx);
    if (id >= ctx->best) {
        return 0;
    }
    database_rule const r = ctx->rules[id];
    if (r.kind != rule_kind::regex) {
        if (to != ctx->len) {
            return 0;
        }
        if (r.lit_len != ctx->len &&
            (r.kind == rule_kind::exact || !real_separator(ctx->text, ctx->len - r.lit_len - 1))) {
            return 0;
        }
    }
    ctx->best = id;
    // Rule 0 cannot be beaten; any other hit may still be beaten by a higher-priority rule.
    return id == 0 ? 1 : 0;
}

} // namespace

compile_error::compile_error(std::size_t index, std::string rule_text, std::string reason)
    : std::runtime_error("filter rule " + std::to_string(index) + " '" + rule_text +
                         "': " + reason),
      index_(index), rule_text_(std::move(rule_text)), reason_(std::move(reason))
{
}

std::string rule_to_pattern(const rule& r)
{
    if (r.kind == rule_kind::regex) {
        return r.body;
    }
    std::string const subject = name_rule_subject(r);
    std::string p;
    if (r.kind == rule_kind::suffix && subject == ".") {
        return p; // matches every name without a pattern
    }
    append_escaped(subject, p);
    return p;
}

bool name_subject(core::byte_view wire, std::string& out) noexcept
{
    out.clear();
    dns::name_buffer canon;
    auto const info = dns::canonicalize(wire, canon);
    if (!info.ok() || info.end != wire.size()) {
        return false;
    }
    dns::name_to_text(core::byte_view{canon.data(), info.wire_len}, out);
    if (out.size() > 1) {
        out.pop_back();
    }
    return true;
}

database database::compile(std::span<const rule> rules, action default_action)
{
    database d;
    d.default_ = default_action;
    if (rules.size() > max_rules) {
        throw compile_error(max_rules, rules[max_rules].text(), "too many rules");
    }
    std::vector<std::string> patterns;
    patterns.reserve(rules.size());
    for (std::size_t i = 0; i < rules.size(); ++i) {
        auto const& r = rules[i];
        if (r.body.empty()) {
            throw compile_error(i, r.text(), "empty body");
        }
        if (r.body.find('\0') != std::string::npos) {
            throw compile_error(i, r.text(), "NUL byte in rule");
        }
        database_rule meta{r.kind, r.act, 0, r.id};
        std::string subject;
        if (r.kind == rule_kind::regex) {
            patterns.push_back(r.body);
        } else {
            try {
                subject = name_rule_subject(r);
            } catch (const rule_error& e) {
                throw compile_error(i, r.text(), e.what());
            }
            meta.lit_len = static_cast<std::uint16_t>(subject.size());
            if (r.kind == rule_kind::suffix && subject == ".") {
                // Every name is at or below the root: no pattern, it decides whenever no
                // earlier rule does.
                d.root_suffix_ = std::min(d.root_suffix_, static_cast<unsigned>(i));
                patterns.emplace_back();
            } else {
                patterns.emplace_back();
                append_escaped(subject, patterns.back());
            }
        }
        d.rules_.push_back(meta);
    }
    std::vector<const char*> exprs;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        if (patterns[i].empty()) {
            continue;
        }
        exprs.push_back(patterns[i].c_str());
        // Literals must report every occurrence: only the one at the end of the subject
        // counts. A regex hit anywhere decides, so one report is enough.
        flags.push_back(rules[i].kind == rule_kind::regex ? HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH
                                                          : HS_FLAG_CASELESS);
        ids.push_back(static_cast<unsigned>(i));
    }
    if (exprs.empty()) {
        return d;
    }
    hs_compile_error_t* err = nullptr;
    hs_error_t const rc =
        hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &d.db_, &err);
    if (rc != HS_SUCCESS) {
        std::string msg = err != nullptr ? err->message : "hs_compile_multi failed";
        int const at = err != nullptr ? err->expression : -1;
        hs_free_compile_error(err);
        if (at >= 0 && static_cast<std::size_t>(at) < ids.size()) {
            auto const idx = ids[static_cast<std::size_t>(at)];
            throw compile_error(idx, rules[idx].text(), msg + " (pattern " + patterns[idx] + ")");
        }
        throw compile_error(rules.size(), "(all rules)", msg);
    }
    return d;
}

database::database(database&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), rules_(std::move(o.rules_)), root_suffix_(o.root_suffix_),
      default_(o.default_)
{
}

database& database::operator=(database&& o) noexcept
{
    if (this != &o) {
        hs_free_database(db_);
        db_ = std::exchange(o.db_, nullptr);
        rules_ = std::move(o.rules_);
        root_suffix_ = o.root_suffix_;
        default_ = o.default_;
    }
    return *this;
}

database::~database()
{
    hs_free_database(db_);
}

std::size_t database::size_bytes() const noexcept
{
    std::size_t n = 0;
    if (db_ != nullptr && hs_database_size(db_, &n) != HS_SUCCESS) {
        return 0;
    }
    return n;
}

verdict database::match(core::byte_view name, scratch& s, counter_block& counters) const noexcept
{
    verdict v;
    match_burst(std::span<const core::byte_view>(&name, 1), std::span<verdict>(&v, 1), s, counters);
    return v;
}

void database::match_burst(std::span<const core::byte_view> names, std::span<verdict> out,
                           scratch& s, counter_block& counters) const noexcept
{
    counters.add(counter::names, names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        verdict& v = out[i];
        if (!name_subject(names[i], s.text_)) {
            v = {action::drop, decided_by::bad_name, 0};
            counters.add(counter::bad_name);
            continue;
        }
        scan_ctx ctx{s.text_.data(), static_cast<unsigned>(s.text_.size()), rules_.data(),
                     root_suffix_};
        if (db_ != nullptr) {
            hs_error_t const rc = hs_scan(db_, ctx.text, ctx.len, 0, s.s_, on_match, &ctx);
            if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) [[unlikely]] {
                v = {action::drop, decided_by::scan_error, 0};
                counters.add(counter::scan_error);
                continue;
            }
        }
        if (ctx.best < rules_.size()) {
            database_rule const& r = rules_[ctx.best];
            v = {r.act, decided_by::rule, r.id};
            counters.add(v.act == action::drop ? counter::rule_drop : counter::rule_pass);
        } else {
            v = {default_, decided_by::default_action, 0};
            counters.add(default_ == action::drop ? counter::default_drop : counter::default_pass);
        }
    }
}

scratch::scratch(const database& db)
{
    text_.reserve(max_text_len);
    if (db.db_ != nullptr && hs_alloc_scratch(db.db_, &s_) != HS_SUCCESS) {
        throw std::runtime_error("hs_alloc_scratch failed");
    }
}

scratch::scratch(scratch&& o) noexcept : s_(std::exchange(o.s_, nullptr)), text_(std::move(o.text_))
{
}

scratch& scratch::operator=(scratch&& o) noexcept
{
    if (this != &o) {
        hs_free_scratch(s_);
        s_ = std::exchange(o.s_, nullptr);
        text_ = std::move(o.text_);
    }
    return *this;
}

scratch::~scratch()
{
    hs_free_scratch(s_);
}

scratch scratch::clone() const
{
    scratch c;
    c.text_.reserve(max_text_len);
    if (s_ != nullptr && hs_clone_scratch(s_, &c.s_) != HS_SUCCESS) {
        throw std::runtime_error("hs_clone_scratch failed");
    }
    return c;
}

} // namespace siehub::match
