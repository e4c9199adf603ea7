// SPDX-License-Identifier: Apache-2.0
// The name guardian: every rule and every error reason, on crafted bytes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns_test_util.hpp"
#include "proto/dns/name.hpp"

using namespace siehub;
using namespace siehub::dns;
using dns_test::name_text;
using dns_test::wire;
using bytes = std::vector<std::uint8_t>;

namespace {

// A 12-byte fake header followed by `tail`, so offsets look like a real message.
bytes msg(bytes tail)
{
    bytes m(12, 0);
    m.insert(m.end(), tail.begin(), tail.end());
    return m;
}

bytes labels_of(std::size_t label_len, std::size_t count)
{
    bytes b;
    for (std::size_t i = 0; i < count; ++i) {
        b.push_back(static_cast<std::uint8_t>(label_len));
        b.insert(b.end(), label_len, 'a');
    }
    b.push_back(0);
    return b;
}

} // namespace

TEST_CASE("name: plain and compressed names, end offset in place", "[dns][name]")
{
    // 12: www.example.com. ; 29: mail + pointer to example.com (offset 16)
    auto m = msg({3,   'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p',  'l', 'e', 3,
                  'c', 'o', 'm', 0,   4, 'm', 'a', 'i', 'l', 0xC0, 16,  0xFF});
    auto r = scan_name(m, 12);
    REQUIRE(r.ok());
    CHECK(r.end == 29);
    CHECK(r.wire_len == 17);
    CHECK(r.labels == 3);
    name_buffer nb;
    r = read_name(m, 29, nb);
    REQUIRE(r.ok());
    CHECK(r.end == 36); // after the pointer, not after what it points to
    CHECK(r.labels == 3);
    CHECK(name_text({nb.data(), r.wire_len}) == "mail.example.com.");
}

TEST_CASE("name: pointer rules", "[dns][name]")
{
    SECTION("forward pointer")
    {
        auto m = msg({0xC0, 14, 0, 0});
        CHECK(scan_name(m, 12).err == errc::pointer_forward);
    }
    SECTION("pointer to itself")
    {
        auto m = msg({0xC0, 12});
        CHECK(scan_name(m, 12).err == errc::pointer_loop);
    }
    SECTION("pointer back into its own label run")
    {
        auto m = msg({1, 'a', 0xC0, 12});
        CHECK(scan_name(m, 12).err == errc::pointer_loop);
    }
    SECTION("two pointers that would loop")
    {
        // 12 -> 14 and 14 -> 12: from 14, the second jump goes forward.
        auto m = msg({0xC0, 14, 0xC0, 12});
        CHECK(scan_name(m, 14).err == errc::pointer_forward);
        CHECK(scan_name(m, 12).err == errc::pointer_forward);
    }
    SECTION("pointer into a label run that a jump started")
    {
        // 12: "a" root ; 15: "b" -> 12 ; 19: -> 17, itself a pointer to 12.
        auto m = msg({1, 'a', 0, 1, 'b', 0xC0, 12, 0xC0, 17});
        auto r = scan_name(m, 19);
        REQUIRE(r.ok()); // 19 -> 17 (pointer) -> 12: strictly backwards each time
        CHECK(r.labels == 1);
    }
    SECTION("hop limit")
    {
        // Offset 0 is the root; each pointer at 2k+1 points at the one before it.
        auto chain = [](std::size_t hops) {
            bytes b{0};
            for (std::size_t i = 0; i < hops; ++i) {
                std::size_t const target = i == 0 ? 0 : 2 * i - 1;
                b.push_back(static_cast<std::uint8_t>(0xC0 | (target >> 8)));
                b.push_back(static_cast<std::uint8_t>(target));
            }
            return b;
        };
        auto ok = chain(max_pointer_hops);
        CHECK(scan_name(ok, ok.size() - 2).ok());
        auto bad = chain(max_pointer_hops + 1);
        CHECK(scan_name(bad, bad.size() - 2).err == errc::pointer_hops);
    }
    SECTION("truncated pointer")
    {
        auto m = msg({0xC0});
        CHECK(scan_name(m, 12).err == errc::name_truncated);
    }
    SECTION("uncompressed names refuse pointers")
    {
        bytes b{1, 'a', 0xC0, 0};
        CHECK(check_name(b).err == errc::pointer_not_allowed);
    }
}

