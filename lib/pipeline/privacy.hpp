// SPDX-License-Identifier: Apache-2.0
#pragma once
// Privacy scrubbing of relayed base/dnsqr payloads (spec sie.md §6) and the keyed source
// pseudonym.
//
// scrub_dnsqr() writes a new DnsQR into an out_buffer (the data plane copies the payload into
// the output container anyway, so scrubbing is that copy):
//  * zero_resolver: query_ip becomes zeros of the same length; the source address of every
//    query packet and the destination address of every response packet are zeroed (every IP
//    fragment carries its own header, so every packet is touched); resolver_address_zeroed is
//    set. In-packet IP/UDP checksums are left as they are (as nmsgtool's sensor does).
//  * udp_checksum keeps the verdict computed before zeroing: the field's own value, or the
//    verdict verify computed when the field was absent (passed in).
//  * scrub_ecs / scrub_cookies: EDNS options 8 (family kept, prefix lengths and address
//    zeroed) and 10, 16, 17, 20292, 26946 (all data zeroed), in every query and response
//    packet, length-preserving. Fragmented packets: the fragments of one side are reassembled
//    into scratch, the DNS message is parsed there, and each option byte range is mapped back
//    onto the fragments holding it (an option may straddle a fragment boundary), so nothing is
//    missed. When a side cannot be parsed down to its OPT record the payload is refused
//    (privacy.unscrubbable): relaying what could not be scrubbed would leak.
//  * TCP and ICMP payloads carry no packets here (their `tcp`/`icmp` bytes are opaque and
//    verify never accepts them); they are copied with nothing changed, as the sensor does.
//
// No allocation; the caller owns one privacy_scratch per worker (about 200 KiB).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"
#include "pipeline/dnsqr_reasm.hpp"
#include "proto/dns/message.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/types.hpp"
#include "telemetry/counters.hpp"

namespace siehub::pipeline {

struct privacy_options {
    bool zero_resolver = true;
    bool scrub_ecs = true;
    bool scrub_cookies = true;
    // Copy and patch a canonical DnsQR in place instead of decoding and re-encoding it (same
    // fields, same bytes for canonical input; off only in tests that compare the two ways).
    bool in_place = true;
};

// Values before privacy_counter::resolver_zeroed are outcomes (one per call); the rest count
// what was done.
enum class privacy_counter : std::uint8_t {
    scrubbed = 0,
    bad_dnsqr,
    too_many_packets,
    unparsable_packet,
    unscrubbable,
    out_of_space,
    resolver_zeroed,
    ecs_zeroed,
    cookies_zeroed,
    fragmented,
    count_
};

inline constexpr std::size_t n_privacy_counters = static_cast<std::size_t>(privacy_counter::count_);

inline constexpr std::array<telemetry::counter_info, n_privacy_counters> privacy_counter_table{{
    {"privacy.scrubbed", "dnsqr payloads scrubbed and written for relay"},
    {"privacy.bad_dnsqr", "payloads refused: the DnsQR does not decode"},
    {"privacy.too_many_packets", "payloads refused: more packets or times than the scratch "
                                 "holds (64 per side)"},
    {"privacy.unparsable_packet", "payloads refused: a packet whose IP header does not parse, "
                                  "so its resolver address cannot be zeroed"},
    {"privacy.unscrubbable", "payloads refused: a side whose DNS message (OPT) cannot be "
                             "located, so EDNS options cannot be scrubbed"},
    {"privacy.out_of_space", "payloads refused: output buffer or packet scratch too small"},
    {"privacy.resolver_zeroed", "payloads whose resolver address was zeroed"},
    {"privacy.ecs_zeroed", "EDNS client-subnet options zeroed (family kept)"},
    {"privacy.cookies_zeroed", "EDNS cookie, client-tag, server-tag, 20292 and 26946 options "
                               "zeroed"},
    {"privacy.fragmented", "packet sides scrubbed through reassembly of IP fragments"},
}};

using privacy_counters = telemetry::counter_block<privacy_counter>;

[[nodiscard]] constexpr const char* to_string(privacy_counter c) noexcept
{
    return c < privacy_counter::count_ ? privacy_counter_table[static_cast<std::size_t>(c)].name
                                       : "privacy.unknown";
}

struct privacy_scratch {
    static constexpr std::size_t max_per_side = packet_set::max_packets;
    static constexpr std::size_t packet_bytes_size = 131072;
    std::array<std::uint8_t, packet_bytes_size> packet_bytes;
    std::array<std::uint8_t, 65536> reasm;
    std::array<core::byte_view, max_per_side> query_packets;
    std::array<core::byte_view, max_per_side> response_packets;
    std::array<std::int64_t, max_per_side> query_sec;
    std::array<std::int32_t, max_per_side> query_nsec;
    std::array<std::int64_t, max_per_side> response_sec;
    std::array<std::int32_t, max_per_side> response_nsec;
    packet_set set;
    dns::message message;
};

// Scrubs the serialized DnsQR `dnsqr` into `out` (appended). `verdict` is verify's
// udp_checksum verdict, written when the field is absent. Returns privacy_counter::scrubbed or
// the reason of a refusal (out then keeps its previous size). Counts into `c`.
privacy_counter scrub_dnsqr(core::byte_view dnsqr, const privacy_options& opt,
                            std::optional<nmsg::udp_checksum> verdict, privacy_scratch& scratch,
                            core::out_buffer& out, privacy_counters& c) noexcept;
// The response side as verify already reassembled and parsed it (verify_result::response_set
// and ::message): the scrub maps the response's EDNS options through them instead of
// reassembling and parsing the response packets a second time.
struct parsed_side {
    const packet_set* set = nullptr;
    const dns::message* message = nullptr;
};

// The same on a DnsQR already parsed (verify's view), so the payload is not parsed twice;
// `response`, when given, must come from the same payload's response_packet field.
privacy_counter scrub_dnsqr(const nmsg::dnsqr_view& dnsqr, const privacy_options& opt,
                            std::optional<nmsg::udp_checksum> verdict, privacy_scratch& scratch,
                            core::out_buffer& out, privacy_counters& c,
                            parsed_side response = {}) noexcept;

// Zeroes the privacy options of one parsed DNS message in place, per option class (the
// length-preserving rules above). Returns (ecs zeroed, others zeroed).
struct edns_scrub_counts {
    std::size_t ecs = 0;
    std::size_t cookies = 0;
};
edns_scrub_counts scrub_edns(core::byte_span wire, const dns::message& parsed,
                             const privacy_options& opt) noexcept;

// SipHash-2-4 (Aumasson and Bernstein), written out so the pseudonym depends on nothing
// outside the repository. Key bytes are read little-endian, as in the reference code.
struct siphash_key {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;
    static siphash_key from_bytes(const std::array<std::uint8_t, 16>& b) noexcept;
};

std::uint64_t siphash24(const siphash_key& key, core::byte_view data) noexcept;

// The 32-bit source pseudonym of a participant (sie.md §6): SipHash-2-4 of the sensor
// identity under the hub secret, folded to 32 bits (high ^ low). Rotating the key rotates
// every pseudonym.
std::uint32_t pseudonym(const siphash_key& key, core::byte_view sensor_identity) noexcept;
// The identity as the 4 little-endian bytes of a numeric sensor id (e.g. the upstream nmsg
// `source`).
std::uint32_t pseudonym(const siphash_key& key, std::uint32_t sensor_id) noexcept;

} // namespace siehub::pipeline
