// What the master half sends upstream when its node has an upstream half (a relay): PROPAGATE
// and ESCALATE go up (B.7.1), PING answers go up (B.8), an unanswered QUERY is escalated at the
// deadline and answered with a timeout when the upstream link is lost (B.9). The upstream half is
// a stub here; the real relay is tested with the topology.

#include "catch.hpp"

#include "node/support/master_fixture.hpp"

using namespace hivescope;
using namespace hivescope::test;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::MessageType;

namespace {

// An upstream half that is always ready and keeps what it is asked to send.
struct StubUpstream : node::UpstreamRole {
    bool ready = true;
    std::vector<HiveMessage> sent;
    [[nodiscard]] bool upstream_ready() const override { return ready; }
    bool send_upstream(const HiveMessage& message) override {
        sent.push_back(message);
        return true;
    }
    [[nodiscard]] std::string upstream_node_id() const override { return "TOP"; }
};

std::vector<MessageType> types(const std::vector<HiveMessage>& messages) {
    std::vector<MessageType> out;
    for (const auto& m : messages)
        out.push_back(m.type());
    return out;
}

} // namespace

TEST_CASE("master: with an upstream, PROPAGATE and ESCALATE go up, BROADCAST does not",
          "[node][master][upstream]") {
    MasterHive hive;
    StubUpstream upstream;
    hive.master->core().upstream = &upstream;
    auto& a = hive.join("A", [](node::ClientRecord& r) { r.is_admin = true; });
    const auto wrap = [&](MessageType type) {
        HiveMessage m = HiveMessage::wrap(type, HiveMessage::bus(a.make_bus("speak")));
        m.set_metadata(Json::parse(R"({"k": 1})"));
        return m;
    };
    a.send(wrap(MessageType::broadcast));
    a.send(wrap(MessageType::propagate));
    a.send(wrap(MessageType::escalate));
    hive.run();
    REQUIRE(types(upstream.sent) ==
            std::vector<MessageType>{MessageType::propagate, MessageType::escalate});
    // The forwarding form: metadata kept; the upstream half adds its own hop.
    CHECK(upstream.sent[1].metadata() == Json::parse(R"({"k": 1})"));
    CHECK(upstream.sent[1].inner().bus_message().type() == "speak");
    CHECK(upstream.sent[1].route().empty());
    hive.master->core().upstream = nullptr;
}

TEST_CASE("master: a PING answer also goes upstream", "[node][master][upstream][ping]") {
    MasterHive hive;
    StubUpstream upstream;
    hive.master->core().upstream = &upstream;
    auto& s0 = hive.join("S0");
    s0.send(HiveMessage::wrap(
        MessageType::propagate,
        HiveMessage(MessageType::ping,
                    Json::parse(R"({"flood_id": "f9", "peer": "S0", "site_id": "k",
                                    "timestamp": 0.0})"))));
    hive.run();
    // Our own answer, then the forwarded ping.
    REQUIRE(upstream.sent.size() == 2);
    CHECK(upstream.sent[0].inner().payload().get_string("peer") == "M0");
    CHECK(upstream.sent[1].inner().payload().get_string("peer") == "S0");
    hive.master->core().upstream = nullptr;
}

TEST_CASE("master: an unanswered QUERY is escalated at the deadline; a lost upstream times it out",
          "[node][master][upstream][query]") {
    MasterHive hive;
    StubUpstream upstream;
    hive.master->core().upstream = &upstream;
    auto& s0 = hive.join("S0");
    HiveMessage request = HiveMessage::wrap(
        MessageType::query, HiveMessage::bus(s0.make_bus("recognizer_loop:utterance")));
    request.set_metadata(Json::parse(R"({"query_id": "up1"})"));
    s0.send(request);
    hive.run_for(4s);
    CHECK(upstream.sent.empty());
    hive.run_for(2s);
    REQUIRE(upstream.sent.size() == 1);
    CHECK(upstream.sent[0].type() == MessageType::query);
    CHECK(upstream.sent[0].metadata().get_string("query_id") == "up1");
    const auto* entry = hive.master->core().pending().find("up1");
    REQUIRE(entry != nullptr);
    CHECK(entry->escalated);
    CHECK(s0.received_of(MessageType::query).empty());

    // The upstream half routes the answer down itself (send_to_link); if its link is lost, the
    // master answers with a timeout instead.
    hive.master->role().upstream_lost();
    hive.run();
    const auto responses = s0.received_of(MessageType::query);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].inner().bus_message().type() == "hive.query.timeout");
    CHECK(hive.master->core().pending().size() == 0);
    hive.master->core().upstream = nullptr;
}

TEST_CASE("master: a QUERY with no upstream ready is answered locally with a timeout",
          "[node][master][upstream][query]") {
    MasterHive hive;
    StubUpstream upstream;
    upstream.ready = false;
    hive.master->core().upstream = &upstream;
    auto& s0 = hive.join("S0");
    s0.send(HiveMessage::wrap(MessageType::query,
                              HiveMessage::bus(s0.make_bus("recognizer_loop:utterance"))));
    hive.run();
    CHECK(upstream.sent.empty());
    REQUIRE(s0.received_of(MessageType::query).size() == 1);
    CHECK(s0.received_of(MessageType::query)[0].inner().bus_message().type() ==
          "hive.query.timeout");
    hive.master->core().upstream = nullptr;
}

TEST_CASE("master: send_to_link delivers a message built by the other half",
          "[node][master][upstream]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    const auto link = hive.master->find_client(s0.peer_id())->link_id;
    CHECK(hive.master->role().send_to_link(link, HiveMessage::bus(BusMessage("speak"))));
    CHECK_FALSE(hive.master->role().send_to_link(link + 100, HiveMessage::bus(BusMessage("x"))));
    // A transport gets this node's hop towards the client, outer and inner (B.7.4).
    HiveMessage response =
        HiveMessage::wrap(MessageType::query, HiveMessage::bus(BusMessage("answer")));
    response.set_metadata(Json::parse(R"({"query_id": "x", "is_response": true})"));
    response.add_hop({"TOP", {"M0"}});
    CHECK(hive.master->role().send_to_link(link, response));
    hive.run();
    CHECK(s0.bus_received("speak").size() == 1);
    const auto got = s0.received_of(MessageType::query);
    REQUIRE(got.size() == 1);
    CHECK(got[0].route() ==
          std::vector<protocol::RouteHop>{{"TOP", {"M0"}}, {"M0", {s0.peer_id()}}});
    CHECK(got[0].inner().route() == std::vector<protocol::RouteHop>{{"M0", {s0.peer_id()}}});
    // The public send needs a registered peer, and records nothing otherwise.
    const auto before = hive.recorder().size();
    CHECK_THROWS_AS(hive.master->role().send("nobody", HiveMessage::bus(BusMessage("x"))),
                    protocol::ProtocolError);
    CHECK(hive.recorder().size() == before);
}
