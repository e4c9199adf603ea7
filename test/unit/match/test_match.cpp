// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "match/database.hpp"

using namespace siehub;
using namespace siehub::match;
using match::test::view;
using match::test::wire;

namespace {

struct fixture {
    database db;
    scratch s;
    counter_block c;

    explicit fixture(const std::vector<std::string>& specs, action def = action::pass,
                     action act = action::drop)
        : db(compile(specs, def, act)), s(db)
    {
    }

    static database compile(const std::vector<std::string>& specs, action def, action act)
    {
        std::vector<rule> rules;
        for (std::size_t i = 0; i < specs.size(); ++i) {
            rules.push_back(parse_rule(specs[i], act, static_cast<std::uint32_t>(100 + i)));
        }
        return database::compile(rules, def);
    }

    verdict on(std::string_view name) { return db.match(view(wire(name)), s, c); }
    // The id of the rule that decided, or -1 for the default action.
    long hit(std::string_view name)
    {
        auto const v = on(name);
        return v.by == decided_by::rule ? static_cast<long>(v.rule_id) : -1;
    }
};

} // namespace

TEST_CASE("exact rules match the name only, in any case")
{
    fixture f({"exact:www.example.com"});
    CHECK(f.hit("www.example.com") == 100);
    CHECK(f.hit("WWW.Example.COM.") == 100);
    CHECK(f.on("www.example.com").act == action::drop);
    CHECK(f.hit("example.com") == -1);
    CHECK(f.hit("a.www.example.com") == -1);
    CHECK(f.hit("www.example.com.au") == -1);
    CHECK(f.hit("wwwxexample.com") == -1);
    CHECK(f.on("example.com").act == action::pass);
}

TEST_CASE("suffix rules match the name and everything below, on label boundaries")
{
    fixture f({"suffix:Example.com."});
    CHECK(f.hit("example.com") == 100);
    CHECK(f.hit("a.example.com") == 100);
    CHECK(f.hit("A.b.EXAMPLE.com") == 100);
    CHECK(f.hit("badexample.com") == -1);
    CHECK(f.hit("example.com.evil") == -1);
    CHECK(f.hit("com") == -1);
    // One label "a.example": not below example.com.
    CHECK(f.hit(R"(a\.example.com)") == -1);
    // Labels "a\" and "example": below.
    CHECK(f.hit(R"(a\\.example.com)") == 100);
    // One label "a\.example".
    CHECK(f.hit(R"(a\\\.example.com)") == -1);
    // Labels "a\\" and "example".
    CHECK(f.hit(R"(a\\\\.example.com)") == 100);
    // A label that is only an escaped dot.
    CHECK(f.hit(R"(\..example.com)") == 100);
}

TEST_CASE("escaped labels in rules and names")
{
    fixture f({R"(suffix:we\.ird.com)", R"(exact:a\000b.com)", R"(exact:\065bc.org)",
               R"(exact:sp\032ace.net)"});
    CHECK(f.hit(R"(x.we\.ird.com)") == 100);
    CHECK(f.hit(R"(we\046ird.com)") == 100); // \046 is '.'
    CHECK(f.hit("x.we.ird.com") == -1);
    CHECK(f.hit(R"(a\000b.com)") == 101);
    CHECK(f.hit(R"(a\001b.com)") == -1);
    CHECK(f.hit("abc.org") == 102); // rule byte 'A' folds to 'a'
    CHECK(f.hit(R"(\097BC.org)") == 102);
    CHECK(f.hit(R"(sp\ ace.net)") == 103);
    CHECK(f.hit("sp.ace.net") == -1);
}

TEST_CASE("the root")
{
    fixture exact({"exact:."});
    CHECK(exact.hit(".") == 100);
    CHECK(exact.hit("com") == -1);

    fixture all({"suffix:."});
    CHECK(all.hit(".") == 100);
    CHECK(all.hit("com") == 100);
    CHECK(all.hit(R"(\000.\255)") == 100);

    fixture com({"suffix:com", "regex:^com$"});
    CHECK(com.hit(".") == -1);
    CHECK(com.hit("com") == 100);

    std::string subject;
    REQUIRE(name_subject(view(wire(".")), subject));
    CHECK(subject == ".");
    REQUIRE(name_subject(view(wire("WwW.Example.Com.")), subject));
    CHECK(subject == "www.example.com");
}

