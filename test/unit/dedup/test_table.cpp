// SPDX-License-Identifier: Apache-2.0
// The dedup table against a std::unordered_map + std::list reference model of the same
// contract (sie.md §3): same outcome per observation, the same EXPIRATION records in the same
// order, exact count conservation, and the memory bounds.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <list>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <catch2/catch.hpp>

#include "dedup/table.hpp"

using namespace siehub;
using dedup::byte_view;
using dedup::expire_reason;
using dedup::outcome;
using dedup::seconds;

namespace {

struct record {
    expire_reason reason;
    std::string key;
    std::uint64_t count;
    seconds first;
    seconds last;
    std::uint32_t ttl;
    bool operator==(const record&) const = default;
};

std::string to_str(byte_view b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

byte_view to_view(const std::string& s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct collector {
    std::vector<record> out;
    void operator()(const dedup::expired_entry& e)
    {
        // The key handed back must be a well-formed key (it is what EXPIRATION re-emits).
        dedup::key_fields f;
        if (dedup::parse_key(e.key, f) != dedup::key_error::ok) {
            FAIL("expired key does not parse");
        }
        out.push_back({e.reason, to_str(e.key), e.count, e.time_first, e.time_last, e.rrttl});
    }
    std::uint64_t total() const
    {
        std::uint64_t n = 0;
        for (auto const& r : out) {
            n += r.count;
        }
        return n;
    }
};

// The contract written plainly: map + two lists, the same pressure and expiry rules.
class model {
public:
    model(const dedup::config& c, std::uint32_t chunks) : cfg_(c), free_chunks_(chunks) {}

    outcome observe(const std::string& k, seconds t, std::uint32_t ttl, std::vector<record>& out)
    {
        if (k.size() > cfg_.max_key_bytes) {
            return outcome::bypass;
        }
        auto it = map_.find(k);
        if (it != map_.end()) {
            // sie.md §3: an entry this observation's clock says has left the cache leaves now.
            auto const& old = it->second;
            if (t > old.last && t - old.last >= cfg_.idle_timeout) {
                remove(k, expire_reason::idle, out);
                it = map_.end();
            } else if (t > old.first && t - old.first >= cfg_.max_age) {
                remove(k, expire_reason::age, out);
                it = map_.end();
            }
        }
        if (it != map_.end()) {
            auto& x = it->second;
            ++x.count;
            x.first = std::min(x.first, t);
            if (t > x.last) {
                x.last = t;
                lru_.splice(lru_.begin(), lru_, x.lru);
            }
            x.ttl = ttl;
            return outcome::duplicate;
        }
        auto const need = dedup::table::overflow_chunks_for(k.size());
        while (map_.size() == cfg_.max_entries || free_chunks_ < need) {
            remove(lru_.back(), expire_reason::pressure, out);
        }
        free_chunks_ -= need;
        lru_.push_front(k);
        fifo_.push_back(k);
        map_[k] = {1, t, t, ttl, lru_.begin(), std::prev(fifo_.end())};
        return outcome::inserted;
    }

    void expire(seconds now, std::uint32_t budget, std::vector<record>& out)
    {
        std::uint32_t done = 0;
        while (done < budget) {
            bool progress = false;
            if (!lru_.empty()) {
                auto const& x = map_.at(lru_.back());
                if (now >= x.last && now - x.last >= cfg_.idle_timeout) {
                    remove(lru_.back(), expire_reason::idle, out);
                    ++done;
                    progress = true;
                }
            }
            if (done < budget && !fifo_.empty()) {
                auto const& x = map_.at(fifo_.front());
                if (now >= x.first && now - x.first >= cfg_.max_age) {
                    remove(fifo_.front(), expire_reason::age, out);
                    ++done;
                    progress = true;
                }
            }
            if (!progress) {
                break;
            }
        }
    }

    void flush(std::vector<record>& out)
    {
        while (!lru_.empty()) {
            remove(lru_.back(), expire_reason::flush, out);
        }
    }

    std::size_t size() const { return map_.size(); }

private:
    struct ent {
        std::uint64_t count;
        seconds first;
        seconds last;
        std::uint32_t ttl;
        std::list<std::string>::iterator lru;
        std::list<std::string>::iterator fifo;
    };

    void remove(std::string k, expire_reason why, std::vector<record>& out)
    {
        auto it = map_.find(k);
        auto const& x = it->second;
        out.push_back({why, k, x.count, x.first, x.last, x.ttl});
        free_chunks_ += dedup::table::overflow_chunks_for(k.size());
        lru_.erase(x.lru);
        fifo_.erase(x.fifo);
        map_.erase(it);
    }

    dedup::config cfg_;
    std::uint32_t free_chunks_;
    std::unordered_map<std::string, ent> map_;
    std::list<std::string> lru_;
    std::list<std::string> fifo_;
};

// RRset-shaped keys of varied size: most fit the 64-byte home chunk, some need overflow
// chunks, a few exceed the max_key_bytes used below (600).
std::vector<std::string> make_keys(std::size_t n, std::mt19937_64& rng)
{
    std::vector<std::string> keys;
    std::uint8_t buf[4096];
    for (std::size_t i = 0; i < n; ++i) {
        std::string label = "h" + std::to_string(i);
        std::vector<std::uint8_t> owner{static_cast<std::uint8_t>(label.size())};
        owner.insert(owner.end(), label.begin(), label.end());
        const char zone[] = "\7Example\3com";
        owner.insert(owner.end(), zone, zone + sizeof(zone)); // includes the root label
        std::vector<std::uint8_t> bw(zone, zone + sizeof(zone));
        dedup::key_builder kb{buf};
        auto const kind = rng() % 100;
        std::size_t n_rdata = kind < 70 ? 1 : kind < 95 ? 1 + rng() % 8 : 20 + rng() % 20;
        kb.begin(owner, static_cast<std::uint16_t>(1 + rng() % 3), 1, bw);
        for (std::size_t r = 0; r < n_rdata; ++r) {
            std::uint8_t rd[16];
            for (auto& b : rd) {
                b = static_cast<std::uint8_t>(rng());
            }
            kb.add_rdata(byte_view{rd, kind < 50 ? 4u : 16u});
        }
        auto const k = kb.finish();
        REQUIRE(!k.empty());
        keys.push_back(to_str(k));
    }
    return keys;
}

struct run_params {
    const char* name;
    dedup::config cfg;
    std::size_t pool;
    std::size_t bursts;
};

} // namespace

TEST_CASE("config validation", "[dedup][table]")
{
    dedup::config c;
    CHECK(dedup::validate(c) == dedup::config_error::ok);
    c.max_entries = 0;
    CHECK(dedup::validate(c) == dedup::config_error::no_entries);
    c.max_entries = (1u << 30) + 1;
    CHECK(dedup::validate(c) == dedup::config_error::too_many_entries);
    c = {};
    c.max_key_bytes = 70000;
    CHECK(dedup::validate(c) == dedup::config_error::key_too_large);
    c = {};
    c.max_entries = 4;
    c.overflow_bytes = 128; // 2 chunks: keys up to 192 bytes
    c.max_key_bytes = 192;
    CHECK(dedup::validate(c) == dedup::config_error::ok);
    c.max_key_bytes = 193;
    CHECK(dedup::validate(c) == dedup::config_error::key_too_large);
    c = {};
    c.idle_timeout = 0;
    CHECK(dedup::validate(c) == dedup::config_error::zero_timeout);
    CHECK(std::string{dedup::to_string(dedup::config_error::zero_timeout)} == "zero_timeout");
}

TEST_CASE("random streams match the reference model exactly", "[dedup][table]")
{
    auto const p = GENERATE(
        // Heavy pressure on entries and on overflow chunks; short idle; ages expire too.
        run_params{"pressure", {256, 256 * 24, 600, 8, 200}, 2000, 4000},
        // Room for everything: expiry alone decides.
        run_params{"expiry", {4096, 0, 600, 30, 120}, 3000, 4000},
        // Chunk-starved: few overflow chunks, so large keys evict while entries are free.
        run_params{"chunks", {512, 64 * 40, 600, 1000, 5000}, 1500, 3000});
    INFO(p.name);
    REQUIRE(dedup::validate(p.cfg) == dedup::config_error::ok);

    std::mt19937_64 rng{0x5eed0000u + p.pool};
    auto const keys = make_keys(p.pool, rng);
    std::vector<std::uint64_t> key_hash;
    for (auto const& k : keys) {
        key_hash.push_back(dedup::hash(to_view(k), 42));
    }

    dedup::table tab{p.cfg};
    model ref{p.cfg, tab.overflow_chunks_total()};
    collector got;
    std::vector<record> want;
    auto const mem = tab.memory_bytes();
    std::uniform_real_distribution<double> u{0.0, 1.0};

    std::uint64_t observations = 0;
    std::uint64_t bypassed = 0;
    seconds now = 1'700'000'000;
    for (std::size_t burst = 0; burst < p.bursts; ++burst) {
        std::size_t const n = 1 + rng() % 32;
        byte_view kv[32];
        std::uint64_t hv[32];
        seconds tv[32];
        std::uint32_t ttl[32];
        std::size_t id[32];
        outcome res[32];
        for (std::size_t i = 0; i < n; ++i) {
            // Zipf-ish reuse: a cubed uniform piles observations onto low ids.
            id[i] = std::min(keys.size() - 1,
                             static_cast<std::size_t>(double(keys.size()) * std::pow(u(rng), 3)));
            kv[i] = to_view(keys[id[i]]);
            hv[i] = key_hash[id[i]];
            // Mostly current time, sometimes a few seconds late (sensor files arrive late).
            tv[i] = rng() % 8 == 0 ? now - static_cast<seconds>(rng() % 5) : now;
            ttl[i] = static_cast<std::uint32_t>(rng() % 86400);
        }
        tab.lookup_or_insert_burst({kv, n}, {hv, n}, {tv, n}, {ttl, n}, {res, n}, got);
        for (std::size_t i = 0; i < n; ++i) {
            auto const r = ref.observe(keys[id[i]], tv[i], ttl[i], want);
            INFO("burst " << burst << " key " << i);
            REQUIRE(res[i] == r);
            ++observations;
            bypassed += r == outcome::bypass ? 1 : 0;
        }
        REQUIRE(got.out.size() == want.size());

        now += static_cast<seconds>(rng() % 3);
        auto const budget = static_cast<std::uint32_t>(rng() % 12);
        tab.expire(now, budget, got);
        ref.expire(now, budget, want);
        REQUIRE(got.out.size() == want.size());
        REQUIRE(tab.size() == ref.size());
        REQUIRE(tab.size() <= tab.capacity());
        REQUIRE(tab.memory_bytes() == mem);
        if (burst % 256 == 0) {
            REQUIRE(tab.check_invariants());
        }
    }
    REQUIRE(tab.check_invariants());
    tab.flush_all(got);
    ref.flush(want);
    REQUIRE(tab.size() == 0);
    REQUIRE(tab.check_invariants());
    REQUIRE(got.out.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO("record " << i);
        REQUIRE(got.out[i] == want[i]);
    }

    // Conservation: every cached observation leaves through exactly one EXPIRATION count.
    auto const& c = tab.counters();
    CHECK(got.total() == observations - bypassed);
    CHECK(c.get(dedup::counter::expired_observations) == observations - bypassed);
    CHECK(c.get(dedup::counter::inserted) + c.get(dedup::counter::suppressed) +
              c.get(dedup::counter::bypass_oversize) ==
          observations);
    CHECK(c.get(dedup::counter::bypass_oversize) == bypassed);
    CHECK(c.get(dedup::counter::dropped) == 0);
    CHECK(c.get(dedup::counter::evict_collision) == 0);
    CHECK(c.get(dedup::counter::expire_idle) + c.get(dedup::counter::expire_age) +
              c.get(dedup::counter::evict_pressure) + c.get(dedup::counter::flush) ==
          got.out.size());
    CHECK(tab.overflow_chunks_free() == tab.overflow_chunks_total());
    // Each run must exercise what it is named for.
    if (std::string{p.name} == "pressure") {
        CHECK(c.get(dedup::counter::evict_pressure) > 1000);
        CHECK(c.get(dedup::counter::expire_idle) > 0);
        CHECK(bypassed > 0);
    } else if (std::string{p.name} == "expiry") {
        CHECK(c.get(dedup::counter::evict_pressure) == 0);
        CHECK(c.get(dedup::counter::expire_idle) > 100);
        CHECK(c.get(dedup::counter::expire_age) > 10);
    } else {
        CHECK(c.get(dedup::counter::evict_pressure) > 100);
        CHECK(tab.size() == 0);
    }
}

namespace {

// A small fixture: explicit keys "k<i>" wrapped as valid keys, single observations.
struct small {
    dedup::config cfg;
    dedup::table tab;
    collector sink;

    explicit small(dedup::config c) : cfg(c), tab(c) {}

    static std::string key(int i, std::size_t n_rdata = 1)
    {
        std::uint8_t buf[4096];
        dedup::key_builder kb{buf};
        std::string l = "k" + std::to_string(i);
        std::vector<std::uint8_t> owner{static_cast<std::uint8_t>(l.size())};
        owner.insert(owner.end(), l.begin(), l.end());
        owner.push_back(0);
        kb.begin(owner, 1, 1, std::vector<std::uint8_t>{0});
        for (std::size_t r = 0; r < n_rdata; ++r) {
            std::uint8_t rd[4] = {10, 0, static_cast<std::uint8_t>(r >> 8),
                                  static_cast<std::uint8_t>(r)};
            kb.add_rdata(byte_view{rd, 4});
        }
        return to_str(kb.finish());
    }

    outcome see(const std::string& k, seconds t, std::uint32_t ttl = 300,
                std::uint64_t h = 0, bool fixed_hash = false)
    {
        byte_view kv[1] = {to_view(k)};
        std::uint64_t hv[1] = {fixed_hash ? h : dedup::hash(kv[0], 1)};
        seconds tv[1] = {t};
        std::uint32_t ttlv[1] = {ttl};
        outcome r[1];
        tab.lookup_or_insert_burst(kv, hv, tv, ttlv, r, sink);
        return r[0];
    }

    dedup::entry_info info(const std::string& k, std::uint64_t h = 0, bool fixed_hash = false)
    {
        dedup::entry_info e{};
        if (!tab.peek(to_view(k), fixed_hash ? h : dedup::hash(to_view(k), 1), e)) {
            FAIL("not cached");
        }
        return e;
    }
};

dedup::config cfg_of(std::uint32_t entries, seconds idle, seconds age)
{
    dedup::config c;
    c.max_entries = entries;
    c.idle_timeout = idle;
    c.max_age = age;
    c.max_key_bytes = 512;
    // Room for any key up to 512 bytes, and one overflow chunk per entry.
    c.overflow_bytes = std::max<std::uint64_t>(1024, std::uint64_t{entries} * 64);
    return c;
}

} // namespace

TEST_CASE("first sight inserts; later sights aggregate", "[dedup][table]")
{
    small s{cfg_of(16, 100, 1000)};
    auto const a = small::key(1);
    CHECK(s.see(a, 500, 60) == outcome::inserted);
    CHECK(s.see(a, 510, 70) == outcome::duplicate);
    CHECK(s.see(a, 505, 80) == outcome::duplicate); // late: no effect on time_last
    CHECK(s.see(a, 490, 90) == outcome::duplicate); // out of order: time_first moves back
    auto const e = s.info(a);
    CHECK(e.count == 4);
    CHECK(e.time_first == 490);
    CHECK(e.time_last == 510);
    CHECK(e.rrttl == 90); // latest seen
    CHECK(s.tab.counters().get(dedup::counter::inserted) == 1);
    CHECK(s.tab.counters().get(dedup::counter::suppressed) == 3);
}

TEST_CASE("a key repeated inside one burst is inserted once", "[dedup][table]")
{
    small s{cfg_of(16, 100, 1000)};
    auto const a = small::key(1);
    auto const b = small::key(2);
    byte_view kv[4] = {to_view(a), to_view(b), to_view(a), to_view(a)};
    std::uint64_t hv[4];
    for (int i = 0; i < 4; ++i) {
        hv[i] = dedup::hash(kv[i], 1);
    }
    seconds tv[4] = {10, 11, 12, 13};
    std::uint32_t ttl[4] = {1, 2, 3, 4};
    outcome r[4];
    s.tab.lookup_or_insert_burst(kv, hv, tv, ttl, r, s.sink);
    CHECK(r[0] == outcome::inserted);
    CHECK(r[1] == outcome::inserted);
    CHECK(r[2] == outcome::duplicate);
    CHECK(r[3] == outcome::duplicate);
    CHECK(s.info(a).count == 3);
    CHECK(s.info(a).time_last == 13);
    CHECK(s.tab.size() == 2);
}

TEST_CASE("idle expiry fires exactly at idle_timeout after time_last", "[dedup][table]")
{
    small s{cfg_of(16, 100, 100000)};
    auto const a = small::key(1);
    auto const b = small::key(2);
    s.see(a, 1000);
    s.see(b, 1000);
    s.see(a, 1050); // a idle until 1150, b until 1100
    CHECK(s.tab.expire(1099, 100, s.sink) == 0);
    CHECK(s.tab.expire(1100, 100, s.sink) == 1);
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0].key == b);
    CHECK(s.sink.out[0].reason == expire_reason::idle);
    CHECK(s.sink.out[0].count == 1);
    CHECK(s.tab.expire(1149, 100, s.sink) == 0);
    CHECK(s.tab.expire(1150, 100, s.sink) == 1);
    CHECK(s.sink.out[1] == record{expire_reason::idle, a, 2, 1000, 1050, 300});
    CHECK(s.tab.size() == 0);
    CHECK(s.tab.counters().get(dedup::counter::expire_idle) == 2);
    // A clock behind time_last never expires anything.
    s.see(a, 5000);
    CHECK(s.tab.expire(10, 100, s.sink) == 0);
}

