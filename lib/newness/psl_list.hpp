// SPDX-License-Identifier: Apache-2.0
#pragma once
// Loader of the Public Suffix List (public_suffix_list.dat, https://publicsuffix.org/list/).
// Control plane: it allocates, and runs once at start-up or on a config reload; the data plane
// only sees the compiled psl_table built from its rules.
//
// Format, as libpsl reads it: one rule per line, the rule ends at the first white space;
// leading white space is skipped; "//" starts a comment line; `*.x` is a wildcard rule, `!x`
// an exception. The ICANN and PRIVATE sections are told apart by the
// "===BEGIN ICANN DOMAINS===" / "===BEGIN PRIVATE DOMAINS===" comment markers; rules outside
// both (a hand-written list without markers) count as ICANN. U-label rules are converted to
// A-labels (punycode.hpp), ASCII is lowercased. Unlike libpsl, which silently skips rules it
// cannot use, a malformed rule is an error that names its line: a list that loads partly
// would silently change base domains.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace siehub::newness {

inline constexpr const char* default_psl_path = "/usr/share/publicsuffix/public_suffix_list.dat";

// Larger than any real list (the 2023 list is 246 KB); bounds what a bad config path can load.
inline constexpr std::size_t max_psl_file_bytes = 16u << 20;

enum class psl_section : std::uint8_t { icann, private_domains };
enum class rule_kind : std::uint8_t { normal, wildcard, exception };

struct psl_rule {
    std::string name; // dotted, lowercase A-labels, without the "*." or "!" prefix
    rule_kind kind = rule_kind::normal;
    psl_section section = psl_section::icann;
    std::uint32_t line = 0; // 1-based line in the source text
};

enum class load_status : std::uint8_t {
    ok = 0,
    cannot_open,    // the file could not be opened or read
    file_too_large, // over max_psl_file_bytes
    empty_label,    // leading, trailing or doubled '.' (or a bare "!" / "*.")
    label_too_long, // an A-label over 63 bytes
    name_too_long,  // the rule's wire form (plus the one label a wildcard adds) over 255 bytes
    bad_wildcard,   // '*' anywhere but a leading "*." label, or "!*."
    bad_character,  // an ASCII byte other than letters, digits, '-' and '_'
    bad_utf8,       // a U-label that is not well-formed UTF-8
    punycode,       // a U-label that Punycode cannot encode
    no_rules,       // nothing but comments
};

const char* to_string(load_status s) noexcept;

struct load_result {
    load_status status = load_status::ok;
    std::uint32_t line = 0; // line of the offending rule when status != ok
    std::vector<psl_rule> rules;
    std::size_t icann_rules = 0;
    std::size_t private_rules = 0;

    [[nodiscard]] bool ok() const noexcept { return status == load_status::ok; }
};

load_result parse_psl(std::string_view text);
load_result load_psl_file(const std::string& path = default_psl_path);

} // namespace siehub::newness
