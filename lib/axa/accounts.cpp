// SPDX-License-Identifier: Apache-2.0
#include "axa/accounts.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include "axa/message.hpp"

namespace siehub::axa {

namespace {

std::vector<std::string_view> split_ws(std::string_view s)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
            ++i;
        }
        std::size_t const b = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            ++i;
        }
        if (i > b) {
            out.push_back(s.substr(b, i - b));
        }
    }
    return out;
}

// One element of CHANNELS: `204`, `ch204`; false when it is neither.
bool parse_channel_word(std::string_view w, std::uint16_t& ch)
{
    if (w.size() > 2 && (w[0] == 'c' || w[0] == 'C') && (w[1] == 'h' || w[1] == 'H')) {
        w.remove_prefix(2);
    }
    if (w.empty() || w.size() > 4) {
        return false;
    }
    unsigned v = 0;
    auto const r = std::from_chars(w.data(), w.data() + w.size(), v);
    if (r.ec != std::errc{} || r.ptr != w.data() + w.size() || v > ch_max) {
        return false;
    }
    ch = static_cast<std::uint16_t>(v);
    return true;
}

std::string where(std::string_view file, unsigned line)
{
    std::string s(file);
    s += ':';
    s += std::to_string(line);
    s += ": ";
    return s;
}

} // namespace

accounts_result parse_accounts(std::string_view text, std::string_view file)
{
    accounts_result res;
    unsigned line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (auto const h = line.find('#'); h != std::string_view::npos) {
            line = line.substr(0, h);
        }
        auto const w = split_ws(line);
        if (w.empty()) {
            if (nl == text.size()) {
                break;
            }
            continue;
        }
        account_entry a;
        a.line = line_no;
        if (w[0] == "user") {
            if (w.size() != 3) {
                res.error = where(file, line_no) + "expected `user NAME CHANNELS`";
                return res;
            }
        } else if (w[0] == "apikey") {
            a.apikey = true;
            if (w.size() != 3 && w.size() != 4) {
                // The key is never quoted back.
                res.error = where(file, line_no) + "expected `apikey KEY CHANNELS [NAME]`";
                return res;
            }
        } else {
            res.error = where(file, line_no) + "unknown keyword (expected user or apikey)";
            return res;
        }
        // USER's name field is 64 bytes with the NUL (spec §4).
        if (w[1].size() >= user_body_len) {
            res.error = where(file, line_no) + (a.apikey ? "API key" : "user name") +
                        " longer than 63 bytes";
            return res;
        }
        a.name = std::string(w[1]);
        if (a.apikey) {
            a.label = w.size() == 4 ? std::string(w[3]) : std::string("apikey");
        } else {
            a.label = a.name;
        }
        std::string_view list = w[2];
        while (!list.empty()) {
            auto const c = list.find(',');
            auto const item = list.substr(0, c);
            list = c == std::string_view::npos ? std::string_view{} : list.substr(c + 1);
            std::uint16_t ch = 0;
            if (item == "all") {
                a.all = true;
            } else if (parse_channel_word(item, ch)) {
                a.channels.push_back(ch);
            } else {
                res.error = where(file, line_no) + "bad channel `" + std::string(item) +
                            "` (expected 204, ch204 or all; 0..4095)";
                return res;
            }
        }
        for (const auto& other : res.accounts) {
            if (other.apikey == a.apikey && other.name == a.name) {
                res.error = where(file, line_no) +
                            (a.apikey ? std::string("duplicate API key (first on line ")
                                      : "duplicate user `" + a.name + "` (first on line ") +
                            std::to_string(other.line) + ")";
                return res;
            }
        }
        res.accounts.push_back(std::move(a));
        if (nl == text.size()) {
            break;
        }
    }
    return res;
}

accounts_result load_accounts(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        accounts_result r;
        r.error = path + ": cannot open";
        return r;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_accounts(ss.str(), path);
}

account_directories build_directories(std::span<const account_entry> accounts,
                                      std::span<const channel_desc> channels)
{
    auto users = std::make_shared<directory>();
    auto keys = std::make_shared<directory>();
    std::vector<std::uint16_t> all;
    for (const auto& c : channels) {
        users->add_channel(c.ch, c.spec);
        keys->add_channel(c.ch, c.spec);
        all.push_back(c.ch);
    }
    for (const auto& a : accounts) {
        std::vector<std::uint16_t> chs = a.channels;
        if (a.all) {
            chs.insert(chs.end(), all.begin(), all.end());
        }
        (a.apikey ? keys : users)->add_account(a.name, chs, a.label);
    }
    return {std::move(users), std::move(keys)};
}

} // namespace siehub::axa
