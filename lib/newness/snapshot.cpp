// SPDX-License-Identifier: Apache-2.0
#include "newness/snapshot.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include "proto/nmsg/crc32c.hpp"

namespace siehub::newness {

namespace {

constexpr char magic[8] = {'S', 'I', 'E', 'H', 'S', 'E', 'E', 'N'};
constexpr std::uint32_t version = 1;
constexpr std::size_t header_bytes = 128;
constexpr std::size_t header_crc_at = header_bytes - 4;

std::uint64_t seed_check() noexcept
{
    return seed_fqdn ^ (seed_base << 1) ^ (seed_type << 2) ^ (seed_rr << 3) ^ (seed_set << 4) ^
           (seed_owner << 5);
}

struct header {
    std::uint32_t shard = 0, shards = 0, fp_bits = 0;
    std::uint64_t created = 0, saved = 0, seeds = 0;
    std::array<std::uint64_t, 3> buckets{}, counts{};
    std::uint64_t body_bytes = 0;
    std::uint32_t body_crc = 0;
};

void put32(std::uint8_t* p, std::uint32_t v) noexcept { std::memcpy(p, &v, 4); }
void put64(std::uint8_t* p, std::uint64_t v) noexcept { std::memcpy(p, &v, 8); }
std::uint32_t get32(const std::uint8_t* p) noexcept
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
std::uint64_t get64(const std::uint8_t* p) noexcept
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

std::array<std::uint8_t, header_bytes> encode(const header& h)
{
    std::array<std::uint8_t, header_bytes> b{};
    std::memcpy(b.data(), magic, 8);
    put32(&b[8], version);
    put32(&b[12], header_bytes);
    put32(&b[16], h.shard);
    put32(&b[20], h.shards);
    put32(&b[24], h.fp_bits);
    put64(&b[32], h.created);
    put64(&b[40], h.saved);
    put64(&b[48], h.seeds);
    for (int i = 0; i < 3; ++i) {
        put64(&b[56 + 16 * i], h.buckets[i]);
        put64(&b[64 + 16 * i], h.counts[i]);
    }
    put64(&b[104], h.body_bytes);
    put32(&b[112], h.body_crc);
    put32(&b[header_crc_at], nmsg::crc32c({b.data(), header_crc_at}));
    return b;
}

snapshot_result fail(snapshot_status s, const std::string& path, const std::string& why)
{
    return {s, path + ": " + why, 0};
}

snapshot_result io_fail(const std::string& path, const char* what)
{
    return fail(snapshot_status::io_error, path, std::string(what) + ": " + std::strerror(errno));
}

bool write_all(int fd, const void* data, std::size_t n)
{
    auto const* p = static_cast<const std::uint8_t*>(data);
    while (n > 0) {
        ssize_t const w = ::write(fd, p, std::min<std::size_t>(n, 1 << 30));
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Reads exactly n bytes; false on error or early end (errno 0 for the latter).
bool read_all(int fd, void* data, std::size_t n)
{
    auto* p = static_cast<std::uint8_t*>(data);
    while (n > 0) {
        ssize_t const r = ::read(fd, p, std::min<std::size_t>(n, 1 << 30));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        if (r == 0) {
            errno = 0;
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

template <class T> std::uint32_t crc_of(std::span<const T> v) noexcept
{
    return nmsg::crc32c({reinterpret_cast<const std::uint8_t*>(v.data()), v.size_bytes()});
}

std::uint32_t body_crc(std::span<const std::uint64_t> f, std::span<const std::uint64_t> b,
                       std::span<const std::uint16_t> d, std::span<const std::uint64_t> x)
{
    std::array<std::uint32_t, 4> const parts{crc_of(f), crc_of(b), crc_of(d), crc_of(x)};
    return nmsg::crc32c({reinterpret_cast<const std::uint8_t*>(parts.data()), sizeof parts});
}

class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard()
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset(int fd) noexcept
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }
    int release() noexcept
    {
        int const f = fd_;
        fd_ = -1;
        return f;
    }

private:
    int fd_;
};

// Reads and checks the header; fills h. file_size is checked against the body size.
snapshot_result read_header(int fd, const std::string& path, header& h, std::uint64_t& file_size)
{
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return io_fail(path, "stat");
    }
    file_size = static_cast<std::uint64_t>(st.st_size);
    std::array<std::uint8_t, header_bytes> b{};
    if (file_size < header_bytes || !read_all(fd, b.data(), b.size())) {
        return fail(snapshot_status::truncated, path, "shorter than the snapshot header");
    }
    if (std::memcmp(b.data(), magic, 8) != 0) {
        return fail(snapshot_status::bad_magic, path, "not a siehub newness snapshot");
    }
    if (get32(&b[8]) != version || get32(&b[12]) != header_bytes) {
        return fail(snapshot_status::bad_version, path,
                    "snapshot version " + std::to_string(get32(&b[8])) + ", this build reads " +
                        std::to_string(version));
    }
    if (get32(&b[header_crc_at]) != nmsg::crc32c({b.data(), header_crc_at})) {
        return fail(snapshot_status::header_crc, path, "header checksum mismatch (damaged file)");
    }
    h.shard = get32(&b[16]);
    h.shards = get32(&b[20]);
    h.fp_bits = get32(&b[24]);
    h.created = get64(&b[32]);
    h.saved = get64(&b[40]);
    h.seeds = get64(&b[48]);
    for (int i = 0; i < 3; ++i) {
        h.buckets[i] = get64(&b[56 + 16 * i]);
        h.counts[i] = get64(&b[64 + 16 * i]);
    }
    h.body_bytes = get64(&b[104]);
    h.body_crc = get32(&b[112]);
    if (h.fp_bits < 8 || h.fp_bits > 64) {
        return fail(snapshot_status::layout, path, "impossible fingerprint width in the header");
    }
    if (h.seeds != seed_check()) {
        return fail(snapshot_status::bad_version, path, "written with other hash seeds");
    }
    constexpr std::uint64_t max_buckets = std::uint64_t{1} << 40;
    std::uint64_t expect = 0;
    for (int i = 0; i < 3; ++i) {
        if (h.buckets[i] < 2 || h.buckets[i] > max_buckets ||
            h.counts[i] > h.buckets[i] * seen_table::bucket_slots) {
            return fail(snapshot_status::layout, path, "impossible table size in the header");
        }
        expect += h.buckets[i] * seen_table::bucket_slots * 8;
    }
    expect += h.buckets[1] * seen_table::bucket_slots * 2;
    if (h.body_bytes != expect) {
        return fail(snapshot_status::layout, path, "body size does not match the tables");
    }
    if (file_size < header_bytes + h.body_bytes) {
        return fail(snapshot_status::truncated, path,
                    "truncated: " + std::to_string(file_size) + " bytes, header says " +
                        std::to_string(header_bytes + h.body_bytes));
    }
    if (file_size > header_bytes + h.body_bytes) {
        return fail(snapshot_status::layout, path, "trailing bytes after the body");
    }
    return {};
}

} // namespace

const char* to_string(snapshot_status s) noexcept
{
    switch (s) {
    case snapshot_status::ok:
        return "ok";
    case snapshot_status::missing:
        return "missing";
    case snapshot_status::io_error:
        return "io_error";
    case snapshot_status::truncated:
        return "truncated";
    case snapshot_status::bad_magic:
        return "bad_magic";
    case snapshot_status::bad_version:
        return "bad_version";
    case snapshot_status::header_crc:
        return "header_crc";
    case snapshot_status::body_crc:
        return "body_crc";
    case snapshot_status::shard_mismatch:
        return "shard_mismatch";
    case snapshot_status::layout:
        return "layout";
    }
    return "unknown";
}

std::string snapshot_path(const std::string& dir, unsigned shard, unsigned shards)
{
    return dir + "/newness-" + std::to_string(shard) + "-of-" + std::to_string(shards) + ".snap";
}

snapshot_result save_snapshot(const engine& e, const std::string& path, std::uint64_t now)
{
    auto const& f = e.fqdns();
    auto const& b = e.bases();
    auto const& x = e.facts();
    header h;
    h.shard = e.config().shard;
    h.shards = e.config().shards;
    h.fp_bits = f.fingerprint_bits();
    h.created = e.created();
    h.saved = now;
    h.seeds = seed_check();
    h.buckets = {f.buckets(), b.buckets(), x.buckets()};
    h.counts = {f.size(), b.size(), x.size()};
    h.body_bytes = f.raw_slots().size_bytes() + b.raw_slots().size_bytes() +
                   b.raw_days().size_bytes() + x.raw_slots().size_bytes();
    h.body_crc = body_crc(f.raw_slots(), b.raw_slots(), b.raw_days(), x.raw_slots());
    auto const hb = encode(h);

    std::string const tmp = path + ".tmp";
    fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (fd.get() < 0) {
        return io_fail(tmp, "open");
    }
    bool ok = write_all(fd.get(), hb.data(), hb.size()) &&
              write_all(fd.get(), f.raw_slots().data(), f.raw_slots().size_bytes()) &&
              write_all(fd.get(), b.raw_slots().data(), b.raw_slots().size_bytes()) &&
              write_all(fd.get(), b.raw_days().data(), b.raw_days().size_bytes()) &&
              write_all(fd.get(), x.raw_slots().data(), x.raw_slots().size_bytes());
    if (!ok) {
        auto r = io_fail(tmp, "write");
        ::unlink(tmp.c_str());
        return r;
    }
    if (::fsync(fd.get()) != 0) {
        auto r = io_fail(tmp, "fsync");
        ::unlink(tmp.c_str());
        return r;
    }
    if (::close(fd.release()) != 0) {
        auto r = io_fail(tmp, "close");
        ::unlink(tmp.c_str());
        return r;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto r = io_fail(path, "rename");
        ::unlink(tmp.c_str());
        return r;
    }
    // The rename is durable once the directory is synced.
    auto const slash = path.rfind('/');
    std::string const dir = slash == std::string::npos ? "." : path.substr(0, slash);
    fd_guard dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
        return io_fail(dir, "fsync directory");
    }
    return {snapshot_status::ok, path, header_bytes + h.body_bytes};
}

namespace {

// Opens a snapshot and reads its header; `fd` is left open at the body.
snapshot_result open_snapshot(const std::string& path, fd_guard& fd, header& h, std::uint64_t& size)
{
    fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return fail(snapshot_status::missing, path, "no snapshot");
        }
        return io_fail(path, "open");
    }
    return read_header(fd.get(), path, h, size);
}

// Reads the three tables the header describes and checks them against it (CRC, counts).
snapshot_result read_body(int fd, const std::string& path, const header& h, std::uint64_t size,
                          seen_table& f, seen_table& b, seen_table& x)
{
    f.resize_raw(h.buckets[0]);
    b.resize_raw(h.buckets[1]);
    x.resize_raw(h.buckets[2]);
    auto rd = [&](auto span) { return read_all(fd, span.data(), span.size_bytes()); };
    if (!rd(f.raw_slots_mut()) || !rd(b.raw_slots_mut()) || !rd(b.raw_days_mut()) ||
        !rd(x.raw_slots_mut())) {
        return errno == 0 ? fail(snapshot_status::truncated, path, "body ends early")
                          : io_fail(path, "read");
    }
    if (body_crc(f.raw_slots(), b.raw_slots(), b.raw_days(), x.raw_slots()) != h.body_crc) {
        return fail(snapshot_status::body_crc, path, "body checksum mismatch (damaged file)");
    }
    if (f.recount() != h.counts[0] || b.recount() != h.counts[1] || x.recount() != h.counts[2]) {
        return fail(snapshot_status::layout, path, "entry counts do not match the header");
    }
    return {snapshot_status::ok, path, size};
}

} // namespace

