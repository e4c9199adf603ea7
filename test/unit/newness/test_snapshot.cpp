// SPDX-License-Identifier: Apache-2.0
// Snapshots: round trip, and every kind of damage refused with its reason.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include "newness/psl_list.hpp"
#include "newness/snapshot.hpp"
#include "newness_test_util.hpp"

using namespace siehub::newness;
using namespace siehub::newness::test;

namespace {

const psl_table& table()
{
    static psl_table const t = [] {
        auto const r = parse_psl("com\nnet\norg\n");
        REQUIRE(r.ok());
        return psl_table(r.rules, {});
    }();
    return t;
}

std::string temp_dir()
{
    char tmpl[] = "/tmp/siehub-snap-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    return tmpl;
}

std::size_t feed(engine& e, std::uint32_t t, int from, int to)
{
    std::size_t n = 0;
    std::array<std::uint8_t, 4> ip{192, 0, 2, 53};
    for (int i = from; i < to; ++i) {
        auto const k = make_key("h" + std::to_string(i % 7) + ".d" + std::to_string(i) + ".com", 1,
                                "com", {a_rdata(192, 0, 2, static_cast<std::uint8_t>(i))});
        e.on_insertion({{k.data(), k.size()}, t, 0, 60, {ip.data(), 4}},
                       [&](const out_record&) { ++n; });
    }
    return n;
}

void patch(const std::string& path, long at, std::uint8_t xor_with)
{
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ xor_with);
    f.seekp(at);
    f.write(&c, 1);
}

} // namespace

TEST_CASE("snapshot round trip keeps every name and fact")
{
    auto const dir = temp_dir();
    engine_config c;
    c.fqdn_capacity = 64; // force growths before the save
    engine a(table(), c);
    CHECK(feed(a, 1'795'000'000, 0, 2000) == 4000); // NOD + NOH each
    auto const path = snapshot_path(dir, 0, 1);
    auto const s = save_snapshot(a, path, 1'795'000'100);
    REQUIRE(s.ok());
    engine b(table(), c);
    auto const l = load_snapshot(b, path);
    REQUIRE(l.ok());
    CHECK(b.fqdns().size() == a.fqdns().size());
    CHECK(b.bases().size() == a.bases().size());
    CHECK(b.facts().size() == a.facts().size());
    CHECK(b.created() == 1'795'000'000);
    CHECK(feed(b, 1'795'000'200, 0, 2000) == 0); // nothing new after the reload
    CHECK(feed(b, 1'795'000'200, 2000, 2010) == 20);
    snapshot_info info;
    CHECK(check_snapshot(path, info, true).ok());
    CHECK(info.fqdn_count == a.fqdns().size());
    CHECK(info.saved == 1'795'000'100);
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("damaged snapshots are refused with their reason")
{
    auto const dir = temp_dir();
    engine a(table(), {});
    feed(a, 1'795'000'000, 0, 500);
    auto const path = snapshot_path(dir, 0, 1);
    REQUIRE(save_snapshot(a, path, 1).ok());
    std::ifstream in(path, std::ios::binary);
    std::vector<char> orig((std::istreambuf_iterator<char>(in)), {});
    auto restore = [&] {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(orig.data(), static_cast<std::streamsize>(orig.size()));
    };
    auto load = [&] {
        engine b(table(), {});
        auto r = load_snapshot(b, path);
        if (!r.ok()) {
            CHECK(b.fqdns().size() == 0); // nothing half-loaded
            CHECK(r.message.find(path) != std::string::npos);
        }
        return r.status;
    };
    CHECK(load() == snapshot_status::ok);
    patch(path, static_cast<long>(orig.size()) - 3, 0x10); // a body byte
    CHECK(load() == snapshot_status::body_crc);
    restore();
    patch(path, 20, 0x01); // shard count in the header
    CHECK(load() == snapshot_status::header_crc);
    restore();
    patch(path, 0, 0x01);
    CHECK(load() == snapshot_status::bad_magic);
    restore();
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(orig.size() - 100)) == 0);
    CHECK(load() == snapshot_status::truncated);
    REQUIRE(::truncate(path.c_str(), 50) == 0);
    CHECK(load() == snapshot_status::truncated);
    restore();
    {
        engine_config c;
        c.shard = 1;
        c.shards = 2;
        engine b(table(), c);
        CHECK(load_snapshot(b, path).status == snapshot_status::shard_mismatch);
    }
    std::remove(path.c_str());
    CHECK(load() == snapshot_status::missing);
    ::rmdir(dir.c_str());
}
