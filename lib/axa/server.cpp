// SPDX-License-Identifier: Apache-2.0
#include "axa/server.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <type_traits>
#include <ctime>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "axa/message.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/crc32c.hpp"

namespace siehub::axa {

using namespace std::chrono_literals;

namespace {
constexpr std::size_t flush_watermark = 32 * 1024;
} // namespace

// ---- listen specs -----------------------------------------------------------------------------

bool cidr::contains(std::uint8_t fam, const std::uint8_t* a) const noexcept
{
    if (fam != family) {
        return false;
    }
    unsigned const full = len / 8u;
    if (std::memcmp(a, addr.data(), full) != 0) {
        return false;
    }
    unsigned const rest = len % 8u;
    if (rest == 0) {
        return true;
    }
    auto const m = static_cast<std::uint8_t>(0xff00u >> rest);
    return (a[full] & m) == (addr[full] & m);
}

std::optional<cidr> parse_cidr(std::string_view text)
{
    cidr c;
    std::string addr(text);
    int len = -1;
    if (auto const s = text.find('/'); s != std::string_view::npos) {
        addr = std::string(text.substr(0, s));
        auto const l = text.substr(s + 1);
        unsigned v = 0;
        auto const r = std::from_chars(l.data(), l.data() + l.size(), v);
        if (r.ec != std::errc{} || r.ptr != l.data() + l.size()) {
            return std::nullopt;
        }
        len = static_cast<int>(v);
    }
    if (::inet_pton(AF_INET, addr.c_str(), c.addr.data()) == 1) {
        c.family = 4;
        len = len < 0 ? 32 : len;
        if (len > 32) {
            return std::nullopt;
        }
    } else if (::inet_pton(AF_INET6, addr.c_str(), c.addr.data()) == 1) {
        c.family = 6;
        len = len < 0 ? 128 : len;
        if (len > 128) {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    c.len = static_cast<std::uint8_t>(len);
    return c;
}

std::optional<listen_spec> parse_listen(std::string_view text, std::string& err)
{
    listen_spec l;
    l.text = std::string(text);
    std::string_view main = text;
    std::string_view opts;
    if (auto const semi = text.find(';'); semi != std::string_view::npos) {
        main = text.substr(0, semi);
        opts = text.substr(semi + 1);
    }
    auto const colon = main.find(':');
    if (colon == std::string_view::npos) {
        err = "listen `" + l.text + "`: expected tcp:HOST,PORT, unix:PATH or apikey:HOST,PORT";
        return std::nullopt;
    }
    std::string kind(main.substr(0, colon));
    std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
    std::string_view rest = main.substr(colon + 1);
    if (kind == "unix") {
        l.kind = listen_kind::unix_path;
        if (rest.empty() || rest.size() >= sizeof(sockaddr_un{}.sun_path)) {
            err = "listen `" + l.text + "`: bad UNIX socket path";
            return std::nullopt;
        }
        l.path = std::string(rest);
    } else if (kind == "tcp" || kind == "apikey") {
        l.kind = kind == "tcp" ? listen_kind::tcp : listen_kind::apikey;
        auto sep = rest.rfind(',');
        if (sep == std::string_view::npos) {
            sep = rest.rfind('/');
        }
        if (sep == std::string_view::npos) {
            err = "listen `" + l.text + "`: expected HOST,PORT";
            return std::nullopt;
        }
        l.host = std::string(rest.substr(0, sep));
        auto const p = rest.substr(sep + 1);
        unsigned v = 0;
        auto const r = std::from_chars(p.data(), p.data() + p.size(), v);
        if (r.ec != std::errc{} || r.ptr != p.data() + p.size() || v > 65535) {
            err = "listen `" + l.text + "`: bad port";
            return std::nullopt;
        }
        l.port = static_cast<std::uint16_t>(v);
        if (l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']') {
            l.host = l.host.substr(1, l.host.size() - 2);
        }
    } else {
        err = "listen `" + l.text + "`: unknown transport `" + kind + "` (tcp, unix, apikey)";
        return std::nullopt;
    }
    while (!opts.empty()) {
        auto const semi = opts.find(';');
        auto const opt = opts.substr(0, semi);
        opts = semi == std::string_view::npos ? std::string_view{} : opts.substr(semi + 1);
        if (opt.rfind("allow=", 0) != 0) {
            err = "listen `" + l.text + "`: unknown option `" + std::string(opt) + "` (allow=CIDR,...)";
            return std::nullopt;
        }
        std::string_view list = opt.substr(6);
        while (!list.empty()) {
            auto const comma = list.find(',');
            auto const item = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            auto c = parse_cidr(item);
            if (!c) {
                err = "listen `" + l.text + "`: bad CIDR `" + std::string(item) + "`";
                return std::nullopt;
            }
            l.allow.push_back(*c);
        }
    }
    return l;
}

// ---- state ----------------------------------------------------------------------------------

struct server::listener {
    listen_spec spec;
    int fd = -1;
    std::uint16_t port = 0;
};

struct server::client {
    int fd = -1;
    std::uint32_t slot = 0;
    listener* from = nullptr;
    SSL* ssl = nullptr;
    bool handshaking = false;
    bool want_out = false; // EPOLLOUT registered
    bool tls_wants_write = false;
    bool closing = false;
    std::chrono::nanoseconds accepted{0};
    std::shared_ptr<const directory> dir;
    std::unique_ptr<session> s;
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> out;
    std::size_t out_head = 0;
    std::uint64_t queued_total = 0;  // bytes ever appended
    std::uint64_t written_total = 0; // bytes ever written
    std::deque<std::uint64_t> whit_ends; // queued_total at the end of each queued WHIT
    // Delivery state.
    std::chrono::nanoseconds rate_window{0};
    std::uint64_t rate_count = 0;
    std::uint64_t sample_acc = 0;
    bool was_authorized = false;
    // The first generation serial built with this client's current session, watches and
    // channels: hits matched (elsewhere) against an older one are stale.
    std::uint64_t watch_serial = 0;

    [[nodiscard]] std::size_t pending() const noexcept { return out.size() - out_head; }
};

namespace {

void close_fd(int& fd) noexcept
{
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

bool set_nonblock(int fd) noexcept
{
    int const fl = ::fcntl(fd, F_GETFL, 0);
    return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

std::string ssl_error_text()
{
    char buf[256];
    unsigned long const e = ERR_get_error();
    if (e == 0) {
        return "unknown TLS error";
    }
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

} // namespace

server::server(server_config cfg)
    : cfg_(std::move(cfg)), ring_(cfg_.feed_ring_bytes),
      loss_by_ch_(new std::atomic<std::uint64_t>[ch_max + 1]), loss_seen_(ch_max + 1, 0)
{
    for (std::size_t i = 0; i <= ch_max; ++i) {
        loss_by_ch_[i].store(0, std::memory_order_relaxed);
    }
    read_buf_.resize(256 * 1024);
    reply_buf_.resize(256 * 1024);
    unit_buf_.resize(max_body_len + 64);
}

server::~server()
{
    for (auto& c : clients_) {
        if (c) {
            close_client(*c, server_counter::closed_shutdown);
        }
    }
    for (auto& l : listeners_) {
        if (l->spec.kind == listen_kind::unix_path && l->fd >= 0) {
            ::unlink(l->spec.path.c_str());
        }
        close_fd(l->fd);
    }
    close_fd(wake_fd_);
    close_fd(epfd_);
    if (tls_ != nullptr) {
        SSL_CTX_free(tls_);
    }
}

std::chrono::nanoseconds server::now() const noexcept
{
    return std::chrono::steady_clock::now().time_since_epoch();
}

std::uint32_t server::wall() const noexcept
{
    return static_cast<std::uint32_t>(std::time(nullptr));
}

bool server::start(std::string& err, const std::vector<account_entry>* accounts)
{
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wake_fd_ < 0 || ring_.event_fd() < 0) {
        err = std::string("epoll/eventfd: ") + std::strerror(errno);
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0; // wake
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    ev.data.u64 = 1; // feed ring
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, ring_.event_fd(), &ev);

    if (accounts != nullptr) {
        dirs_ = build_directories(*accounts, cfg_.channels);
    } else if (!cfg_.accounts_file.empty()) {
        auto const r = load_accounts(cfg_.accounts_file);
        if (!r.ok()) {
            err = r.error;
            return false;
        }
        dirs_ = build_directories(r.accounts, cfg_.channels);
    } else {
        dirs_ = build_directories({}, cfg_.channels);
    }

    bool const need_tls = std::any_of(cfg_.listeners.begin(), cfg_.listeners.end(),
                                      [](const auto& l) { return l.kind == listen_kind::apikey; });
    if (need_tls) {
        if (cfg_.cert_file.empty() || cfg_.key_file.empty()) {
            err = "an apikey listener needs a certificate and a key (--sra-cert, --sra-key)";
            return false;
        }
        tls_ = SSL_CTX_new(TLS_server_method());
        if (tls_ == nullptr) {
            err = ssl_error_text();
            return false;
        }
        // spec/axa.md §1.1: TLS 1.2 (ECDHE-RSA-AES256-GCM-SHA384 with an RSA certificate) and
        // TLS 1.3; P-256 is the only group the 3.0.2 client offers.
        SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(tls_, "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
                                      "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-CHACHA20-POLY1305");
        SSL_CTX_set1_groups_list(tls_, "X25519:P-256:P-384");
        SSL_CTX_set_options(tls_, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                                      SSL_OP_CIPHER_SERVER_PREFERENCE);
        SSL_CTX_set_num_tickets(tls_, 0);
        SSL_CTX_set_session_cache_mode(tls_, SSL_SESS_CACHE_OFF);
        // Idle connections give their record buffers back (memory per idle connection).
        SSL_CTX_set_mode(tls_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                   SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (SSL_CTX_use_certificate_chain_file(tls_, cfg_.cert_file.c_str()) != 1) {
            err = cfg_.cert_file + ": " + ssl_error_text();
            return false;
        }
        if (SSL_CTX_use_PrivateKey_file(tls_, cfg_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
            err = cfg_.key_file + ": " + ssl_error_text(); // the error text never holds the key
            return false;
        }
        if (SSL_CTX_check_private_key(tls_) != 1) {
            err = "the key does not belong to the certificate";
            return false;
        }
    }

    for (const auto& spec : cfg_.listeners) {
        auto l = std::make_unique<listener>();
        l->spec = spec;
        if (spec.kind == listen_kind::unix_path) {
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::memcpy(sa.sun_path, spec.path.data(), spec.path.size());
            l->fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            ::unlink(spec.path.c_str());
            if (l->fd < 0 || ::bind(l->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
                err = "listen " + spec.text + ": " + std::strerror(errno);
                return false;
            }
        } else {
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
            addrinfo* res = nullptr;
            std::string const port = std::to_string(spec.port);
            const char* host = spec.host.empty() || spec.host == "*" ? nullptr : spec.host.c_str();
            if (int const rc = ::getaddrinfo(host, port.c_str(), &hints, &res); rc != 0) {
                err = "listen " + spec.text + ": " + ::gai_strerror(rc);
                return false;
            }
            l->fd = ::socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            int one = 1;
            if (l->fd >= 0) {
                ::setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            }
            bool const ok = l->fd >= 0 && ::bind(l->fd, res->ai_addr, res->ai_addrlen) == 0;
            ::freeaddrinfo(res);
            if (!ok) {
                err = "listen " + spec.text + ": " + std::strerror(errno);
                return false;
            }
            sockaddr_storage ss{};
            socklen_t sl = sizeof ss;
            ::getsockname(l->fd, reinterpret_cast<sockaddr*>(&ss), &sl);
            l->port = ss.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                          : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        }
        if (::listen(l->fd, cfg_.listen_backlog) != 0) {
            err = "listen " + spec.text + ": " + std::strerror(errno);
            return false;
        }
        epoll_event lev{};
        lev.events = EPOLLIN;
        lev.data.u64 = 2 + listeners_.size(); // 2.. listeners; clients are pointers (>= 4096)
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, l->fd, &lev);
        listeners_.push_back(std::move(l));
    }
    last_tick_ = now();
    return true;
}

std::vector<bound_listener> server::listeners() const
{
    std::vector<bound_listener> out;
    for (const auto& l : listeners_) {
        out.push_back({l->spec.kind, l->spec.text, l->port, l->spec.path});
    }
    return out;
}

void server::request_stop() noexcept
{
    stop_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
}

void server::request_reload() noexcept
{
    reload_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
}

bool server::offer(std::uint16_t ch, core::byte_view payload, payload_kind kind,
                   bool count_loss) noexcept
{
    if (ring_.push(ch, static_cast<std::uint8_t>(kind), payload)) {
        return true;
    }
    if (count_loss) {
        counters_ring_full_.fetch_add(1, std::memory_order_relaxed);
        note_input_loss(ch, 1);
    }
    return false;
}

void server::note_input_loss(std::uint16_t ch, std::uint64_t n) noexcept
{
    if (ch > ch_max || n == 0) {
        return;
    }
    loss_by_ch_[ch].fetch_add(n, std::memory_order_relaxed);
    loss_total_.fetch_add(n, std::memory_order_release);
}

bool server::idle() const noexcept
{
    if (!ring_.empty()) {
        return false;
    }
    for (const auto& c : clients_) {
        if (c && c->pending() != 0) {
            return false;
        }
    }
    return true;
}

void server::run()
{
    while (!stop_.load()) {
        poll(200);
    }
    for (auto& c : clients_) {
        if (c) {
            flush(*c);
            if (c) {
                close_client(*c, server_counter::closed_shutdown);
            }
        }
    }
    graveyard_.clear();
}

void server::poll(int timeout_ms)
{
    if (!ring_.prepare_sleep()) {
        timeout_ms = 0;
    }
    std::array<epoll_event, 256> evs;
    int const n = ::epoll_wait(epfd_, evs.data(), static_cast<int>(evs.size()), timeout_ms);
    ring_.awake();
    for (int i = 0; i < n; ++i) {
        auto const tag = evs[static_cast<std::size_t>(i)].data.u64;
        if (tag == 0) {
            std::uint64_t v;
            [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
        } else if (tag == 1) {
            // The ring is drained below.
        } else if (tag < 2 + listeners_.size()) {
            accept_on(*listeners_[tag - 2]);
        } else {
            auto* c = reinterpret_cast<client*>(tag);
            on_client_event(*c, evs[static_cast<std::size_t>(i)].events);
        }
    }
    if (reload_.exchange(false)) {
        do_reload_file();
    }
    charge_input_loss();
    drain_feed();
    if (now() - last_tick_ >= 200ms) {
        last_tick_ = now();
        tick_all();
    }
    // Write out what this turn queued (clients with pending output and no EPOLLOUT yet).
    for (auto& c : clients_) {
        if (c && c->pending() != 0 && !c->want_out && !c->handshaking) {
            flush(*c);
        }
    }
    for (auto& g : graveyard_) {
        free_slots_.push_back(g->slot);
    }
    graveyard_.clear();
}

// ---- connections ----------------------------------------------------------------------------

void server::accept_on(listener& l)
{
    for (int k = 0; k < 64; ++k) {
        sockaddr_storage ss{};
        socklen_t sl = sizeof ss;
        int const fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &sl,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                counters_.add(server_counter::accept_errors);
            }
            return;
        }
        counters_.add(server_counter::accepted);
        if (!l.spec.allow.empty()) {
            bool ok = false;
            for (const auto& c : l.spec.allow) {
                if (ss.ss_family == AF_INET) {
                    auto const* a = reinterpret_cast<sockaddr_in*>(&ss);
                    ok |= c.contains(4, reinterpret_cast<const std::uint8_t*>(&a->sin_addr));
                } else if (ss.ss_family == AF_INET6) {
                    auto const* a = reinterpret_cast<sockaddr_in6*>(&ss);
                    auto const* b = reinterpret_cast<const std::uint8_t*>(&a->sin6_addr);
                    ok |= c.contains(6, b);
                    // IPv4-mapped peers on a dual-stack socket match IPv4 entries.
                    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
                    if (std::memcmp(b, mapped, 12) == 0) {
                        ok |= c.contains(4, b + 12);
                    }
                }
            }
            if (!ok) {
                counters_.add(server_counter::refused_acl);
                ::close(fd);
                continue;
            }
        }
        if (live_clients_ >= cfg_.max_clients) {
            counters_.add(server_counter::refused_full);
            ::close(fd);
            continue;
        }
        if (l.spec.kind != listen_kind::unix_path) {
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        }
        std::uint32_t slot;
        if (!free_slots_.empty()) {
            slot = free_slots_.back();
            free_slots_.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(clients_.size());
            clients_.emplace_back();
        }
        auto c = std::make_unique<client>();
        c->fd = fd;
        c->slot = slot;
        c->from = &l;
        c->accepted = now();
        c->dir = l.spec.kind == listen_kind::apikey ? dirs_.apikeys : dirs_.users;
        c->s = std::make_unique<session>(cfg_.session, *c->dir, next_id_++);
        client& cr = *c;
        clients_[slot] = std::move(c);
        ++live_clients_;
        mark_changed(cr);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = reinterpret_cast<std::uint64_t>(&cr);
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
        if (l.spec.kind == listen_kind::apikey) {
            cr.ssl = SSL_new(tls_);
            if (cr.ssl == nullptr || SSL_set_fd(cr.ssl, fd) != 1) {
                close_client(cr, server_counter::tls_handshake_failed);
                continue;
            }
            SSL_set_accept_state(cr.ssl);
            cr.handshaking = true;
            handshake(cr);
        } else {
            out_buffer o(reply_buf_);
            apply_step(cr, cr.s->start(now(), wall(), o));
            append(cr, o.written());
            flush(cr);
        }
    }
}

bool server::handshake(client& c)
{
    ERR_clear_error();
    int const r = SSL_do_handshake(c.ssl);
    if (r == 1) {
        c.handshaking = false;
        counters_.add(server_counter::tls_handshakes);
        out_buffer o(reply_buf_);
        apply_step(c, c.s->start(now(), wall(), o));
        append(c, o.written());
        flush(c);
        return true;
    }
    int const e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c.tls_wants_write = e == SSL_ERROR_WANT_WRITE;
        update_interest(c);
        return false;
    }
    ERR_clear_error();
    close_client(c, server_counter::tls_handshake_failed);
    return false;
}

void server::close_client(client& c, server_counter why)
{
    if (c.fd < 0) {
        return;
    }
    counters_.add(why);
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
    if (c.ssl != nullptr) {
        SSL_free(c.ssl);
        c.ssl = nullptr;
    }
    close_fd(c.fd);
    --live_clients_;
    dirty_ = true;
    // Destroyed at the end of the loop turn: callers up the stack and events already fetched
    // for this client still hold references (they see fd < 0).
    graveyard_.push_back(std::move(clients_[c.slot]));
}

void server::update_interest(client& c)
{
    bool const want = c.pending() != 0 || c.tls_wants_write;
    if (want == c.want_out) {
        return;
    }
    c.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
    ev.data.u64 = reinterpret_cast<std::uint64_t>(&c);
    ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void server::append(client& c, core::byte_view b)
{
    if (b.empty()) {
        return;
    }
    if (c.out_head == c.out.size()) {
        c.out.clear();
        c.out_head = 0;
    } else if (c.out_head > 65536 && c.out_head * 2 > c.out.size()) {
        c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_head));
        c.out_head = 0;
    }
    c.out.insert(c.out.end(), b.begin(), b.end());
    c.queued_total += b.size();
}

void server::flush(client& c)
{
    if (c.fd < 0 || c.handshaking) {
        return;
    }
    c.tls_wants_write = false;
    while (c.pending() != 0) {
        std::size_t const n = std::min<std::size_t>(c.pending(), c.ssl ? 16384 : 1u << 20);
        const auto* p = c.out.data() + c.out_head;
        ssize_t w;
        if (c.ssl != nullptr) {
            ERR_clear_error();
            int const r = SSL_write(c.ssl, p, static_cast<int>(n));
            if (r <= 0) {
                int const e = SSL_get_error(c.ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    c.tls_wants_write = e == SSL_ERROR_WANT_WRITE;
                    break;
                }
                ERR_clear_error();
                close_client(c, server_counter::tls_errors);
                return;
            }
            w = r;
        } else {
            w = ::send(c.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    break;
                }
                close_client(c, errno == EPIPE || errno == ECONNRESET
                                    ? server_counter::closed_eof
                                    : server_counter::closed_socket_error);
                return;
            }
        }
        c.out_head += static_cast<std::size_t>(w);
        c.written_total += static_cast<std::uint64_t>(w);
        counters_.add(server_counter::bytes_out, static_cast<std::uint64_t>(w));
        while (!c.whit_ends.empty() && c.whit_ends.front() <= c.written_total) {
            c.whit_ends.pop_front();
            c.s->counters().sent += 1;
            counters_.add(server_counter::whit_sent);
        }
    }
    if (c.pending() == 0) {
        c.out.clear();
        c.out_head = 0;
        if (c.out.capacity() > 65536) {
            c.out.shrink_to_fit(); // an idle client holds no big buffer
        }
        if (c.whit_ends.empty()) {
            std::deque<std::uint64_t>().swap(c.whit_ends);
        }
    }
    c.s->note_output(now());
    if (c.closing && c.pending() == 0) {
        close_client(c, server_counter::closed_protocol);
        return;
    }
    update_interest(c);
}

bool server::read_some(client& c)
{
    // Returns false when the client was closed.
    for (int k = 0; k < 4; ++k) {
        ssize_t r;
        if (c.ssl != nullptr) {
            ERR_clear_error();
            int const n = SSL_read(c.ssl, read_buf_.data(), static_cast<int>(read_buf_.size()));
            if (n <= 0) {
                int const e = SSL_get_error(c.ssl, n);
                if (e == SSL_ERROR_WANT_READ) {
                    return true;
                }
                if (e == SSL_ERROR_WANT_WRITE) {
                    c.tls_wants_write = true;
                    update_interest(c);
                    return true;
                }
                ERR_clear_error();
                // The client closes without close_notify (spec §1.1): EOF is a normal end.
                close_client(c, e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL
                                    ? server_counter::closed_eof
                                    : server_counter::tls_errors);
                return false;
            }
            r = n;
        } else {
            r = ::recv(c.fd, read_buf_.data(), read_buf_.size(), MSG_DONTWAIT);
            if (r == 0) {
                close_client(c, server_counter::closed_eof);
                return false;
            }
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    return true;
                }
                close_client(c, errno == ECONNRESET ? server_counter::closed_eof
                                                    : server_counter::closed_socket_error);
                return false;
            }
        }
        c.in.insert(c.in.end(), read_buf_.data(), read_buf_.data() + r);
        serve_input(c);
        if (c.fd < 0 || c.closing) {
            return c.fd >= 0;
        }
        if (static_cast<std::size_t>(r) < read_buf_.size() && c.ssl == nullptr) {
            return true;
        }
        // Back-pressure: a client that does not read its replies is not read either.
        if (c.pending() > cfg_.client_queue_bytes) {
            return true;
        }
    }
    return true;
}

void server::serve_input(client& c)
{
    std::size_t pos = 0;
    while (!c.closing && pos < c.in.size()) {
        if (reply_buf_.size() < c.s->reply_reserve() + 4096) {
            reply_buf_.resize(c.s->reply_reserve() + 4096);
        }
        c.s->set_rate_current(c.rate_count);
        out_buffer o(reply_buf_);
        std::size_t used = 0;
        auto const st = c.s->feed(core::byte_view(c.in).subspan(pos), now(), o, used);
        pos += used;
        append(c, o.written());
        apply_step(c, st);
        if (c.fd < 0) {
            return;
        }
        if (used == 0) {
            break; // an incomplete message: wait for more bytes
        }
    }
    if (c.fd < 0) {
        return;
    }
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(pos));
    if (c.in.empty() && c.in.capacity() > 4096) {
        std::vector<std::uint8_t>().swap(c.in);
    }
    if (c.pending() > 2 * cfg_.client_queue_bytes) {
        close_client(c, server_counter::closed_stalled);
    }
}

