// SPDX-License-Identifier: Apache-2.0
#pragma once
// nmsg framing and container views (spec nmsg.md §1–§3, §6): the 10-byte header, the Nmsg
// container, its NmsgPayload entries with their CRCs, and NmsgFragment. All views are
// zero-copy over the caller's bytes. The container builder and fragmenter write into
// caller buffers without allocating.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/out_buffer.hpp"
#include "proto/nmsg/crc32c.hpp"
#include "proto/nmsg/message.hpp"

namespace siehub::nmsg {

inline constexpr std::uint8_t nmsg_magic[4] = {'N', 'M', 'S', 'G'};
inline constexpr std::size_t header_size = 10;
inline constexpr std::size_t header_size_v1 = 8;
inline constexpr std::uint8_t flag_zlib = 0x01;
inline constexpr std::uint8_t flag_fragment = 0x02;
inline constexpr std::size_t container_size_min = 512;     // NMSG_WBUFSZ_MIN
inline constexpr std::size_t container_size_ether = 1280;  // NMSG_WBUFSZ_ETHER
inline constexpr std::size_t container_size_jumbo = 8192;  // NMSG_WBUFSZ_JUMBO
inline constexpr std::size_t container_size_max = 1048576; // NMSG_WBUFSZ_MAX

enum class container_error : std::uint8_t {
    none = 0,
    short_header,     // fewer bytes than a header
    bad_magic,        // not "NMSG" (e.g. libnmsg's headerless zlib bug)
    bad_version,      // not version 2 (or 1 in file mode)
    bad_flags,        // flag bits other than zlib/fragment
    length_mismatch,  // datagram: length field != datagram size - 10
    truncated_body,   // file: length field beyond the end of the input
    malformed,        // protobuf-level error; detail in pb_error
    missing_required, // a payload (or fragment) lacks a required field
    no_payloads,      // a container with zero payloads (crashes nmsgtool; never accepted)
};

constexpr std::string_view to_string(container_error e) noexcept
{
    switch (e) {
    case container_error::none:
        return "none";
    case container_error::short_header:
        return "short_header";
    case container_error::bad_magic:
        return "bad_magic";
    case container_error::bad_version:
        return "bad_version";
    case container_error::bad_flags:
        return "bad_flags";
    case container_error::length_mismatch:
        return "length_mismatch";
    case container_error::truncated_body:
        return "truncated_body";
    case container_error::malformed:
        return "malformed";
    case container_error::missing_required:
        return "missing_required";
    case container_error::no_payloads:
        return "no_payloads";
    }
    return "unknown";
}

struct nmsg_header {
    std::uint8_t version = 2;
    std::uint8_t flags = 0;
    std::uint32_t length = 0;
    std::size_t size = header_size; // bytes the header occupies (8 for legacy v1)

    [[nodiscard]] bool zlib() const noexcept { return flags & flag_zlib; }
    [[nodiscard]] bool fragment() const noexcept { return flags & flag_fragment; }
};

// One framed unit: header and the body it announces.
struct nmsg_unit {
    container_error error = container_error::none;
    nmsg_header header;
    byte_view body;
    std::size_t consumed = 0; // header + body bytes (file mode: where the next unit starts)

    [[nodiscard]] bool ok() const noexcept { return error == container_error::none; }
};

// A UDP datagram (or ZeroMQ/Kafka message): exactly one version-2 unit, length == size - 10.
nmsg_unit parse_datagram(byte_view datagram) noexcept;

// The next unit of an nmsg file (concatenated units; legacy version 1 accepted).
nmsg_unit next_file_unit(byte_view rest) noexcept;

// Writes a version-2 header.
inline void write_header(core::out_buffer& out, std::uint8_t flags, std::uint32_t length) noexcept
{
    out.put(byte_view{nmsg_magic, 4});
    out.put(flags);
    out.put(std::uint8_t{2});
    out.put_be32(length);
}

// --------------------------------------------------------------------------- NmsgPayload

struct payload_schema {
    static constexpr schema_table<8> table{std::array<field_def, 8>{{
        {1, field_type::uint32, field_label::required},
        {2, field_type::uint32, field_label::required},
        {3, field_type::int64, field_label::required},
        {4, field_type::fixed32, field_label::required},
        {5, field_type::bytes, field_label::optional},
        {7, field_type::uint32, field_label::optional},
        {8, field_type::uint32, field_label::optional},
        {9, field_type::uint32, field_label::optional},
    }}};
};

// Selects the generic table-driven parser only (tests compare it with the fast paths).
struct generic_parse_t {};
inline constexpr generic_parse_t generic_parse{};

class payload_view : public basic_view<payload_schema> {
public:
    payload_view() noexcept = default;
    explicit payload_view(byte_view b) noexcept : basic_view(no_init_t{}) { assign(b); }

