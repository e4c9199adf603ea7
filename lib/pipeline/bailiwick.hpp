// SPDX-License-Identifier: Apache-2.0
#pragma once
// Bailiwick reconstruction (sie.md §2.3; the full rule with worked examples is in
// docs/bailiwick.md). One checker per worker: it owns a delegation table (zone -> nameserver
// addresses) seeded with the root hints, and for each verified response decides
//   step 2  the bailiwick B (deepest table zone on the question's path whose servers include
//           the response address; on a cold table the SOA/NS evidence in the response),
//   step 3  which RRsets are in bailiwick (owner at or below B),
//   step 4  what a referral teaches the table (NS RRsets below B plus their in-bailiwick glue).
//
// Memory is fixed at construction (zone pool, address pool, name slots, hash buckets); lookups
// and learning never allocate. Single writer: the owning worker; no locks, no atomics.

#include <array>
#include <cstddef>
#include <memory>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/name.hpp"
#include "proto/dns/rrset.hpp"
#include "telemetry/counters.hpp"

namespace siehub::pipeline {

using core::byte_view;
using bailiwick_seconds = std::uint32_t; // payload time, whole seconds (as dedup)

// --- counters ---------------------------------------------------------------------------------

enum class bailiwick_counter : std::uint8_t {
    resolved_by_table,
    resolved_by_soa,
    resolved_by_ns,
    unverifiable,
    contradicted,
    in_bailiwick_rrsets,
    out_of_bailiwick_rrsets,
    learned_zones,
    refreshed_zones,
    learn_no_glue,
    learn_untrusted,
    referral_not_below,
    learn_static_kept,
    evicted_zones,
    expired_zones,
    replaced_addresses,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<bailiwick_counter>>
    bailiwick_counter_table{{
        {"bailiwick.resolved_by_table",
         "responses whose bailiwick came from the delegation table (server known for the zone)"},
        {"bailiwick.resolved_by_soa",
         "responses whose bailiwick is the owner of their SOA (cold table for the zone)"},
        {"bailiwick.resolved_by_ns",
         "responses whose bailiwick is the owner of their NS RRset (cold table for the zone)"},
        {"bailiwick.unverifiable",
         "responses dropped: no table match and no usable SOA/NS evidence (includes contradicted)"},
        {"bailiwick.contradicted",
         "responses dropped: SOA/NS claim at or above a table zone whose servers exclude the "
         "sender (part of unverifiable)"},
        {"bailiwick.in_bailiwick_rrsets", "RRsets at or below the bailiwick, kept"},
        {"bailiwick.out_of_bailiwick_rrsets", "RRsets outside the bailiwick, dropped"},
        {"bailiwick.learned_zones", "delegations added to the table from verified referrals"},
        {"bailiwick.refreshed_zones", "known delegations updated (addresses or TTL) by a referral"},
        {"bailiwick.learn_no_glue",
         "referral NS RRsets not learned: no in-bailiwick glue address in the response"},
        {"bailiwick.learn_untrusted",
         "referral NS RRsets not learned: bailiwick came from SOA/NS evidence, not the table"},
        {"bailiwick.referral_not_below",
         "referral NS RRsets not learned: zone not strictly below the bailiwick or not on the "
         "question's path"},
        {"bailiwick.learn_static_kept",
         "referral NS RRsets for a root/static zone, ignored (configured data wins)"},
        {"bailiwick.evicted_zones", "learned delegations evicted (LRU) because the table was full"},
        {"bailiwick.expired_zones",
         "learned delegations removed because every address's TTL ran out"},
        {"bailiwick.replaced_addresses",
         "addresses dropped from a full per-zone set to make room (soonest-expiring first)"},
    }};

using bailiwick_counters = telemetry::counter_block<bailiwick_counter>;

// --- configuration ------------------------------------------------------------------------------

struct bailiwick_config {
    std::uint32_t max_zones = 16384;       // learned + static zones (root hints held apart)
    std::uint32_t max_addrs_per_zone = 16; // addresses kept per zone
    // TTLs above this are clamped, so a forged huge TTL cannot pin a delegation (the root and
    // TLD referrals use 2 days; 7 days leaves room for any sane zone).
    bailiwick_seconds max_ttl = 7 * 86400;
    bool root_hints = true; // seed "." with the IANA root servers
};

enum class bailiwick_config_error : std::uint8_t {
    ok,
    zero_zones,     // max_zones == 0
    too_many_zones, // max_zones > 1 << 24
    zero_addrs,     // max_addrs_per_zone == 0
    too_many_addrs, // max_addrs_per_zone > 64
    zero_ttl,       // max_ttl == 0
};

const char* to_string(bailiwick_config_error e) noexcept;
bailiwick_config_error validate(const bailiwick_config& c) noexcept;

// Errors of add_static (operator-configured delegations, control side).
enum class static_zone_error : std::uint8_t { ok, bad_name, bad_address, table_full, zone_full };
const char* to_string(static_zone_error e) noexcept;

// --- verdict ------------------------------------------------------------------------------------

enum class bailiwick_source : std::uint8_t { unverifiable, table, soa, ns };
const char* to_string(bailiwick_source s) noexcept;

// The outcome of step 2 for one response. B is always an ancestor-or-self of Q, so it is kept
// as a suffix of the canonical question name: no second name copy.
struct bailiwick_verdict {
    bailiwick_source source = bailiwick_source::unverifiable;
    bool contradicted = false; // unverifiable because the table disagrees with the claim
    std::uint8_t q_len = 0;    // canonical Q wire length (root byte included); 0: no question
    std::uint8_t b_off = 0;    // B = qname[b_off, q_len)
    dns::name_buffer qname;    // canonical (lower-case) uncompressed question name

