// SPDX-License-Identifier: Apache-2.0
#include "control/toml.hpp"

#include <limits>

namespace siehub::control::toml {

std::string_view to_string(kind k) noexcept
{
    switch (k) {
    case kind::string:
        return "string";
    case kind::integer:
        return "integer";
    case kind::boolean:
        return "boolean";
    case kind::array:
        return "array";
    }
    return "?";
}

namespace {

// Arrays nest only as deep as an operator would write them; the bound keeps the recursion
// finite on hostile input.
constexpr int max_array_depth = 8;

bool is_bare_key_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

class parser {
public:
    parser(std::string_view text, document& doc, parse_error& err)
        : text_(text), doc_(doc), err_(err)
    {
    }

    bool run()
    {
        while (!at_end()) {
            skip_blank();
            if (at_end()) {
                break;
            }
            char const c = peek();
            if (c == '\n' || c == '#') {
                if (!end_of_line()) {
                    return false;
                }
                continue;
            }
            if (c == '[') {
                if (!header()) {
                    return false;
                }
            } else if (!key_value()) {
                return false;
            }
            if (!end_of_line()) {
                return false;
            }
        }
        return true;
    }

private:
    [[nodiscard]] bool at_end() const noexcept { return i_ >= text_.size(); }
    [[nodiscard]] char peek(std::size_t ahead = 0) const noexcept
    {
        return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0';
    }
    [[nodiscard]] position here() const noexcept { return {line_, col_}; }

    void advance() noexcept
    {
        if (text_[i_] == '\n') {
            ++line_;
            col_ = 1;
        } else {
            ++col_;
        }
        ++i_;
    }

    bool fail(position p, std::string msg)
    {
        err_.pos = p;
        err_.message = std::move(msg);
        return false;
    }

    void skip_blank() noexcept
    {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r')) {
            advance();
        }
    }

    // Skips blanks, newlines and comments (inside arrays).
    void skip_space_and_comments() noexcept
    {
        for (;;) {
            skip_blank();
            if (peek() == '#') {
                while (!at_end() && peek() != '\n') {
                    advance();
                }
            } else if (!at_end() && peek() == '\n') {
                advance();
            } else {
                return;
            }
        }
    }

    // After a statement only blanks and a comment may follow on the line.
    bool end_of_line()
    {
        skip_blank();
        if (peek() == '#') {
            while (!at_end() && peek() != '\n') {
                if (static_cast<unsigned char>(peek()) < 0x20 && peek() != '\t') {
                    return fail(here(), "control character in a comment");
                }
                advance();
            }
        }
        if (at_end()) {
            return true;
        }
        if (peek() != '\n') {
            return fail(here(), std::string("unexpected '") + peek() +
                                    "' after the value (one key = value per line)");
        }
        advance();
        return true;
    }

    bool bare_key(std::string& out, const char* what)
    {
        position const p = here();
        if (peek() == '"' || peek() == '\'') {
            return fail(p, std::string("quoted ") + what + "s are not supported; use a bare " +
                               what + " (letters, digits, '_' and '-')");
        }
        while (!at_end() && is_bare_key_char(peek())) {
            out.push_back(peek());
            advance();
        }
        if (out.empty()) {
            return fail(p, std::string("expected a ") + what);
        }
        if (peek() == '.') {
            return fail(here(), std::string("dotted ") + what +
                                    "s are not supported; write a [section] instead");
        }
        return true;
    }

