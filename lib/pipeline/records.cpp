// SPDX-License-Identifier: Apache-2.0
#include "pipeline/records.hpp"

#include <algorithm>
#include <limits>

#include "dedup/key.hpp"
#include "proto/nmsg/pb.hpp"

namespace siehub::pipeline {

std::string_view to_string(record_error e) noexcept
{
    switch (e) {
    case record_error::none:
        return "none";
    case record_error::overflow:
        return "overflow";
    case record_error::bad_name:
        return "bad_name";
    case record_error::bad_address:
        return "bad_address";
    case record_error::bad_key:
        return "bad_key";
    case record_error::bad_hub_name:
        return "bad_hub_name";
    }
    return "unknown";
}

namespace {

constexpr std::size_t max_name_wire = 255;

bool valid_name(byte_view n) noexcept
{
    return !n.empty() && n.size() <= max_name_wire;
}

bool valid_address(byte_view a) noexcept
{
    return a.size() == 4 || a.size() == 16;
}

// Writes a length-delimited field holding a wire name folded to lower case. Folding every
// byte is safe: label length bytes are <= 63 and so never in 'A'..'Z' (dedup/key.hpp).
void put_lower_name(core::out_buffer& out, std::uint32_t number, byte_view name) noexcept
{
    nmsg::pb_put_len_prefix(out, number, name.size());
    std::uint8_t* p = out.reserve(name.size());
    if (p == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        std::uint8_t const c = name[i];
        p[i] = (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c | 0x20) : c;
    }
}

// The dnsdedupe fields siehub writes, in field-number order (protobuf-c's order). Rdata
// comes from a callable that writes field 5 once per rdata.
struct dedupe_parts {
    byte_view rrname;
    std::uint16_t rrtype;
    std::uint16_t rrclass;
    std::uint32_t rrttl;
    std::uint32_t count;
    std::uint32_t time_first;
    std::uint32_t time_last;
    dedupe_type type;
    byte_view response_ip; // empty: absent
    byte_view bailiwick;
    // The names come from a dedup key, where key_builder already folded them: written as
    // they are instead of being folded a second time.
    bool names_canonical = false;
};

template <class PutRdata>
record write_dedupe(byte_span buf, const dedupe_parts& d, PutRdata&& put_rdata, record_time t,
                    std::optional<std::uint32_t> source) noexcept
{
    record r;
    if (!valid_name(d.rrname) || !valid_name(d.bailiwick)) {
        r.error = record_error::bad_name;
        return r;
    }
    core::out_buffer out(buf);
    auto const put_name = [&](std::uint32_t number, byte_view name) noexcept {
        if (d.names_canonical) {
            nmsg::pb_put_bytes(out, number, name);
        } else {
            put_lower_name(out, number, name);
        }
    };
    put_name(1, d.rrname);
    nmsg::pb_put_uint(out, 2, d.rrtype);
    nmsg::pb_put_uint(out, 3, d.rrclass);
    nmsg::pb_put_uint(out, 4, d.rrttl);
    put_rdata(out);
    nmsg::pb_put_uint(out, 10, d.count);
    nmsg::pb_put_uint(out, 11, d.time_first);
    nmsg::pb_put_uint(out, 12, d.time_last);
    nmsg::pb_put_int(out, 13, static_cast<std::int32_t>(d.type));
    if (!d.response_ip.empty()) {
        nmsg::pb_put_bytes(out, 14, d.response_ip);
    }
    put_name(16, d.bailiwick);
    if (!out.ok()) {
        r.error = record_error::overflow;
        return r;
    }
    r.vendor = out.written();
    r.header.vid = vid_sie;
    r.header.msgtype = msgtype_dnsdedupe;
    r.header.time_sec = t.sec;
    r.header.time_nsec = t.nsec;
    r.header.source = source;
    return r;
}

// Puts every rdata of a parsed key's rdata block as field 5.
struct key_rdata_writer {
    byte_view block;
    void operator()(core::out_buffer& out) const noexcept
    {
        dedup::rdata_iterator it(block);
        byte_view rd;
        while (it.next(rd)) {
            nmsg::pb_put_bytes(out, 5, rd);
        }
    }
};

} // namespace

record build_insertion(byte_span out, const rrset_observation& obs,
                       std::optional<std::uint32_t> source) noexcept
{
    if (!valid_address(obs.response_ip)) {
        return record{record_error::bad_address, {}, {}};
    }
    dedupe_parts const d{obs.rrname,
                         obs.rrtype,
                         obs.rrclass,
                         obs.rrttl,
                         1,
                         obs.time.sec,
                         obs.time.sec,
                         dedupe_type::insertion,
                         obs.response_ip,
                         obs.bailiwick};
    auto put = [&](core::out_buffer& o) noexcept {
        for (auto rd : obs.rdata) {
            nmsg::pb_put_bytes(o, 5, rd);
        }
    };
    return write_dedupe(out, d, put, obs.time, source);
}

record build_insertion_from_key(byte_span out, byte_view key, std::uint32_t rrttl,
                                byte_view response_ip, record_time time,
                                std::optional<std::uint32_t> source) noexcept
{
    if (!valid_address(response_ip)) {
        return record{record_error::bad_address, {}, {}};
    }
    dedup::key_fields k;
    if (dedup::parse_key(key, k) != dedup::key_error::ok) {
        return record{record_error::bad_key, {}, {}};
    }
    dedupe_parts const d{k.rrname,    k.rrtype,   k.rrclass, rrttl,
                         1,           time.sec,   time.sec,  dedupe_type::insertion,
                         response_ip, k.bailiwick, true};
    return write_dedupe(out, d, key_rdata_writer{k.rdata_block}, time, source);
}

bool record_keys(byte_view key, byte_view response_ip, axa::payload_keys& k) noexcept
{
    dedup::key_fields f;
    if (dedup::parse_key(key, f) != dedup::key_error::ok) {
        return false;
    }
    axa::dnsdedupe_keys(response_ip, f.bailiwick, f.rrname, f.rrtype,
                        [&](const auto& each) {
                            dedup::rdata_iterator it(f.rdata_block);
                            byte_view rd;
                            while (it.next(rd)) {
                                each(rd);
                            }
                        },
                        k);
    return true;
}

record build_expiration(byte_span out, byte_view key, std::uint64_t count, std::uint32_t time_first,
                        std::uint32_t time_last, std::uint32_t rrttl, record_time now,
                        std::optional<std::uint32_t> source) noexcept
{
    dedup::key_fields k;
    if (dedup::parse_key(key, k) != dedup::key_error::ok) {
        return record{record_error::bad_key, {}, {}};
    }
    auto const c = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(count, std::numeric_limits<std::uint32_t>::max()));
    dedupe_parts const d{k.rrname,    k.rrtype,   k.rrclass, rrttl,
                         c,           time_first, time_last, dedupe_type::expiration,
                         byte_view{}, k.bailiwick, true};
    return write_dedupe(out, d, key_rdata_writer{k.rdata_block}, now, source);
}

