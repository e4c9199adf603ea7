// SPDX-License-Identifier: Apache-2.0
#pragma once
// What counts as sensor traffic, and how much of it one sender may send.
//
// ingest_match: UDP to one of `[ingest] udp_ports`, and, when `[ingest] addresses` lists any,
// to one of those addresses or prefixes. Everything else is not ingest (the exception path).
//
// sender_limiter (`[ingest] sender_rate`, `sender_burst`): a token bucket per sender (source
// address and port) in payloads per second, checked once per container before any payload is
// decoded, so one flooding sensor costs a hash lookup per datagram and cannot crowd the others
// out. Buckets live in a fixed direct-mapped table (no allocation): a sender that lands on a
// slot held by another takes it over with a full bucket, so the limit is exact for up to a few
// thousand senders per worker and never blocks a sender that is within it. With RSS one sender
// always reaches the same worker; without it each worker applies the limit on its share.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "proto/net/packet.hpp"

namespace siehub::dataplane {

struct ingest_prefix {
    std::uint8_t family = 4; // 4 or 6
    std::array<std::uint8_t, 16> address{};
    std::uint8_t length = 32;

    [[nodiscard]] bool contains(const net::ip_address& a) const noexcept
    {
        if (a.family != family) {
            return false;
        }
        unsigned const whole = length / 8u;
        if (std::memcmp(a.bytes.data(), address.data(), whole) != 0) {
            return false;
        }
        unsigned const rest = length % 8u;
        if (rest == 0) {
            return true;
        }
        auto const mask = static_cast<std::uint8_t>(0xff00u >> rest);
        return ((a.bytes[whole] ^ address[whole]) & mask) == 0;
    }
};

struct ingest_match {
    std::vector<std::uint16_t> ports{8430};
    std::vector<ingest_prefix> addresses; // empty: any destination

    [[nodiscard]] bool matches(const net::udp_packet& u) const noexcept
    {
        bool port = false;
        for (auto p : ports) {
            port |= p == u.dst_port;
        }
        if (!port) {
            return false;
        }
        if (addresses.empty()) {
            return true;
        }
        for (auto const& a : addresses) {
            if (a.contains(u.dst)) {
                return true;
            }
        }
        return false;
    }
};

class sender_limiter {
public:
    static constexpr std::size_t slots = 4096;

    sender_limiter(std::uint32_t rate, std::uint32_t burst, std::uint64_t tsc_hz)
        : rate_per_tick_(static_cast<double>(rate) / static_cast<double>(tsc_hz)),
          depth_(burst != 0 ? burst : rate), on_(rate != 0)
    {
        if (on_) {
            table_.resize(slots);
        }
    }

    [[nodiscard]] bool enabled() const noexcept { return on_; }

    // Takes `payloads` tokens from the sender's bucket; false (and nothing taken) when it has
    // fewer. A container larger than the whole bucket is admitted only from a full bucket.
    bool admit(const net::ip_address& addr, std::uint16_t port, std::uint32_t payloads,
               std::uint64_t tsc) noexcept
    {
        if (!on_) {
            return true;
        }
        std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ port;
        for (std::size_t i = 0; i < 16; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, addr.bytes.data() + i, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdULL;
            h ^= h >> 33;
        }
        bucket& b = table_[h & (slots - 1)];
        if (!b.used || b.port != port || b.addr != addr.bytes) {
            b = bucket{addr.bytes, port, true, depth_, tsc};
        } else {
            b.tokens = std::min(depth_, b.tokens + static_cast<double>(tsc - b.last) * rate_per_tick_);
            b.last = tsc;
        }
        double const need = std::min<double>(payloads, depth_);
        if (b.tokens < need) {
            return false;
        }
        b.tokens -= need;
        return true;
    }

private:
    struct bucket {
        std::array<std::uint8_t, 16> addr{};
        std::uint16_t port = 0;
        bool used = false;
        double tokens = 0;
        std::uint64_t last = 0;
    };
    double rate_per_tick_;
    double depth_;
    bool on_;
    std::vector<bucket> table_;
};

} // namespace siehub::dataplane
