// SPDX-License-Identifier: Apache-2.0
#pragma once
// Fixed-size objects that travel between lcores through rings, allocated from rte_mempools
// (no malloc on the fast path):
//  * rrset_record: one in-bailiwick RRset observation, sent to the worker that owns its dedup
//    key (hash of the key picks the owner).
//  * payload_block: one nmsg payload that the slow path inflated or reassembled, re-injected
//    into a worker, with the container's sequence information for loss counting.

#include <array>
#include <cstdint>

#include "core/bytes.hpp"

namespace siehub::dataplane {

inline constexpr std::size_t max_record_key = 2048; // dedup.max_key_bytes upper bound

struct rrset_record {
    std::uint64_t hash = 0;
    std::uint32_t time_sec = 0;
    std::uint32_t time_nsec = 0;
    std::uint32_t ttl = 0;
    std::uint16_t key_len = 0;
    std::uint8_t response_ip_len = 0;
    std::array<std::uint8_t, 16> response_ip{};
    std::array<std::uint8_t, max_record_key> key;

    [[nodiscard]] core::byte_view key_view() const noexcept { return {key.data(), key_len}; }
    [[nodiscard]] core::byte_view response_ip_view() const noexcept
    {
        return {response_ip.data(), response_ip_len};
    }
};

inline constexpr std::size_t max_block_payload = 16384 - 64;

struct payload_block {
    std::array<std::uint8_t, 16> sender_addr{};
    std::uint16_t sender_port = 0;
    std::uint8_t sender_family = 0;
    bool has_sequence = false;      // the first block of a container carries its sequence
    std::uint32_t sequence = 0;
    std::uint64_t sequence_id = 0;
    std::uint32_t len = 0;          // serialized NmsgPayload bytes; 0 = sequence-only marker
    std::array<std::uint8_t, max_block_payload> bytes;

    [[nodiscard]] core::byte_view payload() const noexcept { return {bytes.data(), len}; }
};

} // namespace siehub::dataplane
