// SPDX-License-Identifier: Apache-2.0
#pragma once
// The compiled Public Suffix List: base domain (registrable domain, eTLD+1) of a DNS
// wire-format name, as a zero-copy offset into that name.
//
// Input: an uncompressed wire name (length-prefixed labels ending with the root label), as the
// DNS name guardian (proto/dns/name.hpp) produces it; bytes after the root label are ignored.
// Case does not matter: ASCII letters are folded while hashing, so names need not be
// canonicalised first. IDNs must be A-labels (as DNS carries them).
//
// Semantics are libpsl's (psl_registrable_domain, 0.21), checked by the differential test:
//  * the default rule `*` makes every TLD a public suffix (optionally off: star_rule = false,
//    and a name whose TLD has no rule is reported as unlisted_tld);
//  * the public suffix is the longest suffix of the name that is public, where a suffix is
//    public if it is a rule and not an exception, or if its parent is a wildcard rule and the
//    suffix itself is neither a rule nor an exception. Exceptions therefore win, and
//    (libpsl's reading) a wildcard `*.x` also makes `x` itself public;
//  * the base domain is the public suffix plus one label; a name that is itself a public
//    suffix has none (public_suffix).
//
// Fast path: a hash table of (suffix hash -> rule flags), probed from the right, one label at
// a time, each label hashed once (8 bytes per step, ASCII folded by SWAR). Interior suffixes
// of longer rules are in the table as "branch" entries, so a probe that misses ends the walk:
// a typical lookup costs two or three probes. Each hit is verified byte for byte against the
// stored suffix, so a hash collision cannot give a wrong answer. No allocation per lookup.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "newness/psl_list.hpp"

namespace siehub::newness {

using core::byte_view;

enum class base_status : std::uint8_t {
    ok = 0,
    truncated,     // the buffer ends before the root label
    bad_label,     // a label type other than 00 (compression pointer, 0x40, 0x80)
    name_too_long, // wire form over 255 bytes
    root_name,     // the root name: no labels at all
    public_suffix, // the name is itself a public suffix: no base domain
    unlisted_tld,  // star_rule off and the TLD has no rule
};

// Counter reason names ("psl.<reason>").
const char* to_string(base_status s) noexcept;

struct base_result {
    base_status status = base_status::ok;
    std::uint8_t labels = 0;         // labels of the name, root excluded
    std::uint16_t base_offset = 0;   // where the base domain starts (status ok)
    std::uint16_t suffix_offset = 0; // where the public suffix starts (ok, public_suffix)
    std::uint16_t wire_length = 0;   // the name's wire length, root byte included

    [[nodiscard]] bool ok() const noexcept { return status == base_status::ok; }

    // The base domain's wire form: a suffix of the name (empty unless ok()).
    [[nodiscard]] byte_view base(byte_view name) const noexcept
    {
        if (!ok()) {
            return {};
        }
        return name.subspan(base_offset, wire_length - base_offset);
    }
};

struct psl_options {
    bool private_domains = true; // use the PRIVATE section too (siehub's NOD rule: yes)
    bool star_rule = true;       // the implicit `*` rule (PSL algorithm and libpsl: yes)
};

class psl_table {
public:
    psl_table() = default;
    psl_table(std::span<const psl_rule> rules, psl_options opts);

    [[nodiscard]] base_result lookup(byte_view wire_name) const noexcept;

    // The same for a burst, in phases (validate and hash a group, prefetch its first slots,
    // then probe), so that table misses overlap. out[i] answers names[i]; min of both sizes.
    void lookup_burst(std::span<const byte_view> names, std::span<base_result> out) const noexcept;
    static constexpr std::size_t burst_group = 16;

    [[nodiscard]] const psl_options& options() const noexcept { return opts_; }
    [[nodiscard]] std::size_t rules() const noexcept { return rules_; }
    [[nodiscard]] std::size_t entries() const noexcept { return entries_; }
    [[nodiscard]] std::size_t slots() const noexcept { return slots_.size(); }
    [[nodiscard]] std::size_t max_rule_labels() const noexcept { return max_labels_; }
    // Bytes of the compiled table: slots plus the key arena.
    [[nodiscard]] std::size_t memory_bytes() const noexcept
    {
        return slots_.size() * sizeof(slot) + arena_.size();
    }

private:
    // flags == 0 marks an empty slot: every entry has at least one flag.
    struct slot {
        std::uint32_t tag = 0;  // high half of the suffix hash
        std::uint32_t info = 0; // key offset in arena_ << 8 | flags
    };

    struct prepared; // one name between the phases of a lookup (psl_table.cpp)

    void prepare(byte_view wire_name, prepared& p) const noexcept;
    [[nodiscard]] base_result finish(const prepared& p) const noexcept;
    [[nodiscard]] std::uint8_t find(std::uint64_t hash, const std::uint8_t* key,
                                    std::size_t key_len) const noexcept;
    void insert(std::uint64_t hash, const std::uint8_t* key, std::size_t key_len,
                std::uint8_t flags);

    std::vector<slot> slots_;
    std::vector<std::uint8_t> arena_; // per key: length byte, then the lowercase wire suffix
    std::uint64_t mask_ = 0;
    std::size_t rules_ = 0;
    std::size_t entries_ = 0;
    std::size_t max_labels_ = 0;
    psl_options opts_;
};

} // namespace siehub::newness
