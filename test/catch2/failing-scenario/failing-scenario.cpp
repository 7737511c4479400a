// A scenario that fails on purpose. It is built as its own executable and never registered as a
// test: listener-test.cpp runs it as a subprocess and checks that the failing run printed the
// seed and the trace, and wrote the Mermaid diagram, while the passing run printed nothing.

#include "hivescope/catch2/hivescope_catch2.hpp"

SCENARIO("a deliberately failing scenario", "[failing]") {
    GIVEN("a master with one satellite that may only speak") {
        auto builder = hivescope::scenarios::single_satellite({"speak"});
        hivescope::fixtures::prepare_for_tests(builder);
        auto hive = builder.start();
        hive.run_until_idle();
        auto& s0 = hive.satellite("S0");
        WHEN("the satellite sends an utterance it may not send") {
            s0.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hello"}}}));
            hive.run_until_idle();
            THEN("the test insists it was injected (it was denied)") {
                REQUIRE(hive.master("M0").agent().injected_of("recognizer_loop:utterance").size() ==
                        1);
            }
            THEN("a passing sibling path reports nothing") {
                CHECK(hive.master("M0").agent().injected_of("recognizer_loop:utterance").empty());
            }
        }
    }
}

SCENARIO("a passing scenario next to it", "[passing]") {
    GIVEN("the same hive") {
        auto builder = hivescope::scenarios::single_satellite({"speak"});
        hivescope::fixtures::prepare_for_tests(builder);
        auto hive = builder.start();
        THEN("nothing is reported for it") {
            CHECK(hive.satellite("S0").handshake_complete());
        }
    }
}
