// SPDX-License-Identifier: Apache-2.0
#include "axa/message.hpp"

#include <cstring>

#include "core/cursor.hpp"

namespace siehub::axa {

namespace {

enum class tag_rule : std::int8_t { none = -1, either = 0, required = 1 };

struct op_rule {
    bool to_server = false; // a client may send it
    bool to_client = false; // a server may send it to an SRA client
    bool rad_admin = false; // RAD/admin server->client op: never for an SRA client
    tag_rule tag = tag_rule::either;
    std::uint32_t min = 0;
    std::uint32_t max = 0;
};

// Body limits from the client's axa_ck_hdr (spec §4). nullopt-like: known=false for gaps.
bool lookup_rule(std::uint8_t o, op_rule& r) noexcept
{
    constexpr auto any = static_cast<std::uint32_t>(max_body_len);
    switch (static_cast<op>(o)) {
    case op::nop: r = {true, true, false, tag_rule::either, 0, 0}; return true;
    case op::hello: r = {true, true, false, tag_rule::none, 10, 522}; return true;
    case op::ok:
    case op::error: r = {false, true, false, tag_rule::either, 1, 513}; return true;
    case op::missed:
        r = {false, true, false, tag_rule::none, missed_body_len, missed_body_len};
        return true;
    case op::whit: r = {false, true, false, tag_rule::required, whit_min_len, any}; return true;
    case op::wlist: r = {false, true, false, tag_rule::either, 8, 264}; return true;
    case op::clist:
        r = {false, true, false, tag_rule::either, clist_body_len, clist_body_len};
        return true;
    case op::mgmt_getrsp: r = {false, true, false, tag_rule::either, 50, 50}; return true;
    case op::ahit:
    case op::alist:
    case op::missed_rad:
    case op::kill_rsp:
    case op::stats_rsp: r = {false, false, true, tag_rule::either, 0, any}; return true;
    case op::user:
        r = {true, false, false, tag_rule::either, user_body_len, user_body_len};
        return true;
    case op::join:
        r = {true, false, false, tag_rule::either, join_body_len, join_body_len};
        return true;
    case op::pause:
    case op::go:
    case op::wget:
    case op::all_stop:
    case op::cget:
    case op::acct:
    case op::mgmt_get:
    case op::aget:
    case op::radu: r = {true, false, false, tag_rule::either, 0, 0}; return true;
    case op::watch:
        r = {true, false, false, tag_rule::required, watch_fixed_len, watch_max_len};
        return true;
    case op::stop: r = {true, false, false, tag_rule::required, 0, 0}; return true;
    // ANOM's layout is RAD business; the session refuses it whatever it holds.
    case op::anom: r = {true, false, false, tag_rule::either, 0, any}; return true;
    case op::channel: r = {true, false, false, tag_rule::either, 3, 3}; return true;
    case op::opt: r = {true, true, false, tag_rule::either, opt_fixed_len, 1032}; return true;
    case op::kill_req: r = {true, false, false, tag_rule::either, 76, 76}; return true;
    case op::stats_req: r = {true, false, false, tag_rule::either, 70, 70}; return true;
    }
    return false;
}

bool nul_terminated(byte_view b) noexcept
{
    return !b.empty() && b.back() == 0;
}

// Text up to the first NUL (or the whole field).
std::string_view c_string(byte_view b) noexcept
{
    auto const s = core::as_chars(b);
    auto const n = s.find('\0');
    return n == std::string_view::npos ? s : s.substr(0, n);
}

std::uint16_t le16(byte_view b, std::size_t off) noexcept
{
    return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8));
}

std::size_t opt_value_len(std::uint8_t type) noexcept
{
    switch (static_cast<opt_type>(type)) {
    case opt_type::trace:
    case opt_type::sample:
    case opt_type::sndbuf: return 4;
    case opt_type::rlimit: return rlimit_value_len;
    }
    return 0;
}

errc check_body(op o, byte_view body) noexcept
{
    switch (o) {
    case op::hello:
    case op::ok:
    case op::error:
    case op::user: return nul_terminated(body) ? errc::ok : errc::string_unterminated;
    case op::whit: return parse_whit(body).err;
    case op::wlist: return parse_wlist(body).err;
    case op::clist: return parse_clist(body).err;
    case op::watch: return parse_watch(body).err;
    case op::channel: return parse_channel(body).err;
    case op::opt: return parse_opt(body).err;
    case op::mgmt_getrsp:
        return core::as_chars(body) == mgmt_deprecated_text ? errc::ok : errc::mgmt_text;
    default: return errc::ok;
    }
}

