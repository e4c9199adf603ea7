// SPDX-License-Identifier: Apache-2.0
// Fuzz target: nmsg framing (datagram and file mode), container and fragment views, CRC
// checks, zlib inflate and fragment reassembly, all driven by one input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"

using namespace siehub::nmsg;

namespace {

std::uint64_t sink;

void walk_container(byte_view body)
{
    nmsg_view const v(body);
    if (!v.valid()) {
        return;
    }
    std::size_t n = 0;
    for (auto e : v.entries()) {
        ++n;
        sink += e.crc_ok();
        sink += e.view.vid() + e.view.msgtype() + e.view.time_nsec();
        if (auto p = e.view.payload()) {
            sink += p->size();
        }
    }
    // Every payload was validated by the container view.
    if (n != v.payload_count() || n == 0) {
        __builtin_trap();
    }
    sink += v.sequence().value_or(0) + v.sequence_id().value_or(0);
}

void handle_unit(const nmsg_unit& u, reassembler& r, inflater& inf, std::vector<std::uint8_t>& buf,
                 std::uint64_t now)
{
    byte_view body = u.body;
    bool zlib = u.header.zlib();
    if (u.header.fragment()) {
        std::array<std::uint8_t, 16> addr{127, 0, 0, 1};
        auto res = r.offer(body, u.header.flags, addr, 8430, now);
        if (res.st != reasm_result::status::complete) {
            return;
        }
        body = res.body;
        zlib = res.zlib;
    }
    if (zlib) {
        // A small bound keeps each run fast; the bound logic is the same at 1 MiB.
        auto z = inf.inflate(body, buf, buf.size());
        if (!z.ok()) {
            return;
        }
        body = z.data;
    }
    walk_container(body);
}

// The canonical fast paths must agree with the generic table-driven parser.
void compare_paths(byte_view in)
{
    nmsg_view const a(in);
    nmsg_view const b(in, generic_parse);
    if (a.valid() != b.valid()) {
        __builtin_trap();
    }
    if (!a.valid()) {
        return;
    }
    if (a.payload_count() != b.payload_count() || a.sequence() != b.sequence() ||
        a.sequence_id() != b.sequence_id() || a.payload_crcs().size() != b.payload_crcs().size()) {
        __builtin_trap();
    }
    auto ra = a.entries();
    auto rb = b.entries();
    auto ib = rb.begin();
    for (auto const& ea : ra) {
        auto const& eb = *ib;
        auto const pa = ea.view.payload().value_or(byte_view{});
        auto const pb = eb.view.payload().value_or(byte_view{});
        if (ea.view.vid() != eb.view.vid() || ea.view.msgtype() != eb.view.msgtype() ||
            ea.view.time_sec() != eb.view.time_sec() ||
            ea.view.time_nsec() != eb.view.time_nsec() || pa.data() != pb.data() ||
            pa.size() != pb.size() || ea.view.source() != eb.view.source() ||
            ea.view.operator_id() != eb.view.operator_id() || ea.view.group() != eb.view.group() ||
            ea.stored_crc != eb.stored_crc || ea.index != eb.index) {
            __builtin_trap();
        }
        payload_view const g(ea.view.bytes(), generic_parse);
        if (!g.ok() || g.vid() != ea.view.vid() ||
            g.payload().has_value() != ea.view.payload().has_value()) {
            __builtin_trap();
        }
        ++ib;
    }
    if (!(ib == rb.end())) {
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static inflater inf;
    static std::vector<std::uint8_t> buf(1 << 16);
    byte_view const in{data, size};

    // Datagram mode: the whole input is one datagram.
    {
        reassembler r;
        auto u = parse_datagram(in);
        if (u.ok()) {
            handle_unit(u, r, inf, buf, 0);
        }
    }
    // File mode: units back to back; fragments feed one reassembler, time advancing.
    {
        reasm_config cfg;
        cfg.max_sets = 8;
        cfg.max_total_bytes = 1 << 20;
        reassembler r(cfg);
        byte_view rest = in;
        std::uint64_t now = 0;
        while (!rest.empty()) {
            auto u = next_file_unit(rest);
            if (!u.ok()) {
                break;
            }
            rest = rest.subspan(u.consumed);
            handle_unit(u, r, inf, buf, now);
            now += 7000;
        }
        if (r.bytes_held() > cfg.max_total_bytes) {
            __builtin_trap();
        }
    }
    // The raw input as a container body and as a fragment body.
    walk_container(in);
    compare_paths(in);
    {
        payload_view const a(in);
        payload_view const b(in, generic_parse);
        if (a.ok() != b.ok() ||
            (a.ok() &&
             (a.vid() != b.vid() || a.msgtype() != b.msgtype() || a.time_sec() != b.time_sec() ||
              a.time_nsec() != b.time_nsec() || a.source() != b.source() ||
              a.operator_id() != b.operator_id() || a.group() != b.group() ||
              a.payload().has_value() != b.payload().has_value()))) {
            __builtin_trap();
        }
    }
    fragment_view const f(in);
    if (f.ok()) {
        sink += f.id() + f.current() + f.last() + f.fragment().size();
    }
    return 0;
}
