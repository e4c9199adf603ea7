// SPDX-License-Identifier: Apache-2.0
#pragma once
// IDNA label conversion for Public Suffix List rules: a U-label (UTF-8) becomes its A-label
// ("xn--" + RFC 3492 Punycode). Control-plane only (it appends to a std::string): the PSL
// ships some rules as U-labels, while DNS wire names carry A-labels.
//
// This is the Punycode step only, not full IDNA2008/UTS-46 mapping: the PSL states that its
// U-labels are already lowercase and NFC, so no mapping is needed; ASCII letters are
// lowercased. The differential test against libpsl (which uses libidn2) checks the result on
// every U-label of the list.

#include <cstdint>
#include <string>
#include <string_view>

namespace siehub::newness {

enum class idna_status : std::uint8_t {
    ok = 0,
    bad_utf8,       // not well-formed UTF-8 (overlong, surrogate, truncated, > U+10FFFF)
    overflow,       // Punycode delta overflow (RFC 3492 §6.4); cannot happen for legal labels
    label_too_long, // the A-label would exceed 63 bytes
};

const char* to_string(idna_status s) noexcept;

// Appends the Punycode encoding (RFC 3492 §6.3) of the code points, without the "xn--" prefix.
idna_status punycode_encode(std::u32string_view code_points, std::string& out);

// Appends the A-label of one UTF-8 label: ASCII labels are lowercased and copied, others are
// "xn--" + Punycode. The label must not contain '.'.
idna_status to_a_label(std::string_view utf8_label, std::string& out);

} // namespace siehub::newness
