// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/message.hpp"

#include <cstring>

namespace siehub::dns {

namespace {

// Minimum wire sizes: a question is root name + type + class, an RR adds ttl + rdlength.
constexpr std::size_t min_question_len = 5;
constexpr std::size_t min_rr_len = 11;

errc check_header(byte_view wire, header& hdr) noexcept
{
    if (wire.size() < header_len) {
        return errc::message_too_short;
    }
    if (wire.size() > max_message_len) {
        return errc::message_too_large;
    }
    hdr = header::load(wire.data());
    std::size_t const rrs = std::size_t{hdr.ancount} + hdr.nscount + hdr.arcount;
    if (std::size_t{hdr.qdcount} * min_question_len + rrs * min_rr_len > wire.size() - header_len) {
        return errc::count_overflow;
    }
    return errc::ok;
}

} // namespace

errc check_edns_options(byte_view msg, std::size_t rdata_off, std::size_t rdata_len) noexcept
{
    std::size_t pos = rdata_off;
    std::size_t const end = rdata_off + rdata_len;
    if (end > msg.size()) {
        return errc::rdata_truncated;
    }
    while (pos < end) {
        if (end - pos < 4) {
            return errc::opt_option_truncated;
        }
        std::size_t const len = core::load_be16(msg.data() + pos + 2);
        if (end - pos - 4 < len) {
            return errc::opt_option_truncated;
        }
        pos += 4 + len;
    }
    return errc::ok;
}

errc parse_client_subnet(byte_view data, client_subnet& out) noexcept
{
    if (data.size() < 4) {
        return errc::opt_option_truncated;
    }
    out.family = core::load_be16(data.data());
    out.source_prefix = data[2];
    out.scope_prefix = data[3];
    out.address = data.subspan(4);
    return errc::ok;
}

errc message::parse(byte_view wire) noexcept
{
    wire_ = wire;
    n_rrs_ = 0;
    n_questions_ = 0;
    edns_ = {};
    if (auto e = check_header(wire, hdr_); e != errc::ok) {
        return e;
    }
    std::size_t const counts[3] = {hdr_.ancount, hdr_.nscount, hdr_.arcount};
    if (hdr_.qdcount > max_questions || counts[0] + counts[1] + counts[2] > max_records) {
        return errc::too_many_records;
    }
    std::size_t pos = header_len;
    for (std::size_t i = 0; i < hdr_.qdcount; ++i) {
        if (auto e = read_question(wire, pos, questions_[i]); e != errc::ok) {
            return e;
        }
    }
    n_questions_ = hdr_.qdcount;
    questions_end_ = pos;
    std::size_t n = 0;
    for (unsigned s = 0; s < 3; ++s) {
        auto const sec = static_cast<section>(s + 1);
        for (std::size_t i = 0; i < counts[s]; ++i) {
            rr& r = rrs_[n];
            if (auto e = read_rr(wire, pos, sec, r); e != errc::ok) {
                return e;
            }
            if (r.type == rrtype::opt) [[unlikely]] {
                if (sec != section::additional) {
                    return errc::opt_misplaced;
                }
                if (edns_.present) {
                    return errc::opt_duplicate;
                }
                if (wire[r.owner_off] != 0) {
                    return errc::opt_bad_owner;
                }
                if (auto e = check_edns_options(wire, r.rdata_off, r.rdata_len); e != errc::ok) {
                    return e;
                }
                edns_.present = true;
                edns_.rr_index = static_cast<std::uint16_t>(n);
                edns_.udp_size = r.cls;
                edns_.ext_rcode = static_cast<std::uint8_t>(r.ttl >> 24);
                edns_.version = static_cast<std::uint8_t>(r.ttl >> 16);
                edns_.do_bit = (r.ttl & 0x8000u) != 0;
                edns_.z = static_cast<std::uint16_t>(r.ttl & 0x7FFFu);
                edns_.rdata_off = r.rdata_off;
                edns_.rdata_len = r.rdata_len;
            }
            ++n;
        }
    }
    if (pos != wire.size()) {
        return errc::trailing_data;
    }
    n_rrs_ = n;
    return errc::ok;
}

std::span<const rr> message::records(section s) const noexcept
{
    std::size_t const an = hdr_.ancount;
    std::size_t const ns = hdr_.nscount;
    switch (s) {
    case section::answer:
        return {rrs_, an};
    case section::authority:
        return {rrs_ + an, ns};
    case section::additional:
        return {rrs_ + an + ns, n_rrs_ - an - ns};
    case section::question:
        break;
    }
    return {};
}

bool message::find_edns_option(std::uint16_t code, edns_option& out) const noexcept
{
    auto it = edns_options();
    edns_option o;
    while (it.next(o)) {
        if (o.code == code) {
            out = o;
            return true;
        }
    }
    return false;
}

errc rr_reader::start(byte_view wire) noexcept
{
    wire_ = wire;
    sec_ = 0;
    err_ = check_header(wire, hdr_);
    if (err_ != errc::ok) {
        return err_;
    }
    left_[0] = hdr_.ancount;
    left_[1] = hdr_.nscount;
    left_[2] = hdr_.arcount;
    pos_ = header_len;
    question q;
    for (std::size_t i = 0; i < hdr_.qdcount; ++i) {
        if (err_ = read_question(wire, pos_, q); err_ != errc::ok) {
            return err_;
        }
    }
    return errc::ok;
}

bool rr_reader::next(rr& out) noexcept
{
    if (err_ != errc::ok) {
        return false;
    }
    while (sec_ < 3 && left_[sec_] == 0) {
        ++sec_;
    }
    if (sec_ == 3) {
        if (pos_ != wire_.size()) {
            err_ = errc::trailing_data;
        }
        return false;
    }
    --left_[sec_];
    err_ = read_rr(wire_, pos_, static_cast<section>(sec_ + 1), out);
    return err_ == errc::ok;
}

std::size_t scrub_edns_privacy(core::byte_span wire, const message& parsed) noexcept
{
    if (wire.data() != parsed.wire().data() || wire.size() != parsed.wire().size()) {
        return 0;
    }
    std::size_t n = 0;
    auto it = parsed.edns_options();
    edns_option o;
    while (it.next(o)) {
        if (!is_privacy_option(o.code)) {
            continue;
        }
        std::size_t keep = 0;
        // ECS keeps FAMILY so the option stays well-formed for every reader.
        if (o.code == edns_code::client_subnet && o.len >= 2) {
            keep = 2;
        }
        std::memset(wire.data() + o.data_off + keep, 0, o.len - keep);
        ++n;
    }
    return n;
}

} // namespace siehub::dns
