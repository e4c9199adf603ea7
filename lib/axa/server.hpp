// SPDX-License-Identifier: Apache-2.0
#pragma once
// The AXA (SIE Remote Access) server: one thread, epoll, non-blocking sockets, thousands of
// clients (spec/axa.md, docs/sra.md). Listeners `tcp:HOST,PORT`, `unix:PATH` and
// `apikey:HOST,PORT` (TLS 1.2/1.3, OpenSSL 3), each with an optional allow-list
// (`;allow=CIDR,CIDR`). Each connection runs the pure axa::session; the server adds I/O,
// timers (login delay, keepalive, idle, TLS handshake, MISSED), accounts reloads, and
// delivery:
//
//   publish(ch, NmsgPayload bytes, kind) -> keys of the payload -> compiled matcher generation
//   -> per client: filtered -> sampling -> rate limit (rlimit) -> paused/queue full (dropped)
//   -> WHIT with one complete nmsg unit (CRC set) in the client's bounded output queue
//   -> socket (sent).
//
// Other threads feed it through offer() (a bounded SPSC ring; full = counted, never blocks).
// The hub matches on its data-plane workers instead (docs/sra.md "Serving from the hub"): it
// takes each generation the server compiles (generation()), and hands the server payloads
// with their hits through deliver(), which skips keys and matching.
// A slow or stalled client only fills its own queue: its hits are dropped and counted.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "axa/accounts.hpp"
#include "axa/feed_ring.hpp"
#include "axa/matcher.hpp"
#include "axa/server_counters.hpp"
#include "axa/session.hpp"
#include "proto/nmsg/container.hpp"

struct ssl_ctx_st;

