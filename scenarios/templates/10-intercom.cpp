// Template: INTERCOM (protocol.md B.10). A satellite seals a message for one addressee's RSA key
// and wraps it in a transport to cross the hive. Masters and other satellites pass it on unread;
// only the addressee verifies the signature, decrypts and injects it.
//
// INTERCOM needs RSA keys: satellites announce theirs by default (HiveOptions::satellite_pubkeys),
// and preload_trusted_keys lets each node verify the others' signatures.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;
using hivescope::protocol::HiveMessage;

SCENARIO("a sealed note reaches only its addressee", "[template][intercom]") {
    GIVEN("three satellites that trust each other's keys") {
        auto builder = hivescope::scenarios::three_satellites({"intercom.note"});
        builder.options().preload_trusted_keys = true;
        auto hive = builder.start();
        hive.run_until_idle();
        auto& s0 = hive.satellite("S0");
        auto& s1 = hive.satellite("S1");
        auto& s2 = hive.satellite("S2");

        WHEN("S0 propagates a note sealed for S1") {
            const std::string s1_key = s1.core().identity().public_pem();
            s0.role().send_intercom(
                HiveMessage::bus(hivescope::bus("intercom.note", {{"text", "psst"}})), s1_key,
                MessageType::propagate);
            hive.run_until_idle();
            THEN("S1 opens and injects it; the master and S2 only carry it") {
                REQUIRE_THAT(s1.recorder(), Injected("intercom.note").times(1));
                REQUIRE(s1.bus().injected_of("intercom.note")[0].data().get_string("text") ==
                        "psst");
                REQUIRE_THAT(s2.recorder(),
                             Received(MessageType::propagate).inner(MessageType::intercom));
                REQUIRE_THAT(s2.recorder(), !Injected("intercom.note"));
                REQUIRE_THAT(hive.master("M0").recorder(), !Injected("intercom.note"));
            }
        }
    }
}
