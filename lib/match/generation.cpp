// SPDX-License-Identifier: Apache-2.0
#include "match/generation.hpp"

namespace siehub::match {

std::unique_ptr<generation> make_generation(std::span<const rule> rules, action default_action,
                                            unsigned n_workers)
{
    auto g =
        std::make_unique<generation>(generation{database::compile(rules, default_action), {}, 0});
    g->scratches.reserve(n_workers);
    if (n_workers > 0) {
        g->scratches.emplace_back(g->db);
        for (unsigned w = 1; w < n_workers; ++w) {
            g->scratches.push_back(g->scratches.front().clone());
        }
    }
    return g;
}

} // namespace siehub::match
