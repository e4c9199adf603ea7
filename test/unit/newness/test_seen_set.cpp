// SPDX-License-Identifier: Apache-2.0
// The fingerprint seen-set: no false "new", growth keeps everything, the false-"seen" rate
// matches n / 2^f where it is observable, the day map.
#include <catch2/catch.hpp>

#include <random>

#include "newness/seen_set.hpp"

using siehub::newness::seen_table;

TEST_CASE("inserted fingerprints are always found, across growths")
{
    seen_table t(16);
    std::mt19937_64 rng(1);
    std::vector<std::uint64_t> keys(100000);
    for (auto& k : keys) {
        k = rng();
        t.insert(k);
    }
    CHECK(t.grows() > 5);
    CHECK(t.size() == keys.size());
    for (auto k : keys) {
        REQUIRE(t.contains(k));
        REQUIRE_FALSE(t.insert(k)); // never "new" again
    }
    CHECK(t.size() <= static_cast<std::size_t>(static_cast<double>(t.slot_count()) * seen_table::max_load));
    CHECK(t.size() * 100 >= t.slot_count() * 50); // within the growth band, not sparse
    // Zero is a valid hash too.
    CHECK(t.insert(0));
    CHECK(t.contains(0));
}

TEST_CASE("false-seen rate with narrow fingerprints matches n / 2^f")
{
    // f = 20 bits, n = 20 000 stored: a fresh key collides with probability ~ n / 2^20.
    seen_table t(20000, false, 20);
    std::mt19937_64 rng(7);
    std::size_t n = 0;
    while (t.size() < 20000) {
        t.insert(rng());
        ++n;
    }
    std::size_t fp = 0;
    constexpr std::size_t probes = 200000;
    for (std::size_t i = 0; i < probes; ++i) {
        fp += t.contains(rng()) ? 1 : 0;
    }
    double const expected = 20000.0 / (1 << 20);
    double const measured = static_cast<double>(fp) / probes;
    CHECK(measured > expected * 0.8);
    CHECK(measured < expected * 1.2);
}

TEST_CASE("day map: touch keeps the latest day, raise_day only for present keys")
{
    seen_table t(8, true);
    auto r = t.touch(11, 100);
    CHECK(r.was_new);
    r = t.touch(11, 90);
    CHECK_FALSE(r.was_new);
    CHECK(r.previous_day == 100);
    r = t.touch(11, 120);
    CHECK(r.previous_day == 100);
    CHECK(t.raise_day(11, 130));
    CHECK(t.touch(11, 130).previous_day == 130);
    CHECK_FALSE(t.raise_day(12, 5));
    CHECK_FALSE(t.contains(12));
    for (std::uint64_t k = 100; k < 5000; ++k) {
        t.touch(k, static_cast<std::uint16_t>(k));
    }
    for (std::uint64_t k = 100; k < 5000; ++k) {
        REQUIRE(t.touch(k, 0).previous_day == static_cast<std::uint16_t>(k));
    }
}
