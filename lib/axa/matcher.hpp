// SPDX-License-Identifier: Apache-2.0
#pragma once
// One compiled generation of every client's watches (spec/axa.md §5.2), immutable once built,
// so it can be published to data-plane workers behind RCU/QSBR and read without locks:
//
//  * dns= : two open-addressing tables (exact, `*.` suffix) keyed by a seeded hash of the
//           lower-cased wire name, each behind a 32 KiB bloom filter keyed by a cheap
//           fingerprint (first and last 8 bytes, case-folded, and the length). A payload
//           name is tested whole (exact) and at each suffix whose label count some `*.`
//           watch has: a label walk and one fingerprint per suffix, no pass over the name.
//           Only the few that pass the filter get the full hash (a chain over the name's
//           8-byte words from its end, which an adversary's watch set cannot make collide)
//           and a probe; a hit compares the bytes (no false positives). The names of one
//           payload go in phases: filter all, prefetching the slots of those that pass; probe;
//  * ip=  : per family, the prefixes cut the address space into disjoint intervals, each
//           holding every prefix that covers it (prefixes nest, so a sweep with a stack builds
//           them); a directory by the top 12 bits narrows the search for the interval to the
//           few that start under the same bits;
//  * ch=  : per channel, the watches; errors: one list;
//  * channel gate: per channel, a bitset of the clients that switched it on.
//
// match() reports each client at most once, with its lowest matching tag (siehub rule).
// It allocates nothing; the scratch (one per thread) holds the per-client dedup state.

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "axa/keys.hpp"
#include "axa/protocol.hpp"
#include "axa/session.hpp"

namespace siehub::axa {

// One client's input to a generation. `client` is the caller's dense index (< client_count).
struct client_watches {
    std::uint32_t client = 0;
    std::span<const watch_entry> watches;
    const std::bitset<ch_max + 1>* channels = nullptr; // channels switched on
};

struct match_hit {
    std::uint32_t client = 0;
    std::uint16_t tag = 0;
    std::uint16_t field_idx = 0;
    std::uint16_t val_idx = 0;
};

class match_scratch {
public:
    explicit match_scratch(std::size_t clients = 0) { resize(clients); }
    void resize(std::size_t clients)
    {
        best_.assign(clients, slot{});
        hits_.reserve(clients);
        stamp_ = 0;
    }
    [[nodiscard]] std::span<const match_hit> hits() const noexcept { return hits_; }

private:
    friend class match_generation;
    struct slot {
        std::uint32_t stamp = 0;
        std::uint32_t pos = 0; // index into hits_
    };
    std::vector<slot> best_;
    std::vector<match_hit> hits_;
    std::uint32_t stamp_ = 0;
};

class match_generation {
public:
    // `client_count` bounds the client indexes; watches that fail parse_watch are skipped.
    static std::shared_ptr<const match_generation> build(std::span<const client_watches> clients,
                                                         std::size_t client_count);

    [[nodiscard]] std::size_t client_count() const noexcept { return client_count_; }
    [[nodiscard]] std::size_t watch_count() const noexcept { return watch_count_; }
    // Whether any client has channel `ch` on (the caller can skip key extraction otherwise).
    [[nodiscard]] bool channel_wanted(std::uint16_t ch) const noexcept
    {
        return ch <= ch_max && ch_index_[ch] >= 0;
    }
    // Whether any dns=/ip= watch exists (else key extraction can be skipped).
    [[nodiscard]] bool needs_keys() const noexcept { return !dns_exact_.empty() || !dns_wild_.empty() || !v4_.starts.empty() || !v6_.starts.empty(); }

    // The hashes this generation gives every suffix of a wire name (out[k]: its last k labels,
    // out[0]: the root), computed in one pass (each equals the suffix's own name hash, which
    // match() computes for the probes that pass the filter); returns the label count (at
    // most 127). out[label count] is the whole name's. For tests and tools.
    std::size_t suffix_hashes(std::span<const std::uint8_t> name,
                              std::span<std::uint64_t, 128> out) const noexcept;

