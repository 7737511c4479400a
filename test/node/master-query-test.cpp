// QUERY, CASCADE and INTERCOM at a master (protocol.md B.9, B.10): agent answers within the
// virtual deadline, timeouts, CASCADE fan-out with answers routed to the requester only, and
// signed INTERCOM envelopes. Each test fails if its rule is removed.

#include "catch.hpp"

#include "node/support/master_fixture.hpp"

#include "hivescope/protocol/intercom.hpp"

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

HiveMessage query(ScriptedClient& client, const std::string& type, std::string query_id = "q1",
                  MessageType kind = MessageType::query) {
    HiveMessage message = HiveMessage::wrap(kind, HiveMessage::bus(client.make_bus(type)));
    if (!query_id.empty())
        message.set_metadata(Json(JsonObject{{"query_id", std::move(query_id)}}));
    return message;
}

bool is_response(const HiveMessage& message) {
    const Json* flag = message.metadata().find("is_response");
    return flag != nullptr && flag->is_bool() && flag->as_bool();
}

} // namespace

// ---- QUERY --------------------------------------------------------------------------------------

TEST_CASE("master: a QUERY answered by the agent goes back to the requester only",
          "[node][master][query]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    auto& s1 = hive.join("S1");
    hive.agent().on_query("recognizer_loop:utterance", [](const BusMessage& request) {
        return std::optional(request.reply("speak", Json::parse(R"({"utterance": "42"})")));
    });
    s0.send(query(s0, "recognizer_loop:utterance"));
    hive.run_for(10ms);

    const auto responses = s0.received_of(MessageType::query);
    REQUIRE(responses.size() == 1);
    const HiveMessage& response = responses[0];
    CHECK(response.metadata() == Json::parse(R"({"query_id": "q1", "is_response": true})"));
    CHECK(response.route() == std::vector<RouteHop>{{"M0", {s0.peer_id()}}});
    REQUIRE(response.inner().type() == MessageType::bus);
    const BusMessage answer = response.inner().bus_message();
    CHECK(answer.type() == "speak");
    CHECK(answer.data().get_string("utterance") == "42");
    CHECK(s1.received_of(MessageType::query).empty());
    CHECK(hive.master->core().pending().size() == 0);
    // The request was injected with the query id in its context (B.9 correlation).
    const auto injected = hive.agent().injected_of("recognizer_loop:utterance");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].context().get_string("query_id") == "q1");
    CHECK(injected[0].context().get_string("source") == s0.peer_id());
}

TEST_CASE("master: an emitted message with the query id answers the QUERY before the deadline",
          "[node][master][query]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    hive.agent().on("recognizer_loop:utterance", [&](const BusMessage& request) {
        // A skill replies on the bus a little later, as OVOS does.
        hive.simulation.schedule_after(1s, [&hive, request] {
            hive.agent().emit(request.reply("speak", Json::parse(R"({"utterance": "later"})")));
        });
    });
    s0.send(query(s0, "recognizer_loop:utterance", ""));
    hive.run_for(2s);
    const auto responses = s0.received_of(MessageType::query);
    REQUIRE(responses.size() == 1);
    CHECK(is_response(responses[0]));
    CHECK(responses[0].inner().bus_message().data().get_string("utterance") == "later");
    // The master assigned the id (32 hex characters) and used it throughout.
    const std::string id = responses[0].metadata().get_string("query_id");
    CHECK(id.size() == 32);
    CHECK(hive.agent().injected_of("recognizer_loop:utterance")[0].context().get_string(
              "query_id") == id);
    // Consumed by the query, not routed as a plain BUS as well.
    CHECK(s0.bus_received("speak").empty());
    hive.run();
    CHECK(s0.received_of(MessageType::query).size() == 1); // no timeout afterwards
}

