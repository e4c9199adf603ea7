// SPDX-License-Identifier: Apache-2.0
#include "proto/dns/errc.hpp"

namespace siehub::dns {

const char* to_string(errc e) noexcept
{
    switch (e) {
    case errc::ok:
        return "ok";
    case errc::name_truncated:
        return "name_truncated";
    case errc::label_too_long:
        return "label_too_long";
    case errc::name_too_long:
        return "name_too_long";
    case errc::bad_label_type:
        return "bad_label_type";
    case errc::pointer_forward:
        return "pointer_forward";
    case errc::pointer_loop:
        return "pointer_loop";
    case errc::pointer_hops:
        return "pointer_hops";
    case errc::pointer_not_allowed:
        return "pointer_not_allowed";
    case errc::name_trailing_bytes:
        return "name_trailing_bytes";
    case errc::text_empty_label:
        return "text_empty_label";
    case errc::text_bad_escape:
        return "text_bad_escape";
    case errc::text_empty:
        return "text_empty";
    case errc::message_too_short:
        return "message_too_short";
    case errc::message_too_large:
        return "message_too_large";
    case errc::count_overflow:
        return "count_overflow";
    case errc::too_many_records:
        return "too_many_records";
    case errc::question_truncated:
        return "question_truncated";
    case errc::rr_truncated:
        return "rr_truncated";
    case errc::rdata_truncated:
        return "rdata_truncated";
    case errc::trailing_data:
        return "trailing_data";
    case errc::opt_misplaced:
        return "opt_misplaced";
    case errc::opt_duplicate:
        return "opt_duplicate";
    case errc::opt_bad_owner:
        return "opt_bad_owner";
    case errc::opt_option_truncated:
        return "opt_option_truncated";
    case errc::rdata_bad_length:
        return "rdata_bad_length";
    case errc::rdata_short:
        return "rdata_short";
    case errc::rdata_long:
        return "rdata_long";
    case errc::rdata_bad_string:
        return "rdata_bad_string";
    case errc::rdata_bad_bitmap:
        return "rdata_bad_bitmap";
    case errc::rdata_bad_svc_param:
        return "rdata_bad_svc_param";
    case errc::rdata_empty_field:
        return "rdata_empty_field";
    case errc::out_of_space:
        return "out_of_space";
    case errc::section_order:
        return "section_order";
    case errc::too_many_rrsets:
        return "too_many_rrsets";
    }
    return "unknown";
}

} // namespace siehub::dns
