// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/rrset.hpp"

#include <algorithm>

#include "proto/dns/rdata.hpp"

namespace siehub::dns {

namespace {

constexpr std::uint16_t no_set = 0xFFFF;

bool is_meta(const rr& r, byte_view wire) noexcept
{
    switch (r.type) {
    case rrtype::opt:
    case rrtype::tsig:
    case rrtype::tkey:
        return true;
    case rrtype::sig:
        // SIG(0) (RFC 2931) covers the whole message: type covered 0.
        return r.rdata_len >= 2 && core::load_be16(wire.data() + r.rdata_off) == 0;
    default:
        return false;
    }
}

} // namespace

errc rrset_table::build(const message& m, group_options opt) noexcept
{
    n_sets_ = 0;
    auto const recs = m.records();
    byte_view const wire = m.wire();
    std::size_t sec_begin = 0;
    section cur = section::answer;
    for (std::size_t i = 0; i < recs.size(); ++i) {
        rr const& r = recs[i];
        set_of_[i] = no_set;
        if ((opt.skip_meta && is_meta(r, wire)) || (opt.in_class_only && r.cls != rrclass::in)) {
            continue;
        }
        if (r.sec != cur) {
            cur = r.sec;
            sec_begin = n_sets_;
        }
        std::uint16_t covered = 0;
        if (r.type == rrtype::rrsig && r.rdata_len >= 2) {
            covered = core::load_be16(wire.data() + r.rdata_off);
        }
        // Newest first: members of one set are nearly always adjacent.
        std::size_t found = no_set;
        for (std::size_t j = n_sets_; j > sec_begin; --j) {
            rrset const& s = sets_[j - 1];
            if (s.type == r.type && s.cls == r.cls && s.covered == covered &&
                (s.owner_off == r.owner_off || names_equal(wire, s.owner_off, r.owner_off))) {
                found = j - 1;
                break;
            }
        }
        if (found == no_set) {
            if (n_sets_ == max_rrsets) {
                return errc::too_many_rrsets;
            }
            found = n_sets_++;
            sets_[found] = rrset{r.ttl, r.owner_off, r.type, covered, r.cls, 0, 0, r.sec};
        }
        rrset& s = sets_[found];
        s.ttl = std::min(s.ttl, r.ttl);
        ++s.count;
        set_of_[i] = static_cast<std::uint16_t>(found);
    }
    // Counting sort of the member indices: one pass keeps wire order within each set.
    std::uint16_t next[max_rrsets];
    std::uint16_t at = 0;
    for (std::size_t j = 0; j < n_sets_; ++j) {
        sets_[j].first = at;
        next[j] = at;
        at = static_cast<std::uint16_t>(at + sets_[j].count);
    }
    for (std::size_t i = 0; i < recs.size(); ++i) {
        if (set_of_[i] != no_set) {
            members_[next[set_of_[i]]++] = static_cast<std::uint16_t>(i);
        }
    }
    return errc::ok;
}

errc canonical_rdata_set(const message& m, const rrset_table& t, const rrset& s,
                         core::out_buffer& scratch, std::span<byte_view> out,
                         std::size_t& n) noexcept
{
    n = 0;
    auto const mem = t.members(s);
    if (out.size() < mem.size()) {
        return errc::too_many_records;
    }
    auto const recs = m.records();
    std::size_t const base = scratch.size();
    // Offsets first: views are taken only once every write is done.
    std::uint32_t offs[message::max_records + 1];
    for (std::size_t i = 0; i < mem.size(); ++i) {
        offs[i] = static_cast<std::uint32_t>(scratch.size());
        if (auto e = canonical_rdata(m.wire(), recs[mem[i]], scratch); e != errc::ok) {
            scratch.rewind(base);
            return e;
        }
    }
    offs[mem.size()] = static_cast<std::uint32_t>(scratch.size());
    for (std::size_t i = 0; i < mem.size(); ++i) {
        out[i] = byte_view{scratch.begin() + offs[i], offs[i + 1] - offs[i]};
    }
    auto less = [](byte_view a, byte_view b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
    };
    auto eq = [](byte_view a, byte_view b) { return std::ranges::equal(a, b); };
    std::sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mem.size()), less);
    auto const last =
        std::unique(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mem.size()), eq);
    n = static_cast<std::size_t>(last - out.begin());
    return errc::ok;
}

} // namespace siehub::dns
