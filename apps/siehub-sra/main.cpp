// SPDX-License-Identifier: Apache-2.0
// siehub-sra: the AXA (SIE Remote Access) server as a standalone front-end fed from channel
// traffic (docs/sra.md). Inputs run on one reader thread and feed the server thread through
// its bounded ring; the server thread runs the epoll loop for every client.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "axa/server.hpp"
#include "capture/afpacket.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"
#include "telemetry/counters.hpp"

namespace axa = siehub::axa;
namespace nmsg = siehub::nmsg;
namespace core = siehub::core;
namespace telemetry = siehub::telemetry;
using namespace std::chrono_literals;

namespace siehub::sra {

enum class input_counter : std::uint8_t {
    datagrams,
    file_units,
    payloads,
    bad_unit,
    bad_fragment,
    bad_zlib,
    crc_mismatch,
    ring_full,
    frames,
    frames_not_udp,
    frames_untagged,
    count_
};

inline constexpr std::array<telemetry::counter_info, telemetry::counter_count<input_counter>>
    input_counter_table{{
        {"sra_input.datagrams", "nmsg datagrams read from udp: and iface: inputs"},
        {"sra_input.file_units", "nmsg units read from file: inputs"},
        {"sra_input.payloads", "payloads handed to the AXA server"},
        {"sra_input.bad_unit", "units dropped: not a well-formed nmsg container"},
        {"sra_input.bad_fragment", "fragments dropped by reassembly (timeout, limits, mismatch)"},
        {"sra_input.bad_zlib", "units dropped: the zlib body did not inflate"},
        {"sra_input.crc_mismatch", "payloads dropped: stored CRC does not match"},
        {"sra_input.ring_full", "payloads dropped: the server's feed ring was full (MISSED missed)"},
        {"sra_input.frames", "frames read from the AF_PACKET ring"},
        {"sra_input.frames_not_udp", "frames skipped: not IPv4/IPv6 UDP"},
        {"sra_input.frames_untagged", "frames skipped: no VLAN id (no channel)"},
    }};

} // namespace siehub::sra

using siehub::sra::input_counter;
using siehub::sra::input_counter_table;

namespace {

struct input_spec {
    enum class kind { udp, file, iface } k = kind::udp;
    std::string addr;
    std::uint16_t port = 0;
    std::string path;
    std::string iface;
    std::uint16_t ch = 0;
};

std::optional<input_spec> parse_input(const std::string& s, std::string& err)
{
    input_spec in;
    auto colon = s.find(':');
    if (colon == std::string::npos) {
        err = "--input `" + s + "`: expected udp:ADDR/PORT=CH, file:PATH=CH or iface:IF";
        return std::nullopt;
    }
    std::string const kind = s.substr(0, colon);
    std::string rest = s.substr(colon + 1);
    if (kind == "iface") {
        in.k = input_spec::kind::iface;
        in.iface = rest;
        if (rest.empty() || rest.size() >= IFNAMSIZ) {
            err = "--input `" + s + "`: bad interface name";
            return std::nullopt;
        }
        return in;
    }
    auto const eq = rest.rfind('=');
    if (eq == std::string::npos) {
        err = "--input `" + s + "`: missing =CH";
        return std::nullopt;
    }
    std::string chs = rest.substr(eq + 1);
    rest = rest.substr(0, eq);
    if (chs.rfind("ch", 0) == 0) {
        chs = chs.substr(2);
    }
    try {
        unsigned long const v = std::stoul(chs);
        if (v > axa::ch_max) {
            throw std::out_of_range("ch");
        }
        in.ch = static_cast<std::uint16_t>(v);
    } catch (...) {
        err = "--input `" + s + "`: bad channel (0..4095)";
        return std::nullopt;
    }
    if (kind == "file") {
        in.k = input_spec::kind::file;
        in.path = rest;
        return in;
    }
    if (kind == "udp") {
        in.k = input_spec::kind::udp;
        auto const sl = rest.rfind('/');
        if (sl == std::string::npos) {
            err = "--input `" + s + "`: expected udp:ADDR/PORT=CH";
            return std::nullopt;
        }
        in.addr = rest.substr(0, sl);
        try {
            unsigned long const p = std::stoul(rest.substr(sl + 1));
            if (p > 65535) {
                throw std::out_of_range("port");
            }
            in.port = static_cast<std::uint16_t>(p);
        } catch (...) {
            err = "--input `" + s + "`: bad port";
            return std::nullopt;
        }
        return in;
    }
    err = "--input `" + s + "`: unknown input kind `" + kind + "`";
    return std::nullopt;
}

// Units to payloads (fragments reassembled, zlib inflated, CRCs checked) into the server.
class feeder {
public:
    feeder(axa::server& srv, std::atomic<bool>& stop) : srv_(srv), stop_(stop) {}

