// Template: CASCADE (protocol.md B.9). A cascade fans out over the whole hive; every node that
// answers sends its answer back along the reverse path to the originator, and only there.

#include <hivescope/catch2/hivescope_catch2.hpp>

#include <chrono>
#include <optional>

using namespace hivescope::matchers;
using namespace std::chrono_literals;
using hivescope::protocol::BusMessage;

SCENARIO("a cascade collects answers from every satellite", "[template][cascade]") {
    GIVEN("three satellites; S1 and S2 can answer") {
        auto hive = hivescope::scenarios::three_satellites({"who.is.there"}).start();
        hive.run_until_idle();
        auto& s0 = hive.satellite("S0");
        for (const char* name : {"S1", "S2"}) {
            hive.satellite(name).bus().on_query("who.is.there", [name](const BusMessage& request) {
                return std::optional<BusMessage>(request.reply("here", {{"name", name}}));
            });
        }

        WHEN("S0 cascades the question") {
            s0.cascade(hivescope::bus("who.is.there"));
            hive.run_for(10s);
            THEN("both answers reach S0, and nobody else") {
                REQUIRE_THAT(s0.recorder(), Injected("here").times(2));
                REQUIRE_THAT(s0.recorder(),
                             Received(MessageType::cascade).from(hive.master("M0")).at_least(2));
                for (const char* name : {"S1", "S2"}) {
                    REQUIRE_THAT(hive.recorder(name), Injected("who.is.there").times(1));
                    REQUIRE_THAT(hive.recorder(name), !Injected("here"));
                }
            }
        }
    }
}
