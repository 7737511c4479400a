// The shared node state: flood cache, hive map, pending table, bus, ids and identity.

#include "catch.hpp"

#include "hivescope/node/node_core.hpp"

using namespace hivescope;
using namespace hivescope::node;
using namespace std::chrono_literals;

TEST_CASE("the flood cache is FIFO with a fixed capacity", "[node][flood]") {
    FloodCache cache(3);
    CHECK(cache.insert("a"));
    CHECK_FALSE(cache.insert("a"));
    CHECK_FALSE(cache.insert(""));
    CHECK(cache.contains(""));
    CHECK(cache.insert("b"));
    CHECK(cache.insert("c"));
    CHECK(cache.insert("d")); // evicts the oldest, "a"
    CHECK_FALSE(cache.contains("a"));
    CHECK(cache.contains("b"));
    CHECK(cache.size() == 3);
}

TEST_CASE("the hive map records each (flood, peer) once and collapses repeated hops",
          "[node][hive-map]") {
    HiveMap map;
    CHECK(map.observe({"f1", "S0", "kitchen", 0.5, 2ms, 1.5, protocol::Json::object()}));
    CHECK_FALSE(map.observe({"f1", "S0", "kitchen", 0.5, 3ms, 2.5, protocol::Json::object()}));
    CHECK(map.observe({"f2", "S0", "kitchen", 0.9, 5ms, 1.0, protocol::Json::object()}));
    map.add_path({"S0", "R1", "R1", "M0"});
    CHECK(map.edges() == std::set<std::pair<std::string, std::string>>{{"S0", "R1"}, {"R1", "M0"}});
    CHECK(map.nodes() == std::set<std::string>{"M0", "R1", "S0"});
    REQUIRE(map.find("S0") != nullptr);
    CHECK(map.find("S0")->flood_id == "f2");
    CHECK(map.find("nobody") == nullptr);
}

TEST_CASE("the pending table refuses duplicates and finds the oldest query per link",
          "[node][pending]") {
    PendingTable table;
    PendingRequest first;
    first.query_id = "q1";
    first.arrival = {Arrival::From::downstream, 7};
    PendingRequest second = first;
    second.query_id = "q2";
    PendingRequest cascade = first;
    cascade.query_id = "c1";
    cascade.kind = protocol::MessageType::cascade;
    CHECK(table.add(cascade));
    CHECK(table.add(second));
    CHECK(table.add(first));
    CHECK_FALSE(table.add(first));
    REQUIRE(table.oldest_query_from({Arrival::From::downstream, 7}) != nullptr);
    CHECK(table.oldest_query_from({Arrival::From::downstream, 7})->query_id == "q2");
    CHECK(table.oldest_query_from({Arrival::From::upstream, 0}) == nullptr);
    CHECK(table.take("q2").has_value());
    CHECK_FALSE(table.take("q2").has_value());
    const auto gone = table.take_all_from({Arrival::From::downstream, 7});
    REQUIRE(gone.size() == 2);
    CHECK(gone[0].query_id == "c1");
    CHECK(table.size() == 0);
}

TEST_CASE("the bus runs handlers, answers queries and routes emits as separate events",
          "[node][bus]") {
    sim::Simulation simulation(1);
    Bus bus(simulation);
    std::vector<std::string> seen;
    bus.on("speak", [&](const protocol::BusMessage& m) { seen.push_back("speak:" + m.type()); });
    bus.on("*", [&](const protocol::BusMessage& m) { seen.push_back("any:" + m.type()); });
    bus.on_query("question",
                 [](const protocol::BusMessage& m) { return std::optional(m.reply("answer")); });
    std::vector<std::string> routed;
    bus.set_router([&](const protocol::BusMessage& m) { routed.push_back(m.type()); });

    bus.inject(protocol::BusMessage("speak"), "peer-1");
    CHECK(seen == std::vector<std::string>{"speak:speak", "any:speak"});
    CHECK(bus.injected().size() == 1);
    CHECK(bus.injected()[0].peer == "peer-1");
    CHECK(bus.ask(protocol::BusMessage("question"))->type() == "answer");
    CHECK_FALSE(bus.ask(protocol::BusMessage("other")).has_value());

    bus.emit(protocol::BusMessage("skill.reply"));
    CHECK(routed.empty()); // not re-entrant
    simulation.run_until_idle();
    CHECK(routed == std::vector<std::string>{"skill.reply"});
    CHECK(bus.injected_of("speak").size() == 1);
}

TEST_CASE("node ids are uuid4 hex from the node's own stream", "[node]") {
    sim::Simulation simulation(5);
    sim::Network network(simulation);
    NodeCore a(network, "A", "kitchen");
    NodeCore b(network, "B", "kitchen");
    const std::string id = a.new_id();
    CHECK(id.size() == 32);
    CHECK(id[12] == '4');
    CHECK(id != b.new_id());
    sim::Simulation again(5);
    sim::Network network_again(again);
    NodeCore a_again(network_again, "A", "kitchen");
    CHECK(a_again.new_id() == id);
    const auto& record = a.record({});
    CHECK(record.node == "A");
}

TEST_CASE("an emit still queued when its bus is destroyed does nothing", "[node][bus]") {
    sim::Simulation simulation(1);
    int routed = 0;
    {
        Bus bus(simulation);
        bus.set_router([&routed](const protocol::BusMessage&) { ++routed; });
        bus.emit(protocol::BusMessage("late"));
    }
    CHECK(simulation.pending_events() == 1);
    simulation.run_until_idle(); // would touch the destroyed bus without the guard
    CHECK(routed == 0);
}
