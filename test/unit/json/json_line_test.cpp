// SPDX-License-Identifier: Apache-2.0
// Error paths of the line renderer and parser: what nmsgtool -J refuses, what -j cannot read.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "proto/json/json_line.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"

using namespace siehub;

namespace {

std::string payload_bytes(std::uint32_t vid, std::uint32_t msgtype,
                          std::optional<core::byte_view> vendor)
{
    std::vector<std::uint8_t> buf(4096);
    core::out_buffer out(buf);
    nmsg::payload_header h;
    h.vid = vid;
    h.msgtype = msgtype;
    h.time_sec = 1795382103;
    h.time_nsec = 5;
    nmsg::write_payload(out, h, vendor);
    REQUIRE(out.ok());
    return std::string(core::as_chars(out.written()));
}

json::line_error render(const std::string& p, std::string& line)
{
    return json::render_json_line(core::as_bytes(p), line);
}

json::line_error parse(const std::string& text)
{
    static json::json_line_parser parser;
    std::vector<std::uint8_t> buf(1 << 16);
    core::out_buffer out(buf);
    return parser.parse(text, out);
}

} // namespace

TEST_CASE("render refuses what nmsgtool -J exits on", "[json]")
{
    std::string line = "keep";
    const std::uint8_t dnsnx_min[] = {0x0a, 0x01, 0x00, 0x10, 0x01, 0x18, 0x01, 0x22, 0x00};
    CHECK(render(payload_bytes(2, 6, core::byte_view(dnsnx_min)), line) == json::line_error::none);
    line = "keep";
    CHECK(render(payload_bytes(2, 2, core::byte_view(dnsnx_min)), line) ==
          json::line_error::unknown_message_type);
    CHECK(render(payload_bytes(3, 1, core::byte_view(dnsnx_min)), line) ==
          json::line_error::unknown_message_type);
    CHECK(render(payload_bytes(2, 6, std::nullopt), line) == json::line_error::no_message_bytes);
    // dnsnx without its required response_ip
    const std::uint8_t dnsnx_short[] = {0x0a, 0x01, 0x00, 0x10, 0x01, 0x18, 0x01};
    CHECK(render(payload_bytes(2, 6, core::byte_view(dnsnx_short)), line) ==
          json::line_error::undecodable_message);
    // malformed protobuf: a length past the end
    const std::uint8_t bad_pb[] = {0x0a, 0x09, 0x00};
    CHECK(render(payload_bytes(2, 1, core::byte_view(bad_pb)), line) ==
          json::line_error::undecodable_message);
    // dnsdedupe rdata without rrtype/rrclass
    const std::uint8_t no_type[] = {0x2a, 0x04, 192, 0, 2, 1};
    CHECK(render(payload_bytes(2, 1, core::byte_view(no_type)), line) ==
          json::line_error::rdata_without_type);
    // out is untouched by a refusal
    CHECK(line == "keep");
    // an undecodable NmsgPayload (no time_nsec)
    const std::string hdr_only = "\x08\x02\x10\x06\x18\x01";
    CHECK(render(hdr_only, line) == json::line_error::undecodable_message);
}

TEST_CASE("render: header keys, zero source/operator/group omitted", "[json]")
{
    std::vector<std::uint8_t> buf(256);
    core::out_buffer out(buf);
    nmsg::payload_header h{2, 6, -1, 999999999, 0u, 7u, 0u};
    const std::uint8_t dnsnx_min[] = {0x0a, 0x01, 0x00, 0x10, 0x01, 0x18, 0x01, 0x22, 0x00};
    nmsg::write_payload(out, h, core::byte_view(dnsnx_min));
    std::string line;
    REQUIRE(json::render_json_line(out.written(), line) == json::line_error::none);
    CHECK(line == "{\"time\":\"1969-12-31 23:59:59.999999999\",\"vname\":\"SIE\",\"mname\":"
                  "\"dnsnx\",\"operator\":7,\"message\":{\"qname\":\".\",\"qclass\":\"IN\","
                  "\"qtype\":\"A\",\"response_ip\":null}}\n");
}

