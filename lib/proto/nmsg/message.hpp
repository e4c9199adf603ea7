// SPDX-License-Identifier: Apache-2.0
#pragma once
// Schema-driven, zero-copy protobuf message views. A message is described by a constexpr
// table of (field number, type, label); one generic pass validates the bytes (wire types,
// lengths, required fields, packed runs) and records the last value of every singular field;
// repeated fields are iterated later straight over the buffer, so nothing is allocated.
// The nmsg container, payload, fragment and vendor message views are thin typed wrappers.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>

#include "proto/nmsg/pb.hpp"

namespace siehub::nmsg {

enum class field_type : std::uint8_t {
    uint32,
    uint64,
    int32, // also enums
    int64,
    boolean,
    bytes,
    fixed32,
    sfixed32,
    dbl,
};

enum class field_label : std::uint8_t { optional, required, repeated };

struct field_def {
    std::uint32_t number;
    field_type type;
    field_label label;
};

constexpr wire_type wire_of(field_type t) noexcept
{
    switch (t) {
    case field_type::bytes:
        return wire_type::len;
    case field_type::fixed32:
    case field_type::sfixed32:
        return wire_type::fixed32;
    case field_type::dbl:
        return wire_type::fixed64;
    default:
        return wire_type::varint;
    }
}

// Field numbers above this are never known to a schema here (largest is 23).
inline constexpr std::uint32_t max_schema_number = 31;

// Compile-time lookup tables for one schema.
template <std::size_t N> struct schema_table {
    std::array<field_def, N> defs{};
    std::array<std::int8_t, max_schema_number + 1> index{};
    std::uint32_t required_mask = 0;

    constexpr explicit schema_table(const std::array<field_def, N>& d) : defs(d)
    {
        static_assert(N <= 32, "presence mask is 32 bits");
        for (auto& i : index) {
            i = -1;
        }
        for (std::size_t s = 0; s < N; ++s) {
            index[defs[s].number] = static_cast<std::int8_t>(s);
            if (defs[s].label == field_label::required) {
                required_mask |= 1u << s;
            }
        }
    }
};

// What one validation pass keeps per field: the raw bits of the last occurrence (varint,
// fixed) or its bytes; for repeated fields the element count.
// No member initialisers on purpose: fast paths fill slots themselves and a default
// zeroing would dominate their cost; everywhere else slots are value-initialised ({}).
struct field_slot {
    std::uint64_t value;
    const std::uint8_t* data;
};

struct parse_state {
    std::uint32_t present = 0;
    pb_error error = pb_error::none;
    // Every field known to the schema and in ascending number order, as protobuf-c and
    // libprotobuf write them: what an in-place rewrite (append a field, patch bytes) relies on.
    bool canonical = true;
    std::uint32_t last_number = 0; // the highest field number seen
};

// Counts the elements of a packed run, validating it. Returns false on a malformed run.
inline bool count_packed(field_type t, byte_view run, std::uint64_t& count) noexcept
{
    switch (wire_of(t)) {
    case wire_type::fixed32:
        if (run.size() % 4 != 0) {
            return false;
        }
        count += run.size() / 4;
        return true;
    case wire_type::fixed64:
        if (run.size() % 8 != 0) {
            return false;
        }
        count += run.size() / 8;
        return true;
    default: {
        pb_cursor c(run);
        while (!c.at_end()) {
            pb_read_varint(c);
            if (!c.ok()) {
                return false;
            }
            ++count;
        }
        return true;
    }
    }
}

// The one validation pass shared by every message type, field by field through pb_reader:
// every error has its own code. parse_fields tries parse_fields_fast first and comes here
// only for what that does not take. `slots` must come zeroed.
template <std::size_t N>
inline parse_state parse_fields_generic(byte_view msg, const schema_table<N>& schema,
                                        std::array<field_slot, N>& slots) noexcept
{
    parse_state st;
    pb_reader r(msg);
    pb_field f;
    for (;;) {
        std::size_t const key_at = r.offset();
        if (!r.next(f)) {
            break;
        }
        st.canonical &= f.number >= st.last_number;
        st.last_number = std::max(st.last_number, f.number);
        if (f.number > max_schema_number) {
            st.canonical = false;
            continue; // unknown: already skipped by the reader
        }
        int const s = schema.index[f.number];
        if (s < 0) {
            st.canonical = false;
            continue;
        }
        field_def const& d = schema.defs[static_cast<std::size_t>(s)];
        field_slot& slot = slots[static_cast<std::size_t>(s)];
        wire_type const want = wire_of(d.type);
        if (d.label == field_label::repeated) {
            if (slot.data == nullptr) {
                // Where the first element's key is: iteration starts there.
                slot.data = msg.data() + key_at;
            }
            if (f.type == want) {
                ++slot.value;
            } else if (f.type == wire_type::len && want != wire_type::len) {
                if (!count_packed(d.type, f.bytes, slot.value)) {
                    st.error = pb_error::bad_packed;
                    return st;
                }
            } else {
                st.error = pb_error::wrong_wire_type;
                return st;
            }
            st.present |= 1u << s;
            continue;
        }
        if (f.type != want) {
            st.error = pb_error::wrong_wire_type;
            return st;
        }
        if (want == wire_type::len) {
            slot.data = f.bytes.data();
            slot.value = f.bytes.size();
        } else {
            slot.value = f.value;
        }
        st.present |= 1u << s;
    }
    if (!r.ok()) {
        st.error = r.error();
        return st;
    }
    if ((st.present & schema.required_mask) != schema.required_mask) {
        st.error = pb_error::missing_required;
    }
    return st;
}

// The same pass over raw pointers for messages as writers produce them: every field known to
// the schema, with the wire type its schema type has (no packed runs, groups or unknown
// fields), every varint and length well-formed. On those it yields exactly what
// parse_fields_generic yields; at the first thing outside them it returns false, with `slots`
// partly written. No sticky cursor and no per-field error paths: about half the generic
// pass's instructions.
template <std::size_t N>
inline bool parse_fields_fast(byte_view msg, const schema_table<N>& schema,
                              std::array<field_slot, N>& slots, parse_state& st) noexcept
{
    static_assert(std::endian::native == std::endian::little, "fixed fields are read in place");
    const std::uint8_t* p = msg.data();
    const std::uint8_t* const end = p + msg.size();
    std::uint32_t present = 0;
    std::uint32_t last = 0;
    bool canonical = true;
    while (p < end) {
        const std::uint8_t* const key_at = p;
        std::uint64_t key;
        p = pb_varint_at(p, end, key);
        if (p == nullptr || key > 0xffffffffu) {
            return false;
        }
        auto const number = static_cast<std::uint32_t>(key >> 3);
        if (number > max_schema_number) {
            return false;
        }
        int const s = schema.index[number]; // -1 for 0 and for numbers the schema lacks
        if (s < 0) {
            return false;
        }
        field_def const& d = schema.defs[static_cast<std::size_t>(s)];
        auto const wt = static_cast<wire_type>(key & 7u);
        if (wt != wire_of(d.type)) {
            return false;
        }
        canonical &= number >= last;
        last = std::max(last, number);
        std::uint64_t v = 0;
        const std::uint8_t* data = nullptr;
        switch (wt) {
        case wire_type::varint:
            p = pb_varint_at(p, end, v);
            if (p == nullptr) {
                return false;
            }
            break;
        case wire_type::fixed64:
            if (end - p < 8) {
                return false;
            }
            std::memcpy(&v, p, 8);
            p += 8;
            break;
        case wire_type::fixed32: {
            if (end - p < 4) {
                return false;
            }
            std::uint32_t x;
            std::memcpy(&x, p, 4);
            v = x;
            p += 4;
            break;
        }
        case wire_type::len:
            p = pb_varint_at(p, end, v);
            if (p == nullptr || v > static_cast<std::uint64_t>(end - p)) {
                return false;
            }
            data = p;
            p += v;
            break;
        default:
            return false;
        }
        field_slot& slot = slots[static_cast<std::size_t>(s)];
        if (d.label == field_label::repeated) {
            if (slot.data == nullptr) {
                slot.data = key_at;
            }
            ++slot.value;
        } else {
            if (wt == wire_type::len) {
                slot.data = data;
            }
            slot.value = v;
        }
        present |= 1u << s;
    }
    st.present = present;
    st.canonical = canonical;
    st.last_number = last;
    st.error = (present & schema.required_mask) != schema.required_mask ? pb_error::missing_required
                                                                         : pb_error::none;
    return true;
}

// Validates `msg` against `schema` into `slots` (which must come zeroed).
template <std::size_t N>
inline parse_state parse_fields(byte_view msg, const schema_table<N>& schema,
                                std::array<field_slot, N>& slots) noexcept
{
    parse_state st;
    if (parse_fields_fast(msg, schema, slots, st)) [[likely]] {
        return st;
    }
    slots = {};
    return parse_fields_generic(msg, schema, slots);
}

template <class T> constexpr T convert_raw(std::uint64_t raw) noexcept
{
    if constexpr (std::is_same_v<T, bool>) {
        return raw != 0;
    } else if constexpr (std::is_same_v<T, double>) {
        return std::bit_cast<double>(raw);
    } else {
        return static_cast<T>(raw);
    }
}

// Iterates one repeated field over the message bytes, accepting unpacked and packed
// elements in any mix. The message was validated before, so iteration cannot fail.
template <class T> class repeated_field {
public:
    constexpr repeated_field() noexcept = default;
    // `start` may point at the first element's key when a parser recorded it, so iteration
    // does not rescan the fields before it.
    constexpr repeated_field(byte_view msg, std::uint32_t number, field_type type,
                             std::size_t count, std::size_t start = 0) noexcept
        : msg_(msg.subspan(start)), number_(number), type_(type), count_(count)
    {
    }

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }

    // Self-contained (copies the message view, number and type), so an iterator stays
    // valid after the repeated_field it came from is gone.
    class iterator {
    public:
        using value_type = T;
        using reference = T;
        using pointer = void;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;

        iterator() noexcept = default;
        iterator(byte_view msg, std::uint32_t number, field_type type, std::size_t count,
                 bool at_end) noexcept
            : reader_(msg), remaining_(count), number_(number), want_(wire_of(type)), done_(at_end)
        {
            if (!done_) {
                advance();
            }
        }

        T operator*() const noexcept { return cur_; }
        iterator& operator++() noexcept
        {
            advance();
            return *this;
        }
        iterator operator++(int) noexcept
        {
            iterator old = *this;
            advance();
            return old;
        }
        bool operator==(const iterator& o) const noexcept { return done_ == o.done_; }

    private:
        void advance() noexcept
        {
            // The count is known from validation: stop at the last element instead of
            // scanning the rest of the message for more.
            if (remaining_ == 0) {
                done_ = true;
                return;
            }
            --remaining_;
            if (in_packed_ && !packed_.at_end()) {
                take_packed();
                return;
            }
            in_packed_ = false;
            pb_field f;
            while (reader_.next(f)) {
                if (f.number != number_) {
                    continue;
                }
                if (f.type == want_) {
                    if constexpr (std::is_same_v<T, byte_view>) {
                        cur_ = f.bytes;
                    } else {
                        cur_ = convert_raw<T>(f.value);
                    }
                    return;
                }
                if constexpr (!std::is_same_v<T, byte_view>) {
                    if (f.type == wire_type::len && !f.bytes.empty()) {
                        packed_ = pb_cursor(f.bytes);
                        in_packed_ = true;
                        take_packed();
                        return;
                    }
                }
            }
            done_ = true;
        }