    [[nodiscard]] bool ok() const noexcept { return source != bailiwick_source::unverifiable; }
    [[nodiscard]] byte_view question() const noexcept { return {qname.data(), q_len}; }
    // Canonical wire form of B (lower case); empty when unverifiable.
    [[nodiscard]] byte_view bailiwick() const noexcept
    {
        return ok() ? byte_view{qname.data() + b_off, std::size_t{q_len} - b_off} : byte_view{};
    }
};

// Step 3 alone: `owner` (uncompressed wire, any case) is B or below B.
bool in_bailiwick(byte_view owner, byte_view bailiwick) noexcept;

// --- the checker --------------------------------------------------------------------------------

class bailiwick_checker {
public:
    // Allocates every pool once; throws std::invalid_argument on an invalid config (control
    // side, at start-up).
    explicit bailiwick_checker(const bailiwick_config& c = {});

    // Control side, before the worker runs: a delegation the operator trusts (zone in wire
    // form, address of 4 or 16 bytes). Static zones never expire, are never evicted and are
    // never overwritten by learning.
    static_zone_error add_static(byte_view zone, byte_view address);

    // Every step takes the canonical owners of t's sets (dns::canonical_owners built from m
    // and t), which the caller shares with its dedup keys; the overloads without them build
    // them into the checker's own scratch (tests, benchmarks).

    // Step 2: the bailiwick of response m (parsed, already verified against its query) sent
    // from `response_ip` (4 or 16 bytes) at time `now`. Refreshes the LRU position of the zone
    // it used and drops zones it finds expired. Counts resolved_by_* / unverifiable.
    bailiwick_source bailiwick_for(const dns::message& m, const dns::rrset_table& t,
                                   const dns::canonical_owners& owners, byte_view response_ip,
                                   bailiwick_seconds now, bailiwick_verdict& out) noexcept;
    bailiwick_source bailiwick_for(const dns::message& m, const dns::rrset_table& t,
                                   byte_view response_ip, bailiwick_seconds now,
                                   bailiwick_verdict& out) noexcept;

    // Step 3 for every RRset of t: keep[i] is true when t.sets()[i] is in bailiwick (all false
    // when v is unverifiable). keep.size() must be >= t.sets().size(). Returns the number kept
    // and counts in/out RRsets (nothing is counted for an unverifiable verdict).
    std::size_t select(const dns::rrset_table& t, const dns::canonical_owners& owners,
                       const bailiwick_verdict& v, std::span<bool> keep) noexcept;

    // Step 4: learns the referral NS RRsets of m (below B, on Q's path) with their
    // in-bailiwick glue. Only a bailiwick that came from the table is trusted to teach it.
    void learn(const dns::message& m, const dns::rrset_table& t,
               const dns::canonical_owners& owners, const bailiwick_verdict& v,
               bailiwick_seconds now) noexcept;

    // Steps 2-4 in one call, what a worker runs per verified NOERROR response. Returns the
    // number of RRsets kept (keep as in select()).
    std::size_t check(const dns::message& m, const dns::rrset_table& t,
                      const dns::canonical_owners& owners, byte_view response_ip,
                      bailiwick_seconds now, bailiwick_verdict& v, std::span<bool> keep) noexcept;
    std::size_t check(const dns::message& m, const dns::rrset_table& t, byte_view response_ip,
                      bailiwick_seconds now, bailiwick_verdict& v, std::span<bool> keep) noexcept;