void server::apply_step(client& c, const step& s)
{
    if (s.reason != errc::ok) {
        errors_.add(to_counter(s.reason));
    }
    if (s.changed & (changed_watches | changed_channels | changed_login)) {
        mark_changed(c);
    }
    if ((s.changed & changed_login) && !c.was_authorized && c.s->authorized()) {
        c.was_authorized = true;
        counters_.add(server_counter::logins);
    }
    if ((s.changed & changed_options) && c.fd >= 0) {
        int const b = static_cast<int>(c.s->sndbuf());
        ::setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof b);
    }
    if (s.closing()) {
        // The ERROR is queued; close once it is written (or at the next tick at the latest).
        c.closing = true;
        dirty_ = true;
    }
}

void server::on_client_event(client& c, std::uint32_t events)
{
    if (c.fd < 0) {
        return; // closed earlier in this turn
    }
    if (c.handshaking) {
        if (events & (EPOLLERR | EPOLLHUP)) {
            close_client(c, server_counter::tls_handshake_failed);
            return;
        }
        handshake(c);
        return;
    }
    if (events & EPOLLERR) {
        close_client(c, server_counter::closed_socket_error);
        return;
    }
    if ((events & EPOLLOUT) || c.tls_wants_write) {
        flush(c);
        if (c.fd < 0) {
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
        if (c.closing) {
            // Nothing more is read from a session that is being closed.
            char sink[4096];
            if (::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT) == 0) {
                close_client(c, server_counter::closed_eof);
            }
            return;
        }
        if (!read_some(c)) {
            return;
        }
        flush(c);
    }
}

