// SPDX-License-Identifier: Apache-2.0
// /siehub/... over DPDK's real telemetry socket, read as dpdk-telemetry.py reads it: EAL up
// with telemetry on (no hugepages, no PCI), a SOCK_SEQPACKET connection to
// <runtime dir>/dpdk_telemetry.v2, the greeting JSON, then one command per request.
#include <catch2/catch.hpp>
#include <rte_eal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dedup/counters.hpp"
#include "dpdk/eal.hpp"
#include "proto/json/json_reader.hpp"
#include "telemetry/dpdk_telemetry.hpp"

using namespace siehub;
using namespace siehub::telemetry;

namespace {

enum class rx_counter : std::uint8_t { frames, count_ };
inline constexpr std::array<counter_info, 1> rx_table{{{"ingest.frames", "frames in"}}};
enum class ch_counter : std::uint8_t { payloads, count_ };
inline constexpr std::array<counter_info, 1> ch_table{{{"emit.payloads", "payloads out"}}};

class telemetry_client {
public:
    explicit telemetry_client(const std::string& path)
    {
        fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        REQUIRE(path.size() < sizeof sun.sun_path);
        std::memcpy(sun.sun_path, path.c_str(), path.size());
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
        greeting = receive();
    }
    ~telemetry_client() { ::close(fd_); }
    telemetry_client(const telemetry_client&) = delete;
    telemetry_client& operator=(const telemetry_client&) = delete;

    std::string ask(const std::string& cmd)
    {
        REQUIRE(::send(fd_, cmd.data(), cmd.size(), 0) == static_cast<ssize_t>(cmd.size()));
        return receive();
    }

    std::string greeting;

private:
    std::string receive()
    {
        std::string buf(64 * 1024, '\0');
        ssize_t const n = ::recv(fd_, buf.data(), buf.size(), 0);
        REQUIRE(n > 0);
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }
    int fd_ = -1;
};

// The value object under the reply's single key (the command).
const json::node& reply(json::document& d, const std::string& text, const std::string& cmd)
{
    INFO(text);
    REQUIRE(d.parse(text) == json::read_error::none);
    auto const* v = d.find(d.root(), cmd.substr(0, cmd.find(',')));
    REQUIRE(v != nullptr);
    return *v;
}

std::uint64_t u64_at(const json::document& d, const json::node& obj, std::string_view k)
{
    auto const* n = d.find(obj, k);
    INFO("key " << k);
    REQUIRE(n != nullptr);
    REQUIRE(n->is_integer);
    return n->negative ? static_cast<std::uint64_t>(n->i64) : n->u64;
}

} // namespace

TEST_CASE("telemetry keys")
{
    CHECK(telemetry_key("dedup.inserted") == "dedup/inserted");
    CHECK(telemetry_key("ch 204-x") == "ch_204_x");
}

