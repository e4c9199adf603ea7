// SPDX-License-Identifier: Apache-2.0
#include "proto/json/json_line.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <span>

#include "proto/dns/name.hpp"
#include "proto/dns/presentation.hpp"
#include "proto/dns/rdata_text.hpp"
#include "proto/json/json_value.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/pb.hpp"
#include "proto/nmsg/types.hpp"

namespace siehub::json {

const char* to_string(line_error e) noexcept
{
    switch (e) {
    case line_error::none: return "none";
    case line_error::unknown_message_type: return "unknown_message_type";
    case line_error::no_message_bytes: return "no_message_bytes";
    case line_error::undecodable_message: return "undecodable_message";
    case line_error::rdata_without_type: return "rdata_without_type";
    case line_error::bad_json: return "bad_json";
    case line_error::not_an_object: return "not_an_object";
    case line_error::missing_name: return "missing_name";
    case line_error::unknown_name: return "unknown_name";
    case line_error::bad_time: return "bad_time";
    case line_error::bad_source: return "bad_source";
    case line_error::bad_operator: return "bad_operator";
    case line_error::bad_message: return "bad_message";
    case line_error::bad_field: return "bad_field";
    case line_error::bad_name: return "bad_name";
    case line_error::bad_rdata: return "bad_rdata";
    case line_error::unsupported_field: return "unsupported_field";
    case line_error::missing_required: return "missing_required";
    case line_error::too_many_values: return "too_many_values";
    case line_error::out_of_space: return "out_of_space";
    }
    return "unknown";
}

namespace {

using core::byte_view;
using nmsg::field_label;
using nmsg::field_type;

// How a module field is printed and read (spec §12.3, §14).
enum class fk : std::uint8_t {
    enum_dnsqr_type,
    enum_udp_checksum,
    enum_dedupe_type,
    enum_encode_type,
    u32,
    u16,
    i64,      // int64: negatives print as unsigned 64-bit
    sfixed32, // likewise, after sign extension
    boolean,
    dbl,
    ip,
    bytes,
    name,
    rrtype,
    rrclass_sie,
    rrclass_base,
    rcode,    // dnsqr rcode: name or the number as a string
    proto,    // dnsqr proto: UDP/TCP/ICMP or the number as a string
    sie_time,
    rdata,
    response_text,
    string,
    encode_payload,
    virtual_delay,   // dnsqr computed keys (§12.5)
    virtual_packets, // query, query_json, response, response_json, dns
};

struct key_def {
    std::string_view key;
    std::uint32_t number; // 0 for virtual keys
    fk kind;
};

// Key order = the module's field table order (§10), not field-number order.
constexpr key_def dnsqr_keys[] = {
    {"type", 1, fk::enum_dnsqr_type},
    {"query_ip", 2, fk::ip},
    {"response_ip", 3, fk::ip},
    {"proto", 4, fk::proto},
    {"query_port", 5, fk::u16},
    {"response_port", 6, fk::u16},
    {"id", 7, fk::u16},
    {"qname", 8, fk::name},
    {"qclass", 10, fk::rrclass_base},
    {"qtype", 9, fk::rrtype},
    {"rcode", 11, fk::rcode},
    {"query_packet", 12, fk::bytes},
    {"query_time_sec", 13, fk::i64},
    {"query_time_nsec", 14, fk::sfixed32},
    {"response_packet", 15, fk::bytes},
    {"response_time_sec", 16, fk::i64},
    {"response_time_nsec", 17, fk::sfixed32},
    {"timeout", 20, fk::dbl},
    {"delay", 0, fk::virtual_delay},
    {"udp_checksum", 21, fk::enum_udp_checksum},
    {"resolver_address_zeroed", 22, fk::boolean},
    {"query", 0, fk::virtual_packets},
    {"tcp", 18, fk::bytes},
    {"icmp", 19, fk::bytes},
};

constexpr key_def dnsdedupe_keys[] = {
    {"type", 13, fk::enum_dedupe_type},
    {"count", 10, fk::u32},
    {"time_first", 11, fk::sie_time},
    {"time_last", 12, fk::sie_time},
    {"zone_time_first", 17, fk::sie_time},
    {"zone_time_last", 18, fk::sie_time},
    {"response_ip", 14, fk::ip},
    {"bailiwick", 16, fk::name},
    {"rrname", 1, fk::name},
    {"rrclass", 3, fk::rrclass_sie},
    {"rrtype", 2, fk::rrtype},
    {"rrttl", 4, fk::u32},
    {"rdata", 5, fk::rdata},
    {"response", 15, fk::response_text},
};

constexpr key_def newdomain_keys[] = {
    {"domain", 1, fk::name},
    {"time_seen", 2, fk::sie_time},
    {"type", 13, fk::enum_dedupe_type},
    {"count", 10, fk::u32},
    {"time_first", 11, fk::sie_time},
    {"time_last", 12, fk::sie_time},
    {"zone_time_first", 17, fk::sie_time},
    {"zone_time_last", 18, fk::sie_time},
    {"response_ip", 14, fk::ip},
    {"bailiwick", 16, fk::name},
    {"rrname", 3, fk::name},
    {"rrclass", 5, fk::rrclass_sie},
    {"rrtype", 4, fk::rrtype},
    {"rrttl", 6, fk::u32},
    {"rdata", 7, fk::rdata},
    {"response", 15, fk::response_text},
    {"keys", 9, fk::string},
    {"new_domain", 19, fk::boolean},
    {"new_rrname", 20, fk::boolean},
    {"new_rrtype", 21, fk::boolean},
    {"new_rr", 22, fk::boolean},
    {"new_rrset", 23, fk::boolean},
};

constexpr key_def dnsnx_keys[] = {
    {"qname", 1, fk::name},
    {"qclass", 3, fk::rrclass_sie},
    {"qtype", 2, fk::rrtype},
    {"response_ip", 4, fk::ip},
    {"soa_rrname", 5, fk::name},
    {"response_time_sec", 6, fk::i64},
    {"response_time_nsec", 7, fk::sfixed32},
};

constexpr key_def encode_keys[] = {
    {"type", 1, fk::enum_encode_type},
    {"payload", 2, fk::encode_payload},
};

// Field numbers of rrtype/rrclass per SIE module, for rdata rendering and parsing.
struct type_class_numbers {
    std::uint32_t rrtype;
    std::uint32_t rrclass;
};

std::string_view enum_name(fk kind, std::int64_t v) noexcept
{
    switch (kind) {
    case fk::enum_dnsqr_type: return nmsg::dnsqr_type_name(v);
    case fk::enum_udp_checksum: return nmsg::udp_checksum_name(v);
    case fk::enum_dedupe_type: return nmsg::dnsdedupe_type_name(v);
    case fk::enum_encode_type: return nmsg::encode_type_name(v);
    default: return {};
    }
}

// ---------------------------------------------------------------------------- rendering

// Per-thread scratch so that steady-state rendering reuses capacity.
struct render_scratch {
    std::string text;
    std::vector<std::uint8_t> reasm;
    document doc{reader_limits{1u << 20, 1u << 14, 64}};
};

render_scratch& scratch()
{
    thread_local render_scratch s;
    return s;
}

void append_name_field(std::string& out, byte_view b)
{
    if (b.empty() || b.size() > 255) {
        out.append("\"\"");
        return;
    }
    std::string& t = scratch().text;
    t.clear();
    dns::name_to_text(b, t);
    append_quoted(out, t);
}

void append_proto(std::string& out, std::uint32_t p)
{
    switch (p) {
    case 17: out.append("\"UDP\""); return;
    case 6: out.append("\"TCP\""); return;
    case 1: out.append("\"ICMP\""); return;
    default:
        out.push_back('"');
        append_u64(out, p);
        out.push_back('"');
    }
}

// A scalar field value from its raw protobuf bits (varint/fixed) or bytes.
void render_scalar(std::string& out, fk kind, std::uint64_t raw, byte_view b)
{
    switch (kind) {
    case fk::enum_dnsqr_type:
    case fk::enum_udp_checksum:
    case fk::enum_dedupe_type:
    case fk::enum_encode_type: {
        const auto v = static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
        const std::string_view n = enum_name(kind, v);
        if (n.empty()) {
            append_i64_as_unsigned(out, v);
        } else {
            append_quoted(out, n);
        }
        return;
    }
    case fk::u32: append_u64(out, static_cast<std::uint32_t>(raw)); return;
    case fk::u16: append_u64(out, static_cast<std::uint16_t>(raw)); return;
    case fk::i64: append_u64(out, raw); return;
    case fk::sfixed32:
        append_i64_as_unsigned(out, static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)));
        return;
    case fk::boolean: out.append(raw != 0 ? "true" : "false"); return;
    case fk::dbl: append_double(out, std::bit_cast<double>(raw)); return;
    case fk::ip: append_ip_or_null(out, b); return;
    case fk::bytes:
        out.push_back('"');
        append_base64(out, b);
        out.push_back('"');
        return;
    case fk::name: append_name_field(out, b); return;
    case fk::rrtype: {
        out.push_back('"');
        dns::append_rrtype(static_cast<std::uint16_t>(raw), out);
        out.push_back('"');
        return;
    }
    case fk::rrclass_sie:
    case fk::rrclass_base: {
        out.push_back('"');
        dns::append_rrclass(static_cast<std::uint16_t>(raw), out,
                            kind == fk::rrclass_sie ? dns::unknown_class_form::sie
                                                    : dns::unknown_class_form::numeric);
        out.push_back('"');
        return;
    }
    case fk::rcode: {
        out.push_back('"');
        dns::append_rcode(static_cast<std::uint16_t>(raw), out);
        out.push_back('"');
        return;
    }
    case fk::proto: append_proto(out, static_cast<std::uint32_t>(raw)); return;
    case fk::sie_time: append_sie_time(out, static_cast<std::uint32_t>(raw)); return;
    case fk::response_text: {
        std::string& t = scratch().text;
        t.clear();
        dns::message_to_text(b, t);
        append_quoted(out, t);
        return;
    }
    case fk::string: append_string_field(out, b); return;
    default: return;
    }
}

