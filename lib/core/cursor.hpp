// SPDX-License-Identifier: Apache-2.0
#pragma once
// A sticky-error wire cursor (after Knot DNS's wire_ctx): every read checks what remains;
// the first failure records a reason and parks the cursor at the end, so later reads return
// zeros and callers test once, after a group of reads, instead of after each one.

#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"

namespace siehub::core {

// Err is an enum whose value-initialised state (0) means "no error".
template <class Err>
class wire_cursor {
public:
    constexpr wire_cursor() noexcept = default;
    constexpr explicit wire_cursor(byte_view b) noexcept
        : begin_(b.data()), pos_(b.data()), end_(b.data() + b.size())
    {
    }

    [[nodiscard]] bool ok() const noexcept { return err_ == Err{}; }
    [[nodiscard]] Err error() const noexcept { return err_; }
    [[nodiscard]] std::size_t offset() const noexcept { return static_cast<std::size_t>(pos_ - begin_); }
    [[nodiscard]] std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - pos_); }
    [[nodiscard]] bool at_end() const noexcept { return pos_ == end_; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return pos_; }
    [[nodiscard]] byte_view whole() const noexcept
    {
        return {begin_, static_cast<std::size_t>(end_ - begin_)};
    }
    [[nodiscard]] byte_view rest() const noexcept { return {pos_, remaining()}; }

    // Records the first error only; parks the cursor so that nothing more is read.
    void fail(Err e) noexcept
    {
        if (ok()) {
            err_ = e;
        }
        pos_ = end_;
    }

    // True when n bytes remain; otherwise fails with `e` and returns false.
    bool need(std::size_t n, Err e) noexcept
    {
        if (remaining() >= n) [[likely]] {
            return true;
        }
        fail(e);
        return false;
    }

    std::uint8_t u8(Err e) noexcept
    {
        if (!need(1, e)) {
            return 0;
        }
        return *pos_++;
    }

    std::uint16_t be16(Err e) noexcept
    {
        if (!need(2, e)) {
            return 0;
        }
        auto v = load_be16(pos_);
        pos_ += 2;
        return v;
    }

    std::uint32_t be32(Err e) noexcept
    {
        if (!need(4, e)) {
            return 0;
        }
        auto v = load_be32(pos_);
        pos_ += 4;
        return v;
    }

    std::uint32_t le32(Err e) noexcept
    {
        if (!need(4, e)) {
            return 0;
        }
        auto v = load_le32(pos_);
        pos_ += 4;
        return v;
    }

    std::uint64_t le64(Err e) noexcept
    {
        if (!need(8, e)) {
            return 0;
        }
        auto v = load_le64(pos_);
        pos_ += 8;
        return v;
    }

    // A view of the next n bytes (empty on failure).
    byte_view take(std::size_t n, Err e) noexcept
    {
        if (!need(n, e)) {
            return {};
        }
        byte_view v{pos_, n};
        pos_ += n;
        return v;
    }

    void skip(std::size_t n, Err e) noexcept
    {
        if (need(n, e)) {
            pos_ += n;
        }
    }

    // Moves to an absolute offset within the whole view (for DNS compression pointers).
    void seek(std::size_t off, Err e) noexcept
    {
        if (off > static_cast<std::size_t>(end_ - begin_)) {
            fail(e);
            return;
        }
        pos_ = begin_ + off;
    }

private:
    const std::uint8_t* begin_ = nullptr;
    const std::uint8_t* pos_ = nullptr;
    const std::uint8_t* end_ = nullptr;
    Err err_{};
};

} // namespace siehub::core