// Reserves header + body in one piece and writes the header; nullptr when it does not fit,
// so a full buffer never holds half a message.
std::uint8_t* begin_message(out_buffer& out, op o, std::uint16_t tag, std::uint8_t pvers,
                            std::size_t body_len) noexcept
{
    auto* p = out.reserve(header_len + body_len);
    if (p == nullptr) {
        return nullptr;
    }
    core::store_le32(p, static_cast<std::uint32_t>(header_len + body_len));
    p[4] = static_cast<std::uint8_t>(tag);
    p[5] = static_cast<std::uint8_t>(tag >> 8);
    p[6] = pvers;
    p[7] = static_cast<std::uint8_t>(o);
    return p + header_len;
}

void store_le16(std::uint8_t* p, std::uint16_t v) noexcept
{
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}

} // namespace

header_result parse_header(byte_view b) noexcept
{
    header_result r;
    core::wire_cursor<errc> c(b);
    r.h.len = c.le32(errc::header_truncated);
    auto const tag_lo = c.u8(errc::header_truncated);
    auto const tag_hi = c.u8(errc::header_truncated);
    r.h.tag = static_cast<std::uint16_t>(tag_lo | (tag_hi << 8));
    r.h.pvers = c.u8(errc::header_truncated);
    r.h.op = c.u8(errc::header_truncated);
    if (!c.ok()) {
        r.err = c.error();
    } else if (r.h.len < header_len) {
        r.err = errc::len_too_small;
    } else if (r.h.len - header_len > max_body_len) {
        r.err = errc::body_too_large;
    } else if (r.h.pvers < pvers_min || r.h.pvers > pvers_max) {
        r.err = errc::bad_pvers;
    }
    return r;
}

frame next_frame(byte_view stream) noexcept
{
    frame f;
    if (stream.size() < header_len) {
        return f;
    }
    auto const hr = parse_header(stream);
    f.h = hr.h;
    if (!hr.ok()) {
        f.err = hr.err;
        return f;
    }
    if (stream.size() < hr.h.len) {
        return f;
    }
    f.complete = true;
    f.body = stream.subspan(header_len, hr.h.body_len());
    f.size = hr.h.len;
    return f;
}

errc check_message(direction dir, const header& h, byte_view body) noexcept
{
    if (body.size() != h.body_len()) {
        return body.size() < h.body_len() ? errc::body_too_short : errc::body_too_long;
    }
    op_rule r;
    if (!lookup_rule(h.op, r)) {
        return errc::unknown_op;
    }
    if (dir == direction::to_client && r.rad_admin) {
        return errc::not_for_sra;
    }
    if (!(dir == direction::to_server ? r.to_server : r.to_client)) {
        return errc::wrong_direction;
    }
    if (r.tag == tag_rule::required && h.tag == tag_none) {
        return errc::tag_missing;
    }
    if (r.tag == tag_rule::none && h.tag != tag_none) {
        return errc::tag_forbidden;
    }
    if (body.size() < r.min) {
        return errc::body_too_short;
    }
    if (body.size() > r.max) {
        return errc::body_too_long;
    }
    return check_body(h.opcode(), body);
}

hello_view parse_hello(byte_view body) noexcept
{
    hello_view v;
    core::wire_cursor<errc> c(body);
    v.id = c.le64(errc::body_too_short);
    v.pvers_min = c.u8(errc::body_too_short);
    v.pvers_max = c.u8(errc::body_too_short);
    if (!c.ok()) {
        v.err = c.error();
        return v;
    }
    auto const rest = c.rest();
    if (!nul_terminated(rest)) {
        v.err = errc::string_unterminated;
        return v;
    }
    v.text = c_string(rest);
    return v;
}

result_view parse_result(byte_view body) noexcept
{
    result_view v;
    if (body.empty()) {
        v.err = errc::body_too_short;
        return v;
    }
    v.orig_op = body[0];
    auto const rest = body.subspan(1);
    if (!nul_terminated(rest)) {
        v.err = errc::string_unterminated;
        return v;
    }
    v.text = c_string(rest);
    return v;
}

