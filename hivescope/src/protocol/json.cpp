#include "hivescope/protocol/json.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/json_dom.hpp"
#include "protocol/detail/verbatim_run.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hivescope::protocol {

// ---------------------------------------------------------------------------------------------
// JsonObject

JsonObject::JsonObject(std::initializer_list<Member> members) {
    if (members.size() == 0)
        return;
    (void)own(members.size());
    for (const auto& member : members)
        set(member.first, member.second);
}

JsonObject::Storage* JsonObject::allocate(std::size_t capacity) {
    static_assert(sizeof(Storage) % alignof(Member) == 0, "members start right after the header");
    if (capacity > std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("JSON object too large");
    void* raw = ::operator new(sizeof(Storage) + capacity * sizeof(Member));
    auto* storage = new (raw) Storage;
    storage->capacity = static_cast<std::uint32_t>(capacity);
    return storage;
}

void JsonObject::release_storage(Storage* storage) noexcept {
    if (storage == nullptr)
        return;
    // The sole owner (most objects, always during a parse) skips the locked decrement: no one
    // else holds a reference that could be copied meanwhile. The acquire load pairs with the
    // release of the last other owner's decrement.
    if (storage->references.load(std::memory_order_acquire) != 1 &&
        storage->references.fetch_sub(1, std::memory_order_acq_rel) != 1)
        return;
    std::destroy_n(storage->members(), storage->size);
    storage->~Storage();
    ::operator delete(storage);
}

JsonObject::Storage* JsonObject::clone(const Storage& source, std::size_t capacity) {
    Storage* copy = allocate(std::max<std::size_t>(capacity, source.size));
    try {
        for (; copy->size < source.size; ++copy->size)
            new (copy->members() + copy->size) Member(source.members()[copy->size]);
    } catch (...) {
        release_storage(copy);
        throw;
    }
    return copy;
}

// A storage is shared only while frozen; an unfrozen one has exactly one owner.
JsonObject::Storage* JsonObject::copy_storage(Storage* source) {
    if (source == nullptr)
        return nullptr;
    if (source->frozen) {
        source->references.fetch_add(1, std::memory_order_relaxed);
        return source;
    }
    return clone(*source, source->size);
}

JsonObject::JsonObject(const JsonObject& other) : storage_(copy_storage(other.storage_)) {}

JsonObject& JsonObject::operator=(const JsonObject& other) {
    if (this != &other) {
        Storage* copy = copy_storage(other.storage_);
        release_storage(storage_);
        storage_ = copy;
    }
    return *this;
}

JsonObject& JsonObject::operator=(JsonObject&& other) noexcept {
    if (this != &other) {
        release_storage(storage_);
        storage_ = std::exchange(other.storage_, nullptr);
    }
    return *this;
}

JsonObject::~JsonObject() {
    release_storage(storage_);
}

JsonObject::Storage& JsonObject::own(std::size_t capacity) {
    if (storage_ == nullptr) {
        storage_ = allocate(capacity);
        return *storage_;
    }
    if (storage_->references.load(std::memory_order_acquire) != 1) {
        // Shared (so frozen): this copy gets its own members; their objects stay shared.
        release_storage(std::exchange(storage_, clone(*storage_, capacity)));
        return *storage_;
    }
    // The only owner may change it; copies made from now on are deep again.
    storage_->frozen = false;
    if (capacity > storage_->capacity) {
        Storage* grown = allocate(capacity);
        // Members move without throwing (std::string and Json moves are noexcept).
        std::uninitialized_move_n(storage_->members(), storage_->size, grown->members());
        grown->size = storage_->size;
        std::destroy_n(storage_->members(), storage_->size);
        storage_->size = 0;
        release_storage(std::exchange(storage_, grown));
    }
    return *storage_;
}

JsonObject::Member& JsonObject::append(std::string key, Json value) {
    const std::size_t count = size();
    const bool room = storage_ != nullptr && storage_->capacity > count;
    Storage& storage = own(room ? count + 1 : std::max<std::size_t>(4, count * 2));
    Member* slot = new (storage.members() + storage.size) Member(std::move(key), std::move(value));
    ++storage.size;
    return *slot;
}

void JsonObject::freeze() noexcept {
    // A frozen storage's members are frozen too (changing one thaws its parents first).
    if (storage_ == nullptr || storage_->frozen)
        return;
    for (Member* member = storage_->members(); member != storage_->members() + storage_->size;
         ++member)
        member->second.freeze();
    storage_->frozen = true;
}

const Json* JsonObject::find(std::string_view key) const noexcept {
    const std::size_t index = index_of(key);
    return index == absent ? nullptr : &storage_->members()[index].second;
}

std::size_t JsonObject::index_of(std::string_view key) const noexcept {
    if (storage_ != nullptr) {
        const Member* members = storage_->members();
        // Keys are short and mostly differ in length or first byte: checking those inline
        // leaves a memcmp call only for likely matches (lookups run several times per hop).
        for (std::uint32_t i = 0; i < storage_->size; ++i) {
            const std::string& candidate = members[i].first;
            if (candidate.size() == key.size() &&
                (key.empty() || (candidate[0] == key[0] &&
                                 std::memcmp(candidate.data(), key.data(), key.size()) == 0)))
                return i;
        }
    }
    return absent;
}

Json* JsonObject::find(std::string_view key) {
    const std::size_t index = index_of(key);
    return index == absent ? nullptr : &own().members()[index].second;
}

Json& JsonObject::set(std::string key, Json value) {
    const std::size_t index = index_of(key);
    if (index == absent)
        return append(std::move(key), std::move(value)).second;
    Json& slot = own().members()[index].second;
    slot = std::move(value);
    return slot;
}

Json& JsonObject::operator[](std::string_view key) {
    const std::size_t index = index_of(key);
    if (index == absent)
        return append(std::string(key), Json()).second;
    return own().members()[index].second;
}

bool JsonObject::erase(std::string_view key) {
    const std::size_t index = index_of(key);
    if (index == absent)
        return false;
    Storage& storage = own();
    Member* members = storage.members();
    std::move(members + index + 1, members + storage.size, members + index);
    std::destroy_at(members + storage.size - 1);
    --storage.size;
    return true;
}

void JsonObject::reserve(std::size_t n) {
    if (n == 0 && storage_ == nullptr)
        return;
    (void)own(n);
}

bool operator==(const JsonObject& a, const JsonObject& b) {
    if (a.storage_ == b.storage_)
        return true;
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void Json::freeze() noexcept {
    if (auto* object = std::get_if<JsonObject>(&value_))
        object->freeze();
    else if (auto* array = std::get_if<JsonArray>(&value_))
        for (auto& item : *array)
            item.freeze();
}

// ---------------------------------------------------------------------------------------------
// Json access

Json::Json(unsigned long value) noexcept {
    if (value <= static_cast<unsigned long>(std::numeric_limits<std::int64_t>::max()))
        value_ = static_cast<std::int64_t>(value);
    else
        value_ = static_cast<std::uint64_t>(value);
}

Json::Json(unsigned long long value) noexcept {
    if (value <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()))
        value_ = static_cast<std::int64_t>(value);
    else
        value_ = static_cast<std::uint64_t>(value);
}

Json::Json(std::initializer_list<Json> init) {
    const bool all_pairs =
        init.size() > 0 && std::all_of(init.begin(), init.end(), [](const Json& item) {
            return item.is_array() && item.as_array().size() == 2 && item.as_array()[0].is_string();
        });
    if (!all_pairs) {
        value_ = JsonArray(init.begin(), init.end());
        return;
    }
    JsonObject object;
    object.reserve(init.size());
    for (const Json& pair : init)
        object.set(pair.as_array()[0].as_string(), pair.as_array()[1]);
    value_ = std::move(object);
}

std::string_view to_string(Json::Kind kind) noexcept {
    switch (kind) {
    case Json::Kind::null:
        return "null";
    case Json::Kind::boolean:
        return "bool";
    case Json::Kind::integer:
        return "integer";
    case Json::Kind::unsigned_integer:
        return "integer";
    case Json::Kind::floating:
        return "float";
    case Json::Kind::string:
        return "string";
    case Json::Kind::array:
        return "array";
    case Json::Kind::object:
        return "object";
    }
    return "unknown";
}

namespace {
[[noreturn]] void wrong_kind(Json::Kind want, Json::Kind have) {
    throw ProtocolError(ErrorCode::invalid_field, "expected a JSON " +
                                                      std::string(to_string(want)) + ", got " +
                                                      std::string(to_string(have)));
}
} // namespace

bool Json::as_bool() const {
    if (auto* v = std::get_if<bool>(&value_))
        return *v;
    wrong_kind(Kind::boolean, kind());
}

std::int64_t Json::as_int() const {
    if (auto* v = std::get_if<std::int64_t>(&value_))
        return *v;
    if (kind() == Kind::unsigned_integer)
        throw ProtocolError(ErrorCode::invalid_field, "integer too large for int64");
    wrong_kind(Kind::integer, kind());
}

std::uint64_t Json::as_uint() const {
    if (auto* v = std::get_if<std::uint64_t>(&value_))
        return *v;
    if (auto* v = std::get_if<std::int64_t>(&value_)) {
        if (*v < 0)
            throw ProtocolError(ErrorCode::invalid_field, "expected a non-negative integer");
        return static_cast<std::uint64_t>(*v);
    }
    wrong_kind(Kind::integer, kind());
}

double Json::as_double() const {
    if (auto* v = std::get_if<double>(&value_))
        return *v;
    if (auto* v = std::get_if<std::int64_t>(&value_))
        return static_cast<double>(*v);
    if (auto* v = std::get_if<std::uint64_t>(&value_))
        return static_cast<double>(*v);
    wrong_kind(Kind::floating, kind());
}

const std::string& Json::as_string() const {
    if (auto* v = std::get_if<std::string>(&value_))
        return *v;
    wrong_kind(Kind::string, kind());
}

std::string& Json::as_string() {
    if (auto* v = std::get_if<std::string>(&value_))
        return *v;
    wrong_kind(Kind::string, kind());
}

const JsonArray& Json::as_array() const {
    if (auto* v = std::get_if<JsonArray>(&value_))
        return *v;
    wrong_kind(Kind::array, kind());
}

JsonArray& Json::as_array() {
    if (auto* v = std::get_if<JsonArray>(&value_))
        return *v;
    wrong_kind(Kind::array, kind());
}

const JsonObject& Json::as_object() const {
    if (auto* v = std::get_if<JsonObject>(&value_))
        return *v;
    wrong_kind(Kind::object, kind());
}

JsonObject& Json::as_object() {
    if (auto* v = std::get_if<JsonObject>(&value_))
        return *v;
    wrong_kind(Kind::object, kind());
}

const Json* Json::find(std::string_view key) const noexcept {
    if (auto* object = std::get_if<JsonObject>(&value_))
        return object->find(key);
    return nullptr;
}

Json& Json::operator[](std::string_view key) {
    if (is_null())
        value_ = JsonObject{};
    return as_object()[key];
}

const Json& Json::at(std::size_t index) const {
    const auto& items = as_array();
    if (index >= items.size())
        throw ProtocolError(ErrorCode::invalid_field, "array index " + std::to_string(index) +
                                                          " out of range (size " +
                                                          std::to_string(items.size()) + ")");
    return items[index];
}

std::string Json::get_string(std::string_view key, std::string_view fallback) const {
    const Json* member = find(key);
    if (member && member->is_string())
        return member->as_string();
    return std::string(fallback);
}

bool operator==(const Json& a, const Json& b) {
    return a.value_ == b.value_;
}

// ---------------------------------------------------------------------------------------------
// Serialisation

std::string python_float_repr(double value) {
    if (!std::isfinite(value))
        throw ProtocolError(ErrorCode::not_serializable,
                            "NaN and infinity have no place in HiveMind JSON");
    if (value == 0.0)
        return std::signbit(value) ? "-0.0" : "0.0";

    // Shortest round-trip digits from to_chars, then laid out the way CPython's 'r' format
    // does: exponent notation when the decimal point falls before -4 or after 16 digits.
    std::array<char, 64> buf{};
    auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
    (void)ec;
    std::string_view sci(buf.data(), static_cast<std::size_t>(end - buf.data()));
    std::string out;
    std::size_t pos = 0;
    if (sci[0] == '-') {
        out.push_back('-');
        pos = 1;
    }
    const std::size_t e_pos = sci.find('e');
    std::string digits;
    for (std::size_t i = pos; i < e_pos; ++i)
        if (sci[i] != '.')
            digits.push_back(sci[i]);
    int exponent = 0;
    std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0),
                    sci.data() + sci.size(), exponent);
    const int decpt = exponent + 1; // position of the decimal point relative to digits
    const int ndigits = static_cast<int>(digits.size());

    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0.";
            out.append(static_cast<std::size_t>(-decpt), '0');
            out += digits;
        } else if (decpt >= ndigits) {
            out += digits;
            out.append(static_cast<std::size_t>(decpt - ndigits), '0');
            out += ".0";
        } else {
            out.append(digits, 0, static_cast<std::size_t>(decpt));
            out.push_back('.');
            out.append(digits, static_cast<std::size_t>(decpt));
        }
        return out;
    }
    out.push_back(digits[0]);
    if (ndigits > 1) {
        out.push_back('.');
        out.append(digits, 1);
    }
    out.push_back('e');
    const int exp10 = decpt - 1;
    out.push_back(exp10 < 0 ? '-' : '+');
    const int magnitude = exp10 < 0 ? -exp10 : exp10;
    if (magnitude < 10)
        out.push_back('0');
    out += std::to_string(magnitude);
    return out;
}

