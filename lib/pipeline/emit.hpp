// SPDX-License-Identifier: Apache-2.0
#pragma once
// Channel emitters (sie.md §1, nmsg.md §5–§8, §17): one per (worker, channel). Each packs
// payloads into nmsg containers of the channel's size and hands every finished datagram to a
// datagram_sink, which the DPDK runtime implements (mbuf + Ethernet/802.1Q/IPv4/UDP headers,
// checksums by offload or software). frame_buffer_sink is the plain implementation that
// writes whole frames into a caller buffer, for tests and the offline pcap path.
//
// Guarantees, whatever the input: every datagram is one well-formed nmsg unit no larger than
// the container size; no container is empty; a payload too big for one container leaves
// alone, compressed (zlib on, when that makes it fit) or as NMSG fragments, never as
// libnmsg's headerless zlib body; sequence numbers run 0, 1, 2, … per emitter (a fragmented
// container takes one) under a sequence_id drawn from the kernel CSPRNG at construction, so
// a restart never reuses one. Buffers are allocated at construction only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/bytes.hpp"
#include "proto/net/frame_writer.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/zlib.hpp"
#include "telemetry/counters.hpp"

namespace siehub::pipeline {

using core::byte_span;
using core::byte_view;

enum class emit_counter : std::uint8_t {
    payloads,              // payloads accepted (in a container or sent alone)
    containers,            // whole-container datagrams handed to the sink
    fragments,             // fragment datagrams handed to the sink
    fragmented_containers, // oversize containers split into NMSG fragments
    zlib_containers,       // datagrams whose body is zlib-compressed (flag 0x01)
    bytes,                 // datagram bytes (nmsg header + body) handed to the sink
    full_flushes,          // containers sent because the next payload did not fit
    drain_flushes,         // containers sent by the drain timer
    shutdown_flushes,      // containers sent by flush()
    oversize,              // payloads too big for a container of their own: sent alone
    dropped_too_large,     // payloads above emitter_config::max_payload_bytes
    dropped_sink,          // datagrams the sink refused (no mbuf, TX ring full, …)
    dropped_error,         // payloads lost to an internal failure (zlib error)
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<emit_counter>>
    emit_counter_table{{
        {"emit.payloads", "payloads accepted by a channel emitter"},
        {"emit.containers", "whole nmsg container datagrams sent"},
        {"emit.fragments", "NMSG fragment datagrams sent (oversize payloads)"},
        {"emit.fragmented_containers", "oversize containers split into NMSG fragments"},
        {"emit.zlib_containers", "datagrams sent with a zlib-compressed body"},
        {"emit.bytes", "nmsg datagram bytes sent (without Ethernet/IP/UDP headers)"},
        {"emit.full_flushes", "containers sent because the next payload did not fit"},
        {"emit.drain_flushes", "containers sent by the drain timer"},
        {"emit.shutdown_flushes", "containers sent by an orderly flush"},
        {"emit.oversize", "payloads too big for a shared container, sent alone"},
        {"emit.dropped_too_large", "payloads dropped: larger than emit max_payload_bytes"},
        {"emit.dropped_sink", "datagrams dropped: the frame sink refused them (no mbuf, TX full)"},
        {"emit.dropped_error", "payloads dropped: compression failed"},
    }};

using emit_counters = telemetry::counter_block<emit_counter>;

// What the sink learns about each datagram besides its bytes.
struct datagram_meta {
    std::uint16_t src_port = 0; // the emitter's own UDP source port
    std::uint32_t sequence = 0; // the container's sequence number
    bool fragment = false;      // one NMSG fragment of a larger container
};

// Implemented by the DPDK runtime (one per channel and TX queue) and by frame_buffer_sink.
// Called once per datagram, not per payload. Returns false when the datagram could not be
// queued (counted as emit.dropped_sink; the sequence number is spent, so receivers see a loss).
class datagram_sink {
public:
    virtual bool send(byte_view datagram, const datagram_meta& meta) noexcept = 0;

protected:
    ~datagram_sink() = default;
};

struct emitter_config {
    std::size_t container_size = nmsg::container_size_ether; // 512 … 65507
    bool zlib = false;
    std::uint64_t drain_ns = 1'000'000; // a non-empty container waits at most this long
    std::uint16_t src_port = 0;         // emitter_src_port(base, worker)
    // Largest payload accepted (serialized NmsgPayload); bounds the oversize buffers.
    std::size_t max_payload_bytes = 131072;
};

// UDP datagram payloads above this would not fit an IPv4 packet.
inline constexpr std::size_t max_container_size = 65535 - 28;
// The oversize container (payload + framing) must stay within nmsg's 1 MiB maximum.
inline constexpr std::size_t max_payload_limit = nmsg::container_size_max - 256;

enum class emitter_config_error : std::uint8_t {
    ok = 0,
    container_too_small, // below 512 (NMSG_WBUFSZ_MIN)
    container_too_large, // above 65507 (one IPv4 UDP datagram)
    payload_bound,       // max_payload_bytes 0 or above 1 MiB - 256
};

std::string_view to_string(emitter_config_error e) noexcept;
emitter_config_error validate(const emitter_config& c) noexcept;

// Each worker's emitter for a channel sends from its own port (nmsg.md §7: the receiver's
// loss key includes the source port).
inline std::uint16_t emitter_src_port(std::uint16_t base, std::uint32_t worker) noexcept
{
    return static_cast<std::uint16_t>(base + worker);
}

class channel_emitter {
public:
    enum class add_result : std::uint8_t {
        added,      // in the current container
        sent_alone, // oversize: sent as its own container or fragments
        dropped,    // too large or lost (see counters)
    };

