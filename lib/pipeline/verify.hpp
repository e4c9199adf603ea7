// SPDX-License-Identifier: Apache-2.0
#pragma once
// Ingest verification (spec sie.md §2): one decoded base/dnsqr payload in, a verdict out.
// Accepted transactions carry the rcode route (§2.1), the TC flag, the parsed response and,
// for NOERROR without TC, its RRsets (§2.2). Every rejection has its own counter reason.
//
// Order of the checks (the first failure decides the reason):
//   rule 1  vid/msgtype, DnsQR decode, address fields
//   rule 2  type (UDP_QUERY_RESPONSE only), at least one query and one response packet
//   rule 3  query packet(s): IP/UDP, DNS header + question; RD = 1 refused
//   rule 4  response packet(s): IP/UDP (fragments reassembled), addresses and ports mirrored,
//           udp_checksum verdict (or computed), QR, opcode, id, question
//   rule 5  the response parses completely; RRsets grouped
//   rule 6  qname exclusion (caller's predicate)
//
// Pure and allocation-free: the caller owns one verify_scratch per worker (about 150 KiB:
// two 64 KiB reassembly buffers, the parsed message and the RRset table). The result points
// into the payload bytes and into the scratch: both must outlive its use.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"
#include "pipeline/dnsqr_reasm.hpp"
#include "proto/dns/errc.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/name.hpp"
#include "proto/dns/rrset.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/types.hpp"
#include "telemetry/counters.hpp"

