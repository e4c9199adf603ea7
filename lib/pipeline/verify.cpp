// SPDX-License-Identifier: Apache-2.0
#include "pipeline/verify.hpp"

#include <algorithm>
#include <cstring>

namespace siehub::pipeline {

namespace {

using vc = verify_counter;

bool same_address(const net::ip_address& a, core::byte_view field) noexcept
{
    auto const v = a.view();
    return v.size() == field.size() && std::equal(v.begin(), v.end(), field.begin());
}

// Collects a repeated packet field into the scratch array; false when there are too many.
bool gather(const nmsg::repeated_field<core::byte_view>& r, verify_scratch& s,
            std::span<const core::byte_view>& out) noexcept
{
    if (r.size() > s.packets.size()) {
        return false;
    }
    std::size_t n = 0;
    for (auto b : r) {
        s.packets[n++] = b;
    }
    out = {s.packets.data(), n};
    return true;
}

verify_counter type_reason(std::int32_t t) noexcept
{
    switch (static_cast<nmsg::dnsqr_type>(t)) {
    case nmsg::dnsqr_type::udp_query_response:
        return vc::accepted;
    case nmsg::dnsqr_type::udp_invalid:
        return vc::type_invalid;
    case nmsg::dnsqr_type::udp_unanswered_query:
        return vc::type_unanswered;
    case nmsg::dnsqr_type::udp_unsolicited_response:
        return vc::type_unsolicited;
    case nmsg::dnsqr_type::tcp:
        return vc::tcp;
    case nmsg::dnsqr_type::icmp:
        return vc::icmp;
    case nmsg::dnsqr_type::udp_query_only:
        return vc::type_query_only;
    case nmsg::dnsqr_type::udp_response_only:
        return vc::type_response_only;
    }
    return vc::type_unknown;
}

verify_counter reasm_reason(reasm_status s, bool query) noexcept
{
    if (s == reasm_status::bad_packet) {
        return query ? vc::query_packet_malformed : vc::response_packet_malformed;
    }
    return query ? vc::query_reassembly_failed : vc::response_reassembly_failed;
}

verify_counter fail(verify_result& r, verify_counter why) noexcept
{
    r.reason = why;
    r.route = rcode_route::none;
    r.rrsets_valid = false;
    r.message = nullptr;
    r.response_set = nullptr;
    r.rrsets = nullptr;
    r.dnsqr = nullptr;
    return why;
}

} // namespace

verify_counter verify(const dnsqr_input& in, const verify_options& opt, verify_scratch& s,
                      verify_result& r) noexcept
{
    r = verify_result{};
    // Rule 1: a base/dnsqr that decodes with every required field.
    if (in.vid != nmsg::vendor_base || in.msgtype != nmsg::base_dnsqr) {
        return fail(r, vc::not_dnsqr);
    }
    s.dnsqr.parse(in.message);
    nmsg::dnsqr_view const& v = s.dnsqr;
    if (!v.ok()) {
        return fail(r, vc::bad_dnsqr);
    }
    // Rule 2: only answered UDP transactions.
    if (auto const t = type_reason(v.type()); t != vc::accepted) {
        return fail(r, t);
    }
    r.query_ip = v.query_ip();
    r.response_ip = v.response_ip();
    if ((r.query_ip.size() != 4 && r.query_ip.size() != 16) ||
        r.query_ip.size() != r.response_ip.size()) {
        return fail(r, vc::bad_address);
    }
    auto const qpackets = v.query_packet();
    auto const rpackets = v.response_packet();
    if (qpackets.empty()) {
        return fail(r, vc::no_query_packet);
    }
    if (rpackets.empty()) {
        return fail(r, vc::no_response_packet);
    }

    // Rule 3: the query, and refusal of client (RD = 1) traffic.
    std::span<const core::byte_view> pk;
    if (!gather(qpackets, s, pk)) {
        r.reasm_error = reasm_status::too_many_packets;
        return fail(r, vc::query_reassembly_failed);
    }
    if (auto const st = s.query_set.assemble(pk, s.query_buf); st != reasm_status::ok) {
        r.reasm_error = st;
        r.ip_error = s.query_set.ip_error();
        return fail(r, reasm_reason(st, true));
    }
    auto const& qip = s.query_set.ip();
    if (qip.proto != net::ipproto_udp) {
        return fail(r, vc::query_not_udp);
    }
    net::udp_header qudp;
    if (auto const e = net::parse_udp(s.query_set.payload(), qudp); e != net::errc::ok) {
        r.ip_error = e;
        return fail(r, vc::query_packet_malformed);
    }
    core::byte_view const qwire = qudp.payload;
    if (qwire.size() < dns::header_len) {
        r.dns_error = dns::errc::message_too_short;
        return fail(r, vc::query_dns_malformed);
    }
    auto const qh = dns::header::load(qwire.data());
    dns::question qq{};
    std::size_t qpos = dns::header_len;
    if (qh.qdcount != 1) {
        r.dns_error = dns::errc::count_overflow;
        return fail(r, vc::query_dns_malformed);
    }
    if (auto const e = dns::read_question(qwire, qpos, qq); e != dns::errc::ok) {
        r.dns_error = e;
        return fail(r, vc::query_dns_malformed);
    }
    if (qh.qr()) {
        return fail(r, vc::query_not_query);
    }
    if (qh.opcode() != 0) {
        return fail(r, vc::opcode_not_query);
    }
    if (qh.rd()) {
        return fail(r, vc::rd_set);
    }

    // Rule 4: the response matches the query.
    if (!gather(rpackets, s, pk)) {
        r.reasm_error = reasm_status::too_many_packets;
        return fail(r, vc::response_reassembly_failed);
    }
    if (auto const st = s.response_set.assemble(pk, s.response_buf); st != reasm_status::ok) {
        r.reasm_error = st;
        r.ip_error = s.response_set.ip_error();
        return fail(r, reasm_reason(st, false));
    }
    auto const& rip = s.response_set.ip();
    if (rip.proto != net::ipproto_udp) {
        return fail(r, vc::response_not_udp);
    }
    net::udp_header rudp;
    if (auto const e = net::parse_udp(s.response_set.payload(), rudp); e != net::errc::ok) {
        r.ip_error = e;
        return fail(r, vc::response_packet_malformed);
    }
    r.fragmented = s.response_set.reassembled();
    if (!same_address(qip.src, r.query_ip) || !same_address(qip.dst, r.response_ip) ||
        !same_address(rip.src, r.response_ip) || !same_address(rip.dst, r.query_ip)) {
        return fail(r, vc::addr_mismatch);
    }
    if (qudp.src_port != v.query_port() || qudp.dst_port != v.response_port() ||
        rudp.src_port != v.response_port() || rudp.dst_port != v.query_port()) {
        return fail(r, vc::port_mismatch);
    }
    if (v.response_port() != 53) {
        return fail(r, vc::response_port_not_53);
    }
    r.query_port = static_cast<std::uint16_t>(v.query_port());
    bool const zeroed = v.resolver_address_zeroed().value_or(false);
    if (auto const ck = v.udp_checksum()) {
        switch (static_cast<nmsg::udp_checksum>(*ck)) {
        case nmsg::udp_checksum::correct:
        case nmsg::udp_checksum::absent:
            break;
        case nmsg::udp_checksum::incorrect:
            return fail(r, vc::checksum_incorrect);
        case nmsg::udp_checksum::error:
            if (!zeroed) {
                return fail(r, vc::checksum_error);
            }
            break;
        default:
            return fail(r, vc::checksum_unknown);
        }
        r.checksum = static_cast<nmsg::udp_checksum>(*ck);
    } else if (!zeroed) {
        // A zeroed resolver address makes the pseudo-header unknowable: nothing to compute.
        r.checksum_computed = true;
        if (rudp.checksum == 0 && rip.src.family == 4) {
            r.checksum = nmsg::udp_checksum::absent;
        } else if (net::udp_checksum_ok(rip.src, rip.dst, rudp.datagram)) {
            r.checksum = nmsg::udp_checksum::correct;
        } else {
            return fail(r, vc::checksum_incorrect);
        }
    }
    core::byte_view const rwire = rudp.payload;
    r.response_wire = rwire;
    if (rwire.size() < dns::header_len) {
        r.dns_error = dns::errc::message_too_short;
        return fail(r, vc::response_malformed);
    }
    auto const rh = dns::header::load(rwire.data());
    if (!rh.qr()) {
        return fail(r, vc::response_not_qr);
    }
    if (rh.opcode() != 0) {
        return fail(r, vc::opcode_not_query);
    }
    if (rh.id != qh.id || v.id() != qh.id) {
        return fail(r, vc::id_mismatch);
    }
    if (rh.qdcount != 1) {
        return fail(r, vc::question_mismatch);
    }
    std::size_t rpos = dns::header_len;
    if (auto const e = dns::read_question(rwire, rpos, r.question); e != dns::errc::ok) {
        r.dns_error = e;
        return fail(r, vc::response_malformed);
    }
    if (r.question.type != qq.type || r.question.cls != qq.cls) {
        return fail(r, vc::question_mismatch);
    }
    dns::name_buffer qbuf;
    auto const qn = dns::read_name_canonical(qwire, qq.name_off, qbuf);
    auto const rn = dns::read_name_canonical(rwire, r.question.name_off, s.qname);
    if (!qn.ok() || !rn.ok()) {
        // read_question already walked both names; kept for the guardian's sake.
        r.dns_error = qn.ok() ? rn.err : qn.err;
        return fail(r, qn.ok() ? vc::response_malformed : vc::query_dns_malformed);
    }
    if (qn.wire_len != rn.wire_len || std::memcmp(qbuf.data(), s.qname.data(), qn.wire_len) != 0) {
        return fail(r, vc::question_mismatch);
    }
    r.qname = core::byte_view{s.qname.data(), rn.wire_len};

    // Rule 5: the whole response parses; RRsets for NOERROR without TC.
    if (auto const e = s.message.parse(rwire); e != dns::errc::ok) {
        r.dns_error = e;
        return fail(r, vc::response_malformed);
    }
    r.tc = rh.tc();
    r.rcode = s.message.full_rcode();
    r.route = r.rcode == 0   ? rcode_route::noerror
              : r.rcode == 3 ? rcode_route::nxdomain
                             : rcode_route::error;
    if (r.route == rcode_route::noerror && !r.tc) {
        if (auto const e = s.rrsets.build(s.message); e != dns::errc::ok) {
            r.dns_error = e;
            return fail(r, vc::rrsets_overflow);
        }
        r.rrsets_valid = true;
        r.rrsets = &s.rrsets;
    }
    r.message = &s.message;
    r.response_set = &s.response_set;
    r.dnsqr = &s.dnsqr;

    // Rule 6: the participant's own zones.
    if (opt.exclude != nullptr && opt.exclude(opt.exclude_ctx, r.qname)) {
        return fail(r, vc::excluded);
    }

    auto const rs = v.response_time_sec();
    auto const rns = v.response_time_nsec();
    r.response_time_sec = rs.empty() ? in.time_sec : *rs.begin();
    r.response_time_nsec = rns.empty() ? static_cast<std::int32_t>(in.time_nsec) : *rns.begin();
    r.reason = vc::accepted;
    return vc::accepted;
}

void count(verify_counters& c, const verify_result& r) noexcept
{
    c.add(r.reason);
    if (!r.accepted()) {
        return;
    }
    switch (r.route) {
    case rcode_route::noerror:
        c.add(vc::route_noerror);
        break;
    case rcode_route::nxdomain:
        c.add(vc::route_nxdomain);
        break;
    case rcode_route::error:
        c.add(vc::route_error);
        break;
    case rcode_route::none:
        break;
    }
    if (r.tc) {
        c.add(vc::truncated);
    }
    if (r.fragmented) {
        c.add(vc::fragmented_response);
    }
    if (r.checksum_computed) {
        c.add(vc::checksum_computed);
    }
    if (r.rrsets_valid && r.rrsets != nullptr) {
        c.add(vc::rrsets, r.rrsets->sets().size());
    }
}

bool write_dnsnx(const verify_result& r, core::out_buffer& out) noexcept
{
    if (!r.accepted() || r.route != rcode_route::nxdomain || r.message == nullptr) {
        return false;
    }
    nmsg::dnsnx_fields f;
    f.qname = r.qname;
    f.qtype = r.question.type;
    f.qclass = r.question.cls;
    f.response_ip = r.response_ip;
    f.response_time_sec = r.response_time_sec;
    f.response_time_nsec = r.response_time_nsec;
    dns::name_buffer soa;
    for (auto const& rr : r.message->records(dns::section::authority)) {
        if (rr.type == dns::rrtype::soa) {
            auto const n = dns::read_name_canonical(r.message->wire(), rr.owner_off, soa);
            if (n.ok()) {
                f.soa_rrname = core::byte_view{soa.data(), n.wire_len};
            }
            break;
        }
    }
    std::size_t const mark = out.size();
    if (!nmsg::encode(out, f)) {
        out.rewind(mark);
        return false;
    }
    return true;
}

} // namespace siehub::pipeline
