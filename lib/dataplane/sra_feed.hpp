// SPDX-License-Identifier: Apache-2.0
#pragma once
// The worker side of serving AXA from the hub (docs/sra.md "Serving from the hub"): every
// payload a worker emits on a channel (already privacy-scrubbed, exactly as the channel carries
// it) is copied into a fixed-size mempool object and queued on this worker's SP/SC rte_ring to
// the AXA server thread (sra_hub.hpp). The worker first reads the channel's bit of the
// "wanted" bitset the server thread publishes (one acquire load): a channel no client has
// switched on costs nothing more. A full ring, an empty pool or a payload larger than an
// object drops it, counted here and charged to the clients as MISSED `missed`.

#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "core/bytes.hpp"
#include "proto/nmsg/container.hpp"
#include "telemetry/counters.hpp"

namespace siehub::dataplane {

enum class sra_counter : std::uint8_t {
    fed,
    drop_ring_full,
    drop_no_buffer,
    drop_too_big,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<sra_counter>>
    sra_counter_table{{
        {"sra.fed", "channel payloads a worker queued to the hub's AXA server thread"},
        {"sra.drop_ring_full",
         "payloads for AXA clients dropped: the worker's ring to the server thread was full "
         "(MISSED missed)"},
        {"sra.drop_no_buffer",
         "payloads for AXA clients dropped: no free payload buffer (MISSED missed)"},
        {"sra.drop_too_big",
         "payloads for AXA clients dropped: larger than a payload buffer (MISSED missed)"},
    }};

using sra_counters = telemetry::counter_block<sra_counter>;

inline constexpr unsigned sra_channel_words = 4096 / 64;
// One bit per channel, written by the server thread (release), read by workers (acquire).
using sra_wanted_bits = std::array<std::atomic<std::uint64_t>, sra_channel_words>;

// One payload in a mempool object: this header, then the NmsgPayload bytes.
struct sra_slot {
    std::uint16_t ch = 0;
    std::uint16_t pad = 0;
    std::uint32_t len = 0;
    // the payload follows
    [[nodiscard]] std::uint8_t* data() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
};

// A sink for nmsg::write_payload into a fixed buffer whose size was checked before.
struct sra_writer {
    std::uint8_t* p;
    void put(std::uint8_t b) noexcept { *p++ = b; }
    void put(core::byte_view b) noexcept
    {
        if (!b.empty()) {
            std::memcpy(p, b.data(), b.size());
            p += b.size();
        }
    }
    void put_le32(std::uint32_t v) noexcept
    {
        for (int i = 0; i < 4; ++i) {
            *p++ = static_cast<std::uint8_t>(v >> (8 * i));
        }
    }
    void put_le64(std::uint64_t v) noexcept
    {
        for (int i = 0; i < 8; ++i) {
            *p++ = static_cast<std::uint8_t>(v >> (8 * i));
        }
    }
    [[nodiscard]] bool ok() const noexcept { return true; }
};

// One worker's port into the server thread. The worker alone writes `counters` and `lost`.
struct sra_port {
    rte_ring* ring = nullptr;     // SP (this worker) / SC (the server thread)
    rte_mempool* pool = nullptr;  // shared by every worker
    std::uint32_t slot_bytes = 0; // object size
    const sra_wanted_bits* wanted = nullptr;
    sra_counters counters;
    // Payloads lost per channel (the server thread charges new losses as MISSED); lost_total
    // tells it whether to look at all.
    std::unique_ptr<std::atomic<std::uint64_t>[]> lost{new std::atomic<std::uint64_t>[4096]{}};
    std::atomic<std::uint64_t> lost_total{0};

    [[nodiscard]] bool wants(std::uint16_t ch) const noexcept
    {
        return ((*wanted)[(ch >> 6) & (sra_channel_words - 1)].load(std::memory_order_acquire) >>
                (ch & 63)) & 1u;
    }

    void lose(std::uint16_t ch, sra_counter why) noexcept
    {
        counters.add(why);
        auto& l = lost[ch & 4095];
        l.store(l.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        lost_total.store(lost_total.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // Worker: queues one payload for the server thread if a client wants its channel.
    void offer(std::uint16_t ch, const nmsg::payload_header& h, core::byte_view vendor) noexcept
    {
        if (!wants(ch)) {
            return;
        }
        std::size_t const n = nmsg::payload_size(h, vendor);
        if (n + sizeof(sra_slot) > slot_bytes) {
            lose(ch, sra_counter::drop_too_big);
            return;
        }
        void* obj = nullptr;
        if (rte_mempool_get(pool, &obj) != 0) {
            lose(ch, sra_counter::drop_no_buffer);
            return;
        }
        auto* s = static_cast<sra_slot*>(obj);
        s->ch = ch;
        s->len = static_cast<std::uint32_t>(n);
        sra_writer w{s->data()};
        nmsg::write_payload(w, h, vendor);
        if (rte_ring_sp_enqueue(ring, obj) != 0) {
            rte_mempool_put(pool, obj);
            lose(ch, sra_counter::drop_ring_full);
            return;
        }
        counters.add(sra_counter::fed);
    }
};

} // namespace siehub::dataplane
