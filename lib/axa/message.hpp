// SPDX-License-Identifier: Apache-2.0
#pragma once
// AXA message codec (spec/axa.md §2, §4, §6, §7): stream framing, header and body validation
// with the client library's rules (axa_ck_hdr + axa_ck_body) in either direction, zero-copy
// views of every SRA body, and writers into a caller buffer. No allocation, no exceptions.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "axa/protocol.hpp"
#include "axa/watch.hpp"
#include "core/bytes.hpp"
#include "core/out_buffer.hpp"

namespace siehub::axa {

using core::byte_view;
using core::out_buffer;

// ---- framing -----------------------------------------------------------------------------

struct header_result {
    errc err = errc::ok;
    header h;
    [[nodiscard]] bool ok() const noexcept { return err == errc::ok; }
};

// Reads and checks the op-independent header rules: len >= 8, body <= 196608, pvers 1-2.
header_result parse_header(byte_view b) noexcept;

// One message cut from a byte stream.
struct frame {
    errc err = errc::ok;   // a header error: the stream cannot be resynchronised
    bool complete = false; // false with err ok: more bytes are needed
    header h;
    byte_view body;
    std::size_t size = 0;  // bytes the message occupies in the stream
};
frame next_frame(byte_view stream) noexcept;

// Opcode rules (direction, tag, body size) and body contents; errc::ok when the message is
// one the receiving side must accept. RAD-only and admin requests towards the server pass
// (the session refuses them with "not supported"), as the spec's opcode table asks.
errc check_message(direction dir, const header& h, byte_view body) noexcept;

// ---- body views (each is safe on any input; err says what is wrong) -----------------------

struct hello_view {
    errc err = errc::ok;
    std::uint64_t id = 0;
    std::uint8_t pvers_min = 0;
    std::uint8_t pvers_max = 0;
    std::string_view text; // without the NUL
};
hello_view parse_hello(byte_view body) noexcept;

// OK and ERROR.
struct result_view {
    errc err = errc::ok;
    std::uint8_t orig_op = 0;
    std::string_view text; // without the NUL
};
result_view parse_result(byte_view body) noexcept;

struct missed_fields {
    std::uint64_t missed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t rlimit = 0;
    std::uint64_t filtered = 0;
    std::uint32_t last_report = 0;
};
inline constexpr std::size_t missed_body_len = 36;
struct missed_view {
    errc err = errc::ok;
    missed_fields f;
};
missed_view parse_missed(byte_view body) noexcept;

enum class whit_type : std::uint8_t { nmsg = 0, ip = 1 };
inline constexpr std::size_t whit_nmsg_hdr_len = 20;
inline constexpr std::size_t whit_ip_hdr_len = 16;
inline constexpr std::size_t whit_min_len = 17;
inline constexpr std::uint16_t field_idx_none = 0xFFF1;
inline constexpr std::uint16_t field_idx_error = 0xFFF2;
inline constexpr std::uint16_t field_idx_dark = 0xFFF3;

struct whit_nmsg_fields {
    std::uint16_t ch = 0;
    std::uint16_t field_idx = field_idx_none;
    std::uint16_t val_idx = 0;
    std::uint16_t vid = 0;
    std::uint16_t msgtype = 0;
    std::uint32_t tv_sec = 0;
    std::uint32_t tv_nsec = 0;
};
struct whit_ip_fields {
    std::uint16_t ch = 0;
    std::uint32_t tv_sec = 0;
    std::uint32_t tv_usec = 0;
    std::uint32_t ip_len = 0; // original length
};
struct whit_view {
    errc err = errc::ok;
    whit_type type{};
    whit_nmsg_fields nmsg; // type nmsg
    whit_ip_fields ip;     // type ip
    byte_view data;        // the nmsg unit or the IP packet
};
whit_view parse_whit(byte_view body) noexcept;

struct wlist_view {
    errc err = errc::ok;
    std::uint16_t cur_tag = 0;
    watch_view w;
};
wlist_view parse_wlist(byte_view body) noexcept;

inline constexpr std::size_t clist_body_len = 1027;
inline constexpr std::size_t clist_spec_len = 1024;
struct clist_view {
    errc err = errc::ok;
    std::uint16_t ch = 0;
    bool on = false;
    std::string_view spec; // up to the first NUL
};
clist_view parse_clist(byte_view body) noexcept;

inline constexpr std::size_t user_body_len = 64;
struct user_view {
    errc err = errc::ok;
    std::string_view name; // up to the first NUL
};
user_view parse_user(byte_view body) noexcept;

struct channel_view {
    errc err = errc::ok;
    std::uint16_t ch = 0; // 0xFFFF = all
    bool on = false;
};
channel_view parse_channel(byte_view body) noexcept;

inline constexpr std::size_t join_body_len = 8;

enum class opt_type : std::uint8_t { trace = 0, rlimit = 1, sample = 2, sndbuf = 3 };
inline constexpr std::size_t opt_fixed_len = 8;
inline constexpr std::uint32_t trace_query = 0xFFFFFFFF;
inline constexpr std::uint64_t rlimit_na = 0xFFFFFFFFFFFFFFFF;
inline constexpr std::uint64_t rlimit_off = 1000000001;
inline constexpr std::uint64_t rlimit_max = 1000000000;
inline constexpr std::uint32_t sample_scale = 10000; // percent x 10 000
inline constexpr std::uint32_t sample_all = 100 * sample_scale;
inline constexpr std::uint32_t sndbuf_min = 1024;

struct rlimit_fields {
    std::uint64_t max_pkts_per_sec = rlimit_na;
    std::uint64_t cur_pkts_per_sec = rlimit_na;
    std::uint64_t unused1 = 0;
    std::uint64_t unused2 = 0;
    std::uint64_t report_secs = rlimit_na;
};
inline constexpr std::size_t rlimit_value_len = 40;

struct opt_view {
    errc err = errc::ok;
    opt_type type{};
    std::uint32_t u32 = 0; // trace level, sample, sndbuf
    rlimit_fields rlimit;  // type rlimit
};
opt_view parse_opt(byte_view body) noexcept;

inline constexpr std::string_view mgmt_deprecated_text =
    "mgmt is deprecated, please upgrade and use \"stats\"";

// ---- writers: each writes one whole message or nothing (out.ok() false) -----------------

// Generic: header + body bytes.
bool write_message(out_buffer& out, op o, std::uint16_t tag, std::uint8_t pvers,
                   byte_view body) noexcept;
// A body-less message (NOP, PAUSE, GO, WGET, STOP, ALL_STOP, CGET, ACCT, MGMT_GET ...).
bool write_empty(out_buffer& out, op o, std::uint16_t tag, std::uint8_t pvers) noexcept;

bool write_hello(out_buffer& out, std::uint8_t pvers, std::uint64_t id, std::uint8_t min,
                 std::uint8_t max, std::string_view text) noexcept;
// OK or ERROR; text longer than 512 bytes is cut (the body limit is 513 with the NUL).
bool write_result(out_buffer& out, op ok_or_error, std::uint16_t tag, std::uint8_t pvers,
                  std::uint8_t orig_op, std::string_view text) noexcept;
bool write_missed(out_buffer& out, std::uint8_t pvers, const missed_fields& f) noexcept;
// `nmsg` is one complete nmsg unit (header + container) holding exactly one payload (§6).
bool write_whit_nmsg(out_buffer& out, std::uint16_t tag, std::uint8_t pvers,
                     const whit_nmsg_fields& f, byte_view nmsg) noexcept;
bool write_whit_ip(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, const whit_ip_fields& f,
                   byte_view packet) noexcept;
bool write_wlist(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint16_t cur_tag,
                 byte_view watch) noexcept;
// spec is cut to 1023 bytes; the rest of the 1024-byte field is zero.
bool write_clist(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint16_t ch,
                 bool on, std::string_view spec) noexcept;
bool write_mgmt_getrsp(out_buffer& out, std::uint16_t tag, std::uint8_t pvers) noexcept;
bool write_opt_u32(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, opt_type t,
                   std::uint32_t value) noexcept;
bool write_opt_rlimit(out_buffer& out, std::uint16_t tag, std::uint8_t pvers,
                      const rlimit_fields& f) noexcept;

// Client requests (tests, fuzz seeds, a future client).
// name is cut to 63 bytes and zero-padded to 64.
bool write_user(out_buffer& out, std::uint16_t tag, std::uint8_t pvers,
                std::string_view name) noexcept;
bool write_join(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint64_t id) noexcept;
bool write_watch_msg(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, byte_view watch) noexcept;
bool write_channel(out_buffer& out, std::uint16_t tag, std::uint8_t pvers, std::uint16_t ch,
                   bool on) noexcept;

} // namespace siehub::axa
