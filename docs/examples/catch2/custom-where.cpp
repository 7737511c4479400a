// docs/custom-matchers.md, "Before you write a class": a one-off condition with where().
#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;
using hivescope::record::Record;

namespace {
// The utterance of an injected recognizer_loop:utterance, or "".
std::string utterance(const Record& record) {
    if (!record.message || record.bus_type() != "recognizer_loop:utterance")
        return {};
    const auto bus = hivescope::protocol::BusMessage::from_json(record.message->payload());
    const auto* utterances = bus.data().find("utterances");
    return utterances != nullptr && utterances->is_array() && !utterances->as_array().empty()
               ? utterances->as_array()[0].as_string()
               : std::string();
}
} // namespace

TEST_CASE("custom matchers: a where() predicate", "[docs][custom-matchers]") {
    auto builder = hivescope::scenarios::single_satellite({"recognizer_loop:utterance"});
    auto hive = hivescope::fixtures::prepare_for_tests(builder).start();
    hive.run_until_idle();
    auto& s0 = hive.satellite("S0");
    s0.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"lights on"}}}));
    hive.run_until_idle();

    const auto said = [](std::string text) {
        return [text](const Record& record) { return utterance(record) == text; };
    };
    const auto& master = hive.master("M0").recorder();
    REQUIRE_THAT(master, Injected("recognizer_loop:utterance")
                             .from(s0)
                             .where(said("lights on"), "it says \"lights on\"")
                             .times(1));

    const auto wrong =
        Injected("recognizer_loop:utterance").where(said("lights off"), "it says \"lights off\"");
    REQUIRE_FALSE(wrong.match(master));
    REQUIRE(wrong.describe() ==
            "injected at least 1 `recognizer_loop:utterance` where it says \"lights off\" (saw 0; "
            "injected: hive.client.connect×1, recognizer_loop:utterance×1; of 1 "
            "`recognizer_loop:utterance`: 1 not where it says \"lights off\")");
}
