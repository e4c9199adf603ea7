// SPDX-License-Identifier: Apache-2.0
#pragma once
// Views and writers for the vendor messages siehub handles (spec nmsg.md §10):
// base/dnsqr (1:9), SIE/dnsdedupe (2:1), SIE/newdomain (2:5), SIE/dnsnx (2:6),
// base/encode (1:11).
//
// A view validates once on construction (ok()/error()); optional scalars come back as
// std::optional, repeated fields as ranges over the buffer. A *_fields struct is the plain,
// non-owning input of a writer (a JSON reader owns its strings and fills one); writers put
// fields in ascending number order, as protobuf-c and libprotobuf do, so the bytes equal
// libprotobuf's SerializeToString for the same values.

#include <cstdint>
#include <optional>
#include <span>

#include "proto/nmsg/message.hpp"
#include "proto/nmsg/types.hpp"

namespace siehub::nmsg {

using opt_u32 = std::optional<std::uint32_t>;
using opt_i32 = std::optional<std::int32_t>;
using opt_i64 = std::optional<std::int64_t>;
using opt_bool = std::optional<bool>;
using opt_bytes = std::optional<byte_view>;

// Encodes any *_fields struct with its write() overload into `out`; false on overflow.
template <class Fields> inline bool encode(core::out_buffer& out, const Fields& f) noexcept
{
    write(out, f);
    return out.ok();
}

template <class Fields> inline std::size_t encoded_size(const Fields& f) noexcept
{
    size_counter c;
    write(c, f);
    return c.size();
}

// ----------------------------------------------------------------------- base/dnsqr (1:9)

struct dnsqr_schema {
    static constexpr schema_table<22> table{std::array<field_def, 22>{{
        {1, field_type::int32, field_label::required},
        {2, field_type::bytes, field_label::required},
        {3, field_type::bytes, field_label::required},
        {4, field_type::uint32, field_label::required},
        {5, field_type::uint32, field_label::required},
        {6, field_type::uint32, field_label::required},
        {7, field_type::uint32, field_label::required},
        {8, field_type::bytes, field_label::optional},
        {9, field_type::uint32, field_label::optional},
        {10, field_type::uint32, field_label::optional},
        {11, field_type::uint32, field_label::optional},
        {12, field_type::bytes, field_label::repeated},
        {13, field_type::int64, field_label::repeated},
        {14, field_type::sfixed32, field_label::repeated},
        {15, field_type::bytes, field_label::repeated},
        {16, field_type::int64, field_label::repeated},
        {17, field_type::sfixed32, field_label::repeated},
        {18, field_type::bytes, field_label::optional},
        {19, field_type::bytes, field_label::optional},
        {20, field_type::dbl, field_label::optional},
        {21, field_type::int32, field_label::optional},
        {22, field_type::boolean, field_label::optional},
    }}};
};

class dnsqr_view : public basic_view<dnsqr_schema> {
public:
    dnsqr_view() noexcept = default;
    explicit dnsqr_view(byte_view b) noexcept { parse_bytes(b); }
    // Parses `b` into this view (reusing its storage).
    void parse(byte_view b) noexcept { parse_bytes(b); }

