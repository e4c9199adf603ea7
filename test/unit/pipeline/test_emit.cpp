// SPDX-License-Identifier: Apache-2.0
// Channel emitters: every datagram decodes as nmsgtool would decode it (test_emit_util.hpp's
// receiver), sizes stay within the container size with random payload sizes (oversize ones
// included), payload order and bytes survive, sequence numbers run 0,1,2,…, the drain timer
// and flush behave, frames from frame_buffer_sink parse and carry correct checksums, and the
// 55 payloads of the golden stream come back as nmsgtool's JSON, byte for byte.

#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/emit.hpp"
#include "proto/json/json_line.hpp"
#include "proto/net/packet.hpp"
#include "test_emit_util.hpp"

using namespace siehub;
using namespace siehub::pipeline;
using pipeline::test::bytes;
using pipeline::test::collecting_sink;
using pipeline::test::receiver;

namespace {

struct input_payload {
    nmsg::payload_header h;
    bytes vendor;
};

bytes serialized(const input_payload& p)
{
    bytes buf(nmsg::payload_size(p.h, core::byte_view{p.vendor}));
    core::out_buffer out(buf);
    nmsg::write_payload(out, p.h, core::byte_view{p.vendor});
    return buf;
}

// Random payloads: sizes from tiny to several times the container size; half of the vendor
// bodies are compressible text, half random bytes (which zlib cannot shrink).
std::vector<input_payload> random_payloads(std::mt19937_64& rng, std::size_t n, std::size_t limit)
{
    std::vector<input_payload> v;
    std::uniform_int_distribution<int> kind(0, 9);
    for (std::size_t i = 0; i < n; ++i) {
        input_payload p;
        p.h.vid = 2;
        p.h.msgtype = 1;
        p.h.time_sec = 1795382103 + static_cast<std::int64_t>(i);
        p.h.time_nsec = static_cast<std::uint32_t>(rng() % 1000000000);
        if (i % 3 == 0) {
            p.h.source = static_cast<std::uint32_t>(rng());
        }
        std::size_t size = 0;
        switch (kind(rng)) {
        case 0:
            size = rng() % 8;
            break;
        case 1:
            size = limit - 60 + rng() % 120; // around the edge of one container
            break;
        case 2:
            size = limit + rng() % (3 * limit); // oversize: alone / fragmented
            break;
        default:
            size = 20 + rng() % (limit / 3);
            break;
        }
        p.vendor.resize(size);
        bool const text = rng() & 1;
        for (auto& b : p.vendor) {
            b = text ? static_cast<std::uint8_t>('a' + rng() % 4)
                     : static_cast<std::uint8_t>(rng());
        }
        v.push_back(std::move(p));
    }
    return v;
}

} // namespace

TEST_CASE("emitter output decodes intact at 512/1280/8192, zlib off and on", "[emit]")
{
    std::mt19937_64 rng(20261122);
    for (std::size_t limit : {std::size_t{512}, std::size_t{1280}, std::size_t{8192}}) {
        for (bool zlib : {false, true}) {
            DYNAMIC_SECTION("limit " << limit << (zlib ? " zlib" : ""))
            {
                collecting_sink sink;
                emitter_config cfg;
                cfg.container_size = limit;
                cfg.zlib = zlib;
                cfg.src_port = 40001;
                channel_emitter em(cfg, sink);
                auto const in = random_payloads(rng, 300, limit);
                std::uint64_t now = 0;
                for (auto const& p : in) {
                    auto const r = em.add(p.h, core::byte_view{p.vendor}, now++);
                    REQUIRE(r != channel_emitter::add_result::dropped);
                }
                em.flush();
                CHECK(em.pending_payloads() == 0);

                receiver rx(limit, em.sequence_id());
                rx.all(sink.datagrams);
                REQUIRE(rx.payloads.size() == in.size());
                for (std::size_t i = 0; i < in.size(); ++i) {
                    REQUIRE(rx.payloads[i] == serialized(in[i]));
                }
                for (auto const& m : sink.metas) {
                    CHECK(m.src_port == 40001);
                }
                auto const& c = em.counters();
                CHECK(c.get(emit_counter::payloads) == in.size());
                CHECK(c.get(emit_counter::containers) + c.get(emit_counter::fragments) ==
                      sink.datagrams.size());
                CHECK(c.get(emit_counter::fragments) == rx.fragment_datagrams);
                CHECK(em.next_sequence() == rx.containers);
                CHECK(c.get(emit_counter::oversize) > 0);
                CHECK(c.get(emit_counter::fragmented_containers) > 0);
                CHECK(c.get(emit_counter::dropped_error) == 0);
                std::uint64_t total = 0;
                for (auto const& d : sink.datagrams) {
                    total += d.size();
                }
                CHECK(c.get(emit_counter::bytes) == total);
                if (zlib) {
                    CHECK(c.get(emit_counter::zlib_containers) == sink.datagrams.size());
                } else {
                    CHECK(c.get(emit_counter::zlib_containers) == 0);
                }
            }
        }
    }
}