// --- dnsqr virtual fields -------------------------------------------------------------

// dnsqr's `type` is required, so a virtual key is never the first one: the pair writers
// put their own leading comma.

// The UDP payload of one unfragmented IPv4/IPv6 datagram (IP header onward).
bool udp_payload_of(byte_view ip, byte_view& out) noexcept
{
    byte_view l4;
    if (ip.size() >= 20 && (ip[0] >> 4) == 4) {
        const std::size_t ihl = (ip[0] & 0x0fu) * 4u;
        const std::size_t total = core::load_be16(&ip[2]);
        if (ihl < 20 || total < ihl || total > ip.size() || ip[9] != 17 ||
            (core::load_be16(&ip[6]) & 0x3fff) != 0) {
            return false;
        }
        l4 = ip.subspan(ihl, total - ihl);
    } else if (ip.size() >= 40 && (ip[0] >> 4) == 6) {
        const std::size_t plen = core::load_be16(&ip[4]);
        if (ip[6] != 17 || 40 + plen > ip.size()) {
            return false;
        }
        l4 = ip.subspan(40, plen);
    } else {
        return false;
    }
    if (l4.size() < 8) {
        return false;
    }
    const std::size_t ulen = core::load_be16(&l4[4]);
    if (ulen < 8 || ulen > l4.size()) {
        return false;
    }
    out = l4.subspan(8, ulen - 8);
    return true;
}

