// SPDX-License-Identifier: Apache-2.0
#include "proto/nmsg/container.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace siehub::nmsg {

namespace {

// Parses the header at the start of `b`; `file_mode` admits legacy version 1.
nmsg_unit parse_unit(byte_view b, bool file_mode) noexcept
{
    nmsg_unit u;
    core::wire_cursor<container_error> c(b);
    byte_view const magic = c.take(4, container_error::short_header);
    std::uint16_t const vf = c.be16(container_error::short_header);
    if (!c.ok()) {
        u.error = container_error::short_header;
        return u;
    }
    if (std::memcmp(magic.data(), nmsg_magic, 4) != 0) {
        u.error = container_error::bad_magic;
        return u;
    }
    if (file_mode && vf == 1) {
        // Legacy v1: u16 version 1, u16 length, no flags.
        u.header.version = 1;
        u.header.flags = 0;
        u.header.length = c.be16(container_error::short_header);
        u.header.size = header_size_v1;
    } else if ((vf & 0xff) == 2) {
        u.header.version = 2;
        u.header.flags = static_cast<std::uint8_t>(vf >> 8);
        u.header.length = c.be32(container_error::short_header);
        u.header.size = header_size;
    } else {
        u.error = container_error::bad_version;
        return u;
    }
    if (!c.ok()) {
        u.error = container_error::short_header;
        return u;
    }
    if (u.header.flags & ~(flag_zlib | flag_fragment)) {
        u.error = container_error::bad_flags;
        return u;
    }
    if (!file_mode) {
        if (c.remaining() != u.header.length) {
            u.error = container_error::length_mismatch;
            return u;
        }
    } else if (c.remaining() < u.header.length) {
        u.error = container_error::truncated_body;
        return u;
    }
    u.body = c.take(u.header.length, container_error::truncated_body);
    u.consumed = u.header.size + u.header.length;
    return u;
}

} // namespace

nmsg_unit parse_datagram(byte_view datagram) noexcept
{
    return parse_unit(datagram, false);
}

nmsg_unit next_file_unit(byte_view rest) noexcept
{
    return parse_unit(rest, true);
}

namespace {

#if defined(__x86_64__)
bool detect_fast_pext() noexcept
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("bmi2")) {
        return false;
    }
    if (!__builtin_cpu_is("amd")) {
        return true;
    }
    // AMD before family 19h (Zen 3) microcodes pext: tens to hundreds of cycles.
    unsigned eax = 0;
    unsigned ebx = 0;
    unsigned ecx = 0;
    unsigned edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return false;
    }
    unsigned family = (eax >> 8) & 0xf;
    if (family == 0xf) {
        family += (eax >> 20) & 0xff;
    }
    return family >= 0x19;
}
#else
bool detect_fast_pext() noexcept
{
    return false;
}
#endif

// Before main; a view built during static initialisation elsewhere (none is) would just
// take the portable path.
bool const fast_pext = detect_fast_pext();

} // namespace

bool nmsg_fast_pext() noexcept
{
    return fast_pext;
}

nmsg_view::nmsg_view(byte_view body) noexcept
{
    if (!(fast_pext ? parse_fused<true>(body) : parse_fused<false>(body))) {
        parse_generic(body);
    }
}

nmsg_view::nmsg_view(byte_view body, generic_parse_t) noexcept
{
    parse_generic(body);
}

void nmsg_view::copy_from(const nmsg_view& o) noexcept
{
    status_ = o.status_;
    fast_ = o.fast_;
    cached_ = o.cached_;
    if (cached_) {
        std::size_t const n = static_cast<std::size_t>(slots_[0].value);
        for (std::size_t i = 0; i < n; ++i) {
            ::new (&cache_[i].e) payload_entry(o.cache_[i].e);
        }
    }
}