namespace {

void append_u_escape(std::string& out, unsigned code_unit) {
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\u";
    out.push_back(hex[(code_unit >> 12) & 0xf]);
    out.push_back(hex[(code_unit >> 8) & 0xf]);
    out.push_back(hex[(code_unit >> 4) & 0xf]);
    out.push_back(hex[code_unit & 0xf]);
}

// Decodes one UTF-8 sequence starting at text[i]; returns the code point and advances i. Text
// reaching here came from our parser (validated) or from the caller; a bad sequence is escaped
// byte-wise as U+FFFD would hide the damage, so we refuse it instead.
unsigned next_code_point(std::string_view text, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned lead = byte(i);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || i + length > text.size())
        throw ProtocolError(ErrorCode::invalid_utf8,
                            "string is not valid UTF-8 at byte " + std::to_string(i));
    unsigned cp = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
        const unsigned cont = byte(i + k);
        if ((cont & 0xc0) != 0x80)
            throw ProtocolError(ErrorCode::invalid_utf8,
                                "string is not valid UTF-8 at byte " + std::to_string(i + k));
        cp = (cp << 6) | (cont & 0x3f);
    }
    i += length;
    return cp;
}

} // namespace

namespace {

// The bytes that end a run of verbatim characters: controls, '"', '\\', and for ensure_ascii
// also DEL and every non-ASCII byte. One table load per character instead of four tests.
constexpr std::array<bool, 256> stop_table(bool ascii_only) {
    std::array<bool, 256> stop{};
    for (std::size_t c = 0; c < stop.size(); ++c)
        stop[c] = c < 0x20 || c == '"' || c == '\\' || (ascii_only && c >= 0x7f);
    return stop;
}
constexpr std::array<bool, 256> stop_raw = stop_table(false);
constexpr std::array<bool, 256> stop_ascii = stop_table(true);

} // namespace

