// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <algorithm>
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
std::uint64_t run64(const std::vector<std::uint32_t>& seqs, seq_window_tracker<4, 64>& t)
{
    std::uint64_t lost = 0;
    std::uint64_t now = 0;
    for (auto q : seqs) {
        lost += t.observe({}, q, ++now);
    }
    return lost;
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
    CHECK(run(range(11, t.window), t) == 0);
    CHECK(run(range(t.window, t.window + 20), t) == 5);
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
    seq_window_tracker<4, 64> t;
    CHECK(run64({0, 1, 2}, t) == 0);
    // 3..99 skipped: the window now holds 37..100, so 3..36 are lost at once and 37..99 once
    // they leave the window too; 97 in all.
    CHECK(run64({100}, t) == 34);
    CHECK(run64(range(101, 200), t) == 63);
    seq_window_tracker<> w;
    CHECK(run({0}, w) == 0);
    CHECK(run({10000}, w) == 10000 - w.window);
    CHECK(run(range(10001, 10000 + w.window + 1), w) == w.window - 1);
}

// Against a plain model (a set of seen numbers; a number is lost when top - n >= window and it
// was never seen and not before the first) on random reorderings and gaps, with a 64-wide and
// a 4096-wide window.
template <std::uint32_t W> void model_check(std::uint64_t seed)
{
    std::uint64_t x = seed;
    auto rnd = [&] {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(x >> 33);
    };
    std::vector<std::uint32_t> seqs;
    for (std::uint32_t n = 1000; n < 1000 + 20 * W; ++n) {
        if (rnd() % 50 == 0) {
            continue; // lost upstream
        }
        seqs.push_back(n);
    }
    // Reordering within blocks of W/4 (as the slow path delays some containers): never a
    // whole window apart, so never taken for a restart.
    for (std::size_t b = 0; b < seqs.size(); b += W / 4) {
        std::size_t const e = std::min(seqs.size(), b + W / 4);
        for (std::size_t i = b; i + 1 < e; ++i) {
            if (rnd() % 4 == 0) {
                std::swap(seqs[i], seqs[i + 1 + rnd() % (e - i - 1)]);
            }
        }
    }
    seq_window_tracker<2, W> t;
    std::vector<bool> seen(30 * W + 2000, false);
    std::uint32_t top = seqs[0];
    std::uint32_t first = seqs[0];
    std::uint64_t want = 0;
    std::uint64_t got = 0;
    std::uint64_t now = 0;
    for (auto q : seqs) {
        got += t.observe({}, q, ++now);
        if (q > top) {
            for (std::uint32_t n = top + 1; n <= q; ++n) {
                if (n >= W && n - W >= first && !seen[n - W]) {
                    ++want; // leaves the window unseen
                }
            }
            top = q;
        }
        if (top - q < W) {
            seen[q] = true;
        }
    }
    CHECK(got == want);
}

TEST_CASE("the circular window agrees with a plain model")
{
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        model_check<64>(seed);
        model_check<4096>(seed);
    }
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
