// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/rdata.hpp"

namespace siehub::dns {

namespace {

enum class field : std::uint8_t {
    end,
    u8,
    u16,
    u32,
    name_c,     // may be compressed (rule in rdata.hpp); lower-cased in canonical form
    name_ck,    // may be compressed; case kept in canonical form (RRSIG signer, NSEC next)
    name_u,     // never compressed, case kept (SVCB/HTTPS target)
    cstring,    // length byte + bytes
    cstring_ne, // length byte (>= 1) + bytes
    cstrings,   // one or more character-strings up to the end
    bitmap,     // NSEC type bitmap up to the end (may be empty)
    svc_params, // SVCB parameters up to the end
    rest,       // any bytes up to the end
};

using F = field;
struct schema {
    field f[10];
};

constexpr schema s_generic{{F::rest}};
constexpr schema s_name{{F::name_c}};
constexpr schema s_two_names{{F::name_c, F::name_c}};
constexpr schema s_mx{{F::u16, F::name_c}};
constexpr schema s_px{{F::u16, F::name_c, F::name_c}};
constexpr schema s_soa{{F::name_c, F::name_c, F::u32, F::u32, F::u32, F::u32, F::u32}};
constexpr schema s_srv{{F::u16, F::u16, F::u16, F::name_c}};
constexpr schema s_naptr{{F::u16, F::u16, F::cstring, F::cstring, F::cstring, F::name_c}};
constexpr schema s_hinfo{{F::cstring, F::cstring}};
constexpr schema s_txt{{F::cstrings}};
constexpr schema s_sig{{F::u16, F::u8, F::u8, F::u32, F::u32, F::u32, F::u16, F::name_c, F::rest}};
constexpr schema s_rrsig{
    {F::u16, F::u8, F::u8, F::u32, F::u32, F::u32, F::u16, F::name_ck, F::rest}};
constexpr schema s_nxt{{F::name_c, F::rest}};
constexpr schema s_nsec{{F::name_ck, F::bitmap}};
constexpr schema s_key{{F::u16, F::u8, F::u8, F::rest}}; // DS, DNSKEY and kin
constexpr schema s_nsec3{{F::u8, F::u8, F::u16, F::cstring, F::cstring_ne, F::bitmap}};
constexpr schema s_nsec3param{{F::u8, F::u8, F::u16, F::cstring}};
constexpr schema s_tlsa{{F::u8, F::u8, F::u8, F::rest}};
constexpr schema s_sshfp{{F::u8, F::u8, F::rest}};
constexpr schema s_svcb{{F::u16, F::name_u, F::svc_params}};
constexpr schema s_caa{{F::u8, F::cstring_ne, F::rest}};
constexpr schema s_fixed{{F::rest}}; // A / AAAA: size checked separately

const schema& schema_for(std::uint16_t type) noexcept
{
    switch (type) {
    case rrtype::ns:
    case rrtype::md:
    case rrtype::mf:
    case rrtype::cname:
    case rrtype::mb:
    case rrtype::mg:
    case rrtype::mr:
    case rrtype::ptr:
    case rrtype::dname:
        return s_name;
    case rrtype::soa:
        return s_soa;
    case rrtype::minfo:
    case rrtype::rp:
        return s_two_names;
    case rrtype::mx:
    case rrtype::afsdb:
    case rrtype::rt:
    case rrtype::kx:
        return s_mx;
    case rrtype::px:
        return s_px;
    case rrtype::srv:
        return s_srv;
    case rrtype::naptr:
        return s_naptr;
    case rrtype::hinfo:
        return s_hinfo;
    case rrtype::txt:
    case rrtype::spf:
        return s_txt;
    case rrtype::sig:
        return s_sig;
    case rrtype::rrsig:
        return s_rrsig;
    case rrtype::nxt:
        return s_nxt;
    case rrtype::nsec:
        return s_nsec;
    case rrtype::ds:
    case rrtype::cds:
    case rrtype::dnskey:
    case rrtype::cdnskey:
    case rrtype::key:
        return s_key;
    case rrtype::nsec3:
        return s_nsec3;
    case rrtype::nsec3param:
        return s_nsec3param;
    case rrtype::tlsa:
        return s_tlsa;
    case rrtype::sshfp:
        return s_sshfp;
    case rrtype::svcb:
    case rrtype::https:
        return s_svcb;
    case rrtype::caa:
        return s_caa;
    case rrtype::a:
    case rrtype::aaaa:
        return s_fixed;
    default:
        return s_generic;
    }
}

enum class mode : std::uint8_t { check, copy, canonical };

errc check_bitmap(const std::uint8_t* p, std::size_t n) noexcept
{
    std::size_t pos = 0;
    int prev = -1;
    while (pos < n) {
        if (n - pos < 2) {
            return errc::rdata_bad_bitmap;
        }
        int const win = p[pos];
        std::size_t const len = p[pos + 1];
        if (win <= prev || len == 0 || len > 32 || n - pos - 2 < len) {
            return errc::rdata_bad_bitmap;
        }
        prev = win;
        pos += 2 + len;
    }
    return errc::ok;
}

errc check_svc_params(const std::uint8_t* p, std::size_t n) noexcept
{
    std::size_t pos = 0;
    long prev = -1;
    while (pos < n) {
        if (n - pos < 4) {
            return errc::rdata_bad_svc_param;
        }
        long const key = core::load_be16(p + pos);
        std::size_t const len = core::load_be16(p + pos + 2);
        // RFC 9460 §2.2: keys strictly increasing.
        if (key <= prev || n - pos - 4 < len) {
            return errc::rdata_bad_svc_param;
        }
        prev = key;
        pos += 4 + len;
    }
    return errc::ok;
}

// The one walker. `buf` ends where the RDATA ends; in a message it starts at the message start
// (so pointers can reach back), otherwise at the RDATA start. `out` is null in check mode.
errc walk(std::uint16_t type, byte_view buf, std::size_t off, bool in_message, mode m,
          core::out_buffer* out) noexcept
{
    std::size_t const end = buf.size();
    std::size_t const len = end - off;
    if (type == rrtype::a && len != 4) {
        return errc::rdata_bad_length;
    }
    if (type == rrtype::aaaa && len != 16) {
        return errc::rdata_bad_length;
    }
    const std::uint8_t* const p = buf.data();
    bool const may_compress = in_message && rdata_may_compress(type);
    std::size_t pos = off;
    std::size_t copied = off; // bytes before this were already copied (or are names)
    auto flush = [&](std::size_t upto) {
        if (out != nullptr && upto > copied) {
            out->put(byte_view{p + copied, upto - copied});
        }
        copied = upto;
    };
    for (field f : schema_for(type).f) {
        switch (f) {
        case F::end:
            if (pos != end) {
                return errc::rdata_long;
            }
            flush(end);
            return errc::ok;
        case F::u8:
        case F::u16:
        case F::u32: {
            std::size_t const n = f == F::u8 ? 1 : f == F::u16 ? 2 : 4;
            if (end - pos < n) {
                return errc::rdata_short;
            }
            pos += n;
            break;
        }
        case F::name_c:
        case F::name_ck:
        case F::name_u: {
            if (pos == end) {
                return errc::rdata_short;
            }
            flush(pos);
            name_info ni;
            name_buffer nb;
            bool const ptr_ok = may_compress && f != F::name_u;
            bool const lower = m == mode::canonical && f == F::name_c;
            if (m == mode::check) {
                ni = ptr_ok ? scan_name(buf, pos) : check_name(buf, pos);
            } else if (ptr_ok) {
                ni = lower ? read_name_canonical(buf, pos, nb) : read_name(buf, pos, nb);
            } else {
                ni = lower ? detail::walk_name<name_copy::lower_case, false>(buf, pos, nb.data())
                           : detail::walk_name<name_copy::keep_case, false>(buf, pos, nb.data());
            }
            if (!ni.ok()) {
                return ni.err;
            }
            if (out != nullptr) {
                out->put(byte_view{nb.data(), ni.wire_len});
            }
            pos = ni.end;
            copied = pos;
            break;
        }
        case F::cstring:
        case F::cstring_ne: {
            if (pos == end || end - pos - 1 < p[pos]) {
                return errc::rdata_bad_string;
            }
            if (f == F::cstring_ne && p[pos] == 0) {
                return errc::rdata_empty_field;
            }
            pos += std::size_t{p[pos]} + 1;
            break;
        }
        case F::cstrings: {
            if (pos == end) {
                return errc::rdata_short;
            }
            while (pos < end) {
                if (end - pos - 1 < p[pos]) {
                    return errc::rdata_bad_string;
                }
                pos += std::size_t{p[pos]} + 1;
            }
            break;
        }
        case F::bitmap:
            if (auto e = check_bitmap(p + pos, end - pos); e != errc::ok) {
                return e;
            }
            pos = end;
            break;
        case F::svc_params:
            if (auto e = check_svc_params(p + pos, end - pos); e != errc::ok) {
                return e;
            }
            pos = end;
            break;
        case F::rest:
            pos = end;
            break;
        }
    }
    // Schemas with ten fields end without an explicit terminator.
    if (pos != end) {
        return errc::rdata_long;
    }
    flush(end);
    return errc::ok;
}

errc run(std::uint16_t type, byte_view buf, std::size_t off, bool in_message, mode m,
         core::out_buffer& out) noexcept
{
    std::size_t const start = out.size();
    errc e = walk(type, buf, off, in_message, m, &out);
    if (e == errc::ok && !out.ok()) {
        e = errc::out_of_space;
    }
    if (e != errc::ok) {
        // rewind() also clears a sticky overflow; the caller learns of it from the result.
        out.rewind(start);
    }
    return e;
}

// The message up to the end of r's RDATA: names cannot run past it, pointers can reach back.
bool message_slice(byte_view msg, const rr& r, byte_view& out) noexcept
{
    std::size_t const end = std::size_t{r.rdata_off} + r.rdata_len;
    if (end > msg.size()) {
        return false;
    }
    out = msg.first(end);
    return true;
}

} // namespace

bool rdata_may_compress(std::uint16_t type) noexcept
{
    switch (type) {
    case rrtype::ns:
    case rrtype::md:
    case rrtype::mf:
    case rrtype::cname:
    case rrtype::soa:
    case rrtype::mb:
    case rrtype::mg:
    case rrtype::mr:
    case rrtype::ptr:
    case rrtype::minfo:
    case rrtype::mx:
    case rrtype::rp:
    case rrtype::afsdb:
    case rrtype::rt:
    case rrtype::sig:
    case rrtype::px:
    case rrtype::nxt:
    case rrtype::naptr:
    case rrtype::srv:
    case rrtype::kx:
    case rrtype::dname:
    case rrtype::rrsig:
    case rrtype::nsec:
        return true;
    default:
        return false;
    }
}

errc check_rdata(std::uint16_t type, byte_view rdata) noexcept
{
    return walk(type, rdata, 0, false, mode::check, nullptr);
}

errc check_rdata(byte_view msg, const rr& r) noexcept
{
    byte_view b;
    if (!message_slice(msg, r, b)) {
        return errc::rdata_truncated;
    }
    return walk(r.type, b, r.rdata_off, true, mode::check, nullptr);
}

errc uncompress_rdata(byte_view msg, const rr& r, core::out_buffer& out) noexcept
{
    byte_view b;
    if (!message_slice(msg, r, b)) {
        return errc::rdata_truncated;
    }
    return run(r.type, b, r.rdata_off, true, mode::copy, out);
}

errc canonical_rdata(byte_view msg, const rr& r, core::out_buffer& out) noexcept
{
    byte_view b;
    if (!message_slice(msg, r, b)) {
        return errc::rdata_truncated;
    }
    return run(r.type, b, r.rdata_off, true, mode::canonical, out);
}

errc canonicalize_rdata(std::uint16_t type, byte_view rdata, core::out_buffer& out) noexcept
{
    return run(type, rdata, 0, false, mode::canonical, out);
}

// --- views ------------------------------------------------------------------------------------

namespace {

// Offset just past the uncompressed name at rdata[off] (rdata already checked).
std::size_t name_end(byte_view rdata, std::size_t off) noexcept
{
    return check_name(rdata, off).end;
}

} // namespace

errc view_a(byte_view rdata, a_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::a, rdata); e != errc::ok) {
        return e;
    }
    v.addr = rdata;
    return errc::ok;
}

