// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the PSL code: byte 0 even -> psl_table::lookup on the rest as a wire name
// (single and burst must agree; offsets must stay inside the name); odd -> parse_psl on the
// rest as list text, and a table compiled from whatever loads must answer a lookup.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "newness/psl_list.hpp"
#include "newness/psl_table.hpp"

using namespace siehub::newness;

namespace {

constexpr std::string_view list_text = "// ===BEGIN ICANN DOMAINS===\n"
                                       "com\nco.uk\nuk\n*.ck\n!www.ck\nkawasaki.jp\n"
                                       "*.kawasaki.jp\n!city.kawasaki.jp\nforgot.his.name\n"
                                       "name\n公司.cn\n"
                                       "// ===BEGIN PRIVATE DOMAINS===\n"
                                       "blogspot.com\n*.compute.example.net\n";

const psl_table& table()
{
    static const load_result list = parse_psl(list_text);
    static const psl_table t(list.rules, psl_options{});
    return t;
}

void check(const psl_table& t, siehub::core::byte_view name)
{
    base_result const r = t.lookup(name);
    base_result burst[1];
    t.lookup_burst(std::span(&name, 1), burst);
    if (burst[0].status != r.status || burst[0].base_offset != r.base_offset ||
        burst[0].suffix_offset != r.suffix_offset) {
        __builtin_trap();
    }
    if (r.ok() || r.status == base_status::public_suffix) {
        if (r.wire_length > name.size() || r.wire_length > 255 ||
            r.suffix_offset >= r.wire_length || name[r.wire_length - 1] != 0) {
            __builtin_trap();
        }
    }
    if (r.ok()) {
        if (r.base_offset >= r.suffix_offset ||
            r.base(name).size() + r.base_offset != r.wire_length) {
            __builtin_trap();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    siehub::core::byte_view const rest{data + 1, size - 1};
    if ((data[0] & 1) == 0) {
        check(table(), rest);
        return 0;
    }
    load_result const l = parse_psl(siehub::core::as_chars(rest));
    if (l.ok()) {
        psl_table const t(l.rules, psl_options{.private_domains = (data[0] & 2) != 0,
                                               .star_rule = (data[0] & 4) != 0});
        static constexpr std::uint8_t probe[] = {3,   'w', 'w', 'w', 7,   'e', 'x', 'a', 'm', 'p',
                                                 'l', 'e', 2,   'c', 'o', 2,   'u', 'k', 0};
        check(t, probe);
    }
    return 0;
}
