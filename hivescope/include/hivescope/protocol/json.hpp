#pragma once
// A small JSON value that keeps what the wire needs and std-style maps lose: insertion order of
// object keys (Python dicts keep it and the reference serialises in that order), the difference
// between integers and doubles (Python prints `1` and `1.0` differently), and byte-exact output
// in the three JSON dialects the HiveMind stack writes. Parsing goes through simdjson.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hivescope::protocol {

class Json;
namespace detail {
struct JsonBuilder;      // the parser's in-place construction (json.cpp)
struct JsonObjectAccess; // building objects whose keys are known (detail/json_object_access.hpp)
} // namespace detail

/// The three ways the reference stack prints JSON (see protocol.md A.13 trap 2).
enum class JsonStyle {
    /// `json.dumps(x, ensure_ascii=False)`: `", "` / `": "`, non-ASCII raw. Text envelopes.
    python,
    /// `json.dumps(x)`: `", "` / `": "`, non-ASCII as `\uXXXX`. Encrypted envelopes, binary
    /// metadata, dict payloads inside binary frames.
    python_ascii,
    /// OVOS `Message.serialize()`: `,` / `:`, non-ASCII raw. BUS payloads in binary frames.
    compact,
};

/// An object with keys in insertion order. Setting an existing key replaces its value in place,
/// as a Python dict does (and as `json.loads` does for duplicate keys).
///
/// Copies are values, as always; an object that was frozen (`Json::freeze`) is shared by its
/// copies instead of copied, and copied only when one of them is changed (copy-on-write). A hop
/// records the same decoded message several times (as it arrived, stamped, as injected); with
/// frozen objects those records share one tree instead of holding a deep copy each.
class JsonObject {
  public:
    using Member = std::pair<std::string, Json>;
    using iterator = Member*;
    using const_iterator = const Member*;

    JsonObject() noexcept = default;
    JsonObject(std::initializer_list<Member> members);
    JsonObject(const JsonObject& other);
    JsonObject(JsonObject&& other) noexcept : storage_(std::exchange(other.storage_, nullptr)) {}
    JsonObject& operator=(const JsonObject& other);
    JsonObject& operator=(JsonObject&& other) noexcept;
    ~JsonObject() {
        if (storage_ != nullptr)
            release_storage(storage_);
    }

    /// The value under `key`, or nullptr.
    [[nodiscard]] const Json* find(std::string_view key) const noexcept;
    [[nodiscard]] Json* find(std::string_view key);
    [[nodiscard]] bool contains(std::string_view key) const noexcept {
        return find(key) != nullptr;
    }
    /// Insert or replace; returns the stored value.
    Json& set(std::string key, Json value);
    /// The value under `key`, inserting null first if absent.
    Json& operator[](std::string_view key);
    /// Removes `key` if present; returns whether it was.
    bool erase(std::string_view key);

    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept;
    void reserve(std::size_t n);
    [[nodiscard]] iterator begin();
    [[nodiscard]] iterator end();
    [[nodiscard]] const_iterator begin() const noexcept;
    [[nodiscard]] const_iterator end() const noexcept;

    /// Whether this object's storage is frozen (shared by copies until changed).
    [[nodiscard]] bool frozen() const noexcept;
    /// Whether `a` and `b` share one storage (a copy of a frozen object, not yet changed).
    [[nodiscard]] friend bool shares_storage(const JsonObject& a, const JsonObject& b) noexcept {
        return a.storage_ != nullptr && a.storage_ == b.storage_;
    }

    /// Order-sensitive equality: the wire bytes differ when the order does.
    friend bool operator==(const JsonObject& a, const JsonObject& b);

  private:
    friend class Json;
    friend struct detail::JsonBuilder;
    friend struct detail::JsonObjectAccess;
    struct Storage;
    /// The storage for writing, with room for `capacity` members: a shared storage is copied
    /// first, a frozen one thawed.
    Storage& own(std::size_t capacity = 0);
    static Storage* allocate(std::size_t capacity);
    static Storage* clone(const Storage& source, std::size_t capacity);
    Member& append(std::string key, Json value);
    static constexpr std::size_t absent = static_cast<std::size_t>(-1);
    /// The position of `key`, or `absent`.
    [[nodiscard]] std::size_t index_of(std::string_view key) const noexcept;
    void freeze() noexcept;
    static Storage* copy_storage(Storage* source);
    static void release_storage(Storage* storage) noexcept;

    Storage* storage_ = nullptr; ///< null: empty, nothing allocated
};

using JsonArray = std::vector<Json>;

/// Limits applied while parsing untrusted text.
struct JsonParseLimits {
    std::size_t max_depth = 128;              ///< arrays + objects nested deeper are refused
    std::size_t max_bytes = 64 * 1024 * 1024; ///< longer text is refused before parsing
};

