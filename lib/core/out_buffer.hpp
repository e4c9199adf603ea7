// SPDX-License-Identifier: Apache-2.0
#pragma once
// A writer over a caller-given buffer: no allocation; an overflow is sticky (ok() turns
// false and nothing more is written), so a writer fills a fixed TX buffer and tests once.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/bytes.hpp"

namespace siehub::core {

class out_buffer {
public:
    constexpr out_buffer() noexcept = default;
    constexpr explicit out_buffer(byte_span b) noexcept
        : begin_(b.data()), pos_(b.data()), end_(b.data() + b.size())
    {
    }

    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(pos_ - begin_); }
    [[nodiscard]] std::size_t room() const noexcept { return static_cast<std::size_t>(end_ - pos_); }
    [[nodiscard]] std::uint8_t* begin() const noexcept { return begin_; }
    [[nodiscard]] std::uint8_t* pos() const noexcept { return pos_; }
    [[nodiscard]] byte_view written() const noexcept { return {begin_, size()}; }

    // Reserves n bytes and returns where they start, or nullptr (and sticky failure).
    std::uint8_t* reserve(std::size_t n) noexcept
    {
        if (!ok_ || room() < n) {
            ok_ = false;
            return nullptr;
        }
        auto* p = pos_;
        pos_ += n;
        return p;
    }

    void put(std::uint8_t v) noexcept
    {
        if (auto* p = reserve(1)) {
            *p = v;
        }
    }
    void put_be16(std::uint16_t v) noexcept
    {
        if (auto* p = reserve(2)) {
            store_be16(p, v);
        }
    }
    void put_be32(std::uint32_t v) noexcept
    {
        if (auto* p = reserve(4)) {
            store_be32(p, v);
        }
    }
    void put_le32(std::uint32_t v) noexcept
    {
        if (auto* p = reserve(4)) {
            store_le32(p, v);
        }
    }
    void put_le64(std::uint64_t v) noexcept
    {
        if (auto* p = reserve(8)) {
            store_le64(p, v);
        }
    }
    void put(byte_view b) noexcept
    {
        if (b.empty()) {
            return;
        }
        if (auto* p = reserve(b.size())) {
            std::memcpy(p, b.data(), b.size());
        }
    }

    // Truncates back to an earlier size (used to undo a partly written record).
    void rewind(std::size_t to) noexcept
    {
        if (to <= size()) {
            pos_ = begin_ + to;
            ok_ = true;
        }
    }

private:
    std::uint8_t* begin_ = nullptr;
    std::uint8_t* pos_ = nullptr;
    std::uint8_t* end_ = nullptr;
    bool ok_ = true;
};

} // namespace siehub::core
