// SPDX-License-Identifier: Apache-2.0
// Text forms of the values the config holds: durations with units, MACs, IPv4/IPv6 prefixes.
#include <arpa/inet.h>

#include <cstdio>

#include "control/config.hpp"

namespace siehub::control {

namespace {

bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out)
{
    if (s.empty() || s.size() > 20) {
        return false;
    }
    std::uint64_t v = 0;
    for (char const c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        auto const d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    out = v;
    return true;
}

int hex_digit(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::optional<duration> parse_duration(std::string_view s)
{
    if (s == "0") {
        return duration{0};
    }
    // One or more <digits><unit> groups: "500ms", "1h30m", "2s".
    constexpr std::uint64_t max_ns = std::uint64_t{1} << 62;
    std::uint64_t total = 0;
    std::size_t i = 0;
    if (s.empty()) {
        return std::nullopt;
    }
    while (i < s.size()) {
        std::size_t const d0 = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        std::size_t const u0 = i;
        while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') {
            ++i;
        }
        std::uint64_t n = 0;
        if (!parse_uint(s.substr(d0, u0 - d0), max_ns, n)) {
            return std::nullopt;
        }
        std::string_view const unit = s.substr(u0, i - u0);
        std::uint64_t scale = 0;
        if (unit == "ns") {
            scale = 1;
        } else if (unit == "us") {
            scale = 1000;
        } else if (unit == "ms") {
            scale = 1000000;
        } else if (unit == "s") {
            scale = 1000000000;
        } else if (unit == "m") {
            scale = 60ull * 1000000000;
        } else if (unit == "h") {
            scale = 3600ull * 1000000000;
        } else if (unit == "d") {
            scale = 86400ull * 1000000000;
        } else {
            return std::nullopt;
        }
        if (n > (max_ns - total) / scale) {
            return std::nullopt;
        }
        total += n * scale;
    }
    return duration{static_cast<std::int64_t>(total)};
}

std::string format_duration(duration d)
{
    auto ns = static_cast<std::uint64_t>(d.count());
    if (ns == 0) {
        return "0";
    }
    // The largest unit that divides exactly, so the text parses back to the same value.
    struct unit {
        const char* name;
        std::uint64_t ns;
    };
    static constexpr unit units[] = {{"d", 86400ull * 1000000000},
                                     {"h", 3600ull * 1000000000},
                                     {"m", 60ull * 1000000000},
                                     {"s", 1000000000},
                                     {"ms", 1000000},
                                     {"us", 1000},
                                     {"ns", 1}};
    for (const auto& u : units) {
        if (ns % u.ns == 0) {
            return std::to_string(ns / u.ns) + u.name;
        }
    }
    return std::to_string(ns) + "ns";
}

std::optional<mac_address> parse_mac(std::string_view s)
{
    // aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff
    if (s.size() != 17) {
        return std::nullopt;
    }
    mac_address m{};
    for (std::size_t k = 0; k < 6; ++k) {
        int const hi = hex_digit(s[k * 3]);
        int const lo = hex_digit(s[k * 3 + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        if (k < 5 && s[k * 3 + 2] != ':' && s[k * 3 + 2] != '-') {
            return std::nullopt;
        }
        m[k] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return m;
}

std::string format_mac(const mac_address& m)
{
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    return buf;
}

std::optional<std::uint32_t> parse_ipv4(std::string_view s)
{
    // Strict dotted quad: four decimal parts 0..255, no leading zeros (inet_aton's octal is a
    // trap in config files).
    std::uint32_t a = 0;
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        std::size_t const b = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        std::uint64_t v = 0;
        if (i - b > 3 || !parse_uint(s.substr(b, i - b), 255, v) || (i - b > 1 && s[b] == '0')) {
            return std::nullopt;
        }
        a = (a << 8) | static_cast<std::uint32_t>(v);
        if (part < 3) {
            if (i >= s.size() || s[i] != '.') {
                return std::nullopt;
            }
            ++i;
        }
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    return a;
}

std::string format_ipv4(std::uint32_t a)
{
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::optional<ip_prefix> parse_ip_prefix(std::string_view s)
{
    ip_prefix p;
    std::string_view addr = s;
    std::optional<std::uint64_t> len;
    if (auto const slash = s.find('/'); slash != std::string_view::npos) {
        addr = s.substr(0, slash);
        std::uint64_t v = 0;
        if (!parse_uint(s.substr(slash + 1), 128, v)) {
            return std::nullopt;
        }
        len = v;
    }
    if (addr.find(':') != std::string_view::npos) {
        std::string const tmp(addr);
        if (inet_pton(AF_INET6, tmp.c_str(), p.address.data()) != 1) {
            return std::nullopt;
        }
        p.v6 = true;
        p.length = static_cast<std::uint8_t>(len.value_or(128));
        if (p.length > 128) {
            return std::nullopt;
        }
    } else {
        auto const a = parse_ipv4(addr);
        if (!a) {
            return std::nullopt;
        }
        p.address[0] = static_cast<std::uint8_t>(*a >> 24);
        p.address[1] = static_cast<std::uint8_t>(*a >> 16);
        p.address[2] = static_cast<std::uint8_t>(*a >> 8);
        p.address[3] = static_cast<std::uint8_t>(*a);
        if (len.value_or(32) > 32) {
            return std::nullopt;
        }
        p.length = static_cast<std::uint8_t>(len.value_or(32));
    }
    // Host bits beyond the prefix are cleared so that equal prefixes compare equal.
    for (unsigned bit = p.length; bit < (p.v6 ? 128u : 32u); ++bit) {
        p.address[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
    return p;
}

std::string format_ip_prefix(const ip_prefix& p)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(p.v6 ? AF_INET6 : AF_INET, p.address.data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(p.length);
}

} // namespace siehub::control
