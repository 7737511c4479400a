#pragma once
// The traffic both loopback suites (plain ws:// and TLS) send over a real socket, with the checks
// that it arrived intact.

#include "catch.hpp"

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/topology/hive.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace hivescope::loopback_tests {

/// An utterance goes up, the master's agent answers `speak`, the answer comes back down.
inline void check_speak_round_trip(topology::Hive& hive, node::MasterNode& master,
                                   node::SatelliteNode& sat) {
    using protocol::BusMessage;
    using protocol::Json;
    using protocol::JsonObject;
    master.agent().on("recognizer_loop:utterance", [&](const BusMessage& request) {
        master.agent().emit(
            request.reply("speak", Json(JsonObject{{"utterance", Json("it is noon")}})));
    });
    sat.send_bus(BusMessage(
        "recognizer_loop:utterance",
        Json(JsonObject{{"utterances", Json(protocol::JsonArray{Json("what time is it")})}})));
    REQUIRE(hive.run_until([&] { return !sat.bus().injected_of("speak").empty(); },
                           std::chrono::seconds(5)));
    CHECK(sat.bus().injected_of("speak")[0].data().get_string("utterance") == "it is noon");
}

/// `bytes` of patterned audio reach the master's binary handler unchanged (several frames' worth
/// on a real socket).
inline void check_audio_delivered(topology::Hive& hive, node::MasterNode& master,
                                  node::SatelliteNode& sat, std::size_t bytes, unsigned pattern) {
    protocol::Bytes audio(bytes);
    for (std::size_t i = 0; i < audio.size(); ++i)
        audio[i] = static_cast<std::uint8_t>(i * pattern);
    sat.role().send_binary(protocol::BinaryPayloadType::raw_audio, audio);
    REQUIRE(hive.run_until([&] { return !master.agent().binary_calls().empty(); },
                           std::chrono::seconds(5)));
    CHECK(master.agent().binary_calls()[0].data == audio);
}

} // namespace hivescope::loopback_tests
