// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "proto/dns/name.hpp"

namespace siehub::match::test {

// Presentation text -> uncompressed wire, case kept.
inline std::vector<std::uint8_t> wire(std::string_view text)
{
    dns::name_buffer b{};
    auto const info = dns::from_text(text, b);
    if (!info.ok()) {
        throw std::invalid_argument("bad test name " + std::string(text));
    }
    return {b.begin(), b.begin() + info.wire_len};
}

inline core::byte_view view(const std::vector<std::uint8_t>& v)
{
    return {v.data(), v.size()};
}

} // namespace siehub::match::test
