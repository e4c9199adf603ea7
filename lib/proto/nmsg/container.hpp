// SPDX-License-Identifier: Apache-2.0
#pragma once
// nmsg framing and container views (spec nmsg.md §1–§3, §6): the 10-byte header, the Nmsg
// container, its NmsgPayload entries with their CRCs, and NmsgFragment. All views are
// zero-copy over the caller's bytes. The container builder and fragmenter write into
// caller buffers without allocating.

#include <array>
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

// What a payload view holds, decoded once: the canonical parser, the generic parser and the
// container's entry cache all fill this. No member initialisers: the cache fills records in
// place and a default zeroing of them would cost more than the parse.
struct payload_fields {
    const std::uint8_t* data; // the NmsgPayload bytes
    std::size_t size;
    const std::uint8_t* vendor; // field 5 content
    std::size_t vendor_size;
    std::int64_t time_sec;
    std::uint32_t vid;
    std::uint32_t msgtype;
    std::uint32_t time_nsec;
    std::uint32_t source;
    std::uint32_t operator_id;
    std::uint32_t group;
    std::uint8_t present; // payload_fields::has_* bits
    pb_error error;

    static constexpr std::uint8_t has_vendor = 0x01;
    static constexpr std::uint8_t has_source = 0x02;
    static constexpr std::uint8_t has_operator = 0x04;
    static constexpr std::uint8_t has_group = 0x08;
};

class nmsg_view;
struct payload_entry;

class payload_view {
public:
    payload_view() noexcept : f_{} {}
    explicit payload_view(byte_view b) noexcept { assign(b); }
    payload_view(byte_view b, generic_parse_t) noexcept { parse_generic(b); }

    // Re-points the view at another payload (iterators reuse one view).
    void assign(byte_view b) noexcept { assign(b, b.data() + b.size()); }

    [[nodiscard]] bool ok() const noexcept { return f_.error == pb_error::none; }
    [[nodiscard]] pb_error error() const noexcept { return f_.error; }
    [[nodiscard]] byte_view bytes() const noexcept { return byte_view{f_.data, f_.size}; }

    std::uint32_t vid() const noexcept { return f_.vid; }
    std::uint32_t msgtype() const noexcept { return f_.msgtype; }
    std::int64_t time_sec() const noexcept { return f_.time_sec; }
    std::uint32_t time_nsec() const noexcept { return f_.time_nsec; }
    // The serialized vendor message; absent → nullopt (the module cannot decode it).
    std::optional<byte_view> payload() const noexcept
    {
        if (!(f_.present & payload_fields::has_vendor)) {
            return std::nullopt;
        }
        return byte_view{f_.vendor, f_.vendor_size};
    }
    std::optional<std::uint32_t> source() const noexcept
    {
        return opt(payload_fields::has_source, f_.source);
    }
    std::optional<std::uint32_t> operator_id() const noexcept
    {
        return opt(payload_fields::has_operator, f_.operator_id);
    }
    std::optional<std::uint32_t> group() const noexcept
    {
        return opt(payload_fields::has_group, f_.group);
    }

    // Validation only (the canonical layout), without keeping a view.
    static bool valid_canonical(byte_view b) noexcept
    {
        payload_fields f;
        const std::uint8_t* const end = b.data() + b.size();
        return decode_canonical(b.data(), end, end, f);
    }

private:
    friend class nmsg_view;
    friend struct payload_entry;

    struct no_init_t {};
    explicit payload_view(no_init_t) noexcept {}

    std::optional<std::uint32_t> opt(std::uint8_t bit, std::uint32_t v) const noexcept
    {
        if (!(f_.present & bit)) {
            return std::nullopt;
        }
        return v;
    }

    // `rend` (>= end of b) is how far the caller's buffer may be read (see pb_varint_fast).
    void assign(byte_view b, const std::uint8_t* rend) noexcept
    {
        if (!decode_canonical(b.data(), b.data() + b.size(), rend, f_)) {
            parse_generic(b);
        }
    }

    void parse_generic(byte_view b) noexcept
    {
        std::array<field_slot, payload_schema::table.defs.size()> s{};
        parse_state const st = parse_fields(b, payload_schema::table, s);
        f_.data = b.data();
        f_.size = b.size();
        f_.vid = static_cast<std::uint32_t>(s[0].value);
        f_.msgtype = static_cast<std::uint32_t>(s[1].value);
        f_.time_sec = static_cast<std::int64_t>(s[2].value);
        f_.time_nsec = static_cast<std::uint32_t>(s[3].value);
        f_.vendor = s[4].data;
        f_.vendor_size = static_cast<std::size_t>(s[4].value);
        f_.source = static_cast<std::uint32_t>(s[5].value);
        f_.operator_id = static_cast<std::uint32_t>(s[6].value);
        f_.group = static_cast<std::uint32_t>(s[7].value);
        // Slots 4..7 (fields 5, 7, 8, 9) map to the has_* bits in order.
        f_.present = static_cast<std::uint8_t>((st.present >> 4) & 0x0f);
        f_.error = st.error;
    }

