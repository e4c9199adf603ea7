// SPDX-License-Identifier: Apache-2.0
#include "axa/watch.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/cursor.hpp"
#include "proto/dns/name.hpp"

namespace siehub::axa {

std::uint16_t watch_view::channel() const noexcept
{
    if (pattern.size() != 2) {
        return 0;
    }
    return static_cast<std::uint16_t>(pattern[0] | (pattern[1] << 8));
}

namespace {

errc check_ip(const watch_view& w, std::size_t max_len) noexcept
{
    if (w.pattern.empty() || w.pattern.size() > max_len) {
        return errc::watch_ip_len;
    }
    // The client's ck_watch bound (ceil(prefix/8) <= pattern length) also caps the prefix at
    // the family's width, since the pattern is at most 4 or 16 bytes.
    if (w.prefix == 0 || w.prefix > max_len * 8 || (w.prefix + 7u) / 8u > w.pattern.size()) {
        return errc::watch_ip_prefix;
    }
    return errc::ok;
}

errc check_dns(byte_view pattern) noexcept
{
    if (pattern.empty()) {
        return errc::watch_dns_len;
    }
    // One guardian for DNS names (style principle 5): labels <= 63, name <= 255, no pointers.
    auto const r = dns::check_name(pattern);
    switch (r.err) {
    case dns::errc::ok:
        break;
    case dns::errc::name_too_long:
        return errc::watch_dns_too_long;
    case dns::errc::bad_label_type:
    case dns::errc::pointer_not_allowed:
    case dns::errc::label_too_long:
        return errc::watch_dns_label_type;
    default:
        return errc::watch_dns_labels;
    }
    // The label lengths must add up to the pattern exactly (ck_watch), nothing after the root.
    return r.end == pattern.size() ? errc::ok : errc::watch_dns_labels;
}

} // namespace

watch_view parse_watch(byte_view raw) noexcept
{
    watch_view w;
    w.raw = raw;
    core::wire_cursor<errc> c(raw);
    auto const type = c.u8(errc::body_too_short);
    w.prefix = c.u8(errc::body_too_short);
    w.flags = c.u8(errc::body_too_short);
    auto const pad = c.u8(errc::body_too_short);
    if (!c.ok()) {
        w.err = c.error();
        return w;
    }
    if (c.remaining() > watch_max_pattern) {
        w.err = errc::body_too_long;
        return w;
    }
    w.type = static_cast<watch_type>(type);
    w.pattern = c.rest();
    if (pad != 0) {
        w.err = errc::watch_pad;
        return w;
    }
    if ((w.flags & ~(watch_flag_wild | watch_flag_shared)) != 0) {
        w.err = errc::watch_flags;
        return w;
    }
    switch (w.type) {
    case watch_type::ipv4:
        w.err = check_ip(w, 4);
        break;
    case watch_type::ipv6:
        w.err = check_ip(w, 16);
        break;
    case watch_type::dns:
        w.err = check_dns(w.pattern);
        break;
    case watch_type::ch:
        if (w.pattern.size() != 2) {
            w.err = errc::watch_ch_len;
        } else if (w.channel() > ch_max) {
            w.err = errc::channel_range;
        }
        break;
    case watch_type::errors:
        if (!w.pattern.empty()) {
            w.err = errc::watch_errors_len;
        }
        break;
    default:
        w.err = errc::watch_type;
        break;
    }
    return w;
}

bool write_watch(core::out_buffer& out, watch_type type, std::uint8_t prefix, std::uint8_t flags,
                 byte_view pattern) noexcept
{
    // Reserve the whole watch first so that a full buffer leaves nothing half written.
    auto* p = out.reserve(watch_fixed_len + pattern.size());
    if (p == nullptr) {
        return false;
    }
    core::out_buffer w({p, watch_fixed_len + pattern.size()});
    w.put(static_cast<std::uint8_t>(type));
    w.put(prefix);
    w.put(flags);
    w.put(std::uint8_t{0});
    w.put(pattern);
    return true;
}

namespace {

void put_text(core::out_buffer& out, std::string_view s) noexcept
{
    out.put(core::as_bytes(s));
}

void put_uint(core::out_buffer& out, unsigned v) noexcept
{
    char buf[12];
    auto const r = std::to_chars(buf, buf + sizeof(buf), v);
    put_text(out, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

// Presentation of a validated wire name as wdns prints it: `example.com.`, root `.`; bytes
// outside printable ASCII as \DDD, '.' and '\' escaped.
void put_name(core::out_buffer& out, byte_view name) noexcept
{
    std::size_t i = 0;
    if (name.empty() || name[0] == 0) {
        put_text(out, ".");
        return;
    }
    while (i < name.size() && name[i] != 0) {
        std::size_t const len = name[i];
        for (std::size_t k = 1; k <= len && i + k < name.size(); ++k) {
            std::uint8_t const ch = name[i + k];
            if (ch == '.' || ch == '\\') {
                out.put(std::uint8_t{'\\'});
                out.put(ch);
            } else if (ch < 0x21 || ch > 0x7e) {
                char esc[4] = {'\\', static_cast<char>('0' + ch / 100),
                               static_cast<char>('0' + ch / 10 % 10),
                               static_cast<char>('0' + ch % 10)};
                put_text(out, std::string_view(esc, 4));
            } else {
                out.put(ch);
            }
        }
        out.put(std::uint8_t{'.'});
        i += len + 1;
    }
}

void put_ip(core::out_buffer& out, const watch_view& w, int af, unsigned width) noexcept
{
    std::uint8_t addr[16] = {};
    std::memcpy(addr, w.pattern.data(), w.pattern.size() < 16 ? w.pattern.size() : 16);
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(af, addr, text, sizeof(text)) == nullptr) {
        put_text(out, "IP=?");
        return;
    }
    put_text(out, "IP=");
    put_text(out, text);
    if (w.prefix != width) {
        put_text(out, "/");
        put_uint(out, w.prefix);
    }
}

} // namespace

bool format_watch(const watch_view& w, core::out_buffer& out) noexcept
{
    switch (w.type) {
    case watch_type::ipv4:
        put_ip(out, w, AF_INET, 32);
        break;
    case watch_type::ipv6:
        put_ip(out, w, AF_INET6, 128);
        break;
    case watch_type::dns:
        put_text(out, "dns=");
        if (w.wild()) {
            // libaxa prints "*" before a root name (giving `*.`) and "*." before others.
            bool const root = w.pattern.empty() || w.pattern[0] == 0;
            put_text(out, root ? "*" : "*.");
        }
        put_name(out, w.pattern);
        break;
    case watch_type::ch:
        put_text(out, "ch=ch");
        put_uint(out, w.channel());
        break;
    case watch_type::errors:
        put_text(out, "ERRORS");
        break;
    default:
        put_text(out, "unknown watch type ");
        put_uint(out, static_cast<unsigned>(w.type));
        break;
    }
    if (w.shared()) {
        put_text(out, "(shared)");
    }
    return out.ok();
}

} // namespace siehub::axa
