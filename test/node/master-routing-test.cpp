// The master's per-type rules (protocol.md B.4–B.8, B.11): sessions, the ACL and its denials,
// blacklists, routing permissions and the illegal action, BROADCAST / PROPAGATE / ESCALATE
// forwarding with route hops and loop checks, agent reply routing, PING and the hive map,
// BINARY dispatch and the passthrough hooks. Each test fails if its rule is removed.

#include "catch.hpp"

#include "node/support/master_fixture.hpp"

#include "hivescope/protocol/json_codec.hpp"

using namespace hivescope;
using namespace hivescope::test;
using namespace std::chrono_literals;
using node::ClientRecord;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;
using protocol::RouteHop;
using record::Kind;
using record::Outcome;

namespace {

const sim::CloseEvent& closed_with(const ScriptedClient& client) {
    REQUIRE(client.closed().has_value());
    return *client.closed();
}

void admin(ClientRecord& record) {
    record.is_admin = true;
}

HiveMessage bus_in(MessageType transport, const BusMessage& bus,
                   std::optional<std::string> site = std::nullopt) {
    HiveMessage message = HiveMessage::wrap(transport, HiveMessage::bus(bus));
    message.set_target_site_id(std::move(site));
    return message;
}

BusMessage to_peer(std::string type, const std::string& peer, Json source = Json("skills")) {
    return BusMessage(std::move(type), Json::object(),
                      Json(JsonObject{{"source", std::move(source)}, {"destination", peer}}));
}

} // namespace

// ---- B.5 sessions ------------------------------------------------------------------------------

TEST_CASE("master: a non-admin HELLO with the default session is denied, then closed",
          "[node][master][session]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.session_id = "default"; });
    const auto denied = denials(s0);
    REQUIRE(denied.size() == 1);
    CHECK(denied[0].denied_type == "hello");
    CHECK(denied[0].code == "session_id_default_forbidden");
    CHECK(denied[0].reason == "session_id 'default' is reserved for admins");
    CHECK(closed_with(s0).code == 1008);
    CHECK(closed_with(s0).reason == "session_id_default_forbidden");
    CHECK(hive.master->role().registered_peers().empty());

    SECTION("an admin may use it") {
        auto& a = hive.join("A", admin, [](ScriptedClientOptions& o) { o.session_id = "default"; });
        CHECK_FALSE(a.closed().has_value());
        CHECK(hive.master->find_client("A::2::A::default")->registered);
    }
}

TEST_CASE("master: a BUS without a session from a non-admin is denied, then closed",
          "[node][master][session]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    s0.send(HiveMessage::bus(BusMessage("recognizer_loop:utterance")));
    hive.run();
    const auto denied = denials(s0);
    REQUIRE(denied.size() == 1);
    CHECK(denied[0].denied_type == "recognizer_loop:utterance");
    CHECK(denied[0].code == "session_id_default_forbidden");
    // The denial reaches the client before the close.
    CHECK(s0.received().back().type() == MessageType::bus);
    CHECK(closed_with(s0).reason == "session_id_default_forbidden");
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").empty());
}

TEST_CASE("master: an injected BUS is rewritten with the connection session and the record",
          "[node][master][session]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", [](ClientRecord& r) {
        r.skill_blacklist = {"skill-a", "skill-b"};
        r.intent_blacklist = {"weather:intent"};
    });
    BusMessage utterance = s0.make_bus("recognizer_loop:utterance", Json::parse(R"({"u": 1})"));
    utterance.context().as_object().set(
        "session", Json::parse(R"({"session_id": "S0-session", "site_id": "kitchen",
                                   "lang": "pt-pt", "blacklisted_skills": ["skill-b", "mine"]})"));
    utterance.context().as_object().erase("destination");
    utterance.context().as_object().set("hivemind_verified_source_peer", "forged");
    s0.send(HiveMessage::bus(utterance));
    hive.run();

    const auto injected = hive.agent().injected_of("recognizer_loop:utterance");
    REQUIRE(injected.size() == 1);
    const Json& context = injected[0].context();
    // Adoption: the same session id, so the message's session became the connection's.
    CHECK(context.find("session")->get_string("lang") == "pt-pt");
    CHECK(hive.master->find_client(s0.peer_id())->session.get_string("lang") == "pt-pt");
    CHECK(*context.find("session")->find("blacklisted_skills") ==
          Json::parse(R"(["skill-b", "mine", "skill-a"])"));
    CHECK(*context.find("session")->find("blacklisted_intents") ==
          Json::parse(R"(["weather:intent"])"));
    CHECK(context.get_string("source") == s0.peer_id());
    CHECK(context.get_string("peer") == s0.peer_id());
    CHECK(context.get_string("destination") == "skills");
    CHECK(context.find("hivemind_verified_source_peer") == nullptr);
    CHECK(hive.agent().injected().back().peer == s0.peer_id());
    // The stored connection session keeps only what the client sent; blacklists are per message.
    CHECK(hive.master->find_client(s0.peer_id())->session.find("blacklisted_intents") == nullptr);

    // Another session id is not adopted: the message goes out under the connection session.
    BusMessage speak = s0.make_bus("speak", Json::parse(R"({"utterance": "hi"})"));
    speak.set_session(Json::parse(R"({"session_id": "someone-else"})"));
    s0.send(HiveMessage::bus(speak));
    hive.run();
    const auto spoken = hive.agent().injected_of("speak");
    REQUIRE(spoken.size() == 1);
    CHECK(*spoken[0].context().find("destination") == Json::parse(R"(["audio"])"));
    CHECK(spoken[0].session_id() == "S0-session");
    CHECK(spoken[0].context().find("session")->get_string("lang") == "pt-pt");
}

