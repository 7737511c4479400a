// Template: passthrough types (protocol.md B.11). RENDEZVOUS and `3rdparty` have no built-in
// handler: the master records them and hands them to a user hook, without routing them anywhere.
// Swap the type for the one your extension uses.

#include <hivescope/catch2/hivescope_catch2.hpp>

#include <string>
#include <vector>

using namespace hivescope::matchers;
using hivescope::protocol::HiveMessage;

SCENARIO("an unhandled message type is handed to the master's hook", "[template][passthrough]") {
    GIVEN("a master with a rendezvous hook and two satellites") {
        auto builder = hivescope::scenarios::three_satellites();
        std::vector<std::string> seen; // what the hook got, as "<peer> <payload>"
        builder.get_master("M0").options.hooks.on_rendezvous = [&seen](const HiveMessage& message,
                                                                       const std::string& peer) {
            seen.push_back(peer + " " + message.payload().dump());
        };
        auto hive = builder.start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");

        WHEN("S0 sends a RENDEZVOUS") {
            s0.send(HiveMessage(MessageType::rendezvous, {{"custom", "user-land payload"}}));
            hive.run_until_idle();
            THEN("the master receives it once and calls the hook; nobody else sees it") {
                REQUIRE_THAT(master.recorder(),
                             Received(MessageType::rendezvous).from(s0).times(1) &&
                                 Dispatched("rendezvous").from(s0).times(1));
                REQUIRE(seen.size() == 1);
                REQUIRE(seen[0].find("user-land payload") != std::string::npos);
                REQUIRE_THAT(hive.recorder("S1"), !Received(MessageType::rendezvous));
                REQUIRE_THAT(master.recorder(), !Sent(MessageType::rendezvous));
            }
        }
    }
}
