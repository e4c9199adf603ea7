// SPDX-License-Identifier: Apache-2.0
// The registry: table validation, totals and per-worker/port/channel sums, and a reader that
// runs while a writer thread increments (the values it sees never go backwards).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "dedup/counters.hpp"
#include "telemetry/registry.hpp"

using namespace siehub;
using namespace siehub::telemetry;

namespace {
enum class rx_counter : std::uint8_t { frames, bad_vlan, count_ };
inline constexpr std::array<counter_info, 2> rx_table{{
    {"rx.frames", "frames received"},
    {"rx.bad_vlan", "frames with a bad VLAN header"},
}};
enum class tx_counter : std::uint8_t { payloads, count_ };
inline constexpr std::array<counter_info, 1> tx_table{{{"tx.payloads", "payloads sent"}}};
} // namespace

TEST_CASE("glob_match")
{
    CHECK(glob_match("dedup.inserted", "dedup.inserted"));
    CHECK_FALSE(glob_match("dedup.inserted", "dedup.inserte"));
    CHECK_FALSE(glob_match("dedup.inserte", "dedup.inserted"));
    CHECK(glob_match("dedup.*", "dedup.inserted"));
    CHECK(glob_match("*.drop_*", "verify.drop_tcp"));
    CHECK_FALSE(glob_match("*.drop_*", "verify.tcp"));
    CHECK(glob_match("*", "a.b"));
    CHECK(glob_match("a*b*c", "a.xbyyc"));
    CHECK_FALSE(glob_match("a*b*c", "a.xbyyd"));
    CHECK(glob_match("dedup.expire_*", "dedup.expire_idle"));
    CHECK_FALSE(glob_match("dedup.expire_*", "dedup.expired_observations"));
}

TEST_CASE("registry refuses bad and duplicate names")
{
    registry r;
    std::array<counter_info, 1> no_dot{{{"rxframes", "x"}}};
    std::array<counter_info, 1> upper{{{"rx.Frames", "x"}}};
    std::array<counter_info, 1> two_dots{{{"rx.a.b", "x"}}};
    std::array<counter_info, 1> empty_part{{{".frames", "x"}}};
    CHECK_THROWS_AS(r.add_table(no_dot), std::invalid_argument);
    CHECK_THROWS_AS(r.add_table(upper), std::invalid_argument);
    CHECK_THROWS_AS(r.add_table(two_dots), std::invalid_argument);
    CHECK_THROWS_AS(r.add_table(empty_part), std::invalid_argument);
    CHECK(r.table_count() == 0);
    CHECK(r.add_table(rx_table) == 0);
    CHECK_THROWS_AS(r.add_table(rx_table), std::invalid_argument);
    CHECK(r.counter_count() == 2);
    counter_block<rx_counter> b;
    CHECK_THROWS_AS(r.add_block(7, block_scope::on_worker(0), b.v.data()), std::invalid_argument);
    CHECK_THROWS_AS(r.add_block(0, block_scope::on_worker(0), nullptr), std::invalid_argument);
}

