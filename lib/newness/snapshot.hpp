// SPDX-License-Identifier: Apache-2.0
#pragma once
// Snapshots of one newness shard (docs/newness.md): the raw slot arrays of its three seen-sets
// behind a checksummed header, so a load is a read plus a checksum, not a rehash.
//
// File `newness-<shard>-of-<shards>.snap` in the snapshot directory, little-endian:
//   header (128 bytes)
//     u8[8] magic "SIEHSEEN"     u32 version (1)       u32 header_bytes (128)
//     u32 shard                  u32 shards            u32 fingerprint_bits
//     u32 reserved (0)           u64 created (first observation, unix s)
//     u64 saved (unix s)         u64 seed check (hash of the seed constants)
//     u64 fqdn_buckets, fqdn_count, base_buckets, base_count, fact_buckets, fact_count
//     u64 body_bytes             u32 body_crc32c       u32 reserved
//     ... zero padding ...       u32 header_crc32c (of bytes 0..123)
//   body: fqdn slots (u64 x buckets x 8), base slots (u64 ...), base days (u16 ...),
//         fact slots (u64 ...)
// Writing: `<file>.tmp`, fsync, rename over the file, fsync the directory: a crash leaves the
// old or the new snapshot, never a mix. Loading checks size, magic, version, both CRC-32Cs,
// shard layout and the occupied-slot counts; any mismatch is an error that names the reason.

#include <cstdint>
#include <string>

#include "newness/engine.hpp"

namespace siehub::newness {

enum class snapshot_status : std::uint8_t {
    ok = 0,
    missing,        // no file (a fresh hub: start empty)
    io_error,       // open/read/write/fsync/rename failed (errno in the message)
    truncated,      // shorter than its header says
    bad_magic,      // not a siehub newness snapshot
    bad_version,    // a version this build cannot read
    header_crc,     // header checksum mismatch
    body_crc,       // body checksum mismatch
    shard_mismatch, // written for another shard index or shard count
    layout,         // impossible sizes or counts that do not match the slots
};

const char* to_string(snapshot_status s) noexcept;

struct snapshot_result {
    snapshot_status status = snapshot_status::ok;
    std::string message; // human-readable, names the file
    std::uint64_t bytes = 0;
    [[nodiscard]] bool ok() const noexcept { return status == snapshot_status::ok; }
};

// Path of a shard's snapshot in `dir`.
std::string snapshot_path(const std::string& dir, unsigned shard, unsigned shards);

// Writes the shard's snapshot atomically. `now` goes into the header (saved).
snapshot_result save_snapshot(const engine& e, const std::string& path, std::uint64_t now);

// Loads a snapshot into `e` (which must be configured for the same shard and shard count).
// On any error `e` is left empty.
snapshot_result load_snapshot(engine& e, const std::string& path);

// Reads and checks a snapshot without an engine (siehub-seen info/check).
struct snapshot_info {
    std::uint32_t version = 0;
    std::uint32_t shard = 0;
    std::uint32_t shards = 0;
    std::uint32_t fingerprint_bits = 0;
    std::uint64_t created = 0;
    std::uint64_t saved = 0;
    std::uint64_t fqdn_buckets = 0, fqdn_count = 0;
    std::uint64_t base_buckets = 0, base_count = 0;
    std::uint64_t fact_buckets = 0, fact_count = 0;
    std::uint64_t file_bytes = 0;
};
snapshot_result check_snapshot(const std::string& path, snapshot_info& info, bool verify_body);

} // namespace siehub::newness
