// SPDX-License-Identifier: Apache-2.0
// siehub-tap throughput: payloads/s from an AF_PACKET TPACKET_V3 ring on one core into nmsg
// files (target ≥ 2 M payloads/s), with the same engine the tool runs (apps/siehub-tap).
//
// Root only. The process moves into a network namespace of its own (unshare), makes a veth
// pair there and sends ch204-style channel frames (802.1Q VLAN 204, IPv4 broadcast UDP 8430,
// containers of --container-size bytes with sequence numbers, payloads taken from the golden
// SIE dnsdedupe/newdomain/dnsnx files) from a raw socket on one end; the tap reads the other.
//
//   drain   the sender fills the ring with N frames first (ring sized to hold them, no
//           drops), then one pinned core drains it: this is the consumer's own capacity,
//           what one core sustains when the NIC feeds it that fast. Three consumers over the
//           same frames, best of --reps: ring walk only (baseline floor), tap decode into a
//           null sink, tap into nmsg files (the target figure).
//   live    sender (other core) and tap (pinned core) at the same time for --live-seconds;
//           on a 2-core machine the sender is the limit, so this shows the end-to-end rate
//           and the ring drops, not the tap's ceiling.
//   pcap    the same frames from a pcap file into nmsg files (reference).

#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "capture/afpacket.hpp"
#include "proto/net/frame_writer.hpp"
#include "proto/nmsg/container.hpp"
#include "tap.hpp"

using namespace siehub;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {

struct options {
    std::size_t frames = 60000;
    std::size_t container_size = 1280;
    int reps = 5;
    double live_seconds = 2;
    std::string dir = "/tmp";
};

std::vector<std::vector<std::uint8_t>> load_payloads()
{
    std::vector<std::vector<std::uint8_t>> out;
    for (const char* f : {"dnsdedupe-insertion.nmsg", "dnsdedupe-expiration.nmsg",
                          "dnsdedupe-rdata-types.nmsg", "newdomain.nmsg", "dnsnx.nmsg"}) {
        std::ifstream in(std::string(SIEHUB_TESTDATA_DIR) + "/nmsg/" + f, std::ios::binary);
        std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), {});
        std::size_t off = 0;
        while (off < data.size()) {
            auto u = nmsg::next_file_unit({data.data() + off, data.size() - off});
            if (!u.ok()) {
                break;
            }
            nmsg::nmsg_view v(u.body);
            for (auto const& e : v.entries()) {
                auto b = e.view.bytes();
                out.emplace_back(b.begin(), b.end());
            }
            off += u.consumed;
        }
    }
    return out;
}

struct traffic {
    std::vector<std::vector<std::uint8_t>> frames;
    std::uint64_t payloads = 0;
    std::uint64_t payload_bytes = 0;
};

traffic build_frames(const options& o)
{
    auto const payloads = load_payloads();
    if (payloads.empty()) {
        std::fprintf(stderr, "bench_tap: no payloads in %s/nmsg\n", SIEHUB_TESTDATA_DIR);
        std::exit(1);
    }
    traffic t;
    std::vector<std::uint8_t> buf(o.container_size);
    nmsg::container_builder b(buf, o.container_size, true, false);
    net::channel_frame_spec spec;
    spec.vlan = 204;
    spec.src_mac = {0x02, 0, 0, 0, 0, 0x01};
    spec.src_ip = {198, 18, 204, 1};
    spec.dst_ip = {198, 18, 204, 255};
    spec.src_port = 40204;
    std::uint32_t seq = 0;
    std::size_t k = 0;
    std::uint64_t in_container = 0;
    std::uint64_t bytes_in_container = 0;
    while (t.frames.size() < o.frames) {
        nmsg::payload_view p(payloads[k % payloads.size()]);
        nmsg::payload_header h{p.vid(),    p.msgtype(),     p.time_sec(), p.time_nsec(),
                               p.source(), p.operator_id(), p.group()};
        auto vendor = p.payload().value_or(nmsg::byte_view{});
        auto st = b.add(h, vendor);
        if (st == nmsg::container_builder::add_status::added) {
            bytes_in_container += payloads[k % payloads.size()].size();
            ++k;
            ++in_container;
            continue;
        }
        if (st == nmsg::container_builder::add_status::too_large) {
            ++k; // larger than a container: not part of this traffic
            continue;
        }
        auto unit = b.finish(seq++, 0x5eed5eed5eed5eedull);
        std::vector<std::uint8_t> fr(unit.size() + 64);
        core::out_buffer ob(fr);
        net::write_channel_frame(ob, spec, static_cast<std::uint16_t>(seq), unit);
        fr.resize(ob.size());
        t.frames.push_back(std::move(fr));
        t.payloads += in_container;
        t.payload_bytes += bytes_in_container;
        in_container = 0;
        bytes_in_container = 0;
        b.reset();
    }
    return t;
}

