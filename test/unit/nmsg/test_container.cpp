// SPDX-License-Identifier: Apache-2.0
// Framing, container views, CRC-32C, builder, fragmenter, zlib, reassembly, seqsrc.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "proto/nmsg/container.hpp"
#include "proto/nmsg/crc32c.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/seqsrc.hpp"
#include "proto/nmsg/zlib.hpp"

using namespace siehub::nmsg;
using siehub::core::as_bytes;
using siehub::core::byte_view;
using siehub::core::out_buffer;

namespace {

std::vector<std::uint8_t> unit_of(std::uint8_t flags, std::uint8_t version,
                                  std::vector<std::uint8_t> body, int len_delta = 0)
{
    std::vector<std::uint8_t> v = {'N', 'M', 'S', 'G', flags, version};
    std::uint32_t const len = static_cast<std::uint32_t>(body.size() + len_delta);
    v.push_back(static_cast<std::uint8_t>(len >> 24));
    v.push_back(static_cast<std::uint8_t>(len >> 16));
    v.push_back(static_cast<std::uint8_t>(len >> 8));
    v.push_back(static_cast<std::uint8_t>(len));
    v.insert(v.end(), body.begin(), body.end());
    return v;
}

// The container a builder finished: it parses and holds n payloads, each with its CRC.
nmsg_view built_container(byte_view unit, std::size_t n)
{
    auto const u = parse_datagram(unit);
    REQUIRE(u.ok());
    nmsg_view v(u.body);
    REQUIRE(v.valid());
    CHECK(v.payload_count() == n);
    CHECK(v.payload_crcs().size() == n);
    return v;
}

std::vector<std::uint8_t> one_payload_body(bool with_crc, bool good_crc = true)
{
    std::vector<std::uint8_t> buf(256);
    out_buffer out(buf);
    payload_header h{2, 6, 1795382103, 812584000, 0xa1b2c3d4u, std::nullopt, std::nullopt};
    auto vendor = as_bytes("hello");
    pb_put_len_prefix(out, 1, payload_size(h, vendor));
    write_payload(out, h, vendor);
    if (with_crc) {
        pb_put_uint(out, 2, crc32c_stored(vendor) ^ (good_crc ? 0u : 1u));
    }
    buf.resize(out.size());
    return buf;
}

} // namespace

TEST_CASE("crc32c: check value, hardware and table agree", "[nmsg][crc]")
{
    CHECK(crc32c(as_bytes("123456789")) == 0xE3069283u);
    CHECK(crc32c_table(as_bytes("123456789")) == 0xE3069283u);
    CHECK(crc32c(byte_view{}) == 0);
    std::mt19937 rng(7);
    for (int i = 0; i < 200; ++i) {
        std::vector<std::uint8_t> d(rng() % 300);
        for (auto& b : d) {
            b = static_cast<std::uint8_t>(rng());
        }
        CHECK(crc32c(d) == crc32c_table(d));
    }
    // Spec §3: CRC 0x957dcda7 is stored as 0xa7cd7d95.
    CHECK(__builtin_bswap32(0x957dcda7u) == 0xa7cd7d95u);
}