    // Fast path for the layout every writer produces (libnmsg, libprotobuf, ours): each
    // field at most once, in number order. Anything else goes to the generic parser, which
    // gives the same result for this layout (checked by the fuzz target). Fills every member
    // of `f` when it returns true (and some of them when it returns false). Always inlined
    // into the container's pass, where it runs once per payload.
    template <bool Pext = false>
    [[gnu::always_inline]] static bool
    decode_canonical(const std::uint8_t* p, const std::uint8_t* end, const std::uint8_t* rend,
                     payload_fields& f) noexcept
    {
        f.data = p;
        f.size = static_cast<std::size_t>(end - p);
        f.error = pb_error::none;
        if (end - p >= 18) [[likely]] {
            // The shape of every real payload: 1-byte vid and msgtype, a 5-byte time_sec
            // (2^28 s <= t < 2^35 s: 1978 to 3058), time_nsec, then field 5 with a 1- or
            // 2-byte length. Both 8-byte words are checked at once (keys exact, continuation
            // bits as the shape needs them) and the fields are taken at fixed offsets.
            std::uint64_t const w0 = core::load_le64(p);
            std::uint64_t const w1 = core::load_le64(p + 8);
            // Bytes 0..7: 08 vid<80 10 mt<80 18 t0|80 t1|80 t2|80.
            constexpr std::uint64_t m0 = 0x808080ff80ff80ffull;
            constexpr std::uint64_t e0 = 0x8080801800100008ull;
            // Bytes 8..15: t3|80 t4<80 25 nsec(4 bytes) 2a.
            constexpr std::uint64_t m1 = 0xff00000000ff8080ull;
            constexpr std::uint64_t e1 = 0x2a00000000250080ull;
            std::uint32_t const l = std::uint32_t{p[16]} | (std::uint32_t{p[17]} << 8);
            if ((w0 & m0) == e0 && (w1 & m1) == e1 && (l & 0x8080) != 0x8080) [[likely]] {
                f.vid = static_cast<std::uint32_t>((w0 >> 8) & 0x7f);
                f.msgtype = static_cast<std::uint32_t>((w0 >> 24) & 0x7f);
                f.time_sec =
                    static_cast<std::int64_t>(pb_varint5_value<Pext>((w0 >> 40) | (w1 << 24)));
                f.time_nsec = static_cast<std::uint32_t>(w1 >> 24);
                const std::uint8_t* q = p + 17;
                std::size_t len = l & 0x7f;
                if (l & 0x80) {
                    len |= (l >> 1) & 0x3f80;
                    ++q;
                }
                if (len > static_cast<std::size_t>(end - q)) {
                    return false;
                }
                f.vendor = q;
                f.vendor_size = len;
                return decode_ids(q + len, end, rend, payload_fields::has_vendor, f);
            }
        }
        // Any other canonical payload, field by field. Written out rather than looped: each
        // field's position depends on the previous varint, and the unrolled form keeps
        // everything in registers.
        std::uint64_t v = 0;
        if (p >= end || *p != 0x08 || !(p = pb_varint_fast(p + 1, end, rend, v))) {
            return false;
        }
        f.vid = static_cast<std::uint32_t>(v);
        if (p >= end || *p != 0x10 || !(p = pb_varint_fast(p + 1, end, rend, v))) {
            return false;
        }
        f.msgtype = static_cast<std::uint32_t>(v);
        if (p >= end || *p != 0x18 || !(p = pb_varint_fast(p + 1, end, rend, v))) {
            return false;
        }
        f.time_sec = static_cast<std::int64_t>(v);
        if (end - p < 5 || *p != 0x25) {
            return false;
        }
        f.time_nsec = core::load_le32(p + 1);
        p += 5;
        std::uint8_t present = 0;
        if (p < end && *p == 0x2a) {
            if (!(p = pb_varint_fast(p + 1, end, rend, v)) ||
                v > static_cast<std::size_t>(end - p)) {
                return false;
            }
            f.vendor = p;
            f.vendor_size = static_cast<std::size_t>(v);
            p += v;
            present = payload_fields::has_vendor;
        } else {
            f.vendor = nullptr;
            f.vendor_size = 0;
        }
        return decode_ids(p, end, rend, present, f);
    }