// The fused pass for the usual layout (keys 0a/10/18/20 as single bytes, CRCs unpacked):
// each payload is decoded where it is found, straight into its cache record, and each CRC
// goes into the record of the payload it belongs to. Anything unusual (including every
// error) goes to the generic path, which then reports the specific reason.
template <bool Pext> bool nmsg_view::parse_fused(byte_view body) noexcept
{
    const std::uint8_t* p = body.data();
    const std::uint8_t* const end = p + body.size();
    std::array<field_slot, 4> s{};
    std::uint32_t present = 0;
    std::size_t n = 0;     // payloads so far
    std::size_t n_crc = 0; // CRCs so far
    bool cacheable = true;
    payload_fields overflow; // decode target for payloads beyond the cache
    while (p < end) {
        std::uint8_t const k = *p;
        std::uint64_t v = 0;
        if (k == 0x0a) {
            if (n == 0) {
                s[0].data = p;
            }
            // Writers put all payloads first: take the whole run in one loop.
            do {
                payload_fields* f = &overflow;
                if (n < entry_cache_capacity) [[likely]] {
                    // The view's fields are left to the decoder: no zeroing.
                    auto* e = ::new (&cache_[n].e) payload_entry(payload_view::no_init_t{}, n);
                    f = &e->view.f_;
                } else {
                    cacheable = false;
                }
                const std::uint8_t* payload_end = nullptr;
                if (end - p >= 21) [[likely]] {
                    // The whole entry head in one check: key 0a, a 2-byte payload length, then
                    // the payload header shape of payload_view::decode_canonical.
                    std::uint64_t const w0 = core::load_le64(p);
                    std::uint64_t const w1 = core::load_le64(p + 8);
                    // Bytes 0..7: 0a L0|80 L1<80 08 vid<80 10 mt<80 18.
                    constexpr std::uint64_t m0 = 0xff80ff80ff8080ffull;
                    constexpr std::uint64_t e0 = 0x180010000800800aull;
                    // Bytes 8..15: t0|80 t1|80 t2|80 t3|80 t4<80 25 nsec.
                    constexpr std::uint64_t m1 = 0x0000ff8080808080ull;
                    constexpr std::uint64_t e1 = 0x0000250080808080ull;
                    std::size_t const plen = ((w0 >> 8) & 0x7f) | ((w0 >> 9) & 0x3f80);
                    std::uint32_t const l = std::uint32_t{p[19]} | (std::uint32_t{p[20]} << 8);
                    if ((w0 & m0) == e0 && (w1 & m1) == e1 && p[18] == 0x2a &&
                        (l & 0x8080) != 0x8080 && plen >= 18) [[likely]] {
                        const std::uint8_t* const start = p + 3;
                        if (plen > static_cast<std::size_t>(end - start)) {
                            return false;
                        }
                        payload_end = start + plen;
                        f->data = start;
                        f->size = plen;
                        f->error = pb_error::none;
                        f->vid = static_cast<std::uint32_t>((w0 >> 32) & 0x7f);
                        f->msgtype = static_cast<std::uint32_t>((w0 >> 48) & 0x7f);
                        f->time_sec = static_cast<std::int64_t>(pb_varint5_value<Pext>(w1));
                        f->time_nsec = core::load_le32(p + 14);
                        const std::uint8_t* q = p + 20;
                        std::size_t len = l & 0x7f;
                        if (l & 0x80) {
                            len |= (l >> 1) & 0x3f80;
                            ++q;
                        }
                        if (len > static_cast<std::size_t>(payload_end - q)) {
                            return false;
                        }
                        f->vendor = q;
                        f->vendor_size = len;
                        if (!payload_view::decode_ids(q + len, payload_end, end,
                                                      payload_fields::has_vendor, *f)) {
                            return false;
                        }
                        ++n;
                        p = payload_end;
                        continue;
                    }
                }
                if (!(p = pb_varint_fast(p + 1, end, end, v)) ||
                    v > static_cast<std::size_t>(end - p)) {
                    return false;
                }
                payload_end = p + v;
                if (!payload_view::decode_canonical<Pext>(p, payload_end, end, *f)) {
                    return false;
                }
                ++n;
                p = payload_end;
            } while (p < end && *p == 0x0a);
        } else if (k == 0x10) {
            if (n_crc == 0) {
                s[1].data = p;
            }
            // Then the CRCs, each into the record of the payload it belongs to. One ahead of
            // its payload (or one too many) leaves the pairing to the iterator's walk.
            std::size_t const pairable = n < entry_cache_capacity ? n : entry_cache_capacity;
            do {
                // A CRC-32C is a 5-byte varint 15 times in 16: one check for that shape.
                std::uint64_t const x = end - p >= 9 ? core::load_le64(p + 1) : 0;
                if ((x & 0x8080808080ull) == 0x0080808080ull) [[likely]] {
                    v = pb_varint5_value<Pext>(x);
                    p += 6;
                } else if (!(p = pb_varint_fast(p + 1, end, end, v))) {
                    return false;
                }
                if (n_crc < pairable) [[likely]] {
                    cache_[n_crc].e.stored_crc = static_cast<std::uint32_t>(v);
                } else {
                    cacheable = false;
                }
                ++n_crc;
            } while (p < end && *p == 0x10);
        } else if (k == 0x18 || k == 0x20) {
            std::size_t const i = k == 0x18 ? 2 : 3;
            if (!(p = pb_varint_fast(p + 1, end, end, v))) {
                return false;
            }
            s[i].value = v;
            present |= 1u << i;
        } else {
            return false;
        }
    }
    if (n == 0) {
        return false;
    }
    s[0].value = n;
    s[1].value = n_crc;
    present |= 1u | (n_crc > 0 ? 2u : 0u);
    bytes_ = body;
    slots_ = s;
    state_ = parse_state{present, pb_error::none};
    status_ = container_error::none;
    fast_ = true;
    cached_ = cacheable;
    return true;
}