    bool header()
    {
        position const p = here();
        advance(); // '['
        bool const array = peek() == '[';
        if (array) {
            advance();
        }
        skip_blank();
        section s;
        s.pos = p;
        s.array_element = array;
        if (!bare_key(s.name, "section name")) {
            return false;
        }
        skip_blank();
        if (peek() != ']' || (array && peek(1) != ']')) {
            return fail(here(), array ? "expected ']]' to close the [[table]] header"
                                      : "expected ']' to close the [section] header");
        }
        advance();
        if (array) {
            advance();
        }
        if (!array) {
            for (const auto& old : doc_.sections) {
                if (old.name == s.name) {
                    if (old.array_element) {
                        return fail(p, "[" + s.name + "] conflicts with the array of tables [[" +
                                           s.name + "]] at line " + std::to_string(old.pos.line) +
                                           ": write [[" + s.name + "]]");
                    }
                    return fail(p, "section [" + s.name + "] already defined at line " +
                                       std::to_string(old.pos.line));
                }
            }
        } else {
            for (const auto& old : doc_.sections) {
                if (old.name == s.name && !old.array_element) {
                    return fail(p, "[[" + s.name + "]] conflicts with the table [" + s.name +
                                       "] at line " + std::to_string(old.pos.line) + ": write [" +
                                       s.name + "]");
                }
            }
        }
        doc_.sections.push_back(std::move(s));
        return true;
    }

    bool key_value()
    {
        entry e;
        e.key_pos = here();
        if (!bare_key(e.key, "key")) {
            return false;
        }
        skip_blank();
        if (peek() != '=') {
            return fail(here(), "expected '=' after the key '" + e.key + "'");
        }
        advance();
        skip_blank();
        if (!parse_value(e.val, 0)) {
            return false;
        }
        if (doc_.sections.empty()) {
            return fail(e.key_pos, "key '" + e.key + "' outside any [section]");
        }
        auto& sec = doc_.sections.back();
        for (const auto& old : sec.entries) {
            if (old.key == e.key) {
                return fail(e.key_pos, "duplicate key '" + e.key + "' (first set at line " +
                                           std::to_string(old.key_pos.line) + ")");
            }
        }
        sec.entries.push_back(std::move(e));
        return true;
    }

    bool parse_value(value& v, int depth)
    {
        v.pos = here();
        char const c = peek();
        if (at_end() || c == '\n' || c == '#') {
            return fail(v.pos, "missing value");
        }
        if (c == '"') {
            return basic_string(v);
        }
        if (c == '\'') {
            return literal_string(v);
        }
        if (c == '[') {
            return array(v, depth);
        }
        if (c == '{') {
            return fail(v.pos, "inline tables are not supported; use a [section]");
        }
        // A bare token: boolean or integer (anything else is rejected with a hint).
        std::string tok;
        while (!at_end() && peek() != ',' && peek() != ']' && peek() != '#' && peek() != '\n' &&
               peek() != ' ' && peek() != '\t' && peek() != '\r') {
            tok.push_back(peek());
            advance();
        }
        if (tok == "true" || tok == "false") {
            v.type = kind::boolean;
            v.boolean = tok == "true";
            return true;
        }
        return integer(tok, v);
    }

    bool integer(const std::string& tok, value& v)
    {
        v.type = kind::integer;
        std::size_t k = 0;
        bool neg = false;
        if (k < tok.size() && (tok[k] == '+' || tok[k] == '-')) {
            neg = tok[k] == '-';
            ++k;
        }
        unsigned base = 10;
        if (tok.size() > k + 1 && tok[k] == '0' &&
            (tok[k + 1] == 'x' || tok[k + 1] == 'o' || tok[k + 1] == 'b')) {
            base = tok[k + 1] == 'x' ? 16 : tok[k + 1] == 'o' ? 8 : 2;
            k += 2;
        }
        std::uint64_t acc = 0;
        bool any = false;
        bool last_underscore = false;
        std::uint64_t const limit =
            neg ? std::uint64_t{1} << 63 : std::uint64_t{std::numeric_limits<std::int64_t>::max()};
        for (; k < tok.size(); ++k) {
            char const ch = tok[k];
            if (ch == '_' && any && !last_underscore) {
                last_underscore = true;
                continue;
            }
            unsigned d = 99;
            if (ch >= '0' && ch <= '9') {
                d = static_cast<unsigned>(ch - '0');
            } else if (ch >= 'a' && ch <= 'f') {
                d = static_cast<unsigned>(ch - 'a' + 10);
            } else if (ch >= 'A' && ch <= 'F') {
                d = static_cast<unsigned>(ch - 'A' + 10);
            }
            if (d >= base) {
                if (ch == '.' || ch == 'e' || ch == 'E' || ch == ':' || ch == '-') {
                    return fail(v.pos, "'" + tok +
                                           "' is not supported: no floats or dates; write "
                                           "durations as strings with a unit, e.g. \"500ms\"");
                }
                return fail(v.pos, "invalid value '" + tok +
                                       "' (strings need quotes; booleans are true/false)");
            }
            last_underscore = false;
            any = true;
            if (acc > (limit - d) / base) {
                return fail(v.pos, "integer '" + tok + "' out of range");
            }
            acc = acc * base + d;
        }
        if (!any || last_underscore) {
            return fail(v.pos, "invalid value '" + tok + "'");
        }
        v.integer = neg ? static_cast<std::int64_t>(0 - acc) : static_cast<std::int64_t>(acc);
        return true;
    }

