// SPDX-License-Identifier: Apache-2.0
// siehub-seen: builds and inspects the newness snapshots (docs/newness.md).
//
//   siehub-seen import --snapshot-dir DIR --shards N [options] FILE...
//       Records the names (and, for RRset records, the 214 facts) of nmsg files
//       (SIE/dnsdedupe, SIE/newdomain, base/dnsqr payloads), JSON Lines (nmsgtool -J) or text
//       files (one name per line) into one snapshot per shard, so that a new hub does not call
//       the whole Internet new on day one.
//   siehub-seen info FILE...     header of snapshots
//   siehub-seen check FILE...    full verification (checksums, counts); exit 1 on damage

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "dedup/key.hpp"
#include "newness/engine.hpp"
#include "newness/psl_list.hpp"
#include "newness/snapshot.hpp"
#include "proto/dns/name.hpp"
#include "proto/dns/rdata.hpp"
#include "proto/json/json_line.hpp"
#include "proto/nmsg/container.hpp"
#include "proto/nmsg/messages.hpp"
#include "proto/nmsg/reassembly.hpp"
#include "proto/nmsg/zlib.hpp"

using namespace siehub;

namespace {

struct import_stats {
    std::uint64_t records = 0;   // RRset records learnt
    std::uint64_t names = 0;     // bare names learnt (text, dnsqr qname)
    std::uint64_t skipped = 0;   // not a usable record or name
    std::uint64_t bad_units = 0; // nmsg units or JSON lines that did not decode
};

class importer {
public:
    importer(const newness::psl_table& psl, unsigned shards, std::uint32_t default_time)
        : psl_(psl), shards_(shards), default_time_(default_time), key_buf_(1 << 16),
          canon_buf_(1 << 17)
    {
        for (unsigned s = 0; s < shards; ++s) {
            newness::engine_config c;
            c.shard = s;
            c.shards = shards;
            engines_.push_back(std::make_unique<newness::engine>(psl, c));
        }
    }

    std::vector<std::unique_ptr<newness::engine>>& engines() { return engines_; }
    import_stats& stats() { return st_; }

