// SPDX-License-Identifier: Apache-2.0
// The fused container pass and its entry cache: every path (cached, uncached walk, generic)
// must hand out the same entries, and pb_varint_fast must agree with pb_varint_at.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "proto/nmsg/container.hpp"
#include "proto/nmsg/crc32c.hpp"

using namespace siehub::nmsg;
using siehub::core::byte_view;
using siehub::core::out_buffer;

namespace {

struct spec {
    payload_header h;
    std::vector<std::uint8_t> vendor;
    bool has_vendor = true;
};

std::vector<std::uint8_t> put_payload(const spec& s)
{
    std::vector<std::uint8_t> buf(s.vendor.size() + 128);
    out_buffer out(buf);
    auto const v = s.has_vendor ? std::optional<byte_view>(s.vendor) : std::nullopt;
    pb_put_len_prefix(out, 1, payload_size(s.h, v));
    write_payload(out, s.h, v);
    REQUIRE(out.ok());
    buf.resize(out.size());
    return buf;
}

std::vector<std::uint8_t> put_crc(std::uint32_t crc)
{
    std::vector<std::uint8_t> buf(16);
    out_buffer out(buf);
    pb_put_uint(out, 2, crc);
    buf.resize(out.size());
    return buf;
}

void append(std::vector<std::uint8_t>& to, const std::vector<std::uint8_t>& b)
{
    to.insert(to.end(), b.begin(), b.end());
}

spec realistic(std::size_t i, std::size_t vendor_len = 40)
{
    spec s{{1, 9, 1795382103 + static_cast<std::int64_t>(i),
            812584000u + static_cast<std::uint32_t>(i), std::nullopt, std::nullopt, std::nullopt},
           std::vector<std::uint8_t>(vendor_len, static_cast<std::uint8_t>(i))};
    return s;
}

// Entries of `a` (fast constructor) and of the generic parse, field by field.
std::size_t same_entries(const std::vector<std::uint8_t>& body)
{
    nmsg_view const a(body);
    nmsg_view const b(body, generic_parse);
    REQUIRE(a.valid() == b.valid());
    if (!a.valid()) {
        CHECK(a.status() == b.status());
        return 0;
    }
    CHECK(a.payload_count() == b.payload_count());
    CHECK(a.payload_crcs().size() == b.payload_crcs().size());
    CHECK(a.sequence() == b.sequence());
    CHECK(a.sequence_id() == b.sequence_id());
    auto rb = b.entries();
    auto ib = rb.begin();
    std::size_t n = 0;
    for (auto const& ea : a.entries()) {
        REQUIRE_FALSE(ib == rb.end());
        auto const& eb = *ib;
        CHECK(ea.index == n);
        CHECK(eb.index == n);
        CHECK(ea.view.ok());
        CHECK(ea.view.vid() == eb.view.vid());
        CHECK(ea.view.msgtype() == eb.view.msgtype());
        CHECK(ea.view.time_sec() == eb.view.time_sec());
        CHECK(ea.view.time_nsec() == eb.view.time_nsec());
        CHECK(ea.view.source() == eb.view.source());
        CHECK(ea.view.operator_id() == eb.view.operator_id());
        CHECK(ea.view.group() == eb.view.group());
        CHECK(ea.view.payload().has_value() == eb.view.payload().has_value());
        auto const pa = ea.view.payload().value_or(byte_view{});
        auto const pb = eb.view.payload().value_or(byte_view{});
        CHECK(pa.data() == pb.data());
        CHECK(pa.size() == pb.size());
        CHECK(ea.view.bytes().data() == eb.view.bytes().data());
        CHECK(ea.view.bytes().size() == eb.view.bytes().size());
        CHECK(ea.stored_crc == eb.stored_crc);
        CHECK(ea.crc_ok() == eb.crc_ok());
        ++ib;
        ++n;
    }
    CHECK(ib == rb.end());
    CHECK(n == a.payload_count());
    return n;
}

} // namespace

