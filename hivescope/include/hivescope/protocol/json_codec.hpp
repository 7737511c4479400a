#pragma once
// The JSON (text-frame) form of a HiveMessage (protocol.md A.3): emission byte-identical to
// `HiveMessage.serialize()` of the reference, and a parser that accepts what
// `HiveMessage(**json.loads(text))` accepts and refuses, with a typed error, what makes a Python
// node abort.

#include "hivescope/protocol/hive_message.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol {

/// How strictly a text frame is read.
struct EnvelopeParseOptions {
    /// Also accept what hivemind_bus_client 0.4.3 accepts but our nodes refuse: a payload given
    /// as a JSON *string* is parsed (0.4.3 `json.loads` it), and route hops without `targets` are
    /// dropped as 0.4.x does. Off for our nodes (protocol.md A.3, A.5).
    bool reference_compat = false;
    /// Transport messages nested deeper than this are refused (nesting_too_deep).
    std::size_t max_nesting = 16;
    /// Limits for the underlying JSON parse.
    JsonParseLimits json{};
};

/// The 8-key envelope as a JSON object (the reference `as_dict`). Throws
/// ProtocolError(not_serializable) for BINARY, which has no JSON form.
[[nodiscard]] Json to_json(const HiveMessage& message);

/// `HiveMessage.serialize()`: the 8 keys in reference order, `", "` / `": "`, raw UTF-8.
/// Throws ProtocolError(not_serializable) for BINARY.
[[nodiscard]] std::string serialize_json(const HiveMessage& message);
/// As serialize_json, appending to `out`.
void serialize_json_to(std::string& out, const HiveMessage& message);

/// Reads a text frame. Errors: malformed_json (not JSON / not an object / missing msg_type),
/// unknown_msg_type, unknown_key (a key the reference constructor rejects), invalid_field
/// (wrong value type, non-zero bin_type, `bin` in a text frame, non-object payload),
/// nesting_too_deep, invalid_utf8.
[[nodiscard]] HiveMessage parse_json_message(std::string_view text,
                                             const EnvelopeParseOptions& options = {});
/// As parse_json_message, from an already-parsed JSON value.
[[nodiscard]] HiveMessage message_from_json(const Json& envelope,
                                            const EnvelopeParseOptions& options = {});
/// As message_from_json, consuming `envelope` (its payload and metadata are moved, not copied).
[[nodiscard]] HiveMessage message_from_json(Json&& envelope,
                                            const EnvelopeParseOptions& options = {});

/// The reference's loose helper `HiveMessage.deserialize`: keeps msg_type, payload, metadata,
/// target_site_id and target_pubkey of a well-formed envelope; anything with a `type` key
/// becomes a BUS message; anything else a `3rdparty` message around the whole object. Only for
/// reading legacy tools' output, never for frames off a link.
[[nodiscard]] HiveMessage deserialize_legacy(std::string_view text);

} // namespace hivescope::protocol
