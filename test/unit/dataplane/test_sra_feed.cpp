// SPDX-License-Identifier: Apache-2.0
// The worker side of the hub's AXA feed (lib/dataplane/sra_feed.hpp): nothing is copied for a
// channel no client wants; a wanted payload arrives byte for byte as an NmsgPayload; a full
// ring, an empty pool and an oversize payload drop, count and note the loss per channel.
#include <catch2/catch.hpp>

#include <rte_mempool.h>
#include <rte_ring.h>

#include <string>
#include <vector>

#include "dataplane/sra_feed.hpp"
#include "dpdk/eal.hpp"

using namespace siehub;
using dataplane::sra_counter;

TEST_CASE("sra_port: wanted bit, copies, and every drop counted and noted per channel")
{
    auto args = dpdk::eal::virtual_args("t-srafeed", 64);
    dpdk::eal eal(args);
    rte_ring* ring = rte_ring_create("t_sra", 4, 0, RING_F_SP_ENQ | RING_F_SC_DEQ); // holds 3
    REQUIRE(ring != nullptr);
    rte_mempool* pool = rte_mempool_create("t_sra_pool", 6, 256, 0, 0, nullptr, nullptr, nullptr,
                                           nullptr, 0, 0);
    REQUIRE(pool != nullptr);
    dataplane::sra_wanted_bits wanted{};
    dataplane::sra_port port;
    port.ring = ring;
    port.pool = pool;
    port.slot_bytes = 256;
    port.wanted = &wanted;

    nmsg::payload_header h;
    h.vid = 2;
    h.msgtype = 3;
    h.time_sec = 1764000000;
    h.time_nsec = 5;
    h.source = 0xa1b2c3d4;
    std::vector<std::uint8_t> vendor{1, 2, 3, 4, 5};

    // Nobody wants ch204 yet: nothing is taken from the pool.
    port.offer(204, h, vendor);
    CHECK(port.counters.get(sra_counter::fed) == 0);
    CHECK(rte_ring_count(ring) == 0);
    CHECK(rte_mempool_avail_count(pool) == 6);

    wanted[204 >> 6].store(std::uint64_t{1} << (204 & 63));
    CHECK(port.wants(204));
    CHECK_FALSE(port.wants(202));
    for (int i = 0; i < 3; ++i) {
        port.offer(204, h, vendor);
    }
    port.offer(202, h, vendor); // not wanted
    CHECK(port.counters.get(sra_counter::fed) == 3);
    REQUIRE(rte_ring_count(ring) == 3);

    // The ring is full: the fourth is dropped, its object goes back, the loss is noted.
    port.offer(204, h, vendor);
    CHECK(port.counters.get(sra_counter::drop_ring_full) == 1);
    CHECK(port.lost[204].load() == 1);
    CHECK(port.lost_total.load() == 1);
    CHECK(rte_mempool_avail_count(pool) == 3);

    // Too large for an object.
    std::vector<std::uint8_t> big(300, 7);
    port.offer(204, h, big);
    CHECK(port.counters.get(sra_counter::drop_too_big) == 1);
    CHECK(port.lost[204].load() == 2);

    // What the consumer sees: the channel and an NmsgPayload that decodes to the same fields.
    void* obj = nullptr;
    REQUIRE(rte_ring_sc_dequeue(ring, &obj) == 0);
    auto* slot = static_cast<dataplane::sra_slot*>(obj);
    CHECK(slot->ch == 204);
    CHECK(slot->len == nmsg::payload_size(h, vendor));
    nmsg::payload_view pv(core::byte_view(slot->data(), slot->len));
    REQUIRE(pv.ok());
    CHECK(pv.vid() == 2);
    CHECK(pv.msgtype() == 3);
    CHECK(pv.time_sec() == 1764000000);
    REQUIRE(pv.payload().has_value());
    CHECK(std::vector<std::uint8_t>(pv.payload()->begin(), pv.payload()->end()) == vendor);
    rte_mempool_put(pool, obj);

    // An empty pool: take every object, then offer.
    std::vector<void*> held(rte_mempool_avail_count(pool));
    REQUIRE(rte_mempool_get_bulk(pool, held.data(), static_cast<unsigned>(held.size())) == 0);
    port.offer(204, h, vendor);
    CHECK(port.counters.get(sra_counter::drop_no_buffer) == 1);
    CHECK(port.lost[204].load() == 3);
    CHECK(port.lost_total.load() == 3);
    CHECK(port.lost[202].load() == 0);
    rte_mempool_put_bulk(pool, held.data(), static_cast<unsigned>(held.size()));

    void* rest[4];
    rte_mempool_put_bulk(pool, rest, rte_ring_sc_dequeue_burst(ring, rest, 4, nullptr));
    rte_ring_free(ring);
    rte_mempool_free(pool);
}
