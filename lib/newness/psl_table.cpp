// SPDX-License-Identifier: Apache-2.0
#include "newness/psl_table.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <map>
#include <string>

#include "proto/dns/name.hpp"

namespace siehub::newness {

namespace {

constexpr std::uint8_t f_rule = 1;      // a rule: this suffix is public (wildcards set it too)
constexpr std::uint8_t f_wildcard = 2;  // `*.` rule: every child of this suffix is public
constexpr std::uint8_t f_exception = 4; // `!` rule: this suffix is not public
constexpr std::uint8_t f_branch = 8;    // a longer rule ends with this suffix: keep walking

constexpr std::size_t max_wire = dns::max_name_len;
constexpr std::uint64_t seed = 0x2f0b3c4e5d6a7988ull;
constexpr std::uint64_t ones = 0x0101010101010101ull;

// Scratch holding the name lowercased, padded so that 8-byte loads never leave it.
using name_scratch = std::array<std::uint8_t, max_wire + 16>;
using label_offsets = dns::label_offsets;

// ASCII A-Z -> a-z in eight bytes at once; every other byte (UTF-8, binary) unchanged.
inline std::uint64_t lower8(std::uint64_t x) noexcept
{
    std::uint64_t const heptets = x & (0x7f * ones);
    std::uint64_t const above_z = heptets + ((0x7f - 'Z') * ones);
    std::uint64_t const from_a = heptets + ((0x80 - 'A') * ones);
    std::uint64_t const upper = ~x & (from_a ^ above_z) & (0x80 * ones);
    return x | (upper >> 2);
}

inline std::uint64_t fmix64(std::uint64_t k) noexcept
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

// Hash of the label whose length byte is at s[o]; s is lowercased and padded.
inline std::uint64_t label_hash(const std::uint8_t* s, std::size_t o) noexcept
{
    std::size_t const len = s[o];
    const std::uint8_t* p = s + o + 1;
    std::uint64_t h = (len + 1) * 0x9e3779b97f4a7c15ull;
    for (std::size_t i = 0; i < len; i += 8) {
        std::uint64_t w = core::load_le64(p + i);
        std::size_t const rem = len - i;
        if (rem < 8) {
            w &= (std::uint64_t{1} << (8 * rem)) - 1;
        }
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

// Copies [0, wire_len) of a validated name into scratch, lowercased, zero-padded.
inline void load_lowered(const std::uint8_t* name, std::size_t wire_len, name_scratch& s) noexcept
{
    std::memcpy(s.data(), name, wire_len);
    std::memset(s.data() + wire_len, 0, 16);
    for (std::size_t i = 0; i < wire_len; i += 8) {
        core::store_le64(s.data() + i, lower8(core::load_le64(s.data() + i)));
    }
}

// Key equality, 8 bytes at a time: the scratch is zero-padded and the arena ends with 8 spare
// bytes, so the loads stay inside both; bytes past the key are masked off. Keys are short
// (suffixes of at most a few labels), so this beats a memcmp call.
inline bool same_key(const std::uint8_t* a, const std::uint8_t* b, std::size_t len) noexcept
{
    for (std::size_t i = 0; i < len; i += 8) {
        std::uint64_t x = core::load_le64(a + i) ^ core::load_le64(b + i);
        std::size_t const rem = len - i;
        if (rem < 8) {
            x &= (std::uint64_t{1} << (8 * rem)) - 1;
        }
        if (x != 0) {
            return false;
        }
    }
    return true;
}

struct walk {
    base_status status = base_status::ok;
    unsigned labels = 0;
    std::size_t wire_len = 0;
};

// The label walk is the DNS name guardian's (style principle 5): one pass validates the name
// (labels <= 63, wire form <= 255, no pointers or 0x40/0x80 label types) and records where the
// labels start, so the suffix walk below needs no second split.
inline walk walk_labels(byte_view name, label_offsets& off) noexcept
{
    walk w;
    dns::name_info const r = dns::check_name_labels(name, off);
    if (r.err != dns::errc::ok) {
        if (r.err == dns::errc::name_truncated) {
            w.status = base_status::truncated;
        } else if (r.err == dns::errc::name_too_long) {
            w.status = base_status::name_too_long;
        } else {
            // bad_label_type, pointer_not_allowed: a label type other than 00.
            w.status = base_status::bad_label;
        }
        return w;
    }
    w.labels = r.labels;
    w.wire_len = r.wire_len;
    return w;
}

} // namespace

const char* to_string(base_status s) noexcept
{
    switch (s) {
    case base_status::ok:
        return "ok";
    case base_status::truncated:
        return "truncated";
    case base_status::bad_label:
        return "bad_label";
    case base_status::name_too_long:
        return "name_too_long";
    case base_status::root_name:
        return "root_name";
    case base_status::public_suffix:
        return "public_suffix";
    case base_status::unlisted_tld:
        return "unlisted_tld";
    }
    return "unknown";
}

psl_table::psl_table(std::span<const psl_rule> rules, psl_options opts) : opts_(opts)
{
    // Pass 1: unique lowercase wire suffixes with their merged flags (duplicates and
    // rule/wildcard/exception combinations on one name merge as libpsl merges them).
    std::map<std::string, std::uint8_t> keys;
    std::string wire;
    for (const auto& rule : rules) {
        if (rule.section == psl_section::private_domains && !opts.private_domains) {
            continue;
        }
        ++rules_;
        wire.clear();
        std::size_t pos = 0;
        std::vector<std::size_t> starts;
        for (;;) {
            std::size_t const dot = rule.name.find('.', pos);
            std::size_t const end = dot == std::string::npos ? rule.name.size() : dot;
            starts.push_back(wire.size());
            wire.push_back(static_cast<char>(end - pos));
            wire.append(rule.name, pos, end - pos);
            if (dot == std::string::npos) {
                break;
            }
            pos = dot + 1;
        }
        wire.push_back('\0');
        max_labels_ = std::max(max_labels_, starts.size());
        std::uint8_t flags = f_rule;
        if (rule.kind == rule_kind::wildcard) {
            flags = f_rule | f_wildcard;
        } else if (rule.kind == rule_kind::exception) {
            flags = f_exception;
        }
        keys[wire] |= flags;
        for (std::size_t i = 1; i < starts.size(); ++i) {
            keys[wire.substr(starts[i])] |= f_branch;
        }
    }

    // Pass 2: open addressing, load factor at most 1/2, so misses (the end of every walk) stop
    // after a short probe run.
    entries_ = keys.size();
    std::size_t const capacity = std::bit_ceil(std::max<std::size_t>(16, entries_ * 2));
    slots_.assign(capacity, slot{});
    mask_ = capacity - 1;
    name_scratch s{};
    label_offsets off{};
    for (const auto& [key, flags] : keys) {
        auto const* const k = reinterpret_cast<const std::uint8_t*>(key.data());
        walk const w = walk_labels(byte_view{k, key.size()}, off);
        load_lowered(k, w.wire_len, s);
        std::uint64_t h = seed;
        for (unsigned i = w.labels; i-- > 0;) {
            h = fmix64(h ^ label_hash(s.data(), off[i]));
        }
        insert(h, s.data(), w.wire_len, flags);
    }
    arena_.insert(arena_.end(), 8, 0); // same_key's over-read of the last key
}

void psl_table::insert(std::uint64_t hash, const std::uint8_t* key, std::size_t key_len,
                       std::uint8_t flags)
{
    auto const offset = static_cast<std::uint32_t>(arena_.size());
    arena_.push_back(static_cast<std::uint8_t>(key_len));
    arena_.insert(arena_.end(), key, key + key_len);
    for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
        if ((slots_[i].info & 0xff) == 0) {
            slots_[i].tag = static_cast<std::uint32_t>(hash >> 32);
            slots_[i].info = (offset << 8) | flags;
            return;
        }
    }
}

std::uint8_t psl_table::find(std::uint64_t hash, const std::uint8_t* key,
                             std::size_t key_len) const noexcept
{
    auto const tag = static_cast<std::uint32_t>(hash >> 32);
    for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
        slot const sl = slots_[i];
        auto const flags = static_cast<std::uint8_t>(sl.info & 0xff);
        if (flags == 0) {
            return 0;
        }
        if (sl.tag == tag) {
            const std::uint8_t* const stored = arena_.data() + (sl.info >> 8);
            if (stored[0] == key_len && same_key(stored + 1, key, key_len)) {
                return flags;
            }
        }
    }
}

// One name between the two phases of a lookup: validated, lowercased, the first suffix
// hashes computed (so that a burst can prefetch their slots before any probe).
struct psl_table::prepared {
    static constexpr unsigned hashed_levels = 3; // most walks end within three probes
    walk w;
    unsigned depth = 0; // suffix levels that can be rules: min(labels, max rule labels)
    unsigned pre = 0;   // levels hashed in h[]
    label_offsets off;
    name_scratch s;
    std::array<std::uint64_t, hashed_levels> h;
};

void psl_table::prepare(byte_view wire_name, prepared& p) const noexcept
{
    p.w = walk_labels(wire_name, p.off);
    p.depth = 0;
    p.pre = 0;
    if (p.w.status != base_status::ok || p.w.labels == 0 || slots_.empty()) {
        return;
    }
    unsigned const n = p.w.labels;
    p.depth = std::min<unsigned>(n, static_cast<unsigned>(max_labels_));
    load_lowered(wire_name.data(), p.w.wire_len, p.s);
    p.pre = std::min(p.depth, prepared::hashed_levels);
    std::uint64_t h = seed;
    for (unsigned k = 1; k <= p.pre; ++k) {
        h = fmix64(h ^ label_hash(p.s.data(), p.off[n - k]));
        p.h[k - 1] = h;
    }
}

base_result psl_table::finish(const prepared& p) const noexcept
{
    base_result r;
    if (p.w.status != base_status::ok) {
        r.status = p.w.status;
        return r;
    }
    unsigned const n = p.w.labels;
    r.labels = static_cast<std::uint8_t>(n);
    r.wire_length = static_cast<std::uint16_t>(p.w.wire_len);
    if (n == 0) {
        r.status = base_status::root_name;
        return r;
    }

    // Walk suffixes from the right; `pub` is the longest public one found so far (0: none).
    unsigned pub = 0;
    unsigned k = 1;
    bool parent_wild = false;
    std::uint64_t h = seed;
    for (; k <= p.depth; ++k) {
        std::size_t const o = p.off[n - k];
        h = k <= p.pre ? p.h[k - 1] : fmix64(h ^ label_hash(p.s.data(), o));
        std::uint8_t const f = find(h, p.s.data() + o, p.w.wire_len - o);
        bool const is_public = (f & (f_rule | f_exception)) != 0
                                   ? (f & f_rule) != 0 && (f & f_exception) == 0
                                   : parent_wild;
        if (is_public) {
            pub = k;
        }
        parent_wild = (f & f_wildcard) != 0;
        if ((f & f_branch) == 0) {
            ++k;
            break;
        }
    }
    // No rule is longer than k - 1 labels here: suffix k can only be public as the child of a
    // wildcard.
    if (k <= n && parent_wild) {
        pub = k;
    }
    if (pub == 0 && opts_.star_rule) {
        pub = 1;
    }
    if (pub == 0) {
        r.status = base_status::unlisted_tld;
        return r;
    }
    r.suffix_offset = p.off[n - pub];
    if (pub == n) {
        r.status = base_status::public_suffix;
        return r;
    }
    r.base_offset = p.off[n - pub - 1];
    return r;
}

base_result psl_table::lookup(byte_view wire_name) const noexcept
{
    prepared p;
    prepare(wire_name, p);
    return finish(p);
}

void psl_table::lookup_burst(std::span<const byte_view> names,
                             std::span<base_result> out) const noexcept
{
    std::size_t const total = std::min(names.size(), out.size());
    std::array<prepared, burst_group> group;
    for (std::size_t base = 0; base < total; base += burst_group) {
        std::size_t const m = std::min(burst_group, total - base);
        for (std::size_t i = 0; i < m; ++i) {
            prepare(names[base + i], group[i]);
            for (unsigned k = 0; k < group[i].pre; ++k) {
                __builtin_prefetch(&slots_[group[i].h[k] & mask_]);
            }
        }
        for (std::size_t i = 0; i < m; ++i) {
            out[base + i] = finish(group[i]);
        }
    }
}

} // namespace siehub::newness