TEST_CASE("master: the rewritten context keeps the client's keys in place and adds its own after "
          "them, in order",
          "[node][master][session]") {
    MasterHive hive;
    // An admin, so messages without a session (the default one) are let through too.
    auto& s0 = hive.join("S0", [](ClientRecord& r) {
        r.allowed_types = {"ask", "speak"};
        r.is_admin = true;
    });
    // The oracle: the rewrite as one set() or erase() after another on the context as sent.
    const auto expected_for = [&](const BusMessage& sent, const Json& injected_session) {
        Json context = sent.context();
        auto& fields = context.as_object();
        fields.set("session", injected_session);
        fields.set("source", s0.peer_id());
        fields.set("peer", s0.peer_id());
        if (sent.type() == "speak")
            fields.set("destination", Json(protocol::JsonArray{Json("audio")}));
        else if (const Json* destination = fields.find("destination");
                 destination == nullptr || destination->is_null())
            fields.set("destination", "skills");
        fields.erase("hivemind_verified_source_peer");
        return context.dump();
    };
    const std::vector<BusMessage> sent{
        BusMessage("ask", Json::object(),
                   Json::parse(R"({"x": 1, "destination": null, "hivemind_verified_source_peer":
                                   "forged", "source": "me", "y": [2], "peer": "p"})")),
        BusMessage("ask", Json::object(), Json::parse(R"({"destination": "elsewhere", "z": {}})")),
        BusMessage("speak", Json::object(),
                   Json::parse(R"({"destination": "skills", "session": {"session_id": "S0-session",
                                   "site_id": "kitchen"}, "w": true})")),
        BusMessage("ask", Json::object(), Json::object()),
    };
    for (const auto& message : sent)
        s0.send(HiveMessage::bus(message));
    hive.run();
    std::vector<BusMessage> injected;
    for (const auto& injection : hive.agent().injected())
        if (injection.message.type() == "ask" || injection.message.type() == "speak")
            injected.push_back(injection.message);
    REQUIRE(injected.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        INFO("message " << i << ": " << sent[i].context().dump());
        const Json* injected_session = injected[i].context().find("session");
        REQUIRE(injected_session != nullptr);
        CHECK(injected[i].context().dump() == expected_for(sent[i], *injected_session));
    }
}