errc view_aaaa(byte_view rdata, aaaa_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::aaaa, rdata); e != errc::ok) {
        return e;
    }
    v.addr = rdata;
    return errc::ok;
}

errc view_name(byte_view rdata, name_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::ns, rdata); e != errc::ok) {
        return e;
    }
    v.name = rdata;
    return errc::ok;
}

errc view_mx(byte_view rdata, mx_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::mx, rdata); e != errc::ok) {
        return e;
    }
    v.preference = core::load_be16(rdata.data());
    v.exchange = rdata.subspan(2);
    return errc::ok;
}

errc view_soa(byte_view rdata, soa_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::soa, rdata); e != errc::ok) {
        return e;
    }
    std::size_t const m_end = name_end(rdata, 0);
    std::size_t const r_end = name_end(rdata, m_end);
    v.mname = rdata.first(m_end);
    v.rname = rdata.subspan(m_end, r_end - m_end);
    const std::uint8_t* p = rdata.data() + r_end;
    v.serial = core::load_be32(p);
    v.refresh = core::load_be32(p + 4);
    v.retry = core::load_be32(p + 8);
    v.expire = core::load_be32(p + 12);
    v.minimum = core::load_be32(p + 16);
    return errc::ok;
}

errc view_srv(byte_view rdata, srv_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::srv, rdata); e != errc::ok) {
        return e;
    }
    v.priority = core::load_be16(rdata.data());
    v.weight = core::load_be16(rdata.data() + 2);
    v.port = core::load_be16(rdata.data() + 4);
    v.target = rdata.subspan(6);
    return errc::ok;
}

