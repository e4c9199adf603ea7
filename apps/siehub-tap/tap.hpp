// SPDX-License-Identifier: Apache-2.0
#pragma once
// siehub-tap's engine, independent of where frames come from (AF_PACKET ring or pcap) so the
// benchmark and the tests drive the same code: frames -> channel (VLAN id) -> nmsg datagram ->
// fragment reassembly -> zlib -> container -> payloads -> one output (rotating nmsg files,
// JSON Lines, or re-sent nmsg over UDP). Per-sender sequence loss as libnmsg counts it
// (proto/nmsg/seqsrc.hpp), per-channel counts, and every dropped frame or payload counted by
// reason. Single-threaded: one core reads the ring and writes the output.

#include <array>
#include <bitset>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proto/nmsg/container.hpp"
#include "proto/nmsg/seqsrc.hpp"
#include "proto/nmsg/unit_reader.hpp"
#include "telemetry/counters.hpp"

namespace siehub::tap {

enum class tap_counter : std::uint8_t {
    frames,
    ignored_outgoing,
    ignored_not_ip,
    ignored_not_udp,
    ignored_other_port,
    ignored_other_channel,
    vlan_from_ring,
    drop_frame_truncated,
    drop_frame_malformed,
    drop_ipv4_fragment,
    datagrams,
    drop_container_header,
    fragments,
    drop_fragment,
    drop_zlib,
    drop_container,
    containers,
    payloads,
    drop_payload_crc,
    drop_output_refused,
    payloads_out,
    count_,
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<tap_counter>>
    tap_counter_table{{
        {"tap.frames", "frames read from the ring or the capture"},
        {"tap.ignored_outgoing", "frames this host sent (PACKET_OUTGOING), not channel input"},
        {"tap.ignored_not_ip", "frames that are not IPv4/IPv6 (ARP, LLDP, ...)"},
        {"tap.ignored_not_udp", "IP frames that are not UDP"},
        {"tap.ignored_other_port", "UDP frames to another port than --port"},
        {"tap.ignored_other_channel", "nmsg frames of a channel (VLAN) not selected by --channel"},
        {"tap.vlan_from_ring",
         "frames whose channel came from the ring's VLAN metadata (the kernel stripped the tag)"},
        {"tap.drop_frame_truncated", "Ethernet/VLAN/IP/UDP headers cut short"},
        {"tap.drop_frame_malformed",
         "inconsistent IP/UDP header (version, IHL, lengths, IPv6 extension headers, > 2 tags)"},
        {"tap.drop_ipv4_fragment", "IPv4 fragments (channels never send IP-fragmented datagrams)"},
        {"tap.datagrams", "UDP datagrams of a selected channel handed to the nmsg decoder"},
        {"tap.drop_container_header",
         "datagrams whose nmsg header is bad (magic, version, length, libnmsg's headerless zlib)"},
        {"tap.fragments", "nmsg fragment datagrams received (flag 0x02)"},
        {"tap.drop_fragment",
         "fragments dropped by reassembly (malformed, inconsistent, CRC, bounds)"},
        {"tap.drop_zlib", "zlib containers that do not inflate to their stated length"},
        {"tap.drop_container",
         "containers that do not decode (protobuf, required fields, no payloads)"},
        {"tap.containers", "complete containers decoded"},
        {"tap.payloads", "payloads in decoded containers"},
        {"tap.drop_payload_crc",
         "payloads whose CRC does not match (nmsgtool drops them silently)"},
        {"tap.drop_output_refused", "payloads the output cannot take (JSON: no nmsgtool module for "
                                    "the type; nmsg: too large)"},
        {"tap.payloads_out", "payloads written to the output"},
    }};

using tap_counters = telemetry::counter_block<tap_counter>;

inline constexpr std::size_t max_channels = 4096;

// Where payloads go. put() returns false when the payload is refused (counted by the caller).
class payload_sink {
public:
    virtual ~payload_sink() = default;
    virtual bool put(std::uint16_t channel, const nmsg::payload_view& p) = 0;
    // About once a second: flush partly filled containers/lines, rotate files by time.
    virtual void tick(std::int64_t now_unix) = 0;
    // Flushes and closes everything (files renamed to their final names). Idempotent.
    virtual void close() = 0;
    // A write error (disk full, socket gone): the run stops with status 1.
    [[nodiscard]] virtual bool failed() const noexcept = 0;
    [[nodiscard]] virtual std::string error() const { return {}; }
};

struct sink_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// nmsg files named by an strftime pattern (UTC), written as `.NAME.part` in the same
// directory and renamed to NAME when closed; rotated at each multiple of `rotate_seconds`
// since the epoch (0 = never) and before a container would take the file past `rotate_bytes`
// (0 = never). Containers are
// written whole, a fragmented payload's fragments all into one file, so every closed file is
// a complete nmsg file. Containers as nmsgtool -w writes them: payload CRCs, no sequence.
struct file_sink_options {
    std::string pattern;
    std::uint64_t rotate_seconds = 0;
    std::uint64_t rotate_bytes = 0;
    std::size_t container_size = nmsg::container_size_max;
    bool zlib = false;
};
std::unique_ptr<payload_sink> make_file_sink(const file_sink_options& o);

// JSON Lines exactly as nmsgtool -J, to a file or "-" (stdout).
std::unique_ptr<payload_sink> make_json_sink(const std::string& path);

// nmsg over UDP to ADDR/PORT (IPv4 or IPv6; broadcast allowed) as nmsgtool -s sends it:
// containers of at most `container_size` bytes with sequence numbers under one random
// sequence_id, larger payloads fragmented.
std::unique_ptr<payload_sink> make_udp_sink(const std::string& addr_port,
                                            std::size_t container_size, bool zlib);

struct decoder_options {
    std::uint16_t port = 8430;          // UDP destination port; 0 = any
    std::bitset<max_channels> channels; // selected channels
    bool all_channels = true;
    std::uint16_t untagged_channel = 0; // channel of frames without a VLAN tag
    std::uint64_t count = 0;            // stop after this many payloads out; 0 = no limit
};

struct channel_stats {
    std::uint64_t datagrams = 0;
    std::uint64_t bytes = 0;    // UDP payload bytes
    std::uint64_t payloads = 0; // payloads out
    std::uint64_t lost = 0;     // containers lost by sequence
    std::uint64_t last_payloads = 0;
    double payloads_per_s = 0;
};

struct sender_stats {
    std::uint16_t channel = 0;
    std::uint64_t containers = 0;
    std::uint64_t lost = 0;
};

class decoder {
public:
    decoder(const decoder_options& o, payload_sink& out);