namespace detail {

#if defined(__SSE2__)
namespace {
// A bit per byte of the 16 at `at` that a JSON string cannot carry verbatim. Unsigned compares
// through max: c <= 0x1f is max(c, 0x1f) == 0x1f, and c >= 0x7f is max(c, 0x7f) == c.
unsigned special_bytes(__m128i c, bool ascii_only) noexcept {
    const __m128i control_max = _mm_set1_epi8(0x1f);
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(c, control_max), control_max),
                                   _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(c, _mm_set1_epi8('\\'))));
    if (ascii_only) {
        const __m128i del = _mm_set1_epi8(0x7f);
        special = _mm_or_si128(special, _mm_cmpeq_epi8(_mm_max_epu8(c, del), c));
    }
    return static_cast<unsigned>(_mm_movemask_epi8(special));
}

// The 16 bytes at `at`, of which only the first few are the caller's. The load stays inside
// `at`'s 4 KiB page, so it cannot fault; the bytes past the end are masked off by the caller.
// ASan would call the read past the object an overflow, and TSan a race with whoever owns the
// neighbouring bytes, so neither instruments this load.
__attribute__((no_sanitize("address", "thread"))) __m128i
load_within_page(const char* at) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}
#if defined(__x86_64__)
// The scan 32 bytes at a time, on CPUs with AVX2 (checked at run time; an encrypted envelope's
// fields are hundreds of characters long). Advances `i` over whole blocks; true when it stopped
// at a special byte.
__attribute__((target("avx2"))) bool verbatim_run_avx2(std::string_view text, std::size_t& i,
                                                       bool ascii_only) noexcept {
    const __m256i control_max = _mm256_set1_epi8(0x1f);
    const __m256i del = _mm256_set1_epi8(0x7f);
    for (; i + 32 <= text.size(); i += 32) {
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text.data() + i));
        __m256i special =
            _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(c, control_max), control_max),
                            _mm256_or_si256(_mm256_cmpeq_epi8(c, _mm256_set1_epi8('"')),
                                            _mm256_cmpeq_epi8(c, _mm256_set1_epi8('\\'))));
        if (ascii_only)
            special = _mm256_or_si256(special, _mm256_cmpeq_epi8(_mm256_max_epu8(c, del), c));
        if (const auto mask = static_cast<unsigned>(_mm256_movemask_epi8(special)); mask != 0) {
            i += static_cast<std::size_t>(__builtin_ctz(mask));
            return true;
        }
    }
    return false;
}
#endif
} // namespace
#endif

