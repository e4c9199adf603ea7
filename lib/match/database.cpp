// SPDX-License-Identifier: Apache-2.0
#include "match/database.hpp"

#include <hs/hs.h>

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
        bool const alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9');
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

// A label of the subject: plain characters, or a backslash and the character it escapes
// (`\.`, `\\`, the first digit of `\DDD`). Real separators are the dots this leaves over.
constexpr std::string_view label_then_dot = R"((?:(?:[^.\\]|\\.)+\.))";

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned int /*flags*/, void* ctx) noexcept
{
    auto* best = static_cast<unsigned*>(ctx);
    if (id < *best) {
        *best = id;
    }
    // Rule 0 cannot be beaten; any other hit may still be by a higher-priority rule.
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
    std::string p = "^";
    if (r.kind == rule_kind::exact) {
        append_escaped(subject, p);
        p += '$';
        return p;
    }
    if (subject == ".") {
        // Everything is below the root: any non-empty subject (and every subject is).
        p += R"([\x00-\xff])";
        return p;
    }
    p += label_then_dot;
    p += '*';
    append_escaped(subject, p);
    p += '$';
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
        try {
            patterns.push_back(rule_to_pattern(r));
        } catch (const rule_error& e) {
            throw compile_error(i, r.text(), e.what());
        }
        d.acts_.push_back(r.act);
        d.ids_.push_back(r.id);
    }
    if (rules.empty()) {
        return d;
    }
    std::vector<const char*> exprs(patterns.size());
    std::vector<unsigned> flags(patterns.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
    std::vector<unsigned> ids(patterns.size());
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        exprs[i] = patterns[i].c_str();
        ids[i] = static_cast<unsigned>(i);
    }
    hs_compile_error_t* err = nullptr;
    hs_error_t const rc = hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                                           nullptr, &d.db_, &err);
    if (rc != HS_SUCCESS) {
        std::string msg = err != nullptr ? err->message : "hs_compile_multi failed";
        int const at = err != nullptr ? err->expression : -1;
        hs_free_compile_error(err);
        if (at >= 0 && static_cast<std::size_t>(at) < rules.size()) {
            auto const idx = static_cast<std::size_t>(at);
            throw compile_error(idx, rules[idx].text(), msg + " (pattern " + patterns[idx] + ")");
        }
        throw compile_error(rules.size(), "(all rules)", msg);
    }
    return d;
}

database::database(database&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), acts_(std::move(o.acts_)), ids_(std::move(o.ids_)),
      default_(o.default_)
{
}

database& database::operator=(database&& o) noexcept
{
    if (this != &o) {
        hs_free_database(db_);
        db_ = std::exchange(o.db_, nullptr);
        acts_ = std::move(o.acts_);
        ids_ = std::move(o.ids_);
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
    match_burst(std::span<const core::byte_view>(&name, 1), std::span<verdict>(&v, 1), s,
                counters);
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
        unsigned best = ~0u;
        if (db_ != nullptr) {
            hs_error_t const rc = hs_scan(db_, s.text_.data(),
                                          static_cast<unsigned>(s.text_.size()), 0, s.s_,
                                          on_match, &best);
            if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) [[unlikely]] {
                v = {action::drop, decided_by::scan_error, 0};
                counters.add(counter::scan_error);
                continue;
            }
        }
        if (best < acts_.size()) {
            v = {acts_[best], decided_by::rule, ids_[best]};
            counters.add(v.act == action::drop ? counter::rule_drop : counter::rule_pass);
        } else {
            v = {default_, decided_by::default_action, 0};
            counters.add(default_ == action::drop ? counter::default_drop
                                                  : counter::default_pass);
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