    // Re-points the view at another payload (iterators reuse one view).
    void assign(byte_view b) noexcept
    {
        if (canonical<true>(b, slots_.data(), state_.present)) {
            bytes_ = b;
            state_.error = pb_error::none;
        } else {
            parse_bytes(b);
        }
    }
    payload_view(byte_view b, generic_parse_t) noexcept { parse_bytes(b); }

    std::uint32_t vid() const noexcept { return get<1, std::uint32_t>(); }
    std::uint32_t msgtype() const noexcept { return get<2, std::uint32_t>(); }
    std::int64_t time_sec() const noexcept { return get<3, std::int64_t>(); }
    std::uint32_t time_nsec() const noexcept { return get<4, std::uint32_t>(); }
    // The serialized vendor message; absent → nullopt (the module cannot decode it).
    std::optional<byte_view> payload() const noexcept { return opt<5, byte_view>(); }
    std::optional<std::uint32_t> source() const noexcept { return opt<7, std::uint32_t>(); }
    std::optional<std::uint32_t> operator_id() const noexcept { return opt<8, std::uint32_t>(); }
    std::optional<std::uint32_t> group() const noexcept { return opt<9, std::uint32_t>(); }

    // Validation only, for the container's pass over its payloads.
    static bool valid_canonical(byte_view b) noexcept
    {
        std::uint32_t present = 0;
        return canonical<false>(b, nullptr, present);
    }

private:
    // Fast path for the layout every writer produces (libnmsg, libprotobuf, ours): each
    // field at most once, in number order. Anything else goes to the generic parser, which
    // gives the same result for this layout (checked by the fuzz target). With Store, all 8
    // slots are written.
    template <bool Store>
    static bool canonical(byte_view b, field_slot* s, std::uint32_t& present) noexcept
    {
        const std::uint8_t* p = b.data();
        const std::uint8_t* const end = p + b.size();
        std::uint64_t v = 0;
        auto at = [&](std::uint8_t k) { return p < end && *p == k; };
        auto put = [&](std::size_t i, std::uint64_t value, const std::uint8_t* data) {
            if constexpr (Store) {
                s[i].value = value;
                s[i].data = data;
            }
        };
        // Written out rather than looped: each field's position depends on the previous
        // varint, and the unrolled form lets the compiler keep everything in registers.
        if (!at(0x08) || !(p = pb_varint_at(p + 1, end, v))) {
            return false;
        }
        put(0, v, nullptr);
        if (!at(0x10) || !(p = pb_varint_at(p + 1, end, v))) {
            return false;
        }
        put(1, v, nullptr);
        if (!at(0x18) || !(p = pb_varint_at(p + 1, end, v))) {
            return false;
        }
        put(2, v, nullptr);
        if (end - p < 5 || *p != 0x25) {
            return false;
        }
        put(3, core::load_le32(p + 1), nullptr);
        p += 5;
        present = 0x0f;
        if (at(0x2a)) {
            if (!(p = pb_varint_at(p + 1, end, v)) || v > static_cast<std::size_t>(end - p)) {
                return false;
            }
            put(4, v, p);
            p += v;
            present |= 0x10;
        } else {
            put(4, 0, nullptr);
        }
        if (p == end) [[likely]] {
            // The common case (dnsqr from sensors): no source, operator or group.
            put(5, 0, nullptr);
            put(6, 0, nullptr);
            put(7, 0, nullptr);
            return true;
        }
        std::uint8_t const keys[3] = {0x38, 0x40, 0x48};
        for (std::size_t i = 0; i < 3; ++i) {
            if (at(keys[i])) {
                if (!(p = pb_varint_at(p + 1, end, v))) {
                    return false;
                }
                put(5 + i, v, nullptr);
                present |= 0x20u << i;
            } else {
                put(5 + i, 0, nullptr);
            }
        }
        return p == end;
    }
};

// The payload header fields a writer supplies next to the vendor message bytes.
struct payload_header {
    std::uint32_t vid = 0;
    std::uint32_t msgtype = 0;
    std::int64_t time_sec = 0;
    std::uint32_t time_nsec = 0;
    std::optional<std::uint32_t> source;
    std::optional<std::uint32_t> operator_id;
    std::optional<std::uint32_t> group;
};

// Writes one NmsgPayload body (not the container's field-1 key/length).
template <class Sink>
inline void write_payload(Sink& s, const payload_header& h,
                          std::optional<byte_view> vendor) noexcept
{
    pb_put_uint(s, 1, h.vid);
    pb_put_uint(s, 2, h.msgtype);
    pb_put_int(s, 3, h.time_sec);
    pb_put_fixed32(s, 4, h.time_nsec);
    pb_put_opt_bytes(s, 5, vendor);
    pb_put_opt_uint(s, 7, h.source);
    pb_put_opt_uint(s, 8, h.operator_id);
    pb_put_opt_uint(s, 9, h.group);
}

inline std::size_t payload_size(const payload_header& h, std::optional<byte_view> vendor) noexcept
{
    size_counter c;
    write_payload(c, h, vendor);
    return c.size();
}

// ------------------------------------------------------------------------------- Nmsg

struct container_schema {
    static constexpr schema_table<4> table{std::array<field_def, 4>{{
        {1, field_type::bytes, field_label::repeated},
        {2, field_type::uint32, field_label::repeated},
        {3, field_type::uint32, field_label::optional},
        {4, field_type::uint64, field_label::optional},
    }}};
};

// One payload of a container with the CRC stored for it (if the container has one).
struct payload_entry {
    payload_view view;
    std::size_t index = 0;
    std::optional<std::uint32_t> stored_crc;