    // Read side for tests and telemetry.
    [[nodiscard]] const bailiwick_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const bailiwick_config& cfg() const noexcept { return cfg_; }
    [[nodiscard]] std::size_t zones() const noexcept { return n_zones_; }
    [[nodiscard]] std::size_t memory_bytes() const noexcept;
    // True when `zone` is in the table (root: the hints) with `address` valid at `now`.
    [[nodiscard]] bool knows(byte_view zone, byte_view address,
                             bailiwick_seconds now) const noexcept;
    // Walks every structure and checks its invariants (O(size)); for tests.
    [[nodiscard]] bool check_invariants() const noexcept;

private:
    static constexpr std::uint32_t npos = 0xFFFFFFFFu;
    static constexpr std::size_t name_slot = 256;
    static constexpr bailiwick_seconds never = 0xFFFFFFFFu;

    struct address {
        std::array<std::uint8_t, 16> bytes;
        bailiwick_seconds expires; // valid while now < expires
        std::uint8_t len;          // 4 or 16
    };

    struct zone {
        std::uint64_t hash;
        std::uint32_t chain_next;  // next zone in the same bucket
        std::uint32_t lru_prev;    // towards most recent
        std::uint32_t lru_next;    // towards least recent
        bailiwick_seconds expires; // latest address expiry
        std::uint8_t name_len;
        std::uint8_t n_addrs;
        bool used;
        bool pinned; // static: not in the LRU list, never expires
    };

    // Index of the zone with this canonical name, or npos.
    std::uint32_t find(byte_view canon, std::uint64_t h) const noexcept;
    std::uint32_t allocate(byte_view canon, std::uint64_t h) noexcept;
    void remove(std::uint32_t z) noexcept;
    void lru_unlink(std::uint32_t z) noexcept;
    void lru_push_front(std::uint32_t z) noexcept;
    bool zone_has(std::uint32_t z, byte_view addr, bailiwick_seconds now) const noexcept;
    bool root_has(byte_view addr) const noexcept;
    // Adds or refreshes addr in zone z; false when the zone is full and pinned.
    bool zone_put(std::uint32_t z, byte_view addr, bailiwick_seconds expires) noexcept;
    void zone_purge(std::uint32_t z, bailiwick_seconds now) noexcept;
    void learn_ns_set(const dns::message& m, const dns::rrset_table& t,
                      const dns::canonical_owners& owners, const dns::rrset& ns,
                      byte_view zone_canon, byte_view bailiwick, bailiwick_seconds now) noexcept;
    [[nodiscard]] std::uint8_t* name_of(std::uint32_t z) noexcept
    {
        return names_.data() + std::size_t{z} * name_slot;
    }
    [[nodiscard]] const std::uint8_t* name_of(std::uint32_t z) const noexcept
    {
        return names_.data() + std::size_t{z} * name_slot;
    }
    [[nodiscard]] address* addrs_of(std::uint32_t z) noexcept
    {
        return addrs_.data() + std::size_t{z} * cfg_.max_addrs_per_zone;
    }
    [[nodiscard]] const address* addrs_of(std::uint32_t z) const noexcept
    {
        return addrs_.data() + std::size_t{z} * cfg_.max_addrs_per_zone;
    }

    bailiwick_config cfg_;
    std::vector<zone> zones_;
    std::vector<address> addrs_;
    std::vector<std::uint8_t> names_;
    std::vector<std::uint32_t> buckets_;
    std::uint64_t bucket_mask_ = 0;
    std::uint32_t free_head_ = npos; // free zones chained through chain_next
    std::uint32_t lru_head_ = npos;  // most recently used learned zone
    std::uint32_t lru_tail_ = npos;  // least recently used learned zone
    std::size_t n_zones_ = 0;
    std::vector<address> root_; // root hints (fixed after construction)
    std::unique_ptr<dns::canonical_owners> owners_; // for the overloads without owners
    bailiwick_counters counters_;
};

// The root hints the checker seeds "." with: IANA named.root (see root_hints.cpp).
struct root_server {
    std::string_view name;
    std::array<std::uint8_t, 4> ipv4;
    std::array<std::uint8_t, 16> ipv6;
};
std::span<const root_server> root_hints() noexcept;

} // namespace siehub::pipeline
