// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a DNS message through everything the pipeline does with one. Parse, walk every
// RR lazily and from the array (they must agree), decompress every name and RDATA (outputs
// must pass the uncompressed checks), group RRsets and build each canonical RDATA set, scrub
// EDNS privacy options on a copy (must still parse, same length). Any broken invariant traps.
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "proto/dns/message.hpp"
#include "proto/dns/rdata.hpp"
#include "proto/dns/rrset.hpp"

using namespace siehub;
using namespace siehub::dns;

namespace {

void require(bool ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

message msg_;
message again_;
rrset_table table_;
std::array<std::uint8_t, 70000> rdata_buf_;
std::array<std::uint8_t, 140000> scratch_buf_;
std::array<byte_view, message::max_records> views_;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    byte_view const in{data, size};
    // Names on raw bytes: the uncompressed checker and the message walker agree on bounds.
    auto const un = check_name(in);
    if (un.ok()) {
        require(un.end <= size && un.wire_len == un.end);
    }
    errc const e = msg_.parse(in);
    rr_reader rd;
    bool const started = rd.start(in) == errc::ok;
    if (e != errc::ok) {
        return 0;
    }
    require(started);
    auto const recs = msg_.records();
    rr r;
    std::size_t n = 0;
    while (rd.next(r)) {
        require(n < recs.size());
        require(r.owner_off == recs[n].owner_off && r.rdata_off == recs[n].rdata_off &&
                r.rdata_len == recs[n].rdata_len && r.type == recs[n].type);
        ++n;
    }
    require(rd.error() == errc::ok && n == recs.size());
    for (auto const& q : msg_.questions()) {
        name_buffer nb;
        auto const ni = read_name(in, q.name_off, nb);
        require(ni.ok());
        require(validate_name({nb.data(), ni.wire_len}) == errc::ok);
    }
    for (auto const& x : recs) {
        require(std::size_t{x.rdata_off} + x.rdata_len <= size);
        name_buffer nb;
        auto const ni = read_name_canonical(in, x.owner_off, nb);
        require(ni.ok());
        require(validate_name({nb.data(), ni.wire_len}) == errc::ok);
        core::out_buffer out{rdata_buf_};
        errc const ce = check_rdata(in, x);
        errc const ue = uncompress_rdata(in, x, out);
        require(ce == ue);
        if (ue == errc::ok) {
            require(check_rdata(x.type, out.written()) == errc::ok);
            core::out_buffer canon{scratch_buf_};
            require(canonicalize_rdata(x.type, out.written(), canon) == errc::ok);
            require(canon.size() == out.size());
        } else {
            require(out.size() == 0);
        }
    }
    require(table_.build(msg_) == errc::ok);
    std::size_t members = 0;
    for (auto const& s : table_.sets()) {
        members += s.count;
        for (auto i : table_.members(s)) {
            require(i < recs.size());
            require(names_equal(in, recs[i].owner_off, s.owner_off));
        }
        core::out_buffer scratch{scratch_buf_};
        std::size_t k = 0;
        if (canonical_rdata_set(msg_, table_, s, scratch, views_, k) == errc::ok) {
            require(k >= 1 && k <= s.count);
        }
    }
    require(members <= recs.size());
    if (msg_.edns().present) {
        std::vector<std::uint8_t> copy(in.begin(), in.end());
        scrub_edns_privacy(copy, msg_);
        require(again_.parse(copy) == errc::ok);
    }
    return 0;
}