snapshot_result check_snapshot(const std::string& path, snapshot_info& info, bool verify_body)
{
    fd_guard fd(-1);
    header h;
    std::uint64_t size = 0;
    auto r = open_snapshot(path, fd, h, size);
    if (!r.ok()) {
        return r;
    }
    info = {version,         h.shard,         h.shards,        h.fp_bits,       h.created,
            h.saved,         h.buckets[0],    h.counts[0],     h.buckets[1],    h.counts[1],
            h.buckets[2],    h.counts[2],     size};
    if (!verify_body) {
        return {snapshot_status::ok, path, size};
    }
    seen_table f(0, false, h.fp_bits);
    seen_table b(0, true, h.fp_bits);
    seen_table x(0, false, h.fp_bits);
    return read_body(fd.get(), path, h, size, f, b, x);
}

snapshot_result load_snapshot(engine& e, const std::string& path)
{
    fd_guard fd(-1);
    header h;
    std::uint64_t size = 0;
    auto r = open_snapshot(path, fd, h, size);
    if (!r.ok()) {
        return r;
    }
    if (h.shard != e.config().shard || h.shards != e.config().shards) {
        return fail(snapshot_status::shard_mismatch, path,
                    "written for shard " + std::to_string(h.shard) + " of " +
                        std::to_string(h.shards) + ", this is shard " +
                        std::to_string(e.config().shard) + " of " +
                        std::to_string(e.config().shards));
    }
    if (h.fp_bits != e.fqdns().fingerprint_bits()) {
        return fail(snapshot_status::layout, path, "fingerprint width differs from the config");
    }
    auto& f = e.fqdns_mut();
    auto& b = e.bases_mut();
    auto& x = e.facts_mut();
    r = read_body(fd.get(), path, h, size, f, b, x);
    if (!r.ok()) {
        // Never half a history: a damaged snapshot leaves the engine empty.
        f.resize_raw(2);
        b.resize_raw(2);
        x.resize_raw(2);
        e.set_created(0);
        return r;
    }
    e.set_created(h.created);
    return r;
}

} // namespace siehub::newness
