// Template: the handshake. Copy this file into your test suite and change the topology.
//
// A preset returns a builder; start() returns the running hive once every handshake is complete
// and every HELLO is registered at its master. run_until_idle() lets whatever else is queued land.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("a satellite connects with the password handshake", "[template][handshake]") {
    GIVEN("a master with one satellite") {
        auto hive = hivescope::scenarios::single_satellite().start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");

        THEN("both ends agree on the link and the master lists the satellite") {
            REQUIRE_THAT(s0, HandshakeComplete() && ConnectedTo(master));
            REQUIRE_THAT(s0, EncryptionMatches(master));
            REQUIRE_THAT(master, ClientRegistered(s0));
            REQUIRE_THAT(master.recorder(), InOrder(Received(MessageType::handshake).from(s0),
                                                    Received(MessageType::hello).from(s0)));
            REQUIRE(s0.role().protocol_version() == 1); // a handshake, JSON frames
        }
        WHEN("the satellite disconnects") {
            s0.disconnect();
            hive.run_until_idle();
            THEN("the master forgets it") {
                REQUIRE_THAT(master, !ClientRegistered(s0));
                REQUIRE_THAT(s0, !HandshakeComplete());
            }
        }
    }
}
