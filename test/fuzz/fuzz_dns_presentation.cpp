// SPDX-License-Identifier: Apache-2.0
// Presentation of hostile bytes: the first four bytes pick rrtype and rrclass for the rdata
// renderer; the whole input is also rendered as a DNS message (text and JSON). Whatever
// rdata_to_text prints without a parse error must parse, and re-render to a fixed point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/out_buffer.hpp"
#include "proto/dns/presentation.hpp"
#include "proto/dns/rdata_text.hpp"

using namespace siehub;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    core::byte_view in{data, size};
    std::string text;
    dns::message_to_text(in, text);
    text.clear();
    dns::message_to_json(in, text);
    if (size < 4) {
        return 0;
    }
    auto type = core::load_be16(data);
    auto cls = core::load_be16(data + 2);
    auto rdata = in.subspan(4);
    text.clear();
    dns::rdata_to_text(type, cls, rdata, text);
    if (type == 41 || text.find("PARSE ERROR") != std::string::npos || text.empty()) {
        return 0;
    }
    static std::uint8_t buf[70000];
    core::out_buffer ob{core::byte_span{buf, sizeof buf}};
    auto err = dns::rdata_from_text(type, cls, text, ob);
    if (err != dns::rdata_text_error::none) {
        return 0; // renderings of rdata with bytes past the last field do not invert
    }
    // The text need not give back the original bytes (type bitmaps in non-canonical window
    // order, for one), but parsing must reach a fixed point after one round.
    std::string once;
    dns::rdata_to_text(type, cls, ob.written(), once);
    static std::uint8_t buf2[70000];
    core::out_buffer ob2{core::byte_span{buf2, sizeof buf2}};
    if (dns::rdata_from_text(type, cls, once, ob2) != dns::rdata_text_error::none) {
        std::abort();
    }
    std::string twice;
    dns::rdata_to_text(type, cls, ob2.written(), twice);
    if (twice != once || ob2.size() != ob.size()) {
        std::abort();
    }
    return 0;
}
