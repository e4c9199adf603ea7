// SPDX-License-Identifier: Apache-2.0
// ns per nmsgtool -J line rendered, for a dnsqr payload (query + response packets, two DNS
// messages rendered as JSON objects) and for a dnsdedupe payload; and ns per -j line parsed.
// Inputs are the golden vectors, so runs are repeatable.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "proto/json/json_line.hpp"
#include "proto/nmsg/container.hpp"

using namespace siehub;

namespace {

std::string slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The first payload of an (uncompressed) nmsg file.
std::string first_payload(const std::string& path)
{
    const std::string file = slurp(path);
    nmsg::nmsg_unit u = nmsg::next_file_unit(core::as_bytes(file));
    if (!u.ok() || u.header.zlib() || u.header.fragment()) {
        return {};
    }
    nmsg::nmsg_view v(u.body);
    for (const nmsg::payload_entry& e : v.entries()) {
        return std::string(core::as_chars(e.view.bytes()));
    }
    return {};
}

} // namespace

int main()
{
    const char* env = std::getenv("SIEHUB_TESTDATA");
    const std::string root = env != nullptr ? env : "../shared/testdata";
    const std::string dnsqr = first_payload(root + "/nmsg/dnsqr.nmsg");
    const std::string dedupe = first_payload(root + "/nmsg/dnsdedupe-insertion.nmsg");
    if (dnsqr.empty() || dedupe.empty()) {
        std::fprintf(stderr, "bench_json: cannot read golden nmsg files under %s\n", root.c_str());
        return 1;
    }
    std::string line;
    line.reserve(8192);
    auto render = [&](const std::string& p) {
        line.clear();
        json::render_json_line(core::as_bytes(p), line);
        bench::keep(line.size());
    };
    bench::print(bench::measure("json render dnsqr (1:9, q+r, 2 DNS objects)",
                                [&] { render(dnsqr); }, 2000));
    bench::print(bench::measure("json render dnsdedupe (2:1, A x2)", [&] { render(dedupe); }));

    // -j direction on the rendered dnsdedupe line.
    render(dedupe);
    const std::string dedupe_line = line;
    json::json_line_parser parser;
    std::vector<std::uint8_t> buf(1 << 16);
    bench::print(bench::measure("json parse dnsdedupe line (-j)", [&] {
        core::out_buffer out(buf);
        parser.parse(dedupe_line, out);
        bench::keep(out.size());
    }));
    return 0;
}
