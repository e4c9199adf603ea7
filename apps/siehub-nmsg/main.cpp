// SPDX-License-Identifier: Apache-2.0
// siehub-nmsg: the offline nmsg tool. Reads nmsg files, nmsgtool JSON Lines and nmsg-over-UDP
// captures through the same codecs the hub uses, and writes JSON Lines identical to
// `nmsgtool -J` or nmsg files identical to `nmsgtool -w`.

#include <CLI/CLI.hpp>
#include <pcap/pcap.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "output.hpp"
#include "proto/json/json_line.hpp"
#include "proto/net/packet.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/seqsrc.hpp"
#include "proto/nmsg/unit_reader.hpp"
#include "proto/nmsg/zlib.hpp"

using namespace siehub;
using siehub_nmsg::bad_input;
using siehub_nmsg::payload_output;
using siehub_nmsg::problem_log;

namespace {

// Turns nmsg units (header + body) into payloads: fragments are reassembled, zlib bodies
// inflated (proto/nmsg/unit_reader.hpp, shared with siehub-tap), CRC mismatches dropped (as
// nmsgtool does) and counted.
class unit_decoder {
public:
    unit_decoder(payload_output& out, problem_log& log) : out_(out), log_(log) {}

    struct sender {
        std::array<std::uint8_t, 16> addr{};
        std::uint16_t port = 0;
    };

    // Returns false when the unit is bad (already reported to the log).
    bool decode(const nmsg::nmsg_unit& u, const std::string& where, const sender& from,
                std::uint64_t now_ms, nmsg::seqsrc_tracker* seq)
    {
        auto const r = reader_.read(u, from.addr, from.port, now_ms);
        if (r.st == nmsg::unit_result::status::pending) {
            return true;
        }
        if (r.st == nmsg::unit_result::status::dropped) {
            return log_.bad(where, std::string(r.stage_name()) + "." + std::string(r.reason));
        }
        auto const& v = reader_.view();
        if (seq != nullptr && v.sequence() && v.sequence_id()) {
            nmsg::seq_key k{*v.sequence_id(), from.addr, from.port};
            auto& s = senders_[k];
            ++s.recvs;
            s.drops += seq->observe(k, *v.sequence(), now_ms);
        }
        for (auto const& e : v.entries()) {
            ++payloads_in_;
            if (!e.crc_ok()) {
                log_.count("payload.crc_mismatch");
                continue;
            }
            if (!out_.put(e.view, where)) {
                return false;
            }
        }
        return true;
    }

