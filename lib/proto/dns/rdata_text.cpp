// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/rdata_text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "proto/dns/name.hpp"
#include "proto/dns/presentation.hpp"

namespace siehub::dns {

namespace {

using F = rdf;

// wdns 0.12.0 record_descr.c plus OPT and CAA (observed in the 0.12.0 goldens).
struct descr_entry {
    std::uint16_t type;
    rdata_descr d;
};

constexpr descr_entry descr_table[] = {
    {1, {true, {F::ipv4, F::end}}},                                           // A
    {2, {false, {F::name, F::end}}},                                          // NS
    {3, {false, {F::name, F::end}}},                                          // MD
    {4, {false, {F::name, F::end}}},                                          // MF
    {5, {false, {F::name, F::end}}},                                          // CNAME
    {6, {false, {F::name, F::name, F::int32, F::int32, F::int32, F::int32, F::int32, F::end}}},
    {7, {false, {F::name, F::end}}},                                          // MB
    {8, {false, {F::name, F::end}}},                                          // MG
    {9, {false, {F::name, F::end}}},                                          // MR
    {10, {false, {F::bytes, F::end}}},                                        // NULL
    {11, {true, {F::int32, F::int8, F::bytes, F::end}}},                      // WKS
    {12, {false, {F::name, F::end}}},                                         // PTR
    {13, {false, {F::string, F::string, F::end}}},                            // HINFO
    {14, {false, {F::name, F::name, F::end}}},                                // MINFO
    {15, {false, {F::int16, F::name, F::end}}},                               // MX
    {16, {false, {F::repstring, F::end}}},                                    // TXT
    {17, {false, {F::name, F::name, F::end}}},                                // RP
    {18, {false, {F::int16, F::name, F::end}}},                               // AFSDB
    {19, {false, {F::string, F::end}}},                                       // X25
    {20, {false, {F::string, F::string, F::end}}},                            // ISDN
    {21, {false, {F::int16, F::name, F::end}}},                               // RT
    {24, {false, {F::int16, F::int8, F::int8, F::int32, F::int32, F::int32, F::int16, F::name,
                  F::bytes, F::end}}},                                        // SIG
    {26, {true, {F::int16, F::name, F::name, F::end}}},                       // PX
    {28, {true, {F::ipv6, F::end}}},                                          // AAAA
    {30, {false, {F::name, F::bytes, F::end}}},                               // NXT
    {33, {true, {F::int16, F::int16, F::int16, F::name, F::end}}},            // SRV
    {35, {true, {F::int16, F::int16, F::string, F::string, F::string, F::name, F::end}}},
    {36, {true, {F::int16, F::uname, F::end}}},                               // KX
    {38, {true, {F::ipv6prefix, F::uname, F::end}}},                          // A6
    {39, {false, {F::uname, F::end}}},                                        // DNAME
    {41, {false, {F::edns_opt, F::end}}},                                     // OPT
    {43, {false, {F::int16, F::int8, F::int8, F::bytes, F::end}}},            // DS
    {46, {false, {F::rrtype, F::int8, F::int8, F::int32, F::int32, F::int32, F::int16,
                  F::uname, F::bytes_b64, F::end}}},                          // RRSIG
    {47, {false, {F::uname, F::type_bitmap, F::end}}},                        // NSEC
    {48, {false, {F::int16, F::int8, F::int8, F::bytes_b64, F::end}}},        // DNSKEY
    {50, {false, {F::int8, F::int8, F::int16, F::salt, F::hash, F::type_bitmap, F::end}}},
    {51, {false, {F::int8, F::int8, F::int16, F::salt, F::end}}},             // NSEC3PARAM
    {52, {false, {F::int8, F::int8, F::int8, F::bytes, F::end}}},             // TLSA
    {59, {false, {F::int16, F::int8, F::int8, F::bytes, F::end}}},            // CDS
    {60, {false, {F::int16, F::int8, F::int8, F::bytes_b64, F::end}}},        // CDNSKEY
    {61, {false, {F::bytes_b64, F::end}}},                                    // OPENPGPKEY
    {62, {false, {F::int32, F::int16, F::type_bitmap, F::end}}},              // CSYNC
    {64, {true, {F::int16, F::name, F::svcparams, F::end}}},                  // SVCB
    {65, {true, {F::int16, F::name, F::svcparams, F::end}}},                  // HTTPS
    {99, {false, {F::repstring, F::end}}},                                    // SPF
    {108, {false, {F::eui48, F::end}}},                                       // EUI48
    {109, {false, {F::eui64, F::end}}},                                       // EUI64
    {256, {false, {F::int16, F::int16, F::bytes_str, F::end}}},               // URI
    {257, {true, {F::int8, F::string, F::bytes_str, F::end}}},                // CAA
};

// wdns_res values that appear in " ### PARSE ERROR #<n> ###".
constexpr unsigned res_invalid_length_octet = 3;
constexpr unsigned res_name_len = 8;
constexpr unsigned res_parse_error = 12;

constexpr char hex_lower[] = "0123456789abcdef";
constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char b32hex_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

void append_uint(std::uint64_t v, std::string& out)
{
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_base64(core::byte_view b, std::string& out)
{
    std::size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
        std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += b64_alphabet[v & 63];
    }
    if (b.size() - i == 1) {
        std::uint32_t v = std::uint32_t{b[i]} << 16;
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += "==";
    } else if (b.size() - i == 2) {
        std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8);
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += '=';
    }
}

// libmy base32_encode: base32hex, uppercase, no padding (partial groups emit 2/4/5/7 chars).
void append_base32hex(core::byte_view b, std::string& out)
{
    std::size_t i = 0;
    do {
        std::size_t k = 8;
        switch (b.size() - i) {
        case 4:
            k = 7;
            break;
        case 3:
            k = 5;
            break;
        case 2:
            k = 4;
            break;
        case 1:
            k = 2;
            break;
        default:
            break;
        }
        std::uint8_t x[5];
        for (auto& v : x) {
            v = i < b.size() ? b[i++] : 0;
        }
        std::uint8_t s[8] = {
            static_cast<std::uint8_t>(x[0] >> 3),
            static_cast<std::uint8_t>(((x[0] & 0x07) << 2) | (x[1] >> 6)),
            static_cast<std::uint8_t>((x[1] >> 1) & 0x1f),
            static_cast<std::uint8_t>(((x[1] & 0x01) << 4) | (x[2] >> 4)),
            static_cast<std::uint8_t>(((x[2] & 0x0f) << 1) | (x[3] >> 7)),
            static_cast<std::uint8_t>((x[3] >> 2) & 0x1f),
            static_cast<std::uint8_t>(((x[3] & 0x03) << 3) | (x[4] >> 5)),
            static_cast<std::uint8_t>(x[4] & 0x1f),
        };
        for (std::size_t j = 0; j < k; ++j) {
            out += b32hex_alphabet[s[j]];
        }
    } while (i < b.size());
}

void append_string_body(core::byte_view s, std::string& out)
{
    for (std::uint8_t c : s) {
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c >= ' ' && c <= '~') {
            out += static_cast<char>(c);
        } else {
            out += '\\';
            out += static_cast<char>('0' + c / 100);
            out += static_cast<char>('0' + (c / 10) % 10);
            out += static_cast<char>('0' + c % 10);
        }
    }
}

