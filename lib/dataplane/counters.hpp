// SPDX-License-Identifier: Apache-2.0
#pragma once
// The runtime's own counters (frames and containers); payload-level stages keep theirs in
// lib/pipeline. Reconciliation (docs/counters.md):
//   rx.frames = rx.ingest + rx.exception + rx.ipv4_fragments + Σ rx.drop_*
//   rx.ingest = nmsg.containers + nmsg.to_slow_path + Σ nmsg.drop_*
//   ingest.payloads_in = ingest.accepted + Σ ingest.drop_* + Σ verify drops

#include <array>
#include <cstdint>

#include "telemetry/counters.hpp"

namespace siehub::dataplane {

enum class rt_counter : std::uint8_t {
    rx_frames,
    rx_paused,
    rx_ingest,
    rx_exception,
    rx_ipv4_fragments,
    rx_drop_fragment_full,
    rx_drop_malformed,
    rx_drop_no_tap,
    exception_tx,
    exception_tx_full,
    nmsg_containers,
    nmsg_to_slow_path,
    nmsg_to_slow_full,
    nmsg_drop_header,
    nmsg_drop_container,
    nmsg_drop_sender_rate,
    nmsg_crc_mismatch,
    nmsg_seq_lost,
    slow_payloads_in,
    ingest_payloads_in,
    ingest_drop_not_dnsqr,
    handoff_sent,
    handoff_full,
    handoff_no_record,
    handoff_received,
    tx_frames,
    tx_full,
    tx_no_mbuf,
    reload_filters,
    reload_failed,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<rt_counter>>
    rt_counter_table{{
        {"rx.frames", "frames received on ingest ports"},
        {"rx.paused", "poll rounds without RX because an owner's handoff ring or the slow-path "
                      "ring was nearly full (back-pressure)"},
        {"rx.ingest", "frames that are UDP to an ingest port (nmsg datagrams)"},
        {"rx.exception", "frames handed to the kernel through the TAP exception path"},
        {"rx.ipv4_fragments", "IPv4 fragments handed to the slow path for reassembly"},
        {"rx.drop_fragment_full", "IPv4 fragments dropped: slow-path ring full"},
        {"rx.drop_malformed", "frames whose Ethernet/VLAN/IP/UDP headers are inconsistent"},
        {"rx.drop_no_tap", "non-ingest frames on a port without an exception TAP"},
        {"exception.tx", "frames written to an exception TAP or from it to the wire"},
        {"exception.tx_full", "exception frames dropped because the TAP queue was full"},
        {"nmsg.containers", "plain nmsg containers decoded on the worker"},
        {"nmsg.to_slow_path", "zlib or fragment datagrams handed to the slow path"},
        {"nmsg.to_slow_full", "zlib or fragment datagrams dropped: slow-path ring full"},
        {"nmsg.drop_header", "datagrams with a bad nmsg header (magic, version, length)"},
        {"nmsg.drop_container", "containers whose protobuf body is malformed or empty"},
        {"nmsg.drop_sender_rate", "plain containers dropped: their sender is over [ingest] "
                                  "sender_rate (payloads per second)"},
        {"nmsg.crc_mismatch", "payloads dropped because their CRC-32C does not match"},
        {"nmsg.seq_lost", "containers lost upstream according to sender sequence numbers"},
        {"slow.payloads_in", "payloads re-injected by the slow path (inflated/reassembled)"},
        {"ingest.payloads_in", "nmsg payloads that entered the pipeline"},
        {"ingest.drop_not_dnsqr", "payloads of a type other than base/dnsqr"},
        {"handoff.sent", "RRset records sent to their owner worker"},
        {"handoff.full", "RRset records dropped: the owner's ring was full"},
        {"handoff.no_record", "RRset records dropped: the record pool was empty"},
        {"handoff.received", "RRset records received from other workers"},
        {"tx.frames", "channel frames transmitted"},
        {"tx.full", "channel frames dropped: TX queue full"},
        {"tx.no_mbuf", "channel frames dropped: no mbuf"},
        {"reload.filters", "SIGHUP reloads whose filters were compiled and published to the workers"},
        {"reload.failed", "SIGHUP reloads refused (the configuration did not load or a filter did "
                          "not compile): the previous filters stay"},
    }};

using rt_counters = telemetry::counter_block<rt_counter>;

// Frame- and container-level reconciliation; payload-level equations are built from the
// stage tables at start-up (runtime.cpp) because they sum every drop reason of a table.
inline constexpr std::array<telemetry::equation_info, 2> rt_equations{{
    {"rx.frames_accounted",
     "rx.frames = rx.ingest + rx.exception + rx.ipv4_fragments + rx.drop_fragment_full + "
     "rx.drop_malformed + rx.drop_no_tap",
     telemetry::reconcile_when::always, "every received frame is ingest, exception or a drop"},
    {"rx.ingest_accounted",
     "rx.ingest = nmsg.containers + nmsg.to_slow_path + nmsg.to_slow_full + nmsg.drop_header + "
     "nmsg.drop_container + nmsg.drop_sender_rate",
     telemetry::reconcile_when::always,
     "every ingest datagram is decoded, handed to the slow path, or dropped by reason"},
}};

} // namespace siehub::dataplane
