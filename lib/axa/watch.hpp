// SPDX-License-Identifier: Apache-2.0
#pragma once
// Watch encoding (spec/axa.md §5.1): `u8 type, u8 prefix, u8 flags, u8 pad`, then the pattern.
// parse_watch validates as the server must (the client's ck_watch, plus the DNS name rules of
// the name guardian); format_watch prints the text sratool shows for `list watches`.

#include <cstddef>
#include <cstdint>

#include "axa/protocol.hpp"
#include "core/bytes.hpp"
#include "core/out_buffer.hpp"

namespace siehub::axa {

using core::byte_view;

enum class watch_type : std::uint8_t { ipv4 = 1, ipv6 = 2, dns = 3, ch = 4, errors = 5 };

inline constexpr std::uint8_t watch_flag_wild = 0x01;
inline constexpr std::uint8_t watch_flag_shared = 0x02;
inline constexpr std::size_t watch_fixed_len = 4;
inline constexpr std::size_t watch_max_pattern = 256;
inline constexpr std::size_t watch_max_len = watch_fixed_len + watch_max_pattern;

struct watch_view {
    errc err = errc::ok;
    watch_type type{};
    std::uint8_t prefix = 0;
    std::uint8_t flags = 0;
    byte_view pattern; // IP bytes (network order), wire name, LE16 channel, or empty
    byte_view raw;     // the whole watch as received (WLIST echoes it)

    [[nodiscard]] bool ok() const noexcept { return err == errc::ok; }
    [[nodiscard]] bool wild() const noexcept { return (flags & watch_flag_wild) != 0; }
    [[nodiscard]] bool shared() const noexcept { return (flags & watch_flag_shared) != 0; }
    // The channel of a `ch=` watch.
    [[nodiscard]] std::uint16_t channel() const noexcept;
};

// Validates a watch (WATCH body or the watch part of WLIST).
watch_view parse_watch(byte_view raw) noexcept;

// Writes a watch (no validation: tests use it to craft bad ones too).
bool write_watch(core::out_buffer& out, watch_type type, std::uint8_t prefix, std::uint8_t flags,
                 byte_view pattern) noexcept;

// Appends the sratool text of a validated watch: `ch=ch213`, `IP=192.0.2.0/24`,
// `IP=2001:db8::/32`, `dns=*.example.com.`, `dns=www.example.com.`, `dns=*.`, `ERRORS`, with
// `(shared)` when SHARED is set. Returns false when `out` overflowed.
bool format_watch(const watch_view& w, core::out_buffer& out) noexcept;

} // namespace siehub::axa
