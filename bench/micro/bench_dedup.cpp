// SPDX-License-Identifier: Apache-2.0
// bench_dedup: ns per lookup (hash + lookup + aggregate update) in bursts of 32 on a full
// table of 1e6 and 1e7 RRset keys, uniform and Zipf-like reuse, against std::unordered_map
// doing the same work (same keys, same XXH3 hash, same update) in the same run; and bytes
// per entry (malloc'd bytes for both, measured with mallinfo2).
//
// A third column runs DPDK rte_hash as the index (EAL without hugepages): rte_hash keys are
// fixed-length, so it indexes the 64-bit XXH3 digest (key_len 8) and the full key bytes are
// compared in a side array of 128-byte slots on each hit; that is the cheapest honest way to
// put variable-length RRset keys behind rte_hash.
//
// Usage: bench_dedup [max_entries ...]   (default: 1000000 10000000)

#include <malloc.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <tuple>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rte_hash.h>

#include "bench_util.hpp"
#include "dedup/table.hpp"
#include "dpdk/eal.hpp"

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

void run(std::uint64_t n, bool with_rte)
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
    bench::result r_uni{"rte_hash", 0, 0}, r_zip{"rte_hash", 0, 0};
    double r_bpe = 0;
    {
        // The index: digest -> slot; the slot array holds key bytes and the aggregate.
        struct slot {
            std::uint8_t key[112];
            std::uint16_t len;
            agg a;
        };
        auto const before = heap_bytes();
        std::vector<slot> slots(n);
        rte_hash_parameters hp{};
        auto const name = "dedup_bench_" + std::to_string(n);
        hp.name = name.c_str();
        hp.entries = static_cast<std::uint32_t>(n + n / 4);
        hp.key_len = 8;
        hp.hash_func = [](const void* k, std::uint32_t, std::uint32_t) -> std::uint32_t {
            std::uint64_t d;
            std::memcpy(&d, k, 8);
            return static_cast<std::uint32_t>(d);
        };
        hp.socket_id = -1;
        auto* h = with_rte ? rte_hash_create(&hp) : nullptr;
        if (h == nullptr) {
            std::printf("rte_hash_create failed (EAL memory?)\n");
        } else {
            for (std::uint64_t i = 0; i < n; ++i) {
                auto& sl = slots[i];
                sl.len = static_cast<std::uint16_t>(make_key(i, sl.key, sizeof sl.key));
                sl.a = {1, 1'700'000'000, 1'700'000'000, 300};
                std::uint64_t d = dedup::hash({sl.key, sl.len}, seed);
                if (rte_hash_add_key_data(h, &d, reinterpret_cast<void*>(i)) != 0) {
                    std::printf("rte_hash_add_key_data failed at %llu\n",
                                static_cast<unsigned long long>(i));
                    break;
                }
            }
            r_bpe = double(heap_bytes() - before) / double(n); // slots only: rte memory below
            auto const lookup = [&](const stream& s, const char* nm) {
                std::size_t pos = 0;
                return bench::measure(
                    nm,
                    [&]() {
                        std::uint64_t d[burst];
                        const void* kp[burst];
                        void* data[burst];
                        std::uint64_t hit = 0;
                        for (std::size_t j = 0; j < burst; ++j) {
                            d[j] = dedup::hash(s.keys[pos + j], seed);
                            kp[j] = &d[j];
                        }
                        rte_hash_lookup_bulk_data(h, kp, burst, &hit, data);
                        for (std::size_t j = 0; j < burst; ++j) {
                            if ((hit >> j & 1) == 0) {
                                continue;
                            }
                            auto& sl = slots[reinterpret_cast<std::uintptr_t>(data[j])];
                            auto const k = s.keys[pos + j];
                            if (sl.len == k.size() && std::memcmp(sl.key, k.data(), k.size()) == 0) {
                                auto const t = s.times[pos + j];
                                ++sl.a.count;
                                sl.a.first = t < sl.a.first ? t : sl.a.first;
                                sl.a.last = t > sl.a.last ? t : sl.a.last;
                                sl.a.ttl = s.ttls[pos + j];
                            }
                        }
                        pos = (pos + burst) % stream_len;
                    },
                    4096, 1500);
            };
            r_uni = lookup(uni, "rte_hash uniform");
            r_zip = lookup(zip, "rte_hash zipf");
            // rte_hash's own footprint: buckets (8 x 64 B per 8 entries at its sizing) and
            // key slots (key_len 8 + data pointer, 16 B aligned), per its documented layout.
            auto const nb = std::bit_ceil((n + n / 4) / 8 + 1);
            r_bpe += double(nb * 64 + (n + n / 4 + 1) * 16) / double(n);
            rte_hash_free(h);
        }
    }
    auto const per = [](const bench::result& r) { return r.ns_per_op / double(burst); };
    std::printf("%-10s %-12s %13s %13s %9s %13s %9s\n", "entries", "stream", "table ns/key",
                "umap ns/key", "umap/tbl", "rte ns/key", "rte/tbl");
    for (auto const& [nm, t, m, r] :
         {std::tuple{"uniform", t_uni, m_uni, r_uni}, std::tuple{"zipf", t_zip, m_zip, r_zip}}) {
        std::printf("%-10llu %-12s %13.1f %13.1f %8.2fx %13.1f %8.2fx\n",
                    static_cast<unsigned long long>(n), nm, per(t), per(m),
                    m.ns_per_op / t.ns_per_op, per(r), r.ns_per_op / t.ns_per_op);
    }
    std::printf("%-10llu %-12s %13.1f %13.1f %8.2fx\n", static_cast<unsigned long long>(n),
                "fill ns/key", t_fill, m_fill, m_fill / t_fill);
    std::printf("%-10llu %-12s %13.1f %13.1f %9s %13.1f   (bytes/entry)\n",
                static_cast<unsigned long long>(n), "memory", table_bpe, map_bpe, "", r_bpe);
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
    std::uint64_t biggest = 0;
    for (auto n : sizes) {
        biggest = n > biggest ? n : biggest;
    }
    // EAL memory for the rte_hash column (no hugepages): its buckets and key slots.
    auto const mb = static_cast<unsigned>(256 + biggest * 96 / (1u << 20));
    std::unique_ptr<dpdk::eal> eal;
    try {
        eal = std::make_unique<dpdk::eal>(dpdk::eal::virtual_args("bench-dedup", mb));
    } catch (const std::exception& e) {
        std::printf("EAL init failed (%s): rte_hash column skipped\n", e.what());
    }
    for (auto n : sizes) {
        run(n, eal != nullptr);
    }
    return 0;
}
