// SPDX-License-Identifier: Apache-2.0
#include "proto/nmsg/crc32c.hpp"

#include <array>
#include <cstring>

namespace siehub::nmsg {

namespace {

// Slicing-by-8 tables: the fallback still has to keep up with a payload stream.
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() noexcept
{
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        t[0][i] = c;
    }
    for (std::size_t s = 1; s < 8; ++s) {
        for (std::size_t i = 0; i < 256; ++i) {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
        }
    }
    return t;
}

constexpr auto tables = make_tables();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(core::byte_view data) noexcept
{
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    std::uint64_t c = 0xffffffffu;
    while (n >= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p++);
        --n;
    }
    return c32 ^ 0xffffffffu;
}

bool detect_hw() noexcept
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}
#else
bool detect_hw() noexcept
{
    return false;
}
#endif

} // namespace

std::uint32_t crc32c_table(core::byte_view data) noexcept
{
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    std::uint32_t c = 0xffffffffu;
    while (n >= 8) {
        std::uint32_t const lo = core::load_le32(p) ^ c;
        std::uint32_t const hi = core::load_le32(p + 4);
        c = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff] ^
            tables[4][lo >> 24] ^ tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff] ^
            tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xff];
        --n;
    }
    return c ^ 0xffffffffu;
}

bool crc32c_hw_available() noexcept
{
    static const bool hw = detect_hw();
    return hw;
}

std::uint32_t crc32c(core::byte_view data) noexcept
{
#if defined(__x86_64__)
    if (crc32c_hw_available()) {
        return crc32c_sse42(data);
    }
#endif
    return crc32c_table(data);
}

} // namespace siehub::nmsg
