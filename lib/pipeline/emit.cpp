// SPDX-License-Identifier: Apache-2.0
#include "pipeline/emit.hpp"

#include <algorithm>
#include <cassert>
#include <random>

#include <sys/random.h>

namespace siehub::pipeline {

std::string_view to_string(emitter_config_error e) noexcept
{
    switch (e) {
    case emitter_config_error::ok:
        return "ok";
    case emitter_config_error::container_too_small:
        return "container_too_small";
    case emitter_config_error::container_too_large:
        return "container_too_large";
    case emitter_config_error::payload_bound:
        return "payload_bound";
    }
    return "unknown";
}

emitter_config_error validate(const emitter_config& c) noexcept
{
    if (c.container_size < nmsg::container_size_min) {
        return emitter_config_error::container_too_small;
    }
    if (c.container_size > max_container_size) {
        return emitter_config_error::container_too_large;
    }
    if (c.max_payload_bytes == 0 || c.max_payload_bytes > max_payload_limit) {
        return emitter_config_error::payload_bound;
    }
    return emitter_config_error::ok;
}

namespace {

emitter_config clamped(emitter_config c) noexcept
{
    c.container_size = std::clamp(c.container_size, nmsg::container_size_min, max_container_size);
    c.max_payload_bytes = std::clamp<std::size_t>(c.max_payload_bytes, 1, max_payload_limit);
    return c;
}

// 64 bits from the kernel CSPRNG: a sequence_id must differ across restarts and cores
// (nmsg.md §7, §17.9). getrandom() only fails before the pool is seeded or on very old
// kernels; std::random_device is the fallback then.
std::uint64_t random_u64() noexcept
{
    std::uint64_t v = 0;
    auto* p = reinterpret_cast<std::uint8_t*>(&v);
    std::size_t got = 0;
    while (got < sizeof v) {
        ssize_t const n = getrandom(p + got, sizeof v - got, 0);
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    if (got < sizeof v) {
        std::random_device rd;
        v = (std::uint64_t{rd()} << 32) ^ rd();
    }
    return v;
}

// Room for one payload alone: its entry (vendor bytes, payload header fields ≤ 64 bytes, key
// and length varints), the 6 bytes the builder budgets for its CRC, 17 for the sequence
// fields, and the nmsg header.
std::size_t oversize_capacity(const emitter_config& c) noexcept
{
    return c.max_payload_bytes + 64 + 12 + 6 + 17 + nmsg::header_size;
}

} // namespace

channel_emitter::channel_emitter(const emitter_config& cfg, datagram_sink& sink)
    : cfg_(clamped(cfg)), sink_(sink), container_buf_(new std::uint8_t[cfg_.container_size]),
      oversize_buf_(new std::uint8_t[oversize_capacity(cfg_)]),
      dgram_buf_(new std::uint8_t[cfg_.container_size]), oversize_size_(oversize_capacity(cfg_)),
      builder_(byte_span{container_buf_.get(), cfg_.container_size}, cfg_.container_size, true,
               cfg_.zlib),
      sequence_id_(random_u64()), rng_(random_u64())
{
    assert(validate(cfg) == emitter_config_error::ok);
    if (cfg_.zlib) {
        std::size_t const biggest = std::max(oversize_size_, cfg_.container_size);
        zlib_size_ = biggest + nmsg::zlib_overhead(biggest) + nmsg::header_size;
        zlib_buf_.reset(new std::uint8_t[zlib_size_]);
        deflater_ = std::make_unique<nmsg::deflater>();
    }
}

channel_emitter::~channel_emitter() = default;

std::uint32_t channel_emitter::next_fragment_id() noexcept
{
    // splitmix64: fragment ids only need to differ between sets in flight.
    std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<std::uint32_t>(z ^ (z >> 31));
}

bool channel_emitter::hand(byte_view datagram, bool fragment) noexcept
{
    counters_.add(fragment ? emit_counter::fragments : emit_counter::containers);
    if ((datagram[4] & nmsg::flag_zlib) != 0) {
        counters_.add(emit_counter::zlib_containers);
    }
    counters_.add(emit_counter::bytes, datagram.size());
    if (!sink_.send(datagram, datagram_meta{cfg_.src_port, sequence_, fragment})) {
        counters_.add(emit_counter::dropped_sink);
        return false;
    }
    return true;
}

bool channel_emitter::finish_current() noexcept
{
    std::size_t const n = builder_.payload_count();
    byte_view unit = builder_.finish(sequence_, sequence_id_);
    if (unit.empty()) {
        // Nothing to send: an empty container is never produced (nmsg.md §17.2).
        builder_.reset();
        return false;
    }
    if (cfg_.zlib) {
        auto const r =
            nmsg::zlib_container(*deflater_, unit, byte_span{zlib_buf_.get(), zlib_size_});
        // The builder budgets zlib's worst-case growth, so this fits; refuse anything else
        // rather than send an oversized datagram.
        if (!r.ok() || r.data.size() > cfg_.container_size) {
            counters_.add(emit_counter::dropped_error, n);
            builder_.reset();
            return false;
        }
        unit = r.data;
    }
    hand(unit, false);
    ++sequence_;
    builder_.reset();
    return true;
}

channel_emitter::add_result channel_emitter::send_oversize(const nmsg::payload_header& h,
                                                           byte_view vendor) noexcept
{
    nmsg::container_builder alone(byte_span{oversize_buf_.get(), oversize_size_}, oversize_size_,
                                  true, false);
    if (alone.add(h, vendor) != nmsg::container_builder::add_status::added) {
        counters_.add(emit_counter::dropped_too_large);
        return add_result::dropped;
    }
    byte_view const unit = alone.finish(sequence_, sequence_id_);
    counters_.add(emit_counter::oversize);
    counters_.add(emit_counter::payloads);
    if (!cfg_.zlib && unit.size() <= cfg_.container_size) {
        // The budget is an upper bound; the real unit can fit after all.
        hand(unit, false);
        ++sequence_;
        return add_result::sent_alone;
    }
    bool fragmented = false;
    bool const ok =
        nmsg::send_overfull(unit, cfg_.container_size, deflater_.get(), next_fragment_id(),
                            byte_span{zlib_buf_.get(), zlib_size_},
                            byte_span{dgram_buf_.get(), cfg_.container_size}, [&](byte_view d) {
                                bool const frag = (d[4] & nmsg::flag_fragment) != 0;
                                fragmented |= frag;
                                hand(d, frag);
                            });
    ++sequence_;
    if (fragmented) {
        counters_.add(emit_counter::fragmented_containers);
    }
    if (!ok) {
        counters_.add(emit_counter::dropped_error);
        return add_result::dropped;
    }
    return add_result::sent_alone;
}

channel_emitter::add_result channel_emitter::add(const nmsg::payload_header& h, byte_view vendor,
                                                 std::uint64_t now_ns) noexcept
{
    if (vendor.size() > cfg_.max_payload_bytes) {
        counters_.add(emit_counter::dropped_too_large);
        return add_result::dropped;
    }
    std::size_t const entry = nmsg::container_builder::entry_size(h, vendor.size());
    if (!builder_.fits(entry)) {
        if (!builder_.fits_empty(entry)) {
            // Sent alone, after what is pending so that the channel keeps payload order.
            if (!builder_.empty()) {
                counters_.add(emit_counter::full_flushes);
                finish_current();
            }
            return send_oversize(h, vendor);
        }
        counters_.add(emit_counter::full_flushes);
        finish_current();
    }
    if (builder_.empty()) {
        first_ns_ = now_ns;
    }
    if (builder_.add(h, vendor) != nmsg::container_builder::add_status::added) {
        // Unreachable: fits_empty() held for an empty builder.
        counters_.add(emit_counter::dropped_error);
        return add_result::dropped;
    }
    counters_.add(emit_counter::payloads);
    return add_result::added;
}

bool channel_emitter::drain(std::uint64_t now_ns) noexcept
{
    if (builder_.empty() || now_ns < first_ns_ || now_ns - first_ns_ < cfg_.drain_ns) {
        return false;
    }
    counters_.add(emit_counter::drain_flushes);
    return finish_current();
}

bool channel_emitter::flush() noexcept
{
    if (builder_.empty()) {
        return false;
    }
    counters_.add(emit_counter::shutdown_flushes);
    return finish_current();
}

bool frame_buffer_sink::send(byte_view datagram, const datagram_meta& meta) noexcept
{
    if (n_ == slots_.size()) {
        return false;
    }
    core::out_buffer out(buf_.subspan(used_));
    net::channel_frame_spec s = spec_;
    s.src_port = meta.src_port;
    if (!net::write_channel_frame(out, s, ip_id_, datagram)) {
        return false;
    }
    ++ip_id_;
    slots_[n_++] =
        frame_ref{static_cast<std::uint32_t>(used_), static_cast<std::uint32_t>(out.size())};
    used_ += out.size();
    return true;
}

} // namespace siehub::pipeline
