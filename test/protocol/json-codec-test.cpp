// The JSON envelope codec: the 8-key emission rule, round trips of every text-frame type, and the
// frames our receivers treat as malformed (protocol.md A.3).

#include "catch.hpp"
#include "message_generator.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"

using namespace hivescope::protocol;

namespace {
ErrorCode parse_error(std::string_view text) {
    try {
        (void)parse_json_message(text);
    } catch (const ProtocolError& error) {
        return error.code();
    }
    FAIL("expected parse_json_message to throw for: " << text);
    return ErrorCode::invalid_argument;
}
} // namespace

TEST_CASE("emission has exactly the 8 keys in reference order", "[json-codec]") {
    HiveMessage ping(MessageType::ping, JsonObject{{"flood_id", "f"}});
    ping.set_source_peer("M0").add_hop({"M0", {"S1"}});
    CHECK(
        serialize_json(ping) ==
        R"({"msg_type": "ping", "payload": {"flood_id": "f"}, "metadata": {}, "route": [{"source": "M0", "targets": ["S1"]}], "node": null, "target_site_id": null, "target_pubkey": null, "source_peer": "M0"})");
    // target_peers is accepted on input but never emitted.
    ping.set_target_peers({"x"});
    CHECK(serialize_json(ping).find("target_peers") == std::string::npos);
    CHECK(to_json(ping).dump() == serialize_json(ping));
}

TEST_CASE("nested envelopes are emitted in full", "[json-codec]") {
    const HiveMessage inner(MessageType::hello, JsonObject{{"site_id", "kitchen"}});
    const HiveMessage outer =
        HiveMessage::wrap(MessageType::propagate, HiveMessage::wrap(MessageType::broadcast, inner));
    const std::string text = serialize_json(outer);
    CHECK(
        text.rfind(
            R"({"msg_type": "propagate", "payload": {"msg_type": "broadcast", "payload": {"msg_type": "hello", "payload": {"site_id": "kitchen"}, "metadata": {}, "route": [], )",
            0) == 0);
    const HiveMessage back = parse_json_message(text);
    CHECK(back == outer);
    CHECK(back.inner().inner().payload().get_string("site_id") == "kitchen");
}

TEST_CASE("missing keys take their defaults; null metadata and route mean empty", "[json-codec]") {
    const HiveMessage message = parse_json_message(
        R"({"msg_type": "hello", "metadata": null, "route": null, "bin_type": 0, "target_peers": ["a"]})");
    CHECK(message.type() == MessageType::hello);
    CHECK(message.payload() == Json::object());
    CHECK(message.metadata() == Json::object());
    CHECK(message.route().empty());
    CHECK(message.target_peers() == std::vector<std::string>{"a"});
    CHECK_FALSE(message.source_peer().has_value());
}

TEST_CASE("route hops without a source are dropped, others kept", "[json-codec]") {
    const HiveMessage message = parse_json_message(
        R"({"msg_type": "ping", "route": [{"source": "a", "targets": ["b"]}, {"targets": ["x"]}, {"source": ""}, 5, {"source": "c"}]})");
    REQUIRE(message.route().size() == 2);
    CHECK(message.route()[0] == RouteHop{"a", {"b"}});
    CHECK(message.route()[1] == RouteHop{"c", {}});
}

