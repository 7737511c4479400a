#include "hivescope/protocol/json_codec.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/error.hpp"
#include "protocol/detail/json_dom.hpp"
#include "protocol/detail/json_strings.hpp"
#include "protocol/detail/json_writer.hpp"

#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

namespace hivescope::protocol {

namespace {

[[noreturn]] void not_serializable_binary() {
    throw ProtocolError(ErrorCode::not_serializable,
                        "BINARY messages have no JSON form; send them as binary frames");
}

void write_optional_string(detail::JsonWriter& writer, const std::optional<std::string>& value) {
    if (value)
        writer.string(*value);
    else
        writer.raw("null");
}

void write_message(detail::JsonWriter& writer, const HiveMessage& message) {
    if (message.type() == MessageType::binary)
        not_serializable_binary();
    writer.raw("{\"msg_type\": ");
    writer.string(wire_name(message.type()));
    writer.raw(", \"payload\": ");
    if (message.payload_kind() == HiveMessage::PayloadKind::nested)
        write_message(writer, message.inner());
    else
        writer.value(message.payload());
    writer.raw(", \"metadata\": ");
    writer.value(message.metadata());
    writer.raw(", \"route\": [");
    bool first_hop = true;
    for (const auto& hop : message.route()) {
        if (!first_hop)
            writer.raw(", ");
        first_hop = false;
        writer.raw("{\"source\": ");
        writer.string(hop.source);
        writer.raw(", \"targets\": [");
        for (std::size_t i = 0; i < hop.targets.size(); ++i) {
            if (i != 0)
                writer.raw(", ");
            writer.string(hop.targets[i]);
        }
        writer.raw("]}");
    }
    writer.raw("], \"node\": ");
    write_optional_string(writer, message.node());
    writer.raw(", \"target_site_id\": ");
    write_optional_string(writer, message.target_site_id());
    writer.raw(", \"target_pubkey\": ");
    write_optional_string(writer, message.target_pubkey());
    writer.raw(", \"source_peer\": ");
    write_optional_string(writer, message.source_peer());
    writer.raw('}');
}

} // namespace

void serialize_json_to(std::string& out, const HiveMessage& message) {
    // A typical BUS envelope is 300-450 bytes.
    detail::JsonWriter writer(out, JsonStyle::python, 448);
    write_message(writer, message);
}

std::string serialize_json(const HiveMessage& message) {
    std::string out;
    out.reserve(512); // a typical BUS is 300-450 bytes: one allocation, no regrowth
    serialize_json_to(out, message);
    return out;
}

Json to_json(const HiveMessage& message) {
    if (message.type() == MessageType::binary)
        not_serializable_binary();
    JsonObject object;
    object.reserve(8);
    object.set("msg_type", std::string(wire_name(message.type())));
    if (message.payload_kind() == HiveMessage::PayloadKind::nested)
        object.set("payload", to_json(message.inner()));
    else
        object.set("payload", message.payload());
    object.set("metadata", message.metadata());
    JsonArray route;
    for (const auto& hop : message.route()) {
        JsonObject entry;
        entry.reserve(2);
        entry.set("source", hop.source);
        entry.set("targets", JsonArray(hop.targets.begin(), hop.targets.end()));
        route.emplace_back(std::move(entry));
    }
    object.set("route", std::move(route));
    object.set("node", detail::nullable_string(message.node()));
    object.set("target_site_id", detail::nullable_string(message.target_site_id()));
    object.set("target_pubkey", detail::nullable_string(message.target_pubkey()));
    object.set("source_peer", detail::nullable_string(message.source_peer()));
    return Json(std::move(object));
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {

[[noreturn]] void invalid(const std::string& what) {
    throw ProtocolError(ErrorCode::invalid_field, what);
}

std::optional<std::string> optional_string(const Json& value, std::string_view key) {
    if (value.is_null())
        return std::nullopt;
    if (!value.is_string())
        invalid("`" + std::string(key) + "` must be a string or null, got " +
                std::string(to_string(value.kind())));
    return value.as_string();
}

std::vector<std::string> string_list(const Json& value, std::string_view key) {
    std::vector<std::string> out;
    if (value.is_null())
        return out;
    if (!value.is_array())
        invalid("`" + std::string(key) + "` must be an array of strings, got " +
                std::string(to_string(value.kind())));
    for (const auto& item : value.as_array()) {
        if (!item.is_string())
            invalid("`" + std::string(key) + "` must hold only strings, found " +
                    std::string(to_string(item.kind())));
        out.push_back(item.as_string());
    }
    return out;
}

std::vector<RouteHop> parse_route(const Json& value, bool reference_compat) {
    std::vector<RouteHop> route;
    if (value.is_null())
        return route;
    if (!value.is_array())
        invalid("`route` must be an array, got " + std::string(to_string(value.kind())));
    for (const auto& hop : value.as_array()) {
        // Hops are filtered rather than refused: the reference silently drops malformed ones.
        if (!hop.is_object())
            continue;
        const Json* source = hop.find("source");
        if (source == nullptr || !source->is_string() || source->as_string().empty())
            continue;
        RouteHop parsed{source->as_string(), {}};
        if (const Json* targets = hop.find("targets")) {
            if (targets->is_array()) {
                for (const auto& target : targets->as_array())
                    if (target.is_string())
                        parsed.targets.push_back(target.as_string());
            } else if (targets->is_string()) {
                parsed.targets.push_back(targets->as_string());
            }
        }
        if (reference_compat && parsed.targets.empty())
            continue;
        route.push_back(std::move(parsed));
    }
    return route;
}

// `J` is `const Json` when reading a caller's tree (values are copied) or `Json` when the tree is
// ours to consume (values are moved out: the payload and metadata are most of a message, and
// copying them doubled the cost of reading a frame).
template <class J>
HiveMessage parse_envelope(J& envelope, const EnvelopeParseOptions& options, std::size_t nesting);

template <class J> Json take(J& value) {
    if constexpr (std::is_const_v<J>)
        return value;
    else
        return std::move(value);
}

// The payload as our model holds it, given the raw value under "payload".
template <class J>
HiveMessage with_payload(MessageType type, J* raw, const EnvelopeParseOptions& options,
                         std::size_t nesting) {
    Json payload = raw == nullptr || raw->is_null() ? Json::object() : take(*raw);
    if (payload.is_string() && options.reference_compat) {
        // 0.4.3 json.loads a string payload; the result must still be an object. It will sit
        // `nesting + 1` levels down in the envelope, so it gets only the rest of the depth
        // budget: otherwise we would accept a message our own parser refuses once serialised.
        JsonParseLimits limits = options.json;
        limits.max_depth = limits.max_depth > nesting + 1 ? limits.max_depth - (nesting + 1) : 0;
        payload = Json::parse(payload.as_string(), limits);
    }
    if (!payload.is_object())
        invalid(std::string(wire_name(type)) + " payload must be a JSON object, got " +
                std::string(to_string(payload.kind())));
    if (is_transport_type(type))
        return HiveMessage::wrap(type, parse_envelope(payload, options, nesting + 1));
    return HiveMessage(type, std::move(payload));
}

template <class J>
HiveMessage parse_envelope(J& envelope, const EnvelopeParseOptions& options, std::size_t nesting) {
    if (nesting > options.max_nesting)
        throw ProtocolError(ErrorCode::nesting_too_deep, "HiveMessages nested deeper than " +
                                                             std::to_string(options.max_nesting));
    if (!envelope.is_object())
        throw ProtocolError(ErrorCode::malformed_json, "a HiveMessage must be a JSON object, got " +
                                                           std::string(to_string(envelope.kind())));
    J* payload = nullptr;
    J* metadata = nullptr;
    J* route = nullptr;
    J* node = nullptr;
    J* target_site_id = nullptr;
    J* target_pubkey = nullptr;
    J* source_peer = nullptr;
    J* target_peers = nullptr;
    J* bin_type = nullptr;
    for (auto& [key, value] : envelope.as_object()) {
        if (key == "msg_type")
            continue;
        if (key == "payload")
            payload = &value;
        else if (key == "metadata")
            metadata = &value;
        else if (key == "route")
            route = &value;
        else if (key == "node")
            node = &value;
        else if (key == "target_site_id")
            target_site_id = &value;
        else if (key == "target_pubkey")
            target_pubkey = &value;
        else if (key == "source_peer")
            source_peer = &value;
        else if (key == "target_peers")
            target_peers = &value;
        else if (key == "bin_type") {
            if (!value.is_integer())
                invalid("`bin_type` must be an integer, got " +
                        std::string(to_string(value.kind())));
            bin_type = &value;
        } else {
            throw ProtocolError(ErrorCode::unknown_key, "unexpected envelope key \"" + key + "\"");
        }
    }

    // Unknown keys are reported before a missing msg_type, as Python reports an unexpected
    // keyword argument first.
    const Json* msg_type = std::as_const(envelope).find("msg_type");
    if (msg_type == nullptr)
        throw ProtocolError(ErrorCode::malformed_json, "envelope has no `msg_type`");
    if (!msg_type->is_string())
        invalid("`msg_type` must be a string, got " + std::string(to_string(msg_type->kind())));
    const auto type = message_type_from_wire(msg_type->as_string());
    if (!type)
        throw ProtocolError(ErrorCode::unknown_msg_type,
                            "unknown msg_type \"" + msg_type->as_string() + "\"");
    if (*type == MessageType::binary)
        invalid("`bin` messages travel only in binary frames, not as JSON text");
    if (bin_type != nullptr &&
        !(bin_type->kind() == Json::Kind::integer && bin_type->as_int() == 0))
        invalid("bin_type can only be set for BINARY messages (got " + bin_type->dump() + " on " +
                msg_type->as_string() + ")");

    HiveMessage message = with_payload(*type, payload, options, nesting);
    if (metadata != nullptr) {
        if (!metadata->is_null() && !metadata->is_object())
            invalid("`metadata` must be an object, got " +
                    std::string(to_string(metadata->kind())));
        message.set_metadata(take(*metadata));
    }
    if (route != nullptr)
        message.route() = parse_route(*route, options.reference_compat);
    if (node != nullptr)
        message.set_node(optional_string(*node, "node"));
    if (target_site_id != nullptr)
        message.set_target_site_id(optional_string(*target_site_id, "target_site_id"));
    if (target_pubkey != nullptr)
        message.set_target_pubkey(optional_string(*target_pubkey, "target_pubkey"));
    if (source_peer != nullptr)
        message.set_source_peer(optional_string(*source_peer, "source_peer"));
    if (target_peers != nullptr)
        message.set_target_peers(string_list(*target_peers, "target_peers"));
    return message;
}

// The envelope keys, for reading a document without building its root object.
enum EnvelopeField : unsigned {
    field_msg_type,
    field_payload,
    field_metadata,
    field_route,
    field_node,
    field_target_site_id,
    field_target_pubkey,
    field_source_peer,
    field_target_peers,
    field_bin_type,
    field_count,
};

// Whether `key`, already known to be N - 1 bytes long, is `name`: a comparison of a constant
// size, which the compiler does inline instead of calling memcmp.
template <std::size_t N> bool spells(std::string_view key, const char (&name)[N]) noexcept {
    return std::memcmp(key.data(), name, N - 1) == 0;
}

// The field named `key`, or field_count. The length and one character pick the only candidate,
// so each key costs one comparison (eight keys arrive with every frame).
unsigned field_of(std::string_view key) noexcept {
    const auto only = [&](EnvelopeField field, bool match) {
        return match ? static_cast<unsigned>(field) : static_cast<unsigned>(field_count);
    };
    switch (key.size()) {
    case 4:
        return only(field_node, spells(key, "node"));
    case 5:
        return only(field_route, spells(key, "route"));
    case 7:
        return only(field_payload, spells(key, "payload"));
    case 8:
        if (key[0] == 'b')
            return only(field_bin_type, spells(key, "bin_type"));
        if (key[1] == 's')
            return only(field_msg_type, spells(key, "msg_type"));
        return only(field_metadata, spells(key, "metadata"));
    case 11:
        return only(field_source_peer, spells(key, "source_peer"));
    case 12:
        return only(field_target_peers, spells(key, "target_peers"));
    case 13:
        return only(field_target_pubkey, spells(key, "target_pubkey"));
    case 14:
        return only(field_target_site_id, spells(key, "target_site_id"));
    default:
        return field_count;
    }
}

// A string-or-null envelope field read from the document; false for any other kind.
bool read_optional_string(simdjson::dom::element value, std::optional<std::string>& out) {
    if (value.is_null()) {
        out.reset();
        return true;
    }
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS)
        return false;
    out.emplace(text);
    return true;
}

// The envelope read straight from the parsed document: only the values become Json, not the
// root object (building it and taking it apart again was a fifth of reading a BUS frame). Only
// the plain shape is read here: each key known and present once, msg_type a string naming a
// non-BINARY type, bin_type absent or 0, payload and metadata objects or null, the addressing
// fields strings or null. Anything else is nullopt and goes through parse_envelope, which
// reports errors in its own order; so does any error thrown here or by plain_message.
struct PlainFields {
    MessageType type = MessageType::bus;
    unsigned present = 0; ///< a bit per EnvelopeField
    Json payload;
    Json metadata;
    Json route;
    Json target_peers;
    std::array<std::optional<std::string>, 4> addressing; ///< node, site, pubkey, source_peer

    [[nodiscard]] bool has(EnvelopeField field) const noexcept {
        return (present & (1u << field)) != 0;
    }
};

std::optional<PlainFields> plain_fields(simdjson::dom::element root,
                                        const EnvelopeParseOptions& options) {
    using simdjson::dom::element_type;
    const std::size_t max_depth = options.json.max_depth;
    simdjson::dom::object object;
    if (max_depth == 0 || root.get_object().get(object) != simdjson::SUCCESS)
        return std::nullopt;
    std::array<simdjson::dom::element, field_count> fields;
    std::optional<PlainFields> plain(std::in_place);
    unsigned& present = plain->present;
    for (auto member : object) {
        const unsigned field = field_of(member.key);
        if (field == field_count || (present & (1u << field)) != 0)
            return std::nullopt;
        present |= 1u << field;
        fields[field] = member.value;
    }
    const auto has = [&](EnvelopeField field) { return plain->has(field); };
    std::string_view type_name;
    if (!has(field_msg_type) || fields[field_msg_type].get_string().get(type_name))
        return std::nullopt;
    const auto type = message_type_from_wire(type_name);
    if (!type || *type == MessageType::binary)
        return std::nullopt;
    plain->type = *type;
    if (has(field_bin_type) && (fields[field_bin_type].type() != element_type::INT64 ||
                                fields[field_bin_type].get_int64().value_unsafe() != 0))
        return std::nullopt;
    const auto object_or_null = [&](EnvelopeField field) {
        return !has(field) || fields[field].type() == element_type::OBJECT ||
               fields[field].type() == element_type::NULL_VALUE;
    };
    if (!object_or_null(field_payload) || !object_or_null(field_metadata))
        return std::nullopt;

    // Everything is converted before a nested envelope is read: reading one may parse again
    // (a string payload), which ends this document's lifetime.
    const auto convert = [&](EnvelopeField field, Json& out) {
        if (has(field))
            detail::dom_to_json_into(out, fields[field], 1, max_depth);
    };
    convert(field_payload, plain->payload);
    convert(field_metadata, plain->metadata);
    convert(field_route, plain->route);
    convert(field_target_peers, plain->target_peers);
    constexpr std::array<EnvelopeField, 4> addressing_fields{
        field_node, field_target_site_id, field_target_pubkey, field_source_peer};
    for (std::size_t i = 0; i < plain->addressing.size(); ++i)
        if (has(addressing_fields[i]) &&
            !read_optional_string(fields[addressing_fields[i]], plain->addressing[i]))
            return std::nullopt;
    return plain;
}

// The message from plain_fields' fields: returned as a prvalue, so parse_json_message hands it
// to its caller without a move.
HiveMessage plain_message(PlainFields& plain, const EnvelopeParseOptions& options) {
    HiveMessage message =
        with_payload(plain.type, plain.has(field_payload) ? &plain.payload : nullptr, options, 0);
    if (plain.has(field_metadata))
        message.set_metadata(std::move(plain.metadata));
    if (plain.has(field_route))
        message.route() = parse_route(plain.route, options.reference_compat);
    if (plain.has(field_node))
        message.set_node(std::move(plain.addressing[0]));
    if (plain.has(field_target_site_id))
        message.set_target_site_id(std::move(plain.addressing[1]));
    if (plain.has(field_target_pubkey))
        message.set_target_pubkey(std::move(plain.addressing[2]));
    if (plain.has(field_source_peer))
        message.set_source_peer(std::move(plain.addressing[3]));
    if (plain.has(field_target_peers))
        message.set_target_peers(string_list(plain.target_peers, "target_peers"));
    return message;
}

} // namespace

HiveMessage message_from_json(const Json& envelope, const EnvelopeParseOptions& options) {
    return parse_envelope(envelope, options, 0);
}

HiveMessage message_from_json(Json&& envelope, const EnvelopeParseOptions& options) {
    return parse_envelope(envelope, options, 0);
}

HiveMessage parse_json_message(std::string_view text, const EnvelopeParseOptions& options) {
    const simdjson::dom::element root = detail::parse_dom(text, options.json);
    bool document_intact = true;
    try {
        if (std::optional<PlainFields> plain = plain_fields(root, options))
            return plain_message(*plain, options);
    } catch (const ProtocolError&) {
        // Reported below by the general path, in its order. A nested envelope may have parsed
        // again by then, so the document is read afresh.
        document_intact = false;
    }
    Json envelope = document_intact ? detail::dom_to_json(root, 0, options.json.max_depth)
                                    : Json::parse(text, options.json);
    return parse_envelope(envelope, options, 0);
}

HiveMessage deserialize_legacy(std::string_view text) {
    const Json value = Json::parse(text);
    if (!value.is_object())
        throw ProtocolError(ErrorCode::malformed_json, "legacy deserialize needs a JSON object");
    if (value.find("msg_type") != nullptr && value.find("payload") != nullptr) {
        try {
            JsonObject kept;
            for (const char* key :
                 {"msg_type", "payload", "metadata", "target_site_id", "target_pubkey"})
                if (const Json* member = value.find(key))
                    kept.set(key, *member);
            EnvelopeParseOptions options;
            options.reference_compat = true;
            return message_from_json(Json(std::move(kept)), options);
        } catch (const ProtocolError&) {
            // Not a HiveMessage after all: fall through like the reference.
        }
    }
    if (value.find("type") != nullptr) {
        try {
            return HiveMessage::bus(BusMessage::from_json(value));
        } catch (const ProtocolError&) {
        }
    }
    return HiveMessage(MessageType::third_party, value);
}

} // namespace hivescope::protocol
