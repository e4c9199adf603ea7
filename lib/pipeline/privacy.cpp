// SPDX-License-Identifier: Apache-2.0
#include "pipeline/privacy.hpp"

#include <cstring>

#include "proto/net/ip.hpp"
#include "proto/nmsg/messages.hpp"

namespace siehub::pipeline {

namespace {

using pc = privacy_counter;

constexpr std::array<std::uint8_t, 16> zero_address{};

// Calls fn(message_offset, len, is_ecs) for every byte range the options ask to zero.
template <class Fn>
void for_each_scrub_range(const dns::message& m, const privacy_options& opt, Fn&& fn) noexcept
{
    auto it = m.edns_options();
    dns::edns_option o;
    while (it.next(o)) {
        if (o.code == dns::edns_code::client_subnet) {
            // FAMILY (2 bytes) stays: it says nothing about the client and keeps the option
            // well-formed for readers.
            if (opt.scrub_ecs && o.len > 2) {
                fn(std::size_t{o.data_off} + 2, std::size_t{o.len} - 2, true);
            } else if (opt.scrub_ecs) {
                fn(std::size_t{o.data_off}, 0, true);
            }
        } else if (dns::is_privacy_option(o.code)) {
            if (opt.scrub_cookies) {
                fn(std::size_t{o.data_off}, std::size_t{o.len}, false);
            }
        }
    }
}

// Copies a repeated packet field into the packet scratch; the copies are what gets scrubbed.
bool copy_packets(const nmsg::repeated_field<core::byte_view>& r,
                  std::array<core::byte_view, privacy_scratch::max_per_side>& views,
                  privacy_scratch& s, std::size_t& used, std::size_t& n, pc& why) noexcept
{
    n = 0;
    if (r.size() > views.size()) {
        why = pc::too_many_packets;
        return false;
    }
    for (auto b : r) {
        if (s.packet_bytes.size() - used < b.size()) {
            why = pc::out_of_space;
            return false;
        }
        if (!b.empty()) {
            std::memcpy(s.packet_bytes.data() + used, b.data(), b.size());
        }
        views[n++] = core::byte_view{s.packet_bytes.data() + used, b.size()};
        used += b.size();
    }
    return true;
}

template <class T, class U>
bool copy_times(const nmsg::repeated_field<T>& r, std::array<U, privacy_scratch::max_per_side>& a,
                std::size_t& n) noexcept
{
    n = 0;
    if (r.size() > a.size()) {
        return false;
    }
    for (T x : r) {
        a[n++] = static_cast<U>(x);
    }
    return true;
}

std::uint8_t* mutable_at(core::byte_view v) noexcept
{
    // The views point into privacy_scratch::packet_bytes, which the scrubber owns.
    return const_cast<std::uint8_t*>(v.data());
}

// Zeroes the resolver address in every packet of one side (src for queries, dst for
// responses). False when a packet's IP header does not parse.
bool zero_side(std::span<const core::byte_view> packets, bool query) noexcept
{
    for (auto p : packets) {
        net::ip_packet ip;
        if (net::parse_ip(p, ip) != net::errc::ok) {
            return false;
        }
        std::size_t const off = query ? ip.src_off : ip.dst_off;
        std::size_t const len = ip.src.family == 4 ? 4 : 16;
        std::memset(mutable_at(p) + off, 0, len);
    }
    return true;
}

// Scrubs the EDNS options of one side. False when its DNS message cannot be located. `pre`:
// the side as verify reassembled and parsed it, used when it covers the same packets.
bool scrub_side(std::span<const core::byte_view> packets, const privacy_options& opt,
                privacy_scratch& s, privacy_counters& c, parsed_side pre = {}) noexcept
{
    if (packets.empty()) {
        return true;
    }
    if (pre.set == nullptr || pre.message == nullptr || pre.set->size() != packets.size()) {
        if (s.set.assemble(packets, s.reasm) != reasm_status::ok) {
            return false;
        }
        if (s.set.ip().proto != net::ipproto_udp) {
            return false;
        }
        net::udp_header udp;
        if (net::parse_udp(s.set.payload(), udp) != net::errc::ok) {
            return false;
        }
        if (s.message.parse(udp.payload) != dns::errc::ok) {
            return false;
        }
        pre = {&s.set, &s.message};
    }
    packet_set const& set = *pre.set;
    if (set.reassembled()) {
        c.add(pc::fragmented);
    }
    for_each_scrub_range(*pre.message, opt, [&](std::size_t off, std::size_t len, bool ecs) {
        c.add(ecs ? pc::ecs_zeroed : pc::cookies_zeroed);
        // Message offset -> offset in the reassembled L4 payload (after the UDP header).
        set.map_range(off + 8, len, [&](std::size_t idx, std::size_t at, std::size_t n) {
            std::memset(mutable_at(packets[idx]) + at, 0, n);
        });
    });
    return true;
}

} // namespace

edns_scrub_counts scrub_edns(core::byte_span wire, const dns::message& parsed,
                             const privacy_options& opt) noexcept
{
    edns_scrub_counts n;
    for_each_scrub_range(parsed, opt, [&](std::size_t off, std::size_t len, bool ecs) {
        ++(ecs ? n.ecs : n.cookies);
        if (off <= wire.size() && len <= wire.size() - off) {
            std::memset(wire.data() + off, 0, len);
        }
    });
    return n;
}

namespace {

// The packet work common to both ways: EDNS options first (the scrubber parses the packets, and
// zeroed addresses do not matter to it), then the resolver address. `qp`/`rp` view writable
// bytes (the output copy or the packet scratch). Returns pc::scrubbed or the refusal.
pc scrub_packets(std::span<const core::byte_view> qp, std::span<const core::byte_view> rp,
                 const privacy_options& opt, privacy_scratch& s, privacy_counters& c,
                 parsed_side response) noexcept
{
    if (opt.scrub_ecs || opt.scrub_cookies) {
        if (!scrub_side(qp, opt, s, c) || !scrub_side(rp, opt, s, c, response)) {
            return pc::unscrubbable;
        }
    }
    if (opt.zero_resolver) {
        if (!zero_side(qp, true) || !zero_side(rp, false)) {
            return pc::unparsable_packet;
        }
    }
    return pc::scrubbed;
}

// The in-place way for a canonical DnsQR without resolver_address_zeroed (what sensors send):
// the payload is copied once into `out`, the packets and query_ip are patched in the copy at
// the offsets the view found, and udp_checksum / resolver_address_zeroed are appended, which
// keeps the field order canonical (they are the two highest numbers of the schema). Nothing is
// decoded or encoded again.
pc scrub_in_place(const nmsg::dnsqr_view& v, const privacy_options& opt,
                  std::optional<nmsg::udp_checksum> verdict, privacy_scratch& s,
                  core::out_buffer& out, privacy_counters& c, parsed_side response) noexcept
{
    core::byte_view const in = v.bytes();
    std::uint8_t* const dst = out.reserve(in.size());
    if (dst == nullptr) {
        return pc::out_of_space;
    }
    std::memcpy(dst, in.data(), in.size());
    auto moved = [&](core::byte_view b) {
        return core::byte_view{dst + (b.data() - in.data()), b.size()};
    };
    auto map_side = [&](const nmsg::repeated_field<core::byte_view>& r,
                        std::array<core::byte_view, privacy_scratch::max_per_side>& views,
                        std::size_t& n) {
        n = 0;
        if (r.size() > views.size()) {
            return false;
        }
        for (auto b : r) {
            views[n++] = moved(b);
        }
        return true;
    };
    std::size_t nq = 0;
    std::size_t nr = 0;
    constexpr std::size_t max_times = privacy_scratch::max_per_side; // as the re-encode way
    if (!map_side(v.query_packet(), s.query_packets, nq) ||
        !map_side(v.response_packet(), s.response_packets, nr) ||
        v.query_time_sec().size() > max_times || v.query_time_nsec().size() > max_times ||
        v.response_time_sec().size() > max_times || v.response_time_nsec().size() > max_times) {
        return pc::too_many_packets;
    }
    std::span<const core::byte_view> const qp{s.query_packets.data(), nq};
    std::span<const core::byte_view> const rp{s.response_packets.data(), nr};
    if (auto const why = scrub_packets(qp, rp, opt, s, c, response); why != pc::scrubbed) {
        return why;
    }
    bool zeroed = false;
    if (opt.zero_resolver) {
        core::byte_view const qip = v.query_ip();
        if (qip.size() > zero_address.size()) {
            return pc::unparsable_packet;
        }
        if (!qip.empty()) {
            std::memset(const_cast<std::uint8_t*>(moved(qip).data()), 0, qip.size());
        }
        zeroed = !qip.empty() || nq > 0 || nr > 0;
    }
    if (!v.udp_checksum() && verdict) {
        nmsg::pb_put_int(out, 21, static_cast<std::int32_t>(*verdict));
    }
    if (zeroed) {
        nmsg::pb_put_uint(out, 22, 1);
        c.add(pc::resolver_zeroed);
    }
    return out.ok() ? pc::scrubbed : pc::out_of_space;
}

} // namespace

privacy_counter scrub_dnsqr(core::byte_view dnsqr, const privacy_options& opt,
                            std::optional<nmsg::udp_checksum> verdict, privacy_scratch& s,
                            core::out_buffer& out, privacy_counters& c) noexcept
{
    return scrub_dnsqr(nmsg::dnsqr_view(dnsqr), opt, verdict, s, out, c);
}

privacy_counter scrub_dnsqr(const nmsg::dnsqr_view& v, const privacy_options& opt,
                            std::optional<nmsg::udp_checksum> verdict, privacy_scratch& s,
                            core::out_buffer& out, privacy_counters& c,
                            parsed_side response) noexcept
{
    auto refuse = [&](pc why) {
        c.add(why);
        return why;
    };
    if (!v.ok()) {
        return refuse(pc::bad_dnsqr);
    }
    std::size_t const mark = out.size();
    if (opt.in_place && v.canonical() && !v.resolver_address_zeroed()) {
        pc const why = scrub_in_place(v, opt, verdict, s, out, c, response);
        if (why != pc::scrubbed) {
            out.rewind(mark);
            return refuse(why);
        }
        c.add(pc::scrubbed);
        return pc::scrubbed;
    }

    // Any other DnsQR (unknown fields, which are dropped; fields out of order; the flag already
    // present) is decoded into scratch copies and encoded again.
    std::size_t used = 0;
    std::size_t nq = 0;
    std::size_t nr = 0;
    pc why = pc::scrubbed;
    if (!copy_packets(v.query_packet(), s.query_packets, s, used, nq, why) ||
        !copy_packets(v.response_packet(), s.response_packets, s, used, nr, why)) {
        return refuse(why);
    }
    std::size_t nqs = 0;
    std::size_t nqn = 0;
    std::size_t nrs = 0;
    std::size_t nrn = 0;
    if (!copy_times(v.query_time_sec(), s.query_sec, nqs) ||
        !copy_times(v.query_time_nsec(), s.query_nsec, nqn) ||
        !copy_times(v.response_time_sec(), s.response_sec, nrs) ||
        !copy_times(v.response_time_nsec(), s.response_nsec, nrn)) {
        return refuse(pc::too_many_packets);
    }
    std::span<const core::byte_view> const qp{s.query_packets.data(), nq};
    std::span<const core::byte_view> const rp{s.response_packets.data(), nr};

    nmsg::dnsqr_fields f;
    f.type = v.type();
    f.query_ip = v.query_ip();
    f.response_ip = v.response_ip();
    f.proto = v.proto();
    f.query_port = v.query_port();
    f.response_port = v.response_port();
    f.id = v.id();
    f.qname = v.qname();
    f.qtype = v.qtype();
    f.qclass = v.qclass();
    f.rcode = v.rcode();
    f.query_packet = qp;
    f.query_time_sec = {s.query_sec.data(), nqs};
    f.query_time_nsec = {s.query_nsec.data(), nqn};
    f.response_packet = rp;
    f.response_time_sec = {s.response_sec.data(), nrs};
    f.response_time_nsec = {s.response_nsec.data(), nrn};
    f.tcp = v.tcp();
    f.icmp = v.icmp();
    f.timeout = v.timeout();
    f.udp_checksum = v.udp_checksum();
    if (!f.udp_checksum && verdict) {
        f.udp_checksum = static_cast<std::int32_t>(*verdict);
    }
    f.resolver_address_zeroed = v.resolver_address_zeroed();

    if (why = scrub_packets(qp, rp, opt, s, c, response); why != pc::scrubbed) {
        return refuse(why);
    }
    if (opt.zero_resolver) {
        bool const any = !f.query_ip.empty() || nq > 0 || nr > 0;
        if (!f.query_ip.empty()) {
            if (f.query_ip.size() > zero_address.size()) {
                return refuse(pc::unparsable_packet);
            }
            f.query_ip = core::byte_view{zero_address.data(), f.query_ip.size()};
        }
        if (any) {
            f.resolver_address_zeroed = true;
            c.add(pc::resolver_zeroed);
        }
    }
    if (!nmsg::encode(out, f)) {
        out.rewind(mark);
        return refuse(pc::out_of_space);
    }
    c.add(pc::scrubbed);
    return pc::scrubbed;
}

// ------------------------------------------------------------------------------ SipHash

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept
{
    return (x << b) | (x >> (64 - b));
}

struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    void round() noexcept
    {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void compress(std::uint64_t m) noexcept
    {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

} // namespace

siphash_key siphash_key::from_bytes(const std::array<std::uint8_t, 16>& b) noexcept
{
    return {core::load_le64(b.data()), core::load_le64(b.data() + 8)};
}

std::uint64_t siphash24(const siphash_key& key, core::byte_view data) noexcept
{
    sip_state s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
    std::size_t const n = data.size();
    std::size_t const whole = n & ~std::size_t{7};
    for (std::size_t i = 0; i < whole; i += 8) {
        s.compress(core::load_le64(data.data() + i));
    }
    // Last block: the remaining bytes little-endian, the length's low byte on top.
    std::uint64_t b = std::uint64_t{n & 0xff} << 56;
    for (std::size_t i = 0; i < (n & 7); ++i) {
        b |= std::uint64_t{data[whole + i]} << (8 * i);
    }
    s.compress(b);
    s.v2 ^= 0xff;
    s.round();
    s.round();
    s.round();
    s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint32_t pseudonym(const siphash_key& key, core::byte_view sensor_identity) noexcept
{
    std::uint64_t const h = siphash24(key, sensor_identity);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::uint32_t pseudonym(const siphash_key& key, std::uint32_t sensor_id) noexcept
{
    std::uint8_t b[4];
    core::store_le32(b, sensor_id);
    return pseudonym(key, core::byte_view{b, 4});
}

} // namespace siehub::pipeline