TEST_CASE("fused pass: cache up to capacity, walk beyond, same entries", "[nmsg][fused]")
{
    constexpr std::size_t cap = nmsg_view::entry_cache_capacity;
    for (std::size_t count : {std::size_t{1}, std::size_t{2}, cap - 1, cap, cap + 1, 3 * cap}) {
        std::vector<std::uint8_t> body;
        std::vector<std::uint32_t> crcs;
        for (std::size_t i = 0; i < count; ++i) {
            // Odd payloads under 128 bytes (1-byte entry length), even ones over.
            auto const s = realistic(i, i % 2 ? 40 : 200);
            append(body, put_payload(s));
            crcs.push_back(crc32c_stored(s.vendor));
        }
        for (auto c : crcs) {
            append(body, put_crc(c));
        }
        append(body, {0x18, 0x2a, 0x20, 0x81, 0x01});
        nmsg_view const v(body);
        REQUIRE(v.valid());
        CHECK(v.cached() == (count <= cap));
        CHECK(v.sequence() == 42u);
        CHECK(v.sequence_id() == 129u);
        CHECK(same_entries(body) == count);
        std::size_t ok = 0;
        for (auto const& e : v.entries()) {
            ok += e.crc_ok();
            CHECK(e.view.time_sec() == 1795382103 + static_cast<std::int64_t>(e.index));
            CHECK(e.view.payload()->size() == (e.index % 2 ? 40u : 200u));
        }
        CHECK(ok == count);
    }
}

TEST_CASE("fused pass: CRC pairing edge cases", "[nmsg][fused]")
{
    auto const p0 = realistic(0);
    auto const p1 = realistic(1);
    std::uint32_t const c0 = crc32c_stored(p0.vendor);
    std::uint32_t const c1 = crc32c_stored(p1.vendor);

    SECTION("fewer CRCs than payloads: the rest have none, still cached")
    {
        std::vector<std::uint8_t> body;
        append(body, put_payload(p0));
        append(body, put_payload(p1));
        append(body, put_crc(c0));
        nmsg_view const v(body);
        REQUIRE(v.valid());
        CHECK(v.cached());
        auto it = v.entries().begin();
        CHECK(it->stored_crc == c0);
        ++it;
        CHECK_FALSE(it->stored_crc.has_value());
        CHECK(same_entries(body) == 2);
    }
    SECTION("a CRC before its payload: walked, paired in order")
    {
        std::vector<std::uint8_t> body;
        append(body, put_crc(c0));
        append(body, put_payload(p0));
        append(body, put_crc(c1));
        append(body, put_payload(p1));
        nmsg_view const v(body);
        REQUIRE(v.valid());
        CHECK_FALSE(v.cached());
        CHECK(same_entries(body) == 2);
        for (auto const& e : v.entries()) {
            CHECK(e.crc_ok());
        }
    }
    SECTION("more CRCs than payloads: walked, the extra one ignored")
    {
        std::vector<std::uint8_t> body;
        append(body, put_payload(p0));
        append(body, put_crc(c0));
        append(body, put_crc(c1));
        nmsg_view const v(body);
        REQUIRE(v.valid());
        CHECK_FALSE(v.cached());
        CHECK(v.payload_crcs().size() == 2);
        CHECK(same_entries(body) == 1);
    }
    SECTION("a bad CRC is reported by the cached entry")
    {
        std::vector<std::uint8_t> body;
        append(body, put_payload(p0));
        append(body, put_crc(c0 ^ 1));
        nmsg_view const v(body);
        REQUIRE(v.cached());
        CHECK_FALSE(v.entries().begin()->crc_ok());
        CHECK(same_entries(body) == 1);
    }
}