TEST_CASE("malformed text frames get typed errors", "[json-codec][bad-input]") {
    CHECK(parse_error("not json") == ErrorCode::malformed_json);
    CHECK(parse_error("[1]") == ErrorCode::malformed_json);
    CHECK(parse_error(R"({"payload": {}})") == ErrorCode::malformed_json);
    CHECK(parse_error(R"({"msg_type": 3})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "pong"})") == ErrorCode::unknown_msg_type);
    CHECK(parse_error(R"({"msg_type": "SHAKE"})") == ErrorCode::unknown_msg_type);
    CHECK(parse_error(R"({"msg_type": "bin", "payload": {}})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "payload": {}, "extra": 1})") ==
          ErrorCode::unknown_key);
    CHECK(parse_error(R"({"msg_type": "bus", "payload": "{}"})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "payload": [1]})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "bin_type": 1})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "bin_type": "0"})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "metadata": []})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "route": {}})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "node": 1})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "source_peer": []})") == ErrorCode::invalid_field);
    CHECK(parse_error(R"({"msg_type": "bus", "target_peers": [1]})") == ErrorCode::invalid_field);
    // Python reports the unexpected `type` keyword before the missing msg_type.
    CHECK(parse_error(R"({"msg_type": "broadcast", "payload": {"type": "speak"}})") ==
          ErrorCode::unknown_key);
    CHECK(parse_error(R"({"msg_type": "broadcast", "payload": {"metadata": {}}})") ==
          ErrorCode::malformed_json);
    CHECK(parse_error(R"({"msg_type": "broadcast", "payload": {"msg_type": "bus", "x": 1}})") ==
          ErrorCode::unknown_key);
    CHECK(parse_error("{\"msg_type\": \"bus\", \"payload\": {\"t\": \"\xff\"}}") ==
          ErrorCode::invalid_utf8);
}

// parse_json_message reads the usual envelope straight from the parsed document; every other
// shape goes through message_from_json. Both must give the same message, or the same error.
TEST_CASE("text frames parse as their JSON value does, whichever path reads them",
          "[json-codec][bad-input]") {
    const auto outcome = [](auto&& parse) -> std::string {
        try {
            return "ok " + serialize_json(parse());
        } catch (const ProtocolError& error) {
            return std::string("error ") + std::string(to_string(error.code())) + ": " +
                   error.what();
        }
    };
    const std::string deep = std::string(130, '[') + std::string(130, ']');
    const std::vector<std::string> texts = {
        // The plain shape, with each field present, absent, null or filled in.
        R"({"msg_type": "bus", "payload": {"type": "speak", "data": {}, "context": {}}})",
        R"({"msg_type": "bus", "payload": null, "metadata": null, "route": null, "node": null,
            "target_site_id": null, "target_pubkey": null, "source_peer": null,
            "target_peers": null, "bin_type": 0})",
        R"({"source_peer": "S0", "route": [{"source": "a", "targets": ["b"]}, {"x": 1}],
            "metadata": {"m": [1, 2.5]}, "node": "n", "target_site_id": "kitchen",
            "target_pubkey": "pk", "target_peers": ["p1", "p2"], "msg_type": "ping"})",
        R"({"msg_type": "propagate", "payload": {"msg_type": "ping", "payload": {"a": 1}},
            "route": []})",
        R"({"msg_type": "broadcast", "payload": {"msg_type": "bus", "payload": {"a": 1},
            "extra": 2}})",
        // Shapes left to the general path.
        R"({"msg_type": "bus", "payload": {"a": 1}, "payload": {"b": 2}})",
        R"({"msg_type": "bus", "msg_type": "ping"})",
        R"({"msg_type": "bus", "bin_type": 1, "extra": 1})",
        R"({"extra": 1, "msg_type": "bus", "bin_type": 1})",
        R"({"msg_type": "bus", "bin_type": 0.0})",
        R"({"msg_type": "bus", "payload": {"a": )" + deep + R"(}, "extra": 1})",
        R"({"msg_type": "bus", "node": 1, "payload": {"a": )" + deep + "}}",
        R"({"msg_type": "bus", "route": [{"source": "a", "targets": )" + deep + "}]}",
        R"({"msg_type": "bus", "source_peer": {"a": )" + deep + "}}",
        R"({"msg_type": "bus", "payload": "{"a": 1}"})",
        R"({"msg_type": "propagate", "payload": {"msg_type": "ping", "payload": "{"a": 1}"},
            "node": "n"})",
        R"({"msg_type": "propagate", "payload": {"msg_type": "ping", "payload": "{"a": 1}"},
            "node": 7})",
        R"({"msg_type": "bus", "metadatA": {}})",
        R"({"msg_type": "bus", "mSg_type": "bus"})",
        R"({"msg_type": "bus", "bin_typE": 0})",
        R"({"msg_type": "bus", "nodE": null, "targets_peer": []})",
        R"({"msg_typ": "bus"})",
        R"({"msg_type": "bin", "payload": {}})",
        R"({"msg_type": "nope"})",
        R"({"msg_type": 1})",
        R"({"payload": {}})",
        "[]",
    };
    for (const bool compat : {false, true}) {
        EnvelopeParseOptions options;
        options.reference_compat = compat;
        for (const auto& text : texts) {
            INFO("compat " << compat << ": " << text);
            const std::string direct = outcome([&] { return parse_json_message(text, options); });
            const std::string general = outcome(
                [&] { return message_from_json(Json::parse(text, options.json), options); });
            CHECK(direct == general);
        }
    }
    // Outside the depth budget the root object itself is refused.
    EnvelopeParseOptions flat;
    flat.json.max_depth = 0;
    CHECK(parse_json_message(R"({"msg_type": "ping"})").type() == MessageType::ping);
    try {
        (void)parse_json_message(R"({"msg_type": "ping"})", flat);
        FAIL("a depth budget of 0 admits no object");
    } catch (const ProtocolError& error) {
        CHECK(error.code() == ErrorCode::nesting_too_deep);
    }
}