TEST_CASE("max-age expiry fires at max_age after time_first even when busy", "[dedup][table]")
{
    small s{cfg_of(16, 100, 60)};
    auto const a = small::key(1);
    for (seconds t = 0; t < 60; t += 5) {
        s.see(a, 1000 + t);
        CHECK(s.tab.expire(1000 + t, 100, s.sink) == 0);
    }
    CHECK(s.tab.expire(1059, 100, s.sink) == 0);
    CHECK(s.tab.expire(1060, 100, s.sink) == 1);
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0] == record{expire_reason::age, a, 12, 1000, 1055, 300});
    CHECK(s.tab.counters().get(dedup::counter::expire_age) == 1);
    // Seen again: a new entry, a new INSERTION.
    CHECK(s.see(a, 1061) == outcome::inserted);
}

TEST_CASE("an observation after the idle time or max age starts a new entry at once",
          "[dedup][table]")
{
    // The expiry timer has not run (a jump in payload time), yet the observation's own clock
    // says the cached entry has left: EXPIRATION for the old aggregate, INSERTION for the new.
    small s{cfg_of(16, 100, 1000)};
    auto const a = small::key(1);
    CHECK(s.see(a, 1000) == outcome::inserted);
    CHECK(s.see(a, 1099) == outcome::duplicate);
    CHECK(s.see(a, 1199) == outcome::inserted); // 100 s idle since 1099
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0] == record{expire_reason::idle, a, 2, 1000, 1099, 300});
    // Busy but old: max age since time_first (1199) reached at 2199.
    for (seconds t = 1250; t < 2199; t += 50) {
        CHECK(s.see(a, t) == outcome::duplicate);
    }
    CHECK(s.see(a, 2199) == outcome::inserted);
    REQUIRE(s.sink.out.size() == 2);
    CHECK(s.sink.out[1].reason == expire_reason::age);
    CHECK(s.sink.out[1].first == 1199);
    // A late observation (behind time_last) never expires anything.
    CHECK(s.see(a, 100) == outcome::duplicate);
    CHECK(s.sink.out.size() == 2);
}