    bool basic_string(value& v)
    {
        v.type = kind::string;
        advance(); // '"'
        if (peek() == '"' && peek(1) == '"') {
            return fail(v.pos, "multi-line strings are not supported");
        }
        for (;;) {
            if (at_end() || peek() == '\n') {
                return fail(v.pos, "unterminated string");
            }
            char const c = peek();
            if (c == '"') {
                advance();
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
                return fail(here(), "control character in a string");
            }
            if (c == '\\') {
                position const p = here();
                advance();
                char const e = peek();
                switch (e) {
                case '"':
                    v.str.push_back('"');
                    break;
                case '\\':
                    v.str.push_back('\\');
                    break;
                case 'n':
                    v.str.push_back('\n');
                    break;
                case 't':
                    v.str.push_back('\t');
                    break;
                case 'r':
                    v.str.push_back('\r');
                    break;
                default:
                    return fail(p, "unsupported escape in a \"string\" (use a 'literal string' "
                                   "for backslashes, e.g. regexes)");
                }
                advance();
                continue;
            }
            v.str.push_back(c);
            advance();
        }
    }

    bool literal_string(value& v)
    {
        v.type = kind::string;
        advance(); // '\''
        if (peek() == '\'' && peek(1) == '\'') {
            return fail(v.pos, "multi-line strings are not supported");
        }
        for (;;) {
            if (at_end() || peek() == '\n') {
                return fail(v.pos, "unterminated string");
            }
            char const c = peek();
            if (c == '\'') {
                advance();
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
                return fail(here(), "control character in a string");
            }
            v.str.push_back(c);
            advance();
        }
    }

    bool array(value& v, int depth)
    {
        v.type = kind::array;
        if (depth >= max_array_depth) {
            return fail(v.pos, "arrays nested too deeply");
        }
        advance(); // '['
        for (;;) {
            skip_space_and_comments();
            if (at_end()) {
                return fail(v.pos, "unterminated array");
            }
            if (peek() == ']') {
                advance();
                return true;
            }
            value el;
            if (!parse_value(el, depth + 1)) {
                return false;
            }
            if (!v.array.empty() && v.array.front().type != el.type) {
                return fail(el.pos, "array mixes " + std::string(to_string(v.array.front().type)) +
                                        " and " + std::string(to_string(el.type)) + " elements");
            }
            v.array.push_back(std::move(el));
            skip_space_and_comments();
            if (at_end()) {
                return fail(v.pos, "unterminated array");
            }
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == ']') {
                advance();
                return true;
            }
            return fail(here(), "expected ',' or ']' in the array");
        }
    }

    std::string_view text_;
    document& doc_;
    parse_error& err_;
    std::size_t i_ = 0;
    int line_ = 1;
    int col_ = 1;
};

} // namespace

bool parse(std::string_view text, document& doc, parse_error& err)
{
    doc = document{};
    return parser(text, doc, err).run();
}

} // namespace siehub::control::toml
