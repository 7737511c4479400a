// Template: PROPAGATE and ESCALATE through a relay (protocol.md B.7). A relay is a master to its
// satellites and a satellite of its own master. PROPAGATE spreads everywhere but back to where it
// came from; ESCALATE only goes up. Every hop adds itself to the route, so nothing loops.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("messages travel through a relay", "[template][relay]") {
    GIVEN("M0 ← R0 ← {S0, S1}") {
        auto hive = hivescope::scenarios::with_relay({"recognizer_loop:utterance"}).start();
        hive.run_until_idle();
        auto& m0 = hive.master("M0");
        auto& r0 = hive.relay("R0");
        auto& s0 = hive.satellite("S0");
        auto& s1 = hive.satellite("S1");
        const auto note = hivescope::bus("hive.note", {{"text", "hello hive"}});

        WHEN("S0 propagates") {
            s0.role().propagate(note);
            hive.run_until_idle();
            THEN("its sibling and the top master receive it, S0 does not get it back") {
                REQUIRE_THAT(r0.recorder(), Received(MessageType::propagate).from(s0));
                REQUIRE_THAT(s1.recorder(),
                             Received(MessageType::propagate).with_type("hive.note").from(r0));
                REQUIRE_THAT(m0.recorder(),
                             Received(MessageType::propagate).with_type("hive.note").from(r0));
                REQUIRE_THAT(s0.recorder(), !Received(MessageType::propagate));
                // The route names every hop: S0, then R0.
                REQUIRE_THAT(m0.recorder(), Received(MessageType::propagate)
                                                .where(
                                                    [](const hivescope::record::Record& r) {
                                                        const auto& route = r.message->route();
                                                        return route.size() == 2 &&
                                                               route[0].source == "S0" &&
                                                               route[1].source == "R0";
                                                    },
                                                    "the route is S0, R0"));
            }
        }
        WHEN("S0 escalates") {
            s0.role().escalate(note);
            hive.run_until_idle();
            THEN("it goes up to M0 only") {
                REQUIRE_THAT(m0.recorder(), Received(MessageType::escalate).from(r0).times(1));
                REQUIRE_THAT(s1.recorder(), !Received(MessageType::escalate));
                REQUIRE_THAT(r0.recorder(), Sent(MessageType::escalate).to(m0).times(1));
            }
        }
    }
}