    struct sender_stats {
        std::uint64_t recvs = 0;
        std::uint64_t drops = 0;
    };
    [[nodiscard]] const std::map<nmsg::seq_key, sender_stats>& senders() const { return senders_; }
    [[nodiscard]] std::uint64_t payloads_in() const noexcept { return payloads_in_; }

private:
    payload_output& out_;
    problem_log& log_;
    nmsg::unit_reader reader_;
    std::map<nmsg::seq_key, sender_stats> senders_;
    std::uint64_t payloads_in_ = 0;
};

std::vector<std::uint8_t> slurp(const std::string& path)
{
    std::vector<std::uint8_t> data;
    if (path == "-") {
        data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return data;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw bad_input(path + ": cannot open: " + std::strerror(errno));
    }
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return data;
}

std::string at(const std::string& file, std::size_t offset)
{
    return (file == "-" ? std::string("<stdin>") : file) + ": offset " + std::to_string(offset);
}

// ------------------------------------------------------------------------------------- read
void read_files(const std::vector<std::string>& files, payload_output& out, problem_log& log)
{
    unit_decoder dec(out, log);
    for (auto const& f : files) {
        auto const data = slurp(f);
        std::size_t off = 0;
        while (off < data.size()) {
            nmsg::byte_view rest{data.data() + off, data.size() - off};
            auto u = nmsg::next_file_unit(rest);
            if (!u.ok()) {
                log.bad(at(f, off), std::string("container.") + nmsg::to_string(u.error).data());
                // Resynchronise on the next header magic after this offset.
                auto const* p = data.data() + off + 1;
                auto const* end = data.data() + data.size();
                auto it = std::search(p, end, nmsg::nmsg_magic, nmsg::nmsg_magic + 4);
                off = static_cast<std::size_t>(it - data.data());
                continue;
            }
            dec.decode(u, at(f, off), {}, 0, nullptr);
            off += u.consumed;
        }
    }
}

// ------------------------------------------------------------------------------------ write
void write_from_json(const std::string& file, payload_output& out, problem_log& log)
{
    std::ifstream in(file == "-" ? "/dev/stdin" : file, std::ios::binary);
    if (!in) {
        throw bad_input(file + ": cannot open: " + std::strerror(errno));
    }
    json::json_line_parser parser;
    std::vector<std::uint8_t> buf(json::json_line_parser::max_line + 4096);
    std::string line;
    std::size_t lineno = 0;
    std::size_t offset = 0;
    auto const now = std::chrono::system_clock::now().time_since_epoch();
    auto const now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    while (std::getline(in, line)) {
        ++lineno;
        std::size_t const line_off = offset;
        offset += line.size() + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        core::out_buffer ob(buf);
        auto const err = parser.parse(line, ob, now_ns / 1000000000, now_ns % 1000000000);
        std::string const where = (file == "-" ? std::string("<stdin>") : file) + ": line " +
                                  std::to_string(lineno) + " (offset " + std::to_string(line_off) + ")";
        if (err != json::line_error::none) {
            std::string reason = std::string("json.") + json::to_string(err);
            if (err == json::line_error::bad_json) {
                reason += std::string(" (") + json::to_string(parser.reader_error()) + ")";
            }
            log.bad(where, reason);
            continue;
        }
        nmsg::payload_view v(ob.written());
        out.put(v, where);
    }
}

// ------------------------------------------------------------------------------------- pcap
void read_pcap(const std::string& file, unsigned port, int vlan, payload_output& out,
               problem_log& log)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(file.c_str(), errbuf);
    if (p == nullptr) {
        throw bad_input(file + ": " + errbuf);
    }
    struct closer {
        pcap_t* p;
        ~closer() { pcap_close(p); }
    } close_at_exit{p};
    if (pcap_datalink(p) != DLT_EN10MB) {
        throw bad_input(file + ": link type " + std::to_string(pcap_datalink(p)) +
                        " is not Ethernet");
    }
    unit_decoder dec(out, log);
    nmsg::seqsrc_tracker seq;
    FILE* fp = pcap_file(p);
    pcap_pkthdr* h;
    const u_char* d;
    std::uint64_t frame = 0;
    for (;;) {
        long const off = fp != nullptr ? std::ftell(fp) : -1;
        int const rc = pcap_next_ex(p, &h, &d);
        if (rc != 1) {
            if (rc == PCAP_ERROR) {
                throw bad_input(file + ": " + pcap_geterr(p));
            }
            break;
        }
        ++frame;
        std::string const where = file + ": frame " + std::to_string(frame) + " (offset " +
                                  std::to_string(off) + ")";
        net::udp_packet u;
        auto const e = net::parse_udp_frame({d, h->caplen}, u);
        if (e != net::errc::ok) {
            // Other traffic in a capture is normal; IP fragments cannot be read here.
            log.count(std::string("ignored.") + net::to_string(e).data());
            continue;
        }
        if (port != 0 && u.dst_port != port) {
            log.count("ignored.other_port");
            continue;
        }
        if (vlan >= 0 && u.vlan != vlan) {
            log.count("ignored.other_vlan");
            continue;
        }
        auto const unit = nmsg::parse_datagram(u.payload);
        if (!unit.ok()) {
            log.bad(where, std::string("container.") + nmsg::to_string(unit.error).data());
            continue;
        }
        std::uint64_t const now_ms =
            std::uint64_t(h->ts.tv_sec) * 1000u + std::uint64_t(h->ts.tv_usec) / 1000u;
        unit_decoder::sender from;
        std::copy(u.src.bytes.begin(), u.src.bytes.end(), from.addr.begin());
        from.port = u.src_port;
        dec.decode(unit, where, from, now_ms, &seq);
    }
    // Per-sender loss, then nmsgtool's -dd totals line.
    std::uint64_t recvs = 0;
    std::uint64_t drops = 0;
    for (auto const& [k, s] : dec.senders()) {
        char addr[64];
        net::ip_address a;
        bool const v4 = std::all_of(k.addr.begin() + 4, k.addr.end(), [](auto b) { return b == 0; });
        a.family = v4 ? 4 : 6;
        std::copy(k.addr.begin(), k.addr.end(), a.bytes.begin());
        siehub_nmsg::format_ip(a, addr, sizeof addr);
        std::fprintf(stderr, "siehub-nmsg: %s: sender %s/%u sequence_id %016llx: %llu containers, %llu lost\n",
                     file.c_str(), addr, k.port, static_cast<unsigned long long>(k.sequence_id),
                     static_cast<unsigned long long>(s.recvs), static_cast<unsigned long long>(s.drops));
        recvs += s.recvs;
        drops += s.drops;
    }
    std::fprintf(stderr, "totals: payloads_in %llu payloads_out %llu container_recvs %llu container_drops %llu\n",
                 static_cast<unsigned long long>(dec.payloads_in()),
                 static_cast<unsigned long long>(out.payloads_out()),
                 static_cast<unsigned long long>(recvs), static_cast<unsigned long long>(drops));
}

const char* const footer = R"(
EXIT STATUS
  0 on success; 1 when the input is malformed (without --skip-bad) or cannot be read;
  2 on a usage error. With --skip-bad, bad units and lines are counted by reason, skipped,
  and the counts are printed on standard error at the end.

FORMATS
  JSON Lines are byte-identical to `nmsgtool -J`; nmsg files to `nmsgtool -w` (1 MiB
  containers with payload CRCs). Bad input is reported as FILE: offset N: REASON, where N is
  the byte offset of the nmsg unit, JSON line or pcap record.