missed_view parse_missed(byte_view body) noexcept
{
    missed_view v;
    core::wire_cursor<errc> c(body);
    v.f.missed = c.le64(errc::body_too_short);
    v.f.dropped = c.le64(errc::body_too_short);
    v.f.rlimit = c.le64(errc::body_too_short);
    v.f.filtered = c.le64(errc::body_too_short);
    v.f.last_report = c.le32(errc::body_too_short);
    if (c.ok() && !c.at_end()) {
        c.fail(errc::body_too_long);
    }
    v.err = c.error();
    return v;
}

whit_view parse_whit(byte_view body) noexcept
{
    whit_view v;
    if (body.size() < 4) {
        v.err = errc::whit_short;
        return v;
    }
    std::uint16_t const ch = le16(body, 0);
    v.type = static_cast<whit_type>(body[2]);
    if (ch > ch_max) {
        v.err = errc::channel_range;
        return v;
    }
    core::wire_cursor<errc> c(body.subspan(4));
    if (v.type == whit_type::nmsg) {
        v.nmsg.ch = ch;
        auto const f = c.take(whit_nmsg_hdr_len - 4, errc::whit_short);
        if (!c.ok()) {
            v.err = c.error();
            return v;
        }
        v.nmsg.field_idx = le16(f, 0);
        v.nmsg.val_idx = le16(f, 2);
        v.nmsg.vid = le16(f, 4);
        v.nmsg.msgtype = le16(f, 6);
        v.nmsg.tv_sec = core::load_le32(f.data() + 8);
        v.nmsg.tv_nsec = core::load_le32(f.data() + 12);
    } else if (v.type == whit_type::ip) {
        v.ip.ch = ch;
        v.ip.tv_sec = c.le32(errc::whit_short);
        v.ip.tv_usec = c.le32(errc::whit_short);
        v.ip.ip_len = c.le32(errc::whit_short);
        if (!c.ok()) {
            v.err = c.error();
            return v;
        }
    } else {
        v.err = errc::whit_type;
        return v;
    }
    v.data = c.rest();
    return v;
}

wlist_view parse_wlist(byte_view body) noexcept
{
    wlist_view v;
    if (body.size() < 4) {
        v.err = errc::body_too_short;
        return v;
    }
    v.cur_tag = le16(body, 0);
    if (body[2] != 0 || body[3] != 0) {
        v.err = errc::wlist_pad;
        return v;
    }
    v.w = parse_watch(body.subspan(4));
    v.err = v.w.err;
    return v;
}

clist_view parse_clist(byte_view body) noexcept
{
    clist_view v;
    if (body.size() != clist_body_len) {
        v.err = body.size() < clist_body_len ? errc::body_too_short : errc::body_too_long;
        return v;
    }
    v.ch = le16(body, 0);
    v.on = body[2] != 0;
    if (v.ch > ch_max) {
        v.err = errc::channel_range;
        return v;
    }
    if (!nul_terminated(body)) {
        v.err = errc::string_unterminated;
        return v;
    }
    v.spec = c_string(body.subspan(3));
    return v;
}

user_view parse_user(byte_view body) noexcept
{
    user_view v;
    if (body.size() != user_body_len) {
        v.err = body.size() < user_body_len ? errc::body_too_short : errc::body_too_long;
        return v;
    }
    if (!nul_terminated(body)) {
        v.err = errc::string_unterminated;
        return v;
    }
    v.name = c_string(body);
    return v;
}

channel_view parse_channel(byte_view body) noexcept
{
    channel_view v;
    if (body.size() != 3) {
        v.err = body.size() < 3 ? errc::body_too_short : errc::body_too_long;
        return v;
    }
    v.ch = le16(body, 0);
    v.on = body[2] != 0;
    if (v.ch > ch_max && v.ch != ch_all) {
        v.err = errc::channel_range;
    }
    return v;
}

