// SPDX-License-Identifier: Apache-2.0
// Protobuf wire reader/writer: varints, every error reason, groups, packed fields.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/pb.hpp"
#include "core/out_buffer.hpp"

using namespace siehub::nmsg;
using siehub::core::byte_view;

namespace {

std::vector<std::uint8_t> B(std::initializer_list<int> l)
{
    std::vector<std::uint8_t> v;
    for (int x : l) {
        v.push_back(static_cast<std::uint8_t>(x));
    }
    return v;
}

pb_error scan(const std::vector<std::uint8_t>& b, std::size_t* count = nullptr)
{
    pb_reader r(b);
    pb_field f;
    std::size_t n = 0;
    while (r.next(f)) {
        ++n;
    }
    if (count) {
        *count = n;
    }
    return r.error();
}

} // namespace

TEST_CASE("varint decode: boundaries and errors", "[nmsg][pb]")
{
    auto dec = [](std::vector<std::uint8_t> b, pb_error& e) {
        pb_cursor c(b);
        auto v = pb_read_varint(c);
        e = c.error();
        return v;
    };
    pb_error e;
    CHECK(dec(B({0x00}), e) == 0);
    CHECK(e == pb_error::none);
    CHECK(dec(B({0x96, 0x01}), e) == 150);
    CHECK(dec(B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), e) == ~0ull);
    CHECK(e == pb_error::none);
    // Non-minimal encodings are accepted as protobuf does.
    CHECK(dec(B({0x80, 0x00}), e) == 0);
    CHECK(e == pb_error::none);
    dec(B({0x80}), e);
    CHECK(e == pb_error::truncated_varint);
    dec(B({}), e);
    CHECK(e == pb_error::truncated_varint);
    dec(B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}), e);
    CHECK(e == pb_error::varint_overflow);
    dec(B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00}), e);
    CHECK(e == pb_error::varint_too_long);
}

TEST_CASE("varint encode matches size and round-trips", "[nmsg][pb]")
{
    std::uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, 0xffffffffull, 1ull << 63, ~0ull};
    for (auto v : vals) {
        std::uint8_t buf[10];
        siehub::core::out_buffer out(buf);
        pb_put_varint(out, v);
        REQUIRE(out.ok());
        CHECK(out.size() == pb_varint_size(v));
        pb_cursor c(out.written());
        CHECK(pb_read_varint(c) == v);
        CHECK(c.at_end());
    }
}

TEST_CASE("field iteration yields every wire type", "[nmsg][pb]")
{
    std::vector<std::uint8_t> buf(64);
    siehub::core::out_buffer out(buf);
    pb_put_uint(out, 1, 300);
    pb_put_fixed64(out, 2, 0x1122334455667788ull);
    pb_put_bytes(out, 3, siehub::core::as_bytes("abc"));
    pb_put_fixed32(out, 4, 0xdeadbeef);
    pb_put_uint(out, 536870911, 7); // the largest field number
    pb_reader r(out.written());
    pb_field f;
    REQUIRE(r.next(f));
    CHECK((f.number == 1 && f.type == wire_type::varint && f.value == 300));
    REQUIRE(r.next(f));
    CHECK((f.number == 2 && f.type == wire_type::fixed64 && f.value == 0x1122334455667788ull));
    REQUIRE(r.next(f));
    CHECK((f.number == 3 && f.type == wire_type::len && f.bytes.size() == 3));
    REQUIRE(r.next(f));
    CHECK((f.number == 4 && f.type == wire_type::fixed32 && f.value == 0xdeadbeef));
    REQUIRE(r.next(f));
    CHECK((f.number == 536870911 && f.value == 7));
    CHECK_FALSE(r.next(f));
    CHECK(r.ok());
}

