// SPDX-License-Identifier: Apache-2.0
#pragma once
// The worker side of serving AXA from the hub (docs/sra.md "Serving from the hub"). The AXA
// server thread (sra_hub.hpp) publishes every matcher generation it compiles to the workers
// behind RCU/QSBR (core::qsbr_publisher): the match_generation, one match_scratch per worker,
// and per client index the session it was built for. A worker reads the current one once per
// loop iteration; per payload it emits on a channel some client has on, it extracts the
// payload's keys, matches, and only when some client hit copies the payload with its hit list
// and the generation's serial into a fixed-size mempool object; the loop iteration's objects
// go onto its SP/SC rte_ring in one burst (flush) to the server thread, which delivers each
// (axa::server::deliver) without matching again. A hit
// list too long for an object goes without it (sra.overflow: the server thread matches that
// payload itself). A full ring, an empty pool or a payload larger than an object drops it,
// counted here and charged to the clients as MISSED `missed`.

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "axa/keys.hpp"
#include "axa/matcher.hpp"
#include "axa/server.hpp"
#include "core/bytes.hpp"
#include "core/qsbr.hpp"
#include "proto/nmsg/container.hpp"
#include "telemetry/counters.hpp"

namespace siehub::dataplane {

enum class sra_counter : std::uint8_t {
    fed,
    matched,
    overflow,
    unmatched,
    drop_ring_full,
    drop_no_buffer,
    drop_too_big,
    cycles,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<sra_counter>>
    sra_counter_table{{
        {"sra.fed",
         "channel payloads a worker queued to the hub's AXA server thread (sra.matched + "
         "sra.overflow)"},
        {"sra.matched", "payloads some client's watches matched, queued with their hit list"},
        {"sra.overflow",
         "payloads queued without their hit list (too many hits for a buffer): the server "
         "thread matched them"},
        {"sra.unmatched",
         "payloads on a channel some client has on that no client's watches matched (not "
         "queued)"},
        {"sra.drop_ring_full",
         "payloads for AXA clients dropped: the worker's ring to the server thread was full "
         "(MISSED missed)"},
        {"sra.drop_no_buffer",
         "payloads for AXA clients dropped: no free payload buffer (MISSED missed)"},
        {"sra.drop_too_big",
         "payloads for AXA clients dropped: larger than a payload buffer (MISSED missed)"},
        {"sra.cycles",
         "TSC cycles workers spent extracting keys, matching and queueing for AXA clients "
         "(with --stage-cycles; already inside the cycles.* of the stage that emitted)"},
    }};

using sra_counters = telemetry::counter_block<sra_counter>;

// What the workers match against: one server generation, made on the server thread.
struct sra_generation {
    std::shared_ptr<const axa::match_generation> gen; // only the server thread touches the count
    std::uint64_t axa_serial = 0;                     // the server's generation serial
    std::vector<std::uint64_t> sessions;              // per client index: session id
    std::vector<axa::match_scratch> scratches;        // one per worker, sized for gen
    std::uint64_t serial = 0;                         // set by the publisher

    [[nodiscard]] axa::match_scratch& worker_scratch(unsigned worker) const noexcept
    {
        // Shared read-only; each worker writes only its own scratch.
        return const_cast<axa::match_scratch&>(scratches[worker]);
    }
};
using sra_publisher = core::qsbr_publisher<sra_generation>;

// One payload in a mempool object: this header, n_hits hits, then the NmsgPayload bytes.
struct sra_slot {
    static constexpr std::uint16_t has_hits = 1; // else the server thread matches it
    std::uint16_t ch = 0;
    std::uint16_t flags = 0;
    std::uint32_t len = 0;
    std::uint32_t n_hits = 0;
    std::uint32_t pad = 0;
    std::uint64_t serial = 0; // the server generation the hits come from
    // the hits, then the payload, follow
    [[nodiscard]] axa::session_hit* hits() noexcept
    {
        return reinterpret_cast<axa::session_hit*>(this + 1);
    }
    [[nodiscard]] std::uint8_t* data() noexcept
    {
        return reinterpret_cast<std::uint8_t*>(hits() + n_hits);
    }
};
static_assert(sizeof(sra_slot) % alignof(axa::session_hit) == 0);

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

// One worker's port into the server thread. The worker alone writes everything but `lost`'s
// readers' view; the server thread reads `counters`, `lost` and `lost_total`.
struct sra_port {
    rte_ring* ring = nullptr;     // SP (this worker) / SC (the server thread)
    rte_mempool* pool = nullptr;  // shared by every worker
    std::uint32_t slot_bytes = 0; // object size
    sra_publisher* pub = nullptr;
    unsigned worker = 0; // reader index in pub
    bool timed = false;  // --stage-cycles: count sra.cycles
    sra_counters counters;
    // Payloads lost per channel (the server thread charges new losses as MISSED); lost_total
    // tells it whether to look at all.
    std::unique_ptr<std::atomic<std::uint64_t>[]> lost{new std::atomic<std::uint64_t>[4096]{}};
    std::atomic<std::uint64_t> lost_total{0};

