// SPDX-License-Identifier: Apache-2.0
#pragma once
// AXA protocol v1-v2 vocabulary (spec/axa.md §2, §4): header, opcodes, limits and every reason
// the codec or the session can refuse a message. Each reason's to_string name becomes a
// counter reason (`axa.<name>`); describe() is the text sent to the client in an ERROR.

#include <cstddef>
#include <cstdint>

namespace siehub::axa {

inline constexpr std::size_t header_len = 8;
inline constexpr std::size_t max_body_len = 196608;
inline constexpr std::uint8_t pvers_min = 1;
inline constexpr std::uint8_t pvers_max = 2;
inline constexpr std::uint16_t ch_max = 4095;
inline constexpr std::uint16_t ch_all = 0xFFFF;
inline constexpr std::uint16_t tag_none = 0;

enum class op : std::uint8_t {
    nop = 0,
    hello = 1,
    ok = 2,
    error = 3,
    missed = 4,
    whit = 5,
    wlist = 6,
    ahit = 7,
    alist = 8,
    clist = 9,
    missed_rad = 10,
    mgmt_getrsp = 11,
    kill_rsp = 12,
    stats_rsp = 13,
    user = 129,
    join = 130,
    pause = 131,
    go = 132,
    watch = 133,
    wget = 134,
    anom = 135,
    aget = 136,
    stop = 137,
    all_stop = 138,
    channel = 139,
    cget = 140,
    opt = 141,
    acct = 142,
    radu = 143,
    mgmt_get = 144,
    kill_req = 145,
    stats_req = 146,
};

// Who sends the message: the server checks what clients send (to_server); tests and tools
// check what the server writes with the rules the real client applies (to_client).
enum class direction : std::uint8_t { to_server, to_client };

enum class errc : std::uint8_t {
    ok = 0,
    // header (§2)
    header_truncated, // fewer than 8 bytes
    len_too_small,    // len < 8
    body_too_large,   // len - 8 > 196608
    bad_pvers,        // pvers not 1 or 2
    unknown_op,       // an opcode the protocol does not define
    wrong_direction,  // e.g. a client sending OK/WHIT, a server sending USER
    not_for_sra,      // RAD/admin opcodes towards an SRA client
    body_too_short,   // body shorter than the op allows
    body_too_long,    // body longer than the op allows
    tag_missing,      // op requires a tag (WATCH, STOP, WHIT)
    tag_forbidden,    // op forbids a tag (HELLO, MISSED)
    // bodies (§4)
    string_unterminated, // last byte of a string field is not NUL
    channel_range,       // channel > 4095 (and not 0xFFFF where "all" is allowed)
    wlist_pad,           // WLIST pad bytes not zero
    whit_type,           // WHIT type neither NMSG (0) nor IP (1)
    whit_short,          // WHIT shorter than its type's fixed header
    opt_type,            // unknown OPT type
    opt_len,             // OPT body != 8 + the type's value size
    mgmt_text,           // MGMT_GETRSP is not the fixed deprecation text
    // watches (§5.1)
    watch_pad,            // pad byte not zero
    watch_flags,          // a flag bit other than WILD/SHARED
    watch_type,           // unknown watch type
    watch_ip_len,         // IPv4 pattern not 1-4 bytes / IPv6 not 1-16 bytes
    watch_ip_prefix,      // prefix 0, beyond the family, or longer than the pattern
    watch_dns_len,        // empty DNS pattern
    watch_dns_labels,     // label lengths do not add up to the pattern exactly
    watch_dns_label_type, // a label length byte >= 0x40 (label > 63 or pointer)
    watch_dns_too_long,   // name longer than 255 bytes
    watch_ch_len,         // channel watch pattern not 2 bytes
    watch_errors_len,     // errors watch with a pattern
    // session refusals: the request is well formed, the session goes on (§3)
    not_logged_in,         // a request before a successful USER
    invalid_user,          // USER name unknown
    already_logged_in,     // a second USER
    not_supported,         // JOIN, RAD and admin requests, MGMT_GET
    too_many_watches,      // the per-session watch limit is reached
    no_such_watch,         // STOP or WGET of a tag that has no watch
    no_watches,            // WGET with no watches installed
    channel_not_permitted, // CHANNEL outside the account
    no_channels,           // CGET for an account without channels
    bad_option_value,      // OPT value out of range (sample > 100 %, sndbuf < 1024 ...)
    // session closes (§3)
    login_failures,   // too many failed USER attempts
    login_timeout,    // no USER within the login delay
    idle_timeout,     // nothing received for the idle limit
    reply_overflow,   // the caller's TX buffer cannot hold a reply
};

// Stable snake_case name (counter reason).
const char* to_string(errc e) noexcept;
// Human text for the ERROR message sent to the client.
const char* describe(errc e) noexcept;
// True for the reasons that keep the session (an ERROR, then go on).
bool is_refusal(errc e) noexcept;

// Operation name as libaxa's axa_op_to_str prints it ("WATCH", "CHANNEL ON/OFF" ...).
const char* op_name(std::uint8_t op) noexcept;

struct header {
    std::uint32_t len = 0;
    std::uint16_t tag = 0;
    std::uint8_t pvers = 0;
    std::uint8_t op = 0;

    [[nodiscard]] std::size_t body_len() const noexcept { return len - header_len; }
    [[nodiscard]] axa::op opcode() const noexcept { return static_cast<axa::op>(op); }
};

} // namespace siehub::axa
