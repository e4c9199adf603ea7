// SPDX-License-Identifier: Apache-2.0
#pragma once
// A DNS message view: header, questions, every RR of answer/authority/additional as offsets
// into the wire bytes, and the EDNS OPT record with its options (as offsets, so a scrubber can
// zero them in place without changing any length).
//
// Two ways in, same rules:
//  * rr_reader: lazy, one RR at a time, nothing stored (for a single pass);
//  * message::parse: the whole message into a fixed-capacity array (max_records RRs) so that
//    RRset grouping and verification can look at records more than once. The array is not
//    zero-initialised: parse() cost is the walk only (bench_dns measures both ways).
// Counts that the message cannot possibly hold (questions >= 5 bytes, RRs >= 11 bytes each)
// are rejected before any walk, so a huge count never becomes a long loop.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "proto/dns/errc.hpp"
#include "proto/dns/name.hpp"

namespace siehub::dns {

inline constexpr std::size_t header_len = 12;
inline constexpr std::size_t max_message_len = 65535;

namespace rrtype {
inline constexpr std::uint16_t a = 1, ns = 2, md = 3, mf = 4, cname = 5, soa = 6, mb = 7, mg = 8,
                               mr = 9, null = 10, wks = 11, ptr = 12, hinfo = 13, minfo = 14,
                               mx = 15, txt = 16, rp = 17, afsdb = 18, x25 = 19, isdn = 20, rt = 21,
                               sig = 24, key = 25, px = 26, aaaa = 28, nxt = 30, srv = 33,
                               naptr = 35, kx = 36, a6 = 38, dname = 39, opt = 41, ds = 43,
                               sshfp = 44, rrsig = 46, nsec = 47, dnskey = 48, nsec3 = 50,
                               nsec3param = 51, tlsa = 52, cds = 59, cdnskey = 60, svcb = 64,
                               https = 65, spf = 99, tkey = 249, tsig = 250, any = 255, caa = 257;
} // namespace rrtype

namespace rrclass {
inline constexpr std::uint16_t in = 1, ch = 3, hs = 4, none = 254, any = 255;
} // namespace rrclass

namespace edns_code {
inline constexpr std::uint16_t client_subnet = 8, expire = 9, cookie = 10, keepalive = 11,
                               padding = 12, client_tag = 16, server_tag = 17, ede = 15,
                               umbrella_ident = 20292, device_id = 26946;
} // namespace edns_code

// Options that identify a client or its network (sie.md §6): zeroed before anything leaves.
inline constexpr bool is_privacy_option(std::uint16_t code) noexcept
{
    return code == edns_code::client_subnet || code == edns_code::cookie ||
           code == edns_code::client_tag || code == edns_code::server_tag ||
           code == edns_code::umbrella_ident || code == edns_code::device_id;
}

struct header {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t qdcount = 0;
    std::uint16_t ancount = 0;
    std::uint16_t nscount = 0;
    std::uint16_t arcount = 0;

    [[nodiscard]] bool qr() const noexcept { return flags & 0x8000; }
    [[nodiscard]] std::uint8_t opcode() const noexcept { return (flags >> 11) & 0xF; }
    [[nodiscard]] bool aa() const noexcept { return flags & 0x0400; }
    [[nodiscard]] bool tc() const noexcept { return flags & 0x0200; }
    [[nodiscard]] bool rd() const noexcept { return flags & 0x0100; }
    [[nodiscard]] bool ra() const noexcept { return flags & 0x0080; }
    [[nodiscard]] bool ad() const noexcept { return flags & 0x0020; }
    [[nodiscard]] bool cd() const noexcept { return flags & 0x0010; }
    [[nodiscard]] std::uint8_t rcode() const noexcept { return flags & 0xF; }