TEST_CASE("snapshot sums totals, workers, ports and channels")
{
    registry r;
    auto const rx = r.add_table(rx_table);
    auto const tx = r.add_table(tx_table);
    auto const dd = r.add_table(dedup::counter_table); // the stage-local counter_info shape
    CHECK(r.counter_count() == 2 + 1 + dedup::n_counters);

    counter_block<rx_counter> rx0, rx1, rx_ctl;
    counter_block<tx_counter> tx0_204, tx1_204, tx1_221;
    dedup::counter_block dd0, dd1;
    r.add_block(rx, block_scope::port(0, 0, "net_pcap0"), rx0.v.data());
    r.add_block(rx, block_scope::port(1, 0, "net_pcap0"), rx1.v.data());
    r.add_block(rx, block_scope::port(block_scope::control_worker, 1), rx_ctl.v.data());
    r.add_block(tx, block_scope::channel(0, 204, "ch204"), tx0_204.v.data());
    r.add_block(tx, block_scope::channel(1, 204, "ch204"), tx1_204.v.data());
    r.add_block(tx, block_scope::channel(1, 221, "ch221"), tx1_221.v.data());
    r.add_block(dd, block_scope::on_worker(0), dd0.v.data());
    r.add_block(dd, block_scope::on_worker(1), dd1.v.data());

    rx0.add(rx_counter::frames, 10);
    rx1.add(rx_counter::frames, 20);
    rx1.add(rx_counter::bad_vlan, 2);
    rx_ctl.add(rx_counter::frames, 100);
    tx0_204.add(tx_counter::payloads, 3);
    tx1_204.add(tx_counter::payloads, 4);
    tx1_221.add(tx_counter::payloads, 5);
    dd0.add(dedup::counter::inserted, 6);
    dd1.add(dedup::counter::suppressed, 7);

    auto const s = r.take();
    CHECK(s.total("rx.frames") == 130);
    CHECK(s.total("rx.bad_vlan") == 2);
    CHECK(s.total("tx.payloads") == 12);
    CHECK(s.total("dedup.inserted") == 6);
    CHECK(s.total("dedup.suppressed") == 7);
    CHECK_FALSE(s.find("no.such").has_value());
    CHECK(s.descriptions[*s.find("dedup.flush")] ==
          std::string_view(dedup::counter_table[8].description));

    REQUIRE(s.workers.size() == 3);
    CHECK(s.workers[0].id == 0);
    CHECK(s.workers[1].id == 1);
    CHECK(s.workers[2].id == block_scope::control_worker);
    CHECK(s.workers[2].label == "control");
    auto const frames = *s.find("rx.frames");
    auto const pay = *s.find("tx.payloads");
    auto const ins = *s.find("dedup.inserted");
    CHECK(s.workers[0].values[frames] == 10);
    CHECK(s.workers[1].values[frames] == 20);
    CHECK(s.workers[2].values[frames] == 100);
    CHECK(s.workers[1].values[pay] == 9);
    CHECK(s.workers[0].values[ins] == 6);
    // The control thread has only rx blocks: its group says so.
    CHECK(s.workers[2].has_table[rx]);
    CHECK_FALSE(s.workers[2].has_table[tx]);
    CHECK_FALSE(s.workers[2].has_table[dd]);

    REQUIRE(s.ports.size() == 2);
    CHECK(s.ports[0].label == "net_pcap0");
    CHECK(s.ports[0].values[frames] == 30);
    CHECK(s.ports[1].label == "1");
    CHECK(s.ports[1].values[frames] == 100);
    CHECK_FALSE(s.ports[0].has_table[tx]);

    REQUIRE(s.channels.size() == 2);
    CHECK(s.channels[0].id == 204);
    CHECK(s.channels[0].label == "ch204");
    CHECK(s.channels[0].values[pay] == 7);
    CHECK(s.channels[1].id == 221);
    CHECK(s.channels[1].values[pay] == 5);

    CHECK(s.match("dedup.expire_*").size() == 2);
    CHECK(s.match("*.frames") == std::vector<std::size_t>{frames});
}

TEST_CASE("a reader sees a writer's counters grow, never tear or go back")
{
    registry r;
    auto const rx = r.add_table(rx_table);
    counter_block<rx_counter> b;
    r.add_block(rx, block_scope::on_worker(0), b.v.data());
    std::atomic<bool> stop{false};
    constexpr std::uint64_t n = 2'000'000;
    std::thread writer([&] {
        for (std::uint64_t i = 0; i < n; ++i) {
            // A real worker adds per burst; the high word moves too, so a torn read would
            // show as a value that goes backwards or jumps.
            b.add(rx_counter::frames, 1);
            b.v[1] = b.v[0] * 0x100000001ull;
            // Keeps the stores inside the loop, as a worker's opaque burst calls do.
            asm volatile("" ::: "memory");
        }
        stop.store(true);
    });
    std::uint64_t last = 0;
    bool monotonic = true;
    bool consistent = true;
    while (!stop.load()) {
        auto const s = r.take();
        std::uint64_t const v = s.totals.values[0];
        std::uint64_t const w = s.totals.values[1];
        monotonic = monotonic && v >= last;
        // w was written after v, so it belongs to some value in [., v]: its low half must be
        // a whole multiple pattern of a count, never a mix of two stores.
        consistent = consistent && (w / 0x100000001ull) * 0x100000001ull == w;
        last = v;
    }
    writer.join();
    CHECK(monotonic);
    CHECK(consistent);
    CHECK(r.take().total("rx.frames") == n);
}