    // Fields 7, 8, 9 (optional, in order) from p, after field 5 or where it would be.
    [[gnu::always_inline]] static bool decode_ids(const std::uint8_t* p, const std::uint8_t* end,
                                                  const std::uint8_t* rend, std::uint8_t present,
                                                  payload_fields& f) noexcept
    {
        f.source = 0;
        f.operator_id = 0;
        f.group = 0;
        if (p == end) [[likely]] {
            // The common case (dnsqr from sensors): no source, operator or group.
            f.present = present;
            return true;
        }
        std::uint64_t v = 0;
        if (*p == 0x38) {
            if (!(p = pb_varint_fast(p + 1, end, rend, v))) {
                return false;
            }
            f.source = static_cast<std::uint32_t>(v);
            present |= payload_fields::has_source;
        }
        if (p < end && *p == 0x40) {
            if (!(p = pb_varint_fast(p + 1, end, rend, v))) {
                return false;
            }
            f.operator_id = static_cast<std::uint32_t>(v);
            present |= payload_fields::has_operator;
        }
        if (p < end && *p == 0x48) {
            if (!(p = pb_varint_fast(p + 1, end, rend, v))) {
                return false;
            }
            f.group = static_cast<std::uint32_t>(v);
            present |= payload_fields::has_group;
        }
        f.present = present;
        return p == end;
    }

    payload_fields f_;
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

    payload_entry() noexcept = default;

    // False only when a CRC is present and does not match (such payloads are dropped).
    [[nodiscard]] bool crc_ok() const noexcept
    {
        if (!stored_crc) {
            return true;
        }
        return crc32c_stored(view.payload().value_or(byte_view{})) == *stored_crc;
    }

private:
    friend class nmsg_view;

    // For the container's cache: the view is left to the decoder. (Aggregate initialisation
    // in place compiles to a zero-fill of the whole record first.)
    payload_entry(payload_view::no_init_t nf, std::size_t i) noexcept : view(nf), index(i) {}
};

// Container view. The usual layout (single-byte keys 0a/10/18/20, CRCs unpacked) is read in
// one fused pass: each payload is validated where it is found (protobuf-c semantics: one bad
// payload fails the container) and the decoded entry, CRC included, is kept in a per-view
// cache of entry_cache_capacity records, so entries() hands out references into the cache
// without touching the bytes again. The cache is not zeroed: only the records written are
// ever read. Within the pass, the shape every writer produces (entry key and 2-byte length,
// 1-byte vid/msgtype, 5-byte time_sec, vendor length; 5-byte CRC varints) is recognised by
// word compares and its 5-byte varints decoded with pext where the CPU has a fast one
// (nmsg_fast_pext()); anything off that shape is read field by field, same results.
//
// Cost (bench_nmsg, 7219-byte container of 18 dnsqr payloads): about 100-110 ns for the
// container and its views, against about 480 ns for libprotobuf with a reused Nmsg and
// 1250 ns with a fresh one; about 125 ns without pext.
//
// Fallbacks, all giving the same entries (unit tests and the fuzz target compare them with
// the generic parse): a container with more payloads than the cache, or a CRC before its
// payload or without one (more CRCs than payloads), is still validated in the one pass but
// iterated by re-walking the bytes (cached() is false); any other layout, and every error,
// goes through the generic table-driven parser, which reports the specific reason.
class nmsg_view : public basic_view<container_schema> {
public:
    // Enough for a jumbo (8192-byte) container of payloads of about 130 bytes or more.
    static constexpr std::size_t entry_cache_capacity = 64;

    nmsg_view() noexcept {}
    // Validates the container and every payload in it (required fields as protobuf-c).
    explicit nmsg_view(byte_view body) noexcept;
    nmsg_view(byte_view body, generic_parse_t) noexcept;
    // Copies only the cache records in use.
    nmsg_view(const nmsg_view& o) noexcept : basic_view(o) { copy_from(o); }
    nmsg_view& operator=(const nmsg_view& o) noexcept
    {
        if (this != &o) {
            basic_view::operator=(o);
            copy_from(o);
        }
        return *this;
    }

    [[nodiscard]] container_error status() const noexcept { return status_; }
    [[nodiscard]] bool valid() const noexcept { return status_ == container_error::none; }
    // Whether entries() reads the fused pass's cache (see the class comment).
    [[nodiscard]] bool cached() const noexcept { return cached_; }