TEST_CASE("header parse: datagram rules and every error", "[nmsg][container]")
{
    auto body = one_payload_body(true);
    auto good = unit_of(0, 2, body);
    auto u = parse_datagram(good);
    REQUIRE(u.ok());
    CHECK(u.header.length == body.size());
    CHECK(u.body.size() == body.size());
    CHECK(parse_datagram(byte_view{good.data(), 9}).error == container_error::short_header);
    auto bad = good;
    bad[0] = 0;
    CHECK(parse_datagram(bad).error == container_error::bad_magic);
    CHECK(parse_datagram(unit_of(0, 3, body)).error == container_error::bad_version);
    CHECK(parse_datagram(unit_of(0x04, 2, body)).error == container_error::bad_flags);
    CHECK(parse_datagram(unit_of(0, 2, body, 1)).error == container_error::length_mismatch);
    CHECK(parse_datagram(unit_of(0, 2, body, -1)).error == container_error::length_mismatch);
    CHECK(next_file_unit(unit_of(0, 2, body, 1)).error == container_error::truncated_body);
    CHECK(to_string(container_error::truncated_body) == "truncated_body");
    // File mode: concatenation; legacy v1 accepted only there.
    auto two = good;
    two.insert(two.end(), good.begin(), good.end());
    auto a = next_file_unit(two);
    REQUIRE(a.ok());
    auto b = next_file_unit(byte_view{two}.subspan(a.consumed));
    REQUIRE(b.ok());
    CHECK(a.consumed + b.consumed == two.size());
    std::vector<std::uint8_t> v1 = {'N', 'M', 'S', 'G',
                                    0,   1,   0,   static_cast<std::uint8_t>(body.size())};
    v1.insert(v1.end(), body.begin(), body.end());
    auto l = next_file_unit(v1);
    REQUIRE(l.ok());
    CHECK(l.header.version == 1);
    CHECK(nmsg_view(l.body).valid());
    CHECK(parse_datagram(v1).error == container_error::bad_version);
    // The headerless zlib bug's first bytes.
    std::vector<std::uint8_t> headerless = {0, 0, 5, 0x56, 0x78, 0x9c, 1, 2, 3, 4, 5};
    CHECK(parse_datagram(headerless).error == container_error::bad_magic);
}

TEST_CASE("container view: payload fields, CRC check, required fields", "[nmsg][container]")
{
    auto const good_body = one_payload_body(true);
    auto const bad_body = one_payload_body(true, false);
    auto const nocrc_body = one_payload_body(false);
    nmsg_view v(good_body);
    REQUIRE(v.valid());
    CHECK(v.payload_count() == 1);
    CHECK_FALSE(v.sequence().has_value());
    for (auto e : v.entries()) {
        CHECK(e.view.vid() == 2);
        CHECK(e.view.msgtype() == 6);
        CHECK(e.view.time_sec() == 1795382103);
        CHECK(e.view.time_nsec() == 812584000u);
        CHECK(e.view.source() == 0xa1b2c3d4u);
        CHECK_FALSE(e.view.operator_id().has_value());
        CHECK(e.stored_crc.has_value());
        CHECK(e.crc_ok());
    }
    nmsg_view bad(bad_body);
    REQUIRE(bad.valid()); // a CRC mismatch drops the payload, not the container
    CHECK_FALSE((*bad.entries().begin()).crc_ok());
    nmsg_view nocrc(nocrc_body);
    REQUIRE(nocrc.valid());
    CHECK((*nocrc.entries().begin()).crc_ok());

    // A payload without time_nsec (4) makes the whole container an error.
    std::vector<std::uint8_t> p = {0x0a, 0x06, 0x08, 0x02, 0x10, 0x06, 0x18, 0x01};
    CHECK(nmsg_view(p).status() == container_error::missing_required);
    // No payloads at all.
    std::vector<std::uint8_t> empty = {0x18, 0x01};
    CHECK(nmsg_view(empty).status() == container_error::no_payloads);
    CHECK(nmsg_view(std::vector<std::uint8_t>{0x0a, 0x05}).status() == container_error::malformed);
}

