// SPDX-License-Identifier: Apache-2.0
#pragma once
// The newness engine (sie.md §4): one shard of the hub-wide seen-sets, single writer, fed with
// the ch204 INSERTIONs (dedup key bytes + time + ttl + response_ip) and EXPIRATION time_last
// updates, deciding NOD (212), NOH (213), NAD (211) and DNS changes (214) and building the
// SIE/newdomain records for them.
//
// Sharding (docs/newness.md): every name belongs to the shard of its *base domain*
// (shard_of(base hash)), so an FQDN, its base domain and (for the owner) its (owner, type, …)
// facts all live in one shard. An INSERTION is routed to each distinct shard among the base
// domains of its owner and rdata names (route()); each shard evaluates only the names it owns
// and the 214 facts when it owns the owner's base domain. So each name is checked by exactly
// one shard, and a name is new once hub-wide.
//
// Records (one per distinct base domain and channel per INSERTION):
//  212: domain, time_seen, rrname, rrtype, rrclass, rdata, bailiwick, new_domain=true
//  213 and 211: domain, time_seen, rrname, rrtype, rrclass, rdata, bailiwick (no flags)
//  214 (owner seen as an RRset owner before this INSERTION, and a new (owner,type), rdata or
//       rdata set):
//       the same plus rrttl, count, time_first, time_last, type, response_ip and the flags
//       new_domain, new_rrname, new_rrtype, new_rr[] (one per rdata, key order), new_rrset.
// `keys` is left empty. Payload time = observation time; source = the hub's id.
//
// Names inside rdata: NS, CNAME, DNAME, PTR targets, MX exchange, SRV target. A name that is
// not valid, is a public suffix itself, or has no listed suffix is counted and skipped;
// `.arpa` names take part in 213 but not in 211/212.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "core/bytes.hpp"
#include "newness/psl_table.hpp"
#include "newness/seen_set.hpp"
#include "proto/nmsg/container.hpp"
#include "telemetry/counters.hpp"

namespace siehub::newness {

using core::byte_view;

inline constexpr std::uint16_t ch_nad = 211;
inline constexpr std::uint16_t ch_nod = 212;
inline constexpr std::uint16_t ch_noh = 213;
inline constexpr std::uint16_t ch_changes = 214;
inline constexpr std::uint32_t msgtype_newdomain = 5; // SIE/newdomain (2:5)

// Most shards a hub can have (one per worker).
inline constexpr unsigned max_shards = 64;
// Most rdata of one RRset the engine evaluates (a 2 KB key holds at most 1023).
inline constexpr std::size_t max_rdata = 1024;

enum class newness_counter : std::uint8_t {
    insertions,
    expirations,
    names,
    skip_bad_name,
    skip_public_suffix,
    skip_unlisted_tld,
    skip_arpa,
    nod,
    noh,
    nad,
    changes,
    learning,
    bad_key,
    too_many_rdata,
    record_error,
    table_grows,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<newness_counter>>
    newness_counter_table{{
        {"newness.insertions", "INSERTIONs delivered to this shard's engine"},
        {"newness.expirations", "EXPIRATION time_last updates delivered to this shard (NAD)"},
        {"newness.names", "names (owner and rdata) this shard owned and checked"},
        {"newness.skip_bad_name", "names skipped: not a valid wire name or over-long"},
        {"newness.skip_public_suffix", "names skipped: the name is itself a public suffix"},
        {"newness.skip_unlisted_tld", "names skipped: no public suffix rule covers the name"},
        {"newness.skip_arpa", "names under .arpa left out of 211/212 (still checked for 213)"},
        {"newness.out_nod", "ch212 NOD records (base domain never seen)"},
        {"newness.out_noh", "ch213 NOH records (FQDN never seen)"},
        {"newness.out_nad", "ch211 NAD records (base domain back after the inactivity gap)"},
        {"newness.out_changes", "ch214 DNS-changes records"},
        {"newness.learning", "records not emitted because the learning period is running"},
        {"newness.bad_key", "INSERTION or EXPIRATION keys that do not parse (should stay 0)"},
        {"newness.too_many_rdata", "RRsets over the engine's rdata limit, skipped"},
        {"newness.record_error", "newdomain records that could not be built (should stay 0)"},
        {"newness.table_grows", "seen-set growths (allocation + rehash)"},
    }};

using newness_counters = telemetry::counter_block<newness_counter>;

struct engine_config {
    unsigned shard = 0;
    unsigned shards = 1;
    std::uint32_t nad_days = 10;        // NAD: inactivity gap in days
    std::uint32_t learning_period_s = 0; // record, don't emit, until created + this
    std::size_t fqdn_capacity = 1 << 16; // names before the first growth
    std::size_t base_capacity = 1 << 14;
    std::size_t fact_capacity = 1 << 16;
    unsigned fingerprint_bits = 64;
    std::optional<std::uint32_t> source; // the hub's pseudonymous id for the payload header
};

// The hash seeds of the fingerprints; part of the snapshot format (a change needs a new
// snapshot version).
inline constexpr std::uint64_t seed_fqdn = 0x6e6f682d66716466ULL;
inline constexpr std::uint64_t seed_base = 0x6e6f642d62617365ULL;
inline constexpr std::uint64_t seed_type = 0x6368672d74797065ULL;
inline constexpr std::uint64_t seed_rr = 0x6368672d72646174ULL;
inline constexpr std::uint64_t seed_set = 0x6368672d72736574ULL;
inline constexpr std::uint64_t seed_owner = 0x6368672d6f776e72ULL;

std::uint64_t hash_name(byte_view wire, std::uint64_t seed) noexcept;

// The shard that owns a base domain (by its seed_base hash).
inline unsigned shard_of(std::uint64_t base_hash, unsigned shards) noexcept
{
    return static_cast<unsigned>(((base_hash >> 32) * shards) >> 32);
}

// Names an RRset of type `rrtype` carries in one canonical rdata (empty view: none).
byte_view rdata_name(std::uint16_t rrtype, byte_view rdata) noexcept;

// Which shards must see an INSERTION with this dedup key: a bit mask over shards (0 when no
// name of the key has a base domain, or the key does not parse).
std::uint64_t route(byte_view key, const psl_table& psl, unsigned shards) noexcept;

// One SIE/newdomain record handed to the sink (vendor bytes live until the next call).
struct out_record {
    std::uint16_t channel = 0;
    nmsg::payload_header header;
    byte_view vendor;
};

struct insertion {
    byte_view key; // dedup key bytes (dedup/key.hpp)
    std::uint32_t time_sec = 0;
    std::uint32_t time_nsec = 0;
    std::uint32_t ttl = 0;
    byte_view response_ip; // 4 or 16 bytes (or empty)
};

struct parsed; // a parsed dedup key (engine.cpp)

class engine {
public:
    engine(const psl_table& psl, engine_config cfg);