TEST_CASE("reader error reasons", "[nmsg][pb]")
{
    CHECK(scan(B({0x0a, 0x05, 1, 2})) == pb_error::truncated_length);
    CHECK(scan(B({0x0d, 1, 2, 3})) == pb_error::truncated_fixed);
    CHECK(scan(B({0x09, 1, 2, 3, 4, 5, 6, 7})) == pb_error::truncated_fixed);
    CHECK(scan(B({0x08})) == pb_error::truncated_varint);
    CHECK(scan(B({0x08, 0x80})) == pb_error::truncated_varint);
    CHECK(scan(B({0x06, 0x00})) == pb_error::bad_wire_type);
    CHECK(scan(B({0x0f, 0x00})) == pb_error::bad_wire_type);
    CHECK(scan(B({0x00, 0x00})) == pb_error::field_zero);
    CHECK(scan(B({0x80, 0x80, 0x80, 0x80, 0x80, 0x01})) == pb_error::bad_key);
    CHECK(scan(B({0x0c})) == pb_error::group_mismatch); // end group never opened
    CHECK(scan(B({0x0b, 0x08, 0x01})) == pb_error::group_unterminated);
    CHECK(scan(B({0x0b, 0x14})) == pb_error::group_mismatch); // start 1, end 2
}

TEST_CASE("groups are skipped as unknown fields, depth bounded", "[nmsg][pb]")
{
    // field 1 group containing a varint and a nested group 2, then field 3 varint.
    auto b = B({0x0b, 0x08, 0x05, 0x13, 0x0d, 1, 2, 3, 4, 0x14, 0x0c, 0x18, 0x2a});
    std::size_t n = 0;
    CHECK(scan(b, &n) == pb_error::none);
    CHECK(n == 2);
    std::vector<std::uint8_t> deep;
    for (unsigned i = 0; i < pb_max_group_depth; ++i) {
        deep.push_back(0x0b);
    }
    for (unsigned i = 0; i < pb_max_group_depth; ++i) {
        deep.push_back(0x0c);
    }
    CHECK(scan(deep) == pb_error::none);
    deep.insert(deep.begin(), 0x0b);
    deep.push_back(0x0c);
    CHECK(scan(deep) == pb_error::group_too_deep);
    // A dnsnx with an unknown group in the middle still parses.
    auto nx = B(
        {0x0a, 0x01, 0x00, 0x10, 0x01, 0xab, 0x02, 0x08, 0x01, 0xac, 0x02, 0x18, 0x01, 0x22, 0x00});
    dnsnx_view v(nx);
    CHECK(v.ok());
    CHECK(v.qclass() == 1);
}

TEST_CASE("message-level errors: wire type, packed, required", "[nmsg][pb]")
{
    // dnsnx qtype (2) as length-delimited: wrong wire type.
    dnsnx_view a(B({0x0a, 0x00, 0x12, 0x00, 0x18, 0x01, 0x22, 0x00}));
    CHECK(a.error() == pb_error::wrong_wire_type);
    // dnsnx without response_ip (4).
    dnsnx_view b(B({0x0a, 0x00, 0x10, 0x01, 0x18, 0x01}));
    CHECK(b.error() == pb_error::missing_required);
    CHECK(to_string(b.error()) == "missing_required");
    // dnsqr query_time_nsec (14, sfixed32) packed with 6 bytes: not whole elements.
    dnsqr_fields q;
    auto base = [&] {
        std::vector<std::uint8_t> v(256);
        siehub::core::out_buffer out(v);
        write(out, q);
        v.resize(out.size());
        return v;
    };
    auto good = base();
    auto bad = good;
    bad.insert(bad.end(), {0x72, 0x06, 1, 2, 3, 4, 5, 6});
    CHECK(dnsqr_view(bad).error() == pb_error::bad_packed);
    auto badv = good;
    badv.insert(badv.end(), {0x6a, 0x01, 0x80}); // field 13 packed, truncated varint
    CHECK(dnsqr_view(badv).error() == pb_error::bad_packed);
}

