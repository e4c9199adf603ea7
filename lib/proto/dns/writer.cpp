// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/writer.hpp"

namespace siehub::dns {

namespace {

// True when the (possibly compressed, already written) name at msg[pos] equals the
// uncompressed `suffix` byte for byte. Case-insensitive matching would be legal DNS but would
// change the case of the later name; a writer for tests and traffic must say what it was told.
bool matches(byte_view msg, std::size_t pos, byte_view suffix) noexcept
{
    std::size_t i = 0;
    for (unsigned guard = 0; guard < 2 * max_name_len; ++guard) {
        if (pos >= msg.size() || i >= suffix.size()) {
            return false;
        }
        std::uint8_t const c = msg[pos];
        if ((c & 0xC0) == 0xC0) {
            if (pos + 1 >= msg.size()) {
                return false;
            }
            std::size_t const t = (std::size_t{c & 0x3Fu} << 8) | msg[pos + 1];
            if (t >= pos) {
                return false;
            }
            pos = t;
            continue;
        }
        if (c != suffix[i] || pos + c >= msg.size()) {
            return false;
        }
        if (c == 0) {
            return true;
        }
        for (std::size_t k = 1; k <= c; ++k) {
            if (msg[pos + k] != suffix[i + k]) {
                return false;
            }
        }
        pos += std::size_t{c} + 1;
        i += std::size_t{c} + 1;
    }
    return false;
}

} // namespace

errc message_writer::begin(std::uint16_t id, std::uint16_t flags) noexcept
{
    start_ = out_.size();
    if (auto* p = out_.reserve(header_len)) {
        core::store_be16(p, id);
        core::store_be16(p + 2, flags);
        for (std::size_t i = 4; i < header_len; ++i) {
            p[i] = 0;
        }
    }
    begun_ = true;
    return check_out();
}

void message_writer::bump_count(section s) noexcept
{
    std::uint8_t* p = out_.begin() + start_ + 4 + 2 * static_cast<std::size_t>(s);
    core::store_be16(p, static_cast<std::uint16_t>(core::load_be16(p) + 1));
}

errc message_writer::enter_section(section s) noexcept
{
    if (err_ != errc::ok) {
        return err_;
    }
    if (!begun_ || in_rr_ || s < sec_) {
        return fail(errc::section_order);
    }
    sec_ = s;
    return errc::ok;
}

errc message_writer::write_name(byte_view name, bool compress) noexcept
{
    auto const ni = check_name(name);
    if (!ni.ok()) {
        return fail(ni.err);
    }
    if (ni.end != name.size()) {
        return fail(errc::name_trailing_bytes);
    }
    byte_view const msg = out_.written().subspan(start_);
    // Find the longest suffix already in the message (the first match, scanning from the left).
    std::size_t pos = 0;
    std::size_t target = 0;
    bool found = false;
    while (name[pos] != 0 && compress && compress_ && !found) {
        byte_view const suffix = name.subspan(pos);
        for (std::size_t e = 0; e < n_entries_; ++e) {
            if (matches(msg, entries_[e], suffix)) {
                target = entries_[e];
                found = true;
                break;
            }
        }
        if (!found) {
            pos += std::size_t{name[pos]} + 1;
        }
    }
    if (!found) {
        pos = name.size(); // the whole name, root included
    }
    // Write the labels before the match and remember where each of their suffixes starts.
    std::size_t const at = out_.size() - start_;
    out_.put(name.subspan(0, pos));
    if (compress_) {
        std::size_t p = 0;
        while (p < pos && name[p] != 0 && n_entries_ < max_compress_entries && at + p < 0x4000) {
            entries_[n_entries_++] = static_cast<std::uint16_t>(at + p);
            p += std::size_t{name[p]} + 1;
        }
    }
    if (found) {
        out_.put_be16(static_cast<std::uint16_t>(0xC000u | target));
    }
    return check_out();
}

errc message_writer::question(byte_view name, std::uint16_t type, std::uint16_t cls) noexcept
{
    if (enter_section(section::question) != errc::ok) {
        return err_;
    }
    write_name(name, true);
    out_.put_be16(type);
    out_.put_be16(cls);
    if (check_out() == errc::ok) {
        bump_count(section::question);
    }
    return err_;
}

errc message_writer::begin_rr(section s, byte_view owner, std::uint16_t type, std::uint16_t cls,
                              std::uint32_t ttl) noexcept
{
    if (s == section::question || enter_section(s) != errc::ok) {
        return fail(errc::section_order);
    }
    write_name(owner, true);
    out_.put_be16(type);
    out_.put_be16(cls);
    out_.put_be32(ttl);
    rdlen_at_ = out_.size();
    out_.put_be16(0);
    in_rr_ = true;
    return check_out();
}

errc message_writer::rdata_u8(std::uint8_t v) noexcept
{
    out_.put(v);
    return check_out();
}

errc message_writer::rdata_u16(std::uint16_t v) noexcept
{
    out_.put_be16(v);
    return check_out();
}

errc message_writer::rdata_u32(std::uint32_t v) noexcept
{
    out_.put_be32(v);
    return check_out();
}

errc message_writer::rdata_bytes(byte_view b) noexcept
{
    out_.put(b);
    return check_out();
}

errc message_writer::rdata_name(byte_view name, bool compress) noexcept
{
    if (!in_rr_) {
        return fail(errc::section_order);
    }
    return write_name(name, compress);
}

errc message_writer::end_rr() noexcept
{
    if (!in_rr_) {
        return fail(errc::section_order);
    }
    in_rr_ = false;
    if (check_out() != errc::ok) {
        return err_;
    }
    std::size_t const len = out_.size() - rdlen_at_ - 2;
    if (len > 0xFFFF) {
        return fail(errc::out_of_space);
    }
    core::store_be16(out_.begin() + rdlen_at_, static_cast<std::uint16_t>(len));
    bump_count(sec_);
    return errc::ok;
}

errc message_writer::add_rr(section s, byte_view owner, std::uint16_t type, std::uint16_t cls,
                            std::uint32_t ttl, byte_view rdata) noexcept
{
    begin_rr(s, owner, type, cls, ttl);
    rdata_bytes(rdata);
    return end_rr();
}

errc message_writer::begin_opt(std::uint16_t udp_size, std::uint8_t ext_rcode, std::uint8_t version,
                               bool do_bit) noexcept
{
    static constexpr std::uint8_t root[1] = {0};
    std::uint32_t const ttl =
        (std::uint32_t{ext_rcode} << 24) | (std::uint32_t{version} << 16) | (do_bit ? 0x8000u : 0u);
    return begin_rr(section::additional, byte_view{root, 1}, rrtype::opt, udp_size, ttl);
}

errc message_writer::add_edns_option(std::uint16_t code, byte_view data) noexcept
{
    if (!in_rr_) {
        return fail(errc::section_order);
    }
    if (data.size() > 0xFFFF) {
        return fail(errc::out_of_space);
    }
    out_.put_be16(code);
    out_.put_be16(static_cast<std::uint16_t>(data.size()));
    out_.put(data);
    return check_out();
}

} // namespace siehub::dns
