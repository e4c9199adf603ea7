// SPDX-License-Identifier: Apache-2.0
#include "tap.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio_ext.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "proto/json/json_line.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/packer.hpp"

namespace siehub::tap {

// ---------------------------------------------------------------------------------- decoder

decoder::decoder(const decoder_options& o, payload_sink& out)
    : opt_(o), out_(out), channels_(std::make_unique<std::array<channel_stats, max_channels>>())
{
}

void decoder::frame(core::byte_view data, int meta_vlan, std::uint64_t now_ms)
{
    counters_.add(tap_counter::frames);
    if (done_) {
        return;
    }
    net::udp_packet u;
    auto const e = net::parse_udp_frame(data, u);
    switch (e) {
    case net::errc::ok:
        break;
    case net::errc::not_ip:
        counters_.add(tap_counter::ignored_not_ip);
        return;
    case net::errc::not_udp:
        counters_.add(tap_counter::ignored_not_udp);
        return;
    case net::errc::ipv4_fragment:
        counters_.add(tap_counter::drop_ipv4_fragment);
        return;
    case net::errc::truncated_ether:
    case net::errc::truncated_vlan:
    case net::errc::truncated_ipv4:
    case net::errc::truncated_ipv6:
    case net::errc::truncated_udp:
        counters_.add(tap_counter::drop_frame_truncated);
        return;
    default:
        counters_.add(tap_counter::drop_frame_malformed);
        return;
    }
    if (opt_.port != 0 && u.dst_port != opt_.port) {
        counters_.add(tap_counter::ignored_other_port);
        return;
    }
    // The innermost tag names the channel: one still in the bytes (inner tag of QinQ, or a
    // capture), else the one the kernel stripped into the ring metadata.
    std::uint16_t const ch = u.vlan_count > 0 ? u.vlan
                             : meta_vlan >= 0 ? static_cast<std::uint16_t>(meta_vlan)
                                              : opt_.untagged_channel;
    if (u.vlan_count == 0 && meta_vlan >= 0) {
        counters_.add(tap_counter::vlan_from_ring);
    }
    if (!opt_.all_channels && !opt_.channels.test(ch)) {
        counters_.add(tap_counter::ignored_other_channel);
        return;
    }
    datagram(ch, u.payload, u.src.bytes, u.src_port, now_ms);
}

void decoder::datagram(std::uint16_t ch, core::byte_view dgram,
                       const std::array<std::uint8_t, 16>& addr, std::uint16_t port,
                       std::uint64_t now_ms)
{
    counters_.add(tap_counter::datagrams);
    auto& cs = (*channels_)[ch];
    ++cs.datagrams;
    cs.bytes += dgram.size();
    auto const unit = nmsg::parse_datagram(dgram);
    if (!unit.ok()) {
        counters_.add(tap_counter::drop_container_header);
        return;
    }
    if (unit.header.fragment()) {
        counters_.add(tap_counter::fragments);
    }
    auto const r = reader_.read(unit, addr, port, now_ms);
    if (r.st != nmsg::unit_result::status::container) {
        if (r.st == nmsg::unit_result::status::dropped) {
            counters_.add(r.where == nmsg::unit_result::stage::fragment ? tap_counter::drop_fragment
                          : r.where == nmsg::unit_result::stage::zlib
                              ? tap_counter::drop_zlib
                              : tap_counter::drop_container);
        }
        return;
    }
    auto const& v = reader_.view();
    counters_.add(tap_counter::containers);
    if (v.sequence() && v.sequence_id()) {
        nmsg::seq_key k{*v.sequence_id(), addr, port};
        auto const lost = seq_.observe(k, *v.sequence(), now_ms);
        auto& s = senders_[k];
        s.channel = ch;
        ++s.containers;
        s.lost += lost;
        cs.lost += lost;
    }
    for (auto const& en : v.entries()) {
        counters_.add(tap_counter::payloads);
        if (!en.crc_ok()) {
            counters_.add(tap_counter::drop_payload_crc);
            continue;
        }
        if (!out_.put(ch, en.view)) {
            counters_.add(tap_counter::drop_output_refused);
            continue;
        }
        counters_.add(tap_counter::payloads_out);
        ++cs.payloads;
        if (opt_.count != 0 && counters_.get(tap_counter::payloads_out) >= opt_.count) {
            done_ = true;
            return;
        }
    }
}

void decoder::update_rates(double seconds) noexcept
{
    for (auto& c : *channels_) {
        if (c.datagrams == 0) {
            continue;
        }
        c.payloads_per_s =
            seconds > 0 ? static_cast<double>(c.payloads - c.last_payloads) / seconds : 0;
        c.last_payloads = c.payloads;
    }
}

// -------------------------------------------------------------------------------- reporting

namespace {

std::string format_addr(const std::array<std::uint8_t, 16>& a)
{
    bool const v4 = std::all_of(a.begin() + 4, a.end(), [](auto b) { return b == 0; });
    char buf[INET6_ADDRSTRLEN] = "?";
    inet_ntop(v4 ? AF_INET : AF_INET6, a.data(), buf, sizeof buf);
    return buf;
}

std::string human(double v)
{
    char b[32];
    if (v >= 1e6) {
        std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
    } else if (v >= 1e4) {
        std::snprintf(b, sizeof b, "%.1fk", v / 1e3);
    } else {
        std::snprintf(b, sizeof b, "%.0f", v);
    }
    return b;
}

std::uint64_t dropped_total(const tap_counters& c)
{
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < tap_counter_table.size(); ++i) {
        if (std::strncmp(tap_counter_table[i].name, "tap.drop_", 9) == 0) {
            n += c.v[i];
        }
    }
    return n;
}

} // namespace

