// SPDX-License-Identifier: Apache-2.0
#include "axa/keys.hpp"

#include <algorithm>

#include "proto/dns/name.hpp"
#include "proto/nmsg/messages.hpp"

namespace siehub::axa {

void payload_keys::add_name(byte_view n, std::uint16_t field, std::uint16_t val) noexcept
{
    // Only names the guardian accepts whole (no pointers, labels <= 63, <= 255 bytes).
    auto const r = dns::check_name(n);
    if (!r.ok()) {
        return;
    }
    if (n_names == max_names) {
        truncated = true;
        return;
    }
    names[n_names++] = {n.data(), r.wire_len, field, val, r.labels};
}

void payload_keys::add_ip(byte_view a, std::uint16_t field, std::uint16_t val) noexcept
{
    if (a.size() != 4 && a.size() != 16) {
        return;
    }
    if (n_ips == max_ips) {
        truncated = true;
        return;
    }
    auto& ip = ips[n_ips++];
    ip.family = a.size() == 4 ? 4 : 6;
    ip.addr = {};
    std::copy(a.begin(), a.end(), ip.addr.begin());
    ip.field_idx = field;
    ip.val_idx = val;
}

namespace {

// A name starting at rdata[off] (uncompressed); its end, or 0 when it is not a valid name.
std::size_t name_at(byte_view rdata, std::size_t off, std::uint16_t field, std::uint16_t val,
                    payload_keys& k) noexcept
{
    if (off >= rdata.size()) {
        return 0;
    }
    auto const r = dns::check_name(rdata, off);
    if (!r.ok()) {
        return 0;
    }
    // Checked already: added directly rather than through add_name's second walk.
    if (k.n_names == payload_keys::max_names) {
        k.truncated = true;
    } else {
        k.names[k.n_names++] = {rdata.data() + off, r.wire_len, field, val, r.labels};
    }
    return r.end;
}

} // namespace

void rdata_keys(std::uint32_t rrtype, byte_view rdata, std::uint16_t field, std::uint16_t val,
                payload_keys& k) noexcept
{
    switch (rrtype & 0xffff) {
    case 1: // A
        if (rdata.size() == 4) {
            k.add_ip(rdata, field, val);
        }
        break;
    case 28: // AAAA
        if (rdata.size() == 16) {
            k.add_ip(rdata, field, val);
        }
        break;
    case 2:  // NS
    case 5:  // CNAME
    case 7:  // MB
    case 8:  // MG
    case 9:  // MR
    case 12: // PTR
    case 39: // DNAME
        name_at(rdata, 0, field, val, k);
        break;
    case 6:  // SOA: mname, rname
    case 14: // MINFO
    case 17: // RP
        if (auto const e = name_at(rdata, 0, field, val, k); e != 0) {
            name_at(rdata, e, field, val, k);
        }
        break;
    case 15: // MX
    case 18: // AFSDB
    case 21: // RT
        name_at(rdata, 2, field, val, k);
        break;
    case 26: // PX: preference, map822, mapx400
        if (auto const e = name_at(rdata, 2, field, val, k); e != 0) {
            name_at(rdata, e, field, val, k);
        }
        break;
    case 33: // SRV: priority, weight, port, target
        name_at(rdata, 6, field, val, k);
        break;
    default:
        break;
    }
}

namespace {

template <class Opt> void add_opt_name(payload_keys& k, const Opt& o, std::uint16_t field)
{
    if (o) {
        k.add_name(*o, field, 0);
    }
}

template <class Opt> void add_opt_ip(payload_keys& k, const Opt& o, std::uint16_t field)
{
    if (o) {
        k.add_ip(*o, field, 0);
    }
}

} // namespace

void dnsqr_keys(const nmsg::dnsqr_view& v, bool query_ip_zeroed, payload_keys& k) noexcept
{
    static constexpr std::array<std::uint8_t, 16> zeros{};
    add_opt_name(k, v.qname(), 7);
    byte_view const q = v.query_ip();
    k.add_ip(query_ip_zeroed && q.size() <= zeros.size() ? byte_view{zeros.data(), q.size()} : q, 1, 0);
    k.add_ip(v.response_ip(), 2, 0);
}

bool extract_keys(std::uint32_t vid, std::uint32_t msgtype, byte_view vendor,
                  payload_keys& k) noexcept
{
    // Field indexes: nmsg.md §10 key order − 1.
    if (vid == vid_base && msgtype == msgtype_dnsqr) {
        nmsg::dnsqr_view v(vendor);
        if (!v.ok()) {
            k.error = true;
            return false;
        }
        dnsqr_keys(v, false, k);
        return true;
    }
    if (vid != vid_sie) {
        return true;
    }
    if (msgtype == msgtype_dnsdedupe) {
        nmsg::dnsdedupe_view v(vendor);
        if (!v.ok()) {
            k.error = true;
            return false;
        }
        dnsdedupe_keys(v.response_ip().value_or(byte_view{}), v.bailiwick().value_or(byte_view{}),
                       v.rrname().value_or(byte_view{}), v.rrtype().value_or(0),
                       [&](const auto& f) {
                           for (auto rd : v.rdata()) {
                               f(rd);
                           }
                       },
                       k);
        return true;
    }
    if (msgtype == msgtype_newdomain) {
        nmsg::newdomain_view v(vendor);
        if (!v.ok()) {
            k.error = true;
            return false;
        }
        add_opt_name(k, v.domain(), 0);
        add_opt_ip(k, v.response_ip(), 8);
        add_opt_name(k, v.bailiwick(), 9);
        add_opt_name(k, v.rrname(), 10);
        auto const rrtype = v.rrtype().value_or(0);
        std::uint16_t i = 0;
        for (auto rd : v.rdata()) {
            rdata_keys(rrtype, rd, 14, i++, k);
        }
        return true;
    }
    if (msgtype == msgtype_dnsnx) {
        nmsg::dnsnx_view v(vendor);
        if (!v.ok()) {
            k.error = true;
            return false;
        }
        k.add_name(v.qname(), 0, 0);
        k.add_ip(v.response_ip(), 3, 0);
        return true;
    }
    return true;
}

} // namespace siehub::axa