errc view_ds(byte_view rdata, ds_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::ds, rdata); e != errc::ok) {
        return e;
    }
    v.key_tag = core::load_be16(rdata.data());
    v.algorithm = rdata[2];
    v.digest_type = rdata[3];
    v.digest = rdata.subspan(4);
    return errc::ok;
}

errc view_dnskey(byte_view rdata, dnskey_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::dnskey, rdata); e != errc::ok) {
        return e;
    }
    v.flags = core::load_be16(rdata.data());
    v.protocol = rdata[2];
    v.algorithm = rdata[3];
    v.public_key = rdata.subspan(4);
    return errc::ok;
}

errc view_rrsig(byte_view rdata, rrsig_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::rrsig, rdata); e != errc::ok) {
        return e;
    }
    const std::uint8_t* p = rdata.data();
    v.type_covered = core::load_be16(p);
    v.algorithm = p[2];
    v.labels = p[3];
    v.original_ttl = core::load_be32(p + 4);
    v.expiration = core::load_be32(p + 8);
    v.inception = core::load_be32(p + 12);
    v.key_tag = core::load_be16(p + 16);
    std::size_t const s_end = name_end(rdata, 18);
    v.signer = rdata.subspan(18, s_end - 18);
    v.signature = rdata.subspan(s_end);
    return errc::ok;
}

