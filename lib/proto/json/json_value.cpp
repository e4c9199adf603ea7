// SPDX-License-Identifier: Apache-2.0
#include "proto/json/json_value.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace siehub::json {

namespace {

constexpr char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct civil {
    std::int64_t y;
    unsigned m;
    unsigned d;
};

civil civil_from_days(std::int64_t z) noexcept
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<std::uint64_t>(z - era * 146097);
    const std::uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::uint64_t mp = (5 * doy + 2) / 153;
    const auto d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    const auto m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    return {y + (m <= 2 ? 1 : 0), m, d};
}

// Writes "YYYY-MM-DD HH:MM:SS" for any int64 second count into buf; returns its length.
// Years print with at least four digits, as glibc's strftime %Y does.
std::size_t format_datetime(char* buf, std::size_t cap, std::int64_t sec) noexcept
{
    std::int64_t days = sec / 86400;
    std::int64_t rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    const civil c = civil_from_days(days);
    const int n = std::snprintf(buf, cap, "%04lld-%02u-%02u %02d:%02d:%02d",
                                static_cast<long long>(c.y), c.m, c.d, static_cast<int>(rem / 3600),
                                static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 with `bad` set to the length of
// the maximal invalid subpart to replace (Unicode ch. 3, "U+FFFD substitution").
std::size_t utf8_seq(const std::uint8_t* s, std::size_t n, std::size_t i, std::size_t& bad) noexcept
{
    const std::uint8_t c = s[i];
    std::size_t need;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    } else {
        bad = 1;
        return 0;
    }
    std::size_t k = 1;
    for (; k <= need; ++k) {
        if (i + k >= n) {
            break;
        }
        const std::uint8_t b = s[i + k];
        const bool in_range = (k == 1) ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf);
        if (!in_range) {
            break;
        }
    }
    if (k == need + 1) {
        return k;
    }
    bad = k;
    return 0;
}

int b64_value(char ch) noexcept
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    if (ch == '+') {
        return 62;
    }
    if (ch == '/') {
        return 63;
    }
    return -1;
}

bool parse_fixed_uint(std::string_view s, std::size_t pos, std::size_t len, unsigned& v) noexcept
{
    if (pos + len > s.size()) {
        return false;
    }
    v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

// Parses "YYYY-MM-DD HH:MM:SS" at the start of s into seconds; rest = what follows.
bool parse_datetime_prefix(std::string_view s, std::int64_t& sec, std::string_view& rest) noexcept
{
    unsigned y, mo, d, h, mi, se;
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
        s[16] != ':') {
        return false;
    }
    if (!parse_fixed_uint(s, 0, 4, y) || !parse_fixed_uint(s, 5, 2, mo) ||
        !parse_fixed_uint(s, 8, 2, d) || !parse_fixed_uint(s, 11, 2, h) ||
        !parse_fixed_uint(s, 14, 2, mi) || !parse_fixed_uint(s, 17, 2, se)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
        return false;
    }
    sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    rest = s.substr(19);
    return true;
}

} // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<std::uint64_t>(y - era * 400);
    const std::uint64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void append_quoted(std::string& out, std::string_view s)
{
    out.push_back('"');
    append_escaped(out, s);
    out.push_back('"');
}

void append_utf8_repaired(std::string& out, core::byte_view s)
{
    const std::uint8_t* p = s.data();
    const std::size_t n = s.size();
    std::size_t run = 0;
    std::size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        std::size_t bad = 0;
        const std::size_t len = utf8_seq(p, n, i, bad);
        if (len != 0) {
            i += len;
            continue;
        }
        out.append(reinterpret_cast<const char*>(p) + run, i - run);
        out.append("\xef\xbf\xbd");
        i += bad;
        run = i;
    }
    out.append(reinterpret_cast<const char*>(p) + run, n - run);
}

void append_string_field(std::string& out, core::byte_view s)
{
    const void* nul = s.empty() ? nullptr : std::memchr(s.data(), 0, s.size());
    if (nul != nullptr) {
        s = s.first(static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - s.data()));
    }
    bool ascii = true;
    for (auto b : s) {
        if (b >= 0x80) {
            ascii = false;
            break;
        }
    }
    out.push_back('"');
    if (ascii) {
        append_escaped(out, core::as_chars(s));
    } else {
        // Repairing first keeps the escaper byte-oriented; ef bf bd needs no escaping.
        std::string repaired;
        repaired.reserve(s.size() * 3);
        append_utf8_repaired(repaired, s);
        append_escaped(out, repaired);
    }
    out.push_back('"');
}

void append_u64(std::string& out, std::uint64_t v)
{
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_double(std::string& out, double v)
{
    // %.18f of DBL_MAX is 309 integer digits + point + 18 decimals + sign.
    char buf[400];
    int n = std::snprintf(buf, sizeof buf, "%.18f", v);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) {
        out.append("0.0");
        return;
    }
    auto len = static_cast<std::size_t>(n);
    if (std::memchr(buf, '.', len) != nullptr) {
        while (len > 0 && buf[len - 1] == '0' && buf[len - 2] != '.') {
            --len;
        }
    }
    out.append(buf, len);
}

