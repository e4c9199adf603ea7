// SPDX-License-Identifier: Apache-2.0
#pragma once
// RRsets of a parsed response (sie.md §2.2): records grouped per section by (owner compared
// case-insensitively, type, class); RRSIGs by (owner, class, type covered). Members are RR
// indices in wire order; the set's TTL is the lowest member TTL. No allocation: the table has
// room for message::max_records sets and members, so grouping a parsed message cannot run out.
//
// Dedup keys want a form that does not depend on wire order or compression:
// canonical_rdata_set() gives the members' canonical (RFC 4034 §6.2) uncompressed RDATA,
// sorted in RFC 4034 §6.3 order with exact duplicates removed.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/out_buffer.hpp"
#include "proto/dns/errc.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/name.hpp"

namespace siehub::dns {

struct rrset {
    std::uint32_t ttl;       // lowest member TTL
    std::uint16_t owner_off; // owner of the first member (offset into the message)
    std::uint16_t type;      // RRSIG sets have type 46 and `covered` set
    std::uint16_t covered;   // RRSIG type covered, else 0
    std::uint16_t cls;
    std::uint16_t first; // index into rrset_table::members
    std::uint16_t count;
    section sec;
};

struct group_options {
    // sie.md §2.2: OPT, TSIG, TKEY and SIG(0) are transport metadata, not data.
    bool skip_meta = true;
    // sie.md §2.2: RRs of class other than IN are excluded.
    bool in_class_only = true;
};

class rrset_table {
public:
    static constexpr std::size_t max_rrsets = message::max_records;

    // Groups the records of a successfully parsed message.
    errc build(const message& m, group_options opt = {}) noexcept;

    [[nodiscard]] std::span<const rrset> sets() const noexcept { return {sets_, n_sets_}; }
    // Indices into m.records() of the set's members, in wire order.
    [[nodiscard]] std::span<const std::uint16_t> members(const rrset& s) const noexcept
    {
        return {members_ + s.first, s.count};
    }

private:
    std::size_t n_sets_ = 0;
    rrset sets_[max_rrsets];
    std::uint16_t members_[message::max_records];
    std::uint16_t set_of_[message::max_records];
};

// The owner of s in canonical (lower-case) uncompressed wire form.
inline name_info canonical_owner(const message& m, const rrset& s, name_out out) noexcept
{
    return read_name_canonical(m.wire(), s.owner_off, out);
}

// The canonical owner of every RRset of one table, read from the wire once per response and
// shared by the bailiwick steps, the dedup keys and the records (each of them used to re-read
// it: about ten walks of the same names per response). Fixed size (about 140 KiB: every set
// may own a 255-byte name behind a 2-byte pointer), so keep one per worker, not on the stack.
class canonical_owners {
public:
    // One view per set of t; a set whose owner does not read (cannot happen after a successful
    // parse, which validated every name) gets an empty view.
    void build(const message& m, const rrset_table& t) noexcept
    {
        auto const sets = t.sets();
        std::size_t used = 0;
        for (std::size_t i = 0; i < sets.size(); ++i) {
            name_out out{buf_ + used, max_name_len};
            auto const r = read_name_canonical(m.wire(), sets[i].owner_off, out);
            views_[i] = r.ok() ? byte_view{buf_ + used, r.wire_len} : byte_view{};
            used += r.ok() ? r.wire_len : 0;
        }
        n_ = sets.size();
    }

    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    // The owner of t.sets()[set] (uncompressed, lower case), empty when it did not read.
    [[nodiscard]] byte_view operator[](std::size_t set) const noexcept { return views_[set]; }

private:
    std::size_t n_ = 0;
    byte_view views_[rrset_table::max_rrsets];
    std::uint8_t buf_[rrset_table::max_rrsets * max_name_len];
};

// Writes each member's canonical RDATA into `scratch`, puts views of them into `out` sorted in
// canonical order without duplicates, and sets n to how many. `out` needs s.count entries
// (errc::too_many_records otherwise); a full scratch gives errc::out_of_space.
errc canonical_rdata_set(const message& m, const rrset_table& t, const rrset& s,
                         core::out_buffer& scratch, std::span<byte_view> out,
                         std::size_t& n) noexcept;

} // namespace siehub::dns