/// A JSON value: null, bool, integer, double, string, array or ordered object.
class Json {
  public:
    enum class Kind { null, boolean, integer, unsigned_integer, floating, string, array, object };

    Json() noexcept {}
    Json(std::nullptr_t) noexcept {}
    Json(bool value) noexcept : kind_(Kind::boolean) { boolean_ = value; }
    Json(int value) noexcept : kind_(Kind::integer), integer_(value) {}
    Json(long value) noexcept : kind_(Kind::integer), integer_(value) {}
    Json(long long value) noexcept : kind_(Kind::integer), integer_(value) {}
    Json(unsigned value) noexcept : kind_(Kind::integer), integer_(value) {}
    Json(unsigned long value) noexcept;
    Json(unsigned long long value) noexcept;
    Json(double value) noexcept : kind_(Kind::floating), floating_(value) {}
    Json(std::string value) noexcept : kind_(Kind::string), string_(std::move(value)) {}
    Json(std::string_view value) : kind_(Kind::string), string_(value) {}
    Json(const char* value) : kind_(Kind::string), string_(value) {}
    Json(JsonArray value) noexcept : kind_(Kind::array), array_(std::move(value)) {}
    Json(JsonObject value) noexcept : kind_(Kind::object), object_(std::move(value)) {}
    Json(const Json& other) : kind_(other.kind_) {
        if (holds_scalar())
            copy_scalar(other);
        else
            copy_resource(other);
    }
    Json(Json&& other) noexcept : kind_(other.kind_) {
        if (kind_ == Kind::object)
            new (&object_) JsonObject(std::move(other.object_));
        else if (holds_scalar())
            copy_scalar(other);
        else
            move_resource(std::move(other));
    }
    Json& operator=(const Json& other);
    Json& operator=(Json&& other) noexcept;
    ~Json() {
        // Most values destroyed on a hop are objects, many of them moved from (no storage).
        if (kind_ == Kind::object)
            object_.~JsonObject();
        else if (!holds_scalar())
            release_resource();
    }
    /// Literal JSON in C++, as nlohmann/json reads it: a list whose elements are all
    /// `{"key", value}` pairs is an object, anything else an array. So
    /// `Json{{"utterances", {"hello"}}}` is `{"utterances": ["hello"]}`. Use the explicit
    /// `JsonArray{...}` / `JsonObject{...}` when the intent could be read either way.
    Json(std::initializer_list<Json> init);

    /// An empty object (`Json()` is null).
    [[nodiscard]] static Json object() { return Json(JsonObject{}); }
    /// An empty array.
    [[nodiscard]] static Json array() { return Json(JsonArray{}); }

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    [[nodiscard]] bool is_null() const noexcept { return kind() == Kind::null; }
    [[nodiscard]] bool is_bool() const noexcept { return kind() == Kind::boolean; }
    /// True for both signed and unsigned integers.
    [[nodiscard]] bool is_integer() const noexcept {
        return kind() == Kind::integer || kind() == Kind::unsigned_integer;
    }
    [[nodiscard]] bool is_double() const noexcept { return kind() == Kind::floating; }
    [[nodiscard]] bool is_number() const noexcept { return is_integer() || is_double(); }
    [[nodiscard]] bool is_string() const noexcept { return kind() == Kind::string; }
    [[nodiscard]] bool is_array() const noexcept { return kind() == Kind::array; }
    [[nodiscard]] bool is_object() const noexcept { return kind() == Kind::object; }

    // Typed access; the wrong kind throws ProtocolError(invalid_field) naming both kinds.
    [[nodiscard]] bool as_bool() const;
    [[nodiscard]] std::int64_t as_int() const;
    [[nodiscard]] std::uint64_t as_uint() const;
    /// Any number as a double.
    [[nodiscard]] double as_double() const;
    [[nodiscard]] const std::string& as_string() const;
    [[nodiscard]] std::string& as_string();
    [[nodiscard]] const JsonArray& as_array() const;
    [[nodiscard]] JsonArray& as_array();
    [[nodiscard]] const JsonObject& as_object() const;
    [[nodiscard]] JsonObject& as_object();

    /// Object member or nullptr (also nullptr when this is not an object).
    [[nodiscard]] const Json* find(std::string_view key) const noexcept;
    /// Object member, inserted as null if missing; a null value becomes an empty object first.
    Json& operator[](std::string_view key);
    /// Array element; throws ProtocolError(invalid_field) when out of range.
    [[nodiscard]] const Json& at(std::size_t index) const;

    /// A string member, or `fallback` when absent, null or not a string.
    [[nodiscard]] std::string get_string(std::string_view key,
                                         std::string_view fallback = {}) const;

    /// Serialise in one of the reference dialects. Throws ProtocolError(not_serializable) for
    /// NaN and infinities, which the wire never carries.
    [[nodiscard]] std::string dump(JsonStyle style = JsonStyle::python) const;
    /// Append the serialisation to `out` (avoids a copy on hot paths).
    void dump_to(std::string& out, JsonStyle style = JsonStyle::python) const;

