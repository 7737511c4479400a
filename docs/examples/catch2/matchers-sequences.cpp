// docs/matchers.md, "Order and silence": InOrder, since() and NothingElseSince.
#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("matchers: order and silence", "[docs][matchers]") {
    auto builder = hivescope::scenarios::single_satellite({"speak"});
    auto hive = hivescope::fixtures::prepare_for_tests(builder).start();
    hive.run_until_idle();
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");

    GIVEN("a mark taken before the satellite speaks") {
        const auto mark = hive.mark(); // every node's position, for since() on any recorder

        WHEN("it speaks twice") {
            s0.send(hivescope::bus("speak", {{"utterance", "one"}}));
            s0.send(hivescope::bus("speak", {{"utterance", "two"}}));
            hive.run_until_idle();

            THEN("the handshake came first, then both utterances, in order") {
                REQUIRE_THAT(s0.recorder(), InOrder(Sent(MessageType::hello),
                                                    Sent(MessageType::bus).with_type("speak"),
                                                    Sent(MessageType::bus).with_type("speak")));
                REQUIRE_THAT(master.recorder(),
                             InOrder(Received(MessageType::hello), Injected("speak").times(2)));
            }
            THEN("since(mark) counts only what followed the mark") {
                REQUIRE_THAT(master.recorder(), Received(MessageType::hello).since(mark).never());
                REQUIRE_THAT(master.recorder(), Injected("speak").since(mark).times(2));
            }
            THEN("nothing else happened at the satellite but sending them") {
                REQUIRE_THAT(s0.recorder(),
                             NothingElseSince(mark).except(Sent(MessageType::bus).to(master)));
            }
        }
        WHEN("nothing happens for a second") {
            hive.run_for(std::chrono::seconds(1));

            THEN("no node recorded anything") {
                REQUIRE_THAT(s0.recorder(), NothingElseSince(mark));
                REQUIRE_THAT(master.recorder(), NothingElseSince(mark));
            }
        }
    }
}