TEST_CASE("fused pass: payloads off the usual shape", "[nmsg][fused]")
{
    std::vector<spec> specs;
    // Small values everywhere (1-byte time_sec, no time shape).
    specs.push_back({{0, 0, 0, 0, std::nullopt, std::nullopt, std::nullopt}, {}, true});
    // Large vid/msgtype, negative time, every optional field.
    specs.push_back({{300, 70000, -5, 0xffffffffu, 0xa1b2c3d4u, 7u, 0xffffffffu}, {1, 2, 3}, true});
    // No vendor bytes at all.
    specs.push_back({{1, 9, 1795382103, 1, 5u, std::nullopt, std::nullopt}, {}, false});
    // 3-byte vendor length.
    specs.push_back(realistic(3, 20000));
    // 1-byte vendor length, 2-byte boundary values.
    specs.push_back(realistic(4, 127));
    specs.push_back(realistic(5, 128));
    // time_sec just below and at the 5-byte range's edges.
    specs.push_back(
        {{1, 9, (std::int64_t{1} << 28) - 1, 1, std::nullopt, std::nullopt, std::nullopt},
         {9},
         true});
    specs.push_back(
        {{1, 9, std::int64_t{1} << 28, 1, std::nullopt, std::nullopt, std::nullopt}, {9}, true});
    specs.push_back(
        {{1, 9, (std::int64_t{1} << 35) - 1, 1, std::nullopt, std::nullopt, std::nullopt},
         {9},
         true});
    specs.push_back(
        {{1, 9, std::int64_t{1} << 35, 1, std::nullopt, std::nullopt, std::nullopt}, {9}, true});
    // Only some of source/operator/group.
    specs.push_back({{1, 9, 1795382103, 1, std::nullopt, 3u, std::nullopt}, {9, 9}, true});
    specs.push_back({{1, 9, 1795382103, 1, std::nullopt, std::nullopt, 4u}, {9, 9}, true});

    // Each alone (the last payload of a body is decoded near the end of the buffer) and all
    // together, with a CRC per payload (1- to 5-byte CRC varints).
    std::vector<std::uint8_t> all;
    std::vector<std::uint8_t> all_crcs;
    std::uint32_t crc = 1;
    for (auto const& s : specs) {
        std::vector<std::uint8_t> one = put_payload(s);
        CHECK(same_entries(one) == 1);
        CHECK(nmsg_view(one).cached());
        append(all, one);
        append(all_crcs, put_crc(crc));
        crc *= 131;
    }
    // An entry length in a non-minimal 2-byte varint (0xb9 0x00 = 57): accepted as by
    // libprotobuf, on the fast path too.
    {
        std::vector<std::uint8_t> one = put_payload(realistic(7, 40));
        REQUIRE(one[1] == 57);
        one[1] = 0xb9;
        one.insert(one.begin() + 2, 0x00);
        CHECK(same_entries(one) == 1);
        CHECK(nmsg_view(one).cached());
        append(all, one);
        append(all_crcs, put_crc(crc));
        specs.push_back(realistic(7, 40));
    }
    append(all, all_crcs);
    nmsg_view const v(all);
    REQUIRE(v.valid());
    CHECK(v.cached());
    CHECK(same_entries(all) == specs.size());
    auto it = v.entries().begin();
    ++it;
    CHECK(it->view.vid() == 300);
    CHECK(it->view.msgtype() == 70000);
    CHECK(it->view.time_sec() == -5);
    CHECK(it->view.source() == 0xa1b2c3d4u);
    CHECK(it->view.operator_id() == 7u);
    CHECK(it->view.group() == 0xffffffffu);
    ++it;
    CHECK_FALSE(it->view.payload().has_value());
}

TEST_CASE("fused pass: one bad payload fails the container, any position", "[nmsg][fused]")
{
    for (std::size_t bad_at : {std::size_t{0}, std::size_t{5}, std::size_t{70}}) {
        std::vector<std::uint8_t> body;
        for (std::size_t i = 0; i < 80; ++i) {
            if (i == bad_at) {
                // time_nsec (4) missing.
                append(body, {0x0a, 0x06, 0x08, 0x02, 0x10, 0x06, 0x18, 0x01});
            } else {
                append(body, put_payload(realistic(i)));
            }
        }
        nmsg_view const v(body);
        CHECK(v.status() == container_error::missing_required);
        CHECK_FALSE(v.cached());
        same_entries(body);
        // Truncate the last payload's vendor bytes: malformed.
        std::vector<std::uint8_t> cut(body.begin(), body.end() - 3);
        CHECK_FALSE(nmsg_view(cut).valid());
        same_entries(cut);
    }
}