TEST_CASE("name: label and length rules", "[dns][name]")
{
    // On the wire a 64 length byte is the 0x40 label type: rejected as such.
    auto l64 = labels_of(64, 1);
    CHECK(check_name(l64).err == errc::bad_label_type);
    bytes b80{0x80, 'a', 0};
    CHECK(check_name(b80).err == errc::bad_label_type);
    CHECK(check_name(labels_of(63, 1)).ok());
    // 4 x 63-byte labels = 257 bytes: too long; 3 x 63 + 61 = 255: the maximum.
    CHECK(check_name(labels_of(63, 4)).err == errc::name_too_long);
    bytes max = labels_of(63, 3);
    max.pop_back();
    max.push_back(61);
    max.insert(max.end(), 61, 'b');
    max.push_back(0);
    REQUIRE(max.size() == 255);
    auto r = check_name(max);
    REQUIRE(r.ok());
    CHECK(r.wire_len == 255);
    max.insert(max.end() - 1, 'c');
    max[192] = 62;
    CHECK(check_name(max).err == errc::name_too_long);
    // Too long through compression: 200 bytes in place + a pointer to 63 more.
    bytes m = labels_of(62, 1);
    bytes tail = labels_of(49, 4);
    tail.pop_back();
    tail.push_back(0xC0);
    tail.push_back(0);
    m.insert(m.end(), tail.begin(), tail.end());
    CHECK(scan_name(m, 64).err == errc::name_too_long);
    // Truncated inside a label, and before any root.
    CHECK(check_name(bytes{3, 'a', 'b'}).err == errc::name_truncated);
    CHECK(check_name(bytes{1, 'a'}).err == errc::name_truncated);
    CHECK(check_name(bytes{}).err == errc::name_truncated);
    CHECK(validate_name(bytes{1, 'a', 0, 7}) == errc::name_trailing_bytes);
    CHECK(validate_name(bytes{0}) == errc::ok);
}