TEST_CASE("expire honours its budget", "[dedup][table]")
{
    small s{cfg_of(64, 10, 1000)};
    for (int i = 0; i < 40; ++i) {
        s.see(small::key(i), 100);
    }
    CHECK(s.tab.expire(200, 16, s.sink) == 16);
    CHECK(s.tab.size() == 24);
    CHECK(s.tab.expire(200, 0, s.sink) == 0);
    CHECK(s.tab.expire(200, 100, s.sink) == 24);
    CHECK(s.sink.total() == 40);
}

TEST_CASE("table pressure evicts the least recently seen entry", "[dedup][table]")
{
    small s{cfg_of(3, 1000, 100000)};
    auto const a = small::key(1), b = small::key(2), c = small::key(3), d = small::key(4);
    s.see(a, 10);
    s.see(b, 11);
    s.see(c, 12);
    s.see(a, 13); // a becomes most recent: b is the LRU
    CHECK(s.see(d, 14) == outcome::inserted);
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0] == record{expire_reason::pressure, b, 1, 11, 11, 300});
    CHECK(s.tab.size() == 3);
    CHECK(s.tab.counters().get(dedup::counter::evict_pressure) == 1);
    CHECK(s.see(b, 15) == outcome::inserted); // evicts c
    CHECK(s.sink.out.back().key == c);
}