    // False only when a CRC is present and does not match (such payloads are dropped).
    [[nodiscard]] bool crc_ok() const noexcept
    {
        if (!stored_crc) {
            return true;
        }
        return crc32c_stored(view.payload().value_or(byte_view{})) == *stored_crc;
    }
};

class nmsg_view : public basic_view<container_schema> {
public:
    nmsg_view() noexcept = default;
    // Validates the container and every payload in it (required fields as protobuf-c).
    explicit nmsg_view(byte_view body) noexcept;
    nmsg_view(byte_view body, generic_parse_t) noexcept;

    [[nodiscard]] container_error status() const noexcept { return status_; }
    [[nodiscard]] bool valid() const noexcept { return status_ == container_error::none; }

    std::size_t payload_count() const noexcept { return payloads_raw().size(); }
    repeated_field<byte_view> payloads_raw() const noexcept { return rep<1, byte_view>(); }
    repeated_field<std::uint32_t> payload_crcs() const noexcept { return rep<2, std::uint32_t>(); }
    std::optional<std::uint32_t> sequence() const noexcept { return opt<3, std::uint32_t>(); }
    std::optional<std::uint64_t> sequence_id() const noexcept { return opt<4, std::uint64_t>(); }

    // Iterates payload_entry values: payloads paired with their CRCs, in order. A container
    // that took the canonical parse (single-byte keys 0a/10/18/20 only) is walked with raw
    // pointers from the first payload and first CRC; any other goes through the generic
    // repeated-field iterators.
    class entry_range {
    public:
        class iterator {
        public:
            using value_type = payload_entry;
            using reference = const payload_entry&;
            using pointer = const payload_entry*;
            using difference_type = std::ptrdiff_t;
            using iterator_category = std::input_iterator_tag;

            iterator() noexcept = default;
            iterator(const entry_range& r, bool at_end) noexcept
                : range_(&r), left_(at_end ? 0 : r.count_), crcs_left_(r.crcs_.size())
            {
                if (r.fast_) {
                    p_ = r.first_payload_;
                    c_ = r.first_crc_;
                } else {
                    gp_ = r.payloads_.begin();
                    gc_ = r.crcs_.begin();
                }
                load();
            }