    // ---- worker loop ----
    // Before the first iteration.
    void online() noexcept
    {
        pub->online(worker);
        g_ = pub->current();
    }
    // Once per loop iteration, before anything is emitted: nothing read from the previous
    // generation survives this; then one acquire load of the current one.
    void next_iteration() noexcept
    {
        flush();
        pub->quiescent(worker);
        g_ = pub->current();
    }
    // When the worker stops: it never reads a generation again.
    void offline() noexcept
    {
        flush();
        g_ = nullptr;
        pub->offline(worker);
    }

    [[nodiscard]] bool wants(std::uint16_t ch) const noexcept
    {
        return g_ != nullptr && g_->gen->channel_wanted(ch);
    }

    void lose(std::uint16_t ch, sra_counter why) noexcept
    {
        counters.add(why);
        auto& l = lost[ch & 4095];
        l.store(l.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        lost_total.store(lost_total.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // Worker: matches one payload of channel `ch` against the current generation and queues
    // it with its hits when some client hit. Its keys come from the encoded vendor message.
    void offer(std::uint16_t ch, const nmsg::payload_header& h, core::byte_view vendor) noexcept
    {
        offer(ch, h, vendor, [&](axa::payload_keys& k) {
            axa::extract_keys(h.vid, h.msgtype, vendor, k); // sets error when it fails
        });
    }
    // The same with the keys filled by `fill(payload_keys&)` (ch and error cleared before),
    // for a caller that decoded the payload already; they must be what extract_keys would
    // give for `vendor`.
    template <class Fill>
    void offer(std::uint16_t ch, const nmsg::payload_header& h, core::byte_view vendor,
               const Fill& fill) noexcept
    {
        if (wants(ch)) {
            timed_run([&] { match_and_queue(ch, h, vendor, fill); });
        }
    }

    // Queues the payloads offered since the last flush in one burst: one update of the ring's
    // producer index (a line the server thread's core reads) per loop iteration rather than
    // one per payload. next_iteration() and offline() call it; a full ring drops what does not
    // fit, counted as for a single payload.
    void flush() noexcept
    {
        if (n_pending_ != 0) {
            timed_run([&] { enqueue_pending(); });
        }
    }

private:
    // Runs f, its TSC cycles counted as sra.cycles with --stage-cycles.
    template <class F> void timed_run(const F& f) noexcept
    {
        if (!timed) {
            f();
            return;
        }
        std::uint64_t const t0 = rte_rdtsc();
        f();
        counters.add(sra_counter::cycles, rte_rdtsc() - t0);
    }

    template <class Fill>
    void match_and_queue(std::uint16_t ch, const nmsg::payload_header& h, core::byte_view vendor,
                         const Fill& fill) noexcept
    {
        keys_.clear();
        keys_.ch = ch;
        if (!vendor.empty()) {
            fill(keys_);
        }
        auto const hits = g_->gen->match(keys_, g_->worker_scratch(worker));
        if (hits.empty()) {
            counters.add(sra_counter::unmatched);
            return;
        }
        std::size_t const n = nmsg::payload_size(h, vendor);
        std::size_t const base = sizeof(sra_slot) + n;
        if (base > slot_bytes) {
            lose(ch, sra_counter::drop_too_big);
            return;
        }
        bool const with_hits = base + hits.size() * sizeof(axa::session_hit) <= slot_bytes;
        void* obj = nullptr;
        if (rte_mempool_get(pool, &obj) != 0) {
            lose(ch, sra_counter::drop_no_buffer);
            return;
        }
        auto* s = static_cast<sra_slot*>(obj);
        s->ch = ch;
        s->flags = with_hits ? sra_slot::has_hits : 0;
        s->len = static_cast<std::uint32_t>(n);
        s->n_hits = with_hits ? static_cast<std::uint32_t>(hits.size()) : 0;
        s->serial = g_->axa_serial;
        if (with_hits) {
            axa::session_hit* out = s->hits();
            for (auto const& hit : hits) {
                *out++ = {g_->sessions[hit.client], hit};
            }
        }
        sra_writer w{s->data()};
        nmsg::write_payload(w, h, vendor);
        if (n_pending_ == pending_.size()) {
            enqueue_pending();
        }
        pending_[n_pending_++] = obj;
    }

    // The ring's side of flush() (untimed: offer's caller times it).
    void enqueue_pending() noexcept
    {
        unsigned const done = rte_ring_sp_enqueue_burst(ring, pending_.data(), n_pending_, nullptr);
        for (unsigned i = 0; i < done; ++i) {
            auto const* s = static_cast<const sra_slot*>(pending_[i]);
            counters.add(s->flags & sra_slot::has_hits ? sra_counter::matched : sra_counter::overflow);
        }
        counters.add(sra_counter::fed, done);
        for (unsigned i = done; i < n_pending_; ++i) {
            auto const ch = static_cast<const sra_slot*>(pending_[i])->ch;
            rte_mempool_put(pool, pending_[i]);
            lose(ch, sra_counter::drop_ring_full);
        }
        n_pending_ = 0;
    }

    const sra_generation* g_ = nullptr; // this loop iteration's; nullptr while offline
    axa::payload_keys keys_;
    std::array<void*, 32> pending_{}; // written, not yet on the ring (flush)
    unsigned n_pending_ = 0;
};

} // namespace siehub::dataplane
