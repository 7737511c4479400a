// The event loop: ordering, virtual time, cancellation and the run_* family.

#include "catch.hpp"

#include "hivescope/sim/simulation.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace hivescope::sim;
using namespace std::chrono_literals;

TEST_CASE("events run in (time, insertion) order on a virtual clock", "[sim]") {
    Simulation sim(1);
    std::vector<std::string> log;
    sim.schedule_after(2ms, [&] { log.push_back("b@" + format_time(sim.now())); });
    sim.schedule_after(1ms, [&] { log.push_back("a@" + format_time(sim.now())); });
    sim.schedule_after(2ms, [&] { log.push_back("c@" + format_time(sim.now())); });
    sim.schedule_after(0ms, [&] {
        // An action that schedules never runs the new event re-entrantly.
        sim.schedule_after(0ms, [&] { log.push_back("nested"); });
        log.push_back("first");
    });
    CHECK(sim.pending_events() == 4);
    CHECK(sim.run_until_idle());
    CHECK(log ==
          std::vector<std::string>{"first", "nested", "a@1.000ms", "b@2.000ms", "c@2.000ms"});
    CHECK(sim.now() == 2ms);
    CHECK(sim.events_run() == 5);
}

TEST_CASE("events scheduled out of order, in order and from inside events all run in (time, "
          "insertion) order",
          "[sim]") {
    // Ascending runs (as a link's frames are) interleaved with earlier and equal times, and
    // events that schedule more: the run order must be the (time, insertion) sort of them all.
    Simulation sim(3);
    std::vector<std::pair<Duration, int>> expected;
    std::vector<int> ran;
    int next = 0;
    std::uint32_t state = 12345;
    const auto draw = [&state](std::uint32_t n) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % n;
    };
    std::function<void(int)> add = [&](int depth) {
        const Duration delay = std::chrono::microseconds(draw(4) == 0 ? draw(50) : 40 + next);
        const int label = next++;
        expected.emplace_back(sim.now() + delay, label);
        sim.schedule_after(delay, [&, label, depth] {
            ran.push_back(label);
            if (depth < 2 && draw(3) == 0)
                add(depth + 1);
        });
    };
    for (int i = 0; i < 400; ++i)
        add(0);
    sim.schedule_after(std::chrono::microseconds(1), [&] {
        for (int i = 0; i < 50; ++i)
            add(1);
    });
    CHECK(sim.run_until_idle());
    // Labels grow with insertion, so sorting by (time, label) is the (time, insertion) order.
    std::stable_sort(expected.begin(), expected.end());
    std::vector<int> order;
    for (const auto& [time, label] : expected)
        order.push_back(label);
    REQUIRE(ran.size() == order.size());
    CHECK(ran == order);
}

TEST_CASE("cancelled events never run", "[sim]") {
    Simulation sim;
    int runs = 0;
    const auto id = sim.schedule_after(1ms, [&] { ++runs; });
    sim.schedule_after(2ms, [&] { ++runs; });
    CHECK(sim.cancel(id));
    CHECK_FALSE(sim.cancel(id));
    CHECK(sim.pending_events() == 1);
    sim.run_until_idle();
    CHECK(runs == 1);
    CHECK_FALSE(sim.cancel(12345));
    CHECK_FALSE(sim.cancel(0));
    CHECK(sim.pending_events() == 0);
}

TEST_CASE("an event that ran cannot be cancelled", "[sim]") {
    Simulation sim;
    int runs = 0;
    const auto first = sim.schedule_after(1ms, [&] { ++runs; });
    const auto second = sim.schedule_after(5ms, [&] { ++runs; });
    sim.run_for(2ms);
    CHECK(runs == 1);
    CHECK_FALSE(sim.cancel(first));
    CHECK(sim.pending_events() == 1);
    // An event may cancel a later one while running.
    sim.schedule_after(1ms, [&] { CHECK(sim.cancel(second)); });
    CHECK(sim.pending_events() == 2);
    sim.run_until_idle();
    CHECK(runs == 1);
    CHECK(sim.pending_events() == 0);
}

TEST_CASE("run_for advances the clock even with nothing to do", "[sim]") {
    Simulation sim;
    int runs = 0;
    sim.schedule_after(5ms, [&] { ++runs; });
    sim.run_for(3ms);
    CHECK(runs == 0);
    CHECK(sim.now() == 3ms);
    sim.run_for(3ms);
    CHECK(runs == 1);
    CHECK(sim.now() == 6ms);
}

TEST_CASE("run_until reports whether the predicate held within virtual time", "[sim]") {
    Simulation sim;
    bool flag = false;
    sim.schedule_after(10ms, [&] { flag = true; });
    CHECK_FALSE(sim.run_until([&] { return flag; }, 5ms));
    CHECK(sim.now() == 5ms);
    CHECK(sim.run_until([&] { return flag; }, 10ms));
    CHECK(sim.now() == 10ms);
}

TEST_CASE("named random streams are independent and reproducible", "[sim]") {
    const Simulation a(42);
    const Simulation b(42);
    CHECK(a.random_stream("S0").bytes(16) == b.random_stream("S0").bytes(16));
    CHECK(a.random_stream("S0").bytes(16) != a.random_stream("S1").bytes(16));
    CHECK(a.random_stream("S0").bytes(16) != Simulation(43).random_stream("S0").bytes(16));
}

TEST_CASE("scheduled actions keep their captures alive until they run or are dropped", "[sim]") {
    Simulation sim(1);
    // A small capture (kept inline) and a large one (kept on the heap) run once each, and each
    // is destroyed exactly once: when its event ran, or with the simulation.
    auto small = std::make_shared<int>(0);
    struct Large {
        std::shared_ptr<int> counter;
        char padding[200] = {};
        void operator()() const { ++*counter; }
    };
    static_assert(sizeof(Large) > detail::EventAction::inline_size);
    auto large = std::make_shared<int>(0);
    {
        Simulation scoped(2);
        scoped.schedule_after(1ms, [small] { ++*small; });
        scoped.schedule_after(2ms, Large{large});
        // Scheduled out of order, so one of them moves through the heap of pending events.
        scoped.schedule_after(0ms, [small] { ++*small; });
        CHECK(small.use_count() == 3);
        CHECK(large.use_count() == 2);
        CHECK(scoped.step());
        CHECK(scoped.step());
        CHECK(*small == 2);
        CHECK(small.use_count() == 1);
        CHECK(large.use_count() == 2); // still pending
    }
    CHECK(*large == 0);
    CHECK(large.use_count() == 1); // dropped with its simulation, never run

    sim.schedule_after(1ms, Large{large});
    CHECK(sim.run_until_idle());
    CHECK(*large == 1);
    CHECK(large.use_count() == 1);
}

TEST_CASE("an empty action cannot be scheduled", "[sim]") {
    Simulation sim(1);
    const std::function<void()> empty;
    CHECK_THROWS_WITH(sim.schedule_after(1ms, empty), Catch::Contains("empty action"));
    void (*null_function)() = nullptr;
    CHECK_THROWS_WITH(sim.schedule_after(1ms, null_function), Catch::Contains("empty action"));
    CHECK(sim.pending_events() == 0);
    // A std::function that holds something is an action like any other.
    int ran = 0;
    sim.schedule_after(1ms, std::function<void()>([&] { ++ran; }));
    CHECK(sim.run_until_idle());
    CHECK(ran == 1);
}
