// SPDX-License-Identifier: Apache-2.0
#include "axa/protocol.hpp"

#include <iterator>

namespace siehub::axa {

namespace {

struct errc_text {
    const char* name;
    const char* text;
};

// Indexed by errc; the static_assert below keeps it in step with the enum.
constexpr errc_text errc_table[] = {
    {"ok", "ok"},
    {"header_truncated", "truncated header"},
    {"len_too_small", "header length below 8"},
    {"body_too_large", "body longer than 196608 bytes"},
    {"bad_pvers", "unsupported protocol version"},
    {"unknown_op", "unknown opcode"},
    {"wrong_direction", "opcode not allowed in this direction"},
    {"not_for_sra", "RAD or admin opcode"},
    {"body_too_short", "body too short for the opcode"},
    {"body_too_long", "body too long for the opcode"},
    {"tag_missing", "missing tag"},
    {"tag_forbidden", "unexpected tag"},
    {"string_unterminated", "string not NUL terminated"},
    {"channel_range", "invalid channel"},
    {"wlist_pad", "bad watch list padding"},
    {"whit_type", "bad watch hit type"},
    {"whit_short", "watch hit too short"},
    {"opt_type", "unknown option type"},
    {"opt_len", "bad option length"},
    {"mgmt_text", "bad mgmt response"},
    {"watch_pad", "bad watch pad byte"},
    {"watch_flags", "bad watch flags"},
    {"watch_type", "unknown watch type"},
    {"watch_ip_len", "bad IP watch address length"},
    {"watch_ip_prefix", "bad IP watch prefix length"},
    {"watch_dns_len", "bad dns watch length"},
    {"watch_dns_labels", "bad dns label lengths"},
    {"watch_dns_label_type", "dns label longer than 63 bytes"},
    {"watch_dns_too_long", "dns name longer than 255 bytes"},
    {"watch_ch_len", "bad channel watch length"},
    {"watch_errors_len", "bad error watch length"},
    {"not_logged_in", "not logged in"},
    {"invalid_user", "invalid user"},
    {"already_logged_in", "already logged in"},
    {"not_supported", "not supported"},
    {"too_many_watches", "too many watches"},
    {"no_such_watch", "no such watch"},
    {"no_watches", "no watches"},
    {"channel_not_permitted", "channel not permitted"},
    {"no_channels", "no channels"},
    {"bad_option_value", "invalid option value"},
    {"login_failures", "too many failed logins"},
    {"login_timeout", "login timeout"},
    {"idle_timeout", "idle timeout"},
    {"reply_overflow", "reply too large"},
};
static_assert(sizeof(errc_table) / sizeof(errc_table[0]) ==
              static_cast<std::size_t>(errc::reply_overflow) + 1);

} // namespace

const char* to_string(errc e) noexcept
{
    auto const i = static_cast<std::size_t>(e);
    return i < std::size(errc_table) ? errc_table[i].name : "unknown";
}

const char* describe(errc e) noexcept
{
    auto const i = static_cast<std::size_t>(e);
    return i < std::size(errc_table) ? errc_table[i].text : "unknown";
}

bool is_refusal(errc e) noexcept
{
    return e >= errc::not_logged_in && e <= errc::bad_option_value;
}

const char* op_name(std::uint8_t o) noexcept
{
    switch (static_cast<op>(o)) {
    case op::nop: return "NOP";
    case op::hello: return "HELLO";
    case op::ok: return "OK";
    case op::error: return "ERROR";
    case op::missed: return "MISSED";
    case op::whit: return "WATCH HIT";
    case op::wlist: return "WATCH LIST";
    case op::ahit: return "ANOMALY HIT";
    case op::alist: return "ANOMALY LIST";
    case op::clist: return "CHANNEL LIST";
    case op::missed_rad: return "RAD MISSED";
    case op::mgmt_getrsp: return "MGMT GET RSPNS";
    case op::kill_rsp: return "KILL RSP";
    case op::stats_rsp: return "STATS RSP";
    case op::user: return "USER";
    case op::join: return "JOIN";
    case op::pause: return "PAUSE";
    case op::go: return "GO";
    case op::watch: return "WATCH";
    case op::wget: return "WATCH GET";
    case op::anom: return "ANOMALY";
    case op::aget: return "ANOMALY GET";
    case op::stop: return "STOP";
    case op::all_stop: return "ALL STOP";
    case op::channel: return "CHANNEL ON/OFF";
    case op::cget: return "CHANNEL GET";
    case op::opt: return "OPTION";
    case op::acct: return "ACCOUNTING";
    case op::radu: return "RAD UNITS GET";
    case op::mgmt_get: return "MGMT GET";
    case op::kill_req: return "KILL REQ";
    case op::stats_req: return "STATS REQ";
    }
    return "unknown op";
}

} // namespace siehub::axa
