// SPDX-License-Identifier: Apache-2.0
#pragma once
// A small TOML subset for the hub's configuration file, parsed by hand so that the config needs
// no new dependency and every error can name file:line:column.
//
// Supported: `# comments`, `[section]`, `[[array_of_tables]]`, `key = value` with bare keys,
// basic "strings" (escapes \" \\ \n \t \r), literal 'strings' (no escapes: handy for regexes),
// integers (decimal, 0x, 0o, 0b, `_` separators), booleans and arrays (multi-line, trailing
// comma, comments inside). Not supported, each rejected with a message that says so: floats,
// dates, inline tables, dotted or quoted keys, multi-line strings, keys outside a section.
//
// This is control-plane code: it allocates (bounded by the file, which load_config caps).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace siehub::control::toml {

struct position {
    int line = 0;   // 1-based
    int column = 0; // 1-based, in bytes
};

enum class kind : std::uint8_t { string, integer, boolean, array };

std::string_view to_string(kind k) noexcept;

struct value {
    kind type = kind::string;
    position pos;
    std::string str;
    std::int64_t integer = 0;
    bool boolean = false;
    std::vector<value> array;
};

struct entry {
    std::string key;
    position key_pos;
    value val;
};

// One `[name]` or one element of `[[name]]`, with its entries in file order.
struct section {
    std::string name;
    bool array_element = false;
    position pos;
    std::vector<entry> entries;
};

struct document {
    std::vector<section> sections;
};

struct parse_error {
    position pos;
    std::string message;
};

// Parses `text`; on failure returns false and fills `err` with the first error (later lines
// are not trusted after a syntax error).
bool parse(std::string_view text, document& doc, parse_error& err);

} // namespace siehub::control::toml