            const payload_entry& operator*() const noexcept { return cur_; }
            const payload_entry* operator->() const noexcept { return &cur_; }
            iterator& operator++() noexcept
            {
                --left_;
                ++cur_.index;
                if (!range_->fast_) {
                    ++gp_;
                    if (crcs_left_ > 0) {
                        ++gc_;
                    }
                }
                load();
                return *this;
            }
            bool operator==(const iterator& o) const noexcept { return left_ == o.left_; }

        private:
            // Skips non-payload fields (validated: single-byte keys, varint or length).
            static const std::uint8_t* next_with_key(const std::uint8_t* p, const std::uint8_t* end,
                                                     std::uint8_t key) noexcept
            {
                std::uint64_t v = 0;
                while (p < end && *p != key) {
                    bool const len = *p == 0x0a;
                    p = pb_varint_at(p + 1, end, v);
                    if (len) {
                        p += v;
                    }
                }
                return p;
            }

            void load() noexcept
            {
                if (left_ == 0) {
                    return;
                }
                byte_view payload;
                cur_.stored_crc.reset();
                if (range_->fast_) {
                    const std::uint8_t* const end = range_->end_;
                    p_ = next_with_key(p_, end, 0x0a);
                    std::uint64_t len = 0;
                    p_ = pb_varint_at(p_ + 1, end, len);
                    payload = byte_view{p_, static_cast<std::size_t>(len)};
                    p_ += len;
                    if (crcs_left_ > 0) {
                        --crcs_left_;
                        c_ = next_with_key(c_, end, 0x10);
                        std::uint64_t crc = 0;
                        c_ = pb_varint_at(c_ + 1, end, crc);
                        cur_.stored_crc = static_cast<std::uint32_t>(crc);
                    }
                } else {
                    payload = *gp_;
                    if (crcs_left_ > 0) {
                        --crcs_left_;
                        cur_.stored_crc = *gc_;
                    }
                }
                cur_.view.assign(payload);
            }

            const entry_range* range_ = nullptr;
            std::size_t left_ = 0;
            std::size_t crcs_left_ = 0;
            const std::uint8_t* p_ = nullptr;
            const std::uint8_t* c_ = nullptr;
            repeated_field<byte_view>::iterator gp_;
            repeated_field<std::uint32_t>::iterator gc_;
            payload_entry cur_;
        };

        explicit entry_range(const nmsg_view& v) noexcept
            : payloads_(v.payloads_raw()), crcs_(v.payload_crcs()), count_(payloads_.size()),
              fast_(v.fast_)
        {
            if (fast_) {
                first_payload_ = v.slots_[0].data;
                first_crc_ = v.slots_[1].data;
                end_ = v.bytes_.data() + v.bytes_.size();
            }
        }
        // The iterators point back at the range: keep it alive while iterating (a range-for
        // over entries() does).
        iterator begin() const noexcept { return iterator(*this, false); }
        iterator end() const noexcept { return iterator(*this, true); }

    private:
        repeated_field<byte_view> payloads_;
        repeated_field<std::uint32_t> crcs_;
        std::size_t count_ = 0;
        bool fast_ = false;
        const std::uint8_t* first_payload_ = nullptr;
        const std::uint8_t* first_crc_ = nullptr;
        const std::uint8_t* end_ = nullptr;
    };

    entry_range entries() const noexcept { return entry_range(*this); }

    [[nodiscard]] pb_error detail() const noexcept { return error(); }

private:
    bool parse_canonical(byte_view body) noexcept;
    void parse_generic(byte_view body) noexcept;

    container_error status_ = container_error::malformed;
    bool fast_ = false; // took the canonical parse
};

// ---------------------------------------------------------------------- NmsgFragment

struct fragment_schema {
    static constexpr schema_table<5> table{std::array<field_def, 5>{{
        {1, field_type::uint32, field_label::required},
        {2, field_type::uint32, field_label::required},
        {3, field_type::uint32, field_label::required},
        {4, field_type::bytes, field_label::required},
        {5, field_type::uint32, field_label::optional},
    }}};
};

class fragment_view : public basic_view<fragment_schema> {
public:
    fragment_view() noexcept = default;
    explicit fragment_view(byte_view b) noexcept { parse_bytes(b); }

    [[nodiscard]] container_error status() const noexcept
    {
        if (ok()) {
            return container_error::none;
        }
        return error() == pb_error::missing_required ? container_error::missing_required
                                                     : container_error::malformed;
    }