    // Hits of one payload; `s` must have been sized for client_count(). Returns the hits
    // (valid until the next match with the same scratch), ordered by first hit.
    std::span<const match_hit> match(const payload_keys& k, match_scratch& s) const noexcept;

private:
    struct ref {
        std::uint32_t client;
        std::uint16_t tag;
    };
    struct dns_slot {
        std::uint64_t hash = 0; // 0 = empty
        std::uint32_t name_off = 0;
        std::uint32_t refs_off = 0;
        std::uint16_t name_len = 0;
        std::uint16_t refs_len = 0;
    };
    static constexpr unsigned bloom_bits = 18; // 32 KiB: most probes never leave L1/L2
    static std::uint64_t bloom_bit(std::uint64_t fp) noexcept
    {
        return fp >> (64 - bloom_bits); // the top bits: the best mixed of a product
    }
    struct dns_table {
        std::vector<dns_slot> slots;
        std::uint64_t mask = 0;
        std::vector<std::uint64_t> bloom; // one bit per name hash
        std::array<std::uint64_t, 2> label_counts{}; // bit n: a name with n labels exists
        [[nodiscard]] bool empty() const noexcept { return slots.empty(); }
        [[nodiscard]] bool has_labels(std::size_t labels) const noexcept
        {
            return labels <= 127 && ((label_counts[labels >> 6] >> (labels & 63)) & 1);
        }
        [[nodiscard]] bool bloom_has(std::uint64_t fp) const noexcept
        {
            std::uint64_t const b = bloom_bit(fp);
            return (bloom[b >> 6] >> (b & 63)) & 1;
        }
    };
    // A first-level directory by the top address bits (16 KiB). 16 bits for IPv4 (256 KiB,
    // most slots leading straight to one interval) measured no faster on bench_axa_match.
    template <class Addr>
    static constexpr unsigned dir_bits = 12;
    template <class Addr> struct ip_table {
        std::vector<Addr> starts; // sorted interval starts (starts[0] = 0)
        std::vector<std::uint32_t> refs_off; // per interval, + one past the end
        std::vector<std::uint32_t> dir; // dir[p]: first interval whose start has top bits >= p
    };

    [[nodiscard]] bool gate(std::uint32_t client, std::uint16_t ch) const noexcept;
    void add_refs(std::uint32_t off, std::uint32_t len, std::uint16_t ch, std::uint16_t field,
                  std::uint16_t val, match_scratch& s) const noexcept;
    void probe(const dns_table& t, std::uint64_t h, const std::uint8_t* name, std::size_t len,
               std::uint16_t ch, const name_key& key, match_scratch& s) const noexcept;
    struct name_words { // name_pass's chain over a name's words from its end
        std::array<std::uint64_t, 33> st; // st[q]: the state after q words
        std::array<std::uint64_t, 34> wd; // wd[j]: the j-th word from the end, lower-cased
    };
    void name_pass(const std::uint8_t* name, std::size_t len, name_words& nw) const noexcept;
    [[nodiscard]] std::uint64_t suffix_at(const name_words& nw, std::size_t len,
                                          std::size_t off) const noexcept;
    [[nodiscard]] std::uint64_t fingerprint(const std::uint8_t* name, std::size_t len,
                                            std::uint64_t wend, std::size_t off) const noexcept;
    static std::uint64_t last_word(const std::uint8_t* name, std::size_t len) noexcept;
    [[nodiscard]] std::uint64_t name_hash(const std::uint8_t* name, std::size_t len) const noexcept;
    struct name_probe; // one table probe queued by match_names
    template <class Push>
    void match_deep_name(const name_key& n, std::size_t labels, std::array<std::uint8_t, 128>& offs,
                         const Push& push) const noexcept;
    void match_names(const payload_keys& k, match_scratch& s) const noexcept;
    void match_ips(const payload_keys& k, match_scratch& s) const noexcept;

    friend struct generation_builder;

    std::size_t client_count_ = 0;
    std::size_t watch_count_ = 0;
    struct hash_keys { // the name hash's key, random per generation
        std::uint64_t root = 0; // the chain's start
        std::uint64_t fp = 0;   // the bloom fingerprint's seeds
        std::uint64_t fp2 = 0;
    };
    hash_keys hk_;
    std::array<std::int32_t, ch_max + 1> ch_index_{};
    std::size_t gate_words_ = 0;
    std::vector<std::uint64_t> gate_bits_; // per indexed channel: gate_words_ words
    std::vector<ref> refs_;                // every list below points into this
    std::vector<std::uint32_t> ch_refs_;   // per indexed channel: [off, len] of ch= watches
    std::uint32_t err_off_ = 0, err_len_ = 0;
    std::vector<std::uint8_t> names_; // lower-case wire names of the dns tables
    dns_table dns_exact_;
    dns_table dns_wild_;
    ip_table<std::uint32_t> v4_;
    ip_table<unsigned __int128> v6_;
};

} // namespace siehub::axa