TEST_CASE("master: a link's BUS messages share one merged session until its inputs change",
          "[node][master][session]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", [](ClientRecord& r) { r.skill_blacklist = {"skill-a"}; });
    const auto send_in_session = [&](const char* session) {
        BusMessage utterance = s0.make_bus("recognizer_loop:utterance");
        utterance.set_session(Json::parse(session));
        s0.send(HiveMessage::bus(utterance));
        hive.run();
        return hive.agent().injected().back().message.context().find("session")->as_object();
    };
    const char* kitchen = R"({"session_id": "S0-session", "site_id": "kitchen"})";
    const auto first = send_in_session(kitchen);
    const auto second = send_in_session(kitchen);
    // The merge is done once: the second message carries the same (frozen) session object.
    CHECK(shares_storage(first, second));
    CHECK(*second.find("blacklisted_skills") == Json::parse(R"(["skill-a"])"));

    // A different session is merged afresh.
    const auto other = send_in_session(R"({"session_id": "S0-session", "site_id": "garage"})");
    CHECK_FALSE(shares_storage(second, other));
    CHECK(other.find("site_id")->as_string() == "garage");
    CHECK(*other.find("blacklisted_skills") == Json::parse(R"(["skill-a"])"));

    // So is the same session after the record's blacklists change.
    auto record = *hive.master->database().find_by_key("S0-key");
    record.skill_blacklist = {"skill-b"};
    record.intent_blacklist = {"weather:intent"};
    hive.master->database().update(record);
    const auto updated = send_in_session(kitchen);
    CHECK(updated.find("site_id")->as_string() == "kitchen");
    CHECK(*updated.find("blacklisted_skills") == Json::parse(R"(["skill-b"])"));
    CHECK(*updated.find("blacklisted_intents") == Json::parse(R"(["weather:intent"])"));
    // The earlier messages keep what they were injected with.
    CHECK(*first.find("blacklisted_skills") == Json::parse(R"(["skill-a"])"));
}

TEST_CASE("master: a link's BUS messages share one rewritten context until its inputs change",
          "[node][master][session]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", [](ClientRecord& r) {
        r.allowed_types = {"recognizer_loop:utterance", "speak"};
    });
    const auto send = [&](const char* type, JsonObject extra) {
        BusMessage bus = s0.make_bus(type);
        for (const auto& [key, value] : extra)
            bus.context()[key] = value;
        s0.send(HiveMessage::bus(bus));
        hive.run();
        return hive.agent().injected().back().message.context();
    };
    const Json first = send("recognizer_loop:utterance", {});
    const Json second = send("recognizer_loop:utterance", {});
    // Rewritten once: the second message carries the same (frozen) context object.
    CHECK(shares_storage(first.as_object(), second.as_object()));
    CHECK(first == second);
    CHECK(first.get_string("destination") == "HiveMind");
    CHECK(first.get_string("peer") == s0.peer_id());

    // A context that differs is rewritten afresh, and so is a `speak` (its destination).
    const Json other = send("recognizer_loop:utterance", {{"lang", Json("de-de")}});
    CHECK_FALSE(shares_storage(second.as_object(), other.as_object()));
    CHECK(other.get_string("lang") == "de-de");
    const Json spoken = send("speak", {{"lang", Json("de-de")}});
    CHECK_FALSE(shares_storage(other.as_object(), spoken.as_object()));
    CHECK(*spoken.find("destination") == Json::parse(R"(["audio"])"));
    CHECK(other.get_string("destination") == "HiveMind");

    // So is the same context after the record's blacklists change the session.
    auto record = *hive.master->database().find_by_key("S0-key");
    record.skill_blacklist = {"skill-b"};
    hive.master->database().update(record);
    const Json updated = send("recognizer_loop:utterance", {});
    CHECK_FALSE(shares_storage(first.as_object(), updated.as_object()));
    CHECK(*updated.find("session")->find("blacklisted_skills") == Json::parse(R"(["skill-b"])"));
    CHECK(first.find("session")->find("blacklisted_skills")->as_array().empty());
}

// ---- B.4 ACL ------------------------------------------------------------------------------------

TEST_CASE("master: allowed_types is a whitelist; a denial keeps the connection",
          "[node][master][acl]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    s0.send_bus("mycroft.stop");
    s0.send_bus("recognizer_loop:utterance");
    hive.run();
    const auto denied = denials(s0);
    REQUIRE(denied.size() == 1);
    CHECK(denied[0].denied_type == "mycroft.stop");
    CHECK(denied[0].code == "acl_disallowed_type");
    CHECK(denied[0].reason == "type 'mycroft.stop' is not in allowed_types");
    CHECK_FALSE(s0.closed().has_value());
    CHECK(hive.agent().injected_of("mycroft.stop").empty());
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
    const auto verdicts = hive.records(Kind::verdict, Outcome::denied);
    REQUIRE(verdicts.size() == 1);
    CHECK(verdicts[0].code == "acl_disallowed_type");
    // The denial BUS is addressed to the client, from the hive, with its session.
    const auto bus = s0.bus_received("hive.policy.denied")[0];
    CHECK(bus.context().get_string("source") == "hive");
    CHECK(bus.context().get_string("destination") == s0.peer_id());
    CHECK(bus.session_id() == "S0-session");
}

