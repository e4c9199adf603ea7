// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/presentation.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "proto/dns/name.hpp"
#include "proto/dns/rdata.hpp"
#include "proto/dns/rdata_text.hpp"

namespace siehub::dns {

namespace {

void append_uint(std::uint64_t v, std::string& out)
{
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

struct named {
    std::uint16_t value;
    std::string_view name;
};

// wdns 0.12.0 gen_rrtype_to_str list (nmsg.md §11.2).
constexpr named rrtype_names[] = {
    {1, "A"},          {2, "NS"},          {3, "MD"},         {4, "MF"},
    {5, "CNAME"},      {6, "SOA"},         {7, "MB"},         {8, "MG"},
    {9, "MR"},         {10, "NULL"},       {11, "WKS"},       {12, "PTR"},
    {13, "HINFO"},     {14, "MINFO"},      {15, "MX"},        {16, "TXT"},
    {17, "RP"},        {18, "AFSDB"},      {19, "X25"},       {20, "ISDN"},
    {21, "RT"},        {22, "NSAP"},       {23, "NSAP-PTR"},  {24, "SIG"},
    {25, "KEY"},       {26, "PX"},         {27, "GPOS"},      {28, "AAAA"},
    {29, "LOC"},       {30, "NXT"},        {31, "EID"},       {32, "NIMLOC"},
    {33, "SRV"},       {34, "ATMA"},       {35, "NAPTR"},     {36, "KX"},
    {37, "CERT"},      {38, "A6"},         {39, "DNAME"},     {40, "SINK"},
    {41, "OPT"},       {42, "APL"},        {43, "DS"},        {44, "SSHFP"},
    {45, "IPSECKEY"},  {46, "RRSIG"},      {47, "NSEC"},      {48, "DNSKEY"},
    {49, "DHCID"},     {50, "NSEC3"},      {51, "NSEC3PARAM"}, {52, "TLSA"},
    {55, "HIP"},       {56, "NINFO"},      {57, "RKEY"},      {58, "TALINK"},
    {59, "CDS"},       {60, "CDNSKEY"},    {61, "OPENPGPKEY"}, {62, "CSYNC"},
    {64, "SVCB"},      {65, "HTTPS"},      {99, "SPF"},       {100, "UINFO"},
    {101, "UID"},      {102, "GID"},       {103, "UNSPEC"},   {104, "NID"},
    {105, "L32"},      {106, "L64"},       {107, "LP"},       {108, "EUI48"},
    {109, "EUI64"},    {249, "TKEY"},      {250, "TSIG"},     {251, "IXFR"},
    {252, "AXFR"},     {253, "MAILB"},     {254, "MAILA"},    {255, "ANY"},
    {256, "URI"},      {257, "CAA"},       {32768, "TA"},     {32769, "DLV"},
};

constexpr named rrclass_names[] = {
    {1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"},
};

constexpr named rcode_names[] = {
    {0, "NOERROR"},  {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"}, {4, "NOTIMP"},
    {5, "REFUSED"},  {6, "YXDOMAIN"}, {7, "YXRRSET"}, {8, "NXRRSET"},  {9, "NOTAUTH"},
    {10, "NOTZONE"}, {16, "BADVERS"},
};

constexpr named opcode_names[] = {
    {0, "QUERY"}, {1, "IQUERY"}, {2, "STATUS"}, {4, "NOTIFY"}, {5, "UPDATE"},
};

template <std::size_t N>
std::string_view find_name(const named (&table)[N], std::uint16_t v) noexcept
{
    for (const auto& e : table) {
        if (e.value == v) {
            return e.name;
        }
    }
    return {};
}

bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'a' && x <= 'z') {
            x = static_cast<char>(x - 32);
        }
        if (y >= 'a' && y <= 'z') {
            y = static_cast<char>(y - 32);
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

template <std::size_t N>
std::optional<std::uint16_t> from_text(const named (&table)[N], std::string_view t,
                                       std::string_view numeric_prefix) noexcept
{
    for (const auto& e : table) {
        if (iequals(e.name, t)) {
            return e.value;
        }
    }
    if (!numeric_prefix.empty() && t.size() > numeric_prefix.size() &&
        iequals(t.substr(0, numeric_prefix.size()), numeric_prefix)) {
        t.remove_prefix(numeric_prefix.size());
        std::uint16_t v;
        auto r = std::from_chars(t.data(), t.data() + t.size(), v);
        if (r.ec == std::errc{} && r.ptr == t.data() + t.size()) {
            return v;
        }
    }
    return std::nullopt;
}

// RFC 8914 §5.2 purposes as wdns prints them.
constexpr std::string_view ede_purpose[] = {
    "Other Error",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDomain Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
};

void append_printable(core::byte_view b, std::string& out)
{
    for (std::uint8_t c : b) {
        out += (c >= 0x20 && c <= 0x7e) ? static_cast<char>(c) : '.';
    }
}

// ---- a message as wdns_parse_message sees it ----
//
// Record-level rules are wdns's parse_message / parse_rdata, because the text must stay
// byte-identical to nmsgtool's (the goldens):
//  * fewer RRs than the header counts: the message is what was read so far;
//  * a fixed part or RDATA running past the message, a bad name, or RDATA whose fields do not
//    fill rdlen exactly: the whole message is unparsable;
//  * RDATA that stops on a field boundary keeps the fields present (wdns stops at rdlen);
//  * types without a wdns descriptor, and class-IN-only types outside class IN, are copied as
//    they are (no name expansion).
//
// Every name is read by the guardian (name.hpp), with read_name_wdns: wdns_unpack_name's rules
// are the guardian's (labels <= 63, names <= 255, 0x40/0x80 refused, pointers strictly
// backwards) except that a pointer need only point before itself, not before the label run it
// ends. read_name would turn the few crafted names that differ there into <PARSE ERROR> where
// nmsgtool prints them. The guardian's hop limit (128) stays although wdns has none: only a
// chain of over 128 pointer-to-pointer jumps, which no compressor writes, differs (the private
// walker this replaced had the same limit).
//
// RDATA of the types in codec_agrees() is expanded by the codec (rdata.hpp, uncompress_rdata).
// For those types the codec's schema is wdns's descriptor field for field, so RDATA the codec
// accepts, wdns accepts with the same bytes. The codec is stricter in places, and there wdns's
// verdict is what the text must show, so a codec refusal falls back to the wdns field walk
// (parse_rdata_wdns) instead of failing the message:
//  * RDATA that stops on a field boundary (an MX of two bytes): codec rdata_short;
//  * NSEC/NSEC3 bitmap windows out of order or repeated: codec rdata_bad_bitmap;
//  * an RDATA name reached through a pointer whose labels lie past the end of the RDATA (the
//    codec reads names inside the message up to the RDATA end only), and read_name's stricter
//    pointer rule;
//  * CAA with an empty tag: codec rdata_empty_field.
// Types left out disagree the other way or differ in layout (SVCB/HTTPS: the codec refuses a
// compressed target and does not check parameter values; WKS, A6, EUI48, URI...: the codec
// treats them as opaque), so they take the wdns field walk only.

struct msg_rr {
    std::vector<std::uint8_t> name;
    std::uint16_t type = 0;
    std::uint16_t cls = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;
};

struct parsed_msg {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t rcode = 0;
    bool edns = false;
    std::uint8_t edns_version = 0;
    std::uint16_t edns_flags = 0;
    std::uint16_t edns_size = 0;
    std::vector<std::uint8_t> edns_options;
    std::array<std::vector<msg_rr>, 4> sec;
};

// The name at `pos` (possibly compressed) appended to `out`; `next` is the offset just past its
// wire form in place.
bool unpack_name(core::byte_view m, std::size_t pos, std::vector<std::uint8_t>& out,
                 std::size_t& next)
{
    name_buffer nb;
    name_info const ni = read_name_wdns(m, pos, nb);
    if (!ni.ok()) {
        return false;
    }
    out.insert(out.end(), nb.begin(), nb.begin() + ni.wire_len);
    next = ni.end;
    return true;
}

// Types whose codec schema (rdata.cpp) is their wdns descriptor field for field (see above).
bool codec_agrees(std::uint16_t type) noexcept
{
    switch (type) {
    case rrtype::a:
    case rrtype::ns:
    case rrtype::md:
    case rrtype::mf:
    case rrtype::cname:
    case rrtype::soa:
    case rrtype::mb:
    case rrtype::mg:
    case rrtype::mr:
    case rrtype::ptr:
    case rrtype::hinfo:
    case rrtype::minfo:
    case rrtype::mx:
    case rrtype::txt:
    case rrtype::rp:
    case rrtype::afsdb:
    case rrtype::rt:
    case rrtype::sig:
    case rrtype::px:
    case rrtype::aaaa:
    case rrtype::nxt:
    case rrtype::srv:
    case rrtype::naptr:
    case rrtype::kx:
    case rrtype::dname:
    case rrtype::ds:
    case rrtype::rrsig:
    case rrtype::nsec:
    case rrtype::dnskey:
    case rrtype::nsec3:
    case rrtype::nsec3param:
    case rrtype::tlsa:
    case rrtype::cds:
    case rrtype::cdnskey:
    case rrtype::spf:
    case rrtype::caa:
        return true;
    default:
        return false;
    }
}

bool svcparam_valid(std::uint16_t key, core::byte_view v)
{
    switch (key) {
    case 0:
        return v.size() % 2 == 0;
    case 1: {
        if (v.empty()) {
            return false;
        }
        std::size_t p = 0;
        while (p < v.size()) {
            p += 1 + v[p];
        }
        return p == v.size();
    }
    case 2:
        return v.empty();
    case 3:
        return v.size() == 2;
    case 4:
        return v.size() % 4 == 0;
    case 6:
        return v.size() % 16 == 0;
    case 65535:
        return false;
    default:
        return true;
    }
}

// _wdns_parse_rdata's field walk: expands names and validates the layout of descriptor d.
bool parse_rdata_wdns(core::byte_view m, std::size_t start, std::size_t rdlen, const rdata_descr* d,
                      std::vector<std::uint8_t>& out)
{
    out.clear();
    std::size_t pos = start;
    std::size_t end = start + rdlen;
    auto left = [&] { return end - pos; };
    auto copy = [&](std::size_t n) {
        if (left() < n) {
            return false;
        }
        out.insert(out.end(), m.begin() + static_cast<std::ptrdiff_t>(pos),
                   m.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        return true;
    };
    for (rdf f : d->fields) {
        if (f == rdf::end || left() == 0) {
            break;
        }
        bool ok = true;
        switch (f) {
        case rdf::end:
            break;
        case rdf::name:
        case rdf::uname: {
            // The name is read in the whole message (wdns's bounds); only its in-place bytes
            // must stay inside the RDATA.
            std::size_t const first = out.size();
            std::size_t next = 0;
            if (!unpack_name(m, pos, out, next) || next > end) {
                out.resize(first);
                return false;
            }
            pos = next;
            break;
        }
        case rdf::bytes:
        case rdf::bytes_b64:
        case rdf::bytes_str:
        case rdf::edns_opt:
            ok = copy(left());
            break;
        case rdf::int8:
            ok = copy(1);
            break;
        case rdf::int16:
        case rdf::rrtype:
            ok = copy(2);
            break;
        case rdf::int32:
        case rdf::ipv4:
            ok = copy(4);
            break;
        case rdf::ipv6:
            ok = copy(16);
            break;
        case rdf::eui48:
            ok = copy(6);
            break;
        case rdf::eui64:
            ok = copy(8);
            break;
        case rdf::string:
        case rdf::salt:
        case rdf::hash:
            ok = copy(std::size_t{m[pos]} + 1);
            break;
        case rdf::repstring:
            while (ok && left() > 0) {
                ok = copy(std::size_t{m[pos]} + 1);
            }
            break;
        case rdf::ipv6prefix: {
            std::uint8_t plen = m[pos];
            if (plen > 128) {
                return false;
            }
            ok = copy((128 - plen) / 8 + (plen % 8 != 0 ? 1 : 0) + 1u);
            break;
        }
        case rdf::type_bitmap:
            while (ok && left() >= 2) {
                std::uint8_t blen = m[pos + 1];
                if (blen < 1 || blen > 32 || blen > left() - 2) {
                    return false;
                }
                ok = copy(2u + blen);
            }
            break;
        case rdf::svcparams:
            while (ok && left() > 0) {
                if (left() < 4) {
                    return false;
                }
                std::uint16_t key = core::load_be16(m.data() + pos);
                std::size_t vlen = core::load_be16(m.data() + pos + 2);
                if (4 + vlen > left() || !svcparam_valid(key, m.subspan(pos + 4, vlen))) {
                    return false;
                }
                ok = copy(4 + vlen);
            }
            break;
        }
        if (!ok) {
            return false;
        }
    }
    return left() == 0;
}

// _wdns_parse_rdata: the RDATA at m[start, start + rdlen) as wdns stores it (names expanded).
bool parse_rdata(core::byte_view m, std::size_t start, std::size_t rdlen, std::uint16_t type,
                 std::uint16_t cls, std::vector<std::uint8_t>& out)
{
    out.clear();
    const rdata_descr* d = rdata_descr_for(type);
    auto raw = m.subspan(start, rdlen);
    if (d == nullptr || (d->class_in_only && cls != class_in)) {
        out.assign(raw.begin(), raw.end());
        return true;
    }
    // The codec's offsets are 16-bit; a longer buffer is no DNS message and takes the wdns walk.
    if (codec_agrees(type) && start + rdlen <= 0xffff) {
        // Each of at most three names grows to at most 255 bytes: bounded by rdlen < 64 KiB.
        out.resize(rdlen + 3 * max_name_len);
        core::out_buffer ob{core::byte_span{out.data(), out.size()}};
        rr r{};
        r.type = type;
        r.cls = cls;
        r.rdata_off = static_cast<std::uint16_t>(start);
        r.rdata_len = static_cast<std::uint16_t>(rdlen);
        if (uncompress_rdata(m, r, ob) == errc::ok) {
            out.resize(ob.size());
            return true;
        }
        // Stricter than wdns here (list above): wdns's verdict decides.
    }
    return parse_rdata_wdns(m, start, rdlen, d, out);
}

bool parse_message(core::byte_view m, parsed_msg& pm)
{
    if (m.size() < 12) {
        return false;
    }
    pm.id = core::load_be16(m.data());
    pm.flags = core::load_be16(m.data() + 2);
    pm.rcode = pm.flags & 0xf;
    std::uint16_t counts[4];
    for (int i = 0; i < 4; ++i) {
        counts[i] = core::load_be16(m.data() + 4 + 2 * i);
    }
    std::size_t pos = 12;
    for (int s = 0; s < 4; ++s) {
        for (unsigned n = 0; n < counts[s]; ++n) {
            if (pos == m.size()) {
                // fewer RRs than the counts say: wdns keeps what it has
                return true;
            }
            msg_rr rr;
            std::size_t next = 0;
            if (!unpack_name(m, pos, rr.name, next)) {
                return false;
            }
            pos = next;
            std::size_t fixed = s == 0 ? 4 : 10;
            if (pos + fixed > m.size()) {
                return false;
            }
            rr.type = core::load_be16(m.data() + pos);
            rr.cls = core::load_be16(m.data() + pos + 2);
            bool has_rdata = false;
            if (s != 0) {
                rr.ttl = core::load_be32(m.data() + pos + 4);
                std::size_t rdlen = core::load_be16(m.data() + pos + 8);
                pos += 10;
                if (pos + rdlen > m.size()) {
                    return false;
                }
                if (!parse_rdata(m, pos, rdlen, rr.type, rr.cls, rr.rdata)) {
                    return false;
                }
                has_rdata = true;
                pos += rdlen;
            } else {
                pos += 4;
            }
            if (rr.type == 41) {
                // _wdns_parse_edns: the last OPT wins; its rcode bits are OR-ed in
                pm.edns = true;
                pm.edns_size = rr.cls;
                pm.edns_version = static_cast<std::uint8_t>(rr.ttl >> 16);
                pm.edns_flags = static_cast<std::uint16_t>(rr.ttl);
                pm.edns_options = has_rdata ? std::move(rr.rdata) : std::vector<std::uint8_t>{};
                pm.rcode |= static_cast<std::uint16_t>((rr.ttl >> 16) & 0xff00);
                continue;
            }
            pm.sec[static_cast<std::size_t>(s)].push_back(std::move(rr));
        }
    }
    return true;
}

// wdns prints all options into one buffer, each starting with '\n'; callers split it.
std::string render_options(const std::vector<std::uint8_t>& opts)
{
    std::string s;
    rdata_to_text(41, class_in, core::byte_view{opts.data(), opts.size()}, s);
    return s;
}

template <class Fn>
void for_each_line(std::string_view s, Fn&& fn)
{
    std::size_t b = 0;
    while (b <= s.size()) {
        auto e = s.find('\n', b);
        if (e == std::string_view::npos) {
            e = s.size();
        }
        if (e > b) {
            fn(s.substr(b, e - b));
        }
        b = e + 1;
    }
}

void append_rr_line(const msg_rr& rr, int sec, std::string& out)
{
    if (sec == 0) {
        out += ';';
    }
    name_to_text(core::byte_view{rr.name.data(), rr.name.size()}, out);
    if (sec != 0) {
        out += ' ';
        append_uint(rr.ttl, out);
    }
    out += ' ';
    append_rrclass(rr.cls, out);
    out += ' ';
    append_rrtype(rr.type, out);
    if (sec != 0) {
        out += ' ';
        rdata_to_text_in_line(rr.type, rr.cls, core::byte_view{rr.rdata.data(), rr.rdata.size()},
                              out);
    }
    out += '\n';
}

void append_json_string(std::string_view s, std::string& out)
{
    out += '"';
    json_escape(s, out);
    out += '"';
}

void append_json_name(const std::vector<std::uint8_t>& n, std::string& out)
{
    std::string t;
    name_to_text(core::byte_view{n.data(), n.size()}, t);
    append_json_string(t, out);
}

// nmsg's dnsqr JSON prints an unknown type as TYPE<class> (observed bug, copied on purpose).
void append_json_type_class(std::uint16_t type, std::uint16_t cls, std::string_view class_key,
                            std::string_view type_key, std::string& out)
{
    out += '"';
    out += class_key;
    out += "\":\"";
    append_rrclass(cls, out);
    out += "\",\"";
    out += type_key;
    out += "\":\"";
    auto tn = rrtype_name(type);
    if (!tn.empty()) {
        out += tn;
    } else {
        out += "TYPE";
        append_uint(cls, out);
    }
    out += '"';
}

} // namespace

// ---- tables ----

std::string_view rrtype_name(std::uint16_t rrtype) noexcept
{
    return find_name(rrtype_names, rrtype);
}

void append_rrtype(std::uint16_t rrtype, std::string& out)
{
    auto n = rrtype_name(rrtype);
    if (!n.empty()) {
        out += n;
        return;
    }
    out += "TYPE";
    append_uint(rrtype, out);
}

std::optional<std::uint16_t> rrtype_from_text(std::string_view text) noexcept
{
    return from_text(rrtype_names, text, "TYPE");
}

std::string_view rrclass_name(std::uint16_t rrclass) noexcept
{
    return find_name(rrclass_names, rrclass);
}

void append_rrclass(std::uint16_t rrclass, std::string& out, unknown_class_form form)
{
    auto n = rrclass_name(rrclass);
    if (!n.empty()) {
        out += n;
    } else if (form == unknown_class_form::sie) {
        out += "<UNKNOWN>";
    } else {
        out += "CLASS";
        append_uint(rrclass, out);
    }
}

std::optional<std::uint16_t> rrclass_from_text(std::string_view text) noexcept
{
    return from_text(rrclass_names, text, "CLASS");
}

std::string_view rcode_name(std::uint16_t rcode) noexcept
{
    return find_name(rcode_names, rcode);
}

void append_rcode(std::uint16_t rcode, std::string& out)
{
    auto n = rcode_name(rcode);
    if (!n.empty()) {
        out += n;
    } else {
        append_uint(rcode, out);
    }
}

std::optional<std::uint16_t> rcode_from_text(std::string_view text) noexcept
{
    auto v = from_text(rcode_names, text, {});
    if (v) {
        return v;
    }
    std::uint16_t n;
    auto r = std::from_chars(text.data(), text.data() + text.size(), n);
    if (!text.empty() && r.ec == std::errc{} && r.ptr == text.data() + text.size()) {
        return n;
    }
    return std::nullopt;
}

std::string_view opcode_name(std::uint8_t opcode) noexcept
{
    return find_name(opcode_names, opcode);
}

void append_opcode(std::uint8_t opcode, std::string& out)
{
    auto n = opcode_name(opcode);
    if (!n.empty()) {
        out += n;
    } else {
        append_uint(opcode, out);
    }
}

// ---- names ----

void name_to_text(core::byte_view wire, std::string& out)
{
    std::size_t pos = 0;
    bool any = false;
    while (pos < wire.size() && wire[pos] != 0) {
        std::size_t len = wire[pos++];
        any = true;
        for (std::size_t i = 0; i < len && pos < wire.size(); ++i) {
            std::uint8_t c = wire[pos++];
            if (c == '.' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c >= '!' && c <= '~') {
                out += static_cast<char>(c);
            } else {
                out += '\\';
                out += static_cast<char>('0' + c / 100);
                out += static_cast<char>('0' + (c / 10) % 10);
                out += static_cast<char>('0' + c % 10);
            }
        }
        out += '.';
    }
    if (!any) {
        out += '.';
    }
}

// ---- JSON ----

// The one JSON string escaper of the tree (json::append_escaped forwards here). Bytes that need
// no escaping are appended in runs, one call each: that is most of every line.
void json_escape(std::string_view s, std::string& out)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        default: {
            char const u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out.append(u, 6);
        }
        }
    }
    out.append(s.data() + run, s.size() - run);
}

void json_escape_utf8(std::string_view s, std::string& out)
{
    std::string fixed;
    fixed.reserve(s.size());
    std::size_t i = 0;
    auto cont = [&](std::size_t k) {
        return k < s.size() && (static_cast<unsigned char>(s[k]) & 0xc0) == 0x80;
    };
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t need = 0;
        bool ok = true;
        if (c < 0x80) {
            fixed += s[i++];
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
        } else {
            // lone continuation byte, c0/c1 overlong lead, or f5..ff
            fixed += "\xef\xbf\xbd";
            ++i;
            continue;
        }
        if (need >= 1 && cont(i + 1)) {
            auto c1 = static_cast<unsigned char>(s[i + 1]);
            if ((c == 0xe0 && c1 < 0xa0) || (c == 0xf0 && c1 < 0x90) ||
                (c == 0xf4 && c1 > 0x8f)) {
                ok = false;
            }
        }
        std::size_t got = 0;
        while (got < need && cont(i + 1 + got)) {
            ++got;
        }
        if (got < need) {
            ok = false;
        }
        if (ok) {
            fixed.append(s.substr(i, 1 + need));
            i += 1 + need;
        } else {
            // one replacement for the whole (truncated or overlong) sequence
            fixed += "\xef\xbf\xbd";
            i += 1 + (got > 0 ? got : 0);
        }
    }
    json_escape(fixed, out);
}

// ---- EDNS options ----

bool edns_option_to_text(std::uint16_t code, core::byte_view data, std::string& out)
{
    auto fail = [&] {
        out += " ### PARSE ERROR #12 ###";
        return false;
    };
    switch (code) {
    case 8: { // CLIENT-SUBNET (RFC 7871), as dig prints it
        out += "CLIENT-SUBNET: ";
        if (data.size() < 4) {
            return fail();
        }
        std::uint16_t family = core::load_be16(data.data());
        std::uint8_t source = data[2];
        std::uint8_t scope = data[3];
        auto addr = data.subspan(4);
        if (addr.empty() || (family != 1 && family != 2) || (family == 1 && addr.size() > 4) ||
            (family == 2 && addr.size() > 16)) {
            return fail();
        }
        std::uint8_t a[16] = {};
        std::memcpy(a, addr.data(), addr.size());
        char buf[INET6_ADDRSTRLEN];
        if (inet_ntop(family == 1 ? AF_INET : AF_INET6, a, buf, sizeof buf) != nullptr) {
            out += buf;
        }
        out += '/';
        append_uint(source, out);
        out += '/';
        append_uint(scope, out);
        return true;
    }
    case 15: { // EDE (RFC 8914)
        out += "EDE: ";
        if (data.size() < 2) {
            return fail();
        }
        std::uint16_t info = core::load_be16(data.data());
        append_uint(info, out);
        if (info < std::size(ede_purpose)) {
            out += " (";
            out += ede_purpose[info];
            out += ')';
        }
        out += ": (";
        append_printable(data.subspan(2), out);
        out += ')';
        return true;
    }
    default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "OPT=";
        append_uint(code, out);
        out += ": ";
        for (std::uint8_t c : data) {
            out += hex[c >> 4];
            out += hex[c & 15];
            out += ' ';
        }
        out += "(\"";
        append_printable(data, out);
        out += "\")";
        return true;
    }
    }
}

