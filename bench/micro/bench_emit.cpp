// SPDX-License-Identifier: Apache-2.0
// ns per payload through a channel emitter: dnsdedupe-sized (~80-byte vendor message) and
// dnsqr-sized (~330 bytes) payloads at 1280 and 8192, including container finish (CRCs,
// sequence fields, header) and the frame write (Ethernet/802.1Q/IPv4/UDP with software
// checksums) into a buffer; a null sink isolates the container work. Also the cost of
// building one INSERTION from a dedup key. Fixed seed.

#include <cstdint>
#include <random>
#include <vector>

#include "bench_util.hpp"
#include "dedup/key.hpp"
#include "pipeline/emit.hpp"
#include "pipeline/records.hpp"

using namespace siehub;
using namespace siehub::pipeline;

namespace {

struct null_sink final : datagram_sink {
    std::uint64_t bytes = 0;
    bool send(core::byte_view d, const datagram_meta&) noexcept override
    {
        bytes += d.size();
        return true;
    }
};

// Frames into a 4 MiB buffer, starting over when it is nearly full (as TX mbufs would recycle).
struct recycling_frame_sink final : datagram_sink {
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(4 << 20);
    std::vector<frame_buffer_sink::frame_ref> slots =
        std::vector<frame_buffer_sink::frame_ref>(4096);
    frame_buffer_sink inner;
    explicit recycling_frame_sink(const net::channel_frame_spec& s) : inner(s, buf, slots) {}
    bool send(core::byte_view d, const datagram_meta& m) noexcept override
    {
        if (inner.bytes_used() + 70000 > buf.size() || inner.frame_count() == slots.size()) {
            inner.clear();
        }
        return inner.send(d, m);
    }
};

void run(const char* label, std::size_t vendor_len, std::size_t limit, bool zlib, bool frames)
{
    std::mt19937_64 rng(1);
    std::vector<std::vector<std::uint8_t>> vendors(64);
    for (auto& v : vendors) {
        v.resize(vendor_len);
        for (auto& b : v) {
            b = static_cast<std::uint8_t>(rng() % 64 + 32); // text-like, as names and rdata
        }
    }
    nmsg::payload_header h{2, 1, 1795382103, 629181000, 0xa1b2c3d4u, {}, {}};
    net::channel_frame_spec spec;
    spec.vlan = 204;
    null_sink ns;
    recycling_frame_sink fs(spec);
    datagram_sink& sink = frames ? static_cast<datagram_sink&>(fs) : ns;
    emitter_config cfg;
    cfg.container_size = limit;
    cfg.zlib = zlib;
    channel_emitter em(cfg, sink);
    std::size_t i = 0;
    std::uint64_t now = 0;
    auto r = bench::measure(label, [&] { em.add(h, core::byte_view{vendors[i++ & 63]}, now++); });
    bench::print(r);
}

} // namespace

int main()
{
    for (std::size_t limit : {std::size_t{1280}, std::size_t{8192}}) {
        for (auto [name, len] :
             {std::pair{"dnsdedupe", std::size_t{80}}, std::pair{"dnsqr", std::size_t{330}}}) {
            char label[128];
            std::snprintf(label, sizeof label, "emit %s-sized @%zu, frames", name, limit);
            run(label, len, limit, false, true);
            std::snprintf(label, sizeof label, "emit %s-sized @%zu, null sink", name, limit);
            run(label, len, limit, false, false);
            std::snprintf(label, sizeof label, "emit %s-sized @%zu, zlib, frames", name, limit);
            run(label, len, limit, true, true);
        }
    }

    // One INSERTION from the owner core's key (A RRset, two rdata).
    std::uint8_t const name[] = {3,   'w', 'w', 'w', 7,   'e', 'x', 'a', 'm',
                                 'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
    std::uint8_t const apex[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
    std::uint8_t const a1[] = {192, 0, 2, 1};
    std::uint8_t const a2[] = {192, 0, 2, 2};
    std::vector<std::uint8_t> kbuf(256);
    dedup::key_builder kb(kbuf);
    kb.begin(name, 1, 1, apex);
    kb.add_rdata(a1);
    kb.add_rdata(a2);
    auto const key = kb.finish();
    std::vector<std::uint8_t> out(512);
    std::uint32_t t = 1795382103;
    auto r = bench::measure("build_insertion_from_key (A, 2 rdata)", [&] {
        auto rec = build_insertion_from_key(out, key, 300, a1, {t++, 0}, 0xa1b2c3d4u);
        bench::keep(rec.vendor.size());
    });
    bench::print(r);
    return 0;
}
