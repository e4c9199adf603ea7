// SPDX-License-Identifier: Apache-2.0
#include "proto/nmsg/reassembly.hpp"

namespace siehub::nmsg {

void reassembler::erase(std::map<frag_key, frag_set>::iterator it)
{
    total_bytes_ -= it->second.bytes;
    sets_.erase(it);
}

std::size_t reassembler::expire(std::uint64_t now_ms)
{
    std::size_t n = 0;
    for (auto it = sets_.begin(); it != sets_.end();) {
        auto next = std::next(it);
        if (now_ms - it->second.first_ms > cfg_.timeout_ms) {
            erase(it);
            ++counters_[static_cast<std::size_t>(reasm_reason::timeout)];
            ++n;
        }
        it = next;
    }
    return n;
}

reasm_result reassembler::offer(byte_view fragment_body, std::uint8_t flags,
                                const std::array<std::uint8_t, 16>& addr, std::uint16_t port,
                                std::uint64_t now_ms)
{
    // Timeouts are checked as datagrams arrive, as libnmsg does.
    expire(now_ms);

    fragment_view const f(fragment_body);
    if (!f.ok()) {
        return drop(reasm_reason::malformed);
    }
    if (f.last() >= cfg_.max_fragments) {
        return drop(reasm_reason::last_too_large);
    }
    if (f.current() > f.last()) {
        return drop(reasm_reason::current_beyond_last);
    }
    frag_key key;
    key.id = f.id();
    key.has_crc = f.crc().has_value();
    key.crc = f.crc().value_or(0);
    key.addr = addr;
    key.port = port;

    auto it = sets_.find(key);
    if (it == sets_.end()) {
        if (sets_.size() >= cfg_.max_sets ||
            total_bytes_ + f.fragment().size() > cfg_.max_total_bytes) {
            return drop(reasm_reason::too_many_sets);
        }
        frag_set s;
        s.last = f.last();
        s.first_ms = now_ms;
        s.parts.resize(std::size_t{f.last()} + 1);
        s.have.resize(std::size_t{f.last()} + 1);
        it = sets_.emplace(key, std::move(s)).first;
    }
    frag_set& s = it->second;
    if (f.last() != s.last) {
        return drop(reasm_reason::last_mismatch);
    }
    if (s.have[f.current()]) {
        return drop(reasm_reason::duplicate);
    }
    if (s.bytes + f.fragment().size() > cfg_.max_set_bytes) {
        erase(it);
        return drop(reasm_reason::set_too_large);
    }
    if (total_bytes_ + f.fragment().size() > cfg_.max_total_bytes) {
        return drop(reasm_reason::too_many_sets);
    }
    s.parts[f.current()].assign(f.fragment().begin(), f.fragment().end());
    s.have[f.current()] = true;
    s.bytes += f.fragment().size();
    total_bytes_ += f.fragment().size();
    ++s.received;
    if (s.received <= s.last) {
        return {};
    }

    assembled_.clear();
    assembled_.reserve(s.bytes);
    for (auto const& p : s.parts) {
        assembled_.insert(assembled_.end(), p.begin(), p.end());
    }
    bool const has_crc = key.has_crc;
    std::uint32_t const crc = key.crc;
    erase(it);
    if (has_crc && crc32c_stored(assembled_) != crc) {
        return drop(reasm_reason::crc_mismatch);
    }
    ++counters_[static_cast<std::size_t>(reasm_reason::completed)];
    return {reasm_result::status::complete, reasm_reason::completed, (flags & flag_zlib) != 0,
            byte_view{assembled_.data(), assembled_.size()}};
}

} // namespace siehub::nmsg
