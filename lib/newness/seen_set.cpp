// SPDX-License-Identifier: Apache-2.0
#include "newness/seen_set.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace siehub::newness {

seen_table::seen_table(std::size_t capacity, bool with_days, unsigned fingerprint_bits)
    : fp_bits_(fingerprint_bits), with_days_(with_days)
{
    if (fingerprint_bits < 8 || fingerprint_bits > 64) {
        throw std::invalid_argument("seen_table: fingerprint bits must be 8..64");
    }
    fp_mask_ = fingerprint_bits == 64 ? ~0ULL : ((1ULL << fingerprint_bits) - 1);
    resize_raw(buckets_for(capacity));
}

std::size_t seen_table::buckets_for(std::size_t names) noexcept
{
    auto const slots = static_cast<std::size_t>(static_cast<double>(names) / max_load) + 1;
    return std::max<std::size_t>(2, (slots + bucket_slots - 1) / bucket_slots);
}

void seen_table::resize_raw(std::size_t buckets)
{
    buckets_ = std::max<std::size_t>(buckets, 2);
    slots_.assign(buckets_ * bucket_slots, 0);
    days_.assign(with_days_ ? buckets_ * bucket_slots : 0, 0);
    count_ = 0;
    limit_ = static_cast<std::size_t>(static_cast<double>(slots_.size()) * max_load);
}

std::size_t seen_table::recount() noexcept
{
    count_ = static_cast<std::size_t>(
        std::count_if(slots_.begin(), slots_.end(), [](std::uint64_t s) { return s != 0; }));
    return count_;
}

std::size_t seen_table::find_slot(std::uint64_t fp, bool& found) const noexcept
{
    std::size_t b = bucket_of(fp);
    for (std::size_t visited = 0; visited < buckets_; ++visited) {
        std::uint64_t const* s = &slots_[b * bucket_slots];
        for (std::size_t i = 0; i < bucket_slots; ++i) {
            if (s[i] == fp) {
                found = true;
                return b * bucket_slots + i;
            }
            if (s[i] == 0) {
                found = false;
                return b * bucket_slots + i;
            }
        }
        b = b + 1 == buckets_ ? 0 : b + 1;
    }
    found = false;
    return slots_.size();
}

bool seen_table::contains(std::uint64_t hash) const noexcept
{
    bool found = false;
    (void)find_slot(fingerprint(hash), found);
    return found;
}

void seen_table::grow()
{
    std::vector<std::uint64_t> old_slots = std::move(slots_);
    std::vector<std::uint16_t> old_days = std::move(days_);
    std::size_t const nb = buckets_ + buckets_ / 2 + 1;
    resize_raw(nb);
    for (std::size_t i = 0; i < old_slots.size(); ++i) {
        std::uint64_t const fp = old_slots[i];
        if (fp == 0) {
            continue;
        }
        bool found = false;
        std::size_t const at = find_slot(fp, found);
        slots_[at] = fp;
        if (with_days_) {
            days_[at] = old_days[i];
        }
        ++count_;
    }
    ++grows_;
}

bool seen_table::insert(std::uint64_t hash)
{
    std::uint64_t const fp = fingerprint(hash);
    bool found = false;
    std::size_t at = find_slot(fp, found);
    if (found) {
        return false;
    }
    if (count_ + 1 > limit_) {
        grow();
        at = find_slot(fp, found);
    }
    slots_[at] = fp;
    ++count_;
    return true;
}

seen_table::touch_result seen_table::touch(std::uint64_t hash, std::uint16_t day)
{
    std::uint64_t const fp = fingerprint(hash);
    bool found = false;
    std::size_t at = find_slot(fp, found);
    if (found) {
        touch_result r{false, days_[at]};
        days_[at] = std::max(days_[at], day);
        return r;
    }
    if (count_ + 1 > limit_) {
        grow();
        at = find_slot(fp, found);
    }
    slots_[at] = fp;
    days_[at] = day;
    ++count_;
    return {true, 0};
}

bool seen_table::raise_day(std::uint64_t hash, std::uint16_t day) noexcept
{
    bool found = false;
    std::size_t const at = find_slot(fingerprint(hash), found);
    if (!found) {
        return false;
    }
    days_[at] = std::max(days_[at], day);
    return true;
}

} // namespace siehub::newness
