// SPDX-License-Identifier: Apache-2.0
#pragma once
// JSON value primitives for nmsgtool-exact `-J` output and `-j` input (spec/nmsg.md §12.3,
// §12.4, §14). Renderers append to a caller-owned std::string whose capacity is reused from
// line to line; parsers read bounded text and write into caller buffers.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "proto/dns/presentation.hpp"

namespace siehub::json {

// ---- rendering -------------------------------------------------------------------------

// Appends `s` escaped per §12.4 (no quotes): \b \f \n \r \t \" \\ by backslash, other bytes
// <= 0x1f as \u00xx, everything else (including '/' and bytes >= 0x7f) verbatim. The escaper
// itself is dns::json_escape (lower in the layering; the dnsqr JSON objects use it too), so the
// two kinds of output can never escape differently.
inline void append_escaped(std::string& out, std::string_view s)
{
    dns::json_escape(s, out);
}

// Appends `"` + append_escaped(s) + `"`.
void append_quoted(std::string& out, std::string_view s);

// A module `string` field: text stops at the first NUL, invalid UTF-8 is replaced by
// U+FFFD (raw bytes ef bf bd) per maximal invalid subpart, then escaped and quoted.
void append_string_field(std::string& out, core::byte_view s);

// Appends `s` with invalid UTF-8 replaced (no escaping, no NUL handling).
void append_utf8_repaired(std::string& out, core::byte_view s);

void append_u64(std::string& out, std::uint64_t v);

// Signed protobuf ints print as unsigned 64-bit (-1 -> 18446744073709551615).
inline void append_i64_as_unsigned(std::string& out, std::int64_t v)
{
    append_u64(out, static_cast<std::uint64_t>(v));
}

// C "%.18f" with trailing zeros trimmed, keeping one digit after the point.
void append_double(std::string& out, double v);

// Standard base64 with '=' padding.
void append_base64(std::string& out, core::byte_view b);
[[nodiscard]] std::size_t base64_encoded_size(std::size_t n) noexcept;

// "192.0.2.53" / "2001:db8::53" (inet_ntop, as nmsgtool) or null for any other length.
void append_ip_or_null(std::string& out, core::byte_view b);

// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" (quoted) for any int64 seconds; nsec printed as given.
void append_payload_time(std::string& out, std::int64_t sec, std::uint32_t nsec);

// "YYYY-MM-DD HH:MM:SS" (quoted) for SIE uint32 times.
void append_sie_time(std::string& out, std::uint32_t sec);

// "%08x", quoted.
void append_source(std::string& out, std::uint32_t source);

// ---- parsing ---------------------------------------------------------------------------

// Largest byte count that `text` can decode to (an upper bound used to size buffers).
[[nodiscard]] constexpr std::size_t base64_decoded_bound(std::size_t text_len) noexcept
{
    return (text_len / 4) * 3 + 3;
}

// Strict base64 (standard alphabet, length a multiple of 4, '=' only as final padding).
// Writes into `out`; returns the byte count, or -1 on bad input or when `out` is too small.
[[nodiscard]] std::ptrdiff_t base64_decode(std::string_view text, std::span<std::uint8_t> out);

// IPv4 dotted quad or IPv6 text into `out` (16 bytes); returns 4, 16, or 0 on failure.
[[nodiscard]] std::size_t parse_ip(std::string_view text, std::span<std::uint8_t, 16> out);

// "YYYY-MM-DD HH:MM:SS" (SIE times). False when malformed or outside uint32.
[[nodiscard]] bool parse_sie_time(std::string_view text, std::uint32_t& sec);

// "YYYY-MM-DD HH:MM:SS[.fraction]" for payload times; the fraction is read as an integer
// number of nanoseconds (nmsgtool quirk: ".5" is 5 ns). False when malformed or > 9 digits.
[[nodiscard]] bool parse_payload_time(std::string_view text, std::int64_t& sec,
                                      std::uint32_t& nsec);

// Proleptic Gregorian conversion (Hinnant's days_from_civil / civil_from_days).
[[nodiscard]] std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

} // namespace siehub::json
