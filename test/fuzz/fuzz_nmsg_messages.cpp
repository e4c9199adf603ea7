// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the first byte picks a message type, the rest goes to its view. Whatever
// parses is re-written by the writer and re-parsed; the second write must equal the first
// (parse and write agree on every value).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../unit/nmsg/nmsg_copy.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"

using namespace siehub::nmsg;
using namespace siehub::nmsg::test;

namespace {

template <class View, class Copy> void round_trip(byte_view in, Copy copy)
{
    View const v(in);
    if (!v.ok()) {
        return;
    }
    auto const c1 = copy(v);
    auto const b1 = encode_vec(c1.f);
    View const v2(b1);
    if (!v2.ok()) {
        __builtin_trap();
    }
    auto const c2 = copy(v2);
    auto const b2 = encode_vec(c2.f);
    if (b1 != b2) {
        __builtin_trap();
    }
    // size_counter and the real writer must agree.
    if (encoded_size(c1.f) != b1.size()) {
        __builtin_trap();
    }
}

template <class F> struct wrapped {
    F f;
};

struct payload_copy {
    payload_header h;
    std::optional<byte_view> p;
};

template <class Sink> void write(Sink& s, const payload_copy& c) noexcept
{
    write_payload(s, c.h, c.p);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    byte_view const in{data + 1, size - 1};
    switch (data[0] % 7) {
    case 0:
        round_trip<dnsqr_view>(in, [](const dnsqr_view& v) { return dnsqr_copy(v); });
        break;
    case 1:
        round_trip<dnsdedupe_view>(in, [](const dnsdedupe_view& v) { return dnsdedupe_copy(v); });
        break;
    case 2:
        round_trip<newdomain_view>(in, [](const newdomain_view& v) { return newdomain_copy(v); });
        break;
    case 3:
        round_trip<dnsnx_view>(
            in, [](const dnsnx_view& v) { return wrapped<dnsnx_fields>{dnsnx_copy(v)}; });
        break;
    case 4:
        round_trip<encode_view>(
            in, [](const encode_view& v) { return wrapped<encode_fields>{encode_copy(v)}; });
        break;
    case 5:
        round_trip<fragment_view>(in, [](const fragment_view& v) {
            return wrapped<fragment_fields>{
                fragment_fields{v.id(), v.current(), v.last(), v.fragment(), v.crc()}};
        });
        break;
    case 6:
        round_trip<payload_view>(in, [](const payload_view& v) {
            return wrapped<payload_copy>{
                payload_copy{payload_header{v.vid(), v.msgtype(), v.time_sec(), v.time_nsec(),
                                            v.source(), v.operator_id(), v.group()},
                             v.payload()}};
        });
        break;
    }
    return 0;
}