    // Allocates every buffer; draws sequence_id and the fragment-id seed from getrandom().
    // Requires validate(cfg) == ok (checked with an assert; invalid sizes are clamped).
    channel_emitter(const emitter_config& cfg, datagram_sink& sink);
    ~channel_emitter();
    channel_emitter(const channel_emitter&) = delete;
    channel_emitter& operator=(const channel_emitter&) = delete;

    // Appends one payload. When it does not fit the current container, that container is
    // finished and sent first. now_ns (the caller's TSC clock) starts the drain timer of a
    // fresh container.
    add_result add(const nmsg::payload_header& h, byte_view vendor, std::uint64_t now_ns) noexcept;

    // Sends the current container if it is non-empty and its first payload is at least
    // drain_ns old. Returns true when it sent one. Call once per burst / loop turn.
    bool drain(std::uint64_t now_ns) noexcept;

    // Sends the current container if non-empty (shutdown, or a heartbeat that must leave now).
    bool flush() noexcept;

    [[nodiscard]] std::uint64_t sequence_id() const noexcept { return sequence_id_; }
    [[nodiscard]] std::uint32_t next_sequence() const noexcept { return sequence_; }
    [[nodiscard]] std::uint16_t src_port() const noexcept { return cfg_.src_port; }
    [[nodiscard]] std::size_t pending_payloads() const noexcept { return builder_.payload_count(); }
    [[nodiscard]] const emitter_config& config() const noexcept { return cfg_; }
    [[nodiscard]] const emit_counters& counters() const noexcept { return counters_; }

private:
    bool finish_current() noexcept;
    add_result send_oversize(const nmsg::payload_header& h, byte_view vendor) noexcept;
    bool hand(byte_view datagram, bool fragment) noexcept;
    std::uint32_t next_fragment_id() noexcept;

    emitter_config cfg_;
    datagram_sink& sink_;
    std::unique_ptr<std::uint8_t[]> container_buf_; // container_size
    std::unique_ptr<std::uint8_t[]> oversize_buf_;  // one payload alone, uncompressed
    std::unique_ptr<std::uint8_t[]> zlib_buf_;      // a compressed unit (zlib on)
    std::unique_ptr<std::uint8_t[]> dgram_buf_;     // one fragment datagram
    std::size_t oversize_size_ = 0;
    std::size_t zlib_size_ = 0;
    std::unique_ptr<nmsg::deflater> deflater_;
    nmsg::container_builder builder_;
    std::uint64_t sequence_id_ = 0;
    std::uint64_t rng_ = 0; // splitmix64 state for fragment ids
    std::uint32_t sequence_ = 0;
    std::uint64_t first_ns_ = 0; // when the current container got its first payload
    emit_counters counters_;
};

// Writes each datagram as a whole channel frame (net::write_channel_frame: Ethernet, 802.1Q,
// IPv4 with DF, UDP, software checksums) into a caller buffer, one after the other, and
// records where each frame lies. The spec's src_port is replaced by the emitter's.
class frame_buffer_sink final : public datagram_sink {
public:
    struct frame_ref {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };

    frame_buffer_sink(const net::channel_frame_spec& spec, byte_span buf,
                      std::span<frame_ref> slots) noexcept
        : spec_(spec), buf_(buf), slots_(slots)
    {
    }

    bool send(byte_view datagram, const datagram_meta& meta) noexcept override;

    [[nodiscard]] std::size_t frame_count() const noexcept { return n_; }
    [[nodiscard]] byte_view frame(std::size_t i) const noexcept
    {
        return {buf_.data() + slots_[i].offset, slots_[i].length};
    }
    [[nodiscard]] std::size_t bytes_used() const noexcept { return used_; }
    // Forgets the frames written so far (the next frame starts at the buffer's start).
    void clear() noexcept
    {
        n_ = 0;
        used_ = 0;
    }

private:
    net::channel_frame_spec spec_;
    byte_span buf_;
    std::span<frame_ref> slots_;
    std::size_t n_ = 0;
    std::size_t used_ = 0;
    std::uint16_t ip_id_ = 0;
};

} // namespace siehub::pipeline
