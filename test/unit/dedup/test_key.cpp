// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "dedup/key.hpp"

using namespace siehub;
using dedup::byte_view;

namespace {

std::vector<std::uint8_t> v(std::initializer_list<int> l)
{
    std::vector<std::uint8_t> r;
    for (int x : l) {
        r.push_back(static_cast<std::uint8_t>(x));
    }
    return r;
}

} // namespace

TEST_CASE("key builder writes the documented layout and folds name case", "[dedup][key]")
{
    auto const owner = v({3, 'W', 'w', 'W', 2, 'E', 'x', 0});
    auto const bw = v({2, 'e', 'X', 0});
    auto const r1 = v({192, 0, 2, 1});
    auto const r2 = v({192, 0, 2, 2});
    std::array<std::uint8_t, 64> buf{};
    dedup::key_builder kb{buf};
    kb.begin(owner, 1, 1, bw);
    kb.add_rdata(r1);
    kb.add_rdata(r2);
    auto const key = kb.finish();
    REQUIRE(kb.error() == dedup::key_error::ok);
    auto const want = v({8, 3, 'w', 'w', 'w', 2, 'e', 'x', 0, 0, 1, 0, 1, 4, 2, 'e', 'x', 0, 0, 2,
                         0, 4, 192, 0, 2, 1, 0, 4, 192, 0, 2, 2});
    CHECK(std::vector<std::uint8_t>(key.begin(), key.end()) == want);

    dedup::key_fields f;
    REQUIRE(dedup::parse_key(key, f) == dedup::key_error::ok);
    CHECK(f.rrname.size() == 8);
    CHECK(f.rrname[1] == 'w');
    CHECK(f.rrtype == 1);
    CHECK(f.rrclass == 1);
    CHECK(f.bailiwick.size() == 4);
    CHECK(f.bailiwick[2] == 'x');
    CHECK(f.rdata_count == 2);
    dedup::rdata_iterator it{f.rdata_block};
    byte_view rd;
    REQUIRE(it.next(rd));
    CHECK(rd[3] == 1);
    REQUIRE(it.next(rd));
    CHECK(rd[3] == 2);
    CHECK_FALSE(it.next(rd));
}

TEST_CASE("key builder: different field splits never encode alike", "[dedup][key]")
{
    // ("ab","c") and ("a","bc") as rdata sets must differ: every rdata is length-prefixed.
    auto const owner = v({1, 'a', 0});
    std::array<std::uint8_t, 64> b1{}, b2{};
    dedup::key_builder k1{b1}, k2{b2};
    k1.begin(owner, 16, 1, owner);
    k1.add_rdata(v({'a', 'b'}));
    k1.add_rdata(v({'c'}));
    k2.begin(owner, 16, 1, owner);
    k2.add_rdata(v({'a'}));
    k2.add_rdata(v({'b', 'c'}));
    auto const x = k1.finish();
    auto const y = k2.finish();
    REQUIRE(x.size() == y.size());
    CHECK(std::vector<std::uint8_t>(x.begin(), x.end()) !=
          std::vector<std::uint8_t>(y.begin(), y.end()));
    CHECK(dedup::hash(x, 7) != dedup::hash(y, 7));
}

TEST_CASE("key builder errors are sticky and specific", "[dedup][key]")
{
    auto const owner = v({1, 'a', 0});
    SECTION("overflow")
    {
        std::array<std::uint8_t, 12> buf{};
        dedup::key_builder kb{buf};
        kb.begin(owner, 1, 1, owner);
        kb.add_rdata(v({1, 2, 3, 4}));
        CHECK(kb.finish().empty());
        CHECK(kb.error() == dedup::key_error::overflow);
        CHECK(std::string{dedup::to_string(kb.error())} == "overflow");
    }
    SECTION("empty name")
    {
        std::array<std::uint8_t, 64> buf{};
        dedup::key_builder kb{buf};
        kb.begin({}, 1, 1, owner);
        CHECK(kb.finish().empty());
        CHECK(kb.error() == dedup::key_error::bad_name);
    }
    SECTION("name over 255 bytes")
    {
        std::vector<std::uint8_t> big(256, 1);
        std::array<std::uint8_t, 600> buf{};
        dedup::key_builder kb{buf};
        kb.begin(owner, 1, 1, big);
        CHECK(kb.finish().empty());
        CHECK(kb.error() == dedup::key_error::bad_name);
    }
    SECTION("rdata over 65535 bytes")
    {
        std::vector<std::uint8_t> big(70000, 1);
        std::vector<std::uint8_t> buf(80000);
        dedup::key_builder kb{buf};
        kb.begin(owner, 1, 1, owner);
        kb.add_rdata(big);
        CHECK(kb.finish().empty());
        CHECK(kb.error() == dedup::key_error::rdata_too_long);
    }
}

TEST_CASE("parse_key rejects truncated and trailing bytes", "[dedup][key]")
{
    auto const owner = v({1, 'a', 0});
    std::array<std::uint8_t, 64> buf{};
    dedup::key_builder kb{buf};
    kb.begin(owner, 1, 1, owner);
    kb.add_rdata(v({10, 0, 0, 1}));
    auto const key = kb.finish();
    dedup::key_fields f;
    for (std::size_t n = 0; n < key.size(); ++n) {
        auto const e = dedup::parse_key(key.first(n), f);
        CHECK(e != dedup::key_error::ok);
    }
    std::vector<std::uint8_t> longer(key.begin(), key.end());
    longer.push_back(0);
    CHECK(dedup::parse_key(longer, f) == dedup::key_error::trailing);
    auto zero = v({0});
    CHECK(dedup::parse_key(zero, f) == dedup::key_error::bad_name);
}

TEST_CASE("hash is seeded and owner_core stays in range", "[dedup][key]")
{
    auto const k = v({1, 2, 3});
    CHECK(dedup::hash(k, 1) == dedup::hash(k, 1));
    CHECK(dedup::hash(k, 1) != dedup::hash(k, 2));
    std::array<std::uint32_t, 5> seen{};
    for (std::uint64_t i = 0; i < 5000; ++i) {
        auto const o = dedup::owner_core(dedup::hash(byte_view{reinterpret_cast<std::uint8_t*>(&i), 8}, 9), 5);
        REQUIRE(o < 5);
        ++seen[o];
    }
    for (auto s : seen) {
        CHECK(s > 800); // about 1000 each
    }
    CHECK(dedup::owner_core(~std::uint64_t{0}, 65536) == 65535);
}