opt_view parse_opt(byte_view body) noexcept
{
    opt_view v;
    if (body.size() < opt_fixed_len) {
        v.err = errc::body_too_short;
        return v;
    }
    std::size_t const want = opt_value_len(body[0]);
    if (want == 0) {
        v.err = errc::opt_type;
        return v;
    }
    v.type = static_cast<opt_type>(body[0]);
    if (body.size() != opt_fixed_len + want) {
        v.err = errc::opt_len;
        return v;
    }
    core::wire_cursor<errc> c(body.subspan(opt_fixed_len));
    if (v.type == opt_type::rlimit) {
        v.rlimit.max_pkts_per_sec = c.le64(errc::opt_len);
        v.rlimit.cur_pkts_per_sec = c.le64(errc::opt_len);
        v.rlimit.unused1 = c.le64(errc::opt_len);
        v.rlimit.unused2 = c.le64(errc::opt_len);
        v.rlimit.report_secs = c.le64(errc::opt_len);
    } else {
        v.u32 = c.le32(errc::opt_len);
    }
    v.err = c.error();
    return v;
}

// ---- writers ------------------------------------------------------------------------------

bool write_message(out_buffer& out, op o, std::uint16_t tag, std::uint8_t pvers,
                   byte_view body) noexcept
{
    auto* p = begin_message(out, o, tag, pvers, body.size());
    if (p == nullptr) {
        return false;
    }
    if (!body.empty()) {
        std::memcpy(p, body.data(), body.size());
    }
    return true;
}

bool write_empty(out_buffer& out, op o, std::uint16_t tag, std::uint8_t pvers) noexcept
{
    return begin_message(out, o, tag, pvers, 0) != nullptr;
}

bool write_hello(out_buffer& out, std::uint8_t pvers, std::uint64_t id, std::uint8_t min,
                 std::uint8_t max, std::string_view text) noexcept
{
    if (text.size() > 511) {
        text = text.substr(0, 511);
    }
    auto* p = begin_message(out, op::hello, tag_none, pvers, 10 + text.size() + 1);
    if (p == nullptr) {
        return false;
    }
    core::store_le64(p, id);
    p[8] = min;
    p[9] = max;
    std::memcpy(p + 10, text.data(), text.size());
    p[10 + text.size()] = 0;
    return true;
}

bool write_result(out_buffer& out, op ok_or_error, std::uint16_t tag, std::uint8_t pvers,
                  std::uint8_t orig_op, std::string_view text) noexcept
{
    if (text.size() > 511) {
        text = text.substr(0, 511);
    }
    auto* p = begin_message(out, ok_or_error, tag, pvers, 1 + text.size() + 1);
    if (p == nullptr) {
        return false;
    }
    p[0] = orig_op;
    std::memcpy(p + 1, text.data(), text.size());
    p[1 + text.size()] = 0;
    return true;
}

bool write_missed(out_buffer& out, std::uint8_t pvers, const missed_fields& f) noexcept
{
    auto* p = begin_message(out, op::missed, tag_none, pvers, missed_body_len);
    if (p == nullptr) {
        return false;
    }
    core::store_le64(p, f.missed);
    core::store_le64(p + 8, f.dropped);
    core::store_le64(p + 16, f.rlimit);
    core::store_le64(p + 24, f.filtered);
    core::store_le32(p + 32, f.last_report);
    return true;
}

bool write_whit_nmsg(out_buffer& out, std::uint16_t tag, std::uint8_t pvers,
                     const whit_nmsg_fields& f, byte_view nmsg) noexcept
{
    if (whit_nmsg_hdr_len + nmsg.size() > max_body_len) {
        out.reserve(out.room() + 1); // sticky failure: such a hit cannot be framed
        return false;
    }
    auto* p = begin_message(out, op::whit, tag, pvers, whit_nmsg_hdr_len + nmsg.size());
    if (p == nullptr) {
        return false;
    }
    store_le16(p, f.ch);
    p[2] = static_cast<std::uint8_t>(whit_type::nmsg);
    p[3] = 0;
    store_le16(p + 4, f.field_idx);
    store_le16(p + 6, f.val_idx);
    store_le16(p + 8, f.vid);
    store_le16(p + 10, f.msgtype);
    core::store_le32(p + 12, f.tv_sec);
    core::store_le32(p + 16, f.tv_nsec);
    if (!nmsg.empty()) {
        std::memcpy(p + whit_nmsg_hdr_len, nmsg.data(), nmsg.size());
    }
    return true;
}