// ---- messages ----

bool message_to_text(core::byte_view msg, std::string& out)
{
    parsed_msg pm;
    if (!parse_message(msg, pm)) {
        out += "<PARSE ERROR>";
        return false;
    }
    out += ";; ->>HEADER<<- opcode: ";
    append_opcode(static_cast<std::uint8_t>((pm.flags >> 11) & 0xf), out);
    out += ", rcode: ";
    append_rcode(pm.rcode, out);
    out += ", id: ";
    append_uint(pm.id, out);
    out += "\n;; flags:";
    static constexpr std::pair<std::uint16_t, std::string_view> flag_bits[] = {
        {0x8000, " qr"}, {0x0400, " aa"}, {0x0200, " tc"}, {0x0100, " rd"},
        {0x0080, " ra"}, {0x0020, " ad"}, {0x0010, " cd"},
    };
    for (auto [bit, name] : flag_bits) {
        if (pm.flags & bit) {
            out += name;
        }
    }
    static constexpr std::string_view count_names[] = {
        "; QUERY: ", ", ANSWER: ", ", AUTHORITY: ", ", ADDITIONAL: "};
    for (std::size_t s = 0; s < 4; ++s) {
        out += count_names[s];
        append_uint(pm.sec[s].size(), out);
    }
    out += '\n';
    if (pm.edns) {
        out += "\n;; OPT PSEUDOSECTION:\n; EDNS: version: ";
        append_uint(pm.edns_version, out);
        out += ", flags:";
        if (pm.edns_flags & 0x8000) {
            out += " do";
        }
        out += "; udp: ";
        append_uint(pm.edns_size, out);
        for_each_line(render_options(pm.edns_options), [&](std::string_view line) {
            out += "\n; ";
            out += line;
        });
    }
    static constexpr std::string_view sec_names[] = {
        "\n;; QUESTION SECTION:\n", "\n;; ANSWER SECTION:\n", "\n;; AUTHORITY SECTION:\n",
        "\n;; ADDITIONAL SECTION:\n"};
    for (std::size_t s = 0; s < 4; ++s) {
        out += sec_names[s];
        for (const auto& rr : pm.sec[s]) {
            append_rr_line(rr, static_cast<int>(s), out);
        }
    }
    return true;
}