// IPv4 reassembly of the response fragments (the converter keeps every fragment, §10.1):
// the fragments must tile [0, end) exactly, one of them without MF; then the UDP payload.
bool reassemble_udp(const nmsg::dnsqr_view& v, byte_view& out)
{
    auto packets = v.response_packet();
    if (packets.size() == 1) {
        return udp_payload_of(*packets.begin(), out);
    }
    constexpr std::size_t max_frags = 64;
    if (packets.size() > max_frags) {
        return false;
    }
    struct frag {
        std::size_t off;
        byte_view data;
        bool more;
    };
    std::array<frag, max_frags> frags{};
    std::size_t n = 0;
    std::uint16_t id = 0;
    for (byte_view ip : packets) {
        if (ip.size() < 20 || (ip[0] >> 4) != 4 || ip[9] != 17) {
            return false;
        }
        const std::size_t ihl = (ip[0] & 0x0fu) * 4u;
        const std::size_t total = core::load_be16(&ip[2]);
        if (ihl < 20 || total < ihl || total > ip.size()) {
            return false;
        }
        const std::uint16_t fo = core::load_be16(&ip[6]);
        const std::uint16_t this_id = core::load_be16(&ip[4]);
        if (n > 0 && this_id != id) {
            return false;
        }
        id = this_id;
        frags[n++] = {std::size_t{fo & 0x1fffu} * 8, ip.subspan(ihl, total - ihl),
                      (fo & 0x2000) != 0};
    }
    std::sort(frags.begin(), frags.begin() + static_cast<std::ptrdiff_t>(n),
              [](const frag& a, const frag& b) { return a.off < b.off; });
    std::vector<std::uint8_t>& buf = scratch().reasm;
    buf.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (frags[i].off != buf.size() || (frags[i].more != (i + 1 < n))) {
            return false;
        }
        buf.insert(buf.end(), frags[i].data.begin(), frags[i].data.end());
    }
    if (buf.size() < 8) {
        return false;
    }
    const std::size_t ulen = core::load_be16(&buf[4]);
    if (ulen < 8 || ulen > buf.size()) {
        return false;
    }
    out = byte_view{buf.data() + 8, ulen - 8};
    return true;
}

void render_dns_pair(std::string& out, std::string_view key, std::string_view json_key,
                     byte_view msg)
{
    out.push_back(',');
    append_quoted(out, key);
    out.append(":\"");
    append_base64(out, msg);
    out.append("\",");
    append_quoted(out, json_key);
    out.push_back(':');
    const std::size_t mark = out.size();
    if (!dns::message_to_json(msg, out)) {
        out.resize(mark);
        out.append("null");
    }
}

void render_dnsqr_virtual(std::string& out, fk kind, const nmsg::dnsqr_view& v, bool& first)
{
    auto sep = [&]() {
        if (!first) {
            out.push_back(',');
        }
        first = false;
    };
    if (kind == fk::virtual_delay) {
        auto qs = v.query_time_sec();
        auto qn = v.query_time_nsec();
        auto rs = v.response_time_sec();
        auto rn = v.response_time_nsec();
        if (v.type() != static_cast<std::int32_t>(nmsg::dnsqr_type::udp_query_response) ||
            qs.size() != 1 || qn.size() != 1 || rs.size() < 1 || rs.size() != rn.size()) {
            return;
        }
        const std::int64_t q_sec = *qs.begin();
        const std::int32_t q_nsec = *qn.begin();
        double best = 0.0;
        bool have = false;
        auto ri = rn.begin();
        for (std::int64_t r_sec : rs) {
            const std::int32_t r_nsec = *ri;
            ++ri;
            std::int64_t d_sec = r_sec - q_sec;
            std::int64_t d_nsec = std::int64_t{r_nsec} - q_nsec;
            if (d_nsec < 0) {
                d_sec -= 1;
                d_nsec += 1000000000;
            }
            const double d = static_cast<double>(d_sec) + static_cast<double>(d_nsec) / 1e9;
            if (!have || d > best) {
                best = d;
                have = true;
            }
        }
        sep();
        out.append("\"delay\":");
        append_double(out, best);
        return;
    }
    // query / query_json
    const std::size_t qip = v.query_ip().size();
    if (v.query_packet().size() == 1 && (qip == 4 || qip == 16)) {
        byte_view msg;
        if (udp_payload_of(*v.query_packet().begin(), msg)) {
            render_dns_pair(out, "query", "query_json", msg);
        }
    }
    if (v.response_packet().size() >= 1 && !v.response_ip().empty()) {
        byte_view msg;
        if (reassemble_udp(v, msg)) {
            render_dns_pair(out, "response", "response_json", msg);
            out.append(",\"dns\":\"");
            append_base64(out, msg);
            out.push_back('"');
        }
    }
}

