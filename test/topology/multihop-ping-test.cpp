// PING discovery of a whole tree (protocol.md B.8): one flood, from the root or from a leaf, lets
// every node map every other node, and each relay answers a flood once because its two halves
// share one flood cache.

#include "catch.hpp"

#include "multihop-support.hpp"

#include <set>

using namespace hivescope;
using namespace hivescope::test::multihop;

namespace {

// PROPAGATE(PING) frames `name` sent carrying its own answer (or flood) for `flood_id`.
std::size_t own_pings_sent(topology::Hive& hive, const std::string& name,
                           const std::string& flood_id) {
    std::size_t n = 0;
    for (const auto& r : hive.recorder(name)) {
        if (r.kind != Kind::out || !r.message || r.message->type() != MessageType::propagate)
            continue;
        const HiveMessage& inner = r.message->inner();
        if (inner.type() == MessageType::ping && inner.payload().get_string("peer") == name &&
            inner.payload().get_string("flood_id") == flood_id)
            ++n;
    }
    return n;
}

std::string joined(const std::set<std::string>& names) {
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : " ") + name;
    return out;
}

node::NodeCore& core_of(topology::Hive& hive, const std::string& name) {
    const auto& relays = hive.relay_names();
    if (name == "M0")
        return hive.master(name).core();
    if (std::find(relays.begin(), relays.end(), name) != relays.end())
        return hive.relay(name).core();
    return hive.satellite(name).core();
}

} // namespace

TEST_CASE("ping: a flood from the root and one from a leaf map the whole tree at every node",
          "[topology][relay][ping]") {
    // tree(2, 3): M0 → R0, R1, R2 → S<r>.0 … S<r>.2 (13 nodes).
    auto hive = start(fast(scenarios::tree(2, 3)));
    const auto names = all_names(hive);
    REQUIRE(names.size() == 13);
    const std::set<std::string> everyone(names.begin(), names.end());

    const auto check_maps = [&](const std::string& starter) {
        for (const auto& name : names) {
            INFO(name << "'s hive map: " << joined(core_of(hive, name).hive_map().nodes()));
            std::set<std::string> expected = everyone;
            // A node never hears its own PING (no-return), except the one that started the flood
            // and recorded itself.
            if (name != starter && name != "M0")
                expected.erase(name);
            const auto known = core_of(hive, name).hive_map().nodes();
            for (const auto& other : expected)
                CHECK(known.count(other) == 1);
        }
    };

    const std::string root_flood = hive.master("M0").start_ping_flood();
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"R1"}, 40));
    check_maps("M0");

    const std::string leaf_flood = hive.satellite("S1.2").role().start_ping_flood();
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"R1", "S1.2"}, 40));
    check_maps("S1.2");

    // Each relay answers each flood exactly once: one copy upstream and one per client (B.8,
    // "including the sender"). A relay whose halves had separate caches would answer the leaf
    // flood twice (first from below, then again when the flood comes back down from M0).
    for (const auto& relay : hive.relay_names()) {
        INFO(relay);
        const std::size_t copies = 1 + hive.relay(relay).master().registered_peers().size();
        CHECK(own_pings_sent(hive, relay, root_flood) == copies);
        CHECK(own_pings_sent(hive, relay, leaf_flood) == copies);
        CHECK(hive.relay(relay).core().flood_cache().contains(root_flood));
        CHECK(hive.relay(relay).core().flood_cache().contains(leaf_flood));
    }
    // A relay's agent hears hive.ping.received for every new entry of the relay's map (B.6),
    // whichever half learned it: M0 and the other subtrees are learned from upstream.
    for (const auto& relay : hive.relay_names()) {
        for (const auto& flood : {root_flood, leaf_flood}) {
            INFO(relay << " flood " << flood);
            std::set<std::string> mapped;
            for (const auto& [key, entry] : hive.relay(relay).core().hive_map().entries())
                if (key.first == flood)
                    mapped.insert(entry.peer);
            std::set<std::string> announced;
            for (const auto& event : hive.relay(relay).agent().injected_of("hive.ping.received"))
                if (event.data().get_string("flood_id") == flood)
                    announced.insert(event.data().get_string("peer"));
            CHECK(joined(announced) == joined(mapped));
            CHECK(mapped.count("M0") == 1);
        }
    }
    // Satellites answer upstream only, once per flood; the leaf's own flood is its only PING.
    for (const auto& satellite : hive.satellite_names()) {
        INFO(satellite);
        CHECK(own_pings_sent(hive, satellite, root_flood) == 1);
        CHECK(own_pings_sent(hive, satellite, leaf_flood) == 1);
    }
    // M0 answers the leaf's flood once, to each of its three relays.
    CHECK(own_pings_sent(hive, "M0", leaf_flood) == 3);

    // The map records paths: at M0, the leaf's PING arrived through its relay.
    const auto& edges = hive.master("M0").core().hive_map().edges();
    CHECK(edges.count({"S1.2", "R1"}) == 1);
    CHECK(edges.count({"R1", "M0"}) == 1);
    // And every other leaf knows the path down from M0 to S1.2's relay.
    const auto& far = hive.satellite("S2.0").core().hive_map();
    CHECK(far.edges().count({"M0", "R2"}) == 1);
    const auto* entry = far.find("S1.2");
    REQUIRE(entry != nullptr);
    CHECK(entry->latency_ms > 0);
}

TEST_CASE("ping: hierarchical hubs, a flood from a leaf reaches the top through every level",
          "[topology][relay][ping]") {
    // M0 ← R1 ← R2 ← R3 with S0, S1 under R3.
    auto hive = start(fast(scenarios::hierarchical_hubs(4, 2)));
    const auto names = all_names(hive);
    hive.satellite("S0").role().start_ping_flood();
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"R3", "R1"}, 30));
    for (const auto& name : names) {
        INFO(name << "'s hive map: " << joined(core_of(hive, name).hive_map().nodes()));
        const auto known = core_of(hive, name).hive_map().nodes();
        for (const auto& other : names)
            if (other != name || name == "S0")
                CHECK(known.count(other) == 1);
    }
}
