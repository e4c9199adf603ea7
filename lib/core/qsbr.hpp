// SPDX-License-Identifier: Apache-2.0
#pragma once
// Quiescent-state-based reclamation (QSBR) of immutable generations, as DPDK's rte_rcu_qsbr
// does it, without DPDK so it runs in unit tests and under ASan. A control thread builds a new
// T, publishes it with release semantics and retires the old one; readers (data-plane workers)
// pick the new one up at their next acquire load; a retired T is freed once every online
// reader has passed a quiescent point after the swap.
//
// Reader loop (reader w):
//     const T* g = pub.current();   // one acquire load per burst / loop iteration
//     ... use *g ...
//     pub.quiescent(w);             // no pointer read before this survives it
// A reader that stops polling (idle, shutting down) calls offline(w) so it does not hold
// reclamation back, and online(w) before it reads current() again.
// Control thread:
//     pub.publish(std::make_unique<T>(...));
//     pub.reclaim();                // now or later: frees what is safe to free
//
// If T has a `serial` member (an unsigned integer), publish() numbers it: 1 for the initial
// one, then 2, 3, ...

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace siehub::core {

template <class T> class qsbr_publisher {
public:
    // Starts with `initial` current; every reader starts online (call offline(w) for readers
    // that have not started polling yet).
    qsbr_publisher(unsigned n_readers, std::unique_ptr<T> initial)
        : n_(n_readers), slots_(std::make_unique<slot[]>(n_readers))
    {
        number(*initial, ++serial_);
        current_.store(initial.release(), std::memory_order_release);
    }
    qsbr_publisher(const qsbr_publisher&) = delete;
    qsbr_publisher& operator=(const qsbr_publisher&) = delete;
    ~qsbr_publisher() { delete current_.load(std::memory_order_acquire); } // readers stopped

    // ---- reader side: wait-free, no allocation ----
    [[nodiscard]] const T* current() const noexcept
    {
        return current_.load(std::memory_order_acquire);
    }
    void quiescent(unsigned reader) noexcept
    {
        // Reading the epoch (acquire) orders every later current() after the swap it counts;
        // the release store orders every earlier use of an old generation before the thread
        // that frees it.
        slots_[reader].seen.store(epoch_.load(std::memory_order_acquire),
                                  std::memory_order_release);
    }
    void offline(unsigned reader) noexcept
    {
        slots_[reader].seen.store(offline_mark, std::memory_order_release);
    }
    void online(unsigned reader) noexcept
    {
        // Coming back from offline, reclaim may have skipped this reader after the last swap;
        // seq_cst store-then-reload makes sure the epoch we announce is one whose generation
        // our next current() will see (rte_rcu_qsbr_thread_online does the same).
        std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
        for (;;) {
            slots_[reader].seen.store(e, std::memory_order_seq_cst);
            std::uint64_t const again = epoch_.load(std::memory_order_seq_cst);
            if (again == e) {
                break;
            }
            e = again;
        }
    }

    // ---- control side (any thread; serialised internally, readers never take the lock) ----
    // Swaps in `next` and retires the previous generation. Returns next's serial.
    std::uint64_t publish(std::unique_ptr<T> next)
    {
        std::lock_guard lock(control_mu_);
        std::uint64_t const serial = ++serial_;
        number(*next, serial);
        const T* old = current_.exchange(next.release(), std::memory_order_seq_cst);
        // A reader that reads this epoch (or a later one) in quiescent() will only see `next`
        // or newer from then on.
        std::uint64_t const e = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
        retired_.push_back({std::unique_ptr<const T>(old), e});
        return serial;
    }
    // Frees retired generations every online reader has passed. Returns how many were freed.
    std::size_t reclaim()
    {
        std::vector<std::unique_ptr<const T>> doomed;
        {
            std::lock_guard lock(control_mu_);
            std::uint64_t min_seen = offline_mark;
            for (std::size_t w = 0; w < n_; ++w) {
                min_seen = std::min(min_seen, slots_[w].seen.load(std::memory_order_seq_cst));
            }
            auto keep = retired_.begin();
            for (auto& r : retired_) {
                if (r.epoch <= min_seen) {
                    doomed.push_back(std::move(r.gen));
                } else {
                    *keep++ = std::move(r);
                }
            }
            retired_.erase(keep, retired_.end());
        }
        return doomed.size(); // destroyed here, outside the lock
    }
    // Retired generations not yet freed.
    [[nodiscard]] std::size_t pending() const
    {
        std::lock_guard lock(control_mu_);
        return retired_.size();
    }
    // Serial of the last generation published (the initial one is 1).
    [[nodiscard]] std::uint64_t last_serial() const
    {
        std::lock_guard lock(control_mu_);
        return serial_;
    }
    [[nodiscard]] unsigned readers() const noexcept { return static_cast<unsigned>(n_); }

private:
    static constexpr std::uint64_t offline_mark = ~std::uint64_t{0};

    static void number(T& g, std::uint64_t serial) noexcept
    {
        if constexpr (requires { g.serial = serial; }) {
            g.serial = serial;
        }
    }

    struct alignas(64) slot {
        std::atomic<std::uint64_t> seen{0};
    };
    struct retired {
        std::unique_ptr<const T> gen;
        std::uint64_t epoch; // free once every online reader has seen >= epoch
    };

    std::size_t n_;
    std::unique_ptr<slot[]> slots_;
    alignas(64) std::atomic<const T*> current_{nullptr};
    alignas(64) std::atomic<std::uint64_t> epoch_{0};
    mutable std::mutex control_mu_; // control threads only
    std::vector<retired> retired_;
    std::uint64_t serial_ = 0;
};

} // namespace siehub::core