    // `lossless`: wait for room (file replay); otherwise a full ring drops and counts.
    void unit(const nmsg::nmsg_unit& u, std::uint16_t ch, const std::array<std::uint8_t, 16>& addr,
              std::uint16_t port, bool lossless)
    {
        if (!u.ok()) {
            c_.add(input_counter::bad_unit);
            return;
        }
        core::byte_view body = u.body;
        bool zlib = u.header.zlib();
        if (u.header.fragment()) {
            auto const now_ms = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count());
            auto r = reasm_.offer(body, u.header.flags, addr, port, now_ms);
            if (r.st == nmsg::reasm_result::status::pending) {
                return;
            }
            if (r.st == nmsg::reasm_result::status::dropped) {
                if (r.reason != nmsg::reasm_reason::duplicate) {
                    c_.add(input_counter::bad_fragment);
                }
                return;
            }
            body = r.body;
            zlib = r.zlib;
        }
        if (zlib) {
            inflated_.resize(nmsg::zlib_max_inflated);
            auto r = inflater_.inflate(body, inflated_);
            if (!r.ok()) {
                c_.add(input_counter::bad_zlib);
                return;
            }
            body = r.data;
        }
        nmsg::nmsg_view v(body);
        if (!v.valid()) {
            c_.add(input_counter::bad_unit);
            return;
        }
        for (auto const& e : v.entries()) {
            if (!e.crc_ok()) {
                c_.add(input_counter::crc_mismatch);
                continue;
            }
            auto const p = e.view.bytes();
            if (lossless) {
                while (!srv_.offer(ch, p, axa::payload_kind::decoded, false)) {
                    if (stop_.load()) {
                        return;
                    }
                    std::this_thread::sleep_for(100us);
                }
            } else if (!srv_.offer(ch, p)) {
                c_.add(input_counter::ring_full);
                continue;
            }
            c_.add(input_counter::payloads);
        }
    }

    telemetry::counter_block<input_counter>& counters() { return c_; }

private:
    axa::server& srv_;
    std::atomic<bool>& stop_;
    nmsg::reassembler reasm_;
    nmsg::inflater inflater_;
    std::vector<std::uint8_t> inflated_;
    telemetry::counter_block<input_counter> c_;
};

bool replay_file(const input_spec& in, feeder& f, std::string& err)
{
    std::ifstream is(in.path, std::ios::binary);
    if (!is) {
        err = in.path + ": cannot open";
        return false;
    }
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(is)), {});
    core::byte_view rest(data);
    std::array<std::uint8_t, 16> none{};
    while (!rest.empty()) {
        auto u = nmsg::next_file_unit(rest);
        f.counters().add(input_counter::file_units);
        if (!u.ok() || u.consumed == 0) {
            f.counters().add(input_counter::bad_unit);
            err = in.path + ": malformed nmsg unit at byte " +
                  std::to_string(data.size() - rest.size()) + " (rest skipped)";
            return false;
        }
        f.unit(u, in.ch, none, 0, true);
        rest = rest.subspan(u.consumed);
    }
    return true;
}