void nmsg_view::parse_generic(byte_view body) noexcept
{
    fast_ = false;
    cached_ = false;
    parse_bytes(body);
    if (!ok()) {
        status_ = error() == pb_error::missing_required ? container_error::missing_required
                                                        : container_error::malformed;
        return;
    }
    auto const raw = payloads_raw();
    if (raw.empty()) {
        status_ = container_error::no_payloads;
        return;
    }
    // protobuf-c unpacks every payload as part of the container: one bad payload makes the
    // whole container an error.
    for (byte_view p : raw) {
        payload_view const v(p, generic_parse);
        if (!v.ok()) {
            state_.error = v.error();
            status_ = v.error() == pb_error::missing_required ? container_error::missing_required
                                                              : container_error::malformed;
            return;
        }
    }
    status_ = container_error::none;
}

// ------------------------------------------------------------------- container builder

container_builder::container_builder(byte_span buf, std::size_t limit, bool with_sequence,
                                     bool zlib) noexcept
    : out_(buf),
      limit_(std::min(std::clamp(limit, container_size_min, container_size_max), buf.size())),
      with_sequence_(with_sequence), zlib_(zlib)
{
    reset();
}

void container_builder::reset() noexcept
{
    out_.rewind(0);
    out_.reserve(header_size);
    count_ = 0;
}

std::size_t container_builder::entry_size(const payload_header& h, std::size_t vendor_len) noexcept
{
    // Size of the header fields + field 5's key and length prefix, without the vendor bytes.
    size_counter c;
    write_payload(c, h, std::nullopt);
    std::size_t const inner = c.size() + 1 + pb_varint_size(vendor_len) + vendor_len;
    return 1 + pb_varint_size(inner) + inner;
}

std::size_t container_builder::budget_used(std::size_t extra_entry,
                                           std::size_t extra_count) const noexcept
{
    std::size_t const body = (out_.size() - header_size) + extra_entry +
                             6 * (count_ + extra_count) + (with_sequence_ ? 17 : 0);
    return header_size + body + (zlib_ ? zlib_overhead(body) : 0);
}