TEST_CASE("overflow-chunk pressure evicts even with free entries", "[dedup][table]")
{
    auto cfg = cfg_of(64, 1000, 100000);
    cfg.overflow_bytes = 64 * 4; // 4 chunks
    cfg.max_key_bytes = 64 * 3;
    small s{cfg};
    auto const big1 = small::key(1, 20); // 20 rdata x 6 bytes + header > 64: 2 overflow chunks
    auto const big2 = small::key(2, 20);
    auto const big3 = small::key(3, 20);
    REQUIRE(dedup::table::overflow_chunks_for(big1.size()) == 2);
    s.see(big1, 1);
    s.see(big2, 2);
    CHECK(s.tab.overflow_chunks_free() == 0);
    CHECK(s.see(big3, 3) == outcome::inserted);
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0].key == big1); // the full key comes back, gathered from its chunks
    CHECK(s.sink.out[0].reason == expire_reason::pressure);
    CHECK(s.tab.size() == 2);
    CHECK(s.tab.check_invariants());
}

TEST_CASE("oversize keys bypass the cache", "[dedup][table]")
{
    small s{cfg_of(16, 100, 1000)};
    auto const big = small::key(1, 100); // > 512 bytes
    REQUIRE(big.size() > 512);
    CHECK(s.see(big, 1) == outcome::bypass);
    CHECK(s.see(big, 2) == outcome::bypass);
    CHECK(s.tab.size() == 0);
    CHECK(s.tab.counters().get(dedup::counter::bypass_oversize) == 2);
    CHECK(s.tab.flush_all(s.sink) == 0);
}

