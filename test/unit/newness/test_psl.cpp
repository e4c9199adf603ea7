// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "newness/psl_list.hpp"
#include "newness/psl_table.hpp"
#include "psl_test_util.hpp"

using namespace siehub::newness;
using siehub::newness::test::to_dotted;
using siehub::newness::test::to_wire;

namespace {

constexpr const char* small_list = R"(// a header comment
// ===BEGIN ICANN DOMAINS===
com
uk
co.uk
jp
kawasaki.jp
*.kawasaki.jp
!city.kawasaki.jp
*.ck
!www.ck
name
forgot.his.name
公司.cn
   net   trailing text is ignored
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
blogspot.com
*.compute.example.net
// ===END PRIVATE DOMAINS===
)";

struct answer {
    base_status status;
    std::string base; // dotted base domain when ok
};

answer ask(const psl_table& t, std::string_view dotted)
{
    auto const w = to_wire(dotted);
    base_result const r = t.lookup(w);
    answer a{r.status, {}};
    if (r.ok()) {
        a.base = to_dotted(r.base(w));
        CHECK(r.base_offset < r.suffix_offset);
    }
    if (r.ok() || r.status == base_status::public_suffix) {
        CHECK(r.wire_length == w.size());
    }
    return a;
}

load_result load_small()
{
    load_result l = parse_psl(small_list);
    REQUIRE(l.ok());
    return l;
}

} // namespace

TEST_CASE("psl list: sections, kinds, A-labels, lines", "[psl]")
{
    load_result const l = load_small();
    REQUIRE(l.rules.size() == 15);
    CHECK(l.icann_rules == 13);
    CHECK(l.private_rules == 2);
    CHECK(l.rules[0].name == "com");
    CHECK(l.rules[0].line == 3);
    CHECK(l.rules[5].kind == rule_kind::wildcard);
    CHECK(l.rules[5].name == "kawasaki.jp");
    CHECK(l.rules[6].kind == rule_kind::exception);
    CHECK(l.rules[6].name == "city.kawasaki.jp");
    CHECK(l.rules[11].name == "xn--55qx5d.cn");
    CHECK(l.rules[12].name == "net");
    CHECK(l.rules[12].line == 15);
    CHECK(l.rules[12].section == psl_section::icann);
    CHECK(l.rules[13].section == psl_section::private_domains);
    CHECK(l.rules[13].name == "blogspot.com");
}

TEST_CASE("psl list: malformed rules name their line", "[psl]")
{
    auto check = [](std::string_view text, load_status st, std::uint32_t line) {
        load_result const l = parse_psl(text);
        CHECK(l.status == st);
        CHECK(l.line == line);
    };
    check("com\n..com\n", load_status::empty_label, 2);
    check("com\nfoo.\n", load_status::empty_label, 2);
    check("// c\n\nfoo.*.bar\n", load_status::bad_wildcard, 3);
    check("*foo.bar\n", load_status::bad_wildcard, 1);
    check("!*.foo\n", load_status::bad_wildcard, 1);
    check("com\nfoo/bar.com\n", load_status::bad_character, 2);
    check("a.\xc3\n", load_status::bad_utf8, 1);
    check(std::string(64, 'a') + ".com\n", load_status::label_too_long, 1);
    std::string long_name;
    for (int i = 0; i < 5; ++i) {
        long_name += std::string(60, 'a') + ".";
    }
    check(long_name + "com\n", load_status::name_too_long, 1);
    check("// only comments\n", load_status::no_rules, 0);
    CHECK(std::string(to_string(load_status::bad_wildcard)) == "bad_wildcard");
    CHECK(load_psl_file("/nonexistent/psl.dat").status == load_status::cannot_open);
}

TEST_CASE("psl table: prevailing rules with libpsl semantics", "[psl]")
{
    load_result const l = load_small();
    psl_table const t(l.rules, psl_options{});
    CHECK(t.rules() == 15);
    CHECK(t.max_rule_labels() == 3);

    CHECK(ask(t, "www.example.com").base == "example.com");
    CHECK(ask(t, "example.com").base == "example.com");
    CHECK(ask(t, "com").status == base_status::public_suffix);
    // the default rule: an unlisted TLD is public
    CHECK(ask(t, "a.b.example.zz").base == "example.zz");
    CHECK(ask(t, "zz").status == base_status::public_suffix);
    // multi-label suffix
    CHECK(ask(t, "www.bbc.co.uk").base == "bbc.co.uk");
    CHECK(ask(t, "co.uk").status == base_status::public_suffix);
    CHECK(ask(t, "other.uk").base == "other.uk");
    // wildcards and exceptions
    CHECK(ask(t, "a.b.foo.kawasaki.jp").base == "b.foo.kawasaki.jp");
    CHECK(ask(t, "foo.kawasaki.jp").status == base_status::public_suffix);
    CHECK(ask(t, "kawasaki.jp").status == base_status::public_suffix);
    CHECK(ask(t, "city.kawasaki.jp").base == "city.kawasaki.jp");
    CHECK(ask(t, "www.city.kawasaki.jp").base == "city.kawasaki.jp");
    CHECK(ask(t, "www.ck").base == "www.ck");
    CHECK(ask(t, "a.www.ck").base == "www.ck");
    CHECK(ask(t, "b.other.ck").base == "b.other.ck");
    CHECK(ask(t, "other.ck").status == base_status::public_suffix);
    // a rule whose parent is not a rule
    CHECK(ask(t, "x.forgot.his.name").base == "x.forgot.his.name");
    CHECK(ask(t, "forgot.his.name").status == base_status::public_suffix);
    CHECK(ask(t, "his.name").base == "his.name");
    // IDN as A-labels
    CHECK(ask(t, "shop.xn--55qx5d.cn").base == "shop.xn--55qx5d.cn");
    // private section
    CHECK(ask(t, "me.blogspot.com").base == "me.blogspot.com");
    CHECK(ask(t, "a.b.c.compute.example.net").base == "b.c.compute.example.net");
    // case does not matter, and the answer is a suffix of the input bytes
    auto const w = to_wire("WWW.BBC.Co.UK");
    base_result const r = t.lookup(w);
    REQUIRE(r.ok());
    CHECK(r.base_offset == 4);
    CHECK(r.suffix_offset == 8);
    CHECK(r.labels == 4);
    CHECK(r.base(w).data() == w.data() + 4);
    CHECK(to_dotted(r.base(w)) == "bbc.co.uk");
}

