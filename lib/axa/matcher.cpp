// SPDX-License-Identifier: Apache-2.0
#include "axa/matcher.hpp"

#include <algorithm>
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

// Hash of the lower-cased bytes [p, p + len) of a name that starts at `base`: whole 8-byte
// words, the last one overlapping (or, for a suffix shorter than 8 bytes, read from before it
// within the name and shifted), so the cost grows with bytes/8 and not with labels. Keyed with
// the generation's random seed so watch sets cannot be chosen to collide.
inline std::uint64_t name_hash(std::uint64_t seed, const std::uint8_t* base,
                               const std::uint8_t* p, std::size_t len) noexcept
{
    std::uint64_t h = mix(seed, len);
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = mix(h, lower8(w));
    }
    std::size_t const rest = len - i;
    if (rest != 0) {
        std::uint64_t w = 0;
        if (p + len - base >= 8) {
            std::memcpy(&w, p + len - 8, 8);
            w >>= (8 - rest) * 8;
        } else {
            for (std::size_t k = 0; k < rest; ++k) {
                w |= std::uint64_t{p[i + k]} << (8 * k);
            }
        }
        h = mix(h, lower8(w));
    }
    return h | 1; // 0 marks an empty slot
}

inline bool equal_lower(const std::uint8_t* a, const std::uint8_t* lower, std::size_t n) noexcept
{
    for (std::size_t i = 0; i < n; ++i) {
        if (dns::ascii_lower(a[i]) != lower[i]) {
            return false;
        }
    }
    return true;
}

// Label start offsets of a checked uncompressed name; returns the label count.
inline std::size_t label_starts(const std::uint8_t* name, std::size_t len,
                                std::array<std::uint8_t, 128>& offs) noexcept
{
    std::size_t n = 0;
    std::size_t off = 0;
    while (off < len && name[off] != 0 && n < 127) {
        offs[n++] = static_cast<std::uint8_t>(off);
        off += std::size_t{name[off]} + 1;
    }
    offs[n] = static_cast<std::uint8_t>(off < len ? off : len - 1); // the root byte
    return n;
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
        std::array<std::uint8_t, 128> offs;
        for (const auto& [name, refs] : names) {
            auto const* p = reinterpret_cast<const std::uint8_t*>(name.data());
            std::size_t const labels = label_starts(p, name.size(), offs);
            std::uint64_t const h = name_hash(g.seed_, p, p, name.size());
            t.label_counts[labels >> 6] |= std::uint64_t{1} << (labels & 63);
            std::uint64_t const b = (h >> 40) & ((std::uint64_t{1} << match_generation::bloom_bits) - 1);
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
        constexpr unsigned shift = sizeof(Addr) * 8 - match_generation::dir_bits;
        t.dir.resize((std::size_t{1} << match_generation::dir_bits) + 1);
        std::size_t k = 0;
        for (std::size_t p = 0; p <= (std::size_t{1} << match_generation::dir_bits); ++p) {
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
    g->seed_ = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
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
    if (!t.bloom_has(h)) {
        return;
    }
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

void match_generation::match_name(const name_key& n, std::uint16_t ch,
                                  match_scratch& s) const noexcept
{
    std::array<std::uint8_t, 128> offs;
    std::size_t const labels = label_starts(n.name, n.len, offs);
    if (!dns_exact_.empty() && dns_exact_.has_labels(labels)) {
        probe(dns_exact_, name_hash(seed_, n.name, n.name, n.len), n.name, n.len, ch, n, s);
    }
    if (!dns_wild_.empty()) {
        // Only the suffixes whose label count some `*.` watch has.
        for (std::size_t i = 0; i <= labels; ++i) {
            if (!dns_wild_.has_labels(labels - i)) {
                continue;
            }
            const std::uint8_t* p = n.name + offs[i];
            std::size_t const l = n.len - offs[i];
            probe(dns_wild_, name_hash(seed_, n.name, p, l), p, l, ch, n, s);
        }
    }
}

namespace {

template <class Addr, class Table> std::size_t interval(const Table& t, Addr a) noexcept
{
    // Last start <= a (starts[0] is 0, so one always exists): the directory narrows the
    // search to the intervals that start under the same top bits, plus the one before them.
    const auto& starts = t.starts;
    constexpr unsigned shift = sizeof(Addr) * 8 - 12;
    auto const p = static_cast<std::size_t>(a >> shift);
    std::size_t lo = t.dir[p] == 0 ? 0 : t.dir[p] - 1;
    std::size_t n = t.dir[p + 1] - lo;
    if (n == 0) {
        return lo;
    }
    while (n > 1) {
        std::size_t const half = n / 2;
        lo = starts[lo + half] <= a ? lo + half : lo;
        n -= half;
    }
    return lo;
}

} // namespace

void match_generation::match_ip(const ip_key& ip, std::uint16_t ch, match_scratch& s) const noexcept
{
    if (ip.family == 4) {
        if (v4_.starts.empty()) {
            return;
        }
        std::uint32_t const a = core::load_be32(ip.addr.data());
        auto const k = interval(v4_, a);
        add_refs(v4_.refs_off[k], v4_.refs_off[k + 1] - v4_.refs_off[k], ch, ip.field_idx,
                 ip.val_idx, s);
        return;
    }
    if (v6_.starts.empty()) {
        return;
    }
    unsigned __int128 a = 0;
    for (auto b : ip.addr) {
        a = (a << 8) | b;
    }
    auto const k = interval(v6_, a);
    add_refs(v6_.refs_off[k], v6_.refs_off[k + 1] - v6_.refs_off[k], ch, ip.field_idx, ip.val_idx,
             s);
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
    add_refs(ch_refs_[2 * ci], ch_refs_[2 * ci + 1], k.ch, field_idx_dark, field_idx_dark, s);
    if (k.error) {
        add_refs(err_off_, err_len_, k.ch, field_idx_error, field_idx_error, s);
    }
    for (std::size_t i = 0; i < k.n_names; ++i) {
        match_name(k.names[i], k.ch, s);
    }
    for (std::size_t i = 0; i < k.n_ips; ++i) {
        match_ip(k.ips[i], k.ch, s);
    }
    return s.hits_;
}

} // namespace siehub::axa