std::size_t verbatim_run(std::string_view text, std::size_t from, bool ascii_only) noexcept {
    // Strings on the wire are mostly plain (types, ids, utterances, envelope fields hundreds of
    // bytes long), so runs are scanned 32 or 16 bytes at a time.
    std::size_t i = from;
#if defined(__SSE2__)
#if defined(__x86_64__)
    if (text.size() - i >= 64 && __builtin_cpu_supports("avx2") &&
        verbatim_run_avx2(text, i, ascii_only))
        return i;
#endif
    for (; i + 16 <= text.size(); i += 16) {
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        if (const unsigned mask = special_bytes(c, ascii_only); mask != 0)
            return i + static_cast<std::size_t>(__builtin_ctz(mask));
    }
    // Most keys and values are shorter than 16 bytes: their tail takes one masked step rather
    // than a byte at a time, unless the 16 bytes would cross into the next page.
    const std::size_t left = text.size() - i;
    constexpr std::uintptr_t page = 4096;
    if (left != 0 &&
        (reinterpret_cast<std::uintptr_t>(text.data() + i) & (page - 1)) <= page - 16) {
        const unsigned mask =
            special_bytes(load_within_page(text.data() + i), ascii_only) & ((1u << left) - 1u);
        return mask != 0 ? i + static_cast<std::size_t>(__builtin_ctz(mask)) : text.size();
    }
#endif
    const std::array<bool, 256>& stop = ascii_only ? stop_ascii : stop_raw;
    while (i < text.size() && !stop[static_cast<unsigned char>(text[i])])
        ++i;
    return i;
}

} // namespace detail

