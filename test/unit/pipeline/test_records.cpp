// SPDX-License-Identifier: Apache-2.0
// Record builders against nmsgtool's golden files: the 9 INSERTIONs of
// dnsdedupe-insertion.nmsg rebuilt from their fields (directly and through a dedup key), the 5
// EXPIRATIONs of dnsdedupe-expiration.nmsg rebuilt from a real dedup::table flush, and the
// heartbeats of heartbeat-encode.nmsg.

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <tuple>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "axa_keys_util.hpp"
#include "dedup/key.hpp"
#include "dedup/table.hpp"
#include "pipeline/heartbeat.hpp"
#include "pipeline/records.hpp"
#include "proto/nmsg/messages.hpp"
#include "test_emit_util.hpp"

using namespace siehub;
using namespace siehub::pipeline;
using pipeline::test::bytes;

namespace {

bytes to_bytes(core::byte_view b)
{
    return {b.begin(), b.end()};
}

// Serialized NmsgPayload for a record, as the emitter will write it.
bytes payload_bytes(const record& r)
{
    bytes buf(nmsg::payload_size(r.header, r.vendor));
    core::out_buffer out(buf);
    nmsg::write_payload(out, r.header, r.vendor);
    REQUIRE(out.ok());
    return buf;
}

std::vector<core::byte_view> rdata_of(const nmsg::dnsdedupe_view& d)
{
    std::vector<core::byte_view> v;
    for (auto rd : d.rdata()) {
        v.push_back(rd);
    }
    return v;
}

bytes key_of(const nmsg::dnsdedupe_view& d)
{
    bytes buf(4096);
    dedup::key_builder kb(buf);
    kb.begin(*d.rrname(), static_cast<std::uint16_t>(*d.rrtype()),
             static_cast<std::uint16_t>(*d.rrclass()), *d.bailiwick());
    for (auto rd : d.rdata()) {
        kb.add_rdata(rd);
    }
    auto const k = kb.finish();
    REQUIRE(kb.error() == dedup::key_error::ok);
    return to_bytes(k);
}

bytes upper(core::byte_view name)
{
    bytes u = to_bytes(name);
    for (auto& c : u) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<std::uint8_t>(c - 0x20);
        }
    }
    return u;
}

} // namespace

TEST_CASE("INSERTION records rebuild dnsdedupe-insertion.nmsg byte for byte", "[records]")
{
    auto const file = test::read_file(test::testdata("nmsg/dnsdedupe-insertion.nmsg"));
    auto const payloads = test::file_payloads(file);
    REQUIRE(payloads.size() == 9);
    for (auto const& raw : payloads) {
        nmsg::payload_view const p(raw);
        REQUIRE(p.ok());
        nmsg::dnsdedupe_view const d(*p.payload());
        REQUIRE(d.ok());
        REQUIRE(d.type() == 0);
        REQUIRE(d.count() == 1);
        REQUIRE(d.time_first() == d.time_last());
        REQUIRE(static_cast<std::int64_t>(*d.time_first()) == p.time_sec());
        auto const rd = rdata_of(d);
        // Upper-cased names in, lower-case canonical names out.
        bytes const rrname_uc = upper(*d.rrname());
        bytes const bailiwick_uc = upper(*d.bailiwick());
        REQUIRE(rrname_uc != to_bytes(*d.rrname()));

        rrset_observation const obs{rrname_uc,
                                    static_cast<std::uint16_t>(*d.rrtype()),
                                    static_cast<std::uint16_t>(*d.rrclass()),
                                    *d.rrttl(),
                                    bailiwick_uc,
                                    *d.response_ip(),
                                    rd,
                                    {*d.time_first(), p.time_nsec()}};
        bytes buf(2048);
        record const r = build_insertion(buf, obs, p.source());
        REQUIRE(r.ok());
        CHECK(to_bytes(r.vendor) == to_bytes(*p.payload()));
        CHECK(payload_bytes(r) == raw);

        // The owner core's path: from the canonical dedup key.
        bytes const key = key_of(d);
        bytes buf2(2048);
        record const r2 = build_insertion_from_key(buf2, key, *d.rrttl(), *d.response_ip(),
                                                   {*d.time_first(), p.time_nsec()}, p.source());
        REQUIRE(r2.ok());
        CHECK(payload_bytes(r2) == raw);
    }
}