TEST_CASE("master: an empty allowed_types denies everything, even to an admin",
          "[node][master][acl]") {
    MasterHive hive;
    auto& a = hive.join("A", [](ClientRecord& r) {
        r.is_admin = true;
        r.allowed_types.clear();
    });
    a.send_bus("recognizer_loop:utterance");
    hive.run();
    REQUIRE(denials(a).size() == 1);
    CHECK(denials(a)[0].code == "acl_disallowed_type");
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").empty());
}

TEST_CASE("master: admin does not bypass allowed_types", "[node][master][acl]") {
    MasterHive hive;
    auto& a = hive.join("A", admin);
    a.send_bus("system.reboot");
    hive.run();
    REQUIRE(denials(a).size() == 1);
    CHECK(denials(a)[0].denied_type == "system.reboot");
    CHECK(hive.agent().injected_of("system.reboot").empty());
}

TEST_CASE("master: message_blacklist filters what is sent to the client",
          "[node][master][blacklist]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", [](ClientRecord& r) {
        r.message_blacklist = {"speak", "hive.policy.denied"};
    });
    const auto mark = hive.recorder().mark();
    hive.agent().emit(to_peer("speak", s0.peer_id()));
    hive.agent().emit(to_peer("other", s0.peer_id()));
    hive.run();
    CHECK(s0.bus_received("speak").empty());
    CHECK(s0.bus_received("other").size() == 1);
    const auto dropped = hive.verdicts("blacklisted", mark);
    REQUIRE(dropped.size() == 1);
    CHECK(dropped[0].bus_type() == "speak");
    // The inner BUS of a transport is filtered too.
    hive.agent().emit(BusMessage(
        "hive.send.downstream",
        Json(JsonObject{{"msg_type", "broadcast"},
                        {"payload", protocol::to_json(HiveMessage::bus(BusMessage("speak")))}})));
    hive.run();
    CHECK(s0.received_of(MessageType::broadcast).empty());
    // hive.policy.denied is never filtered (B.4).
    s0.send_bus("not.allowed");
    hive.run();
    CHECK(denials(s0).size() == 1);
}

// ---- B.4 routing permissions --------------------------------------------------------------------

TEST_CASE("master: an illegal routing message disconnects the sender",
          "[node][master][permissions]") {
    MasterHive hive;
    auto& other = hive.join("S1");
    SECTION("broadcast from a non-admin") {
        auto& s0 = hive.join("S0");
        s0.send(bus_in(MessageType::broadcast, s0.make_bus("speak")));
        hive.run();
        CHECK(closed_with(s0).code == 1008);
        CHECK(closed_with(s0).reason == "illegal broadcast");
    }
    SECTION("broadcast from an admin without can_broadcast") {
        auto& s0 = hive.join("S0", [](ClientRecord& r) {
            r.is_admin = true;
            r.can_broadcast = false;
        });
        s0.send(bus_in(MessageType::broadcast, s0.make_bus("speak")));
        hive.run();
        CHECK(closed_with(s0).reason == "illegal broadcast");
    }
    SECTION("propagate without can_propagate") {
        auto& s0 = hive.join("S0", [](ClientRecord& r) { r.can_propagate = false; });
        s0.send(bus_in(MessageType::propagate, s0.make_bus("speak")));
        hive.run();
        CHECK(closed_with(s0).reason == "illegal propagate");
    }
    SECTION("escalate without can_escalate") {
        auto& s0 = hive.join("S0", [](ClientRecord& r) { r.can_escalate = false; });
        s0.send(bus_in(MessageType::escalate, s0.make_bus("speak")));
        hive.run();
        CHECK(closed_with(s0).reason == "illegal escalate");
    }
    CHECK(other.received_of(MessageType::broadcast).empty());
    CHECK(other.received_of(MessageType::propagate).empty());
}

TEST_CASE("master: illegal_action drop keeps the connection and records the drop",
          "[node][master][permissions]") {
    auto options = MasterHive::defaults();
    options.illegal_action = node::IllegalAction::drop;
    std::vector<std::string> illegal;
    options.hooks.on_illegal = [&](const HiveMessage& m, const std::string& peer) {
        illegal.push_back(std::string(protocol::wire_name(m.type())) + " " + peer);
    };
    MasterHive hive(options);
    auto& other = hive.join("S1");
    auto& s0 = hive.join("S0");
    s0.send(bus_in(MessageType::broadcast, s0.make_bus("speak")));
    hive.run();
    CHECK_FALSE(s0.closed().has_value());
    CHECK(other.received_of(MessageType::broadcast).empty());
    CHECK(hive.verdicts("illegal broadcast").size() == 1);
    CHECK(illegal == std::vector<std::string>{"broadcast " + s0.peer_id()});
}

