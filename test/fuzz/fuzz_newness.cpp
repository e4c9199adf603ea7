// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the newness engine and its snapshots: byte 0 even -> the rest is a dedup key
// handed to a 2-shard engine as an INSERTION and an EXPIRATION (no crash; a shard outside
// route()'s mask says nothing; every record is a well-formed SIE/newdomain message); odd -> the
// rest is a snapshot file, which must load or be refused with a reason, never half-load.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "newness/engine.hpp"
#include "newness/psl_list.hpp"
#include "newness/snapshot.hpp"
#include "proto/nmsg/messages.hpp"

using namespace siehub::newness;

namespace {

constexpr std::string_view list_text = "com\nnet\nco.uk\nuk\narpa\nin-addr.arpa\n*.ck\n!www.ck\n"
                                       "// ===BEGIN PRIVATE DOMAINS===\nblogspot.com\n";

const psl_table& table()
{
    static const load_result list = parse_psl(list_text);
    static const psl_table t(list.rules, psl_options{});
    return t;
}

engine_config small(unsigned shard, unsigned shards)
{
    engine_config c;
    c.shard = shard;
    c.shards = shards;
    c.fqdn_capacity = 16;
    c.base_capacity = 16;
    c.fact_capacity = 16;
    return c;
}

void run_key(siehub::core::byte_view key)
{
    std::uint64_t const mask = route(key, table(), 2);
    for (unsigned s = 0; s < 2; ++s) {
        engine e(table(), small(s, 2));
        for (int round = 0; round < 2; ++round) {
            std::uint8_t ip[4] = {192, 0, 2, 1};
            insertion in{key, 1795000000u + static_cast<std::uint32_t>(round) * 864000u, 0, 60,
                         {ip, 4}};
            e.on_insertion(in, [&](const out_record& r) {
                if (((mask >> s) & 1) == 0) {
                    __builtin_trap(); // evaluated by a shard that owns none of its names
                }
                siehub::nmsg::newdomain_view v(r.vendor);
                if (!v.ok() || !v.domain() || !v.rrname()) {
                    __builtin_trap();
                }
            });
            e.on_expiration(key, 1795000000u + 3600u);
        }
    }
}

void run_snapshot(siehub::core::byte_view file)
{
    int const fd = ::memfd_create("fuzz_newness", 0);
    if (fd < 0) {
        return;
    }
    std::size_t off = 0;
    while (off < file.size()) {
        ssize_t const w = ::write(fd, file.data() + off, file.size() - off);
        if (w <= 0) {
            ::close(fd);
            return;
        }
        off += static_cast<std::size_t>(w);
    }
    std::string const path = "/proc/self/fd/" + std::to_string(fd);
    engine e(table(), small(0, 1));
    auto const r = load_snapshot(e, path);
    if (!r.ok()) {
        if (r.message.empty() || e.fqdns().size() != 0 || e.bases().size() != 0 ||
            e.facts().size() != 0) {
            __builtin_trap(); // refused without a reason, or half-loaded
        }
    } else {
        // A loaded engine keeps working (and may grow from the loaded size).
        static constexpr std::uint8_t key[] = {
            17, 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, // owner
            0, 1, 0, 1,                                                             // A, IN
            5, 3, 'c', 'o', 'm', 0,                                                 // bailiwick
            0, 1, 0, 4, 192, 0, 2, 1};                                              // 1 rdata
        e.on_insertion({{key, sizeof key}, 1795000000u, 0, 60, {}}, [](const out_record&) {});
        snapshot_info info;
        (void)check_snapshot(path, info, true);
    }
    ::close(fd);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    siehub::core::byte_view const rest{data + 1, size - 1};
    if ((data[0] & 1) == 0) {
        run_key(rest);
    } else if (rest.size() <= (1u << 20)) {
        run_snapshot(rest);
    }
    return 0;
}
