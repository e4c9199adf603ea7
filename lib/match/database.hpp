// SPDX-License-Identifier: Apache-2.0
#pragma once
// The name filter database: every rule compiled into ONE Hyperscan block-mode database on the
// control side, matched on the workers against the canonical lower-case presentation form of a
// name without its final dot (the root is "."). Why text and not the wire form: README.md.
//
// Control side: database::compile (throws compile_error naming the rule), scratch for each
// worker (scratch(db) once, then clone()). Worker side: match_burst, which allocates nothing,
// takes no lock and never throws.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "match/counters.hpp"
#include "match/rule.hpp"

struct hs_database;
struct hs_scratch;

namespace siehub::match {

// A rule Hyperscan (or the name syntax) refused: which rule, its text, and why.
class compile_error : public std::runtime_error {
public:
    compile_error(std::size_t index, std::string rule_text, std::string reason);
    [[nodiscard]] std::size_t index() const noexcept { return index_; }
    [[nodiscard]] const std::string& rule_text() const noexcept { return rule_text_; }
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

private:
    std::size_t index_;
    std::string rule_text_;
    std::string reason_;
};

enum class decided_by : std::uint8_t { rule, default_action, bad_name, scan_error };

struct verdict {
    action act = action::drop;
    decided_by by = decided_by::default_action;
    std::uint32_t rule_id = 0; // the deciding rule's id when by == rule
};

inline constexpr std::size_t max_rules = 1u << 20;

// The Hyperscan pattern a rule compiles to (exposed for tests and the README): the regex
// itself, or for exact and suffix rules the unanchored literal of the NAME's subject text
// (every non-alphanumeric byte as \xNN); the match callback checks where the literal ends.
std::string rule_to_pattern(const rule& r);

// What the match callback needs per rule, by priority.
struct database_rule {
    rule_kind kind;
    action act;
    std::uint16_t lit_len; // exact/suffix: length of the literal (the rule's subject text)
    std::uint32_t id;
};

class scratch;

class database {
public:
    // Compiles the rules; rule order is priority (first match wins). An empty rule list is
    // valid: every name gets the default action. Throws compile_error.
    static database compile(std::span<const rule> rules, action default_action);

    database(database&& o) noexcept;
    database& operator=(database&& o) noexcept;
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database();

    // Decides each names[i] (an uncompressed wire name, any case) into out[i]; out.size() must
    // be >= names.size(). `s` must have been made for this database and is used by one thread.
    void match_burst(std::span<const core::byte_view> names, std::span<verdict> out, scratch& s,
                     counter_block& counters) const noexcept;

    [[nodiscard]] verdict match(core::byte_view name, scratch& s,
                                counter_block& counters) const noexcept;

    [[nodiscard]] std::size_t rule_count() const noexcept { return rules_.size(); }
    [[nodiscard]] action default_action() const noexcept { return default_; }
    // Bytes of the compiled Hyperscan database (0 without rules).
    [[nodiscard]] std::size_t size_bytes() const noexcept;

private:
    friend class scratch;
    database() = default;

    hs_database* db_ = nullptr;
    std::vector<database_rule> rules_; // by priority; Hyperscan ids are these indices
    unsigned root_suffix_ = ~0u;       // first `suffix:.` rule, which matches every name
    action default_ = action::drop;
};

// Per-worker Hyperscan scratch plus the buffer the name's text is rendered into. Never shared
// between threads. Made on the control side: scratch(db) for the first worker, clone() for
// the others.
class scratch {
public:
    explicit scratch(const database& db);
    scratch(scratch&& o) noexcept;
    scratch& operator=(scratch&& o) noexcept;
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    ~scratch();

    [[nodiscard]] scratch clone() const;

private:
    friend class database;
    scratch() = default;

    hs_scratch* s_ = nullptr;
    std::string text_; // reserved to the longest presentation, so rendering never allocates
};

// The subject a name is matched as: canonical lower-case presentation without the final dot
// ("." for the root). Returns false for an invalid wire name. `out` is cleared first; give it
// max_text_len capacity to keep this allocation-free.
inline constexpr std::size_t max_text_len = 1152; // 253 bytes as \DDD + 127 dots, rounded up
bool name_subject(core::byte_view wire, std::string& out) noexcept;

} // namespace siehub::match