// rdata_to_str_string: quoted, followed by the space the final clip may remove.
void append_quoted(core::byte_view s, std::string& out)
{
    out += '"';
    append_string_body(s, out);
    out += "\" ";
}

void append_ip(int af, const std::uint8_t* p, std::string& out)
{
    char buf[INET6_ADDRSTRLEN];
    // glibc inet_ntop is what wdns calls; its IPv6 text is the RFC 5952 form the goldens show.
    if (inet_ntop(af, p, buf, sizeof buf) != nullptr) {
        out += buf;
    }
}

// wdns_len_uname: the wire length of an uncompressed name at the start of `b`, or a wdns_res.
// A name without its root label is reported as a bad length octet (wdns reads past the end).
unsigned uname_len(core::byte_view b, std::size_t& len)
{
    std::size_t pos = 0;
    if (b.empty()) {
        return 11; // wdns_res_overflow
    }
    while (true) {
        if (pos >= b.size()) {
            return res_invalid_length_octet;
        }
        std::uint8_t oc = b[pos];
        std::size_t left = b.size() - pos - 1;
        if (oc > 63 || oc > left) {
            return res_invalid_length_octet;
        }
        pos += 1 + oc;
        if (oc == 0) {
            break;
        }
    }
    if (pos > 255) {
        return res_name_len;
    }
    len = pos;
    return 0;
}

void append_edns_label(std::uint16_t code, std::string& out)
{
    if (code == 8) {
        out += "CLIENT-SUBNET:";
    } else if (code == 15) {
        out += "EDE:";
    } else {
        out += "OPT=";
        append_uint(code, out);
        out += ':';
    }
}

void append_type_mnemonic(std::uint16_t t, std::string& out)
{
    append_rrtype(t, out);
    out += ' ';
}