TEST_CASE("flush_all expires every entry, LRU first, and the table is reusable",
          "[dedup][table]")
{
    small s{cfg_of(100, 1000, 100000)};
    std::uint64_t obs = 0;
    for (int i = 0; i < 50; ++i) {
        for (int j = 0; j <= i % 3; ++j) {
            s.see(small::key(i, 1 + i % 15), 100 + i);
            ++obs;
        }
    }
    CHECK(s.tab.flush_all(s.sink) == 50);
    CHECK(s.tab.size() == 0);
    CHECK(s.sink.total() == obs);
    CHECK(s.sink.out.front().key == small::key(0, 1));
    for (auto const& r : s.sink.out) {
        CHECK(r.reason == expire_reason::flush);
    }
    CHECK(s.tab.counters().get(dedup::counter::flush) == 50);
    CHECK(s.tab.check_invariants());
    CHECK(s.see(small::key(0, 1), 1000) == outcome::inserted);
}

TEST_CASE("forced hash collisions: same hash, different keys", "[dedup][table]")
{
    small s{cfg_of(1024, 1000, 100000)};
    // Every key gets the same 64-bit hash: same signature, same two buckets (16 slots).
    std::uint64_t const h = 0x0000'1234'0000'0005ull;
    for (int i = 0; i < 16; ++i) {
        CHECK(s.see(small::key(i), 100 + i, 300, h, true) == outcome::inserted);
    }
    for (int i = 0; i < 16; ++i) {
        CHECK(s.see(small::key(i), 200, 300, h, true) == outcome::duplicate);
        CHECK(s.info(small::key(i), h, true).count == 2);
    }
    CHECK(s.tab.size() == 16);
    CHECK(s.sink.out.empty());
    // Make key 0 the most recent; the 17th key then evicts the oldest of the 16: key 1.
    s.see(small::key(0), 300, 300, h, true);
    CHECK(s.see(small::key(16), 301, 300, h, true) == outcome::inserted);
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0] == record{expire_reason::collision, small::key(1), 2, 101, 200, 300});
    CHECK(s.tab.counters().get(dedup::counter::evict_collision) == 1);
    CHECK(s.tab.check_invariants());

    // Same bucket and signature but a different full hash (bits 48..63): told apart too.
    std::uint64_t const h2 = h | 0xabcd'0000'0000'0000ull;
    CHECK(s.see(small::key(0), 302, 300, h2, true) == outcome::inserted);
    CHECK(s.info(small::key(0), h, true).count == 3);
    CHECK(s.info(small::key(0), h2, true).count == 1);

    std::uint64_t obs = 16 + 16 + 1 + 1 + 1;
    s.tab.flush_all(s.sink);
    CHECK(s.sink.total() == obs);
}

