// SPDX-License-Identifier: Apache-2.0
#include "proto/nmsg/zlib.hpp"

#include <zlib.h>

#include <cstring>

#include "proto/nmsg/container.hpp"

namespace siehub::nmsg {

std::uint32_t zlib_stated_length(core::byte_view body) noexcept
{
    return body.size() < 4 ? 0 : core::load_be32(body.data());
}

struct inflater::impl {
    z_stream zs{};
    bool ready = false;
};

inflater::inflater() : impl_(std::make_unique<impl>())
{
    impl_->ready = inflateInit(&impl_->zs) == Z_OK;
}

inflater::inflater(inflater&&) noexcept = default;
inflater& inflater::operator=(inflater&&) noexcept = default;

inflater::~inflater()
{
    if (impl_ && impl_->ready) {
        inflateEnd(&impl_->zs);
    }
}

zlib_result inflater::inflate(core::byte_view body, core::byte_span out,
                              std::size_t max_len) noexcept
{
    if (body.size() < 4) {
        return {zlib_error::short_body, {}};
    }
    std::uint32_t const len = core::load_be32(body.data());
    if (len > max_len) {
        return {zlib_error::too_large, {}};
    }
    if (len > out.size()) {
        return {zlib_error::buffer_too_small, {}};
    }
    if (!impl_->ready) {
        return {zlib_error::init_failed, {}};
    }
    z_stream& zs = impl_->zs;
    if (inflateReset(&zs) != Z_OK) {
        return {zlib_error::init_failed, {}};
    }
    zs.next_in = const_cast<Bytef*>(body.data() + 4);
    zs.avail_in = static_cast<uInt>(body.size() - 4);
    zs.next_out = out.data();
    zs.avail_out = len;
    int const rc = ::inflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) {
        if (zs.avail_out != 0) {
            return {zlib_error::wrong_length, {}};
        }
        return {zlib_error::none, core::byte_view{out.data(), len}};
    }
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
        // More output than stated (or a stream that never ends within it).
        return {zlib_error::wrong_length, {}};
    }
    if (rc == Z_BUF_ERROR || rc == Z_OK) {
        return {zlib_error::wrong_length, {}}; // input ended before the stream did
    }
    return {zlib_error::bad_stream, {}};
}

struct deflater::impl {
    z_stream zs{};
    bool ready = false;
};

deflater::deflater(int level) : impl_(std::make_unique<impl>())
{
    impl_->ready = deflateInit(&impl_->zs, level) == Z_OK;
}

deflater::deflater(deflater&&) noexcept = default;
deflater& deflater::operator=(deflater&&) noexcept = default;

deflater::~deflater()
{
    if (impl_ && impl_->ready) {
        deflateEnd(&impl_->zs);
    }
}

zlib_result deflater::deflate(core::byte_view in, core::byte_span out) noexcept
{
    if (!impl_->ready) {
        return {zlib_error::init_failed, {}};
    }
    if (in.size() > 0xffffffffu) {
        return {zlib_error::too_large, {}};
    }
    if (out.size() < 4) {
        return {zlib_error::overflow, {}};
    }
    z_stream& zs = impl_->zs;
    if (deflateReset(&zs) != Z_OK) {
        return {zlib_error::init_failed, {}};
    }
    core::store_be32(out.data(), static_cast<std::uint32_t>(in.size()));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data() + 4;
    zs.avail_out = static_cast<uInt>(out.size() - 4);
    int const rc = ::deflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        return {zlib_error::overflow, {}};
    }
    return {zlib_error::none, core::byte_view{out.data(), 4 + zs.total_out}};
}

zlib_result zlib_container(deflater& d, core::byte_view unit, core::byte_span out) noexcept
{
    if (unit.size() < header_size || out.size() < header_size) {
        return {zlib_error::short_body, {}};
    }
    auto r = d.deflate(unit.subspan(header_size), out.subspan(header_size));
    if (!r.ok()) {
        return r;
    }
    // Written in place rather than through an out_buffer: the header slot is known to fit.
    std::uint8_t* h = out.data();
    std::memcpy(h, nmsg_magic, 4);
    h[4] = flag_zlib;
    h[5] = 2;
    core::store_be32(h + 6, static_cast<std::uint32_t>(r.data.size()));
    return {zlib_error::none, core::byte_view{out.data(), header_size + r.data.size()}};
}

} // namespace siehub::nmsg
