// SPDX-License-Identifier: Apache-2.0
#pragma once
// RDATA presentation exactly as wdns 0.12.0 prints it (nmsg.md §11.3), and the inverse used
// for nmsgtool-style JSON input (nmsg.md §14). Slow path: output goes to a caller's string.
//
// Renderings follow wdns's record descriptor table: a type is a list of field kinds; a type
// without a descriptor (or >= 258) is printed in the generic `\# n xx ` form. Quirks kept on
// purpose, because byte-identical interop depends on them: rdata that ends on a field boundary
// renders the fields present (no error); class-specific types render as "" outside class IN;
// a malformed field appends " ### PARSE ERROR ###" (or " ### PARSE ERROR #<wdns_res> ###" for
// names and SVCB parameters) to what was printed so far, trailing space included.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"

namespace siehub::dns {

// wdns rdata field kinds (record_descr.h).
enum class rdf : std::uint8_t {
    end,
    name,        // compressible domain name
    uname,       // never-compressed domain name
    bytes,       // rest of rdata, uppercase hex
    bytes_b64,   // rest of rdata, base64
    bytes_str,   // rest of rdata, one quoted string without length octet
    ipv6prefix,  // A6 prefix length + address suffix
    salt,        // length-prefixed, lowercase hex or "-"
    hash,        // length-prefixed, base32hex
    int8,
    int16,
    int32,
    ipv4,
    ipv6,
    eui48,
    eui64,
    string,      // one length-prefixed character-string
    repstring,   // character-strings to the end
    rrtype,
    type_bitmap,
    svcparams,
    edns_opt,
};

struct rdata_descr {
    bool class_in_only;             // rendered/parsed only when rrclass is IN
    std::array<rdf, 10> fields;     // terminated by rdf::end
};

// The descriptor for a type, or nullptr for types rendered generically.
const rdata_descr* rdata_descr_for(std::uint16_t rrtype) noexcept;

inline constexpr std::uint16_t class_in = 1;

// Appends the presentation of one uncompressed rdata to `out`.
void rdata_to_text(std::uint16_t rrtype, std::uint16_t rrclass, core::byte_view rdata,
                   std::string& out);

// As rdata_to_text but, like wdns's _wdns_rdata_to_ubuf, the final trailing-space clip may eat
// a space written by the caller before the rdata (an RR line whose rdata is empty). Used by
// message_to_text.
void rdata_to_text_in_line(std::uint16_t rrtype, std::uint16_t rrclass, core::byte_view rdata,
                           std::string& out);

enum class rdata_text_error : std::uint8_t {
    none = 0,
    bad_number,
    bad_address,
    bad_name,
    bad_string,
    bad_hex,
    bad_base64,
    bad_base32,
    bad_type,
    bad_svcparam,
    bad_generic,
    missing_field,
    trailing_text,
    unsupported_type,
    overflow,
};

std::string_view to_string(rdata_text_error e) noexcept;

// Parses a presentation string back to uncompressed wire rdata, appended to `out`. Accepts
// every string rdata_to_text produces (including "" for empty rdata of a non-generic type)
// and the generic `\# n hex` form for any type. On error `out` may hold a partial rdata: the
// caller rewinds it.
rdata_text_error rdata_from_text(std::uint16_t rrtype, std::uint16_t rrclass,
                                 std::string_view text, core::out_buffer& out);

} // namespace siehub::dns
