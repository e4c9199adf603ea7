// SPDX-License-Identifier: Apache-2.0
// Slow-path presentation costs (nmsg.md §11): rdata text, rdata parse, whole-message text and
// JSON for the 200-byte dnsqr.jsonl line-1 response. Fixed inputs, no randomness.
#include <cstdint>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "core/out_buffer.hpp"
#include "proto/dns/presentation.hpp"
#include "proto/dns/rdata_text.hpp"

using namespace siehub;

int main()
{
    // dnsqr.jsonl line 1 response: 2 A answers, 2 NS, 3 additional, EDNS with a COOKIE
    static const char b64[] =
        "t/yEAAABAAIAAgAEA3d3dwdleGFtcGxlA2NvbQAAAQABwAwAAQABAAABLAAEwAACAsAMAAEAAQAAASwABMAAAgHA"
        "EAACAAEAAA4QAAYDbnMxwBDAEAACAAEAAA4QAAYDbnMywBDATQABAAEAAA4QAATAAAI1wF8AAQABAAAOEAAExjNk"
        "NcBNABwAAQAADhAAECABDbgAAAAAAAAAAAAAAFMAACkQAAAAAAAAHAAKABj+FGvI4HXH8AEAAABrA1wRhDCb7hau"
        "DSQ=";
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<std::uint8_t> msg;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char* p = b64; *p != '\0' && *p != '='; ++p) {
        acc = (acc << 6) | static_cast<std::uint32_t>(alphabet.find(*p));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            msg.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    core::byte_view m{msg.data(), msg.size()};
    const std::uint8_t a[] = {192, 0, 2, 1};
    const std::uint8_t soa[] = {3, 'n', 's', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 4, 'h',
                                'o', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x78, 0xc1,
                                0x5d, 0x79, 0, 0, 0x1c, 0x20, 0, 0, 3, 0x84, 0, 0x12, 0x75, 0, 0,
                                0, 1, 0x2c};
    std::string out;
    out.reserve(4096);
    std::uint8_t buf[512];

    bench::print(bench::measure("rdata_to_text A", [&] {
        out.clear();
        dns::rdata_to_text(1, 1, core::byte_view{a, sizeof a}, out);
        bench::keep(out);
    }));
    bench::print(bench::measure("rdata_to_text SOA", [&] {
        out.clear();
        dns::rdata_to_text(6, 1, core::byte_view{soa, sizeof soa}, out);
        bench::keep(out);
    }));
    bench::print(bench::measure("rdata_from_text SOA", [&] {
        core::out_buffer ob{core::byte_span{buf, sizeof buf}};
        auto e = dns::rdata_from_text(
            6, 1, "ns1.example. host.example. 2026112201 7200 900 1209600 300", ob);
        bench::keep(e);
    }));
    bench::print(bench::measure("message_to_text (200-byte response)", [&] {
        out.clear();
        dns::message_to_text(m, out);
        bench::keep(out);
    }, 1000));
    bench::print(bench::measure("message_to_json (200-byte response)", [&] {
        out.clear();
        dns::message_to_json(m, out);
        bench::keep(out);
    }, 1000));
    return 0;
}
