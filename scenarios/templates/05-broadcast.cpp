// Template: BROADCAST (protocol.md B.4, B.7). Only an admin with can_broadcast may broadcast;
// the master re-wraps the message for every other registered client, never back to the sender.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("an admin satellite broadcasts to the other satellites", "[template][broadcast]") {
    GIVEN("three satellites, S0 an admin") {
        auto builder = hivescope::scenarios::three_satellites({"speak"});
        builder.get_satellite("S0").acl.is_admin = true;
        auto hive = builder.start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");

        WHEN("S0 broadcasts a `speak`") {
            s0.role().broadcast(hivescope::bus("speak", {{"utterance", "dinner is ready"}}));
            hive.run_until_idle();
            THEN("every other satellite receives it, still wrapped in its BROADCAST") {
                for (const char* name : {"S1", "S2"}) {
                    auto& other = hive.satellite(name);
                    REQUIRE_THAT(other.recorder(), Received(MessageType::broadcast)
                                                       .inner(MessageType::bus)
                                                       .with_type("speak")
                                                       .from(master)
                                                       .times(1));
                }
                REQUIRE_THAT(master.recorder(), Sent(MessageType::broadcast).times(2));
                REQUIRE_THAT(s0.recorder(), !Received(MessageType::broadcast));
            }
        }
        WHEN("a non-admin tries") {
            auto& s1 = hive.satellite("S1");
            s1.role().broadcast(hivescope::bus("speak"));
            hive.run_until_idle();
            THEN("the master disconnects it and forwards nothing") {
                REQUIRE_THAT(master.recorder(),
                             Closed(1008, "illegal broadcast") && !Sent(MessageType::broadcast));
                REQUIRE_THAT(s1, !ConnectedTo(master));
            }
        }
    }
}