bool container_builder::fits(std::size_t entry) const noexcept
{
    return budget_used(entry, 1) <= limit_;
}

bool container_builder::fits_empty(std::size_t entry) const noexcept
{
    std::size_t const body = entry + 6 + (with_sequence_ ? 17 : 0);
    return header_size + body + (zlib_ ? zlib_overhead(body) : 0) <= limit_;
}

container_builder::add_status container_builder::add(const payload_header& h,
                                                     byte_view vendor) noexcept
{
    std::size_t const entry = entry_size(h, vendor.size());
    if (!fits(entry)) {
        return fits_empty(entry) ? add_status::full : add_status::too_large;
    }
    std::size_t const before = out_.size();
    std::size_t const inner = payload_size(h, vendor);
    pb_put_len_prefix(out_, 1, inner);
    write_payload(out_, h, vendor);
    if (!out_.ok()) {
        // Only reachable with a buffer smaller than the budget assumed; undo the partial entry.
        out_.rewind(before);
        return add_status::full;
    }
    if (count_ < known_crcs) {
        crcs_[count_] = crc32c_stored(vendor);
    }
    ++count_;
    return add_status::added;
}

byte_view container_builder::finish(std::uint32_t sequence, std::uint64_t sequence_id) noexcept
{
    if (count_ == 0 || !out_.ok()) {
        return {};
    }
    std::size_t const payloads_end = out_.size();
    for (std::size_t i = 0; i < count_ && i < known_crcs; ++i) {
        pb_put_uint(out_, 2, crcs_[i]);
    }
    if (count_ > known_crcs) {
        // Walk the payloads written so far (trusted: we wrote them) for the other CRCs.
        pb_reader r(byte_view{out_.begin() + header_size, payloads_end - header_size});
        pb_field f;
        for (std::size_t i = 0; r.next(f); ++i) {
            if (i >= known_crcs) {
                payload_view const v(f.bytes);
                pb_put_uint(out_, 2, crc32c_stored(v.payload().value_or(byte_view{})));
            }
        }
    }
    if (with_sequence_) {
        pb_put_uint(out_, 3, sequence);
        pb_put_uint(out_, 4, sequence_id);
    }
    if (!out_.ok()) {
        return {};
    }
    std::size_t const total = out_.size();
    core::out_buffer hdr(byte_span{out_.begin(), header_size});
    write_header(hdr, 0, static_cast<std::uint32_t>(total - header_size));
    return byte_view{out_.begin(), total};
}

// ------------------------------------------------------------------------- fragmenter

fragmenter::fragmenter(byte_view body, bool zlib, std::uint32_t id, std::size_t limit) noexcept
    : body_(body), max_fragsz_(limit > 64 ? limit - 32 : 32), id_(id), crc_(crc32c_stored(body)),
      flags_(static_cast<std::uint8_t>(flag_fragment | (zlib ? flag_zlib : 0)))
{
    // ceil(len / max) - 1: libnmsg's len / max is one too high on exact multiples (§6).
    std::size_t const n = (body.size() + max_fragsz_ - 1) / max_fragsz_;
    last_ = n > 0 ? static_cast<std::uint32_t>(n - 1) : 0;
}

bool fragmenter::next(core::out_buffer& out) noexcept
{
    if (done()) {
        return false;
    }
    std::size_t const off = std::size_t{next_} * max_fragsz_;
    std::size_t const len = body_.size() - off < max_fragsz_ ? body_.size() - off : max_fragsz_;
    fragment_fields const f{id_, next_, last_, body_.subspan(off, len), crc_};
    size_counter sz;
    write(sz, f);
    write_header(out, flags_, static_cast<std::uint32_t>(sz.size()));
    write(out, f);
    ++next_;
    return out.ok();
}

} // namespace siehub::nmsg
