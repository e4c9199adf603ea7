// SPDX-License-Identifier: Apache-2.0
// Golden vectors made by nmsgtool 1.3.3 / wdns 0.12.0: every rdata string parses back to wire
// and renders identically; every dnsqr query_json/response_json object and §11.4 text is
// reproduced from the DNS bytes carried in the same line.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/out_buffer.hpp"
#include "proto/dns/presentation.hpp"
#include "proto/dns/rdata_text.hpp"

using namespace siehub;

namespace {

std::string testdata(const std::string& rel)
{
    const char* root = std::getenv("SIEHUB_TESTDATA");
    REQUIRE(root != nullptr);
    return std::string(root) + "/" + rel;
}

std::vector<std::string> read_lines(const std::string& path)
{
    std::ifstream f(path);
    REQUIRE(f.good());
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);) {
        lines.push_back(l);
    }
    return lines;
}

// The raw JSON text of the value of `key` (first occurrence), or nullopt.
std::optional<std::string_view> raw_value(std::string_view line, std::string_view key)
{
    std::string pat = "\"" + std::string(key) + "\":";
    auto at = line.find(pat);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::size_t b = at + pat.size();
    std::size_t i = b;
    int depth = 0;
    bool in_str = false;
    for (; i < line.size(); ++i) {
        char c = line[i];
        if (in_str) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_str = false;
                if (depth == 0) {
                    return line.substr(b, i + 1 - b);
                }
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return line.substr(b, i - b);
            }
            if (--depth == 0) {
                return line.substr(b, i + 1 - b);
            }
        } else if (c == ',' && depth == 0) {
            return line.substr(b, i - b);
        }
    }
    return line.substr(b);
}

// Decodes a JSON string literal (the goldens only use ASCII escapes here).
std::string unquote(std::string_view q)
{
    REQUIRE(q.size() >= 2);
    q = q.substr(1, q.size() - 2);
    std::string s;
    for (std::size_t i = 0; i < q.size(); ++i) {
        if (q[i] != '\\') {
            s += q[i];
            continue;
        }
        char e = q[++i];
        switch (e) {
        case 'n':
            s += '\n';
            break;
        case 't':
            s += '\t';
            break;
        case 'u':
            s += static_cast<char>(std::stoi(std::string(q.substr(i + 1, 4)), nullptr, 16));
            i += 4;
            break;
        default:
            s += e;
        }
    }
    return s;
}

std::vector<std::string> string_array(std::string_view raw)
{
    std::vector<std::string> out;
    REQUIRE(raw.front() == '[');
    std::size_t i = 1;
    while (i < raw.size() && raw[i] != ']') {
        REQUIRE(raw[i] == '"');
        std::size_t j = i + 1;
        while (raw[j] != '"') {
            j += raw[j] == '\\' ? 2 : 1;
        }
        out.push_back(unquote(raw.substr(i, j + 1 - i)));
        i = j + 1;
        if (raw[i] == ',') {
            ++i;
        }
    }
    return out;
}

