// SPDX-License-Identifier: Apache-2.0
// bench_verify: ns per dnsqr payload through verify (+ RRset grouping) and through the privacy
// scrub, on the realistic payloads of dnsqr.nmsg (the 21 accepted UDP transactions, cycled),
// plus the cost of refusing the RD = 1 one. Reference: nmsg::dnsqr_view decode alone.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "bench_util.hpp"
#include "pipeline/privacy.hpp"
#include "pipeline/verify.hpp"
#include "proto/nmsg/container.hpp"

using namespace siehub;
using namespace siehub::pipeline;

namespace {
std::vector<std::vector<std::uint8_t>> load()
{
    std::ifstream in(SIEHUB_TESTDATA_DIR "/nmsg/dnsqr.nmsg", std::ios::binary);
    std::vector<std::uint8_t> file{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
    std::vector<std::vector<std::uint8_t>> out;
    core::byte_view rest(file);
    while (!rest.empty()) {
        auto const u = nmsg::next_file_unit(rest);
        if (!u.ok()) {
            break;
        }
        rest = rest.subspan(u.consumed);
        nmsg::nmsg_view v(u.body);
        for (auto const& e : v.entries()) {
            auto const m = e.view.payload().value_or(core::byte_view{});
            out.emplace_back(m.begin(), m.end());
        }
    }
    return out;
}
} // namespace

int main()
{
    auto const all = load();
    auto vs = std::make_unique<verify_scratch>();
    auto ps = std::make_unique<privacy_scratch>();
    verify_result r;
    std::vector<core::byte_view> accepted;
    std::vector<std::optional<nmsg::udp_checksum>> verdicts;
    core::byte_view rd1;
    std::size_t sets = 0;
    for (auto const& m : all) {
        auto const why = verify({1, 9, m, 0, 0}, {}, *vs, r);
        if (why == verify_counter::accepted) {
            accepted.emplace_back(m);
            verdicts.push_back(r.checksum);
            sets += r.rrsets_valid ? r.rrsets->sets().size() : 0;
        } else if (why == verify_counter::rd_set) {
            rd1 = m;
        }
    }
    std::size_t bytes = 0;
    for (auto m : accepted) {
        bytes += m.size();
    }
    std::printf("payloads: %zu accepted of %zu, mean %zu bytes, %zu RRsets per pass\n",
                accepted.size(), all.size(), bytes / accepted.size(), sets);

    std::size_t i = 0;
    auto const dec = bench::measure("dnsqr_view decode (reference)", [&] {
        nmsg::dnsqr_view v(accepted[i]);
        bench::keep(v.ok());
        i = i + 1 == accepted.size() ? 0 : i + 1;
    });
    bench::print(dec);
    i = 0;
    auto const ver = bench::measure("verify + RRsets, per accepted payload", [&] {
        bench::keep(verify({1, 9, accepted[i], 0, 0}, {}, *vs, r));
        i = i + 1 == accepted.size() ? 0 : i + 1;
    });
    bench::print(ver);
    auto const rd = bench::measure("verify, RD=1 refusal", [&] {
        bench::keep(verify({1, 9, rd1, 0, 0}, {}, *vs, r));
    });
    bench::print(rd);
    std::vector<std::uint8_t> out(1 << 17);
    privacy_counters c;
    i = 0;
    auto const scr = bench::measure("privacy scrub (zero resolver + ECS/cookies)", [&] {
        core::out_buffer ob(out);
        bench::keep(scrub_dnsqr(accepted[i], {}, verdicts[i], *ps, ob, c));
        i = i + 1 == accepted.size() ? 0 : i + 1;
    });
    bench::print(scr);
    privacy_options zero_only;
    zero_only.scrub_ecs = false;
    zero_only.scrub_cookies = false;
    i = 0;
    auto const scr0 = bench::measure("privacy scrub (zero resolver only)", [&] {
        core::out_buffer ob(out);
        bench::keep(scrub_dnsqr(accepted[i], zero_only, verdicts[i], *ps, ob, c));
        i = i + 1 == accepted.size() ? 0 : i + 1;
    });
    bench::print(scr0);
    std::printf("%-56s %10.2f M payloads/s (verify + scrub, one core)\n", "throughput",
                1e3 / (ver.ns_per_op + scr.ns_per_op));
    return 0;
}