namespace siehub::pipeline {

// Counter reasons of the verify stage. The values before first_info_counter are the verdicts
// (exactly one per payload: accepted or one drop reason); the rest are informational counts
// of accepted payloads.
enum class verify_counter : std::uint8_t {
    accepted = 0,
    // rule 1
    not_dnsqr,
    bad_dnsqr,
    bad_address,
    // rule 2
    type_invalid,
    type_unanswered,
    type_unsolicited,
    type_query_only,
    type_response_only,
    tcp,
    icmp,
    type_unknown,
    no_query_packet,
    no_response_packet,
    // rule 3
    query_packet_malformed,
    query_reassembly_failed,
    query_not_udp,
    query_dns_malformed,
    query_not_query,
    rd_set,
    // rule 4
    response_packet_malformed,
    response_reassembly_failed,
    response_not_udp,
    addr_mismatch,
    port_mismatch,
    response_port_not_53,
    checksum_incorrect,
    checksum_error,
    checksum_unknown,
    response_not_qr,
    opcode_not_query,
    id_mismatch,
    question_mismatch,
    // rule 5
    response_malformed,
    rrsets_overflow,
    // rule 6
    excluded,
    // informational (accepted payloads)
    route_noerror,
    route_nxdomain,
    route_error,
    truncated,
    fragmented_response,
    checksum_computed,
    rrsets,
    count_
};

inline constexpr verify_counter first_info_counter = verify_counter::route_noerror;
inline constexpr std::size_t n_verify_counters = static_cast<std::size_t>(verify_counter::count_);

inline constexpr std::array<telemetry::counter_info, n_verify_counters> verify_counter_table{{
    {"verify.accepted", "dnsqr payloads that passed every check of sie.md §2"},
    {"verify.not_dnsqr", "payloads that are not base/dnsqr (vid 1, msgtype 9)"},
    {"verify.bad_dnsqr", "DnsQR messages that do not decode or lack a required field"},
    {"verify.bad_address", "query_ip/response_ip not 4 or 16 bytes, or of different families"},
    {"verify.type_invalid", "type UDP_INVALID"},
    {"verify.type_unanswered", "type UDP_UNANSWERED_QUERY (no response)"},
    {"verify.type_unsolicited", "type UDP_UNSOLICITED_RESPONSE (no query)"},
    {"verify.type_query_only", "type UDP_QUERY_ONLY"},
    {"verify.type_response_only", "type UDP_RESPONSE_ONLY"},
    {"verify.tcp", "type TCP (one segment, no query/response pairing; not reassembled)"},
    {"verify.icmp", "type ICMP"},
    {"verify.type_unknown", "a type value outside the DnsQRType enum"},
    {"verify.no_query_packet", "UDP_QUERY_RESPONSE without a query_packet"},
    {"verify.no_response_packet", "UDP_QUERY_RESPONSE without a response_packet"},
    {"verify.query_packet_malformed", "a query packet whose IP or UDP header does not parse"},
    {"verify.query_reassembly_failed", "query IP fragments that do not form one datagram"},
    {"verify.query_not_udp", "a query packet that is not UDP"},
    {"verify.query_dns_malformed", "a query whose DNS header or question does not parse"},
    {"verify.query_not_query", "a query packet with QR = 1"},
    {"verify.rd_set", "RD = 1 queries: client traffic, not cache misses (refused)"},
    {"verify.response_packet_malformed", "a response packet whose IP or UDP header does not "
                                         "parse"},
    {"verify.response_reassembly_failed", "response IP fragments that do not form one datagram "
                                          "(gap, overlap, mismatch, too large)"},
    {"verify.response_not_udp", "a response packet that is not UDP"},
    {"verify.addr_mismatch", "packet addresses not mirrored with query_ip/response_ip"},
    {"verify.port_mismatch", "packet ports not mirrored with query_port/response_port"},
    {"verify.response_port_not_53", "response_port other than 53"},
    {"verify.checksum_incorrect", "udp_checksum INCORRECT, or the computed checksum fails "
                                  "(possibly forged)"},
    {"verify.checksum_error", "udp_checksum ERROR without resolver_address_zeroed"},
    {"verify.checksum_unknown", "a udp_checksum value outside the enum"},
    {"verify.response_not_qr", "a response packet with QR = 0"},
    {"verify.opcode_not_query", "query or response opcode other than QUERY"},
    {"verify.id_mismatch", "response id differs from the query id (or from the dnsqr id)"},
    {"verify.question_mismatch", "response question differs from the query's (name compared "
                                 "case-insensitively, type, class; exactly one question)"},
    {"verify.response_malformed", "a response that does not parse completely (names, counts, "
                                  "rdata lengths, OPT rules)"},
    {"verify.rrsets_overflow", "a response whose RRsets do not fit the RRset table"},
    {"verify.excluded", "responses for excluded qnames (participant's own zones)"},
    {"verify.route_noerror", "accepted NOERROR responses (RRset pipeline unless TC)"},
    {"verify.route_nxdomain", "accepted NXDOMAIN responses (ch221 and ch220)"},
    {"verify.route_error", "accepted responses with another non-zero rcode (ch220)"},
    {"verify.truncated", "accepted responses with TC = 1 (no RRsets)"},
    {"verify.fragmented_response", "accepted responses reassembled from IP fragments"},
    {"verify.checksum_computed", "accepted payloads without udp_checksum whose UDP checksum "
                                 "the hub verified itself"},
    {"verify.rrsets", "RRsets extracted from accepted NOERROR responses"},
}};

using verify_counters = telemetry::counter_block<verify_counter>;

[[nodiscard]] constexpr const char* to_string(verify_counter c) noexcept
{
    return c < verify_counter::count_ ? verify_counter_table[static_cast<std::size_t>(c)].name
                                      : "verify.unknown";
}

// Where an accepted response goes (sie.md §2.1).
enum class rcode_route : std::uint8_t {
    none = 0, // not accepted
    noerror,  // RRsets (unless TC) -> ch204
    nxdomain, // ch221 + ch220
    error,    // ch220
};

// The qname exclusion predicate (rule 6): a plain function pointer and context, so the
// Hyperscan filter can be plugged in without a virtual call or std::function per payload.
// `qname` is the question name in canonical (lower-case) uncompressed wire form.
using qname_predicate = bool (*)(void* ctx, core::byte_view qname) noexcept;

struct verify_options {
    qname_predicate exclude = nullptr;
    void* exclude_ctx = nullptr;
};

struct dnsqr_input {
    std::uint32_t vid = 0;
    std::uint32_t msgtype = 0;
    core::byte_view message; // the serialized DnsQR (NmsgPayload field 5)
    std::int64_t time_sec = 0;
    std::uint32_t time_nsec = 0;
};

// Per-worker scratch. Large: allocate it once per worker, never on the stack of a hot loop.
struct verify_scratch {
    static constexpr std::size_t reasm_size = 65536;
    std::array<std::uint8_t, reasm_size> query_buf;
    std::array<std::uint8_t, reasm_size> response_buf;
    std::array<core::byte_view, packet_set::max_packets> packets;
    packet_set query_set;
    packet_set response_set;
    dns::message message;
    dns::rrset_table rrsets;
    dns::name_buffer qname;
    nmsg::dnsqr_view dnsqr; // the payload's DnsQR, parsed once (the privacy scrub reuses it)
};

struct verify_result {
    verify_counter reason = verify_counter::accepted;
    rcode_route route = rcode_route::none;
    bool tc = false;
    bool rrsets_valid = false;      // rrsets() holds the §2.2 decomposition
    bool fragmented = false;        // the response was reassembled from IP fragments
    bool checksum_computed = false; // udp_checksum was absent and the hub checked it
    std::uint16_t rcode = 0;        // 12-bit with EDNS
    dns::question question{};       // offsets into response_wire
    core::byte_view qname;          // canonical uncompressed question name (in the scratch)
    core::byte_view query_ip;       // from the DnsQR fields (4 or 16 bytes)
    core::byte_view response_ip;
    std::uint16_t query_port = 0;
    std::int64_t response_time_sec = 0; // first response packet (payload time if absent)
    std::int32_t response_time_nsec = 0;
    // The verdict to keep in relayed copies: the field's value, or the computed one when the
    // field was absent (nullopt when neither: e.g. absent and the address was zeroed).
    std::optional<nmsg::udp_checksum> checksum;
    core::byte_view response_wire;            // the DNS response message
    const dns::message* message = nullptr;    // parsed response (accepted only)
    const packet_set* response_set = nullptr; // its packets, as reassembled (accepted only)
    const dns::rrset_table* rrsets = nullptr; // when rrsets_valid
    const nmsg::dnsqr_view* dnsqr = nullptr;   // the parsed DnsQR (accepted only)
    // Detail of a drop, for logs and tests: which sub-parser said no.
    dns::errc dns_error = dns::errc::ok;
    net::errc ip_error = net::errc::ok;
    reasm_status reasm_error = reasm_status::ok;

    [[nodiscard]] bool accepted() const noexcept { return reason == verify_counter::accepted; }
};

// Verifies one payload. Returns result.reason.
verify_counter verify(const dnsqr_input& in, const verify_options& opt, verify_scratch& scratch,
                      verify_result& result) noexcept;

// Adds the payload's verdict (and, when accepted, its informational counts) to a block.
void count(verify_counters& c, const verify_result& r) noexcept;

// The SIE/dnsnx message (sie.md §2.4) for an accepted NXDOMAIN result: qname (canonical),
// qtype, qclass, response_ip, soa_rrname (canonical owner of the first SOA in the authority
// section, when present), response time. False when the result is not an accepted NXDOMAIN or
// `out` is too small (out is left as it was on failure).
bool write_dnsnx(const verify_result& r, core::out_buffer& out) noexcept;

} // namespace siehub::pipeline
