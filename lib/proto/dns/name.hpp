// SPDX-License-Identifier: Apache-2.0
#pragma once
// The DNS name guardian: the one place that knows the name rules. Message parsing, rdata
// decompression, dedup keys, bailiwick checks and nmsg name fields all come through here.
//
// Rules (RFC 1035 §3.1, §4.1.4; RFC 6891 §5 retired 0x40):
//  * a label is at most 63 bytes; the uncompressed wire form is at most 255 bytes;
//  * label types 0x40 and 0x80 are rejected;
//  * a compression pointer must point strictly before the start of the label run that contains
//    it (the run begins where the name starts or where the previous pointer landed). That makes
//    every jump go backwards past everything already read, so no loop is possible; the hop limit
//    only bounds the work for pointer-to-pointer chains;
//  * uncompressed names (nmsg fields, rdata of types that forbid compression) reject pointers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "core/bytes.hpp"
#include "proto/dns/errc.hpp"

namespace siehub::dns {

using core::byte_view;

inline constexpr std::size_t max_name_len = 255;
inline constexpr std::size_t max_label_len = 63;
// A legal name has at most 127 labels plus the root; one hop per label is the most a sane
// compressor produces, so 128 hops accept every legal name while bounding the walk.
inline constexpr unsigned max_pointer_hops = 128;

// Every label takes at least two bytes and the root one more: (255 - 1) / 2.
inline constexpr std::size_t max_name_labels = 127;

using name_buffer = std::array<std::uint8_t, max_name_len>;
// Label start offsets of one name (root excluded), from check_name_labels.
using label_offsets = std::array<std::uint8_t, max_name_labels>;
using name_out = std::span<std::uint8_t, max_name_len>;

struct name_info {
    errc err = errc::ok;
    std::uint16_t wire_len = 0; // uncompressed wire length, root byte included
    std::uint8_t labels = 0;    // labels, root excluded
    std::size_t end = 0;        // offset just past the name where it sits (after the 1st pointer)
    [[nodiscard]] bool ok() const noexcept { return err == errc::ok; }
};

enum class name_copy : std::uint8_t { none, keep_case, lower_case };

// Which backward pointers a walk accepts. before_run is the guardian's rule (top of this file).
// before_pointer is wdns_unpack_name's (a pointer must point before itself), kept only so the
// wdns-identical presentation can print what wdns prints: it also admits a pointer into a label
// read earlier in the same run (those bytes are then read again as other labels). A loop it
// lets through still ends: every cycle holds a label, so the 255-byte limit (or the hop limit)
// cuts it.
enum class pointer_rule : std::uint8_t { before_run, before_pointer };

inline constexpr std::uint8_t ascii_lower(std::uint8_t c) noexcept
{
    return static_cast<std::uint8_t>(static_cast<unsigned>(c - 'A') < 26u ? c + 32 : c);
}

namespace detail {

// ascii_lower over n bytes, eight at a time (SWAR; bytes >= 0x80 are left as they are): names
// are lower-cased on every canonical read, and most labels are shorter than the 16 bytes the
// compiler's vector loop starts at.
inline void copy_lower(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept
{
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x = 0;
        std::memcpy(&x, src + i, 8);
        std::uint64_t const low7 = x & (0x7f * ones);
        std::uint64_t const ge_a = low7 + (0x80 - 'A') * ones; // bit 7: byte >= 'A'
        std::uint64_t const gt_z = low7 + (0x7f - 'Z') * ones; // bit 7: byte > 'Z'
        std::uint64_t const upper = (ge_a ^ gt_z) & ~x & (0x80 * ones);
        x |= upper >> 2; // 0x80 -> 0x20 in the same byte
        std::memcpy(dst + i, &x, 8);
    }
    for (; i < n; ++i) {
        dst[i] = ascii_lower(src[i]);
    }
}

// Offsets: also record where each label starts in the uncompressed wire form (for a name
// without pointers read at off 0 that is its position in buf); `label_offs` holds
// max_name_labels entries. Callers that split a name into labels (PSL suffixes) get the
// offsets from the same single pass that validates it.
template <name_copy Copy, bool AllowPointers, bool Offsets = false,
          pointer_rule Rule = pointer_rule::before_run>
inline name_info walk_name(byte_view buf, std::size_t off, std::uint8_t* out,
                           std::uint8_t* label_offs = nullptr) noexcept
{
    name_info r;
    const std::uint8_t* const base = buf.data();
    std::size_t const size = buf.size();
    std::size_t pos = off;
    std::size_t run_start = off;
    std::size_t end = 0;
    bool jumped = false;
    unsigned hops = 0;
    std::size_t len = 0;
    unsigned labels = 0;
    for (;;) {
        if (pos >= size) {
            r.err = errc::name_truncated;
            return r;
        }
        std::uint8_t const c = base[pos];
        if (c == 0) {
            if constexpr (Copy != name_copy::none) {
                out[len] = 0;
            }
            len += 1;
            if (!jumped) {
                end = pos + 1;
            }
            break;
        }
        if (c <= max_label_len) {
            if (size - pos < std::size_t{c} + 1) {
                r.err = errc::name_truncated;
                return r;
            }
            // The label plus the root byte that must still follow.
            if (len + c + 2 > max_name_len) {
                r.err = errc::name_too_long;
                return r;
            }
            if constexpr (Copy == name_copy::keep_case) {
                for (std::size_t i = 0; i <= c; ++i) {
                    out[len + i] = base[pos + i];
                }
            } else if constexpr (Copy == name_copy::lower_case) {
                out[len] = c;
                copy_lower(out + len + 1, base + pos + 1, c);
            }
            if constexpr (Offsets) {
                // len + c + 2 <= 255 here, so the offset fits a byte and labels < 127.
                label_offs[labels] = static_cast<std::uint8_t>(len);
            }
            pos += std::size_t{c} + 1;
            len += std::size_t{c} + 1;
            ++labels;
            continue;
        }
        if ((c & 0xC0) != 0xC0) {
            r.err = errc::bad_label_type;
            return r;
        }
        if constexpr (!AllowPointers) {
            r.err = errc::pointer_not_allowed;
            return r;
        } else {
            if (size - pos < 2) {
                r.err = errc::name_truncated;
                return r;
            }
            std::size_t const target = (std::size_t{c & 0x3Fu} << 8) | base[pos + 1];
            if (target > pos) {
                r.err = errc::pointer_forward;
                return r;
            }
            if (Rule == pointer_rule::before_run ? target >= run_start : target == pos) {
                r.err = errc::pointer_loop;
                return r;
            }
            if (++hops > max_pointer_hops) {
                r.err = errc::pointer_hops;
                return r;
            }
            if (!jumped) {
                end = pos + 2;
                jumped = true;
            }
            pos = target;
            run_start = target;
        }
    }
    r.wire_len = static_cast<std::uint16_t>(len);
    r.labels = static_cast<std::uint8_t>(labels);
    r.end = end;
    return r;
}

} // namespace detail

// --- names inside a DNS message (compression allowed) ---------------------------------------

// Checks the possibly compressed name at msg[off]; `end` is where the name stops in place.
inline name_info scan_name(byte_view msg, std::size_t off) noexcept
{
    return detail::walk_name<name_copy::none, true>(msg, off, nullptr);
}

// As scan_name, and writes the uncompressed wire form (case kept) to out.
inline name_info read_name(byte_view msg, std::size_t off, name_out out) noexcept
{
    return detail::walk_name<name_copy::keep_case, true>(msg, off, out.data());
}

// As scan_name, and writes the canonical (ASCII lower-case) uncompressed wire form to out.
inline name_info read_name_canonical(byte_view msg, std::size_t off, name_out out) noexcept
{
    return detail::walk_name<name_copy::lower_case, true>(msg, off, out.data());
}

// As read_name under wdns_unpack_name's pointer rule (pointer_rule::before_pointer). Only for
// output that must match wdns byte for byte (presentation.cpp); everything that keys, matches
// or forwards names uses read_name.
inline name_info read_name_wdns(byte_view msg, std::size_t off, name_out out) noexcept
{
    return detail::walk_name<name_copy::keep_case, true, false, pointer_rule::before_pointer>(
        msg, off, out.data());
}

// --- uncompressed names (nmsg fields, rdata of types that forbid compression) ----------------

// Checks the uncompressed name starting at buf[off]; pointers are refused.
inline name_info check_name(byte_view buf, std::size_t off = 0) noexcept
{
    return detail::walk_name<name_copy::none, false>(buf, off, nullptr);
}

// As check_name, and records where each label starts (relative to off) in offs[0, labels):
// one pass validates the name and splits it, for callers that walk its suffixes (PSL lookup).
inline name_info check_name_labels(byte_view buf, label_offsets& offs, std::size_t off = 0) noexcept
{
    return detail::walk_name<name_copy::none, false, true>(buf, off, nullptr, offs.data());
}

// A field that must hold exactly one uncompressed name and nothing else.
inline errc validate_name(byte_view field) noexcept
{
    auto const r = check_name(field);
    if (!r.ok()) {
        return r.err;
    }
    return r.end == field.size() ? errc::ok : errc::name_trailing_bytes;
}

// Canonical (lower-case) form of an uncompressed name: hashing and dedup keys use these bytes.
inline name_info canonicalize(byte_view name, name_out out) noexcept
{
    return detail::walk_name<name_copy::lower_case, false>(name, 0, out.data());
}

// Presentation text -> uncompressed wire. Escapes: `\.`, `\\`, `\X` for any X, `\DDD` (0-255).
// A name without a trailing dot is relative and gets `origin` (an uncompressed wire name,
// root when empty) appended. "." is the root. The result obeys the same length rules.
name_info from_text(std::string_view text, name_out out, byte_view origin = {}) noexcept;

// Labels of an uncompressed, validated name (root excluded).
unsigned count_labels(byte_view name) noexcept;

// Case-insensitive equality of two validated uncompressed names.
bool equal_canonical(byte_view a, byte_view b) noexcept;

// RFC 4034 §6.1 canonical order of two validated uncompressed names: <0, 0, >0.
int compare_canonical(byte_view a, byte_view b) noexcept;

// True when `child` equals `parent` or lies below it (case-insensitive, label-aligned).
bool is_subdomain(byte_view child, byte_view parent) noexcept;

// is_subdomain for two names already validated and in canonical (lower) case, e.g. from
// read_name_canonical: a byte comparison of the suffix and a walk to its label boundary,
// without validating and case-folding both names again.
inline bool is_subdomain_canonical(byte_view child, byte_view parent) noexcept
{
    if (parent.empty() || parent.size() > child.size()) {
        return false;
    }
    std::size_t const start = child.size() - parent.size();
    for (std::size_t i = 0; i < parent.size(); ++i) {
        if (child[start + i] != parent[i]) {
            return false;
        }
    }
    std::size_t pos = 0;
    while (pos < start) {
        pos += std::size_t{child[pos]} + 1;
    }
    return pos == start;
}

// Case-insensitive equality of two names inside one message, following pointers. Both must
// have passed scan_name; equal offsets reached on the way short-cut to true.
bool names_equal(byte_view msg, std::size_t a, std::size_t b) noexcept;

} // namespace siehub::dns
