// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/name.hpp"

#include <algorithm>

namespace siehub::dns {

namespace {

bool is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

// Label start offsets of a validated uncompressed name; returns the label count.
unsigned split_labels(byte_view name, std::uint8_t (&offs)[128]) noexcept
{
    unsigned n = 0;
    std::size_t pos = 0;
    while (pos < name.size() && name[pos] != 0 && name[pos] <= max_label_len && n < 128) {
        offs[n++] = static_cast<std::uint8_t>(pos);
        pos += std::size_t{name[pos]} + 1;
    }
    return n;
}

} // namespace

name_info from_text(std::string_view text, name_out out, byte_view origin) noexcept
{
    name_info bad;
    if (text.empty()) {
        bad.err = errc::text_empty;
        return bad;
    }
    if (text == ".") {
        out[0] = 0;
        return check_name(byte_view{out.data(), 1});
    }
    std::size_t len = 0;      // bytes written to out
    std::size_t label_at = 0; // where the current label's length byte sits
    std::size_t label_len = 0;
    bool absolute = false;
    // Reserve the length byte of the first label.
    out[0] = 0;
    len = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        std::uint8_t byte;
        if (c == '.') {
            if (label_len == 0) {
                bad.err = errc::text_empty_label;
                return bad;
            }
            out[label_at] = static_cast<std::uint8_t>(label_len);
            if (i + 1 == text.size()) {
                absolute = true;
                break;
            }
            // Room for the next label's length byte plus the final root byte.
            if (len + 2 > max_name_len) {
                bad.err = errc::name_too_long;
                return bad;
            }
            label_at = len;
            out[len++] = 0;
            label_len = 0;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size()) {
                bad.err = errc::text_bad_escape;
                return bad;
            }
            char const n = text[i + 1];
            if (is_digit(n)) {
                if (i + 3 >= text.size() || !is_digit(text[i + 2]) || !is_digit(text[i + 3])) {
                    bad.err = errc::text_bad_escape;
                    return bad;
                }
                unsigned const v = unsigned(n - '0') * 100 + unsigned(text[i + 2] - '0') * 10 +
                                   unsigned(text[i + 3] - '0');
                if (v > 255) {
                    bad.err = errc::text_bad_escape;
                    return bad;
                }
                byte = static_cast<std::uint8_t>(v);
                i += 3;
            } else {
                byte = static_cast<std::uint8_t>(n);
                i += 1;
            }
        } else {
            byte = static_cast<std::uint8_t>(c);
        }
        if (label_len == max_label_len) {
            bad.err = errc::label_too_long;
            return bad;
        }
        // The byte plus the root byte that must still follow.
        if (len + 2 > max_name_len) {
            bad.err = errc::name_too_long;
            return bad;
        }
        out[len++] = byte;
        ++label_len;
    }
    if (!absolute) {
        out[label_at] = static_cast<std::uint8_t>(label_len);
    }
    if (absolute || origin.empty()) {
        out[len++] = 0;
    } else {
        auto const o = check_name(origin);
        if (!o.ok()) {
            return o;
        }
        if (len + o.wire_len > max_name_len) {
            bad.err = errc::name_too_long;
            return bad;
        }
        std::copy_n(origin.data(), o.wire_len, out.data() + len);
        len += o.wire_len;
    }
    // The built name goes through the guardian once more: one set of rules.
    return check_name(byte_view{out.data(), len});
}

unsigned count_labels(byte_view name) noexcept
{
    std::uint8_t offs[128];
    return split_labels(name, offs);
}

bool equal_canonical(byte_view a, byte_view b) noexcept
{
    auto const ra = check_name(a);
    auto const rb = check_name(b);
    if (!ra.ok() || !rb.ok() || ra.wire_len != rb.wire_len) {
        return false;
    }
    // Length bytes are <= 63, so lower-casing them is harmless.
    for (std::size_t i = 0; i < ra.wire_len; ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

int compare_canonical(byte_view a, byte_view b) noexcept
{
    std::uint8_t oa[128];
    std::uint8_t ob[128];
    unsigned na = split_labels(a, oa);
    unsigned nb = split_labels(b, ob);
    while (na > 0 && nb > 0) {
        --na;
        --nb;
        std::size_t const pa = oa[na];
        std::size_t const pb = ob[nb];
        std::size_t const la = a[pa];
        std::size_t const lb = b[pb];
        std::size_t const n = std::min(la, lb);
        for (std::size_t i = 1; i <= n; ++i) {
            int const ca = ascii_lower(a[pa + i]);
            int const cb = ascii_lower(b[pb + i]);
            if (ca != cb) {
                return ca < cb ? -1 : 1;
            }
        }
        if (la != lb) {
            return la < lb ? -1 : 1;
        }
    }
    if (na == nb) {
        return 0;
    }
    return na < nb ? -1 : 1;
}

bool is_subdomain(byte_view child, byte_view parent) noexcept
{
    auto const rc = check_name(child);
    auto const rp = check_name(parent);
    if (!rc.ok() || !rp.ok() || rp.wire_len > rc.wire_len) {
        return false;
    }
    std::size_t const start = rc.wire_len - rp.wire_len;
    // The suffix must begin on a label boundary of the child.
    std::size_t pos = 0;
    while (pos < start) {
        pos += std::size_t{child[pos]} + 1;
    }
    if (pos != start) {
        return false;
    }
    for (std::size_t i = 0; i < rp.wire_len; ++i) {
        if (ascii_lower(child[start + i]) != ascii_lower(parent[i])) {
            return false;
        }
    }
    return true;
}

bool names_equal(byte_view msg, std::size_t a, std::size_t b) noexcept
{
    std::size_t const size = msg.size();
    constexpr std::size_t npos = ~std::size_t{0};
    // Pointers of validated names go strictly backwards, so following them terminates.
    auto follow = [&](std::size_t p) noexcept {
        while (p < size && (msg[p] & 0xC0) == 0xC0) {
            if (p + 1 >= size) {
                return npos;
            }
            std::size_t const t = (std::size_t{msg[p] & 0x3Fu} << 8) | msg[p + 1];
            if (t >= p) {
                return npos;
            }
            p = t;
        }
        return p < size ? p : npos;
    };
    for (unsigned step = 0; step <= max_name_len; ++step) {
        a = follow(a);
        b = follow(b);
        if (a == npos || b == npos) {
            return false;
        }
        if (a == b) {
            return true;
        }
        std::size_t const la = msg[a];
        if (la != msg[b] || la > max_label_len) {
            return false;
        }
        if (la == 0) {
            return true;
        }
        if (size - a < la + 1 || size - b < la + 1) {
            return false;
        }
        for (std::size_t i = 1; i <= la; ++i) {
            if (ascii_lower(msg[a + i]) != ascii_lower(msg[b + i])) {
                return false;
            }
        }
        a += la + 1;
        b += la + 1;
    }
    return false;
}

} // namespace siehub::dns
