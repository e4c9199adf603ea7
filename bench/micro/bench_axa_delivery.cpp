// SPDX-License-Identifier: Apache-2.0
// AXA delivery from one server thread (lib/axa/server.hpp): WHIT/s over loopback TCP and TLS to
// fast readers (a forked process, one thread per client, reading as fast as it can), and the
// server's memory per idle logged-in connection (VmRSS delta over 1 000 connections; kernel
// socket buffers are not in RSS). The producer offers ch204 dnsdedupe payloads through the
// feed ring without loss; the clock runs from the first offer until every WHIT is written.
//
//   bench_axa_delivery [PAYLOADS] [CLIENTS]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "axa/message.hpp"
#include "axa/server.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"

using namespace siehub::axa;
namespace nmsg = siehub::nmsg;
using namespace std::chrono_literals;

namespace {

std::pair<std::string, std::string> make_cert(const std::string& dir)
{
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME* n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("bench"), -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_sign(x, key, EVP_sha256());
    std::string const c = dir + "/cert.pem", k = dir + "/key.pem";
    FILE* f = std::fopen(c.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(k.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
    return {c, k};
}

std::vector<std::uint8_t> payload()
{
    static const std::uint8_t owner[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
    static const std::uint8_t zone[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
    static const std::uint8_t a1[] = {192, 0, 2, 1}, a2[] = {192, 0, 2, 2}, rip[] = {192, 0, 2, 53};
    std::array<siehub::core::byte_view, 2> rd{siehub::core::byte_view(a1, 4), siehub::core::byte_view(a2, 4)};
    nmsg::dnsdedupe_fields f;
    f.type = 0;
    f.count = 1;
    f.time_first = 1700000000;
    f.time_last = 1700000000;
    f.response_ip = siehub::core::byte_view(rip, 4);
    f.bailiwick = siehub::core::byte_view(zone, sizeof zone);
    f.rrname = siehub::core::byte_view(owner, sizeof owner);
    f.rrclass = 1;
    f.rrtype = 1;
    f.rrttl = 300;
    f.rdata = rd;
    std::vector<std::uint8_t> v(512);
    siehub::core::out_buffer vo({v.data(), v.size()});
    nmsg::encode(vo, f);
    v.resize(vo.size());
    nmsg::payload_header h;
    h.vid = 2;
    h.msgtype = 1;
    h.time_sec = 1700000000;
    std::vector<std::uint8_t> p(1024);
    siehub::core::out_buffer po({p.data(), p.size()});
    nmsg::write_payload(po, h, siehub::core::byte_view(v.data(), v.size()));
    p.resize(po.size());
    return p;
}

std::size_t rss_kib()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoul(line.substr(6));
        }
    }
    return 0;
}

// ---- the client side (in the forked child) -------------------------------------------------

struct conn {
    int fd = -1;
    SSL* ssl = nullptr;
    bool write_all(const std::uint8_t* p, std::size_t n)
    {
        if (ssl != nullptr) {
            return SSL_write(ssl, p, static_cast<int>(n)) == static_cast<int>(n);
        }
        while (n > 0) {
            auto const w = ::send(fd, p, n, MSG_NOSIGNAL);
            if (w <= 0) {
                return false;
            }
            p += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    }
    long read_some(std::uint8_t* b, std::size_t n)
    {
        return ssl != nullptr ? SSL_read(ssl, b, static_cast<int>(n)) : ::recv(fd, b, n, 0);
    }
};

conn open_conn(std::uint16_t port, SSL_CTX* ctx, const char* user)
{
    conn c;
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::perror("connect");
        std::_Exit(2);
    }
    if (ctx != nullptr) {
        c.ssl = SSL_new(ctx);
        SSL_set_fd(c.ssl, c.fd);
        if (SSL_connect(c.ssl) != 1) {
            std::fprintf(stderr, "TLS connect failed\n");
            std::_Exit(2);
        }
    }
    std::vector<std::uint8_t> b(512);
    siehub::core::out_buffer o({b.data(), b.size()});
    write_user(o, 0, 1, user);
    std::array<std::uint8_t, 8> w{};
    siehub::core::out_buffer wo({w.data(), w.size()});
    std::array<std::uint8_t, 2> ch{204, 0};
    write_watch(wo, watch_type::ch, 0, 0, {ch.data(), 2});
    write_watch_msg(o, 1, 2, wo.written());
    write_channel(o, 0, 2, 204, true);
    c.write_all(b.data(), o.size());
    return c;
}

// Child: `clients` readers; reports ready on `ready_fd`, reads until EOF.
[[noreturn]] void run_readers(std::uint16_t port, bool tls, int clients, int ready_fd)
{
    SSL_CTX* ctx = nullptr;
    if (tls) {
        ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    }
    std::vector<std::thread> ts;
    for (int i = 0; i < clients; ++i) {
        ts.emplace_back([&] {
            conn c = open_conn(port, ctx, tls ? "BENCHKEY" : "bench");
            char r = 1;
            [[maybe_unused]] auto w = ::write(ready_fd, &r, 1);
            std::vector<std::uint8_t> buf(1 << 20);
            while (c.read_some(buf.data(), buf.size()) > 0) {
            }
        });
    }
    for (auto& t : ts) {
        t.join();
    }
    std::_Exit(0);
}

// Child: `n` idle connections; reports ready once all are open, waits for the parent to close.
[[noreturn]] void run_idle(std::uint16_t port, bool tls, int n, int ready_fd)
{
    SSL_CTX* ctx = nullptr;
    if (tls) {
        ctx = SSL_CTX_new(TLS_client_method());
    }
    std::vector<conn> cs;
    for (int i = 0; i < n; ++i) {
        cs.push_back(open_conn(port, ctx, tls ? "BENCHKEY" : "bench"));
    }
    char r = 1;
    [[maybe_unused]] auto w = ::write(ready_fd, &r, 1);
    std::uint8_t buf[4096];
    for (auto& c : cs) {
        while (c.read_some(buf, sizeof buf) > 0) {
        }
    }
    std::_Exit(0);
}

struct bench_server {
    std::unique_ptr<server> srv;
    std::uint16_t tcp = 0, tls = 0;

    explicit bench_server(const std::string& dir)
    {
        server_config cfg;
        cfg.channels = {{204, "vlan204"}};
        std::string err;
        cfg.listeners.push_back(*parse_listen("tcp:127.0.0.1,0", err));
        cfg.listeners.push_back(*parse_listen("apikey:127.0.0.1,0", err));
        auto [c, k] = make_cert(dir);
        cfg.cert_file = c;
        cfg.key_file = k;
        cfg.max_clients = 5000;
        srv = std::make_unique<server>(cfg);
        auto acc = parse_accounts("user bench 204\napikey BENCHKEY 204\n", "bench").accounts;
        if (!srv->start(err, &acc)) {
            std::fprintf(stderr, "start: %s\n", err.c_str());
            std::exit(1);
        }
        for (const auto& l : srv->listeners()) {
            (l.kind == listen_kind::tcp ? tcp : this->tls) = l.port;
        }
    }
};

void wait_ready(int fd, int n)
{
    for (int i = 0; i < n; ++i) {
        char c;
        if (::read(fd, &c, 1) != 1) {
            std::fprintf(stderr, "a client failed\n");
            std::exit(1);
        }
    }
}

double delivery(bool tls, std::size_t payloads, int clients, const std::string& dir)
{
    bench_server b(dir);
    int pfd[2];
    if (::pipe(pfd) != 0) {
        std::exit(1);
    }
    pid_t const child = ::fork();
    if (child == 0) {
        ::close(pfd[0]);
        run_readers(tls ? b.tls : b.tcp, tls, clients, pfd[1]);
    }
    ::close(pfd[1]);
    std::atomic<bool> stop{false};
    std::thread loop([&] {
        while (!stop.load()) {
            b.srv->poll(5);
        }
    });
    wait_ready(pfd[0], clients);
    while (b.srv->counters().get(server_counter::logins) < static_cast<std::uint64_t>(clients)) {
        std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(50ms); // the CHANNEL requests behind the logins
    auto const p = payload();
    auto const want = payloads * static_cast<std::size_t>(clients);
    auto const t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < payloads; ++i) {
        while (!b.srv->offer(204, {p.data(), p.size()}, payload_kind::decoded, false)) {
            std::this_thread::yield();
        }
    }
    // Counters are read racily from this thread: fine for a progress check.
    while (b.srv->counters().get(server_counter::whit_sent) +
               b.srv->counters().get(server_counter::hits_dropped_queue) < want) {
        std::this_thread::sleep_for(200us);
    }
    auto const t1 = std::chrono::steady_clock::now();
    stop.store(true);
    b.srv->request_stop();
    loop.join();
    auto const sent = b.srv->counters().get(server_counter::whit_sent);
    auto const dropped = b.srv->counters().get(server_counter::hits_dropped_queue);
    b.srv.reset(); // closes the connections: the readers see EOF
    ::waitpid(child, nullptr, 0);
    ::close(pfd[0]);
    double const s = std::chrono::duration<double>(t1 - t0).count();
    double const rate = static_cast<double>(sent) / s;
    std::printf("%-5s %d readers x %zu payloads: %zu WHIT sent, %zu dropped (queue full), %.3f s, "
                "%.0f WHIT/s (%.1f MB/s of WHIT bytes)\n",
                tls ? "TLS" : "TCP", clients, payloads, static_cast<std::size_t>(sent),
                static_cast<std::size_t>(dropped), s, rate,
                rate * static_cast<double>(header_len + whit_nmsg_hdr_len + 10 + 3 + p.size() + 6) / 1e6);
    return rate;
}

double idle_memory(bool tls, int n, const std::string& dir)
{
    bench_server b(dir);
    int pfd[2];
    if (::pipe(pfd) != 0) {
        std::exit(1);
    }
    pid_t const child = ::fork();
    if (child == 0) {
        ::close(pfd[0]);
        run_idle(tls ? b.tls : b.tcp, tls, n, pfd[1]);
    }
    ::close(pfd[1]);
    std::atomic<bool> stop{false};
    // Warm-up: the server's fixed buffers and the first generation exist before the baseline.
    b.srv->poll(0);
    auto const rss0 = rss_kib();
    std::thread loop([&] {
        while (!stop.load()) {
            b.srv->poll(5);
        }
    });
    wait_ready(pfd[0], 1);
    while (b.srv->counters().get(server_counter::logins) < static_cast<std::uint64_t>(n)) {
        std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(300ms);
    auto const rss1 = rss_kib();
    stop.store(true);
    b.srv->request_stop();
    loop.join();
    b.srv.reset();
    ::waitpid(child, nullptr, 0);
    ::close(pfd[0]);
    double const per = static_cast<double>(rss1 - rss0) / n;
    std::printf("%-5s %d idle logged-in connections: server RSS %zu -> %zu KiB, %.1f KiB per connection\n",
                tls ? "TLS" : "TCP", n, rss0, rss1, per);
    return per;
}

} // namespace

int main(int argc, char** argv)
{
    std::size_t const payloads = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
    int const clients = argc > 2 ? std::atoi(argv[2]) : 4;
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    char tmpl[] = "/tmp/axa-bench-XXXXXX";
    std::string const dir = ::mkdtemp(tmpl);
    std::printf("cores: %u (server: 1 thread; producer: 1 thread; readers: a forked process)\n",
                std::thread::hardware_concurrency());
    double const tcp = delivery(false, payloads, clients, dir);
    double const tls = delivery(true, payloads / 2, clients, dir);
    double const m_tcp = idle_memory(false, 1000, dir);
    double const m_tls = idle_memory(true, 1000, dir);
    std::printf("targets: TCP >= 1 M WHIT/s: %s; TLS >= 300 k WHIT/s: %s; idle <= 64 KiB: TCP %s, TLS %s\n",
                tcp >= 1e6 ? "met" : "NOT met", tls >= 3e5 ? "met" : "NOT met",
                m_tcp <= 64 ? "met" : "NOT met", m_tls <= 64 ? "met" : "NOT met");
    return 0;
}