TEST_CASE("zlib: an oversize payload that compresses to fit leaves as one 0x01 datagram", "[emit]")
{
    collecting_sink sink;
    emitter_config cfg;
    cfg.zlib = true;
    channel_emitter em(cfg, sink);
    input_payload p;
    p.h = {2, 1, 1795382103, 5, {}, {}, {}};
    p.vendor.assign(4000, 'x'); // far above 1280, compresses to a few dozen bytes
    REQUIRE(em.add(p.h, core::byte_view{p.vendor}, 0) == channel_emitter::add_result::sent_alone);
    REQUIRE(sink.datagrams.size() == 1);
    auto const& d = sink.datagrams[0];
    // A normal header with flags 0x01 — never libnmsg's bare zlib body (nmsg.md §6).
    REQUIRE(d.size() > 10);
    CHECK(std::equal(d.begin(), d.begin() + 4, nmsg::nmsg_magic));
    CHECK(d[4] == nmsg::flag_zlib);
    CHECK(em.counters().get(emit_counter::fragments) == 0);
    receiver rx(1280, em.sequence_id());
    rx.all(sink.datagrams);
    REQUIRE(rx.payloads.size() == 1);
    CHECK(rx.payloads[0] == serialized(p));
}

TEST_CASE("sequence ids are random per emitter; sequence numbers count containers", "[emit]")
{
    collecting_sink a_sink, b_sink;
    emitter_config cfg;
    cfg.src_port = emitter_src_port(8430, 0);
    channel_emitter a(cfg, a_sink);
    cfg.src_port = emitter_src_port(8430, 1);
    channel_emitter b(cfg, b_sink);
    CHECK(a.sequence_id() != b.sequence_id());
    CHECK(a.src_port() == 8430);
    CHECK(b.src_port() == 8431);
    std::set<std::uint64_t> ids;
    for (int i = 0; i < 16; ++i) {
        collecting_sink s;
        channel_emitter e(cfg, s);
        ids.insert(e.sequence_id());
    }
    CHECK(ids.size() == 16);

    input_payload p{{2, 6, 1, 2, {}, {}, {}}, bytes(100, 7)};
    for (int i = 0; i < 5; ++i) {
        a.add(p.h, core::byte_view{p.vendor}, 0);
        a.flush();
    }
    REQUIRE(a_sink.datagrams.size() == 5);
    for (std::uint32_t i = 0; i < 5; ++i) {
        CHECK(a_sink.metas[i].sequence == i);
        CHECK(a_sink.metas[i].src_port == 8430);
    }
    receiver rx(1280, a.sequence_id());
    rx.all(a_sink.datagrams);
    CHECK(rx.containers == 5);
}