void server::tick_all()
{
    auto const t = now();
    auto const w = wall();
    for (auto& cp : clients_) {
        if (!cp) {
            continue;
        }
        client& c = *cp;
        if (c.handshaking) {
            if (t - c.accepted >= cfg_.tls_handshake_timeout) {
                close_client(c, server_counter::tls_handshake_timeout);
            }
            continue;
        }
        if (c.closing) {
            // The ERROR had a tick to leave; a client that does not read it is dropped.
            close_client(c, server_counter::closed_protocol);
            continue;
        }
        if (t - c.rate_window >= 1s) {
            c.rate_window = t;
            c.rate_count = 0;
        }
        c.s->set_rate_current(c.rate_count);
        out_buffer o(reply_buf_);
        auto const st = c.s->tick(t, w, o);
        append(c, o.written());
        apply_step(c, st);
        if (c.pending() != 0 && !c.want_out) {
            flush(c);
        }
    }
}

// ---- accounts -------------------------------------------------------------------------------

void server::reload(const std::vector<account_entry>& accounts)
{
    auto const d = build_directories(accounts, cfg_.channels);
    dirs_ = d;
    counters_.add(server_counter::reloads);
    for (auto& cp : clients_) {
        if (!cp) {
            continue;
        }
        client& c = *cp;
        auto nd = c.from->spec.kind == listen_kind::apikey ? d.apikeys : d.users;
        bool const keep = c.s->rebind(*nd);
        c.dir = std::move(nd); // the old directory dies after the rebind
        mark_changed(c);       // its channels may have shrunk
        if (!keep) {
            close_client(c, server_counter::closed_reload);
        }
    }
    dirty_ = true;
}

