// SPDX-License-Identifier: Apache-2.0
#pragma once
// The slow path behind the workers' narrow door: IPv4 reassembly of fragmented ingest datagrams
// (DPDK's ip_frag table), zlib inflation and NMSG fragment reassembly (all hold memory and take
// time), run on the control lcore. Frames arrive on one MP/SC ring; the container's payloads go
// back to a worker as payload_blocks (the first carries the container's sequence), chosen by
// sender so one sender's order is kept.

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/ingest.hpp"
#include "dataplane/settings.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"
#include "telemetry/counters.hpp"

struct rte_ring;
struct rte_mempool;
struct rte_mbuf;
struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

namespace siehub::dataplane {

enum class slow_counter : std::uint8_t {
    ip_fragments,
    ip_reassembled,
    ip_not_ingest,
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
        {"slow.ip_fragments", "IPv4 fragments taken from the workers (held until complete)"},
        {"slow.ip_reassembled", "IPv4 datagrams reassembled from fragments (then handled as "
                                "any datagram; incomplete ones time out after [slowpath] "
                                "timeout or give way when the table is full)"},
        {"slow.ip_not_ingest", "reassembled datagrams that are not UDP to an ingest port/address "
                               "(dropped: the exception path gets no reassembled traffic)"},
        {"slow.frames", "zlib or fragment nmsg datagrams, and reassembled IPv4 datagrams"},
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
    // IPv4 reassembly holds at most ip_frag_flows datagrams of at most 8 fragments
    // (RTE_LIBRTE_IP_FRAG_MAX_FRAG) each: 8192-byte containers over a 1500-byte MTU need 6.
    static constexpr std::uint32_t ip_frag_flows = 128;
    // Free re-injection blocks below which no new frame is taken (a 1280-byte container holds
    // a dozen dnsqr payloads, an 8192-byte one about a hundred).
    static constexpr unsigned block_reserve = 256;

    slow_path(rte_ring* in, std::vector<rte_ring*> to_workers, rte_mempool* blocks,
              const nmsg::reasm_config& reasm, ingest_match ingest);
    ~slow_path();
    slow_path(const slow_path&) = delete;
    slow_path& operator=(const slow_path&) = delete;

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
    // Takes an IPv4 fragment; returns the reassembled frame once complete, else nullptr.
    rte_mbuf* reassemble(rte_mbuf* m, std::uint16_t l3_offset);

    struct frag_table_deleter {
        void operator()(rte_ip_frag_tbl* t) const noexcept;
    };

    rte_ring* in_;
    std::vector<rte_ring*> out_;
    rte_mempool* blocks_;
    nmsg::reassembler reasm_;
    nmsg::inflater inflater_;
    std::vector<std::uint8_t> inflated_;
    std::vector<std::uint8_t> linear_;
    ingest_match ingest_;
    std::unique_ptr<rte_ip_frag_tbl, frag_table_deleter> frags_;
    std::unique_ptr<rte_ip_frag_death_row> death_row_;
    telemetry::counter_block<slow_counter> c_;
};

} // namespace siehub::dataplane
