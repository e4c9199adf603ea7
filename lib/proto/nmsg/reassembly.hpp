// SPDX-License-Identifier: Apache-2.0
#pragma once
// Fragment reassembly (spec nmsg.md §6), a slow-path object: it allocates, but every
// allocation is bounded (fragments per set, bytes per set, live sets, bytes in all sets).
// Unlike libnmsg it checks current ≤ last, a consistent `last`, and the CRC.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "proto/nmsg/container.hpp"

namespace siehub::nmsg {

struct frag_key {
    std::uint32_t id = 0;
    std::uint32_t crc = 0;
    bool has_crc = false;
    std::array<std::uint8_t, 16> addr{};
    std::uint16_t port = 0;

    auto operator<=>(const frag_key&) const = default;
};

enum class reasm_reason : std::uint8_t {
    none = 0,
    completed,           // a set completed (not a drop)
    malformed,           // the fragment body did not parse / lacked a required field
    last_too_large,      // `last` beyond max_fragments - 1
    current_beyond_last, // current > last
    last_mismatch,       // `last` differs from the set's first fragment
    duplicate,           // this `current` was already received (ignored)
    set_too_large,       // the set's bytes would pass max_set_bytes (set dropped)
    too_many_sets,       // max_sets sets or max_total_bytes already held
    timeout,             // an incomplete set older than the timeout was discarded
    crc_mismatch,        // reassembled bytes do not match the fragment crc (set dropped)
    count_,
};

constexpr std::string_view to_string(reasm_reason r) noexcept
{
    switch (r) {
    case reasm_reason::none:
        return "none";
    case reasm_reason::completed:
        return "completed";
    case reasm_reason::malformed:
        return "malformed";
    case reasm_reason::last_too_large:
        return "last_too_large";
    case reasm_reason::current_beyond_last:
        return "current_beyond_last";
    case reasm_reason::last_mismatch:
        return "last_mismatch";
    case reasm_reason::duplicate:
        return "duplicate";
    case reasm_reason::set_too_large:
        return "set_too_large";
    case reasm_reason::too_many_sets:
        return "too_many_sets";
    case reasm_reason::timeout:
        return "timeout";
    case reasm_reason::crc_mismatch:
        return "crc_mismatch";
    case reasm_reason::count_:
        break;
    }
    return "unknown";
}

struct reasm_config {
    std::uint32_t max_fragments = 4096;         // last ≤ max_fragments - 1
    std::size_t max_set_bytes = 1048576 + 4096; // a 1 MiB container, compressed overhead
    std::size_t max_sets = 64;
    std::size_t max_total_bytes = 16u << 20;
    std::uint64_t timeout_ms = 30000;
};

struct reasm_result {
    enum class status : std::uint8_t { pending, complete, dropped };
    status st = status::pending;
    reasm_reason reason = reasm_reason::none;
    bool zlib = false; // flags of the datagram that completed the set had 0x01
    byte_view body;    // complete: the reassembled container body, valid until next offer()
};

class reassembler {
public:
    explicit reassembler(reasm_config cfg = {}) : cfg_(cfg) {}

    // Offers one fragment datagram's body (the header was already parsed: flags carry 0x02).
    reasm_result offer(byte_view fragment_body, std::uint8_t flags,
                       const std::array<std::uint8_t, 16>& addr, std::uint16_t port,
                       std::uint64_t now_ms);

    // Discards sets older than the timeout; returns how many.
    std::size_t expire(std::uint64_t now_ms);

    [[nodiscard]] std::uint64_t count(reasm_reason r) const noexcept
    {
        return counters_[static_cast<std::size_t>(r)];
    }
    [[nodiscard]] std::size_t sets() const noexcept { return sets_.size(); }
    [[nodiscard]] std::size_t bytes_held() const noexcept { return total_bytes_; }

private:
    struct frag_set {
        std::uint32_t last = 0;
        std::uint32_t received = 0;
        std::size_t bytes = 0;
        std::uint64_t first_ms = 0;
        std::vector<std::vector<std::uint8_t>> parts;
        std::vector<bool> have;
    };

    reasm_result drop(reasm_reason r) noexcept
    {
        ++counters_[static_cast<std::size_t>(r)];
        return {reasm_result::status::dropped, r, false, {}};
    }
    void erase(std::map<frag_key, frag_set>::iterator it);

    reasm_config cfg_;
    std::map<frag_key, frag_set> sets_;
    std::size_t total_bytes_ = 0;
    std::vector<std::uint8_t> assembled_;
    std::array<std::uint64_t, static_cast<std::size_t>(reasm_reason::count_)> counters_{};
};

} // namespace siehub::nmsg