void server::do_reload_file()
{
    if (cfg_.accounts_file.empty()) {
        return;
    }
    auto const r = load_accounts(cfg_.accounts_file);
    if (!r.ok()) {
        counters_.add(server_counter::reload_errors);
        return;
    }
    reload(r.accounts);
}

// ---- delivery -------------------------------------------------------------------------------

void server::mark_changed(client& c) noexcept
{
    dirty_ = true;
    c.watch_serial = gen_serial_ + 1; // the next rebuild is the first to see the change
}

generation_ref server::generation()
{
    rebuild_if_dirty();
    return {gen_, gen_serial_, gen_sessions_};
}

void server::rebuild_if_dirty()
{
    if (!dirty_) {
        return;
    }
    dirty_ = false;
    std::vector<client_watches> in;
    std::vector<std::bitset<ch_max + 1>> chans;
    chans.reserve(clients_.size());
    for (const auto& c : clients_) {
        if (!c || c->closing || !c->s->authorized()) {
            continue;
        }
        chans.emplace_back();
        for (std::uint16_t ch = 0; ch <= ch_max; ++ch) {
            if (c->s->channel_on(ch)) {
                chans.back().set(ch);
            }
        }
    }
    std::size_t k = 0;
    for (const auto& c : clients_) {
        if (!c || c->closing || !c->s->authorized()) {
            continue;
        }
        in.push_back({c->slot, c->s->watches(), &chans[k++]});
    }
    gen_sessions_.assign(clients_.size(), 0);
    for (const auto& c : clients_) {
        if (c && !c->closing && c->s->authorized()) {
            gen_sessions_[c->slot] = c->s->id();
        }
    }
    ++gen_serial_;
    gen_ = match_generation::build(in, clients_.size());
    scratch_.resize(clients_.size());
    counters_.add(server_counter::generations);
}

