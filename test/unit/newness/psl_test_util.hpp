// SPDX-License-Identifier: Apache-2.0
#pragma once
// Dotted <-> wire helpers for the PSL tests (test-only: they allocate).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace siehub::newness::test {

// "www.example.com" (no trailing dot) -> 3www7example3com0. Labels must be 1..63 bytes.
inline std::vector<std::uint8_t> to_wire(std::string_view dotted)
{
    std::vector<std::uint8_t> w;
    std::size_t pos = 0;
    while (pos < dotted.size()) {
        std::size_t dot = dotted.find('.', pos);
        if (dot == std::string_view::npos) {
            dot = dotted.size();
        }
        w.push_back(static_cast<std::uint8_t>(dot - pos));
        for (std::size_t i = pos; i < dot; ++i) {
            w.push_back(static_cast<std::uint8_t>(dotted[i]));
        }
        pos = dot + 1;
    }
    w.push_back(0);
    return w;
}

// Wire -> dotted, lowercased ASCII, no trailing dot ("" for the root).
inline std::string to_dotted(core::byte_view w)
{
    std::string s;
    std::size_t pos = 0;
    while (pos < w.size() && w[pos] != 0) {
        std::size_t const len = w[pos];
        if (!s.empty()) {
            s.push_back('.');
        }
        for (std::size_t i = 1; i <= len; ++i) {
            char c = static_cast<char>(w[pos + i]);
            s.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
        }
        pos += 1 + len;
    }
    return s;
}

} // namespace siehub::newness::test
