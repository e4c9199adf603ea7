// SPDX-License-Identifier: Apache-2.0
#pragma once
// Owned copies of message views, so that a view can be fed back to its writer (tests and
// the message fuzz target; no libpcap here).

#include <cstdint>
#include <memory>
#include <vector>

#include "proto/nmsg/messages.hpp"

namespace siehub::nmsg::test {

// ------------------------------------------------------------------ owned message copies

template <class T> inline std::vector<T> collect(const repeated_field<T>& r)
{
    std::vector<T> v;
    for (T x : r) {
        v.push_back(x);
    }
    return v;
}

struct dnsqr_copy {
    std::vector<byte_view> qp, rp;
    std::vector<std::int64_t> qs, rs;
    std::vector<std::int32_t> qn, rn;
    dnsqr_fields f;

    explicit dnsqr_copy(const dnsqr_view& v)
        : qp(collect(v.query_packet())), rp(collect(v.response_packet())),
          qs(collect(v.query_time_sec())), rs(collect(v.response_time_sec())),
          qn(collect(v.query_time_nsec())), rn(collect(v.response_time_nsec()))
    {
        f.type = v.type();
        f.query_ip = v.query_ip();
        f.response_ip = v.response_ip();
        f.proto = v.proto();
        f.query_port = v.query_port();
        f.response_port = v.response_port();
        f.id = v.id();
        f.qname = v.qname();
        f.qtype = v.qtype();
        f.qclass = v.qclass();
        f.rcode = v.rcode();
        f.query_packet = qp;
        f.query_time_sec = qs;
        f.query_time_nsec = qn;
        f.response_packet = rp;
        f.response_time_sec = rs;
        f.response_time_nsec = rn;
        f.tcp = v.tcp();
        f.icmp = v.icmp();
        f.timeout = v.timeout();
        f.udp_checksum = v.udp_checksum();
        f.resolver_address_zeroed = v.resolver_address_zeroed();
    }
};

struct dnsdedupe_copy {
    std::vector<byte_view> rdata;
    dnsdedupe_fields f;

    explicit dnsdedupe_copy(const dnsdedupe_view& v) : rdata(collect(v.rdata()))
    {
        f.rrname = v.rrname();
        f.rrtype = v.rrtype();
        f.rrclass = v.rrclass();
        f.rrttl = v.rrttl();
        f.rdata = rdata;
        f.count = v.count();
        f.time_first = v.time_first();
        f.time_last = v.time_last();
        f.type = v.type();
        f.response_ip = v.response_ip();
        f.response = v.response();
        f.bailiwick = v.bailiwick();
        f.zone_time_first = v.zone_time_first();
        f.zone_time_last = v.zone_time_last();
    }
};

struct newdomain_copy {
    std::vector<byte_view> rdata, keys;
    std::unique_ptr<bool[]> new_rr;
    newdomain_fields f;

    explicit newdomain_copy(const newdomain_view& v)
        : rdata(collect(v.rdata())), keys(collect(v.keys()))
    {
        auto const rr = collect(v.new_rr());
        new_rr = std::make_unique<bool[]>(rr.size() + 1);
        for (std::size_t i = 0; i < rr.size(); ++i) {
            new_rr[i] = rr[i];
        }
        f.domain = v.domain();
        f.time_seen = v.time_seen();
        f.rrname = v.rrname();
        f.rrtype = v.rrtype();
        f.rrclass = v.rrclass();
        f.rrttl = v.rrttl();
        f.rdata = rdata;
        f.keys = keys;
        f.count = v.count();
        f.time_first = v.time_first();
        f.time_last = v.time_last();
        f.type = v.type();
        f.response_ip = v.response_ip();
        f.response = v.response();
        f.bailiwick = v.bailiwick();
        f.zone_time_first = v.zone_time_first();
        f.zone_time_last = v.zone_time_last();
        f.new_domain = v.new_domain();
        f.new_rrname = v.new_rrname();
        f.new_rrtype = v.new_rrtype();
        f.new_rr = std::span<const bool>(new_rr.get(), rr.size());
        f.new_rrset = v.new_rrset();
    }
};

inline dnsnx_fields dnsnx_copy(const dnsnx_view& v)
{
    return {v.qname(),
            v.qtype(),
            v.qclass(),
            v.response_ip(),
            v.soa_rrname(),
            v.response_time_sec(),
            v.response_time_nsec()};
}

inline encode_fields encode_copy(const encode_view& v)
{
    return {v.type(), v.payload()};
}

template <class Fields> inline std::vector<std::uint8_t> encode_vec(const Fields& f)
{
    std::vector<std::uint8_t> buf(encoded_size(f));
    core::out_buffer out(buf);
    encode(out, f);
    buf.resize(out.size());
    return buf;
}

} // namespace siehub::nmsg::test
