// SPDX-License-Identifier: Apache-2.0
#pragma once
// The payload pipeline of one worker, wiring the lib/pipeline stages together:
//   verify (sie.md §2) → privacy scrub → ch202, ch220, ch221
//                      → bailiwick → dedup keys → owner worker (ring or local batch)
//   owner: dedup table → INSERTION / EXPIRATION → ch204
//   worker 0: heartbeat → ch255
// Channel emitters are per (worker, channel); their datagrams become frames in mbufs.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/counters.hpp"
#include "dataplane/handoff.hpp"
#include "dataplane/settings.hpp"
#include "dataplane/shared.hpp"
#include "dataplane/stage_timer.hpp"
#include "dataplane/txq.hpp"
#include "dedup/table.hpp"
#include "match/counters.hpp"
#include "match/database.hpp"
#include "pipeline/bailiwick.hpp"
#include "pipeline/emit.hpp"
#include "pipeline/heartbeat.hpp"
#include "pipeline/privacy.hpp"
#include "pipeline/verify.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"

struct rte_mbuf;

namespace siehub::dataplane {

struct sender_info;
class newness_stage; // dataplane/newness_stage.hpp

enum class pipe_counter : std::uint8_t {
    relayed_202,
    relayed_220,
    relayed_221,
    rrsets_in_bailiwick,
    rrsets_out_of_bailiwick,
    rrsets_duplicate_in_response,
    rrsets_key_error,
    unverifiable,
    scrub_failed,
    dedup_inserted,
    dedup_suppressed,
    dedup_bypass,
    dedup_dropped,
    expirations,
    record_error,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<pipe_counter>>
    pipe_counter_table{{
        {"relay.ch202", "accepted payloads relayed (scrubbed) on ch202"},
        {"relay.ch220", "accepted responses with a non-zero rcode relayed on ch220"},
        {"relay.ch221", "NXDOMAIN responses emitted as SIE/dnsnx on ch221"},
        {"rrsets.in_bailiwick", "RRsets kept by the bailiwick check (sent to dedup)"},
        {"rrsets.out_of_bailiwick", "RRsets dropped as outside the response's bailiwick"},
        {"rrsets.duplicate_in_response", "RRsets repeated within one response (counted once)"},
        {"rrsets.key_error", "RRsets whose dedup key could not be built (too large or bad)"},
        {"rrsets.unverifiable", "NOERROR responses whose bailiwick cannot be established"},
        {"privacy.scrub_failed", "accepted payloads whose scrubbed copy could not be written"},
        {"dedup.out_inserted", "INSERTION records emitted on ch204"},
        {"dedup.out_suppressed", "RRset observations suppressed as duplicates"},
        {"dedup.out_bypass", "oversize RRsets emitted as INSERTION + count-1 EXPIRATION"},
        {"dedup.out_dropped", "RRset observations the table could not hold"},
        {"dedup.out_expirations", "EXPIRATION records emitted on ch204"},
        {"records.error", "channel records that could not be built (should stay 0)"},
    }};

using pipe_counters = telemetry::counter_block<pipe_counter>;

// Turns datagrams into VLAN-tagged broadcast frames in mbufs and sends them in bursts.
class mbuf_sink final : public pipeline::datagram_sink {
public:
    mbuf_sink(rte_mempool* pool, txq q, const net::channel_frame_spec& spec, rt_counters& c);
    bool send(core::byte_view datagram, const pipeline::datagram_meta& meta) noexcept override;
    void flush() noexcept;

private:
    rte_mempool* pool_;
    txq q_;
    net::channel_frame_spec spec_;
    rt_counters& c_;
    std::uint16_t ip_id_ = 0;
    std::array<rte_mbuf*, 32> pending_{};
    unsigned n_ = 0;
};

class payload_pipeline {
public:
    payload_pipeline(unsigned worker, const settings& s, worker_links& links, rt_counters& rc,
                     stage_timer& timer);
    ~payload_pipeline();

    void on_payload(const nmsg::payload_view& p, const sender_info& from);
    void on_owned_records(std::span<rrset_record*> recs);
    void tick(std::uint64_t tsc);
    void flush(std::uint64_t tsc);

