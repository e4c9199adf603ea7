// SPDX-License-Identifier: Apache-2.0
// The SRA accounts file (lib/axa/accounts.hpp).

#include <catch2/catch.hpp>

#include "axa/accounts.hpp"

using namespace siehub::axa;

TEST_CASE("accounts: users, keys, channel lists and comments", "[axa][accounts]")
{
    auto const r = parse_accounts("# comment\n"
                                  "user alice 204,ch213  # trailing comment\n"
                                  "\n"
                                  "  apikey K3Y-secret all bob\n"
                                  "apikey OTHERKEY 202\r\n",
                                  "acc.txt");
    REQUIRE(r.ok());
    REQUIRE(r.accounts.size() == 3);
    CHECK_FALSE(r.accounts[0].apikey);
    CHECK(r.accounts[0].name == "alice");
    CHECK(r.accounts[0].channels == std::vector<std::uint16_t>{204, 213});
    CHECK(r.accounts[1].apikey);
    CHECK(r.accounts[1].all);
    CHECK(r.accounts[1].label == "bob");
    CHECK(r.accounts[2].label == "apikey");
    CHECK(r.accounts[2].line == 5);

    std::vector<channel_desc> chans{{204, "vlan204"}, {213, "vlan213"}, {220, "vlan220"}};
    auto const d = build_directories(r.accounts, chans);
    const auto* alice = d.users->find("alice");
    REQUIRE(alice != nullptr);
    CHECK(alice->count == 2);
    CHECK(d.apikeys->find("alice") == nullptr); // a user name never works on apikey
    CHECK(d.users->find("K3Y-secret") == nullptr);
    const auto* bob = d.apikeys->find("K3Y-secret");
    REQUIRE(bob != nullptr);
    CHECK(bob->label == "bob");
    CHECK(bob->count == 3); // all = every channel the hub has
    CHECK(bob->channels.test(220));
    CHECK(d.apikeys->find("K3Y-secreT") == nullptr);
    CHECK(d.apikeys->find("K3Y-secre") == nullptr);
    CHECK(d.apikeys->find("K3Y-secret2") == nullptr);
    CHECK(d.users->spec(213) == "vlan213");
}

TEST_CASE("accounts: errors name file and line and never quote a key", "[axa][accounts]")
{
    auto e1 = parse_accounts("user a 204\nuser b 4096\n", "f");
    CHECK(e1.error == "f:2: bad channel `4096` (expected 204, ch204 or all; 0..4095)");
    auto e2 = parse_accounts("apikey SECRETXYZ\n", "f");
    CHECK(e2.error.find("f:1:") == 0);
    CHECK(e2.error.find("SECRETXYZ") == std::string::npos);
    auto e3 = parse_accounts("apikey SECRETXYZ 204\napikey SECRETXYZ 213\n", "f");
    CHECK(e3.error == "f:2: duplicate API key (first on line 1)");
    CHECK(parse_accounts("group x 204\n", "f").error.find("f:1: unknown keyword") == 0);
    CHECK(parse_accounts("user x 204,,213\n", "f").error.find("f:1: bad channel ``") == 0);
    CHECK(parse_accounts("user x ch\n", "f").error.find("f:1: bad channel") == 0);
    CHECK(parse_accounts("user " + std::string(64, 'a') + " 204\n", "f").error ==
          "f:1: user name longer than 63 bytes");
    CHECK(parse_accounts("user a 204 extra\n", "f").error.find("f:1: expected") == 0);
    CHECK(parse_accounts("", "f").ok());
    CHECK(load_accounts("/nonexistent/acc").error == "/nonexistent/acc: cannot open");
}
