// SPDX-License-Identifier: Apache-2.0
// Watches: the transcript's encodings parse and print as sratool printed them.
#include <catch2/catch.hpp>

#include <string>

#include "axa/watch.hpp"
#include "axa_test_util.hpp"

using namespace siehub::axa;
using namespace axa_test;

namespace {

std::string text(const bytes& raw)
{
    auto const w = parse_watch(view(raw));
    REQUIRE(w.ok());
    std::vector<std::uint8_t> buf(600);
    siehub::core::out_buffer out({buf.data(), buf.size()});
    REQUIRE(format_watch(w, out));
    return std::string(siehub::core::as_chars(out.written()));
}

} // namespace

TEST_CASE("watch encodings of the sratool transcript print as sratool printed them", "[axa][watch]")
{
    // testdata/axa/sratool.transcript.txt WATCH bodies; sratool.stdout.txt `list watches`.
    CHECK(text(from_hex("04000000d500")) == "ch=ch213");
    CHECK(text(from_hex("01180100c0000200")) == "IP=192.0.2.0/24");
    CHECK(text(from_hex("03000100076578616d706c6503636f6d00")) == "dns=*.example.com.");
    CHECK(text(from_hex("05000000")) == "ERRORS");
    CHECK(text(from_hex("0220010020010db8000000000000000000000000")) == "IP=2001:db8::/32");
    CHECK(text(from_hex("0300000003777777076578616d706c6503636f6d00")) == "dns=www.example.com.");
}

TEST_CASE("watch fields and other text forms", "[axa][watch]")
{
    auto const raw = from_hex("01180100c0000200");
    auto const w = parse_watch(view(raw));
    REQUIRE(w.ok());
    CHECK(w.type == watch_type::ipv4);
    CHECK(w.prefix == 24);
    CHECK(w.wild());
    CHECK_FALSE(w.shared());
    CHECK(w.pattern.size() == 4);
    CHECK(w.raw.size() == 8);

    CHECK(parse_watch(view(from_hex("04000000d500"))).channel() == 213);
    CHECK(text(from_hex("01200000c0000201")) == "IP=192.0.2.1");
    CHECK(text(from_hex("01100100c000")) == "IP=192.0.0.0/16");        // short pattern
    CHECK(text(from_hex("02800000" "20010db8000000000000000000000001")) == "IP=2001:db8::1");
    CHECK(text(from_hex("0300010000")) == "dns=*.");                    // `dns=*.`
    CHECK(text(from_hex("0300000000")) == "dns=.");
    CHECK(text(from_hex("03000000" "03612e62" "00")) == "dns=a\\.b.");   // escaped dot
    CHECK(text(from_hex("03000000" "020a41" "00")) == "dns=\\010A.");
    CHECK(text(from_hex("03000200" "0161" "00")) == "dns=a.(shared)");
}

TEST_CASE("write_watch builds what parse_watch reads", "[axa][watch]")
{
    std::vector<std::uint8_t> buf(300);
    siehub::core::out_buffer out({buf.data(), buf.size()});
    auto const name = from_hex("076578616d706c6503636f6d00");
    REQUIRE(write_watch(out, watch_type::dns, 0, watch_flag_wild, view(name)));
    CHECK(bytes(out.written().begin(), out.written().end()) ==
          from_hex("03000100076578616d706c6503636f6d00"));
    auto const w = parse_watch(out.written());
    REQUIRE(w.ok());
    CHECK(w.type == watch_type::dns);
    CHECK(w.wild());

    std::vector<std::uint8_t> small(5);
    siehub::core::out_buffer tiny({small.data(), small.size()});
    CHECK_FALSE(write_watch(tiny, watch_type::dns, 0, 0, view(name)));
    CHECK(tiny.size() == 0);
}