void append_json_string(std::string& out, std::string_view text, JsonStyle style) {
    out.push_back('"');
    const bool ascii_only = style == JsonStyle::python_ascii;
    std::size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping in one go.
        const std::size_t run = detail::verbatim_run(text, i, ascii_only);
        out.append(text, i, run - i);
        i = run;
        if (i >= text.size())
            break;
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
        case '"':
            out += "\\\"";
            ++i;
            continue;
        case '\\':
            out += "\\\\";
            ++i;
            continue;
        case '\n':
            out += "\\n";
            ++i;
            continue;
        case '\r':
            out += "\\r";
            ++i;
            continue;
        case '\t':
            out += "\\t";
            ++i;
            continue;
        case '\b':
            out += "\\b";
            ++i;
            continue;
        case '\f':
            out += "\\f";
            ++i;
            continue;
        default:
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            append_u_escape(out, c);
            ++i;
            continue;
        }
        // ensure_ascii: non-ASCII as \uXXXX, astral planes as a surrogate pair.
        const unsigned cp = next_code_point(text, i);
        if (cp >= 0x10000) {
            const unsigned v = cp - 0x10000;
            append_u_escape(out, 0xd800 | (v >> 10));
            append_u_escape(out, 0xdc00 | (v & 0x3ff));
        } else {
            append_u_escape(out, cp);
        }
    }
    out.push_back('"');
}