std::vector<std::uint8_t> base64_decode(std::string_view s)
{
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<std::uint8_t> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        if (c == '=') {
            break;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(alphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return out;
}

void check_rdata_file(const std::string& rel, std::size_t& checked)
{
    for (const auto& line : read_lines(testdata(rel))) {
        auto rd = raw_value(line, "rdata");
        if (!rd) {
            continue;
        }
        auto type_raw = raw_value(line, "rrtype");
        auto class_raw = raw_value(line, "rrclass");
        REQUIRE(type_raw);
        REQUIRE(class_raw);
        auto type = dns::rrtype_from_text(unquote(*type_raw));
        REQUIRE(type);
        // SIE "<UNKNOWN>" classes come from class 65000 in quirks.nmsg (nmsg.md §12.3)
        std::string cname = unquote(*class_raw);
        std::uint16_t cls = cname == "<UNKNOWN>" ? 65000 : *dns::rrclass_from_text(cname);
        for (const auto& text : string_array(*rd)) {
            INFO(rel << ": " << text);
            std::uint8_t buf[65536];
            core::out_buffer ob{core::byte_span{buf, sizeof buf}};
            auto err = dns::rdata_from_text(*type, cls, text, ob);
            REQUIRE(dns::to_string(err) == "none");
            std::string back;
            dns::rdata_to_text(*type, cls, ob.written(), back);
            CHECK(back == text);
            ++checked;
        }
    }
}

// dnsqr.txt: the text after each "query: [n octets]" / "response: [n octets]" up to "---".
std::vector<std::string> txt_blocks(const std::string& rel, std::string_view label)
{
    std::vector<std::string> blocks;
    auto lines = read_lines(testdata(rel));
    std::string prefix = std::string(label) + ": [";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind(prefix, 0) != 0 || lines[i].find(" octets]") == std::string::npos) {
            continue;
        }
        std::string b;
        for (++i; i < lines.size() && lines[i] != "---"; ++i) {
            b += lines[i];
            b += '\n';
        }
        blocks.push_back(b);
    }
    return blocks;
}

} // namespace

TEST_CASE("every golden rdata string round-trips through wire form", "[dns][presentation]")
{
    std::size_t checked = 0;
    for (const char* f : {"nmsg/dnsdedupe-rdata-types.jsonl", "nmsg/dnsdedupe-insertion.jsonl",
                          "nmsg/dnsdedupe-expiration.jsonl", "nmsg/dnsdedupe-bigsig.jsonl",
                          "nmsg/newdomain.jsonl", "nmsg/dnsnx.jsonl", "nmsg/quirks.jsonl"}) {
        check_rdata_file(f, checked);
    }
    CHECK(checked >= 60);
}

TEST_CASE("dnsqr query_json/response_json objects are reproduced byte for byte",
          "[dns][presentation]")
{
    std::size_t objects = 0;
    for (const char* f : {"nmsg/dnsqr.jsonl", "nmsg/dnsqr-sensor-rd0-zeroed.jsonl"}) {
        for (const auto& line : read_lines(testdata(f))) {
            for (auto [bytes_key, json_key] : {std::pair{"query", "query_json"},
                                               std::pair{"response", "response_json"}}) {
                auto b64 = raw_value(line, bytes_key);
                auto golden = raw_value(line, json_key);
                if (!b64 || !golden) {
                    continue;
                }
                auto wire = base64_decode(unquote(*b64));
                std::string got;
                bool ok = dns::message_to_json(core::byte_view{wire.data(), wire.size()}, got);
                if (*golden == "null") {
                    CHECK_FALSE(ok);
                } else {
                    CHECK(ok);
                    CHECK(got == *golden);
                }
                ++objects;
            }
        }
    }
    CHECK(objects >= 40);
}

TEST_CASE("dnsqr §11.4 message text is reproduced byte for byte", "[dns][presentation]")
{
    for (const char* base : {"nmsg/dnsqr", "nmsg/dnsqr-sensor-rd0-zeroed"}) {
        auto lines = read_lines(testdata(std::string(base) + ".jsonl"));
        for (const char* key : {"query", "response"}) {
            auto blocks = txt_blocks(std::string(base) + ".txt", key);
            std::vector<std::string> wires;
            for (const auto& line : lines) {
                if (auto b64 = raw_value(line, key)) {
                    wires.push_back(unquote(*b64));
                }
            }
            REQUIRE(blocks.size() == wires.size());
            REQUIRE_FALSE(blocks.empty());
            for (std::size_t i = 0; i < blocks.size(); ++i) {
                auto wire = base64_decode(wires[i]);
                std::string got;
                dns::message_to_text(core::byte_view{wire.data(), wire.size()}, got);
                INFO(base << " " << key << " #" << i);
                CHECK(got == blocks[i]);
            }
        }
    }
}
