// SPDX-License-Identifier: Apache-2.0
#pragma once
// zlib container bodies (flag 0x01, spec nmsg.md §4): a big-endian u32 uncompressed length,
// then an RFC 1950 stream. Slow path: the inflater/deflater own a z_stream (zlib allocates
// its window once) and are reset per body; output always goes to a caller buffer.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/bytes.hpp"
#include "core/out_buffer.hpp"
#include "proto/nmsg/container.hpp"

namespace siehub::nmsg {

// libnmsg never produces more than its largest container (1 MiB).
inline constexpr std::size_t zlib_max_inflated = 1048576;

enum class zlib_error : std::uint8_t {
    none = 0,
    short_body,       // fewer than 4 bytes
    too_large,        // stated length above the bound
    buffer_too_small, // caller buffer smaller than the stated length
    bad_stream,       // zlib reported a data or stream error
    wrong_length,     // stream ended before filling the stated length, or did not end there
    init_failed,      // zlib could not initialise (out of memory)
    overflow,         // deflate: output buffer too small
};

constexpr std::string_view to_string(zlib_error e) noexcept
{
    switch (e) {
    case zlib_error::none:
        return "none";
    case zlib_error::short_body:
        return "short_body";
    case zlib_error::too_large:
        return "too_large";
    case zlib_error::buffer_too_small:
        return "buffer_too_small";
    case zlib_error::bad_stream:
        return "bad_stream";
    case zlib_error::wrong_length:
        return "wrong_length";
    case zlib_error::init_failed:
        return "init_failed";
    case zlib_error::overflow:
        return "overflow";
    }
    return "unknown";
}

struct zlib_result {
    zlib_error error = zlib_error::none;
    core::byte_view data; // inflated container or deflated body, inside the caller buffer

    [[nodiscard]] bool ok() const noexcept { return error == zlib_error::none; }
};

// The stated uncompressed length of a zlib body (0 if shorter than 4 bytes).
std::uint32_t zlib_stated_length(core::byte_view body) noexcept;

class inflater {
public:
    inflater();
    ~inflater();
    inflater(const inflater&) = delete;
    inflater& operator=(const inflater&) = delete;
    inflater(inflater&&) noexcept;
    inflater& operator=(inflater&&) noexcept;

    // Inflates into `out`; the stream must end exactly at the stated length, which must be
    // ≤ `max_len` (default 1 MiB) and ≤ out.size().
    zlib_result inflate(core::byte_view body, core::byte_span out,
                        std::size_t max_len = zlib_max_inflated) noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

class deflater {
public:
    explicit deflater(int level = -1); // Z_DEFAULT_COMPRESSION, as libnmsg (header 78 9c)
    ~deflater();
    deflater(const deflater&) = delete;
    deflater& operator=(const deflater&) = delete;
    deflater(deflater&&) noexcept;
    deflater& operator=(deflater&&) noexcept;

    // Writes u32 length + zlib stream of `in` into `out`.
    zlib_result deflate(core::byte_view in, core::byte_span out) noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Compresses a finished unit (header + Nmsg) into a 0x01 unit in `out`: header (flags 0x01)
// + u32 length + zlib stream. Never the headerless form libnmsg sometimes sends (§6).
zlib_result zlib_container(deflater& d, core::byte_view unit, core::byte_span out) noexcept;

// Sends one overfull container (a payload too big for a `limit`-byte datagram) the way
// spec §6 asks, calling emit(byte_view datagram) per datagram:
// * zlib off: fragments with flags 0x02;
// * zlib on: the container is compressed first; if the compressed unit fits in one datagram
//   it leaves as a normal 0x01 container (never libnmsg's headerless form), otherwise as
//   fragments with flags 0x03.
// `unit` is the finished unit (header + Nmsg); `scratch` holds the compressed body and
// `dgram` one datagram (≥ limit bytes). Returns false if a buffer was too small.
template <class Emit>
bool send_overfull(core::byte_view unit, std::size_t limit, deflater* z, std::uint32_t id,
                   core::byte_span scratch, core::byte_span dgram, Emit&& emit)
{
    core::byte_view body = unit.subspan(header_size);
    if (z != nullptr) {
        auto r = zlib_container(*z, unit, scratch);
        if (!r.ok()) {
            return false;
        }
        if (r.data.size() <= limit) {
            emit(r.data);
            return true;
        }
        body = r.data.subspan(header_size);
    }
    fragmenter f(body, z != nullptr, id, limit);
    while (!f.done()) {
        core::out_buffer out(dgram.first(limit < dgram.size() ? limit : dgram.size()));
        if (!f.next(out)) {
            return false;
        }
        emit(out.written());
    }
    return true;
}

} // namespace siehub::nmsg
