// SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers for the record and emitter tests: golden files, the payloads of an nmsg file, and a
// receiver that decodes what an emitter sent the way nmsgtool would (datagram rule, fragment
// reassembly, zlib, CRCs, sequence numbers) and fails the test on anything malformed.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/emit.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"

namespace siehub::pipeline::test {

using bytes = std::vector<std::uint8_t>;

inline std::string testdata(const std::string& rel)
{
    const char* root = std::getenv("SIEHUB_TESTDATA");
    return std::string(root ? root : "../shared/testdata") + "/" + rel;
}

inline bytes read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every serialized NmsgPayload of an nmsg file, in order (CRCs checked).
inline std::vector<bytes> file_payloads(const bytes& file)
{
    std::vector<bytes> out;
    core::byte_view rest{file};
    while (!rest.empty()) {
        auto const u = nmsg::next_file_unit(rest);
        REQUIRE(u.ok());
        REQUIRE(!u.header.zlib());
        REQUIRE(!u.header.fragment());
        nmsg::nmsg_view const v(u.body);
        REQUIRE(v.valid());
        for (auto const& e : v.entries()) {
            REQUIRE(e.crc_ok());
            out.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
        }
        rest = rest.subspan(u.consumed);
    }
    return out;
}

inline nmsg::payload_header header_of(const nmsg::payload_view& p)
{
    return {p.vid(),    p.msgtype(),     p.time_sec(), p.time_nsec(),
            p.source(), p.operator_id(), p.group()};
}

// Collects every datagram an emitter hands over; can refuse on request.
struct collecting_sink final : datagram_sink {
    std::vector<bytes> datagrams;
    std::vector<datagram_meta> metas;
    bool refuse = false;

    bool send(core::byte_view d, const datagram_meta& m) noexcept override
    {
        if (refuse) {
            return false;
        }
        datagrams.emplace_back(d.begin(), d.end());
        metas.push_back(m);
        return true;
    }
};

// A receiver for one emitter's datagrams. Checks, per datagram: one well-formed v2 unit, no
// larger than `limit`; per container: it parses with every required field, has ≥ 1 payload,
// every CRC right, sequence_id as expected, sequence = previous + 1 starting at 0.
struct receiver {
    std::size_t limit;
    std::uint64_t sequence_id;
    std::uint32_t expected_sequence = 0;
    std::size_t containers = 0;
    std::size_t fragment_datagrams = 0;
    std::vector<bytes> payloads; // serialized NmsgPayloads in arrival order
    nmsg::reassembler reasm;
    nmsg::inflater inflate;
    bytes scratch = bytes(nmsg::zlib_max_inflated);

    receiver(std::size_t lim, std::uint64_t sid) : limit(lim), sequence_id(sid) {}

    void container(core::byte_view body, bool zlib)
    {
        if (zlib) {
            auto const r = inflate.inflate(body, scratch);
            REQUIRE(r.ok());
            body = r.data;
        }
        nmsg::nmsg_view const v(body);
        REQUIRE(v.valid());
        REQUIRE(v.payload_count() > 0);
        REQUIRE(v.payload_crcs().size() == v.payload_count());
        REQUIRE(v.sequence_id() == sequence_id);
        REQUIRE(v.sequence() == expected_sequence);
        ++expected_sequence;
        ++containers;
        for (auto const& e : v.entries()) {
            REQUIRE(e.stored_crc.has_value());
            REQUIRE(e.crc_ok());
            payloads.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
        }
    }

    void datagram(core::byte_view d)
    {
        REQUIRE(d.size() <= limit);
        auto const u = nmsg::parse_datagram(d);
        REQUIRE(u.ok());
        if (u.header.fragment()) {
            ++fragment_datagrams;
            auto const r = reasm.offer(u.body, u.header.flags, {}, 1, 0);
            REQUIRE(r.st != nmsg::reasm_result::status::dropped);
            if (r.st == nmsg::reasm_result::status::complete) {
                bytes const whole(r.body.begin(), r.body.end()); // valid until next offer
                container(whole, r.zlib);
            }
            return;
        }
        container(u.body, u.header.zlib());
    }

    void all(const std::vector<bytes>& ds)
    {
        for (auto const& d : ds) {
            datagram(d);
        }
        REQUIRE(reasm.sets() == 0); // no fragment set left incomplete
    }
};

} // namespace siehub::pipeline::test
