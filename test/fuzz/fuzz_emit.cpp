// SPDX-License-Identifier: Apache-2.0
// Channel emitter invariants under input-chosen container sizes, zlib, payload sizes, drain
// times and flushes: every datagram is one well-formed nmsg unit no larger than the container
// size; containers are non-empty with correct CRCs and consecutive sequence numbers; fragment
// sets reassemble; the payloads come back in order, byte for byte.

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "pipeline/emit.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"

using namespace siehub;

namespace {

using bytes = std::vector<std::uint8_t>;

void check(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

struct sink final : pipeline::datagram_sink {
    std::vector<bytes> d;
    bool send(core::byte_view x, const pipeline::datagram_meta&) noexcept override
    {
        d.emplace_back(x.begin(), x.end());
        return true;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 3) {
        return 0;
    }
    static constexpr std::size_t sizes[] = {512, 600, 1280, 1500, 8192, 9000};
    pipeline::emitter_config cfg;
    cfg.container_size = sizes[data[0] % 6];
    cfg.zlib = (data[1] & 1) != 0;
    cfg.drain_ns = 100;
    cfg.max_payload_bytes = 20000;
    sink s;
    pipeline::channel_emitter em(cfg, s);
    std::vector<bytes> sent;
    std::uint64_t now = 0;
    // Each step: op byte, then for an add a 2-byte size; vendor bytes come from the input
    // (cycled), so zlib sees both compressible and incompressible data.
    std::size_t i = 2;
    while (i < size) {
        std::uint8_t const op = data[i++];
        now += op & 0x0f;
        if ((op & 0xf0) == 0xf0) {
            em.flush();
            continue;
        }
        if ((op & 0xf0) == 0xe0) {
            em.drain(now);
            continue;
        }
        if (i + 2 > size) {
            break;
        }
        std::size_t const len = ((std::size_t{data[i]} << 8) | data[i + 1]) % 24000;
        i += 2;
        bytes v(len);
        for (std::size_t k = 0; k < len; ++k) {
            v[k] = (op & 0x10) ? data[(i + k) % size] : static_cast<std::uint8_t>(k * 131 + op);
        }
        nmsg::payload_header h{2, 1, static_cast<std::int64_t>(now), 0, {}, {}, {}};
        if (op & 0x20) {
            h.source = op;
        }
        auto const r = em.add(h, v, now);
        if (r != pipeline::channel_emitter::add_result::dropped) {
            bytes p(nmsg::payload_size(h, core::byte_view{v}));
            core::out_buffer o(p);
            nmsg::write_payload(o, h, core::byte_view{v});
            sent.push_back(std::move(p));
        } else {
            check(len > cfg.max_payload_bytes);
        }
    }
    em.flush();

    nmsg::reassembler reasm;
    nmsg::inflater inf;
    static bytes scratch(nmsg::zlib_max_inflated);
    std::uint32_t seq = 0;
    std::size_t got = 0;
    auto container = [&](core::byte_view body, bool z) {
        if (z) {
            auto const r = inf.inflate(body, scratch);
            check(r.ok());
            body = r.data;
        }
        nmsg::nmsg_view const v(body);
        check(v.valid() && v.payload_count() > 0);
        check(v.sequence() == seq++ && v.sequence_id() == em.sequence_id());
        check(v.payload_crcs().size() == v.payload_count());
        for (auto const& e : v.entries()) {
            check(e.crc_ok());
            check(got < sent.size());
            auto const b = e.view.bytes();
            check(bytes(b.begin(), b.end()) == sent[got++]);
        }
    };
    for (auto const& d : s.d) {
        check(d.size() <= cfg.container_size);
        auto const u = nmsg::parse_datagram(d);
        check(u.ok());
        if (u.header.fragment()) {
            auto const r = reasm.offer(u.body, u.header.flags, {}, 1, 0);
            check(r.st != nmsg::reasm_result::status::dropped);
            if (r.st == nmsg::reasm_result::status::complete) {
                bytes const whole(r.body.begin(), r.body.end());
                container(whole, r.zlib);
            }
        } else {
            container(u.body, u.header.zlib());
        }
    }
    check(reasm.sets() == 0);
    check(got == sent.size());
    return 0;
}
