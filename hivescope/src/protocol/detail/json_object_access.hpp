#pragma once
// Building an object whose keys the builder knows, as the nodes do for every BUS (the payload's
// type/data/context, a satellite's context): set() would search the members for each key and
// construct a temporary key string; this appends in place.

#include "hivescope/protocol/json.hpp"

#include <cstddef>
#include <string_view>

namespace hivescope::protocol::detail {

struct JsonObjectAccess {
    /// An empty object with room for `capacity` members.
    [[nodiscard]] static JsonObject with_capacity(std::size_t capacity);
    /// Appends `key` → `value`; the caller knows `key` is not in `object` (checked in debug
    /// builds). Returns the stored value.
    static Json& append_new(JsonObject& object, std::string_view key, Json value);
};

} // namespace hivescope::protocol::detail
