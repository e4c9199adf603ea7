// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a watch can match in one payload (spec/axa.md §5.2): the names and addresses of the
// fields the spec's table names per message type, each with the field index a WHIT carries
// (nmsg.md key order − 1) and the index within a repeated field. Fixed capacity, no
// allocation: a worker fills one per payload.

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"

namespace siehub::nmsg {
class dnsqr_view;
}

namespace siehub::axa {

using core::byte_view;

struct name_key {
    const std::uint8_t* name = nullptr; // uncompressed wire name (checked by the guardian)
    std::uint16_t len = 0;
    std::uint16_t field_idx = 0;
    std::uint16_t val_idx = 0;
    // Labels, root excluded, as the guardian counted them (add_name sets it; 0 on a name
    // longer than the root byte means "not counted": the matcher then walks the name).
    std::uint8_t labels = 0;
};

struct ip_key {
    std::uint8_t family = 4; // 4 or 6
    std::array<std::uint8_t, 16> addr{};
    std::uint16_t field_idx = 0;
    std::uint16_t val_idx = 0;
};

struct payload_keys {
    static constexpr std::size_t max_names = 48;
    static constexpr std::size_t max_ips = 48;
    std::uint16_t ch = 0;
    bool error = false;     // the payload failed to decode (nmsg or DNS): `errors` watches
    bool truncated = false; // more names/addresses than fit (the rest is not matched)
    std::uint16_t n_names = 0;
    std::uint16_t n_ips = 0;
    std::array<name_key, max_names> names;
    std::array<ip_key, max_ips> ips;

    void clear() noexcept
    {
        error = false;
        truncated = false;
        n_names = 0;
        n_ips = 0;
    }
    void add_name(byte_view n, std::uint16_t field, std::uint16_t val) noexcept;
    void add_ip(byte_view a, std::uint16_t field, std::uint16_t val) noexcept;
};

// Message types with matchable fields (nmsg.md §10).
inline constexpr std::uint32_t vid_base = 1;
inline constexpr std::uint32_t vid_sie = 2;
inline constexpr std::uint32_t msgtype_dnsqr = 9;
inline constexpr std::uint32_t msgtype_dnsdedupe = 1;
inline constexpr std::uint32_t msgtype_newdomain = 5;
inline constexpr std::uint32_t msgtype_dnsnx = 6;

// Fills `k` (ch and error untouched except that a vendor message that does not decode sets
// error) from the vendor message of a payload. Other message types yield no keys (`ch=` and
// `errors` watches still apply). Returns false when the message did not decode.
bool extract_keys(std::uint32_t vid, std::uint32_t msgtype, byte_view vendor,
                  payload_keys& k) noexcept;

// The keys of a base/dnsqr payload from a view already parsed: the same as extract_keys on
// its bytes, except that with `query_ip_zeroed` the query address reads as zeros of its
// length (what the relay's privacy scrub writes in the copy it emits). The data plane calls
// it with verify's view of the payload instead of parsing its scrubbed copy again.
void dnsqr_keys(const nmsg::dnsqr_view& v, bool query_ip_zeroed, payload_keys& k) noexcept;

// Appends the names inside one RDATA of `rrtype` (CNAME, NS, PTR, SOA, MX, SRV, … as §5.2
// lists) and its address for A/AAAA.
void rdata_keys(std::uint32_t rrtype, byte_view rdata, std::uint16_t field, std::uint16_t val,
                payload_keys& k) noexcept;

// The keys of a SIE/dnsdedupe record from its parts, in extract_keys' order (an absent field
// is an empty view): extract_keys calls it with the decoded record, the data plane with the
// dedup key the record is written from. `for_each_rdata(f)` calls f(rdata) for each RDATA.
template <class ForEachRdata>
void dnsdedupe_keys(byte_view response_ip, byte_view bailiwick, byte_view rrname,
                    std::uint32_t rrtype, const ForEachRdata& for_each_rdata,
                    payload_keys& k) noexcept
{
    k.add_ip(response_ip, 6, 0);
    k.add_name(bailiwick, 7, 0);
    k.add_name(rrname, 8, 0);
    std::uint16_t i = 0;
    for_each_rdata([&](byte_view rd) { rdata_keys(rrtype, rd, 12, i++, k); });
}



} // namespace siehub::axa
