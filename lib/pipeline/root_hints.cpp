// SPDX-License-Identifier: Apache-2.0
// The root zone's servers, from IANA's root hints file named.root
// (https://www.internic.net/domain/named.root, "last update: December 20, 2023", root zone
// serial 2023122001; b.root-servers.net renumbered to 170.247.170.2 / 2801:1b8:10::b on
// 2023-11-27). A new named.root is published when an address changes; update this table with
// it (docs/bailiwick.md, "Root hints").
#include "pipeline/bailiwick.hpp"

namespace siehub::pipeline {

namespace {

constexpr std::array<root_server, 13> servers{{
    {"a.root-servers.net",
     {198, 41, 0, 4},
     {0x20, 0x01, 0x05, 0x03, 0xba, 0x3e, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x30}},
    {"b.root-servers.net",
     {170, 247, 170, 2},
     {0x28, 0x01, 0x01, 0xb8, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b}},
    {"c.root-servers.net",
     {192, 33, 4, 12},
     {0x20, 0x01, 0x05, 0x00, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c}},
    {"d.root-servers.net",
     {199, 7, 91, 13},
     {0x20, 0x01, 0x05, 0x00, 0, 0x2d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d}},
    {"e.root-servers.net",
     {192, 203, 230, 10},
     {0x20, 0x01, 0x05, 0x00, 0, 0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0e}},
    {"f.root-servers.net",
     {192, 5, 5, 241},
     {0x20, 0x01, 0x05, 0x00, 0, 0x2f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f}},
    {"g.root-servers.net",
     {192, 112, 36, 4},
     {0x20, 0x01, 0x05, 0x00, 0, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0x0d}},
    {"h.root-servers.net",
     {198, 97, 190, 53},
     {0x20, 0x01, 0x05, 0x00, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53}},
    {"i.root-servers.net",
     {192, 36, 148, 17},
     {0x20, 0x01, 0x07, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53}},
    {"j.root-servers.net",
     {192, 58, 128, 30},
     {0x20, 0x01, 0x05, 0x03, 0x0c, 0x27, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x30}},
    {"k.root-servers.net",
     {193, 0, 14, 129},
     {0x20, 0x01, 0x07, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}},
    {"l.root-servers.net",
     {199, 7, 83, 42},
     {0x20, 0x01, 0x05, 0x00, 0, 0x9f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42}},
    {"m.root-servers.net",
     {202, 12, 27, 33},
     {0x20, 0x01, 0x0d, 0xc3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x35}},
}};

} // namespace

std::span<const root_server> root_hints() noexcept
{
    return servers;
}

} // namespace siehub::pipeline
