// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "match/generation.hpp"

using namespace siehub;
using namespace siehub::match;
using match::test::view;
using match::test::wire;

namespace {

// Generation k: one rule whose id is k and whose action alternates, so a worker can tell
// from a verdict which generation decided it.
std::unique_ptr<generation> gen(std::uint32_t k, unsigned workers)
{
    std::vector<rule> rules{
        parse_rule("suffix:example.com", k % 2 != 0 ? action::drop : action::pass, k),
        parse_rule("regex:^gen" + std::to_string(k) + "\\.", action::drop, k),
    };
    return make_generation(rules, action::pass, workers);
}

} // namespace

TEST_CASE("retired generations are freed only after every online worker is quiescent")
{
    publisher pub(2, gen(1, 2));
    CHECK(pub.current()->serial == 1);
    CHECK(pub.publish(gen(2, 2)) == 2);
    CHECK(pub.current()->serial == 2);
    CHECK(pub.pending() == 1);
    CHECK(pub.reclaim() == 0);
    pub.quiescent(0);
    CHECK(pub.reclaim() == 0); // worker 1 may still hold generation 1
    pub.quiescent(1);
    CHECK(pub.reclaim() == 1);
    CHECK(pub.pending() == 0);

    pub.offline(1); // an offline worker does not hold reclamation back
    pub.publish(gen(3, 2));
    pub.publish(gen(4, 2));
    CHECK(pub.reclaim() == 0);
    pub.quiescent(0);
    CHECK(pub.reclaim() == 2);
    pub.online(1);
    pub.publish(gen(5, 2));
    pub.quiescent(0);
    CHECK(pub.reclaim() == 0);
    pub.quiescent(1);
    CHECK(pub.reclaim() == 1);
}

TEST_CASE("two threads: a worker matching while the control thread swaps databases")
{
    constexpr unsigned workers = 2; // worker 1 stays offline: only worker 0 runs
    constexpr std::uint32_t swaps = 300;
    publisher pub(workers, gen(1, workers));
    pub.offline(1);

    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> wrong{0};
    std::atomic<std::uint64_t> bursts{0};
    std::atomic<std::uint64_t> generations_seen{0};

    std::thread worker([&] {
        std::vector<std::vector<std::uint8_t>> names;
        for (int i = 0; i < 32; ++i) {
            names.push_back(wire("host" + std::to_string(i) + ".Example.COM"));
        }
        std::vector<core::byte_view> views;
        for (auto const& n : names) {
            views.push_back(view(n));
        }
        std::vector<verdict> out(views.size());
        counter_block c;
        std::uint64_t last = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            const generation* g = pub.current();
            g->db.match_burst(views, out, g->worker_scratch(0), c);
            action const want = g->serial % 2 != 0 ? action::drop : action::pass;
            for (auto const& v : out) {
                if (v.by != decided_by::rule || v.rule_id != g->serial || v.act != want) {
                    wrong.fetch_add(1, std::memory_order_relaxed);
                }
            }
            if (g->serial != last) {
                last = g->serial;
                generations_seen.fetch_add(1, std::memory_order_relaxed);
            }
            bursts.fetch_add(1, std::memory_order_relaxed);
            pub.quiescent(0);
        }
        pub.offline(0);
    });

    std::size_t freed = 0;
    for (std::uint32_t k = 2; k <= swaps; ++k) {
        REQUIRE(pub.publish(gen(k, workers)) == k);
        freed += pub.reclaim();
    }
    // Let the worker see the last generation before stopping it.
    while (bursts.load() < 10 || generations_seen.load() < 2) {
        std::this_thread::yield();
    }
    stop.store(true);
    worker.join();
    freed += pub.reclaim();

    CHECK(wrong.load() == 0);
    CHECK(generations_seen.load() >= 2);
    CHECK(freed == swaps - 1);
    CHECK(pub.pending() == 0);
}
