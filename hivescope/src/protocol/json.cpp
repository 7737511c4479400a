#include "hivescope/protocol/json.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/block_pool.hpp"
#include "protocol/detail/json_dom.hpp"
#include "protocol/detail/json_object_access.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cassert>
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
    const std::size_t bytes = sizeof(Storage) + capacity * sizeof(Member);
    const bool pooled = bytes <= detail::pooled_block_limit && detail::block_pool_enabled;
    void* raw = pooled ? detail::allocate_pooled(bytes) : ::operator new(bytes);
    auto* storage = new (raw) Storage;
    storage->capacity = static_cast<std::uint32_t>(capacity);
    storage->pooled = pooled;
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
    const bool pooled = storage->pooled;
    storage->~Storage();
    if (pooled)
        detail::free_pooled(storage);
    else
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
        // Taken before the old storage goes: `other` may be one of its members
        // (`object = std::move(object["inner"].as_object())`).
        Storage* const old = std::exchange(storage_, std::exchange(other.storage_, nullptr));
        release_storage(old);
    }
    return *this;
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

namespace detail {

JsonObject JsonObjectAccess::with_capacity(std::size_t capacity) {
    JsonObject object;
    if (capacity != 0)
        object.storage_ = JsonObject::allocate(capacity);
    return object;
}

Json& JsonObjectAccess::append_new(JsonObject& object, std::string_view key, Json value) {
    assert(object.index_of(key) == JsonObject::absent);
    JsonObject::Storage* storage = object.storage_;
    // The usual case, an object of our own with room: construct the member where it goes.
    // Anything else (shared, frozen, full) goes through append, which makes it so first.
    if (storage == nullptr || storage->frozen || storage->size == storage->capacity ||
        storage->references.load(std::memory_order_acquire) != 1)
        return object.append(std::string(key), std::move(value)).second;
    auto* slot = new (storage->members() + storage->size)
        JsonObject::Member(std::piecewise_construct, std::forward_as_tuple(key),
                           std::forward_as_tuple(std::move(value)));
    ++storage->size;
    return slot->second;
}

} // namespace detail

