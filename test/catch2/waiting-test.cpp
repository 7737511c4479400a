// Waiting in virtual time: a wait returns the awaited record as soon as it is recorded, counts
// only what comes after the call (or after a given mark), and times out after exactly its
// virtual budget with a WaitTimeout carrying the recent trace.

#include "hivescope/catch2/hivescope_catch2.hpp"

#include <chrono>

using namespace std::chrono_literals;
using hivescope::WaitTimeout;
using hivescope::protocol::MessageType;
using hivescope::record::Kind;

namespace {

hivescope::topology::Hive started(hivescope::topology::TopologyBuilder builder) {
    hivescope::fixtures::prepare_for_tests(builder);
    auto hive = builder.start();
    hive.run_until_idle();
    return hive;
}

} // namespace

TEST_CASE("wait_for returns the first matching record after the call", "[waiting]") {
    auto hive = started(hivescope::scenarios::single_satellite({"speak"}));
    auto& s0 = hive.satellite("S0");
    const auto before = hive.simulation().now();
    const auto s0_mark = hive.recorder("S0").mark();
    s0.send(hivescope::bus("speak", {{"utterance", "hello"}}));

    SECTION("by message type, at a node given by name") {
        const auto received = hivescope::wait_for(hive, "M0", MessageType::bus);
        CHECK(received.node == "M0");
        CHECK(received.kind == Kind::in);
        CHECK(received.bus_type() == "speak");
        // The wait stopped at the record: one link delay, not the 5 s budget.
        CHECK(hive.simulation().now() - before == 1ms);
    }
    SECTION("by injected OVOS type, at a node given by reference") {
        const auto injected = hivescope::wait_for_injected(hive, hive.master("M0"), "speak");
        CHECK(injected.kind == Kind::inject);
        CHECK(injected.message->type() == MessageType::bus);
    }
    SECTION("by predicate, from a mark taken before the send") {
        const auto out = hivescope::wait_for(
            hive, s0,
            [](const hivescope::record::Record& r) {
                return r.kind == Kind::out && r.bus_type() == "speak";
            },
            "send speak", 1s, s0_mark);
        CHECK(out.node == "S0");
        CHECK(out.peer == "M0");
        CHECK(hive.simulation().now() == before); // already recorded: nothing ran
    }
}

TEST_CASE("a wait times out after exactly its virtual budget, carrying the trace", "[waiting]") {
    auto hive = started(hivescope::scenarios::single_satellite({"speak"}));
    const auto before = hive.simulation().now();
    const auto wall_before = std::chrono::steady_clock::now();
    try {
        (void)hivescope::wait_for(hive, "S0", MessageType::bus, 30s);
        FAIL("no bus was ever sent to S0");
    } catch (const WaitTimeout& timeout) {
        CHECK(hive.simulation().now() - before == 30s);
        CHECK(timeout.timeout() == 30s);
        CHECK(timeout.started() == before);
        CHECK(timeout.expectation() == "S0 to receive a `bus`");
        const std::string what = timeout.what();
        CHECK(what.rfind("timed out waiting for S0 to receive a `bus` within 30000.000ms of "
                         "virtual time (t=5.000ms to t=30005.000ms)\nrecent trace:\n",
                         0) == 0);
        CHECK(what.find(timeout.trace()) != std::string::npos);
        // Bounded: at most wait_trace_lines lines plus the "(… N earlier records)" line.
        const auto lines = std::count(timeout.trace().begin(), timeout.trace().end(), '\n');
        CHECK(lines <= static_cast<long>(hivescope::wait_trace_lines) + 1);
        CHECK(timeout.trace().find("M0 verdict ← S0::1::S0::") != std::string::npos);
    }
    // Virtual time: 30 s cost no wall time worth measuring.
    CHECK(std::chrono::steady_clock::now() - wall_before < 5s);
}

TEST_CASE("a wait can look back from a mark", "[waiting]") {
    auto hive = started(hivescope::scenarios::single_satellite({"speak"}));
    const auto mark = hive.recorder("M0").mark();
    hive.satellite("S0").send(hivescope::bus("speak"));
    hive.run_until_idle();

    // Without the mark, the injection already happened and does not count.
    CHECK_THROWS_AS(hivescope::wait_for_injected(hive, "M0", "speak", 1s), WaitTimeout);
    // From the mark, it is found without running anything.
    const auto now = hive.simulation().now();
    const auto found = hivescope::wait_for(
        hive, "M0",
        [](const hivescope::record::Record& r) {
            return r.kind == Kind::inject && r.bus_type() == "speak";
        },
        "inject speak", 1s, mark);
    CHECK(found.sequence >= mark.position);
    CHECK(hive.simulation().now() == now);
}

TEST_CASE("waiting on an unknown node is a typed error listing the nodes", "[waiting]") {
    auto hive = started(hivescope::scenarios::single_satellite());
    CHECK_THROWS_WITH(hivescope::wait_for(hive, "S9", MessageType::bus, 1s),
                      "no node named \"S9\" (masters: M0; relays: none; satellites: S0)");
}

TEST_CASE("node.wait_for waits on the node itself", "[waiting]") {
    auto hive = started(hivescope::scenarios::single_satellite({"speak"}));
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    const auto before = hive.simulation().now();
    s0.send(hivescope::bus("speak", {{"utterance", "hello"}}));

    SECTION("a received type returns the record after one link delay") {
        const auto received = master.wait_for(MessageType::bus);
        CHECK(received.node == "M0");
        CHECK(received.kind == Kind::in);
        CHECK(received.bus_type() == "speak");
        CHECK(hive.simulation().now() - before == 1ms);
    }
    SECTION("an injected OVOS type") {
        CHECK(master.wait_for_injected("speak").kind == Kind::inject);
    }
    SECTION("a predicate") {
        const auto verdict = master.wait_for(
            [](const hivescope::record::Record& r) { return r.kind == Kind::verdict; },
            "decide on a message");
        CHECK(verdict.outcome == hivescope::record::Outcome::allowed);
    }
    SECTION("a timeout names the node and carries its own records") {
        try {
            (void)s0.wait_for(MessageType::propagate, 2s);
            FAIL("nothing propagates to S0");
        } catch (const WaitTimeout& timeout) {
            CHECK(timeout.expectation() == "S0 to receive a `propagate`");
            CHECK(timeout.timeout() == 2s);
            CHECK(hive.simulation().now() - before == 2s);
            CHECK(timeout.trace().find("S0 out → M0 bus speak") != std::string::npos);
            CHECK(timeout.trace().find("ms M0 ") == std::string::npos); // only S0's records
        }
    }
}
