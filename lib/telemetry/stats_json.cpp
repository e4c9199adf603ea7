// SPDX-License-Identifier: Apache-2.0
#include "telemetry/stats_json.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <numeric>
#include <system_error>
#include <vector>

namespace siehub::telemetry {

namespace {

// Counter indices sorted by name: the key order of every counters object.
std::vector<std::size_t> name_order(const snapshot& s)
{
    std::vector<std::size_t> order(s.names.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return s.names[a] < s.names[b]; });
    return order;
}

void append_counters(std::string& out, const snapshot& s, const counter_group& g,
                     std::span<const std::size_t> order, bool all, const char* indent)
{
    out += "{";
    bool first = true;
    for (std::size_t i : order) {
        if (!all && !g.has_table[s.table_of[i]]) {
            continue;
        }
        out += first ? "\n" : ",\n";
        first = false;
        out += indent;
        append_json_string(out, s.names[i]);
        out += ": ";
        out += std::to_string(g.values[i]);
    }
    if (!first) {
        out += "\n";
        out += std::string_view(indent).substr(2);
    }
    out += "}";
}

void append_groups(std::string& out, const snapshot& s, std::span<const counter_group> groups,
                   const char* id_key, std::span<const std::size_t> order)
{
    out += "[";
    bool first = true;
    for (const auto& g : groups) {
        out += first ? "\n" : ",\n";
        first = false;
        out += "    {\"";
        out += id_key;
        out += "\": " + std::to_string(g.id) + ", \"label\": ";
        append_json_string(out, g.label);
        out += ", \"counters\": ";
        append_counters(out, s, g, order, false, "      ");
        out += "}";
    }
    if (!first) {
        out += "\n  ";
    }
    out += "]";
}

std::string format_seconds(double d)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", d < 0 ? 0.0 : d);
    return buf;
}

[[noreturn]] void fail(const std::string& what, const std::string& path)
{
    throw std::system_error(errno, std::generic_category(), what + " " + path);
}

} // namespace

void append_json_string(std::string& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : text) {
        auto const u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    out += '"';
}

std::string render_stats_json(const snapshot& s, std::span<const verdict> verdicts,
                              const run_info& run)
{
    auto const order = name_order(s);
    std::string out;
    out.reserve(256 + 64 * s.names.size() * (1 + s.workers.size()));
    out += "{\n  \"format\": \"siehub-stats-1\",\n";
    out += "  \"duration_s\": " + format_seconds(run.duration_s) + ",\n";
    out += std::string("  \"finished\": ") + (run.finished ? "true" : "false") + ",\n";
    out += "  \"totals\": ";
    append_counters(out, s, s.totals, order, true, "    ");
    out += ",\n  \"workers\": ";
    append_groups(out, s, s.workers, "worker", order);
    out += ",\n  \"ports\": ";
    append_groups(out, s, s.ports, "port", order);
    out += ",\n  \"channels\": ";
    append_groups(out, s, s.channels, "channel", order);
    out += ",\n  \"reconciliation\": {\"ok\": ";
    out += all_ok(verdicts) ? "true" : "false";
    out += ", \"equations\": [";
    bool first = true;
    for (const auto& v : verdicts) {
        out += first ? "\n" : ",\n";
        first = false;
        out += "    {\"name\": ";
        append_json_string(out, v.name);
        out += ", \"expression\": ";
        append_json_string(out, v.expression);
        out += ", \"when\": \"";
        out += to_string(v.when);
        out += "\", \"checked\": ";
        out += v.checked ? "true" : "false";
        out += ", \"ok\": ";
        out += v.ok ? "true" : "false";
        out += ", \"lhs\": " + std::to_string(v.lhs) + ", \"rhs\": " + std::to_string(v.rhs) +
               ", \"difference\": " + std::to_string(v.difference) + ", \"unmatched\": [";
        for (std::size_t i = 0; i < v.unmatched.size(); ++i) {
            if (i != 0) {
                out += ", ";
            }
            append_json_string(out, v.unmatched[i]);
        }
        out += "]}";
    }
    if (!first) {
        out += "\n  ";
    }
    out += "]}\n}\n";
    return out;
}

void write_file_atomic(const std::string& path, std::string_view content)
{
    // The temp file sits beside the target so rename() stays within one filesystem.
    std::string const tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fail("cannot create", tmp);
    }
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int const e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            errno = e;
            fail("cannot write", tmp);
        }
        done += static_cast<std::size_t>(n);
    }
    bool const synced = ::fsync(fd) == 0;
    int const sync_errno = errno;
    bool const closed = ::close(fd) == 0;
    if (!synced || !closed) {
        int const e = synced ? errno : sync_errno;
        ::unlink(tmp.c_str());
        errno = e;
        fail("cannot flush", tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int const e = errno;
        ::unlink(tmp.c_str());
        errno = e;
        fail("cannot rename onto", path);
    }
}

} // namespace siehub::telemetry