    static header load(const std::uint8_t* p) noexcept
    {
        return {core::load_be16(p),     core::load_be16(p + 2), core::load_be16(p + 4),
                core::load_be16(p + 6), core::load_be16(p + 8), core::load_be16(p + 10)};
    }
};

enum class section : std::uint8_t { question = 0, answer = 1, authority = 2, additional = 3 };

struct question {
    std::uint16_t name_off;
    std::uint16_t type;
    std::uint16_t cls;
};

// One resource record, all offsets into the message (16 bytes).
struct rr {
    std::uint32_t ttl;
    std::uint16_t owner_off;
    std::uint16_t type;
    std::uint16_t cls;
    std::uint16_t rdata_off;
    std::uint16_t rdata_len;
    section sec;
};

// Reads one question at pos (advanced past it).
inline errc read_question(byte_view msg, std::size_t& pos, question& q) noexcept
{
    auto const n = scan_name(msg, pos);
    if (!n.ok()) {
        return n.err;
    }
    if (msg.size() - n.end < 4) {
        return errc::question_truncated;
    }
    q.name_off = static_cast<std::uint16_t>(pos);
    q.type = core::load_be16(msg.data() + n.end);
    q.cls = core::load_be16(msg.data() + n.end + 2);
    pos = n.end + 4;
    return errc::ok;
}

// Reads one RR at pos (advanced past it). OPT placement rules are the caller's.
inline errc read_rr(byte_view msg, std::size_t& pos, section sec, rr& out) noexcept
{
    auto const n = scan_name(msg, pos);
    if (!n.ok()) {
        return n.err;
    }
    if (msg.size() - n.end < 10) {
        return errc::rr_truncated;
    }
    const std::uint8_t* p = msg.data() + n.end;
    std::size_t const rdlen = core::load_be16(p + 8);
    if (msg.size() - n.end - 10 < rdlen) {
        return errc::rdata_truncated;
    }
    out.owner_off = static_cast<std::uint16_t>(pos);
    out.type = core::load_be16(p);
    out.cls = core::load_be16(p + 2);
    out.ttl = core::load_be32(p + 4);
    out.rdata_off = static_cast<std::uint16_t>(n.end + 10);
    out.rdata_len = static_cast<std::uint16_t>(rdlen);
    out.sec = sec;
    pos = n.end + 10 + rdlen;
    return errc::ok;
}

// One EDNS option; data_off is an offset into the message.
struct edns_option {
    std::uint16_t code;
    std::uint16_t len;
    std::uint16_t data_off;
};

// Walks the options of an OPT rdata (already checked by message::parse or check_edns_options).
class edns_option_iter {
public:
    edns_option_iter() noexcept = default;
    edns_option_iter(byte_view msg, std::size_t rdata_off, std::size_t rdata_len) noexcept
        : msg_(msg), pos_(rdata_off), end_(rdata_off + rdata_len)
    {
    }
    // False at the end or on a truncated option.
    bool next(edns_option& o) noexcept
    {
        if (end_ - pos_ < 4 || end_ > msg_.size()) {
            return false;
        }
        o.code = core::load_be16(msg_.data() + pos_);
        o.len = core::load_be16(msg_.data() + pos_ + 2);
        if (end_ - pos_ - 4 < o.len) {
            return false;
        }
        o.data_off = static_cast<std::uint16_t>(pos_ + 4);
        pos_ += 4 + std::size_t{o.len};
        return true;
    }

private:
    byte_view msg_{};
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

// Checks that the options exactly fill the OPT rdata.
errc check_edns_options(byte_view msg, std::size_t rdata_off, std::size_t rdata_len) noexcept;

struct edns_info {
    bool present = false;
    std::uint16_t rr_index = 0; // index into message::records()
    std::uint16_t udp_size = 0;
    std::uint8_t ext_rcode = 0; // upper 8 bits of the 12-bit rcode
    std::uint8_t version = 0;
    bool do_bit = false;
    std::uint16_t z = 0; // the flag bits other than DO
    std::uint16_t rdata_off = 0;
    std::uint16_t rdata_len = 0;
};

// EDNS Client Subnet (RFC 7871) payload view.
struct client_subnet {
    std::uint16_t family = 0;
    std::uint8_t source_prefix = 0;
    std::uint8_t scope_prefix = 0;
    byte_view address{};
};
errc parse_client_subnet(byte_view data, client_subnet& out) noexcept;

class message {
public:
    // Capacity: 512 RRs covers any UDP message up to 4096 bytes at typical sizes and every
    // message seen in practice; more is errc::too_many_records (TCP AXFR-sized messages are
    // out of scope for the passive pipeline). 512 * 16 bytes = 8 KiB per parsed message.
    static constexpr std::size_t max_records = 512;
    static constexpr std::size_t max_questions = 4;

    // Parses the whole message; on failure the object holds nothing usable.
    errc parse(byte_view wire) noexcept;

    [[nodiscard]] byte_view wire() const noexcept { return wire_; }
    [[nodiscard]] const dns::header& hdr() const noexcept { return hdr_; }
    [[nodiscard]] std::span<const question> questions() const noexcept
    {
        return {questions_, n_questions_};
    }
    [[nodiscard]] std::span<const rr> records() const noexcept { return {rrs_, n_rrs_}; }
    [[nodiscard]] std::span<const rr> records(section s) const noexcept;
    [[nodiscard]] const edns_info& edns() const noexcept { return edns_; }
    // The 12-bit rcode when EDNS is present, else the header's 4 bits.
    [[nodiscard]] std::uint16_t full_rcode() const noexcept
    {
        return static_cast<std::uint16_t>((std::uint16_t{edns_.ext_rcode} << 4) | hdr_.rcode());
    }
    [[nodiscard]] edns_option_iter edns_options() const noexcept
    {
        if (!edns_.present) {
            return {};
        }
        return {wire_, edns_.rdata_off, edns_.rdata_len};
    }
    // First option with this code; false when absent.
    bool find_edns_option(std::uint16_t code, edns_option& out) const noexcept;
    // Offset just past the question section (where answer RRs start).
    [[nodiscard]] std::size_t questions_end() const noexcept { return questions_end_; }

private:
    byte_view wire_{};
    dns::header hdr_{};
    edns_info edns_{};
    std::size_t n_rrs_ = 0;
    std::size_t n_questions_ = 0;
    std::size_t questions_end_ = 0;
    question questions_[max_questions];
    rr rrs_[max_records];
};

// Lazy, allocation-free walk of the RRs (no OPT placement checks: those belong to parse()).
class rr_reader {
public:
    // Checks the header and counts, and skips the question section.
    errc start(byte_view wire) noexcept;
    // False at the end or on error (see error()).
    bool next(rr& out) noexcept;
    [[nodiscard]] errc error() const noexcept { return err_; }
    [[nodiscard]] const dns::header& hdr() const noexcept { return hdr_; }

private:
    byte_view wire_{};
    dns::header hdr_{};
    std::size_t pos_ = 0;
    std::uint32_t left_[3] = {0, 0, 0};
    unsigned sec_ = 0;
    errc err_ = errc::ok;
};

// Zeroes client-identifying EDNS options in place (sie.md §6), keeping every length: option 8
// keeps its FAMILY and gets prefix lengths and address 0; 10, 16, 17, 20292, 26946 get all
// data bytes 0. `wire` must be the bytes `parsed` was parsed from. Returns options scrubbed.
std::size_t scrub_edns_privacy(core::byte_span wire, const message& parsed) noexcept;

} // namespace siehub::dns
