// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers: hex, the testdata/axa transcripts, splitting a TX buffer into messages.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "axa/message.hpp"

namespace axa_test {

using bytes = std::vector<std::uint8_t>;

inline bytes from_hex(const std::string& h)
{
    bytes out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
    }
    return out;
}

struct record {
    bool to_server = false; // C>S
    std::string op_name;
    bytes wire; // header + body
};

inline std::string testdata(const std::string& rel)
{
    const char* root = std::getenv("SIEHUB_TESTDATA");
    if (root == nullptr) {
        throw std::runtime_error("SIEHUB_TESTDATA not set");
    }
    return std::string(root) + "/" + rel;
}

// Lines: `C>S USER tag=0 pvers=1 len=72 hdr=... body=...`.
inline std::vector<record> load_transcript(const std::string& rel)
{
    std::ifstream in(testdata(rel));
    if (!in) {
        throw std::runtime_error("cannot open " + rel);
    }
    std::vector<record> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() < 4) {
            continue;
        }
        std::istringstream ls(line);
        std::string dir, op, word;
        ls >> dir >> op;
        record r;
        r.to_server = dir == "C>S";
        r.op_name = op;
        std::string hdr, body;
        while (ls >> word) {
            if (word.rfind("hdr=", 0) == 0) {
                hdr = word.substr(4);
            } else if (word.rfind("body=", 0) == 0) {
                body = word.substr(5);
            }
        }
        r.wire = from_hex(hdr + body);
        out.push_back(std::move(r));
    }
    return out;
}

struct msg {
    siehub::axa::header h;
    bytes body;
    bytes wire;
};

// Splits what a session wrote into messages; fails the test on a framing error.
inline std::vector<msg> split(siehub::core::byte_view b)
{
    std::vector<msg> out;
    std::size_t off = 0;
    while (off < b.size()) {
        auto const f = siehub::axa::next_frame(b.subspan(off));
        if (f.err != siehub::axa::errc::ok || !f.complete) {
            throw std::runtime_error("bad framing in session output");
        }
        out.push_back({f.h, bytes(f.body.begin(), f.body.end()),
                       bytes(b.begin() + static_cast<long>(off),
                             b.begin() + static_cast<long>(off + f.size))});
        off += f.size;
    }
    return out;
}

inline siehub::core::byte_view view(const bytes& b)
{
    return {b.data(), b.size()};
}

} // namespace axa_test