void server::charge_input_loss()
{
    counters_.v[static_cast<std::size_t>(server_counter::feed_ring_full)] =
        counters_ring_full_.load(std::memory_order_relaxed);
    auto const total = loss_total_.load(std::memory_order_acquire);
    if (total == loss_total_seen_) {
        return;
    }
    loss_total_seen_ = total;
    for (std::uint16_t ch = 0; ch <= ch_max; ++ch) {
        auto const v = loss_by_ch_[ch].load(std::memory_order_relaxed);
        if (v == loss_seen_[ch]) {
            continue;
        }
        auto const d = v - loss_seen_[ch];
        loss_seen_[ch] = v;
        counters_.add(server_counter::missed_reports_input, d);
        for (auto& c : clients_) {
            if (c && c->s->authorized() && c->s->channel_on(ch)) {
                c->s->counters().missed += d;
            }
        }
    }
}

void server::drain_feed()
{
    // Bounded per turn so sockets and timers keep being served under a flood.
    ring_.drain([this](std::uint16_t ch, std::uint8_t kind,
                       core::byte_view p) { publish(ch, p, static_cast<payload_kind>(kind)); },
                4096);
}

bool server::channel_wanted(std::uint16_t ch)
{
    rebuild_if_dirty();
    return ch <= ch_max && gen_->channel_wanted(ch);
}