std::string live_line(const decoder& d, double elapsed_s, std::uint64_t ring_drops)
{
    auto const& c = d.counters();
    char head[256];
    std::snprintf(head, sizeof head,
                  "siehub-tap: %.0f s frames %llu payloads %llu lost %llu bad %llu", elapsed_s,
                  static_cast<unsigned long long>(c.get(tap_counter::frames)),
                  static_cast<unsigned long long>(c.get(tap_counter::payloads_out)),
                  static_cast<unsigned long long>(d.sequence().container_drops()),
                  static_cast<unsigned long long>(dropped_total(c)));
    std::string s = head;
    if (ring_drops != 0) {
        s += " ring_drops " + std::to_string(ring_drops);
    }
    for (std::size_t ch = 0; ch < max_channels; ++ch) {
        auto const& cs = d.channels()[ch];
        if (cs.datagrams == 0) {
            continue;
        }
        s += " | ch" + std::to_string(ch) + " " + human(cs.payloads_per_s) + "/s";
        if (cs.lost != 0) {
            s += " lost " + std::to_string(cs.lost);
        }
    }
    return s;
}

std::string stats_json(const decoder& d, double elapsed_s, const std::string& input,
                       std::uint64_t ring_packets, std::uint64_t ring_drops)
{
    std::string s = "{\"tool\":\"siehub-tap\",\"input\":\"";
    for (char ch : input) {
        if (ch == '"' || ch == '\\') {
            s += '\\';
        }
        if (static_cast<unsigned char>(ch) >= 0x20) {
            s += ch;
        }
    }
    char b[64];
    std::snprintf(b, sizeof b, "\",\"elapsed_s\":%.3f,\"counters\":{", elapsed_s);
    s += b;
    for (std::size_t i = 0; i < tap_counter_table.size(); ++i) {
        s += (i ? ",\"" : "\"") + std::string(tap_counter_table[i].name) +
             "\":" + std::to_string(d.counters().v[i]);
    }
    s += "},\"ring\":{\"packets\":" + std::to_string(ring_packets) +
         ",\"drops\":" + std::to_string(ring_drops) + "}";
    s += ",\"sequence\":{\"container_recvs\":" + std::to_string(d.sequence().container_recvs()) +
         ",\"container_drops\":" + std::to_string(d.sequence().container_drops()) +
         ",\"untracked\":" + std::to_string(d.sequence().untracked()) + "}";
    s += ",\"channels\":{";
    bool first = true;
    for (std::size_t ch = 0; ch < max_channels; ++ch) {
        auto const& cs = d.channels()[ch];
        if (cs.datagrams == 0) {
            continue;
        }
        std::snprintf(b, sizeof b, "%.1f", cs.payloads_per_s);
        s += (first ? "\"" : ",\"") + std::to_string(ch) +
             "\":{\"datagrams\":" + std::to_string(cs.datagrams) +
             ",\"bytes\":" + std::to_string(cs.bytes) +
             ",\"payloads\":" + std::to_string(cs.payloads) +
             ",\"lost\":" + std::to_string(cs.lost) + ",\"payloads_per_s\":" + b + "}";
        first = false;
    }
    s += "},\"senders\":[";
    first = true;
    for (auto const& [k, v] : d.senders()) {
        std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(k.sequence_id));
        s += (first ? "" : ",") + std::string("{\"addr\":\"") + format_addr(k.addr) +
             "\",\"port\":" + std::to_string(k.port) + ",\"sequence_id\":\"" + b +
             "\",\"channel\":" + std::to_string(v.channel) +
             ",\"containers\":" + std::to_string(v.containers) +
             ",\"lost\":" + std::to_string(v.lost) + "}";
        first = false;
    }
    s += "]}\n";
    return s;
}

