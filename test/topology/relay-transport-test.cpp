// BROADCAST, PROPAGATE and ESCALATE across relays (protocol.md B.7.1–B.7.4): who receives each,
// the re-wrapped envelope, the route hops added at every hop, site-targeted injection, and the
// directions each type may never take.

#include "catch.hpp"

#include "multihop-support.hpp"

using namespace hivescope;
using namespace hivescope::test::multihop;
using protocol::BusMessage;
using protocol::RouteHop;
using topology::Hive;
using topology::SatelliteSpec;

namespace {

// with_relay (M0 ← R0 ← {S0, S1}) plus an admin satellite SA of M0; every node on its own site.
Hive relay_hive_with_admin() {
    auto builder = fast(scenarios::with_relay({"broadcast.note"}));
    SatelliteSpec admin;
    admin.acl.is_admin = true;
    admin.acl.allowed_types = {"broadcast.note"};
    admin.site_id = "sa-site";
    builder.add_satellite("SA", "M0", admin);
    builder.get_master("M0").site_id = "m0-site";
    builder.get_relay("R0").site_id = "r0-site";
    builder.get_satellite("S0").site_id = "s0-site";
    builder.get_satellite("S1").site_id = "s1-site";
    return start(builder);
}

std::size_t injected(node::Bus& bus, const std::string& type) {
    return bus.injected_of(type).size();
}

} // namespace

TEST_CASE("relay: a BROADCAST from M0's admin satellite reaches every client of the relay, "
          "re-wrapped with a hop per node, and never goes back up",
          "[topology][relay][broadcast]") {
    auto hive = relay_hive_with_admin();
    const std::string r0_at_m0 = hive.relay("R0").satellite().peer_id();
    const std::string s0_at_r0 = hive.satellite("S0").role().peer_id();
    const std::string s1_at_r0 = hive.satellite("S1").role().peer_id();

    // No target site: forwarded everywhere, injected nowhere.
    {
        hive.satellite("SA").role().broadcast(BusMessage("broadcast.note"));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"SA", "M0", "R0", "S0", "S1"}));

        // M0 re-wraps it to its only other client, the relay.
        const auto m0_out = records_of(hive.recorder("M0"), Kind::out, MessageType::broadcast);
        REQUIRE(m0_out.size() == 1);
        CHECK(m0_out[0].peer == r0_at_m0);

        // B.7.2: the relay forwards to ALL its downstream clients and never upstream.
        const auto r0_out = records_of(hive.recorder("R0"), Kind::out, MessageType::broadcast);
        REQUIRE(r0_out.size() == 2);
        CHECK(r0_out[0].peer == s0_at_r0);
        CHECK(r0_out[1].peer == s1_at_r0);
        for (const auto& r : r0_out)
            CHECK(r.peer != "M0");
        CHECK(records_of(hive.recorder("SA"), Kind::in, MessageType::broadcast).empty());

        // B.7.3 and B.7.4 at the last hop: still a `broadcast` around the BUS, with one hop per
        // sending node on the outer and the inner message.
        for (const auto& [name, peer] : {std::pair{"S0", s0_at_r0}, std::pair{"S1", s1_at_r0}}) {
            INFO(name);
            const auto in = records_of(hive.recorder(name), Kind::in, MessageType::broadcast);
            REQUIRE(in.size() == 1);
            const HiveMessage& received = *in[0].message;
            REQUIRE(received.inner().type() == MessageType::bus);
            CHECK(received.inner().bus_message().type() == "broadcast.note");
            const std::vector<RouteHop> expected{
                {"SA", {"M0"}}, {"M0", {r0_at_m0}}, {"R0", {peer}}};
            CHECK(received.route() == expected);
            CHECK(received.inner().route() == expected);
        }
        // Nothing targets a site, so nothing is injected anywhere.
        CHECK(injected(hive.master("M0").agent(), "broadcast.note") == 0);
        CHECK(injected(hive.relay("R0").agent(), "broadcast.note") == 0);
        CHECK(injected(hive.satellite("S0").bus(), "broadcast.note") == 0);
        CHECK(injected(hive.satellite("S1").bus(), "broadcast.note") == 0);
    }

    // A site-targeted inner BUS is injected only where target_site_id matches.
    {
        const auto s1_mark = hive.recorder("S1").mark();
        struct Case {
            std::string site;
            std::string injecting; // the node whose bus must inject it
        };
        for (const Case& c : {Case{"s1-site", "S1"}, Case{"r0-site", "R0"}, Case{"m0-site", "M0"},
                              Case{"s0-site", "S0"}, Case{"nowhere", ""}}) {
            INFO("target_site_id " << c.site);
            const auto before = std::array{injected(hive.master("M0").agent(), "broadcast.note"),
                                           injected(hive.relay("R0").agent(), "broadcast.note"),
                                           injected(hive.satellite("S0").bus(), "broadcast.note"),
                                           injected(hive.satellite("S1").bus(), "broadcast.note")};
            hive.satellite("SA").role().broadcast(BusMessage("broadcast.note"), c.site);
            REQUIRE(hive.run_until_idle());
            INFO(transcripts(hive, {"M0", "R0", "S0", "S1"}, 12));
            const auto after = std::array{injected(hive.master("M0").agent(), "broadcast.note"),
                                          injected(hive.relay("R0").agent(), "broadcast.note"),
                                          injected(hive.satellite("S0").bus(), "broadcast.note"),
                                          injected(hive.satellite("S1").bus(), "broadcast.note")};
            const std::array<std::string, 4> names{"M0", "R0", "S0", "S1"};
            for (std::size_t i = 0; i < names.size(); ++i) {
                INFO(names[i]);
                CHECK(after[i] - before[i] == (names[i] == c.injecting ? 1u : 0u));
            }
            // Injection does not stop the fan-out: both relay clients still got it.
            CHECK(records_of(hive.recorder("S0"), Kind::in, MessageType::broadcast).size() ==
                  records_of(hive.recorder("S1"), Kind::in, MessageType::broadcast).size());
        }
        // The satellite's copy carries the site (copied by every forwarder, B.7.3).
        const auto in =
            records_of(hive.recorder("S1").since(s1_mark), Kind::in, MessageType::broadcast);
        REQUIRE(!in.empty());
        CHECK(in.front().message->target_site_id() == std::optional<std::string>("s1-site"));
    }
}

