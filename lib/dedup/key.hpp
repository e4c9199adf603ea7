// SPDX-License-Identifier: Apache-2.0
#pragma once
// The canonical RRset key: the bytes the deduplicator compares, hashes and stores, and the
// record it hands back on EXPIRATION (the key holds everything needed to re-emit the RRset
// except the TTL, which the table keeps beside it).
//
// Layout (all integers big-endian, names in uncompressed wire format):
//
//   u8  rrname_len      1..255
//   ..  rrname          lower-cased (ASCII A-Z only; label length bytes are <= 63 and so
//                       never in 'A'..'Z', which is why the whole wire name can be folded)
//   u16 rrtype
//   u16 rrclass
//   u8  bailiwick_len   1..255
//   ..  bailiwick       lower-cased like rrname
//   u16 rdata_count
//   rdata_count x { u16 rdlen; rdlen bytes }   canonical form (RFC 4034 §6.2), sorted and
//                                              de-duplicated by the caller
//
// Every field is length-prefixed, so two different RRsets can never encode to the same bytes.
// DPDK-free, allocation-free.

#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"
#include "core/cursor.hpp"
#include "core/out_buffer.hpp"

namespace siehub::dedup {

using core::byte_span;
using core::byte_view;

// Largest wire name (RFC 1035 §3.1).
inline constexpr std::size_t max_name_wire = 255;

// XXH3-64 of the key with a seed. The seed is per hub (keeps remote parties from choosing
// colliding keys); the same hash picks the owner core and, inside the table, the buckets.
std::uint64_t hash(byte_view key, std::uint64_t seed) noexcept;

// Which of n_owners cores owns a key. Uses hash bits 48..63 only: the table takes its bucket
// index from bits 0..31 and its signature from bits 32..47, so owner choice does not skew how
// one core's keys spread over that core's buckets. n_owners must be 1..65536.
inline std::uint32_t owner_core(std::uint64_t h, std::uint32_t n_owners) noexcept
{
    return static_cast<std::uint32_t>(((h >> 48) * n_owners) >> 16);
}

enum class key_error : std::uint8_t {
    ok = 0,
    overflow,       // the key does not fit the caller's buffer
    bad_name,       // empty name or longer than 255 bytes
    rdata_too_long, // one rdata longer than 65535 bytes
    too_many_rdata, // more than 65535 rdata in one set
    truncated,      // parse: a length runs past the end
    trailing,       // parse: bytes after the last rdata
};

const char* to_string(key_error e) noexcept;

// Writes a key into a caller buffer. Use: begin(), add_rdata() per rdata in canonical sorted
// order, finish(). Errors are sticky; finish() returns an empty view on any error.
class key_builder {
public:
    explicit key_builder(byte_span buf) noexcept : out_(buf) {}

    void begin(byte_view rrname_wire, std::uint16_t rrtype, std::uint16_t rrclass,
               byte_view bailiwick_wire) noexcept;
    // As begin() for names already in canonical (lower) case, e.g. from dns::canonical_owners:
    // copied as they are, without folding them a second time.
    void begin_canonical(byte_view rrname_canon, std::uint16_t rrtype, std::uint16_t rrclass,
                         byte_view bailiwick_canon) noexcept;
    void add_rdata(byte_view canonical_rdata) noexcept;
    [[nodiscard]] byte_view finish() noexcept;

    [[nodiscard]] key_error error() const noexcept { return err_; }

private:
    template <bool Fold>
    void put_name(byte_view name) noexcept;
    void fail(key_error e) noexcept
    {
        if (err_ == key_error::ok) {
            err_ = e;
        }
    }

    core::out_buffer out_;
    std::size_t count_at_ = 0;
    std::uint32_t count_ = 0;
    key_error err_ = key_error::ok;
};

// The fields of a key, as views into it.
struct key_fields {
    byte_view rrname;
    std::uint16_t rrtype = 0;
    std::uint16_t rrclass = 0;
    byte_view bailiwick;
    std::uint16_t rdata_count = 0;
    byte_view rdata_block; // rdata_count x { u16 len; bytes }: walk with rdata_iterator
};

// Parses a key (as stored or as handed back on EXPIRATION). Checks every length.
key_error parse_key(byte_view key, key_fields& out) noexcept;

// Walks rdata_block of a key that parse_key accepted.
class rdata_iterator {
public:
    explicit rdata_iterator(byte_view block) noexcept : cur_(block) {}
    // Next rdata, or false at the end (or on a malformed block).
    bool next(byte_view& rdata) noexcept
    {
        if (cur_.at_end()) {
            return false;
        }
        auto const len = cur_.be16(key_error::truncated);
        rdata = cur_.take(len, key_error::truncated);
        return cur_.ok();
    }

private:
    core::wire_cursor<key_error> cur_;
};

} // namespace siehub::dedup