TEST_CASE("packed and unpacked repeated scalars read alike", "[nmsg][pb]")
{
    dnsqr_fields q;
    std::vector<std::uint8_t> v(256);
    siehub::core::out_buffer out(v);
    write(out, q);
    v.resize(out.size());
    // field 13 (int64): unpacked 5, packed [300, -1], unpacked 7.
    v.insert(v.end(), {0x68, 0x05});
    v.insert(v.end(),
             {0x6a, 0x0c, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
    v.insert(v.end(), {0x68, 0x07});
    // field 14 (sfixed32) packed [1, -2]
    v.insert(v.end(), {0x72, 0x08, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff});
    dnsqr_view view(v);
    REQUIRE(view.ok());
    auto secs = view.query_time_sec();
    CHECK(secs.size() == 4);
    std::vector<std::int64_t> got(secs.begin(), secs.end());
    CHECK(got == std::vector<std::int64_t>{5, 300, -1, 7});
    auto ns = view.query_time_nsec();
    std::vector<std::int32_t> gn(ns.begin(), ns.end());
    CHECK(gn == std::vector<std::int32_t>{1, -2});
    // newdomain new_rr (bool) packed.
    auto nd = B({0xb2, 0x01, 0x03, 0x01, 0x00, 0x05});
    newdomain_view n(nd);
    REQUIRE(n.ok());
    std::vector<bool> rr(n.new_rr().begin(), n.new_rr().end());
    CHECK(rr == std::vector<bool>{true, false, true});
}

TEST_CASE("last value wins for repeated singular fields; unknown fields skipped", "[nmsg][pb]")
{
    auto b = B({0x10, 0x05, 0x10, 0x07, 0xf8, 0x07, 0x01, 0x0a, 0x01, 'x'});
    dnsdedupe_view v(b);
    REQUIRE(v.ok());
    CHECK(v.rrtype() == 7u);
    CHECK(v.rrname()->size() == 1);
    CHECK_FALSE(v.rrclass().has_value());
}

TEST_CASE("nested writer: size-first and shift strategies give the same bytes", "[nmsg][pb]")
{
    for (std::size_t len : {0u, 1u, 100u, 127u, 128u, 200u, 16383u, 16384u, 70000u}) {
        std::vector<std::uint8_t> body(len, 0x5a);
        encode_fields e{1, body};
        std::vector<std::uint8_t> a(len + 64), b(len + 64);
        siehub::core::out_buffer oa(a), ob(b);
        pb_put_len_prefix(oa, 1, encoded_size(e));
        write(oa, e);
        pb_nested n(ob, 1);
        write(ob, e);
        REQUIRE(n.finish());
        REQUIRE(oa.ok());
        CHECK(oa.size() == ob.size());
        CHECK(std::equal(a.begin(), a.begin() + oa.size(), b.begin()));
    }
    // Overflow is reported, not written past.
    std::vector<std::uint8_t> small(8);
    siehub::core::out_buffer o(small);
    pb_nested n(o, 1);
    pb_put_bytes(o, 2, siehub::core::as_bytes("0123456789"));
    CHECK_FALSE(n.finish());
}

TEST_CASE("writers put negative int32/int64 as 10-byte varints", "[nmsg][pb]")
{
    dnsnx_fields f;
    f.response_time_sec = -1;
    auto n = encoded_size(f);
    // 2+2+2+2 for the required fields, 1 + 10 for field 6.
    CHECK(n == 8 + 11);
}

namespace {

// A random field: known and unknown numbers (0 and > 31 too), every wire type (groups and
// the two invalid ones too), varints of every length (overlong and overflowing ones too),
// lengths that run past the end.
void random_field(std::mt19937& rng, std::vector<std::uint8_t>& out)
{
    auto varint = [&](std::uint64_t v) {
        while (v >= 0x80) {
            out.push_back(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        out.push_back(static_cast<std::uint8_t>(v));
    };
    std::uint32_t const number = rng() % 8 == 0 ? rng() % 40 : 1 + rng() % 22;
    unsigned const wt = rng() % 10 == 0 ? rng() % 8 : std::array<unsigned, 4>{0, 1, 2, 5}[rng() % 4];
    varint((std::uint64_t{number} << 3) | wt);
    switch (rng() % 12) {
    case 0: // an overlong or overflowing varint
        for (int i = 0; i < 9; ++i) {
            out.push_back(0x80 | static_cast<std::uint8_t>(rng()));
        }
        out.push_back(static_cast<std::uint8_t>(rng() % 4));
        return;
    case 1: // raw bytes
        for (unsigned i = rng() % 6; i > 0; --i) {
            out.push_back(static_cast<std::uint8_t>(rng()));
        }
        return;
    default:
        break;
    }
    switch (wt) {
    case 0:
        varint(rng() % 3 == 0 ? (std::uint64_t{rng()} << 32 | rng()) : rng() % 300);
        break;
    case 1:
        for (int i = 0; i < 8; ++i) {
            out.push_back(static_cast<std::uint8_t>(rng()));
        }
        break;
    case 5:
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<std::uint8_t>(rng()));
        }
        break;
    case 2: {
        std::size_t const n = rng() % 20;
        varint(rng() % 16 == 0 ? n + 1 + rng() % 4 : n); // sometimes past the end
        for (std::size_t i = 0; i < n; ++i) {
            out.push_back(static_cast<std::uint8_t>(rng()));
        }
        break;
    }
    default:
        break;
    }
}

template <class Schema>
void same_as_generic(const std::vector<std::uint8_t>& msg, std::size_t& fast_taken)
{
    constexpr std::size_t n = Schema::table.defs.size();
    std::array<field_slot, n> a{};
    std::array<field_slot, n> b{};
    parse_state const sa = parse_fields(msg, Schema::table, a);
    parse_state const sb = parse_fields_generic(msg, Schema::table, b);
    REQUIRE(sa.error == sb.error);
    REQUIRE(sa.present == sb.present);
    REQUIRE(sa.canonical == sb.canonical);
    REQUIRE(sa.last_number == sb.last_number);
    for (std::size_t i = 0; i < n; ++i) {
        REQUIRE(a[i].value == b[i].value);
        REQUIRE(a[i].data == b[i].data);
    }
    std::array<field_slot, n> c{};
    parse_state st;
    fast_taken += parse_fields_fast(msg, Schema::table, c, st);
}

} // namespace

// parse_fields takes parse_fields_fast's pass when it can and the generic one otherwise: on
// writer-made messages, mutated ones and random field soups, the result is the generic
// pass's, slot for slot.
TEST_CASE("parse_fields: the fast pass agrees with the generic one", "[nmsg][pb]")
{
    std::mt19937 rng(11);
    std::size_t fast = 0;
    std::size_t total = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::vector<std::uint8_t> msg;
        if (iter % 2 == 0) {
            // A well-formed DnsQR, then maybe mutated: a byte changed, or cut short.
            std::array<std::uint8_t, 4> ip{192, 0, 2, static_cast<std::uint8_t>(rng())};
            std::vector<std::uint8_t> pkt(static_cast<std::size_t>(rng() % 200), 0x41);
            std::array<byte_view, 2> pkts{byte_view(pkt), byte_view(pkt)};
            std::array<std::int64_t, 2> secs{1700000000, 1700000001};
            std::array<std::int32_t, 2> nsecs{5, 6};
            dnsqr_fields f;
            f.type = static_cast<std::int32_t>(rng() % 5);
            f.query_ip = ip;
            f.response_ip = ip;
            f.proto = 17;
            f.query_port = rng() % 65536;
            f.response_port = 53;
            f.id = rng() % 65536;
            if (rng() % 2) {
                f.qname = byte_view(pkt).first(std::min<std::size_t>(pkt.size(), 10));
            }
            f.query_packet = {pkts.data(), rng() % 3};
            f.query_time_sec = {secs.data(), f.query_packet.size()};
            f.query_time_nsec = {nsecs.data(), f.query_packet.size()};
            f.response_packet = {pkts.data(), rng() % 3};
            if (rng() % 3 == 0) {
                f.timeout = 1.5;
                f.resolver_address_zeroed = true;
            }
            msg.resize(encoded_size(f));
            siehub::core::out_buffer o({msg.data(), msg.size()});
            write(o, f);
            REQUIRE(o.ok());
            if (!msg.empty() && rng() % 2) {
                if (rng() % 2) {
                    msg[rng() % msg.size()] = static_cast<std::uint8_t>(rng());
                } else {
                    msg.resize(rng() % msg.size());
                }
            }
        } else {
            for (unsigned k = rng() % 12; k > 0; --k) {
                random_field(rng, msg);
            }
        }
        same_as_generic<dnsqr_schema>(msg, fast);
        same_as_generic<dnsdedupe_schema>(msg, fast);
        total += 2;
    }
    // Both passes were exercised.
    CHECK(fast > total / 5);
    CHECK(fast < total - total / 5);
}