    std::int32_t type() const noexcept { return get<1, std::int32_t>(); }
    byte_view query_ip() const noexcept { return get<2, byte_view>(); }
    byte_view response_ip() const noexcept { return get<3, byte_view>(); }
    std::uint32_t proto() const noexcept { return get<4, std::uint32_t>(); }
    std::uint32_t query_port() const noexcept { return get<5, std::uint32_t>(); }
    std::uint32_t response_port() const noexcept { return get<6, std::uint32_t>(); }
    std::uint32_t id() const noexcept { return get<7, std::uint32_t>(); }
    opt_bytes qname() const noexcept { return opt<8, byte_view>(); }
    opt_u32 qtype() const noexcept { return opt<9, std::uint32_t>(); }
    opt_u32 qclass() const noexcept { return opt<10, std::uint32_t>(); }
    opt_u32 rcode() const noexcept { return opt<11, std::uint32_t>(); }
    repeated_field<byte_view> query_packet() const noexcept { return rep<12, byte_view>(); }
    repeated_field<std::int64_t> query_time_sec() const noexcept { return rep<13, std::int64_t>(); }
    repeated_field<std::int32_t> query_time_nsec() const noexcept
    {
        return rep<14, std::int32_t>();
    }
    repeated_field<byte_view> response_packet() const noexcept { return rep<15, byte_view>(); }
    repeated_field<std::int64_t> response_time_sec() const noexcept
    {
        return rep<16, std::int64_t>();
    }
    repeated_field<std::int32_t> response_time_nsec() const noexcept
    {
        return rep<17, std::int32_t>();
    }
    opt_bytes tcp() const noexcept { return opt<18, byte_view>(); }
    opt_bytes icmp() const noexcept { return opt<19, byte_view>(); }
    std::optional<double> timeout() const noexcept { return opt<20, double>(); }
    opt_i32 udp_checksum() const noexcept { return opt<21, std::int32_t>(); }
    opt_bool resolver_address_zeroed() const noexcept { return opt<22, bool>(); }
};

struct dnsqr_fields {
    std::int32_t type = 0;
    byte_view query_ip;
    byte_view response_ip;
    std::uint32_t proto = 0;
    std::uint32_t query_port = 0;
    std::uint32_t response_port = 0;
    std::uint32_t id = 0;
    opt_bytes qname;
    opt_u32 qtype;
    opt_u32 qclass;
    opt_u32 rcode;
    std::span<const byte_view> query_packet;
    std::span<const std::int64_t> query_time_sec;
    std::span<const std::int32_t> query_time_nsec;
    std::span<const byte_view> response_packet;
    std::span<const std::int64_t> response_time_sec;
    std::span<const std::int32_t> response_time_nsec;
    opt_bytes tcp;
    opt_bytes icmp;
    std::optional<double> timeout;
    opt_i32 udp_checksum;
    opt_bool resolver_address_zeroed;
};

template <class Sink> inline void write(Sink& s, const dnsqr_fields& f) noexcept
{
    pb_put_int(s, 1, f.type);
    pb_put_bytes(s, 2, f.query_ip);
    pb_put_bytes(s, 3, f.response_ip);
    pb_put_uint(s, 4, f.proto);
    pb_put_uint(s, 5, f.query_port);
    pb_put_uint(s, 6, f.response_port);
    pb_put_uint(s, 7, f.id);
    pb_put_opt_bytes(s, 8, f.qname);
    pb_put_opt_uint(s, 9, f.qtype);
    pb_put_opt_uint(s, 10, f.qclass);
    pb_put_opt_uint(s, 11, f.rcode);
    for (auto b : f.query_packet) {
        pb_put_bytes(s, 12, b);
    }
    for (auto v : f.query_time_sec) {
        pb_put_int(s, 13, v);
    }
    for (auto v : f.query_time_nsec) {
        pb_put_fixed32(s, 14, static_cast<std::uint32_t>(v));
    }
    for (auto b : f.response_packet) {
        pb_put_bytes(s, 15, b);
    }
    for (auto v : f.response_time_sec) {
        pb_put_int(s, 16, v);
    }
    for (auto v : f.response_time_nsec) {
        pb_put_fixed32(s, 17, static_cast<std::uint32_t>(v));
    }
    pb_put_opt_bytes(s, 18, f.tcp);
    pb_put_opt_bytes(s, 19, f.icmp);
    if (f.timeout) {
        pb_put_double(s, 20, *f.timeout);
    }
    if (f.udp_checksum) {
        pb_put_int(s, 21, *f.udp_checksum);
    }
    pb_put_opt_bool(s, 22, f.resolver_address_zeroed);
}

// -------------------------------------------------------------------- SIE/dnsdedupe (2:1)

struct dnsdedupe_schema {
    static constexpr schema_table<14> table{std::array<field_def, 14>{{
        {1, field_type::bytes, field_label::optional},
        {2, field_type::uint32, field_label::optional},
        {3, field_type::uint32, field_label::optional},
        {4, field_type::uint32, field_label::optional},
        {5, field_type::bytes, field_label::repeated},
        {10, field_type::uint32, field_label::optional},
        {11, field_type::uint32, field_label::optional},
        {12, field_type::uint32, field_label::optional},
        {13, field_type::int32, field_label::optional},
        {14, field_type::bytes, field_label::optional},
        {15, field_type::bytes, field_label::optional},
        {16, field_type::bytes, field_label::optional},
        {17, field_type::uint32, field_label::optional},
        {18, field_type::uint32, field_label::optional},
    }}};
};

class dnsdedupe_view : public basic_view<dnsdedupe_schema> {
public:
    dnsdedupe_view() noexcept = default;
    explicit dnsdedupe_view(byte_view b) noexcept { parse_bytes(b); }