TEST_CASE("relay: a PROPAGATE from a satellite under a relay reaches its siblings, M0 and M0's "
          "other clients, never the sender",
          "[topology][relay][propagate]") {
    auto builder = fast(scenarios::with_relay({"propagate.note"}));
    builder.add_satellite("S2", "M0");
    auto hive = start(builder);
    const std::string s0_at_r0 = hive.satellite("S0").role().peer_id();
    const std::string s1_at_r0 = hive.satellite("S1").role().peer_id();
    const std::string s2_at_m0 = hive.satellite("S2").role().peer_id();
    const std::string r0_at_m0 = hive.relay("R0").satellite().peer_id();

    hive.satellite("S0").role().propagate(BusMessage("propagate.note"));
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"S0", "R0", "M0", "S1", "S2"}, 12));

    // R0 (B.7.1 at a relay's master half): the other client and upstream.
    const auto r0_out = records_of(hive.recorder("R0"), Kind::out, MessageType::propagate);
    REQUIRE(r0_out.size() == 2);
    CHECK(r0_out[0].peer == s1_at_r0);
    CHECK(r0_out[1].peer == "M0");
    // M0: every other client, not back to the relay it came from; a top master has no upstream.
    const auto m0_in = records_of(hive.recorder("M0"), Kind::in, MessageType::propagate);
    REQUIRE(m0_in.size() == 1);
    CHECK(m0_in[0].peer == r0_at_m0);
    const auto m0_out = records_of(hive.recorder("M0"), Kind::out, MessageType::propagate);
    REQUIRE(m0_out.size() == 1);
    CHECK(m0_out[0].peer == s2_at_m0);

    // No-return: the sender never sees its own message.
    CHECK(records_of(hive.recorder("S0"), Kind::in, MessageType::propagate).empty());
    for (const char* name : {"S1", "S2"}) {
        INFO(name);
        const auto in = records_of(hive.recorder(name), Kind::in, MessageType::propagate);
        REQUIRE(in.size() == 1);
        CHECK(in[0].message->inner().bus_message().type() == "propagate.note");
    }
    const auto s2_in = records_of(hive.recorder("S2"), Kind::in, MessageType::propagate);
    CHECK(hop_sources(s2_in[0].message->route()) == std::vector<std::string>{"S0", "R0", "M0"});
    CHECK(hop_sources(s2_in[0].message->inner().route()) ==
          std::vector<std::string>{"S0", "R0", "M0"});
}