void render_encode_payload(std::string& out, std::int32_t type, byte_view b)
{
    out.push_back('{');
    const auto t = static_cast<nmsg::encode_type>(type);
    if (t == nmsg::encode_type::json) {
        render_scratch& s = scratch();
        if (s.doc.parse(core::as_chars(b)) == read_error::none) {
            out.append("\"val\":");
            out.append(core::as_chars(b));
            out.push_back(',');
        }
    } else if (t == nmsg::encode_type::text || t == nmsg::encode_type::yaml ||
               t == nmsg::encode_type::xml) {
        out.append("\"val\":");
        append_string_field(out, b);
        out.push_back(',');
    }
    out.append("\"b64\":\"");
    append_base64(out, b);
    out.append("\"}");
}

template <class Schema, class View, std::size_t K>
line_error render_message(std::string& out, byte_view msg, const key_def (&keys)[K],
                          type_class_numbers tc)
{
    constexpr auto& table = Schema::table;
    std::array<nmsg::field_slot, table.defs.size()> slots{};
    const nmsg::parse_state st = nmsg::parse_fields(msg, table, slots);
    if (st.error != nmsg::pb_error::none) {
        return line_error::undecodable_message;
    }
    auto present = [&](std::uint32_t number) {
        const int s = table.index[number];
        return s >= 0 && ((st.present >> s) & 1u) != 0;
    };
    auto slot = [&](std::uint32_t number) -> const nmsg::field_slot& {
        return slots[static_cast<std::size_t>(table.index[number])];
    };
    View view(msg);
    bool first = true;
    for (const key_def& k : keys) {
        if (k.number == 0) {
            if constexpr (std::is_same_v<View, nmsg::dnsqr_view>) {
                render_dnsqr_virtual(out, k.kind, view, first);
            }
            continue;
        }
        const auto s = static_cast<std::size_t>(table.index[k.number]);
        const nmsg::field_def& def = table.defs[s];
        const bool repeated = def.label == field_label::repeated;
        if (!repeated && !present(k.number)) {
            continue;
        }
        if (!first) {
            out.push_back(',');
        }
        first = false;
        out.push_back('"');
        out.append(k.key);
        out.append("\":");
        if (!repeated) {
            const nmsg::field_slot& sl = slot(k.number);
            if (k.kind == fk::encode_payload) {
                render_encode_payload(out, static_cast<std::int32_t>(slot(1).value),
                                      byte_view{sl.data, static_cast<std::size_t>(sl.value)});
                continue;
            }
            byte_view b;
            if (def.type == field_type::bytes) {
                b = byte_view{sl.data, static_cast<std::size_t>(sl.value)};
            }
            render_scalar(out, k.kind, sl.value, b);
            continue;
        }
        const std::size_t count = static_cast<std::size_t>(slot(k.number).value);
        out.push_back('[');
        bool first_el = true;
        auto comma = [&]() {
            if (!first_el) {
                out.push_back(',');
            }
            first_el = false;
        };
        if (def.type == field_type::bytes) {
            nmsg::repeated_field<byte_view> r(msg, k.number, def.type, count);
            if (k.kind == fk::rdata) {
                if (count > 0 && (!present(tc.rrtype) || !present(tc.rrclass))) {
                    return line_error::rdata_without_type;
                }
                const auto rrtype = static_cast<std::uint16_t>(slot(tc.rrtype).value);
                const auto rrclass = static_cast<std::uint16_t>(slot(tc.rrclass).value);
                std::string& t = scratch().text;
                for (byte_view rd : r) {
                    comma();
                    t.clear();
                    dns::rdata_to_text(rrtype, rrclass, rd, t);
                    append_quoted(out, t);
                }
            } else {
                for (byte_view e : r) {
                    comma();
                    render_scalar(out, k.kind, 0, e);
                }
            }
        } else if (def.type == field_type::sfixed32 || def.type == field_type::fixed32) {
            nmsg::repeated_field<std::uint32_t> r(msg, k.number, def.type, count);
            for (std::uint32_t e : r) {
                comma();
                render_scalar(out, k.kind, e, {});
            }
        } else {
            nmsg::repeated_field<std::uint64_t> r(msg, k.number, def.type, count);
            for (std::uint64_t e : r) {
                comma();
                render_scalar(out, k.kind, e, {});
            }
        }
        out.push_back(']');
    }
    return line_error::none;
}

} // namespace