TEST_CASE("master: only an emitted message naming the requester answers a QUERY",
          "[node][master][query]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    s0.send(query(s0, "recognizer_loop:utterance", "q2"));
    hive.run_for(10ms);
    // Same query id, but addressed to the skills: not an answer.
    hive.agent().emit(BusMessage("speak", Json::object(),
                                 Json(JsonObject{{"destination", "skills"}, {"query_id", "q2"}})));
    hive.run_for(10ms);
    CHECK(s0.received_of(MessageType::query).empty());
    CHECK(hive.master->core().pending().size() == 1);
    hive.run();
    REQUIRE(s0.received_of(MessageType::query).size() == 1);
    CHECK(s0.received_of(MessageType::query)[0].inner().bus_message().type() ==
          "hive.query.timeout");
}

TEST_CASE("master: an unanswered QUERY at a top master times out after the query timeout",
          "[node][master][query]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    const auto sent_at = hive.simulation.now();
    s0.send(query(s0, "recognizer_loop:utterance", "q-timeout"));
    hive.run_for(4s);
    CHECK(s0.received_of(MessageType::query).empty());
    hive.run_for(2s);
    const auto responses = s0.received_of(MessageType::query);
    REQUIRE(responses.size() == 1);
    const BusMessage timeout = responses[0].inner().bus_message();
    CHECK(timeout.type() == "hive.query.timeout");
    CHECK(timeout.data() == Json::parse(R"({"query_id": "q-timeout", "error": "no_answer"})"));
    CHECK(responses[0].metadata().get_string("query_id") == "q-timeout");
    CHECK(hive.master->core().pending().size() == 0);
    CHECK(hive.simulation.now() - sent_at >= 5s);
    // A late answer is neither taken nor routed.
    hive.agent().emit(
        BusMessage("speak", Json::object(),
                   Json(JsonObject{{"destination", s0.peer_id()}, {"query_id", "q-timeout"}})));
    hive.run();
    CHECK(s0.bus_received("speak").empty());
    CHECK(hive.verdicts("late answer").size() == 1);
}

TEST_CASE("master: QUERY checks permission, shape, the inner ACL and duplicates",
          "[node][master][query]") {
    MasterHive hive;
    SECTION("can_escalate") {
        auto& s0 = hive.join("S0", [](ClientRecord& r) { r.can_escalate = false; });
        s0.send(query(s0, "recognizer_loop:utterance"));
        hive.run();
        CHECK(closed_with(s0).reason == "illegal query");
    }
    SECTION("an inner type other than bus or intercom") {
        auto& s0 = hive.join("S0");
        s0.send(
            HiveMessage::wrap(MessageType::query, HiveMessage(MessageType::ping, Json::object())));
        hive.run();
        REQUIRE(denials(s0).size() == 1);
        CHECK(denials(s0)[0].denied_type == "query");
        CHECK(denials(s0)[0].code == "malformed");
        CHECK(denials(s0)[0].reason == "query payload must be a nested HiveMessage");
        CHECK_FALSE(s0.closed().has_value());
    }
    SECTION("the inner BUS passes the ACL") {
        auto& s0 = hive.join("S0");
        s0.send(query(s0, "not.allowed"));
        hive.run();
        REQUIRE(denials(s0).size() == 1);
        CHECK(denials(s0)[0].code == "acl_disallowed_type");
        CHECK(hive.master->core().pending().size() == 0);
        CHECK(s0.received_of(MessageType::query).empty());
    }
    SECTION("a duplicate query id") {
        auto& s0 = hive.join("S0");
        s0.send(query(s0, "recognizer_loop:utterance", "dup"));
        s0.send(query(s0, "recognizer_loop:utterance", "dup"));
        hive.run_for(100ms);
        CHECK(hive.verdicts("duplicate").size() == 1);
        CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
    }
    SECTION("a response nobody is waiting for") {
        auto& s0 = hive.join("S0");
        HiveMessage response = query(s0, "speak", "nothing");
        response.metadata().as_object().set("is_response", true);
        s0.send(response);
        hive.run();
        CHECK(hive.verdicts("unknown query").size() == 1);
    }
}

TEST_CASE("master: a closing link takes its pending requests with it", "[node][master][query]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    s0.send(query(s0, "recognizer_loop:utterance"));
    hive.run_for(100ms);
    CHECK(hive.master->core().pending().size() == 1);
    s0.close();
    hive.run_for(100ms);
    CHECK(hive.master->core().pending().size() == 0);
    const auto mark = hive.recorder().mark();
    hive.run_for(10s); // the deadline passes without anything to send
    CHECK(hive.records(Kind::out, std::nullopt, mark).empty());
}