TEST_CASE("cuckoo displacement fills the table to capacity without collision evictions",
          "[dedup][table]")
{
    // 1000 entries over 256 buckets (2048 slots): still bounded, every key must fit.
    small s{cfg_of(1000, 100000, 100000)};
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(s.see(small::key(i), 1) == outcome::inserted);
    }
    CHECK(s.tab.size() == 1000);
    CHECK(s.tab.counters().get(dedup::counter::evict_collision) == 0);
    CHECK(s.tab.check_invariants());
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(s.see(small::key(i), 2) == outcome::duplicate);
    }
    // Full: one more evicts the LRU (key 0, refreshed first at t=2).
    CHECK(s.see(small::key(5000), 3) == outcome::inserted);
    CHECK(s.sink.out.at(0).key == small::key(0));
}

TEST_CASE("counter table names every counter once", "[dedup][table]")
{
    std::vector<std::string> names;
    for (auto const& c : dedup::counter_table) {
        std::string n = c.name;
        CHECK(n.rfind("dedup.", 0) == 0);
        CHECK(std::string{c.description}.size() > 10);
        for (auto const& m : names) {
            CHECK(m != n);
        }
        names.push_back(n);
    }
    CHECK(names.size() == dedup::n_counters);
    CHECK(alignof(dedup::counter_block) == 64);
}

TEST_CASE("LRU order is by time_last: a same-second hit does not move an entry",
          "[dedup][table]")
{
    small s{cfg_of(2, 1000, 100000)};
    auto const a = small::key(1), b = small::key(2), c = small::key(3);
    s.see(a, 20);
    s.see(b, 20);
    CHECK(s.see(a, 20) == outcome::duplicate); // count 2, position unchanged
    s.see(c, 21);                              // evicts a: oldest time_last, inserted first
    REQUIRE(s.sink.out.size() == 1);
    CHECK(s.sink.out[0] == record{expire_reason::pressure, a, 2, 20, 20, 300});
}