void Json::dump_to(std::string& out, JsonStyle style) const {
    // Views rather than C strings: their lengths are known, so no strlen per separator.
    const bool compact = style == JsonStyle::compact;
    const std::string_view item_separator = compact ? std::string_view(",") : ", ";
    const std::string_view key_separator = compact ? std::string_view(":") : ": ";
    switch (kind()) {
    case Kind::null:
        out += "null";
        return;
    case Kind::boolean:
        out += std::get<bool>(value_) ? "true" : "false";
        return;
    case Kind::integer: {
        std::array<char, 24> buf{};
        auto res =
            std::to_chars(buf.data(), buf.data() + buf.size(), std::get<std::int64_t>(value_));
        out.append(buf.data(), res.ptr);
        return;
    }
    case Kind::unsigned_integer: {
        std::array<char, 24> buf{};
        auto res =
            std::to_chars(buf.data(), buf.data() + buf.size(), std::get<std::uint64_t>(value_));
        out.append(buf.data(), res.ptr);
        return;
    }
    case Kind::floating:
        out += python_float_repr(std::get<double>(value_));
        return;
    case Kind::string:
        append_json_string(out, std::get<std::string>(value_), style);
        return;
    case Kind::array: {
        out.push_back('[');
        bool first = true;
        for (const auto& item : std::get<JsonArray>(value_)) {
            if (!first)
                out.append(item_separator);
            first = false;
            item.dump_to(out, style);
        }
        out.push_back(']');
        return;
    }
    case Kind::object: {
        out.push_back('{');
        bool first = true;
        for (const auto& [key, item] : std::get<JsonObject>(value_)) {
            if (!first)
                out.append(item_separator);
            first = false;
            append_json_string(out, key, style);
            out.append(key_separator);
            item.dump_to(out, style);
        }
        out.push_back('}');
        return;
    }
    }
}

