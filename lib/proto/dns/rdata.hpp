// SPDX-License-Identifier: Apache-2.0
#pragma once
// RDATA: a per-type validity check, decompression into the uncompressed RDATA that SIE rdata
// fields carry, the RFC 4034 §6.2 canonical form used for dedup keys, and typed views over
// uncompressed RDATA (what the presentation helper renders).
//
// Every type is described by a small field schema (rdata.cpp); one walker checks, copies and
// canonicalises, so the three can never disagree.
//
// Compression rule (which embedded names may hold pointers inside a message):
//  * RFC 1035 well-known types, which RFC 3597 §4 requires receivers to decompress:
//    NS MD MF CNAME SOA MB MG MR PTR MINFO MX;
//  * RFC 3597 §4's "SHOULD also decompress" list: RP AFSDB RT SIG PX NXT NAPTR SRV;
//  * KX, DNAME, and the RRSIG signer / NSEC next-domain name: RFC 2230, RFC 6672 and
//    RFC 4034 forbid compressing them, but wdns (the library nmsgtool renders with) expands
//    pointers there and old servers did send them; we emit uncompressed RDATA, so accepting
//    them costs nothing and keeps us in step with the reference implementation.
//  * Every other type (SVCB/HTTPS target, unknown types...) is opaque or uncompressed-only:
//    a pointer there is errc::pointer_not_allowed.
// Canonical form lower-cases the embedded names of the RFC 4034 §6.2 types except the RRSIG
// signer and NSEC next name (RFC 6840 §5.1 removed those from the list).

#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"
#include "proto/dns/errc.hpp"
#include "proto/dns/message.hpp"

namespace siehub::dns {

// True when names inside this type's RDATA may be compressed in a message (rule above).
bool rdata_may_compress(std::uint16_t type) noexcept;

// Validity of uncompressed RDATA (nmsg fields, the output of uncompress_rdata).
errc check_rdata(std::uint16_t type, byte_view rdata) noexcept;
// Validity of an RR's RDATA inside its message (pointers followed per the rule above).
errc check_rdata(byte_view msg, const rr& r) noexcept;

// The uncompressed RDATA of r (names expanded, case kept) appended to out. On error nothing
// is left appended.
errc uncompress_rdata(byte_view msg, const rr& r, core::out_buffer& out) noexcept;
// As uncompress_rdata, in canonical form (RFC 4034 §6.2 names lower-cased).
errc canonical_rdata(byte_view msg, const rr& r, core::out_buffer& out) noexcept;
// Canonical form of already uncompressed RDATA.
errc canonicalize_rdata(std::uint16_t type, byte_view rdata, core::out_buffer& out) noexcept;

// --- typed views over uncompressed RDATA (each checks the whole RDATA first) ----------------

struct a_view {
    byte_view addr; // 4 bytes
};
struct aaaa_view {
    byte_view addr; // 16 bytes
};
struct name_view { // NS, CNAME, PTR, DNAME, MB, MD, MF, MG, MR
    byte_view name;
};
struct mx_view { // MX, AFSDB, RT, KX
    std::uint16_t preference;
    byte_view exchange;
};
struct soa_view {
    byte_view mname;
    byte_view rname;
    std::uint32_t serial, refresh, retry, expire, minimum;
};
struct srv_view {
    std::uint16_t priority, weight, port;
    byte_view target;
};
struct ds_view { // DS, CDS
    std::uint16_t key_tag;
    std::uint8_t algorithm, digest_type;
    byte_view digest;
};
struct dnskey_view { // DNSKEY, CDNSKEY
    std::uint16_t flags;
    std::uint8_t protocol, algorithm;
    byte_view public_key;
};
struct rrsig_view {
    std::uint16_t type_covered;
    std::uint8_t algorithm, labels;
    std::uint32_t original_ttl, expiration, inception;
    std::uint16_t key_tag;
    byte_view signer;
    byte_view signature;
};
struct nsec_view {
    byte_view next;
    byte_view type_bitmap;
};
struct nsec3_view {
    std::uint8_t hash_algorithm, flags;
    std::uint16_t iterations;
    byte_view salt;
    byte_view next_hashed;
    byte_view type_bitmap;
};
struct svcb_view { // SVCB, HTTPS
    std::uint16_t priority;
    byte_view target;
    byte_view params; // iterate with svc_param_iter
};
struct caa_view {
    std::uint8_t flags;
    byte_view tag;
    byte_view value;
};

errc view_a(byte_view rdata, a_view& v) noexcept;
errc view_aaaa(byte_view rdata, aaaa_view& v) noexcept;
errc view_name(byte_view rdata, name_view& v) noexcept;
errc view_mx(byte_view rdata, mx_view& v) noexcept;
errc view_soa(byte_view rdata, soa_view& v) noexcept;
errc view_srv(byte_view rdata, srv_view& v) noexcept;
errc view_ds(byte_view rdata, ds_view& v) noexcept;
errc view_dnskey(byte_view rdata, dnskey_view& v) noexcept;
errc view_rrsig(byte_view rdata, rrsig_view& v) noexcept;
errc view_nsec(byte_view rdata, nsec_view& v) noexcept;
errc view_nsec3(byte_view rdata, nsec3_view& v) noexcept;
errc view_svcb(byte_view rdata, svcb_view& v) noexcept;
errc view_caa(byte_view rdata, caa_view& v) noexcept;

// TXT / SPF character-strings, in order (rdata checked with check_rdata first).
class string_iter {
public:
    explicit string_iter(byte_view rdata) noexcept : b_(rdata) {}
    bool next(byte_view& s) noexcept
    {
        if (pos_ >= b_.size() || b_.size() - pos_ - 1 < b_[pos_]) {
            return false;
        }
        s = b_.subspan(pos_ + 1, b_[pos_]);
        pos_ += std::size_t{b_[pos_]} + 1;
        return true;
    }

private:
    byte_view b_;
    std::size_t pos_ = 0;
};

// Types present in an NSEC/NSEC3 bitmap, ascending.
class type_bitmap_iter {
public:
    explicit type_bitmap_iter(byte_view bitmap) noexcept : b_(bitmap) {}
    bool next(std::uint16_t& type) noexcept;

private:
    byte_view b_;
    std::size_t win_ = 0; // offset of the current window header
    unsigned bit_ = 0;    // next bit within the current window
};

struct svc_param {
    std::uint16_t key;
    byte_view value;
};
class svc_param_iter {
public:
    explicit svc_param_iter(byte_view params) noexcept : b_(params) {}
    bool next(svc_param& p) noexcept
    {
        if (b_.size() - pos_ < 4) {
            return false;
        }
        std::size_t const len = core::load_be16(b_.data() + pos_ + 2);
        if (b_.size() - pos_ - 4 < len) {
            return false;
        }
        p.key = core::load_be16(b_.data() + pos_);
        p.value = b_.subspan(pos_ + 4, len);
        pos_ += 4 + len;
        return true;
    }

private:
    byte_view b_;
    std::size_t pos_ = 0;
};

} // namespace siehub::dns
