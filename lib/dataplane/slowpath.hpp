// SPDX-License-Identifier: Apache-2.0
#pragma once
// The slow path behind the workers' narrow door: zlib inflation and NMSG fragment reassembly
// (both allocate and take time), run on the control lcore. Frames arrive on one MP/SC ring;
// the container's payloads go back to a worker as payload_blocks (the first carries the
// container's sequence), chosen by sender so one sender's order is kept.

#include <cstdint>
#include <vector>

#include "dataplane/settings.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"
#include "telemetry/counters.hpp"

struct rte_ring;
struct rte_mempool;
struct rte_mbuf;

namespace siehub::dataplane {

enum class slow_counter : std::uint8_t {
    frames,
    containers,
    payloads,
    drop_frame,
    drop_zlib,
    drop_fragment,
    drop_container,
    drop_crc,
    drop_payload_too_large,
    drop_no_block,
    drop_ring_full,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<slow_counter>>
    slow_counter_table{{
        {"slow.frames", "zlib or fragment datagrams taken from the workers"},
        {"slow.containers", "containers inflated or reassembled and decoded"},
        {"slow.payloads", "payloads re-injected into workers"},
        {"slow.drop_frame", "datagrams that no longer parse (should stay 0)"},
        {"slow.drop_zlib", "zlib bodies that do not inflate to their stated length"},
        {"slow.drop_fragment", "fragments refused or sets discarded (reassembly counters say why)"},
        {"slow.drop_container", "reassembled/inflated containers that are malformed or empty"},
        {"slow.drop_crc", "payloads whose CRC-32C does not match (dropped as nmsgtool does)"},
        {"slow.drop_payload_too_large", "payloads larger than a re-injection block"},
        {"slow.drop_no_block", "payloads dropped: the block pool was empty"},
        {"slow.drop_ring_full", "payloads dropped: the worker's re-injection ring was full"},
    }};

class slow_path {
public:
    slow_path(rte_ring* in, std::vector<rte_ring*> to_workers, rte_mempool* blocks,
              const nmsg::reasm_config& reasm);

    // Processes up to one burst; returns whether there was work.
    bool poll(std::uint64_t now_ms);

    [[nodiscard]] const telemetry::counter_block<slow_counter>& counters() const noexcept
    {
        return c_;
    }
    [[nodiscard]] const nmsg::reassembler& reassembly() const noexcept { return reasm_; }
    [[nodiscard]] bool idle() const noexcept;

private:
    void handle(rte_mbuf* m, std::uint64_t now_ms);

    rte_ring* in_;
    std::vector<rte_ring*> out_;
    rte_mempool* blocks_;
    nmsg::reassembler reasm_;
    nmsg::inflater inflater_;
    std::vector<std::uint8_t> inflated_;
    std::vector<std::uint8_t> linear_;
    telemetry::counter_block<slow_counter> c_;
};

} // namespace siehub::dataplane
