// SPDX-License-Identifier: Apache-2.0
#include "axa/matcher.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <unordered_map>

#include "axa/message.hpp"
#include "proto/dns/name.hpp"

namespace siehub::axa {

namespace {

constexpr std::uint64_t ones = 0x0101010101010101ull;

// ASCII A-Z to a-z in eight bytes at once; other bytes unchanged.
inline std::uint64_t lower8(std::uint64_t x) noexcept
{
    std::uint64_t const t = x & (0x7f * ones);
    std::uint64_t const ge_a = t + (0x80 - 0x41) * ones; // high bit: byte >= 'A'
    std::uint64_t const gt_z = t + (0x80 - 0x5b) * ones; // high bit: byte > 'Z'
    std::uint64_t const m = ge_a & ~gt_z & ~x & (0x80 * ones);
    return x | (m >> 2);
}

inline std::uint64_t mix(std::uint64_t h, std::uint64_t w) noexcept
{
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
}

} // namespace

// One pass over a wire name (at least 8 bytes readable from `name`, len of them the name) for
// the hashes of all its suffixes: a hash chain over the name's lower-cased 8-byte words taken
// from its end: wd[j] holds bytes
// [len - 8j, len - 8j + 8) (the last one, which starts before the name, shifted so that the
// name's first bytes sit at its top), st[q] the state after q words. Words aligned on the end
// of the name are aligned on the end of every suffix too: a suffix of 8q + r bytes hashes as
// st[q] mixed with the top r bytes of wd[q + 1], its own first r bytes (suffix_at), the value
// it gets as a name of its own. The chain starts from the generation's random seed and each
// word goes through a multiply and a shift, so watch sets cannot be chosen to collide
// (CRC32C would be cheaper, but names that collide under a linear hash collide whatever the
// seed). Within valid names the r bytes need no length beside them: a suffix's first byte is
// a label length, and a name ends at its first zero byte.
__attribute__((always_inline)) inline void
match_generation::name_pass(const std::uint8_t* name, std::size_t len, name_words& nw) const noexcept
{
    std::uint64_t x = hk_.root;
    nw.st[0] = x;
    std::size_t const q = len / 8;
    for (std::size_t j = 1; j <= q; ++j) {
        std::uint64_t w;
        std::memcpy(&w, name + len - 8 * j, 8);
        w = lower8(w);
        nw.wd[j] = w;
        x = mix(x, w);
        nw.st[j] = x;
    }
    std::uint64_t w;
    std::memcpy(&w, name, 8);
    nw.wd[q + 1] = len % 8 == 0 ? 0 : lower8(w) << (8 * (8 - len % 8));
}

namespace {

// Labels of a checked uncompressed name (root excluded), for keys the guardian did not count.
std::size_t count_labels(const std::uint8_t* name, std::size_t len) noexcept
{
    std::size_t n = 0;
    for (std::size_t off = 0; off < len && name[off] != 0 && n < 127; off += name[off] + 1u) {
        ++n;
    }
    return n;
}

// offs[i] (i <= steps): where label i starts, stepping over `steps` labels from the left;
// offs[labels]: the root byte.
inline void label_starts(const std::uint8_t* name, std::size_t len, std::size_t labels,
                         std::size_t steps, std::array<std::uint8_t, 128>& offs) noexcept
{
    std::size_t off = 0;
    offs[0] = 0;
    for (std::size_t i = 1; i <= steps; ++i) {
        off += std::size_t{name[off]} + 1;
        offs[i] = static_cast<std::uint8_t>(off);
    }
    offs[labels] = static_cast<std::uint8_t>(len - 1);
}

} // namespace

namespace {

// The top r bytes of a word (none for r = 0).
constexpr std::array<std::uint64_t, 8> top_bytes = [] {
    std::array<std::uint64_t, 8> m{};
    for (std::size_t r = 1; r < 8; ++r) {
        m[r] = ~std::uint64_t{0} << (8 * (8 - r));
    }
    return m;
}();

} // namespace

// The hash of the suffix of `len`-byte name (as name_pass saw it) that starts at `off`.
__attribute__((always_inline)) inline std::uint64_t
match_generation::suffix_at(const name_words& nw, std::size_t len, std::size_t off) const noexcept
{
    std::size_t const l = len - off;
    return mix(nw.st[l / 8], nw.wd[l / 8 + 1] & top_bytes[l % 8]) | 1; // 0 marks an empty slot
}

std::size_t match_generation::suffix_hashes(std::span<const std::uint8_t> name,
                                            std::span<std::uint64_t, 128> out) const noexcept
{
    if (name.empty()) {
        return 0;
    }
    std::array<std::uint8_t, 128> offs;
    name_words nw;
    std::array<std::uint8_t, 8> pad{};
    const std::uint8_t* p = name.data();
    if (name.size() < 8) {
        std::copy(name.begin(), name.end(), pad.begin());
        p = pad.data();
    }
    std::size_t const len = name.size();
    std::size_t const labels = count_labels(name.data(), len);
    name_pass(p, len, nw);
    label_starts(name.data(), len, labels, labels, offs);
    for (std::size_t k = 0; k <= labels; ++k) {
        out[k] = suffix_at(nw, len, offs[labels - k]);
    }
    return labels;
}

// The bloom key of the `len`-byte suffix of a name that starts at `off`: its first and last
// 8 bytes (all of it when shorter) and its length, case folded by OR-ing bit 5 into every
// byte, mixed with the generation's seed. Neither a chain over the middle words nor a real
// lower-casing: names that differ there, or only in bit 5 of a non-letter byte, share a key,
// which costs nothing but a full hash. `wend` holds the whole name's last 8 bytes (the name
// at its top when shorter), so no load leaves the name.
__attribute__((always_inline)) inline std::uint64_t
match_generation::fingerprint(const std::uint8_t* name, std::size_t len, std::uint64_t wend,
                              std::size_t off) const noexcept
{
    constexpr std::uint64_t fold = 0x2020202020202020ull;
    std::size_t const l = len - off;
    std::uint64_t first;
    std::uint64_t last = wend;
    if (l >= 8) {
        std::memcpy(&first, name + off, 8);
    } else {
        first = wend >> (8 * (8 - l));
        last = first;
    }
    // Two independent products (no chain), summed: only the top bits index the filter.
    return ((first | fold) ^ hk_.fp) * 0x9E3779B97F4A7C15ull +
           ((last | fold) ^ (hk_.fp2 + l)) * 0xC2B2AE3D27D4EB4Full;
}

// The last 8 bytes of a name, or the whole name at the top of the word when shorter.
inline std::uint64_t match_generation::last_word(const std::uint8_t* name, std::size_t len) noexcept
{
    std::uint64_t w = 0;
    if (len >= 8) {
        std::memcpy(&w, name + len - 8, 8);
    } else if (len != 0) {
        std::memcpy(reinterpret_cast<std::uint8_t*>(&w) + (8 - len), name, len);
    }
    return w;
}

// The hash of a whole name, as name_pass and suffix_at give it.
std::uint64_t match_generation::name_hash(const std::uint8_t* name, std::size_t len) const noexcept
{
    std::array<std::uint8_t, 8> pad{};
    if (len < 8) {
        std::memcpy(pad.data(), name, len);
        name = pad.data();
    }
    name_words nw;
    name_pass(name, len, nw);
    return suffix_at(nw, len, 0);
}

namespace {

inline bool equal_lower(const std::uint8_t* a, const std::uint8_t* lower, std::size_t n) noexcept
{
    for (std::size_t i = 0; i < n; ++i) {
        if (dns::ascii_lower(a[i]) != lower[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

// ---- build ----------------------------------------------------------------------------------

struct generation_builder {
    using ref = match_generation::ref;

    static void fill_dns(match_generation& g, match_generation::dns_table& t,
                         const std::map<std::string, std::vector<ref>>& names)
    {
        if (names.empty()) {
            return;
        }
        std::size_t cap = 16;
        while (cap < names.size() * 2) {
            cap <<= 1;
        }
        t.slots.assign(cap, {});
        t.mask = cap - 1;
        t.bloom.assign((std::size_t{1} << match_generation::bloom_bits) / 64, 0);
        std::array<std::uint64_t, 128> hs;
        for (const auto& [name, refs] : names) {
            auto const* p = reinterpret_cast<const std::uint8_t*>(name.data());
            std::size_t const labels = g.suffix_hashes({p, name.size()}, hs);
            std::uint64_t const h = hs[labels];
            t.label_counts[labels >> 6] |= std::uint64_t{1} << (labels & 63);
            std::uint64_t const b = match_generation::bloom_bit(
                g.fingerprint(p, name.size(), match_generation::last_word(p, name.size()), 0));
            t.bloom[b >> 6] |= std::uint64_t{1} << (b & 63);
            match_generation::dns_slot s;
            s.hash = h;
            s.name_off = static_cast<std::uint32_t>(g.names_.size());
            s.name_len = static_cast<std::uint16_t>(name.size());
            g.names_.insert(g.names_.end(), p, p + name.size());
            s.refs_off = static_cast<std::uint32_t>(g.refs_.size());
            s.refs_len = static_cast<std::uint16_t>(std::min<std::size_t>(refs.size(), 0xffff));
            g.refs_.insert(g.refs_.end(), refs.begin(), refs.begin() + s.refs_len);
            std::uint64_t i = (h >> 7) & t.mask;
            while (t.slots[i].hash != 0) {
                i = (i + 1) & t.mask;
            }
            t.slots[i] = s;
        }
    }

    template <class Addr> struct prefix {
        Addr lo;
        Addr hi;
        ref r;
    };

    template <class Addr>
    static void fill_ip(match_generation& g, match_generation::ip_table<Addr>& t,
                        std::vector<prefix<Addr>> ps)
    {
        if (ps.empty()) {
            return;
        }
        // Outer prefixes first at the same start, so the stack nests.
        std::sort(ps.begin(), ps.end(), [](const auto& a, const auto& b) {
            return a.lo != b.lo ? a.lo < b.lo : a.hi > b.hi;
        });
        std::vector<Addr> points{Addr{0}};
        for (const auto& p : ps) {
            points.push_back(p.lo);
            if (p.hi != static_cast<Addr>(~Addr{0})) {
                points.push_back(static_cast<Addr>(p.hi + 1));
            }
        }
        std::sort(points.begin(), points.end());
        points.erase(std::unique(points.begin(), points.end()), points.end());
        std::vector<const prefix<Addr>*> stack;
        std::size_t next = 0;
        for (auto const start : points) {
            while (!stack.empty() && stack.back()->hi < start) {
                stack.pop_back();
            }
            while (next < ps.size() && ps[next].lo == start) {
                stack.push_back(&ps[next++]);
            }
            // Prefixes left on the stack that end before `start` sit below inner ones that
            // are still open only if they nest, which prefixes always do.
            t.starts.push_back(start);
            t.refs_off.push_back(static_cast<std::uint32_t>(g.refs_.size()));
            for (const auto* p : stack) {
                if (p->hi >= start) {
                    g.refs_.push_back(p->r);
                }
            }
        }
        t.refs_off.push_back(static_cast<std::uint32_t>(g.refs_.size()));
        constexpr unsigned shift = sizeof(Addr) * 8 - match_generation::dir_bits<Addr>;
        t.dir.resize((std::size_t{1} << match_generation::dir_bits<Addr>) + 1);
        std::size_t k = 0;
        for (std::size_t p = 0; p <= (std::size_t{1} << match_generation::dir_bits<Addr>); ++p) {
            while (k < t.starts.size() && static_cast<std::size_t>(t.starts[k] >> shift) < p) {
                ++k;
            }
            t.dir[p] = static_cast<std::uint32_t>(k);
        }
    }
};

std::shared_ptr<const match_generation>
match_generation::build(std::span<const client_watches> clients, std::size_t client_count)
{
    auto g = std::make_shared<match_generation>();
    g->client_count_ = client_count;
    {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        std::mt19937_64 rng(seq);
        g->hk_.root = mix(rng(), 0x2e);
        g->hk_.fp = rng();
        g->hk_.fp2 = rng();
    }
    g->ch_index_.fill(-1);
    g->gate_words_ = (client_count + 63) / 64;

    // Channel gates.
    std::vector<std::uint16_t> chans;
    for (const auto& c : clients) {
        if (c.channels == nullptr || c.client >= client_count) {
            continue;
        }
        for (std::uint16_t ch = 0; ch <= ch_max; ++ch) {
            if (c.channels->test(ch)) {
                if (g->ch_index_[ch] < 0) {
                    g->ch_index_[ch] = static_cast<std::int32_t>(chans.size());
                    chans.push_back(ch);
                    g->gate_bits_.resize(chans.size() * g->gate_words_, 0);
                }
                auto const k = static_cast<std::size_t>(g->ch_index_[ch]);
                g->gate_bits_[k * g->gate_words_ + c.client / 64] |= std::uint64_t{1}
                                                                     << (c.client % 64);
            }
        }
    }

    std::vector<std::vector<ref>> ch_watch(chans.size());
    std::vector<ref> errs;
    std::map<std::string, std::vector<ref>> exact, wild;
    std::vector<generation_builder::prefix<std::uint32_t>> v4;
    std::vector<generation_builder::prefix<unsigned __int128>> v6;
    for (const auto& c : clients) {
        if (c.client >= client_count) {
            continue;
        }
        for (const auto& we : c.watches) {
            auto const w = we.view();
            if (!w.ok()) {
                continue;
            }
            ref const r{c.client, we.tag};
            ++g->watch_count_;
            switch (w.type) {
            case watch_type::ch: {
                auto const ch = w.channel();
                if (ch <= ch_max && g->ch_index_[ch] >= 0) {
                    ch_watch[static_cast<std::size_t>(g->ch_index_[ch])].push_back(r);
                }
                break;
            }
            case watch_type::errors:
                errs.push_back(r);
                break;
            case watch_type::dns: {
                std::string n(w.pattern.size(), '\0');
                for (std::size_t i = 0; i < n.size(); ++i) {
                    n[i] = static_cast<char>(dns::ascii_lower(w.pattern[i]));
                }
                (w.wild() ? wild : exact)[n].push_back(r);
                break;
            }
            case watch_type::ipv4: {
                std::uint32_t a = 0;
                for (std::size_t i = 0; i < 4; ++i) {
                    a = (a << 8) | (i < w.pattern.size() ? w.pattern[i] : 0u);
                }
                std::uint32_t const mask =
                    w.prefix >= 32 ? ~0u : ~((std::uint32_t{1} << (32 - w.prefix)) - 1);
                v4.push_back({a & mask, (a & mask) | ~mask, r});
                break;
            }
            case watch_type::ipv6: {
                unsigned __int128 a = 0;
                for (std::size_t i = 0; i < 16; ++i) {
                    a = (a << 8) | (i < w.pattern.size() ? w.pattern[i] : 0u);
                }
                unsigned __int128 const all = ~static_cast<unsigned __int128>(0);
                unsigned __int128 const mask =
                    w.prefix >= 128 ? all : ~((static_cast<unsigned __int128>(1) << (128 - w.prefix)) - 1);
                v6.push_back({a & mask, (a & mask) | ~mask, r});
                break;
            }
            }
        }
    }
    for (auto& l : ch_watch) {
        g->ch_refs_.push_back(static_cast<std::uint32_t>(g->refs_.size()));
        g->ch_refs_.push_back(static_cast<std::uint32_t>(l.size()));
        g->refs_.insert(g->refs_.end(), l.begin(), l.end());
    }
    g->err_off_ = static_cast<std::uint32_t>(g->refs_.size());
    g->err_len_ = static_cast<std::uint32_t>(errs.size());
    g->refs_.insert(g->refs_.end(), errs.begin(), errs.end());
    generation_builder::fill_dns(*g, g->dns_exact_, exact);
    generation_builder::fill_dns(*g, g->dns_wild_, wild);
    generation_builder::fill_ip(*g, g->v4_, std::move(v4));
    generation_builder::fill_ip(*g, g->v6_, std::move(v6));
    return g;
}

// ---- match ----------------------------------------------------------------------------------

bool match_generation::gate(std::uint32_t client, std::uint16_t ch) const noexcept
{
    auto const k = static_cast<std::size_t>(ch_index_[ch]);
    return (gate_bits_[k * gate_words_ + client / 64] >> (client % 64)) & 1;
}

void match_generation::add_refs(std::uint32_t off, std::uint32_t len, std::uint16_t ch,
                                std::uint16_t field, std::uint16_t val,
                                match_scratch& s) const noexcept
{
    for (std::uint32_t i = off; i < off + len; ++i) {
        auto const& r = refs_[i];
        if (!gate(r.client, ch)) {
            continue;
        }
        auto& b = s.best_[r.client];
        if (b.stamp != s.stamp_) {
            b.stamp = s.stamp_;
            b.pos = static_cast<std::uint32_t>(s.hits_.size());
            s.hits_.push_back({r.client, r.tag, field, val});
        } else if (r.tag < s.hits_[b.pos].tag) {
            s.hits_[b.pos] = {r.client, r.tag, field, val};
        }
    }
}

void match_generation::probe(const dns_table& t, std::uint64_t h, const std::uint8_t* name,
                             std::size_t len, std::uint16_t ch, const name_key& key,
                             match_scratch& s) const noexcept
{
    for (std::uint64_t i = (h >> 7) & t.mask;; i = (i + 1) & t.mask) {
        auto const& sl = t.slots[i];
        if (sl.hash == 0) {
            return;
        }
        if (sl.hash == h && sl.name_len == len && equal_lower(name, names_.data() + sl.name_off, len)) {
            add_refs(sl.refs_off, sl.refs_len, ch, key.field_idx, key.val_idx, s);
            return;
        }
    }
}

struct match_generation::name_probe {
    const dns_table* t;
    std::uint64_t h;
    const name_key* key;
    std::uint16_t off; // where the probed suffix starts in the name
};

// One name on the general path (a name, or some watch, of 64 labels and more): the same
// probes as match_names' loop, over two words of label-count bits.
template <class Push>
__attribute__((noinline)) void match_generation::match_deep_name(const name_key& n, std::size_t labels,
                                                                std::array<std::uint8_t, 128>& offs,
                                                                const Push& push) const noexcept
{
    bool const exact = dns_exact_.has_labels(labels);
    std::array<std::uint64_t, 2> wild = dns_wild_.label_counts;
    if (labels < 64) {
        wild[0] &= (std::uint64_t{2} << labels) - 1;
        wild[1] = 0;
    } else {
        wild[1] &= (std::uint64_t{2} << (labels - 64)) - 1;
    }
    if (!exact && (wild[0] | wild[1]) == 0) {
        return;
    }
    std::uint64_t const wend = last_word(n.name, n.len);
    if (exact && dns_exact_.bloom_has(fingerprint(n.name, n.len, wend, 0))) {
        push(dns_exact_, 0);
    }
    std::uint64_t const inner0 = wild[0] & ~std::uint64_t{1};
    std::size_t const jmin = inner0 != 0 ? static_cast<std::size_t>(std::countr_zero(inner0))
                             : wild[1] != 0 ? 64 + static_cast<std::size_t>(std::countr_zero(wild[1]))
                                            : labels;
    label_starts(n.name, n.len, labels, labels > jmin ? labels - jmin : 0, offs);
    for (std::size_t w = 0; w < 2; ++w) {
        for (std::uint64_t bits = wild[w]; bits != 0; bits &= bits - 1) {
            std::size_t const j = 64 * w + static_cast<std::size_t>(std::countr_zero(bits));
            std::size_t const o = offs[labels - j];
            if (dns_wild_.bloom_has(fingerprint(n.name, n.len, wend, o))) {
                push(dns_wild_, o);
            }
        }
    }
}

// In phases across the names of one payload (DPDK's bulk lookup): for every name, test the
// bloom filters with the fingerprints of the whole name (exact table) and of the suffixes a
// `*.` watch could match (wild table); the few probes that pass get their full hash, their
// slot prefetched, and wait until every name is through; then probe. Most names cost a label
// walk, two or three fingerprints and as many bloom bits, and no pass over the whole name.
void match_generation::match_names(const payload_keys& k, match_scratch& s) const noexcept
{
    constexpr std::size_t cap = 256;
    std::array<name_probe, cap> q;
    std::size_t nq = 0;
    auto const flush = [&] {
        for (std::size_t i = 0; i < nq; ++i) {
            auto const& n = *q[i].key;
            probe(*q[i].t, q[i].h, n.name + q[i].off, n.len - q[i].off, k.ch, n, s);
        }
        nq = 0;
    };
    auto const push = [&](const dns_table& t, const name_key& n, std::size_t off) {
        std::uint64_t const h = name_hash(n.name + off, n.len - off);
        __builtin_prefetch(&t.slots[(h >> 7) & t.mask]);
        q[nq++] = {&t, h, &n, static_cast<std::uint16_t>(off)};
    };
    std::array<std::uint8_t, 128> offs;
    // Label counts of the two tables' names (bit j: j labels); names or watches of 64 labels
    // and more take the general path below.
    std::uint64_t const exact_lc = dns_exact_.label_counts[0];
    std::uint64_t const wild_lc = dns_wild_.label_counts[0];
    bool const deep_watches = (dns_exact_.label_counts[1] | dns_wild_.label_counts[1]) != 0;
    for (std::size_t i = 0; i < k.n_names; ++i) {
        auto const& n = k.names[i];
        std::size_t labels = n.labels;
        if (labels == 0 && n.len > 1) [[unlikely]] { // a key the guardian did not count
            labels = count_labels(n.name, n.len);
        }
        if (labels >= 64 || deep_watches) [[unlikely]] {
            if (nq + labels + 2 > cap) {
                flush();
            }
            match_deep_name(n, labels, offs, [&](const dns_table& t, std::size_t off) { push(t, n, off); });
            continue;
        }
        bool const exact = (exact_lc >> labels) & 1;
        // Only the suffixes whose label count some `*.` watch has, the whole name included.
        std::uint64_t const wild = wild_lc & ((std::uint64_t{2} << labels) - 1);
        if (!exact && wild == 0) {
            continue; // no table holds a name of its label counts
        }
        std::uint64_t const wend = last_word(n.name, n.len);
        if (nq + labels + 2 > cap) {
            flush();
        }
        if (exact && dns_exact_.bloom_has(fingerprint(n.name, n.len, wend, 0))) {
            push(dns_exact_, n, 0);
        }
        if (wild == 0) {
            continue;
        }
        // Label starts only as deep as the shortest `*.` suffix below the whole name needs.
        std::uint64_t const inner = wild & ~std::uint64_t{1};
        std::size_t const jmin = inner != 0 ? static_cast<std::size_t>(std::countr_zero(inner)) : labels;
        label_starts(n.name, n.len, labels, labels > jmin ? labels - jmin : 0, offs);
        for (std::uint64_t bits = wild; bits != 0; bits &= bits - 1) {
            std::size_t const o = offs[labels - static_cast<std::size_t>(std::countr_zero(bits))];
            if (dns_wild_.bloom_has(fingerprint(n.name, n.len, wend, o))) {
                push(dns_wild_, n, o);
            }
        }
    }
    flush();
}

namespace {

inline unsigned __int128 v6_value(const std::array<std::uint8_t, 16>& b) noexcept
{
    std::uint64_t hi;
    std::uint64_t lo;
    std::memcpy(&hi, b.data(), 8);
    std::memcpy(&lo, b.data() + 8, 8);
    return (static_cast<unsigned __int128>(__builtin_bswap64(hi)) << 64) | __builtin_bswap64(lo);
}

// The interval holding `a` (the last start <= a; starts[0] is 0, so one always exists): the
// directory narrows the search to the intervals that start under the same top bits, plus the
// one before them; usually that leaves one.
template <unsigned DirBits, class Addr, class Table>
std::size_t interval(const Table& t, Addr a) noexcept
{
    const auto& starts = t.starts;
    constexpr unsigned shift = sizeof(Addr) * 8 - DirBits;
    auto const p = static_cast<std::size_t>(a >> shift);
    std::size_t lo = t.dir[p] == 0 ? 0 : t.dir[p] - 1;
    std::size_t n = t.dir[p + 1] - lo;
    while (n > 1) {
        std::size_t const half = n / 2;
        lo = starts[lo + half] <= a ? lo + half : lo;
        n -= half;
    }
    return lo;
}

} // namespace

// One address after the other: the directory (16 KiB) and the interval bounds mostly stay in
// cache, so phases with prefetches (as for names) measured slower here.
void match_generation::match_ips(const payload_keys& k, match_scratch& s) const noexcept
{
    constexpr unsigned b4 = dir_bits<std::uint32_t>;
    constexpr unsigned b6 = dir_bits<unsigned __int128>;
    bool const has4 = !v4_.starts.empty();
    bool const has6 = !v6_.starts.empty();
    for (std::size_t i = 0; i < k.n_ips; ++i) {
        auto const& ip = k.ips[i];
        std::size_t j;
        const std::vector<std::uint32_t>* r;
        if (ip.family == 4) {
            if (!has4) {
                continue;
            }
            j = interval<b4>(v4_, core::load_be32(ip.addr.data()));
            r = &v4_.refs_off;
        } else {
            if (!has6) {
                continue;
            }
            j = interval<b6>(v6_, v6_value(ip.addr));
            r = &v6_.refs_off;
        }
        std::uint32_t const off = (*r)[j];
        std::uint32_t const end = (*r)[j + 1];
        if (end != off) { // most addresses fall between the watched prefixes
            add_refs(off, end - off, k.ch, ip.field_idx, ip.val_idx, s);
        }
    }
}

std::span<const match_hit> match_generation::match(const payload_keys& k,
                                                   match_scratch& s) const noexcept
{
    s.hits_.clear();
    if (!channel_wanted(k.ch)) {
        return {};
    }
    if (++s.stamp_ == 0) {
        for (auto& b : s.best_) {
            b.stamp = 0;
        }
        s.stamp_ = 1;
    }
    auto const ci = static_cast<std::size_t>(ch_index_[k.ch]);
    if (ch_refs_[2 * ci + 1] != 0) {
        add_refs(ch_refs_[2 * ci], ch_refs_[2 * ci + 1], k.ch, field_idx_dark, field_idx_dark, s);
    }
    if (k.error) {
        add_refs(err_off_, err_len_, k.ch, field_idx_error, field_idx_error, s);
    }
    // The names' bytes and the address keys are loaded up front so that, where they are not
    // in cache, their misses overlap instead of queueing behind each name's hashing.
    for (std::size_t i = 0; i < k.n_names; ++i) {
        __builtin_prefetch(k.names[i].name);
        __builtin_prefetch(k.names[i].name + k.names[i].len - 1);
    }
    for (std::size_t i = 0; i < k.n_ips; i += 2) {
        __builtin_prefetch(&k.ips[i]);
    }
    if (k.n_names != 0 && (!dns_exact_.empty() || !dns_wild_.empty())) {
        match_names(k, s);
    }
    if (k.n_ips != 0 && (!v4_.starts.empty() || !v6_.starts.empty())) {
        match_ips(k, s);
    }
    return s.hits_;
}

} // namespace siehub::axa