void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    sched_setaffinity(0, sizeof s, &s);
}

int sh(const std::string& cmd)
{
    return std::system((cmd + " >/dev/null 2>&1").c_str());
}

int open_sender(const char* ifname)
{
    int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    int sndbuf = 8 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void send_all(int fd, const traffic& t, std::size_t from, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        auto const& f = t.frames[(from + i) % t.frames.size()];
        while (::send(fd, f.data(), f.size(), 0) < 0) {
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
                std::perror("bench_tap: send");
                std::exit(1);
            }
        }
    }
}

capture::ring_config ring_for(const options& o, std::size_t frames, std::size_t frame_len)
{
    capture::ring_config rc;
    rc.iface = "tbb";
    rc.block_size = 4u << 20;
    std::size_t const per = frame_len + 128; // tpacket3_hdr + sockaddr_ll + alignment
    rc.block_count = static_cast<std::uint32_t>(frames * per / rc.block_size + 4);
    // Long enough that no block is retired half full while the sender fills the ring (the
    // drain then sees the same packing a busy channel gives); the last block retires on
    // this timer before the drain starts.
    rc.block_timeout_ms = 200;
    (void)o;
    return rc;
}

class null_sink final : public tap::payload_sink {
public:
    bool put(std::uint16_t, const nmsg::payload_view& p) override
    {
        bytes_ += p.bytes().size();
        return true;
    }
    void tick(std::int64_t) override {}
    void close() override {}
    [[nodiscard]] bool failed() const noexcept override { return false; }
    std::uint64_t bytes_ = 0;
};

double thread_cpu_s()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct drain_result {
    double wall_s = 0;
    double cpu_s = 0;
    std::uint64_t frames = 0;
    std::uint64_t payloads = 0;
    std::uint64_t ring_drops = 0;
};

enum class consumer { walk, decode_null, decode_files };