std::string Json::dump(JsonStyle style) const {
    std::string out;
    dump_to(out, style);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {

[[noreturn]] void parse_failure(simdjson::error_code error) {
    const std::string reason = simdjson::error_message(error);
    switch (error) {
    case simdjson::UTF8_ERROR:
        throw ProtocolError(ErrorCode::invalid_utf8, reason);
    case simdjson::DEPTH_ERROR:
        throw ProtocolError(ErrorCode::nesting_too_deep, reason);
    case simdjson::NUMBER_OUT_OF_RANGE:
        throw ProtocolError(ErrorCode::malformed_json, "number outside the 64-bit range");
    default:
        throw ProtocolError(ErrorCode::malformed_json, reason);
    }
}

[[noreturn]] void too_deep(std::size_t max_depth) {
    throw ProtocolError(ErrorCode::nesting_too_deep,
                        "JSON nested deeper than " + std::to_string(max_depth));
}

} // namespace

namespace detail {

Json::Kind dom_kind(simdjson::dom::element element) noexcept {
    using simdjson::dom::element_type;
    switch (element.type()) {
    case element_type::NULL_VALUE:
        return Json::Kind::null;
    case element_type::BOOL:
        return Json::Kind::boolean;
    case element_type::INT64:
        return Json::Kind::integer;
    case element_type::UINT64:
        return Json::Kind::unsigned_integer;
    case element_type::DOUBLE:
        return Json::Kind::floating;
    case element_type::STRING:
        return Json::Kind::string;
    case element_type::ARRAY:
        return Json::Kind::array;
    case element_type::OBJECT:
        return Json::Kind::object;
    }
    return Json::Kind::null;
}

namespace {
// A container's elements, once its depth is allowed. Materialised before iterating: iterating
// the temporary result trips GCC 12's dangling-pointer analysis inside simdjson at -O2.
template <class Container>
Container container_at(simdjson::dom::element element, std::size_t depth, std::size_t max_depth) {
    if (depth >= max_depth)
        too_deep(max_depth);
    Container source;
    if (element.get(source) != simdjson::SUCCESS)
        throw ProtocolError(ErrorCode::malformed_json,
                            std::is_same_v<Container, simdjson::dom::array>
                                ? "unreadable JSON array"
                                : "unreadable JSON object");
    return source;
}
} // namespace

void check_dom_depth(simdjson::dom::element element, std::size_t depth, std::size_t max_depth) {
    using simdjson::dom::element_type;
    if (element.type() == element_type::ARRAY) {
        for (auto child : container_at<simdjson::dom::array>(element, depth, max_depth))
            check_dom_depth(child, depth + 1, max_depth);
    } else if (element.type() == element_type::OBJECT) {
        for (auto field : container_at<simdjson::dom::object>(element, depth, max_depth))
            check_dom_depth(field.value, depth + 1, max_depth);
    }
}

// Builds the tree in place, each string and member constructed once where it will live: the
// parse of a 400-byte BUS was dominated by moving temporaries into their parents.
struct JsonBuilder {
    static void fill(Json& out, simdjson::dom::element element, std::size_t depth,
                     std::size_t max_depth) {
        using simdjson::dom::element_type;
        switch (element.type()) {
        case element_type::NULL_VALUE:
            out.value_.emplace<std::monostate>();
            return;
        case element_type::BOOL:
            out.value_.emplace<bool>(element.get_bool().value_unsafe());
            return;
        case element_type::INT64:
            out.value_.emplace<std::int64_t>(element.get_int64().value_unsafe());
            return;
        case element_type::UINT64:
            // Json(unsigned) keeps values that fit an int64 signed, as Python has one int type.
            out = Json(static_cast<unsigned long long>(element.get_uint64().value_unsafe()));
            return;
        case element_type::DOUBLE:
            out.value_.emplace<double>(element.get_double().value_unsafe());
            return;
        case element_type::STRING:
            out.value_.emplace<std::string>(element.get_string().value_unsafe());
            return;
        case element_type::ARRAY: {
            const simdjson::dom::array source =
                container_at<simdjson::dom::array>(element, depth, max_depth);
            auto& items = out.value_.emplace<JsonArray>();
            items.reserve(source.size());
            for (auto child : source)
                fill(items.emplace_back(), child, depth + 1, max_depth);
            return;
        }
        case element_type::OBJECT: {
            const simdjson::dom::object source =
                container_at<simdjson::dom::object>(element, depth, max_depth);
            auto& object = out.value_.emplace<JsonObject>();
            // Exactly the room it needs (less only with repeated keys): parsed trees are
            // recorded and kept.
            object.reserve(source.size());
            // A key whose signature bit is still clear cannot be a repeat, so only the rare
            // collision pays for a search of the members so far.
            std::uint64_t signatures = 0;
            for (auto field : source) {
                const std::uint64_t signature = key_signature(field.key);
                Json& slot = (signatures & signature) != 0 ? member(object, field.key)
                                                           : new_member(object, field.key);
                signatures |= signature;
                fill(slot, field.value, depth + 1, max_depth);
            }
            return;
        }
        }
        throw ProtocolError(ErrorCode::malformed_json, "unexpected JSON element");
    }

    // One of 64 bits, from the length and the end characters of the key.
    static std::uint64_t key_signature(std::string_view key) noexcept {
        const unsigned ends = key.empty() ? 0u
                                          : static_cast<unsigned char>(key.front()) * 3u +
                                                static_cast<unsigned char>(key.back());
        return std::uint64_t{1} << ((key.size() * 7u + ends) & 63u);
    }

    // The slot for `key`: a new member, or for a repeated key the first one's, emptied (the last
    // value wins in its first position, as json.loads builds a dict).
    static Json& member(JsonObject& object, std::string_view key) {
        if (const std::size_t index = object.index_of(key); index != JsonObject::absent) {
            Json& slot = object.storage_->members()[index].second;
            slot = Json();
            return slot;
        }
        return new_member(object, key);
    }

    // A new member for a key known not to be in the object yet.
    static Json& new_member(JsonObject& object, std::string_view key) {
        const std::size_t count = object.size();
        const bool room = object.storage_ != nullptr && object.storage_->capacity > count;
        JsonObject::Storage& storage =
            object.own(room ? count : std::max<std::size_t>(4, count * 2));
        auto* slot = new (storage.members() + storage.size) JsonObject::Member(
            std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple());
        ++storage.size;
        return slot->second;
    }
};

Json dom_to_json(simdjson::dom::element element, std::size_t depth, std::size_t max_depth) {
    Json out;
    JsonBuilder::fill(out, element, depth, max_depth);
    return out;
}

simdjson::dom::element parse_dom(std::string_view text, const JsonParseLimits& limits) {
    if (text.size() > limits.max_bytes)
        throw ProtocolError(ErrorCode::malformed_json,
                            "JSON text of " + std::to_string(text.size()) +
                                " bytes exceeds the limit of " + std::to_string(limits.max_bytes));
    // simdjson copies the input; an empty view may carry a null pointer, which memcpy must not
    // see even for zero bytes.
    if (text.empty())
        throw ProtocolError(ErrorCode::malformed_json, "empty JSON text");
    // One parser per thread: simdjson's parser owns large scratch buffers whose allocation would
    // dominate the cost of parsing a 300-byte frame. It carries no state between calls other
    // than the last document, which callers use before parsing again.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    auto error = parser.parse(text.data(), text.size(), true).get(root);
    if (error)
        parse_failure(error);
    return root;
}

} // namespace detail

Json Json::parse(std::string_view text, const JsonParseLimits& limits) {
    return detail::dom_to_json(detail::parse_dom(text, limits), 0, limits.max_depth);
}

} // namespace hivescope::protocol