    void name_text(std::string_view text)
    {
        std::string low(text);
        std::transform(low.begin(), low.end(), low.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (low.empty() || low.back() != '.') {
            low += '.';
        }
        dns::name_buffer nb;
        auto const r = dns::from_text(low, nb);
        if (!r.ok()) {
            ++st_.skipped;
            return;
        }
        name_wire({nb.data(), r.wire_len}, default_time_);
    }

    void name_wire(core::byte_view wire, std::uint32_t t)
    {
        dns::name_buffer low;
        auto const r = dns::canonicalize(wire, low);
        if (!r.ok()) {
            ++st_.skipped;
            return;
        }
        bool any = false;
        for (auto& e : engines_) {
            any |= e->learn_name({low.data(), r.wire_len}, static_cast<std::uint16_t>(t / 86400));
        }
        any ? ++st_.names : ++st_.skipped;
    }

    // An RRset record (dnsdedupe or newdomain fields).
    void rrset(core::byte_view rrname, std::uint32_t type, std::uint32_t cls, core::byte_view bw,
               const std::vector<core::byte_view>& rdata, std::uint32_t t)
    {
        dns::name_buffer owner;
        dns::name_buffer bail;
        auto const o = dns::canonicalize(rrname, owner);
        auto const b = bw.empty() ? dns::canonicalize(core::byte_view{root_, 1}, bail)
                                  : dns::canonicalize(bw, bail);
        if (!o.ok() || !b.ok() || type > 0xffff || cls > 0xffff) {
            ++st_.skipped;
            return;
        }
        core::out_buffer canon(canon_buf_);
        std::vector<core::byte_view> rds;
        for (auto rd : rdata) {
            std::size_t const at = canon.written().size();
            if (dns::canonicalize_rdata(static_cast<std::uint16_t>(type), rd, canon) != dns::errc::ok ||
                !canon.ok()) {
                ++st_.skipped;
                return;
            }
            rds.push_back(canon.written().subspan(at));
        }
        std::sort(rds.begin(), rds.end(), [](core::byte_view a, core::byte_view b) {
            return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
        });
        rds.erase(std::unique(rds.begin(), rds.end(),
                              [](core::byte_view a, core::byte_view b) {
                                  return std::equal(a.begin(), a.end(), b.begin(), b.end());
                              }),
                  rds.end());
        dedup::key_builder kb(key_buf_);
        kb.begin({owner.data(), o.wire_len}, static_cast<std::uint16_t>(type),
                 static_cast<std::uint16_t>(cls), {bail.data(), b.wire_len});
        for (auto rd : rds) {
            kb.add_rdata(rd);
        }
        auto const key = kb.finish();
        if (key.empty()) {
            ++st_.skipped;
            return;
        }
        std::uint64_t const mask = newness::route(key, psl_, shards_);
        if (mask == 0) {
            ++st_.skipped;
            return;
        }
        for (unsigned s = 0; s < shards_; ++s) {
            if ((mask >> s) & 1) {
                engines_[s]->learn({key, t, 0, 0, {}});
            }
        }
        ++st_.records;
    }

    void payload(const nmsg::payload_view& p)
    {
        auto const msg = p.payload().value_or(core::byte_view{});
        auto const t = static_cast<std::uint32_t>(std::clamp<std::int64_t>(p.time_sec(), 0, UINT32_MAX));
        if (p.vid() == 2 && p.msgtype() == 1) {
            nmsg::dnsdedupe_view v(msg);
            if (!v.ok() || !v.rrname() || !v.rrtype()) {
                ++st_.skipped;
                return;
            }
            std::vector<core::byte_view> rd(v.rdata().begin(), v.rdata().end());
            rrset(*v.rrname(), *v.rrtype(), v.rrclass().value_or(1),
                  v.bailiwick().value_or(core::byte_view{}), rd,
                  v.time_last().value_or(v.time_first().value_or(t)));
        } else if (p.vid() == 2 && p.msgtype() == 5) {
            nmsg::newdomain_view v(msg);
            if (!v.ok() || !v.rrname() || !v.rrtype()) {
                ++st_.skipped;
                return;
            }
            std::vector<core::byte_view> rd(v.rdata().begin(), v.rdata().end());
            rrset(*v.rrname(), *v.rrtype(), v.rrclass().value_or(1),
                  v.bailiwick().value_or(core::byte_view{}), rd, v.time_seen().value_or(t));
        } else if (p.vid() == 1 && p.msgtype() == 9) {
            nmsg::dnsqr_view v(msg);
            if (!v.ok() || !v.qname()) {
                ++st_.skipped;
                return;
            }
            name_wire(*v.qname(), t);
        } else {
            ++st_.skipped;
        }
    }

private:
    const newness::psl_table& psl_;
    unsigned shards_;
    std::uint32_t default_time_;
    std::vector<std::unique_ptr<newness::engine>> engines_;
    std::vector<std::uint8_t> key_buf_;
    std::vector<std::uint8_t> canon_buf_;
    import_stats st_;
    static constexpr std::uint8_t root_[1] = {0};
};

std::vector<std::uint8_t> slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(path + ": cannot open");
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

enum class file_format { nmsg, json, text };

file_format sniff(const std::string& path, const std::vector<std::uint8_t>& data)
{
    auto ends = [&](const char* s) {
        std::string_view const e(s);
        return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
    };
    if (data.size() >= 4 && std::equal(data.begin(), data.begin() + 4, nmsg::nmsg_magic)) {
        return file_format::nmsg;
    }
    if (ends(".json") || ends(".jsonl")) {
        return file_format::json;
    }
    auto const first = std::find_if(data.begin(), data.end(), [](std::uint8_t c) { return !std::isspace(c); });
    return first != data.end() && *first == '{' ? file_format::json : file_format::text;
}

void import_nmsg(const std::vector<std::uint8_t>& data, importer& im)
{
    nmsg::reassembler reasm;
    nmsg::inflater inflater;
    std::vector<std::uint8_t> inflated(nmsg::zlib_max_inflated);
    std::size_t off = 0;
    std::array<std::uint8_t, 16> addr{};
    while (off < data.size()) {
        auto u = nmsg::next_file_unit({data.data() + off, data.size() - off});
        if (!u.ok()) {
            ++im.stats().bad_units;
            auto const* p = data.data() + off + 1;
            auto it = std::search(p, data.data() + data.size(), nmsg::nmsg_magic, nmsg::nmsg_magic + 4);
            off = static_cast<std::size_t>(it - data.data());
            continue;
        }
        off += u.consumed;
        core::byte_view body = u.body;
        bool zlib = u.header.zlib();
        if (u.header.fragment()) {
            auto r = reasm.offer(body, u.header.flags, addr, 0, 0);
            if (r.st != nmsg::reasm_result::status::complete) {
                if (r.st == nmsg::reasm_result::status::dropped) {
                    ++im.stats().bad_units;
                }
                continue;
            }
            body = r.body;
            zlib = r.zlib;
        }
        if (zlib) {
            auto r = inflater.inflate(body, inflated);
            if (!r.ok()) {
                ++im.stats().bad_units;
                continue;
            }
            body = r.data;
        }
        nmsg::nmsg_view v(body);
        if (!v.valid()) {
            ++im.stats().bad_units;
            continue;
        }
        for (auto const& e : v.entries()) {
            if (e.crc_ok()) {
                im.payload(e.view);
            } else {
                ++im.stats().bad_units;
            }
        }
    }
}

void import_json(const std::vector<std::uint8_t>& data, importer& im)
{
    json::json_line_parser parser;
    std::vector<std::uint8_t> buf(json::json_line_parser::max_line + 4096);
    std::string_view const all(reinterpret_cast<const char*>(data.data()), data.size());
    std::size_t pos = 0;
    while (pos < all.size()) {
        auto nl = all.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = all.size();
        }
        auto const line = all.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        core::out_buffer ob(buf);
        if (parser.parse(line, ob, 0, 0) != json::line_error::none) {
            ++im.stats().bad_units;
            continue;
        }
        im.payload(nmsg::payload_view(ob.written()));
    }
}

void import_text(const std::vector<std::uint8_t>& data, importer& im)
{
    std::string_view const all(reinterpret_cast<const char*>(data.data()), data.size());
    std::size_t pos = 0;
    while (pos < all.size()) {
        auto nl = all.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = all.size();
        }
        auto line = all.substr(pos, nl - pos);
        pos = nl + 1;
        auto const b = line.find_first_not_of(" \t\r");
        if (b == std::string_view::npos || line[b] == '#') {
            continue;
        }
        auto const e = line.find_first_of(" \t\r", b);
        im.name_text(line.substr(b, e == std::string_view::npos ? e : e - b));
    }
}