std::string_view svc_key_name(std::uint16_t key)
{
    switch (key) {
    case 0:
        return "mandatory";
    case 1:
        return "alpn";
    case 2:
        return "no-default-alpn";
    case 3:
        return "port";
    case 4:
        return "ipv4hint";
    case 5:
        return "ech";
    case 6:
        return "ipv6hint";
    case 65535:
        return "invalid key";
    default:
        return {};
    }
}

void append_svc_key(std::uint16_t key, std::string& out)
{
    auto n = svc_key_name(key);
    if (!n.empty()) {
        out += n;
    } else {
        out += "key";
        append_uint(key, out);
    }
}

// svcparam_to_str; returns false on a malformed value (wdns_res_parse_error).
bool svcparam_to_text(std::uint16_t key, core::byte_view v, std::string& out)
{
    std::size_t p = 0;
    switch (key) {
    case 0: // mandatory
        while (p < v.size()) {
            if (p + 2 > v.size()) {
                return false;
            }
            append_svc_key(core::load_be16(v.data() + p), out);
            p += 2;
            out += p < v.size() ? ',' : ' ';
        }
        return true;
    case 2: // no-default-alpn
        if (!v.empty()) {
            return false;
        }
        out += ' ';
        return true;
    case 3: // port
        if (v.size() != 2) {
            return false;
        }
        append_uint(core::load_be16(v.data()), out);
        out += ' ';
        return true;
    case 5: // ech
        append_base64(v, out);
        out += ' ';
        return true;
    case 4: // ipv4hint
    case 6: { // ipv6hint
        std::size_t w = key == 4 ? 4 : 16;
        while (p < v.size()) {
            if (p + w > v.size()) {
                return false;
            }
            append_ip(key == 4 ? AF_INET : AF_INET6, v.data() + p, out);
            p += w;
            out += p < v.size() ? ',' : ' ';
        }
        return true;
    }
    case 1: // alpn: always quoted; ',' and '\' get a second escaping level
        out += '"';
        while (p < v.size()) {
            std::size_t l = v[p++];
            if (p + l > v.size()) {
                return false;
            }
            for (std::size_t i = 0; i < l; ++i) {
                std::uint8_t c = v[p++];
                if (c == '"') {
                    out += "\\\"";
                } else if (c == '\\') {
                    out += "\\\\\\\\";
                } else if (c == ',') {
                    out += "\\\\,";
                } else if (c >= ' ' && c <= '~') {
                    out += static_cast<char>(c);
                } else {
                    append_string_body(v.subspan(p - 1, 1), out);
                }
            }
            out += p < v.size() ? ',' : '"';
        }
        out += ' ';
        return true;
    default:
        append_quoted(v, out);
        return true;
    }
}