// ---- B.7 ----------------------------------------------------------------------------------------

TEST_CASE("master: a broadcast is re-wrapped to every other client with route hops",
          "[node][master][broadcast]") {
    MasterHive hive;
    auto& a = hive.join("A", admin);
    auto& s1 = hive.join("S1");
    auto& s2 = hive.join("S2");
    HiveMessage message = bus_in(MessageType::broadcast, a.make_bus("speak"), "elsewhere");
    message.set_metadata(Json::parse(R"({"tag": 7})"));
    message.add_hop(RouteHop{"A-node", {"M0"}});
    a.send(message);
    hive.run();

    for (auto* client : {&s1, &s2}) {
        const auto got = client->received_of(MessageType::broadcast);
        REQUIRE(got.size() == 1);
        const HiveMessage& outer = got[0];
        CHECK(outer.metadata() == Json::parse(R"({"tag": 7})"));
        CHECK(outer.target_site_id() == "elsewhere");
        const std::vector<RouteHop> route{{"A-node", {"M0"}}, {"M0", {client->peer_id()}}};
        CHECK(outer.route() == route);
        // The inner message carries the hop too (binary framing would lose the outer route).
        REQUIRE(outer.inner().type() == MessageType::bus);
        CHECK(outer.inner().route() == std::vector<RouteHop>{{"M0", {client->peer_id()}}});
        CHECK(outer.inner().bus_message().type() == "speak");
    }
    // Never back to the sender; not injected (the site does not match).
    CHECK(a.received_of(MessageType::broadcast).empty());
    CHECK(hive.agent().injected_of("speak").empty());
}

TEST_CASE("master: a transport's BUS for this site is injected through the ACL",
          "[node][master][broadcast]") {
    MasterHive hive;
    auto& a = hive.join("A", admin);
    auto& s1 = hive.join("S1");
    a.send(bus_in(MessageType::broadcast, a.make_bus("speak"), "hive-site"));
    a.send(bus_in(MessageType::broadcast, a.make_bus("not.allowed"), "hive-site"));
    hive.run();
    CHECK(hive.agent().injected_of("speak").size() == 1);
    CHECK(hive.agent().injected_of("not.allowed").empty());
    REQUIRE(denials(a).size() == 1);
    CHECK(denials(a)[0].denied_type == "not.allowed");
    // The ACL governs the injection only; both still travel on.
    CHECK(s1.received_of(MessageType::broadcast).size() == 2);
}

TEST_CASE("master: propagate goes to the other clients; escalate stops at a top master",
          "[node][master][propagate]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    s0.send(bus_in(MessageType::propagate, s0.make_bus("speak")));
    s0.send(bus_in(MessageType::escalate, s0.make_bus("speak")));
    hive.run();
    CHECK(s1.received_of(MessageType::propagate).size() == 1);
    CHECK(s0.received_of(MessageType::propagate).empty());
    CHECK(s1.received_of(MessageType::escalate).empty());
    CHECK(s0.received_of(MessageType::escalate).empty());
    CHECK_FALSE(s0.closed().has_value());
}

TEST_CASE("master: a transport that already passed this node is dropped as a loop",
          "[node][master][loop]") {
    MasterHive hive;
    auto& a = hive.join("A", admin);
    auto& s1 = hive.join("S1");
    SECTION("outer route") {
        HiveMessage message = bus_in(MessageType::broadcast, a.make_bus("speak"));
        message.add_hop(RouteHop{"M0", {"X"}});
        a.send(message);
    }
    SECTION("inner route") {
        HiveMessage message = bus_in(MessageType::broadcast, a.make_bus("speak"));
        message.inner().add_hop(RouteHop{"M0", {"X"}});
        a.send(message);
    }
    hive.run();
    CHECK(s1.received_of(MessageType::broadcast).empty());
    CHECK(hive.verdicts("loop").size() == 1);
}

