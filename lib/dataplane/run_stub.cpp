// SPDX-License-Identifier: Apache-2.0
// Temporary stand-in for the DPDK runtime so the CLI builds and its tests run before the data
// plane lands; apps/siehub links it only while lib/dataplane defines no siehub_dataplane_dep.
#include <cstdio>

#include "dataplane/run.hpp"

namespace siehub::dataplane {

int run(const control::config& cfg, const run_options& opts)
{
    std::fprintf(stderr, "siehub: config %s is valid (%zu port(s), %zu channel(s))\n",
                 opts.config_name.c_str(), cfg.ports.size(), cfg.channels.size());
    std::fprintf(stderr, "siehub: data plane not built yet\n");
    return 3;
}

} // namespace siehub::dataplane
