// SPDX-License-Identifier: Apache-2.0
#pragma once
// DNS presentation as wdns 0.12.0 / nmsgtool 1.3.3 print it (nmsg.md §11, §12.4, §12.5):
// type/class/rcode/opcode names, names, EDNS options, whole messages as text and as the dnsqr
// query_json/response_json objects, and the JSON string escaping those objects use.
// Slow path: results are appended to a caller's std::string.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"

namespace siehub::dns {

// ---- tables (§11.2) ----

// wdns name of a type, or empty when wdns has none.
std::string_view rrtype_name(std::uint16_t rrtype) noexcept;
// Name or `TYPE<n>`.
void append_rrtype(std::uint16_t rrtype, std::string& out);
// Accepts wdns names (case-insensitive) and `TYPE<n>`.
std::optional<std::uint16_t> rrtype_from_text(std::string_view text) noexcept;

// Unknown classes print differently in base (dnsqr, wdns) and SIE module fields (observed).
enum class unknown_class_form : std::uint8_t { numeric, sie };
std::string_view rrclass_name(std::uint16_t rrclass) noexcept;
void append_rrclass(std::uint16_t rrclass, std::string& out,
                    unknown_class_form form = unknown_class_form::numeric);
// Accepts IN CH HS NONE ANY (case-insensitive) and `CLASS<n>`.
std::optional<std::uint16_t> rrclass_from_text(std::string_view text) noexcept;

std::string_view rcode_name(std::uint16_t rcode) noexcept;   // empty when unnamed
void append_rcode(std::uint16_t rcode, std::string& out);    // name or decimal
std::optional<std::uint16_t> rcode_from_text(std::string_view text) noexcept;
std::string_view opcode_name(std::uint8_t opcode) noexcept;  // empty when unnamed
void append_opcode(std::uint8_t opcode, std::string& out);   // name or decimal

// ---- names (§11.1) ----

// Appends the presentation of an uncompressed wire name (labels up to the root label or the
// end of the view). The empty/over-long nmsg field rule belongs to the caller.
void name_to_text(core::byte_view wire, std::string& out);

// ---- JSON string escaping (§12.4) ----

// Escapes `s` for a JSON string body (no quotes added): \b \f \n \r \t \" \\, other bytes
// <= 0x1f as \u00xx; '/' and bytes >= 0x7f are copied. The tree's one JSON escaper:
// json::append_escaped (nmsg -J lines) forwards here.
void json_escape(std::string_view s, std::string& out);
// As json_escape, after replacing each invalid UTF-8 sequence with U+FFFD (raw ef bf bd), for
// string-typed nmsg fields.
void json_escape_utf8(std::string_view s, std::string& out);

// ---- EDNS options (§11.3) ----

// Appends one option as wdns prints it, e.g. `CLIENT-SUBNET: 198.51.100.0/24/0`,
// `EDE: 15 (Blocked): (text)`, `OPT=10: 5c d4 ("\.")`. Returns false (after appending wdns's
// " ### PARSE ERROR #12 ###") when the option data is malformed.
bool edns_option_to_text(std::uint16_t code, core::byte_view data, std::string& out);

// ---- whole messages (§11.4, §12.5) ----

// Appends wdns message_to_str text. A message wdns cannot parse appends "<PARSE ERROR>" and
// returns false.
bool message_to_text(core::byte_view msg, std::string& out);

// Appends the dnsqr query_json/response_json object. Returns false and appends nothing when
// the message does not parse (the caller prints `null`).
bool message_to_json(core::byte_view msg, std::string& out);

} // namespace siehub::dns
