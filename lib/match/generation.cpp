// SPDX-License-Identifier: Apache-2.0
#include "match/generation.hpp"

#include <algorithm>

namespace siehub::match {

std::unique_ptr<generation> make_generation(std::span<const rule> rules, action default_action,
                                            unsigned n_workers)
{
    auto g =
        std::make_unique<generation>(generation{database::compile(rules, default_action), {}, 0});
    g->scratches.reserve(n_workers);
    if (n_workers > 0) {
        g->scratches.emplace_back(g->db);
        for (unsigned w = 1; w < n_workers; ++w) {
            g->scratches.push_back(g->scratches.front().clone());
        }
    }
    return g;
}

publisher::publisher(unsigned n_workers, std::unique_ptr<generation> initial)
    : n_(n_workers), slots_(std::make_unique<slot[]>(n_workers))
{
    initial->serial = ++serial_;
    current_.store(initial.release(), std::memory_order_release);
}

publisher::~publisher()
{
    delete current_.load(std::memory_order_acquire);
}

std::uint64_t publisher::publish(std::unique_ptr<generation> next)
{
    std::lock_guard lock(control_mu_);
    next->serial = ++serial_;
    std::uint64_t const serial = next->serial;
    const generation* old = current_.exchange(next.release(), std::memory_order_seq_cst);
    // A worker that reads this epoch (or a later one) in quiescent() will only see `next`
    // or newer from then on.
    std::uint64_t const e = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
    retired_.push_back({std::unique_ptr<const generation>(old), e});
    return serial;
}

std::size_t publisher::reclaim()
{
    std::lock_guard lock(control_mu_);
    std::uint64_t min_seen = offline_mark;
    for (std::size_t w = 0; w < n_; ++w) {
        min_seen = std::min(min_seen, slots_[w].seen.load(std::memory_order_seq_cst));
    }
    auto const before = retired_.size();
    std::erase_if(retired_, [min_seen](const retired& r) { return r.epoch <= min_seen; });
    return before - retired_.size();
}

std::size_t publisher::pending() const
{
    std::lock_guard lock(control_mu_);
    return retired_.size();
}

} // namespace siehub::match
