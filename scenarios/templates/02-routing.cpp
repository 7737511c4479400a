// Template: routing a satellite's message to the master's agent, and the agent's reply back.
//
// This is the scenario of the issue, verbatim. Catch2 runs it once per leaf THEN: each run
// builds its own hive (start() is cheap and deterministic) and the hive stops when it goes out
// of scope.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("a satellite's utterance reaches the master", "[routing]") {
    GIVEN("a master with one satellite allowed to speak") {
        auto hive = hivescope::scenarios::single_satellite({"recognizer_loop:utterance"}).start();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");
        WHEN("the satellite sends an utterance") {
            s0.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hello"}}}));
            hive.run_until_idle();
            THEN("the master injects it once, stamped with the satellite's peer") {
                REQUIRE_THAT(master.recorder(),
                             Injected("recognizer_loop:utterance").from(s0).times(1));
                REQUIRE_THAT(s0.recorder(),
                             !Received(MessageType::bus).with_type("hive.policy.denied"));
            }
        }
    }
}

SCENARIO("a skill's reply goes back to the satellite that asked, and to no other",
         "[template][routing]") {
    GIVEN("three satellites and a skill that answers utterances") {
        auto hive = hivescope::scenarios::three_satellites({"recognizer_loop:utterance"}).start();
        auto& master = hive.master("M0");
        auto& agent = master.agent();
        agent.on("recognizer_loop:utterance", [&agent](const hivescope::protocol::BusMessage& m) {
            agent.emit(m.reply("speak", {{"utterance", "hi there"}}));
        });
        auto& s0 = hive.satellite("S0");
        const auto mark = hive.mark();

        WHEN("S0 speaks") {
            s0.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hello"}}}));
            hive.run_until_idle();
            THEN("only S0 receives the answer") {
                REQUIRE_THAT(master.recorder(), Sent(MessageType::bus).with_type("speak").to(s0));
                REQUIRE_THAT(s0.recorder(), Injected("speak").since(mark).times(1));
                for (const char* other : {"S1", "S2"})
                    REQUIRE_THAT(hive.recorder(other), NothingElseSince(mark));
            }
        }
    }
}