TEST_CASE("master: a transport around a bare OVOS message is denied as malformed",
          "[node][master][malformed]") {
    MasterHive hive;
    auto& a = hive.join("A", admin);
    auto& s1 = hive.join("S1");
    const std::string text =
        R"({"msg_type": "broadcast", "payload": {"type": "speak", "data": {}, "context": {}}})";
    protocol::LinkCrypto crypto = *a.crypto();
    a.send_raw(sim::Frame::text(crypto.encrypt_text(text, a.random())));
    hive.run();
    REQUIRE(denials(a).size() == 1);
    CHECK(denials(a)[0].denied_type == "broadcast");
    CHECK(denials(a)[0].code == "malformed");
    CHECK(denials(a)[0].reason == "broadcast payload must be a nested HiveMessage");
    CHECK_FALSE(a.closed().has_value());
    CHECK(s1.received_of(MessageType::broadcast).empty());

    SECTION("the permission check runs first") {
        auto& s2 = hive.join("S2");
        protocol::LinkCrypto c2 = *s2.crypto();
        s2.send_raw(sim::Frame::text(c2.encrypt_text(text, s2.random())));
        hive.run();
        CHECK(closed_with(s2).reason == "illegal broadcast");
    }
}

// ---- B.6 ----------------------------------------------------------------------------------------

TEST_CASE("master: agent replies reach the peers named in destination, as from the hive",
          "[node][master][routing]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    hive.agent().emit(to_peer("speak", " " + s0.peer_id() + " "));
    hive.agent().emit(
        BusMessage("both", Json::object(),
                   Json(JsonObject{{"source", "skills"},
                                   {"destination",
                                    Json(protocol::JsonArray{Json(s0.peer_id()), Json(s1.peer_id()),
                                                             Json(s0.peer_id())})}})));
    hive.agent().emit(to_peer("to.skills", "skills"));
    hive.run();
    REQUIRE(s0.bus_received("speak").size() == 1);
    CHECK(s0.bus_received("speak")[0].context().get_string("source") == "hive");
    CHECK(s1.bus_received("speak").empty());
    CHECK(s0.bus_received("both").size() == 1); // once, though named twice
    CHECK(s1.bus_received("both").size() == 1);
    CHECK(s0.bus_received("to.skills").empty());
    CHECK(s1.bus_received("to.skills").empty());
}

TEST_CASE("master: a request in flight is not a response", "[node][master][routing]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    // An injected request still names its requester as source: it reaches no peer.
    hive.agent().emit(to_peer("recognizer_loop:utterance", s1.peer_id(), Json(s0.peer_id())));
    // Not even a peer addressing itself.
    hive.agent().emit(to_peer("self", s0.peer_id(), Json(s0.peer_id())));
    // A source naming a peer that is not connected does not block delivery.
    hive.agent().emit(to_peer("gone", s1.peer_id(), Json("X::9::X::x")));
    hive.run();
    CHECK(s1.bus_received("recognizer_loop:utterance").empty());
    CHECK(s0.bus_received("self").empty());
    CHECK(s1.bus_received("gone").size() == 1);
    CHECK(hive.verdicts("request in flight").size() == 2);
}

TEST_CASE("master: hive.send.downstream", "[node][master][routing]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    const Json bus_payload = BusMessage("speak", Json::parse(R"({"utterance": "x"})")).to_json();
    hive.agent().emit(BusMessage(
        "hive.send.downstream",
        Json(JsonObject{{"msg_type", "bus"}, {"payload", bus_payload}, {"peer", s1.peer_id()}})));
    hive.agent().emit(BusMessage(
        "hive.send.downstream",
        Json(JsonObject{{"msg_type", "propagate"},
                        {"payload", protocol::to_json(HiveMessage::bus(BusMessage("news")))}})));
    hive.agent().emit(BusMessage(
        "hive.send.downstream",
        Json(JsonObject{{"msg_type", "escalate"},
                        {"payload", protocol::to_json(HiveMessage::bus(BusMessage("up")))}})));
    hive.agent().emit(BusMessage(
        "hive.send.downstream",
        Json(JsonObject{{"msg_type", "bus"}, {"payload", bus_payload}, {"peer", "nobody"}})));
    hive.run();
    CHECK(s1.bus_received("speak").size() == 1);
    CHECK(s0.bus_received("speak").empty());
    for (auto* client : {&s0, &s1}) {
        const auto got = client->received_of(MessageType::propagate);
        REQUIRE(got.size() == 1);
        CHECK(got[0].route() == std::vector<RouteHop>{{"M0", {client->peer_id()}}});
        CHECK(client->received_of(MessageType::escalate).empty());
    }
    const auto errors = hive.agent().injected_of("hive.client.send.error");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].data() ==
          Json::parse(R"({"error": "That client is not connected", "peer": "nobody"})"));
}

