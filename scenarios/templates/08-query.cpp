// Template: QUERY (protocol.md B.9). The master asks its agent; the answer goes back to the
// asking satellite only. Without an answer, the master replies `hive.query.timeout` after its
// query timeout: 5 s of virtual time, which the simulation skips in no time.

#include <hivescope/catch2/hivescope_catch2.hpp>

#include <chrono>
#include <optional>

using namespace hivescope::matchers;
using namespace std::chrono_literals;
using hivescope::protocol::BusMessage;

SCENARIO("a satellite asks the master a question", "[template][query]") {
    GIVEN("two satellites that may ask") {
        auto hive = hivescope::scenarios::three_satellites({"weather.ask"}).start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");

        WHEN("a skill answers") {
            master.agent().on_query("weather.ask", [](const BusMessage& request) {
                return std::optional<BusMessage>(
                    request.reply("weather.answer", {{"sky", "blue"}}));
            });
            const std::string query_id =
                s0.query(hivescope::bus("weather.ask", {{"city", "Lisbon"}}));
            const auto answer = hivescope::wait_for_injected(hive, s0, "weather.answer");
            THEN("the answer comes back to the asker only") {
                REQUIRE(answer.message->bus_message().data().get_string("sky") == "blue");
                REQUIRE_THAT(master.recorder(), Injected("weather.ask").from(s0).times(1));
                REQUIRE_THAT(master.recorder(), Sent(MessageType::query).to(s0).times(1));
                REQUIRE_THAT(hive.recorder("S1"), !Received(MessageType::query));
                REQUIRE(!query_id.empty());
            }
        }
        WHEN("nobody answers") {
            const auto asked = hive.simulation().now();
            s0.query(hivescope::bus("weather.ask"));
            const auto timeout = hivescope::wait_for_injected(hive, s0, "hive.query.timeout", 10s);
            THEN("the master gives up after its 5 s query timeout") {
                REQUIRE(timeout.time - asked >= 5s);
                REQUIRE(timeout.time - asked < 6s);
                REQUIRE_THAT(s0.recorder(), Injected("hive.query.timeout").times(1));
            }
        }
    }
}