TEST_CASE("fused pass: a copied view keeps its entries", "[nmsg][fused]")
{
    std::vector<std::uint8_t> body;
    for (std::size_t i = 0; i < 5; ++i) {
        append(body, put_payload(realistic(i)));
        append(body, put_crc(static_cast<std::uint32_t>(i)));
    }
    // Interleaved CRCs: each follows its payload, so the view stays cached.
    nmsg_view const v(body);
    REQUIRE(v.cached());
    nmsg_view copy(v);
    nmsg_view assigned;
    assigned = v;
    for (const nmsg_view* c : {&copy, &assigned}) {
        REQUIRE(c->valid());
        CHECK(c->cached());
        std::size_t i = 0;
        for (auto const& e : c->entries()) {
            CHECK(e.index == i);
            CHECK(e.stored_crc == static_cast<std::uint32_t>(i));
            CHECK(e.view.time_sec() == 1795382103 + static_cast<std::int64_t>(i));
            ++i;
        }
        CHECK(i == 5);
    }
}

TEST_CASE("pb_varint_fast agrees with pb_varint_at", "[nmsg][pb][fused]")
{
    std::mt19937_64 rng(11);
    std::vector<std::uint8_t> buf(32);
    for (int round = 0; round < 200000; ++round) {
        // Random bytes with random continuation bits, biased to long varints.
        std::size_t const cont = rng() % 11;
        for (std::size_t i = 0; i < buf.size(); ++i) {
            std::uint8_t b = static_cast<std::uint8_t>(rng());
            b = i < cont ? (b | 0x80) : (b & 0x7f);
            if (rng() % 8 == 0) {
                b ^= 0x80;
            }
            buf[i] = b;
        }
        std::size_t const field = rng() % 14;            // bytes in the field
        std::size_t const readable = field + rng() % 12; // bytes the buffer has
        const std::uint8_t* const p = buf.data();
        std::uint64_t va = 0xdead;
        std::uint64_t vf = 0xbeef;
        const std::uint8_t* const ra = pb_varint_at(p, p + field, va);
        const std::uint8_t* const rf = pb_varint_fast(p, p + field, p + readable, vf);
        REQUIRE(ra == rf);
        if (ra) {
            REQUIRE(va == vf);
        }
    }
    // 5-byte values.
    for (std::uint64_t x : {0ull, 1ull, 0x7full, 0xffffffffull, 0x7ffffffffull}) {
        std::uint8_t b[16] = {};
        std::size_t n = 0;
        std::uint64_t y = x;
        for (; n < 4; ++n) {
            b[n] = static_cast<std::uint8_t>((y & 0x7f) | 0x80);
            y >>= 7;
        }
        b[4] = static_cast<std::uint8_t>(y & 0x7f);
        CHECK(pb_varint5_value(siehub::core::load_le64(b)) == x);
    }
}

TEST_CASE("pb_varint5_value: pext and portable forms agree", "[nmsg][pb][fused]")
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("bmi2")) {
        WARN("no BMI2 on this CPU: pext form not checked");
        return;
    }
    std::mt19937_64 rng(5);
    for (int i = 0; i < 100000; ++i) {
        std::uint64_t const x = rng();
        REQUIRE(pb_varint5_value<true>(x) == pb_varint5_value<false>(x));
    }
    // nmsg_view takes the pext form only where it is fast; either way the entries are the
    // generic parse's (the other test cases run whichever this CPU gets).
    INFO("nmsg_fast_pext: " << nmsg_fast_pext());
    SUCCEED();
#else
    CHECK_FALSE(nmsg_fast_pext());
#endif
}
