// SPDX-License-Identifier: Apache-2.0
#pragma once
// Two axa::payload_keys with the same names (bytes, field, index, labels) and addresses, in the
// same order: what the data plane's keys from decoded parts must give against extract_keys.

#include <catch2/catch.hpp>

#include <tuple>
#include <vector>

#include "axa/keys.hpp"

namespace siehub::pipeline::test {

inline void require_same_keys(const axa::payload_keys& got, const axa::payload_keys& want)
{
    REQUIRE(got.n_names == want.n_names);
    REQUIRE(got.n_ips == want.n_ips);
    REQUIRE(got.truncated == want.truncated);
    for (std::size_t n = 0; n < got.n_names; ++n) {
        auto const& g = got.names[n];
        auto const& w = want.names[n];
        CHECK(std::vector<std::uint8_t>(g.name, g.name + g.len) == std::vector<std::uint8_t>(w.name, w.name + w.len));
        CHECK(std::tie(g.field_idx, g.val_idx, g.labels) == std::tie(w.field_idx, w.val_idx, w.labels));
    }
    for (std::size_t n = 0; n < got.n_ips; ++n) {
        auto const& g = got.ips[n];
        auto const& w = want.ips[n];
        CHECK(std::tie(g.family, g.addr, g.field_idx, g.val_idx) == std::tie(w.family, w.addr, w.field_idx, w.val_idx));
    }
}

} // namespace siehub::pipeline::test