void server::publish(std::uint16_t ch, core::byte_view payload, payload_kind kind)
{
    counters_.add(server_counter::publish_payloads);
    rebuild_if_dirty();
    if (ch > ch_max || !gen_->channel_wanted(ch)) {
        counters_.add(server_counter::publish_unwanted);
        return;
    }
    nmsg::payload_view pv(payload);
    if (!pv.ok() || payload.size() + 64 > max_body_len) {
        counters_.add(server_counter::publish_bad_payload);
        return;
    }
    keys_.clear();
    keys_.ch = ch;
    keys_.error = kind == payload_kind::decode_error;
    auto const vendor = pv.payload();
    if (gen_->needs_keys() && vendor) {
        extract_keys(pv.vid(), pv.msgtype(), *vendor, keys_);
    } else if (vendor && !keys_.error) {
        // errors watches still need to know whether the message decodes.
        payload_keys probe;
        extract_keys(pv.vid(), pv.msgtype(), *vendor, probe);
        keys_.error = probe.error;
    }
    auto const hits = gen_->match(keys_, scratch_);
    if (hits.empty()) {
        return;
    }
    counters_.add(server_counter::publish_matched);
    deliver_hits(ch, payload, pv, hits, gen_serial_);
}

void server::deliver(std::uint16_t ch, core::byte_view payload, std::uint64_t serial,
                     std::span<const session_hit> hits)
{
    counters_.add(server_counter::deliver_payloads);
    nmsg::payload_view pv(payload);
    if (!pv.ok() || payload.size() + 64 > max_body_len) {
        counters_.add(server_counter::publish_bad_payload);
        return;
    }
    deliver_hits(ch, payload, pv, hits, serial);
}

