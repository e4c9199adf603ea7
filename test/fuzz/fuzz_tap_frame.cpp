// SPDX-License-Identifier: Apache-2.0
// Fuzz target: siehub-tap's engine on arbitrary frames. The input is a sequence of records
// [u16 length][u8 ring VLAN: 0 = none, else id][frame bytes]; every frame goes through the
// decoder (Ethernet/VLAN/IP/UDP, nmsg header, reassembly, zlib, container, CRC, sequence loss)
// into a sink that renders JSON and packs nmsg units. Checks: every payload reaching the sink
// is a valid payload view, and every frame is accounted for exactly once by the counters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "proto/json/json_line.hpp"
#include "proto/nmsg/packer.hpp"
#include "tap.hpp"

using namespace siehub;

namespace {

class checking_sink final : public tap::payload_sink {
public:
    bool put(std::uint16_t, const nmsg::payload_view& p) override
    {
        if (!p.ok()) {
            std::abort(); // a malformed payload must never reach an output
        }
        json_.clear();
        bool const rendered = json::render_json_line(p, json_) == json::line_error::none;
        bool const packed = packer_.add(p, [this](std::span<const nmsg::byte_view> u) {
            for (auto b : u) {
                bytes_ += b.size();
            }
        });
        return rendered || packed;
    }
    void tick(std::int64_t) override {}
    void close() override
    {
        packer_.flush([this](std::span<const nmsg::byte_view> u) {
            for (auto b : u) {
                bytes_ += b.size();
            }
        });
    }
    [[nodiscard]] bool failed() const noexcept override { return false; }

private:
    std::string json_;
    nmsg::unit_packer packer_{1280, true, false};
    std::uint64_t bytes_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // One engine for the whole run (it holds megabytes of buffers: building one per input
    // made the fuzzer crawl); reassembly and sequence state carry over between inputs, the
    // checks below are on this input's counter deltas.
    static checking_sink sink;
    static tap::decoder dec(tap::decoder_options{}, sink);
    static std::uint64_t now = 1000;
    auto const before = dec.counters();
    std::size_t off = 0;
    while (off + 3 <= size) {
        std::size_t const len = std::size_t{data[off]} | (std::size_t{data[off + 1]} << 8);
        int const vlan = data[off + 2] == 0 ? -1 : data[off + 2];
        off += 3;
        std::size_t const n = len < size - off ? len : size - off;
        dec.frame({data + off, n}, vlan, now);
        now += 10;
        off += n;
    }
    sink.close();
    using c = tap::tap_counter;
    auto const& after = dec.counters();
    auto k = [&](c x) { return after.get(x) - before.get(x); };
    std::uint64_t const accounted = k(c::ignored_not_ip) + k(c::ignored_not_udp) +
                                    k(c::ignored_other_port) + k(c::ignored_other_channel) +
                                    k(c::drop_frame_truncated) + k(c::drop_frame_malformed) +
                                    k(c::drop_ipv4_fragment) + k(c::datagrams);
    if (accounted != k(c::frames) ||
        k(c::payloads_out) + k(c::drop_payload_crc) + k(c::drop_output_refused) != k(c::payloads)) {
        std::abort();
    }
    return 0;
}
