// SPDX-License-Identifier: Apache-2.0
// [sra] (docs/config.md): the hub's own AXA server; keys, render round trip, summary, errors.
#include <catch2/catch.hpp>

#include <string>

#include "control/config.hpp"

using namespace siehub::control;

namespace {

const std::string base = "[[port]]\nname = \"p0\"\ndevice = \"net_null0\"\n\n"
                         "[[channel]]\nnumber = 204\n\n";

load_result parse(const std::string& sra)
{
    return parse_config(base + sra, "s.conf");
}

} // namespace

TEST_CASE("[sra] off by default")
{
    auto const r = parse("");
    REQUIRE(r.cfg.has_value());
    CHECK(r.cfg->sra.listen.empty());
    CHECK(summary(*r.cfg).find("sra: off") != std::string::npos);
}

TEST_CASE("[sra] every key, and the rendered text parses back to the same model")
{
    auto const r = parse("[sra]\nlisten = [\"tcp:127.0.0.1,1021\", \"unix:/run/siehub/sra.sock\", "
                         "\"apikey:*,1022;allow=10.0.0.0/8\"]\naccounts = \"/etc/siehub/axa\"\n"
                         "cert = \"/etc/siehub/sra.pem\"\nkey = \"/etc/siehub/sra.key\"\n");
    for (auto const& e : r.errors) {
        UNSCOPED_INFO(to_string(e));
    }
    REQUIRE(r.cfg.has_value());
    auto const& a = r.cfg->sra;
    REQUIRE(a.listen.size() == 3);
    CHECK(a.listen[2] == "apikey:*,1022;allow=10.0.0.0/8");
    CHECK(a.accounts == "/etc/siehub/axa");
    CHECK(a.cert == "/etc/siehub/sra.pem");
    CHECK(a.key == "/etc/siehub/sra.key");
    auto const again = parse_config(render_config(*r.cfg), "rendered");
    REQUIRE(again.cfg.has_value());
    CHECK(again.cfg->sra == a);
    CHECK(summary(*r.cfg).find("sra: tcp:127.0.0.1,1021, unix:/run/siehub/sra.sock") !=
          std::string::npos);
}

TEST_CASE("[sra] bad values are errors that name the line")
{
    for (auto const* bad : {"[sra]\nlisten = [\"udp:1.2.3.4,5\"]\naccounts = \"a\"\n",
                            "[sra]\nlisten = [\"tcp:127.0.0.1\"]\naccounts = \"a\"\n",
                            "[sra]\nlisten = \"tcp:127.0.0.1,1\"\naccounts = \"a\"\n",
                            "[sra]\nlisten = [\"tcp:127.0.0.1,1\"]\n",
                            "[sra]\nlisten = [\"apikey:127.0.0.1,1\"]\naccounts = \"a\"\n",
                            "[sra]\nlisten = [\"tcp:127.0.0.1,1\"]\naccounts = \"a\"\nport = 3\n"}) {
        INFO(bad);
        auto const r = parse(bad);
        CHECK_FALSE(r.cfg.has_value());
        REQUIRE_FALSE(r.errors.empty());
        CHECK(r.errors.front().line >= 7);
    }
    CHECK(check_sra({{"tcp:127.0.0.1,1"}, "", "", ""}).size() == 1);
    CHECK(check_sra({{"tcp:127.0.0.1,1"}, "acc", "", ""}).empty());
}