int open_udp(const input_spec& in, std::string& err)
{
    sockaddr_storage ss{};
    socklen_t sl = 0;
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    int fam = AF_INET;
    if (::inet_pton(AF_INET, in.addr.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(in.port);
        sl = sizeof *s4;
    } else if (::inet_pton(AF_INET6, in.addr.c_str(), &s6->sin6_addr) == 1) {
        fam = AF_INET6;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(in.port);
        sl = sizeof *s6;
    } else {
        err = "udp input: bad address " + in.addr;
        return -1;
    }
    int const fd = ::socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rcv = 8 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    // Broadcast channel traffic (the hub sends to the VLAN broadcast address).
    ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), sl) != 0) {
        err = "udp input " + in.addr + "/" + std::to_string(in.port) + ": " + std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        return -1;
    }
    return fd;
}

void write_stats(const std::string& path, const axa::server& srv,
                 const telemetry::counter_block<input_counter>& in)
{
    std::ostringstream o;
    o << "{\"clients\":" << srv.client_count() << ",\"counters\":{";
    bool first = true;
    auto emit = [&](const auto& table, const auto& block) {
        auto const vals = block.values();
        for (std::size_t i = 0; i < table.size(); ++i) {
            o << (first ? "" : ",") << "\"" << table[i].name << "\":" << vals[i];
            first = false;
        }
    };
    emit(axa::server_counter_table, srv.counters());
    emit(axa::error_counter_table, srv.errors());
    emit(input_counter_table, in);
    o << "}}\n";
    if (path == "-") {
        std::cout << o.str();
        return;
    }
    std::string const tmp = path + ".tmp";
    std::ofstream f(tmp);
    f << o.str();
    f.close();
    std::rename(tmp.c_str(), path.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"siehub-sra: AXA (SIE Remote Access) server fed from SIE channel traffic.\n"
                 "Participants connect with sratool/sratunnel; see docs/sra.md."};
    std::vector<std::string> inputs, listens, channel_specs;
    std::string accounts, cert, key, stats_json;
    double start_delay = 0, linger = -1, duration = 0;
    std::size_t max_clients = 10000, queue_kib = 4096;
    app.add_option("--input", inputs,
                   "udp:ADDR/PORT=CH (nmsg datagrams of a channel), file:PATH.nmsg=CH (replay), "
                   "iface:IF (AF_PACKET ring; channel = VLAN id); repeatable")
        ->required();
    app.add_option("--sra-listen", listens,
                   "tcp:HOST,PORT | unix:PATH | apikey:HOST,PORT (TLS), each optionally "
                   "followed by ;allow=CIDR,CIDR; repeatable")
        ->required();
    app.add_option("--sra-accounts", accounts,
                   "accounts file: `user NAME CHANNELS`, `apikey KEY CHANNELS [NAME]`; SIGHUP re-reads it")
        ->required();
    app.add_option("--sra-cert", cert, "PEM certificate (chain) for apikey listeners (RSA for TLS 1.2)");
    app.add_option("--sra-key", key, "PEM private key of --sra-cert");
    app.add_option("--channel", channel_specs,
                   "CH[=DESCRIPTION]: a channel served (CGET and `all`); default: the input channels");
    app.add_option("--stats-json", stats_json, "write counters as JSON here at exit (- = stdout)");
    app.add_option("--start-delay", start_delay, "listen first, read inputs after S seconds");
    app.add_option("--linger", linger,
                   "once every file input is replayed and delivered, serve S more seconds, exit 0");
    app.add_option("--duration", duration, "exit 0 after S seconds (0 = until SIGTERM)");
    app.add_option("--max-clients", max_clients, "connections served at once")->capture_default_str();
    app.add_option("--queue-kib", queue_kib, "per-client output queue (KiB); beyond it hits are dropped")
        ->capture_default_str();
    app.footer("Signals: SIGHUP reloads the accounts without dropping sessions; SIGTERM/SIGINT exit 0.\n"
               "Exit codes: 0 done, 1 bad arguments or start-up failure.");
    CLI11_PARSE(app, argc, argv);

    std::string err;
    std::vector<input_spec> ins;
    for (const auto& s : inputs) {
        auto in = parse_input(s, err);
        if (!in) {
            std::cerr << "siehub-sra: " << err << "\n";
            return 1;
        }
        ins.push_back(*in);
    }
    axa::server_config cfg;
    for (const auto& s : listens) {
        auto l = axa::parse_listen(s, err);
        if (!l) {
            std::cerr << "siehub-sra: " << err << "\n";
            return 1;
        }
        cfg.listeners.push_back(*l);
    }
    std::map<std::uint16_t, std::string> chans;
    for (const auto& in : ins) {
        if (in.k != input_spec::kind::iface) {
            chans[in.ch] = in.k == input_spec::kind::udp
                               ? "udp " + in.addr + "/" + std::to_string(in.port)
                               : "file " + in.path;
        }
    }
    for (const auto& s : channel_specs) {
        auto const eq = s.find('=');
        std::string n = s.substr(0, eq);
        if (n.rfind("ch", 0) == 0) {
            n = n.substr(2);
        }
        try {
            auto const v = std::stoul(n);
            if (v > axa::ch_max) {
                throw std::out_of_range("ch");
            }
            chans[static_cast<std::uint16_t>(v)] = eq == std::string::npos ? "ch" + n : s.substr(eq + 1);
        } catch (...) {
            std::cerr << "siehub-sra: --channel `" << s << "`: bad channel\n";
            return 1;
        }
    }
    for (const auto& [ch, spec] : chans) {
        cfg.channels.push_back({ch, spec});
    }
    cfg.accounts_file = accounts;
    cfg.cert_file = cert;
    cfg.key_file = key;
    cfg.max_clients = max_clients;
    cfg.client_queue_bytes = queue_kib * 1024;

    // Signals go to a dedicated thread (sigwait), never into the server loop.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    axa::server srv(cfg);
    if (!srv.start(err)) {
        std::cerr << "siehub-sra: " << err << "\n";
        return 1;
    }
    for (const auto& l : srv.listeners()) {
        std::cerr << "siehub-sra: listening on " << l.text;
        if (l.kind != axa::listen_kind::unix_path) {
            std::cerr << " (port " << l.port << ")";
        }
        std::cerr << "\n";
    }

    std::atomic<bool> stop{false};
    std::atomic<bool> inputs_done{false};
    std::thread sig_thread([&] {
        for (;;) {
            int s = 0;
            if (sigwait(&sigs, &s) != 0) {
                continue;
            }
            if (s == SIGHUP) {
                srv.request_reload();
            } else if (s == SIGTERM || s == SIGINT) {
                stop.store(true);
                srv.request_stop();
                return;
            }
        }
    });

    feeder f(srv, stop);
    std::string input_err;
    std::thread reader([&] {
        auto const until = std::chrono::steady_clock::now() +
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(start_delay));
        while (!stop.load() && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(10ms);
        }
        std::vector<pollfd> pfds;
        std::vector<std::uint16_t> pch;
        std::vector<std::unique_ptr<siehub::capture::afpacket_ring>> rings;
        for (const auto& in : ins) {
            std::string e;
            if (in.k == input_spec::kind::udp) {
                int const fd = open_udp(in, e);
                if (fd < 0) {
                    input_err = e;
                    stop.store(true);
                    srv.request_stop();
                    return;
                }
                pfds.push_back({fd, POLLIN, 0});
                pch.push_back(in.ch);
            } else if (in.k == input_spec::kind::iface) {
                std::unique_ptr<siehub::capture::afpacket_ring> r;
                try {
                    siehub::capture::ring_config rc;
                    rc.iface = in.iface;
                    rc.block_size = 1u << 20;
                    rc.block_count = 32;
                    r = std::make_unique<siehub::capture::afpacket_ring>(rc);
                } catch (const std::exception& ex) {
                    input_err = "iface " + in.iface + ": " + ex.what();
                    stop.store(true);
                    srv.request_stop();
                    return;
                }
                pfds.push_back({r->fd(), POLLIN, 0});
                pch.push_back(0xffff);
                rings.push_back(std::move(r));
            }
        }
        for (const auto& in : ins) {
            if (in.k == input_spec::kind::file && !stop.load()) {
                std::string e;
                if (!replay_file(in, f, e)) {
                    std::cerr << "siehub-sra: " << e << "\n";
                }
            }
        }
        if (pfds.empty()) {
            inputs_done.store(true);
            return;
        }
        std::vector<std::uint8_t> buf(65536);
        while (!stop.load()) {
            int const n = ::poll(pfds.data(), pfds.size(), 100);
            if (n <= 0) {
                continue;
            }
            std::size_t ri = 0;
            for (std::size_t i = 0; i < pfds.size(); ++i) {
                bool const is_ring = pch[i] == 0xffff;
                auto* ring = is_ring ? rings[ri++].get() : nullptr;
                if (!(pfds[i].revents & POLLIN)) {
                    continue;
                }
                if (is_ring) {
                    ring->poll(0, [&](const siehub::capture::frame& fr) {
                        f.counters().add(input_counter::frames);
                        siehub::net::udp_packet u;
                        if (siehub::net::parse_udp_frame(fr.data, u) != siehub::net::errc::ok) {
                            f.counters().add(input_counter::frames_not_udp);
                            return;
                        }
                        // Channel = VLAN id: the ring's metadata, else a tag left in the bytes.
                        std::uint16_t const ch =
                            fr.vlan() > 0 ? static_cast<std::uint16_t>(fr.vlan()) : u.vlan;
                        if (ch == 0) {
                            f.counters().add(input_counter::frames_untagged);
                            return;
                        }
                        f.counters().add(input_counter::datagrams);
                        f.unit(nmsg::parse_datagram(u.payload), ch, u.src.bytes, u.src_port, false);
                    });
                    continue;
                }
                for (int k = 0; k < 256; ++k) {
                    sockaddr_storage from{};
                    socklen_t fl = sizeof from;
                    ssize_t const r = ::recvfrom(pfds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                                 reinterpret_cast<sockaddr*>(&from), &fl);
                    if (r < 0) {
                        break;
                    }
                    f.counters().add(input_counter::datagrams);
                    std::array<std::uint8_t, 16> addr{};
                    std::uint16_t port = 0;
                    if (from.ss_family == AF_INET) {
                        auto* a = reinterpret_cast<sockaddr_in*>(&from);
                        std::memcpy(addr.data(), &a->sin_addr, 4);
                        port = ntohs(a->sin_port);
                    } else if (from.ss_family == AF_INET6) {
                        auto* a = reinterpret_cast<sockaddr_in6*>(&from);
                        std::memcpy(addr.data(), &a->sin6_addr, 16);
                        port = ntohs(a->sin6_port);
                    }
                    f.unit(nmsg::parse_datagram(core::byte_view(buf.data(), static_cast<std::size_t>(r))),
                           pch[i], addr, port, false);
                }
            }
        }
        for (const auto& p : pfds) {
            if (std::find_if(rings.begin(), rings.end(), [&](const auto& r) { return r->fd() == p.fd; }) ==
                rings.end()) {
                ::close(p.fd);
            }
        }
    });

    auto const started = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> linger_until;
    while (!stop.load()) {
        srv.poll(50);
        auto const t = std::chrono::steady_clock::now();
        if (duration > 0 && t - started >= std::chrono::duration<double>(duration)) {
            break;
        }
        if (linger >= 0 && inputs_done.load() && !linger_until && srv.idle()) {
            linger_until = t + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(linger));
        }
        if (linger_until && t >= *linger_until) {
            break;
        }
    }
    stop.store(true);
    reader.join();
    // Serve what is queued once more, then close every session (run() returns at once).
    srv.request_stop();
    srv.run();
    pthread_kill(sig_thread.native_handle(), SIGTERM);
    sig_thread.join();
    if (!stats_json.empty()) {
        write_stats(stats_json, srv, f.counters());
    }
    if (!input_err.empty()) {
        std::cerr << "siehub-sra: " << input_err << "\n";
        return 1;
    }
    return 0;
}
