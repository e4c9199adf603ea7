// SPDX-License-Identifier: Apache-2.0
#pragma once
// Payloads to nmsg units as libnmsg's output writes them (nmsgtool -w / -s): containers of at
// most `limit` bytes with payload CRCs (and sequence fields for UDP streams), optionally
// zlib-compressed; a payload too large for an empty container leaves alone, compressed if
// asked and fragmented if it still does not fit (never libnmsg's headerless form, spec §6).
// Order is kept: a pending container is flushed before an oversized payload, as libnmsg
// does. Shared by siehub-nmsg (files) and siehub-tap (rotating files, UDP re-send).
//
// emit(std::span<const byte_view> units) receives one container, or every fragment of one
// oversized payload together, so a writer that rotates files never splits a fragment set.
// Slow path: the buffers are allocated once, at construction.

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "core/out_buffer.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/zlib.hpp"

namespace siehub::nmsg {

class unit_packer {
public:
    unit_packer(std::size_t limit, bool with_sequence, bool zlib)
        : limit_(limit), with_sequence_(with_sequence), zlib_(zlib), buf_(limit),
          builder_(buf_, limit, with_sequence, zlib), big_(container_size_max),
          packed_(container_size_max + 8192), rng_(std::random_device{}())
    {
        sequence_id_ = (std::uint64_t{rng_()} << 32) | rng_();
    }

    [[nodiscard]] bool empty() const noexcept { return builder_.empty(); }
    [[nodiscard]] std::uint64_t sequence_id() const noexcept { return sequence_id_; }

    // Adds one payload (flushing the pending container first when it is full). False when
    // the payload cannot be written at all (larger than an nmsg container, or zlib failed).
    template <class Emit> bool add(const payload_header& h, byte_view vendor, Emit&& emit)
    {
        auto st = builder_.add(h, vendor);
        if (st == container_builder::add_status::added) {
            return true;
        }
        if (!flush(emit)) {
            return false;
        }
        if (st == container_builder::add_status::full) {
            st = builder_.add(h, vendor);
            if (st != container_builder::add_status::too_large) {
                return st == container_builder::add_status::added;
            }
        }
        return oversized(h, vendor, emit);
    }

    template <class Emit> bool add(const payload_view& p, Emit&& emit)
    {
        payload_header const h{p.vid(),    p.msgtype(),     p.time_sec(), p.time_nsec(),
                               p.source(), p.operator_id(), p.group()};
        return add(h, p.payload().value_or(byte_view{}), emit);
    }

    // Emits the pending container, if any. False only when zlib failed (nothing emitted).
    template <class Emit> bool flush(Emit&& emit)
    {
        if (builder_.empty()) {
            return true;
        }
        byte_view unit = builder_.finish(seq_, sequence_id_);
        builder_.reset();
        next_sequence();
        if (zlib_) {
            auto r = zlib_container(deflater_, unit, packed_);
            if (!r.ok()) {
                return false;
            }
            unit = r.data;
        }
        one_[0] = unit;
        emit(std::span<const byte_view>(one_));
        return true;
    }

private:
    void next_sequence() noexcept
    {
        if (with_sequence_) {
            ++seq_;
        }
    }

    template <class Emit> bool oversized(const payload_header& h, byte_view vendor, Emit& emit)
    {
        container_builder one(big_, container_size_max, with_sequence_, false);
        if (one.add(h, vendor) != container_builder::add_status::added) {
            return false;
        }
        byte_view const unit = one.finish(seq_, sequence_id_);
        next_sequence();
        byte_view body = unit.subspan(header_size);
        if (zlib_) {
            auto r = zlib_container(deflater_, unit, packed_);
            if (!r.ok()) {
                return false;
            }
            if (r.data.size() <= limit_) {
                one_[0] = r.data;
                emit(std::span<const byte_view>(one_));
                return true;
            }
            body = r.data.subspan(header_size);
        }
        fragmenter f(body, zlib_, static_cast<std::uint32_t>(rng_()), limit_);
        frags_.resize(f.count() * limit_);
        views_.clear();
        std::size_t off = 0;
        while (!f.done()) {
            core::out_buffer out(byte_span(frags_.data() + off, limit_));
            if (!f.next(out)) {
                return false;
            }
            views_.emplace_back(frags_.data() + off, out.size());
            off += out.size();
        }
        emit(std::span<const byte_view>(views_));
        return true;
    }

    std::size_t limit_;
    bool with_sequence_;
    bool zlib_;
    std::vector<std::uint8_t> buf_;
    container_builder builder_;
    std::vector<std::uint8_t> big_;
    std::vector<std::uint8_t> packed_;
    std::vector<std::uint8_t> frags_;
    std::vector<byte_view> views_;
    std::array<byte_view, 1> one_{};
    deflater deflater_;
    std::mt19937 rng_;
    std::uint64_t sequence_id_ = 0;
    std::uint32_t seq_ = 0;
};

} // namespace siehub::nmsg