TEST_CASE("builder: fills to the limit, never above, never empty", "[nmsg][builder]")
{
    for (std::size_t limit : {512u, 1280u, 8192u}) {
        for (bool seq : {false, true}) {
            std::vector<std::uint8_t> buf(limit);
            container_builder b(buf, limit, seq, false);
            CHECK(b.finish().empty()); // zero payloads: nothing
            std::vector<std::uint8_t> vendor(90, 0x33);
            payload_header h{1, 9, 1795382103, 1, 0x11223344u, 7u, 9u};
            std::size_t n = 0;
            while (b.add(h, vendor) == container_builder::add_status::added) {
                ++n;
            }
            CHECK(n > 0);
            CHECK_FALSE(b.fits(container_builder::entry_size(h, vendor.size())));
            auto unit = b.finish(41, 0x0102030405060708ull);
            REQUIRE_FALSE(unit.empty());
            CHECK(unit.size() <= limit);
            auto const v = built_container(unit, n);
            if (seq) {
                CHECK(v.sequence() == 41u);
                CHECK(v.sequence_id() == 0x0102030405060708ull);
            }
            for (auto e : v.entries()) {
                CHECK(e.crc_ok());
                CHECK(e.view.operator_id() == 7u);
                CHECK(e.view.group() == 9u);
                CHECK(e.view.payload()->size() == 90);
            }
        }
    }
    std::vector<std::uint8_t> buf(512);
    container_builder b(buf, 512, true, false);
    std::vector<std::uint8_t> big(600);
    CHECK(b.add(payload_header{1, 9, 0, 0}, big) == container_builder::add_status::too_large);
}

TEST_CASE("builder: every payload's CRC, past the ones add() keeps, and after a reset",
          "[nmsg][builder]")
{
    // add() keeps the first 256 CRCs; finish() walks the payloads for the rest.
    std::vector<std::uint8_t> buf(65536);
    container_builder b(buf, buf.size(), true, false);
    for (std::size_t round = 0; round < 2; ++round) {
        std::size_t n = 0;
        for (; n < 1000; ++n) {
            std::vector<std::uint8_t> vendor(1 + (n % 13), static_cast<std::uint8_t>(n * 7 + round));
            REQUIRE(b.add(payload_header{1, 9, 0, 0}, vendor) == container_builder::add_status::added);
        }
        auto unit = b.finish(static_cast<std::uint32_t>(round), 5);
        auto const v = built_container(unit, n);
        std::size_t i = 0;
        for (auto e : v.entries()) {
            CHECK(e.crc_ok());
            CHECK(e.view.payload()->size() == 1 + (i % 13));
            CHECK((*e.view.payload())[0] == static_cast<std::uint8_t>(i * 7 + round));
            ++i;
        }
        CHECK(i == n);
        b.reset();
    }
}

TEST_CASE("fragmenter and reassembler round trip (plain and zlib)", "[nmsg][frag]")
{
    for (bool z : {false, true}) {
        // One 5000-byte payload in a big container, fragmented at 512.
        std::vector<std::uint8_t> big(1 << 16);
        container_builder b(big, big.size(), true, false);
        std::vector<std::uint8_t> vendor(5000);
        std::mt19937 rng(3);
        for (auto& x : vendor) {
            x = static_cast<std::uint8_t>(rng() & (z ? 0x3 : 0xff));
        }
        REQUIRE(b.add(payload_header{2, 1, 5, 6}, vendor) == container_builder::add_status::added);
        auto unit = b.finish(9, 77);
        byte_view body = unit.subspan(header_size);
        std::vector<std::uint8_t> zbuf(1 << 16);
        deflater d;
        if (z) {
            auto r = d.deflate(body, zbuf);
            REQUIRE(r.ok());
            body = r.data;
        }
        fragmenter f(body, z, 0xabcdef01u, 512);
        CHECK(f.last() == (body.size() + 479) / 480 - 1);
        std::vector<std::vector<std::uint8_t>> dgrams;
        while (!f.done()) {
            std::vector<std::uint8_t> dg(512);
            out_buffer o(dg);
            REQUIRE(f.next(o));
            dg.resize(o.size());
            CHECK(dg.size() <= 512);
            dgrams.push_back(dg);
        }
        CHECK(dgrams.size() == f.count());
        reassembler r;
        std::array<std::uint8_t, 16> addr{127, 0, 0, 1};
        reasm_result res;
        // Deliver in reverse with one duplicate.
        for (std::size_t i = dgrams.size(); i-- > 0;) {
            auto u = parse_datagram(dgrams[i]);
            REQUIRE(u.ok());
            CHECK(u.header.fragment());
            CHECK(u.header.zlib() == z);
            res = r.offer(u.body, u.header.flags, addr, 8430, 1000);
            if (i == dgrams.size() - 1) {
                auto dup = r.offer(u.body, u.header.flags, addr, 8430, 1000);
                CHECK(dup.reason == reasm_reason::duplicate);
            }
        }
        REQUIRE(res.st == reasm_result::status::complete);
        CHECK(res.zlib == z);
        byte_view got = res.body;
        std::vector<std::uint8_t> inflated(1 << 16);
        if (z) {
            inflater inf;
            auto ir = inf.inflate(got, inflated);
            REQUIRE(ir.ok());
            got = ir.data;
        }
        nmsg_view v(got);
        REQUIRE(v.valid());
        CHECK(v.sequence() == 9u);
        CHECK((*v.entries().begin()).crc_ok());
        CHECK(r.count(reasm_reason::completed) == 1);
        CHECK(r.sets() == 0);
        CHECK(r.bytes_held() == 0);
    }
}

