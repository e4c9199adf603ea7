// SPDX-License-Identifier: Apache-2.0
#include "proto/json/json_reader.hpp"

#include <charconv>

namespace siehub::json {

const char* to_string(read_error e) noexcept
{
    switch (e) {
    case read_error::none: return "none";
    case read_error::too_long: return "too_long";
    case read_error::too_deep: return "too_deep";
    case read_error::too_many_nodes: return "too_many_nodes";
    case read_error::unexpected_end: return "unexpected_end";
    case read_error::unexpected_char: return "unexpected_char";
    case read_error::bad_literal: return "bad_literal";
    case read_error::bad_number: return "bad_number";
    case read_error::bad_string: return "bad_string";
    case read_error::bad_escape: return "bad_escape";
    case read_error::bad_surrogate: return "bad_surrogate";
    case read_error::trailing_data: return "trailing_data";
    }
    return "unknown";
}

namespace {

int hex_digit(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void put_utf8(std::string& s, std::uint32_t cp)
{
    if (cp < 0x80) {
        s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

} // namespace

read_error document::parse(std::string_view text)
{
    nodes_.clear();
    strings_.clear();
    input_ = text;
    pos_ = 0;
    error_offset_ = 0;
    read_error err = read_error::none;
    if (text.size() > limits_.max_bytes || text.size() > 0xffffffffu) {
        err = read_error::too_long;
    } else {
        // Decoded strings are never longer than their escaped text, so this one reserve
        // bounds the string store by the (already bounded) input length.
        strings_.reserve(text.size());
        std::uint32_t root = no_node;
        skip_ws();
        err = value(0, root);
        if (err == read_error::none) {
            skip_ws();
            if (pos_ != input_.size()) {
                err = read_error::trailing_data;
            }
        }
    }
    if (err != read_error::none) {
        error_offset_ = pos_;
        nodes_.clear();
        strings_.clear();
        nodes_.push_back(node{});
    }
    return err;
}

const node* document::find(const node& obj, std::string_view k) const noexcept
{
    if (obj.kind != value_kind::object) {
        return nullptr;
    }
    for (const node* m = first(obj); m != nullptr; m = next(*m)) {
        if (key(*m) == k) {
            return m;
        }
    }
    return nullptr;
}

void document::skip_ws() noexcept
{
    while (pos_ < input_.size()) {
        const char c = input_[pos_];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }
        ++pos_;
    }
}

std::uint32_t document::new_node()
{
    if (nodes_.size() >= limits_.max_nodes) {
        return no_node;
    }
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

read_error document::value(unsigned depth, std::uint32_t& out)
{
    if (depth > limits_.max_depth) {
        return read_error::too_deep;
    }
    if (pos_ >= input_.size()) {
        return read_error::unexpected_end;
    }
    const std::uint32_t self = new_node();
    if (self == no_node) {
        return read_error::too_many_nodes;
    }
    out = self;
    const std::size_t start = pos_;
    const char c = input_[pos_];
    read_error err = read_error::none;
    auto literal = [&](std::string_view word) {
        if (input_.substr(pos_, word.size()) != word) {
            return input_.size() - pos_ < word.size() ? read_error::unexpected_end
                                                      : read_error::bad_literal;
        }
        pos_ += word.size();
        return read_error::none;
    };
    if (c == '{' || c == '[') {
        const bool is_obj = c == '{';
        const char close = is_obj ? '}' : ']';
        nodes_[self].kind = is_obj ? value_kind::object : value_kind::array;
        ++pos_;
        skip_ws();
        std::uint32_t prev = no_node;
        if (pos_ < input_.size() && input_[pos_] == close) {
            ++pos_;
        } else {
            for (;;) {
                std::uint32_t koff = 0;
                std::uint32_t klen = 0;
                if (is_obj) {
                    if (pos_ >= input_.size()) {
                        return read_error::unexpected_end;
                    }
                    if (input_[pos_] != '"') {
                        return read_error::unexpected_char;
                    }
                    err = string_into(koff, klen);
                    if (err != read_error::none) {
                        return err;
                    }
                    skip_ws();
                    if (pos_ >= input_.size()) {
                        return read_error::unexpected_end;
                    }
                    if (input_[pos_] != ':') {
                        return read_error::unexpected_char;
                    }
                    ++pos_;
                    skip_ws();
                }
                std::uint32_t child = no_node;
                err = value(depth + 1, child);
                if (err != read_error::none) {
                    return err;
                }
                nodes_[child].key_off = koff;
                nodes_[child].key_len = klen;
                if (prev == no_node) {
                    nodes_[self].first_child = child;
                } else {
                    nodes_[prev].next_sibling = child;
                }
                prev = child;
                ++nodes_[self].child_count;
                skip_ws();
                if (pos_ >= input_.size()) {
                    return read_error::unexpected_end;
                }
                if (input_[pos_] == ',') {
                    ++pos_;
                    skip_ws();
                    continue;
                }
                if (input_[pos_] == close) {
                    ++pos_;
                    break;
                }
                return read_error::unexpected_char;
            }
        }
    } else if (c == '"') {
        nodes_[self].kind = value_kind::string;
        std::uint32_t off = 0;
        std::uint32_t len = 0;
        err = string_into(off, len);
        nodes_[self].str_off = off;
        nodes_[self].str_len = len;
    } else if (c == 't') {
        nodes_[self].kind = value_kind::boolean;
        nodes_[self].boolean = true;
        err = literal("true");
    } else if (c == 'f') {
        nodes_[self].kind = value_kind::boolean;
        err = literal("false");
    } else if (c == 'n') {
        err = literal("null");
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        err = number(nodes_[self]);
    } else {
        return read_error::unexpected_char;
    }
    if (err != read_error::none) {
        return err;
    }
    nodes_[self].text_off = static_cast<std::uint32_t>(start);
    nodes_[self].text_len = static_cast<std::uint32_t>(pos_ - start);
    return read_error::none;
}

read_error document::number(node& n)
{
    const std::size_t start = pos_;
    n.kind = value_kind::number;
    bool neg = false;
    if (input_[pos_] == '-') {
        neg = true;
        ++pos_;
    }
    const std::size_t int_start = pos_;
    while (pos_ < input_.size() && input_[pos_] >= '0' && input_[pos_] <= '9') {
        ++pos_;
    }
    const std::size_t int_len = pos_ - int_start;
    if (int_len == 0) {
        return pos_ >= input_.size() ? read_error::unexpected_end : read_error::bad_number;
    }
    if (int_len > 1 && input_[int_start] == '0') {
        return read_error::bad_number;
    }
    bool integral = true;
    if (pos_ < input_.size() && input_[pos_] == '.') {
        integral = false;
        ++pos_;
        const std::size_t f = pos_;
        while (pos_ < input_.size() && input_[pos_] >= '0' && input_[pos_] <= '9') {
            ++pos_;
        }
        if (pos_ == f) {
            return read_error::bad_number;
        }
    }
    if (pos_ < input_.size() && (input_[pos_] == 'e' || input_[pos_] == 'E')) {
        integral = false;
        ++pos_;
        if (pos_ < input_.size() && (input_[pos_] == '+' || input_[pos_] == '-')) {
            ++pos_;
        }
        const std::size_t e = pos_;
        while (pos_ < input_.size() && input_[pos_] >= '0' && input_[pos_] <= '9') {
            ++pos_;
        }
        if (pos_ == e) {
            return read_error::bad_number;
        }
    }
    const char* b = input_.data() + start;
    const char* e = input_.data() + pos_;
    auto rd = std::from_chars(b, e, n.real);
    if (rd.ec != std::errc{} && rd.ec != std::errc::result_out_of_range) {
        return read_error::bad_number;
    }
    if (integral) {
        std::uint64_t mag = 0;
        auto ri = std::from_chars(input_.data() + int_start, e, mag);
        if (ri.ec == std::errc{}) {
            if (!neg) {
                n.is_integer = true;
                n.u64 = mag;
                n.i64 = static_cast<std::int64_t>(mag);
            } else if (mag <= (std::uint64_t{1} << 63)) {
                n.is_integer = true;
                n.negative = mag != 0;
                n.i64 = static_cast<std::int64_t>(0 - mag);
                n.u64 = static_cast<std::uint64_t>(n.i64);
            }
        }
    }
    return read_error::none;
}

read_error document::string_into(std::uint32_t& off, std::uint32_t& len)
{
    ++pos_; // opening quote
    off = static_cast<std::uint32_t>(strings_.size());
    for (;;) {
        // Copy the run of plain bytes in one step.
        std::size_t run = pos_;
        while (run < input_.size()) {
            const auto c = static_cast<unsigned char>(input_[run]);
            if (c == '"' || c == '\\' || c < 0x20) {
                break;
            }
            ++run;
        }
        strings_.append(input_.data() + pos_, run - pos_);
        pos_ = run;
        if (pos_ >= input_.size()) {
            return read_error::unexpected_end;
        }
        const auto c = static_cast<unsigned char>(input_[pos_]);
        if (c == '"') {
            ++pos_;
            break;
        }
        if (c < 0x20) {
            return read_error::bad_string;
        }
        // Backslash escape.
        ++pos_;
        if (pos_ >= input_.size()) {
            return read_error::unexpected_end;
        }
        const char esc = input_[pos_++];
        switch (esc) {
        case '"': strings_.push_back('"'); break;
        case '\\': strings_.push_back('\\'); break;
        case '/': strings_.push_back('/'); break;
        case 'b': strings_.push_back('\b'); break;
        case 'f': strings_.push_back('\f'); break;
        case 'n': strings_.push_back('\n'); break;
        case 'r': strings_.push_back('\r'); break;
        case 't': strings_.push_back('\t'); break;
        case 'u': {
            auto read4 = [&](std::uint32_t& v) {
                if (input_.size() - pos_ < 4) {
                    return false;
                }
                v = 0;
                for (int i = 0; i < 4; ++i) {
                    const int h = hex_digit(input_[pos_++]);
                    if (h < 0) {
                        return false;
                    }
                    v = (v << 4) | static_cast<std::uint32_t>(h);
                }
                return true;
            };
            std::uint32_t cp = 0;
            if (!read4(cp)) {
                return read_error::bad_escape;
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                return read_error::bad_surrogate;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (input_.size() - pos_ < 2 || input_[pos_] != '\\' || input_[pos_ + 1] != 'u') {
                    return read_error::bad_surrogate;
                }
                pos_ += 2;
                std::uint32_t lo = 0;
                if (!read4(lo)) {
                    return read_error::bad_escape;
                }
                if (lo < 0xdc00 || lo > 0xdfff) {
                    return read_error::bad_surrogate;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_utf8(strings_, cp);
            break;
        }
        default: return read_error::bad_escape;
        }
    }
    len = static_cast<std::uint32_t>(strings_.size() - off);
    return read_error::none;
}

} // namespace siehub::json