// ---- CASCADE ------------------------------------------------------------------------------------

TEST_CASE("master: CASCADE fans out and routes every answer to the requester",
          "[node][master][cascade]") {
    MasterHive hive;
    auto& a = hive.join("A");
    auto& b = hive.join("B");
    auto& c = hive.join("C");
    hive.agent().on_query("recognizer_loop:utterance", [](const BusMessage& request) {
        return std::optional(request.reply("speak", Json::parse(R"({"from": "agent"})")));
    });
    a.send(query(a, "recognizer_loop:utterance", "c1", MessageType::cascade));
    hive.run_for(10ms);

    // The local agent answered at once.
    auto answers = a.received_of(MessageType::cascade);
    REQUIRE(answers.size() == 1);
    CHECK(is_response(answers[0]));
    CHECK(answers[0].inner().bus_message().data().get_string("from") == "agent");
    // The same CASCADE went to every other client, with the query id and a hop.
    for (auto* client : {&b, &c}) {
        const auto got = client->received_of(MessageType::cascade);
        REQUIRE(got.size() == 1);
        CHECK_FALSE(is_response(got[0]));
        CHECK(got[0].metadata().get_string("query_id") == "c1");
        CHECK(got[0].route() == std::vector<RouteHop>{{"M0", {client->peer_id()}}});
        CHECK(got[0].inner().bus_message().type() == "recognizer_loop:utterance");
    }

    // B answers along the reverse path; the answer reaches A only, not injected here.
    HiveMessage response =
        HiveMessage::wrap(MessageType::cascade,
                          HiveMessage::bus(BusMessage("speak", Json::parse(R"({"from": "B"})"))));
    response.set_metadata(Json::parse(R"({"query_id": "c1", "is_response": true})"));
    response.route() = b.received_of(MessageType::cascade)[0].route();
    b.send(response);
    hive.run_for(1s);
    answers = a.received_of(MessageType::cascade);
    REQUIRE(answers.size() == 2);
    CHECK(answers[1].inner().bus_message().data().get_string("from") == "B");
    CHECK(answers[1].route().back() == RouteHop{"M0", {a.peer_id()}});
    CHECK(c.received_of(MessageType::cascade).size() == 1);
    CHECK(hive.agent().injected_of("speak").empty());
    CHECK(hive.master->core().pending().size() == 1); // several answers may still come

    // After the cascade TTL the entry is gone and late answers are dropped.
    hive.run_for(30s);
    CHECK(hive.master->core().pending().size() == 0);
    b.send(response);
    hive.run();
    CHECK(a.received_of(MessageType::cascade).size() == 2);
    CHECK(hive.verdicts("unknown query").size() == 1);
}

TEST_CASE("master: CASCADE needs can_propagate", "[node][master][cascade]") {
    MasterHive hive;
    auto& b = hive.join("B");
    auto& a = hive.join("A", [](ClientRecord& r) { r.can_propagate = false; });
    a.send(query(a, "recognizer_loop:utterance", "c1", MessageType::cascade));
    hive.run();
    CHECK(closed_with(a).reason == "illegal cascade");
    CHECK(b.received_of(MessageType::cascade).empty());
}

// ---- INTERCOM -----------------------------------------------------------------------------------

namespace {

ScriptedClient& join_with_key(MasterHive& hive, const std::string& name,
                              const std::function<void(ClientRecord&)>& acl = {}) {
    return hive.join(name, acl, [&](ScriptedClientOptions& o) { o.identity = pooled_key(name); });
}

HiveMessage sealed(const BusMessage& bus, const std::string& addressee, const std::string& sender,
                   protocol::RandomSource& random) {
    return protocol::seal_intercom(HiveMessage::bus(bus), pooled_key(addressee)->public_key(),
                                   *pooled_key(sender), random);
}

} // namespace

