#pragma once
// The simdjson layer under Json::parse, for the few hot paths that read a document without
// building a Json tree for all of it (the encrypted envelope of every text frame).

#include "hivescope/protocol/json.hpp"

#include <simdjson.h>

#include <cstddef>
#include <string_view>

namespace hivescope::protocol::detail {

/// Parses `text` with this thread's parser, with Json::parse's limits and errors (except the
/// nesting limit, which dom_to_json / check_dom_depth apply). The element is valid until the
/// next parse on this thread.
[[nodiscard]] simdjson::dom::element parse_dom(std::string_view text,
                                               const JsonParseLimits& limits);

/// The Json value of `element` at nesting `depth`, refusing containers at `max_depth` or deeper
/// (ProtocolError(nesting_too_deep)), as Json::parse does.
[[nodiscard]] Json dom_to_json(simdjson::dom::element element, std::size_t depth,
                               std::size_t max_depth);
/// As dom_to_json, into `out` (whatever it held is replaced), without a move from a temporary.
void dom_to_json_into(Json& out, simdjson::dom::element element, std::size_t depth,
                      std::size_t max_depth);

/// Throws exactly what dom_to_json would for nesting, without building anything.
void check_dom_depth(simdjson::dom::element element, std::size_t depth, std::size_t max_depth);

/// The Json kind `element` converts to (for error messages naming it).
[[nodiscard]] Json::Kind dom_kind(simdjson::dom::element element) noexcept;

} // namespace hivescope::protocol::detail
