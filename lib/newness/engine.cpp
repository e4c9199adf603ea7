// SPDX-License-Identifier: Apache-2.0
#include "newness/engine.hpp"

#include <algorithm>
#include <stdexcept>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/out_buffer.hpp"
#include "dedup/key.hpp"
#include "proto/nmsg/messages.hpp"

namespace siehub::newness {

namespace {

constexpr std::uint16_t t_ns = 2;
constexpr std::uint16_t t_cname = 5;
constexpr std::uint16_t t_ptr = 12;
constexpr std::uint16_t t_mx = 15;
constexpr std::uint16_t t_srv = 33;
constexpr std::uint16_t t_dname = 39;

constexpr std::uint32_t seconds_per_day = 86400;

std::uint16_t day_of(std::uint32_t t) noexcept
{
    return static_cast<std::uint16_t>(std::min<std::uint32_t>(t / seconds_per_day, 0xffff));
}

// True when the last label of a valid wire name is "arpa" (any case).
bool under_arpa(byte_view wire, std::size_t wire_len) noexcept
{
    std::size_t pos = 0;
    std::size_t last = 0;
    while (pos < wire_len && wire[pos] != 0) {
        last = pos;
        pos += 1 + wire[pos];
    }
    if (wire[last] != 4) {
        return false;
    }
    static constexpr char arpa[] = "arpa";
    for (std::size_t i = 0; i < 4; ++i) {
        if ((wire[last + 1 + i] | 0x20) != arpa[i]) {
            return false;
        }
    }
    return true;
}

std::uint64_t slot_key(std::uint16_t channel, std::uint64_t base_hash) noexcept
{
    return base_hash ^ (static_cast<std::uint64_t>(channel) * 0x9E3779B97F4A7C15ULL);
}

} // namespace

std::uint64_t hash_name(byte_view wire, std::uint64_t seed) noexcept
{
    return XXH3_64bits_withSeed(wire.data(), wire.size(), seed);
}

byte_view rdata_name(std::uint16_t rrtype, byte_view rdata) noexcept
{
    std::size_t off = 0;
    switch (rrtype) {
    case t_ns:
    case t_cname:
    case t_ptr:
    case t_dname:
        off = 0;
        break;
    case t_mx:
        off = 2;
        break;
    case t_srv:
        off = 6;
        break;
    default:
        return {};
    }
    if (rdata.size() <= off) {
        return {};
    }
    return rdata.subspan(off);
}

// The parts of a parsed key the engine reuses.
struct parsed {
    dedup::key_fields k;
    std::span<const byte_view> rdata;
};

std::uint64_t route(byte_view key, const psl_table& psl, unsigned shards) noexcept
{
    dedup::key_fields k;
    if (dedup::parse_key(key, k) != dedup::key_error::ok || shards == 0) {
        return 0;
    }
    std::uint64_t mask = 0;
    auto add = [&](byte_view name) {
        auto const r = psl.lookup(name);
        if (r.ok()) {
            mask |= 1ULL << shard_of(hash_name(r.base(name), seed_base), shards);
        }
    };
    add(k.rrname);
    dedup::rdata_iterator it(k.rdata_block);
    byte_view rd;
    while (it.next(rd)) {
        if (auto n = rdata_name(k.rrtype, rd); !n.empty()) {
            add(n);
        }
    }
    return mask;
}

engine::engine(const psl_table& psl, engine_config cfg)
    : psl_(psl), cfg_(cfg), fqdn_(cfg.fqdn_capacity, false, cfg.fingerprint_bits),
      base_(cfg.base_capacity, true, cfg.fingerprint_bits),
      fact_(cfg.fact_capacity, false, cfg.fingerprint_bits), buf_(1 << 17), rdata_(max_rdata),
      new_rr_(std::make_unique<bool[]>(max_rdata)), names_(max_rdata + 1), rr_hash_(max_rdata + 1)
{
    if (cfg_.shards == 0 || cfg_.shards > max_shards || cfg_.shard >= cfg_.shards) {
        throw std::invalid_argument("newness: shard index out of range");
    }
    done_.reserve(3 * (max_rdata + 1));
}

void engine::sync_grows() noexcept
{
    std::size_t const g = fqdn_.grows() + base_.grows() + fact_.grows();
    if (g != grows_seen_) {
        c_.add(newness_counter::table_grows, g - grows_seen_);
        grows_seen_ = g;
    }
}

void engine::put(std::uint16_t channel, const insertion& in, const parsed& p, byte_view domain,
                 emit_fn fn, void* ctx)
{
    std::uint64_t const h = slot_key(channel, hash_name(domain, seed_base));
    if (std::find(done_.begin(), done_.end(), h) != done_.end()) {
        return; // one record per (channel, base domain) per INSERTION
    }
    done_.push_back(h);
    if (fn == nullptr) {
        c_.add(newness_counter::learning);
        return;
    }
    nmsg::newdomain_fields f;
    f.domain = domain;
    f.time_seen = in.time_sec;
    f.rrname = p.k.rrname;
    f.rrtype = p.k.rrtype;
    f.rrclass = p.k.rrclass;
    f.rdata = p.rdata;
    f.bailiwick = p.k.bailiwick;
    if (channel == ch_nod) {
        f.new_domain = true;
    }
    if (channel == ch_changes) {
        f.rrttl = in.ttl;
        f.count = 1;
        f.time_first = in.time_sec;
        f.time_last = in.time_sec;
        f.type = 0; // INSERTION
        if (in.response_ip.size() == 4 || in.response_ip.size() == 16) {
            f.response_ip = in.response_ip;
        }
        // Flags come from the caller through new_rr_ and the fact bits below.
        f.new_domain = flag_new_domain_;
        f.new_rrname = false;
        f.new_rrtype = flag_new_rrtype_;
        f.new_rr = {new_rr_.get(), p.rdata.size()};
        f.new_rrset = flag_new_rrset_;
    }
    core::out_buffer out(buf_);
    nmsg::write(out, f);
    if (!out.ok()) {
        c_.add(newness_counter::record_error);
        return;
    }
    out_record r;
    r.channel = channel;
    r.header.vid = 2;
    r.header.msgtype = msgtype_newdomain;
    r.header.time_sec = in.time_sec;
    r.header.time_nsec = in.time_nsec;
    r.header.source = cfg_.source;
    r.vendor = out.written();
    switch (channel) {
    case ch_nod:
        c_.add(newness_counter::nod);
        break;
    case ch_noh:
        c_.add(newness_counter::noh);
        break;
    case ch_nad:
        c_.add(newness_counter::nad);
        break;
    default:
        c_.add(newness_counter::changes);
        break;
    }
    fn(ctx, r);
}

void engine::evaluate(const insertion& in, emit_fn fn, void* ctx)
{
    c_.add(newness_counter::insertions);
    parsed p;
    if (dedup::parse_key(in.key, p.k) != dedup::key_error::ok) {
        c_.add(newness_counter::bad_key);
        return;
    }
    std::size_t n_rd = 0;
    {
        dedup::rdata_iterator it(p.k.rdata_block);
        byte_view rd;
        while (it.next(rd)) {
            if (n_rd == max_rdata) {
                c_.add(newness_counter::too_many_rdata);
                return;
            }
            rdata_[n_rd++] = rd;
        }
    }
    p.rdata = {rdata_.data(), n_rd};
    if (created_ == 0) {
        created_ = in.time_sec;
    }
    if (fn != nullptr && cfg_.learning_period_s != 0 &&
        static_cast<std::uint64_t>(in.time_sec) < created_ + cfg_.learning_period_s) {
        fn = nullptr; // learning: record, don't emit
    }
    done_.clear();
    std::uint16_t const day = day_of(in.time_sec);

    // Phase 1: base domains, shard check and hashes of every name this shard owns, with the
    // first bucket of each table probe prefetched, so the cache misses of one INSERTION
    // overlap instead of queueing (they dominate the cost: docs/performance.md).
    std::size_t n_names = 0;
    for (std::size_t i = 0; i <= n_rd; ++i) {
        bool const is_owner = i == 0;
        byte_view name = is_owner ? p.k.rrname : rdata_name(p.k.rrtype, p.rdata[i - 1]);
        if (name.empty()) {
            continue;
        }
        auto const r = psl_.lookup(name);
        if (!r.ok()) {
            if (r.status == base_status::public_suffix) {
                c_.add(newness_counter::skip_public_suffix);
            } else if (r.status == base_status::unlisted_tld) {
                c_.add(newness_counter::skip_unlisted_tld);
            } else {
                c_.add(newness_counter::skip_bad_name);
            }
            continue;
        }
        name = name.first(r.wire_length);
        byte_view const base = r.base(name);
        std::uint64_t const bh = hash_name(base, seed_base);
        if (shard_of(bh, cfg_.shards) != cfg_.shard) {
            continue; // another shard owns this name
        }
        auto& ne = names_[n_names++];
        ne.name = name;
        ne.base = base;
        ne.base_hash = bh;
        ne.fqdn_hash = hash_name(name, seed_fqdn);
        ne.owner = is_owner;
        ne.arpa = under_arpa(name, r.wire_length);
        fqdn_.prefetch(ne.fqdn_hash);
        if (!ne.arpa) {
            base_.prefetch(bh);
        }
    }
    bool const owner_mine = n_names != 0 && names_[0].owner;
    std::uint64_t h_owner = 0;
    std::uint64_t h_ot = 0;
    if (owner_mine) {
        h_owner = hash_name(names_[0].name, seed_owner);
        fact_.prefetch(h_owner);
        std::uint8_t ot[256 + 2];
        std::size_t const on = p.k.rrname.size();
        std::copy(p.k.rrname.begin(), p.k.rrname.end(), ot);
        ot[on] = static_cast<std::uint8_t>(p.k.rrtype >> 8);
        ot[on + 1] = static_cast<std::uint8_t>(p.k.rrtype);
        h_ot = XXH3_64bits_withSeed(ot, on + 2, seed_type);
        fact_.prefetch(h_ot);
        for (std::size_t i = 0; i < n_rd; ++i) {
            rr_hash_[i] = XXH3_64bits_withSeed(p.rdata[i].data(), p.rdata[i].size(), h_ot ^ seed_rr);
            fact_.prefetch(rr_hash_[i]);
        }
        rr_hash_[n_rd] = XXH3_64bits_withSeed(p.k.rdata_block.data(), p.k.rdata_block.size(),
                                              h_ot ^ seed_set);
        fact_.prefetch(rr_hash_[n_rd]);
    }

    // Phase 2: the decisions, owner first (its outcome decides 214).
    bool owner_known = false;
    bool owner_base_new = false;
    for (std::size_t i = 0; i < n_names; ++i) {
        auto const& ne = names_[i];
        c_.add(newness_counter::names);
        bool const fqdn_new = fqdn_.insert(ne.fqdn_hash);
        if (ne.owner) {
            // "Known owner" (214) = seen as the owner of an RRset before, not merely as a
            // name inside rdata: an NS target's first A RRset is not a DNS change.
            owner_known = !fact_.insert(h_owner);
        }
        if (fqdn_new) {
            put(ch_noh, in, p, ne.base, fn, ctx);
        }
        if (ne.arpa) {
            c_.add(newness_counter::skip_arpa);
            continue;
        }
        auto const t = base_.touch(ne.base_hash, day);
        if (t.was_new) {
            if (ne.owner) {
                owner_base_new = true;
            }
            put(ch_nod, in, p, ne.base, fn, ctx);
        } else if (day >= t.previous_day &&
                   static_cast<std::uint32_t>(day - t.previous_day) >= cfg_.nad_days) {
            put(ch_nad, in, p, ne.base, fn, ctx);
        }
    }

    if (owner_mine) {
        // (owner, type), (owner, type, rdata), (owner, type, rdata set) as hashed facts.
        flag_new_rrtype_ = fact_.insert(h_ot);
        bool any_rr = false;
        for (std::size_t i = 0; i < n_rd; ++i) {
            new_rr_[i] = fact_.insert(rr_hash_[i]);
            any_rr |= new_rr_[i];
        }
        flag_new_rrset_ = fact_.insert(rr_hash_[n_rd]);
        flag_new_domain_ = owner_base_new;
        if (owner_known && (flag_new_rrtype_ || any_rr || flag_new_rrset_)) {
            put(ch_changes, in, p, names_[0].base, fn, ctx);
        }
    }
    sync_grows();
}

void engine::learn(const insertion& in)
{
    evaluate(in, nullptr, nullptr);
}

bool engine::learn_name(byte_view wire, std::uint16_t day)
{
    auto const r = psl_.lookup(wire);
    if (!r.ok()) {
        return false;
    }
    byte_view const name = wire.first(r.wire_length);
    byte_view const base = r.base(name);
    std::uint64_t const bh = hash_name(base, seed_base);
    if (shard_of(bh, cfg_.shards) != cfg_.shard) {
        return false;
    }
    fqdn_.insert(hash_name(name, seed_fqdn));
    if (!under_arpa(name, r.wire_length)) {
        base_.touch(bh, day);
    }
    sync_grows();
    return true;
}

void engine::on_expiration(byte_view key, std::uint32_t time_last) noexcept
{
    c_.add(newness_counter::expirations);
    dedup::key_fields k;
    if (dedup::parse_key(key, k) != dedup::key_error::ok) {
        c_.add(newness_counter::bad_key);
        return;
    }
    std::uint16_t const day = day_of(time_last);
    auto raise = [&](byte_view name) {
        auto const r = psl_.lookup(name);
        if (!r.ok() || under_arpa(name, r.wire_length)) {
            return;
        }
        std::uint64_t const bh = hash_name(r.base(name.first(r.wire_length)), seed_base);
        if (shard_of(bh, cfg_.shards) == cfg_.shard) {
            base_.raise_day(bh, day);
        }
    };
    raise(k.rrname);
    dedup::rdata_iterator it(k.rdata_block);
    byte_view rd;
    while (it.next(rd)) {
        if (auto n = rdata_name(k.rrtype, rd); !n.empty()) {
            raise(n);
        }
    }
}

} // namespace siehub::newness