    opt_bytes rrname() const noexcept { return opt<1, byte_view>(); }
    opt_u32 rrtype() const noexcept { return opt<2, std::uint32_t>(); }
    opt_u32 rrclass() const noexcept { return opt<3, std::uint32_t>(); }
    opt_u32 rrttl() const noexcept { return opt<4, std::uint32_t>(); }
    repeated_field<byte_view> rdata() const noexcept { return rep<5, byte_view>(); }
    opt_u32 count() const noexcept { return opt<10, std::uint32_t>(); }
    opt_u32 time_first() const noexcept { return opt<11, std::uint32_t>(); }
    opt_u32 time_last() const noexcept { return opt<12, std::uint32_t>(); }
    opt_i32 type() const noexcept { return opt<13, std::int32_t>(); }
    opt_bytes response_ip() const noexcept { return opt<14, byte_view>(); }
    opt_bytes response() const noexcept { return opt<15, byte_view>(); }
    opt_bytes bailiwick() const noexcept { return opt<16, byte_view>(); }
    opt_u32 zone_time_first() const noexcept { return opt<17, std::uint32_t>(); }
    opt_u32 zone_time_last() const noexcept { return opt<18, std::uint32_t>(); }
};

struct dnsdedupe_fields {
    opt_bytes rrname;
    opt_u32 rrtype;
    opt_u32 rrclass;
    opt_u32 rrttl;
    std::span<const byte_view> rdata;
    opt_u32 count;
    opt_u32 time_first;
    opt_u32 time_last;
    opt_i32 type;
    opt_bytes response_ip;
    opt_bytes response;
    opt_bytes bailiwick;
    opt_u32 zone_time_first;
    opt_u32 zone_time_last;
};

template <class Sink> inline void write(Sink& s, const dnsdedupe_fields& f) noexcept
{
    pb_put_opt_bytes(s, 1, f.rrname);
    pb_put_opt_uint(s, 2, f.rrtype);
    pb_put_opt_uint(s, 3, f.rrclass);
    pb_put_opt_uint(s, 4, f.rrttl);
    for (auto b : f.rdata) {
        pb_put_bytes(s, 5, b);
    }
    pb_put_opt_uint(s, 10, f.count);
    pb_put_opt_uint(s, 11, f.time_first);
    pb_put_opt_uint(s, 12, f.time_last);
    if (f.type) {
        pb_put_int(s, 13, *f.type);
    }
    pb_put_opt_bytes(s, 14, f.response_ip);
    pb_put_opt_bytes(s, 15, f.response);
    pb_put_opt_bytes(s, 16, f.bailiwick);
    pb_put_opt_uint(s, 17, f.zone_time_first);
    pb_put_opt_uint(s, 18, f.zone_time_last);
}

// -------------------------------------------------------------------- SIE/newdomain (2:5)

struct newdomain_schema {
    static constexpr schema_table<22> table{std::array<field_def, 22>{{
        {1, field_type::bytes, field_label::optional},
        {2, field_type::uint32, field_label::optional},
        {3, field_type::bytes, field_label::optional},
        {4, field_type::uint32, field_label::optional},
        {5, field_type::uint32, field_label::optional},
        {6, field_type::uint32, field_label::optional},
        {7, field_type::bytes, field_label::repeated},
        {9, field_type::bytes, field_label::repeated},
        {10, field_type::uint32, field_label::optional},
        {11, field_type::uint32, field_label::optional},
        {12, field_type::uint32, field_label::optional},
        {13, field_type::int32, field_label::optional},
        {14, field_type::bytes, field_label::optional},
        {15, field_type::bytes, field_label::optional},
        {16, field_type::bytes, field_label::optional},
        {17, field_type::uint32, field_label::optional},
        {18, field_type::uint32, field_label::optional},
        {19, field_type::boolean, field_label::optional},
        {20, field_type::boolean, field_label::optional},
        {21, field_type::boolean, field_label::optional},
        {22, field_type::boolean, field_label::repeated},
        {23, field_type::boolean, field_label::optional},
    }}};
};
class newdomain_view : public basic_view<newdomain_schema> {
public:
    newdomain_view() noexcept = default;
    explicit newdomain_view(byte_view b) noexcept { parse_bytes(b); }