bool operator==(const JsonObject& a, const JsonObject& b) {
    if (a.storage_ == b.storage_)
        return true;
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void Json::freeze() noexcept {
    if (kind_ == Kind::object)
        object_.freeze();
    else if (kind_ == Kind::array)
        for (auto& item : array_)
            item.freeze();
}

// ---------------------------------------------------------------------------------------------
// Json storage

void Json::copy_resource(const Json& other) {
    switch (other.kind_) {
    case Kind::string:
        new (&string_) std::string(other.string_);
        return;
    case Kind::array:
        new (&array_) JsonArray(other.array_);
        return;
    case Kind::object:
        new (&object_) JsonObject(other.object_);
        return;
    default:
        copy_scalar(other);
        return;
    }
}

// The source keeps its kind, emptied, as a moved-from std::variant alternative would.
void Json::move_resource(Json&& other) noexcept {
    switch (other.kind_) {
    case Kind::string:
        new (&string_) std::string(std::move(other.string_));
        return;
    case Kind::array:
        new (&array_) JsonArray(std::move(other.array_));
        return;
    case Kind::object:
        new (&object_) JsonObject(std::move(other.object_));
        return;
    default:
        copy_scalar(other);
        return;
    }
}

void Json::release_resource() noexcept {
    switch (kind_) {
    case Kind::string:
        string_.~basic_string();
        return;
    case Kind::array:
        array_.~JsonArray();
        return;
    case Kind::object:
        object_.~JsonObject();
        return;
    default:
        return;
    }
}

Json& Json::operator=(Json&& other) noexcept {
    if (this == &other)
        return *this;
    if (kind_ == other.kind_) {
        switch (kind_) {
        case Kind::string:
            string_ = std::move(other.string_);
            break;
        case Kind::array:
            array_ = std::move(other.array_);
            break;
        case Kind::object:
            object_ = std::move(other.object_);
            break;
        default:
            copy_scalar(other);
            break;
        }
        return *this;
    }
    if (other.holds_scalar()) {
        reset();
        kind_ = other.kind_;
        copy_scalar(other);
        return *this;
    }
    if (holds_scalar()) {
        kind_ = other.kind_;
        move_resource(std::move(other));
        return *this;
    }
    // `other` may live inside this value (`json = std::move(json.as_array()[0])`): take it out
    // before this value's resources go.
    Json taken(std::move(other));
    reset();
    kind_ = taken.kind_;
    move_resource(std::move(taken));
    return *this;
}

Json& Json::operator=(const Json& other) {
    if (this != &other)
        *this = Json(other);
    return *this;
}

// ---------------------------------------------------------------------------------------------
// Json access

Json::Json(unsigned long value) noexcept : Json(static_cast<unsigned long long>(value)) {}

Json::Json(unsigned long long value) noexcept {
    if (value <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) {
        kind_ = Kind::integer;
        integer_ = static_cast<std::int64_t>(value);
    } else {
        kind_ = Kind::unsigned_integer;
        unsigned_ = static_cast<std::uint64_t>(value);
    }
}

Json::Json(std::initializer_list<Json> init) {
    const bool all_pairs =
        init.size() > 0 && std::all_of(init.begin(), init.end(), [](const Json& item) {
            return item.is_array() && item.as_array().size() == 2 && item.as_array()[0].is_string();
        });
    if (!all_pairs) {
        *this = Json(JsonArray(init.begin(), init.end()));
        return;
    }
    JsonObject object;
    object.reserve(init.size());
    for (const Json& pair : init)
        object.set(pair.as_array()[0].as_string(), pair.as_array()[1]);
    *this = Json(std::move(object));
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
    if (kind_ == Kind::boolean)
        return boolean_;
    wrong_kind(Kind::boolean, kind());
}

std::int64_t Json::as_int() const {
    if (kind_ == Kind::integer)
        return integer_;
    if (kind() == Kind::unsigned_integer)
        throw ProtocolError(ErrorCode::invalid_field, "integer too large for int64");
    wrong_kind(Kind::integer, kind());
}

std::uint64_t Json::as_uint() const {
    if (kind_ == Kind::unsigned_integer)
        return unsigned_;
    if (kind_ == Kind::integer) {
        if (integer_ < 0)
            throw ProtocolError(ErrorCode::invalid_field, "expected a non-negative integer");
        return static_cast<std::uint64_t>(integer_);
    }
    wrong_kind(Kind::integer, kind());
}

double Json::as_double() const {
    if (kind_ == Kind::floating)
        return floating_;
    if (kind_ == Kind::integer)
        return static_cast<double>(integer_);
    if (kind_ == Kind::unsigned_integer)
        return static_cast<double>(unsigned_);
    wrong_kind(Kind::floating, kind());
}

const std::string& Json::as_string() const {
    if (kind_ == Kind::string)
        return string_;
    wrong_kind(Kind::string, kind());
}

std::string& Json::as_string() {
    if (kind_ == Kind::string)
        return string_;
    wrong_kind(Kind::string, kind());
}

const JsonArray& Json::as_array() const {
    if (kind_ == Kind::array)
        return array_;
    wrong_kind(Kind::array, kind());
}

JsonArray& Json::as_array() {
    if (kind_ == Kind::array)
        return array_;
    wrong_kind(Kind::array, kind());
}

const JsonObject& Json::as_object() const {
    if (kind_ == Kind::object)
        return object_;
    wrong_kind(Kind::object, kind());
}

JsonObject& Json::as_object() {
    if (kind_ == Kind::object)
        return object_;
    wrong_kind(Kind::object, kind());
}

const Json* Json::find(std::string_view key) const noexcept {
    if (kind_ == Kind::object)
        return object_.find(key);
    return nullptr;
}

Json& Json::operator[](std::string_view key) {
    if (is_null())
        emplace_object();
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
    if (a.kind_ != b.kind_)
        return false;
    switch (a.kind_) {
    case Json::Kind::null:
        return true;
    case Json::Kind::boolean:
        return a.boolean_ == b.boolean_;
    case Json::Kind::integer:
        return a.integer_ == b.integer_;
    case Json::Kind::unsigned_integer:
        return a.unsigned_ == b.unsigned_;
    case Json::Kind::floating:
        return a.floating_ == b.floating_;
    case Json::Kind::string:
        return a.string_ == b.string_;
    case Json::Kind::array:
        return a.array_ == b.array_;
    case Json::Kind::object:
        return a.object_ == b.object_;
    }
    return false;
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
            out.reset();
            return;
        case element_type::BOOL:
            out = Json(element.get_bool().value_unsafe());
            return;
        case element_type::INT64:
            out = Json(static_cast<long long>(element.get_int64().value_unsafe()));
            return;
        case element_type::UINT64:
            // Json(unsigned) keeps values that fit an int64 signed, as Python has one int type.
            out = Json(static_cast<unsigned long long>(element.get_uint64().value_unsafe()));
            return;
        case element_type::DOUBLE:
            out = Json(element.get_double().value_unsafe());
            return;
        case element_type::STRING:
            out.emplace_string(element.get_string().value_unsafe());
            return;
        case element_type::ARRAY: {
            const simdjson::dom::array source =
                container_at<simdjson::dom::array>(element, depth, max_depth);
            auto& items = out.emplace_array();
            items.reserve(source.size());
            for (auto child : source)
                fill(items.emplace_back(), child, depth + 1, max_depth);
            return;
        }
        case element_type::OBJECT: {
            const simdjson::dom::object source =
                container_at<simdjson::dom::object>(element, depth, max_depth);
            auto& object = out.emplace_object();
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
            // Built frozen (its members already are, bottom-up): a parsed tree is usually
            // recorded and shared as it is, and freezing it afterwards meant a second walk.
            // The first change through its only owner thaws it again.
            if (object.storage_ != nullptr)
                object.storage_->frozen = true;
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
        JsonObject::Storage* storage = object.storage_;
        // A parsed object is its builder's alone, unfrozen until it is complete, and reserved
        // for all its members: own() only for a repeated key's growth.
        if (storage == nullptr || storage->capacity <= count || storage->frozen ||
            storage->references.load(std::memory_order_acquire) != 1) {
            const bool room = storage != nullptr && storage->capacity > count;
            storage = &object.own(room ? count : std::max<std::size_t>(4, count * 2));
        }
        auto* slot = new (storage->members() + storage->size) JsonObject::Member(
            std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple());
        ++storage->size;
        return slot->second;
    }
};

Json dom_to_json(simdjson::dom::element element, std::size_t depth, std::size_t max_depth) {
    Json out;
    JsonBuilder::fill(out, element, depth, max_depth);
    return out;
}

void dom_to_json_into(Json& out, simdjson::dom::element element, std::size_t depth,
                      std::size_t max_depth) {
    JsonBuilder::fill(out, element, depth, max_depth);
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