TEST_CASE("drain timer flushes a container once its first payload is drain_ns old", "[emit]")
{
    collecting_sink sink;
    emitter_config cfg;
    cfg.drain_ns = 1'000'000;
    channel_emitter em(cfg, sink);
    input_payload p{{2, 6, 1, 2, {}, {}, {}}, bytes(50, 1)};

    CHECK(!em.drain(5'000'000)); // empty: nothing, ever (nmsg.md §17.2)
    CHECK(!em.flush());
    CHECK(sink.datagrams.empty());

    em.add(p.h, core::byte_view{p.vendor}, 10'000'000);
    em.add(p.h, core::byte_view{p.vendor}, 10'900'000); // does not restart the timer
    CHECK(!em.drain(10'999'999));
    CHECK(sink.datagrams.empty());
    CHECK(!em.drain(9'000'000)); // a clock behind the container's start sends nothing
    CHECK(em.drain(11'000'000));
    REQUIRE(sink.datagrams.size() == 1);
    CHECK(em.counters().get(emit_counter::drain_flushes) == 1);
    CHECK(!em.drain(50'000'000)); // now empty

    em.add(p.h, core::byte_view{p.vendor}, 60'000'000); // a fresh container, fresh timer
    CHECK(!em.drain(60'500'000));
    CHECK(em.drain(61'000'000));
    REQUIRE(sink.datagrams.size() == 2);
    receiver rx(1280, em.sequence_id());
    rx.all(sink.datagrams);
    CHECK(rx.payloads.size() == 3);
    CHECK(em.counters().get(emit_counter::shutdown_flushes) == 0);
}

TEST_CASE("full containers leave when the next payload does not fit", "[emit]")
{
    collecting_sink sink;
    emitter_config cfg; // 1280
    channel_emitter em(cfg, sink);
    // Entries of 267 bytes: four fit in 1280 with their CRCs and sequence fields, five do not.
    input_payload p{{2, 1, 1, 2, {}, {}, {}}, bytes(250, 3)};
    for (int i = 0; i < 4; ++i) {
        REQUIRE(em.add(p.h, core::byte_view{p.vendor}, 0) == channel_emitter::add_result::added);
    }
    CHECK(sink.datagrams.empty());
    REQUIRE(em.add(p.h, core::byte_view{p.vendor}, 0) == channel_emitter::add_result::added);
    REQUIRE(sink.datagrams.size() == 1); // the first four left together
    CHECK(em.counters().get(emit_counter::full_flushes) == 1);
    CHECK(em.pending_payloads() == 1);
    CHECK(sink.datagrams[0].size() <= 1280);
}

TEST_CASE("drops: too large payloads and a refusing sink are counted", "[emit]")
{
    collecting_sink sink;
    emitter_config cfg;
    cfg.max_payload_bytes = 4096;
    REQUIRE(validate(cfg) == emitter_config_error::ok);
    channel_emitter em(cfg, sink);
    input_payload big{{2, 1, 1, 2, {}, {}, {}}, bytes(4097, 3)};
    CHECK(em.add(big.h, core::byte_view{big.vendor}, 0) == channel_emitter::add_result::dropped);
    CHECK(em.counters().get(emit_counter::dropped_too_large) == 1);
    big.vendor.resize(4096);
    CHECK(em.add(big.h, core::byte_view{big.vendor}, 0) == channel_emitter::add_result::sent_alone);

    sink.refuse = true;
    input_payload p{{2, 1, 1, 2, {}, {}, {}}, bytes(10, 3)};
    em.add(p.h, core::byte_view{p.vendor}, 0);
    std::uint32_t const before = em.next_sequence();
    CHECK(em.flush());
    CHECK(em.counters().get(emit_counter::dropped_sink) == 1);
    CHECK(em.next_sequence() == before + 1); // the receiver sees the loss

    emitter_config bad;
    bad.container_size = 511;
    CHECK(validate(bad) == emitter_config_error::container_too_small);
    bad.container_size = 65508;
    CHECK(validate(bad) == emitter_config_error::container_too_large);
    bad.container_size = 8192;
    bad.max_payload_bytes = 0;
    CHECK(validate(bad) == emitter_config_error::payload_bound);
}

