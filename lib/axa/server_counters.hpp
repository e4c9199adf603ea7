// SPDX-License-Identifier: Apache-2.0
#pragma once
// Counters of the AXA server (lib/axa/server.hpp): connections, TLS, delivery, and every
// ERROR the sessions send, by reason (the errc values of protocol.hpp in the same order).

#include <array>
#include <cstdint>

#include "axa/protocol.hpp"
#include "telemetry/counters.hpp"

namespace siehub::axa {

enum class server_counter : std::uint8_t {
    accepted,
    refused_acl,
    refused_full,
    accept_errors,
    logins,
    closed_eof,
    closed_socket_error,
    closed_protocol,
    closed_reload,
    closed_stalled,
    closed_shutdown,
    tls_handshakes,
    tls_handshake_timeout,
    tls_handshake_failed,
    tls_errors,
    publish_payloads,
    publish_bad_payload,
    publish_unwanted,
    publish_matched,
    deliver_payloads,
    feed_ring_full,
    hits_stale,
    hits,
    hits_sampled_out,
    hits_rlimit,
    hits_dropped_paused,
    hits_dropped_queue,
    hits_queued,
    whit_sent,
    bytes_out,
    missed_reports_input,
    reloads,
    reload_errors,
    generations,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<server_counter>>
    server_counter_table{{
        {"axa.accepted", "connections accepted (TLS ones before their handshake)"},
        {"axa.refused_acl", "connections closed at accept: peer outside the listener's allow-list"},
        {"axa.refused_full", "connections closed at accept: the client limit is reached"},
        {"axa.accept_errors", "accept() failures other than EAGAIN"},
        {"axa.logins", "successful USER logins"},
        {"axa.closed_eof", "sessions ended by the client (EOF or reset)"},
        {"axa.closed_socket_error", "sessions closed on a socket error"},
        {"axa.closed_protocol", "sessions closed by the server after an ERROR (malformed input, timeouts)"},
        {"axa.closed_reload", "sessions closed because a reload removed their account"},
        {"axa.closed_stalled", "sessions closed: replies piled up beyond twice the queue limit"},
        {"axa.closed_shutdown", "sessions closed when the server stopped"},
        {"axa.tls_handshakes", "TLS handshakes completed"},
        {"axa.tls_handshake_timeout", "TLS connections closed: handshake not done in time"},
        {"axa.tls_handshake_failed", "TLS handshakes that failed"},
        {"axa.tls_errors", "TLS sessions closed on a TLS error after the handshake"},
        {"axa.publish_payloads", "payloads offered to the matcher"},
        {"axa.publish_bad_payload", "payloads dropped: not a decodable NmsgPayload (no WHIT possible)"},
        {"axa.publish_unwanted", "payloads on a channel no client has switched on"},
        {"axa.publish_matched", "payloads that matched at least one client"},
        {"axa.deliver_payloads",
         "payloads delivered with their hits, matched on a data-plane worker (the hub)"},
        {"axa.feed_ring_full", "payloads dropped: the feed ring into the server thread was full"},
        {"axa.hits_stale",
         "worker-matched hits discarded: the client index holds another session, or the client "
         "changed its watches or channels after the generation that matched them"},
        {"axa.hits", "(payload, client) hits considered (MISSED filtered)"},
        {"axa.hits_sampled_out", "hits skipped by the client's sampling"},
        {"axa.hits_rlimit", "hits discarded by the client's rate limit (MISSED rlimit)"},
        {"axa.hits_dropped_paused", "hits dropped: the client paused output (MISSED dropped)"},
        {"axa.hits_dropped_queue", "hits dropped: the client's output queue was full (MISSED dropped)"},
        {"axa.hits_queued", "WHITs queued to a client"},
        {"axa.whit_sent", "WHITs written to the socket (ACCT total-sent)"},
        {"axa.bytes_out", "bytes written to client sockets (TLS: plaintext)"},
        {"axa.missed_reports_input", "payloads lost before the server (feed ring, input loss) charged to clients as MISSED missed"},
        {"axa.reloads", "accounts reloads applied"},
        {"axa.reload_errors", "accounts reloads refused (parse error; old accounts kept)"},
        {"axa.generations", "matcher generations compiled"},
    }};

using server_counters = telemetry::counter_block<server_counter>;

enum class error_counter : std::uint8_t {
    header_truncated,
    len_too_small,
    body_too_large,
    bad_pvers,
    unknown_op,
    wrong_direction,
    not_for_sra,
    body_too_short,
    body_too_long,
    tag_missing,
    tag_forbidden,
    string_unterminated,
    channel_range,
    wlist_pad,
    whit_type,
    whit_short,
    opt_type,
    opt_len,
    mgmt_text,
    watch_pad,
    watch_flags,
    watch_type,
    watch_ip_len,
    watch_ip_prefix,
    watch_dns_len,
    watch_dns_labels,
    watch_dns_label_type,
    watch_dns_too_long,
    watch_ch_len,
    watch_errors_len,
    not_logged_in,
    invalid_user,
    already_logged_in,
    not_supported,
    too_many_watches,
    no_such_watch,
    no_watches,
    channel_not_permitted,
    no_channels,
    bad_option_value,
    login_failures,
    login_timeout,
    idle_timeout,
    reply_overflow,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<error_counter>>
    error_counter_table{{
        {"axa_error.header_truncated", "ERROR sent: fewer than 8 bytes"},
        {"axa_error.len_too_small", "ERROR sent: len < 8"},
        {"axa_error.body_too_large", "ERROR sent: len - 8 > 196608"},
        {"axa_error.bad_pvers", "ERROR sent: pvers not 1 or 2"},
        {"axa_error.unknown_op", "ERROR sent: an opcode the protocol does not define"},
        {"axa_error.wrong_direction", "ERROR sent: e.g. a client sending OK/WHIT, a server sending USER"},
        {"axa_error.not_for_sra", "ERROR sent: RAD/admin opcodes towards an SRA client"},
        {"axa_error.body_too_short", "ERROR sent: body shorter than the op allows"},
        {"axa_error.body_too_long", "ERROR sent: body longer than the op allows"},
        {"axa_error.tag_missing", "ERROR sent: op requires a tag (WATCH, STOP, WHIT)"},
        {"axa_error.tag_forbidden", "ERROR sent: op forbids a tag (HELLO, MISSED)"},
        {"axa_error.string_unterminated", "ERROR sent: last byte of a string field is not NUL"},
        {"axa_error.channel_range", "ERROR sent: channel > 4095 (and not 0xFFFF where \"all\" is allowed)"},
        {"axa_error.wlist_pad", "ERROR sent: WLIST pad bytes not zero"},
        {"axa_error.whit_type", "ERROR sent: WHIT type neither NMSG (0) nor IP (1)"},
        {"axa_error.whit_short", "ERROR sent: WHIT shorter than its type's fixed header"},
        {"axa_error.opt_type", "ERROR sent: unknown OPT type"},
        {"axa_error.opt_len", "ERROR sent: OPT body != 8 + the type's value size"},
        {"axa_error.mgmt_text", "ERROR sent: MGMT_GETRSP is not the fixed deprecation text"},
        {"axa_error.watch_pad", "ERROR sent: pad byte not zero"},
        {"axa_error.watch_flags", "ERROR sent: a flag bit other than WILD/SHARED"},
        {"axa_error.watch_type", "ERROR sent: unknown watch type"},
        {"axa_error.watch_ip_len", "ERROR sent: IPv4 pattern not 1-4 bytes / IPv6 not 1-16 bytes"},
        {"axa_error.watch_ip_prefix", "ERROR sent: prefix 0, beyond the family, or longer than the pattern"},
        {"axa_error.watch_dns_len", "ERROR sent: empty DNS pattern"},
        {"axa_error.watch_dns_labels", "ERROR sent: label lengths do not add up to the pattern exactly"},
        {"axa_error.watch_dns_label_type", "ERROR sent: a label length byte >= 0x40 (label > 63 or pointer)"},
        {"axa_error.watch_dns_too_long", "ERROR sent: name longer than 255 bytes"},
        {"axa_error.watch_ch_len", "ERROR sent: channel watch pattern not 2 bytes"},
        {"axa_error.watch_errors_len", "ERROR sent: errors watch with a pattern"},
        {"axa_error.not_logged_in", "ERROR sent: a request before a successful USER"},
        {"axa_error.invalid_user", "ERROR sent: USER name unknown"},
        {"axa_error.already_logged_in", "ERROR sent: a second USER"},
        {"axa_error.not_supported", "ERROR sent: JOIN, RAD and admin requests, MGMT_GET"},
        {"axa_error.too_many_watches", "ERROR sent: the per-session watch limit is reached"},
        {"axa_error.no_such_watch", "ERROR sent: STOP or WGET of a tag that has no watch"},
        {"axa_error.no_watches", "ERROR sent: WGET with no watches installed"},
        {"axa_error.channel_not_permitted", "ERROR sent: CHANNEL outside the account"},
        {"axa_error.no_channels", "ERROR sent: CGET for an account without channels"},
        {"axa_error.bad_option_value", "ERROR sent: OPT value out of range (sample > 100 %, sndbuf < 1024 ...)"},
        {"axa_error.login_failures", "ERROR sent: too many failed USER attempts"},
        {"axa_error.login_timeout", "ERROR sent: no USER within the login delay"},
        {"axa_error.idle_timeout", "ERROR sent: nothing received for the idle limit"},
        {"axa_error.reply_overflow", "ERROR sent: the caller's TX buffer cannot hold a reply"},
    }};

using error_counters = telemetry::counter_block<error_counter>;

inline constexpr error_counter to_counter(errc e) noexcept
{
    return static_cast<error_counter>(static_cast<unsigned>(e) - 1);
}

} // namespace siehub::axa