    opt_bytes domain() const noexcept { return opt<1, byte_view>(); }
    opt_u32 time_seen() const noexcept { return opt<2, std::uint32_t>(); }
    opt_bytes rrname() const noexcept { return opt<3, byte_view>(); }
    opt_u32 rrtype() const noexcept { return opt<4, std::uint32_t>(); }
    opt_u32 rrclass() const noexcept { return opt<5, std::uint32_t>(); }
    opt_u32 rrttl() const noexcept { return opt<6, std::uint32_t>(); }
    repeated_field<byte_view> rdata() const noexcept { return rep<7, byte_view>(); }
    repeated_field<byte_view> keys() const noexcept { return rep<9, byte_view>(); }
    opt_u32 count() const noexcept { return opt<10, std::uint32_t>(); }
    opt_u32 time_first() const noexcept { return opt<11, std::uint32_t>(); }
    opt_u32 time_last() const noexcept { return opt<12, std::uint32_t>(); }
    opt_i32 type() const noexcept { return opt<13, std::int32_t>(); }
    opt_bytes response_ip() const noexcept { return opt<14, byte_view>(); }
    opt_bytes response() const noexcept { return opt<15, byte_view>(); }
    opt_bytes bailiwick() const noexcept { return opt<16, byte_view>(); }
    opt_u32 zone_time_first() const noexcept { return opt<17, std::uint32_t>(); }
    opt_u32 zone_time_last() const noexcept { return opt<18, std::uint32_t>(); }
    opt_bool new_domain() const noexcept { return opt<19, bool>(); }
    opt_bool new_rrname() const noexcept { return opt<20, bool>(); }
    opt_bool new_rrtype() const noexcept { return opt<21, bool>(); }
    repeated_field<bool> new_rr() const noexcept { return rep<22, bool>(); }
    opt_bool new_rrset() const noexcept { return opt<23, bool>(); }
};

struct newdomain_fields {
    opt_bytes domain;
    opt_u32 time_seen;
    opt_bytes rrname;
    opt_u32 rrtype;
    opt_u32 rrclass;
    opt_u32 rrttl;
    std::span<const byte_view> rdata;
    std::span<const byte_view> keys;
    opt_u32 count;
    opt_u32 time_first;
    opt_u32 time_last;
    opt_i32 type;
    opt_bytes response_ip;
    opt_bytes response;
    opt_bytes bailiwick;
    opt_u32 zone_time_first;
    opt_u32 zone_time_last;
    opt_bool new_domain;
    opt_bool new_rrname;
    opt_bool new_rrtype;
    std::span<const bool> new_rr;
    opt_bool new_rrset;
};

template <class Sink> inline void write(Sink& s, const newdomain_fields& f) noexcept
{
    pb_put_opt_bytes(s, 1, f.domain);
    pb_put_opt_uint(s, 2, f.time_seen);
    pb_put_opt_bytes(s, 3, f.rrname);
    pb_put_opt_uint(s, 4, f.rrtype);
    pb_put_opt_uint(s, 5, f.rrclass);
    pb_put_opt_uint(s, 6, f.rrttl);
    for (auto b : f.rdata) {
        pb_put_bytes(s, 7, b);
    }
    for (auto b : f.keys) {
        pb_put_bytes(s, 9, b);
    }
    pb_put_opt_uint(s, 10, f.count);
    pb_put_opt_uint(s, 11, f.time_first);
    pb_put_opt_uint(s, 12, f.time_last);
    if (f.type) {
        pb_put_int(s, 13, *f.type);
    }
    pb_put_opt_bytes(s, 14, f.response_ip);
    pb_put_opt_bytes(s, 15, f.response);
    pb_put_opt_bytes(s, 16, f.bailiwick);
    pb_put_opt_uint(s, 17, f.zone_time_first);
    pb_put_opt_uint(s, 18, f.zone_time_last);
    pb_put_opt_bool(s, 19, f.new_domain);
    pb_put_opt_bool(s, 20, f.new_rrname);
    pb_put_opt_bool(s, 21, f.new_rrtype);
    for (bool b : f.new_rr) {
        pb_put_uint(s, 22, b ? 1 : 0);
    }
    pb_put_opt_bool(s, 23, f.new_rrset);
}

// ------------------------------------------------------------------------ SIE/dnsnx (2:6)

struct dnsnx_schema {
    static constexpr schema_table<7> table{std::array<field_def, 7>{{
        {1, field_type::bytes, field_label::required},
        {2, field_type::uint32, field_label::required},
        {3, field_type::uint32, field_label::required},
        {4, field_type::bytes, field_label::required},
        {5, field_type::bytes, field_label::optional},
        {6, field_type::int64, field_label::optional},
        {7, field_type::sfixed32, field_label::optional},
    }}};
};

class dnsnx_view : public basic_view<dnsnx_schema> {
public:
    dnsnx_view() noexcept = default;
    explicit dnsnx_view(byte_view b) noexcept { parse_bytes(b); }