    // One Ethernet frame. meta_vlan: the VLAN id the kernel took off (ring metadata), -1 if
    // none. now_ms: the frame's time, for fragment timeouts and sequence-state expiry.
    void frame(core::byte_view data, int meta_vlan, std::uint64_t now_ms);

    // Counts a frame that was ignored before decoding (e.g. outgoing).
    void ignore(tap_counter c) noexcept
    {
        counters_.add(tap_counter::frames);
        counters_.add(c);
    }

    // --count reached: later frames are ignored.
    [[nodiscard]] bool done() const noexcept { return done_; }

    // Per-second rates over `seconds` since the last call.
    void update_rates(double seconds) noexcept;

    [[nodiscard]] const tap_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const std::array<channel_stats, max_channels>& channels() const noexcept
    {
        return *channels_;
    }
    [[nodiscard]] const std::map<nmsg::seq_key, sender_stats>& senders() const noexcept
    {
        return senders_;
    }
    [[nodiscard]] const nmsg::seqsrc_tracker& sequence() const noexcept { return seq_; }
    [[nodiscard]] const nmsg::reassembler& reassembly() const noexcept
    {
        return reader_.reassembly();
    }

private:
    void datagram(std::uint16_t channel, core::byte_view udp_payload,
                  const std::array<std::uint8_t, 16>& addr, std::uint16_t port,
                  std::uint64_t now_ms);

    decoder_options opt_;
    payload_sink& out_;
    tap_counters counters_;
    std::unique_ptr<std::array<channel_stats, max_channels>> channels_;
    std::map<nmsg::seq_key, sender_stats> senders_;
    nmsg::seqsrc_tracker seq_;
    nmsg::unit_reader reader_;
    bool done_ = false;
};

// The one-line summary printed once a second and at exit.
std::string live_line(const decoder& d, double elapsed_s, std::uint64_t ring_drops);

// The --stats-json document.
std::string stats_json(const decoder& d, double elapsed_s, const std::string& input,
                       std::uint64_t ring_packets, std::uint64_t ring_drops);

} // namespace siehub::tap