record build_heartbeat(byte_span buf, std::uint64_t n, std::string_view hub, record_time now,
                       std::optional<std::uint32_t> source) noexcept
{
    record r;
    if (hub.empty() || hub.size() > max_hub_name) {
        r.error = record_error::bad_hub_name;
        return r;
    }
    // The document's length prefixes it on the wire, so build it first in a stack array
    // (bounded through max_hub_name), then write the Encode message around it.
    std::uint8_t doc[heartbeat_buffer_size];
    core::out_buffer j(byte_span{doc, sizeof doc});
    j.put(core::as_bytes(R"({"heartbeat":)"));
    char digits[20];
    std::size_t nd = 0;
    do {
        digits[nd++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (nd > 0) {
        j.put(static_cast<std::uint8_t>(digits[--nd]));
    }
    j.put(core::as_bytes(R"(,"hub":")"));
    static constexpr char hex[] = "0123456789abcdef";
    for (char ch : hub) {
        auto const c = static_cast<std::uint8_t>(ch);
        if (c == '"' || c == '\\') {
            j.put(std::uint8_t{'\\'});
            j.put(c);
        } else if (c < 0x20) {
            j.put(core::as_bytes("\\u00"));
            j.put(static_cast<std::uint8_t>(hex[c >> 4]));
            j.put(static_cast<std::uint8_t>(hex[c & 0xf]));
        } else {
            j.put(c);
        }
    }
    j.put(core::as_bytes(R"("})"));

    core::out_buffer out(buf);
    nmsg::pb_put_int(out, 1, 1); // EncodeType JSON
    nmsg::pb_put_bytes(out, 2, j.written());
    if (!j.ok() || !out.ok()) {
        r.error = record_error::overflow;
        return r;
    }
    r.vendor = out.written();
    r.header.vid = vid_base;
    r.header.msgtype = msgtype_encode;
    r.header.time_sec = now.sec;
    r.header.time_nsec = now.nsec;
    r.header.source = source;
    return r;
}

} // namespace siehub::pipeline