    [[nodiscard]] const pipe_counters& counters() const noexcept { return c_; }
    [[nodiscard]] const pipeline::verify_counters& verify_counters() const noexcept { return vc_; }
    [[nodiscard]] const pipeline::privacy_counters& privacy_counters() const noexcept { return pc_; }
    [[nodiscard]] const pipeline::bailiwick_checker& bailiwick() const noexcept { return *bw_; }
    [[nodiscard]] const match::counter_block& match_counters() const noexcept { return mc_; }
    [[nodiscard]] const dedup::table& dedup_table() const noexcept { return *dedup_; }
    [[nodiscard]] const newness_stage* newness() const noexcept { return newness_.get(); }
    struct channel_out {
        std::uint16_t channel = 0;
        std::unique_ptr<mbuf_sink> sink;
        std::unique_ptr<pipeline::channel_emitter> emitter;
    };
    [[nodiscard]] const std::vector<channel_out>& channels() const noexcept { return out_; }

private:
    void emit(std::uint16_t channel, const nmsg::payload_header& h, core::byte_view vendor);
    // The same with the AXA keys filled by `fill(axa::payload_keys&)` from what this worker
    // decoded or built the payload from, instead of parsing the encoded payload again.
    template <class Fill>
    void emit(std::uint16_t channel, const nmsg::payload_header& h, core::byte_view vendor,
              const Fill& fill);
    void handle_rrsets(const pipeline::verify_result& r);
    void dedup_batch();
    void emit_expiration(const dedup::expired_entry& e);
    [[nodiscard]] std::uint64_t now_ns(std::uint64_t tsc) const noexcept;

    unsigned worker_;
    const settings& s_;
    worker_links& links_;
    rt_counters& rc_;
    stage_timer& timer_;
    pipe_counters c_;
    pipeline::verify_counters vc_;
    std::unique_ptr<pipeline::verify_scratch> scratch_;
    std::unique_ptr<pipeline::privacy_scratch> privacy_scratch_;
    pipeline::privacy_counters pc_;
    pipeline::privacy_options relay_privacy_; // ch202/ch220 scrub options, fixed at start-up
    pipeline::siphash_key key_;
    // The pseudonym of the last sender seen: every payload of a container comes from one
    // sender, so SipHash runs once per sender change instead of once per payload.
    std::array<std::uint8_t, 18> last_identity_{};
    std::uint32_t last_pseudonym_ = 0;
    bool have_pseudonym_ = false;
    std::unique_ptr<pipeline::bailiwick_checker> bw_;
    match::counter_block mc_;
    pipeline::verify_options vopt_;
    static bool excluded(void* self, core::byte_view qname) noexcept;
    std::unique_ptr<dedup::table> dedup_;
    std::unique_ptr<newness_stage> newness_; // ch211-214 ([newness] enabled)
    std::vector<channel_out> out_;
    std::array<int, 4096> channel_index_{}; // channel number → index in out_, -1 = disabled
    std::unique_ptr<pipeline::heartbeat> heartbeat_;
    std::vector<std::uint8_t> vendor_buf_;  // a scrubbed dnsqr or a record
    std::vector<std::uint8_t> canon_buf_;   // canonical rdata of one RRset
    std::unique_ptr<dns::canonical_owners> owners_; // of the response in handle_rrsets
    // Per-response scratch kept here so that no call zero-fills 8 KiB (a measured 27 % of the
    // worker's instructions when they were locals).
    std::array<bool, dns::message::max_records> keep_;
    std::array<core::byte_view, dns::message::max_records> rdatas_;
    // Owner-side batch: records that this worker owns, waiting for one dedup burst.
    std::array<rrset_record*, 64> batch_{};
    unsigned batch_n_ = 0;
    // Records of this worker's own RRsets: each key is built in the next free slot and stays
    // there when this worker owns it (no pooled record, no copy); only keys owned by another
    // worker are copied into a pooled rrset_record for its ring. Slots in use <= batch_n_.
    std::unique_ptr<std::array<rrset_record, 64>> local_;
    unsigned local_n_ = 0;
    [[nodiscard]] bool is_local(const rrset_record* r) const noexcept
    {
        return r >= local_->data() && r < local_->data() + local_->size();
    }
    std::uint32_t clock_s_ = 0;             // latest payload time seen (dedup expiry clock)
    std::uint64_t tsc_hz_ = 1;
    std::uint64_t last_tsc_ = 0;
};

} // namespace siehub::dataplane