bool message_to_json(core::byte_view msg, std::string& out)
{
    parsed_msg pm;
    if (!parse_message(msg, pm)) {
        return false;
    }
    out += "{\"header\":{\"opcode\":";
    auto opcode = static_cast<std::uint8_t>((pm.flags >> 11) & 0xf);
    if (auto n = opcode_name(opcode); !n.empty()) {
        append_json_string(n, out);
    } else {
        append_uint(opcode, out);
    }
    out += ",\"rcode\":";
    if (auto n = rcode_name(pm.rcode); !n.empty()) {
        append_json_string(n, out);
    } else {
        append_uint(pm.rcode, out);
    }
    out += ",\"id\":";
    append_uint(pm.id, out);
    out += ",\"flags\":[";
    static constexpr std::pair<std::uint16_t, std::string_view> flag_bits[] = {
        {0x8000, "\"qr\""}, {0x0400, "\"aa\""}, {0x0200, "\"tc\""}, {0x0100, "\"rd\""},
        {0x0080, "\"ra\""}, {0x0020, "\"ad\""}, {0x0010, "\"cd\""},
    };
    bool first = true;
    for (auto [bit, name] : flag_bits) {
        if (pm.flags & bit) {
            if (!first) {
                out += ',';
            }
            out += name;
            first = false;
        }
    }
    out += ']';
    if (pm.edns) {
        out += ",\"opt\":{\"edns\":{\"version\":";
        append_uint(pm.edns_version, out);
        out += (pm.edns_flags & 0x8000) ? ",\"flags\":[\"do\"]" : ",\"flags\":[]";
        out += ",\"udp\":";
        append_uint(pm.edns_size, out);
        if (!pm.edns_options.empty()) {
            out += ",\"options\":[";
            bool first_opt = true;
            for_each_line(render_options(pm.edns_options), [&](std::string_view line) {
                if (!first_opt) {
                    out += ',';
                }
                append_json_string(line, out);
                first_opt = false;
            });
            out += ']';
        }
        out += "}}";
    }
    out += "},\"question\":[";
    for (std::size_t i = 0; i < pm.sec[0].size(); ++i) {
        const auto& q = pm.sec[0][i];
        out += i == 0 ? "{\"qname\":" : ",{\"qname\":";
        append_json_name(q.name, out);
        out += ',';
        append_json_type_class(q.type, q.cls, "qclass", "qtype", out);
        out += '}';
    }
    out += ']';

    static constexpr std::string_view sec_keys[] = {",\"answer\":[", ",\"authority\":[",
                                                    ",\"additional\":["};
    struct rrset {
        std::size_t first;             // index of the RR whose owner is printed
        std::uint32_t ttl;
        std::vector<std::size_t> members;
    };
    for (std::size_t s = 1; s < 4; ++s) {
        const auto& rrs = pm.sec[s];
        std::vector<rrset> sets;
        for (std::size_t i = 0; i < rrs.size(); ++i) {
            bool merged = false;
            for (auto it = sets.rbegin(); it != sets.rend(); ++it) {
                const auto& h = rrs[it->first];
                if (h.type == rrs[i].type && h.cls == rrs[i].cls &&
                    equal_canonical(core::byte_view{h.name.data(), h.name.size()},
                                    core::byte_view{rrs[i].name.data(), rrs[i].name.size()})) {
                    it->members.push_back(i);
                    it->ttl = std::min(it->ttl, rrs[i].ttl);
                    merged = true;
                    break;
                }
            }
            if (!merged) {
                sets.push_back(rrset{i, rrs[i].ttl, {i}});
            }
        }
        out += sec_keys[s - 1];
        for (std::size_t k = 0; k < sets.size(); ++k) {
            const auto& set = sets[k];
            const auto& h = rrs[set.first];
            out += k == 0 ? "{\"rrname\":" : ",{\"rrname\":";
            append_json_name(h.name, out);
            out += ",\"rrttl\":";
            append_uint(set.ttl, out);
            out += ',';
            append_json_type_class(h.type, h.cls, "rrclass", "rrtype", out);
            out += ",\"rdata\":[";
            for (std::size_t j = 0; j < set.members.size(); ++j) {
                const auto& rr = rrs[set.members[j]];
                std::string t;
                rdata_to_text(rr.type, rr.cls, core::byte_view{rr.rdata.data(), rr.rdata.size()},
                              t);
                if (j != 0) {
                    out += ',';
                }
                append_json_string(t, out);
            }
            out += "]}";
        }
        out += ']';
    }
    out += '}';
    return true;
}

} // namespace siehub::dns
