// SPDX-License-Identifier: Apache-2.0
#include "newness/psl_list.hpp"

#include <fstream>
#include <iterator>

#include "newness/punycode.hpp"

namespace siehub::newness {

namespace {

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_rule_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

// Converts a dotted rule body to lowercase dotted A-labels.
load_status convert_rule(std::string_view body, bool wildcard, std::string& out)
{
    if (body.empty()) {
        return load_status::empty_label;
    }
    // Wire length: each label adds 1 + len, the root 1, a wildcard's child label at least 2.
    std::size_t wire = 1 + (wildcard ? 2 : 0);
    std::size_t pos = 0;
    for (;;) {
        std::size_t const dot = body.find('.', pos);
        std::string_view const label =
            body.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        if (label.empty()) {
            return load_status::empty_label;
        }
        for (char c : label) {
            if (c == '*') {
                return load_status::bad_wildcard;
            }
            if (static_cast<unsigned char>(c) < 0x80 && !is_rule_char(c)) {
                return load_status::bad_character;
            }
        }
        if (!out.empty()) {
            out.push_back('.');
        }
        std::size_t const before = out.size();
        switch (to_a_label(label, out)) {
        case idna_status::ok:
            break;
        case idna_status::bad_utf8:
            return load_status::bad_utf8;
        case idna_status::label_too_long:
            return load_status::label_too_long;
        case idna_status::overflow:
            return load_status::punycode;
        }
        wire += 1 + (out.size() - before);
        if (wire > 255) {
            return load_status::name_too_long;
        }
        if (dot == std::string_view::npos) {
            break;
        }
        pos = dot + 1;
    }
    return load_status::ok;
}

} // namespace

const char* to_string(load_status s) noexcept
{
    switch (s) {
    case load_status::ok:
        return "ok";
    case load_status::cannot_open:
        return "cannot_open";
    case load_status::file_too_large:
        return "file_too_large";
    case load_status::empty_label:
        return "empty_label";
    case load_status::label_too_long:
        return "label_too_long";
    case load_status::name_too_long:
        return "name_too_long";
    case load_status::bad_wildcard:
        return "bad_wildcard";
    case load_status::bad_character:
        return "bad_character";
    case load_status::bad_utf8:
        return "bad_utf8";
    case load_status::punycode:
        return "punycode";
    case load_status::no_rules:
        return "no_rules";
    }
    return "unknown";
}

load_result parse_psl(std::string_view text)
{
    load_result r;
    psl_section section = psl_section::icann;
    std::uint32_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t const nl = text.find('\n', pos);
        std::size_t const end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;

        std::size_t i = 0;
        while (i < line.size() && is_space(line[i])) {
            ++i;
        }
        line.remove_prefix(i);
        if (line.empty()) {
            continue;
        }
        if (line.starts_with("//")) {
            // Only BEGIN markers switch; END markers need no action because the PRIVATE
            // section follows the ICANN one and nothing follows PRIVATE.
            if (line.find("===BEGIN ICANN DOMAINS===") != std::string_view::npos) {
                section = psl_section::icann;
            } else if (line.find("===BEGIN PRIVATE DOMAINS===") != std::string_view::npos) {
                section = psl_section::private_domains;
            }
            continue;
        }
        std::size_t len = 0;
        while (len < line.size() && !is_space(line[len])) {
            ++len;
        }
        std::string_view body = line.substr(0, len);

        psl_rule rule;
        rule.section = section;
        rule.line = line_no;
        if (body.starts_with('!')) {
            rule.kind = rule_kind::exception;
            body.remove_prefix(1);
            if (body.starts_with('*')) {
                r.status = load_status::bad_wildcard;
                r.line = line_no;
                return r;
            }
        } else if (body.starts_with('*')) {
            if (body.size() < 2 || body[1] != '.') {
                r.status = load_status::bad_wildcard;
                r.line = line_no;
                return r;
            }
            rule.kind = rule_kind::wildcard;
            body.remove_prefix(2);
        }
        if (auto const st = convert_rule(body, rule.kind == rule_kind::wildcard, rule.name);
            st != load_status::ok) {
            r.status = st;
            r.line = line_no;
            return r;
        }
        if (section == psl_section::icann) {
            ++r.icann_rules;
        } else {
            ++r.private_rules;
        }
        r.rules.push_back(std::move(rule));
    }
    if (r.rules.empty()) {
        r.status = load_status::no_rules;
    }
    return r;
}

load_result load_psl_file(const std::string& path)
{
    load_result r;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        r.status = load_status::cannot_open;
        return r;
    }
    in.seekg(0, std::ios::end);
    auto const size = in.tellg();
    if (size < 0) {
        r.status = load_status::cannot_open;
        return r;
    }
    if (static_cast<std::size_t>(size) > max_psl_file_bytes) {
        r.status = load_status::file_too_large;
        return r;
    }
    in.seekg(0, std::ios::beg);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), size)) {
        r.status = load_status::cannot_open;
        return r;
    }
    return parse_psl(text);
}

} // namespace siehub::newness
