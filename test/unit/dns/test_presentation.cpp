// SPDX-License-Identifier: Apache-2.0
// One case per §11 quirk of nmsg.md (wdns 0.12.0 presentation).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/out_buffer.hpp"
#include "proto/dns/presentation.hpp"
#include "proto/dns/rdata_text.hpp"

using namespace siehub;

namespace {

using bytes = std::vector<std::uint8_t>;

std::string render(std::uint16_t type, std::uint16_t cls, const bytes& b)
{
    std::string s;
    dns::rdata_to_text(type, cls, core::byte_view{b.data(), b.size()}, s);
    return s;
}

bytes parse(std::uint16_t type, std::uint16_t cls, std::string_view text,
            dns::rdata_text_error want = dns::rdata_text_error::none)
{
    std::uint8_t buf[4096];
    core::out_buffer ob{core::byte_span{buf, sizeof buf}};
    auto e = dns::rdata_from_text(type, cls, text, ob);
    CHECK(dns::to_string(e) == dns::to_string(want));
    return bytes(ob.written().begin(), ob.written().end());
}

void round_trip(std::uint16_t type, const bytes& wire, std::string_view text)
{
    INFO(text);
    CHECK(render(type, 1, wire) == text);
    CHECK(parse(type, 1, text) == wire);
}

std::string name_text(const bytes& b)
{
    std::string s;
    dns::name_to_text(core::byte_view{b.data(), b.size()}, s);
    return s;
}

std::string msg_text(const bytes& m)
{
    std::string s;
    dns::message_to_text(core::byte_view{m.data(), m.size()}, s);
    return s;
}

std::string msg_json(const bytes& m)
{
    std::string s;
    if (!dns::message_to_json(core::byte_view{m.data(), m.size()}, s)) {
        return "null";
    }
    return s;
}

void append(bytes& b, std::initializer_list<int> v)
{
    for (int x : v) {
        b.push_back(static_cast<std::uint8_t>(x));
    }
}

const bytes www_example = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};

} // namespace

TEST_CASE("type, class, rcode and opcode tables", "[dns][presentation]")
{
    std::string s;
    dns::append_rrtype(53, s);
    s += ' ';
    dns::append_rrtype(63, s);
    s += ' ';
    dns::append_rrtype(32769, s);
    s += ' ';
    dns::append_rrtype(46, s);
    CHECK(s == "TYPE53 TYPE63 DLV RRSIG");
    CHECK(dns::rrtype_from_text("nsap-ptr") == 23);
    CHECK(dns::rrtype_from_text("TYPE65280") == 65280);
    CHECK_FALSE(dns::rrtype_from_text("TYPE70000"));
    CHECK_FALSE(dns::rrtype_from_text("BOGUS"));

    s.clear();
    dns::append_rrclass(3, s);
    s += ' ';
    dns::append_rrclass(65000, s);
    s += ' ';
    dns::append_rrclass(65000, s, dns::unknown_class_form::sie);
    CHECK(s == "CH CLASS65000 <UNKNOWN>");
    CHECK(dns::rrclass_from_text("CLASS65000") == 65000);

    s.clear();
    dns::append_rcode(16, s);
    s += ' ';
    dns::append_rcode(11, s);
    s += ' ';
    dns::append_opcode(3, s);
    s += ' ';
    dns::append_opcode(4, s);
    CHECK(s == "BADVERS 11 3 NOTIFY");
}

