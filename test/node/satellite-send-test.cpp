// What a satellite sends (protocol.md A.5, B.7.4, B.8, B.9, B.10, B.11, B.12 "Sending a BUS"):
// the typed error when not connected, BUS context filling, route hops, query ids, INTERCOM,
// BINARY, local bus routing, share_bus and PING floods.

#include "catch.hpp"
#include "node/support/scripted_master.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/intercom.hpp"

using namespace hivescope;
using namespace hivescope::test;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;
using record::Kind;

namespace {

bool is_hex_id(const std::string& id) {
    return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

protocol::RouteHop hop(std::string source, std::string target) {
    return {std::move(source), {std::move(target)}};
}

/// Every send entry point, each with a valid argument.
std::vector<std::pair<std::string, std::function<void(node::SatelliteRole&)>>> all_sends() {
    const HiveMessage bus = HiveMessage::bus(BusMessage("speak"));
    return {
        {"send", [bus](node::SatelliteRole& r) { r.send(bus); }},
        {"send_bus", [](node::SatelliteRole& r) { r.send_bus(BusMessage("speak")); }},
        {"broadcast", [bus](node::SatelliteRole& r) { r.broadcast(bus); }},
        {"broadcast bus", [](node::SatelliteRole& r) { r.broadcast(BusMessage("speak")); }},
        {"propagate", [bus](node::SatelliteRole& r) { r.propagate(bus); }},
        {"propagate bus", [](node::SatelliteRole& r) { r.propagate(BusMessage("speak")); }},
        {"escalate", [bus](node::SatelliteRole& r) { r.escalate(bus); }},
        {"escalate bus", [](node::SatelliteRole& r) { r.escalate(BusMessage("speak")); }},
        {"query", [](node::SatelliteRole& r) { (void)r.query(BusMessage("q")); }},
        {"cascade", [](node::SatelliteRole& r) { (void)r.cascade(BusMessage("q")); }},
        {"send_intercom",
         [bus](node::SatelliteRole& r) { r.send_intercom(bus, test_keys().master->public_pem()); }},
        {"send_binary",
         [](node::SatelliteRole& r) {
             r.send_binary(protocol::BinaryPayloadType::raw_audio, protocol::Bytes{1, 2});
         }},
        {"start_ping_flood", [](node::SatelliteRole& r) { (void)r.start_ping_flood(); }},
    };
}

} // namespace

TEST_CASE("sending while not connected is a typed error and records nothing", "[satellite][send]") {
    const auto check_all_refused = [](SatelliteHarness& h, const std::string& when) {
        for (const auto& [name, send] : all_sends()) {
            INFO(when << ": " << name);
            const auto records = h.sat.recorder().size();
            const auto pending = h.sat.core().pending().size();
            try {
                send(h.sat.role());
                FAIL("no exception");
            } catch (const protocol::ProtocolError& e) {
                CHECK(e.code() == protocol::ErrorCode::invalid_argument);
                CHECK(std::string(e.what()).find("S0") != std::string::npos);
            }
            CHECK(h.sat.recorder().size() == records);
            CHECK(h.sat.core().pending().size() == pending);
        }
        CHECK_FALSE(h.sat.role().send_upstream(HiveMessage::bus(BusMessage("x"))));
    };
    SatelliteHarness h;
    check_all_refused(h, "before connect");
    h.sat.connect();
    check_all_refused(h, "while connecting");
    h.sim.run_for(std::chrono::milliseconds(1)); // accepted, HELLO not yet processed
    check_all_refused(h, "while handshaking");
    h.settle();
    REQUIRE(h.sat.role().handshake_complete());
    h.master.close({1000, "bye"});
    h.settle();
    check_all_refused(h, "after close");
    // Nothing reached the master after the HELLO.
    CHECK(h.master.received().back().type() == MessageType::hello);
    CHECK(h.sim.pending_events() == 0); // no query timers left behind
}

TEST_CASE("every type can be sent; source_peer is the node id", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    for (const auto& [name, send] : all_sends()) {
        INFO(name);
        const auto before = h.master.received().size();
        send(h.sat.role());
        h.sim.run_for(std::chrono::milliseconds(5));
        REQUIRE(h.master.received().size() == before + 1);
    }
    // Object-payload types through send() as they are.
    for (const auto type : {MessageType::shared_bus, MessageType::hello, MessageType::ping,
                            MessageType::rendezvous, MessageType::third_party}) {
        INFO(protocol::wire_name(type));
        h.sat.send(HiveMessage(type, Json(JsonObject{{"k", Json(1)}})));
        h.sim.run_for(std::chrono::milliseconds(5));
        CHECK(h.master.received().back().type() == type);
    }
    for (const auto& message : h.master.received())
        if (message.type() != MessageType::binary) // binary framing drops source_peer (A.7.3)
            CHECK(message.source_peer() == "S0");
    CHECK(h.master.decode_errors().empty());
}

TEST_CASE("send_bus fills the context and always sets the session", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    const auto& session_id = h.sat.role().session_id();

    SECTION("absent fields are filled") {
        h.sat.send_bus(BusMessage(
            "recognizer_loop:utterance",
            Json(JsonObject{{"utterances", Json(protocol::JsonArray{Json("what time is it")})}})));
        h.settle();
        const auto bus = h.master.received_of(MessageType::bus).at(0).bus_message();
        CHECK(bus.context().get_string("source") == "S0");
        CHECK(bus.context().get_string("platform") == "S0");
        CHECK(bus.context().get_string("destination") == "HiveMind");
        CHECK(bus.session_id() == session_id);
        CHECK(bus.site_id() == "kitchen");
    }
    SECTION("present fields are kept, session id and site forced") {
        BusMessage message(
            "speak", Json::object(),
            Json(JsonObject{{"source", Json("skill")},
                            {"destination", Json("audio")},
                            {"session", Json(JsonObject{{"session_id", Json("x")},
                                                        {"site_id", Json("attic")},
                                                        {"lang", Json("de-de")}})}}));
        h.sat.send_bus(message);
        h.settle();
        const auto bus = h.master.received_of(MessageType::bus).at(0).bus_message();
        CHECK(bus.context().get_string("source") == "skill");
        CHECK(bus.context().get_string("destination") == "audio");
        CHECK(bus.context().get_string("platform") == "S0");
        CHECK(bus.session_id() == session_id);
        CHECK(bus.site_id() == "kitchen");
        CHECK(bus.session()->get_string("lang") == "de-de");
    }
    SECTION("a context built from nothing is the one a partial context is completed to") {
        // No context and an empty one take the whole-context path; one with a key of the
        // caller's takes the general path. Apart from that key, all three must agree on every
        // key, value and position.
        h.sat.send_bus(BusMessage("speak"));
        h.sat.send_bus(BusMessage("speak", Json::object(), Json::object()));
        h.sat.send_bus(BusMessage("speak", Json::object(), Json(JsonObject{{"caller", Json(1)}})));
        h.settle();
        const auto received = h.master.received_of(MessageType::bus);
        REQUIRE(received.size() == 3);
        Json general = received[2].bus_message().context();
        CHECK(general.as_object().begin()->first == "caller");
        general.as_object().erase("caller");
        CHECK(general.as_object().size() == 4);
        CHECK(received[0].bus_message().context().dump() == general.dump());
        CHECK(received[1].bus_message().context().dump() == general.dump());
        CHECK(received[0].bus_message().session_id() == session_id);
    }
    SECTION("sends without a context share one prepared context") {
        h.sat.send_bus(BusMessage("speak"));
        h.sat.send_bus(BusMessage("recognizer_loop:utterance"));
        h.sat.send_bus(BusMessage("speak", Json::object(), Json(JsonObject{{"caller", Json(1)}})));
        h.settle();
        std::vector<Json> contexts;
        for (const auto& r : h.sat.recorder())
            if (r.kind == Kind::out && r.type() == MessageType::bus)
                contexts.push_back(*r.message->payload().find("context"));
        REQUIRE(contexts.size() == 3);
        // Made once, shared by every BUS sent without one (values, so still equal)...
        CHECK(shares_storage(contexts[0].as_object(), contexts[1].as_object()));
        CHECK(contexts[0] == contexts[1]);
        CHECK(contexts[0].get_string("source") == "S0");
        CHECK(contexts[0].find("session")->get_string("session_id") == session_id);
        // ...and not by one with a context of the caller's.
        CHECK_FALSE(shares_storage(contexts[0].as_object(), contexts[2].as_object()));
    }
    SECTION("a BUS carries no route hop") {
        h.sat.send_bus(BusMessage("speak"));
        h.settle();
        CHECK(h.master.received_of(MessageType::bus).at(0).route().empty());
    }
}

TEST_CASE("transport sends append the route hop on outer and inner", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    h.sat.role().broadcast(BusMessage("speak"), std::string("living-room"));
    h.sat.role().propagate(HiveMessage::bus(BusMessage("a")));
    h.sat.role().escalate(HiveMessage::bus(BusMessage("b")));
    const auto query_id = h.sat.query(BusMessage("q"));
    h.settle();
    const std::vector<protocol::RouteHop> expected{hop("S0", "M0")};
    for (const auto type : {MessageType::broadcast, MessageType::propagate, MessageType::escalate,
                            MessageType::query}) {
        INFO(protocol::wire_name(type));
        const auto received = h.master.received_of(type);
        REQUIRE(received.size() == 1);
        CHECK(received[0].route() == expected);
        CHECK(received[0].inner().route() == expected);
        CHECK(received[0].source_peer() == "S0");
    }
    const auto broadcast = h.master.received_of(MessageType::broadcast).at(0);
    CHECK(broadcast.target_site_id() == "living-room");
    CHECK(broadcast.inner().bus_message().context().get_string("destination") == "HiveMind");
    (void)query_id;
}

TEST_CASE("query and cascade carry a uuid query id and stay pending", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    const auto q = h.sat.query(BusMessage("what.time"));
    const auto c = h.sat.cascade(BusMessage("who.knows"));
    h.sim.run_for(std::chrono::milliseconds(10)); // not until idle: that would reach the deadlines
    CHECK(is_hex_id(q));
    CHECK(is_hex_id(c));
    CHECK(q != c);
    const auto query = h.master.received_of(MessageType::query).at(0);
    CHECK(query.metadata().get_string("query_id") == q);
    CHECK(query.inner().type() == MessageType::bus);
    CHECK(query.inner().bus_message().type() == "what.time");
    CHECK(h.master.received_of(MessageType::cascade).at(0).metadata().get_string("query_id") == c);
    auto* pending = h.sat.core().pending().find(q);
    REQUIRE(pending != nullptr);
    CHECK(pending->kind == MessageType::query);
    CHECK(pending->arrival == node::Arrival{node::Arrival::From::local, 0});
    REQUIRE(h.sat.core().pending().find(c) != nullptr);
    CHECK(h.sat.core().pending().find(c)->kind == MessageType::cascade);
}

TEST_CASE("send_intercom seals for the addressee and signs with the node identity",
          "[satellite][send][intercom]") {
    SatelliteHarness h;
    h.connect();
    const HiveMessage inner = HiveMessage::bus(BusMessage("secret", Json(JsonObject{{"n", 1}})));
    h.sat.role().send_intercom(inner, test_keys().master->public_pem());
    h.sat.role().send_intercom(inner, test_keys().master->public_pem(), MessageType::propagate);
    CHECK_THROWS_AS(
        h.sat.role().send_intercom(inner, test_keys().master->public_pem(), MessageType::bus),
        protocol::ProtocolError);
    h.settle();
    const auto intercoms = h.master.received_of(MessageType::intercom);
    REQUIRE(intercoms.size() == 1);
    CHECK(intercoms[0].target_pubkey() == test_keys().master->public_pem());
    std::string reason;
    const auto opened = protocol::open_intercom(intercoms[0], *test_keys().master,
                                                {test_keys().satellite->public_pem()}, &reason);
    REQUIRE(opened);
    CHECK(opened->inner == inner);
    CHECK(opened->verifying_pem == test_keys().satellite->public_pem());
    // INTERCOM goes as text, never binarised (A.2).
    CHECK_FALSE(h.master.frames()[h.master.received().size() - 2].is_binary());

    const auto wrapped = h.master.received_of(MessageType::propagate);
    REQUIRE(wrapped.size() == 1);
    CHECK(wrapped[0].inner().type() == MessageType::intercom);
    CHECK(wrapped[0].route() == std::vector<protocol::RouteHop>{hop("S0", "M0")});
    CHECK(protocol::open_intercom(wrapped[0].inner(), *test_keys().master,
                                  {test_keys().satellite->public_pem()}));
}

TEST_CASE("send_binary goes as a binary frame with its metadata", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    h.sat.role().send_binary(protocol::BinaryPayloadType::raw_audio, protocol::Bytes{1, 2, 3, 4},
                             Json(JsonObject{{"sample_rate", Json(16000)}}));
    h.settle();
    const auto& message = h.master.received().back();
    CHECK(h.master.frames().back().is_binary());
    REQUIRE(message.type() == MessageType::binary);
    CHECK(message.bin_type() == protocol::BinaryPayloadType::raw_audio);
    CHECK(message.bytes() == protocol::Bytes{1, 2, 3, 4});
    CHECK(message.metadata().find("sample_rate")->as_int() == 16000);
    // Recorded as `out` with its decoded message and the raw (encrypted) frame.
    const auto& out = h.sat.recorder()[h.sat.recorder().size() - 1];
    CHECK(out.kind == Kind::out);
    REQUIRE(out.frame);
    CHECK(out.frame->is_binary());
    CHECK(out.type() == MessageType::binary);
}

TEST_CASE("local bus messages addressed to the master go upstream as BUS", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    h.sat.bus().emit(
        BusMessage("speak", Json::object(), Json(JsonObject{{"destination", Json("M0")}})));
    h.sat.bus().emit(BusMessage("local.only", Json::object(),
                                Json(JsonObject{{"destination", Json("skills")}})));
    h.sat.bus().emit(BusMessage(
        "both", Json::object(),
        Json(JsonObject{{"destination", Json(protocol::JsonArray{Json("audio"), Json("M0")})}})));
    h.settle();
    const auto buses = h.master.received_of(MessageType::bus);
    REQUIRE(buses.size() == 2);
    CHECK(buses[0].bus_message().type() == "speak");
    CHECK(buses[0].bus_message().session_id() == h.sat.role().session_id());
    CHECK(buses[1].bus_message().type() == "both");
    CHECK(h.master.received_of(MessageType::shared_bus).empty());
}

TEST_CASE("a local message for the master while disconnected is dropped and recorded",
          "[satellite][send]") {
    SatelliteHarness h;
    h.sat.bus().emit(
        BusMessage("speak", Json::object(), Json(JsonObject{{"destination", Json("M0")}})));
    h.settle(); // master_node_id unknown: nothing names the master yet
    CHECK(h.sat.recorder().empty());
    h.connect();
    h.master.close({1000, ""});
    h.settle();
    h.sat.bus().emit(
        BusMessage("speak", Json::object(), Json(JsonObject{{"destination", Json("M0")}})));
    h.settle();
    const auto& last = h.sat.recorder()[h.sat.recorder().size() - 1];
    CHECK(last.kind == Kind::verdict);
    CHECK(last.outcome == record::Outcome::dropped);
    CHECK(last.reason == "not connected");
}

TEST_CASE("share_bus copies every emitted message upstream as SHARED_BUS", "[satellite][send]") {
    auto options = test_satellite_options();
    options.share_bus = true;
    SatelliteHarness h({}, options);
    h.connect();
    h.sat.bus().emit(BusMessage("local.event"));
    h.sat.bus().emit(
        BusMessage("speak", Json::object(), Json(JsonObject{{"destination", Json("M0")}})));
    h.settle();
    const auto shared = h.master.received_of(MessageType::shared_bus);
    REQUIRE(shared.size() == 2);
    CHECK(shared[0].bus_message().type() == "local.event");
    CHECK(shared[1].bus_message().type() == "speak");
    CHECK(h.master.received_of(MessageType::bus).size() == 1);
}

TEST_CASE("without share_bus nothing is shared", "[satellite][send]") {
    SatelliteHarness h;
    h.connect();
    h.sat.bus().emit(BusMessage("local.event"));
    h.settle();
    CHECK(h.master.received_of(MessageType::shared_bus).empty());
}

TEST_CASE("start_ping_flood sends PROPAGATE(PING) and maps the node itself",
          "[satellite][send][ping]") {
    SatelliteHarness h;
    h.connect();
    h.sim.run_for(std::chrono::milliseconds(250));
    const auto flood_id = h.sat.role().start_ping_flood();
    h.settle();
    CHECK(is_hex_id(flood_id));
    CHECK(h.sat.core().flood_cache().contains(flood_id));
    REQUIRE(h.sat.core().hive_map().find("S0") != nullptr);
    const auto propagates = h.master.received_of(MessageType::propagate);
    REQUIRE(propagates.size() == 1);
    const auto& ping = propagates[0].inner();
    REQUIRE(ping.type() == MessageType::ping);
    std::vector<std::string> keys;
    for (const auto& [key, value] : ping.payload().as_object())
        keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"flood_id", "peer", "site_id", "timestamp"});
    CHECK(ping.payload().get_string("flood_id") == flood_id);
    CHECK(ping.payload().get_string("peer") == "S0");
    CHECK(ping.payload().get_string("site_id") == "kitchen");
    REQUIRE(ping.payload().find("timestamp")->is_double());
    CHECK(ping.payload().find("timestamp")->as_double() ==
          Approx(sim::to_seconds(h.sat.core().hive_map().find("S0")->received_at)));
    CHECK(ping.payload().find("timestamp")->as_double() > 0.25);
    CHECK(propagates[0].route() == std::vector<protocol::RouteHop>{hop("S0", "M0")});
}