// ---- B.8 ----------------------------------------------------------------------------------------

TEST_CASE("master: a bare PING is dropped", "[node][master][ping]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    s0.send(HiveMessage(MessageType::ping, Json::parse(R"({"flood_id": "f", "peer": "S0"})")));
    hive.run();
    CHECK(hive.verdicts("bare ping").size() == 1);
    CHECK(s0.received_of(MessageType::propagate).empty());
    CHECK(hive.master->core().hive_map().entries().empty());
    CHECK_FALSE(s0.closed().has_value());
}

TEST_CASE("master: a PROPAGATE(PING) is mapped, answered once and forwarded",
          "[node][master][ping]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    hive.run_for(1s);
    const auto ping = [&](const std::string& flood) {
        HiveMessage message =
            HiveMessage::wrap(MessageType::propagate,
                              HiveMessage(MessageType::ping, Json(JsonObject{{"flood_id", flood},
                                                                             {"peer", "S0-node"},
                                                                             {"site_id", "kitchen"},
                                                                             {"timestamp", 0.5},
                                                                             {"lang", "en-us"}})));
        message.inner().add_hop(RouteHop{"S0-node", {"M0"}});
        message.add_hop(RouteHop{"S0-node", {"M0"}});
        s0.send(message);
    };
    ping("flood-1");
    hive.run();

    const auto* entry = hive.master->core().hive_map().find("S0-node");
    REQUIRE(entry != nullptr);
    CHECK(entry->flood_id == "flood-1");
    CHECK(entry->site_id == "kitchen");
    CHECK(entry->extra == Json::parse(R"({"lang": "en-us"})"));
    CHECK(entry->latency_ms == Approx((sim::to_seconds(entry->received_at) - 0.5) * 1000));
    CHECK(hive.master->core().hive_map().edges().count({"S0-node", "M0"}) == 1);
    const auto events = hive.agent().injected_of("hive.ping.received");
    REQUIRE(events.size() == 1);
    CHECK(events[0].data() ==
          Json::parse(R"({"flood_id": "flood-1", "peer": "S0-node", "site_id": "kitchen"})"));

    // Our own answer goes to everyone, the sender included; the received ping goes to the others.
    const auto answers = [](const ScriptedClient& client) {
        std::vector<std::string> peers;
        for (const auto& m : client.received_of(MessageType::propagate))
            peers.push_back(m.inner().payload().get_string("peer"));
        return peers;
    };
    CHECK(answers(s0) == std::vector<std::string>{"M0"});
    CHECK(answers(s1) == std::vector<std::string>{"M0", "S0-node"});
    const auto answer = s0.received_of(MessageType::propagate)[0].inner().payload();
    CHECK(answer.get_string("flood_id") == "flood-1");
    CHECK(answer.get_string("site_id") == "hive-site");
    CHECK(answer.find("timestamp")->is_double());

    // The same flood again: mapped already, not answered again, still forwarded.
    ping("flood-1");
    hive.run();
    CHECK(answers(s0) == std::vector<std::string>{"M0"});
    CHECK(answers(s1) == std::vector<std::string>{"M0", "S0-node", "S0-node"});
    CHECK(hive.agent().injected_of("hive.ping.received").size() == 1);
}

TEST_CASE("master: start_ping_flood returns the flood id and pings every client",
          "[node][master][ping]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    const std::string flood = hive.master->start_ping_flood();
    CHECK(flood.size() == 32);
    CHECK(hive.master->core().flood_cache().contains(flood));
    CHECK(hive.master->core().hive_map().find("M0") != nullptr);
    hive.run();
    for (auto* client : {&s0, &s1}) {
        const auto got = client->received_of(MessageType::propagate);
        REQUIRE(got.size() == 1);
        CHECK(got[0].inner().type() == MessageType::ping);
        CHECK(got[0].inner().payload().get_string("flood_id") == flood);
        CHECK(got[0].inner().payload().get_string("peer") == "M0");
    }
    // An echo of our own flood is a loop, not a new answer.
    HiveMessage echo = s0.received_of(MessageType::propagate)[0];
    s0.send(echo);
    hive.run();
    CHECK(hive.verdicts("loop").size() == 1);
}

// ---- B.11 ---------------------------------------------------------------------------------------

