// SPDX-License-Identifier: Apache-2.0
// Raw IP/UDP views (proto/net/ip.hpp) and dnsqr packet reassembly (pipeline/dnsqr_reasm).
#include <catch2/catch.hpp>

#include <numeric>

#include "pipeline/dnsqr_reasm.hpp"
#include "proto/net/ip.hpp"
#include "test_verify_util.hpp"

using namespace siehub;
using namespace siehub::pipeline;
using namespace siehub::pipeline::test;

namespace {

// IPv4 header (no options) + payload; frag = flags/offset field.
bytes ipv4(std::uint16_t id, std::uint16_t frag, std::uint8_t proto, const bytes& payload)
{
    bytes p(20);
    p[0] = 0x45;
    core::store_be16(&p[2], static_cast<std::uint16_t>(20 + payload.size()));
    core::store_be16(&p[4], id);
    core::store_be16(&p[6], frag);
    p[8] = 64;
    p[9] = proto;
    p[12] = 10, p[15] = 1;
    p[16] = 10, p[19] = 2;
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

// IPv6 header + fragment header + payload.
bytes ipv6_frag(std::uint32_t id, std::uint16_t offset, bool more, const bytes& payload)
{
    bytes p(48);
    p[0] = 0x60;
    core::store_be16(&p[4], static_cast<std::uint16_t>(8 + payload.size()));
    p[6] = 44;
    p[7] = 64;
    p[8] = 0x20, p[9] = 0x01, p[23] = 1;
    p[24] = 0x20, p[25] = 0x01, p[39] = 2;
    p[40] = 17;
    core::store_be16(&p[42], static_cast<std::uint16_t>(offset | (more ? 1 : 0)));
    core::store_be32(&p[44], id);
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

bytes iota_bytes(std::size_t n, std::uint8_t start = 0)
{
    bytes b(n);
    std::iota(b.begin(), b.end(), start);
    return b;
}

} // namespace

TEST_CASE("parse_ip: IPv4 and IPv6 headers of the golden packets", "[verify][ip]")
{
    auto const golden = load_payloads("nmsg/dnsqr.nmsg");
    owned_dnsqr d(golden[0].message);
    net::ip_packet ip;
    REQUIRE(net::parse_ip(d.qp[0], ip) == net::errc::ok);
    CHECK(ip.src.family == 4);
    CHECK(ip.src.view()[0] == 198);
    CHECK(ip.dst.view()[3] == 53);
    CHECK(ip.proto == 17);
    CHECK_FALSE(ip.fragment);
    net::udp_header u;
    REQUIRE(net::parse_udp(ip.payload, u) == net::errc::ok);
    CHECK(u.src_port == 46150);
    CHECK(u.dst_port == 53);
    CHECK(net::udp_checksum_ok(ip.src, ip.dst, u.datagram));

    owned_dnsqr d6(golden[12].message);
    REQUIRE(net::parse_ip(d6.rp[0], ip) == net::errc::ok);
    CHECK(ip.src.family == 6);
    CHECK(ip.src_off == 8);
    CHECK(ip.dst_off == 24);
    REQUIRE(net::parse_udp(ip.payload, u) == net::errc::ok);
    CHECK(net::udp_checksum_ok(ip.src, ip.dst, u.datagram));
    // One flipped payload bit breaks the checksum.
    d6.rp[0].back() ^= 1;
    REQUIRE(net::parse_ip(d6.rp[0], ip) == net::errc::ok);
    REQUIRE(net::parse_udp(ip.payload, u) == net::errc::ok);
    CHECK_FALSE(net::udp_checksum_ok(ip.src, ip.dst, u.datagram));
}

TEST_CASE("parse_ip: bounds and bad headers", "[verify][ip]")
{
    net::ip_packet ip;
    CHECK(net::parse_ip({}, ip) == net::errc::not_ip);
    bytes const p = ipv4(1, 0, 17, iota_bytes(12));
    CHECK(net::parse_ip(core::byte_view(p).first(19), ip) == net::errc::truncated_ipv4);
    CHECK(net::parse_ip(core::byte_view(p).first(31), ip) == net::errc::truncated_ipv4);
    bytes bad = p;
    bad[0] = 0x44; // IHL 16
    CHECK(net::parse_ip(bad, ip) == net::errc::bad_ipv4_header);
    bad = p;
    bad[0] = 0x35;
    CHECK(net::parse_ip(bad, ip) == net::errc::not_ip);
    // Trailing capture padding is ignored.
    bytes padded = p;
    padded.resize(p.size() + 6);
    REQUIRE(net::parse_ip(padded, ip) == net::errc::ok);
    CHECK(ip.payload.size() == 12);
    // IPv6: truncated, fragment header read, too many extension headers.
    bytes const f = ipv6_frag(7, 16, true, iota_bytes(8));
    CHECK(net::parse_ip(core::byte_view(f).first(39), ip) == net::errc::truncated_ipv6);
    CHECK(net::parse_ip(core::byte_view(f).first(50), ip) == net::errc::truncated_ipv6);
    REQUIRE(net::parse_ip(f, ip) == net::errc::ok);
    CHECK(ip.fragment);
    CHECK(ip.more_fragments);
    CHECK(ip.frag_offset == 16);
    CHECK(ip.frag_id == 7);
    CHECK(ip.proto == 17);
    CHECK(ip.payload.size() == 8);
    bytes loop(40 + 9 * 8);
    loop[0] = 0x60;
    core::store_be16(&loop[4], 9 * 8);
    loop[6] = 60; // destination options, each pointing at another
    for (std::size_t i = 0; i < 9; ++i) {
        loop[40 + i * 8] = 60;
    }
    CHECK(net::parse_ip(loop, ip) == net::errc::ipv6_ext_header);
    // UDP header bounds.
    net::udp_header u;
    CHECK(net::parse_udp(iota_bytes(7), u) == net::errc::truncated_udp);
    bytes udp = {0, 1, 0, 2, 0, 7, 0, 0};
    CHECK(net::parse_udp(udp, u) == net::errc::bad_udp_length);
    udp[5] = 9;
    CHECK(net::parse_udp(udp, u) == net::errc::bad_udp_length);
    udp[5] = 8;
    CHECK(net::parse_udp(udp, u) == net::errc::ok);
    CHECK(u.payload.empty());
}

TEST_CASE("packet_set: reassembly and mapping back to fragments", "[verify][reasm]")
{
    bytes const data = iota_bytes(40, 1);
    bytes buf(64);
    packet_set set;
    // IPv4: 16 + 16 + 8 bytes, given out of order.
    bytes const a = ipv4(9, 0x2000 | 0, 17, bytes(data.begin(), data.begin() + 16));
    bytes const b = ipv4(9, 0x2000 | 2, 17, bytes(data.begin() + 16, data.begin() + 32));
    bytes const c = ipv4(9, 4, 17, bytes(data.begin() + 32, data.end()));
    std::vector<core::byte_view> pk = {c, a, b};
    REQUIRE(set.assemble(pk, buf) == reasm_status::ok);
    CHECK(set.reassembled());
    CHECK(copy(set.payload()) == data);
    // Bytes 14..19 straddle fragments a and b: pieces (a, 14, 2) then (b, 0, 4).
    std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> pieces;
    set.map_range(14, 6, [&](std::size_t i, std::size_t off, std::size_t n) {
        pieces.emplace_back(i, off, n);
    });
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0] == std::make_tuple(std::size_t{1}, std::size_t{20 + 14}, std::size_t{2}));
    CHECK(pieces[1] == std::make_tuple(std::size_t{2}, std::size_t{20}, std::size_t{4}));

