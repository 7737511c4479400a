// Every case of ../shared/vectors/json_serialization.json: what HiveMessage.serialize() emits,
// and what HiveMessage(**json.loads(text)) and HiveMessage.deserialize(text) accept.

#include "catch.hpp"
#include "vectors.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <functional>
#include <string>

using namespace hivescope::protocol;

namespace {

// Builds the message a serialise case describes: msg_type plus `json` (an object payload, or the
// inner envelope of a transport type), `ovos_message` or `bytes_hex`.
HiveMessage message_from_input(const Json& input) {
    const auto type = message_type_from_wire(input.get_string("msg_type"));
    REQUIRE(type.has_value());
    Json metadata = input.find("metadata") ? *input.find("metadata") : Json::object();
    if (*type == MessageType::binary) {
        const auto bin_type = static_cast<std::uint8_t>(input.find("bin_type")->as_int());
        return HiveMessage::binary_with_code(bin_type, hex_decode(input.get_string("bytes_hex")),
                                             metadata);
    }
    HiveMessage message = [&] {
        if (const Json* ovos = input.find("ovos_message"))
            return HiveMessage::bus(BusMessage::from_json(*ovos), *type);
        const Json& payload = *input.find("json");
        if (is_transport_type(*type))
            return HiveMessage::wrap(*type, message_from_json(payload));
        return HiveMessage(*type, payload);
    }();
    message.set_metadata(metadata);
    if (const Json* pubkey = input.find("target_pubkey"); pubkey && pubkey->is_string())
        message.set_target_pubkey(pubkey->as_string());
    return message;
}

// The reference prints a nested payload exactly as it was given, we always expand it to the full
// envelope; comparing through our model makes the two forms meet.
Json normalised(const Json& as_dict) {
    EnvelopeParseOptions options;
    options.reference_compat = true;
    return to_json(message_from_json(as_dict, options));
}

ErrorCode code_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const ProtocolError& error) {
        return error.code();
    }
    FAIL("expected a ProtocolError");
    return ErrorCode::invalid_argument;
}

} // namespace

TEST_CASE("json_serialization.json: every case", "[vectors][json]") {
    const Json file = hivescope::test::load_vectors("json_serialization.json");
    const auto& cases = hivescope::test::vector_cases(file);
    std::size_t checked = 0;

    for (const Json& vector : cases) {
        const std::string id = vector.get_string("id");
        INFO("case " << id);
        const Json* input = vector.find("input");
        const Json* serialized = vector.find("serialized");
        const Json* text = vector.find("text");

        if (input && serialized) {
            // serialize(): byte-exact, and parsing it back gives the reference's as_dict.
            const HiveMessage message = message_from_input(*input);
            CHECK(serialize_json(message) == serialized->as_string());
            const Json& parsed_back = *vector.find("parsed_back_via_HiveMessage(**json.loads(s))");
            const HiveMessage reparsed = parse_json_message(serialized->as_string());
            CHECK(to_json(reparsed) == parsed_back);
            CHECK(reparsed == message);
            ++checked;
        } else if (input && vector.find("error")) {
            // The reference refuses to cast BINARY to a dict; so do we, with a typed error.
            const HiveMessage message = message_from_input(*input);
            CHECK(code_of([&] { (void)serialize_json(message); }) == ErrorCode::not_serializable);
            CHECK(code_of([&] { (void)to_json(message); }) == ErrorCode::not_serializable);
            ++checked;
        } else if (serialized && vector.find("steps")) {
            // A scripted sequence of reference calls on a message.
            std::optional<HiveMessage> message;
            for (const Json& step : vector.find("steps")->as_array()) {
                const std::string call = step.as_string();
                if (call == "HiveMessage(propagate, ping.as_dict)") {
                    const Json ping = Json::parse(serialized->as_string())
                                          .find("payload")
                                          ->find("payload")
                                          ->find("flood_id")
                                          ->as_string();
                    message = HiveMessage::wrap(
                        MessageType::propagate,
                        HiveMessage(MessageType::ping, JsonObject{{"flood_id", ping}}));
                } else if (call.rfind("update_source_peer('", 0) == 0) {
                    REQUIRE(message);
                    const auto open = call.find('\'') + 1;
                    message->set_source_peer(call.substr(open, call.rfind('\'') - open));
                } else if (call == "update_hop_data()") {
                    REQUIRE(message);
                    message->update_hop_data();
                } else {
                    FAIL("unknown step in vector: " << call);
                }
            }
            REQUIRE(message);
            CHECK(serialize_json(*message) == serialized->as_string());
            ++checked;
        } else if (text) {
            const Json& strict = *vector.find("HiveMessage(**json.loads(text))");
            const Json& legacy = *vector.find("HiveMessage.deserialize(text)");
            EnvelopeParseOptions compat;
            compat.reference_compat = true;

            if (strict.find("accepted")->as_bool()) {
                const HiveMessage parsed = parse_json_message(text->as_string(), compat);
                CHECK(to_json(parsed) == normalised(*strict.find("as_dict")));
                if (id == "parse/payload_as_json_string") {
                    // protocol.md A.3: 0.4.3 json.loads a string payload, our nodes refuse it.
                    CHECK(code_of([&] { (void)parse_json_message(text->as_string()); }) ==
                          ErrorCode::invalid_field);
                } else if (id == "parse/with_route") {
                    // protocol.md A.5: ours keep a hop that has a source but no targets.
                    const HiveMessage ours = parse_json_message(text->as_string());
                    REQUIRE(ours.route().size() == 2);
                    CHECK(ours.route()[1].source == "c");
                    CHECK(ours.route()[1].targets.empty());
                } else {
                    CHECK(parse_json_message(text->as_string()) == parsed);
                }
            } else {
                const std::string error = strict.get_string("error");
                const ErrorCode expected = error.rfind("TypeError", 0) == 0
                                               ? ErrorCode::unknown_key
                                               : ErrorCode::invalid_field;
                CHECK(code_of([&] { (void)parse_json_message(text->as_string()); }) == expected);
                CHECK(code_of([&] { (void)parse_json_message(text->as_string(), compat); }) ==
                      expected);
            }

            REQUIRE(legacy.find("accepted")->as_bool());
            CHECK(to_json(deserialize_legacy(text->as_string())) ==
                  normalised(*legacy.find("as_dict")));
            ++checked;
        } else {
            FAIL("vector case of unknown shape: " << id);
        }
    }
    CHECK(checked == cases.size());
    CHECK(checked > 0);
}
