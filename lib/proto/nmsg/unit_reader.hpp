// SPDX-License-Identifier: Apache-2.0
#pragma once
// One received nmsg unit (datagram or file unit) to a validated container, the way a libnmsg
// reader takes it: fragments reassembled per sender (a repeated fragment is ignored), zlib
// bodies inflated, the container and every payload in it validated. Shared by siehub-nmsg and
// siehub-tap, which differ only in what they do with a bad unit (stop and report, or count).
// Slow path: owns the reassembler, the inflater and a 1 MiB inflate buffer.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proto/nmsg/container.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"

namespace siehub::nmsg {

struct unit_result {
    enum class status : std::uint8_t {
        container, // view() holds the container
        pending,   // a fragment was stored (or a repeated one ignored): nothing yet
        dropped,   // the unit (or its fragment set) is bad: see stage and reason
    };
    enum class stage : std::uint8_t { none, fragment, zlib, container };

    status st = status::pending;
    stage where = stage::none;
    std::string_view reason; // the stage's own reason name (reasm_reason, zlib_error, …)

    [[nodiscard]] std::string_view stage_name() const noexcept
    {
        switch (where) {
        case stage::fragment:
            return "fragment";
        case stage::zlib:
            return "zlib";
        case stage::container:
            return "container";
        case stage::none:
            break;
        }
        return "none";
    }
};

class unit_reader {
public:
    explicit unit_reader(reasm_config cfg = {}) : reasm_(cfg), inflated_(zlib_max_inflated) {}

    unit_result read(const nmsg_unit& u, const std::array<std::uint8_t, 16>& addr,
                     std::uint16_t port, std::uint64_t now_ms)
    {
        using st = unit_result::status;
        using sg = unit_result::stage;
        byte_view body = u.body;
        bool zlib = u.header.zlib();
        if (u.header.fragment()) {
            auto r = reasm_.offer(body, u.header.flags, addr, port, now_ms);
            if (r.st == reasm_result::status::pending ||
                (r.st == reasm_result::status::dropped && r.reason == reasm_reason::duplicate)) {
                return {st::pending, sg::none, {}};
            }
            if (r.st == reasm_result::status::dropped) {
                return {st::dropped, sg::fragment, to_string(r.reason)};
            }
            body = r.body;
            zlib = r.zlib;
        }
        if (zlib) {
            auto r = inflater_.inflate(body, inflated_);
            if (!r.ok()) {
                return {st::dropped, sg::zlib, to_string(r.error)};
            }
            body = r.data;
        }
        view_ = nmsg_view(body);
        if (!view_.valid()) {
            return {st::dropped, sg::container, to_string(view_.status())};
        }
        return {st::container, sg::none, {}};
    }

    // The container of the last read() that returned status::container; valid until the next.
    [[nodiscard]] const nmsg_view& view() const noexcept { return view_; }
    [[nodiscard]] const reassembler& reassembly() const noexcept { return reasm_; }

private:
    reassembler reasm_;
    inflater inflater_;
    std::vector<std::uint8_t> inflated_;
    nmsg_view view_;
};

} // namespace siehub::nmsg
