// SPDX-License-Identifier: Apache-2.0
// gen_pcap: writes a pcap of sensor traffic for the pipeline benchmark: Ethernet/IPv4/UDP
// datagrams to the hub's ingest port, each one nmsg container (with sequence) of base/dnsqr
// payloads that the hub's verifier accepts (sie.md §2): UDP_QUERY_RESPONSE, RD = 0 queries,
// mirrored addresses and ports, correct UDP checksums inside, AA answers whose bailiwick the
// response's own NS/SOA evidence establishes. Names come from a Zipf-popular universe over real
// public suffixes; a repeat of an earlier (qname, qtype) carries the same RRsets, so the
// duplicate ratio the hub's dedup sees is the --dup parameter (within one pass of the file).
// Deterministic: the same arguments give the same bytes. The seed of apps/siehub-gen (issue 5).

#include <pcap/pcap.h>

#include <CLI/CLI.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/out_buffer.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/writer.hpp"
#include "proto/net/frame_writer.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/types.hpp"

using namespace siehub;

namespace {

// splitmix64: small, fast, and good enough for traffic shapes; fixed, so output is stable.
struct rng {
    std::uint64_t s;
    std::uint64_t next() noexcept
    {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    std::uint32_t below(std::uint32_t n) noexcept
    {
        return static_cast<std::uint32_t>((next() >> 32) * n >> 32);
    }
};

std::uint64_t mix(std::uint64_t x) noexcept
{
    return rng{x}.next();
}

// Rank 0..n-1 with P(rank k) ~ 1/(k+1)^s: inverse CDF of the continuous power law (close
// enough to discrete Zipf for a traffic shape, and O(1)).
std::uint32_t zipf(rng& r, std::uint32_t n, double s) noexcept
{
    double const u = r.uniform();
    double x;
    if (std::fabs(s - 1.0) < 1e-9) {
        x = std::exp(u * std::log(static_cast<double>(n) + 1.0));
    } else {
        double const a = 1.0 - s;
        x = std::pow(u * (std::pow(static_cast<double>(n) + 1.0, a) - 1.0) + 1.0, 1.0 / a);
    }
    auto k = static_cast<std::uint32_t>(x) - 1;
    return k < n ? k : n - 1;
}

// Real public suffixes (PSL), weighted by repetition like the shape of a resolver's traffic.
constexpr std::array<std::string_view, 16> suffixes{
    "com", "com", "com",    "com", "net", "org", "de",   "co.uk",
    "io",  "ru",  "com.br", "jp",  "fr",  "nl",  "info", "com.au"};
constexpr std::array<std::string_view, 12> hosts{"www",    "www", "www", "mail",  "api",  "cdn",
                                                 "static", "m",   "img", "login", "shop", "app"};

std::string label(std::uint64_t h, unsigned min_len, unsigned max_len)
{
    static constexpr char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned const len = min_len + static_cast<unsigned>(h % (max_len - min_len + 1));
    std::string s;
    h = mix(h);
    for (unsigned i = 0; i < len; ++i) {
        s += alpha[(i == 0 ? h % 26 : h % 36)];
        h = h / 36 ^ mix(h + i);
    }
    return s;
}

// "www.example.com" -> wire form.
std::vector<std::uint8_t> to_wire(std::string_view name)
{
    std::vector<std::uint8_t> w;
    while (!name.empty()) {
        auto const dot = name.find('.');
        auto const l = name.substr(0, dot);
        w.push_back(static_cast<std::uint8_t>(l.size()));
        w.insert(w.end(), l.begin(), l.end());
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    w.push_back(0);
    return w;
}

struct zone_info {
    std::string apex;
    std::array<std::uint8_t, 4> ns_addr[2];
};

zone_info zone_of(std::uint32_t z)
{
    std::uint64_t const h = mix(0x20e5ull * 1000003 + z);
    zone_info zi;
    zi.apex = label(h, 3, 12) + "." + std::string(suffixes[h % suffixes.size()]);
    for (unsigned k = 0; k < 2; ++k) {
        // Authoritative servers in 198.18.0.0/15 (RFC 2544 benchmarking space).
        std::uint64_t const a = mix(h + 17 + k);
        zi.ns_addr[k] = {198, static_cast<std::uint8_t>(18 + (a & 1)),
                         static_cast<std::uint8_t>(a >> 8),
                         static_cast<std::uint8_t>(1 + (a >> 16) % 254)};
    }
    return zi;
}

// One's-complement IPv4 header and UDP checksums (pseudo-header included).
void write_ipv4_udp(core::out_buffer& out, std::array<std::uint8_t, 4> src,
                    std::array<std::uint8_t, 4> dst, std::uint16_t sport, std::uint16_t dport,
                    std::uint16_t ip_id, core::byte_view dns)
{
    auto const udp_len = static_cast<std::uint16_t>(8 + dns.size());
    std::uint8_t* ip = out.reserve(20);
    std::uint8_t* udp = out.reserve(8);
    out.put(dns);
    if (!out.ok()) {
        return;
    }
    ip[0] = 0x45;
    ip[1] = 0;
    core::store_be16(ip + 2, static_cast<std::uint16_t>(20 + udp_len));
    core::store_be16(ip + 4, ip_id);
    core::store_be16(ip + 6, 0);
    ip[8] = 64;
    ip[9] = 17;
    core::store_be16(ip + 10, 0);
    std::memcpy(ip + 12, src.data(), 4);
    std::memcpy(ip + 16, dst.data(), 4);
    core::store_be16(ip + 10, static_cast<std::uint16_t>(~net::fold(net::ones_sum(ip, 20))));
    core::store_be16(udp, sport);
    core::store_be16(udp + 2, dport);
    core::store_be16(udp + 4, udp_len);
    core::store_be16(udp + 6, 0);
    std::uint32_t acc = net::ones_sum(ip + 12, 8);
    acc += 17u + udp_len;
    acc = net::ones_sum(udp, udp_len, acc);
    auto const sum = static_cast<std::uint16_t>(~net::fold(acc));
    core::store_be16(udp + 6, sum == 0 ? 0xffff : sum);
}

enum class kind : std::uint8_t { noerror, nxdomain, servfail };

struct transaction {
    std::uint32_t name; // universe index
    std::uint16_t qtype;
};

struct options {
    std::string out;
    std::uint64_t seed = 1;
    std::uint32_t payloads = 9000;
    std::uint32_t names = 100000;
    double zipf_s = 1.0;
    double dup = 0.5;
    double nx = 0.08;
    double servfail = 0.01;
    unsigned container = 1280;
    unsigned sensors = 4;
    std::uint16_t port = 8430;
};

struct stats {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t payloads = 0;
    std::uint64_t noerror = 0;
    std::uint64_t repeats = 0;
    std::uint64_t nxdomain = 0;
    std::uint64_t servfail = 0;
};

class generator {
public:
    explicit generator(const options& o) : o_(o), r_{o.seed}
    {
        zones_ = std::max<std::uint32_t>(1, o.names / 6);
        for (unsigned k = 0; k < o.sensors; ++k) {
            sensors_.push_back(sensor{k, std::vector<std::uint8_t>(o.container), 0,
                                      mix(o.seed ^ (0x5e45ull << 32) ^ k)});
        }
        for (auto& s : sensors_) {
            s.builder = std::make_unique<nmsg::container_builder>(
                core::byte_span{s.buf.data(), s.buf.size()}, o.container, true, false);
        }
    }

    bool run(pcap_dumper_t* d)
    {
        dumper_ = d;
        for (std::uint32_t i = 0; i < o_.payloads; ++i) {
            std::size_t n = 0;
            if (!one_payload(n)) {
                return false;
            }
            auto& s = sensors_[r_.below(static_cast<std::uint32_t>(sensors_.size()))];
            core::byte_view const vendor{payload_.data(), n};
            nmsg::payload_header h{1, 9, t_sec_, t_nsec_, std::nullopt, std::nullopt, std::nullopt};
            if (s.builder->add(h, vendor) == nmsg::container_builder::add_status::full) {
                flush(s);
                if (s.builder->add(h, vendor) != nmsg::container_builder::add_status::added) {
                    std::fprintf(stderr, "gen_pcap: a payload does not fit a container\n");
                    return false;
                }
            }
            ++st_.payloads;
        }
        for (auto& s : sensors_) {
            flush(s);
        }
        return true;
    }

    const stats& result() const { return st_; }

private:
    struct sensor {
        unsigned index;
        std::vector<std::uint8_t> buf;
        std::uint32_t sequence;
        std::uint64_t sequence_id;
        std::unique_ptr<nmsg::container_builder> builder;
    };

    void flush(sensor& s)
    {
        if (s.builder->empty()) {
            return;
        }
        core::byte_view const unit = s.builder->finish(s.sequence++, s.sequence_id);
        net::channel_frame_spec spec;
        spec.dst_mac = {0x02, 0x70, 0x63, 0x61, 0x70, 0x00}; // net_pcap0's MAC
        spec.src_mac = {0x02, 0x00, 0x00, 0x00, 0x01, static_cast<std::uint8_t>(s.index)};
        spec.vlan = 0;
        spec.src_ip = {192, 0, 2, static_cast<std::uint8_t>(10 + s.index)};
        spec.dst_ip = {192, 0, 2, 1};
        spec.src_port = static_cast<std::uint16_t>(50000 + s.index);
        spec.dst_port = o_.port;
        std::vector<std::uint8_t> frame(net::channel_frame_overhead(false) + unit.size());
        core::out_buffer out({frame.data(), frame.size()});
        net::write_channel_frame(out, spec, ip_id_++, unit);
        pcap_pkthdr ph{};
        ph.ts.tv_sec = static_cast<time_t>(t_sec_);
        ph.ts.tv_usec = static_cast<suseconds_t>(t_nsec_ / 1000);
        ph.caplen = ph.len = static_cast<bpf_u_int32>(out.size());
        pcap_dump(reinterpret_cast<u_char*>(dumper_), &ph, frame.data());
        ++st_.frames;
        st_.bytes += out.size();
        s.builder->reset();
    }

    transaction pick()
    {
        if (!seen_.empty() && r_.uniform() < o_.dup) {
            ++st_.repeats;
            return seen_[zipf(r_, static_cast<std::uint32_t>(seen_.size()), o_.zipf_s)];
        }
        // A new transaction: a name from the universe by popularity, a qtype by mix.
        transaction t{zipf(r_, o_.names, o_.zipf_s), dns::rrtype::a};
        std::uint32_t const q = r_.below(100);
        t.qtype = q < 60 ? dns::rrtype::a : q < 90 ? dns::rrtype::aaaa : dns::rrtype::ns;
        seen_.push_back(t);
        return t;
    }

    // Builds one DnsQR into payload_; n = its size.
    bool one_payload(std::size_t& n)
    {
        // Time advances ~20 µs per transaction (50k/s of sensor traffic).
        t_nsec_ += 10000 + r_.below(20000);
        if (t_nsec_ >= 1000000000) {
            t_nsec_ -= 1000000000;
            ++t_sec_;
        }
        double const k = r_.uniform();
        kind const kd = k < o_.nx                 ? kind::nxdomain
                        : k < o_.nx + o_.servfail ? kind::servfail
                                                  : kind::noerror;
        transaction t{};
        std::string qname;
        zone_info zi;
        if (kd == kind::noerror) {
            t = pick();
            zi = zone_of(static_cast<std::uint32_t>(mix(t.name) % zones_));
            qname = t.qtype == dns::rrtype::ns
                        ? zi.apex
                        : std::string(hosts[mix(t.name + 1) % hosts.size()]) +
                              (t.name % 3 == 0 ? "" : std::to_string(t.name % 97)) + "." + zi.apex;
            ++st_.noerror;
        } else {
            // A fresh typo-like label under a real zone: NXDOMAIN names rarely repeat.
            zi = zone_of(zipf(r_, zones_, o_.zipf_s));
            qname = label(r_.next(), 4, 14) + "." + zi.apex;
            t.qtype = dns::rrtype::a;
            ++(kd == kind::nxdomain ? st_.nxdomain : st_.servfail);
        }
        auto const qw = to_wire(qname);
        auto const apex = to_wire(zi.apex);
        auto const ns1 = to_wire("ns1." + zi.apex);
        auto const ns2 = to_wire("ns2." + zi.apex);

        unsigned const srv = r_.below(2);
        std::array<std::uint8_t, 4> const resolver{198, 19,
                                                   static_cast<std::uint8_t>(200 + r_.below(8)),
                                                   static_cast<std::uint8_t>(1 + r_.below(4))};
        std::array<std::uint8_t, 4> const server = zi.ns_addr[srv];
        auto const qport = static_cast<std::uint16_t>(1024 + r_.below(64000));
        auto const id = static_cast<std::uint16_t>(r_.next());
        std::array<std::uint8_t, 8> ccookie;
        for (auto& b : ccookie) {
            b = static_cast<std::uint8_t>(r_.next());
        }

        // Query: RD = 0 (a cache miss), EDNS with a client cookie.
        std::array<std::uint8_t, 512> qbuf;
        core::out_buffer qo({qbuf.data(), qbuf.size()});
        dns::message_writer qwr(qo);
        qwr.begin(id, 0x0000);
        qwr.question({qw.data(), qw.size()}, t.qtype, dns::rrclass::in);
        qwr.begin_opt(1232);
        qwr.add_edns_option(dns::edns_code::cookie, {ccookie.data(), ccookie.size()});
        qwr.end_rr();
        if (qwr.finish() != dns::errc::ok) {
            std::fprintf(stderr, "gen_pcap: query writer failed for %s\n", qname.c_str());
            return false;
        }

        // Response: QR AA, the rcode of its kind.
        std::array<std::uint8_t, 1024> rbuf;
        core::out_buffer ro({rbuf.data(), rbuf.size()});
        dns::message_writer rw(ro);
        std::uint16_t const rcode = kd == kind::nxdomain ? 3 : kd == kind::servfail ? 2 : 0;
        rw.begin(id, static_cast<std::uint16_t>(0x8400 | rcode));
        rw.question({qw.data(), qw.size()}, t.qtype, dns::rrclass::in);
        std::uint64_t const hn = mix(0xa11ull ^ (std::uint64_t{t.name} << 16) ^ t.qtype);
        auto glue = [&](dns::section s) {
            std::array<std::uint8_t, 4> a0 = zi.ns_addr[0], a1 = zi.ns_addr[1];
            rw.add_rr(s, {ns1.data(), ns1.size()}, dns::rrtype::a, dns::rrclass::in, 172800, a0);
            rw.add_rr(s, {ns2.data(), ns2.size()}, dns::rrtype::a, dns::rrclass::in, 172800, a1);
        };
        auto ns_set = [&](dns::section s) {
            rw.begin_rr(s, {apex.data(), apex.size()}, dns::rrtype::ns, dns::rrclass::in, 172800);
            rw.rdata_name({ns1.data(), ns1.size()}, true);
            rw.end_rr();
            rw.begin_rr(s, {apex.data(), apex.size()}, dns::rrtype::ns, dns::rrclass::in, 172800);
            rw.rdata_name({ns2.data(), ns2.size()}, true);
            rw.end_rr();
        };
        if (kd == kind::noerror) {
            unsigned const na = 1 + static_cast<unsigned>(hn % 3);
            if (t.qtype == dns::rrtype::ns) {
                ns_set(dns::section::answer);
            } else {
                for (unsigned i = 0; i < na; ++i) {
                    std::uint64_t const a = mix(hn + i);
                    if (t.qtype == dns::rrtype::a) {
                        std::array<std::uint8_t, 4> v{203, 0, static_cast<std::uint8_t>(a),
                                                      static_cast<std::uint8_t>(a >> 8)};
                        rw.add_rr(dns::section::answer, {qw.data(), qw.size()}, t.qtype,
                                  dns::rrclass::in, 300, v);
                    } else {
                        std::array<std::uint8_t, 16> v{0x20, 0x01, 0x0d, 0xb8};
                        for (unsigned b = 8; b < 16; ++b) {
                            v[b] = static_cast<std::uint8_t>(a >> (8 * (b - 8)));
                        }
                        rw.add_rr(dns::section::answer, {qw.data(), qw.size()}, t.qtype,
                                  dns::rrclass::in, 300, v);
                    }
                }
                ns_set(dns::section::authority);
            }
            glue(dns::section::additional);
        } else if (kd == kind::nxdomain) {
            rw.begin_rr(dns::section::authority, {apex.data(), apex.size()}, dns::rrtype::soa,
                        dns::rrclass::in, 3600);
            auto const host = to_wire("hostmaster." + zi.apex);
            rw.rdata_name({ns1.data(), ns1.size()}, true);
            rw.rdata_name({host.data(), host.size()}, true);
            rw.rdata_u32(2024010100 + static_cast<std::uint32_t>(hn % 100));
            rw.rdata_u32(7200);
            rw.rdata_u32(3600);
            rw.rdata_u32(1209600);
            rw.rdata_u32(3600);
            rw.end_rr();
        }
        std::array<std::uint8_t, 24> cookie{};
        std::memcpy(cookie.data(), ccookie.data(), 8);
        for (unsigned b = 8; b < 24; ++b) {
            cookie[b] = static_cast<std::uint8_t>(hn >> (b % 8 * 8));
        }
        rw.begin_opt(1232);
        rw.add_edns_option(dns::edns_code::cookie, {cookie.data(), cookie.size()});
        rw.end_rr();
        if (rw.finish() != dns::errc::ok) {
            std::fprintf(stderr, "gen_pcap: response writer failed for %s\n", qname.c_str());
            return false;
        }

        std::array<std::uint8_t, 1200> qpkt_buf, rpkt_buf;
        core::out_buffer qp({qpkt_buf.data(), qpkt_buf.size()});
        write_ipv4_udp(qp, resolver, server, qport, 53, static_cast<std::uint16_t>(r_.next()),
                       qwr.written());
        core::out_buffer rp({rpkt_buf.data(), rpkt_buf.size()});
        write_ipv4_udp(rp, server, resolver, 53, qport, static_cast<std::uint16_t>(r_.next()),
                       rw.written());
        if (!qp.ok() || !rp.ok()) {
            return false;
        }

        // The response arrives 0.2..30 ms after the query.
        std::int64_t q_sec = t_sec_;
        std::uint32_t q_nsec = t_nsec_;
        std::uint32_t const delay = 200000 + r_.below(30000000);
        std::int64_t r_sec = q_sec;
        std::uint32_t r_nsec = q_nsec + delay;
        if (r_nsec >= 1000000000) {
            r_nsec -= 1000000000;
            ++r_sec;
        }
        std::array<core::byte_view, 1> qpk{qp.written()}, rpk{rp.written()};
        std::array<std::int64_t, 1> qs{q_sec}, rs{r_sec};
        std::array<std::int32_t, 1> qn{static_cast<std::int32_t>(q_nsec)},
            rn{static_cast<std::int32_t>(r_nsec)};
        nmsg::dnsqr_fields f;
        f.type = static_cast<std::int32_t>(nmsg::dnsqr_type::udp_query_response);
        f.query_ip = resolver;
        f.response_ip = server;
        f.proto = 17;
        f.query_port = qport;
        f.response_port = 53;
        f.id = id;
        f.qname = core::byte_view{qw.data(), qw.size()};
        f.qtype = t.qtype;
        f.qclass = dns::rrclass::in;
        f.rcode = rcode;
        f.query_packet = qpk;
        f.query_time_sec = qs;
        f.query_time_nsec = qn;
        f.response_packet = rpk;
        f.response_time_sec = rs;
        f.response_time_nsec = rn;
        f.udp_checksum = static_cast<std::int32_t>(nmsg::udp_checksum::correct);
        core::out_buffer po({payload_.data(), payload_.size()});
        if (!nmsg::encode(po, f)) {
            return false;
        }
        n = po.size();
        return true;
    }

    const options& o_;
    rng r_;
    std::uint32_t zones_;
    std::vector<sensor> sensors_;
    std::vector<transaction> seen_;
    std::array<std::uint8_t, 4096> payload_{};
    pcap_dumper_t* dumper_ = nullptr;
    std::int64_t t_sec_ = 1795382289; // 2026-11-22, as the golden dnsqr capture
    std::uint32_t t_nsec_ = 0;
    std::uint16_t ip_id_ = 1;
    stats st_;
};

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"gen_pcap - sensor traffic (nmsg base/dnsqr over UDP) for the pipeline benchmark"};
    options o;
    app.add_option("-o,--out", o.out, "pcap file to write")->required();
    app.add_option("--seed", o.seed, "random seed (same seed, same bytes)");
    app.add_option("--payloads", o.payloads, "dnsqr payloads to generate")
        ->check(CLI::Range(1u, 100000000u));
    app.add_option("--names", o.names, "size of the Zipf name universe")
        ->check(CLI::Range(1u, 100000000u));
    app.add_option("--zipf", o.zipf_s, "Zipf exponent of name popularity")
        ->check(CLI::Range(0.1, 3.0));
    app.add_option("--dup", o.dup, "fraction of NOERROR transactions that repeat an earlier one")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--nx", o.nx, "fraction of NXDOMAIN responses")->check(CLI::Range(0.0, 1.0));
    app.add_option("--servfail", o.servfail, "fraction of SERVFAIL responses")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--container", o.container, "container (datagram) size: 1280 or 8192")
        ->check(CLI::IsMember({1280u, 8192u}));
    app.add_option("--sensors", o.sensors, "sensors (sources, each with its own sequence)")
        ->check(CLI::Range(1u, 200u));
    app.add_option("--port", o.port, "the hub's ingest UDP port");
    CLI11_PARSE(app, argc, argv);
    if (o.nx + o.servfail > 1.0) {
        std::fprintf(stderr, "gen_pcap: --nx + --servfail > 1\n");
        return 2;
    }

    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* d = pcap_dump_open(dead, o.out.c_str());
    if (d == nullptr) {
        std::fprintf(stderr, "gen_pcap: %s: %s\n", o.out.c_str(), pcap_geterr(dead));
        return 1;
    }
    generator g(o);
    bool const ok = g.run(d);
    pcap_dump_close(d);
    pcap_close(dead);
    if (!ok) {
        return 1;
    }
    auto const& s = g.result();
    std::printf("{\"frames\": %llu, \"bytes\": %llu, \"payloads\": %llu, \"noerror\": %llu, "
                "\"noerror_repeats\": %llu, \"nxdomain\": %llu, \"servfail\": %llu, "
                "\"container\": %u, \"seed\": %llu}\n",
                (unsigned long long)s.frames, (unsigned long long)s.bytes,
                (unsigned long long)s.payloads, (unsigned long long)s.noerror,
                (unsigned long long)s.repeats, (unsigned long long)s.nxdomain,
                (unsigned long long)s.servfail, o.container, (unsigned long long)o.seed);
    return 0;
}
