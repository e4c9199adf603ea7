// SPDX-License-Identifier: Apache-2.0
#pragma once
// A bounded single-producer/single-consumer byte ring that carries payloads (channel, kind,
// NmsgPayload bytes) from a producer thread (a data-plane worker, an input reader) into the
// AXA server thread. The producer never blocks: a full ring refuses the payload and the
// caller counts it. Records are 8-byte aligned; one that does not fit before the end of the
// buffer leaves a skip marker and starts again at offset 0. The consumer is woken through an
// eventfd only when it said it is about to sleep (Dekker-style handshake with seq_cst).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <sys/eventfd.h>
#include <unistd.h>

#include "core/bytes.hpp"

namespace siehub::axa {

class feed_ring {
public:
    // `bytes` is rounded up to a power of two (at least 64 KiB).
    explicit feed_ring(std::size_t bytes)
    {
        std::size_t c = 65536;
        while (c < bytes) {
            c <<= 1;
        }
        buf_.assign(c, 0);
        mask_ = c - 1;
        efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    ~feed_ring()
    {
        if (efd_ >= 0) {
            ::close(efd_);
        }
    }
    feed_ring(const feed_ring&) = delete;
    feed_ring& operator=(const feed_ring&) = delete;

    [[nodiscard]] int event_fd() const noexcept { return efd_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return buf_.size(); }
    // Largest payload a record can carry.
    [[nodiscard]] std::size_t max_payload() const noexcept { return buf_.size() / 2 - hdr; }

    // Producer: false when the ring is full (or the payload larger than max_payload()).
    bool push(std::uint16_t ch, std::uint8_t kind, core::byte_view payload) noexcept
    {
        if (payload.size() > max_payload()) {
            return false;
        }
        std::size_t const need = hdr + ((payload.size() + 7) & ~std::size_t{7});
        std::uint64_t const head = head_.load(std::memory_order_acquire);
        std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        std::size_t off = tail & mask_;
        std::size_t const contiguous = buf_.size() - off;
        std::size_t total = need;
        if (need > contiguous) {
            total += contiguous;
        }
        if (buf_.size() - (tail - head) < total) {
            return false;
        }
        if (need > contiguous) {
            put_header(off, skip, 0, 0);
            tail += contiguous;
            off = 0;
        }
        put_header(off, static_cast<std::uint32_t>(payload.size()), ch, kind);
        if (!payload.empty()) {
            std::memcpy(buf_.data() + off + hdr, payload.data(), payload.size());
        }
        tail_.store(tail + need, std::memory_order_release);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (sleeping_.load(std::memory_order_relaxed)) {
            std::uint64_t one = 1;
            [[maybe_unused]] auto r = ::write(efd_, &one, sizeof one);
        }
        return true;
    }

    // Consumer: calls f(ch, kind, byte_view) for up to `max` records; returns how many.
    template <class F> std::size_t drain(F&& f, std::size_t max = ~std::size_t{0})
    {
        std::size_t n = 0;
        std::uint64_t head = head_.load(std::memory_order_relaxed);
        while (n < max) {
            std::uint64_t const tail = tail_.load(std::memory_order_acquire);
            if (head == tail) {
                break;
            }
            while (head != tail && n < max) {
                std::size_t const off = head & mask_;
                std::uint32_t len;
                std::memcpy(&len, buf_.data() + off, 4);
                if (len == skip) {
                    head += buf_.size() - off;
                    continue;
                }
                std::uint16_t ch;
                std::memcpy(&ch, buf_.data() + off + 4, 2);
                std::uint8_t const kind = buf_[off + 6];
                f(ch, kind, core::byte_view{buf_.data() + off + hdr, len});
                head += hdr + ((std::size_t{len} + 7) & ~std::size_t{7});
                ++n;
            }
            head_.store(head, std::memory_order_release);
        }
        head_.store(head, std::memory_order_release);
        return n;
    }

    // Consumer, before it waits: true when it may sleep (the ring is empty and producers
    // will signal the eventfd); call awake() after the wait.
    bool prepare_sleep() noexcept
    {
        sleeping_.store(true, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (tail_.load(std::memory_order_acquire) != head_.load(std::memory_order_relaxed)) {
            sleeping_.store(false, std::memory_order_relaxed);
            return false;
        }
        return true;
    }
    void awake() noexcept
    {
        sleeping_.store(false, std::memory_order_relaxed);
        std::uint64_t v;
        [[maybe_unused]] auto r = ::read(efd_, &v, sizeof v);
    }
    [[nodiscard]] bool empty() const noexcept
    {
        return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_acquire);
    }

private:
    static constexpr std::size_t hdr = 8;
    static constexpr std::uint32_t skip = 0xFFFFFFFF;

    void put_header(std::size_t off, std::uint32_t len, std::uint16_t ch, std::uint8_t kind) noexcept
    {
        std::memcpy(buf_.data() + off, &len, 4);
        std::memcpy(buf_.data() + off + 4, &ch, 2);
        buf_[off + 6] = kind;
        buf_[off + 7] = 0;
    }

    std::vector<std::uint8_t> buf_;
    std::size_t mask_ = 0;
    int efd_ = -1;
    alignas(64) std::atomic<std::uint64_t> head_{0};
    alignas(64) std::atomic<std::uint64_t> tail_{0};
    alignas(64) std::atomic<bool> sleeping_{false};
};

} // namespace siehub::axa
