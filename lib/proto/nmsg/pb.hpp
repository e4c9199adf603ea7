// SPDX-License-Identifier: Apache-2.0
#pragma once
// Hand-written protobuf (proto2) wire reader and writer. The reader is a bounded view over
// the message bytes built on core::wire_cursor; the writer fills a caller buffer
// (core::out_buffer) or only counts bytes (size_counter), so that a nested message's length
// can be computed before it is written and no shifting or allocation is needed.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/bytes.hpp"
#include "core/cursor.hpp"
#include "core/out_buffer.hpp"

namespace siehub::nmsg {

using core::byte_span;
using core::byte_view;

enum class pb_error : std::uint8_t {
    none = 0,
    truncated_varint,   // input ended inside a varint
    varint_too_long,    // more than 10 bytes
    varint_overflow,    // 10th byte carries bits above 2^64
    bad_key,            // key varint does not fit 32 bits
    field_zero,         // field number 0
    bad_wire_type,      // wire type 6 or 7
    truncated_fixed,    // input ended inside a fixed32/fixed64
    truncated_length,   // length-delimited field longer than what remains
    group_too_deep,     // nested groups beyond pb_max_group_depth
    group_mismatch,     // end-group with another number, or one that was never opened
    group_unterminated, // input ended inside a group
    wrong_wire_type,    // a known field arrived with a wire type its type cannot have
    bad_packed,         // a packed run whose length is not a whole number of elements
    missing_required,   // a required field is absent
};

constexpr std::string_view to_string(pb_error e) noexcept
{
    switch (e) {
    case pb_error::none:
        return "none";
    case pb_error::truncated_varint:
        return "truncated_varint";
    case pb_error::varint_too_long:
        return "varint_too_long";
    case pb_error::varint_overflow:
        return "varint_overflow";
    case pb_error::bad_key:
        return "bad_key";
    case pb_error::field_zero:
        return "field_zero";
    case pb_error::bad_wire_type:
        return "bad_wire_type";
    case pb_error::truncated_fixed:
        return "truncated_fixed";
    case pb_error::truncated_length:
        return "truncated_length";
    case pb_error::group_too_deep:
        return "group_too_deep";
    case pb_error::group_mismatch:
        return "group_mismatch";
    case pb_error::group_unterminated:
        return "group_unterminated";
    case pb_error::wrong_wire_type:
        return "wrong_wire_type";
    case pb_error::bad_packed:
        return "bad_packed";
    case pb_error::missing_required:
        return "missing_required";
    }
    return "unknown";
}

enum class wire_type : std::uint8_t {
    varint = 0,
    fixed64 = 1,
    len = 2,
    start_group = 3,
    end_group = 4,
    fixed32 = 5,
};

// Groups are obsolete; nothing nmsg defines uses them, so a shallow bound costs nothing and
// keeps a hostile input from making the skipper walk deep.
inline constexpr unsigned pb_max_group_depth = 16;

using pb_cursor = core::wire_cursor<pb_error>;

// Reads a base-128 varint of at most 10 bytes. Non-minimal encodings are accepted (as
// libprotobuf and protobuf-c accept them); more than 10 bytes or bits above 2^64 are errors.
inline std::uint64_t pb_read_varint(pb_cursor& c) noexcept
{
    const std::uint8_t* p = c.data();
    std::size_t const n = c.remaining();
    // One-byte fast path: most keys and small values.
    if (n > 0 && p[0] < 0x80) [[likely]] {
        c.skip(1, pb_error::truncated_varint);
        return p[0];
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 10; ++i) {
        if (i >= n) {
            c.fail(pb_error::truncated_varint);
            return 0;
        }
        std::uint8_t const b = p[i];
        if (i == 9) {
            if (b & 0x80) {
                c.fail(pb_error::varint_too_long);
                return 0;
            }
            if (b > 1) {
                c.fail(pb_error::varint_overflow);
                return 0;
            }
        }
        v |= std::uint64_t{b & 0x7fu} << (7 * i);
        if ((b & 0x80) == 0) {
            c.skip(i + 1, pb_error::truncated_varint);
            return v;
        }
    }
    return 0; // not reached: i == 9 always returns
}

// Pointer form for hand-written fast paths: decodes a varint at p (< end), returns the
// position after it or nullptr on any error.
inline const std::uint8_t* pb_varint_at(const std::uint8_t* p, const std::uint8_t* end,
                                        std::uint64_t& v) noexcept
{
    if (p < end && *p < 0x80) [[likely]] {
        v = *p;
        return p + 1;
    }
    // Same rules as pb_read_varint: at most 10 bytes, the 10th at most 1.
    std::uint64_t r = 0;
    for (unsigned i = 0; i < 10; ++i) {
        if (p + i >= end) {
            return nullptr;
        }
        std::uint8_t const b = p[i];
        r |= std::uint64_t{b & 0x7fu} << (7 * i);
        if (b < 0x80) {
            if (i == 9 && b > 1) {
                return nullptr;
            }
            v = r;
            return p + i + 1;
        }
    }
    return nullptr;
}

// The value of a 5-byte varint whose bytes are the low 40 bits of x (higher bits ignored;
// the caller has checked the continuation bits). Portable: five independent terms, short
// latency. With Pext, one BMI2 pext: callers take that only where nmsg_fast_pext() said
// the CPU has it and runs it in hardware (not AMD before Zen 3, where it is microcoded).
template <bool Pext = false> inline std::uint64_t pb_varint5_value(std::uint64_t x) noexcept
{
#if defined(__x86_64__)
    if constexpr (Pext) {
        std::uint64_t r;
        // Inline asm rather than _pext_u64: the intrinsic needs -mbmi2 (or a target
        // attribute) on every function it is inlined into.
        asm("pextq %2, %1, %0" : "=r"(r) : "r"(x), "r"(std::uint64_t{0x7f7f7f7f7full}));
        return r;
    }
#endif
    return (x & 0x7f) | ((x >> 1) & 0x3f80) | ((x >> 2) & 0x1fc000) | ((x >> 3) & 0xfe00000) |
           (((x >> 32) & 0x7f) << 28);
}

// Whether pb_varint5_value<true> may be used on this CPU (decided once).
bool nmsg_fast_pext() noexcept;

// pb_varint_at with a wider readable limit: the field ends at `end`, but the caller's
// buffer is readable up to `rend` (>= end), so one 8-byte load covers the varint even at
// the end of a field. Same results as pb_varint_at(p, end, v) for every input (a terminator
// found past `end` means the varint is truncated within the field); varints that start
// within 8 bytes of `rend` (9 or 10 for the longest ones) go to pb_varint_at.
//
// The length is found by a chain of branches rather than computed (tzcnt) from the bytes:
// in a stream of same-shaped fields (a container's payloads) the branches predict, so the
// position of the next field does not wait on this varint's load. Always inlined: a call
// would also pass `v` through memory, adding a store-forward to that chain.
[[gnu::always_inline]] inline const std::uint8_t* pb_varint_fast(const std::uint8_t* p,
                                                                 const std::uint8_t* end,
                                                                 const std::uint8_t* rend,
                                                                 std::uint64_t& v) noexcept
{
    if (rend - p < 8) [[unlikely]] {
        // Through a local: `v` itself must not have its address taken, or the caller's
        // value lives in memory on the fast path too.
        std::uint64_t t = 0;
        const std::uint8_t* const r = pb_varint_at(p, end, t);
        v = t;
        return r;
    }
    std::uint64_t x = core::load_le64(p);
    if ((x & 0x80) == 0) [[likely]] {
        if (p >= end) {
            return nullptr;
        }
        v = x & 0x7f;
        return p + 1;
    }
    if ((x & 0x8000) == 0) {
        if (end - p < 2) {
            return nullptr;
        }
        v = (x & 0x7f) | ((x >> 1) & 0x3f80);
        return p + 2;
    }
    std::size_t n = 0;
    if ((x & 0x800000) == 0) {
        n = 3;
    } else if ((x & 0x80000000) == 0) {
        n = 4;
    } else if ((x & 0x8000000000) == 0) {
        n = 5;
    } else {
        std::uint64_t const stop = ~x & 0x8080808080808080ull;
        if (stop == 0) [[unlikely]] {
            // 9 or 10 bytes (a full 64-bit value, e.g. a sequence_id): bytes 8 and 9 by
            // hand, with pb_varint_at's rule that a 10th byte holds at most bit 63.
            std::uint64_t const b8 = rend - p >= 9 ? p[8] : 0xff;
            std::uint64_t b9 = 0;
            if (b8 < 0x80) {
                n = 9;
            } else if (rend - p >= 10) {
                n = 10;
                b9 = p[9];
            } else {
                std::uint64_t t = 0;
                const std::uint8_t* const r = pb_varint_at(p, end, t);
                v = t;
                return r;
            }
            if (b9 > 1 || static_cast<std::ptrdiff_t>(n) > end - p) {
                return nullptr;
            }
            std::uint64_t const hi = (b8 & 0x7f) << 56;
            x = (x & 0x007f007f007f007full) | ((x & 0x7f007f007f007f00ull) >> 1);
            x = (x & 0x00003fff00003fffull) | ((x & 0x3fff00003fff0000ull) >> 2);
            x = (x & 0x000000000fffffffull) | ((x & 0x0fffffff00000000ull) >> 4);
            v = x | hi | (b9 << 63);
            return p + n;
        }
        n = (static_cast<std::size_t>(std::countr_zero(stop)) + 1) / 8;
    }
    if (static_cast<std::ptrdiff_t>(n) > end - p) {
        return nullptr;
    }
    if (n < 8) {
        x &= (std::uint64_t{1} << (8 * n)) - 1;
    }
    // Squeeze out the continuation bits: 7-bit groups to 14 bits per 16, 28 per 32, 56.
    x = (x & 0x007f007f007f007full) | ((x & 0x7f007f007f007f00ull) >> 1);
    x = (x & 0x00003fff00003fffull) | ((x & 0x3fff00003fff0000ull) >> 2);
    x = (x & 0x000000000fffffffull) | ((x & 0x0fffffff00000000ull) >> 4);
    v = x;
    return p + n;
}

// One field as it appears on the wire. For varint/fixed fields `value` holds the raw bits;
// for length-delimited fields and groups `bytes` is the content (a group's content excludes
// its end key).
struct pb_field {
    std::uint32_t number = 0;
    wire_type type = wire_type::varint;
    std::uint64_t value = 0;
    byte_view bytes;
};

// Iterates the fields of one message. next() returns false at the end or on the first
// error; error() tells which.
class pb_reader {
public:
    constexpr pb_reader() noexcept = default;
    constexpr explicit pb_reader(byte_view b) noexcept : cur_(b) {}

