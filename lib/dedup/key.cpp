// SPDX-License-Identifier: Apache-2.0
#include "dedup/key.hpp"

#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace siehub::dedup {

std::uint64_t hash(byte_view key, std::uint64_t seed) noexcept
{
    return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

const char* to_string(key_error e) noexcept
{
    switch (e) {
    case key_error::ok:
        return "ok";
    case key_error::overflow:
        return "overflow";
    case key_error::bad_name:
        return "bad_name";
    case key_error::rdata_too_long:
        return "rdata_too_long";
    case key_error::too_many_rdata:
        return "too_many_rdata";
    case key_error::truncated:
        return "truncated";
    case key_error::trailing:
        return "trailing";
    }
    return "unknown";
}

template <bool Fold>
void key_builder::put_name(byte_view name) noexcept
{
    if (name.empty() || name.size() > max_name_wire) {
        fail(key_error::bad_name);
        return;
    }
    out_.put(static_cast<std::uint8_t>(name.size()));
    auto* p = out_.reserve(name.size());
    if (p == nullptr) {
        return;
    }
    if constexpr (!Fold) {
        std::memcpy(p, name.data(), name.size());
        return;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto const c = name[i];
        // Label length bytes are <= 63, below 'A', so folding every byte is safe.
        p[i] = (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
    }
}

void key_builder::begin(byte_view rrname_wire, std::uint16_t rrtype, std::uint16_t rrclass,
                        byte_view bailiwick_wire) noexcept
{
    put_name<true>(rrname_wire);
    out_.put_be16(rrtype);
    out_.put_be16(rrclass);
    put_name<true>(bailiwick_wire);
    count_at_ = out_.size();
    out_.put_be16(0); // patched by finish()
    count_ = 0;
}

void key_builder::begin_canonical(byte_view rrname_canon, std::uint16_t rrtype,
                                  std::uint16_t rrclass, byte_view bailiwick_canon) noexcept
{
    put_name<false>(rrname_canon);
    out_.put_be16(rrtype);
    out_.put_be16(rrclass);
    put_name<false>(bailiwick_canon);
    count_at_ = out_.size();
    out_.put_be16(0); // patched by finish()
    count_ = 0;
}

void key_builder::add_rdata(byte_view canonical_rdata) noexcept
{
    if (canonical_rdata.size() > 0xffff) {
        fail(key_error::rdata_too_long);
        return;
    }
    if (count_ == 0xffff) {
        fail(key_error::too_many_rdata);
        return;
    }
    out_.put_be16(static_cast<std::uint16_t>(canonical_rdata.size()));
    out_.put(canonical_rdata);
    ++count_;
}

byte_view key_builder::finish() noexcept
{
    if (!out_.ok()) {
        fail(key_error::overflow);
    }
    if (err_ != key_error::ok) {
        return {};
    }
    core::store_be16(out_.begin() + count_at_, static_cast<std::uint16_t>(count_));
    return out_.written();
}

key_error parse_key(byte_view key, key_fields& out) noexcept
{
    core::wire_cursor<key_error> cur{key};
    auto const n1 = cur.u8(key_error::truncated);
    if (cur.ok() && n1 == 0) {
        return key_error::bad_name;
    }
    out.rrname = cur.take(n1, key_error::truncated);
    out.rrtype = cur.be16(key_error::truncated);
    out.rrclass = cur.be16(key_error::truncated);
    auto const n2 = cur.u8(key_error::truncated);
    if (cur.ok() && n2 == 0) {
        return key_error::bad_name;
    }
    out.bailiwick = cur.take(n2, key_error::truncated);
    out.rdata_count = cur.be16(key_error::truncated);
    if (!cur.ok()) {
        return cur.error();
    }
    auto const block_start = cur.offset();
    for (std::uint32_t i = 0; i < out.rdata_count; ++i) {
        auto const len = cur.be16(key_error::truncated);
        cur.skip(len, key_error::truncated);
    }
    if (!cur.ok()) {
        return cur.error();
    }
    if (!cur.at_end()) {
        return key_error::trailing;
    }
    out.rdata_block = key.subspan(block_start, cur.offset() - block_start);
    return key_error::ok;
}

} // namespace siehub::dedup
