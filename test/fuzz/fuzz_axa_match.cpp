// SPDX-License-Identifier: Apache-2.0
// The AXA server's inputs besides the protocol (which fuzz_axa_message covers): the accounts
// file and listen specs (text), and a payload from the channels -> key extraction -> the
// compiled matcher. Oracles: no crash; every extracted name passes the DNS name guardian;
// every hit is a client that switched the payload's channel on and holds a watch with that
// tag; a client is reported at most once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "axa/accounts.hpp"
#include "axa/keys.hpp"
#include "axa/matcher.hpp"
#include "axa/message.hpp"
#include "axa/server.hpp"
#include "proto/dns/name.hpp"
#include "proto/nmsg/container.hpp"

using namespace siehub::axa;

namespace {

watch_entry make(std::uint16_t tag, watch_type t, std::uint8_t prefix, std::uint8_t flags,
                 std::vector<std::uint8_t> pat)
{
    watch_entry e;
    e.tag = tag;
    siehub::core::out_buffer o(e.bytes);
    write_watch(o, t, prefix, flags, pat);
    e.len = static_cast<std::uint16_t>(o.size());
    return e;
}

struct world {
    std::vector<std::vector<watch_entry>> ws;
    std::vector<std::bitset<ch_max + 1>> on;
    std::shared_ptr<const match_generation> gen;
    world()
    {
        std::vector<std::uint8_t> ex{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
        ws.push_back({make(3, watch_type::dns, 0, watch_flag_wild, ex),
                      make(1, watch_type::ipv4, 8, 1, {192}),
                      make(9, watch_type::errors, 0, 0, {})});
        ws.push_back({make(2, watch_type::dns, 0, watch_flag_wild, {0}),
                      make(4, watch_type::ipv6, 16, 1, {0x20, 0x01})});
        ws.push_back({make(5, watch_type::ch, 0, 0, {204, 0}), make(6, watch_type::dns, 0, 0, ex)});
        on.resize(3);
        on[0].set(204);
        on[1].set(213);
        on[2].set(204);
        on[2].set(213);
        std::vector<client_watches> cw;
        for (std::uint32_t c = 0; c < 3; ++c) {
            cw.push_back({c, ws[c], &on[c]});
        }
        gen = match_generation::build(cw, 3);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const world w;
    static match_scratch scratch(3);
    if (size == 0) {
        return 0;
    }
    std::uint8_t const mode = data[0] % 3;
    std::string_view const text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (mode == 0) {
        auto r = parse_accounts(text, "fuzz");
        if (r.ok()) {
            std::vector<channel_desc> chans{{204, "a"}, {213, "b"}};
            auto d = build_directories(r.accounts, chans);
            for (const auto& a : r.accounts) {
                const auto* found = (a.apikey ? d.apikeys : d.users)->find(a.name);
                if (found == nullptr) {
                    __builtin_trap(); // every parsed account authenticates
                }
            }
        }
        return 0;
    }
    if (mode == 1) {
        std::string err;
        auto l = parse_listen(text, err);
        if (!l && err.empty()) {
            __builtin_trap();
        }
        return 0;
    }
    // A payload on channel 204 or 213 (second byte), the rest an NmsgPayload.
    if (size < 2) {
        return 0;
    }
    siehub::core::byte_view const p(data + 2, size - 2);
    siehub::nmsg::payload_view pv(p);
    payload_keys k;
    k.ch = data[1] & 1 ? 213 : 204;
    if (pv.ok() && pv.payload()) {
        extract_keys(pv.vid(), pv.msgtype(), *pv.payload(), k);
    } else {
        // Not a payload: use the bytes as a vendor message of each matchable type.
        extract_keys(data[1] >> 6 == 0 ? vid_base : vid_sie,
                     std::array<std::uint32_t, 4>{msgtype_dnsqr, msgtype_dnsdedupe,
                                                  msgtype_newdomain, msgtype_dnsnx}[(data[1] >> 1) & 3],
                     p, k);
    }
    for (std::size_t i = 0; i < k.n_names; ++i) {
        auto const r = siehub::dns::check_name({k.names[i].name, k.names[i].len});
        if (!r.ok() || r.wire_len != k.names[i].len) {
            __builtin_trap();
        }
    }
    std::set<std::uint32_t> seen;
    for (const auto& h : w.gen->match(k, scratch)) {
        if (h.client >= 3 || !w.on[h.client].test(k.ch) || !seen.insert(h.client).second) {
            __builtin_trap();
        }
        bool has = false;
        for (const auto& e : w.ws[h.client]) {
            has |= e.tag == h.tag;
        }
        if (!has) {
            __builtin_trap();
        }
    }
    return 0;
}
