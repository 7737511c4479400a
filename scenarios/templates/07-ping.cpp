// Template: PING discovery (protocol.md B.8). A flood started anywhere is answered once by every
// node, and the answers cross the whole hive, so every node's hive map learns every node.

#include <hivescope/catch2/hivescope_catch2.hpp>

#include <set>
#include <string>

using namespace hivescope::matchers;

SCENARIO("a ping flood maps the whole hive", "[template][ping]") {
    GIVEN("a tree of depth 2: M0, two relays, four satellites") {
        auto builder = hivescope::scenarios::tree(2, 2);
        builder.options().satellite_pubkeys = false; // no INTERCOM here: skip the RSA keys
        auto hive = builder.start();
        hive.run_until_idle();

        std::set<std::string> everyone{hive.master_names().begin(), hive.master_names().end()};
        everyone.insert(hive.relay_names().begin(), hive.relay_names().end());
        everyone.insert(hive.satellite_names().begin(), hive.satellite_names().end());

        WHEN("the top master starts a flood") {
            hive.master("M0").start_ping_flood();
            hive.run_until_idle();
            THEN("every node knows every other node") {
                REQUIRE(hive.master("M0").core().hive_map().nodes() == everyone);
                for (const auto& name : hive.relay_names())
                    REQUIRE(hive.relay(name).core().hive_map().nodes() == everyone);
                for (const auto& name : hive.satellite_names()) {
                    auto& satellite = hive.satellite(name);
                    REQUIRE(satellite.core().hive_map().nodes() == everyone);
                    REQUIRE_THAT(satellite.recorder(),
                                 Received(MessageType::propagate).inner(MessageType::ping));
                }
            }
        }
        WHEN("a leaf satellite starts it") {
            hive.satellite("S1.1").role().start_ping_flood();
            hive.run_until_idle();
            THEN("the map is the same from there") {
                REQUIRE(hive.satellite("S0.0").core().hive_map().nodes() == everyone);
                REQUIRE(hive.master("M0").core().hive_map().nodes() == everyone);
            }
        }
    }
}