drain_result drain_once(const options& o, const traffic& t, consumer c, int sender_fd)
{
    auto ring = capture::afpacket_ring(ring_for(o, t.frames.size(), t.frames[0].size()));
    send_all(sender_fd, t, 0, t.frames.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // last block retires (200 ms)
    drain_result r;
    fs::path const dir = fs::path(o.dir) / ("bench-tap-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::unique_ptr<tap::payload_sink> sink;
    if (c == consumer::decode_files) {
        sink = tap::make_file_sink(
            {(dir / "ch204-%Y%m%d%H%M%S.nmsg").string(), 0, 0, nmsg::container_size_max, false});
    } else {
        sink = std::make_unique<null_sink>();
    }
    tap::decoder_options dopt;
    tap::decoder dec(dopt, *sink);
    std::uint64_t walked = 0;
    std::uint64_t bytes = 0;
    auto const c0 = thread_cpu_s();
    auto const t0 = clk::now();
    for (;;) {
        std::size_t n = 0;
        if (c == consumer::walk) {
            n = ring.poll(0, [&](const capture::frame& f) {
                bytes += f.data.size() + static_cast<unsigned>(f.vlan());
                ++walked;
            });
        } else {
            n = ring.poll(0, [&](const capture::frame& f) {
                dec.frame(f.data, f.vlan(), std::uint64_t{f.sec} * 1000u);
            });
        }
        if (n == 0) {
            break;
        }
    }
    sink->close();
    r.wall_s = std::chrono::duration<double>(clk::now() - t0).count();
    r.cpu_s = thread_cpu_s() - c0;
    r.ring_drops = ring.stats().drops;
    if (c == consumer::walk) {
        r.frames = walked;
        r.payloads = walked * t.payloads / t.frames.size();
    } else {
        r.frames = dec.counters().get(tap::tap_counter::frames);
        r.payloads = dec.counters().get(tap::tap_counter::payloads_out);
    }
    fs::remove_all(dir);
    return r;
}

drain_result best_of(const options& o, const traffic& t, consumer c, int fd)
{
    drain_result best;
    for (int i = 0; i < o.reps; ++i) {
        auto r = drain_once(o, t, c, fd);
        if (r.frames != t.frames.size() || r.ring_drops != 0) {
            std::printf("  (rep %d: %llu of %zu frames, %llu ring drops)\n", i,
                        static_cast<unsigned long long>(r.frames), t.frames.size(),
                        static_cast<unsigned long long>(r.ring_drops));
        }
        if (best.wall_s == 0 || r.wall_s < best.wall_s) {
            best = r;
        }
    }
    return best;
}

void print(const char* name, const drain_result& r)
{
    double const pps = static_cast<double>(r.payloads) / r.wall_s;
    double const per_core = static_cast<double>(r.payloads) / r.cpu_s;
    std::printf("%-40s %6.2f M payloads/s wall %6.2f M per core-second  (%llu payloads, "
                "%.1f ms wall, %.1f ms cpu, %.0f ns/payload)\n",
                name, pps / 1e6, per_core / 1e6, static_cast<unsigned long long>(r.payloads),
                r.wall_s * 1e3, r.cpu_s * 1e3, r.cpu_s * 1e9 / static_cast<double>(r.payloads));
}

drain_result pcap_reference(const options& o, const traffic& t)
{
    fs::path const dir = fs::path(o.dir) / ("bench-tap-pcap-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto const file = (dir / "in.pcap").string();
    {
        pcap_t* p = pcap_open_dead(DLT_EN10MB, 65535);
        pcap_dumper_t* d = pcap_dump_open(p, file.c_str());
        for (auto const& f : t.frames) {
            pcap_pkthdr h{};
            h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
            pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
        }
        pcap_dump_close(d);
        pcap_close(p);
    }
    drain_result best;
    for (int i = 0; i < o.reps; ++i) {
        auto sink = tap::make_file_sink(
            {(dir / "out-%H%M%S.nmsg").string(), 0, 0, nmsg::container_size_max, false});
        tap::decoder_options dopt;
        tap::decoder dec(dopt, *sink);
        char err[PCAP_ERRBUF_SIZE];
        auto const c0 = thread_cpu_s();
        auto const t0 = clk::now();
        pcap_t* p = pcap_open_offline(file.c_str(), err);
        pcap_pkthdr* h;
        const u_char* d;
        while (pcap_next_ex(p, &h, &d) == 1) {
            dec.frame({d, h->caplen}, -1, 0);
        }
        pcap_close(p);
        sink->close();
        drain_result r;
        r.wall_s = std::chrono::duration<double>(clk::now() - t0).count();
        r.cpu_s = thread_cpu_s() - c0;
        r.frames = dec.counters().get(tap::tap_counter::frames);
        r.payloads = dec.counters().get(tap::tap_counter::payloads_out);
        if (best.wall_s == 0 || r.wall_s < best.wall_s) {
            best = r;
        }
        for (auto const& e : fs::directory_iterator(dir)) {
            if (e.path().extension() == ".nmsg") {
                fs::remove(e.path());
            }
        }
    }
    fs::remove_all(dir);
    return best;
}

void live(const options& o, const traffic& t, int fd)
{
    capture::ring_config rc = ring_for(o, 20000, t.frames[0].size());
    rc.block_count = 64;
    rc.block_timeout_ms = 10;
    auto ring = capture::afpacket_ring(rc);
    fs::path const dir = fs::path(o.dir) / ("bench-tap-live-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto sink = tap::make_file_sink(
        {(dir / "live-%H%M%S.nmsg").string(), 0, 0, nmsg::container_size_max, false});
    tap::decoder_options dopt;
    tap::decoder dec(dopt, *sink);
    std::atomic<bool> done{false};
    std::uint64_t sent = 0;
    std::thread sender([&] {
        pin(1);
        auto const end = clk::now() + std::chrono::duration<double>(o.live_seconds);
        while (clk::now() < end) {
            send_all(fd, t, sent, 1000);
            sent += 1000;
        }
        done = true;
    });
    auto const t0 = clk::now();
    auto const c0 = thread_cpu_s();
    clk::time_point quiet_since{};
    for (;;) {
        auto n = ring.poll(10, [&](const capture::frame& f) {
            dec.frame(f.data, f.vlan(), std::uint64_t{f.sec} * 1000u);
        });
        if (done && n == 0) {
            if (quiet_since == clk::time_point{}) {
                quiet_since = clk::now();
            } else if (clk::now() - quiet_since > std::chrono::milliseconds(50)) {
                break;
            }
        }
    }
    sender.join();
    sink->close();
    double const wall = std::chrono::duration<double>(clk::now() - t0).count();
    double const cpu = thread_cpu_s() - c0;
    auto const st = ring.stats();
    auto const got = dec.counters().get(tap::tap_counter::payloads_out);
    std::printf("%-40s %6.2f M payloads/s wall  (sent %llu frames = %.3f M payloads/s offered, "
                "%llu ring drops, tap core %.0f%% busy)\n",
                "live: veth sender + tap -> nmsg files", static_cast<double>(got) / wall / 1e6,
                static_cast<unsigned long long>(sent),
                static_cast<double>(sent) * static_cast<double>(t.payloads) /
                    static_cast<double>(t.frames.size()) / wall / 1e6,
                static_cast<unsigned long long>(st.drops), 100.0 * cpu / wall);
    fs::remove_all(dir);
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const a = argv[i];
        if (a == "--frames") {
            o.frames = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (a == "--container-size") {
            o.container_size = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (a == "--reps") {
            o.reps = std::atoi(argv[i + 1]);
        } else if (a == "--live-seconds") {
            o.live_seconds = std::atof(argv[i + 1]);
        } else if (a == "--dir") {
            o.dir = argv[i + 1];
        } else {
            std::fprintf(stderr, "usage: bench_tap [--frames N] [--container-size B] [--reps N] "
                                 "[--live-seconds S] [--dir DIR]\n");
            return 2;
        }
    }
    if (::geteuid() != 0) {
        std::fprintf(stderr, "bench_tap: needs root (network namespace, veth, AF_PACKET)\n");
        return 77;
    }
    if (::unshare(CLONE_NEWNET) != 0) {
        std::perror("bench_tap: unshare(CLONE_NEWNET)");
        return 1;
    }
    std::string const mtu =
        std::to_string(o.container_size + 64 > 1500 ? o.container_size + 64 : 1500);
    if (sh("ip link add tba mtu " + mtu + " type veth peer name tbb mtu " + mtu) != 0 ||
        sh("ip link set tba up") != 0 || sh("ip link set tbb up") != 0) {
        std::fprintf(stderr, "bench_tap: cannot create the veth pair\n");
        return 1;
    }
    sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
    auto const t = build_frames(o);
    int const fd = open_sender("tba");
    if (fd < 0) {
        std::perror("bench_tap: sender socket");
        return 1;
    }
    pin(0);
    std::printf("bench_tap: %zu frames of %zu bytes (ch204, %zu-byte containers), %.2f payloads "
                "per frame, %.0f bytes per payload; best of %d drains\n",
                t.frames.size(), t.frames[0].size(), o.container_size,
                static_cast<double>(t.payloads) / static_cast<double>(t.frames.size()),
                static_cast<double>(t.payload_bytes) / static_cast<double>(t.payloads), o.reps);
    auto const walk = best_of(o, t, consumer::walk, fd);
    print("drain: ring walk only (baseline floor)", walk);
    auto const dnull = best_of(o, t, consumer::decode_null, fd);
    print("drain: tap decode -> null sink", dnull);
    auto const files = best_of(o, t, consumer::decode_files, fd);
    print("drain: tap -> nmsg files (target >= 2 M/s)", files);
    auto const pc = pcap_reference(o, t);
    print("pcap: tap -> nmsg files (reference)", pc);
    // The machine may be shared: wall time includes time this thread waited for a CPU, the
    // thread's CPU time (user + system, the poll() calls included) does not. The target is
    // judged on both; the per-core-second figure is the one core's capacity.
    double const files_wall = static_cast<double>(files.payloads) / files.wall_s;
    double const files_cpu = static_cast<double>(files.payloads) / files.cpu_s;
    std::printf("%-40s %6.2fx the ring-walk floor's cost per frame (cpu)\n", "ratio: tap -> files",
                files.cpu_s / walk.cpu_s);
    std::printf("%-40s wall %s (%.2f M/s), per core-second %s (%.2f M/s)\n",
                "target >= 2 M payloads/s", files_wall >= 2e6 ? "MET" : "NOT MET", files_wall / 1e6,
                files_cpu >= 2e6 ? "MET" : "NOT MET", files_cpu / 1e6);
    if (o.live_seconds > 0) {
        live(o, t, fd);
    }
    ::close(fd);
    return 0;
}
