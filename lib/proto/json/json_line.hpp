// SPDX-License-Identifier: Apache-2.0
#pragma once
// nmsgtool-exact JSON Lines: `-J` output (render_json_line, spec/nmsg.md §12) and `-j` input
// (json_line_parser, §14) for base/dnsqr 1:9, base/encode 1:11, SIE/dnsdedupe 2:1,
// SIE/newdomain 2:5 and SIE/dnsnx 2:6. Slow path (taps, offline tools): output goes to a
// caller-owned std::string whose capacity is reused; the parser owns bounded scratch.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"
#include "proto/json/json_reader.hpp"
#include "proto/nmsg/container.hpp"

namespace siehub::json {

enum class line_error : std::uint8_t {
    none = 0,
    // render (what makes nmsgtool -J exit)
    unknown_message_type, // vid/msgtype without a module (§12.1)
    no_message_bytes,     // payload without field 5 (§12.2)
    undecodable_message,  // vendor message fails to decode: malformed or missing required
    rdata_without_type,   // SIE rdata present but rrtype or rrclass absent (§12.3)
    // parse
    bad_json,             // the line is not one strict JSON value (see reader_error())
    not_an_object,        // the line's value is not an object
    missing_name,         // vname or mname absent or not a string
    unknown_name,         // vname/mname that names no supported module
    bad_time,             // time neither date text nor a number in range
    bad_source,           // source neither 8 hex digits nor an integer in uint32
    bad_operator,         // operator/group not an integer in uint32 (no alias file)
    bad_message,          // message absent or not an object
    bad_field,            // a field value of the wrong JSON type or outside its range
    bad_name,             // a DNS name that does not parse
    bad_rdata,            // rdata text that does not parse for its type
    unsupported_field,    // a field nmsgtool cannot read back (SIE response text)
    missing_required,     // a required field of the module is absent
    too_many_values,      // more repeated values than the parser keeps
    out_of_space,         // the caller's buffer is too small
};

[[nodiscard]] const char* to_string(line_error e) noexcept;

// Appends one `nmsgtool -J` line (with its final '\n') for a decoded NmsgPayload. On error
// `out` is left as it was.
line_error render_json_line(const nmsg::payload_view& p, std::string& out);

// Convenience: payload_view over a serialized NmsgPayload (Nmsg field 1 content) + render.
line_error render_json_line(core::byte_view serialized_payload, std::string& out);

// Reads nmsgtool `-j` lines. Holds the DOM and scratch for one line; reuse it across lines.
class json_line_parser {
public:
    json_line_parser();

    // Parses one line (a trailing '\n' is allowed) into a serialized NmsgPayload (header
    // fields and vendor message, nmsg::write_payload) appended to `out`. `now_sec`/`now_nsec` stand for an absent "time" (nmsgtool uses the clock).
    line_error parse(std::string_view line, core::out_buffer& out, std::int64_t now_sec = 0,
                     std::uint32_t now_nsec = 0);

    // The reader's reason when parse() returned bad_json.
    [[nodiscard]] read_error reader_error() const noexcept { return read_err_; }

    // Bounds: the longest line and the most repeated values per field kept.
    static constexpr std::size_t max_line = 4u << 20;
    static constexpr std::size_t max_repeated = 4096;

private:
    document doc_;
    read_error read_err_ = read_error::none;
    std::vector<std::uint8_t> msg_;     // vendor message being built
    std::vector<std::uint8_t> scratch_; // decoded values before they are written
};

} // namespace siehub::json