// ------------------------------------------------------------------------------------ sinks

namespace {

bool exists(const std::string& p)
{
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

class file_sink final : public payload_sink {
public:
    explicit file_sink(const file_sink_options& o) : o_(o), packer_(o.container_size, false, o.zlib)
    {
    }
    ~file_sink() override
    {
        try {
            close();
        } catch (...) {
        }
    }

    bool put(std::uint16_t, const nmsg::payload_view& p) override
    {
        if (failed_) {
            return false;
        }
        return packer_.add(p, [this](std::span<const nmsg::byte_view> u) { write(u); });
    }

    void tick(std::int64_t now) override
    {
        if (!packer_.flush([this](std::span<const nmsg::byte_view> u) { write(u); })) {
            fail("zlib");
        }
        if (f_ != nullptr) {
            sync();
            if (o_.rotate_seconds != 0 && now >= rotate_at_) {
                finish_file();
            }
        }
    }

    void close() override
    {
        if (!failed_ && !packer_.flush([this](std::span<const nmsg::byte_view> u) { write(u); })) {
            fail("zlib");
        }
        finish_file();
    }

    [[nodiscard]] bool failed() const noexcept override { return failed_; }
    [[nodiscard]] std::string error() const override { return error_; }

private:
    void write(std::span<const nmsg::byte_view> units)
    {
        if (failed_) {
            return;
        }
        std::size_t n = 0;
        for (auto const& u : units) {
            n += u.size();
        }
        if (f_ != nullptr && o_.rotate_bytes != 0 && bytes_ != 0 && bytes_ + n > o_.rotate_bytes) {
            finish_file();
        }
        if (f_ == nullptr && !open_file()) {
            return;
        }
        for (auto const& u : units) {
            if (std::fwrite(u.data(), 1, u.size(), f_) != u.size()) {
                fail("write " + tmp_);
                return;
            }
        }
        bytes_ += n;
    }

    bool open_file()
    {
        std::time_t const t = std::time(nullptr);
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        char name[4096];
        std::size_t const len = std::strftime(name, sizeof name, o_.pattern.c_str(), &tm);
        if (len == 0) {
            fail("--nmsg pattern expands to nothing");
            return false;
        }
        std::string base(name, len);
        // Two files in the same second (rotation by size): NAME, NAME.1.nmsg, NAME.2.nmsg …
        final_ = base;
        std::string stem = base;
        std::string ext;
        if (auto dot = base.rfind('.'); dot != std::string::npos &&
                                        base.find('/', dot) == std::string::npos &&
                                        dot > base.rfind('/') + 1) {
            stem = base.substr(0, dot);
            ext = base.substr(dot);
        }
        for (unsigned i = 1; exists(final_) || final_ == last_final_; ++i) {
            final_ = stem + "." + std::to_string(i) + ext;
        }
        auto const slash = final_.rfind('/');
        tmp_ = slash == std::string::npos
                   ? "." + final_ + ".part"
                   : final_.substr(0, slash + 1) + "." + final_.substr(slash + 1) + ".part";
        f_ = std::fopen(tmp_.c_str(), "wb");
        if (f_ == nullptr) {
            fail("create " + tmp_);
            return false;
        }
        std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
        // Time rotation closes files on multiples of the period since the epoch, so
        // --rotate 3600 with an %H pattern gives one file per hour.
        if (o_.rotate_seconds != 0) {
            auto const period = static_cast<std::int64_t>(o_.rotate_seconds);
            rotate_at_ = (static_cast<std::int64_t>(t) / period + 1) * period;
        }
        bytes_ = 0;
        synced_ = 0;
        return true;
    }

    // Hands the buffered containers to the kernel; on success the file holds whole
    // containers up to `synced_`.
    void sync()
    {
        if (failed_ || f_ == nullptr) {
            return;
        }
        if (std::fflush(f_) != 0) {
            fail("write " + tmp_);
            return;
        }
        synced_ = bytes_;
    }

    void finish_file()
    {
        if (f_ == nullptr) {
            return;
        }
        sync();
        if (failed_) {
            // A write failed (disk full): drop what stdio still buffers and cut the file back
            // to the last flush, a container boundary, so the file kept is still complete.
            __fpurge(f_);
            if (::ftruncate(::fileno(f_), static_cast<off_t>(synced_)) != 0) {
                std::fclose(f_);
                f_ = nullptr;
                ::unlink(tmp_.c_str());
                return;
            }
        }
        bool const ok = std::fclose(f_) == 0;
        f_ = nullptr;
        if (!ok || synced_ == 0) {
            if (!ok) {
                fail("close " + tmp_);
            }
            ::unlink(tmp_.c_str()); // nothing complete in it
            return;
        }
        if (::rename(tmp_.c_str(), final_.c_str()) != 0) {
            fail("rename " + tmp_ + " to " + final_);
            return;
        }
        last_final_ = final_;
        ++files_;
    }

    void fail(const std::string& what)
    {
        if (!failed_) {
            error_ = what + ": " + std::strerror(errno);
        }
        failed_ = true;
    }

    file_sink_options o_;
    nmsg::unit_packer packer_;
    std::FILE* f_ = nullptr;
    std::string tmp_;
    std::string final_;
    std::string last_final_;
    std::uint64_t bytes_ = 0;  // whole containers handed to stdio
    std::uint64_t synced_ = 0; // whole containers known to be in the file
    std::int64_t rotate_at_ = 0;
    std::uint64_t files_ = 0;
    bool failed_ = false;
    std::string error_;
};

class json_sink final : public payload_sink {
public:
    explicit json_sink(const std::string& path)
    {
        if (path == "-") {
            f_ = stdout;
        } else {
            f_ = std::fopen(path.c_str(), "wb");
            if (f_ == nullptr) {
                throw sink_error(path + ": cannot create: " + std::strerror(errno));
            }
            own_ = true;
        }
        buf_.reserve(1 << 20);
    }
    ~json_sink() override { close(); }

    bool put(std::uint16_t, const nmsg::payload_view& p) override
    {
        if (json::render_json_line(p, buf_) != json::line_error::none) {
            return false;
        }
        if (buf_.size() >= (1 << 20) - 65536) {
            flush();
        }
        return true;
    }
    void tick(std::int64_t) override { flush(); }
    void close() override
    {
        if (f_ == nullptr) {
            return;
        }
        flush();
        if (own_ && std::fclose(f_) != 0) {
            failed_ = true;
        }
        f_ = nullptr;
    }
    [[nodiscard]] bool failed() const noexcept override { return failed_; }
    [[nodiscard]] std::string error() const override { return "JSON output: write failed"; }

private:
    void flush()
    {
        if (f_ == nullptr) {
            return;
        }
        if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
            failed_ = true;
        }
        buf_.clear();
        if (std::fflush(f_) != 0) {
            failed_ = true;
        }
    }
    std::FILE* f_ = nullptr;
    bool own_ = false;
    bool failed_ = false;
    std::string buf_;
};

class udp_sink final : public payload_sink {
public:
    udp_sink(const std::string& addr_port, std::size_t size, bool zlib) : packer_(size, true, zlib)
    {
        auto const slash = addr_port.rfind('/');
        if (slash == std::string::npos) {
            throw sink_error(addr_port + ": expected ADDR/PORT");
        }
        std::string const host = addr_port.substr(0, slash);
        char* end = nullptr;
        unsigned long const port = std::strtoul(addr_port.c_str() + slash + 1, &end, 10);
        if (*end != '\0' || port == 0 || port > 65535) {
            throw sink_error(addr_port + ": bad port");
        }
        auto* sin = reinterpret_cast<sockaddr_in*>(&dst_);
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&dst_);
        if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
            sin->sin_family = AF_INET;
            sin->sin_port = htons(static_cast<std::uint16_t>(port));
            dst_len_ = sizeof(sockaddr_in);
        } else if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons(static_cast<std::uint16_t>(port));
            dst_len_ = sizeof(sockaddr_in6);
        } else {
            throw sink_error(addr_port + ": bad address");
        }
        fd_ = ::socket(dst_.ss_family, SOCK_DGRAM, 0);
        if (fd_ < 0) {
            throw sink_error(std::string("socket: ") + std::strerror(errno));
        }
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    }
    ~udp_sink() override { close(); }

    bool put(std::uint16_t, const nmsg::payload_view& p) override
    {
        return packer_.add(p, [this](std::span<const nmsg::byte_view> u) { send(u); });
    }
    void tick(std::int64_t) override
    {
        packer_.flush([this](std::span<const nmsg::byte_view> u) { send(u); });
    }
    void close() override
    {
        if (fd_ < 0) {
            return;
        }
        packer_.flush([this](std::span<const nmsg::byte_view> u) { send(u); });
        ::close(fd_);
        fd_ = -1;
    }
    [[nodiscard]] bool failed() const noexcept override { return false; }

private:
    void send(std::span<const nmsg::byte_view> units)
    {
        for (auto const& u : units) {
            // A datagram the network refuses (no route, buffer full) is lost like any UDP
            // datagram; the receiver's sequence accounting sees it.
            (void)::sendto(fd_, u.data(), u.size(), 0, reinterpret_cast<sockaddr*>(&dst_),
                           dst_len_);
        }
    }
    nmsg::unit_packer packer_;
    int fd_ = -1;
    sockaddr_storage dst_{};
    socklen_t dst_len_ = 0;
};

} // namespace

std::unique_ptr<payload_sink> make_file_sink(const file_sink_options& o)
{
    return std::make_unique<file_sink>(o);
}

std::unique_ptr<payload_sink> make_json_sink(const std::string& path)
{
    return std::make_unique<json_sink>(path);
}

std::unique_ptr<payload_sink> make_udp_sink(const std::string& addr_port, std::size_t size,
                                            bool zlib)
{
    return std::make_unique<udp_sink>(addr_port, size, zlib);
}

} // namespace siehub::tap
