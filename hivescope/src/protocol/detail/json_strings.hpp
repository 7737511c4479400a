#pragma once
// The JSON forms of the string fields payloads and database records carry: an optional string is
// the string or null, a string list an array of strings (Python's None and list[str]).

#include "hivescope/protocol/json.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hivescope::protocol::detail {

/// `value` as a JSON string, or null when absent.
[[nodiscard]] inline Json nullable_string(const std::optional<std::string>& value) {
    return value ? Json(*value) : Json();
}

/// `items` as a JSON array of strings, in order.
[[nodiscard]] inline Json string_array(const std::vector<std::string>& items) {
    JsonArray array;
    array.reserve(items.size());
    for (const auto& item : items)
        array.emplace_back(item);
    return Json(std::move(array));
}

} // namespace hivescope::protocol::detail
