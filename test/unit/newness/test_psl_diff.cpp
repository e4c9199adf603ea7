// SPDX-License-Identifier: Apache-2.0
// Differential test: psl_table against libpsl (Debian libpsl-dev) loaded from the same .dat
// with psl_load_file (never the built-in list). Names: every rule of the list (the rule's
// name, one and two labels under it; exceptions are rules too) plus 100 000 seeded random
// names made of real suffixes and random labels, some upper-cased on our side only (libpsl
// wants lowercase input; the table folds case). Configurations:
//  * full list, star rule on: psl_registrable_domain;
//  * ICANN only: psl_registrable_domain on a copy of the .dat without the PRIVATE section
//    (that is what "private off" means; psl_is_public_suffix2(PSL_TYPE_ICANN) differs only
//    where a private rule sits right under an ICANN wildcard);
//  * full list, star rule off: libpsl's registrable-domain walk with psl_is_public_suffix2(
//    PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE), where no public suffix at all means unlisted_tld.
// Every disagreement is a failure.

#include <catch2/catch.hpp>

#include <libpsl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "newness/psl_list.hpp"
#include "newness/psl_table.hpp"
#include "psl_test_util.hpp"

using namespace siehub::newness;
using siehub::newness::test::to_dotted;
using siehub::newness::test::to_wire;

namespace {

struct psl_deleter {
    void operator()(psl_ctx_t* p) const { psl_free(p); }
};
using psl_ptr = std::unique_ptr<psl_ctx_t, psl_deleter>;

enum class oracle { registrable, no_star };

// libpsl's answer in our vocabulary: status plus dotted base domain.
struct verdict {
    base_status status;
    std::string base;
    bool operator==(const verdict&) const = default;
};

verdict ask_libpsl(const psl_ctx_t* ctx, const std::string& name, oracle o)
{
    if (o == oracle::registrable) {
        const char* rd = psl_registrable_domain(ctx, name.c_str());
        if (rd == nullptr) {
            return {base_status::public_suffix, {}};
        }
        return {base_status::ok, rd};
    }
    // psl_registrable_domain's walk, with the star rule switched off.
    const char* d = name.c_str();
    const char* regdom = nullptr;
    for (;;) {
        if (psl_is_public_suffix2(ctx, d, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE)) {
            if (regdom == nullptr) {
                return {base_status::public_suffix, {}};
            }
            return {base_status::ok, regdom};
        }
        const char* dot = std::strchr(d, '.');
        if (dot == nullptr) {
            return {base_status::unlisted_tld, {}};
        }
        regdom = d;
        d = dot + 1;
    }
}

verdict ask_table(const psl_table& t, const std::string& name)
{
    auto const w = to_wire(name);
    base_result const r = t.lookup(w);
    verdict v{r.status, {}};
    if (r.ok()) {
        v.base = to_dotted(r.base(w));
    }
    return v;
}

struct corpus {
    std::vector<std::string> names;      // lowercase, for libpsl
    std::vector<std::string> our_inputs; // the same names, some letters upper-cased
};

std::string random_label(std::mt19937_64& rng)
{
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    std::size_t const len = 1 + rng() % 20;
    std::string s;
    for (std::size_t i = 0; i < len; ++i) {
        s.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    }
    return s;
}

corpus build_corpus(const std::vector<psl_rule>& rules)
{
    corpus c;
    for (const auto& r : rules) {
        c.names.push_back(r.name);
        c.names.push_back("a1." + r.name);
        c.names.push_back("b2.a1." + r.name);
    }
    std::mt19937_64 rng(20240611);
    for (int i = 0; i < 100000; ++i) {
        std::string suffix;
        if (rng() % 20 == 0) {
            suffix = random_label(rng); // a TLD that is (almost surely) not listed
        } else {
            suffix = rules[rng() % rules.size()].name;
            // sometimes a shorter suffix of the rule, to visit interior "branch" nodes
            if (rng() % 4 == 0) {
                if (auto dot = suffix.find('.'); dot != std::string::npos) {
                    suffix.erase(0, dot + 1);
                }
            }
        }
        std::size_t const extra = rng() % 4;
        std::string name = suffix;
        for (std::size_t k = 0; k < extra; ++k) {
            name = random_label(rng) + "." + name;
        }
        c.names.push_back(name);
    }
    std::mt19937_64 case_rng(7);
    for (const auto& n : c.names) {
        std::string u = n;
        if (case_rng() % 2 == 0) {
            for (char& ch : u) {
                if (ch >= 'a' && ch <= 'z' && case_rng() % 3 == 0) {
                    ch = static_cast<char>(ch - 32);
                }
            }
        }
        c.our_inputs.push_back(u);
    }
    return c;
}

std::size_t compare(const psl_table& t, const psl_ctx_t* ctx, const corpus& c, oracle o,
                    const char* what)
{
    std::size_t bad = 0;
    for (std::size_t i = 0; i < c.names.size(); ++i) {
        verdict const theirs = ask_libpsl(ctx, c.names[i], o);
        verdict const ours = ask_table(t, c.our_inputs[i]);
        if (!(theirs == ours)) {
            if (++bad <= 20) {
                UNSCOPED_INFO(what << ": " << c.our_inputs[i]
                                   << " libpsl=" << to_string(theirs.status) << " " << theirs.base
                                   << " ours=" << to_string(ours.status) << " " << ours.base);
            }
        }
    }
    std::printf("psl differential [%s]: %zu names checked, %zu disagreements\n", what,
                c.names.size(), bad);
    return bad;
}

std::string read_all(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The .dat without its PRIVATE section, written next to the test's working directory.
std::string write_icann_only(const std::string& text)
{
    std::string out;
    bool in_private = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("===BEGIN PRIVATE DOMAINS===") != std::string::npos) {
            in_private = true;
        }
        if (!in_private) {
            out += line;
            out += '\n';
        }
        if (line.find("===END PRIVATE DOMAINS===") != std::string::npos) {
            in_private = false;
        }
    }
    char path[] = "/tmp/siehub_psl_icann_XXXXXX";
    int const fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
    close(fd);
    return path;
}

} // namespace

