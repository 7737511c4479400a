// Start a preset hive, let a satellite talk to its master, and look at what was recorded.
#include <hivescope/scenarios/presets.hpp>

#include <cstdio>
#include <stdexcept>

using namespace hivescope;

int main() {
    // A master M0 and a satellite S0 allowed to inject utterances.
    topology::TopologyBuilder builder = scenarios::single_satellite({"recognizer_loop:utterance"});
    builder.seed(42);                        // same seed, same trace
    builder.options().kdf_iterations = 1000; // simulated hive only: real peers use 100000
    topology::Hive hive = builder.start();   // connected, handshakes done; stops on scope exit

    node::MasterNode& master = hive.master("M0");
    node::SatelliteNode& satellite = hive.satellite("S0");

    // The master's agent answers utterances; the reply is routed back to the asker only.
    master.agent().on("recognizer_loop:utterance", [&master](const protocol::BusMessage& asked) {
        master.agent().emit(asked.reply("speak", protocol::JsonObject{{"utterance", "noon"}}));
    });

    satellite.send_bus(protocol::BusMessage(
        "recognizer_loop:utterance",
        protocol::JsonObject{{"utterances", protocol::JsonArray{"what time is it"}}}));
    hive.run_until_idle(); // virtual time: no sleeping, no wall clock

    if (master.agent().injected_of("recognizer_loop:utterance").size() != 1)
        throw std::logic_error("the utterance was not injected exactly once");
    if (satellite.bus().injected_of("speak").size() != 1)
        throw std::logic_error("the reply did not come back");

    // Anything outside allowed_types is denied, and the satellite is told why.
    satellite.send_bus(protocol::BusMessage("mycroft.stop"));
    hive.run_until_idle();
    if (satellite.bus().injected_of("hive.policy.denied").size() != 1)
        throw std::logic_error("the denial did not arrive");

    // Every node recorded every frame; print the master's last few records.
    std::printf("%s", master.recorder().snapshot().transcript(6).c_str());
}