    std::size_t payload_count() const noexcept { return payloads_raw().size(); }
    repeated_field<byte_view> payloads_raw() const noexcept { return rep<1, byte_view>(); }
    repeated_field<std::uint32_t> payload_crcs() const noexcept { return rep<2, std::uint32_t>(); }
    std::optional<std::uint32_t> sequence() const noexcept { return opt<3, std::uint32_t>(); }
    std::optional<std::uint64_t> sequence_id() const noexcept { return opt<4, std::uint64_t>(); }

private:
    // Raw storage for one cache record: the union's empty constructor leaves it unwritten.
    union cache_slot {
        cache_slot() noexcept {}
        payload_entry e;
    };

public:
    // Iterates payload_entry values: payloads paired with their CRCs, in order. Cached views
    // hand out references into the cache; a canonical but uncached view is walked with raw
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
            iterator(const entry_range& r, bool at_end) noexcept : range_(&r)
            {
                const nmsg_view& v = *r.view_;
                if (at_end) {
                    return; // only left_ (0) is ever looked at
                }
                left_ = static_cast<std::size_t>(v.slots_[0].value);
                if (v.cached_) {
                    rec_ = v.cache_;
                    return;
                }
                // Walk state only for uncached views: a cached one never pays for it.
                walk_state& w = *::new (&walk_.w) walk_state{};
                w.crcs_left = v.payload_crcs().size();
                if (v.fast_) {
                    w.p = v.slots_[0].data;
                    w.c = v.slots_[1].data;
                } else {
                    w.gp = v.payloads_raw().begin();
                    w.gc = v.payload_crcs().begin();
                }
                load();
            }

            const payload_entry& operator*() const noexcept { return rec_ ? rec_->e : walk_.w.cur; }
            const payload_entry* operator->() const noexcept { return &**this; }
            iterator& operator++() noexcept
            {
                --left_;
                if (rec_) {
                    ++rec_;
                    return *this;
                }
                walk_state& w = walk_.w;
                ++w.cur.index;
                if (!range_->view_->fast_) {
                    ++w.gp;
                    if (w.crcs_left > 0) {
                        ++w.gc;
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
                    p = pb_varint_fast(p + 1, end, end, v);
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
                const nmsg_view& v = *range_->view_;
                walk_state& w = walk_.w;
                byte_view payload;
                w.cur.stored_crc.reset();
                const std::uint8_t* const end = v.bytes_.data() + v.bytes_.size();
                if (v.fast_) {
                    w.p = next_with_key(w.p, end, 0x0a);
                    std::uint64_t len = 0;
                    w.p = pb_varint_fast(w.p + 1, end, end, len);
                    payload = byte_view{w.p, static_cast<std::size_t>(len)};
                    w.p += len;
                    if (w.crcs_left > 0) {
                        --w.crcs_left;
                        w.c = next_with_key(w.c, end, 0x10);
                        std::uint64_t crc = 0;
                        w.c = pb_varint_fast(w.c + 1, end, end, crc);
                        w.cur.stored_crc = static_cast<std::uint32_t>(crc);
                    }
                } else {
                    payload = *w.gp;
                    if (w.crcs_left > 0) {
                        --w.crcs_left;
                        w.cur.stored_crc = *w.gc;
                    }
                }
                w.cur.view.assign(payload, end);
            }

            struct walk_state {
                std::size_t crcs_left = 0;
                const std::uint8_t* p = nullptr;
                const std::uint8_t* c = nullptr;
                repeated_field<byte_view>::iterator gp;
                repeated_field<std::uint32_t>::iterator gc;
                payload_entry cur;
            };
            union walk_slot {
                walk_slot() noexcept {}
                walk_state w;
            };

            const entry_range* range_ = nullptr;
            const cache_slot* rec_ = nullptr; // cached views: the current record
            std::size_t left_ = 0;
            walk_slot walk_; // constructed for uncached views only
        };

        explicit entry_range(const nmsg_view& v) noexcept : view_(&v) {}
        // The range and its iterators refer to the view (its cache): keep the view alive
        // while iterating (a range-for over a named view's entries() does).
        iterator begin() const noexcept { return iterator(*this, false); }
        iterator end() const noexcept { return iterator(*this, true); }

    private:
        const nmsg_view* view_;
    };

    entry_range entries() const noexcept { return entry_range(*this); }

    [[nodiscard]] pb_error detail() const noexcept { return error(); }

private:
    template <bool Pext> bool parse_fused(byte_view body) noexcept;
    void parse_generic(byte_view body) noexcept;
    void copy_from(const nmsg_view& o) noexcept;

    container_error status_ = container_error::malformed;
    bool fast_ = false;   // took the fused (canonical) parse
    bool cached_ = false; // ... and every entry is in cache_
    cache_slot cache_[entry_cache_capacity];
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
    // The CRCs of the first payloads, computed by add() from the vendor bytes it was given, so
    // finish() need not parse its own output again; payloads past these are walked as before.
    static constexpr std::size_t known_crcs = 256;
    std::array<std::uint32_t, known_crcs> crcs_{};
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
