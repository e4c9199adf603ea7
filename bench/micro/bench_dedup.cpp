// SPDX-License-Identifier: Apache-2.0
// bench_dedup: ns per lookup (hash + lookup + aggregate update) in bursts of 32 on a full
// table of 1e6 and 1e7 RRset keys, uniform and Zipf-like reuse, against std::unordered_map
// doing the same work (same keys, same XXH3 hash, same update) in the same run; and bytes
// per entry (malloc'd bytes for both, measured with mallinfo2).
//
// Usage: bench_dedup [max_entries ...]   (default: 1000000 10000000)

#include <malloc.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench_util.hpp"
#include "dedup/table.hpp"

using namespace siehub;
using dedup::byte_view;

namespace {

constexpr std::uint64_t seed = 0x51e4ab;
constexpr std::size_t burst = 32;
constexpr std::size_t stream_len = 1u << 20;

// A deterministic RRset key per id: "h<id>.z<id % 5000>.example.com. A" with one address;
// every 8th is an AAAA set of three (a key over 64 bytes, so one overflow chunk).
std::size_t make_key(std::uint64_t id, std::uint8_t* buf, std::size_t cap)
{
    char l1[24];
    char l2[16];
    auto const n1 = std::snprintf(l1, sizeof l1, "h%llu", static_cast<unsigned long long>(id));
    auto const n2 = std::snprintf(l2, sizeof l2, "z%llu", static_cast<unsigned long long>(id % 5000));
    std::uint8_t owner[64];
    std::size_t o = 0;
    owner[o++] = static_cast<std::uint8_t>(n1);
    std::memcpy(owner + o, l1, n1);
    o += n1;
    owner[o++] = static_cast<std::uint8_t>(n2);
    std::memcpy(owner + o, l2, n2);
    o += n2;
    static const std::uint8_t zone[] = "\7example\3com";
    std::memcpy(owner + o, zone, sizeof zone);
    o += sizeof zone;
    dedup::key_builder kb{dedup::byte_span{buf, cap}};
    bool const six = id % 8 == 7;
    kb.begin({owner, o}, six ? 28 : 1, 1, {zone, sizeof zone});
    for (int r = 0; r < (six ? 3 : 1); ++r) {
        std::uint8_t rd[16] = {};
        std::memcpy(rd, &id, 8);
        rd[8] = static_cast<std::uint8_t>(r);
        kb.add_rdata({rd, six ? 16u : 4u});
    }
    return kb.finish().size();
}

std::size_t heap_bytes()
{
    auto const m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

struct stream {
    std::vector<std::uint8_t> bytes;
    std::vector<byte_view> keys;
    std::vector<dedup::seconds> times;
    std::vector<std::uint32_t> ttls;
};

// The lookup stream, materialised once so that key building is not timed.
stream make_stream(std::uint64_t n, bool zipf)
{
    stream s;
    std::mt19937_64 rng{seed + (zipf ? 1 : 0)};
    std::uniform_real_distribution<double> u{0.0, 1.0};
    std::vector<std::size_t> off;
    std::vector<std::size_t> len;
    s.bytes.resize(stream_len * 112);
    std::size_t pos = 0;
    for (std::size_t i = 0; i < stream_len; ++i) {
        std::uint64_t id;
        if (zipf) {
            // Continuous Zipf (s = 1) on [1, n]: density ~ 1/x; ranks scattered over ids.
            auto const rank = static_cast<std::uint64_t>(std::exp(u(rng) * std::log(double(n))));
            id = (rank * 2654435761ull) % n;
        } else {
            id = rng() % n;
        }
        auto const k = make_key(id, s.bytes.data() + pos, 112);
        off.push_back(pos);
        len.push_back(k);
        pos += k;
    }
    for (std::size_t i = 0; i < stream_len; ++i) {
        s.keys.push_back({s.bytes.data() + off[i], len[i]});
        s.times.push_back(static_cast<dedup::seconds>(1'700'000'000 + i / 100000));
        s.ttls.push_back(300);
    }
    return s;
}

struct agg {
    std::uint64_t count;
    dedup::seconds first;
    dedup::seconds last;
    std::uint32_t ttl;
};

struct xxh {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept
    {
        return dedup::hash({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, seed);
    }
};

using ref_map = std::unordered_map<std::string, agg, xxh, std::equal_to<>>;

void run(std::uint64_t n)
{
    std::printf("\n== %llu entries ==\n", static_cast<unsigned long long>(n));
    auto const uni = make_stream(n, false);
    auto const zip = make_stream(n, true);
    std::uint8_t kbuf[128];
    struct null_sink {
        std::uint64_t n = 0;
        void operator()(const dedup::expired_entry& e) { n += e.count; }
    } sink;

    bench::result t_uni, t_zip, m_uni, m_zip;
    double table_bpe = 0;
    double map_bpe = 0;
    double t_fill = 0;
    double m_fill = 0;
    {
        dedup::config c;
        c.max_entries = static_cast<std::uint32_t>(n);
        c.overflow_bytes = n * 16; // 1 in 8 keys needs one 64-byte overflow chunk
        c.max_key_bytes = 1024;
        c.idle_timeout = 1u << 30;
        c.max_age = 1u << 30;
        auto const before = heap_bytes();
        auto tab = std::make_unique<dedup::table>(c);
        table_bpe = double(heap_bytes() - before) / double(n);

        auto const f0 = std::chrono::steady_clock::now();
        for (std::uint64_t i = 0; i < n; i += burst) {
            byte_view kv[burst];
            std::uint64_t hv[burst];
            dedup::seconds tv[burst];
            std::uint32_t ttl[burst];
            dedup::outcome r[burst];
            std::uint8_t store[burst][128];
            std::size_t const m = n - i < burst ? n - i : burst;
            for (std::size_t j = 0; j < m; ++j) {
                kv[j] = {store[j], make_key(i + j, store[j], 128)};
                hv[j] = dedup::hash(kv[j], seed);
                tv[j] = 1'700'000'000;
                ttl[j] = 300;
            }
            tab->lookup_or_insert_burst({kv, m}, {hv, m}, {tv, m}, {ttl, m}, {r, m}, sink);
        }
        t_fill = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - f0)
                     .count() / double(n);
        if (tab->size() != n || sink.n != 0) {
            std::printf("fill failed: size %u\n", tab->size());
            std::exit(1);
        }

        auto const lookup = [&](const stream& s, const char* name) {
            std::size_t pos = 0;
            return bench::measure(
                name,
                [&]() {
                    std::uint64_t hv[burst];
                    dedup::outcome r[burst];
                    for (std::size_t j = 0; j < burst; ++j) {
                        hv[j] = dedup::hash(s.keys[pos + j], seed);
                    }
                    tab->lookup_or_insert_burst({&s.keys[pos], burst}, hv, {&s.times[pos], burst},
                                                {&s.ttls[pos], burst}, r, sink);
                    bench::keep(r[0]);
                    pos = (pos + burst) % stream_len;
                },
                4096, 1500);
        };
        t_uni = lookup(uni, "dedup::table uniform");
        t_zip = lookup(zip, "dedup::table zipf");
        if (tab->counters().get(dedup::counter::inserted) != n) {
            std::printf("unexpected misses\n");
            std::exit(1);
        }
    }
    {
        auto const before = heap_bytes();
        auto map = std::make_unique<ref_map>();
        map->reserve(n);
        auto const f0 = std::chrono::steady_clock::now();
        for (std::uint64_t i = 0; i < n; ++i) {
            auto const k = make_key(i, kbuf, sizeof kbuf);
            map->emplace(std::string(reinterpret_cast<char*>(kbuf), k),
                         agg{1, 1'700'000'000, 1'700'000'000, 300});
        }
        m_fill = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - f0)
                     .count() / double(n);
        map_bpe = double(heap_bytes() - before) / double(n);

        auto const lookup = [&](const stream& s, const char* name) {
            std::size_t pos = 0;
            return bench::measure(
                name,
                [&]() {
                    for (std::size_t j = 0; j < burst; ++j) {
                        auto const k = s.keys[pos + j];
                        std::string_view sv{reinterpret_cast<const char*>(k.data()), k.size()};
                        auto const t = s.times[pos + j];
                        auto it = map->find(sv);
                        if (it != map->end()) {
                            auto& a = it->second;
                            ++a.count;
                            a.first = t < a.first ? t : a.first;
                            a.last = t > a.last ? t : a.last;
                            a.ttl = s.ttls[pos + j];
                        } else {
                            map->emplace(std::string(sv), agg{1, t, t, s.ttls[pos + j]});
                        }
                    }
                    pos = (pos + burst) % stream_len;
                },
                4096, 1500);
        };
        m_uni = lookup(uni, "std::unordered_map uniform");
        m_zip = lookup(zip, "std::unordered_map zipf");
        if (map->size() != n) {
            std::printf("unexpected map misses\n");
            std::exit(1);
        }
    }
    auto const per = [](const bench::result& r) { return r.ns_per_op / double(burst); };
    std::printf("%-10s %-12s %14s %14s %8s\n", "entries", "stream", "table ns/key", "umap ns/key",
                "ratio");
    std::printf("%-10llu %-12s %14.1f %14.1f %7.2fx\n", static_cast<unsigned long long>(n),
                "uniform", per(t_uni), per(m_uni), m_uni.ns_per_op / t_uni.ns_per_op);
    std::printf("%-10llu %-12s %14.1f %14.1f %7.2fx\n", static_cast<unsigned long long>(n),
                "zipf", per(t_zip), per(m_zip), m_zip.ns_per_op / t_zip.ns_per_op);
    std::printf("%-10llu %-12s %14.1f %14.1f %7.2fx\n", static_cast<unsigned long long>(n),
                "fill/insert", t_fill, m_fill, m_fill / t_fill);
    std::printf("%-10llu %-12s %14.1f %14.1f   (bytes/entry; table bound fixed at start, map "
                "grows)\n",
                static_cast<unsigned long long>(n), "memory", table_bpe, map_bpe);
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::uint64_t> sizes;
    for (int i = 1; i < argc; ++i) {
        sizes.push_back(std::strtoull(argv[i], nullptr, 10));
    }
    if (sizes.empty()) {
        sizes = {1'000'000, 10'000'000};
    }
    std::printf("bench_dedup: bursts of %zu, hash + lookup + update per key, all hits\n", burst);
    for (auto n : sizes) {
        run(n);
    }
    return 0;
}
