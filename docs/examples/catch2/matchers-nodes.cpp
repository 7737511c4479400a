// docs/matchers.md, "Node matchers": live link state of satellites, relays and masters.
#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("matchers: link state through a relay", "[docs][matchers]") {
    auto builder = hivescope::scenarios::with_relay(); // M0 ← R0 ← {S0, S1}
    auto hive = hivescope::fixtures::prepare_for_tests(builder).start();
    hive.run_until_idle();
    auto& m0 = hive.master("M0");
    auto& r0 = hive.relay("R0");
    auto& s0 = hive.satellite("S0");

    REQUIRE_THAT(s0, HandshakeComplete() && ConnectedTo(r0) && EncryptionMatches(r0));
    REQUIRE_THAT(r0, ConnectedTo(m0) && ClientRegistered(s0) && ClientRegistered("S1"));
    REQUIRE_THAT(m0, HandshakeComplete() && ClientRegistered(r0));
    REQUIRE_THAT(s0, !ConnectedTo(m0)); // S0's master is R0

    WHEN("S0 disconnects") {
        s0.disconnect();
        hive.run_until_idle();
        THEN("its link is closed and R0 no longer lists it") {
            REQUIRE_THAT(s0, !HandshakeComplete());
            REQUIRE_THAT(r0, !ClientRegistered(s0) && ClientRegistered("S1"));
        }
    }
}