template <class Hit>
void server::deliver_hits(std::uint16_t ch, core::byte_view payload, const nmsg::payload_view& pv,
                          std::span<const Hit> hits, [[maybe_unused]] std::uint64_t serial)
{
    auto const vendor = pv.payload();
    // One complete nmsg unit with this payload alone and its CRC (spec §6), built once.
    out_buffer u(unit_buf_);
    std::uint32_t const crc = nmsg::crc32c_stored(vendor.value_or(core::byte_view{}));
    std::size_t const body = 1 + nmsg::pb_varint_size(payload.size()) + payload.size() + 1 +
                             nmsg::pb_varint_size(crc);
    nmsg::write_header(u, 0, static_cast<std::uint32_t>(body));
    nmsg::pb_put_bytes(u, 1, payload);
    nmsg::pb_put_uint(u, 2, crc);
    if (!u.ok()) {
        counters_.add(server_counter::publish_bad_payload);
        return;
    }
    core::byte_view const unit = u.written();

    whit_nmsg_fields f;
    f.ch = ch;
    f.vid = static_cast<std::uint16_t>(pv.vid());
    f.msgtype = static_cast<std::uint16_t>(pv.msgtype());
    f.tv_sec = static_cast<std::uint32_t>(pv.time_sec());
    f.tv_nsec = pv.time_nsec();
    std::size_t const whit_len = header_len + whit_nmsg_hdr_len + unit.size();
    auto const t = now();
    for (const auto& hit : hits) {
        const match_hit* hp = nullptr;
        if constexpr (std::is_same_v<Hit, session_hit>) {
            hp = &hit.hit;
        } else {
            hp = &hit;
        }
        const match_hit& h = *hp;
        client* c = h.client < clients_.size() ? clients_[h.client].get() : nullptr;
        if constexpr (std::is_same_v<Hit, session_hit>) {
            // Matched on a worker: the session at this index must be the one the generation
            // was built for, with the watches it was built from.
            if (c == nullptr || c->s->id() != hit.session || serial < c->watch_serial) {
                counters_.add(server_counter::hits_stale);
                continue;
            }
        }
        if (c == nullptr || c->closing) {
            continue;
        }
        auto& hc = c->s->counters();
        hc.filtered += 1;
        counters_.add(server_counter::hits);
        auto const sample = c->s->sample();
        if (sample < sample_all) {
            c->sample_acc += sample;
            if (c->sample_acc < sample_all) {
                counters_.add(server_counter::hits_sampled_out);
                continue;
            }
            c->sample_acc -= sample_all;
        }
        if (t - c->rate_window >= 1s) {
            c->rate_window = t;
            c->rate_count = 0;
        }
        auto const max = c->s->rate_limit().max_pkts_per_sec;
        if (max != rlimit_off && max != rlimit_na && c->rate_count >= max) {
            hc.rlimit += 1;
            counters_.add(server_counter::hits_rlimit);
            continue;
        }
        ++c->rate_count;
        hc.collected += 1;
        if (c->s->paused()) {
            hc.dropped += 1;
            counters_.add(server_counter::hits_dropped_paused);
            continue;
        }
        if (c->pending() + whit_len > cfg_.client_queue_bytes) {
            hc.dropped += 1;
            counters_.add(server_counter::hits_dropped_queue);
            continue;
        }
        f.field_idx = h.field_idx;
        f.val_idx = h.val_idx;
        if (c->out_head == c->out.size()) {
            c->out.clear();
            c->out_head = 0;
        }
        auto const old = c->out.size();
        c->out.resize(old + whit_len);
        out_buffer o(core::byte_span(c->out.data() + old, whit_len));
        write_whit_nmsg(o, h.tag, c->s->reply_pvers(), f, unit);
        c->queued_total += whit_len;
        c->whit_ends.push_back(c->queued_total);
        counters_.add(server_counter::hits_queued);
        // Write eagerly past a watermark so a fast reader's queue never fills within one
        // drained batch; a client whose socket is full waits for EPOLLOUT instead.
        if (c->pending() >= flush_watermark && !c->want_out) {
            flush(*c);
        }
    }
}

} // namespace siehub::axa
