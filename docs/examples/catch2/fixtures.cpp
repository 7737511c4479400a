// docs/guide.md, "Fixtures".
#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

TEST_CASE_METHOD(hivescope::fixtures::RestrictedSatellite,
                 "guide: a restricted satellite may only send utterances", "[guide]") {
    // A fresh hive for every run, seeded from --rng-seed: M0 and S_RESTRICTED.
    REQUIRE(hive.simulation().seed() == hivescope::fixtures::test_seed());

    SECTION("utterances are injected") {
        restricted.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hi"}}}));
        hive.run_until_idle();
        REQUIRE_THAT(master.recorder(), Injected("recognizer_loop:utterance").from(restricted));
    }
    SECTION("an ESCALATE costs it the connection") {
        restricted.role().escalate(hivescope::bus("recognizer_loop:utterance"));
        hive.run_until_idle();
        REQUIRE_THAT(master.recorder(), Closed(1008, "illegal escalate"));
        REQUIRE_THAT(restricted, !ConnectedTo(master));
    }
}