line_error render_json_line(const nmsg::payload_view& pv, std::string& out)
{
    if (!pv.ok()) {
        return line_error::undecodable_message;
    }
    struct {
        std::uint32_t vid, msgtype;
        std::int64_t time_sec;
        std::uint32_t time_nsec;
        std::optional<byte_view> payload;
        std::optional<std::uint32_t> source, operator_id, group;
    } const p{pv.vid(),    pv.msgtype(), pv.time_sec(), pv.time_nsec(),
              pv.payload(), pv.source(), pv.operator_id(), pv.group()};
    const std::string_view vname = nmsg::vendor_name(p.vid);
    const std::string_view mname = nmsg::msgtype_name(p.vid, p.msgtype);
    const bool supported =
        (p.vid == nmsg::vendor_base &&
         (p.msgtype == nmsg::base_dnsqr || p.msgtype == nmsg::base_encode)) ||
        (p.vid == nmsg::vendor_sie &&
         (p.msgtype == nmsg::sie_dnsdedupe || p.msgtype == nmsg::sie_newdomain ||
          p.msgtype == nmsg::sie_dnsnx));
    if (!supported) {
        return line_error::unknown_message_type;
    }
    if (!p.payload) {
        return line_error::no_message_bytes;
    }
    const std::size_t mark = out.size();
    out.append("{\"time\":");
    append_payload_time(out, p.time_sec, p.time_nsec);
    out.append(",\"vname\":");
    append_quoted(out, vname);
    out.append(",\"mname\":");
    append_quoted(out, mname);
    if (p.source && *p.source != 0) {
        out.append(",\"source\":");
        append_source(out, *p.source);
    }
    if (p.operator_id && *p.operator_id != 0) {
        out.append(",\"operator\":");
        append_u64(out, *p.operator_id);
    }
    if (p.group && *p.group != 0) {
        out.append(",\"group\":");
        append_u64(out, *p.group);
    }
    out.append(",\"message\":{");
    const byte_view msg = *p.payload;
    line_error err = line_error::none;
    if (p.vid == nmsg::vendor_base && p.msgtype == nmsg::base_dnsqr) {
        err = render_message<nmsg::dnsqr_schema, nmsg::dnsqr_view>(out, msg, dnsqr_keys, {});
    } else if (p.vid == nmsg::vendor_base) {
        err = render_message<nmsg::encode_schema, nmsg::encode_view>(out, msg, encode_keys, {});
    } else if (p.msgtype == nmsg::sie_dnsdedupe) {
        err = render_message<nmsg::dnsdedupe_schema, nmsg::dnsdedupe_view>(out, msg,
                                                                         dnsdedupe_keys, {2, 3});
    } else if (p.msgtype == nmsg::sie_newdomain) {
        err = render_message<nmsg::newdomain_schema, nmsg::newdomain_view>(out, msg,
                                                                         newdomain_keys, {4, 5});
    } else {
        err = render_message<nmsg::dnsnx_schema, nmsg::dnsnx_view>(out, msg, dnsnx_keys, {});
    }
    if (err != line_error::none) {
        out.resize(mark);
        return err;
    }
    out.append("}}\n");
    return line_error::none;
}

line_error render_json_line(byte_view serialized_payload, std::string& out)
{
    return render_json_line(nmsg::payload_view(serialized_payload), out);
}

// ------------------------------------------------------------------------------ parsing

namespace {

// An integer node as int64, reading values above INT64_MAX as the unsigned rendering of a
// negative number (18446744073709551615 -> -1), so printed values read back.
bool wrap_i64(const node& n, std::int64_t& v) noexcept
{
    if (n.kind != value_kind::number || !n.is_integer) {
        return false;
    }
    v = n.negative ? n.i64 : static_cast<std::int64_t>(n.u64);
    return true;
}

bool as_u32(const node& n, std::uint64_t& v) noexcept
{
    if (n.kind != value_kind::number || !n.is_integer || n.negative || n.u64 > 0xffffffffu) {
        return false;
    }
    v = n.u64;
    return true;
}

bool decimal_u32(std::string_view s, std::uint64_t& v) noexcept
{
    std::uint32_t x = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
        return false;
    }
    v = x;
    return true;
}

