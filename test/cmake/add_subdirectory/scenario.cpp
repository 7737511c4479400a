// A consumer's first scenario, built with hivescope as a subdirectory.
#include <hivescope/catch2/hivescope_catch2.hpp>

SCENARIO("an installed hivescope runs a scenario", "[consumer]") {
    GIVEN("a master with one satellite allowed to speak") {
        auto builder = hivescope::scenarios::single_satellite({"speak"});
        builder.options().kdf_iterations = 1000; // simulated hives only: fast handshakes
        builder.options().satellite_pubkeys = false;
        auto hive = builder.start();
        WHEN("the satellite speaks") {
            hive.satellite("S0").send(hivescope::bus("speak", {{"utterance", "hi"}}));
            const auto injected = hivescope::wait_for_injected(hive, "M0", "speak");
            THEN("the master injects it") {
                CHECK(injected.node == "M0");
                CHECK(hivescope::catch2::hives_alive() == 1);
            }
        }
    }
}
