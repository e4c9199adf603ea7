// SPDX-License-Identifier: Apache-2.0
#pragma once
// Vendor message bytes for the records siehub originates (sie.md §1, §3): SIE/dnsdedupe
// INSERTION and EXPIRATION for ch204, and the base/encode JSON heartbeat for ch255. Each
// builder writes the serialized vendor message into a caller buffer (no allocation) and fills
// the NmsgPayload header fields that go with it, ready for channel_emitter::add().
//
// Field order is ascending field number, as protobuf-c writes it, so a record built from the
// same fields is byte-identical to what nmsgtool writes (testdata/nmsg/dnsdedupe-*.nmsg).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "axa/keys.hpp"
#include "core/bytes.hpp"
#include "core/out_buffer.hpp"
#include "proto/nmsg/container.hpp"

namespace siehub::pipeline {

using core::byte_span;
using core::byte_view;

inline constexpr std::uint32_t vid_base = 1;
inline constexpr std::uint32_t vid_sie = 2;
inline constexpr std::uint32_t msgtype_dnsdedupe = 1; // SIE/dnsdedupe (2:1)
inline constexpr std::uint32_t msgtype_encode = 11;   // base/encode (1:11)

// nmsg.sie.DnsDedupeType values siehub emits (the others are not produced, sie.md §3).
enum class dedupe_type : std::int32_t { insertion = 0, expiration = 1 };

enum class record_error : std::uint8_t {
    none = 0,
    overflow,     // the caller's buffer is too small
    bad_name,     // rrname or bailiwick empty or longer than 255 bytes
    bad_address,  // response_ip neither 4 nor 16 bytes
    bad_key,      // a dedup key that does not parse
    bad_hub_name, // heartbeat hub name empty or longer than max_hub_name
};

std::string_view to_string(record_error e) noexcept;

// Observation time: whole seconds go into SIE time_first/time_last, seconds and nanoseconds
// into the payload header.
struct record_time {
    std::uint32_t sec = 0;
    std::uint32_t nsec = 0; // 0 … 999 999 999
};

// What a finished builder hands on: the vendor message (inside the caller's buffer) and the
// payload header fields for it.
struct record {
    record_error error = record_error::none;
    nmsg::payload_header header;
    byte_view vendor;

    [[nodiscard]] bool ok() const noexcept { return error == record_error::none; }
};

// One RRset observation that was not cached before (dedup outcome `inserted`).
struct rrset_observation {
    byte_view rrname; // uncompressed wire name, any case (lower-cased on output)
    std::uint16_t rrtype = 0;
    std::uint16_t rrclass = 0;
    std::uint32_t rrttl = 0;
    byte_view bailiwick;   // uncompressed wire name, any case (lower-cased on output)
    byte_view response_ip; // 4 or 16 bytes
    // Canonical RDATA (RFC 4034 §6.2) in canonical sorted order without duplicates, as
    // dns::canonical_rdata_set() produces it; written as given.
    std::span<const byte_view> rdata;
    record_time time;
};

// SIE/dnsdedupe INSERTION: count 1, time_first = time_last = time.sec, response_ip, bailiwick,
// the RRset; payload time = observation time. `source` is the hub's pseudonymous id (§6).
record build_insertion(byte_span out, const rrset_observation& obs,
                       std::optional<std::uint32_t> source) noexcept;

// The same INSERTION from the canonical dedup key the owner core already built (names are
// lower-case and rdata sorted in it, so the names are copied, not folded again): what the
// data plane calls on outcome `inserted`.
record build_insertion_from_key(byte_span out, byte_view key, std::uint32_t rrttl,
                                byte_view response_ip, record_time time,
                                std::optional<std::uint32_t> source) noexcept;

// SIE/dnsdedupe EXPIRATION from an entry leaving the dedup table (dedup::expired_entry
// fields): count, time_first, time_last, rrttl, the RRset from the key, no response_ip.
// Payload time = `now`, the time the entry left the cache. count saturates at 2^32 - 1
// (the field is uint32 on the wire).
record build_expiration(byte_span out, byte_view key, std::uint64_t count, std::uint32_t time_first,
                        std::uint32_t time_last, std::uint32_t rrttl, record_time now,
                        std::optional<std::uint32_t> source) noexcept;

// The AXA keys (axa::extract_keys) of the record build_insertion_from_key or build_expiration
// writes from `key` (response_ip empty for an EXPIRATION), taken from the key itself rather
// than from the encoded record. False (nothing added) when the key does not parse.
bool record_keys(byte_view key, byte_view response_ip, axa::payload_keys& k) noexcept;

// base/encode heartbeat (ch255): type JSON, payload `{"heartbeat":<n>,"hub":"<hub>"}`.
// The hub name is escaped as JSON requires (", \ and control bytes).
inline constexpr std::size_t max_hub_name = 64;
record build_heartbeat(byte_span out, std::uint64_t n, std::string_view hub, record_time now,
                       std::optional<std::uint32_t> source) noexcept;

// Bytes build_heartbeat needs at most for a hub name of max_hub_name bytes.
inline constexpr std::size_t heartbeat_buffer_size = 64 + 6 * max_hub_name;

} // namespace siehub::pipeline
