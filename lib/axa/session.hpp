// SPDX-License-Identifier: Apache-2.0
#pragma once
// The AXA server session's decision logic (spec/axa.md §3, §4, §7), pure: no sockets, no
// clocks. Input is a framed message (or bytes, or a tick) plus the time; output is the replies
// written into the caller's TX buffer and a step saying whether the session goes on and what
// changed for the data plane (watches, channels, output, options).
//
// Malformed messages (what the spec forbids, a watch name that breaks the DNS name rules)
// get an ERROR and a close; well-formed requests that are refused (a channel outside the
// account, a request before USER) get an ERROR and the session goes on.

#include <array>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "axa/message.hpp"
#include "axa/protocol.hpp"
#include "axa/watch.hpp"
#include "core/out_buffer.hpp"

namespace siehub::axa {

// Monotonic time since an arbitrary origin.
using instant = std::chrono::nanoseconds;

// What the control plane knows: channel descriptions and accounts (user name or API key ->
// permitted channels). Built at start-up or on reload; sessions only read it.
class directory {
public:
    void add_channel(std::uint16_t ch, std::string spec);
    // `name` is what USER carries (user name or API key); `label` is what replies show
    // ("<label> authorized"), so an API key is never echoed; empty label = name. Channels
    // outside 0..4095 are ignored.
    void add_account(std::string name, std::span<const std::uint16_t> channels,
                     std::string label = {});

    struct account {
        std::string name;
        std::string label;
        std::bitset<ch_max + 1> channels;
        std::size_t count = 0;
    };
    // Constant time in the name's bytes (CRYPTO_memcmp over the 64-byte USER field, every
    // account compared): with apikey the name is a secret.
    [[nodiscard]] const account* find(std::string_view name) const noexcept;
    [[nodiscard]] std::string_view spec(std::uint16_t ch) const noexcept;

private:
    std::vector<account> accounts_;
    std::vector<std::pair<std::uint16_t, std::string>> specs_; // sorted by channel
};

struct session_config {
    std::string server_text =
        "srad v3.0.0 siehub supporting AXA protocols v1 to v2; currently using v1";
    std::size_t max_watches = 64;
    unsigned max_login_failures = 3;
    instant login_timeout = std::chrono::seconds(30);
    instant keepalive = std::chrono::seconds(30);
    instant idle_timeout = std::chrono::seconds(120);
    std::uint64_t default_report_secs = 60;
    std::uint32_t default_sndbuf = 256 * 1024;
    std::uint32_t max_sndbuf = 16 * 1024 * 1024;
};

// Cumulative per-session hit accounting, maintained by whoever delivers hits (§7).
struct hit_counters {
    std::uint64_t filtered = 0;  // considered: matched a watch on an enabled channel
    std::uint64_t missed = 0;    // lost before this client's queue
    std::uint64_t collected = 0; // passed sampling and the rate limit
    std::uint64_t sent = 0;      // written to the client
    std::uint64_t rlimit = 0;    // discarded by the rate limit
    std::uint64_t dropped = 0;   // queue full or paused (congested)
};

enum class verdict : std::uint8_t { keep, close };

// Bits of step::changed: what the data plane must pick up after this step.
inline constexpr std::uint8_t changed_watches = 0x01;
inline constexpr std::uint8_t changed_channels = 0x02;
inline constexpr std::uint8_t changed_output = 0x04; // paused/resumed
inline constexpr std::uint8_t changed_options = 0x08; // rate limit, sample, sndbuf, trace
inline constexpr std::uint8_t changed_login = 0x10;

struct step {
    verdict v = verdict::keep;
    errc reason = errc::ok; // why an ERROR was sent (refusal or close), else ok
    std::uint8_t changed = 0;
    [[nodiscard]] bool closing() const noexcept { return v == verdict::close; }
};

struct watch_entry {
    std::uint16_t tag = 0;
    std::uint16_t len = 0;
    std::array<std::uint8_t, watch_max_len> bytes{};
    [[nodiscard]] byte_view raw() const noexcept { return {bytes.data(), len}; }
    [[nodiscard]] watch_view view() const noexcept { return parse_watch(raw()); }
};

class session {
public:
    session(const session_config& cfg, const directory& dir, std::uint64_t id);

    // On accept: writes HELLO (pvers 1, tag 0) and starts the login clock.
    step start(instant now, std::uint32_t wall_sec, out_buffer& out);

