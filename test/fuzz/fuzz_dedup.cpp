// SPDX-License-Identifier: Apache-2.0
// Fuzzes dedup::parse_key on raw input, then drives a tiny table (4 entries, 4 overflow
// chunks, forced hash collisions) with an operation stream taken from the same bytes and
// aborts if a bound, an invariant or count conservation breaks.

#include <cstdint>
#include <cstdlib>

#include "dedup/table.hpp"

using namespace siehub;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dedup::byte_view in{data, size};
    dedup::key_fields f;
    if (dedup::parse_key(in, f) == dedup::key_error::ok) {
        dedup::rdata_iterator it{f.rdata_block};
        dedup::byte_view rd;
        std::uint32_t n = 0;
        while (it.next(rd)) {
            ++n;
        }
        if (n != f.rdata_count) {
            std::abort();
        }
    }

    dedup::config c;
    c.max_entries = 4;
    c.overflow_bytes = 4 * 64;
    c.max_key_bytes = 200;
    c.idle_timeout = 5;
    c.max_age = 20;
    dedup::table tab{c};
    struct sink_t {
        std::uint64_t total = 0;
        void operator()(const dedup::expired_entry& e)
        {
            dedup::key_fields kf;
            if (e.count == 0 || dedup::parse_key(e.key, kf) != dedup::key_error::ok) {
                std::abort();
            }
            total += e.count;
        }
    } sink;

    std::uint8_t keybuf[8][256];
    dedup::byte_view keys[8];
    for (int k = 0; k < 8; ++k) {
        dedup::key_builder kb{keybuf[k]};
        std::uint8_t owner[3] = {1, static_cast<std::uint8_t>('a' + k), 0};
        kb.begin(owner, 1, 1, dedup::byte_view{owner + 2, 1});
        for (int r = 0; r < k * 4; ++r) { // sizes from 14 to ~180 bytes
            std::uint8_t rd[4] = {10, 0, static_cast<std::uint8_t>(k), static_cast<std::uint8_t>(r)};
            kb.add_rdata(dedup::byte_view{rd, 4});
        }
        keys[k] = kb.finish();
    }

    std::uint64_t cached_obs = 0;
    dedup::seconds now = 100;
    for (std::size_t i = 0; i < size; ++i) {
        auto const op = data[i];
        if (op < 200) {
            auto const k = op % 8;
            // Low bits of op pick one of two hashes: many keys share one, forcing collisions.
            std::uint64_t h = (op & 0x40) != 0 ? dedup::hash(keys[k], 3) : 0x0000'4321'0000'0007ull;
            dedup::seconds t = now - (op >> 7); // sometimes a second late
            std::uint32_t ttl = op;
            dedup::outcome r;
            tab.lookup_or_insert_burst({&keys[k], 1}, {&h, 1}, {&t, 1}, {&ttl, 1}, {&r, 1}, sink);
            if (r == dedup::outcome::inserted || r == dedup::outcome::duplicate) {
                ++cached_obs;
            } else if (r != dedup::outcome::bypass) {
                std::abort();
            }
        } else if (op < 240) {
            now += op - 200;
        } else if (op < 250) {
            tab.expire(now, op - 240, sink);
        } else {
            tab.flush_all(sink);
        }
        if (tab.size() > tab.capacity() ||
            tab.overflow_chunks_free() > tab.overflow_chunks_total()) {
            std::abort();
        }
    }
    if (!tab.check_invariants()) {
        std::abort();
    }
    tab.flush_all(sink);
    if (sink.total != cached_obs || tab.size() != 0) {
        std::abort();
    }
    return 0;
}
