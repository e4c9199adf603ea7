// SPDX-License-Identifier: Apache-2.0
// siehub-gen's traffic model and its ground truth (gen.hpp). Generation is not a fast path:
// clarity and determinism come first (std::string names, ordered sets); about 2 µs a payload.

#include "gen.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_map>

#include "core/out_buffer.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/writer.hpp"
#include "proto/net/frame_writer.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/types.hpp"
#include "proto/nmsg/zlib.hpp"

namespace siehub::gen {

const bad_kind_info bad_kind_table[static_cast<std::size_t>(bad_kind::count_)] = {
    {"truncated_dns", "verify.response_malformed", "response DNS message cut short"},
    {"rd_set", "verify.rd_set", "query with RD = 1 (client traffic, not a cache miss)"},
    {"id_mismatch", "verify.id_mismatch", "response id differs from the query id"},
    {"question_mismatch", "verify.question_mismatch", "response question differs from the query's"},
    {"port_mismatch", "verify.port_mismatch", "DnsQR query_port differs from the packet's port"},
    {"bad_checksum", "verify.checksum_incorrect",
     "response UDP checksum wrong (flagged INCORRECT, or absent and wrong in the packet)"},
    {"bad_protobuf", "verify.bad_dnsqr", "DnsQR bytes that do not decode (invalid wire type)"},
    {"unanswered", "verify.type_unanswered", "UDP_UNANSWERED_QUERY (no response packet)"},
    {"not_dnsqr", "verify.not_dnsqr", "a payload of another message type (base/encode)"},
    {"crc_mismatch", "nmsg.crc_mismatch", "a payload whose CRC-32C does not match its bytes"},
    {"bad_nmsg_header", "nmsg.drop_header", "a datagram whose nmsg header has a bad version"},
    {"bad_nmsg_container", "nmsg.drop_container",
     "a container whose protobuf body is malformed (invalid wire type)"},
};

namespace {

using bytes = std::vector<std::uint8_t>;

// splitmix64: fixed, so the output of a seed never changes with the platform's library.
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

// Rank 0..n-1 with P(k) ~ 1/(k+1)^s (inverse CDF of the continuous power law).
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

// Pronounceable labels (consonant-vowel syllables): they never collide with the digits and
// consonant clusters of the PSL's second-level rules under the built-in suffixes.
std::string word(std::uint64_t h, unsigned min_syl, unsigned max_syl)
{
    static constexpr char cons[] = "bdfgklmnprstvz";
    static constexpr char vow[] = "aeiou";
    unsigned const n = min_syl + static_cast<unsigned>(h % (max_syl - min_syl + 1));
    std::string s;
    for (unsigned i = 0; i < n; ++i) {
        h = mix(h + i);
        s += cons[h % 14];
        s += vow[(h >> 8) % 5];
    }
    return s;
}

bytes to_wire(std::string_view name)
{
    bytes w;
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

std::string lower(std::string s)
{
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

void put16(bytes& b, std::uint16_t v)
{
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put32(bytes& b, std::uint32_t v)
{
    put16(b, static_cast<std::uint16_t>(v >> 16));
    put16(b, static_cast<std::uint16_t>(v));
}
void put_name(bytes& b, std::string_view n)
{
    auto const w = to_wire(n);
    b.insert(b.end(), w.begin(), w.end());
}

// One's-complement IPv4 header and UDP checksums (pseudo-header included).
bytes ipv4_udp(std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst,
               std::uint16_t sport, std::uint16_t dport, std::uint16_t ip_id, core::byte_view dns)
{
    auto const udp_len = static_cast<std::uint16_t>(8 + dns.size());
    bytes p(20 + udp_len);
    std::uint8_t* ip = p.data();
    std::uint8_t* udp = ip + 20;
    ip[0] = 0x45;
    core::store_be16(ip + 2, static_cast<std::uint16_t>(20 + udp_len));
    core::store_be16(ip + 4, ip_id);
    ip[8] = 64;
    ip[9] = 17;
    std::memcpy(ip + 12, src.data(), 4);
    std::memcpy(ip + 16, dst.data(), 4);
    core::store_be16(ip + 10, static_cast<std::uint16_t>(~net::fold(net::ones_sum(ip, 20))));
    core::store_be16(udp, sport);
    core::store_be16(udp + 2, dport);
    core::store_be16(udp + 4, udp_len);
    std::memcpy(udp + 8, dns.data(), dns.size());
    std::uint32_t acc = net::ones_sum(ip + 12, 8);
    acc += 17u + udp_len;
    acc = net::ones_sum(udp, udp_len, acc);
    auto const sum = static_cast<std::uint16_t>(~net::fold(acc));
    core::store_be16(udp + 6, sum == 0 ? 0xffff : sum);
    return p;
}

// ----------------------------------------------------------------------------- the model

struct zone {
    std::string apex;
    std::string base; // registrable domain (apex: a label under a public suffix)
    std::array<std::string, 2> ns;
    bool ns_in_zone = true;
    std::array<std::array<std::uint8_t, 4>, 2> ns_addr;
    bool signed_zone = false;
    bool ecs_aware = false;
};

// One RR as written: section, owner (as written, case included), type, rdata (names
// uncompressed, lower case: already canonical), and the names its rdata carries.
struct rr {
    dns::section sec;
    std::string owner;
    std::uint16_t type;
    std::uint32_t ttl;
    bytes rdata;
    std::vector<std::string> names;
};

enum class rkind : std::uint8_t { noerror, nxdomain, servfail, refused };

struct transaction {
    std::uint32_t name = 0; // universe (or fresh) index
    std::uint16_t qtype = dns::rrtype::a;
    bool fresh_zone = false;
    std::uint32_t zone = 0;
};

struct built {
    bytes query_pkt;
    bytes response_pkt;
    bytes vendor; // encoded DnsQR (or another message)
    std::uint32_t msgtype = 9;
};

struct sensor {
    unsigned index = 0;
    std::uint32_t sequence = 0;
    std::uint64_t sequence_id = 0;
    bool zlib = false;
    bool fragment = false;
    bytes buf;
    std::unique_ptr<nmsg::container_builder> builder;
};

const char* rcode_name(unsigned rc)
{
    switch (rc) {
    case 0:
        return "NOERROR";
    case 2:
        return "SERVFAIL";
    case 3:
        return "NXDOMAIN";
    case 5:
        return "REFUSED";
    }
    return "OTHER";
}

const char* type_name(std::uint16_t t)
{
    switch (t) {
    case dns::rrtype::a:
        return "A";
    case dns::rrtype::aaaa:
        return "AAAA";
    case dns::rrtype::ns:
        return "NS";
    case dns::rrtype::cname:
        return "CNAME";
    case dns::rrtype::mx:
        return "MX";
    case dns::rrtype::txt:
        return "TXT";
    case dns::rrtype::soa:
        return "SOA";
    case dns::rrtype::rrsig:
        return "RRSIG";
    }
    return "OTHER";
}

} // namespace

const std::vector<std::string>& builtin_suffixes()
{
    // Real public suffixes (ICANN section), repeated by a rough weight of their share of
    // resolver traffic. None has wildcard rules below it; see word() for the labels.
    static const std::vector<std::string> s{
        "com", "com",   "com", "com", "com",    "com", "net", "net",  "org",    "org",
        "de",  "co.uk", "io",  "ru",  "com.br", "fr",  "nl",  "info", "com.au", "ca",
        "eu",  "ch",    "es",  "be",  "at",     "dk",  "cz",  "se",   "xyz",    "online"};
    return s;
}

struct generator::impl {
    const options& o;
    rng r;
    rng rc; // container-level choices
    truth t;
    std::vector<std::string> suffixes;
    std::set<std::string> suffix_set;
    std::uint32_t zones = 1;
    std::uint32_t fresh_names = 0;
    std::uint32_t fresh_zones = 0;
    std::vector<transaction> seen;
    std::vector<sensor> sensors;
    nmsg::deflater deflater;
    bytes scratch = bytes(1u << 20);
    bytes dgram = bytes(65536);
    bytes big = bytes(65536);
    std::uint32_t frag_id;
    std::uint16_t ip_id = 1;
    std::int64_t t_sec = 1795382289; // 2026-11-22, as the golden dnsqr capture
    std::uint32_t t_nsec = 0;
    double kind_total = 0;
    const frame_sink* sink = nullptr;
    // Truth sets.
    std::unordered_set<std::string> keys, fqdns, bases, owner_types, rdatas, rdata_sets, owners;

    explicit impl(const options& opt)
        : o(opt), r{opt.seed}, rc{mix(opt.seed ^ 0xc0a7)},
          frag_id(static_cast<std::uint32_t>(mix(opt.seed ^ 0xf4a6)))
    {
        suffixes = o.suffixes.empty() ? builtin_suffixes() : o.suffixes;
        suffix_set.insert(suffixes.begin(), suffixes.end());
        suffix_set.insert("com");
        suffix_set.insert("net");
        zones = std::max<std::uint32_t>(1, o.names / 6);
        for (unsigned k = 0; k < o.sensors; ++k) {
            sensor s;
            s.index = k;
            s.sequence_id = mix(o.seed ^ (0x5e45ull << 32) ^ k);
            sensors.push_back(std::move(s));
        }
        for (double w : o.kind_weights) {
            kind_total += w;
        }
        for (std::size_t i = 0; i < static_cast<std::size_t>(bad_kind::count_); ++i) {
            t.malformed[bad_kind_table[i].name] = 0;
        }
    }

    // ---- names

    zone zone_of(std::uint32_t z, bool fresh)
    {
        std::uint64_t const h = mix((fresh ? 0xf2e5ull << 40 : 0x20e5ull) * 1000003 + z);
        zone zi;
        std::string const& suf = suffixes[h % suffixes.size()];
        zi.apex = word(h, 2, 5) + (fresh ? std::to_string(z % 1000) : "") + "." + suf;
        zi.base = zi.apex;
        zi.ns_in_zone = (h >> 20) % 3 != 0;
        if (zi.ns_in_zone) {
            zi.ns = {"ns1." + zi.apex, "ns2." + zi.apex};
        } else {
            std::string const prov = "dnsprov" + std::to_string((h >> 24) % 20) + ".net";
            zi.ns = {"ns1." + prov, "ns2." + prov};
        }
        for (unsigned k = 0; k < 2; ++k) {
            // Authoritative servers in 198.18.0.0/15 (RFC 2544 benchmarking space).
            std::uint64_t const a = mix(h + 17 + k);
            zi.ns_addr[k] = {198, static_cast<std::uint8_t>(18 + (a & 1)),
                             static_cast<std::uint8_t>(a >> 8),
                             static_cast<std::uint8_t>(1 + (a >> 16) % 254)};
        }
        zi.signed_zone = (h >> 32) % 4 == 0;
        zi.ecs_aware = (h >> 36) % 5 == 0;
        return zi;
    }

    std::uint32_t zone_index(std::uint32_t name) const
    {
        return static_cast<std::uint32_t>(mix(name ^ 0x7a11ull) % zones);
    }

    std::string host_of(std::uint32_t name) const
    {
        static constexpr std::array<std::string_view, 12> hosts{"www", "www",   "www",    "mail",
                                                                "api", "cdn",   "static", "m",
                                                                "img", "login", "shop",   "app"};
        std::uint64_t const h = mix(name + 1ull);
        std::string s(hosts[h % hosts.size()]);
        if (name % 3 != 0) {
            s += std::to_string(name % 97);
        }
        return s;
    }

    std::string base_of(const std::string& name) const
    {
        // Longest suffix of the model's own suffix set, plus one label.
        std::size_t pos = 0;
        std::string best;
        while (true) {
            std::string_view const rest = std::string_view(name).substr(pos);
            if (suffix_set.count(std::string(rest)) != 0) {
                best = std::string(rest);
                break;
            }
            auto const dot = name.find('.', pos);
            if (dot == std::string::npos) {
                break;
            }
            pos = dot + 1;
        }
        if (best.empty() || best.size() == name.size()) {
            return name;
        }
        std::size_t const cut = name.size() - best.size() - 1; // the dot before the suffix
        std::size_t const start = name.rfind('.', cut - 1);
        return start == std::string::npos ? name : name.substr(start + 1);
    }

    // ---- response contents

    std::array<std::uint8_t, 4> a_of(std::uint64_t h) const
    {
        return {203, 0, static_cast<std::uint8_t>(h), static_cast<std::uint8_t>(h >> 8)};
    }

    void add_rrsig(std::vector<rr>& v, dns::section sec, const std::string& owner,
                   std::uint16_t covered, const zone& zi, std::uint64_t h, std::uint32_t ttl)
    {
        rr s{sec, owner, dns::rrtype::rrsig, ttl, {}, {}};
        put16(s.rdata, covered);
        s.rdata.push_back(13); // ECDSAP256SHA256
        auto const labels =
            static_cast<std::uint8_t>(std::count(owner.begin(), owner.end(), '.') + 1);
        s.rdata.push_back(labels);
        put32(s.rdata, ttl);
        put32(s.rdata, 1796592000); // expiration 2026-12-06
        put32(s.rdata, 1794777600); // inception 2026-11-16
        put16(s.rdata, static_cast<std::uint16_t>(mix(h ^ 0x6b)));
        put_name(s.rdata, lower(zi.apex));
        for (unsigned i = 0; i < 8; ++i) {
            put32(s.rdata, static_cast<std::uint32_t>(mix(h + covered + i)));
            put32(s.rdata, static_cast<std::uint32_t>(mix(h + covered + i) >> 32));
        }
        v.push_back(std::move(s));
    }

    void add_ns_set(std::vector<rr>& v, dns::section sec, const zone& zi)
    {
        for (auto const& n : zi.ns) {
            rr x{sec, zi.apex, dns::rrtype::ns, 172800, {}, {n}};
            put_name(x.rdata, n);
            v.push_back(std::move(x));
        }
    }

    void add_glue(std::vector<rr>& v, const zone& zi)
    {
        for (unsigned k = 0; k < 2; ++k) {
            rr x{dns::section::additional, zi.ns[k], dns::rrtype::a, 172800, {}, {}};
            x.rdata.assign(zi.ns_addr[k].begin(), zi.ns_addr[k].end());
            v.push_back(std::move(x));
        }
    }

    void add_soa(std::vector<rr>& v, dns::section sec, const zone& zi, std::uint64_t h)
    {
        rr x{sec, zi.apex, dns::rrtype::soa, 3600, {}, {}};
        put_name(x.rdata, zi.ns[0]);
        put_name(x.rdata, "hostmaster." + zi.apex);
        put32(x.rdata, 2026010100 + static_cast<std::uint32_t>(h % 100));
        put32(x.rdata, 7200);
        put32(x.rdata, 3600);
        put32(x.rdata, 1209600);
        put32(x.rdata, 3600);
        v.push_back(std::move(x));
    }

    // The records of a NOERROR response for (qname, qtype) in zone zi. Deterministic from
    // the transaction: a repeat carries the same RRsets.
    void noerror_records(std::vector<rr>& v, const std::string& qname, std::uint16_t qtype,
                         const zone& zi, std::uint32_t name)
    {
        std::uint64_t const hn = mix(0xa11ull ^ (std::uint64_t{name} << 16) ^ qtype);
        std::string const q = lower(qname);
        auto sig = [&](const std::string& owner, std::uint16_t covered, std::uint32_t ttl) {
            if (zi.signed_zone) {
                add_rrsig(v, dns::section::answer, owner, covered, zi, hn, ttl);
            }
        };
        bool const nodata =
            (hn >> 40) % 16 == 0 && (qtype == dns::rrtype::aaaa || qtype == dns::rrtype::txt);
        if (nodata) {
            add_soa(v, dns::section::authority, zi, hn);
            return;
        }
        switch (qtype) {
        case dns::rrtype::ns:
            add_ns_set(v, dns::section::answer, zi);
            sig(zi.apex, dns::rrtype::ns, 172800);
            break;
        case dns::rrtype::soa:
            add_soa(v, dns::section::answer, zi, hn);
            sig(zi.apex, dns::rrtype::soa, 3600);
            add_ns_set(v, dns::section::authority, zi);
            break;
        case dns::rrtype::mx: {
            bool const hosted = hn % 3 == 0;
            std::array<std::string, 2> mx{"mail." + zi.apex, "mx2." + zi.apex};
            if (hosted) {
                std::string const p = "mailhost" + std::to_string((hn >> 8) % 12) + ".com";
                mx = {"mx1." + p, "mx2." + p};
            }
            for (unsigned i = 0; i < 2; ++i) {
                rr x{dns::section::answer, qname, dns::rrtype::mx, 3600, {}, {mx[i]}};
                put16(x.rdata, static_cast<std::uint16_t>(10 * (i + 1)));
                put_name(x.rdata, mx[i]);
                v.push_back(std::move(x));
            }
            sig(qname, dns::rrtype::mx, 3600);
            add_ns_set(v, dns::section::authority, zi);
            if (!hosted) {
                rr x{dns::section::additional, mx[0], dns::rrtype::a, 3600, {}, {}};
                auto const a = a_of(hn >> 16);
                x.rdata.assign(a.begin(), a.end());
                v.push_back(std::move(x));
            }
            break;
        }
        case dns::rrtype::txt: {
            unsigned const n = 1 + static_cast<unsigned>(hn % 2);
            for (unsigned i = 0; i < n; ++i) {
                std::string s = i == 0 ? "v=spf1 include:_spf." + lower(zi.apex) + " ~all"
                                       : "verification=" + std::to_string(mix(hn + i) % 1000000007);
                rr x{dns::section::answer, qname, dns::rrtype::txt, 300, {}, {}};
                x.rdata.push_back(static_cast<std::uint8_t>(s.size()));
                x.rdata.insert(x.rdata.end(), s.begin(), s.end());
                v.push_back(std::move(x));
            }
            sig(qname, dns::rrtype::txt, 300);
            add_ns_set(v, dns::section::authority, zi);
            break;
        }
        default: { // A, AAAA (possibly behind a CNAME)
            std::string owner = qname;
            bool const alias = (hn >> 48) % 8 == 0;
            bool out_zone = false;
            if (alias) {
                out_zone = (hn >> 52) % 2 == 0;
                std::string const target =
                    out_zone
                        ? word(hn, 2, 3) + ".edge" + std::to_string((hn >> 20) % 9) + ".cdnnet.net"
                        : "edge." + zi.apex;
                rr x{dns::section::answer, qname, dns::rrtype::cname, 300, {}, {target}};
                put_name(x.rdata, target);
                v.push_back(std::move(x));
                sig(qname, dns::rrtype::cname, 300);
                owner = target;
            }
            unsigned const na = 1 + static_cast<unsigned>(hn % 3);
            for (unsigned i = 0; i < na; ++i) {
                std::uint64_t const a = mix(hn + i);
                rr x{dns::section::answer, owner, qtype, 300, {}, {}};
                if (qtype == dns::rrtype::a) {
                    auto const v4 = a_of(a);
                    x.rdata.assign(v4.begin(), v4.end());
                } else {
                    x.rdata = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0};
                    for (unsigned b = 0; b < 8; ++b) {
                        x.rdata.push_back(static_cast<std::uint8_t>(a >> (8 * b)));
                    }
                }
                v.push_back(std::move(x));
            }
            if (!out_zone) {
                sig(lower(owner) == q ? qname : owner, qtype, 300);
            }
            add_ns_set(v, dns::section::authority, zi);
            break;
        }
        }
        if (qtype != dns::rrtype::mx || true) {
            // Glue for in-zone servers (in bailiwick); out-of-zone servers' addresses are
            // out of bailiwick and the hub drops them (rrsets.out_of_bailiwick).
            if (qtype != dns::rrtype::txt || zi.ns_in_zone) {
                add_glue(v, zi);
            }
        }
    }

    // The model's view of one accepted NOERROR response: the hub's grouping (per section,
    // owner case-insensitive, type, RRSIG type covered), bailiwick = the zone apex, dedup key =
    // (owner, type, class, bailiwick, rdata set).
    void account_rrsets(const std::vector<rr>& v, const zone& zi)
    {
        struct group {
            dns::section sec;
            std::string owner;
            std::uint16_t type;
            std::uint16_t covered;
            std::set<bytes> rdata;
            std::vector<std::string> names;
        };
        std::vector<group> groups;
        for (auto const& x : v) {
            std::string const o = lower(x.owner);
            std::uint16_t const cov =
                x.type == dns::rrtype::rrsig ? core::load_be16(x.rdata.data()) : 0;
            auto it = std::find_if(groups.begin(), groups.end(), [&](const group& g) {
                return g.sec == x.sec && g.owner == o && g.type == x.type && g.covered == cov;
            });
            if (it == groups.end()) {
                groups.push_back(group{x.sec, o, x.type, cov, {}, {}});
                it = groups.end() - 1;
            }
            it->rdata.insert(x.rdata);
            it->names.insert(it->names.end(), x.names.begin(), x.names.end());
        }
        t.counters["verify.rrsets"] += groups.size();
        std::string const bw = lower(zi.apex);
        std::set<std::string> in_response;
        for (auto const& g : groups) {
            bool const in_bw =
                g.owner == bw || (g.owner.size() > bw.size() &&
                                  g.owner.compare(g.owner.size() - bw.size(), bw.size(), bw) == 0 &&
                                  g.owner[g.owner.size() - bw.size() - 1] == '.');
            if (!in_bw) {
                ++t.counters["rrsets.out_of_bailiwick"];
                continue;
            }
            std::string key = g.owner;
            key += '|';
            key += std::to_string(g.type);
            key += '|';
            key += bw;
            std::string set_key;
            for (auto const& rd : g.rdata) {
                set_key += '|';
                set_key.append(rd.begin(), rd.end());
            }
            key += set_key;
            if (!in_response.insert(key).second) {
                ++t.counters["rrsets.duplicate_in_response"];
                continue;
            }
            ++t.counters["rrsets.in_bailiwick"];
            ++t.observations;
            if (keys.insert(key).second) {
                ++t.distinct_rrsets;
                // An INSERTION: the newness stage checks its owner and its rdata names.
                t.newness_names += 1 + g.names.size();
                owners.insert(g.owner);
            } else {
                ++t.duplicates;
            }
            // Newness facts (sie.md §4): names of the owner and of NS/CNAME/MX rdata.
            std::string const ot = g.owner + "|" + std::to_string(g.type);
            owner_types.insert(ot);
            for (auto const& rd : g.rdata) {
                rdatas.insert(ot + "|" + std::string(rd.begin(), rd.end()));
            }
            rdata_sets.insert(ot + set_key);
            fqdns.insert(g.owner);
            bases.insert(base_of(g.owner));
            for (auto const& n : g.names) {
                fqdns.insert(lower(n));
                bases.insert(base_of(lower(n)));
            }
        }
    }

    // ---- transactions

    void advance_time()
    {
        // ~20 µs per transaction (50k/s of sensor traffic).
        t_nsec += 10000 + r.below(20000);
        if (t_nsec >= 1000000000) {
            t_nsec -= 1000000000;
            ++t_sec;
        }
    }

    transaction pick(bool record)
    {
        if (!seen.empty() && r.uniform() < o.dup) {
            if (record) {
                ++t.noerror_repeats;
            }
            return seen[seen.size() - 1 -
                        zipf(r, static_cast<std::uint32_t>(seen.size()), o.zipf_s)];
        }
        transaction tr;
        if (r.uniform() < o.new_names) {
            tr.name = o.names + fresh_names++;
            tr.fresh_zone = r.below(2) == 0;
            tr.zone = tr.fresh_zone ? fresh_zones++ : zipf(r, zones, o.zipf_s);
        } else {
            tr.name = zipf(r, o.names, o.zipf_s);
            tr.zone = zone_index(tr.name);
        }
        std::uint32_t const q = r.below(100);
        tr.qtype = q < 50   ? dns::rrtype::a
                   : q < 75 ? dns::rrtype::aaaa
                   : q < 83 ? dns::rrtype::mx
                   : q < 91 ? dns::rrtype::txt
                   : q < 97 ? dns::rrtype::ns
                            : dns::rrtype::soa;
        if (record) {
            seen.push_back(tr);
        }
        return tr;
    }

    // Builds one transaction's payload (vendor bytes). `bad` is the damage to do, or count_.
    // Returns false on an internal error.
    bool transaction_payload(bad_kind bad, built& out)
    {
        bool const record = bad == bad_kind::count_;
        advance_time();
        double const k = r.uniform();
        rkind kd = k < o.nxdomain                            ? rkind::nxdomain
                   : k < o.nxdomain + o.servfail             ? rkind::servfail
                   : k < o.nxdomain + o.servfail + o.refused ? rkind::refused
                                                             : rkind::noerror;
        if (!record) {
            kd = rkind::noerror; // damage applies to an ordinary answer
        }
        transaction tr{};
        zone zi;
        std::string qname;
        if (kd == rkind::noerror) {
            tr = pick(record);
            zi = zone_of(tr.zone, tr.fresh_zone);
            qname = tr.qtype == dns::rrtype::ns || tr.qtype == dns::rrtype::soa
                        ? zi.apex
                        : host_of(tr.name) + "." + zi.apex;
        } else {
            // A fresh typo-like label under a known zone (NXDOMAIN names rarely repeat), or a
            // popular name whose servers fail or refuse.
            tr.zone = zipf(r, zones, o.zipf_s);
            zi = zone_of(tr.zone, false);
            qname =
                (kd == rkind::nxdomain ? word(r.next(), 3, 6) : host_of(tr.zone)) + "." + zi.apex;
        }
        bool tc = kd == rkind::noerror && r.uniform() < o.truncated_tc;
        if (r.uniform() < o.case_mix) {
            // DNS 0x20: resolvers randomise the qname's case; servers echo it.
            std::uint64_t h = r.next();
            for (auto& c : qname) {
                if (c >= 'a' && c <= 'z' && (h & 1)) {
                    c = static_cast<char>(c - 'a' + 'A');
                }
                h = (h >> 1) | (h << 63);
            }
        }
        auto const qw = to_wire(qname);

        unsigned const srv = r.below(2);
        std::array<std::uint8_t, 4> const resolver{198, 19,
                                                   static_cast<std::uint8_t>(200 + r.below(8)),
                                                   static_cast<std::uint8_t>(1 + r.below(4))};
        std::array<std::uint8_t, 4> const server = zi.ns_addr[srv];
        auto const qport = static_cast<std::uint16_t>(1024 + r.below(64000));
        auto const id = static_cast<std::uint16_t>(r.next());
        std::array<std::uint8_t, 8> ccookie;
        for (auto& b : ccookie) {
            b = static_cast<std::uint8_t>(r.next());
        }
        bool const ecs = zi.ecs_aware;
        std::array<std::uint8_t, 7> ecs_opt{0,
                                            1,
                                            24,
                                            0,
                                            100,
                                            static_cast<std::uint8_t>(64 + r.below(64)),
                                            static_cast<std::uint8_t>(r.below(256))};

        std::uint16_t const rd = bad == bad_kind::rd_set ? 0x0100 : 0;
        std::array<std::uint8_t, 512> qbuf;
        core::out_buffer qo({qbuf.data(), qbuf.size()});
        dns::message_writer qwr(qo);
        qwr.begin(id, rd);
        qwr.question({qw.data(), qw.size()}, tr.qtype, dns::rrclass::in);
        qwr.begin_opt(1232);
        qwr.add_edns_option(dns::edns_code::cookie, {ccookie.data(), ccookie.size()});
        if (ecs) {
            qwr.add_edns_option(dns::edns_code::client_subnet, {ecs_opt.data(), ecs_opt.size()});
        }
        qwr.end_rr();
        if (qwr.finish() != dns::errc::ok) {
            std::fprintf(stderr, "siehub-gen: query writer failed for %s\n", qname.c_str());
            return false;
        }

        // Response.
        std::uint16_t const rcode = kd == rkind::nxdomain   ? 3
                                    : kd == rkind::servfail ? 2
                                    : kd == rkind::refused  ? 5
                                                            : 0;
        std::vector<rr> records;
        std::uint64_t const hn = mix(0xa11ull ^ (std::uint64_t{tr.name} << 16) ^ tr.qtype);
        if (kd == rkind::noerror && !tc) {
            noerror_records(records, qname, tr.qtype, zi, tr.name);
        } else if (kd == rkind::nxdomain) {
            add_soa(records, dns::section::authority, zi, hn);
        }
        bool const aa = kd == rkind::noerror || kd == rkind::nxdomain;
        std::uint16_t flags = static_cast<std::uint16_t>(0x8000 | (aa ? 0x0400 : 0) | rd | rcode);
        if (tc) {
            flags |= 0x0200;
        }
        std::uint16_t const rid =
            bad == bad_kind::id_mismatch ? static_cast<std::uint16_t>(id ^ 0x5a5a) : id;
        bytes rq = qw;
        if (bad == bad_kind::question_mismatch) {
            rq = to_wire("wrong" + std::to_string(r.below(1000)) + "." + zi.apex);
        }
        std::vector<std::uint8_t> rbuf(4096);
        core::out_buffer ro({rbuf.data(), rbuf.size()});
        dns::message_writer rw(ro);
        rw.begin(rid, flags);
        rw.question({rq.data(), rq.size()}, tr.qtype, dns::rrclass::in);
        for (auto const& x : records) {
            auto const ow = to_wire(x.owner);
            rw.add_rr(x.sec, {ow.data(), ow.size()}, x.type, dns::rrclass::in, x.ttl,
                      {x.rdata.data(), x.rdata.size()});
        }
        std::array<std::uint8_t, 24> cookie{};
        std::memcpy(cookie.data(), ccookie.data(), 8);
        for (unsigned b = 8; b < 24; ++b) {
            cookie[b] = static_cast<std::uint8_t>(hn >> (b % 8 * 8));
        }
        rw.begin_opt(1232);
        rw.add_edns_option(dns::edns_code::cookie, {cookie.data(), cookie.size()});
        if (ecs) {
            auto e = ecs_opt;
            e[3] = 24; // scope
            rw.add_edns_option(dns::edns_code::client_subnet, {e.data(), e.size()});
        }
        rw.end_rr();
        if (rw.finish() != dns::errc::ok) {
            std::fprintf(stderr, "siehub-gen: response writer failed for %s\n", qname.c_str());
            return false;
        }
        core::byte_view rwire = rw.written();
        if (bad == bad_kind::truncated_dns) {
            // Cut 1..8 bytes: inside the OPT record (≥ 39 bytes), after the question.
            rwire = rwire.first(rwire.size() - 1 - r.below(8));
        }
        out.query_pkt = ipv4_udp(resolver, server, qport, 53, static_cast<std::uint16_t>(r.next()),
                                 qwr.written());
        out.response_pkt =
            ipv4_udp(server, resolver, 53, qport, static_cast<std::uint16_t>(r.next()), rwire);
        bool no_ck = r.uniform() < o.no_checksum;
        bool flag_incorrect = false;
        if (bad == bad_kind::bad_checksum) {
            if (r.below(2) == 0) {
                flag_incorrect = true;
                no_ck = false;
            } else {
                no_ck = true;
                std::uint8_t* ck = out.response_pkt.data() + 26;
                std::uint16_t v = core::load_be16(ck);
                v = static_cast<std::uint16_t>(v == 0xfffe ? 1 : v + 1);
                core::store_be16(ck, v);
            }
        }

        // The response arrives 0.2..30 ms after the query.
        std::int64_t const q_sec = t_sec;
        std::uint32_t const q_nsec = t_nsec;
        std::uint32_t const delay = 200000 + r.below(30000000);
        std::int64_t r_sec = q_sec;
        std::uint32_t r_nsec = q_nsec + delay;
        if (r_nsec >= 1000000000) {
            r_nsec -= 1000000000;
            ++r_sec;
        }
        std::array<core::byte_view, 1> qpk{
            core::byte_view{out.query_pkt.data(), out.query_pkt.size()}};
        std::array<core::byte_view, 1> rpk{
            core::byte_view{out.response_pkt.data(), out.response_pkt.size()}};
        std::array<std::int64_t, 1> qs{q_sec}, rs{r_sec};
        std::array<std::int32_t, 1> qn{static_cast<std::int32_t>(q_nsec)},
            rn{static_cast<std::int32_t>(r_nsec)};
        nmsg::dnsqr_fields f;
        bool const unanswered = bad == bad_kind::unanswered;
        f.type = static_cast<std::int32_t>(unanswered ? nmsg::dnsqr_type::udp_unanswered_query
                                                      : nmsg::dnsqr_type::udp_query_response);
        f.query_ip = resolver;
        f.response_ip = server;
        f.proto = 17;
        f.query_port =
            bad == bad_kind::port_mismatch ? static_cast<std::uint16_t>(qport ^ 0x10) : qport;
        f.response_port = 53;
        f.id = id;
        f.qname = core::byte_view{qw.data(), qw.size()};
        f.qtype = tr.qtype;
        f.qclass = dns::rrclass::in;
        f.query_packet = qpk;
        f.query_time_sec = qs;
        f.query_time_nsec = qn;
        if (!unanswered) {
            f.rcode = rcode;
            f.response_packet = rpk;
            f.response_time_sec = rs;
            f.response_time_nsec = rn;
        } else {
            f.timeout = 2.0;
        }
        if (flag_incorrect) {
            f.udp_checksum = static_cast<std::int32_t>(nmsg::udp_checksum::incorrect);
        } else if (!no_ck) {
            f.udp_checksum = static_cast<std::int32_t>(nmsg::udp_checksum::correct);
        }
        out.vendor.assign(nmsg::encoded_size(f), 0);
        core::out_buffer po({out.vendor.data(), out.vendor.size()});
        if (!nmsg::encode(po, f)) {
            return false;
        }
        if (bad == bad_kind::bad_protobuf) {
            out.vendor.push_back(0x0f); // field 1 with wire type 7: no protobuf parser takes it
        }
        out.msgtype = 9;

        if (!record) {
            return true;
        }
        // The truth of an accepted transaction.
        ++t.accepted;
        ++t.rcodes[rcode_name(rcode)];
        ++t.counters["verify.accepted"];
        ++t.counters["relay.ch202"];
        if (no_ck) {
            ++t.counters["verify.checksum_computed"];
        }
        if (rcode == 0) {
            ++t.counters["verify.route_noerror"];
            ++t.qtypes[type_name(tr.qtype)];
            if (tc) {
                ++t.counters["verify.truncated"];
            } else {
                account_rrsets(records, zi);
            }
        } else {
            ++t.counters["relay.ch220"];
            if (rcode == 3) {
                ++t.counters["verify.route_nxdomain"];
                ++t.counters["relay.ch221"];
                ++t.nxdomain_records;
            } else {
                ++t.counters["verify.route_error"];
            }
        }
        return true;
    }

    // ---- containers and datagrams

    void emit_datagram(const sensor& s, core::byte_view unit, bool may_fragment = true)
    {
        net::channel_frame_spec spec;
        std::memcpy(spec.dst_mac.data(), o.dst_mac, 6);
        spec.src_mac = {0x02, 0x00, 0x00, 0x00, 0x01, static_cast<std::uint8_t>(s.index)};
        spec.vlan = 0;
        spec.src_ip = {o.src_net[0], o.src_net[1], o.src_net[2],
                       static_cast<std::uint8_t>(10 + s.index)};
        std::memcpy(spec.dst_ip.data(), o.dst_ip, 4);
        spec.src_port = static_cast<std::uint16_t>(o.src_port + s.index);
        spec.dst_port = o.dst_port;
        std::vector<std::uint8_t> frame(net::channel_frame_overhead(false) + unit.size());
        core::out_buffer out({frame.data(), frame.size()});
        net::write_channel_frame(out, spec, ip_id++, unit);
        if (o.mtu != 0 && may_fragment && out.size() - 14 > o.mtu) {
            ip_fragments(out.written(), unit);
            return;
        }
        ++t.frames;
        t.bytes += out.size();
        ++t.counters["rx.frames"];
        ++t.counters["rx.ingest"];
        // Damaged datagrams are counted by their kind (nmsg.drop_header/drop_container).
        std::uint8_t const flags = unit[4];
        if (unit[5] == 2 && (flags & (nmsg::flag_zlib | nmsg::flag_fragment))) {
            ++t.counters["nmsg.to_slow_path"];
        } else if (unit[5] == 2 && unit[10] == 0x0a) {
            ++t.counters["nmsg.containers"];
        }
        (*sink)(out.written(), unit);
    }

    // A datagram over --mtu leaves as IPv4 fragments (DF clear, payload of each a multiple of 8
    // bytes but the last), as a sensor's kernel sends an 8192-byte container on a 1500-byte
    // link. The hub reassembles them in its slow path and handles the datagram there: none of
    // the worker's rx.ingest/nmsg.* counters see it.
    void ip_fragments(core::byte_view frame, core::byte_view unit)
    {
        core::byte_view const ip_payload = frame.subspan(14 + 20);
        std::size_t const step = (o.mtu - 20) / 8 * 8;
        std::size_t const n = (ip_payload.size() + step - 1) / step;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t const off = i * step;
            std::size_t const len = std::min(step, ip_payload.size() - off);
            std::vector<std::uint8_t> f(14 + 20 + len);
            std::memcpy(f.data(), frame.data(), 14 + 20);
            std::memcpy(f.data() + 34, ip_payload.data() + off, len);
            std::uint8_t* ip = f.data() + 14;
            core::store_be16(ip + 2, static_cast<std::uint16_t>(20 + len));
            core::store_be16(ip + 6,
                             static_cast<std::uint16_t>((i + 1 < n ? 0x2000 : 0) | off / 8));
            core::store_be16(ip + 10, 0);
            core::store_be16(ip + 10,
                             static_cast<std::uint16_t>(~net::fold(net::ones_sum(ip, 20))));
            ++t.frames;
            t.bytes += f.size();
            ++t.counters["rx.frames"];
            ++t.counters["rx.ipv4_fragments"];
            ++t.counters["slow.ip_fragments"];
            (*sink)({f.data(), f.size()}, i == 0 ? unit : core::byte_view{});
        }
        ++t.counters["slow.ip_reassembled"];
    }

    bool send_unit(sensor& s, core::byte_view unit, bool zlib, bool fragment)
    {
        ++t.containers;
        if (fragment || unit.size() > o.container) {
            return nmsg::send_overfull(unit, o.container, zlib ? &deflater : nullptr, frag_id++,
                                       {scratch.data(), scratch.size()},
                                       {dgram.data(), dgram.size()},
                                       [&](core::byte_view d) { emit_datagram(s, d); });
        }
        if (zlib) {
            auto const z = nmsg::zlib_container(deflater, unit, {scratch.data(), scratch.size()});
            if (!z.ok()) {
                return false;
            }
            emit_datagram(s, z.data);
            return true;
        }
        emit_datagram(s, unit);
        return true;
    }

    void start_container(sensor& s)
    {
        // Its own generator: the container size and the zlib/fragment mix change how many
        // containers there are, and must not change the transactions.
        s.zlib = rc.uniform() < o.zlib;
        s.fragment = rc.uniform() < o.fragment;
        std::size_t const limit = s.fragment ? 3 * o.container : o.container;
        s.buf.assign(limit, 0);
        s.builder = std::make_unique<nmsg::container_builder>(
            core::byte_span{s.buf.data(), s.buf.size()}, limit, true, s.zlib);
    }

    bool flush(sensor& s)
    {
        if (!s.builder || s.builder->empty()) {
            return true;
        }
        core::byte_view const unit = s.builder->finish(s.sequence++, s.sequence_id);
        bool const ok = send_unit(s, unit, s.zlib, s.fragment);
        start_container(s);
        return ok;
    }

    bool add_payload(sensor& s, std::uint32_t msgtype, const bytes& vendor)
    {
        if (!s.builder) {
            start_container(s);
        }
        nmsg::payload_header h{1, msgtype, t_sec, t_nsec, std::nullopt, std::nullopt, std::nullopt};
        core::byte_view const v{vendor.data(), vendor.size()};
        ++t.payloads;
        ++t.counters["ingest.payloads_in"];
        auto st = s.builder->add(h, v);
        if (st == nmsg::container_builder::add_status::full) {
            if (!flush(s)) {
                return false;
            }
            st = s.builder->add(h, v);
        }
        if (st == nmsg::container_builder::add_status::too_large) {
            // Larger than a whole datagram: a container of its own, sent as fragments (libnmsg
            // does the same).
            nmsg::container_builder b({big.data(), big.size()}, big.size(), true, false);
            if (b.add(h, v) != nmsg::container_builder::add_status::added) {
                std::fprintf(stderr, "siehub-gen: a payload of %zu bytes does not fit 64 KiB\n",
                             vendor.size());
                return false;
            }
            return send_unit(s, b.finish(s.sequence++, s.sequence_id), s.zlib, true);
        }
        return st == nmsg::container_builder::add_status::added;
    }

    // A datagram of its own (no sequence, so the hub's loss tracking is not disturbed) that
    // is damaged at the nmsg level.
    bool standalone(sensor& s, bad_kind bad, const bytes& vendor)
    {
        bytes buf(o.container);
        nmsg::container_builder b({buf.data(), buf.size()}, buf.size(), false, false);
        nmsg::payload_header h{1, 9, t_sec, t_nsec, std::nullopt, std::nullopt, std::nullopt};
        if (b.add(h, {vendor.data(), vendor.size()}) !=
            nmsg::container_builder::add_status::added) {
            return true; // too large for a lone datagram: skip this damage
        }
        core::byte_view const u = b.finish();
        bytes unit(u.begin(), u.end());
        if (bad == bad_kind::crc_mismatch) {
            auto it = std::search(unit.begin(), unit.end(), vendor.begin(), vendor.end());
            it[static_cast<std::ptrdiff_t>(vendor.size()) / 2] ^= 0x20;
            ++t.payloads;
            ++t.counters["ingest.payloads_in"];
        } else if (bad == bad_kind::bad_nmsg_header) {
            unit[5] = 7; // version
        } else {
            unit[10] = 0x0f; // the first key: field 1, wire type 7
        }
        ++t.containers;
        emit_datagram(s, {unit.data(), unit.size()}, false);
        return true;
    }

    bad_kind pick_bad()
    {
        double x = r.uniform() * kind_total;
        for (std::size_t i = 0; i < o.kind_weights.size(); ++i) {
            if (x < o.kind_weights[i]) {
                return static_cast<bad_kind>(i);
            }
            x -= o.kind_weights[i];
        }
        return bad_kind::truncated_dns;
    }

    bool run(const frame_sink& fs)
    {
        sink = &fs;
        for (std::uint64_t i = 0; i < o.count; ++i) {
            sensor& s = sensors[r.below(static_cast<std::uint32_t>(sensors.size()))];
            bad_kind bad = bad_kind::count_;
            if (o.malformed > 0 && kind_total > 0 && r.uniform() < o.malformed) {
                bad = pick_bad();
            }
            ++t.transactions;
            built b;
            if (bad == bad_kind::not_dnsqr) {
                advance_time();
                // A base/encode payload (vid 1, msgtype 5): JSON text, as some sensors send.
                std::string const js = "{\"sensor\":" + std::to_string(s.index) +
                                       ",\"n\":" + std::to_string(r.next() % 100000) + "}";
                nmsg::encode_fields ef;
                ef.type = static_cast<std::int32_t>(nmsg::encode_type::json);
                ef.payload =
                    core::byte_view{reinterpret_cast<const std::uint8_t*>(js.data()), js.size()};
                b.vendor.assign(nmsg::encoded_size(ef), 0);
                core::out_buffer po({b.vendor.data(), b.vendor.size()});
                nmsg::encode(po, ef);
                b.msgtype = 5;
            } else if (!transaction_payload(bad, b)) {
                return false;
            }
            if (bad != bad_kind::count_) {
                auto const& info = bad_kind_table[static_cast<std::size_t>(bad)];
                ++t.malformed[info.name];
                ++t.counters[info.counter];
            }
            bool ok;
            if (bad == bad_kind::crc_mismatch || bad == bad_kind::bad_nmsg_header ||
                bad == bad_kind::bad_nmsg_container) {
                ok = standalone(s, bad, b.vendor);
            } else {
                ok = add_payload(s, b.msgtype, b.vendor);
            }
            if (!ok) {
                return false;
            }
        }
        for (auto& s : sensors) {
            if (!flush(s)) {
                return false;
            }
        }
        // Counters the model expects to stay zero.
        if (o.mtu != 0) {
            for (auto const* n : {"rx.ipv4_fragments", "slow.ip_fragments", "slow.ip_reassembled",
                                  "slow.ip_not_ingest"}) {
                t.counters[n] += 0;
            }
        }
        for (auto const* n :
             {"nmsg.seq_lost", "rrsets.unverifiable", "rrsets.key_error", "rrsets.out_of_bailiwick",
              "rrsets.duplicate_in_response", "verify.checksum_computed", "verify.truncated",
              "verify.route_error", "verify.route_nxdomain", "relay.ch220", "relay.ch221",
              "nmsg.to_slow_path", "nmsg.drop_header", "nmsg.drop_container", "nmsg.crc_mismatch",
              "dedup.out_dropped", "privacy.scrub_failed"}) {
            t.counters[n] += 0;
        }
        for (auto const& k : bad_kind_table) {
            t.counters[k.counter] += 0;
        }
        t.counters["dedup.out_inserted"] = t.distinct_rrsets;
        t.counters["dedup.out_suppressed"] = t.duplicates;
        t.new_base_domains = bases.size();
        t.new_fqdns = fqdns.size();
        t.new_owner_types = owner_types.size();
        t.new_rdata = rdatas.size();
        t.new_rdata_sets = rdata_sets.size();
        // What the newness stage (docs/newness.md) counts on a fresh hub without a learning
        // period: each new base domain once (ch212); every name of every
        // INSERTION checked; a DNS change (ch214) for every INSERTION of an owner already seen
        // as an owner (each INSERTION is a new rdata set: the bailiwick of an owner is fixed
        // in this model); no NAD (the traffic spans seconds).
        auto& n = t.newness_counters;
        n["newness.out_nod"] = bases.size();
        n["newness.names"] = t.newness_names;
        n["newness.out_changes"] = t.distinct_rrsets - owners.size();
        n["newness.out_nad"] = 0;
        n["newness.skip_public_suffix"] = 0;
        n["newness.skip_bad_name"] = 0;
        return true;
    }
};

generator::generator(const options& o) : p_(new impl(o))
{
}
generator::~generator()
{
    delete p_;
}
bool generator::run(const frame_sink& sink)
{
    return p_->run(sink);
}
const truth& generator::result() const
{
    return p_->t;
}

namespace {
void json_map(std::string& s, const char* key, const std::map<std::string, std::uint64_t>& m,
              bool last = false)
{
    s += "  \"";
    s += key;
    s += "\": {";
    bool first = true;
    for (auto const& [k, v] : m) {
        s += first ? "\n    \"" : ",\n    \"";
        first = false;
        s += k + "\": " + std::to_string(v);
    }
    s += first ? "}" : "\n  }";
    s += last ? "\n" : ",\n";
}
void json_num(std::string& s, const char* key, std::uint64_t v)
{
    s += "  \"";
    s += key;
    s += "\": " + std::to_string(v) + ",\n";
}
std::string fmt(double v)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}
} // namespace

std::string truth_json(const options& o, const truth& t)
{
    std::string s = "{\n";
    s += "  \"generator\": {\"seed\": " + std::to_string(o.seed) +
         ", \"count\": " + std::to_string(o.count) + ", \"names\": " + std::to_string(o.names) +
         ", \"zipf\": " + fmt(o.zipf_s) + ", \"dup\": " + fmt(o.dup) +
         ", \"new_names\": " + fmt(o.new_names) + ", \"nxdomain\": " + fmt(o.nxdomain) +
         ", \"servfail\": " + fmt(o.servfail) + ", \"refused\": " + fmt(o.refused) +
         ", \"malformed\": " + fmt(o.malformed) + ", \"sensors\": " + std::to_string(o.sensors) +
         ", \"container\": " + std::to_string(o.container) + ", \"zlib\": " + fmt(o.zlib) +
         ", \"fragment\": " + fmt(o.fragment) + ", \"mtu\": " + std::to_string(o.mtu) + "},\n";
    json_num(s, "transactions", t.transactions);
    json_num(s, "frames", t.frames);
    json_num(s, "bytes", t.bytes);
    json_num(s, "containers", t.containers);
    json_num(s, "payloads", t.payloads);
    json_num(s, "accepted", t.accepted);
    json_num(s, "distinct_rrsets", t.distinct_rrsets);
    json_num(s, "duplicate_observations", t.duplicates);
    json_num(s, "rrset_observations", t.observations);
    json_num(s, "noerror_repeats", t.noerror_repeats);
    json_num(s, "nxdomain_records", t.nxdomain_records);
    json_map(s, "rcodes", t.rcodes);
    json_map(s, "qtypes", t.qtypes);
    s += "  \"malformed\": {";
    bool first = true;
    for (auto const& k : bad_kind_table) {
        s += first ? "\n    \"" : ",\n    \"";
        first = false;
        s += std::string(k.name) + "\": {\"count\": " + std::to_string(t.malformed.at(k.name)) +
             ", \"counter\": \"" + k.counter + "\"}";
    }
    s += "\n  },\n";
    s += "  \"newness\": {\"base_domains\": " + std::to_string(t.new_base_domains) +
         ", \"fqdns\": " + std::to_string(t.new_fqdns) +
         ", \"owner_types\": " + std::to_string(t.new_owner_types) +
         ", \"rdata\": " + std::to_string(t.new_rdata) +
         ", \"rdata_sets\": " + std::to_string(t.new_rdata_sets) + ", \"nad\": 0},\n";
    json_map(s, "newness_counters", t.newness_counters);
    json_map(s, "counters", t.counters, true);
    s += "}\n";
    return s;
}

} // namespace siehub::gen