TEST_CASE("psl differential against libpsl", "[psl][diff]")
{
    std::string const path = default_psl_path;
    load_result const list = load_psl_file(path);
    REQUIRE(list.ok());
    corpus const c = build_corpus(list.rules);
    std::printf("psl differential: %zu rules, %zu names per configuration\n", list.rules.size(),
                c.names.size());

    psl_ptr const full(psl_load_file(path.c_str()));
    REQUIRE(full != nullptr);
    std::string const icann_path = write_icann_only(read_all(path));
    psl_ptr const icann(psl_load_file(icann_path.c_str()));
    std::remove(icann_path.c_str());
    REQUIRE(icann != nullptr);

    psl_table const t_full(list.rules, psl_options{.private_domains = true, .star_rule = true});
    psl_table const t_icann(list.rules, psl_options{.private_domains = false, .star_rule = true});
    psl_table const t_nostar(list.rules, psl_options{.private_domains = true, .star_rule = false});

    std::size_t total = 0;
    total += compare(t_full, full.get(), c, oracle::registrable, "full list");
    total += compare(t_icann, icann.get(), c, oracle::registrable, "ICANN only");
    total += compare(t_nostar, full.get(), c, oracle::no_star, "no star rule");
    CHECK(total == 0);

    // The burst path answers exactly as the single lookup (odd length: a partial last group).
    std::vector<std::vector<std::uint8_t>> wires;
    for (const auto& n : c.our_inputs) {
        wires.push_back(to_wire(n));
    }
    std::vector<siehub::core::byte_view> views(wires.begin(), wires.end() - 1);
    std::vector<base_result> out(views.size());
    t_full.lookup_burst(views, out);
    std::size_t burst_bad = 0;
    for (std::size_t i = 0; i < views.size(); ++i) {
        base_result const one = t_full.lookup(views[i]);
        if (one.status != out[i].status || one.base_offset != out[i].base_offset ||
            one.suffix_offset != out[i].suffix_offset || one.wire_length != out[i].wire_length ||
            one.labels != out[i].labels) {
            ++burst_bad;
        }
    }
    std::printf("psl burst vs single: %zu names, %zu disagreements\n", views.size(), burst_bad);
    CHECK(burst_bad == 0);
}
