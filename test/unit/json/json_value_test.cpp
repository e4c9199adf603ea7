// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "proto/json/json_value.hpp"

using namespace siehub;

namespace {
std::string esc(std::string_view s)
{
    std::string out;
    json::append_escaped(out, s);
    return out;
}
std::string dbl(double v)
{
    std::string out;
    json::append_double(out, v);
    return out;
}
std::string str_field(std::vector<std::uint8_t> b)
{
    std::string out;
    json::append_string_field(out, b);
    return out;
}
std::string b64(std::string_view s)
{
    std::string out;
    json::append_base64(out, core::as_bytes(s));
    return out;
}
} // namespace

TEST_CASE("escaping follows nmsgtool 12.4", "[json]")
{
    CHECK(esc("plain/text\x7f") == "plain/text\x7f");
    CHECK(esc("\b\f\n\r\t\"\\") == "\\b\\f\\n\\r\\t\\\"\\\\");
    CHECK(esc(std::string_view("\x01\x1f\x00", 3)) == "\\u0001\\u001f\\u0000");
    CHECK(esc("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("string fields repair UTF-8 and stop at NUL", "[json]")
{
    // quirks.jsonl line 6: 6b 01 ff 22 71 -> k \u0001 ef bf bd \" q
    CHECK(str_field({0x6b, 0x01, 0xff, 0x22, 0x71}) == "\"k\\u0001\xef\xbf\xbd\\\"q\"");
    CHECK(str_field({'c', 'a', 'f', 0xc3, 0xa9, 0x00}) == "\"caf\xc3\xa9\"");
    CHECK(str_field({'a', 0x00, 'b'}) == "\"a\"");
    CHECK(str_field({}) == "\"\"");
    // lone continuation bytes: one replacement each
    CHECK(str_field({0x80, 0x80}) == "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    // overlong c0 80: both bytes invalid
    CHECK(str_field({0xc0, 0x80}) == "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    // e0 followed by < a0 is overlong: e0 and the continuation each replaced
    CHECK(str_field({0xe0, 0x80, 0x80}) == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    // f0 followed by < 90 is overlong
    CHECK(str_field({0xf0, 0x8f, 'a'}) == "\"\xef\xbf\xbd\xef\xbf\xbd" "a\"");
    // truncated sequence: one replacement for the maximal subpart
    CHECK(str_field({0xe2, 0x82, 'x'}) == "\"\xef\xbf\xbdx\"");
    CHECK(str_field({0xf0, 0x9f, 0x98}) == "\"\xef\xbf\xbd\"");
    // valid 4-byte sequence kept
    CHECK(str_field({0xf0, 0x9f, 0x98, 0x80}) == "\"\xf0\x9f\x98\x80\"");
}

TEST_CASE("doubles print as %.18f trimmed", "[json]")
{
    CHECK(dbl(0.000386) == "0.000386");
    CHECK(dbl(1.0) == "1.0");
    CHECK(dbl(-1.25) == "-1.25");
    CHECK(dbl(0.0) == "0.0");
    CHECK(dbl(3.025386) == "3.025386000000000131");
    CHECK(dbl(0.000227) == "0.000227");
    CHECK(dbl(1e20) == "100000000000000000000.0");
}

TEST_CASE("integers: unsigned rendering of negatives", "[json]")
{
    std::string out;
    json::append_i64_as_unsigned(out, -1);
    CHECK(out == "18446744073709551615");
    out.clear();
    json::append_i64_as_unsigned(out, -5);
    CHECK(out == "18446744073709551611");
    out.clear();
    json::append_u64(out, 1795382103);
    CHECK(out == "1795382103");
}

TEST_CASE("base64 encode/decode", "[json]")
{
    CHECK(b64("") == "");
    CHECK(b64("f") == "Zg==");
    CHECK(b64("fo") == "Zm8=");
    CHECK(b64("foo") == "Zm9v");
    CHECK(b64("{\"heartbeat\":0,\"hub\":\"siehub-1\"}") ==
          "eyJoZWFydGJlYXQiOjAsImh1YiI6InNpZWh1Yi0xIn0=");
    std::array<std::uint8_t, 8> buf{};
    CHECK(json::base64_decode("Zm8=", buf) == 2);
    CHECK(buf[0] == 'f');
    CHECK(buf[1] == 'o');
    CHECK(json::base64_decode("Zm9v", buf) == 3);
    CHECK(json::base64_decode("", buf) == 0);
    CHECK(json::base64_decode("Zm8", buf) == -1);
    CHECK(json::base64_decode("Zm=v", buf) == -1);
    CHECK(json::base64_decode("Z===", buf) == -1);
    CHECK(json::base64_decode("Zm9v!A==", buf) == -1);
    CHECK(json::base64_decode("Zm8=Zm8=", buf) == -1); // padding only at the end
    std::array<std::uint8_t, 2> small{};
    CHECK(json::base64_decode("Zm9v", small) == -1);
}

TEST_CASE("ip text or null", "[json]")
{
    auto ip = [](std::vector<std::uint8_t> b) {
        std::string out;
        json::append_ip_or_null(out, b);
        return out;
    };
    CHECK(ip({192, 0, 2, 53}) == "\"192.0.2.53\"");
    CHECK(ip({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53}) == "\"2001:db8::53\"");
    CHECK(ip({}) == "null");
    CHECK(ip({1, 2, 3, 4, 5}) == "null");
    std::array<std::uint8_t, 16> out{};
    CHECK(json::parse_ip("198.51.100.7", out) == 4);
    CHECK(out[3] == 7);
    CHECK(json::parse_ip("2001:db8::1", out) == 16);
    CHECK(out[15] == 1);
    CHECK(json::parse_ip("1.2.3", out) == 0);
    CHECK(json::parse_ip("", out) == 0);
}

TEST_CASE("times", "[json]")
{
    std::string out;
    json::append_payload_time(out, 1795382103, 812584000);
    CHECK(out == "\"2026-11-22 21:15:03.812584000\"");
    out.clear();
    json::append_payload_time(out, -1, 999999999);
    CHECK(out == "\"1969-12-31 23:59:59.999999999\"");
    out.clear();
    json::append_sie_time(out, 0);
    CHECK(out == "\"1970-01-01 00:00:00\"");
    out.clear();
    json::append_sie_time(out, 4294967295u);
    CHECK(out == "\"2106-02-07 06:28:15\"");
    out.clear();
    json::append_source(out, 0xabcd);
    CHECK(out == "\"0000abcd\"");

    std::uint32_t s = 0;
    CHECK(json::parse_sie_time("2106-02-07 06:28:15", s));
    CHECK(s == 4294967295u);
    CHECK(json::parse_sie_time("1970-01-01 00:00:00", s));
    CHECK(s == 0);
    CHECK_FALSE(json::parse_sie_time("2106-02-07 06:28:16", s));
    CHECK_FALSE(json::parse_sie_time("1969-12-31 23:59:59", s));
    CHECK_FALSE(json::parse_sie_time("2026-11-22T21:15:03", s));
    CHECK_FALSE(json::parse_sie_time("2026-11-22 21:15:03x", s));

    std::int64_t sec = 0;
    std::uint32_t ns = 0;
    CHECK(json::parse_payload_time("1969-12-31 23:59:59.999999999", sec, ns));
    CHECK(sec == -1);
    CHECK(ns == 999999999);
    CHECK(json::parse_payload_time("2026-11-22 21:15:03.5", sec, ns));
    CHECK(sec == 1795382103);
    CHECK(ns == 5); // nmsgtool quirk: the fraction is an integer count of ns
    CHECK(json::parse_payload_time("2026-11-22 21:15:03", sec, ns));
    CHECK(ns == 0);
    CHECK_FALSE(json::parse_payload_time("2026-11-22 21:15:03.1234567890", sec, ns));
    CHECK_FALSE(json::parse_payload_time("2026-11-22 21:15:03.", sec, ns));
}

TEST_CASE("the one escaper: every byte as §12.4 says, for -J lines and dnsqr JSON alike", "[json]")
{
    for (unsigned c = 0; c < 256; ++c) {
        std::string const in(1, static_cast<char>(c));
        static const std::pair<unsigned, const char*> named[] = {
            {'\b', "\\b"}, {'\f', "\\f"}, {'\n', "\\n"},  {'\r', "\\r"},
            {'\t', "\\t"}, {'"', "\\\""}, {'\\', "\\\\"},
        };
        std::string want = in;
        if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            want = buf;
        }
        for (auto [byte, text] : named) {
            if (byte == c) {
                want = text;
            }
        }
        INFO("byte " << c);
        CHECK(esc(in) == want);
        std::string d;
        dns::json_escape(in, d);
        CHECK(d == want);
        // Runs around an escape are copied whole.
        CHECK(esc("ab" + in + "cd") == "ab" + want + "cd");
    }
}