TEST_CASE("fragmenter: exact multiple gives ceil(len/max)-1", "[nmsg][frag]")
{
    std::vector<std::uint8_t> body(960);
    fragmenter f(body, false, 1, 512);
    CHECK(f.last() == 1);
    fragmenter g(std::vector<std::uint8_t>(961), false, 1, 512);
    CHECK(g.last() == 2);
}

TEST_CASE("reassembler: every drop reason", "[nmsg][frag]")
{
    reasm_config cfg;
    cfg.max_fragments = 8;
    cfg.max_set_bytes = 100;
    cfg.max_sets = 2;
    reassembler r(cfg);
    std::array<std::uint8_t, 16> a{10, 0, 0, 1};
    auto frag = [](std::uint32_t id, std::uint32_t cur, std::uint32_t last, std::size_t n,
                   std::optional<std::uint32_t> crc = 0u) {
        std::vector<std::uint8_t> data(n, 0x41);
        fragment_fields f{id, cur, last, data, crc};
        std::vector<std::uint8_t> out(n + 40);
        out_buffer o(out);
        write(o, f);
        out.resize(o.size());
        return out;
    };
    CHECK(r.offer(std::vector<std::uint8_t>{0x08, 0x01}, 2, a, 1, 0).reason ==
          reasm_reason::malformed);
    CHECK(r.offer(frag(1, 0, 8, 10), 2, a, 1, 0).reason == reasm_reason::last_too_large);
    CHECK(r.offer(frag(1, 3, 2, 10), 2, a, 1, 0).reason == reasm_reason::current_beyond_last);
    CHECK(r.offer(frag(1, 0, 2, 10), 2, a, 1, 0).st == reasm_result::status::pending);
    CHECK(r.offer(frag(1, 1, 3, 10), 2, a, 1, 0).reason == reasm_reason::last_mismatch);
    CHECK(r.offer(frag(1, 0, 2, 10), 2, a, 1, 0).reason == reasm_reason::duplicate);
    CHECK(r.offer(frag(1, 1, 2, 95), 2, a, 1, 0).reason == reasm_reason::set_too_large);
    CHECK(r.sets() == 0);
    CHECK(r.offer(frag(2, 0, 1, 10), 2, a, 1, 0).st == reasm_result::status::pending);
    CHECK(r.offer(frag(3, 0, 1, 10), 2, a, 1, 0).st == reasm_result::status::pending);
    CHECK(r.offer(frag(4, 0, 1, 10), 2, a, 1, 0).reason == reasm_reason::too_many_sets);
    // Same id from another port is another set (key includes the sender).
    CHECK(r.offer(frag(2, 1, 1, 10), 2, a, 2, 0).reason == reasm_reason::too_many_sets);
    // 30 s later both sets time out as the next fragment arrives.
    CHECK(r.offer(frag(5, 0, 1, 10), 2, a, 1, 30001).st == reasm_result::status::pending);
    CHECK(r.count(reasm_reason::timeout) == 2);
    // Completing set 5 with a wrong crc (0 is not the CRC of 20 'A's).
    CHECK(r.offer(frag(5, 1, 1, 10), 2, a, 1, 30002).reason == reasm_reason::crc_mismatch);
    // Without a crc the set completes.
    CHECK(r.offer(frag(6, 0, 0, 10, std::nullopt), 2, a, 1, 30003).st ==
          reasm_result::status::complete);
    CHECK(r.count(reasm_reason::duplicate) == 1);
    CHECK(to_string(reasm_reason::crc_mismatch) == "crc_mismatch");
}