void render(std::uint16_t rrtype, std::uint16_t rrclass, core::byte_view rdata, std::string& out,
            std::size_t clip_floor)
{
    const rdata_descr* d = rdata_descr_for(rrtype);
    if (d == nullptr) {
        out += "\\# ";
        append_uint(rdata.size(), out);
        out += ' ';
        for (std::uint8_t c : rdata) {
            out += hex_lower[c >> 4];
            out += hex_lower[c & 15];
            out += ' ';
        }
        return;
    }
    if (d->class_in_only && rrclass != class_in) {
        return;
    }

    std::size_t pos = 0;
    std::size_t n = rdata.size();
    auto left = [&] { return n - pos; };
    auto err = [&] { out += " ### PARSE ERROR ###"; };
    auto err_res = [&](unsigned res) {
        out += " ### PARSE ERROR #";
        append_uint(res, out);
        out += " ###";
    };
    const std::uint8_t* s = rdata.data();

    for (rdf f : d->fields) {
        if (f == rdf::end || left() == 0) {
            break;
        }
        switch (f) {
        case rdf::end:
            break;
        case rdf::name:
        case rdf::uname: {
            std::size_t len = 0;
            unsigned res = uname_len(rdata.subspan(pos), len);
            if (res != 0) {
                err_res(res);
                return;
            }
            name_to_text(rdata.subspan(pos, len), out);
            out += ' ';
            pos += len;
            break;
        }
        case rdf::bytes:
            for (; pos < n; ++pos) {
                out += hex_upper[s[pos] >> 4];
                out += hex_upper[s[pos] & 15];
            }
            break;
        case rdf::bytes_b64:
            append_base64(rdata.subspan(pos), out);
            pos = n;
            break;
        case rdf::bytes_str:
            append_quoted(rdata.subspan(pos), out);
            pos = n;
            break;
        case rdf::ipv6prefix: {
            std::uint8_t plen = s[pos++];
            if (plen > 128) {
                err();
                return;
            }
            std::size_t oc = (128 - plen) / 8 + (plen % 8 != 0 ? 1 : 0);
            if (left() < oc) {
                err();
                return;
            }
            append_uint(plen, out);
            out += ' ';
            if (oc > 0) {
                std::uint8_t addr[16] = {};
                std::memcpy(addr + 16 - oc, s + pos, oc);
                append_ip(AF_INET6, addr, out);
                out += ' ';
            }
            pos += oc;
            break;
        }
        case rdf::salt: {
            std::uint8_t oc = s[pos++];
            if (left() < oc) {
                err();
                return;
            }
            if (oc == 0) {
                out += '-';
            }
            for (std::size_t i = 0; i < oc; ++i) {
                out += hex_lower[s[pos] >> 4];
                out += hex_lower[s[pos] & 15];
                ++pos;
            }
            out += ' ';
            break;
        }
        case rdf::hash: {
            std::uint8_t oc = s[pos++];
            if (left() < oc) {
                err();
                return;
            }
            if (oc == 0) {
                out += "0 ";
                break;
            }
            append_base32hex(rdata.subspan(pos, oc), out);
            out += ' ';
            pos += oc;
            break;
        }
        case rdf::int8:
            append_uint(s[pos], out);
            out += ' ';
            pos += 1;
            break;
        case rdf::int16:
            if (left() < 2) {
                err();
                return;
            }
            append_uint(core::load_be16(s + pos), out);
            out += ' ';
            pos += 2;
            break;
        case rdf::int32:
            if (left() < 4) {
                err();
                return;
            }
            append_uint(core::load_be32(s + pos), out);
            out += ' ';
            pos += 4;
            break;
        case rdf::ipv4:
            if (left() < 4) {
                err();
                return;
            }
            append_ip(AF_INET, s + pos, out);
            out += ' ';
            pos += 4;
            break;
        case rdf::ipv6:
            if (left() < 16) {
                err();
                return;
            }
            append_ip(AF_INET6, s + pos, out);
            out += ' ';
            pos += 16;
            break;
        case rdf::eui48:
        case rdf::eui64: {
            std::size_t w = f == rdf::eui48 ? 6 : 8;
            if (left() < w) {
                err();
                return;
            }
            for (std::size_t i = 0; i < w; ++i) {
                if (i != 0) {
                    out += '-';
                }
                out += hex_lower[s[pos + i] >> 4];
                out += hex_lower[s[pos + i] & 15];
            }
            pos += w;
            break;
        }
        case rdf::string: {
            std::uint8_t oc = s[pos++];
            if (left() < oc) {
                err();
                return;
            }
            append_quoted(rdata.subspan(pos, oc), out);
            pos += oc;
            break;
        }
        case rdf::repstring:
            while (left() > 0) {
                std::uint8_t oc = s[pos++];
                if (left() < oc) {
                    err();
                    return;
                }
                append_quoted(rdata.subspan(pos, oc), out);
                pos += oc;
            }
            break;
        case rdf::svcparams:
            while (left() > 0) {
                if (left() < 2) {
                    err();
                    return;
                }
                std::uint16_t key = core::load_be16(s + pos);
                if (key == 65535) {
                    err();
                    return;
                }
                append_svc_key(key, out);
                if (key != 2) {
                    out += '=';
                }
                pos += 2;
                if (left() < 2) {
                    err();
                    return;
                }
                std::uint16_t vlen = core::load_be16(s + pos);
                pos += 2;
                if (left() < vlen) {
                    err();
                    return;
                }
                if (!svcparam_to_text(key, rdata.subspan(pos, vlen), out)) {
                    err_res(res_parse_error);
                    return;
                }
                pos += vlen;
            }
            break;
        case rdf::rrtype:
            if (left() < 2) {
                err();
                return;
            }
            append_type_mnemonic(core::load_be16(s + pos), out);
            pos += 2;
            break;
        case rdf::type_bitmap:
            if (left() < 2) {
                err();
                return;
            }
            while (left() >= 2) {
                std::uint8_t window = s[pos];
                std::uint8_t blen = s[pos + 1];
                pos += 2;
                if (left() < blen) {
                    err();
                    return;
                }
                for (unsigned i = 0; i < blen; ++i) {
                    for (unsigned j = 0; j < 8; ++j) {
                        if (s[pos + i] & (0x80 >> j)) {
                            append_type_mnemonic(
                                static_cast<std::uint16_t>((window << 8) | (i * 8 + j)), out);
                        }
                    }
                }
                pos += blen;
            }
            break;
        case rdf::edns_opt:
            while (left() > 0) {
                if (left() < 2) {
                    err();
                    return;
                }
                std::uint16_t code = core::load_be16(s + pos);
                pos += 2;
                out += '\n';
                if (left() < 2 || left() - 2 < core::load_be16(s + pos)) {
                    // wdns prints the option's label before it checks the length
                    append_edns_label(code, out);
                    err();
                    return;
                }
                std::uint16_t olen = core::load_be16(s + pos);
                pos += 2;
                if (!edns_option_to_text(code, rdata.subspan(pos, olen), out)) {
                    return;
                }
                pos += olen;
            }
            break;
        }
    }
    if (out.size() > clip_floor && out.back() == ' ') {
        out.pop_back();
    }
}

