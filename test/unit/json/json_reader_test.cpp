// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>

#include "proto/json/json_reader.hpp"

using namespace siehub::json;

TEST_CASE("reader builds a DOM", "[json]")
{
    document d;
    REQUIRE(d.parse(R"( {"a":1,"b":[true,false,null],"c":"x\u00e9\ud83d\ude00","d":-2.5} )") ==
            read_error::none);
    const node& r = d.root();
    REQUIRE(r.kind == value_kind::object);
    CHECK(r.child_count == 4);
    const node* a = d.find(r, "a");
    REQUIRE(a != nullptr);
    CHECK(a->is_integer);
    CHECK(a->u64 == 1);
    const node* b = d.find(r, "b");
    REQUIRE(b != nullptr);
    CHECK(b->kind == value_kind::array);
    CHECK(b->child_count == 3);
    const node* e = d.first(*b);
    CHECK(e->boolean);
    e = d.next(*e);
    CHECK(!e->boolean);
    e = d.next(*e);
    CHECK(e->kind == value_kind::null);
    CHECK(d.next(*e) == nullptr);
    const node* c = d.find(r, "c");
    CHECK(d.str(*c) == "x\xc3\xa9\xf0\x9f\x98\x80");
    const node* dd = d.find(r, "d");
    CHECK(!dd->is_integer);
    CHECK(dd->real == -2.5);
    CHECK(d.text(*b) == "[true,false,null]");
    CHECK(d.find(r, "zz") == nullptr);
}

TEST_CASE("reader: exact 64-bit integers", "[json]")
{
    document d;
    REQUIRE(d.parse("[18446744073709551615,-9223372036854775808,18446744073709551616,-0]") ==
            read_error::none);
    const node* n = d.first(d.root());
    CHECK(n->is_integer);
    CHECK(n->u64 == 18446744073709551615ull);
    n = d.next(*n);
    CHECK(n->is_integer);
    CHECK(n->negative);
    CHECK(n->i64 == INT64_MIN);
    n = d.next(*n);
    CHECK_FALSE(n->is_integer); // beyond uint64: only the double
    n = d.next(*n);
    CHECK(n->is_integer);
    CHECK_FALSE(n->negative);
}

TEST_CASE("reader is strict", "[json]")
{
    document d;
    CHECK(d.parse("") == read_error::unexpected_end);
    CHECK(d.parse("{") == read_error::unexpected_end);
    CHECK(d.parse("{\"a\":1,}") == read_error::unexpected_char);
    CHECK(d.parse("[1,]") == read_error::unexpected_char);
    CHECK(d.parse("{'a':1}") == read_error::unexpected_char);
    CHECK(d.parse("01") == read_error::bad_number);
    CHECK(d.parse("1.") == read_error::bad_number);
    CHECK(d.parse("-") == read_error::unexpected_end);
    CHECK(d.parse("tru") == read_error::unexpected_end);
    CHECK(d.parse("trux") == read_error::bad_literal);
    CHECK(d.parse("\"a\nb\"") == read_error::bad_string);
    CHECK(d.parse("\"\\x\"") == read_error::bad_escape);
    CHECK(d.parse("\"\\u12\"") == read_error::bad_escape);
    CHECK(d.parse("\"\\ud800\"") == read_error::bad_surrogate);
    CHECK(d.parse("\"\\udc00\"") == read_error::bad_surrogate);
    CHECK(d.parse("1 2") == read_error::trailing_data);
    CHECK(d.parse("{} x") == read_error::trailing_data);
    CHECK(std::string(to_string(read_error::bad_surrogate)) == "bad_surrogate");
}

TEST_CASE("reader limits", "[json]")
{
    document d(reader_limits{64, 8, 3});
    CHECK(d.parse("[[[1]]]") == read_error::none);
    CHECK(d.parse("[[[[1]]]]") == read_error::too_deep);
    CHECK(d.parse("[1,2,3,4,5,6,7,8]") == read_error::too_many_nodes);
    CHECK(d.parse(std::string(65, ' ')) == read_error::too_long);
    // after an error the document is usable again
    CHECK(d.parse("[1]") == read_error::none);
    CHECK(d.root().child_count == 1);
}