bool write_whit_ip(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, const whit_ip_fields& f,
                   byte_view packet) noexcept
{
    if (whit_ip_hdr_len + packet.size() > max_body_len) {
        out.reserve(out.room() + 1);
        return false;
    }
    auto* p = begin_message(out, op::whit, tag, pvers, whit_ip_hdr_len + packet.size());
    if (p == nullptr) {
        return false;
    }
    store_le16(p, f.ch);
    p[2] = static_cast<std::uint8_t>(whit_type::ip);
    p[3] = 0;
    core::store_le32(p + 4, f.tv_sec);
    core::store_le32(p + 8, f.tv_usec);
    core::store_le32(p + 12, f.ip_len);
    if (!packet.empty()) {
        std::memcpy(p + whit_ip_hdr_len, packet.data(), packet.size());
    }
    return true;
}

bool write_wlist(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint16_t cur_tag,
                 byte_view watch) noexcept
{
    auto* p = begin_message(out, op::wlist, tag, pvers, 4 + watch.size());
    if (p == nullptr) {
        return false;
    }
    store_le16(p, cur_tag);
    p[2] = 0;
    p[3] = 0;
    if (!watch.empty()) {
        std::memcpy(p + 4, watch.data(), watch.size());
    }
    return true;
}

bool write_clist(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint16_t ch,
                 bool on, std::string_view spec) noexcept
{
    if (spec.size() > clist_spec_len - 1) {
        spec = spec.substr(0, clist_spec_len - 1);
    }
    auto* p = begin_message(out, op::clist, tag, pvers, clist_body_len);
    if (p == nullptr) {
        return false;
    }
    store_le16(p, ch);
    p[2] = on ? 1 : 0;
    std::memset(p + 3, 0, clist_spec_len);
    std::memcpy(p + 3, spec.data(), spec.size());
    return true;
}

bool write_mgmt_getrsp(out_buffer& out, std::uint16_t tag, std::uint8_t pvers) noexcept
{
    return write_message(out, op::mgmt_getrsp, tag, pvers, core::as_bytes(mgmt_deprecated_text));
}

bool write_opt_u32(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, opt_type t,
                   std::uint32_t value) noexcept
{
    auto* p = begin_message(out, op::opt, tag, pvers, opt_fixed_len + 4);
    if (p == nullptr) {
        return false;
    }
    std::memset(p, 0, opt_fixed_len);
    p[0] = static_cast<std::uint8_t>(t);
    core::store_le32(p + opt_fixed_len, value);
    return true;
}

bool write_opt_rlimit(out_buffer& out, std::uint16_t tag, std::uint8_t pvers,
                      const rlimit_fields& f) noexcept
{
    auto* p = begin_message(out, op::opt, tag, pvers, opt_fixed_len + rlimit_value_len);
    if (p == nullptr) {
        return false;
    }
    std::memset(p, 0, opt_fixed_len);
    p[0] = static_cast<std::uint8_t>(opt_type::rlimit);
    core::store_le64(p + 8, f.max_pkts_per_sec);
    core::store_le64(p + 16, f.cur_pkts_per_sec);
    core::store_le64(p + 24, f.unused1);
    core::store_le64(p + 32, f.unused2);
    core::store_le64(p + 40, f.report_secs);
    return true;
}

bool write_user(out_buffer& out, std::uint16_t tag, std::uint8_t pvers,
                std::string_view name) noexcept
{
    if (name.size() > user_body_len - 1) {
        name = name.substr(0, user_body_len - 1);
    }
    auto* p = begin_message(out, op::user, tag, pvers, user_body_len);
    if (p == nullptr) {
        return false;
    }
    std::memset(p, 0, user_body_len);
    std::memcpy(p, name.data(), name.size());
    return true;
}

bool write_join(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint64_t id) noexcept
{
    auto* p = begin_message(out, op::join, tag, pvers, join_body_len);
    if (p == nullptr) {
        return false;
    }
    core::store_le64(p, id);
    return true;
}

bool write_watch_msg(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, byte_view watch) noexcept
{
    return write_message(out, op::watch, tag, pvers, watch);
}

bool write_channel(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint16_t ch,
                   bool on) noexcept
{
    auto* p = begin_message(out, op::channel, tag, pvers, 3);
    if (p == nullptr) {
        return false;
    }
    store_le16(p, ch);
    p[2] = on ? 1 : 0;
    return true;
}

} // namespace siehub::axa
