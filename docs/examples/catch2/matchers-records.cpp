// docs/matchers.md, "Record matchers": what a node received, sent, injected, denied, dropped,
// closed and dispatched, narrowed by filters and counted.
#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;
using hivescope::record::Record;

SCENARIO("matchers: a satellite speaks, once allowed and once not", "[docs][matchers]") {
    auto builder = hivescope::scenarios::single_satellite({"recognizer_loop:utterance"});
    auto hive = hivescope::fixtures::prepare_for_tests(builder).start();
    hive.run_until_idle(); // start() returns before the last HELLO lands
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");

    s0.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hello"}}}));
    s0.send(hivescope::bus("speak", {{"utterance", "not allowed"}}));
    s0.send(hivescope::protocol::HiveMessage(MessageType::ping, {{"flood_id", "f1"}})); // dropped
    hive.run_until_idle();

    // Each factory picks one kind of record; filters narrow it; the count defaults to "at least 1".
    REQUIRE_THAT(master.recorder(), Received(MessageType::bus).from(s0).times(2));
    REQUIRE_THAT(master.recorder(), Injected("recognizer_loop:utterance").from(s0).times(1));
    REQUIRE_THAT(master.recorder(), Denied("acl_disallowed_type").from("S0"));
    REQUIRE_THAT(master.recorder(), Sent(MessageType::bus).to(s0).with_type("hive.policy.denied"));
    REQUIRE_THAT(master.recorder(), Dropped("bare ping").from(s0));
    REQUIRE_THAT(master.recorder(), Injected("speak").never());
    REQUIRE_THAT(s0.recorder(), Received(MessageType::bus).from(master).at_least(1));
    REQUIRE_THAT(s0.recorder(), Dispatched("link open"));

    // where(): any predicate over a Record, with the words that complete the phrase.
    REQUIRE_THAT(master.recorder(), Injected("recognizer_loop:utterance")
                                        .where([](const Record& r) { return r.time.count() > 0; },
                                               "after the start of time"));

    // The same matchers work on a view, e.g. only what followed a mark.
    const auto mark = master.recorder().mark();
    s0.disconnect();
    hive.run_until_idle();
    REQUIRE_THAT(master.recorder().since(mark), Injected("hive.client.disconnect").times(1));
    REQUIRE_THAT(s0.recorder(), Closed(1000, "disconnect"));

    // A matcher that fails says what it saw instead (computed while matching).
    const auto wrong = Injected("speak").from(s0);
    REQUIRE_FALSE(wrong.match(master.recorder()));
    REQUIRE(wrong.describe() ==
            "injected at least 1 `speak` from S0 (saw 0; injected: hive.client.connect×1, "
            "recognizer_loop:utterance×1, hive.client.disconnect×1)");
}