TEST_CASE("EXPIRATION records from a real dedup table flush rebuild dnsdedupe-expiration.nmsg",
          "[records]")
{
    auto const file = test::read_file(test::testdata("nmsg/dnsdedupe-expiration.nmsg"));
    auto const payloads = test::file_payloads(file);
    REQUIRE(payloads.size() == 5);

    dedup::config cfg;
    cfg.max_entries = 64;
    dedup::table t(cfg);
    std::uint64_t const seed = 42;
    std::map<bytes, bytes> golden_by_key; // key -> golden serialized payload
    std::map<bytes, nmsg::payload_header> header_by_key;
    std::uint64_t observations = 0;

    for (auto const& raw : payloads) {
        nmsg::payload_view const p(raw);
        nmsg::dnsdedupe_view const d(*p.payload());
        REQUIRE(d.ok());
        REQUIRE(d.type() == 1);
        REQUIRE(!d.response_ip());
        bytes const key = key_of(d);
        golden_by_key[key] = raw;
        header_by_key[key] = test::header_of(p);
        // count observations: the first at time_first, the rest in between, the last at
        // time_last; the table keeps min/max and the latest TTL.
        std::uint32_t const n = *d.count();
        REQUIRE(n >= 1);
        for (std::uint32_t i = 0; i < n; ++i) {
            dedup::seconds const when = i + 1 == n && n > 1 ? *d.time_last() : *d.time_first();
            core::byte_view const kv{key};
            std::uint64_t const h = dedup::hash(kv, seed);
            std::uint32_t const ttl = *d.rrttl();
            dedup::outcome res{};
            auto no_evict = [](const dedup::expired_entry&) { FAIL("unexpected eviction"); };
            t.lookup_or_insert_burst({&kv, 1}, {&h, 1}, {&when, 1}, {&ttl, 1}, {&res, 1}, no_evict);
            REQUIRE(res == (i == 0 ? dedup::outcome::inserted : dedup::outcome::duplicate));
            ++observations;
        }
    }

    std::size_t matched = 0;
    std::uint64_t expired_count = 0;
    auto sink = [&](const dedup::expired_entry& e) {
        bytes const key = to_bytes(e.key);
        REQUIRE(golden_by_key.count(key) == 1);
        auto const& h = header_by_key[key];
        bytes buf(4096);
        record const r =
            build_expiration(buf, e.key, e.count, e.time_first, e.time_last, e.rrttl,
                             {static_cast<std::uint32_t>(h.time_sec), h.time_nsec}, h.source);
        REQUIRE(r.ok());
        CHECK(payload_bytes(r) == golden_by_key[key]);
        expired_count += e.count;
        ++matched;
    };
    REQUIRE(t.flush_all(sink) == 5);
    CHECK(matched == 5);
    CHECK(expired_count == observations);
}