    /// Parse UTF-8 JSON text. Throws ProtocolError(malformed_json | invalid_utf8 |
    /// nesting_too_deep) with the simdjson reason. Integers above 2^64-1 are refused.
    /// The tree comes back frozen (see freeze): copies share its objects until changed.
    [[nodiscard]] static Json parse(std::string_view text, const JsonParseLimits& limits = {});

    /// Lets later copies share this value's objects instead of copying them, until one of the
    /// copies is changed (then that copy gets its own object: copy-on-write). Call it when a value
    /// is handed over to be kept (records freeze their messages); a reference into the value taken
    /// before the call must not be used to change it afterwards. Cheap on an already frozen tree.
    void freeze() noexcept;

    friend bool operator==(const Json& a, const Json& b);

  private:
    friend struct detail::JsonBuilder;
    // A tagged union rather than std::variant: every hop moves and destroys a few hundred of
    // these, and the variant's out-of-line visitor tables cost more than the work they dispatch.
    // Kinds up to `floating` own nothing and copy as 8 bytes.
    [[nodiscard]] bool holds_scalar() const noexcept { return kind_ <= Kind::floating; }
    // The 8 bytes of any scalar (a bool leaves the other 7 as the zeroes they started as).
    void copy_scalar(const Json& other) noexcept {
        std::memcpy(static_cast<void*>(&scalar_), static_cast<const void*>(&other.scalar_),
                    sizeof scalar_);
    }
    void copy_resource(const Json& other);
    void move_resource(Json&& other) noexcept;
    void release_resource() noexcept;
    /// Destroys the value and leaves null.
    void reset() noexcept {
        if (!holds_scalar())
            release_resource();
        kind_ = Kind::null;
    }

    // In-place construction for the parser: the value becomes an empty container, or the text.
    void emplace_string(std::string_view text) {
        reset();
        new (&string_) std::string(text);
        kind_ = Kind::string;
    }
    JsonArray& emplace_array() noexcept {
        reset();
        new (&array_) JsonArray();
        kind_ = Kind::array;
        return array_;
    }
    JsonObject& emplace_object() noexcept {
        reset();
        new (&object_) JsonObject();
        kind_ = Kind::object;
        return object_;
    }

    Kind kind_ = Kind::null;
    union {
        std::uint64_t scalar_ = 0; ///< the bits of whichever scalar is held
        bool boolean_;
        std::int64_t integer_;
        std::uint64_t unsigned_;
        double floating_;
        std::string string_;
        JsonArray array_;
        JsonObject object_;
    };
};

// Defined here rather than in JsonObject because they need Json complete (clang with
// libstdc++ instantiates std::pair<std::string, Json> for them eagerly).
// One allocation per object: the header, then `capacity` members of which the first `size` are
// constructed.
struct JsonObject::Storage {
    std::atomic<std::uint32_t> references{1};
    bool frozen = false;
    bool pooled = false; ///< carved from a chunk of small blocks rather than operator new
    std::uint32_t size = 0;
    std::uint32_t capacity = 0;

    [[nodiscard]] Member* members() noexcept { return reinterpret_cast<Member*>(this + 1); }
    [[nodiscard]] const Member* members() const noexcept {
        return reinterpret_cast<const Member*>(this + 1);
    }
};
inline std::size_t JsonObject::size() const noexcept {
    return storage_ == nullptr ? 0 : storage_->size;
}
inline bool JsonObject::empty() const noexcept {
    return size() == 0;
}
inline bool JsonObject::frozen() const noexcept {
    return storage_ != nullptr && storage_->frozen;
}
inline JsonObject::const_iterator JsonObject::begin() const noexcept {
    return storage_ == nullptr ? nullptr : storage_->members();
}
inline JsonObject::const_iterator JsonObject::end() const noexcept {
    return storage_ == nullptr ? nullptr : storage_->members() + storage_->size;
}
inline JsonObject::iterator JsonObject::begin() {
    return storage_ == nullptr ? nullptr : own().members();
}
inline JsonObject::iterator JsonObject::end() {
    if (storage_ == nullptr)
        return nullptr;
    Storage& storage = own();
    return storage.members() + storage.size;
}

/// The name of a kind ("object", "string", ...), for error messages.
[[nodiscard]] std::string_view to_string(Json::Kind kind) noexcept;

/// Append `text` as a JSON string literal (with quotes) in the given dialect.
void append_json_string(std::string& out, std::string_view text, JsonStyle style);

/// Python's `repr(float)`: shortest round-trip digits, `1e-05`, `16000.0`, `1e+16`.
[[nodiscard]] std::string python_float_repr(double value);

} // namespace hivescope::protocol