TEST_CASE("master: BINARY is dispatched by bin_type with the A.6 defaults",
          "[node][master][binary]") {
    std::vector<std::string> hooked;
    auto options = MasterHive::defaults();
    options.hooks.on_binary = [&](const node::BinaryCall& call) { hooked.push_back(call.handler); };
    MasterHive hive(options);
    auto& s0 = hive.join("S0");
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::raw_audio, {1, 2, 3, 4}));
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::stt_audio_transcribe, {5},
                                Json::parse(R"({"lang": "de", "sample_rate": 8000})")));
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::file, {6},
                                Json::parse(R"({"file_name": "a.txt"})")));
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::numpy_image, {7}));
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::stt_audio_handle, {8}));
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::tts_audio, {9}));
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::undefined, {10}));
    s0.send(HiveMessage::binary_with_code(13, {11}));
    hive.run();

    const auto& calls = hive.agent().binary_calls();
    REQUIRE(calls.size() == 6);
    CHECK(calls[0].handler == "microphone_input");
    CHECK(calls[0].data == protocol::Bytes{1, 2, 3, 4});
    CHECK(calls[0].metadata == Json::parse(R"({"sample_rate": 16000, "sample_width": 2})"));
    CHECK(calls[0].bin_type == 1);
    CHECK(calls[0].peer == s0.peer_id());
    CHECK(calls[1].handler == "stt_transcribe");
    CHECK(calls[1].metadata ==
          Json::parse(R"({"lang": "de", "sample_rate": 8000, "sample_width": 2})"));
    CHECK(calls[2].handler == "receive_file");
    CHECK(calls[2].metadata == Json::parse(R"({"file_name": "a.txt"})"));
    CHECK(calls[3].handler == "numpy_image");
    CHECK(calls[3].metadata == Json::parse(R"({"camera_id": null})"));
    CHECK(calls[4].handler == "stt_handle");
    CHECK(calls[5].handler == "receive_tts");
    CHECK(calls[5].metadata ==
          Json::parse(R"({"lang": null, "utterance": null, "file_name": null})"));
    CHECK(hooked.size() == 6);
    // UNDEFINED and unknown codes are recorded, with no handler.
    const auto none = hive.verdicts("no handler");
    REQUIRE(none.size() == 2);
    CHECK(none[1].detail == "bin_type 13 (UNDEFINED)");
}

TEST_CASE("master: BINARY needs a non-empty allowed_types", "[node][master][binary][acl]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", [](ClientRecord& r) { r.allowed_types.clear(); });
    s0.send(HiveMessage::binary(protocol::BinaryPayloadType::raw_audio, {1, 2}));
    hive.run();
    CHECK(hive.agent().binary_calls().empty());
    REQUIRE(denials(s0).size() == 1);
    CHECK(denials(s0)[0].denied_type == "bin");
    CHECK(denials(s0)[0].code == "acl_disallowed_type");
    CHECK(denials(s0)[0].reason == "type 'bin' is not in allowed_types");
    CHECK_FALSE(s0.closed().has_value());
}

TEST_CASE("master: SHARED_BUS, RENDEZVOUS and 3rdparty go to hooks only", "[node][master][hooks]") {
    std::vector<std::string> hooked;
    auto options = MasterHive::defaults();
    const auto remember = [&](const std::string& name) {
        return [&hooked, name](const HiveMessage&, const std::string& peer) {
            hooked.push_back(name + " " + peer);
        };
    };
    options.hooks.on_shared_bus = remember("shared_bus");
    options.hooks.on_rendezvous = remember("rendezvous");
    options.hooks.on_third_party = remember("3rdparty");
    MasterHive hive(options);
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    s0.send(HiveMessage::bus(s0.make_bus("recognizer_loop:utterance"), MessageType::shared_bus));
    s0.send(HiveMessage(MessageType::rendezvous, Json::parse(R"({"box": 1})")));
    s0.send(HiveMessage(MessageType::third_party, Json::parse(R"({"x": 2})")));
    hive.run();
    const std::string peer = s0.peer_id();
    CHECK(hooked ==
          std::vector<std::string>{"shared_bus " + peer, "rendezvous " + peer, "3rdparty " + peer});
    const auto& calls = hive.agent().hook_calls();
    REQUIRE(calls.size() == 3);
    CHECK(calls[0].hook == "shared_bus");
    CHECK(calls[1].payload == Json::parse(R"({"box": 1})"));
    CHECK(calls[2].hook == "3rdparty");
    // No injection, no forwarding.
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").empty());
    CHECK(s1.received().size() == 3); // hello, request, response
}
