// SPDX-License-Identifier: Apache-2.0
#pragma once
// Where siehub-nmsg's payloads go (JSON Lines on stdout or an nmsg file) and how it reports
// bad input (stop at the first, or count by reason with --skip-bad).

#include <arpa/inet.h>

#include <cstdio>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "proto/json/json_line.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/packer.hpp"
#include "proto/nmsg/zlib.hpp"

namespace siehub_nmsg {

using namespace siehub;

// An input that cannot be read at all (missing file, not a capture).
struct bad_input : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown after the first bad unit is reported when --skip-bad is off.
struct stop {};

class problem_log {
public:
    problem_log(std::string tool, bool skip_bad) : tool_(std::move(tool)), skip_bad_(skip_bad) {}

    // Reports one bad unit or line. Without --skip-bad the run stops here; with it the reason
    // is counted and false returned so the caller skips the unit.
    bool bad(const std::string& where, const std::string& reason)
    {
        ++counts_[reason];
        ++bad_;
        if (!skip_bad_) {
            std::fprintf(stderr, "%s: %s: %s\n", tool_.c_str(), where.c_str(), reason.c_str());
            throw stop{};
        }
        return false;
    }

    // Counts something that is not an error of the input (ignored frames, CRC drops).
    void count(const std::string& reason) { ++counts_[reason]; }

    void print_counts() const
    {
        if (counts_.empty()) {
            return;
        }
        std::fprintf(stderr, "%s: counts:", tool_.c_str());
        for (auto const& [reason, n] : counts_) {
            std::fprintf(stderr, " %s %llu", reason.c_str(), static_cast<unsigned long long>(n));
        }
        std::fprintf(stderr, "\n");
    }

    [[nodiscard]] bool failed() const noexcept { return bad_ != 0 && !skip_bad_; }

private:
    std::string tool_;
    bool skip_bad_;
    std::uint64_t bad_ = 0;
    std::map<std::string, std::uint64_t> counts_;
};

inline void format_ip(const net::ip_address& a, char* out, std::size_t n)
{
    if (inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.bytes.data(), out,
                  static_cast<socklen_t>(n)) == nullptr) {
        std::snprintf(out, n, "?");
    }
}

class payload_output {
public:
    virtual ~payload_output() = default;
    // Takes one decoded payload; false when it was refused (reported to the log).
    virtual bool put(const nmsg::payload_view& p, const std::string& where) = 0;
    virtual void close() = 0;
    [[nodiscard]] std::uint64_t payloads_out() const noexcept { return out_; }

    static std::unique_ptr<payload_output> json_stdout(problem_log& log);
    static std::unique_ptr<payload_output> nmsg_file(const std::string& path, std::size_t limit,
                                                     bool zlib, problem_log& log);

protected:
    std::uint64_t out_ = 0;
};

// JSON Lines on stdout, buffered in large writes.
class json_output final : public payload_output {
public:
    explicit json_output(problem_log& log) : log_(log) { buf_.reserve(1 << 20); }
    ~json_output() override { close(); }

    bool put(const nmsg::payload_view& p, const std::string& where) override
    {
        auto const e = json::render_json_line(p, buf_);
        if (e != json::line_error::none) {
            return log_.bad(where, std::string("json.") + json::to_string(e));
        }
        ++out_;
        if (buf_.size() >= (1 << 20) - 65536) {
            flush();
        }
        return true;
    }
    void close() override { flush(); }

private:
    void flush()
    {
        if (!buf_.empty()) {
            std::fwrite(buf_.data(), 1, buf_.size(), stdout);
            buf_.clear();
        }
        std::fflush(stdout);
    }
    problem_log& log_;
    std::string buf_;
};

// An nmsg file as nmsgtool -w writes it: containers up to `limit` bytes with payload CRCs and
// no sequence fields; optionally zlib-compressed; a payload too large for one container is
// fragmented, in its place in the order (proto/nmsg/packer.hpp, shared with siehub-tap).
class nmsg_file_output final : public payload_output {
public:
    nmsg_file_output(const std::string& path, std::size_t limit, bool zlib, problem_log& log)
        : path_(path), log_(log), packer_(limit, false, zlib)
    {
        f_ = std::fopen(path.c_str(), "wb");
        if (f_ == nullptr) {
            throw bad_input(path + ": cannot create: " + std::strerror(errno));
        }
    }
    ~nmsg_file_output() override
    {
        try {
            close();
        } catch (const bad_input&) {
        }
    }

    bool put(const nmsg::payload_view& p, const std::string& where) override
    {
        if (!packer_.add(p, [this](std::span<const nmsg::byte_view> u) { write(u); })) {
            return log_.bad(where, "output.payload_too_large");
        }
        ++out_;
        return true;
    }

    void close() override
    {
        if (f_ == nullptr) {
            return;
        }
        bool const packed = packer_.flush([this](std::span<const nmsg::byte_view> u) { write(u); });
        bool const ok = std::fclose(f_) == 0 && !write_failed_ && packed;
        f_ = nullptr;
        if (!ok) {
            throw bad_input(path_ + (packed ? ": write failed" : ": zlib: deflate failed"));
        }
    }

private:
    void write(std::span<const nmsg::byte_view> units)
    {
        for (auto const& b : units) {
            if (std::fwrite(b.data(), 1, b.size(), f_) != b.size()) {
                write_failed_ = true;
            }
        }
    }

    std::string path_;
    problem_log& log_;
    nmsg::unit_packer packer_;
    std::FILE* f_ = nullptr;
    bool write_failed_ = false;
};

inline std::unique_ptr<payload_output> payload_output::json_stdout(problem_log& log)
{
    return std::make_unique<json_output>(log);
}

inline std::unique_ptr<payload_output> payload_output::nmsg_file(const std::string& path,
                                                                 std::size_t limit, bool zlib,
                                                                 problem_log& log)
{
    return std::make_unique<nmsg_file_output>(path, limit, zlib, log);
}

} // namespace siehub_nmsg
