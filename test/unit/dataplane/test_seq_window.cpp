// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <vector>

#include "dataplane/seq_window.hpp"

using siehub::dataplane::seq_sender;
using siehub::dataplane::seq_window_tracker;

namespace {
std::uint64_t run(const std::vector<std::uint32_t>& seqs, seq_window_tracker<>& t,
                  const seq_sender& s = {})
{
    std::uint64_t lost = 0;
    std::uint64_t now = 0;
    for (auto q : seqs) {
        lost += t.observe(s, q, ++now);
    }
    return lost;
}
std::vector<std::uint32_t> range(std::uint32_t a, std::uint32_t b)
{
    std::vector<std::uint32_t> v;
    for (std::uint32_t i = a; i < b; ++i) {
        v.push_back(i);
    }
    return v;
}
} // namespace

TEST_CASE("in-order stream loses nothing")
{
    seq_window_tracker<> t;
    CHECK(run(range(0, 1000), t) == 0);
    CHECK(t.recvs() == 1000);
}

TEST_CASE("gaps are counted once they leave the window")
{
    seq_window_tracker<> t;
    std::vector<std::uint32_t> s{0, 1, 2, 5, 6, 10}; // nmsgtool's example: 5 missing
    CHECK(run(s, t) == 0);                           // still inside the window
    auto more = range(11, 200);
    CHECK(run(more, t) == 5);
    CHECK(t.drops() == 5);
}

TEST_CASE("slow-path reordering within the window is not loss")
{
    seq_window_tracker<> t;
    std::vector<std::uint32_t> s = range(0, 7);
    for (auto q : {9u, 10u, 11u, 12u, 7u, 8u}) { // fragments 7 and 8 complete late
        s.push_back(q);
    }
    auto tail = range(13, 300);
    s.insert(s.end(), tail.begin(), tail.end());
    CHECK(run(s, t) == 0);
}

TEST_CASE("wrap-around, restarts and a late first number")
{
    seq_window_tracker<> t;
    CHECK(run({4294967294u, 4294967295u, 0, 1}, t) == 0);
    seq_window_tracker<> r;
    CHECK(run({0, 1, 2000000, 2000001}, r) == 0);
    CHECK(r.resets() == 1);
    seq_window_tracker<> f;
    CHECK(run({100, 101}, f) == 0);
    // Numbers from before the first container are never expected.
    CHECK(run({99}, f) == 0);
    CHECK(run(range(102, 400), f) == 0);
}

TEST_CASE("a jump beyond the window counts what was skipped")
{
    seq_window_tracker<> t;
    CHECK(run({0, 1, 2}, t) == 0);
    // 3..99 skipped: the window now holds 37..100, so 3..36 are lost at once and 37..99 once
    // they leave the window too; 97 in all.
    CHECK(run({100}, t) == 34);
    CHECK(run(range(101, 200), t) == 63);
}

TEST_CASE("senders are tracked separately and the table is bounded")
{
    seq_window_tracker<4> t;
    for (std::uint64_t id = 0; id < 10; ++id) {
        seq_sender s{id, {}, 8430};
        CHECK(t.observe(s, 5, id) == 0);
    }
    CHECK(t.evictions() == 6);
}