TEST_CASE("heartbeat records reproduce heartbeat-encode.nmsg", "[records][heartbeat]")
{
    auto const file = test::read_file(test::testdata("nmsg/heartbeat-encode.nmsg"));
    auto const payloads = test::file_payloads(file);
    REQUIRE(payloads.size() == 3);
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        nmsg::payload_view const p(payloads[i]);
        bytes buf(heartbeat_buffer_size);
        record const r =
            build_heartbeat(buf, i, "siehub-1",
                            {static_cast<std::uint32_t>(p.time_sec()), p.time_nsec()}, p.source());
        REQUIRE(r.ok());
        CHECK(payload_bytes(r) == payloads[i]);
    }

    // The schedule: due at once, then every 500 ms, one heartbeat per poll however late.
    heartbeat hb("siehub-1", 0xa1b2c3d4u);
    auto first = hb.poll(1'000'000'000, {1795382103, 0});
    REQUIRE(first);
    REQUIRE(first->ok());
    CHECK(payload_bytes(*first) == payloads[0]);
    CHECK(!hb.poll(1'400'000'000, {}));
    auto second = hb.poll(1'500'000'000, {1795382103, 500000000});
    REQUIRE(second);
    CHECK(payload_bytes(*second) == payloads[1]);
    auto late = hb.poll(3'700'000'000, {1795382104, 0});
    REQUIRE(late);
    CHECK(payload_bytes(*late) == payloads[2]);
    CHECK(hb.next_due_ns() == 4'000'000'000);
    CHECK(!hb.poll(3'999'999'999, {}));
    CHECK(hb.sent() == 3);
}

TEST_CASE("heartbeat hub names are JSON-escaped and bounded", "[records][heartbeat]")
{
    bytes buf(heartbeat_buffer_size);
    record const r = build_heartbeat(buf, 12345678901234567890ull, "a\"b\\c\x01", {7, 8}, {});
    REQUIRE(r.ok());
    nmsg::encode_view const e(r.vendor);
    REQUIRE(e.ok());
    CHECK(e.type() == 1);
    CHECK(std::string(core::as_chars(e.payload())) ==
          R"({"heartbeat":12345678901234567890,"hub":"a\"b\\c\u0001"})");
    CHECK(!r.header.source);
    CHECK(r.header.vid == 1);
    CHECK(r.header.msgtype == 11);

    std::string const worst(max_hub_name, '\x1f');
    record const w = build_heartbeat(buf, ~0ull, worst, {}, {});
    CHECK(w.ok());
    CHECK(build_heartbeat(buf, 0, std::string(max_hub_name + 1, 'x'), {}, {}).error ==
          record_error::bad_hub_name);
    CHECK(build_heartbeat(buf, 0, "", {}, {}).error == record_error::bad_hub_name);
    bytes tiny(8);
    CHECK(build_heartbeat(tiny, 0, "hub", {}, {}).error == record_error::overflow);
}

TEST_CASE("record builders reject bad input", "[records]")
{
    std::uint8_t const name[] = {3, 'w', 'w', 'w', 0};
    std::uint8_t const ip4[] = {192, 0, 2, 1};
    std::uint8_t const rd[] = {192, 0, 2, 2};
    core::byte_view const rdv{rd};
    rrset_observation obs{name, 1, 1, 60, name, ip4, {&rdv, 1}, {10, 0}};
    bytes buf(256);
    REQUIRE(build_insertion(buf, obs, {}).ok());

    auto bad = obs;
    bad.response_ip = core::byte_view{ip4, 3};
    CHECK(build_insertion(buf, bad, {}).error == record_error::bad_address);
    bad = obs;
    bad.rrname = {};
    CHECK(build_insertion(buf, bad, {}).error == record_error::bad_name);
    bytes const long_name(256, 1);
    bad = obs;
    bad.bailiwick = long_name;
    CHECK(build_insertion(buf, bad, {}).error == record_error::bad_name);
    bytes small(20);
    CHECK(build_insertion(small, obs, {}).error == record_error::overflow);

    std::uint8_t const junk[] = {5, 1, 2};
    CHECK(build_expiration(buf, junk, 1, 1, 1, 1, {}, {}).error == record_error::bad_key);
    CHECK(build_insertion_from_key(buf, junk, 1, ip4, {}, {}).error == record_error::bad_key);

    // EXPIRATION: no response_ip, count saturates at the uint32 field's maximum.
    bytes kbuf(128);
    dedup::key_builder kb(kbuf);
    kb.begin(name, 1, 1, name);
    kb.add_rdata(rdv);
    auto const key = kb.finish();
    record const x = build_expiration(buf, key, 1ull << 40, 5, 9, 60, {11, 3}, 0x1234u);
    REQUIRE(x.ok());
    nmsg::dnsdedupe_view const d(x.vendor);
    REQUIRE(d.ok());
    CHECK(d.count() == 0xffffffffu);
    CHECK(!d.response_ip());
    CHECK(d.type() == 1);
    CHECK(d.time_first() == 5u);
    CHECK(d.time_last() == 9u);
    CHECK(x.header.time_sec == 11);
    CHECK(x.header.time_nsec == 3u);
    CHECK(x.header.source == 0x1234u);
}

using pipeline::test::require_same_keys;

// The data plane matches a ch204 record's AXA keys from the dedup key it writes the record
// from (record_keys), not from the encoded record: for the golden INSERTIONs and random
// RRsets of every type the key extraction knows (names in mixed case, garbage RDATA too),
// INSERTION and EXPIRATION, the same keys as axa::extract_keys on the record.
TEST_CASE("record_keys equal extract_keys on the records built from the key", "[records][axa]")
{
    std::vector<bytes> keys;
    std::vector<bytes> ips;
    auto const file = test::read_file(test::testdata("nmsg/dnsdedupe-insertion.nmsg"));
    for (auto const& raw : test::file_payloads(file)) {
        nmsg::payload_view const p(raw);
        nmsg::dnsdedupe_view const d(*p.payload());
        keys.push_back(key_of(d));
        ips.push_back(to_bytes(*d.response_ip()));
    }
    std::mt19937 rng(3);
    auto name = [&] {
        bytes n;
        for (unsigned l = 1 + rng() % 4; l > 0; --l) {
            unsigned const len = 1 + rng() % 9;
            n.push_back(static_cast<std::uint8_t>(len));
            for (unsigned i = 0; i < len; ++i) {
                n.push_back(static_cast<std::uint8_t>("abcXYZ019-"[rng() % 10]));
            }
        }
        n.push_back(0);
        return n;
    };
    for (int i = 0; i < 500; ++i) {
        std::uint16_t const type = std::array<std::uint16_t, 12>{1, 28, 2, 5, 12, 6, 15, 33, 39, 16, 17, 26}[rng() % 12];
        std::vector<bytes> rds;
        for (unsigned r = 1 + rng() % 4; r > 0; --r) {
            bytes rd;
            switch (rng() % 4) {
            case 0: // garbage
                for (unsigned b = rng() % 12; b > 0; --b) {
                    rd.push_back(static_cast<std::uint8_t>(rng()));
                }
                break;
            default:
                if (type == 1 || type == 28) {
                    rd.resize(type == 1 ? 4 : 16);
                    for (auto& b : rd) {
                        b = static_cast<std::uint8_t>(rng());
                    }
                } else {
                    for (unsigned b = (type == 15 ? 2 : type == 33 ? 6 : 0); b > 0; --b) {
                        rd.push_back(static_cast<std::uint8_t>(rng()));
                    }
                    auto const n = name();
                    rd.insert(rd.end(), n.begin(), n.end());
                    if (type == 6 || type == 17 || type == 26) {
                        auto const m = name();
                        rd.insert(rd.end(), m.begin(), m.end());
                    }
                }
            }
            rds.push_back(std::move(rd));
        }
        std::sort(rds.begin(), rds.end());
        rds.erase(std::unique(rds.begin(), rds.end()), rds.end());
        bytes buf(4096);
        dedup::key_builder kb(buf);
        kb.begin(name(), type, 1, name());
        for (auto const& rd : rds) {
            kb.add_rdata(rd);
        }
        auto const k = kb.finish();
        REQUIRE(kb.error() == dedup::key_error::ok);
        keys.push_back(to_bytes(k));
        bytes ip(rng() % 2 ? 4 : 16);
        for (auto& b : ip) {
            b = static_cast<std::uint8_t>(rng());
        }
        ips.push_back(ip);
    }
    std::size_t names = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        INFO("key " << i);
        bytes buf(8192);
        record const ins = build_insertion_from_key(buf, keys[i], 300, ips[i], {1700000000, 0}, 7u);
        REQUIRE(ins.ok());
        axa::payload_keys want;
        REQUIRE(axa::extract_keys(axa::vid_sie, axa::msgtype_dnsdedupe, ins.vendor, want));
        axa::payload_keys got;
        REQUIRE(record_keys(keys[i], ips[i], got));
        require_same_keys(got, want);
        names += got.n_names;

        bytes buf2(8192);
        record const exp = build_expiration(buf2, keys[i], 3, 1700000000, 1700000100, 300, {1700000200, 0}, 7u);
        REQUIRE(exp.ok());
        axa::payload_keys want2;
        REQUIRE(axa::extract_keys(axa::vid_sie, axa::msgtype_dnsdedupe, exp.vendor, want2));
        axa::payload_keys got2;
        REQUIRE(record_keys(keys[i], {}, got2));
        require_same_keys(got2, want2);
    }
    CHECK(names > 1500); // owners, bailiwicks and RDATA names were compared
}
