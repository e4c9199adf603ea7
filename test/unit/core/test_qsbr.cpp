// SPDX-License-Identifier: Apache-2.0
// core::qsbr_publisher: readers read while a control thread publishes and reclaims; nothing is
// freed while a reader may still hold it; offline readers do not hold reclamation back.
// A generation poisons itself and marks its serial freed in its destructor, so a premature
// free shows as a wrong magic or a freed serial seen by a reader (and as a use-after-free
// under ASan, the sanitizer build).
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/qsbr.hpp"

using siehub::core::qsbr_publisher;

namespace {

constexpr std::uint64_t live = 0x5eed'1e55'0000'0001;
constexpr std::uint64_t poison = 0xdead'beef'dead'beef;
constexpr std::size_t max_serial = 1u << 16;

std::array<std::atomic<bool>, max_serial> freed{};

struct gen {
    std::uint64_t serial = 0; // set by publish
    std::uint64_t magic = live;
    std::vector<std::uint64_t> payload = std::vector<std::uint64_t>(64, live);
    ~gen()
    {
        freed[serial % max_serial].store(true, std::memory_order_seq_cst);
        magic = poison;
        for (auto& v : payload) {
            v = poison;
        }
    }
};

} // namespace

TEST_CASE("qsbr: serials, and reclaim waits for every online reader")
{
    qsbr_publisher<gen> pub(3, std::make_unique<gen>());
    CHECK(pub.current()->serial == 1);
    CHECK(pub.readers() == 3);
    const gen* held = pub.current(); // reader 0 holds generation 1
    CHECK(pub.publish(std::make_unique<gen>()) == 2);
    CHECK(pub.last_serial() == 2);
    CHECK(pub.pending() == 1);
    pub.quiescent(1);
    pub.quiescent(2);
    CHECK(pub.reclaim() == 0); // reader 0 has not passed a quiescent point
    CHECK(held->magic == live);
    CHECK_FALSE(freed[held->serial].load());
    pub.quiescent(0);
    CHECK(pub.reclaim() == 1);
    CHECK(freed[1].load());
    CHECK(pub.pending() == 0);

    // Offline readers do not block reclamation; an online() reader does again.
    pub.offline(1);
    pub.offline(2);
    pub.publish(std::make_unique<gen>());
    pub.quiescent(0);
    CHECK(pub.reclaim() == 1);
    pub.online(2);
    pub.publish(std::make_unique<gen>());
    pub.quiescent(0);
    CHECK(pub.reclaim() == 0); // reader 2 came back and may hold generation 3
    pub.quiescent(2);
    CHECK(pub.reclaim() == 1);
}

TEST_CASE("qsbr: readers on threads while the control thread publishes and reclaims")
{
    for (auto& f : freed) {
        f.store(false);
    }
    constexpr unsigned readers = 3; // reader 2 is offline the whole time
    constexpr std::uint64_t swaps = 4000;
    qsbr_publisher<gen> pub(readers, std::make_unique<gen>());
    pub.offline(2);

    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> bad{0};
    std::atomic<std::uint64_t> reads{0};
    std::vector<std::thread> threads;
    for (unsigned r = 0; r < 2; ++r) {
        threads.emplace_back([&, r] {
            std::uint64_t last = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const gen* g = pub.current();
                // Hold it for a while, reading it again and again, as a burst does.
                for (int k = 0; k < 16; ++k) {
                    std::uint64_t wrong = 0;
                    for (auto v : g->payload) {
                        wrong += v != live ? 1 : 0;
                    }
                    if (g->magic != live || wrong != 0 ||
                        freed[g->serial % max_serial].load(std::memory_order_seq_cst)) {
                        bad.fetch_add(1);
                    }
                }
                if (g->serial < last) {
                    bad.fetch_add(1); // generations never go backwards
                }
                last = g->serial;
                reads.fetch_add(1, std::memory_order_relaxed);
                pub.quiescent(r);
                if (r == 1 && (last & 63) == 0) {
                    // Reader 1 now and then goes offline (idle) and comes back.
                    pub.offline(r);
                    std::this_thread::yield();
                    pub.online(r);
                }
            }
            pub.offline(r);
        });
    }
    std::uint64_t freed_total = 0;
    for (std::uint64_t i = 0; i < swaps; ++i) {
        pub.publish(std::make_unique<gen>());
        freed_total += pub.reclaim();
        if ((i & 15) == 0) {
            std::this_thread::yield();
        }
    }
    stop.store(true);
    for (auto& t : threads) {
        t.join();
    }
    freed_total += pub.reclaim();
    CHECK(bad.load() == 0);
    CHECK(reads.load() > 0);
    // Every reader is offline now: everything retired is freed.
    CHECK(pub.pending() == 0);
    CHECK(freed_total == swaps);
    CHECK(pub.current()->serial == swaps + 1);
}