    std::uint32_t id() const noexcept { return get<1, std::uint32_t>(); }
    std::uint32_t current() const noexcept { return get<2, std::uint32_t>(); }
    std::uint32_t last() const noexcept { return get<3, std::uint32_t>(); }
    byte_view fragment() const noexcept { return get<4, byte_view>(); }
    std::optional<std::uint32_t> crc() const noexcept { return opt<5, std::uint32_t>(); }
};

struct fragment_fields {
    std::uint32_t id = 0;
    std::uint32_t current = 0;
    std::uint32_t last = 0;
    byte_view fragment;
    std::optional<std::uint32_t> crc;
};

template <class Sink> inline void write(Sink& s, const fragment_fields& f) noexcept
{
    pb_put_uint(s, 1, f.id);
    pb_put_uint(s, 2, f.current);
    pb_put_uint(s, 3, f.last);
    pb_put_bytes(s, 4, f.fragment);
    pb_put_opt_uint(s, 5, f.crc);
}

// ------------------------------------------------------------------- container builder

// Worst-case growth of deflate output over its input (zlib's compressBound) plus the u32
// length prefix: the builder keeps this much room when zlib is on, so an incompressible
// container still fits in one datagram.
constexpr std::size_t zlib_overhead(std::size_t n) noexcept
{
    return (n >> 12) + (n >> 14) + (n >> 25) + 13 + 4;
}

// Packs payloads into one container in a caller buffer. Payload CRCs are written at
// finish(); they are budgeted at the 6 bytes each (key + 5-byte varint) that libnmsg
// assumes, sequence fields at 17 bytes when enabled.
class container_builder {
public:
    enum class add_status : std::uint8_t { added, full, too_large };

    // `buf` must hold `limit` bytes; limit is the largest datagram (≥ 512). With zlib the
    // finished container is the uncompressed one; compress it with zlib_container().
    container_builder(byte_span buf, std::size_t limit, bool with_sequence, bool zlib) noexcept;

    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t payload_count() const noexcept { return count_; }
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }

    // Bytes of the container entry for this payload (key + length + NmsgPayload).
    static std::size_t entry_size(const payload_header& h, std::size_t vendor_len) noexcept;

    // Whether a payload of this entry size fits now. A payload that does not fit even an
    // empty container must be fragmented (fragmenter).
    [[nodiscard]] bool fits(std::size_t entry) const noexcept;
    [[nodiscard]] bool fits_empty(std::size_t entry) const noexcept;

    add_status add(const payload_header& h, byte_view vendor) noexcept;

    // Appends CRCs (and sequence fields when enabled) and the header. Returns the whole
    // unit (header + serialized Nmsg), or an empty view when there are no payloads:
    // a zero-payload container is never produced.
    byte_view finish(std::uint32_t sequence = 0, std::uint64_t sequence_id = 0) noexcept;

    void reset() noexcept;

private:
    [[nodiscard]] std::size_t budget_used(std::size_t extra_entry,
                                          std::size_t extra_count) const noexcept;

    core::out_buffer out_;
    std::size_t limit_;
    std::size_t count_ = 0;
    bool with_sequence_;
    bool zlib_;
};

// Splits one serialized container body (compressed or not, no header) into fragment
// datagrams of at most `limit` bytes: max_fragsz = limit - 32, last = ceil(len/max) - 1,
// crc = bswap32(crc32c(body)).
class fragmenter {
public:
    fragmenter(byte_view body, bool zlib, std::uint32_t id, std::size_t limit) noexcept;

    [[nodiscard]] std::uint32_t last() const noexcept { return last_; }
    [[nodiscard]] std::size_t count() const noexcept { return std::size_t{last_} + 1; }
    [[nodiscard]] bool done() const noexcept { return next_ > last_ || body_.empty(); }

    // Writes the next fragment datagram (header + NmsgFragment); false when done or on
    // overflow.
    bool next(core::out_buffer& out) noexcept;

private:
    byte_view body_;
    std::size_t max_fragsz_;
    std::uint32_t id_;
    std::uint32_t last_ = 0;
    std::uint32_t next_ = 0;
    std::uint32_t crc_;
    std::uint8_t flags_;
};

} // namespace siehub::nmsg