    // Too small a buffer, gap, two last fragments, unfragmented packet among fragments.
    bytes small(39);
    CHECK(set.assemble(pk, small) == reasm_status::too_large);
    std::vector<core::byte_view> gap = {a, c};
    CHECK(set.assemble(gap, buf) == reasm_status::incomplete);
    bytes const b_last = ipv4(9, 2, 17, bytes(data.begin() + 16, data.begin() + 32));
    std::vector<core::byte_view> two_last = {a, b_last, c};
    CHECK(set.assemble(two_last, buf) == reasm_status::fragment_mismatch);
    bytes const whole = ipv4(9, 0, 17, data);
    std::vector<core::byte_view> mixed = {a, whole};
    CHECK(set.assemble(mixed, buf) == reasm_status::not_fragment);
    bytes const stub = {0x45};
    std::vector<core::byte_view> bad = {a, stub};
    CHECK(set.assemble(bad, buf) == reasm_status::bad_packet);
    CHECK(set.ip_error() == net::errc::truncated_ipv4);
    CHECK(set.assemble({}, buf) == reasm_status::no_packets);
    std::vector<core::byte_view> many(packet_set::max_packets + 1, core::byte_view(a));
    CHECK(set.assemble(many, buf) == reasm_status::too_many_packets);

    // One whole packet: used in place, no copy.
    std::vector<core::byte_view> one = {whole};
    REQUIRE(set.assemble(one, buf) == reasm_status::ok);
    CHECK_FALSE(set.reassembled());
    CHECK(set.payload().data() == whole.data() + 20);

    // IPv6 fragments (fragment header), different ids do not mix.
    bytes const f1 = ipv6_frag(5, 0, true, bytes(data.begin(), data.begin() + 24));
    bytes const f2 = ipv6_frag(5, 24, false, bytes(data.begin() + 24, data.end()));
    std::vector<core::byte_view> v6 = {f1, f2};
    REQUIRE(set.assemble(v6, buf) == reasm_status::ok);
    CHECK(copy(set.payload()) == data);
    bytes const f2x = ipv6_frag(6, 24, false, bytes(data.begin() + 24, data.end()));
    std::vector<core::byte_view> v6x = {f1, f2x};
    CHECK(set.assemble(v6x, buf) == reasm_status::fragment_mismatch);
}