    [[nodiscard]] pb_error error() const noexcept { return cur_.error(); }
    [[nodiscard]] bool ok() const noexcept { return cur_.ok(); }
    [[nodiscard]] std::size_t offset() const noexcept { return cur_.offset(); }

    bool next(pb_field& f) noexcept
    {
        if (cur_.at_end()) {
            return false;
        }
        if (!read_key(f.number, f.type)) {
            return false;
        }
        return read_value(f);
    }

private:
    bool read_key(std::uint32_t& number, wire_type& type) noexcept
    {
        std::uint64_t const key = pb_read_varint(cur_);
        if (!cur_.ok()) {
            return false;
        }
        if (key > 0xffffffffu) {
            cur_.fail(pb_error::bad_key);
            return false;
        }
        unsigned const wt = static_cast<unsigned>(key & 7u);
        if (wt > 5) {
            cur_.fail(pb_error::bad_wire_type);
            return false;
        }
        number = static_cast<std::uint32_t>(key >> 3);
        if (number == 0) {
            cur_.fail(pb_error::field_zero);
            return false;
        }
        type = static_cast<wire_type>(wt);
        return true;
    }

    bool read_value(pb_field& f) noexcept
    {
        switch (f.type) {
        case wire_type::varint:
            f.value = pb_read_varint(cur_);
            break;
        case wire_type::fixed64:
            f.value = cur_.le64(pb_error::truncated_fixed);
            break;
        case wire_type::fixed32:
            f.value = cur_.le32(pb_error::truncated_fixed);
            break;
        case wire_type::len: {
            std::uint64_t const n = pb_read_varint(cur_);
            if (!cur_.ok()) {
                return false;
            }
            if (n > cur_.remaining()) {
                cur_.fail(pb_error::truncated_length);
                return false;
            }
            f.bytes = cur_.take(static_cast<std::size_t>(n), pb_error::truncated_length);
            break;
        }
        case wire_type::start_group:
            return skip_group(f);
        case wire_type::end_group:
            // Only skip_group consumes end keys; one seen here was never opened.
            cur_.fail(pb_error::group_mismatch);
            return false;
        }
        return cur_.ok();
    }

