// SPDX-License-Identifier: Apache-2.0
// The worker side of the hub's AXA feed (lib/dataplane/sra_feed.hpp): nothing is matched or
// copied for a channel no client has on; a payload no watch matches is counted and not
// queued; a matched one arrives byte for byte as an NmsgPayload with its hits, the session
// each hit was matched for and the generation serial; too many hits for a buffer send the
// payload without them; a full ring, an empty pool and an oversize payload drop, count and
// note the loss per channel; a generation is freed only after the worker passed a quiescent
// point or went offline.
#include <catch2/catch.hpp>

#include <rte_mempool.h>
#include <rte_ring.h>

#include <bitset>
#include <string>
#include <vector>

#include "axa/message.hpp"
#include "axa/watch.hpp"
#include "dataplane/sra_feed.hpp"
#include "dpdk/eal.hpp"

using namespace siehub;
using dataplane::sra_counter;

namespace {

axa::watch_entry ch_watch(std::uint16_t tag, std::uint16_t ch)
{
    axa::watch_entry e;
    e.tag = tag;
    core::out_buffer o(e.bytes);
    std::vector<std::uint8_t> const pat{static_cast<std::uint8_t>(ch), static_cast<std::uint8_t>(ch >> 8)};
    axa::write_watch(o, axa::watch_type::ch, 0, 0, pat);
    e.len = static_cast<std::uint16_t>(o.size());
    REQUIRE(e.view().ok());
    return e;
}

struct client_spec {
    std::uint32_t index;
    std::uint64_t session;
    std::vector<axa::watch_entry> watches;
};

// A worker generation as sra_hub makes it: `clients` with channel 204 on.
std::unique_ptr<dataplane::sra_generation> make_gen(const std::vector<client_spec>& clients,
                                                    std::uint64_t axa_serial, unsigned workers)
{
    static std::bitset<axa::ch_max + 1> on;
    on.set(204);
    std::vector<axa::client_watches> in;
    std::size_t n = 0;
    for (auto const& c : clients) {
        in.push_back({c.index, c.watches, &on});
        n = std::max<std::size_t>(n, c.index + 1);
    }
    auto g = std::make_unique<dataplane::sra_generation>();
    g->gen = axa::match_generation::build(in, n);
    g->axa_serial = axa_serial;
    g->sessions.assign(n, 0);
    for (auto const& c : clients) {
        g->sessions[c.index] = c.session;
    }
    for (unsigned w = 0; w < workers; ++w) {
        g->scratches.emplace_back(n);
    }
    return g;
}

} // namespace

