// SPDX-License-Identifier: Apache-2.0
#pragma once
// Builds DNS messages into a caller buffer (core::out_buffer): header, questions, RRs in section
// order with optional name compression, EDNS OPT with options. Counts in the header are kept
// up to date as records are added. Errors are sticky: the first one is kept and returned by
// every later call and by finish(). Names are given in uncompressed wire form and checked by
// the name guardian before they are written.

#include <cstddef>
#include <cstdint>

#include "core/out_buffer.hpp"
#include "proto/dns/errc.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/name.hpp"

namespace siehub::dns {

class message_writer {
public:
    // Remembered compression targets; past this, names are still written, just less compressed.
    static constexpr std::size_t max_compress_entries = 64;

    explicit message_writer(core::out_buffer& out, bool compress = true) noexcept
        : out_(out), compress_(compress)
    {
    }

    // Writes the header (counts 0). Must come first.
    errc begin(std::uint16_t id, std::uint16_t flags) noexcept;
    errc question(byte_view name, std::uint16_t type, std::uint16_t cls) noexcept;

    // A whole RR with RDATA copied as given.
    errc add_rr(section s, byte_view owner, std::uint16_t type, std::uint16_t cls,
                std::uint32_t ttl, byte_view rdata) noexcept;

    // An RR built piece by piece: begin_rr, rdata_*..., end_rr (patches RDLENGTH).
    errc begin_rr(section s, byte_view owner, std::uint16_t type, std::uint16_t cls,
                  std::uint32_t ttl) noexcept;
    errc rdata_u8(std::uint8_t v) noexcept;
    errc rdata_u16(std::uint16_t v) noexcept;
    errc rdata_u32(std::uint32_t v) noexcept;
    errc rdata_bytes(byte_view b) noexcept;
    // An embedded name; compressed only if `compress` and the writer compresses.
    errc rdata_name(byte_view name, bool compress) noexcept;
    errc end_rr() noexcept;

    // EDNS OPT in the additional section; add options with edns_option, then end_rr().
    errc begin_opt(std::uint16_t udp_size, std::uint8_t ext_rcode = 0, std::uint8_t version = 0,
                   bool do_bit = false) noexcept;
    errc add_edns_option(std::uint16_t code, byte_view data) noexcept;

    // The first error, or ok.
    [[nodiscard]] errc finish() const noexcept { return err_; }
    [[nodiscard]] byte_view written() const noexcept { return out_.written().subspan(start_); }

private:
    errc fail(errc e) noexcept
    {
        if (err_ == errc::ok) {
            err_ = e;
        }
        return err_;
    }
    errc check_out() noexcept { return out_.ok() ? err_ : fail(errc::out_of_space); }
    errc write_name(byte_view name, bool compress) noexcept;
    errc enter_section(section s) noexcept;
    void bump_count(section s) noexcept;

    core::out_buffer& out_;
    bool compress_;
    errc err_ = errc::ok;
    bool begun_ = false;
    bool in_rr_ = false;
    section sec_ = section::question;
    std::size_t start_ = 0;
    std::size_t rdlen_at_ = 0;
    std::size_t n_entries_ = 0;
    std::uint16_t entries_[max_compress_entries];
};

} // namespace siehub::dns
