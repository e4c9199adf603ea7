// SPDX-License-Identifier: Apache-2.0
// [newness] (docs/config.md): defaults, every key, range errors, render round trip, summary.
#include <catch2/catch.hpp>

#include <string>

#include "control/config.hpp"

using namespace siehub::control;

namespace {

const std::string base = "[[port]]\nname = \"p0\"\ndevice = \"net_null0\"\n\n"
                         "[[channel]]\nnumber = 212\n\n";

load_result parse(const std::string& newness)
{
    return parse_config(base + newness, "n.conf");
}

} // namespace

TEST_CASE("[newness] defaults: off, 10 days, the Debian PSL, private section on")
{
    auto const r = parse("");
    REQUIRE(r.cfg.has_value());
    auto const& n = r.cfg->newness;
    CHECK_FALSE(n.enabled);
    CHECK(n.snapshot_dir.empty());
    CHECK(n.snapshot_interval == std::chrono::minutes(5));
    CHECK(n.nad_days == 10);
    CHECK(n.learning_period == std::chrono::seconds(0));
    CHECK(n.psl == "/usr/share/publicsuffix/public_suffix_list.dat");
    CHECK(n.private_domains);
    CHECK(n.capacity == (1u << 20));
    CHECK_FALSE(n.start_empty);
    CHECK(n.ring_size == 4096);
    CHECK(summary(*r.cfg).find("newness: off") != std::string::npos);
}

TEST_CASE("[newness] every key, and the rendered text parses back to the same model")
{
    auto const r = parse("[newness]\nenabled = true\nsnapshot_dir = \"/var/lib/siehub\"\n"
                         "snapshot_interval = \"30s\"\nnad_days = 14\nlearning_period = \"7d\"\n"
                         "psl = \"/etc/siehub/psl.dat\"\nprivate_domains = false\n"
                         "capacity = 100000000\nstart_empty = true\nring_size = 1024\n");
    for (auto const& e : r.errors) {
        UNSCOPED_INFO(to_string(e));
    }
    REQUIRE(r.cfg.has_value());
    auto const& n = r.cfg->newness;
    CHECK(n.enabled);
    CHECK(n.snapshot_dir == "/var/lib/siehub");
    CHECK(n.snapshot_interval == std::chrono::seconds(30));
    CHECK(n.nad_days == 14);
    CHECK(n.learning_period == std::chrono::hours(24 * 7));
    CHECK(n.psl == "/etc/siehub/psl.dat");
    CHECK_FALSE(n.private_domains);
    CHECK(n.capacity == 100000000);
    CHECK(n.start_empty);
    CHECK(n.ring_size == 1024);
    auto const text = render_config(*r.cfg);
    auto const again = parse_config(text, "rendered");
    REQUIRE(again.cfg.has_value());
    CHECK(again.cfg->newness == n);
    auto const s = summary(*r.cfg);
    CHECK(s.find("newness: on") != std::string::npos);
    CHECK(s.find("ICANN only") != std::string::npos);
    CHECK(s.find("learning") != std::string::npos);
}

TEST_CASE("[newness] bad values are errors that name the line")
{
    for (auto const* bad : {"[newness]\nnad_days = 0\n", "[newness]\nring_size = 1000\n",
                            "[newness]\nsnapshot_interval = \"0s\"\n",
                            "[newness]\nsnapshot_interval = \"1500ms\"\n",
                            "[newness]\ncapacity = 10\n", "[newness]\nenabled = 1\n",
                            "[newness]\nnad = 3\n"}) {
        INFO(bad);
        auto const r = parse(bad);
        CHECK_FALSE(r.cfg.has_value());
        REQUIRE_FALSE(r.errors.empty());
        CHECK(r.errors.front().line == 9);
    }
}