errc view_nsec(byte_view rdata, nsec_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::nsec, rdata); e != errc::ok) {
        return e;
    }
    std::size_t const n_end = name_end(rdata, 0);
    v.next = rdata.first(n_end);
    v.type_bitmap = rdata.subspan(n_end);
    return errc::ok;
}

errc view_nsec3(byte_view rdata, nsec3_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::nsec3, rdata); e != errc::ok) {
        return e;
    }
    v.hash_algorithm = rdata[0];
    v.flags = rdata[1];
    v.iterations = core::load_be16(rdata.data() + 2);
    std::size_t pos = 4;
    v.salt = rdata.subspan(pos + 1, rdata[pos]);
    pos += 1 + std::size_t{rdata[pos]};
    v.next_hashed = rdata.subspan(pos + 1, rdata[pos]);
    pos += 1 + std::size_t{rdata[pos]};
    v.type_bitmap = rdata.subspan(pos);
    return errc::ok;
}

errc view_svcb(byte_view rdata, svcb_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::svcb, rdata); e != errc::ok) {
        return e;
    }
    v.priority = core::load_be16(rdata.data());
    std::size_t const t_end = name_end(rdata, 2);
    v.target = rdata.subspan(2, t_end - 2);
    v.params = rdata.subspan(t_end);
    return errc::ok;
}

errc view_caa(byte_view rdata, caa_view& v) noexcept
{
    if (auto e = check_rdata(rrtype::caa, rdata); e != errc::ok) {
        return e;
    }
    v.flags = rdata[0];
    v.tag = rdata.subspan(2, rdata[1]);
    v.value = rdata.subspan(2 + std::size_t{rdata[1]});
    return errc::ok;
}

bool type_bitmap_iter::next(std::uint16_t& type) noexcept
{
    while (win_ + 2 <= b_.size()) {
        std::size_t const len = b_[win_ + 1];
        if (len > 32 || b_.size() - win_ - 2 < len) {
            return false;
        }
        while (bit_ < len * 8) {
            unsigned const i = bit_++;
            if (b_[win_ + 2 + i / 8] & (0x80u >> (i % 8))) {
                type = static_cast<std::uint16_t>(b_[win_] * 256u + i);
                return true;
            }
        }
        win_ += 2 + len;
        bit_ = 0;
    }
    return false;
}

} // namespace siehub::dns
