// docs/guide.md, "Marks and waiting".
#include <hivescope/catch2/hivescope_catch2.hpp>

#include <chrono>

using namespace hivescope::matchers;
using namespace std::chrono_literals;

SCENARIO("guide: assert on what a WHEN caused, and wait in virtual time", "[guide]") {
    GIVEN("a satellite that already spoke once") {
        auto hive = hivescope::scenarios::single_satellite({"speak"}).start();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");
        s0.send(hivescope::bus("speak", {{"utterance", "first"}}));
        hive.run_until_idle();

        WHEN("it speaks again") {
            const auto mark = hive.mark(); // every recorder's position, now
            s0.send(hivescope::bus("speak", {{"utterance", "second"}}));
            const auto injected = hivescope::wait_for_injected(hive, master, "speak");

            THEN("only the second utterance follows the mark") {
                REQUIRE(injected.message->bus_message().data().get_string("utterance") == "second");
                REQUIRE_THAT(master.recorder(), Injected("speak").since(mark).times(1));
                REQUIRE_THAT(master.recorder(), Injected("speak").times(2));
            }
        }
        WHEN("the test waits for something that never comes") {
            THEN("the wait times out after exactly its virtual budget, with the recent trace") {
                const auto before = hive.simulation().now();
                REQUIRE_THROWS_AS(hivescope::wait_for(hive, s0, MessageType::query, 30s),
                                  hivescope::WaitTimeout);
                REQUIRE(hive.simulation().now() - before == 30s);
            }
        }
    }
}
