// docs/guide.md, "Your first scenario".
#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("guide: a satellite's utterance reaches the master", "[guide]") {
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
            }
            THEN("the satellite was not told off") {
                REQUIRE_THAT(s0.recorder(),
                             !Received(MessageType::bus).with_type("hive.policy.denied"));
            }
        }
        WHEN("the satellite sends something it may not send") {
            s0.send(hivescope::bus("speak", {{"utterance", "hi"}}));
            hive.run_until_idle();

            THEN("the master denies it and the satellite hears why") {
                REQUIRE_THAT(master.recorder(), Denied("acl_disallowed_type").from(s0));
                REQUIRE_THAT(s0.recorder(), Injected("hive.policy.denied"));
            }
        }
    }
}