    byte_view qname() const noexcept { return get<1, byte_view>(); }
    std::uint32_t qtype() const noexcept { return get<2, std::uint32_t>(); }
    std::uint32_t qclass() const noexcept { return get<3, std::uint32_t>(); }
    byte_view response_ip() const noexcept { return get<4, byte_view>(); }
    opt_bytes soa_rrname() const noexcept { return opt<5, byte_view>(); }
    opt_i64 response_time_sec() const noexcept { return opt<6, std::int64_t>(); }
    opt_i32 response_time_nsec() const noexcept { return opt<7, std::int32_t>(); }
};

struct dnsnx_fields {
    byte_view qname;
    std::uint32_t qtype = 0;
    std::uint32_t qclass = 0;
    byte_view response_ip;
    opt_bytes soa_rrname;
    opt_i64 response_time_sec;
    opt_i32 response_time_nsec;
};

template <class Sink> inline void write(Sink& s, const dnsnx_fields& f) noexcept
{
    pb_put_bytes(s, 1, f.qname);
    pb_put_uint(s, 2, f.qtype);
    pb_put_uint(s, 3, f.qclass);
    pb_put_bytes(s, 4, f.response_ip);
    pb_put_opt_bytes(s, 5, f.soa_rrname);
    pb_put_opt_int(s, 6, f.response_time_sec);
    if (f.response_time_nsec) {
        pb_put_fixed32(s, 7, static_cast<std::uint32_t>(*f.response_time_nsec));
    }
}

// ---------------------------------------------------------------------- base/encode (1:11)

struct encode_schema {
    static constexpr schema_table<2> table{std::array<field_def, 2>{{
        {1, field_type::int32, field_label::required},
        {2, field_type::bytes, field_label::required},
    }}};
};

class encode_view : public basic_view<encode_schema> {
public:
    encode_view() noexcept = default;
    explicit encode_view(byte_view b) noexcept { parse_bytes(b); }

    std::int32_t type() const noexcept { return get<1, std::int32_t>(); }
    byte_view payload() const noexcept { return get<2, byte_view>(); }
};

struct encode_fields {
    std::int32_t type = 0;
    byte_view payload;
};

template <class Sink> inline void write(Sink& s, const encode_fields& f) noexcept
{
    pb_put_int(s, 1, f.type);
    pb_put_bytes(s, 2, f.payload);
}

} // namespace siehub::nmsg