// The numeric value of a non-bytes field. Enums and signed kinds return the int64 bits.
line_error numeric_value(const document& d, fk kind, const node& n, std::uint64_t& v)
{
    const bool is_str = n.kind == value_kind::string;
    const std::string_view s = is_str ? d.str(n) : std::string_view{};
    switch (kind) {
    case fk::enum_dnsqr_type:
    case fk::enum_udp_checksum:
    case fk::enum_dedupe_type:
    case fk::enum_encode_type: {
        if (is_str) {
            for (std::int64_t e = 0; e < 8; ++e) {
                const std::string_view name = enum_name(kind, e);
                if (!name.empty() && name == s) {
                    v = static_cast<std::uint64_t>(e);
                    return line_error::none;
                }
            }
            return line_error::bad_field;
        }
        std::int64_t i = 0;
        if (!wrap_i64(n, i) || i < INT32_MIN || i > INT32_MAX) {
            return line_error::bad_field;
        }
        v = static_cast<std::uint64_t>(i);
        return line_error::none;
    }
    case fk::u32:
    case fk::u16:
        return as_u32(n, v) ? line_error::none : line_error::bad_field;
    case fk::sie_time: {
        if (is_str) {
            std::uint32_t t = 0;
            if (!parse_sie_time(s, t)) {
                return line_error::bad_field;
            }
            v = t;
            return line_error::none;
        }
        return as_u32(n, v) ? line_error::none : line_error::bad_field;
    }
    case fk::i64: {
        std::int64_t i = 0;
        if (!wrap_i64(n, i)) {
            return line_error::bad_field;
        }
        v = static_cast<std::uint64_t>(i);
        return line_error::none;
    }
    case fk::sfixed32: {
        std::int64_t i = 0;
        if (!wrap_i64(n, i) || i < INT32_MIN || i > INT32_MAX) {
            return line_error::bad_field;
        }
        v = static_cast<std::uint32_t>(static_cast<std::int32_t>(i));
        return line_error::none;
    }
    case fk::boolean:
        if (n.kind != value_kind::boolean) {
            return line_error::bad_field;
        }
        v = n.boolean ? 1 : 0;
        return line_error::none;
    case fk::dbl:
        if (n.kind != value_kind::number) {
            return line_error::bad_field;
        }
        v = std::bit_cast<std::uint64_t>(n.real);
        return line_error::none;
    case fk::rrtype:
        if (is_str) {
            auto t = dns::rrtype_from_text(s);
            if (!t) {
                return line_error::bad_field;
            }
            v = *t;
            return line_error::none;
        }
        return as_u32(n, v) ? line_error::none : line_error::bad_field;
    case fk::rrclass_sie:
    case fk::rrclass_base:
        if (is_str) {
            // "<UNKNOWN>" names no class; 0 is one that prints the same way.
            if (kind == fk::rrclass_sie && s == "<UNKNOWN>") {
                v = 0;
                return line_error::none;
            }
            auto c = dns::rrclass_from_text(s);
            if (!c) {
                return line_error::bad_field;
            }
            v = *c;
            return line_error::none;
        }
        return as_u32(n, v) ? line_error::none : line_error::bad_field;
    case fk::rcode:
        if (is_str) {
            if (auto r = dns::rcode_from_text(s)) {
                v = *r;
                return line_error::none;
            }
            return decimal_u32(s, v) ? line_error::none : line_error::bad_field;
        }
        return as_u32(n, v) ? line_error::none : line_error::bad_field;
    case fk::proto:
        if (is_str) {
            if (s == "UDP") {
                v = 17;
            } else if (s == "TCP") {
                v = 6;
            } else if (s == "ICMP") {
                v = 1;
            } else if (!decimal_u32(s, v)) {
                return line_error::bad_field;
            }
            return line_error::none;
        }
        return as_u32(n, v) ? line_error::none : line_error::bad_field;
    default: return line_error::bad_field;
    }
}

struct build_ctx {
    const document& d;
    core::out_buffer& out;
    std::vector<std::uint8_t>& scratch;
    std::uint16_t rrtype = 0;
    std::uint16_t rrclass = 0;
};

// Writes one value (one element of a repeated field) of field `number`.
line_error emit_value(build_ctx& c, fk kind, std::uint32_t number, field_type type,
                      const node& n)
{
    const document& d = c.d;
    const bool is_str = n.kind == value_kind::string;
    switch (kind) {
    case fk::ip: {
        if (n.kind == value_kind::null) {
            nmsg::pb_put_bytes(c.out, number, byte_view{});
            return line_error::none;
        }
        std::array<std::uint8_t, 16> ip{};
        const std::size_t len = is_str ? parse_ip(d.str(n), ip) : 0;
        if (len == 0) {
            return line_error::bad_field;
        }
        nmsg::pb_put_bytes(c.out, number, byte_view{ip.data(), len});
        return line_error::none;
    }
    case fk::bytes: {
        if (!is_str) {
            return line_error::bad_field;
        }
        const std::string_view t = d.str(n);
        c.scratch.resize(base64_decoded_bound(t.size()));
        const std::ptrdiff_t len = base64_decode(t, c.scratch);
        if (len < 0) {
            return line_error::bad_field;
        }
        nmsg::pb_put_bytes(c.out, number, byte_view{c.scratch.data(), std::size_t(len)});
        return line_error::none;
    }
    case fk::name: {
        if (!is_str) {
            return line_error::bad_field;
        }
        const std::string_view t = d.str(n);
        if (t.empty()) {
            nmsg::pb_put_bytes(c.out, number, byte_view{});
            return line_error::none;
        }
        dns::name_buffer nb{};
        const dns::name_info info = dns::from_text(t, nb);
        if (!info.ok()) {
            return line_error::bad_name;
        }
        nmsg::pb_put_bytes(c.out, number, byte_view{nb.data(), info.wire_len});
        return line_error::none;
    }
    case fk::rdata: {
        if (!is_str) {
            return line_error::bad_field;
        }
        const std::string_view t = d.str(n);
        // Generic "\# n hex" text is 3 characters per byte, every other form at least 1.
        c.scratch.resize(t.size() + 64);
        core::out_buffer rb(c.scratch);
        if (dns::rdata_from_text(c.rrtype, c.rrclass, t, rb) != dns::rdata_text_error::none ||
            !rb.ok()) {
            return line_error::bad_rdata;
        }
        nmsg::pb_put_bytes(c.out, number, rb.written());
        return line_error::none;
    }
    case fk::string: {
        if (!is_str) {
            return line_error::bad_field;
        }
        // nmsgtool stores string fields with their C terminator (§14).
        const std::string_view t = d.str(n);
        nmsg::pb_put_len_prefix(c.out, number, t.size() + 1);
        c.out.put(core::as_bytes(t));
        c.out.put(std::uint8_t{0});
        return line_error::none;
    }
    case fk::response_text: return line_error::unsupported_field;
    case fk::encode_payload: {
        const node* src = &n;
        bool b64 = is_str;
        if (n.kind == value_kind::object) {
            if (const node* b = d.find(n, "b64")) {
                src = b;
                b64 = true;
            } else if (const node* v = d.find(n, "val")) {
                if (v->kind == value_kind::string) {
                    nmsg::pb_put_bytes(c.out, number, core::as_bytes(d.str(*v)));
                } else {
                    nmsg::pb_put_bytes(c.out, number, core::as_bytes(d.text(*v)));
                }
                return line_error::none;
            } else {
                return line_error::bad_field;
            }
        }
        if (!b64 || src->kind != value_kind::string) {
            return line_error::bad_field;
        }
        return emit_value(c, fk::bytes, number, type, *src);
    }
    default: break;
    }
    std::uint64_t v = 0;
    if (const line_error e = numeric_value(d, kind, n, v); e != line_error::none) {
        return e;
    }
    switch (nmsg::wire_of(type)) {
    case nmsg::wire_type::fixed32: nmsg::pb_put_fixed32(c.out, number, std::uint32_t(v)); break;
    case nmsg::wire_type::fixed64: nmsg::pb_put_fixed64(c.out, number, v); break;
    default:
        if (type == field_type::int32) {
            // int32/enum: negative values are sign-extended to 10 bytes, as protobuf does.
            nmsg::pb_put_int(c.out, number, static_cast<std::int32_t>(v));
        } else if (type == field_type::uint32) {
            nmsg::pb_put_uint(c.out, number, static_cast<std::uint32_t>(v));
        } else {
            nmsg::pb_put_uint(c.out, number, v);
        }
    }
    return line_error::none;
}

