// docs/guide.md, "Large topologies".
#include <hivescope/catch2/hivescope_catch2.hpp>

#include <algorithm>
#include <string>

using namespace hivescope::matchers;

SCENARIO("guide: a hundred satellites, built again for every path", "[guide][large]") {
    GIVEN("a star of 100 satellites, built fast") {
        auto builder = hivescope::scenarios::star_topology(100, {"speak"});
        // Simulated-only speed-ups: 1000 PBKDF2 iterations instead of 100000, no satellite RSA
        // keys (no INTERCOM), and the seed of this run (--rng-seed).
        hivescope::fixtures::prepare_for_tests(builder);
        auto hive = builder.start();
        hive.run_until_idle();
        auto& master = hive.master("M0");

        THEN("every satellite is registered") {
            REQUIRE(master.clients().size() == 100);
            REQUIRE_THAT(master, ClientRegistered("S99"));
        }
        WHEN("every satellite speaks at once") {
            for (const auto& name : hive.satellite_names())
                hive.satellite(name).send(hivescope::bus("speak", {{"from", name}}));
            hive.run_until_idle();

            THEN("the master injects each utterance once") {
                REQUIRE_THAT(master.recorder(), Injected("speak").times(100));
                for (const auto& name : hive.satellite_names())
                    REQUIRE_THAT(master.recorder(), Injected("speak").from(name).times(1));
            }
        }
    }
    // Each run's hive is gone once its GIVEN ends: nothing leaks into the next path.
    REQUIRE(hivescope::catch2::hives_alive() == 0);
}

SCENARIO("guide: a deep tree of relays", "[guide][large]") {
    GIVEN("a tree of depth 3 and branching 3: 13 masters and relays, 27 satellites") {
        auto builder = hivescope::scenarios::tree(3, 3, {"speak"});
        hivescope::fixtures::prepare_for_tests(builder);
        auto hive = builder.start();
        hive.run_until_idle();

        WHEN("a leaf satellite propagates") {
            auto& leaf = hive.satellite("S0.0.0");
            leaf.role().propagate(hivescope::bus("hive.note"));
            hive.run_until_idle();

            THEN("every other satellite receives it once") {
                for (const auto& name : hive.satellite_names()) {
                    const auto expected = name == "S0.0.0" ? 0u : 1u;
                    REQUIRE_THAT(hive.recorder(name),
                                 Received(MessageType::propagate).times(expected));
                }
            }
        }
    }
}
