#include "protocol_bench.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <cstdio>

namespace hivescope::bench {

using namespace hivescope::protocol;

namespace {

// A typical utterance from a satellite, about 300 bytes on the wire.
HiveMessage typical_bus_message() {
    BusMessage utterance(
        "recognizer_loop:utterance",
        JsonObject{{"utterances", JsonArray{"what time is it in lisbon"}}, {"lang", "en-us"}});
    utterance.context()["source"] = "kitchen-satellite";
    utterance.context()["destination"] = "HiveMind";
    utterance.set_session(JsonObject{{"session_id", "3f1c2a9e-5b7d-4c1e-9a8f-0d2b6e4c7a13"},
                                     {"site_id", "kitchen"},
                                     {"lang", "en-us"}});
    return HiveMessage::bus(utterance);
}

} // namespace

void run_protocol_benchmarks(Runner& runner) {
    const HiveMessage message = typical_bus_message();
    const std::string text = serialize_json(message);

    runner.run("json: serialize BUS", text.size(), [&] { keep(serialize_json(message)); });
    runner.run("json: parse BUS", text.size(), [&] { keep(parse_json_message(text)); });
    runner.run("json: parse + serialize BUS", text.size(),
               [&] { keep(serialize_json(parse_json_message(text))); });
}

} // namespace hivescope::bench
