// SPDX-License-Identifier: Apache-2.0
// Differential tests against libprotobuf (generated from test/proto/*.proto): seeded random
// messages of every type. For each one, our writer's bytes must equal libprotobuf's
// SerializeToString, libprotobuf must parse our bytes back to the same values, and our view
// must read libprotobuf's bytes back to the same values.
#include <catch2/catch.hpp>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "dnsdedupe.pb.h"
#include "dnsnx.pb.h"
#include "dnsqr.pb.h"
#include "encode.pb.h"
#include "newdomain.pb.h"
#include "nmsg.pb.h"

#include "nmsg_test_util.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"

using namespace siehub::nmsg;
using siehub::nmsg::test::collect;

namespace {

constexpr int cases_per_type = 3000;

struct gen {
    std::mt19937_64 rng;
    explicit gen(std::uint64_t seed) : rng(seed) {}

    bool coin() { return rng() & 1; }
    std::uint64_t bits(unsigned max_bits)
    {
        unsigned const w = static_cast<unsigned>(rng() % (max_bits + 1));
        return w == 0 ? 0 : (rng() & (w == 64 ? ~0ull : ((1ull << w) - 1)));
    }
    std::uint32_t u32() { return static_cast<std::uint32_t>(bits(32)); }
    std::uint64_t u64() { return bits(64); }
    std::int64_t i64()
    {
        return coin() ? static_cast<std::int64_t>(bits(63)) : -static_cast<std::int64_t>(bits(63));
    }
    std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
    std::string str()
    {
        std::size_t n = rng() % 8 == 0 ? rng() % 400 : rng() % 24;
        std::string s(n, '\0');
        for (auto& c : s) {
            c = static_cast<char>(rng());
        }
        return s;
    }
    double dbl()
    {
        for (;;) {
            double d = std::bit_cast<double>(rng());
            if (d == d) {
                return d;
            }
        }
    }
    std::size_t count() { return rng() % 4 == 0 ? 0 : rng() % 6; }
};

byte_view bv(const std::string& s)
{
    return siehub::core::as_bytes(s);
}

std::string as_str(byte_view b)
{
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

template <class Fields> std::string ours(const Fields& f)
{
    auto v = siehub::nmsg::test::encode_vec(f);
    return std::string(v.begin(), v.end());
}

template <class T> std::vector<std::string> strs(const T& r)
{
    std::vector<std::string> v;
    for (auto const& s : r) {
        v.push_back(s);
    }
    return v;
}

std::vector<std::string> strs_view(const repeated_field<byte_view>& r)
{
    std::vector<std::string> v;
    for (auto b : r) {
        v.push_back(as_str(b));
    }
    return v;
}

} // namespace

TEST_CASE("differential: DnsNX", "[nmsg][diff]")
{
    gen g(0xd15u);
    for (int i = 0; i < cases_per_type; ++i) {
        std::string qname = g.str(), rip = g.str(), soa = g.str();
        dnsnx_fields f;
        f.qname = bv(qname);
        f.qtype = g.u32();
        f.qclass = g.u32();
        f.response_ip = bv(rip);
        if (g.coin()) {
            f.soa_rrname = bv(soa);
        }
        if (g.coin()) {
            f.response_time_sec = g.i64();
        }
        if (g.coin()) {
            f.response_time_nsec = g.i32();
        }

        nmsg::sie::DnsNX m;
        m.set_qname(qname);
        m.set_qtype(f.qtype);
        m.set_qclass(f.qclass);
        m.set_response_ip(rip);
        if (f.soa_rrname) {
            m.set_soa_rrname(soa);
        }
        if (f.response_time_sec) {
            m.set_response_time_sec(*f.response_time_sec);
        }
        if (f.response_time_nsec) {
            m.set_response_time_nsec(*f.response_time_nsec);
        }
        std::string const theirs = m.SerializeAsString();
        std::string const mine = ours(f);
        REQUIRE(mine == theirs);

        nmsg::sie::DnsNX back;
        REQUIRE(back.ParseFromString(mine));
        CHECK(back.SerializeAsString() == theirs);

        dnsnx_view v(bv(theirs));
        REQUIRE(v.ok());
        CHECK(as_str(v.qname()) == qname);
        CHECK(v.qtype() == m.qtype());
        CHECK(v.qclass() == m.qclass());
        CHECK(as_str(v.response_ip()) == rip);
        CHECK(v.soa_rrname().has_value() == m.has_soa_rrname());
        CHECK(v.response_time_sec() ==
              (m.has_response_time_sec() ? opt_i64(m.response_time_sec()) : std::nullopt));
        CHECK(v.response_time_nsec() ==
              (m.has_response_time_nsec() ? opt_i32(m.response_time_nsec()) : std::nullopt));
    }
}

TEST_CASE("differential: Encode", "[nmsg][diff]")
{
    gen g(0xe11c0deu);
    for (int i = 0; i < cases_per_type; ++i) {
        std::string p = g.str();
        encode_fields f{static_cast<std::int32_t>(g.rng() % 5), bv(p)};
        nmsg::base::Encode m;
        m.set_type(static_cast<nmsg::base::EncodeType>(f.type));
        m.set_payload(p);
        std::string const theirs = m.SerializeAsString();
        REQUIRE(ours(f) == theirs);
        encode_view v(bv(theirs));
        REQUIRE(v.ok());
        CHECK(v.type() == f.type);
        CHECK(as_str(v.payload()) == p);
    }
}

TEST_CASE("differential: DnsDedupe", "[nmsg][diff]")
{
    gen g(0xded09eu);
    for (int i = 0; i < cases_per_type; ++i) {
        std::string rrname = g.str(), rip = g.str(), resp = g.str(), bw = g.str();
        std::vector<std::string> rd(g.count());
        for (auto& s : rd) {
            s = g.str();
        }
        std::vector<byte_view> rdv;
        for (auto& s : rd) {
            rdv.push_back(bv(s));
        }
        dnsdedupe_fields f;
        nmsg::sie::DnsDedupe m;
        if (g.coin()) {
            f.rrname = bv(rrname);
            m.set_rrname(rrname);
        }
        if (g.coin()) {
            f.rrtype = g.u32();
            m.set_rrtype(*f.rrtype);
        }
        if (g.coin()) {
            f.rrclass = g.u32();
            m.set_rrclass(*f.rrclass);
        }
        if (g.coin()) {
            f.rrttl = g.u32();
            m.set_rrttl(*f.rrttl);
        }
        f.rdata = rdv;
        for (auto& s : rd) {
            m.add_rdata(s);
        }
        if (g.coin()) {
            f.count = g.u32();
            m.set_count(*f.count);
        }
        if (g.coin()) {
            f.time_first = g.u32();
            m.set_time_first(*f.time_first);
        }
        if (g.coin()) {
            f.time_last = g.u32();
            m.set_time_last(*f.time_last);
        }
        if (g.coin()) {
            f.type = static_cast<std::int32_t>(g.rng() % 7);
            m.set_type(static_cast<nmsg::sie::DnsDedupeType>(*f.type));
        }
        if (g.coin()) {
            f.response_ip = bv(rip);
            m.set_response_ip(rip);
        }
        if (g.coin()) {
            f.response = bv(resp);
            m.set_response(resp);
        }
        if (g.coin()) {
            f.bailiwick = bv(bw);
            m.set_bailiwick(bw);
        }
        if (g.coin()) {
            f.zone_time_first = g.u32();
            m.set_zone_time_first(*f.zone_time_first);
        }
        if (g.coin()) {
            f.zone_time_last = g.u32();
            m.set_zone_time_last(*f.zone_time_last);
        }

        std::string const theirs = m.SerializeAsString();
        std::string const mine = ours(f);
        REQUIRE(mine == theirs);
        nmsg::sie::DnsDedupe back;
        REQUIRE(back.ParseFromString(mine));
        CHECK(back.SerializeAsString() == theirs);

        dnsdedupe_view v(bv(theirs));
        REQUIRE(v.ok());
        CHECK(v.rrname().has_value() == m.has_rrname());
        if (v.rrname()) {
            CHECK(as_str(*v.rrname()) == m.rrname());
        }
        CHECK(v.rrtype() == f.rrtype);
        CHECK(v.rrclass() == f.rrclass);
        CHECK(v.rrttl() == f.rrttl);
        CHECK(strs_view(v.rdata()) == strs(m.rdata()));
        CHECK(v.count() == f.count);
        CHECK(v.time_first() == f.time_first);
        CHECK(v.time_last() == f.time_last);
        CHECK(v.type() == f.type);
        CHECK(v.response_ip().has_value() == m.has_response_ip());
        CHECK(v.response().has_value() == m.has_response());
        if (v.response()) {
            CHECK(as_str(*v.response()) == m.response());
        }
        CHECK(v.bailiwick().has_value() == m.has_bailiwick());
        CHECK(v.zone_time_first() == f.zone_time_first);
        CHECK(v.zone_time_last() == f.zone_time_last);
    }
}

TEST_CASE("differential: NewDomain", "[nmsg][diff]")
{
    gen g(0x0e3d0u);
    for (int i = 0; i < cases_per_type; ++i) {
        std::string dom = g.str(), rrname = g.str(), rip = g.str(), resp = g.str(), bw = g.str();
        std::vector<std::string> rd(g.count()), keys(g.count());
        for (auto& s : rd) {
            s = g.str();
        }
        for (auto& s : keys) {
            s = g.str();
        }
        std::vector<byte_view> rdv, kv;
        for (auto& s : rd) {
            rdv.push_back(bv(s));
        }
        for (auto& s : keys) {
            kv.push_back(bv(s));
        }
        std::size_t const nrr = g.count();
        std::unique_ptr<bool[]> rr(new bool[nrr + 1]);
        for (std::size_t k = 0; k < nrr; ++k) {
            rr[k] = g.coin();
        }

        newdomain_fields f;
        nmsg::sie::NewDomain m;
        if (g.coin()) {
            f.domain = bv(dom);
            m.set_domain(dom);
        }
        if (g.coin()) {
            f.time_seen = g.u32();
            m.set_time_seen(*f.time_seen);
        }
        if (g.coin()) {
            f.rrname = bv(rrname);
            m.set_rrname(rrname);
        }
        if (g.coin()) {
            f.rrtype = g.u32();
            m.set_rrtype(*f.rrtype);
        }
        if (g.coin()) {
            f.rrclass = g.u32();
            m.set_rrclass(*f.rrclass);
        }
        if (g.coin()) {
            f.rrttl = g.u32();
            m.set_rrttl(*f.rrttl);
        }
        f.rdata = rdv;
        for (auto& s : rd) {
            m.add_rdata(s);
        }
        f.keys = kv;
        for (auto& s : keys) {
            m.add_keys(s);
        }
        if (g.coin()) {
            f.count = g.u32();
            m.set_count(*f.count);
        }
        if (g.coin()) {
            f.time_first = g.u32();
            m.set_time_first(*f.time_first);
        }
        if (g.coin()) {
            f.time_last = g.u32();
            m.set_time_last(*f.time_last);
        }
        if (g.coin()) {
            f.type = static_cast<std::int32_t>(g.rng() % 7);
            m.set_type(static_cast<nmsg::sie::DnsDedupeType>(*f.type));
        }
        if (g.coin()) {
            f.response_ip = bv(rip);
            m.set_response_ip(rip);
        }
        if (g.coin()) {
            f.response = bv(resp);
            m.set_response(resp);
        }
        if (g.coin()) {
            f.bailiwick = bv(bw);
            m.set_bailiwick(bw);
        }
        if (g.coin()) {
            f.zone_time_first = g.u32();
            m.set_zone_time_first(*f.zone_time_first);
        }
        if (g.coin()) {
            f.zone_time_last = g.u32();
            m.set_zone_time_last(*f.zone_time_last);
        }
        if (g.coin()) {
            f.new_domain = g.coin();
            m.set_new_domain(*f.new_domain);
        }
        if (g.coin()) {
            f.new_rrname = g.coin();
            m.set_new_rrname(*f.new_rrname);
        }
        if (g.coin()) {
            f.new_rrtype = g.coin();
            m.set_new_rrtype(*f.new_rrtype);
        }
        f.new_rr = std::span<const bool>(rr.get(), nrr);
        for (std::size_t k = 0; k < nrr; ++k) {
            m.add_new_rr(rr[k]);
        }
        if (g.coin()) {
            f.new_rrset = g.coin();
            m.set_new_rrset(*f.new_rrset);
        }

        std::string const theirs = m.SerializeAsString();
        std::string const mine = ours(f);
        REQUIRE(mine == theirs);
        nmsg::sie::NewDomain back;
        REQUIRE(back.ParseFromString(mine));
        CHECK(back.SerializeAsString() == theirs);

        newdomain_view v(bv(theirs));
        REQUIRE(v.ok());
        CHECK(v.domain().has_value() == m.has_domain());
        if (v.domain()) {
            CHECK(as_str(*v.domain()) == dom);
        }
        CHECK(v.time_seen() == f.time_seen);
        CHECK(v.rrtype() == f.rrtype);
        CHECK(v.rrclass() == f.rrclass);
        CHECK(v.rrttl() == f.rrttl);
        CHECK(strs_view(v.rdata()) == rd);
        CHECK(strs_view(v.keys()) == keys);
        CHECK(v.count() == f.count);
        CHECK(v.time_first() == f.time_first);
        CHECK(v.time_last() == f.time_last);
        CHECK(v.type() == f.type);
        CHECK(v.zone_time_first() == f.zone_time_first);
        CHECK(v.zone_time_last() == f.zone_time_last);
        CHECK(v.new_domain() == f.new_domain);
        CHECK(v.new_rrname() == f.new_rrname);
        CHECK(v.new_rrtype() == f.new_rrtype);
        auto got_rr = collect(v.new_rr());
        CHECK(got_rr.size() == static_cast<std::size_t>(m.new_rr_size()));
        for (std::size_t k = 0; k < got_rr.size() && k < nrr; ++k) {
            CHECK(got_rr[k] == rr[k]);
        }
        CHECK(v.new_rrset() == f.new_rrset);
    }
}

TEST_CASE("differential: DnsQR", "[nmsg][diff]")
{
    gen g(0xd9a5u);
    for (int i = 0; i < cases_per_type; ++i) {
        std::string qip = g.str(), rip = g.str(), qname = g.str(), tcp = g.str(), icmp = g.str();
        std::vector<std::string> qp(g.count()), rp(g.count());
        for (auto& s : qp) {
            s = g.str();
        }
        for (auto& s : rp) {
            s = g.str();
        }
        std::vector<byte_view> qpv, rpv;
        for (auto& s : qp) {
            qpv.push_back(bv(s));
        }
        for (auto& s : rp) {
            rpv.push_back(bv(s));
        }
        std::vector<std::int64_t> qs(g.count()), rs(g.count());
        std::vector<std::int32_t> qn(g.count()), rn(g.count());
        for (auto& x : qs) {
            x = g.i64();
        }
        for (auto& x : rs) {
            x = g.i64();
        }
        for (auto& x : qn) {
            x = g.i32();
        }
        for (auto& x : rn) {
            x = g.i32();
        }

        dnsqr_fields f;
        nmsg::base::DnsQR m;
        f.type = static_cast<std::int32_t>(g.rng() % 8);
        m.set_type(static_cast<nmsg::base::DnsQRType>(f.type));
        f.query_ip = bv(qip);
        m.set_query_ip(qip);
        f.response_ip = bv(rip);
        m.set_response_ip(rip);
        f.proto = g.u32();
        m.set_proto(f.proto);
        f.query_port = g.u32();
        m.set_query_port(f.query_port);
        f.response_port = g.u32();
        m.set_response_port(f.response_port);
        f.id = g.u32();
        m.set_id(f.id);
        if (g.coin()) {
            f.qname = bv(qname);
            m.set_qname(qname);
        }
        if (g.coin()) {
            f.qtype = g.u32();
            m.set_qtype(*f.qtype);
        }
        if (g.coin()) {
            f.qclass = g.u32();
            m.set_qclass(*f.qclass);
        }
        if (g.coin()) {
            f.rcode = g.u32();
            m.set_rcode(*f.rcode);
        }
        f.query_packet = qpv;
        for (auto& s : qp) {
            m.add_query_packet(s);
        }
        f.query_time_sec = qs;
        for (auto x : qs) {
            m.add_query_time_sec(x);
        }
        f.query_time_nsec = qn;
        for (auto x : qn) {
            m.add_query_time_nsec(x);
        }
        f.response_packet = rpv;
        for (auto& s : rp) {
            m.add_response_packet(s);
        }
        f.response_time_sec = rs;
        for (auto x : rs) {
            m.add_response_time_sec(x);
        }
        f.response_time_nsec = rn;
        for (auto x : rn) {
            m.add_response_time_nsec(x);
        }
        if (g.coin()) {
            f.tcp = bv(tcp);
            m.set_tcp(tcp);
        }
        if (g.coin()) {
            f.icmp = bv(icmp);
            m.set_icmp(icmp);
        }
        if (g.coin()) {
            f.timeout = g.dbl();
            m.set_timeout(*f.timeout);
        }
        if (g.coin()) {
            f.udp_checksum = static_cast<std::int32_t>(g.rng() % 4);
            m.set_udp_checksum(static_cast<nmsg::base::UdpChecksum>(*f.udp_checksum));
        }
        if (g.coin()) {
            f.resolver_address_zeroed = g.coin();
            m.set_resolver_address_zeroed(*f.resolver_address_zeroed);
        }

        std::string const theirs = m.SerializeAsString();
        std::string const mine = ours(f);
        REQUIRE(mine == theirs);
        nmsg::base::DnsQR back;
        REQUIRE(back.ParseFromString(mine));
        CHECK(back.SerializeAsString() == theirs);

        dnsqr_view v(bv(theirs));
        REQUIRE(v.ok());
        CHECK(v.type() == f.type);
        CHECK(as_str(v.query_ip()) == qip);
        CHECK(as_str(v.response_ip()) == rip);
        CHECK(v.proto() == f.proto);
        CHECK(v.query_port() == f.query_port);
        CHECK(v.response_port() == f.response_port);
        CHECK(v.id() == f.id);
        CHECK(v.qname().has_value() == f.qname.has_value());
        CHECK(v.qtype() == f.qtype);
        CHECK(v.qclass() == f.qclass);
        CHECK(v.rcode() == f.rcode);
        CHECK(strs_view(v.query_packet()) == qp);
        CHECK(strs_view(v.response_packet()) == rp);
        CHECK(collect(v.query_time_sec()) == qs);
        CHECK(collect(v.response_time_sec()) == rs);
        CHECK(collect(v.query_time_nsec()) == qn);
        CHECK(collect(v.response_time_nsec()) == rn);
        CHECK(v.tcp().has_value() == f.tcp.has_value());
        CHECK(v.icmp().has_value() == f.icmp.has_value());
        CHECK(v.timeout().has_value() == f.timeout.has_value());
        if (v.timeout()) {
            CHECK(std::bit_cast<std::uint64_t>(*v.timeout()) ==
                  std::bit_cast<std::uint64_t>(*f.timeout));
        }
        CHECK(v.udp_checksum() == f.udp_checksum);
        CHECK(v.resolver_address_zeroed() == f.resolver_address_zeroed);
    }
}

TEST_CASE("differential: Nmsg container from the builder", "[nmsg][diff]")
{
    gen g(0xc0417a1u);
    std::vector<std::uint8_t> buf(8192);
    for (int i = 0; i < cases_per_type; ++i) {
        bool const seq = g.coin();
        container_builder b(buf, 8192, seq, false);
        nmsg::Nmsg m;
        std::size_t const n = 1 + g.rng() % 12;
        std::vector<std::string> vendors(n);
        for (std::size_t k = 0; k < n; ++k) {
            vendors[k] = g.str();
            payload_header h;
            h.vid = g.u32();
            h.msgtype = g.u32();
            h.time_sec = g.i64();
            h.time_nsec = g.u32();
            if (g.coin()) {
                h.source = g.u32();
            }
            if (g.coin()) {
                h.operator_id = g.u32();
            }
            if (g.coin()) {
                h.group = g.u32();
            }
            REQUIRE(b.add(h, bv(vendors[k])) == container_builder::add_status::added);
            auto* p = m.add_payloads();
            p->set_vid(h.vid);
            p->set_msgtype(h.msgtype);
            p->set_time_sec(h.time_sec);
            p->set_time_nsec(h.time_nsec);
            p->set_payload(vendors[k]);
            if (h.source) {
                p->set_source(*h.source);
            }
            if (h.operator_id) {
                p->set_operator_(*h.operator_id);
            }
            if (h.group) {
                p->set_group(*h.group);
            }
        }
        for (auto const& s : vendors) {
            m.add_payload_crcs(crc32c_stored(bv(s)));
        }
        std::uint32_t const sq = g.u32();
        std::uint64_t const sid = g.u64();
        if (seq) {
            m.set_sequence(sq);
            m.set_sequence_id(sid);
        }
        auto unit = b.finish(sq, sid);
        REQUIRE(unit.size() > header_size);
        std::string const theirs = m.SerializeAsString();
        CHECK(as_str(unit.subspan(header_size)) == theirs);

        nmsg_view v(bv(theirs));
        REQUIRE(v.valid());
        CHECK(v.payload_count() == n);
        std::size_t k = 0;
        for (auto e : v.entries()) {
            auto const& p = m.payloads(static_cast<int>(k));
            CHECK(e.view.vid() == p.vid());
            CHECK(e.view.msgtype() == p.msgtype());
            CHECK(e.view.time_sec() == p.time_sec());
            CHECK(e.view.time_nsec() == p.time_nsec());
            CHECK(as_str(*e.view.payload()) == p.payload());
            CHECK(e.view.source().has_value() == p.has_source());
            CHECK(e.view.operator_id().has_value() == p.has_operator_());
            CHECK(e.view.group().has_value() == p.has_group());
            CHECK(e.crc_ok());
            ++k;
        }
        CHECK(v.sequence().has_value() == seq);
    }
}

TEST_CASE("differential: NmsgFragment", "[nmsg][diff]")
{
    gen g(0xf7a9u);
    for (int i = 0; i < cases_per_type; ++i) {
        std::string data = g.str();
        fragment_fields f{g.u32(), g.u32(), g.u32(), bv(data), std::nullopt};
        if (g.coin()) {
            f.crc = g.u32();
        }
        nmsg::NmsgFragment m;
        m.set_id(f.id);
        m.set_current(f.current);
        m.set_last(f.last);
        m.set_fragment(data);
        if (f.crc) {
            m.set_crc(*f.crc);
        }
        std::string const theirs = m.SerializeAsString();
        REQUIRE(ours(f) == theirs);
        fragment_view v(bv(theirs));
        REQUIRE(v.ok());
        CHECK(v.id() == f.id);
        CHECK(v.current() == f.current);
        CHECK(v.last() == f.last);
        CHECK(as_str(v.fragment()) == data);
        CHECK(v.crc() == f.crc);
    }
}