EXAMPLES
  siehub-nmsg read ch204.nmsg                       decode to JSON Lines on stdout
  cat a.nmsg b.nmsg | siehub-nmsg read - --nmsg ab.nmsg
  siehub-nmsg write --from-json in.jsonl -o out.nmsg --zlib --container-size 8192
  siehub-nmsg pcap capture.pcap --port 8430         reassemble, inflate, report loss
)";

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"siehub-nmsg - read, write and convert nmsg v2 files and captures offline\n\n"
                 "Decodes nmsg files, nmsgtool JSON Lines and nmsg-over-UDP pcaps with siehub's own\n"
                 "codecs, and writes JSON Lines or nmsg files that the real nmsgtool reads and\n"
                 "writes identically.",
                 "siehub-nmsg"};
    app.footer(footer);
    app.require_subcommand(1);
    bool skip_bad = false;
    app.add_flag("--skip-bad", skip_bad,
                 "count malformed units/lines by reason, skip them and go on");

    // read
    auto* read = app.add_subcommand("read", "nmsg files (or - for stdin) to JSON Lines or one nmsg file");
    std::vector<std::string> read_files_arg;
    std::string read_nmsg;
    bool read_json = false;
    read->add_option("FILE", read_files_arg, "nmsg files, read in order; - is stdin")->required();
    auto* rj = read->add_flag("--json", read_json, "write JSON Lines to stdout (the default)");
    read->add_option("--nmsg", read_nmsg, "write the payloads to this nmsg file instead")->excludes(rj);
    read->add_flag("--skip-bad", skip_bad, "count malformed input, skip it and go on");

    // write
    auto* write = app.add_subcommand("write", "JSON Lines (nmsgtool -j format) to an nmsg file");
    std::string from_json;
    std::string write_out;
    bool zlib = false;
    std::size_t container_size = nmsg::container_size_max;
    write->add_option("--from-json", from_json, "JSON Lines input file, - for stdin")->required();
    write->add_option("-o,--output", write_out, "nmsg file to write")->required();
    write->add_flag("--zlib", zlib, "zlib-compress every container (flag 0x01)");
    write->add_option("--container-size", container_size,
                      "largest container in bytes: 1280, 8192 or any size from 512 to 1048576 "
                      "(default 1048576, as nmsgtool -w); larger payloads are fragmented")
        ->check(CLI::Range(nmsg::container_size_min, nmsg::container_size_max));
    write->add_flag("--skip-bad", skip_bad, "count malformed lines, skip them and go on");

    // pcap
    auto* pcap = app.add_subcommand("pcap", "nmsg-over-UDP captures to JSON Lines or an nmsg file");
    std::string pcap_file;
    std::string pcap_nmsg;
    bool pcap_json = false;
    unsigned port = 8430;
    pcap->add_option("FILE", pcap_file, "pcap or pcapng capture (Ethernet)")->required();
    auto* pj = pcap->add_flag("--json", pcap_json, "write JSON Lines to stdout (the default)");
    pcap->add_option("--nmsg", pcap_nmsg, "write the payloads to this nmsg file instead")->excludes(pj);
    pcap->add_option("--port", port, "UDP destination port of the nmsg stream; 0 = any (default 8430)")
        ->check(CLI::Range(0, 65535));
    int vlan = -1;
    pcap->add_option("--vlan", vlan,
                     "only frames tagged with this 802.1Q VLAN id (a siehub channel's VLAN); "
                     "0 = untagged only; default: any")
        ->check(CLI::Range(0, 4094));
    pcap->add_flag("--skip-bad", skip_bad, "count malformed datagrams, skip them and go on");
    pcap->footer("Fragments are reassembled, zlib containers inflated, and per-sender sequence\n"
                 "loss is reported on stderr with nmsgtool's -dd totals line.");

    CLI11_PARSE(app, argc, argv);

    problem_log log("siehub-nmsg", skip_bad);
    try {
        if (*read) {
            auto out = read_nmsg.empty() ? payload_output::json_stdout(log)
                                         : payload_output::nmsg_file(read_nmsg, nmsg::container_size_max, false, log);
            read_files(read_files_arg, *out, log);
            out->close();
        } else if (*write) {
            auto out = payload_output::nmsg_file(write_out, container_size, zlib, log);
            write_from_json(from_json, *out, log);
            out->close();
        } else if (*pcap) {
            auto out = pcap_nmsg.empty() ? payload_output::json_stdout(log)
                                         : payload_output::nmsg_file(pcap_nmsg, nmsg::container_size_max, false, log);
            read_pcap(pcap_file, port, vlan, *out, log);
            out->close();
        }
    } catch (const siehub_nmsg::stop&) {
        log.print_counts();
        return 1;
    } catch (const bad_input& e) {
        std::fprintf(stderr, "siehub-nmsg: %s\n", e.what());
        return 1;
    }
    log.print_counts();
    return log.failed() ? 1 : 0;
}
