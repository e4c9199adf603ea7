// SPDX-License-Identifier: Apache-2.0
#include "pipeline/bailiwick.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace siehub::pipeline {

namespace {

std::uint64_t hash_name(byte_view canon) noexcept
{
    return XXH3_64bits(canon.data(), canon.size());
}

bailiwick_seconds expiry(bailiwick_seconds now, std::uint32_t ttl) noexcept
{
    // Saturate one below `never` so a learned entry can always expire.
    std::uint64_t const e = std::uint64_t{now} + ttl;
    return e >= 0xFFFFFFFFull ? 0xFFFFFFFEu : static_cast<bailiwick_seconds>(e);
}

// `stored` (the first `len` bytes, 4 or 16) equals addr. Fixed-size loads instead of a memcmp
// call per candidate: root_has scans all 26 root addresses for every server the table does not
// know, which made these calls a measurable part of the bailiwick step.
bool same_address(const std::array<std::uint8_t, 16>& stored, std::uint8_t len,
                  byte_view addr) noexcept
{
    if (addr.size() != len) {
        return false;
    }
    if (len == 4) {
        std::uint32_t a = 0;
        std::uint32_t b = 0;
        std::memcpy(&a, stored.data(), 4);
        std::memcpy(&b, addr.data(), 4);
        return a == b;
    }
    std::uint64_t a[2];
    std::uint64_t b[2];
    std::memcpy(a, stored.data(), 16);
    std::memcpy(b, addr.data(), 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

// Offset of `owner` (canonical, validated) inside the canonical question name when it is an
// ancestor-or-self of Q, else -1. B is then the suffix of Q from that offset.
int suffix_offset(const bailiwick_verdict& v, byte_view owner) noexcept
{
    if (!dns::is_subdomain_canonical(v.question(), owner)) {
        return -1;
    }
    return static_cast<int>(v.q_len) - static_cast<int>(owner.size());
}

} // namespace

const char* to_string(bailiwick_config_error e) noexcept
{
    switch (e) {
    case bailiwick_config_error::ok:
        return "ok";
    case bailiwick_config_error::zero_zones:
        return "zero_zones";
    case bailiwick_config_error::too_many_zones:
        return "too_many_zones";
    case bailiwick_config_error::zero_addrs:
        return "zero_addrs";
    case bailiwick_config_error::too_many_addrs:
        return "too_many_addrs";
    case bailiwick_config_error::zero_ttl:
        return "zero_ttl";
    }
    return "unknown";
}

bailiwick_config_error validate(const bailiwick_config& c) noexcept
{
    if (c.max_zones == 0) {
        return bailiwick_config_error::zero_zones;
    }
    if (c.max_zones > (1u << 24)) {
        return bailiwick_config_error::too_many_zones;
    }
    if (c.max_addrs_per_zone == 0) {
        return bailiwick_config_error::zero_addrs;
    }
    // n_addrs is a byte and a referral rarely carries more than 13 NS x 2 families.
    if (c.max_addrs_per_zone > 64) {
        return bailiwick_config_error::too_many_addrs;
    }
    if (c.max_ttl == 0) {
        return bailiwick_config_error::zero_ttl;
    }
    return bailiwick_config_error::ok;
}

const char* to_string(static_zone_error e) noexcept
{
    switch (e) {
    case static_zone_error::ok:
        return "ok";
    case static_zone_error::bad_name:
        return "bad_name";
    case static_zone_error::bad_address:
        return "bad_address";
    case static_zone_error::table_full:
        return "table_full";
    case static_zone_error::zone_full:
        return "zone_full";
    }
    return "unknown";
}

const char* to_string(bailiwick_source s) noexcept
{
    switch (s) {
    case bailiwick_source::unverifiable:
        return "unverifiable";
    case bailiwick_source::table:
        return "table";
    case bailiwick_source::soa:
        return "soa";
    case bailiwick_source::ns:
        return "ns";
    }
    return "unknown";
}

bool in_bailiwick(byte_view owner, byte_view bailiwick) noexcept
{
    return !bailiwick.empty() && dns::is_subdomain(owner, bailiwick);
}

// --- construction and the pools --------------------------------------------------------------

bailiwick_checker::bailiwick_checker(const bailiwick_config& c) : cfg_(c)
{
    if (auto const e = validate(c); e != bailiwick_config_error::ok) {
        throw std::invalid_argument(std::string("bailiwick config: ") + to_string(e));
    }
    zones_.resize(c.max_zones);
    addrs_.resize(std::size_t{c.max_zones} * c.max_addrs_per_zone);
    names_.resize(std::size_t{c.max_zones} * name_slot);
    // Two buckets per zone keeps chains short at a full table.
    std::size_t nb = 1;
    while (nb < std::size_t{c.max_zones} * 2) {
        nb <<= 1;
    }
    buckets_.assign(nb, npos);
    bucket_mask_ = nb - 1;
    for (std::uint32_t i = 0; i < c.max_zones; ++i) {
        zones_[i] = zone{0, i + 1 < c.max_zones ? i + 1 : npos, npos, npos, 0, 0, 0, false, false};
    }
    free_head_ = 0;
    if (c.root_hints) {
        root_.reserve(root_hints().size() * 2);
        for (auto const& s : root_hints()) {
            address a{};
            std::memcpy(a.bytes.data(), s.ipv4.data(), 4);
            a.len = 4;
            a.expires = never;
            root_.push_back(a);
            std::memcpy(a.bytes.data(), s.ipv6.data(), 16);
            a.len = 16;
            root_.push_back(a);
        }
    }
    owners_ = std::make_unique<dns::canonical_owners>();
}

std::size_t bailiwick_checker::memory_bytes() const noexcept
{
    return zones_.size() * sizeof(zone) + addrs_.size() * sizeof(address) + names_.size() +
           buckets_.size() * sizeof(std::uint32_t) + root_.capacity() * sizeof(address) +
           sizeof(dns::canonical_owners);
}

std::uint32_t bailiwick_checker::find(byte_view canon, std::uint64_t h) const noexcept
{
    for (std::uint32_t z = buckets_[h & bucket_mask_]; z != npos; z = zones_[z].chain_next) {
        zone const& e = zones_[z];
        if (e.hash == h && e.name_len == canon.size() &&
            std::memcmp(name_of(z), canon.data(), canon.size()) == 0) {
            return z;
        }
    }
    return npos;
}

void bailiwick_checker::lru_unlink(std::uint32_t z) noexcept
{
    zone& e = zones_[z];
    if (e.lru_prev != npos) {
        zones_[e.lru_prev].lru_next = e.lru_next;
    } else {
        lru_head_ = e.lru_next;
    }
    if (e.lru_next != npos) {
        zones_[e.lru_next].lru_prev = e.lru_prev;
    } else {
        lru_tail_ = e.lru_prev;
    }
    e.lru_prev = npos;
    e.lru_next = npos;
}

void bailiwick_checker::lru_push_front(std::uint32_t z) noexcept
{
    zone& e = zones_[z];
    e.lru_prev = npos;
    e.lru_next = lru_head_;
    if (lru_head_ != npos) {
        zones_[lru_head_].lru_prev = z;
    } else {
        lru_tail_ = z;
    }
    lru_head_ = z;
}

void bailiwick_checker::remove(std::uint32_t z) noexcept
{
    zone& e = zones_[z];
    // Unchain from its bucket.
    std::uint32_t* link = &buckets_[e.hash & bucket_mask_];
    while (*link != z) {
        link = &zones_[*link].chain_next;
    }
    *link = e.chain_next;
    if (!e.pinned) {
        lru_unlink(z);
    }
    e.used = false;
    e.pinned = false;
    e.n_addrs = 0;
    e.chain_next = free_head_;
    free_head_ = z;
    --n_zones_;
}

std::uint32_t bailiwick_checker::allocate(byte_view canon, std::uint64_t h) noexcept
{
    if (free_head_ == npos) {
        // Full: the least recently used learned zone makes room (static zones are not in the
        // LRU list, so a table filled with static zones refuses).
        if (lru_tail_ == npos) {
            return npos;
        }
        remove(lru_tail_);
        counters_.add(bailiwick_counter::evicted_zones);
    }
    std::uint32_t const z = free_head_;
    zone& e = zones_[z];
    free_head_ = e.chain_next;
    e.hash = h;
    e.name_len = static_cast<std::uint8_t>(canon.size());
    e.n_addrs = 0;
    e.expires = 0;
    e.used = true;
    e.pinned = false;
    std::memcpy(name_of(z), canon.data(), canon.size());
    std::uint32_t& head = buckets_[h & bucket_mask_];
    e.chain_next = head;
    head = z;
    lru_push_front(z);
    ++n_zones_;
    return z;
}

bool bailiwick_checker::zone_has(std::uint32_t z, byte_view addr,
                                 bailiwick_seconds now) const noexcept
{
    zone const& e = zones_[z];
    address const* a = addrs_of(z);
    for (unsigned i = 0; i < e.n_addrs; ++i) {
        if ((e.pinned || now < a[i].expires) && same_address(a[i].bytes, a[i].len, addr)) {
            return true;
        }
    }
    return false;
}

bool bailiwick_checker::root_has(byte_view addr) const noexcept
{
    for (auto const& a : root_) {
        if (same_address(a.bytes, a.len, addr)) {
            return true;
        }
    }
    return false;
}

void bailiwick_checker::zone_purge(std::uint32_t z, bailiwick_seconds now) noexcept
{
    zone& e = zones_[z];
    if (e.pinned) {
        return;
    }
    address* a = addrs_of(z);
    unsigned n = 0;
    for (unsigned i = 0; i < e.n_addrs; ++i) {
        if (now < a[i].expires) {
            a[n++] = a[i];
        }
    }
    e.n_addrs = static_cast<std::uint8_t>(n);
}

bool bailiwick_checker::zone_put(std::uint32_t z, byte_view addr,
                                 bailiwick_seconds expires) noexcept
{
    zone& e = zones_[z];
    address* a = addrs_of(z);
    for (unsigned i = 0; i < e.n_addrs; ++i) {
        if (same_address(a[i].bytes, a[i].len, addr)) {
            a[i].expires = std::max(a[i].expires, expires);
            e.expires = std::max(e.expires, expires);
            return true;
        }
    }
    unsigned slot = e.n_addrs;
    if (slot == cfg_.max_addrs_per_zone) {
        if (e.pinned) {
            return false;
        }
        // Full: the soonest-expiring address gives way, unless the newcomer expires sooner.
        slot = 0;
        for (unsigned i = 1; i < e.n_addrs; ++i) {
            if (a[i].expires < a[slot].expires) {
                slot = i;
            }
        }
        if (a[slot].expires > expires) {
            return true;
        }
        counters_.add(bailiwick_counter::replaced_addresses);
    } else {
        ++e.n_addrs;
    }
    a[slot].bytes = {};
    std::memcpy(a[slot].bytes.data(), addr.data(), addr.size());
    a[slot].len = static_cast<std::uint8_t>(addr.size());
    a[slot].expires = expires;
    e.expires = std::max(e.expires, expires);
    return true;
}

static_zone_error bailiwick_checker::add_static(byte_view zone_name, byte_view addr)
{
    dns::name_buffer canon;
    auto const r = dns::canonicalize(zone_name, canon);
    if (!r.ok() || r.end != zone_name.size()) {
        return static_zone_error::bad_name;
    }
    if (addr.size() != 4 && addr.size() != 16) {
        return static_zone_error::bad_address;
    }
    byte_view const cn{canon.data(), r.wire_len};
    std::uint64_t const h = hash_name(cn);
    std::uint32_t z = find(cn, h);
    if (z == npos) {
        z = allocate(cn, h);
        if (z == npos) {
            return static_zone_error::table_full;
        }
    }
    zone& e = zones_[z];
    if (!e.pinned) {
        // A learned entry for the same zone gives way to the operator's data.
        lru_unlink(z);
        e.pinned = true;
        e.n_addrs = 0;
    }
    if (!zone_put(z, addr, never)) {
        return static_zone_error::zone_full;
    }
    return static_zone_error::ok;
}

bool bailiwick_checker::knows(byte_view zone_name, byte_view addr,
                              bailiwick_seconds now) const noexcept
{
    dns::name_buffer canon;
    auto const r = dns::canonicalize(zone_name, canon);
    if (!r.ok()) {
        return false;
    }
    byte_view const cn{canon.data(), r.wire_len};
    if (cn.size() == 1 && root_has(addr)) {
        return true;
    }
    std::uint32_t const z = find(cn, hash_name(cn));
    return z != npos && zone_has(z, addr, now);
}

// --- step 2 -------------------------------------------------------------------------------------

bailiwick_source bailiwick_checker::bailiwick_for(const dns::message& m, const dns::rrset_table& t,
                                                  byte_view response_ip, bailiwick_seconds now,
                                                  bailiwick_verdict& out) noexcept
{
    owners_->build(m, t);
    return bailiwick_for(m, t, *owners_, response_ip, now, out);
}

bailiwick_source bailiwick_checker::bailiwick_for(const dns::message& m, const dns::rrset_table& t,
                                                  const dns::canonical_owners& owners,
                                                  byte_view response_ip, bailiwick_seconds now,
                                                  bailiwick_verdict& out) noexcept
{
    out.source = bailiwick_source::unverifiable;
    out.contradicted = false;
    out.q_len = 0;
    out.b_off = 0;
    auto const unverifiable = [&]() {
        counters_.add(bailiwick_counter::unverifiable);
        return out.source;
    };
    if (m.questions().empty()) {
        return unverifiable();
    }
    auto const qr = dns::read_name_canonical(m.wire(), m.questions()[0].name_off, out.qname);
    if (!qr.ok()) {
        return unverifiable();
    }
    out.q_len = static_cast<std::uint8_t>(qr.wire_len);

    // Deepest first: every suffix of Q that starts on a label. `known` is the deepest zone on
    // Q's path that the table holds at all (whatever its servers), for the contradiction rule.
    int known = -1;
    std::size_t pos = 0;
    while (out.qname[pos] != 0) {
        byte_view const suffix{out.qname.data() + pos, out.q_len - pos};
        std::uint64_t const h = hash_name(suffix);
        std::uint32_t const z = find(suffix, h);
        if (z != npos) {
            zone const& e = zones_[z];
            if (!e.pinned && e.expires <= now) {
                remove(z);
                counters_.add(bailiwick_counter::expired_zones);
            } else {
                if (known < 0) {
                    known = static_cast<int>(pos);
                }
                if (zone_has(z, response_ip, now)) {
                    if (!e.pinned) {
                        lru_unlink(z);
                        lru_push_front(z);
                    }
                    out.b_off = static_cast<std::uint8_t>(pos);
                    out.source = bailiwick_source::table;
                    counters_.add(bailiwick_counter::resolved_by_table);
                    return out.source;
                }
            }
        }
        pos += std::size_t{out.qname[pos]} + 1;
    }
    if (!root_.empty()) {
        if (root_has(response_ip)) {
            out.b_off = static_cast<std::uint8_t>(pos);
            out.source = bailiwick_source::table;
            counters_.add(bailiwick_counter::resolved_by_table);
            return out.source;
        }
        if (known < 0) {
            known = static_cast<int>(pos);
        }
    }

    // Cold table for this server: the response's own evidence of the zone it speaks for.
    // SOA in authority first (the apex, stated by the zone itself), then the NS RRset in
    // authority (a referral, or the apex NS an authoritative server adds), then an answer that
    // is the apex's own NS or SOA RRset (AA=1, owner = Q).
    int claim = -1;
    bailiwick_source by = bailiwick_source::unverifiable;
    auto const sets = t.sets();
    for (int pass = 0; pass < 3 && claim < 0; ++pass) {
        for (std::size_t i = 0; i < sets.size(); ++i) {
            auto const& s = sets[i];
            bool wanted = false;
            if (pass == 0) {
                wanted = s.sec == dns::section::authority && s.type == dns::rrtype::soa;
            } else if (pass == 1) {
                wanted = s.sec == dns::section::authority && s.type == dns::rrtype::ns;
            } else {
                wanted = m.hdr().aa() && s.sec == dns::section::answer &&
                         (s.type == dns::rrtype::ns || s.type == dns::rrtype::soa);
            }
            if (!wanted) {
                continue;
            }
            byte_view const o = owners[i];
            if (o.empty()) {
                continue;
            }
            int const off = suffix_offset(out, o);
            if (off < 0 || (pass == 2 && off != 0)) {
                continue;
            }
            claim = off;
            by = s.type == dns::rrtype::soa ? bailiwick_source::soa : bailiwick_source::ns;
            break;
        }
    }
    if (claim < 0) {
        return unverifiable();
    }
    // The claim must lie strictly below every zone the table knows on Q's path: a zone the
    // table knows, with servers that exclude this sender, is not this sender's to speak for.
    if (known >= 0 && claim >= known) {
        out.contradicted = true;
        counters_.add(bailiwick_counter::contradicted);
        return unverifiable();
    }
    out.b_off = static_cast<std::uint8_t>(claim);
    out.source = by;
    counters_.add(by == bailiwick_source::soa ? bailiwick_counter::resolved_by_soa
                                              : bailiwick_counter::resolved_by_ns);
    return out.source;
}

// --- step 3 -------------------------------------------------------------------------------------

std::size_t bailiwick_checker::select(const dns::rrset_table& t,
                                      const dns::canonical_owners& owners,
                                      const bailiwick_verdict& v, std::span<bool> keep) noexcept
{
    auto const sets = t.sets();
    std::size_t const n = std::min(sets.size(), keep.size());
    if (!v.ok()) {
        std::fill_n(keep.begin(), n, false);
        return 0;
    }
    byte_view const b = v.bailiwick();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
        bool const in = dns::is_subdomain_canonical(owners[i], b);
        keep[i] = in;
        kept += in ? 1 : 0;
    }
    counters_.add(bailiwick_counter::in_bailiwick_rrsets, kept);
    counters_.add(bailiwick_counter::out_of_bailiwick_rrsets, n - kept);
    return kept;
}

// --- step 4 -------------------------------------------------------------------------------------

void bailiwick_checker::learn(const dns::message& m, const dns::rrset_table& t,
                              const dns::canonical_owners& owners, const bailiwick_verdict& v,
                              bailiwick_seconds now) noexcept
{
    // A referral: NOERROR, nothing in the answer section, the delegation in authority.
    if (!v.ok() || m.hdr().rcode() != 0 || !m.records(dns::section::answer).empty()) {
        return;
    }
    byte_view const b = v.bailiwick();
    auto const sets = t.sets();
    for (std::size_t i = 0; i < sets.size(); ++i) {
        auto const& s = sets[i];
        if (s.sec != dns::section::authority || s.type != dns::rrtype::ns) {
            continue;
        }
        if (v.source != bailiwick_source::table) {
            // Only a server the table already trusts for B may delegate below B; otherwise a
            // forged SOA for a TLD would let any server plant delegations under it.
            counters_.add(bailiwick_counter::learn_untrusted);
            continue;
        }
        byte_view const o = owners[i];
        if (o.empty()) {
            continue;
        }
        if (o.size() <= b.size() || !dns::is_subdomain_canonical(o, b) ||
            !dns::is_subdomain_canonical(v.question(), o)) {
            counters_.add(bailiwick_counter::referral_not_below);
            continue;
        }
        learn_ns_set(m, t, owners, s, o, b, now);
    }
}

void bailiwick_checker::learn_ns_set(const dns::message& m, const dns::rrset_table& t,
                                     const dns::canonical_owners& owners, const dns::rrset& ns,
                                     byte_view zone_canon, byte_view bailiwick,
                                     bailiwick_seconds now) noexcept
{
    std::uint64_t const h = hash_name(zone_canon);
    std::uint32_t z = find(zone_canon, h);
    if (z != npos && zones_[z].pinned) {
        counters_.add(bailiwick_counter::learn_static_kept);
        return;
    }
    auto const wire = m.wire();
    auto const records = m.records();
    auto const ns_members = t.members(ns);
    bool const existed = z != npos;
    if (existed) {
        zone_purge(z, now);
    }
    unsigned added = 0;
    auto const sets = t.sets();
    for (std::size_t gi = 0; gi < sets.size(); ++gi) {
        auto const& g = sets[gi];
        if (g.sec != dns::section::additional ||
            (g.type != dns::rrtype::a && g.type != dns::rrtype::aaaa)) {
            continue;
        }
        // Glue must itself be in bailiwick: a server for B vouches only for names under B.
        if (!dns::is_subdomain_canonical(owners[gi], bailiwick)) {
            continue;
        }
        // ... and must be the address of one of this delegation's nameservers.
        bool named = false;
        for (std::uint16_t const i : ns_members) {
            auto const& nsr = records[i];
            if (nsr.rdata_len == 0 || !dns::scan_name(wire, nsr.rdata_off).ok()) {
                continue;
            }
            if (dns::names_equal(wire, g.owner_off, nsr.rdata_off)) {
                named = true;
                break;
            }
        }
        if (!named) {
            continue;
        }
        std::size_t const alen = g.type == dns::rrtype::a ? 4 : 16;
        for (std::uint16_t const i : t.members(g)) {
            auto const& ar = records[i];
            std::uint32_t const ttl = std::min({ns.ttl, ar.ttl, cfg_.max_ttl});
            if (ar.rdata_len != alen || ttl == 0) {
                continue;
            }
            if (z == npos) {
                z = allocate(zone_canon, h);
                if (z == npos) {
                    return;
                }
            }
            zone_put(z, byte_view{wire.data() + ar.rdata_off, alen}, expiry(now, ttl));
            ++added;
        }
    }
    if (added == 0) {
        counters_.add(bailiwick_counter::learn_no_glue);
        return;
    }
    counters_.add(existed ? bailiwick_counter::refreshed_zones : bailiwick_counter::learned_zones);
    lru_unlink(z);
    lru_push_front(z);
}

std::size_t bailiwick_checker::check(const dns::message& m, const dns::rrset_table& t,
                                     const dns::canonical_owners& owners, byte_view response_ip,
                                     bailiwick_seconds now, bailiwick_verdict& v,
                                     std::span<bool> keep) noexcept
{
    bailiwick_for(m, t, owners, response_ip, now, v);
    std::size_t const kept = select(t, owners, v, keep);
    learn(m, t, owners, v, now);
    return kept;
}

std::size_t bailiwick_checker::check(const dns::message& m, const dns::rrset_table& t,
                                     byte_view response_ip, bailiwick_seconds now,
                                     bailiwick_verdict& v, std::span<bool> keep) noexcept
{
    owners_->build(m, t);
    return check(m, t, *owners_, response_ip, now, v, keep);
}

// --- invariants (tests) -------------------------------------------------------------------------

bool bailiwick_checker::check_invariants() const noexcept
{
    std::size_t used = 0;
    std::size_t unpinned = 0;
    for (std::uint32_t z = 0; z < zones_.size(); ++z) {
        zone const& e = zones_[z];
        if (!e.used) {
            continue;
        }
        ++used;
        unpinned += e.pinned ? 0 : 1;
        if (e.n_addrs > cfg_.max_addrs_per_zone || e.hash != hash_name({name_of(z), e.name_len})) {
            return false;
        }
        if (find({name_of(z), e.name_len}, e.hash) != z) {
            return false;
        }
    }
    if (used != n_zones_) {
        return false;
    }
    std::size_t lru = 0;
    std::uint32_t prev = npos;
    for (std::uint32_t z = lru_head_; z != npos; z = zones_[z].lru_next) {
        if (!zones_[z].used || zones_[z].pinned || zones_[z].lru_prev != prev || ++lru > used) {
            return false;
        }
        prev = z;
    }
    if (prev != lru_tail_ || lru != unpinned) {
        return false;
    }
    std::size_t free = 0;
    for (std::uint32_t z = free_head_; z != npos; z = zones_[z].chain_next) {
        if (zones_[z].used || ++free > zones_.size()) {
            return false;
        }
    }
    return free + used == zones_.size();
}

} // namespace siehub::pipeline