template <class Schema, class View, std::size_t K>
line_error build_message(build_ctx& c, const node& obj, const key_def (&keys)[K],
                         type_class_numbers tc)
{
    constexpr auto& table = Schema::table;
    const document& d = c.d;
    std::array<const node*, K> vals{};
    for (const node* m = d.first(obj); m != nullptr; m = d.next(*m)) {
        const std::string_view key = d.key(*m);
        for (std::size_t i = 0; i < K; ++i) {
            if (keys[i].number != 0 && keys[i].key == key) {
                vals[i] = m; // a repeated key: the last one wins, as in json-c
            }
        }
    }
    bool have_type = false;
    bool have_class = false;
    // Declared outside the loop: GCC 12's ASan reports a loop-scoped out-parameter written
    // through an inlined call as used after scope when the loop is unrolled.
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < K; ++i) {
        if (vals[i] == nullptr || tc.rrtype == 0) {
            continue;
        }
        v = 0;
        if (keys[i].number == tc.rrtype) {
            if (const line_error e = numeric_value(d, keys[i].kind, *vals[i], v);
                e != line_error::none) {
                return e;
            }
            c.rrtype = static_cast<std::uint16_t>(v);
            have_type = true;
        } else if (keys[i].number == tc.rrclass) {
            if (const line_error e = numeric_value(d, keys[i].kind, *vals[i], v);
                e != line_error::none) {
                return e;
            }
            c.rrclass = static_cast<std::uint16_t>(v);
            have_class = true;
        }
    }
    // Ascending field numbers, as protobuf-c writes them, so bytes match nmsgtool's.
    for (std::uint32_t number = 1; number <= nmsg::max_schema_number; ++number) {
        std::size_t i = 0;
        while (i < K && keys[i].number != number) {
            ++i;
        }
        if (i == K || vals[i] == nullptr) {
            continue;
        }
        const key_def& k = keys[i];
        const nmsg::field_def& def = table.defs[static_cast<std::size_t>(table.index[number])];
        const node& n = *vals[i];
        if (def.label != field_label::repeated) {
            if (n.kind == value_kind::null && k.kind != fk::ip) {
                continue; // nmsgtool prints null only for absent data: read it as absent
            }
            if (const line_error e = emit_value(c, k.kind, number, def.type, n);
                e != line_error::none) {
                return e;
            }
            continue;
        }
        if (n.kind != value_kind::array) {
            return line_error::bad_field;
        }
        if (n.child_count > json_line_parser::max_repeated) {
            return line_error::too_many_values;
        }
        if (k.kind == fk::rdata && n.child_count > 0 && (!have_type || !have_class)) {
            return line_error::rdata_without_type;
        }
        for (const node* e = d.first(n); e != nullptr; e = d.next(*e)) {
            if (const line_error err = emit_value(c, k.kind, number, def.type, *e);
                err != line_error::none) {
                return err;
            }
        }
    }
    if (!c.out.ok()) {
        return line_error::out_of_space;
    }
    View view(c.out.written());
    if (!view.ok()) {
        return view.error() == nmsg::pb_error::missing_required ? line_error::missing_required
                                                                : line_error::bad_field;
    }
    return line_error::none;
}

