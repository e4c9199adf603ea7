// SPDX-License-Identifier: Apache-2.0
#pragma once
// nmsg vendor ids, message types and their canonical names (spec nmsg.md §9), and the enums
// of the message schemas (§10).

#include <cctype>
#include <cstdint>
#include <optional>
#include <string_view>

namespace siehub::nmsg {

inline constexpr std::uint32_t vendor_base = 1;
inline constexpr std::uint32_t vendor_sie = 2;

inline constexpr std::uint32_t base_ncap = 1;
inline constexpr std::uint32_t base_email = 2;
inline constexpr std::uint32_t base_linkpair = 3;
inline constexpr std::uint32_t base_http = 4;
inline constexpr std::uint32_t base_ipconn = 5;
inline constexpr std::uint32_t base_logline = 6;
inline constexpr std::uint32_t base_dns = 7;
inline constexpr std::uint32_t base_pkt = 8;
inline constexpr std::uint32_t base_dnsqr = 9;
inline constexpr std::uint32_t base_xml = 10;
inline constexpr std::uint32_t base_encode = 11;
inline constexpr std::uint32_t base_packet = 12;
inline constexpr std::uint32_t base_dnstap = 13;
inline constexpr std::uint32_t base_dnsobs = 14;

inline constexpr std::uint32_t sie_dnsdedupe = 1;
inline constexpr std::uint32_t sie_reputation = 2;
inline constexpr std::uint32_t sie_qr = 3;
inline constexpr std::uint32_t sie_delay = 4;
inline constexpr std::uint32_t sie_newdomain = 5;
inline constexpr std::uint32_t sie_dnsnx = 6;

// Canonical vendor name, or empty for an unknown vendor.
constexpr std::string_view vendor_name(std::uint32_t vid) noexcept
{
    switch (vid) {
    case vendor_base:
        return "base";
    case vendor_sie:
        return "SIE";
    default:
        return {};
    }
}

// Canonical message type name, or empty for an unknown (vid, msgtype).
constexpr std::string_view msgtype_name(std::uint32_t vid, std::uint32_t msgtype) noexcept
{
    constexpr std::string_view base[] = {"",       "ncap",    "email",  "linkpair", "http",
                                         "ipconn", "logline", "dns",    "pkt",      "dnsqr",
                                         "xml",    "encode",  "packet", "dnstap",   "dnsobs"};
    constexpr std::string_view sie[] = {"",      "dnsdedupe", "reputation", "qr",
                                        "delay", "newdomain", "dnsnx"};
    if (vid == vendor_base && msgtype >= 1 && msgtype <= 14) {
        return base[msgtype];
    }
    if (vid == vendor_sie && msgtype >= 1 && msgtype <= 6) {
        return sie[msgtype];
    }
    return {};
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

// Names match case-insensitively on input (spec §9).
constexpr std::optional<std::uint32_t> vendor_by_name(std::string_view name) noexcept
{
    for (std::uint32_t v = 1; v <= 2; ++v) {
        if (iequals(name, vendor_name(v))) {
            return v;
        }
    }
    return std::nullopt;
}

constexpr std::optional<std::uint32_t> msgtype_by_name(std::uint32_t vid,
                                                       std::string_view name) noexcept
{
    for (std::uint32_t t = 1; t <= 14; ++t) {
        auto const n = msgtype_name(vid, t);
        if (!n.empty() && iequals(name, n)) {
            return t;
        }
    }
    return std::nullopt;
}

enum class dnsqr_type : std::int32_t {
    udp_invalid = 0,
    udp_query_response = 1,
    udp_unanswered_query = 2,
    udp_unsolicited_response = 3,
    tcp = 4,
    icmp = 5,
    udp_query_only = 6,
    udp_response_only = 7,
};

enum class udp_checksum : std::int32_t { error = 0, absent = 1, incorrect = 2, correct = 3 };

enum class dnsdedupe_type : std::int32_t {
    insertion = 0,
    expiration = 1,
    chaff = 2,
    authoritative = 3,
    merged = 4,
    merged_authoritative = 5,
    merged_insertion = 6,
};

enum class encode_type : std::int32_t { text = 0, json = 1, yaml = 2, msgpack = 3, xml = 4 };

// Enum value names as protobuf spells them; empty when not in the enum.
constexpr std::string_view dnsqr_type_name(std::int64_t v) noexcept
{
    constexpr std::string_view n[] = {"UDP_INVALID",
                                      "UDP_QUERY_RESPONSE",
                                      "UDP_UNANSWERED_QUERY",
                                      "UDP_UNSOLICITED_RESPONSE",
                                      "TCP",
                                      "ICMP",
                                      "UDP_QUERY_ONLY",
                                      "UDP_RESPONSE_ONLY"};
    return (v >= 0 && v <= 7) ? n[v] : std::string_view{};
}

constexpr std::string_view udp_checksum_name(std::int64_t v) noexcept
{
    constexpr std::string_view n[] = {"ERROR", "ABSENT", "INCORRECT", "CORRECT"};
    return (v >= 0 && v <= 3) ? n[v] : std::string_view{};
}

constexpr std::string_view dnsdedupe_type_name(std::int64_t v) noexcept
{
    constexpr std::string_view n[] = {"INSERTION",       "EXPIRATION", "CHAFF",
                                      "AUTHORITATIVE",   "MERGED",     "MERGED_AUTHORITATIVE",
                                      "MERGED_INSERTION"};
    return (v >= 0 && v <= 6) ? n[v] : std::string_view{};
}

constexpr std::string_view encode_type_name(std::int64_t v) noexcept
{
    constexpr std::string_view n[] = {"TEXT", "JSON", "YAML", "MSGPACK", "XML"};
    return (v >= 0 && v <= 4) ? n[v] : std::string_view{};
}

} // namespace siehub::nmsg
