// SPDX-License-Identifier: Apache-2.0
#pragma once
// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF;
// check value of "123456789" is 0xE3069283). nmsg stores payload and fragment CRCs
// byte-swapped (spec nmsg.md §3): use crc32c_stored() for what goes on the wire.

#include <cstdint>

#include "core/bytes.hpp"

namespace siehub::nmsg {

// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once), else a table.
std::uint32_t crc32c(core::byte_view data) noexcept;

// The table implementation, exposed so tests can compare both paths.
std::uint32_t crc32c_table(core::byte_view data) noexcept;

// True when crc32c() runs on the CPU instruction.
bool crc32c_hw_available() noexcept;

// The value libnmsg writes: htonl(crc) on little-endian hosts, i.e. always byte-swapped.
inline std::uint32_t crc32c_stored(core::byte_view data) noexcept
{
    return __builtin_bswap32(crc32c(data));
}

} // namespace siehub::nmsg