TEST_CASE("parse errors are specific", "[json]")
{
    const std::string ok = R"({"time":"2026-11-22 21:15:04.200000000","vname":"sie","mname":"DNSNX",)"
                           R"("message":{"qname":"nope.example.net.","qclass":"IN","qtype":"MX",)"
                           R"("response_ip":"198.51.100.53"}})";
    CHECK(parse(ok) == json::line_error::none);
    CHECK(parse(ok + "\n") == json::line_error::none);
    CHECK(parse("{") == json::line_error::bad_json);
    CHECK(parse("[1]") == json::line_error::not_an_object);
    CHECK(parse(R"({"vname":"SIE"})") == json::line_error::missing_name);
    CHECK(parse(R"({"vname":"SIE","mname":"reputation","message":{}})") ==
          json::line_error::unknown_name);
    CHECK(parse(R"({"vname":"nope","mname":"dnsnx","message":{}})") ==
          json::line_error::unknown_name);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","time":"yesterday","message":{}})") ==
          json::line_error::bad_time);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","source":"xyz","message":{}})") ==
          json::line_error::bad_source);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","source":"123456789","message":{}})") ==
          json::line_error::bad_source);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","operator":"ops","message":{}})") ==
          json::line_error::bad_operator);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","message":[]})") ==
          json::line_error::bad_message);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","message":{"qname":"a."}})") ==
          json::line_error::missing_required);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","message":{"qtype":"NOPE"}})") ==
          json::line_error::bad_field);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","message":{"qname":"a..b."}})") ==
          json::line_error::bad_name);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsnx","message":{"response_ip":"1.2.3"}})") ==
          json::line_error::bad_field);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsdedupe","message":{"rdata":["1.2.3.4"]}})") ==
          json::line_error::rdata_without_type);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsdedupe","message":{"rrtype":"A","rrclass":"IN",)"
                R"("rdata":["1.2.3"]}})") == json::line_error::bad_rdata);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsdedupe","message":{"response":"x"}})") ==
          json::line_error::unsupported_field);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsdedupe","message":{"rdata":"x"}})") ==
          json::line_error::bad_field);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsdedupe","message":{"count":-1}})") ==
          json::line_error::bad_field);
    CHECK(parse(R"({"vname":"SIE","mname":"dnsdedupe","message":{"count":4294967296}})") ==
          json::line_error::bad_field);
    CHECK(parse(R"({"vname":"base","mname":"dnsqr","message":{"type":"NOPE"}})") ==
          json::line_error::bad_field);
    CHECK(std::string(json::to_string(json::line_error::rdata_without_type)) ==
          "rdata_without_type");
}

TEST_CASE("parse: time forms and header fields", "[json]")
{
    json::json_line_parser parser;
    std::vector<std::uint8_t> buf(4096);
    auto header_of = [&](const std::string& prefix) {
        core::out_buffer out(buf);
        const std::string line = "{" + prefix +
                                 R"("vname":"SIE","mname":"dnsnx","message":{"qname":"a.",)"
                                 R"("qclass":"IN","qtype":"A","response_ip":null}})";
        REQUIRE(parser.parse(line, out, 42, 7) == json::line_error::none);
        return nmsg::payload_view(out.written());
    };
    auto v = header_of("");
    CHECK(v.time_sec() == 42); // absent time: "now", as given by the caller
    CHECK(v.time_nsec() == 7);
    v = header_of(R"("time":1795382103,)");
    CHECK(v.time_sec() == 1795382103);
    CHECK(v.time_nsec() == 0);
    v = header_of(R"("time":1.5,)");
    CHECK(v.time_sec() == 1);
    CHECK(v.time_nsec() == 500000000);
    v = header_of(R"("time":"2026-11-22 21:15:03.5",)");
    CHECK(v.time_nsec() == 5); // the fraction is an integer count of ns (nmsgtool quirk)
    v = header_of(R"("source":"a1b2c3d4","operator":7,"group":12,)");
    CHECK(v.source() == 0xa1b2c3d4u);
    CHECK(v.operator_id() == 7u);
    CHECK(v.group() == 12u);
    v = header_of(R"("source":255,)");
    CHECK(v.source() == 255u);
}

TEST_CASE("encode payload: JSON val verbatim, TEXT as string, MSGPACK b64 only", "[json]")
{
    json::json_line_parser parser;
    std::vector<std::uint8_t> buf(4096);
    auto round = [&](const std::string& msg) {
        core::out_buffer out(buf);
        const std::string line =
            R"({"time":"2026-11-22 21:15:03.000000000","vname":"base","mname":"encode","message":)" +
            msg + "}";
        REQUIRE(parser.parse(line, out) == json::line_error::none);
        std::string again;
        REQUIRE(json::render_json_line(out.written(), again) == json::line_error::none);
        return again.substr(again.find("\"message\":") + 10);
    };
    // "e30=" is "{}", "bm90IGpzb24=" is "not json"
    CHECK(round(R"({"type":"JSON","payload":"e30="})") ==
          "{\"type\":\"JSON\",\"payload\":{\"val\":{},\"b64\":\"e30=\"}}}\n");
    CHECK(round(R"({"type":"JSON","payload":"bm90IGpzb24="})") ==
          "{\"type\":\"JSON\",\"payload\":{\"b64\":\"bm90IGpzb24=\"}}}\n");
    CHECK(round(R"({"type":"TEXT","payload":"bm90IGpzb24="})") ==
          "{\"type\":\"TEXT\",\"payload\":{\"val\":\"not json\",\"b64\":\"bm90IGpzb24=\"}}}\n");
    CHECK(round(R"({"type":3,"payload":{"b64":"e30="}})") ==
          "{\"type\":\"MSGPACK\",\"payload\":{\"b64\":\"e30=\"}}}\n");
    CHECK(round(R"({"type":9,"payload":"e30="})") ==
          "{\"type\":9,\"payload\":{\"b64\":\"e30=\"}}}\n");
}
