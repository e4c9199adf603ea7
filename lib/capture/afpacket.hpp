// SPDX-License-Identifier: Apache-2.0
#pragma once
// A Linux AF_PACKET TPACKET_V3 receive ring: the kernel fills blocks of frames in a shared
// mapping, user space walks a whole block per wake-up and hands it back, so there is one
// poll() per block rather than one recvfrom() per frame. Used by siehub-tap; made to serve
// siehub-sra's `--input iface:IF` too (which still has a ring reader of its own).
//
// VLAN tags: the kernel removes the 802.1Q tag from received frames (NIC VLAN RX offload,
// else skb_vlan_untag in the stack; veth included) and reports it in the ring's metadata
// (tp_vlan_tci, valid when TP_STATUS_VLAN_VALID is set). frame::vlan() gives it back; a tag
// still in the bytes (QinQ inner tag) is left to the frame parser.

#include <cstddef>
#include <cstdint>
#include <string>

#include <linux/if_packet.h>

#include "core/bytes.hpp"

namespace siehub::capture {

struct ring_config {
    std::string iface;
    std::uint32_t block_size = 1u << 22; // bytes per block (a multiple of the page size)
    std::uint32_t block_count = 64;      // 256 MiB in all by default
    std::uint32_t frame_size = 2048;     // tp_frame_size hint (V3 packs frames of any size)
    std::uint32_t block_timeout_ms = 10; // a partly filled block is retired after this
    bool promiscuous = true;             // channel frames are broadcast, but a tap of a
                                         // mirrored port sees unicast for others too
    int fanout_group = -1;               // PACKET_FANOUT_HASH group id, -1 = none
};

struct frame {
    core::byte_view data;       // from the MAC header, caplen bytes
    std::uint32_t wire_len = 0; // original length
    std::uint32_t sec = 0;
    std::uint32_t nsec = 0;
    std::uint16_t vlan_tci = 0;
    bool vlan_valid = false;  // the kernel took a tag off this frame
    std::uint8_t pkttype = 0; // PACKET_HOST, PACKET_BROADCAST, PACKET_OUTGOING, …

    // VLAN id from the ring metadata, -1 when the frame carried no stripped tag.
    [[nodiscard]] int vlan() const noexcept { return vlan_valid ? (vlan_tci & 0x0fff) : -1; }
};

struct ring_stats {
    std::uint64_t packets = 0;  // frames the kernel passed to the socket (tp_packets)
    std::uint64_t drops = 0;    // frames dropped because the ring was full (tp_drops)
    std::uint64_t freeze_q = 0; // times the queue froze (tp_freeze_q_cnt)
};

class afpacket_ring {
public:
    // Opens, binds and maps the ring. Throws std::system_error saying which step failed.
    explicit afpacket_ring(const ring_config& cfg);
    ~afpacket_ring();
    afpacket_ring(const afpacket_ring&) = delete;
    afpacket_ring& operator=(const afpacket_ring&) = delete;

    // Waits up to timeout_ms for a retired block, then walks every ready block in order,
    // calling on_frame(const frame&) per frame, and returns the blocks to the kernel.
    // Returns the number of frames seen; 0 on timeout or EINTR.
    template <class F> std::size_t poll(int timeout_ms, F&& on_frame)
    {
        std::size_t n = 0;
        if (!block_ready(current_)) {
            if (!wait(timeout_ms)) {
                return 0;
            }
        }
        while (block_ready(current_)) {
            n += walk_block(current_, on_frame);
            release_block(current_);
            current_ = (current_ + 1) % cfg_.block_count;
        }
        return n;
    }

    // Cumulative kernel counters (PACKET_STATISTICS resets on every read; summed here).
    ring_stats stats();

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] int ifindex() const noexcept { return ifindex_; }
    [[nodiscard]] const ring_config& config() const noexcept { return cfg_; }

private:
    [[nodiscard]] tpacket_block_desc* block(std::uint32_t i) const noexcept
    {
        return reinterpret_cast<tpacket_block_desc*>(map_ + std::size_t{i} * cfg_.block_size);
    }
    [[nodiscard]] bool block_ready(std::uint32_t i) const noexcept
    {
        return (__atomic_load_n(&block(i)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
                TP_STATUS_USER) != 0;
    }
    void release_block(std::uint32_t i) noexcept
    {
        __atomic_store_n(&block(i)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    }
    bool wait(int timeout_ms) noexcept;

    template <class F> std::size_t walk_block(std::uint32_t i, F& on_frame)
    {
        auto* bd = block(i);
        std::uint32_t const count = bd->hdr.bh1.num_pkts;
        auto* p = reinterpret_cast<std::uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
        auto* const end = reinterpret_cast<std::uint8_t*>(bd) + cfg_.block_size;
        frame f;
        for (std::uint32_t k = 0; k < count; ++k) {
            auto* h = reinterpret_cast<tpacket3_hdr*>(p);
            // A corrupt offset would be a kernel bug; never read outside the block.
            if (p + sizeof(tpacket3_hdr) > end || p + h->tp_mac + h->tp_snaplen > end) {
                break;
            }
            f.data = core::byte_view{p + h->tp_mac, h->tp_snaplen};
            f.wire_len = h->tp_len;
            f.sec = h->tp_sec;
            f.nsec = h->tp_nsec;
            f.vlan_valid = (h->tp_status & TP_STATUS_VLAN_VALID) != 0;
            f.vlan_tci = f.vlan_valid ? static_cast<std::uint16_t>(h->hv1.tp_vlan_tci) : 0;
            auto const* ll =
                reinterpret_cast<const sockaddr_ll*>(p + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
            f.pkttype = ll->sll_pkttype;
            on_frame(f);
            if (h->tp_next_offset == 0) {
                break;
            }
            p += h->tp_next_offset;
        }
        return count;
    }

    ring_config cfg_;
    int fd_ = -1;
    int ifindex_ = 0;
    std::uint8_t* map_ = nullptr;
    std::size_t map_len_ = 0;
    std::uint32_t current_ = 0;
    ring_stats total_;
};

} // namespace siehub::capture
