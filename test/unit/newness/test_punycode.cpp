// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>

#include "newness/punycode.hpp"

using namespace siehub::newness;

namespace {

std::string a_label(std::string_view u)
{
    std::string out;
    REQUIRE(to_a_label(u, out) == idna_status::ok);
    return out;
}

} // namespace

TEST_CASE("punycode: RFC 3492 section 7.1 samples", "[punycode]")
{
    // (A) Arabic (Egyptian)
    std::u32string const arabic = {0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628,
                                   0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634,
                                   0x0639, 0x0631, 0x0628, 0x064A, 0x061F};
    std::string out;
    REQUIRE(punycode_encode(arabic, out) == idna_status::ok);
    CHECK(out == "egbpdaj6bu4bxfgehfvwxn");
    // (B) Chinese (simplified)
    out.clear();
    REQUIRE(punycode_encode(U"\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587", out) ==
            idna_status::ok);
    CHECK(out == "ihqwcrb4cv8a8dqg056pqjye");
    // (L) mixed basic and non-basic: basic code points are lowercased here
    out.clear();
    REQUIRE(punycode_encode(U"3\u5E74B\u7D44\u91D1\u516B\u5148\u751F", out) == idna_status::ok);
    CHECK(out == "3b-ww4c5e180e575a65lsy2b");
    // (S) only basic code points: the delimiter still ends them
    out.clear();
    REQUIRE(punycode_encode(U"-> $1.00 <-", out) == idna_status::ok);
    CHECK(out == "-> $1.00 <--");
}

TEST_CASE("punycode: A-labels of PSL U-labels", "[punycode]")
{
    CHECK(a_label("公司") == "xn--55qx5d");
    CHECK(a_label("中国") == "xn--fiqs8s");
    CHECK(a_label("bücher") == "xn--bcher-kva");
    CHECK(a_label("aéroport") == "xn--aroport-bya");
    CHECK(a_label("Example") == "example");
}

TEST_CASE("punycode: bad UTF-8 and over-long labels are refused", "[punycode]")
{
    std::string out = "keep";
    CHECK(to_a_label("\xc3", out) == idna_status::bad_utf8);             // truncated
    CHECK(to_a_label("\xc0\xaf", out) == idna_status::bad_utf8);         // overlong '/'
    CHECK(to_a_label("\xed\xa0\x80", out) == idna_status::bad_utf8);     // surrogate
    CHECK(to_a_label("\xf4\x90\x80\x80", out) == idna_status::bad_utf8); // > U+10FFFF
    CHECK(to_a_label(std::string(64, 'a'), out) == idna_status::label_too_long);
    // 60 basic code points + one non-basic: "xn--" + 60 + "-" + digits > 63
    std::string const longu = std::string(60, 'a') + "ü";
    CHECK(to_a_label(longu, out) == idna_status::label_too_long);
    CHECK(out == "keep"); // nothing half-written
    CHECK(std::string(to_string(idna_status::bad_utf8)) == "bad_utf8");
}