TEST_CASE("zlib: round trip and every error", "[nmsg][zlib]")
{
    std::vector<std::uint8_t> in(3000);
    for (std::size_t i = 0; i < in.size(); ++i) {
        in[i] = static_cast<std::uint8_t>(i % 17);
    }
    std::vector<std::uint8_t> z(4096), out(4096);
    deflater d;
    auto dr = d.deflate(in, z);
    REQUIRE(dr.ok());
    CHECK(dr.data[4] == 0x78);
    CHECK(dr.data[5] == 0x9c);
    CHECK(zlib_stated_length(dr.data) == 3000);
    inflater inf;
    auto ir = inf.inflate(dr.data, out);
    REQUIRE(ir.ok());
    CHECK(std::equal(in.begin(), in.end(), ir.data.begin()));
    // Errors.
    CHECK(inf.inflate(byte_view{dr.data.data(), 3}, out).error == zlib_error::short_body);
    CHECK(inf.inflate(dr.data, out, 2999).error == zlib_error::too_large);
    CHECK(inf.inflate(dr.data, std::span<std::uint8_t>(out.data(), 2000)).error ==
          zlib_error::buffer_too_small);
    std::vector<std::uint8_t> lie(dr.data.begin(), dr.data.end());
    lie[3] = static_cast<std::uint8_t>(lie[3] + 1); // states 3001
    CHECK(inf.inflate(lie, out).error == zlib_error::wrong_length);
    lie[3] = static_cast<std::uint8_t>(lie[3] - 2); // states 2999
    CHECK(inf.inflate(lie, out).error == zlib_error::wrong_length);
    std::vector<std::uint8_t> cut(dr.data.begin(), dr.data.end() - 6);
    CHECK(inf.inflate(cut, out).error == zlib_error::wrong_length);
    std::vector<std::uint8_t> junk(dr.data.begin(), dr.data.end());
    junk[4] = 0x00;
    CHECK(inf.inflate(junk, out).error == zlib_error::bad_stream);
    CHECK(d.deflate(in, std::span<std::uint8_t>(z.data(), 20)).error == zlib_error::overflow);
    CHECK(to_string(zlib_error::wrong_length) == "wrong_length");

    // zlib_container keeps a normal header (never the headerless form).
    std::vector<std::uint8_t> buf(1280);
    container_builder b(buf, 1280, true, true);
    std::vector<std::uint8_t> vendor(300, 1);
    while (b.add(payload_header{2, 1, 1, 1}, vendor) == container_builder::add_status::added) {
    }
    auto unit = b.finish(0, 1);
    std::vector<std::uint8_t> zc(1280);
    auto zr = zlib_container(d, unit, zc);
    REQUIRE(zr.ok());
    auto u = parse_datagram(zr.data);
    REQUIRE(u.ok());
    CHECK(u.header.flags == flag_zlib);
    auto back = inf.inflate(u.body, out);
    REQUIRE(back.ok());
    CHECK(nmsg_view(back.data).valid());
}

TEST_CASE("builder with zlib budget fits incompressible payloads", "[nmsg][builder]")
{
    std::vector<std::uint8_t> buf(1280), zc(1280);
    container_builder b(buf, 1280, true, true);
    std::vector<std::uint8_t> vendor(200);
    std::mt19937 rng(11);
    for (auto& x : vendor) {
        x = static_cast<std::uint8_t>(rng());
    }
    while (b.add(payload_header{2, 1, 1, 1}, vendor) == container_builder::add_status::added) {
    }
    deflater d;
    auto zr = zlib_container(d, b.finish(1, 2), zc);
    REQUIRE(zr.ok());
    CHECK(zr.data.size() <= 1280);
}

