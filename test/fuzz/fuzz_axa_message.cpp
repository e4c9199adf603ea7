// SPDX-License-Identifier: Apache-2.0
// AXA server side: a byte stream from a client -> framing -> header/body checks -> the
// session. The first input byte picks the chunk size the stream arrives in (partial reads)
// and how far the clock moves per chunk. Oracle: everything the session writes must pass the
// checks the real client applies (axa_ck_hdr + axa_ck_body), and a session that said close
// writes nothing more.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "axa/message.hpp"
#include "axa/session.hpp"

using namespace siehub::axa;

namespace {

const directory& the_directory()
{
    static const directory d = [] {
        directory x;
        x.add_channel(204, "vlan204");
        x.add_channel(213, "vlan213");
        std::array<std::uint16_t, 2> chans{204, 213};
        x.add_account("tester", chans);
        return x;
    }();
    return d;
}

void check_output(siehub::core::byte_view out)
{
    std::size_t off = 0;
    while (off < out.size()) {
        auto const f = next_frame(out.subspan(off));
        if (f.err != errc::ok || !f.complete ||
            check_message(direction::to_client, f.h, f.body) != errc::ok) {
            __builtin_trap();
        }
        off += f.size;
    }
}

// Exercise every view on whatever the frame holds (they must be safe on any bytes).
void touch_views(const frame& f)
{
    (void)check_message(direction::to_client, f.h, f.body);
    (void)parse_hello(f.body);
    (void)parse_result(f.body);
    (void)parse_missed(f.body);
    (void)parse_whit(f.body);
    (void)parse_clist(f.body);
    (void)parse_user(f.body);
    (void)parse_channel(f.body);
    (void)parse_opt(f.body);
    auto const wl = parse_wlist(f.body);
    auto const w = parse_watch(f.body);
    std::array<std::uint8_t, 1200> text{};
    siehub::core::out_buffer t({text.data(), text.size()});
    if (w.ok()) {
        format_watch(w, t);
    }
    if (wl.err == errc::ok) {
        format_watch(wl.w, t);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    std::size_t const chunk = (data[0] & 0x3F) + 1;
    auto const step_time = std::chrono::seconds(data[0] >> 6) * 10;
    siehub::core::byte_view in(data + 1, size - 1);

    static const session_config cfg = [] {
        session_config c;
        c.max_watches = 8;
        return c;
    }();
    session s(cfg, the_directory(), 1);
    static std::vector<std::uint8_t> tx(64 * 1024);
    siehub::core::out_buffer out({tx.data(), tx.size()});
    std::chrono::nanoseconds now{};
    s.start(now, 0, out);
    check_output(out.written());

    // Bytes arrive in chunks; unconsumed bytes stay pending as a socket reader would keep them.
    std::size_t avail = 0;
    std::size_t done = 0;
    bool closed = false;
    while (!closed && done < in.size()) {
        avail = std::min(in.size(), avail + chunk);
        auto const pending = in.subspan(done, avail - done);
        std::size_t off = 0;
        while (off < pending.size()) {
            auto const f = next_frame(pending.subspan(off));
            if (f.err != errc::ok || !f.complete) {
                break;
            }
            touch_views(f);
            off += f.size;
        }
        siehub::core::out_buffer o({tx.data(), tx.size()});
        std::size_t used = 0;
        auto const st = s.feed(pending, now, o, used);
        check_output(o.written());
        done += used;
        if (st.closing()) {
            closed = true;
            siehub::core::out_buffer after({tx.data(), tx.size()});
            if (!s.tick(now + std::chrono::seconds(1), 0, after).closing() || after.size() != 0) {
                __builtin_trap();
            }
            break;
        }
        if (avail == in.size() && used == 0) {
            break; // a partial message at the end of the input
        }
        now += step_time;
        siehub::core::out_buffer t({tx.data(), tx.size()});
        s.counters().filtered += 1;
        closed = s.tick(now, static_cast<std::uint32_t>(now.count() / 1000000000), t).closing();
        check_output(t.written());
    }
    return 0;
}
