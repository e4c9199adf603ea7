// SPDX-License-Identifier: Apache-2.0
#pragma once
// A small, strict, bounded JSON reader for one line of nmsgtool `-j` input (spec/nmsg.md §14)
// and for checking base/encode JSON payloads. It builds a flat DOM in storage the document
// owns and reuses across lines; every size is bounded by `reader_limits`, so an input can
// never make it grow past (max_bytes) of string storage or (max_nodes) nodes.
//
// Strict means RFC 8259: no comments, no trailing commas, no single quotes, no leading zeros,
// no bare control bytes in strings, \u escapes with paired surrogates only, one value and
// then only whitespace.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace siehub::json {

enum class read_error : std::uint8_t {
    none = 0,
    too_long,        // input longer than limits.max_bytes
    too_deep,        // nesting beyond limits.max_depth
    too_many_nodes,  // more values than limits.max_nodes
    unexpected_end,  // input ended inside a value
    unexpected_char, // a byte that cannot start or continue the value here
    bad_literal,     // true/false/null misspelt
    bad_number,      // leading zero, missing digits, ...
    bad_string,      // raw control byte inside a string
    bad_escape,      // unknown escape or malformed \u
    bad_surrogate,   // unpaired UTF-16 surrogate in \u escapes
    trailing_data,   // something after the top-level value
};

[[nodiscard]] const char* to_string(read_error e) noexcept;

enum class value_kind : std::uint8_t { null, boolean, number, string, array, object };

struct reader_limits {
    std::size_t max_bytes = 4u << 20;
    std::size_t max_nodes = 1u << 16;
    unsigned max_depth = 64;
};

constexpr std::uint32_t no_node = 0xffffffffu;

struct node {
    value_kind kind = value_kind::null;
    bool boolean = false;
    // Numbers: is_integer when the text has no fraction/exponent and fits in int64/uint64;
    // then `negative` selects i64 (negative) or u64. `real` always holds the double value.
    bool is_integer = false;
    bool negative = false;
    std::uint64_t u64 = 0;
    std::int64_t i64 = 0;
    double real = 0.0;
    // Strings: decoded bytes in the document's string store. Members: their decoded key.
    std::uint32_t str_off = 0;
    std::uint32_t str_len = 0;
    std::uint32_t key_off = 0;
    std::uint32_t key_len = 0;
    // The value's own text in the input (used to copy a JSON value verbatim).
    std::uint32_t text_off = 0;
    std::uint32_t text_len = 0;
    // Tree links (indices into the node array).
    std::uint32_t first_child = no_node;
    std::uint32_t next_sibling = no_node;
    std::uint32_t child_count = 0;
};

class document {
public:
    document() = default;
    explicit document(reader_limits lim) : limits_(lim) {}

    // Parses `text`; on error the document is empty and error_offset() says where.
    read_error parse(std::string_view text);

    [[nodiscard]] const node& root() const noexcept { return nodes_[0]; }
    [[nodiscard]] const node& at(std::uint32_t i) const noexcept { return nodes_[i]; }
    [[nodiscard]] std::size_t error_offset() const noexcept { return error_offset_; }

    [[nodiscard]] std::string_view str(const node& n) const noexcept
    {
        return {strings_.data() + n.str_off, n.str_len};
    }
    [[nodiscard]] std::string_view key(const node& n) const noexcept
    {
        return {strings_.data() + n.key_off, n.key_len};
    }
    [[nodiscard]] std::string_view text(const node& n) const noexcept
    {
        return input_.substr(n.text_off, n.text_len);
    }

    // First member of `obj` whose key equals `k` exactly, or nullptr.
    [[nodiscard]] const node* find(const node& obj, std::string_view k) const noexcept;

    // Iteration over an array's elements or an object's members.
    [[nodiscard]] const node* first(const node& parent) const noexcept
    {
        return parent.first_child == no_node ? nullptr : &nodes_[parent.first_child];
    }
    [[nodiscard]] const node* next(const node& n) const noexcept
    {
        return n.next_sibling == no_node ? nullptr : &nodes_[n.next_sibling];
    }

private:
    read_error value(unsigned depth, std::uint32_t& out);
    read_error string_into(std::uint32_t& off, std::uint32_t& len);
    read_error number(node& n);
    void skip_ws() noexcept;
    std::uint32_t new_node();

    reader_limits limits_{};
    std::string_view input_{};
    std::size_t pos_ = 0;
    std::size_t error_offset_ = 0;
    std::vector<node> nodes_;
    std::string strings_;
};

} // namespace siehub::json