namespace siehub::axa {

enum class listen_kind : std::uint8_t { tcp, unix_path, apikey };

struct cidr {
    std::uint8_t family = 4; // 4 or 6
    std::array<std::uint8_t, 16> addr{};
    std::uint8_t len = 0;
    [[nodiscard]] bool contains(std::uint8_t fam, const std::uint8_t* a) const noexcept;
};
std::optional<cidr> parse_cidr(std::string_view text);

struct listen_spec {
    listen_kind kind = listen_kind::tcp;
    std::string host; // tcp/apikey
    std::uint16_t port = 0;
    std::string path; // unix
    std::vector<cidr> allow; // empty: everyone
    std::string text;        // as given
};
// `tcp:HOST,PORT`, `unix:PATH`, `apikey:HOST,PORT`, each optionally `;allow=CIDR[,CIDR...]`.
// HOST may be an IPv4/IPv6 literal, `*` (any) or a name; `/` is accepted for `,` as the
// clients do.
std::optional<listen_spec> parse_listen(std::string_view text, std::string& err);

struct server_config {
    session_config session;
    std::vector<listen_spec> listeners;
    std::string cert_file; // PEM; needed when an apikey listener exists
    std::string key_file;
    std::string accounts_file; // reload() re-reads it
    std::vector<channel_desc> channels; // what CGET describes and `all` expands to
    std::size_t max_clients = 10000;
    std::size_t client_queue_bytes = 4u << 20; // per-client output queue bound
    std::chrono::milliseconds tls_handshake_timeout{10000};
    std::size_t feed_ring_bytes = 16u << 20;
    int listen_backlog = 1024;
};

enum class payload_kind : std::uint8_t {
    decoded = 0,      // a payload the hub decoded
    decode_error = 1, // a payload that failed to decode (nmsg or DNS): `errors` watches
};

// A hit matched outside the server (on a data-plane worker) against the generation with the
// serial the payload carries; `session` is the id of the session the generation was built for
// at client index hit.client (indexes are reused after a disconnect).
struct session_hit {
    std::uint64_t session = 0;
    match_hit hit;
};

// One compiled generation as the hub's workers use it.
struct generation_ref {
    std::shared_ptr<const match_generation> gen;
    std::uint64_t serial = 0;                   // 1, 2, ... per compile
    std::span<const std::uint64_t> sessions;    // per client index: session id (0 = none)
};

struct bound_listener {
    listen_kind kind;
    std::string text;
    std::uint16_t port = 0; // the port actually bound (tests listen on port 0)
    std::string path;
};

class server {
public:
    explicit server(server_config cfg);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds the listeners and loads the accounts (from `accounts`, or from the file when
    // `accounts` is empty and a file is configured). False with `err` on failure.
    bool start(std::string& err, const std::vector<account_entry>* accounts = nullptr);

    // Runs until request_stop(); closes every connection on the way out.
    void run();
    // One loop turn: waits up to timeout_ms for events, serves them, fires timers.
    void poll(int timeout_ms);

    // Any thread (and async-signal-safe): asks the loop to stop / to reload accounts_file.
    void request_stop() noexcept;
    void request_reload() noexcept;
    // Server thread: replaces the accounts now; sessions whose account disappeared are
    // closed, the others keep only the channels their account still allows.
    void reload(const std::vector<account_entry>& accounts);

    // Server thread: delivers one payload (NmsgPayload bytes as in a container).
    void publish(std::uint16_t ch, core::byte_view payload, payload_kind kind = payload_kind::decoded);
    // Server thread: delivers a payload matched elsewhere against generation `serial` (the
    // same per-client path as publish(): filtered -> sampling -> rlimit -> paused/queue full
    // -> WHIT). A hit whose session is gone from its client index, or whose client changed
    // its watches or channels after generation `serial` was built, is discarded (counted
    // axa.hits_stale).
    void deliver(std::uint16_t ch, core::byte_view payload, std::uint64_t serial,
                 std::span<const session_hit> hits);
    // Server thread: the current generation (compiled now if the clients changed since); valid
    // until the next server call that may rebuild (poll, publish, channel_wanted).
    [[nodiscard]] generation_ref generation();

    // One producer thread: queues a payload for the server thread; false (counted) when the
    // ring is full.
    // `count_loss` false: the caller retries (lossless replay), nothing is counted.
    bool offer(std::uint16_t ch, core::byte_view payload, payload_kind kind = payload_kind::decoded,
               bool count_loss = true) noexcept;
    // Producer thread: payloads of channel `ch` lost before the server (input loss); charged
    // to the clients with that channel on as MISSED `missed`.
    void note_input_loss(std::uint16_t ch, std::uint64_t n) noexcept;

    // Server thread: whether some logged-in client has channel `ch` switched on now (a
    // producer may skip the channel's payloads otherwise; the hub publishes it to workers).
    [[nodiscard]] bool channel_wanted(std::uint16_t ch);

    [[nodiscard]] std::vector<bound_listener> listeners() const;
    [[nodiscard]] std::size_t client_count() const noexcept { return live_clients_; }
    [[nodiscard]] const server_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const error_counters& errors() const noexcept { return errors_; }
    // Everything the feed ring holds has been published and every queue written out.
    [[nodiscard]] bool idle() const noexcept;

private:
    struct listener;
    struct client;

    void accept_on(listener& l);
    void on_client_event(client& c, std::uint32_t events);
    void serve_input(client& c);
    bool read_some(client& c);
    void flush(client& c);
    void update_interest(client& c);
    void close_client(client& c, server_counter why);
    void append(client& c, core::byte_view b);
    void apply_step(client& c, const step& s);
    void tick_all();
    void drain_feed();
    void charge_input_loss();
    void rebuild_if_dirty();
    template <class Hit>
    void deliver_hits(std::uint16_t ch, core::byte_view payload, const nmsg::payload_view& pv,
                      std::span<const Hit> hits, std::uint64_t serial);
    void mark_changed(client& c) noexcept;
    bool handshake(client& c);
    void do_reload_file();
    [[nodiscard]] std::chrono::nanoseconds now() const noexcept;
    [[nodiscard]] std::uint32_t wall() const noexcept;

    server_config cfg_;
    int epfd_ = -1;
    int wake_fd_ = -1;
    ssl_ctx_st* tls_ = nullptr;
    std::vector<std::unique_ptr<listener>> listeners_;
    std::vector<std::unique_ptr<client>> clients_; // by slot (matcher client index)
    std::vector<std::uint32_t> free_slots_;
    std::vector<std::unique_ptr<client>> graveyard_; // closed this turn
    std::size_t live_clients_ = 0;
    std::uint64_t next_id_ = 1;
    account_directories dirs_;
    std::shared_ptr<const match_generation> gen_;
    match_scratch scratch_;
    std::uint64_t gen_serial_ = 0;
    std::vector<std::uint64_t> gen_sessions_; // per client index, for gen_
    bool dirty_ = true;
    std::vector<std::uint8_t> reply_buf_; // session replies are written here, then queued
    std::vector<std::uint8_t> read_buf_;
    std::vector<std::uint8_t> unit_buf_; // the nmsg unit of the payload being published
    payload_keys keys_;
    feed_ring ring_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> reload_{false};
    std::atomic<std::uint64_t> loss_total_{0};
    std::atomic<std::uint64_t> counters_ring_full_{0}; // producer side of axa.feed_ring_full
    std::unique_ptr<std::atomic<std::uint64_t>[]> loss_by_ch_;
    std::vector<std::uint64_t> loss_seen_;
    std::uint64_t loss_total_seen_ = 0;
    std::chrono::nanoseconds last_tick_{0};
    server_counters counters_;
    error_counters errors_;
};

} // namespace siehub::axa
