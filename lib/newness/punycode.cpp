// SPDX-License-Identifier: Apache-2.0
#include "newness/punycode.hpp"

#include <limits>

namespace siehub::newness {

namespace {

// RFC 3492 §5 Bootstring parameters for Punycode.
constexpr std::uint32_t base = 36;
constexpr std::uint32_t tmin = 1;
constexpr std::uint32_t tmax = 26;
constexpr std::uint32_t skew = 38;
constexpr std::uint32_t damp = 700;
constexpr std::uint32_t initial_bias = 72;
constexpr std::uint32_t initial_n = 0x80;
constexpr std::size_t max_label = 63;

char encode_digit(std::uint32_t d)
{
    // 0..25 -> 'a'..'z', 26..35 -> '0'..'9' (lowercase: DNS names here are compared lowercased)
    return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26));
}

std::uint32_t adapt(std::uint32_t delta, std::uint32_t num_points, bool first_time)
{
    delta = first_time ? delta / damp : delta / 2;
    delta += delta / num_points;
    std::uint32_t k = 0;
    while (delta > ((base - tmin) * tmax) / 2) {
        delta /= base - tmin;
        k += base;
    }
    return k + (base - tmin + 1) * delta / (delta + skew);
}

// Decodes well-formed UTF-8 strictly (no overlongs, no surrogates, nothing above U+10FFFF).
bool decode_utf8(std::string_view s, std::u32string& out)
{
    std::size_t i = 0;
    while (i < s.size()) {
        auto const c0 = static_cast<std::uint8_t>(s[i]);
        std::uint32_t cp = 0;
        std::size_t n = 0;
        std::uint32_t min = 0;
        if (c0 < 0x80) {
            cp = c0;
            n = 0;
        } else if ((c0 & 0xe0) == 0xc0) {
            cp = c0 & 0x1f;
            n = 1;
            min = 0x80;
        } else if ((c0 & 0xf0) == 0xe0) {
            cp = c0 & 0x0f;
            n = 2;
            min = 0x800;
        } else if ((c0 & 0xf8) == 0xf0) {
            cp = c0 & 0x07;
            n = 3;
            min = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i - 1 < n) {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            auto const c = static_cast<std::uint8_t>(s[i + k]);
            if ((c & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (c & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        out.push_back(cp);
        i += n + 1;
    }
    return true;
}

} // namespace

const char* to_string(idna_status s) noexcept
{
    switch (s) {
    case idna_status::ok:
        return "ok";
    case idna_status::bad_utf8:
        return "bad_utf8";
    case idna_status::overflow:
        return "overflow";
    case idna_status::label_too_long:
        return "label_too_long";
    }
    return "unknown";
}

idna_status punycode_encode(std::u32string_view input, std::string& out)
{
    constexpr std::uint32_t maxint = std::numeric_limits<std::uint32_t>::max();
    std::size_t const start = out.size();
    std::uint32_t n = initial_n;
    std::uint32_t delta = 0;
    std::uint32_t bias = initial_bias;

    for (char32_t c : input) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
        }
    }
    auto const b = static_cast<std::uint32_t>(out.size() - start);
    std::uint32_t h = b;
    if (b > 0) {
        out.push_back('-');
    }
    auto const input_len = static_cast<std::uint32_t>(input.size());
    while (h < input_len) {
        std::uint32_t m = maxint;
        for (char32_t c : input) {
            if (c >= n && c < m) {
                m = c;
            }
        }
        if (m - n > (maxint - delta) / (h + 1)) {
            return idna_status::overflow;
        }
        delta += (m - n) * (h + 1);
        n = m;
        for (char32_t c : input) {
            if (c < n) {
                if (++delta == 0) {
                    return idna_status::overflow;
                }
            }
            if (c == n) {
                std::uint32_t q = delta;
                for (std::uint32_t k = base;; k += base) {
                    std::uint32_t const t = k <= bias ? tmin : (k >= bias + tmax ? tmax : k - bias);
                    if (q < t) {
                        break;
                    }
                    out.push_back(encode_digit(t + (q - t) % (base - t)));
                    q = (q - t) / (base - t);
                }
                out.push_back(encode_digit(q));
                bias = adapt(delta, h + 1, h == b);
                delta = 0;
                ++h;
            }
        }
        ++delta;
        ++n;
    }
    return idna_status::ok;
}

idna_status to_a_label(std::string_view utf8_label, std::string& out)
{
    bool ascii = true;
    for (char c : utf8_label) {
        if (static_cast<std::uint8_t>(c) >= 0x80) {
            ascii = false;
            break;
        }
    }
    std::size_t const start = out.size();
    if (ascii) {
        for (char c : utf8_label) {
            out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
        }
    } else {
        std::u32string cps;
        if (!decode_utf8(utf8_label, cps)) {
            return idna_status::bad_utf8;
        }
        out.append("xn--");
        if (auto const st = punycode_encode(cps, out); st != idna_status::ok) {
            out.resize(start);
            return st;
        }
    }
    if (out.size() - start > max_label) {
        out.resize(start);
        return idna_status::label_too_long;
    }
    return idna_status::ok;
}

} // namespace siehub::newness