// ---- text → wire ----

class tokenizer {
public:
    explicit tokenizer(std::string_view s) : s_(s) {}

    void skip_ws()
    {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) {
            ++pos_;
        }
    }
    bool at_end()
    {
        skip_ws();
        return pos_ >= s_.size();
    }
    // Next raw token: a quoted string (quotes kept) or a run of non-blank characters; a
    // backslash escapes the next character inside both.
    std::string_view next()
    {
        skip_ws();
        std::size_t b = pos_;
        if (pos_ < s_.size() && s_[pos_] == '"') {
            ++pos_;
            while (pos_ < s_.size() && s_[pos_] != '"') {
                pos_ += s_[pos_] == '\\' ? 2 : 1;
            }
            pos_ = std::min(pos_ + 1, s_.size());
            return s_.substr(b, pos_ - b);
        }
        while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '\t' && s_[pos_] != '\n') {
            if (s_[pos_] == '"') {
                // key="value" (SVCB): the quoted part belongs to this token
                ++pos_;
                while (pos_ < s_.size() && s_[pos_] != '"') {
                    pos_ += s_[pos_] == '\\' ? 2 : 1;
                }
                if (pos_ < s_.size()) {
                    ++pos_;
                }
                continue;
            }
            pos_ += s_[pos_] == '\\' ? 2 : 1;
        }
        pos_ = std::min(pos_, s_.size());
        return s_.substr(b, pos_ - b);
    }
    std::string_view rest()
    {
        skip_ws();
        return s_.substr(pos_);
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

template <class T>
bool parse_uint(std::string_view t, T& v)
{
    if (t.empty()) {
        return false;
    }
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    return r.ec == std::errc{} && r.ptr == t.data() + t.size();
}

// Unescapes a character-string token (quoted or bare): \DDD and \X. Returns false on a bad
// escape or a value over `max` bytes.
bool unescape(std::string_view t, std::string& v, std::size_t max = 255)
{
    if (!t.empty() && t.front() == '"') {
        if (t.size() < 2 || t.back() != '"') {
            return false;
        }
        t = t.substr(1, t.size() - 2);
    }
    v.clear();
    for (std::size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c != '\\') {
            v += c;
            continue;
        }
        if (i + 1 >= t.size()) {
            return false;
        }
        if (t[i + 1] >= '0' && t[i + 1] <= '9') {
            unsigned d = 0;
            for (std::size_t k = 1; k <= 3; ++k) {
                if (i + k >= t.size() || t[i + k] < '0' || t[i + k] > '9') {
                    return false;
                }
                d = d * 10 + static_cast<unsigned>(t[i + k] - '0');
            }
            if (d > 255) {
                return false;
            }
            v += static_cast<char>(d);
            i += 3;
        } else {
            v += t[i + 1];
            ++i;
        }
    }
    return v.size() <= max;
}

// Presentation name -> uncompressed wire through the name guardian (relative names get the
// root appended, as wdns does).
bool name_from_text(std::string_view t, core::out_buffer& out)
{
    name_buffer buf;
    name_info info = from_text(t, name_out{buf});
    if (!info.ok()) {
        return false;
    }
    out.put(core::byte_view{buf.data(), info.wire_len});
    return true;
}

