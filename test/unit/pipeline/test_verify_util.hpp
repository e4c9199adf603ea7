// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for verify/privacy: the golden dnsqr payloads and an owned, mutable DnsQR that
// tests edit (packets, fields) and re-encode.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "pipeline/verify.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"

namespace siehub::pipeline::test {

using bytes = std::vector<std::uint8_t>;

inline std::string testdata(const std::string& rel)
{
    const char* root = std::getenv("SIEHUB_TESTDATA");
    return std::string(root ? root : "../shared/testdata") + "/" + rel;
}

inline bytes read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<std::string> read_lines(const std::string& path)
{
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) {
        out.push_back(l + "\n");
    }
    return out;
}

struct golden_payload {
    bytes payload; // serialized NmsgPayload
    std::uint32_t vid = 0;
    std::uint32_t msgtype = 0;
    std::int64_t sec = 0;
    std::uint32_t nsec = 0;
    bytes message; // the DnsQR
};

// Every payload of an uncompressed nmsg file, in order.
inline std::vector<golden_payload> load_payloads(const std::string& rel)
{
    auto const file = read_file(testdata(rel));
    std::vector<golden_payload> out;
    core::byte_view rest(file);
    while (!rest.empty()) {
        auto const u = nmsg::next_file_unit(rest);
        if (!u.ok()) {
            throw std::runtime_error("bad nmsg unit in " + rel);
        }
        rest = rest.subspan(u.consumed);
        nmsg::nmsg_view v(u.body);
        if (!v.valid()) {
            throw std::runtime_error("bad container in " + rel);
        }
        for (auto const& e : v.entries()) {
            golden_payload g;
            auto const b = e.view.bytes();
            g.payload.assign(b.begin(), b.end());
            g.vid = e.view.vid();
            g.msgtype = e.view.msgtype();
            g.sec = e.view.time_sec();
            g.nsec = e.view.time_nsec();
            auto const m = e.view.payload().value_or(core::byte_view{});
            g.message.assign(m.begin(), m.end());
            out.push_back(std::move(g));
        }
    }
    return out;
}

inline dnsqr_input input_of(const golden_payload& g, core::byte_view message)
{
    return {g.vid, g.msgtype, message, g.sec, g.nsec};
}

inline dnsqr_input input_of(const golden_payload& g)
{
    return input_of(g, g.message);
}

template <class T> inline std::vector<T> collect(const nmsg::repeated_field<T>& r)
{
    std::vector<T> v;
    for (T x : r) {
        v.push_back(x);
    }
    return v;
}

inline bytes copy(core::byte_view b)
{
    return {b.begin(), b.end()};
}

// A DnsQR as owned values: edit, then encode().
struct owned_dnsqr {
    std::int32_t type = 0;
    bytes query_ip, response_ip;
    std::uint32_t proto = 0, query_port = 0, response_port = 0, id = 0;
    std::optional<bytes> qname;
    nmsg::opt_u32 qtype, qclass, rcode;
    std::vector<bytes> qp, rp;
    std::vector<std::int64_t> qs, rs;
    std::vector<std::int32_t> qn, rn;
    std::optional<double> timeout;
    nmsg::opt_i32 udp_checksum;
    nmsg::opt_bool resolver_address_zeroed;

    explicit owned_dnsqr(core::byte_view msg)
    {
        nmsg::dnsqr_view v(msg);
        if (!v.ok()) {
            throw std::runtime_error("owned_dnsqr: bad DnsQR");
        }
        type = v.type();
        query_ip = copy(v.query_ip());
        response_ip = copy(v.response_ip());
        proto = v.proto();
        query_port = v.query_port();
        response_port = v.response_port();
        id = v.id();
        if (v.qname()) {
            qname = copy(*v.qname());
        }
        qtype = v.qtype();
        qclass = v.qclass();
        rcode = v.rcode();
        for (auto b : v.query_packet()) {
            qp.push_back(copy(b));
        }
        for (auto b : v.response_packet()) {
            rp.push_back(copy(b));
        }
        qs = collect(v.query_time_sec());
        qn = collect(v.query_time_nsec());
        rs = collect(v.response_time_sec());
        rn = collect(v.response_time_nsec());
        timeout = v.timeout();
        udp_checksum = v.udp_checksum();
        resolver_address_zeroed = v.resolver_address_zeroed();
    }

    [[nodiscard]] bytes encode() const
    {
        std::vector<core::byte_view> q(qp.begin(), qp.end());
        std::vector<core::byte_view> r(rp.begin(), rp.end());
        nmsg::dnsqr_fields f;
        f.type = type;
        f.query_ip = query_ip;
        f.response_ip = response_ip;
        f.proto = proto;
        f.query_port = query_port;
        f.response_port = response_port;
        f.id = id;
        if (qname) {
            f.qname = core::byte_view(*qname);
        }
        f.qtype = qtype;
        f.qclass = qclass;
        f.rcode = rcode;
        f.query_packet = q;
        f.query_time_sec = qs;
        f.query_time_nsec = qn;
        f.response_packet = r;
        f.response_time_sec = rs;
        f.response_time_nsec = rn;
        f.timeout = timeout;
        f.udp_checksum = udp_checksum;
        f.resolver_address_zeroed = resolver_address_zeroed;
        bytes out(nmsg::encoded_size(f));
        core::out_buffer ob(out);
        if (!nmsg::encode(ob, f)) {
            throw std::runtime_error("owned_dnsqr: encode");
        }
        return out;
    }
};

// Offsets inside an unfragmented raw IPv4/IPv6 UDP packet.
inline std::size_t udp_offset(const bytes& pkt)
{
    return (pkt[0] >> 4) == 4 ? (pkt[0] & 0x0fu) * 4u : 40u;
}
inline std::size_t dns_offset(const bytes& pkt)
{
    return udp_offset(pkt) + 8;
}

} // namespace siehub::pipeline::test