void print_info(const std::string& path, const newness::snapshot_info& i)
{
    std::printf("%s: shard %u of %u, fingerprint %u bits, created %llu, saved %llu\n"
                "  fqdns %llu (%llu buckets)  base domains %llu (%llu buckets)  facts %llu (%llu "
                "buckets)  %llu bytes\n",
                path.c_str(), i.shard, i.shards, i.fingerprint_bits,
                static_cast<unsigned long long>(i.created), static_cast<unsigned long long>(i.saved),
                static_cast<unsigned long long>(i.fqdn_count),
                static_cast<unsigned long long>(i.fqdn_buckets),
                static_cast<unsigned long long>(i.base_count),
                static_cast<unsigned long long>(i.base_buckets),
                static_cast<unsigned long long>(i.fact_count),
                static_cast<unsigned long long>(i.fact_buckets),
                static_cast<unsigned long long>(i.file_bytes));
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"siehub-seen: build and inspect the newness seen-set snapshots (docs/newness.md)"};
    app.require_subcommand(1);

    std::string dir;
    unsigned shards = 1;
    std::string psl_path = newness::default_psl_path;
    bool no_private = false;
    bool merge = false;
    long long time_arg = -1;
    std::vector<std::string> files;
    auto* imp = app.add_subcommand("import", "record names from nmsg, JSON Lines or text files");
    imp->add_option("--snapshot-dir", dir, "where the per-shard snapshots are written")->required();
    imp->add_option("--shards", shards, "number of shards = the hub's [dataplane] workers")
        ->check(CLI::Range(1u, newness::max_shards));
    imp->add_option("--psl", psl_path, "Public Suffix List file");
    imp->add_flag("--no-private", no_private, "ICANN section only (as [newness] private = false)");
    imp->add_flag("--merge", merge, "add to existing snapshots instead of refusing to overwrite");
    imp->add_option("--time", time_arg,
                    "unix time that text names count as last seen (default: now); records use "
                    "their own time");
    imp->add_option("FILE", files, "inputs: nmsg, JSON Lines (nmsgtool -J) or one name per line")
        ->required();

    std::vector<std::string> snaps;
    auto* info = app.add_subcommand("info", "print snapshot headers (checks the header only)");
    info->add_option("FILE", snaps, "snapshot files")->required();
    auto* check = app.add_subcommand("check", "verify snapshots completely; exit 1 if damaged");
    check->add_option("FILE", snaps, "snapshot files")->required();

    CLI11_PARSE(app, argc, argv);

    if (info->parsed() || check->parsed()) {
        int rc = 0;
        for (auto const& s : snaps) {
            newness::snapshot_info i;
            auto const r = newness::check_snapshot(s, i, check->parsed());
            if (!r.ok()) {
                std::fprintf(stderr, "siehub-seen: %s (%s)\n", r.message.c_str(),
                             newness::to_string(r.status));
                rc = 1;
                continue;
            }
            print_info(s, i);
        }
        return rc;
    }

    auto rules = newness::load_psl_file(psl_path);
    if (!rules.ok()) {
        std::fprintf(stderr, "siehub-seen: %s: %s (line %u)\n", psl_path.c_str(),
                     newness::to_string(rules.status), rules.line);
        return 1;
    }
    newness::psl_options po;
    po.private_domains = !no_private;
    newness::psl_table const psl(rules.rules, po);
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "siehub-seen: %s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    importer im(psl, shards, static_cast<std::uint32_t>(time_arg >= 0 ? time_arg : now));
    for (unsigned s = 0; s < shards; ++s) {
        auto const path = newness::snapshot_path(dir, s, shards);
        auto r = newness::load_snapshot(*im.engines()[s], path);
        if (r.ok() && !merge) {
            std::fprintf(stderr, "siehub-seen: %s exists; use --merge to add to it\n", path.c_str());
            return 1;
        }
        if (!r.ok() && r.status != newness::snapshot_status::missing) {
            std::fprintf(stderr, "siehub-seen: %s (%s)\n", r.message.c_str(),
                         newness::to_string(r.status));
            return 1;
        }
    }
    try {
        for (auto const& f : files) {
            auto const data = slurp(f);
            switch (sniff(f, data)) {
            case file_format::nmsg:
                import_nmsg(data, im);
                break;
            case file_format::json:
                import_json(data, im);
                break;
            case file_format::text:
                import_text(data, im);
                break;
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "siehub-seen: %s\n", e.what());
        return 1;
    }
    std::uint64_t fq = 0;
    std::uint64_t bd = 0;
    for (unsigned s = 0; s < shards; ++s) {
        auto& e = *im.engines()[s];
        if (e.created() == 0) {
            e.set_created(static_cast<std::uint64_t>(now));
        }
        auto const r = newness::save_snapshot(e, newness::snapshot_path(dir, s, shards),
                                              static_cast<std::uint64_t>(now));
        if (!r.ok()) {
            std::fprintf(stderr, "siehub-seen: %s\n", r.message.c_str());
            return 1;
        }
        fq += e.fqdns().size();
        bd += e.bases().size();
    }
    auto const& st = im.stats();
    std::printf("imported %llu RRset records and %llu names (%llu skipped, %llu undecodable); "
                "%u shards hold %llu FQDNs and %llu base domains\n",
                static_cast<unsigned long long>(st.records), static_cast<unsigned long long>(st.names),
                static_cast<unsigned long long>(st.skipped),
                static_cast<unsigned long long>(st.bad_units), shards,
                static_cast<unsigned long long>(fq), static_cast<unsigned long long>(bd));
    return 0;
}