TEST_CASE("name: presentation text to wire", "[dns][name]")
{
    name_buffer nb;
    auto r = from_text("a\\.b.sp\\032ace.\\195x.back\\\\.example.", nb);
    REQUIRE(r.ok());
    bytes const want{3,   'a', '.', 'b', 6,    's', 'p', ' ', 'a', 'c', 'e', 2,   195, 'x', 5,
                     'b', 'a', 'c', 'k', '\\', 7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    CHECK(bytes(nb.begin(), nb.begin() + r.wire_len) == want);
    CHECK(r.labels == 5);
    r = from_text(".", nb);
    REQUIRE(r.ok());
    CHECK(r.wire_len == 1);
    auto const origin = wire("example.com.");
    r = from_text("www", nb, origin);
    REQUIRE(r.ok());
    CHECK(name_text({nb.data(), r.wire_len}) == "www.example.com.");
    r = from_text("www.", nb, origin); // absolute: origin ignored
    CHECK(name_text({nb.data(), r.wire_len}) == "www.");
    r = from_text("www", nb); // relative without origin: root
    CHECK(name_text({nb.data(), r.wire_len}) == "www.");
    CHECK(from_text("", nb).err == errc::text_empty);
    CHECK(from_text("a..b", nb).err == errc::text_empty_label);
    CHECK(from_text(".a", nb).err == errc::text_empty_label);
    CHECK(from_text("a\\", nb).err == errc::text_bad_escape);
    CHECK(from_text("a\\25", nb).err == errc::text_bad_escape);
    CHECK(from_text("a\\256", nb).err == errc::text_bad_escape);
    CHECK(from_text(std::string(64, 'x') + ".", nb).err == errc::label_too_long);
    CHECK(from_text(std::string(63, 'x') + ".", nb).ok());
    std::string l = std::string(63, 'x') + ".";
    CHECK(from_text(l + l + l + std::string(61, 'y') + ".", nb).ok());
    CHECK(from_text(l + l + l + std::string(62, 'y') + ".", nb).err == errc::name_too_long);
    CHECK(from_text(l + l + l + "yy", nb, wire(std::string(60, 'z') + ".")).err ==
          errc::name_too_long);
}

TEST_CASE("name: canonical order, equality, labels, subdomains", "[dns][name]")
{
    // RFC 4034 §6.1's example, in canonical order.
    std::vector<std::string> const order{
        "example.",         "a.example.",      "yljkjljk.a.example.",
        "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
        "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
    for (std::size_t i = 0; i < order.size(); ++i) {
        for (std::size_t j = 0; j < order.size(); ++j) {
            INFO(order[i] << " vs " << order[j]);
            int const c = compare_canonical(wire(order[i]), wire(order[j]));
            CHECK((c < 0) == (i < j));
            CHECK((c == 0) == (i == j));
        }
    }
    CHECK(equal_canonical(wire("WWW.Example.COM."), wire("www.example.com.")));
    CHECK_FALSE(equal_canonical(wire("www.example.com."), wire("ww.example.com.")));
    name_buffer nb;
    auto r = canonicalize(wire("WwW.ExAmPlE.CoM."), nb);
    REQUIRE(r.ok());
    CHECK(name_text({nb.data(), r.wire_len}) == "www.example.com.");
    CHECK(count_labels(wire(".")) == 0);
    CHECK(count_labels(wire("a.b.c.")) == 3);
    CHECK(is_subdomain(wire("a.example.com."), wire("EXAMPLE.com.")));
    CHECK(is_subdomain(wire("example.com."), wire("example.com.")));
    CHECK(is_subdomain(wire("example.com."), wire(".")));
    CHECK_FALSE(is_subdomain(wire("example.com."), wire("ample.com.")));
    CHECK_FALSE(is_subdomain(wire("com."), wire("example.com.")));
    CHECK_FALSE(is_subdomain(wire("mx2.example.net."), wire("example.com.")));
}

TEST_CASE("name: names_equal across compression", "[dns][name]")
{
    // 12: Example.COM. ; 25: www -> 12 ; 31: WWW -> 12 ; 37: -> 25
    auto m = msg({7,   'E', 'x', 'a',  'm', 'p', 'l', 'e', 3,   'C',  'O', 'M',  0, 3,
                  'w', 'w', 'w', 0xC0, 12,  3,   'W', 'W', 'W', 0xC0, 12,  0xC0, 25});
    CHECK(names_equal(m, 25, 31));
    CHECK(names_equal(m, 37, 31));
    CHECK(names_equal(m, 37, 25));
    CHECK_FALSE(names_equal(m, 12, 25));
}

TEST_CASE("name: label offsets come from the validating pass", "[dns][name]")
{
    label_offsets offs{};
    bytes const b = wire("www.example.com.");
    auto const r = check_name_labels(b, offs);
    REQUIRE(r.ok());
    REQUIRE(r.labels == 3);
    CHECK(offs[0] == 0);
    CHECK(offs[1] == 4);
    CHECK(offs[2] == 12);
    // Relative to off, and the verdicts are check_name's.
    bytes shifted{9, 9};
    shifted.insert(shifted.end(), b.begin(), b.end());
    auto const rs = check_name_labels(shifted, offs, 2);
    REQUIRE(rs.ok());
    CHECK(rs.end == shifted.size());
    CHECK(offs[1] == 4);
    for (const bytes& bad : {bytes{1, 'a'}, bytes{1, 'a', 0xC0, 0}, bytes{0x40, 0}, bytes{}}) {
        CHECK(check_name_labels(bad, offs).err == check_name(bad).err);
    }
    // The most labels a name can have, each offset in place.
    bytes const most = labels_of(1, max_name_labels);
    auto const rm = check_name_labels(most, offs);
    REQUIRE(rm.ok());
    REQUIRE(rm.labels == max_name_labels);
    CHECK(offs[max_name_labels - 1] == 2 * (max_name_labels - 1));
    CHECK(check_name_labels(labels_of(1, max_name_labels + 1), offs).err == errc::name_too_long);
}

TEST_CASE("name: wdns pointer rule for the wdns-identical presentation", "[dns][name]")
{
    name_buffer nb{};
    SECTION("a pointer into a label read earlier in the run: wdns reads it, the guardian not")
    {
        // 12: label "x\0y", then a pointer to 14, the 0 inside that label: the root.
        auto m = msg({3, 'x', 0, 'y', 0xC0, 14});
        CHECK(scan_name(m, 12).err == errc::pointer_loop);
        auto const r = read_name_wdns(m, 12, nb);
        REQUIRE(r.ok());
        CHECK(r.end == m.size());
        CHECK(bytes(nb.begin(), nb.begin() + r.wire_len) == bytes{3, 'x', 0, 'y', 0});
    }
    SECTION("forward and self pointers stay refused")
    {
        CHECK(read_name_wdns(msg({0xC0, 14, 0, 0}), 12, nb).err == errc::pointer_forward);
        CHECK(read_name_wdns(msg({0xC0, 12}), 12, nb).err == errc::pointer_loop);
    }
    SECTION("a loop through labels ends at the length or hop limit")
    {
        auto m = msg({1, 'a', 0xC0, 12});
        auto const e = read_name_wdns(m, 12, nb).err;
        CHECK((e == errc::name_too_long || e == errc::pointer_hops));
    }
}

TEST_CASE("name: canonical reads fold exactly A-Z, every byte value, every label length",
          "[dns][name]")
{
    // copy_lower folds eight bytes at a time: check it against ascii_lower byte by byte for
    // labels of every length (the 8-byte chunks and the tails) and every byte value.
    for (std::size_t len = 1; len <= max_label_len; ++len) {
        for (unsigned shift = 0; shift < 256; shift += 7) {
            bytes w{static_cast<std::uint8_t>(len)};
            for (std::size_t i = 0; i < len; ++i) {
                w.push_back(static_cast<std::uint8_t>((shift + i * 37) & 0xff));
            }
            w.push_back(0);
            name_buffer nb;
            auto const r = read_name_canonical(w, 0, nb);
            REQUIRE(r.ok());
            REQUIRE(r.wire_len == len + 2);
            CHECK(nb[0] == len);
            for (std::size_t i = 1; i <= len; ++i) {
                INFO("len " << len << " byte " << int(w[i]));
                CHECK(nb[i] == ascii_lower(w[i]));
            }
        }
    }
}

TEST_CASE("name: is_subdomain_canonical agrees with is_subdomain on canonical names",
          "[dns][name]")
{
    std::vector<bytes> names;
    for (char const* t : {".", "com.", "example.com.", "www.example.com.", "xample.com.",
                          "a.b.example.com.", "example.org.", "com.example.com."}) {
        name_buffer nb;
        auto const r = from_text(t, nb);
        REQUIRE(r.ok());
        names.emplace_back(nb.begin(), nb.begin() + r.wire_len);
    }
    for (auto const& child : names) {
        for (auto const& parent : names) {
            INFO(name_text(child) << " under " << name_text(parent));
            CHECK(is_subdomain_canonical(child, parent) == is_subdomain(child, parent));
        }
        CHECK_FALSE(is_subdomain_canonical(child, byte_view{}));
    }
}
