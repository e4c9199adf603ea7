// SPDX-License-Identifier: Apache-2.0
// The live line: number formatting, per-interval rates, top drop reasons by this interval.
#include <catch2/catch.hpp>

#include "telemetry/live_line.hpp"

using namespace siehub::telemetry;

namespace {
enum class c : std::uint8_t { frames, payloads, out_frames, out_payloads, count_ };
inline constexpr std::array<counter_info, 4> io_table{{
    {"ingest.frames", "f"},
    {"ingest.payloads", "p"},
    {"emit.frames", "ef"},
    {"emit.payloads", "ep"},
}};
enum class d : std::uint8_t { rd_set, tcp, unanswered, accepted, count_ };
inline constexpr std::array<counter_info, 4> drop_table{{
    {"verify.rd_set", "RD=1"},
    {"verify.tcp", "tcp"},
    {"verify.unanswered", "no response"},
    {"verify.accepted", "ok"},
}};
enum class s_counter : std::uint8_t { suppressed, count_ };
inline constexpr std::array<counter_info, 1> dd_table{{{"dedup.suppressed", "s"}}};
} // namespace

TEST_CASE("human_count")
{
    CHECK(human_count(0) == "0");
    CHECK(human_count(-5) == "0");
    CHECK(human_count(7) == "7");
    CHECK(human_count(999) == "999");
    CHECK(human_count(999.6) == "1.00k");
    CHECK(human_count(1234) == "1.23k");
    CHECK(human_count(45'600) == "45.6k");
    CHECK(human_count(300'000) == "300k");
    CHECK(human_count(1'234'567) == "1.23M");
    CHECK(human_count(3.5e9) == "3.50G");
}

TEST_CASE("live line rates and top drop reasons")
{
    registry r;
    auto const io = r.add_table(io_table);
    auto const dr = r.add_table(drop_table);
    auto const dd = r.add_table(dd_table);
    counter_block<c> b;
    counter_block<d> v;
    counter_block<s_counter> x;
    r.add_block(io, block_scope::on_worker(0), b.v.data());
    r.add_block(dr, block_scope::on_worker(0), v.v.data());
    r.add_block(dd, block_scope::on_worker(0), x.v.data());

    live_line line({"ingest.frames",
                    "emit.frames",
                    "ingest.payloads",
                    "emit.payloads",
                    "dedup.suppressed",
                    {"verify.*"},
                    2});
    // verify.accepted matches the glob too but stays 0: a reason shows only when it grew.
    b.add(c::frames, 2000);
    b.add(c::payloads, 40'000);
    b.add(c::out_frames, 100);
    b.add(c::out_payloads, 5000);
    x.add(s_counter::suppressed, 30'000);
    v.add(d::rd_set, 3000);
    v.add(d::tcp, 20);
    v.add(d::unanswered, 400);
    auto const l1 = line.format(r.take(), 2.0, 2.0);
    CHECK(l1 == "siehub 2s | frames in 1.00k/s out 50/s | payloads in 20.0k/s out 2.50k/s | "
                "suppressed 15.0k/s | drops 1.71k/s: verify.rd_set 1.50k, verify.unanswered 200");

    // Next second: only TCP drops grow; rates are of the interval, not since the start.
    b.add(c::frames, 10);
    v.add(d::tcp, 7);
    auto const l2 = line.format(r.take(), 1.0, 3.0);
    CHECK(l2 == "siehub 3s | frames in 10/s out 0/s | payloads in 0/s out 0/s | "
                "suppressed 0/s | drops 7/s: verify.tcp 7");

    auto const l3 = line.format(r.take(), 1.0, 4.0);
    CHECK(l3.substr(l3.size() - 11) == "| drops 0/s");

    CHECK_THROWS_AS(live_line({"ingest.frames +", "a.b", "a.b", "a.b", "a.b", {}, 3}),
                    std::invalid_argument);
    CHECK_THROWS_AS(live_line({"a.b", "a.b", "a.b", "a.b", "a.b", {"Bad"}, 3}),
                    std::invalid_argument);
}
