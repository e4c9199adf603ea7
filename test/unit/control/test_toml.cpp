// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "control/toml.hpp"

using namespace siehub::control;

namespace {

toml::parse_error parse_fails(std::string_view text)
{
    toml::document doc;
    toml::parse_error err;
    REQUIRE_FALSE(toml::parse(text, doc, err));
    return err;
}

} // namespace

TEST_CASE("toml subset: values, arrays, comments and positions", "[control][toml]")
{
    toml::document doc;
    toml::parse_error err;
    std::string const text = "# leading comment\n"
                             "[a]\n"
                             "s = \"x\\\"y\\\\z\\n\"  # trailing comment\n"
                             "lit = 'C:\\path\\[0-9]+'\n"
                             "n = -42\n"
                             "h = 0xff_ff\n"
                             "o = 0o17\n"
                             "b = 0b101\n"
                             "u = 1_000_000\n"
                             "t = true\n"
                             "f = false\n"
                             "arr = [1, 2,\n"
                             "  # inside\n"
                             "  3,   # more\n"
                             "]\n"
                             "empty = []\n"
                             "\n"
                             "[[t]]\n"
                             "k = 'one'\n"
                             "[[t]]\n"
                             "k = 'two'\n";
    REQUIRE(toml::parse(text, doc, err));
    REQUIRE(doc.sections.size() == 3);
    const auto& a = doc.sections[0];
    CHECK(a.name == "a");
    CHECK_FALSE(a.array_element);
    CHECK(a.pos.line == 2);
    REQUIRE(a.entries.size() == 11);
    CHECK(a.entries[0].val.str == "x\"y\\z\n");
    CHECK(a.entries[0].key_pos.line == 3);
    CHECK(a.entries[0].key_pos.column == 1);
    CHECK(a.entries[0].val.pos.column == 5);
    CHECK(a.entries[1].val.str == "C:\\path\\[0-9]+");
    CHECK(a.entries[2].val.integer == -42);
    CHECK(a.entries[3].val.integer == 0xffff);
    CHECK(a.entries[4].val.integer == 017);
    CHECK(a.entries[5].val.integer == 5);
    CHECK(a.entries[6].val.integer == 1000000);
    CHECK(a.entries[7].val.type == toml::kind::boolean);
    CHECK(a.entries[7].val.boolean);
    CHECK_FALSE(a.entries[8].val.boolean);
    REQUIRE(a.entries[9].val.array.size() == 3);
    CHECK(a.entries[9].val.array[2].integer == 3);
    CHECK(a.entries[9].val.array[2].pos.line == 14);
    CHECK(a.entries[10].val.array.empty());
    CHECK(doc.sections[1].array_element);
    CHECK(doc.sections[1].entries[0].val.str == "one");
    CHECK(doc.sections[2].entries[0].val.str == "two");
    CHECK(doc.sections[2].pos.line == 20);
}

TEST_CASE("toml subset: integer limits", "[control][toml]")
{
    toml::document doc;
    toml::parse_error err;
    REQUIRE(toml::parse("[a]\nx = 9223372036854775807\ny = -9223372036854775808\n", doc, err));
    CHECK(doc.sections[0].entries[0].val.integer == INT64_MAX);
    CHECK(doc.sections[0].entries[1].val.integer == INT64_MIN);
    CHECK(parse_fails("[a]\nx = 9223372036854775808\n").message.find("out of range") !=
          std::string::npos);
}

TEST_CASE("toml subset: every syntax error names its line and column", "[control][toml]")
{
    struct bad {
        const char* text;
        int line;
        int column;
        const char* says;
    };
    const bad cases[] = {
        {"[a]\nx = \"open\n", 2, 5, "unterminated string"},
        {"[a]\nx = 1.5\n", 2, 5, "no floats"},
        {"[a]\nx = 1979-05-27\n", 2, 5, "no floats or dates"},
        {"[a]\nx = {y = 1}\n", 2, 5, "inline tables"},
        {"[a]\nx.y = 1\n", 2, 2, "dotted key"},
        {"[a]\n\"x\" = 1\n", 2, 1, "quoted key"},
        {"[a]\nx = 1\nx = 2\n", 3, 1, "duplicate key 'x' (first set at line 2)"},
        {"[a]\n[b]\n[a]\n", 3, 1, "already defined at line 1"},
        {"x = 1\n", 1, 1, "outside any [section]"},
        {"[a]\nx =\n", 2, 4, "missing value"},
        {"[a]\nx = 1 2\n", 2, 7, "after the value"},
        {"[a]\nx = yes\n", 2, 5, "booleans are true/false"},
        {"[a]\nx = [1, 'a']\n", 2, 9, "mixes integer and string"},
        {"[a]\nx = [1, 2\n", 2, 5, "unterminated array"},
        {"[a]\nx = [1 2]\n", 2, 8, "expected ',' or ']'"},
        {"[a\n", 1, 3, "expected ']'"},
        {"[[a]\n", 1, 4, "expected ']]'"},
        {"[a]\n[[a]]\n", 2, 1, "conflicts with the table [a] at line 1: write [a]"},
        {"[[a]]\n[a]\n", 2, 1, "conflicts with the array of tables [[a]] at line 1: write [[a]]"},
        {"[a]\nx = \"\\q\"\n", 2, 6, "unsupported escape"},
        {"[a]\nx = \"\"\"doc\"\"\"\n", 2, 5, "multi-line strings"},
        {"[a]\nx = [[[[[[[[[1]]]]]]]]]\n", 2, 13, "nested too deeply"},
        {"[a]\nx = 1_\n", 2, 5, "invalid value"},
        {"[a]\nx = 'a\x01'\n", 2, 7, "control character"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto const err = parse_fails(c.text);
        CHECK(err.pos.line == c.line);
        CHECK(err.pos.column == c.column);
        CHECK(err.message.find(c.says) != std::string::npos);
    }
}

TEST_CASE("toml subset: CRLF line ends parse like LF", "[control][toml]")
{
    toml::document doc;
    toml::parse_error err;
    REQUIRE(toml::parse("[a]\r\nx = 1\r\ny = 'z'\r\n", doc, err));
    REQUIRE(doc.sections[0].entries.size() == 2);
    CHECK(doc.sections[0].entries[1].val.str == "z");
    CHECK(doc.sections[0].entries[1].key_pos.line == 3);
}