TEST_CASE("master: an INTERCOM for this node is verified, decrypted and dispatched",
          "[node][master][intercom]") {
    MasterHive hive;
    auto& s0 = join_with_key(hive, "S0");
    s0.send(sealed(s0.make_bus("recognizer_loop:utterance"), "M0", "S0", s0.random()));
    hive.run();
    const auto injected = hive.agent().injected_of("recognizer_loop:utterance");
    REQUIRE(injected.size() == 1);
    // Injected through B.5 under the arriving link's record.
    CHECK(injected[0].context().get_string("peer") == s0.peer_id());
    CHECK(injected[0].context().find("hivemind_verified_source_peer") == nullptr);
    bool verified = false;
    for (const auto& entry : hive.recorder())
        if (entry.kind == Kind::dispatch &&
            entry.detail == "intercom verified by " + pooled_key("S0")->public_pem())
            verified = true;
    CHECK(verified);

    SECTION("the inner BUS still passes the ACL") {
        s0.send(sealed(s0.make_bus("not.allowed"), "M0", "S0", s0.random()));
        hive.run();
        REQUIRE(denials(s0).size() == 1);
        CHECK(denials(s0)[0].code == "acl_disallowed_type");
    }
}

TEST_CASE("master: INTERCOM fails closed", "[node][master][intercom]") {
    MasterHive hive;
    auto& s0 = join_with_key(hive, "S0");
    SECTION("a signer nobody trusts") {
        s0.send(sealed(s0.make_bus("recognizer_loop:utterance"), "M0", "stranger", s0.random()));
        hive.run();
        CHECK(hive.verdicts("signature").size() == 1);
    }
    SECTION("a signer in the trusted keys") {
        hive.master->core().trusted_keys().push_back(pooled_key("stranger")->public_pem());
        s0.send(sealed(s0.make_bus("recognizer_loop:utterance"), "M0", "stranger", s0.random()));
        hive.run();
        CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
    }
    SECTION("a top-level INTERCOM for someone else") {
        s0.send(sealed(s0.make_bus("recognizer_loop:utterance"), "S1", "S0", s0.random()));
        hive.run();
        CHECK(hive.verdicts("not for us").size() == 1);
    }
    CHECK_FALSE(s0.closed().has_value());
}

TEST_CASE("master: an INTERCOM inside a transport travels on unless it is for this node",
          "[node][master][intercom]") {
    MasterHive hive;
    auto& s0 = join_with_key(hive, "S0");
    auto& s1 = join_with_key(hive, "S1");
    SECTION("for another node: forwarded unchanged") {
        const HiveMessage intercom =
            sealed(s0.make_bus("recognizer_loop:utterance"), "S1", "S0", s0.random());
        s0.send(HiveMessage::wrap(MessageType::propagate, intercom));
        hive.run();
        const auto got = s1.received_of(MessageType::propagate);
        REQUIRE(got.size() == 1);
        CHECK(got[0].inner().payload() == intercom.payload());
        CHECK(got[0].inner().target_pubkey() == intercom.target_pubkey());
        CHECK(hive.agent().injected_of("recognizer_loop:utterance").empty());
    }
    SECTION("for this node: consumed") {
        s0.send(HiveMessage::wrap(
            MessageType::propagate,
            sealed(s0.make_bus("recognizer_loop:utterance"), "M0", "S0", s0.random())));
        hive.run();
        CHECK(s1.received_of(MessageType::propagate).empty());
        CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
    }
}

TEST_CASE("master: a QUERY around an INTERCOM for this node asks with the decrypted BUS",
          "[node][master][intercom][query]") {
    MasterHive hive;
    auto& s0 = join_with_key(hive, "S0");
    hive.agent().on_query("recognizer_loop:utterance", [](const BusMessage& request) {
        return std::optional(request.reply("speak", Json::parse(R"({"secret": true})")));
    });
    HiveMessage message =
        HiveMessage::wrap(MessageType::query, sealed(s0.make_bus("recognizer_loop:utterance"), "M0",
                                                     "S0", s0.random()));
    message.set_metadata(Json::parse(R"({"query_id": "qi"})"));
    s0.send(message);
    hive.run_for(10ms);
    const auto responses = s0.received_of(MessageType::query);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].inner().bus_message().data() == Json::parse(R"({"secret": true})"));
}