TEST_CASE("psl table: private section off", "[psl]")
{
    load_result const l = load_small();
    psl_table const t(l.rules, psl_options{.private_domains = false, .star_rule = true});
    CHECK(t.rules() == 13);
    CHECK(ask(t, "me.blogspot.com").base == "blogspot.com");
    CHECK(ask(t, "blogspot.com").base == "blogspot.com");
    CHECK(ask(t, "a.b.c.compute.example.net").base == "example.net");
    CHECK(ask(t, "www.bbc.co.uk").base == "bbc.co.uk");
}

TEST_CASE("psl table: star rule off reports unlisted TLDs", "[psl]")
{
    load_result const l = load_small();
    psl_table const t(l.rules, psl_options{.private_domains = true, .star_rule = false});
    CHECK(ask(t, "host.corp.internal").status == base_status::unlisted_tld);
    CHECK(ask(t, "internal").status == base_status::unlisted_tld);
    CHECK(ask(t, "www.example.com").base == "example.com");
    CHECK(ask(t, "other.ck").status == base_status::public_suffix); // wildcard root
    CHECK(ask(t, "x.y.ck").base == "x.y.ck");
    CHECK(std::string(to_string(base_status::unlisted_tld)) == "unlisted_tld");
}

TEST_CASE("psl table: bad names are reported, never read past", "[psl]")
{
    load_result const l = load_small();
    psl_table const t(l.rules, psl_options{});
    auto status = [&](std::vector<std::uint8_t> const& w) { return t.lookup(w).status; };
    CHECK(status({}) == base_status::truncated);
    CHECK(status({3, 'c', 'o', 'm'}) == base_status::truncated);
    CHECK(status({7, 'e', 'x'}) == base_status::truncated);
    CHECK(status({0}) == base_status::root_name);
    CHECK(status({0xc0, 0x0c}) == base_status::bad_label);
    CHECK(status({0x40, 0}) == base_status::bad_label);
    CHECK(status({64}) == base_status::bad_label);
    // 4 x 63-byte labels = 256 bytes of labels: over 255 with the root
    std::vector<std::uint8_t> big;
    for (int i = 0; i < 4; ++i) {
        big.push_back(63);
        big.insert(big.end(), 63, 'a');
    }
    big.push_back(0);
    CHECK(status(big) == base_status::name_too_long);
    // 255 exactly is fine: 3 x (1 + 63) + (1 + 57) + (1 + 3) + root
    std::vector<std::uint8_t> max;
    for (int i = 0; i < 3; ++i) {
        max.push_back(63);
        max.insert(max.end(), 63, 'a');
    }
    max.push_back(57);
    max.insert(max.end(), 57, 'b');
    max.push_back(3);
    max.insert(max.end(), {'c', 'o', 'm'});
    max.push_back(0);
    REQUIRE(max.size() == 255);
    base_result const r = t.lookup(max);
    CHECK(r.ok());
    CHECK(r.wire_length == 255);
    CHECK(r.base_offset == 3 * 64);
    // bytes after the root are not part of the name
    std::vector<std::uint8_t> trailing = to_wire("a.example.com");
    trailing.insert(trailing.end(), {0xc0, 0xff, 0x01});
    CHECK(t.lookup(trailing).ok());
    CHECK(t.lookup(trailing).wire_length == 15);
    // an empty table still applies the default rule
    psl_table const empty;
    CHECK(ask(empty, "a.b.example").base == "b.example");
}

TEST_CASE("psl: the installed list loads and compiles", "[psl]")
{
    load_result const l = load_psl_file();
    REQUIRE(l.ok());
    CHECK(l.icann_rules > 6000);
    CHECK(l.private_rules > 1000);
    psl_table const t(l.rules, psl_options{});
    CHECK(ask(t, "www.bbc.co.uk").base == "bbc.co.uk");
    CHECK(ask(t, "wa409c.snr.whatsapp.net").base == "whatsapp.net");
    CHECK(ask(t, "foo.blogspot.com").base == "foo.blogspot.com");
    CHECK(ask(t, "1.2.3.4.in-addr.arpa").base == "4.in-addr.arpa");
    CHECK(ask(t, "www.xn--55qx5d.cn").base == "www.xn--55qx5d.cn");
}