line_error parse_time(const document& d, const node* n, std::int64_t& sec, std::uint32_t& nsec)
{
    if (n == nullptr) {
        return line_error::none;
    }
    if (n->kind == value_kind::string) {
        return parse_payload_time(d.str(*n), sec, nsec) ? line_error::none : line_error::bad_time;
    }
    if (n->kind != value_kind::number) {
        return line_error::bad_time;
    }
    if (n->is_integer) {
        if (!n->negative && n->u64 > static_cast<std::uint64_t>(INT64_MAX)) {
            return line_error::bad_time;
        }
        sec = n->i64;
        nsec = 0;
        return line_error::none;
    }
    const double v = n->real;
    if (!std::isfinite(v) || v < -9.0e18 || v > 9.0e18) {
        return line_error::bad_time;
    }
    const double whole = std::floor(v);
    sec = static_cast<std::int64_t>(whole);
    const double frac = (v - whole) * 1e9;
    nsec = static_cast<std::uint32_t>(std::min(frac, 999999999.0));
    return line_error::none;
}

line_error parse_u32_header(const document& d, const node* n, bool hex_ok,
                            std::optional<std::uint32_t>& out, line_error err)
{
    if (n == nullptr) {
        return line_error::none;
    }
    std::uint64_t v = 0;
    if (n->kind == value_kind::string && hex_ok) {
        const std::string_view s = d.str(*n);
        std::uint32_t x = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), x, 16);
        if (s.empty() || s.size() > 8 || r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
            return err;
        }
        out = x;
        return line_error::none;
    }
    if (!as_u32(*n, v)) {
        return err;
    }
    out = static_cast<std::uint32_t>(v);
    return line_error::none;
}

} // namespace

json_line_parser::json_line_parser() : doc_(reader_limits{max_line, 1u << 20, 64}) {}

line_error json_line_parser::parse(std::string_view line, core::out_buffer& out,
                                   std::int64_t now_sec, std::uint32_t now_nsec)
{
    if (!line.empty() && line.back() == '\n') {
        line.remove_suffix(1);
    }
    read_err_ = doc_.parse(line);
    if (read_err_ != read_error::none) {
        return line_error::bad_json;
    }
    const node& root = doc_.root();
    if (root.kind != value_kind::object) {
        return line_error::not_an_object;
    }
    const node* vn = doc_.find(root, "vname");
    const node* mn = doc_.find(root, "mname");
    if (vn == nullptr || mn == nullptr || vn->kind != value_kind::string ||
        mn->kind != value_kind::string) {
        return line_error::missing_name;
    }
    nmsg::payload_header p;
    const auto vid = nmsg::vendor_by_name(doc_.str(*vn));
    const auto mt = vid ? nmsg::msgtype_by_name(*vid, doc_.str(*mn)) : std::nullopt;
    if (!vid || !mt) {
        return line_error::unknown_name;
    }
    p.vid = *vid;
    p.msgtype = *mt;
    p.time_sec = now_sec;
    p.time_nsec = now_nsec;
    line_error err = parse_time(doc_, doc_.find(root, "time"), p.time_sec, p.time_nsec);
    if (err == line_error::none) {
        err = parse_u32_header(doc_, doc_.find(root, "source"), true, p.source,
                               line_error::bad_source);
    }
    if (err == line_error::none) {
        err = parse_u32_header(doc_, doc_.find(root, "operator"), false, p.operator_id,
                               line_error::bad_operator);
    }
    if (err == line_error::none) {
        err = parse_u32_header(doc_, doc_.find(root, "group"), false, p.group,
                               line_error::bad_operator);
    }
    if (err != line_error::none) {
        return err;
    }
    const node* msg = doc_.find(root, "message");
    if (msg == nullptr || msg->kind != value_kind::object) {
        return line_error::bad_message;
    }
    // Every field's wire form is bounded by a small multiple of its JSON text (the worst is
    // a one-digit negative int64: 2-3 characters become 11 bytes).
    msg_.resize(std::min<std::size_t>(line.size() * 6 + 64, max_line * 2));
    core::out_buffer mo(msg_);
    build_ctx c{doc_, mo, scratch_};
    if (p.vid == nmsg::vendor_base && p.msgtype == nmsg::base_dnsqr) {
        err = build_message<nmsg::dnsqr_schema, nmsg::dnsqr_view>(c, *msg, dnsqr_keys, {});
    } else if (p.vid == nmsg::vendor_base && p.msgtype == nmsg::base_encode) {
        err = build_message<nmsg::encode_schema, nmsg::encode_view>(c, *msg, encode_keys, {});
    } else if (p.vid == nmsg::vendor_sie && p.msgtype == nmsg::sie_dnsdedupe) {
        err = build_message<nmsg::dnsdedupe_schema, nmsg::dnsdedupe_view>(c, *msg,
                                                                        dnsdedupe_keys, {2, 3});
    } else if (p.vid == nmsg::vendor_sie && p.msgtype == nmsg::sie_newdomain) {
        err = build_message<nmsg::newdomain_schema, nmsg::newdomain_view>(c, *msg,
                                                                        newdomain_keys, {4, 5});
    } else if (p.vid == nmsg::vendor_sie && p.msgtype == nmsg::sie_dnsnx) {
        err = build_message<nmsg::dnsnx_schema, nmsg::dnsnx_view>(c, *msg, dnsnx_keys, {});
    } else {
        return line_error::unknown_name;
    }
    if (err != line_error::none) {
        return err;
    }
    const std::size_t mark = out.size();
    nmsg::write_payload(out, p, mo.written());
    if (!out.ok()) {
        out.rewind(mark);
        return line_error::out_of_space;
    }
    return line_error::none;
}

} // namespace siehub::json
