// SPDX-License-Identifier: Apache-2.0
#include "axa/session.hpp"

#include <algorithm>
#include <charconv>

#include <openssl/crypto.h>

namespace siehub::axa {

// ---- directory ------------------------------------------------------------------------------

void directory::add_channel(std::uint16_t ch, std::string spec)
{
    auto it = std::lower_bound(specs_.begin(), specs_.end(), ch,
                               [](const auto& e, std::uint16_t c) { return e.first < c; });
    if (it != specs_.end() && it->first == ch) {
        it->second = std::move(spec);
        return;
    }
    specs_.insert(it, {ch, std::move(spec)});
}

void directory::add_account(std::string name, std::span<const std::uint16_t> channels,
                            std::string label)
{
    account a;
    a.label = label.empty() ? name : std::move(label);
    a.name = std::move(name);
    for (auto ch : channels) {
        if (ch <= ch_max && !a.channels.test(ch)) {
            a.channels.set(ch);
            ++a.count;
        }
    }
    accounts_.push_back(std::move(a));
}

const directory::account* directory::find(std::string_view name) const noexcept
{
    if (name.empty() || name.size() >= 64) {
        return nullptr;
    }
    // Both sides padded to the USER field's 64 bytes and every account compared, so neither
    // the position of the first differing byte nor the matching account shows in the time.
    std::array<unsigned char, 64> want{};
    std::copy(name.begin(), name.end(), want.begin());
    const account* found = nullptr;
    for (const auto& a : accounts_) {
        std::array<unsigned char, 64> have{};
        std::copy_n(a.name.begin(), std::min<std::size_t>(a.name.size(), 63), have.begin());
        bool const same = CRYPTO_memcmp(want.data(), have.data(), want.size()) == 0;
        if (same && found == nullptr) {
            found = &a;
        }
    }
    return found;
}

std::string_view directory::spec(std::uint16_t ch) const noexcept
{
    auto it = std::lower_bound(specs_.begin(), specs_.end(), ch,
                               [](const auto& e, std::uint16_t c) { return e.first < c; });
    if (it != specs_.end() && it->first == ch) {
        return it->second;
    }
    return {};
}

// ---- small text builder (replies are short; no allocation) -----------------------------------

namespace {

class text_buf {
public:
    text_buf& add(std::string_view s) noexcept
    {
        auto const n = std::min(s.size(), sizeof(buf_) - len_);
        std::copy_n(s.data(), n, buf_ + len_);
        len_ += n;
        return *this;
    }
    text_buf& add(std::uint64_t v) noexcept
    {
        auto const r = std::to_chars(buf_ + len_, buf_ + sizeof(buf_), v);
        if (r.ec == std::errc{}) {
            len_ = static_cast<std::size_t>(r.ptr - buf_);
        }
        return *this;
    }
    [[nodiscard]] std::string_view view() const noexcept { return {buf_, len_}; }

private:
    char buf_[512];
    std::size_t len_ = 0;
};

bool valid_rate(std::uint64_t v) noexcept
{
    return v == rlimit_na || v == rlimit_off || (v >= 1 && v <= rlimit_max);
}

} // namespace

// ---- session --------------------------------------------------------------------------------

session::session(const session_config& cfg, const directory& dir, std::uint64_t id)
    : cfg_(cfg), dir_(&dir), id_(id), sndbuf_(cfg.default_sndbuf)
{
    watches_.reserve(cfg_.max_watches);
    rlimit_.max_pkts_per_sec = rlimit_off;
    rlimit_.cur_pkts_per_sec = 0;
    rlimit_.unused1 = 0;
    rlimit_.unused2 = 0;
    rlimit_.report_secs = cfg_.default_report_secs;
}

step session::start(instant now, std::uint32_t wall_sec, out_buffer& out)
{
    accepted_ = now;
    last_received_ = now;
    last_sent_ = now;
    last_report_ = now;
    last_report_wall_ = wall_sec;
    write_hello(out, reply_pvers_, id_, pvers_min, pvers_max, cfg_.server_text);
    return written(out, {});
}

std::size_t session::reply_reserve() const noexcept
{
    std::size_t need = header_len + 513;
    need = std::max(need, watches_.size() * (header_len + 4 + watch_max_len));
    if (account_ != nullptr) {
        need = std::max(need, account_->count * (header_len + clist_body_len));
    }
    return need;
}

step session::written(out_buffer& out, step s)
{
    if (!out.ok()) {
        closed_ = true;
        return {verdict::close, errc::reply_overflow, s.changed};
    }
    return s;
}

step session::fail(const header& h, errc e, out_buffer& out)
{
    closed_ = true;
    write_result(out, op::error, h.tag, reply_pvers_, h.op, describe(e));
    return {verdict::close, e, 0};
}

step session::refuse(const header& h, errc e, out_buffer& out)
{
    write_result(out, op::error, h.tag, reply_pvers_, h.op, describe(e));
    return written(out, {verdict::keep, e, 0});
}

step session::ok(const header& h, std::string_view text, out_buffer& out, std::uint8_t changed)
{
    write_result(out, op::ok, h.tag, reply_pvers_, h.op, text);
    return written(out, {verdict::keep, errc::ok, changed});
}

step session::on_frame_error(const header& h, errc e, out_buffer& out)
{
    return fail(h, e, out);
}

step session::on_message(const header& h, byte_view body, instant now, out_buffer& out)
{
    if (closed_) {
        return {verdict::close, errc::ok, 0};
    }
    last_received_ = now;
    auto const before = out.size();
    step s;
    if (auto const e = check_message(direction::to_server, h, body); e != errc::ok) {
        s = fail(h, e, out);
    } else {
        switch (h.opcode()) {
        case op::nop:
            break;
        case op::hello:
            // Logged by the caller, never answered; from now on replies use its version
            // (the client picked it from our HELLO's range).
            client_hello_ = true;
            reply_pvers_ = h.pvers;
            break;
        case op::user:
            s = on_user(h, body, out);
            break;
        default:
            s = authorized() ? on_request(h, body, out) : refuse(h, errc::not_logged_in, out);
            break;
        }
    }
    if (out.size() != before) {
        last_sent_ = now;
    }
    return s;
}

step session::on_user(const header& h, byte_view body, out_buffer& out)
{
    if (authorized()) {
        return refuse(h, errc::already_logged_in, out);
    }
    auto const u = parse_user(body);
    const auto* a = dir_->find(u.name);
    if (a == nullptr) {
        if (++login_failures_ >= cfg_.max_login_failures) {
            return fail(h, errc::login_failures, out);
        }
        // The name is not echoed: with apikey it is a secret.
        return refuse(h, errc::invalid_user, out);
    }
    account_ = a;
    text_buf t;
    t.add(a->label).add(" authorized");
    return ok(h, t.view(), out, changed_login);
}

step session::on_request(const header& h, byte_view body, out_buffer& out)
{
    switch (h.opcode()) {
    case op::pause:
        paused_ = true;
        return ok(h, "output paused", out, changed_output);
    case op::go:
        paused_ = false;
        return ok(h, "output resumed", out, changed_output);
    case op::watch:
        return on_watch(h, body, out);
    case op::wget:
        return on_wget(h, out);
    case op::stop:
        return on_stop(h, out);
    case op::all_stop:
        watches_.clear();
        return ok(h, "all watches stopped", out, changed_watches);
    case op::channel:
        return on_channel(h, body, out);
    case op::cget:
        return on_cget(h, out);
    case op::opt:
        return on_opt(h, body, out);
    case op::acct:
        return on_acct(h, out);
    case op::join:
    case op::mgmt_get:
    case op::kill_req:
    case op::stats_req:
    case op::anom:
    case op::aget:
    case op::radu:
        return refuse(h, errc::not_supported, out);
    default:
        // check_message lets no other opcode through towards the server.
        return fail(h, errc::wrong_direction, out);
    }
}

step session::on_watch(const header& h, byte_view body, out_buffer& out)
{
    auto it = std::lower_bound(watches_.begin(), watches_.end(), h.tag,
                               [](const watch_entry& e, std::uint16_t t) { return e.tag < t; });
    if (it == watches_.end() || it->tag != h.tag) {
        if (watches_.size() >= cfg_.max_watches) {
            return refuse(h, errc::too_many_watches, out);
        }
        it = watches_.insert(it, watch_entry{});
        it->tag = h.tag;
    }
    // check_message bounded the body to watch_max_len.
    it->len = static_cast<std::uint16_t>(body.size());
    std::copy(body.begin(), body.end(), it->bytes.begin());
    return ok(h, "started", out, changed_watches);
}

step session::on_wget(const header& h, out_buffer& out)
{
    if (watches_.empty()) {
        return refuse(h, errc::no_watches, out);
    }
    if (h.tag == tag_none) {
        for (const auto& w : watches_) {
            write_wlist(out, tag_none, reply_pvers_, w.tag, w.raw());
        }
        return written(out, {});
    }
    auto it = std::lower_bound(watches_.begin(), watches_.end(), h.tag,
                               [](const watch_entry& e, std::uint16_t t) { return e.tag < t; });
    if (it == watches_.end()) {
        return refuse(h, errc::no_such_watch, out);
    }
    write_wlist(out, h.tag, reply_pvers_, it->tag, it->raw());
    return written(out, {});
}

step session::on_stop(const header& h, out_buffer& out)
{
    auto it = std::lower_bound(watches_.begin(), watches_.end(), h.tag,
                               [](const watch_entry& e, std::uint16_t t) { return e.tag < t; });
    if (it == watches_.end() || it->tag != h.tag) {
        return refuse(h, errc::no_such_watch, out);
    }
    watches_.erase(it);
    return ok(h, "stopped", out, changed_watches);
}

step session::on_channel(const header& h, byte_view body, out_buffer& out)
{
    auto const c = parse_channel(body);
    text_buf t;
    if (c.ch == ch_all) {
        // "all" means every channel the account may use, never more.
        if (c.on) {
            channels_on_ = account_->channels;
        } else {
            channels_on_.reset();
        }
        t.add("all channels ").add(c.on ? "on" : "off");
        return ok(h, t.view(), out, changed_channels);
    }
    if (!account_->channels.test(c.ch)) {
        return refuse(h, errc::channel_not_permitted, out);
    }
    channels_on_.set(c.ch, c.on);
    t.add("channel ch").add(std::uint64_t{c.ch}).add(c.on ? " on" : " off");
    return ok(h, t.view(), out, changed_channels);
}

step session::on_cget(const header& h, out_buffer& out)
{
    if (account_->count == 0) {
        return refuse(h, errc::no_channels, out);
    }
    for (std::uint16_t ch = 0; ch <= ch_max; ++ch) {
        if (account_->channels.test(ch)) {
            write_clist(out, h.tag, reply_pvers_, ch, channels_on_.test(ch), dir_->spec(ch));
        }
    }
    return written(out, {});
}

step session::on_opt(const header& h, byte_view body, out_buffer& out)
{
    auto const o = parse_opt(body);
    switch (o.type) {
    case opt_type::trace: {
        if (o.u32 == trace_query) {
            text_buf t;
            t.add("trace level ").add(std::uint64_t{trace_});
            return ok(h, t.view(), out, 0);
        }
        trace_ = o.u32;
        // sratunnel -t waits for exactly this OK (spec §7).
        return ok(h, "trace level set", out, changed_options);
    }
    case opt_type::rlimit: {
        if (!valid_rate(o.rlimit.max_pkts_per_sec) || !valid_rate(o.rlimit.report_secs)) {
            return refuse(h, errc::bad_option_value, out);
        }
        std::uint8_t changed = 0;
        if (o.rlimit.max_pkts_per_sec != rlimit_na) {
            rlimit_.max_pkts_per_sec = o.rlimit.max_pkts_per_sec;
            changed = changed_options;
        }
        if (o.rlimit.report_secs != rlimit_na) {
            rlimit_.report_secs = o.rlimit.report_secs;
            changed = changed_options;
        }
        rlimit_fields reply = rlimit_;
        reply.cur_pkts_per_sec = rate_cur_;
        write_opt_rlimit(out, h.tag, reply_pvers_, reply);
        return written(out, {verdict::keep, errc::ok, changed});
    }
    case opt_type::sample: {
        if (o.u32 > sample_all) {
            return refuse(h, errc::bad_option_value, out);
        }
        std::uint8_t changed = 0;
        if (o.u32 != 0) {
            sample_ = o.u32;
            changed = changed_options;
        }
        write_opt_u32(out, h.tag, reply_pvers_, opt_type::sample, sample_);
        return written(out, {verdict::keep, errc::ok, changed});
    }
    case opt_type::sndbuf: {
        if (o.u32 != 0 && o.u32 < sndbuf_min) {
            return refuse(h, errc::bad_option_value, out);
        }
        std::uint8_t changed = 0;
        if (o.u32 != 0) {
            sndbuf_ = std::min(o.u32, cfg_.max_sndbuf);
            changed = changed_options;
        }
        write_opt_u32(out, h.tag, reply_pvers_, opt_type::sndbuf, sndbuf_);
        return written(out, {verdict::keep, errc::ok, changed});
    }
    }
    return fail(h, errc::opt_type, out);
}

step session::on_acct(const header& h, out_buffer& out)
{
    // sratool prints "OK ACCOUNTING <text>": the text must not repeat the op name (§4).
    text_buf t;
    t.add("total-filtered=").add(counters_.filtered);
    t.add(" total-missed=").add(counters_.missed);
    t.add(" total-collected=").add(counters_.collected);
    t.add(" total-sent=").add(counters_.sent);
    t.add(" total-ratelimited=").add(counters_.rlimit);
    t.add(" total-congested=").add(counters_.dropped);
    return ok(h, t.view(), out, 0);
}

step session::feed(byte_view in, instant now, out_buffer& out, std::size_t& consumed)
{
    consumed = 0;
    step acc;
    while (!closed_) {
        if (out.room() < reply_reserve()) {
            break;
        }
        auto const f = next_frame(in.subspan(consumed));
        if (f.err != errc::ok) {
            auto s = on_frame_error(f.h, f.err, out);
            s.changed |= acc.changed;
            return s;
        }
        if (!f.complete) {
            break;
        }
        auto s = on_message(f.h, f.body, now, out);
        consumed += f.size;
        acc.changed |= s.changed;
        if (s.reason != errc::ok) {
            acc.reason = s.reason;
        }
        if (s.closing()) {
            acc.v = verdict::close;
            break;
        }
    }
    return acc;
}

bool session::rebind(const directory& dir) noexcept
{
    dir_ = &dir;
    if (account_ == nullptr) {
        return !closed_;
    }
    account_ = dir.find(account_->name);
    if (account_ == nullptr) {
        channels_on_.reset();
        return false;
    }
    channels_on_ &= account_->channels;
    return true;
}

step session::tick(instant now, std::uint32_t wall_sec, out_buffer& out)
{
    if (closed_) {
        return {verdict::close, errc::ok, 0};
    }
    header h;
    h.tag = tag_none;
    if (!authorized() && now - accepted_ >= cfg_.login_timeout) {
        h.op = static_cast<std::uint8_t>(op::user);
        return fail(h, errc::login_timeout, out);
    }
    if (now - last_received_ >= cfg_.idle_timeout) {
        h.op = static_cast<std::uint8_t>(op::nop);
        return fail(h, errc::idle_timeout, out);
    }
    auto const before = out.size();
    if (authorized() && rlimit_.report_secs != rlimit_off) {
        bool const changed = counters_.missed != reported_.missed ||
                             counters_.dropped != reported_.dropped ||
                             counters_.rlimit != reported_.rlimit ||
                             counters_.filtered != reported_.filtered;
        auto const interval = std::chrono::seconds(rlimit_.report_secs);
        if (changed && now - last_report_ >= interval) {
            missed_fields m;
            m.missed = counters_.missed - reported_.missed;
            m.dropped = counters_.dropped - reported_.dropped;
            m.rlimit = counters_.rlimit - reported_.rlimit;
            m.filtered = counters_.filtered - reported_.filtered;
            m.last_report = last_report_wall_;
            if (write_missed(out, reply_pvers_, m)) {
                reported_ = counters_;
                last_report_ = now;
                last_report_wall_ = wall_sec;
            }
        }
    }
    if (out.size() == before && now - last_sent_ >= cfg_.keepalive) {
        write_empty(out, op::nop, tag_none, reply_pvers_);
    }
    if (out.size() != before) {
        last_sent_ = now;
    }
    return written(out, {});
}

} // namespace siehub::axa