TEST_CASE("255-byte names, and one byte more")
{
    std::string const l63(63, 'x');
    std::string const l61(61, 'y');
    std::string const longest = l63 + "." + l63 + "." + l63 + "." + l61;
    REQUIRE(wire(longest).size() == 255);
    fixture f({"exact:" + longest, "suffix:" + l63 + "." + l61, "regex:^x{63}\\.x{63}\\."});
    CHECK(f.hit(longest) == 100);
    CHECK(f.hit("a." + l63 + "." + l61) == 101);
    CHECK(f.hit(l63 + "." + l63 + ".z") == 102);

    // Every byte escaped as \DDD: the longest subject text stays within max_text_len.
    std::string const e63 = [] {
        std::string s;
        for (int i = 0; i < 63; ++i) {
            s += "\\255";
        }
        return s;
    }();
    std::string const worst = e63 + "." + e63 + "." + e63 + "." + e63.substr(0, 61 * 4);
    auto const w = wire(worst);
    REQUIRE(w.size() == 255);
    std::string subject;
    subject.reserve(max_text_len);
    auto const cap = subject.capacity();
    REQUIRE(name_subject(view(w), subject));
    CHECK(subject.size() == 250 * 4 + 3);
    CHECK(subject.capacity() == cap);
    fixture g({"exact:" + worst});
    CHECK(g.hit(worst) == 100);

    // 256 bytes: refused by the guardian, dropped as a bad name.
    std::vector<std::uint8_t> too_long = w;
    too_long.back() = 1;
    too_long.push_back('z');
    too_long.push_back(0);
    auto const v = f.db.match(view(too_long), f.s, f.c);
    CHECK(v.by == decided_by::bad_name);
    CHECK(v.act == action::drop);
}

TEST_CASE("regex rules search the lower-case presentation without the final dot")
{
    fixture f({R"(regex:^ns[0-9]+\.)", "regex:EXAMPLE", R"(regex:a\\\.b)", R"(regex:\\000)",
               R"(regex:org$)"});
    CHECK(f.hit("ns1.foo.net") == 100);
    CHECK(f.hit("NS12.foo.net") == 100);
    CHECK(f.hit("nsx.foo.net") == -1);
    CHECK(f.hit("www.Example.net") == 101);
    CHECK(f.hit(R"(a\.b.net)") == 102);
    CHECK(f.hit("a.b.net") == -1);
    CHECK(f.hit(R"(x\000y.net)") == 103);
    CHECK(f.hit("foo.org") == 104);
    CHECK(f.hit("org.foo") == -1);
}

TEST_CASE("the first rule in rule order decides, whichever Hyperscan reports first")
{
    std::vector<rule> rules{
        parse_rule("suffix:a.example.com", action::pass, 1),
        parse_rule("suffix:example.com", action::drop, 2),
        parse_rule("regex:^www", action::drop, 3),
        parse_rule("suffix:www.org", action::pass, 4),
    };
    auto db = database::compile(rules, action::pass);
    scratch s(db);
    counter_block c;
    auto v = db.match(view(wire("x.a.example.com")), s, c);
    CHECK((v.act == action::pass && v.rule_id == 1));
    v = db.match(view(wire("b.example.com")), s, c);
    CHECK((v.act == action::drop && v.rule_id == 2));
    // The regex hit comes at offset 3, the suffix hit at the end: the suffix rule is first.
    v = db.match(view(wire("www.a.example.com")), s, c);
    CHECK((v.act == action::pass && v.rule_id == 1));
    v = db.match(view(wire("www.org")), s, c);
    CHECK((v.act == action::drop && v.rule_id == 3));

    std::swap(rules[0], rules[1]);
    auto db2 = database::compile(rules, action::pass);
    scratch s2(db2);
    v = db2.match(view(wire("x.a.example.com")), s2, c);
    CHECK((v.act == action::drop && v.rule_id == 2));
}

TEST_CASE("default action, empty rule sets, bad names and counters")
{
    counter_block c;
    auto empty = database::compile({}, action::drop);
    CHECK(empty.rule_count() == 0);
    CHECK(empty.size_bytes() == 0);
    scratch es(empty);
    auto v = empty.match(view(wire("example.com")), es, c);
    CHECK((v.act == action::drop && v.by == decided_by::default_action));

    fixture f({"suffix:example.com"}, action::pass, action::drop);
    auto const a = wire("x.example.com");
    auto const b = wire("x.example.org");
    std::vector<std::uint8_t> const trailing = [&] {
        auto t = a;
        t.push_back(0);
        return t;
    }();
    std::vector<std::uint8_t> const pointer{0xc0, 0x00};
    std::vector<core::byte_view> names{view(a), view(b), view(trailing), view(pointer), view(a)};
    std::vector<verdict> out(names.size());
    f.db.match_burst(names, out, f.s, f.c);
    CHECK((out[0].act == action::drop && out[0].by == decided_by::rule));
    CHECK((out[1].act == action::pass && out[1].by == decided_by::default_action));
    CHECK((out[2].act == action::drop && out[2].by == decided_by::bad_name));
    CHECK((out[3].act == action::drop && out[3].by == decided_by::bad_name));
    CHECK((out[4].act == action::drop && out[4].by == decided_by::rule));
    CHECK(f.c.get(counter::names) == 5);
    CHECK(f.c.get(counter::rule_drop) == 2);
    CHECK(f.c.get(counter::default_pass) == 1);
    CHECK(f.c.get(counter::bad_name) == 2);
    CHECK(f.c.get(counter::rule_pass) == 0);
    CHECK(f.c.get(counter::scan_error) == 0);

    // A cloned scratch decides the same.
    scratch s2 = f.s.clone();
    CHECK(f.db.match(view(a), s2, f.c).by == decided_by::rule);
    CHECK(counter_table[static_cast<std::size_t>(counter::bad_name)].name ==
          std::string_view("match.bad_name"));
}