    // Evaluates an INSERTION; calls sink(const out_record&) for each record. Allocation only
    // when a seen-set grows.
    template <class Sink> void on_insertion(const insertion& in, Sink&& sink)
    {
        using S = std::remove_reference_t<Sink>;
        evaluate(in, [](void* ctx, const out_record& r) { (*static_cast<S*>(ctx))(r); },
                 const_cast<void*>(static_cast<const void*>(&sink)));
    }

    // An EXPIRATION's time_last raises the last-seen day of the base domains this shard owns.
    void on_expiration(byte_view key, std::uint32_t time_last) noexcept;

    // Records the names of a key without emitting (bootstrap import and learning).
    void learn(const insertion& in);
    // Records a bare name (text import): FQDN and base domain with `day`. False if skipped.
    bool learn_name(byte_view wire, std::uint16_t day);

    [[nodiscard]] const newness_counters& counters() const noexcept { return c_; }
    [[nodiscard]] const engine_config& config() const noexcept { return cfg_; }
    [[nodiscard]] const seen_table& fqdns() const noexcept { return fqdn_; }
    [[nodiscard]] const seen_table& bases() const noexcept { return base_; }
    [[nodiscard]] const seen_table& facts() const noexcept { return fact_; }
    seen_table& fqdns_mut() noexcept { return fqdn_; }
    seen_table& bases_mut() noexcept { return base_; }
    seen_table& facts_mut() noexcept { return fact_; }
    // First observation time of the seen-sets (0: none yet); learning runs until
    // created + learning_period_s.
    [[nodiscard]] std::uint64_t created() const noexcept { return created_; }
    void set_created(std::uint64_t t) noexcept { created_ = t; }
    [[nodiscard]] std::size_t memory_bytes() const noexcept
    {
        return fqdn_.memory_bytes() + base_.memory_bytes() + fact_.memory_bytes();
    }

private:
    using emit_fn = void (*)(void*, const out_record&);
    void evaluate(const insertion& in, emit_fn fn, void* ctx);
    void sync_grows() noexcept;
    void put(std::uint16_t channel, const insertion& in, const parsed& p, byte_view domain,
             emit_fn fn, void* ctx);

    const psl_table& psl_;
    engine_config cfg_;
    seen_table fqdn_;
    seen_table base_;
    seen_table fact_;
    newness_counters c_;
    std::uint64_t created_ = 0;
    std::size_t grows_seen_ = 0;
    std::vector<std::uint8_t> buf_; // one record
    std::vector<byte_view> rdata_;
    std::unique_ptr<bool[]> new_rr_;
    std::vector<std::uint64_t> done_; // (channel, base hash) already emitted for this key
    struct name_eval { // one owned name of the INSERTION being evaluated
        byte_view name;
        byte_view base;
        std::uint64_t base_hash = 0;
        std::uint64_t fqdn_hash = 0;
        bool owner = false;
        bool arpa = false;
    };
    std::vector<name_eval> names_;
    std::vector<std::uint64_t> rr_hash_; // fact hashes: per rdata, then the rdata set
    bool flag_new_domain_ = false; // ch214 flags of the INSERTION being evaluated
    bool flag_new_rrtype_ = false;
    bool flag_new_rrset_ = false;
};

} // namespace siehub::newness
