// SPDX-License-Identifier: Apache-2.0
#pragma once
// Every reason the DNS codec can refuse input. Each value becomes a counter reason
// (`dns.<to_string>`), so the values are specific rather than "malformed".

#include <cstdint>

namespace siehub::dns {

enum class errc : std::uint8_t {
    ok = 0,
    // names (the guardian in name.hpp)
    name_truncated,      // the name runs past the end of the buffer
    label_too_long,      // a label longer than 63 bytes
    name_too_long,       // uncompressed wire form longer than 255 bytes
    bad_label_type,      // 0x40 / 0x80 label types (EDNS0 extended / reserved)
    pointer_forward,     // a compression pointer past its own position
    pointer_loop,        // a pointer to itself or into the label run that contains it
    pointer_hops,        // more pointer hops than max_pointer_hops
    pointer_not_allowed, // a pointer where only uncompressed names are allowed
    name_trailing_bytes, // an uncompressed name field longer than its name
    text_empty_label,    // presentation text with an empty label ("a..b", ".a")
    text_bad_escape,     // presentation text with a bad \ escape
    text_empty,          // empty presentation text
    // message structure (message.hpp)
    message_too_short, // fewer than the 12 header bytes
    message_too_large, // more than 65535 bytes
    count_overflow,    // header counts need more bytes than the message has
    too_many_records,  // more RRs than message::max_records
    question_truncated,
    rr_truncated,         // RR fixed part (type .. rdlength) cut short
    rdata_truncated,      // rdlength runs past the end of the message
    trailing_data,        // bytes after the last counted record
    opt_misplaced,        // OPT outside the additional section
    opt_duplicate,        // more than one OPT
    opt_bad_owner,        // OPT owner not the root
    opt_option_truncated, // an option's length runs past the OPT rdata
    // rdata (rdata.hpp)
    rdata_bad_length,    // fixed-size rdata (A, AAAA ...) of the wrong size
    rdata_short,         // rdata ends inside a field
    rdata_long,          // bytes left after the last field
    rdata_bad_string,    // a character-string / length-prefixed field overruns
    rdata_bad_bitmap,    // NSEC/NSEC3 type bitmap malformed
    rdata_bad_svc_param, // SVCB/HTTPS parameter malformed or out of order
    rdata_empty_field,   // a field that must be non-empty is empty (CAA tag, NSEC3 hash)
    // writers and fixed-capacity tables
    out_of_space,    // the caller's buffer is full
    section_order,   // writer: records added out of section order
    too_many_rrsets, // more RRsets than rrset_table::max_rrsets
};

const char* to_string(errc e) noexcept;

} // namespace siehub::dns