    // One framed message (header already through parse_header, body of h.body_len() bytes).
    step on_message(const header& h, byte_view body, instant now, out_buffer& out);

    // A stream error from next_frame (bad len/pvers): ERROR and close.
    step on_frame_error(const header& h, errc e, out_buffer& out);

    // Processes the complete messages at the front of `in`; `consumed` says how many bytes
    // were used. Stops early, before a message, when `out` has less room than the largest
    // reply could need (the caller drains TX and calls again), and at a close.
    step feed(byte_view in, instant now, out_buffer& out, std::size_t& consumed);

    // An accounts reload: re-finds this session's account by name in `dir` (which must outlive
    // the session or the next rebind) and keeps only the enabled channels it still allows.
    // False when the account is gone (the caller closes the session); an unauthenticated
    // session just switches directories.
    bool rebind(const directory& dir) noexcept;

    // Timers: login deadline, idle close, keepalive NOP, MISSED reports.
    step tick(instant now, std::uint32_t wall_sec, out_buffer& out);

    // The caller wrote something to the client outside the session (a WHIT).
    void note_output(instant now) noexcept { last_sent_ = now; }

    // Room the next reply may need in the TX buffer.
    [[nodiscard]] std::size_t reply_reserve() const noexcept;

    // ---- state the data plane and the tests read ----
    [[nodiscard]] bool authorized() const noexcept { return account_ != nullptr; }
    [[nodiscard]] bool closed() const noexcept { return closed_; }
    [[nodiscard]] const directory::account* account() const noexcept { return account_; }
    [[nodiscard]] bool paused() const noexcept { return paused_; }
    [[nodiscard]] bool channel_on(std::uint16_t ch) const noexcept
    {
        return ch <= ch_max && channels_on_.test(ch);
    }
    [[nodiscard]] std::span<const watch_entry> watches() const noexcept { return watches_; }
    [[nodiscard]] std::uint8_t reply_pvers() const noexcept { return reply_pvers_; }
    [[nodiscard]] bool client_hello_seen() const noexcept { return client_hello_; }
    [[nodiscard]] std::uint32_t trace_level() const noexcept { return trace_; }
    [[nodiscard]] const rlimit_fields& rate_limit() const noexcept { return rlimit_; }
    [[nodiscard]] std::uint32_t sample() const noexcept { return sample_; }
    [[nodiscard]] std::uint32_t sndbuf() const noexcept { return sndbuf_; }
    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
    hit_counters& counters() noexcept { return counters_; }
    // Hits considered in the current second (reported in OPT RLIMIT's cur).
    void set_rate_current(std::uint64_t v) noexcept { rate_cur_ = v; }

private:
    step refuse(const header& h, errc e, out_buffer& out);
    step fail(const header& h, errc e, out_buffer& out);
    step ok(const header& h, std::string_view text, out_buffer& out, std::uint8_t changed);
    step on_request(const header& h, byte_view body, out_buffer& out);
    step on_user(const header& h, byte_view body, out_buffer& out);
    step on_watch(const header& h, byte_view body, out_buffer& out);
    step on_wget(const header& h, out_buffer& out);
    step on_stop(const header& h, out_buffer& out);
    step on_channel(const header& h, byte_view body, out_buffer& out);
    step on_cget(const header& h, out_buffer& out);
    step on_opt(const header& h, byte_view body, out_buffer& out);
    step on_acct(const header& h, out_buffer& out);
    step written(out_buffer& out, step s);

    const session_config& cfg_;
    const directory* dir_;
    std::uint64_t id_;
    const directory::account* account_ = nullptr;
    bool closed_ = false;
    bool paused_ = false;
    bool client_hello_ = false;
    std::uint8_t reply_pvers_ = 1;
    unsigned login_failures_ = 0;
    instant accepted_{};
    instant last_received_{};
    instant last_sent_{};
    instant last_report_{};
    std::uint32_t last_report_wall_ = 0;
    std::bitset<ch_max + 1> channels_on_;
    std::vector<watch_entry> watches_; // sorted by tag; capacity fixed at max_watches
    std::uint32_t trace_ = 0;
    rlimit_fields rlimit_;
    std::uint32_t sample_ = sample_all;
    std::uint32_t sndbuf_;
    std::uint64_t rate_cur_ = 0;
    hit_counters counters_;
    hit_counters reported_; // snapshot at the last MISSED
};

} // namespace siehub::axa