int hex_val(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Hex digits with optional blanks between byte pairs.
bool hex_from_text(std::string_view t, core::out_buffer& out, std::size_t* count = nullptr)
{
    int hi = -1;
    std::size_t n = 0;
    for (char c : t) {
        if (c == ' ' || c == '\t' || c == '\n') {
            if (hi >= 0) {
                return false;
            }
            continue;
        }
        int v = hex_val(c);
        if (v < 0) {
            return false;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.put(static_cast<std::uint8_t>((hi << 4) | v));
            ++n;
            hi = -1;
        }
    }
    if (count != nullptr) {
        *count = n;
    }
    return hi < 0;
}

bool base64_from_text(std::string_view t, core::out_buffer& out)
{
    std::uint32_t acc = 0;
    int bits = 0;
    int pad = 0;
    for (char c : t) {
        if (c == ' ' || c == '\t' || c == '\n') {
            continue;
        }
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad > 0) {
            return false;
        }
        const char* p = std::strchr(b64_alphabet, c);
        if (p == nullptr || c == '\0') {
            return false;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(p - b64_alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.put(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return pad <= 2;
}

bool base32hex_from_text(std::string_view t, core::out_buffer& out)
{
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : t) {
        int v;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'A' && c <= 'V') {
            v = c - 'A' + 10;
        } else if (c >= 'a' && c <= 'v') {
            v = c - 'a' + 10;
        } else {
            return false;
        }
        acc = (acc << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.put(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return true;
}

// RRSIG times: decimal seconds (what wdns prints) or YYYYMMDDHHMMSS.
bool time_from_text(std::string_view t, std::uint32_t& v)
{
    if (t.size() == 14) {
        std::tm tm{};
        unsigned y, mo, d, h, mi, s;
        if (!parse_uint(t.substr(0, 4), y) || !parse_uint(t.substr(4, 2), mo) ||
            !parse_uint(t.substr(6, 2), d) || !parse_uint(t.substr(8, 2), h) ||
            !parse_uint(t.substr(10, 2), mi) || !parse_uint(t.substr(12, 2), s)) {
            return false;
        }
        tm.tm_year = static_cast<int>(y) - 1900;
        tm.tm_mon = static_cast<int>(mo) - 1;
        tm.tm_mday = static_cast<int>(d);
        tm.tm_hour = static_cast<int>(h);
        tm.tm_min = static_cast<int>(mi);
        tm.tm_sec = static_cast<int>(s);
        v = static_cast<std::uint32_t>(timegm(&tm));
        return true;
    }
    return parse_uint(t, v);
}

bool bitmap_from_text(tokenizer& tk, core::out_buffer& out)
{
    std::vector<std::uint16_t> types;
    while (!tk.at_end()) {
        auto t = rrtype_from_text(tk.next());
        if (!t) {
            return false;
        }
        types.push_back(*t);
    }
    for (unsigned w = 0; w < 256; ++w) {
        std::uint8_t bm[32] = {};
        int maxb = -1;
        for (auto t : types) {
            if ((t >> 8) == w) {
                unsigned lo = t & 0xff;
                bm[lo / 8] |= static_cast<std::uint8_t>(0x80 >> (lo % 8));
                maxb = std::max(maxb, static_cast<int>(lo / 8));
            }
        }
        if (maxb >= 0) {
            out.put(static_cast<std::uint8_t>(w));
            out.put(static_cast<std::uint8_t>(maxb + 1));
            out.put(core::byte_view{bm, static_cast<std::size_t>(maxb + 1)});
        }
    }
    return true;
}

std::optional<std::uint16_t> svc_key_from_text(std::string_view k)
{
    for (std::uint16_t i = 0; i <= 6; ++i) {
        if (k == svc_key_name(i)) {
            return i;
        }
    }
    if (k == "echconfig") {
        return 5;
    }
    std::uint16_t v;
    if (k.size() > 3 && k.substr(0, 3) == "key" && parse_uint(k.substr(3), v) && v != 65535) {
        return v;
    }
    return std::nullopt;
}

// Splits on unescaped commas.
std::vector<std::string_view> split_commas(std::string_view v)
{
    std::vector<std::string_view> parts;
    std::size_t b = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\') {
            ++i;
        } else if (v[i] == ',') {
            parts.push_back(v.substr(b, i - b));
            b = i + 1;
        }
    }
    parts.push_back(v.substr(b));
    return parts;
}

bool svcparam_from_text(std::string_view tok, core::out_buffer& out)
{
    auto eq = tok.find('=');
    auto key = svc_key_from_text(tok.substr(0, eq));
    if (!key) {
        return false;
    }
    std::string val;
    if (eq != std::string_view::npos && !unescape(tok.substr(eq + 1), val, 65535)) {
        return false;
    }
    out.put_be16(*key);
    std::size_t len_at = out.size();
    out.put_be16(0);
    std::size_t start = out.size();
    switch (*key) {
    case 0:
        for (auto p : split_commas(val)) {
            auto k = svc_key_from_text(p);
            if (!k) {
                return false;
            }
            out.put_be16(*k);
        }
        break;
    case 1:
        for (auto p : split_commas(val)) {
            std::string id;
            for (std::size_t i = 0; i < p.size(); ++i) {
                if (p[i] == '\\' && i + 1 < p.size()) {
                    ++i;
                }
                id += p[i];
            }
            if (id.size() > 255) {
                return false;
            }
            out.put(static_cast<std::uint8_t>(id.size()));
            out.put(core::as_bytes(id));
        }
        break;
    case 2:
        if (eq != std::string_view::npos) {
            return false;
        }
        break;
    case 3: {
        std::uint16_t port;
        if (!parse_uint(std::string_view{val}, port)) {
            return false;
        }
        out.put_be16(port);
        break;
    }
    case 4:
    case 6:
        for (auto p : split_commas(val)) {
            std::uint8_t a[16];
            std::string z{p};
            if (inet_pton(*key == 4 ? AF_INET : AF_INET6, z.c_str(), a) != 1) {
                return false;
            }
            out.put(core::byte_view{a, *key == 4 ? 4u : 16u});
        }
        break;
    case 5:
        if (!base64_from_text(val, out)) {
            return false;
        }
        break;
    default:
        out.put(core::as_bytes(val));
        break;
    }
    std::size_t vlen = out.size() - start;
    if (out.ok()) {
        core::store_be16(out.begin() + len_at, static_cast<std::uint16_t>(vlen));
    }
    return vlen <= 65535;
}

rdata_text_error generic_from_text(tokenizer& tk, core::out_buffer& out)
{
    std::size_t declared;
    if (!parse_uint(tk.next(), declared)) {
        return rdata_text_error::bad_generic;
    }
    std::size_t got = 0;
    if (!hex_from_text(tk.rest(), out, &got) || got != declared) {
        return rdata_text_error::bad_generic;
    }
    return rdata_text_error::none;
}

} // namespace

const rdata_descr* rdata_descr_for(std::uint16_t rrtype) noexcept
{
    for (const auto& e : descr_table) {
        if (e.type == rrtype) {
            return &e.d;
        }
    }
    return nullptr;
}

std::string_view to_string(rdata_text_error e) noexcept
{
    switch (e) {
    case rdata_text_error::none:
        return "none";
    case rdata_text_error::bad_number:
        return "bad_number";
    case rdata_text_error::bad_address:
        return "bad_address";
    case rdata_text_error::bad_name:
        return "bad_name";
    case rdata_text_error::bad_string:
        return "bad_string";
    case rdata_text_error::bad_hex:
        return "bad_hex";
    case rdata_text_error::bad_base64:
        return "bad_base64";
    case rdata_text_error::bad_base32:
        return "bad_base32";
    case rdata_text_error::bad_type:
        return "bad_type";
    case rdata_text_error::bad_svcparam:
        return "bad_svcparam";
    case rdata_text_error::bad_generic:
        return "bad_generic";
    case rdata_text_error::missing_field:
        return "missing_field";
    case rdata_text_error::trailing_text:
        return "trailing_text";
    case rdata_text_error::unsupported_type:
        return "unsupported_type";
    case rdata_text_error::overflow:
        return "overflow";
    }
    return "unknown";
}

void rdata_to_text(std::uint16_t rrtype, std::uint16_t rrclass, core::byte_view rdata,
                   std::string& out)
{
    render(rrtype, rrclass, rdata, out, out.size());
}

void rdata_to_text_in_line(std::uint16_t rrtype, std::uint16_t rrclass, core::byte_view rdata,
                           std::string& out)
{
    render(rrtype, rrclass, rdata, out, 0);
}

rdata_text_error rdata_from_text(std::uint16_t rrtype, std::uint16_t rrclass,
                                 std::string_view text, core::out_buffer& out)
{
    using E = rdata_text_error;
    tokenizer tk{text};
    {
        tokenizer probe{text};
        if (probe.next() == "\\#") {
            tk.next();
            auto e = generic_from_text(tk, out);
            return e != E::none ? e : (out.ok() ? E::none : E::overflow);
        }
    }
    const rdata_descr* d = rdata_descr_for(rrtype);
    if (d == nullptr) {
        return E::bad_generic;
    }
    if (tk.at_end()) {
        // "" is how every non-generic type with empty rdata (or outside its class) renders
        return E::none;
    }
    if (d->class_in_only && rrclass != class_in) {
        return E::unsupported_type;
    }
    std::string tmp;
    for (rdf f : d->fields) {
        if (f == rdf::end) {
            break;
        }
        if (tk.at_end()) {
            // wdns stops at the end of the rdata on a field boundary; accept the same prefix
            break;
        }
        switch (f) {
        case rdf::end:
            break;
        case rdf::name:
        case rdf::uname:
            if (!name_from_text(tk.next(), out)) {
                return E::bad_name;
            }
            break;
        case rdf::bytes:
            if (!hex_from_text(tk.rest(), out)) {
                return E::bad_hex;
            }
            tk = tokenizer{std::string_view{}};
            break;
        case rdf::bytes_b64:
            if (!base64_from_text(tk.rest(), out)) {
                return E::bad_base64;
            }
            tk = tokenizer{std::string_view{}};
            break;
        case rdf::bytes_str:
            if (!unescape(tk.next(), tmp, 65535)) {
                return E::bad_string;
            }
            out.put(core::as_bytes(tmp));
            break;
        case rdf::ipv6prefix: {
            std::uint8_t plen;
            if (!parse_uint(tk.next(), plen) || plen > 128) {
                return E::bad_number;
            }
            out.put(plen);
            std::size_t oc = (128 - plen) / 8 + (plen % 8 != 0 ? 1 : 0);
            if (oc > 0) {
                std::uint8_t a[16];
                std::string z{tk.next()};
                if (inet_pton(AF_INET6, z.c_str(), a) != 1) {
                    return E::bad_address;
                }
                out.put(core::byte_view{a + 16 - oc, oc});
            }
            break;
        }
        case rdf::salt: {
            auto t = tk.next();
            if (t == "-") {
                out.put(std::uint8_t{0});
                break;
            }
            std::size_t at = out.size();
            out.put(std::uint8_t{0});
            std::size_t n = 0;
            if (!hex_from_text(t, out, &n) || n > 255) {
                return E::bad_hex;
            }
            if (out.ok()) {
                out.begin()[at] = static_cast<std::uint8_t>(n);
            }
            break;
        }
        case rdf::hash: {
            auto t = tk.next();
            std::size_t at = out.size();
            out.put(std::uint8_t{0});
            if (t != "0") {
                if (!base32hex_from_text(t, out)) {
                    return E::bad_base32;
                }
            }
            std::size_t n = out.size() - at - 1;
            if (n > 255) {
                return E::bad_base32;
            }
            if (out.ok()) {
                out.begin()[at] = static_cast<std::uint8_t>(n);
            }
            break;
        }
        case rdf::int8: {
            std::uint8_t v;
            if (!parse_uint(tk.next(), v)) {
                return E::bad_number;
            }
            out.put(v);
            break;
        }
        case rdf::int16: {
            std::uint16_t v;
            if (!parse_uint(tk.next(), v)) {
                return E::bad_number;
            }
            out.put_be16(v);
            break;
        }
        case rdf::int32: {
            std::uint32_t v;
            // RRSIG's two int32 times may come in YYYYMMDDHHMMSS form as well
            if (!time_from_text(tk.next(), v)) {
                return E::bad_number;
            }
            out.put_be32(v);
            break;
        }
        case rdf::ipv4:
        case rdf::ipv6: {
            std::uint8_t a[16];
            std::string z{tk.next()};
            int af = f == rdf::ipv4 ? AF_INET : AF_INET6;
            if (inet_pton(af, z.c_str(), a) != 1) {
                return E::bad_address;
            }
            out.put(core::byte_view{a, f == rdf::ipv4 ? 4u : 16u});
            break;
        }
        case rdf::eui48:
        case rdf::eui64: {
            auto t = tk.next();
            std::size_t w = f == rdf::eui48 ? 6 : 8;
            if (t.size() != w * 3 - 1) {
                return E::bad_hex;
            }
            for (std::size_t i = 0; i < w; ++i) {
                int hi = hex_val(t[i * 3]);
                int lo = hex_val(t[i * 3 + 1]);
                if (hi < 0 || lo < 0 || (i + 1 < w && t[i * 3 + 2] != '-')) {
                    return E::bad_hex;
                }
                out.put(static_cast<std::uint8_t>((hi << 4) | lo));
            }
            break;
        }
        case rdf::string:
            if (!unescape(tk.next(), tmp)) {
                return E::bad_string;
            }
            out.put(static_cast<std::uint8_t>(tmp.size()));
            out.put(core::as_bytes(tmp));
            break;
        case rdf::repstring:
            while (!tk.at_end()) {
                if (!unescape(tk.next(), tmp)) {
                    return E::bad_string;
                }
                out.put(static_cast<std::uint8_t>(tmp.size()));
                out.put(core::as_bytes(tmp));
            }
            break;
        case rdf::rrtype: {
            auto t = rrtype_from_text(tk.next());
            if (!t) {
                return E::bad_type;
            }
            out.put_be16(*t);
            break;
        }
        case rdf::type_bitmap:
            if (!bitmap_from_text(tk, out)) {
                return E::bad_type;
            }
            break;
        case rdf::svcparams:
            while (!tk.at_end()) {
                if (!svcparam_from_text(tk.next(), out)) {
                    return E::bad_svcparam;
                }
            }
            break;
        case rdf::edns_opt:
            return E::unsupported_type;
        }
    }
    if (!tk.at_end()) {
        return E::trailing_text;
    }
    return out.ok() ? E::none : E::overflow;
}

} // namespace siehub::dns
