// SPDX-License-Identifier: Apache-2.0
// Config parser and validator: no crash on any text, and every accepted config renders to text
// that parses back to the same model (source lines aside) and renders identically again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "control/config.hpp"

using namespace siehub::control;

namespace {

config without_lines(config c)
{
    for (auto& p : c.ports) {
        p.line = 0;
    }
    for (auto& ch : c.channels) {
        ch.line = 0;
    }
    for (auto& f : c.filters) {
        f.line = 0;
    }
    for (auto& d : c.delegations) {
        d.line = 0;
    }
    return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 64 * 1024) {
        return 0;
    }
    std::string_view const text(reinterpret_cast<const char*>(data), size);
    auto const r = parse_config(text, "fuzz.conf");
    if (r.cfg.has_value() == !r.errors.empty()) {
        std::abort(); // exactly one of a model or errors
    }
    for (const auto& e : r.errors) {
        if (e.message.empty() || e.file != "fuzz.conf") {
            std::abort();
        }
    }
    if (!r.cfg) {
        return 0;
    }
    std::string const rendered = render_config(*r.cfg);
    auto const again = parse_config(rendered, "rendered");
    if (!again.cfg || !(without_lines(*again.cfg) == without_lines(*r.cfg)) ||
        render_config(*again.cfg) != rendered) {
        std::abort();
    }
    (void)summary(*r.cfg);
    return 0;
}