TEST_CASE("seqsrc: the observed examples of spec §7", "[nmsg][seqsrc]")
{
    auto run = [](std::initializer_list<std::uint32_t> seqs) {
        seqsrc_tracker t;
        seq_key k{42, {127, 0, 0, 1}, 5000};
        for (auto s : seqs) {
            t.observe(k, s, 0);
        }
        return t.container_drops();
    };
    CHECK(run({0, 1, 2, 5, 6, 10}) == 5);
    CHECK(run({7, 8, 9, 3, 4}) == 0);
    CHECK(run({4294967294u, 4294967295u, 0, 1}) == 0);
    CHECK(run({0, 1, 2000000, 2000001}) == 0);
    CHECK(run({100}) == 0);
    CHECK(run({0, 1048577}) == 1048576);
    CHECK(run({0, 1048578}) == 0);

    seqsrc_tracker t;
    seq_key a{1, {127, 0, 0, 1}, 5000};
    seq_key b{2, {127, 0, 0, 1}, 5000};
    t.observe(a, 0, 0);
    t.observe(b, 5, 0); // new sequence_id: a new key, no loss
    t.observe(a, 3, 1000);
    CHECK(t.container_drops() == 2);
    CHECK(t.container_recvs() == 3);
    // Idle 120 s: the key is forgotten, the next container starts fresh.
    t.observe(a, 100, 1000 + 120001);
    CHECK(t.container_drops() == 2);
    CHECK(t.expire(1000 + 120001 + 120001) == 2);
}

TEST_CASE("send_overfull: fragments, or one 0x01 container when zlib makes it fit",
          "[nmsg][frag][zlib]")
{
    std::vector<std::uint8_t> big(1 << 16), scratch(1 << 16), dgram(1280);
    for (int mode = 0; mode < 3; ++mode) {
        // mode 0: plain; 1: zlib, compressible (fits after compression); 2: zlib, random.
        container_builder b(big, big.size(), true, false);
        std::vector<std::uint8_t> vendor(3000);
        std::mt19937 rng(5);
        for (auto& x : vendor) {
            x = mode == 2 ? static_cast<std::uint8_t>(rng()) : 0x41;
        }
        REQUIRE(b.add(payload_header{2, 1, 1, 1}, vendor) == container_builder::add_status::added);
        auto unit = b.finish(3, 4);
        deflater d;
        std::vector<std::vector<std::uint8_t>> sent;
        REQUIRE(send_overfull(unit, 1280, mode == 0 ? nullptr : &d, 99, scratch, dgram,
                              [&](byte_view dg) { sent.emplace_back(dg.begin(), dg.end()); }));
        reassembler r;
        inflater inf;
        std::vector<std::uint8_t> out(1 << 16);
        std::size_t containers = 0;
        for (auto const& dg : sent) {
            CHECK(dg.size() <= 1280);
            auto u = parse_datagram(dg);
            REQUIRE(u.ok()); // always a header: never the headerless bug
            byte_view body = u.body;
            bool zl = u.header.zlib();
            if (u.header.fragment()) {
                auto res = r.offer(body, u.header.flags, {}, 1, 0);
                if (res.st != reasm_result::status::complete) {
                    continue;
                }
                body = res.body;
                zl = res.zlib;
            }
            if (zl) {
                auto z = inf.inflate(body, out);
                REQUIRE(z.ok());
                body = z.data;
            }
            nmsg_view v(body);
            REQUIRE(v.valid());
            CHECK((*v.entries().begin()).view.payload()->size() == 3000);
            ++containers;
        }
        CHECK(containers == 1);
        if (mode == 1) {
            CHECK(sent.size() == 1);
            CHECK(sent[0][4] == flag_zlib);
        } else {
            CHECK(sent.size() == 3);
            CHECK(sent[0][4] == (mode == 2 ? (flag_zlib | flag_fragment) : flag_fragment));
        }
    }
}