TEST_CASE("/siehub commands over the telemetry socket")
{
    auto args = dpdk::eal::virtual_args("t-tel", 64);
    // Telemetry must run for this test: drop the helper's --no-telemetry.
    args.erase(std::remove(args.begin(), args.end(), std::string("--no-telemetry")), args.end());
    dpdk::eal eal(args);

    registry reg;
    auto const dd = reg.add_table(dedup::counter_table);
    auto const rx = reg.add_table(rx_table);
    auto const ch = reg.add_table(ch_table);
    dedup::counter_block d0, d1;
    counter_block<rx_counter> r0;
    counter_block<ch_counter> c204, c221;
    reg.add_block(dd, block_scope::on_worker(0), d0.v.data());
    reg.add_block(dd, block_scope::on_worker(1), d1.v.data());
    reg.add_block(rx, block_scope::port(0, 0, "net_pcap0"), r0.v.data());
    reg.add_block(ch, block_scope::channel(1, 204, "ch204"), c204.v.data());
    reg.add_block(ch, block_scope::channel(1, 221, "ch221"), c221.v.data());
    d0.add(dedup::counter::inserted, 5);
    d1.add(dedup::counter::inserted, 6);
    d1.add(dedup::counter::suppressed, 40);
    r0.add(rx_counter::frames, 123456789012ull);
    c204.add(ch_counter::payloads, 11);
    c221.add(ch_counter::payloads, 2);

    auto const eqs = parse_equations(std::array<equation_info, 2>{{
        {"t.balanced",
         "emit.payloads = dedup.inserted + dedup.flush + emit.payloads - "
         "dedup.inserted",
         reconcile_when::always, "holds"},
        {"t.open", "dedup.inserted = emit.payloads", reconcile_when::always, "open"},
    }});
    publication pub(reg, eqs);

    std::string const sock = std::string(rte_eal_get_runtime_dir()) + "/dpdk_telemetry.v2";
    telemetry_client cl(sock);
    {
        json::document g;
        INFO(cl.greeting);
        REQUIRE(g.parse(cl.greeting) == json::read_error::none);
        CHECK(g.find(g.root(), "max_output_len") != nullptr);
    }

    json::document d;
    std::string text = cl.ask("/siehub/counters");
    auto const& totals = reply(d, text, "/siehub/counters");
    CHECK(totals.child_count == dedup::n_counters + 2);
    CHECK(u64_at(d, totals, "dedup/inserted") == 11);
    CHECK(u64_at(d, totals, "dedup/suppressed") == 40);
    CHECK(u64_at(d, totals, "dedup/flush") == 0);
    CHECK(u64_at(d, totals, "ingest/frames") == 123456789012ull);
    CHECK(u64_at(d, totals, "emit/payloads") == 13);

    // Live: a worker's later increment shows in the next reply.
    d0.add(dedup::counter::inserted, 100);
    text = cl.ask("/siehub/counters,dedup.ins*");
    auto const& filtered = reply(d, text, "/siehub/counters");
    CHECK(filtered.child_count == 1);
    CHECK(u64_at(d, filtered, "dedup/inserted") == 111);

    text = cl.ask("/siehub/counters/worker,1");
    auto const& w1 = reply(d, text, "/siehub/counters/worker");
    CHECK(u64_at(d, w1, "dedup/inserted") == 6);
    CHECK(u64_at(d, w1, "emit/payloads") == 13);
    CHECK(d.find(w1, "ingest/frames") == nullptr); // worker 1 has no rx block

    text = cl.ask("/siehub/counters/worker,7");
    auto const& none = reply(d, text, "/siehub/counters/worker");
    CHECK(none.kind == json::value_kind::null); // refused: no such worker

    text = cl.ask("/siehub/channels");
    auto const& chans = reply(d, text, "/siehub/channels");
    CHECK(chans.child_count == 2);
    CHECK(u64_at(d, chans, "ch204/emit/payloads") == 11);
    CHECK(u64_at(d, chans, "ch221/emit/payloads") == 2);
    text = cl.ask("/siehub/channels,221");
    auto const& one = reply(d, text, "/siehub/channels");
    CHECK(one.child_count == 1);
    CHECK(u64_at(d, one, "ch221/emit/payloads") == 2);

    text = cl.ask("/siehub/ports");
    auto const& ports = reply(d, text, "/siehub/ports");
    CHECK(u64_at(d, ports, "net_pcap0/ingest/frames") == 123456789012ull);

    text = cl.ask("/siehub/reconcile");
    auto const& rec = reply(d, text, "/siehub/reconcile");
    CHECK(u64_at(d, rec, "ok") == 0);
    CHECK(u64_at(d, rec, "t/balanced/ok") == 1);
    CHECK(u64_at(d, rec, "t/open/ok") == 0);
    CHECK(u64_at(d, rec, "t/open/checked") == 1);
    auto const* diff = d.find(rec, "t/open/difference");
    REQUIRE(diff != nullptr);
    // 111 inserted against 13 payloads: the difference is lhs - rhs.
    CHECK_FALSE(diff->negative);
    CHECK(diff->u64 == 111 - 13);

    // Detached: the commands answer null instead of reading a dead registry.
    unpublish();
    text = cl.ask("/siehub/counters");
    CHECK(reply(d, text, "/siehub/counters").kind == json::value_kind::null);
}