std::size_t base64_encoded_size(std::size_t n) noexcept
{
    return (n + 2) / 3 * 4;
}

void append_base64(std::string& out, core::byte_view b)
{
    const std::size_t start = out.size();
    out.resize(start + base64_encoded_size(b.size()));
    char* w = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
        *w++ = b64_alphabet[v >> 18];
        *w++ = b64_alphabet[(v >> 12) & 63];
        *w++ = b64_alphabet[(v >> 6) & 63];
        *w++ = b64_alphabet[v & 63];
    }
    const std::size_t left = b.size() - i;
    if (left == 1) {
        const std::uint32_t v = std::uint32_t{b[i]} << 16;
        *w++ = b64_alphabet[v >> 18];
        *w++ = b64_alphabet[(v >> 12) & 63];
        *w++ = '=';
        *w++ = '=';
    } else if (left == 2) {
        const std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8);
        *w++ = b64_alphabet[v >> 18];
        *w++ = b64_alphabet[(v >> 12) & 63];
        *w++ = b64_alphabet[(v >> 6) & 63];
        *w++ = '=';
    }
}

void append_ip_or_null(std::string& out, core::byte_view b)
{
    char buf[INET6_ADDRSTRLEN];
    const char* r = nullptr;
    if (b.size() == 4) {
        r = inet_ntop(AF_INET, b.data(), buf, sizeof buf);
    } else if (b.size() == 16) {
        r = inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
    }
    if (r == nullptr) {
        out.append("null");
        return;
    }
    out.push_back('"');
    out.append(r);
    out.push_back('"');
}

void append_payload_time(std::string& out, std::int64_t sec, std::uint32_t nsec)
{
    char buf[64];
    std::size_t n = format_datetime(buf, sizeof buf, sec);
    out.push_back('"');
    out.append(buf, n);
    n = static_cast<std::size_t>(std::snprintf(buf, sizeof buf, ".%09u", nsec));
    out.append(buf, n);
    out.push_back('"');
}

void append_sie_time(std::string& out, std::uint32_t sec)
{
    char buf[64];
    const std::size_t n = format_datetime(buf, sizeof buf, sec);
    out.push_back('"');
    out.append(buf, n);
    out.push_back('"');
}

void append_source(std::string& out, std::uint32_t source)
{
    char buf[12];
    const int n = std::snprintf(buf, sizeof buf, "\"%08x\"", source);
    out.append(buf, static_cast<std::size_t>(n));
}

std::ptrdiff_t base64_decode(std::string_view text, std::span<std::uint8_t> out)
{
    if (text.size() % 4 != 0) {
        return -1;
    }
    std::size_t w = 0;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char ch = text[i + static_cast<std::size_t>(k)];
            if (ch == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad != 0) {
                return -1;
            }
            v[k] = b64_value(ch);
            if (v[k] < 0) {
                return -1;
            }
        }
        const std::uint32_t bits = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) |
                                   (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
        const std::size_t nbytes = 3 - static_cast<std::size_t>(pad);
        if (w + nbytes > out.size()) {
            return -1;
        }
        out[w++] = static_cast<std::uint8_t>(bits >> 16);
        if (nbytes > 1) {
            out[w++] = static_cast<std::uint8_t>(bits >> 8);
        }
        if (nbytes > 2) {
            out[w++] = static_cast<std::uint8_t>(bits);
        }
    }
    return static_cast<std::ptrdiff_t>(w);
}

std::size_t parse_ip(std::string_view text, std::span<std::uint8_t, 16> out)
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.size() >= sizeof buf) {
        return 0;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (inet_pton(AF_INET, buf, out.data()) == 1) {
        return 4;
    }
    if (inet_pton(AF_INET6, buf, out.data()) == 1) {
        return 16;
    }
    return 0;
}

bool parse_sie_time(std::string_view text, std::uint32_t& sec)
{
    std::int64_t s;
    std::string_view rest;
    if (!parse_datetime_prefix(text, s, rest) || !rest.empty() || s < 0 || s > 0xffffffffLL) {
        return false;
    }
    sec = static_cast<std::uint32_t>(s);
    return true;
}

bool parse_payload_time(std::string_view text, std::int64_t& sec, std::uint32_t& nsec)
{
    std::string_view rest;
    if (!parse_datetime_prefix(text, sec, rest)) {
        return false;
    }
    nsec = 0;
    if (rest.empty()) {
        return true;
    }
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) {
        return false;
    }
    unsigned v;
    if (!parse_fixed_uint(rest, 1, rest.size() - 1, v)) {
        return false;
    }
    nsec = v;
    return true;
}

} // namespace siehub::json
