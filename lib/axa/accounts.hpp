// SPDX-License-Identifier: Apache-2.0
#pragma once
// The SRA accounts file (docs/sra.md): one account per line, `#` starts a comment.
//
//   user NAME CHANNELS            # tcp: and unix: listeners; USER carries NAME
//   apikey KEY CHANNELS [NAME]    # apikey: listeners; USER carries KEY; replies show NAME
//
// CHANNELS is a comma list of `204`, `ch204` or `all` (every channel the hub has). Errors name
// FILE:LINE and never quote an API key. The result is two directories, one per listener kind,
// so a user name never authenticates on a TLS listener and a key never on a plain one.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "axa/session.hpp"

namespace siehub::axa {

struct account_entry {
    bool apikey = false;
    std::string name;  // user name or API key (what USER carries)
    std::string label; // what "… authorized" shows: NAME, or "apikey" for an unnamed key
    bool all = false;  // `all`: every channel the hub has
    std::vector<std::uint16_t> channels;
    unsigned line = 0;
};

struct accounts_result {
    std::vector<account_entry> accounts;
    std::string error; // "FILE:LINE: what"; empty on success
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// Parses the text of an accounts file; `file` only names it in errors.
accounts_result parse_accounts(std::string_view text, std::string_view file);
// Reads and parses a file.
accounts_result load_accounts(const std::string& path);

// A channel the hub serves and the text CLIST shows for it.
struct channel_desc {
    std::uint16_t ch = 0;
    std::string spec;
};

// The directories sessions authenticate against (immutable once built; a reload builds new
// ones and the server rebinds its sessions).
struct account_directories {
    std::shared_ptr<const directory> users;   // tcp: and unix: listeners
    std::shared_ptr<const directory> apikeys; // apikey: listeners
};

// Builds both directories; `all` expands to `channels`; account channels the hub does not
// serve are kept (CGET shows them with an empty spec) so a file can be written ahead.
account_directories build_directories(std::span<const account_entry> accounts,
                                      std::span<const channel_desc> channels);

} // namespace siehub::axa
