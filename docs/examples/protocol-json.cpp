// Build a BUS message, send it as a text frame, read it back, and handle a malformed frame.
#include <hivescope/protocol/bus_message.hpp>
#include <hivescope/protocol/error.hpp>
#include <hivescope/protocol/json_codec.hpp>

#include <cstdio>
#include <stdexcept>

using namespace hivescope::protocol;

int main() {
    BusMessage utterance(
        "recognizer_loop:utterance",
        JsonObject{{"utterances", JsonArray{"what time is it"}}, {"lang", "en-us"}});
    utterance.set_session(JsonObject{{"session_id", "3f1c"}, {"site_id", "kitchen"}});
    const HiveMessage message = HiveMessage::bus(utterance);

    // Byte-identical to hivemind_bus_client's HiveMessage.serialize().
    const std::string frame = serialize_json(message);
    std::printf("%s\n", frame.c_str());

    const HiveMessage received = parse_json_message(frame);
    if (!(received == message) || received.bus_message().site_id() != "kitchen")
        throw std::logic_error("round trip changed the message");

    // A key the Python reference would choke on is a typed error, not a crash.
    try {
        (void)parse_json_message(R"({"msg_type": "bus", "payload": {}, "extra": 1})");
        throw std::logic_error("an unknown key was accepted");
    } catch (const ProtocolError& error) {
        if (error.code() != ErrorCode::unknown_key)
            throw;
        std::printf("refused: %s\n", error.what());
    }
}