    // Skips to the end key that closes f.number, iteratively with a bounded stack.
    bool skip_group(pb_field& f) noexcept
    {
        std::array<std::uint32_t, pb_max_group_depth> open{};
        unsigned depth = 0;
        open[depth++] = f.number;
        const std::uint8_t* const start = cur_.data();
        while (depth > 0) {
            if (cur_.at_end()) {
                cur_.fail(pb_error::group_unterminated);
                return false;
            }
            const std::uint8_t* const key_at = cur_.data();
            pb_field g;
            if (!read_key(g.number, g.type)) {
                return false;
            }
            if (g.type == wire_type::end_group) {
                if (g.number != open[depth - 1]) {
                    cur_.fail(pb_error::group_mismatch);
                    return false;
                }
                --depth;
                if (depth == 0) {
                    f.bytes = byte_view{start, static_cast<std::size_t>(key_at - start)};
                }
                continue;
            }
            if (g.type == wire_type::start_group) {
                if (depth == pb_max_group_depth) {
                    cur_.fail(pb_error::group_too_deep);
                    return false;
                }
                open[depth++] = g.number;
                continue;
            }
            if (!read_value(g)) {
                return false;
            }
        }
        return true;
    }

    pb_cursor cur_;
};

// ---------------------------------------------------------------------------------------
// Writer. A sink is core::out_buffer (writes, sticky overflow) or size_counter (counts).

class size_counter {
public:
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    [[nodiscard]] bool ok() const noexcept { return true; }
    void put(std::uint8_t) noexcept { ++n_; }
    void put(byte_view b) noexcept { n_ += b.size(); }
    void put_le32(std::uint32_t) noexcept { n_ += 4; }
    void put_le64(std::uint64_t) noexcept { n_ += 8; }

private:
    std::size_t n_ = 0;
};

constexpr std::size_t pb_varint_size(std::uint64_t v) noexcept
{
    // 1 + floor(log2(v|1) / 7) without a loop.
    return static_cast<std::size_t>((64 - std::countl_zero(v | 1) + 6) / 7);
}

constexpr std::size_t pb_key_size(std::uint32_t number) noexcept
{
    return pb_varint_size(std::uint64_t{number} << 3);
}

template <class Sink> inline void pb_put_varint(Sink& s, std::uint64_t v) noexcept
{
    if (v < 0x80) {
        s.put(static_cast<std::uint8_t>(v));
        return;
    }
    std::uint8_t tmp[10];
    std::size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = static_cast<std::uint8_t>(v);
    s.put(byte_view{tmp, n});
}

template <class Sink> inline void pb_put_key(Sink& s, std::uint32_t number, wire_type t) noexcept
{
    pb_put_varint(s, (std::uint64_t{number} << 3) | static_cast<std::uint64_t>(t));
}

template <class Sink>
inline void pb_put_uint(Sink& s, std::uint32_t number, std::uint64_t v) noexcept
{
    pb_put_key(s, number, wire_type::varint);
    pb_put_varint(s, v);
}

// int32/int64/enum: negative values are sign-extended to 64 bits (10 bytes), as protobuf does.
template <class Sink> inline void pb_put_int(Sink& s, std::uint32_t number, std::int64_t v) noexcept
{
    pb_put_uint(s, number, static_cast<std::uint64_t>(v));
}

template <class Sink>
inline void pb_put_fixed32(Sink& s, std::uint32_t number, std::uint32_t v) noexcept
{
    pb_put_key(s, number, wire_type::fixed32);
    s.put_le32(v);
}

template <class Sink>
inline void pb_put_fixed64(Sink& s, std::uint32_t number, std::uint64_t v) noexcept
{
    pb_put_key(s, number, wire_type::fixed64);
    s.put_le64(v);
}

template <class Sink> inline void pb_put_double(Sink& s, std::uint32_t number, double v) noexcept
{
    pb_put_fixed64(s, number, std::bit_cast<std::uint64_t>(v));
}

template <class Sink> inline void pb_put_bytes(Sink& s, std::uint32_t number, byte_view b) noexcept
{
    pb_put_key(s, number, wire_type::len);
    pb_put_varint(s, b.size());
    s.put(b);
}

// Writes key + length for a nested message whose exact size the caller computed (with a
// size_counter pass). The caller then writes the body.
template <class Sink>
inline void pb_put_len_prefix(Sink& s, std::uint32_t number, std::size_t len) noexcept
{
    pb_put_key(s, number, wire_type::len);
    pb_put_varint(s, len);
}

// The other strategy for nested messages: reserve the widest length prefix (5 bytes covers
// any length a 32-bit size can have), write the body, then move it back over the unused
// prefix bytes. Used where computing the size first would mean walking the body twice.
class pb_nested {
public:
    pb_nested(core::out_buffer& out, std::uint32_t number) noexcept : out_(out)
    {
        pb_put_key(out_, number, wire_type::len);
        len_at_ = out_.size();
        out_.reserve(5);
    }

    // Finishes the prefix; returns false if the buffer overflowed.
    bool finish() noexcept
    {
        if (!out_.ok()) {
            return false;
        }
        std::size_t const body_at = len_at_ + 5;
        std::size_t const body_len = out_.size() - body_at;
        std::size_t const w = pb_varint_size(body_len);
        std::uint8_t* const base = out_.begin();
        std::uint8_t* p = base + len_at_;
        std::uint64_t v = body_len;
        for (std::size_t i = 0; i + 1 < w; ++i) {
            *p++ = static_cast<std::uint8_t>(v | 0x80);
            v >>= 7;
        }
        *p++ = static_cast<std::uint8_t>(v);
        if (w < 5) {
            std::memmove(p, base + body_at, body_len);
            out_.rewind(len_at_ + w + body_len);
        }
        return true;
    }

private:
    core::out_buffer& out_;
    std::size_t len_at_ = 0;
};

} // namespace siehub::nmsg