TEST_CASE("relay: an ESCALATE climbs every relay of a chain to M0, which stops it; from upstream "
          "it is ignored and recorded",
          "[topology][relay][escalate]") {
    // M0 ← R1 ← R2 ← R3 ← S0, plus bystanders SX (of M0) and SY (of R1) that must never see it.
    auto builder = fast(scenarios::chain_topology(3, {"escalated.note"}));
    builder.add_satellite("SX", "M0").add_satellite("SY", "R1");
    auto hive = start(builder);
    const std::vector<std::string> names{"S0", "R3", "R2", "R1", "M0", "SX", "SY"};

    // Upstream only, through every relay.
    {
        hive.satellite("S0").role().escalate(BusMessage("escalated.note"));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, names, 10));
        const std::vector<std::pair<std::string, std::string>> hops{
            {"R3", "R2"}, {"R2", "R1"}, {"R1", "M0"}};
        for (const auto& [relay, upstream] : hops) {
            INFO(relay);
            const auto out = records_of(hive.recorder(relay), Kind::out, MessageType::escalate);
            REQUIRE(out.size() == 1);
            CHECK(out[0].peer == upstream);
        }
        const auto m0_in = records_of(hive.recorder("M0"), Kind::in, MessageType::escalate);
        REQUIRE(m0_in.size() == 1);
        CHECK(hop_sources(m0_in[0].message->route()) ==
              std::vector<std::string>{"S0", "R3", "R2", "R1"});
        CHECK(hop_sources(m0_in[0].message->inner().route()) ==
              std::vector<std::string>{"S0", "R3", "R2", "R1"});
        // A top master stops it: nothing goes out, and no bystander hears of it.
        CHECK(records_of(hive.recorder("M0"), Kind::out, MessageType::escalate).empty());
        CHECK(records_of(hive.recorder("SX"), Kind::in, MessageType::escalate).empty());
        CHECK(records_of(hive.recorder("SY"), Kind::in, MessageType::escalate).empty());
    }

    // From upstream it is illegal, at a relay and at a satellite.
    {
        const auto r1_mark = hive.recorder("R1").mark();
        const auto r2_mark = hive.recorder("R2").mark();
        const auto escalate = HiveMessage::wrap(MessageType::escalate,
                                                HiveMessage::bus(BusMessage("escalated.note")));
        hive.master("M0").role().send(hive.relay("R1").satellite().peer_id(), escalate);
        hive.relay("R3").master().send(hive.satellite("S0").role().peer_id(), escalate);
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, names, 10));
        for (const char* name : {"R1", "S0"}) {
            INFO(name);
            const auto dropped = drops(hive.recorder(name), "illegal escalate from master");
            REQUIRE(dropped.size() == 1);
            CHECK(dropped[0].message->type() == MessageType::escalate);
        }
        // Ignored: R1 sends it neither down nor back up.
        CHECK(records_of(hive.recorder("R1").since(r1_mark), Kind::out, MessageType::escalate)
                  .empty());
        CHECK(records_of(hive.recorder("R2").since(r2_mark), Kind::in, MessageType::escalate)
                  .empty());
        CHECK(records_of(hive.recorder("SY"), Kind::in, MessageType::escalate).empty());
        CHECK(hive.satellite("S0").bus().injected_of("escalated.note").empty());
    }
}

TEST_CASE("relay: the parent checks the relay's own record for what the relay forwards up",
          "[topology][relay][acl]") {
    // R0 may neither propagate nor escalate at M0; its clients may do both at R0.
    auto builder = fast(scenarios::with_relay({"note"}));
    builder.get_relay("R0").acl.can_propagate = false;
    builder.get_relay("R0").acl.can_escalate = false;
    builder.add_satellite("S2", "M0");

    SECTION("disconnect (the default): the relay is kicked, its own clients keep their links") {
        auto hive = start(builder);
        hive.satellite("S0").role().propagate(BusMessage("note"));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "R0", "M0"}, 12));
        // R0 accepted it from S0 (S0's record allows it) and delivered it to S1 ...
        CHECK(records_of(hive.recorder("S1"), Kind::in, MessageType::propagate).size() == 1);
        // ... but M0 judged R0's record and closed the relay's link.
        const auto& failure = hive.relay("R0").satellite().failure();
        REQUIRE(failure.has_value());
        CHECK(failure->close.code == sim::close_code::policy_violation);
        CHECK(failure->close.reason == "illegal propagate");
        CHECK(records_of(hive.recorder("S2"), Kind::in, MessageType::propagate).empty());
        CHECK(hive.satellite("S0").handshake_complete());
        CHECK(hive.satellite("S1").handshake_complete());
    }

    SECTION("drop: each illegal forward is dropped at M0 and recorded") {
        builder.get_master("M0").options.illegal_action = node::IllegalAction::drop;
        auto hive = start(builder);
        hive.satellite("S0").role().propagate(BusMessage("note"));
        hive.satellite("S1").role().escalate(BusMessage("note"));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "S1", "R0", "M0"}, 12));
        CHECK(drops(hive.recorder("M0"), "illegal propagate").size() == 1);
        CHECK(drops(hive.recorder("M0"), "illegal escalate").size() == 1);
        CHECK(records_of(hive.recorder("S2"), Kind::in, MessageType::propagate).empty());
        CHECK(hive.relay("R0").satellite().handshake_complete());
        // R0 did forward both: the relay's clients were within their own rights.
        CHECK(records_of(hive.recorder("R0"), Kind::out, MessageType::propagate).size() == 2);
        CHECK(records_of(hive.recorder("R0"), Kind::out, MessageType::escalate).size() == 1);
    }
}
