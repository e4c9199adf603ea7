// SPDX-License-Identifier: Apache-2.0
// fuzz_verify: DnsQR bytes -> verify -> (accepted) privacy scrub -> verify the scrubbed copy.
// Oracles: nothing reads out of bounds (sanitizers); an accepted payload that scrubs must
// verify again with the same route, rcode, TC and RRset count (scrubbing keeps every length
// and structure); a dnsnx record of an NXDOMAIN decodes; the scrubbed copy carries no
// non-zero resolver address in query_ip.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "pipeline/privacy.hpp"
#include "pipeline/verify.hpp"

using namespace siehub;
using namespace siehub::pipeline;

namespace {
struct state {
    verify_scratch vs;
    verify_result r;
    verify_result r2;
    privacy_scratch ps;
    privacy_counters pc;
    std::array<std::uint8_t, 1 << 17> out;
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static auto* st = new state;
    core::byte_view const in(data, size);
    if (verify({1, 9, in, 1, 2}, {}, st->vs, st->r) != verify_counter::accepted) {
        return 0;
    }
    if (st->r.route == rcode_route::nxdomain) {
        std::array<std::uint8_t, 1024> nx;
        core::out_buffer o(nx);
        if (!write_dnsnx(st->r, o) || !nmsg::dnsnx_view(o.written()).ok()) {
            std::abort();
        }
    }
    // The verdict and counts of the first pass: the scratch is reused by the second.
    auto const route = st->r.route;
    auto const rcode = st->r.rcode;
    auto const tc = st->r.tc;
    std::size_t const sets = st->r.rrsets_valid ? st->r.rrsets->sets().size() : 0;
    core::out_buffer ob(st->out);
    if (scrub_dnsqr(in, {}, st->r.checksum, st->ps, ob, st->pc) != privacy_counter::scrubbed) {
        return 0;
    }
    if (verify({1, 9, ob.written(), 1, 2}, {}, st->vs, st->r2) != verify_counter::accepted) {
        std::abort();
    }
    if (st->r2.route != route || st->r2.rcode != rcode || st->r2.tc != tc) {
        std::abort();
    }
    std::size_t const sets2 = st->r2.rrsets_valid ? st->r2.rrsets->sets().size() : 0;
    if (sets2 != sets) {
        std::abort();
    }
    for (auto b : st->r2.query_ip) {
        if (b != 0) {
            std::abort();
        }
    }
    return 0;
}
