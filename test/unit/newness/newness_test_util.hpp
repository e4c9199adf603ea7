// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for the newness engine: dedup keys from dotted names, records decoded into
// comparable values. Test-only: they allocate.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dedup/key.hpp"
#include "newness/engine.hpp"
#include "proto/nmsg/messages.hpp"
#include "psl_test_util.hpp"

namespace siehub::newness::test {

// rdata given as raw bytes (already canonical, in sorted order).
inline std::vector<std::uint8_t> make_key(const std::string& owner, std::uint16_t type,
                                          const std::string& bailiwick,
                                          std::vector<std::vector<std::uint8_t>> rdata)
{
    std::sort(rdata.begin(), rdata.end());
    std::vector<std::uint8_t> buf(4096);
    dedup::key_builder kb({buf.data(), buf.size()});
    auto const o = to_wire(owner);
    auto const b = to_wire(bailiwick);
    kb.begin({o.data(), o.size()}, type, 1, {b.data(), b.size()});
    for (auto const& r : rdata) {
        kb.add_rdata({r.data(), r.size()});
    }
    auto const k = kb.finish();
    return {k.begin(), k.end()};
}

inline std::vector<std::uint8_t> a_rdata(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                         std::uint8_t d)
{
    return {a, b, c, d};
}

inline std::vector<std::uint8_t> name_rdata(const std::string& n) { return to_wire(n); }

inline std::vector<std::uint8_t> mx_rdata(std::uint16_t pref, const std::string& n)
{
    std::vector<std::uint8_t> r{static_cast<std::uint8_t>(pref >> 8),
                                static_cast<std::uint8_t>(pref)};
    auto const w = to_wire(n);
    r.insert(r.end(), w.begin(), w.end());
    return r;
}

struct decoded {
    std::uint16_t channel = 0;
    std::string domain;
    std::string rrname;
    std::uint32_t time_seen = 0;
    std::uint32_t rrtype = 0;
    std::size_t rdata_count = 0;
    bool has_flags = false;
    bool has_type = false;
    std::optional<bool> new_domain, new_rrname, new_rrtype, new_rrset;
    std::vector<bool> new_rr;
    std::size_t keys = 0;
    std::string bailiwick;
    bool has_response_ip = false;
    bool has_ttl = false;
};

inline decoded decode(const out_record& r)
{
    decoded d;
    d.channel = r.channel;
    nmsg::newdomain_view v(r.vendor);
    REQUIRE(v.ok());
    REQUIRE(r.header.vid == 2);
    REQUIRE(r.header.msgtype == 5);
    d.domain = to_dotted(v.domain().value_or(core::byte_view{}));
    d.rrname = to_dotted(v.rrname().value_or(core::byte_view{}));
    d.bailiwick = to_dotted(v.bailiwick().value_or(core::byte_view{}));
    d.time_seen = v.time_seen().value_or(0);
    d.rrtype = v.rrtype().value_or(0);
    d.rdata_count = v.rdata().size();
    d.keys = v.keys().size();
    d.new_domain = v.new_domain();
    d.new_rrname = v.new_rrname();
    d.new_rrtype = v.new_rrtype();
    d.new_rrset = v.new_rrset();
    for (bool b : v.new_rr()) {
        d.new_rr.push_back(b);
    }
    d.has_flags = d.new_domain || d.new_rrname || d.new_rrtype || d.new_rrset || !d.new_rr.empty();
    d.has_type = v.type().has_value() && v.count().has_value() && v.time_first().has_value() &&
                 v.time_last().has_value();
    d.has_response_ip = v.response_ip().has_value();
    d.has_ttl = v.rrttl().has_value();
    return d;
}

} // namespace siehub::newness::test