TEST_CASE("names escape dots, backslashes and non-graphic bytes", "[dns][presentation]")
{
    bytes n = {3, 'a', '.', 'b', 6, 's', 'p', ' ', 'a', 'c', 'e', 2, 0xc3, 'x',
               5, 'b', 'a', 'c', 'k', '\\', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    CHECK(name_text(n) == "a\\.b.sp\\032ace.\\195x.back\\\\.example.");
    CHECK(name_text({0}) == ".");
    CHECK(name_text({1, '"', 1, ';', 1, '(', 1, '@', 0}) == "\".;.(.@.");
    // and back: the same wire through the CNAME parser
    CHECK(parse(5, 1, "a\\.b.sp\\032ace.\\195x.back\\\\.example.") == n);
}

TEST_CASE("address, name and number rdata", "[dns][presentation]")
{
    round_trip(1, {192, 0, 2, 1}, "192.0.2.1");
    round_trip(28, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0, 0, 0x42},
               "2001:db8:0:1::ff00:42");
    bytes mx = {0, 10};
    mx.insert(mx.end(), www_example.begin(), www_example.end());
    round_trip(15, mx, "10 www.example.");
    round_trip(18, mx, "10 www.example.");  // AFSDB
    bytes srv = {0, 1, 0, 2, 0x13, 0xc4};
    srv.insert(srv.end(), www_example.begin(), www_example.end());
    round_trip(33, srv, "1 2 5060 www.example.");
    bytes soa = www_example;
    soa.insert(soa.end(), www_example.begin(), www_example.end());
    append(soa, {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff});
    round_trip(6, soa, "www.example. www.example. 1 2 3 4 4294967295");
    round_trip(108, {0, 1, 2, 0xab, 0xcd, 0xef}, "00-01-02-ab-cd-ef");
    round_trip(109, {0, 1, 2, 3, 4, 5, 6, 0xff}, "00-01-02-03-04-05-06-ff");
    // WKS prints its address as one decimal int32 (wdns descriptor)
    round_trip(11, {192, 0, 2, 1, 6, 0x40, 0x01}, "3221225985 6 4001");
    // A6: prefix length, address suffix, then the prefix name
    bytes a6 = {64, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    round_trip(38, a6, "64 ::1 .");
}

TEST_CASE("character strings quote and escape", "[dns][presentation]")
{
    bytes txt = {9, 's', 'a', 'y', ' ', '"', 'h', 'i', '"', ' ', 3, 't', '\t', 0xff, 0};
    round_trip(16, txt, "\"say \\\"hi\\\" \" \"t\\009\\255\" \"\"");
    round_trip(16, {0}, "\"\"");
    round_trip(13, {2, 'P', 'C', 5, 'L', 'i', 'n', 'u', 'x'}, "\"PC\" \"Linux\"");
    round_trip(20, {1, '1', 1, '2'}, "\"1\" \"2\"");  // ISDN
    round_trip(19, {3, '3', '1', '1'}, "\"311\"");    // X25
    bytes naptr = {0, 100, 0, 10, 1, 'S', 7, 'S', 'I', 'P', '+', 'D', '2', 'U', 0};
    naptr.insert(naptr.end(), www_example.begin(), www_example.end());
    round_trip(35, naptr, "100 10 \"S\" \"SIP+D2U\" \"\" www.example.");
    round_trip(257, {0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a', '.', 'o', 'r', 'g'},
               "0 \"issue\" \"ca.org\"");
    round_trip(256, {0, 10, 0, 1, 'h', 't', 't', 'p', ':', '/', '/', 'x'},
               "10 1 \"http://x\"");
}

TEST_CASE("hex, base64 and DNSSEC rdata", "[dns][presentation]")
{
    round_trip(43, {0x30, 0x39, 13, 2, 0xab, 0xcd, 0x01}, "12345 13 2 ABCD01");
    round_trip(59, {0x30, 0x39, 13, 2, 0xab}, "12345 13 2 AB");  // CDS
    round_trip(52, {3, 1, 1, 0x0a, 0xff}, "3 1 1 0AFF");        // TLSA
    round_trip(48, {1, 1, 3, 13, 'a', 'b', 'c', 'd'}, "257 3 13 YWJjZA==");
    round_trip(61, {'a', 'b'}, "YWI=");  // OPENPGPKEY
    bytes rrsig = {0, 6, 13, 2, 0, 0, 0x0e, 0x10, 0x6b, 0x05, 0x6b, 0x3a, 0x6b, 0x02, 0x95, 0x1a,
                   0x30, 0x39, 0};
    append(rrsig, {'s', 'i', 'g'});
    round_trip(46, rrsig, "SOA 13 2 3600 1795517242 1795331354 12345 . c2ln");
    // RRSIG times also accepted as YYYYMMDDHHMMSS on input
    CHECK(parse(46, 1, "SOA 13 2 3600 20261124104722 20261122070914 12345 . c2ln") == rrsig);
    bytes nsec = {0};
    append(nsec, {0, 6, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 1, 1, 0x20});
    round_trip(47, nsec, ". A MX RRSIG NSEC TYPE258");
    round_trip(50, {1, 0, 0, 0, 0, 0}, "1 0 0 - 0");  // NSEC3 empty salt and empty hash
    round_trip(50, {1, 1, 0, 10, 2, 0xaa, 0xbb, 3, 1, 2, 3, 0, 1, 0x40},
               "1 1 10 aabb 04106 A");  // base32hex without padding
    round_trip(51, {1, 0, 0, 10, 4, 0xaa, 0xbb, 0xcc, 0xdd}, "1 0 10 aabbccdd");
    round_trip(62, {0, 0, 0, 1, 0, 3, 0, 1, 0x22}, "1 3 NS SOA");  // CSYNC
}

TEST_CASE("SVCB and HTTPS parameters", "[dns][presentation]")
{
    bytes h = {0, 1, 0};
    append(h, {0, 0, 0, 4, 0, 1, 0, 4});                            // mandatory=alpn,ipv4hint
    append(h, {0, 1, 0, 6, 2, 'h', '2', 2, 'h', '3'});              // alpn
    append(h, {0, 2, 0, 0});                                        // no-default-alpn
    append(h, {0, 3, 0, 2, 0x01, 0xbb});                            // port
    append(h, {0, 4, 0, 8, 192, 0, 2, 1, 192, 0, 2, 2});            // ipv4hint
    append(h, {0, 5, 0, 2, 'a', 'b'});                              // ech
    append(h, {0, 6, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    append(h, {0, 9, 0, 2, 'x', '"'});                              // unknown key
    round_trip(65, h,
               "1 . mandatory=alpn,ipv4hint alpn=\"h2,h3\" no-default-alpn port=443 "
               "ipv4hint=192.0.2.1,192.0.2.2 ech=YWI= ipv6hint=2001:db8::1 key9=\"x\\\"\"");
    // ',' and '\' inside an alpn id get the second escaping level
    round_trip(64, {0, 1, 0, 0, 1, 0, 3, 2, 'a', ','}, "1 . alpn=\"a\\\\,\"");
    // the reserved key 65535 is a parse error
    CHECK(render(64, 1, {0, 1, 0, 0xff, 0xff, 0, 0}) == "1 .  ### PARSE ERROR ###");
}

TEST_CASE("generic form keeps its trailing space", "[dns][presentation]")
{
    round_trip(65280, {0x0a, 0, 0, 1}, "\\# 4 0a 00 00 01 ");
    round_trip(65281, {}, "\\# 0 ");
    round_trip(44, {1, 1, 0xaa}, "\\# 3 01 01 aa ");  // SSHFP has no descriptor
    round_trip(258, {0xff}, "\\# 1 ff ");
    // any type may be given in generic form on input
    CHECK(parse(1, 1, "\\# 4 c0 00 02 01") == bytes{192, 0, 2, 1});
    CHECK(parse(1, 1, "\\# 4 c0000201") == bytes{192, 0, 2, 1});
    parse(1, 1, "\\# 5 c0 00 02 01", dns::rdata_text_error::bad_generic);
}

TEST_CASE("class-specific types are empty outside class IN", "[dns][presentation]")
{
    for (std::uint16_t t : {1, 28, 11, 38, 36, 26, 35, 33, 64, 65, 257}) {
        INFO(t);
        CHECK(render(t, 65000, {192, 0, 2, 1}) == "");
        CHECK(render(t, 3, {192, 0, 2, 1}) == "");
    }
    CHECK(render(16, 3, {5, 'h', 'e', 'l', 'l', 'o'}) == "\"hello\"");  // TXT is not
}

TEST_CASE("short and malformed rdata", "[dns][presentation]")
{
    // ending on a field boundary is not an error
    CHECK(render(1, 1, {}) == "");
    CHECK(render(15, 1, {0, 10}) == "10");
    CHECK(render(6, 1, www_example) == "www.example.");
    // a field cut short keeps what was printed, trailing space included
    CHECK(render(1, 1, {192, 0, 2}) == " ### PARSE ERROR ###");
    CHECK(render(33, 1, {0, 1, 0}) == "1  ### PARSE ERROR ###");
    CHECK(render(16, 1, {3, 'a', 'b'}) == " ### PARSE ERROR ###");
    CHECK(render(16, 1, {1, 'a', 3, 'b'}) == "\"a\"  ### PARSE ERROR ###");
    // bad names report the wdns_res number (3: invalid length octet)
    CHECK(render(15, 1, {0, 10, 5, 'a'}) == "10  ### PARSE ERROR #3 ###");
    CHECK(render(2, 1, {64, 'a', 0}) == " ### PARSE ERROR #3 ###");
    // text that does not fit the type is rejected
    parse(1, 1, "192.0.2.300", dns::rdata_text_error::bad_address);
    parse(15, 1, "70000 x.", dns::rdata_text_error::bad_number);
    parse(1, 1, "192.0.2.1 extra", dns::rdata_text_error::trailing_text);
    parse(65280, 1, "0a 00", dns::rdata_text_error::bad_generic);
    // "" is the empty rdata of any non-generic type
    CHECK(parse(1, 1, "").empty());
}

TEST_CASE("EDNS options", "[dns][presentation]")
{
    auto opt = [](std::uint16_t code, const bytes& d) {
        std::string s;
        dns::edns_option_to_text(code, core::byte_view{d.data(), d.size()}, s);
        return s;
    };
    CHECK(opt(8, {0, 1, 24, 0, 198, 51, 100}) == "CLIENT-SUBNET: 198.51.100.0/24/0");
    CHECK(opt(8, {0, 2, 32, 0, 0x20, 0x01, 0x0d, 0xb8}) == "CLIENT-SUBNET: 2001:db8::/32/0");
    CHECK(opt(8, {0, 1, 24, 0}) == "CLIENT-SUBNET:  ### PARSE ERROR #12 ###");
    CHECK(opt(15, {0, 15, 'n', 'o', 0}) == "EDE: 15 (Blocked): (no.)");
    CHECK(opt(15, {0x01, 0x00}) == "EDE: 256: ()");
    CHECK(opt(10, {0x5c, 0x22, 0x01}) == "OPT=10: 5c 22 01 (\"\\\".\")");
    CHECK(opt(12, {}) == "OPT=12: (\"\")");
}

namespace {

bytes header(std::uint16_t id, std::uint16_t flags, int qd, int an, int ns, int ar)
{
    return {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id),
            static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags),
            0, static_cast<std::uint8_t>(qd), 0, static_cast<std::uint8_t>(an),
            0, static_cast<std::uint8_t>(ns), 0, static_cast<std::uint8_t>(ar)};
}

void add_rr(bytes& m, const bytes& owner, std::uint16_t type, std::uint16_t cls, std::uint32_t ttl,
            const bytes& rdata)
{
    m.insert(m.end(), owner.begin(), owner.end());
    append(m, {type >> 8, type & 0xff, cls >> 8, cls & 0xff, static_cast<int>(ttl >> 24),
               static_cast<int>((ttl >> 16) & 0xff), static_cast<int>((ttl >> 8) & 0xff),
               static_cast<int>(ttl & 0xff), static_cast<int>(rdata.size() >> 8),
               static_cast<int>(rdata.size() & 0xff)});
    m.insert(m.end(), rdata.begin(), rdata.end());
}

} // namespace

TEST_CASE("message text follows wdns message_to_str", "[dns][presentation]")
{
    CHECK(msg_text({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}) == "<PARSE ERROR>");

    // question with a pointer-compressed answer, no EDNS, every flag set, unknown opcode 3
    bytes m = header(7, 0x8000 | (3 << 11) | 0x07b0 | 2, 1, 2, 0, 0);
    m.insert(m.end(), www_example.begin(), www_example.end());
    append(m, {0, 1, 0, 1});
    add_rr(m, {0xc0, 12}, 1, 1, 60, {192, 0, 2, 1});
    add_rr(m, {0xc0, 12}, 1, 65000, 5, {1, 2});
    CHECK(msg_text(m) ==
          ";; ->>HEADER<<- opcode: 3, rcode: SERVFAIL, id: 7\n"
          ";; flags: qr aa tc rd ra ad cd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 0\n"
          "\n;; QUESTION SECTION:\n;www.example. IN A\n"
          "\n;; ANSWER SECTION:\nwww.example. 60 IN A 192.0.2.1\n"
          "www.example. 5 CLASS65000 A \n"
          "\n;; AUTHORITY SECTION:\n\n;; ADDITIONAL SECTION:\n");

    // fewer RRs than the counts: accepted as far as it goes; an unparsable RR is not
    bytes short_msg = header(1, 0, 1, 5, 0, 0);
    short_msg.insert(short_msg.end(), www_example.begin(), www_example.end());
    append(short_msg, {0, 1, 0, 1});
    CHECK(msg_text(short_msg).find("ANSWER: 0,") != std::string::npos);
    bytes cut = short_msg;
    append(cut, {0, 0, 1});
    CHECK(msg_text(cut) == "<PARSE ERROR>");
    CHECK(msg_json(cut) == "null");
    // rdata whose fields do not fill rdlen makes the message unparsable too
    bytes extra = header(1, 0, 0, 1, 0, 0);
    add_rr(extra, {0}, 1, 1, 0, {1, 2, 3, 4, 5});
    CHECK(msg_text(extra) == "<PARSE ERROR>");
    // an empty A rdata is fine; the line loses the space after the type (wdns clip)
    bytes empty_a = header(1, 0, 0, 1, 0, 0);
    add_rr(empty_a, {0}, 1, 1, 0, {});
    CHECK(msg_text(empty_a).find("\n. 0 IN A\n") != std::string::npos);

    // EDNS: BADVERS (extended rcode 1) merges as (1 << 8) | rcode and prints a number; DO flag
    bytes e = header(9, 0x8000, 0, 0, 0, 1);
    add_rr(e, {0}, 41, 1232, (1u << 24) | 0x8000u, {0, 15, 0, 2, 0, 3, 0, 10, 0, 1, 'A'});
    CHECK(msg_text(e) ==
          ";; ->>HEADER<<- opcode: QUERY, rcode: 256, id: 9\n"
          ";; flags: qr; QUERY: 0, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0\n"
          "\n;; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags: do; udp: 1232\n"
          "; EDE: 3 (Stale Answer): ()\n; OPT=10: 41 (\"A\")\n"
          ";; QUESTION SECTION:\n\n;; ANSWER SECTION:\n\n;; AUTHORITY SECTION:\n"
          "\n;; ADDITIONAL SECTION:\n");
    CHECK(msg_json(e) ==
          "{\"header\":{\"opcode\":\"QUERY\",\"rcode\":256,\"id\":9,\"flags\":[\"qr\"],"
          "\"opt\":{\"edns\":{\"version\":0,\"flags\":[\"do\"],\"udp\":1232,\"options\":["
          "\"EDE: 3 (Stale Answer): ()\",\"OPT=10: 41 (\\\"A\\\")\"]}}},\"question\":[],"
          "\"answer\":[],\"authority\":[],\"additional\":[]}");
}

TEST_CASE("message names go through the guardian under wdns's rules", "[dns][presentation]")
{
    // A forward pointer in an owner name: wdns_unpack_name refuses it, so the message does not
    // parse (the owner of RR 1 points at RR 2's owner, at offset 28).
    bytes fwd = header(1, 0, 0, 2, 0, 0);
    add_rr(fwd, {0xc0, 28}, 1, 1, 0, {192, 0, 2, 1});
    add_rr(fwd, www_example, 1, 1, 0, {192, 0, 2, 2});
    CHECK(msg_text(fwd) == "<PARSE ERROR>");
    CHECK(msg_json(fwd) == "null");
    // The same name through a backward pointer prints.
    bytes back = header(1, 0, 0, 2, 0, 0);
    add_rr(back, www_example, 1, 1, 0, {192, 0, 2, 2});
    add_rr(back, {0xc0, 12}, 1, 1, 0, {192, 0, 2, 1});
    CHECK(msg_text(back).find("www.example. 0 IN A 192.0.2.1\n") != std::string::npos);
    // A pointer into a label read earlier in the same name: wdns follows it (here to the 0
    // inside the label "x\0y"), so the text shows the name; read_name alone would refuse it.
    bytes inner = header(1, 0, 0, 1, 0, 0);
    add_rr(inner, {3, 'x', 0, 'y', 0xc0, 14}, 1, 1, 0, {192, 0, 2, 3});
    CHECK(msg_text(inner).find("\nx\\000y. 0 IN A 192.0.2.3\n") != std::string::npos);
}

TEST_CASE("message RDATA: codec where it agrees with wdns, wdns where it is stricter",
          "[dns][presentation]")
{
    // A compressed MX exchange is expanded (codec path).
    bytes mx = header(1, 0, 0, 1, 0, 0);
    add_rr(mx, www_example, 15, 1, 0, {0, 10, 0xc0, 12});
    CHECK(msg_text(mx).find("www.example. 0 IN MX 10 www.example.\n") != std::string::npos);
    // An MX that stops after the preference: the codec says rdata_short, wdns prints the
    // fields present.
    bytes mx_short = header(1, 0, 0, 1, 0, 0);
    add_rr(mx_short, www_example, 15, 1, 0, {0, 10});
    CHECK(msg_text(mx_short).find("www.example. 0 IN MX 10\n") != std::string::npos);
    // NSEC windows out of order: the codec refuses the bitmap, wdns renders it.
    bytes nsec = header(1, 0, 0, 1, 0, 0);
    add_rr(nsec, www_example, 47, 1, 0, {0xc0, 12, 1, 1, 0x40, 0, 1, 0x40});
    CHECK(msg_text(nsec).find("www.example. 0 IN NSEC www.example. CAA A\n") != std::string::npos);
    // A name that does not fill rdlen still fails the whole message, on both paths.
    bytes ns_extra = header(1, 0, 0, 1, 0, 0);
    add_rr(ns_extra, www_example, 2, 1, 0, {0, 7});
    CHECK(msg_text(ns_extra) == "<PARSE ERROR>");
}

TEST_CASE("message JSON merges RRsets and copies the TYPE<class> bug", "[dns][presentation]")
{
    bytes upper = {3, 'W', 'W', 'W', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    bytes m = header(1, 0x8400, 1, 4, 0, 0);
    m.insert(m.end(), www_example.begin(), www_example.end());
    append(m, {0xff, 0x00, 0, 1});
    add_rr(m, upper, 1, 1, 300, {192, 0, 2, 1});
    add_rr(m, {0}, 1, 1, 7, {192, 0, 2, 9});
    add_rr(m, www_example, 1, 1, 60, {192, 0, 2, 2});  // non-consecutive, lower TTL
    add_rr(m, www_example, 0xff00, 1, 5, {0xaa});
    CHECK(msg_json(m) ==
          "{\"header\":{\"opcode\":\"QUERY\",\"rcode\":\"NOERROR\",\"id\":1,"
          "\"flags\":[\"qr\",\"aa\"]},"
          "\"question\":[{\"qname\":\"www.example.\",\"qclass\":\"IN\",\"qtype\":\"TYPE1\"}],"
          "\"answer\":[{\"rrname\":\"WWW.example.\",\"rrttl\":60,\"rrclass\":\"IN\","
          "\"rrtype\":\"A\",\"rdata\":[\"192.0.2.1\",\"192.0.2.2\"]},"
          "{\"rrname\":\".\",\"rrttl\":7,\"rrclass\":\"IN\",\"rrtype\":\"A\","
          "\"rdata\":[\"192.0.2.9\"]},"
          "{\"rrname\":\"www.example.\",\"rrttl\":5,\"rrclass\":\"IN\",\"rrtype\":\"TYPE1\","
          "\"rdata\":[\"\\\\# 1 aa \"]}],"
          "\"authority\":[],\"additional\":[]}");
    // the text form keeps one line per RR in wire order
    auto t = msg_text(m);
    CHECK(t.find("WWW.example. 300 IN A 192.0.2.1\n. 7 IN A 192.0.2.9\n"
                 "www.example. 60 IN A 192.0.2.2\nwww.example. 5 IN TYPE65280 \\# 1 aa \n") !=
          std::string::npos);
}

TEST_CASE("JSON string escaping (nmsg.md §12.4)", "[dns][presentation]")
{
    std::string s;
    dns::json_escape(std::string_view("a\"b\\c/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9", 16), s);
    CHECK(s == "a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9");
    s.clear();
    dns::json_escape_utf8(std::string_view("k\x01\xff\"q", 5), s);
    CHECK(s == "k\\u0001\xef\xbf\xbd\\\"q");
    s.clear();
    // lone continuation, truncated sequence, overlong c0/e0/f0 forms: one U+FFFD each
    dns::json_escape_utf8("\x80|\xe2\x82|\xc0\xaf|\xe0\x80\x80|\xf0\x80\x80\x80|caf\xc3\xa9", s);
    CHECK(s == "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|"
               "caf\xc3\xa9");
}