TEST_CASE("sra_port: matching on the worker, copies with hits, every drop counted, QSBR")
{
    auto args = dpdk::eal::virtual_args("t-srafeed", 64);
    dpdk::eal eal(args);
    rte_ring* ring = rte_ring_create("t_sra", 4, 0, RING_F_SP_ENQ | RING_F_SC_DEQ); // holds 3
    REQUIRE(ring != nullptr);
    rte_mempool* pool = rte_mempool_create("t_sra_pool", 6, 256, 0, 0, nullptr, nullptr, nullptr,
                                           nullptr, 0, 0);
    REQUIRE(pool != nullptr);
    dataplane::sra_publisher pub(1, make_gen({}, 1, 1));
    pub.offline(0);
    dataplane::sra_port port;
    port.ring = ring;
    port.pool = pool;
    port.slot_bytes = 256;
    port.pub = &pub;
    port.worker = 0;

    nmsg::payload_header h;
    h.vid = 2;
    h.msgtype = 3;
    h.time_sec = 1764000000;
    h.time_nsec = 5;
    h.source = 0xa1b2c3d4;
    std::vector<std::uint8_t> vendor{1, 2, 3, 4, 5};

    // Offline (before its loop starts) the worker reads no generation and wants nothing.
    port.offer(204, h, vendor);
    CHECK(port.counters.get(sra_counter::unmatched) == 0);
    port.online();
    // Nobody has ch204 on yet: nothing is matched or taken from the pool.
    port.offer(204, h, vendor);
    CHECK(port.counters.get(sra_counter::unmatched) == 0);
    CHECK(port.counters.get(sra_counter::fed) == 0);
    CHECK(rte_mempool_avail_count(pool) == 6);

    // Client 1 (session 12) has ch204 on but a watch on another channel: unmatched.
    pub.publish(make_gen({{1, 12, {ch_watch(4, 202)}}}, 2, 1));
    CHECK(pub.reclaim() == 0); // the worker may still hold generation 1
    port.offer(204, h, vendor); // this iteration still reads generation 1
    CHECK(port.counters.get(sra_counter::unmatched) == 0);
    port.next_iteration();
    CHECK(pub.reclaim() == 1);
    CHECK(port.wants(204));
    CHECK_FALSE(port.wants(202));
    port.offer(204, h, vendor);
    CHECK(port.counters.get(sra_counter::unmatched) == 1);
    CHECK(rte_ring_count(ring) == 0);

    // Client 0 (session 11) watches ch204 itself.
    pub.publish(make_gen({{0, 11, {ch_watch(7, 204)}}, {1, 12, {ch_watch(4, 202)}}}, 5, 1));
    port.next_iteration();
    for (int i = 0; i < 3; ++i) {
        port.offer(204, h, vendor);
    }
    port.offer(202, h, vendor); // not on for anyone
    // Held by the worker until the end of its loop iteration, then queued in one burst.
    CHECK(port.counters.get(sra_counter::fed) == 0);
    CHECK(rte_ring_count(ring) == 0);
    port.flush();
    CHECK(port.counters.get(sra_counter::fed) == 3);
    CHECK(port.counters.get(sra_counter::matched) == 3);
    CHECK(port.counters.get(sra_counter::unmatched) == 1);
    REQUIRE(rte_ring_count(ring) == 3);

    // The ring is full: the fourth is dropped, its object goes back, the loss is noted.
    port.offer(204, h, vendor);
    port.next_iteration(); // flushes
    CHECK(port.counters.get(sra_counter::drop_ring_full) == 1);
    CHECK(port.lost[204].load() == 1);
    CHECK(port.lost_total.load() == 1);
    CHECK(rte_mempool_avail_count(pool) == 3);

    // Too large for an object.
    std::vector<std::uint8_t> big(300, 7);
    port.offer(204, h, big);
    CHECK(port.counters.get(sra_counter::drop_too_big) == 1);
    CHECK(port.lost[204].load() == 2);

    // What the consumer sees: the hits with their session and serial, then an NmsgPayload
    // that decodes to the same fields.
    void* obj = nullptr;
    REQUIRE(rte_ring_sc_dequeue(ring, &obj) == 0);
    auto* slot = static_cast<dataplane::sra_slot*>(obj);
    CHECK(slot->ch == 204);
    CHECK(slot->flags == dataplane::sra_slot::has_hits);
    CHECK(slot->serial == 5);
    REQUIRE(slot->n_hits == 1);
    CHECK(slot->hits()[0].session == 11);
    CHECK(slot->hits()[0].hit.client == 0);
    CHECK(slot->hits()[0].hit.tag == 7);
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

    // Twelve clients hit: 12 hits do not fit 256 bytes with the payload, so it goes without.
    std::vector<client_spec> many;
    for (std::uint32_t c = 0; c < 12; ++c) {
        many.push_back({c, 100 + c, {ch_watch(static_cast<std::uint16_t>(c), 204)}});
    }
    pub.publish(make_gen(many, 6, 1));
    port.next_iteration();
    port.offer(204, h, vendor);
    port.flush();
    CHECK(port.counters.get(sra_counter::overflow) == 1);
    REQUIRE(rte_ring_sc_dequeue(ring, &obj) == 0);
    slot = static_cast<dataplane::sra_slot*>(obj);
    CHECK(slot->flags == 0);
    CHECK(slot->n_hits == 0);
    CHECK(nmsg::payload_view(core::byte_view(slot->data(), slot->len)).ok());
    rte_mempool_put(pool, obj);
    CHECK(port.counters.get(sra_counter::fed) ==
          port.counters.get(sra_counter::matched) + port.counters.get(sra_counter::overflow));

    // A worker that stops does not hold generations back.
    pub.publish(make_gen({}, 7, 1));
    CHECK(pub.reclaim() == 2); // generations 2 and 5 (passed), not 6 (may be held)
    port.offline();
    CHECK(pub.reclaim() == 1);
    CHECK(pub.pending() == 0);

    rte_ring_free(ring);
    rte_mempool_free(pool);
}
