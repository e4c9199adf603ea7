// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for the nmsg codec: golden file access, UDP datagrams out of pcaps (libpcap),
// and owned copies of message views so that a view can be fed back to its writer.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "proto/nmsg/messages.hpp"

namespace siehub::nmsg::test {

inline std::string testdata(const std::string& rel)
{
    const char* root = std::getenv("SIEHUB_TESTDATA");
    return std::string(root ? root : "../shared/testdata") + "/" + rel;
}

inline std::vector<std::uint8_t> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct udp_datagram {
    std::array<std::uint8_t, 16> src{};
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::uint64_t ts_ms = 0;
    std::vector<std::uint8_t> payload;
};

// UDP payloads of every IPv4/UDP frame of an Ethernet (optionally 802.1Q) pcap or pcapng.
inline std::vector<udp_datagram> read_udp(const std::string& path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) {
        throw std::runtime_error(err);
    }
    int const dlt = pcap_datalink(p);
    std::vector<udp_datagram> out;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        std::size_t off = 0;
        std::size_t const n = h->caplen;
        if (dlt == DLT_EN10MB) {
            off = 12;
            std::uint16_t et = static_cast<std::uint16_t>((d[off] << 8) | d[off + 1]);
            off += 2;
            if (et == 0x8100) {
                et = static_cast<std::uint16_t>((d[off + 2] << 8) | d[off + 3]);
                off += 4;
            }
            if (et != 0x0800) {
                continue;
            }
        } else if (dlt != DLT_RAW) {
            continue;
        }
        if (off + 20 > n || (d[off] >> 4) != 4 || d[off + 9] != 17) {
            continue;
        }
        std::size_t const ihl = (d[off] & 0xfu) * 4u;
        std::size_t const tot = static_cast<std::size_t>((d[off + 2] << 8) | d[off + 3]);
        udp_datagram u;
        std::copy(d + off + 12, d + off + 16, u.src.begin());
        std::size_t const udp = off + ihl;
        u.sport = static_cast<std::uint16_t>((d[udp] << 8) | d[udp + 1]);
        u.dport = static_cast<std::uint16_t>((d[udp + 2] << 8) | d[udp + 3]);
        u.ts_ms = static_cast<std::uint64_t>(h->ts.tv_sec) * 1000 + h->ts.tv_usec / 1000;
        std::size_t const end = off + tot < n ? off + tot : n;
        u.payload.assign(d + udp + 8, d + end);
        out.push_back(std::move(u));
    }
    pcap_close(p);
    return out;
}

// ------------------------------------------------------------------ owned message copies

template <class T>
inline std::vector<T> collect(const repeated_field<T>& r)
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
    return {v.qname(), v.qtype(), v.qclass(), v.response_ip(), v.soa_rrname(),
            v.response_time_sec(), v.response_time_nsec()};
}

inline encode_fields encode_copy(const encode_view& v)
{
    return {v.type(), v.payload()};
}

template <class Fields>
inline std::vector<std::uint8_t> encode_vec(const Fields& f)
{
    std::vector<std::uint8_t> buf(encoded_size(f));
    core::out_buffer out(buf);
    encode(out, f);
    buf.resize(out.size());
    return buf;
}

} // namespace siehub::nmsg::test