TEST_CASE("frame_buffer_sink frames parse with correct VLAN, ports and checksums", "[emit]")
{
    net::channel_frame_spec spec;
    spec.vlan = 204;
    spec.src_mac = {0x02, 0, 0, 0, 0, 1};
    spec.src_ip = {198, 18, 204, 1};
    spec.dst_ip = {198, 18, 204, 255};
    spec.dst_port = 8430;
    bytes buf(1 << 20);
    std::vector<frame_buffer_sink::frame_ref> slots(256);
    frame_buffer_sink sink(spec, buf, slots);
    collecting_sink copy;

    struct tee final : datagram_sink {
        datagram_sink& a;
        datagram_sink& b;
        tee(datagram_sink& x, datagram_sink& y) : a(x), b(y) {}
        bool send(core::byte_view d, const datagram_meta& m) noexcept override
        {
            return a.send(d, m) && b.send(d, m);
        }
    } both(sink, copy);

    emitter_config cfg;
    cfg.src_port = 40007;
    channel_emitter em(cfg, both);
    std::mt19937_64 rng(7);
    auto const in = random_payloads(rng, 60, 1280);
    for (auto const& p : in) {
        em.add(p.h, core::byte_view{p.vendor}, 0);
    }
    em.flush();
    REQUIRE(sink.frame_count() == copy.datagrams.size());
    REQUIRE(sink.frame_count() > 3);
    for (std::size_t i = 0; i < sink.frame_count(); ++i) {
        auto const f = sink.frame(i);
        net::udp_packet u;
        REQUIRE(net::parse_udp_frame(f, u) == net::errc::ok);
        CHECK(u.vlan == 204);
        CHECK(u.vlan_count == 1);
        CHECK(u.src_port == 40007);
        CHECK(u.dst_port == 8430);
        CHECK(u.dst.view()[3] == 255);
        CHECK(std::equal(f.begin(), f.begin() + 6, spec.dst_mac.begin()));
        CHECK(bytes(u.payload.begin(), u.payload.end()) == copy.datagrams[i]);
        // IPv4 header checksum: the one's-complement sum over the header is 0xffff.
        const std::uint8_t* ip = f.data() + u.l3_offset;
        CHECK(net::fold(net::ones_sum(ip, 20)) == 0xffff);
        CHECK((ip[6] & 0x40) != 0); // DF
        // UDP checksum over pseudo-header + UDP header + payload is 0xffff too.
        std::size_t const udp_len = 8 + u.payload.size();
        std::uint32_t acc = net::ones_sum(ip + 12, 8);
        acc += 17u + static_cast<std::uint32_t>(udp_len);
        acc = net::ones_sum(f.data() + u.l4_offset, udp_len, acc);
        CHECK(net::fold(acc) == 0xffff);
    }
    // A full slot table refuses further frames.
    std::vector<frame_buffer_sink::frame_ref> one(1);
    frame_buffer_sink small(spec, buf, one);
    CHECK(small.send(copy.datagrams[0], {1, 0, false}));
    CHECK(!small.send(copy.datagrams[0], {1, 0, false}));
}

TEST_CASE("the 55 golden stream payloads at 1280 decode to nmsg-udp-8430.jsonl", "[emit]")
{
    std::vector<bytes> in;
    for (auto const* f :
         {"nmsg/dnsqr.nmsg", "nmsg/dnsdedupe-insertion.nmsg", "nmsg/dnsdedupe-expiration.nmsg",
          "nmsg/newdomain.nmsg", "nmsg/dnsnx.nmsg"}) {
        auto const file = test::read_file(test::testdata(f));
        auto const ps = test::file_payloads(file);
        in.insert(in.end(), ps.begin(), ps.end());
    }
    REQUIRE(in.size() == 55);
    auto const expected = test::read_file(test::testdata("pcap/nmsg-udp-8430.jsonl"));

    for (bool zlib : {false, true}) {
        collecting_sink sink;
        emitter_config cfg;
        cfg.container_size = 1280;
        cfg.zlib = zlib;
        channel_emitter em(cfg, sink);
        for (auto const& raw : in) {
            nmsg::payload_view const p(raw);
            REQUIRE(p.ok());
            em.add(test::header_of(p), *p.payload(), 0);
        }
        em.flush();
        receiver rx(1280, em.sequence_id());
        rx.all(sink.datagrams);
        REQUIRE(rx.payloads.size() == 55);
        CHECK((rx.fragment_datagrams > 0 || zlib));
        std::string out;
        for (auto const& raw : rx.payloads) {
            REQUIRE(json::render_json_line(core::byte_view{raw}, out) == json::line_error::none);
        }
        CHECK(out == std::string(expected.begin(), expected.end()));
    }
}