TEST_CASE("rule syntax errors name the rule")
{
    CHECK_THROWS_AS(parse_rule("nocolon", action::drop, 1), rule_error);
    CHECK_THROWS_WITH(parse_rule("glob:*.com", action::drop, 1), Catch::Contains("glob:*.com"));
    CHECK_THROWS_AS(parse_rule("exact:", action::drop, 1), rule_error);
    CHECK_THROWS_AS(parse_rule("suffix:a..b", action::drop, 1), rule_error);
    CHECK_THROWS_AS(parse_rule("exact:" + std::string(64, 'a') + ".com", action::drop, 1),
                    rule_error);
    auto const r = parse_rule("regex:^x", action::pass, 7);
    CHECK(r.kind == rule_kind::regex);
    CHECK(r.body == "^x");
    CHECK(r.text() == "regex:^x");
    CHECK(r.id == 7);
    CHECK(action_from_text("drop") == action::drop);
    CHECK(action_from_text("pass") == action::pass);
    CHECK(!action_from_text("DROP").has_value());
}

TEST_CASE("compile errors carry the rule index, its text and Hyperscan's message")
{
    std::vector<rule> rules{
        parse_rule("exact:example.com", action::drop, 1),
        parse_rule("regex:ok", action::drop, 2),
        parse_rule("regex:(unclosed", action::drop, 3),
    };
    try {
        (void)database::compile(rules, action::pass);
        FAIL("compiled a bad regex");
    } catch (const compile_error& e) {
        CHECK(e.index() == 2);
        CHECK(e.rule_text() == "regex:(unclosed");
        CHECK(!e.reason().empty());
        CHECK_THAT(std::string(e.what()), Catch::Contains("regex:(unclosed"));
    }
    // A regex that matches the empty string matches every name: Hyperscan refuses it.
    rules[2] = parse_rule("regex:a*", action::drop, 3);
    CHECK_THROWS_AS(database::compile(rules, action::pass), compile_error);
    // A rule built by hand, bypassing parse_rule's name check.
    rules[2] = rule{rule_kind::suffix, "a..b", action::drop, 3};
    try {
        (void)database::compile(rules, action::pass);
        FAIL("compiled a bad name");
    } catch (const compile_error& e) {
        CHECK(e.index() == 2);
        CHECK(e.rule_text() == "suffix:a..b");
    }
}

TEST_CASE("patterns: name bytes escaped, anchoring left to the match callback")
{
    CHECK(rule_to_pattern(parse_rule("exact:a-b.com", action::drop, 1)) == R"(a\x2db\x2ecom)");
    CHECK(rule_to_pattern(parse_rule(R"(suffix:A\.b.com.)", action::drop, 1)) ==
          R"(a\x5c\x2eb\x2ecom)");
    CHECK(rule_to_pattern(parse_rule("suffix:.", action::drop, 1)).empty());
    CHECK(rule_to_pattern(parse_rule("regex:^a.b", action::drop, 1)) == "^a.b");
}

TEST_CASE("a literal found early in the name does not hide the one at the end")
{
    // "com" occurs twice; the first occurrence is not at the end.
    fixture f({"suffix:com", "exact:com.com"});
    CHECK(f.hit("com.com") == 100);
    CHECK(f.hit("comx.com") == 100);
    CHECK(f.hit("com.comx") == -1);
    fixture g({"exact:com.com", "suffix:com"});
    CHECK(g.hit("com.com") == 100);
    CHECK(g.hit("com.com.com") == 101);
    CHECK(g.hit("xcom.com") == 101);
    // Exact needs the whole subject, suffix a real separator before it.
    fixture h({"exact:b.com", "suffix:b.com"});
    CHECK(h.hit("ab.com") == -1);
    CHECK(h.hit("a.b.com") == 101);
    CHECK(h.hit("b.com") == 100);
}
