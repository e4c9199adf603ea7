// SPDX-License-Identifier: Apache-2.0
// One -j line -> parse; when it parses, render it (must succeed) and read the rendered line
// back. Text input may be lossy once (a port of 70000 prints modulo 2^16, a double through
// %.18f), so the invariant is checked after that first normalisation: parsing the rendered
// line and rendering again gives the same line, and reading that gives the same payload.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/json/json_line.hpp"

using namespace siehub;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static json::json_line_parser parser;
    static std::vector<std::uint8_t> first(1 << 20);
    static std::vector<std::uint8_t> second(1 << 20);
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    core::out_buffer a(first);
    if (parser.parse(line, a, 1, 2) != json::line_error::none) {
        return 0;
    }
    std::string rendered;
    const json::line_error r = json::render_json_line(a.written(), rendered);
    if (r != json::line_error::none) {
        std::abort(); // the parser built a payload nmsgtool -J would refuse
    }
    core::out_buffer b(second);
    if (parser.parse(rendered, b, 1, 2) != json::line_error::none) {
        std::abort(); // our own output does not read back
    }
    std::string again;
    if (json::render_json_line(b.written(), again) != json::line_error::none || again != rendered) {
        std::abort(); // rendering is not a fixed point after one round
    }
    static std::vector<std::uint8_t> third(1 << 20);
    core::out_buffer c(third);
    if (parser.parse(again, c, 1, 2) != json::line_error::none ||
        !std::equal(b.written().begin(), b.written().end(), c.written().begin(),
                    c.written().end())) {
        std::abort(); // the same line read twice gives different payloads
    }
    return 0;
}