        void take_packed() noexcept
        {
            if constexpr (!std::is_same_v<T, byte_view>) {
                switch (want_) {
                case wire_type::fixed32:
                    cur_ = convert_raw<T>(packed_.le32(pb_error::bad_packed));
                    break;
                case wire_type::fixed64:
                    cur_ = convert_raw<T>(packed_.le64(pb_error::bad_packed));
                    break;
                default:
                    cur_ = convert_raw<T>(pb_read_varint(packed_));
                    break;
                }
            }
        }

        pb_reader reader_;
        pb_cursor packed_;
        std::size_t remaining_ = 0;
        std::uint32_t number_ = 0;
        wire_type want_ = wire_type::len;
        T cur_{};
        bool in_packed_ = false;
        bool done_ = true;
    };

    [[nodiscard]] iterator begin() const noexcept
    {
        return iterator(msg_, number_, type_, count_, count_ == 0);
    }
    [[nodiscard]] iterator end() const noexcept { return iterator(msg_, number_, type_, 0, true); }

private:
    byte_view msg_;
    std::uint32_t number_ = 0;
    field_type type_ = field_type::bytes;
    std::size_t count_ = 0;
};

// Typed access on top of parse_fields; Schema provides `static constexpr schema_table table`.
template <class Schema> class basic_view {
public:
    static constexpr std::size_t field_count = Schema::table.defs.size();

    basic_view() noexcept : slots_{} {}

    [[nodiscard]] bool ok() const noexcept { return state_.error == pb_error::none; }
    [[nodiscard]] pb_error error() const noexcept { return state_.error; }
    [[nodiscard]] byte_view bytes() const noexcept { return bytes_; }
    [[nodiscard]] bool canonical() const noexcept { return state_.canonical; }
    [[nodiscard]] std::uint32_t last_number() const noexcept { return state_.last_number; }

protected:
    // For fast paths that fill every slot themselves: zeroing the slots first would cost
    // more than the parse (it compiles to `rep stos`).
    struct no_init_t {};
    explicit basic_view(no_init_t) noexcept {}

    void parse_bytes(byte_view b) noexcept
    {
        bytes_ = b;
        slots_ = {};
        state_ = parse_fields(b, Schema::table, slots_);
    }

    static constexpr std::size_t slot_of(std::uint32_t number) noexcept
    {
        return static_cast<std::size_t>(Schema::table.index[number]);
    }

    template <std::uint32_t Number> [[nodiscard]] bool has() const noexcept
    {
        return (state_.present >> slot_of(Number)) & 1u;
    }

    template <std::uint32_t Number, class T> [[nodiscard]] T get() const noexcept
    {
        field_slot const& s = slots_[slot_of(Number)];
        if constexpr (std::is_same_v<T, byte_view>) {
            return byte_view{s.data, static_cast<std::size_t>(s.value)};
        } else {
            return convert_raw<T>(s.value);
        }
    }

    template <std::uint32_t Number, class T> [[nodiscard]] std::optional<T> opt() const noexcept
    {
        if (!has<Number>()) {
            return std::nullopt;
        }
        return get<Number, T>();
    }

    template <std::uint32_t Number, class T> [[nodiscard]] repeated_field<T> rep() const noexcept
    {
        constexpr std::size_t s = slot_of(Number);
        std::size_t const start =
            slots_[s].data ? static_cast<std::size_t>(slots_[s].data - bytes_.data()) : 0;
        return repeated_field<T>(bytes_, Number, Schema::table.defs[s].type,
                                 static_cast<std::size_t>(slots_[s].value), start);
    }

    byte_view bytes_;
    std::array<field_slot, field_count> slots_;
    parse_state state_;
};

// Writer helpers for optional fields of a plain struct.
template <class Sink>
inline void pb_put_opt_uint(Sink& s, std::uint32_t n,
                            const std::optional<std::uint32_t>& v) noexcept
{
    if (v) {
        pb_put_uint(s, n, *v);
    }
}

template <class Sink>
inline void pb_put_opt_bool(Sink& s, std::uint32_t n, const std::optional<bool>& v) noexcept
{
    if (v) {
        pb_put_uint(s, n, *v ? 1 : 0);
    }
}

template <class Sink>
inline void pb_put_opt_int(Sink& s, std::uint32_t n, const std::optional<std::int64_t>& v) noexcept
{
    if (v) {
        pb_put_int(s, n, *v);
    }
}

template <class Sink>
inline void pb_put_opt_bytes(Sink& s, std::uint32_t n, const std::optional<byte_view>& v) noexcept
{
    if (v) {
        pb_put_bytes(s, n, *v);
    }
}

} // namespace siehub::nmsg