TEST_CASE("transport nesting is bounded", "[json-codec][bad-input]") {
    std::string text = R"({"msg_type": "ping"})";
    for (int i = 0; i < 40; ++i)
        text = R"({"msg_type": "propagate", "payload": )" + text + "}";
    CHECK(parse_error(text) == ErrorCode::nesting_too_deep);
    EnvelopeParseOptions generous;
    generous.max_nesting = 64;
    CHECK(parse_json_message(text, generous).type() == MessageType::propagate);
}

TEST_CASE("a compat string payload cannot smuggle JSON past the depth limit",
          "[json-codec][bad-input]") {
    // Found by json_frame_fuzzer (fuzz/regressions/json_frame_fuzzer/): the string used to be
    // parsed with a fresh depth budget, so the accepted message could not be parsed back.
    EnvelopeParseOptions compat;
    compat.reference_compat = true;
    for (std::size_t depth : {120u, 125u, 126u, 127u, 128u}) {
        const std::string inner =
            R"({\"a\": )" + std::string(depth, '[') + std::string(depth, ']') + "}";
        const std::string text = R"({"msg_type": "ping", "payload": ")" + inner + "\"}";
        INFO("depth " << depth);
        std::optional<HiveMessage> accepted;
        try {
            accepted = parse_json_message(text, compat);
        } catch (const ProtocolError& error) {
            CHECK(error.code() == ErrorCode::nesting_too_deep);
        }
        // Whatever was accepted must survive our own strict parser.
        if (accepted)
            CHECK_NOTHROW(parse_json_message(serialize_json(*accepted)));
    }
}

TEST_CASE("the model refuses payloads of the wrong shape", "[json-codec][bad-input]") {
    CHECK_THROWS_AS(HiveMessage(MessageType::broadcast, Json::object()), ProtocolError);
    CHECK_THROWS_AS(HiveMessage(MessageType::binary, Json::object()), ProtocolError);
    CHECK_THROWS_AS(HiveMessage(MessageType::bus, Json(JsonArray{})), ProtocolError);
    CHECK_THROWS_AS(HiveMessage::wrap(MessageType::bus, HiveMessage(MessageType::ping)),
                    ProtocolError);
    CHECK_THROWS_AS(HiveMessage::binary_with_code(16, {}), ProtocolError);
    CHECK_THROWS_AS(HiveMessage(MessageType::ping).inner(), ProtocolError);
    CHECK_THROWS_AS(HiveMessage(MessageType::ping).bytes(), ProtocolError);
    CHECK_THROWS_AS(HiveMessage(MessageType::ping).update_hop_data(), ProtocolError);
    CHECK_THROWS_AS(serialize_json(HiveMessage::binary(BinaryPayloadType::file, {1})),
                    ProtocolError);
}

TEST_CASE("random messages of every text type round-trip", "[json-codec][property]") {
    hivescope::test::MessageGenerator generator(2026);
    for (int i = 0; i < 4000; ++i) {
        const HiveMessage message = generator.any_message(false);
        const std::string text = serialize_json(message);
        INFO(text);
        const HiveMessage back = parse_json_message(text);
        REQUIRE(back == message);
        REQUIRE(serialize_json(back) == text);
    }
}

TEST_CASE("copies are deep and independent", "[json-codec]") {
    HiveMessage original = HiveMessage::wrap(
        MessageType::broadcast, HiveMessage(MessageType::ping, JsonObject{{"flood_id", "a"}}));
    HiveMessage copy = original;
    copy.inner().payload()["flood_id"] = "b";
    CHECK(original.inner().payload().get_string("flood_id") == "a");
    CHECK_FALSE(copy == original);
    copy = original;
    CHECK(copy == original);
}

TEST_CASE("OVOS bus messages: session access and reply", "[json-codec][bus]") {
    BusMessage utterance("recognizer_loop:utterance", JsonObject{{"utterances", JsonArray{"hi"}}});
    CHECK(utterance.session_id() == "default");
    utterance.set_session(JsonObject{{"session_id", "s1"}, {"site_id", "kitchen"}});
    utterance.context()["source"] = "sat";
    utterance.context()["destination"] = "HiveMind";
    CHECK(utterance.session_id() == "s1");
    CHECK(utterance.site_id() == "kitchen");

    const BusMessage reply = utterance.reply("speak", JsonObject{{"utterance", "hello"}});
    CHECK(reply.type() == "speak");
    CHECK(reply.source() == Json("HiveMind"));
    CHECK(reply.destination() == Json("sat"));
    CHECK(reply.session_id() == "s1");
    CHECK(utterance.response().type() == "recognizer_loop:utterance.response");
    CHECK(utterance.forward("x").context() == utterance.context());

    const HiveMessage wrapped = HiveMessage::bus(utterance);
    CHECK(wrapped.bus_message() == utterance);
    CHECK(wrapped.payload().dump().rfind(R"({"type": "recognizer_loop:utterance", "data": )", 0) ==
          0);
    CHECK_THROWS_AS(BusMessage::from_json(Json::parse(R"({"data": {}})")), ProtocolError);
    CHECK_THROWS_AS(BusMessage::from_json(Json::parse(R"({"type": "x", "data": []})")),
                    ProtocolError);
}

TEST_CASE("addressing fields are values: copied, cleared and compared like the rest",
          "[json-codec][hive-message]") {
    HiveMessage plain(MessageType::bus, Json{{"type", "speak"}});
    HiveMessage addressed = plain;
    addressed.set_node("M0").set_target_site_id("kitchen").set_target_pubkey("PEM");
    addressed.set_target_peers({"a", "b"});
    CHECK(addressed != plain);
    CHECK(plain.node() == std::nullopt);
    CHECK(plain.target_peers().empty());

    // A copy owns its fields: changing it leaves the original as it was.
    HiveMessage copy = addressed;
    CHECK(copy == addressed);
    copy.set_target_site_id("garage").set_target_peers({"c"});
    CHECK(addressed.target_site_id() == std::optional<std::string>("kitchen"));
    CHECK(addressed.target_peers() == std::vector<std::string>{"a", "b"});
    CHECK(copy != addressed);

    // Clearing every field makes it equal to a message that never had them.
    copy.set_node(std::nullopt).set_target_site_id(std::nullopt).set_target_pubkey(std::nullopt);
    copy.set_target_peers({});
    CHECK(copy == plain);
    // They still reach the wire as before.
    CHECK(serialize_json(addressed).find(R"("target_site_id": "kitchen")") != std::string::npos);
    CHECK(parse_json_message(serialize_json(addressed)).target_pubkey() ==
          std::optional<std::string>("PEM"));
    // A hop from update_hop_data names the explicit target peers.
    addressed.set_source_peer("S0").update_hop_data();
    REQUIRE(addressed.route().size() == 1);
    CHECK(addressed.route()[0].targets == std::vector<std::string>{"a", "b"});
}
