// A master records one inbound frame several times (in, verdicts, inject) without copying the
// decoded message for each record, and without changing what each record shows: the in record
// keeps the message as it arrived, verdicts see it stamped with the sender's peer id (B.2 step
// 5), the inject record shows the B.5 rewrite, and the agent receives the same rewrite.

#include "catch.hpp"

#include "hivescope/scenarios/presets.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <vector>

using namespace hivescope;
using record::Kind;
using record::Outcome;

namespace {
topology::Hive start(const std::vector<std::string>& allowed, bool admin = false) {
    auto builder =
        admin ? scenarios::admin_satellite(allowed) : scenarios::single_satellite(allowed);
    builder.options().kdf_iterations = 1000;
    builder.options().satellite_pubkeys = false;
    auto hive = builder.start();
    hive.run_until_idle(); // the HELLO is still in flight when start() returns
    return hive;
}

std::vector<const record::Record*> after(const record::Recorder& recorder, record::Mark mark) {
    std::vector<const record::Record*> out;
    for (const auto& entry : recorder.since(mark))
        if (entry.kind == Kind::in || entry.kind == Kind::verdict || entry.kind == Kind::inject)
            out.push_back(&entry);
    return out;
}

/// The master's in, verdict and inject records of one admitted BUS sent by S0.
struct AdmittedBus {
    const record::Record& in;
    const record::Record& verdict;
    const record::Record& inject;
};

AdmittedBus send_admitted(topology::Hive& hive, protocol::BusMessage bus) {
    const auto mark = hive.recorder("M0").mark();
    hive.satellite("S0").send_bus(std::move(bus));
    REQUIRE(hive.run_until_idle());
    const auto records = after(hive.recorder("M0"), mark);
    REQUIRE(records.size() == 3);
    REQUIRE(records[0]->kind == Kind::in);
    REQUIRE(records[1]->kind == Kind::verdict);
    REQUIRE(records[1]->outcome == Outcome::allowed);
    REQUIRE(records[2]->kind == Kind::inject);
    return {*records[0], *records[1], *records[2]};
}
} // namespace

TEST_CASE("an admitted BUS: in as received, verdict stamped, inject rewritten",
          "[topology][record-sharing]") {
    auto hive = start({"speak"});
    auto& master = hive.master("M0");
    const auto [in, verdict, inject] = send_admitted(
        hive, protocol::BusMessage("speak", protocol::JsonObject{{"utterance", "hello"}}));
    // The claimed source_peer stays in the in record; the verdict has the link's peer id.
    CHECK(in.message->source_peer() == std::optional<std::string>("S0"));
    CHECK(verdict.message->source_peer() == std::optional<std::string>(in.peer));
    CHECK(in.message.shared() != verdict.message.shared());
    // Apart from the stamp, the verdict's message is the one received.
    protocol::HiveMessage restamped = *in.message;
    restamped.set_source_peer(in.peer);
    CHECK(*verdict.message == restamped);
    // The inject record and the agent hold the same rewritten OVOS message.
    const auto& injected = master.agent().injected().back();
    CHECK(inject.message->bus_message() == injected.message);
    CHECK(injected.message.context().find("peer")->as_string() == in.peer);
    CHECK(injected.message.context().find("session")->find("blacklisted_skills") != nullptr);
    // One peer id string for the three records and the injection, not a copy each.
    CHECK(in.peer.str().rfind("S0::", 0) == 0);
    CHECK(shares_text(in.peer, verdict.peer));
    CHECK(shares_text(in.peer, inject.peer));
    CHECK(shares_text(in.peer, injected.peer));
}

TEST_CASE("verdicts on one inbound message share it", "[topology][record-sharing]") {
    // A non-admin BUS in the "default" session is denied, then its link closed (B.5 step 1):
    // two verdicts on the same stamped message, one object.
    auto hive = start({"speak"});
    const auto mark = hive.recorder("M0").mark();
    protocol::BusMessage bus("speak");
    bus.set_session(protocol::JsonObject{{"session_id", "default"}});
    hive.satellite("S0").role().send(protocol::HiveMessage::bus(bus));
    hive.run_until_idle();
    const auto records = after(hive.recorder("M0"), mark);
    REQUIRE(records.size() >= 3);
    const auto& in = *records[0];
    const auto& denied = *records[1];
    const auto& closed = *records[2];
    REQUIRE(in.kind == Kind::in);
    REQUIRE(denied.outcome == Outcome::denied);
    REQUIRE(closed.outcome == Outcome::closed);
    REQUIRE(denied.message);
    CHECK(denied.message.shared() == closed.message.shared());
    CHECK(denied.message->source_peer() == std::optional<std::string>(in.peer));
    CHECK(in.message->source_peer() == std::optional<std::string>("S0"));
}

TEST_CASE("the agent's handlers see the injected message, stored unchanged",
          "[topology][record-sharing]") {
    auto hive = start({"speak"});
    auto& agent = hive.master("M0").agent();
    std::vector<protocol::BusMessage> heard;
    agent.on("speak", [&](const protocol::BusMessage& message) {
        heard.push_back(message);
        if (heard.size() == 1) // a handler that injects again (the stored list may move)
            agent.inject(protocol::BusMessage("speak.echo"), "local");
    });
    hive.satellite("S0").send_bus(protocol::BusMessage("speak"));
    REQUIRE(hive.run_until_idle());
    REQUIRE(heard.size() == 1);
    REQUIRE(agent.injected().size() >= 2);
    const auto& first = agent.injected()[agent.injected().size() - 2];
    CHECK(first.message == heard[0]);
    CHECK(agent.injected().back().message.type() == "speak.echo");
}

TEST_CASE("records of one hop share the decoded objects instead of copying them",
          "[topology][record-sharing]") {
    auto hive = start({"speak"});
    auto& master = hive.master("M0");
    const auto [in, verdict, inject] = send_admitted(
        hive, protocol::BusMessage(
                  "speak", protocol::JsonObject{{"utterance", "hello"}, {"lang", "en-us"}}));
    const auto data_of = [](const record::Record& entry) -> const protocol::JsonObject& {
        return entry.message->payload().find("data")->as_object();
    };
    // The stamped message (verdict) shares the received payload; the rewrite shares its data.
    CHECK(
        shares_storage(in.message->payload().as_object(), verdict.message->payload().as_object()));
    CHECK(shares_storage(data_of(in), data_of(inject)));
    // The agent's copy shares the inject record's rewritten context and data.
    const auto& injected = master.agent().injected().back().message;
    CHECK(shares_storage(injected.data().as_object(), data_of(inject)));
    CHECK(shares_storage(injected.context().as_object(),
                         inject.message->payload().find("context")->as_object()));
    // The rewritten context is not the received one: the rewrite copied what it changed.
    CHECK_FALSE(shares_storage(injected.context().as_object(),
                               in.message->payload().find("context")->as_object()));
    CHECK(in.message->payload().find("context")->find("peer") == nullptr);

    // A test that changes a copy taken from a record changes only its copy.
    protocol::BusMessage mine = injected;
    mine.data()["utterance"] = protocol::Json("changed");
    CHECK(injected.data().find("utterance")->as_string() == "hello");
    CHECK(data_of(in).find("utterance")->as_string() == "hello");
}

TEST_CASE("a satellite's BUS messages share its session object", "[topology][record-sharing]") {
    auto hive = start({"speak"});
    auto& satellite = hive.satellite("S0");
    const auto mark = hive.recorder("S0").mark();
    satellite.send_bus(protocol::BusMessage("speak"));
    satellite.send_bus(protocol::BusMessage("speak"));
    REQUIRE(hive.run_until_idle());
    std::vector<const protocol::JsonObject*> sessions;
    for (const auto& entry : hive.recorder("S0").since(mark))
        if (entry.kind == Kind::out)
            sessions.push_back(
                &entry.message->payload().find("context")->find("session")->as_object());
    REQUIRE(sessions.size() == 2);
    // Both carry the satellite's session as it stands, without a copy each.
    CHECK(shares_storage(*sessions[0], *sessions[1]));
    CHECK(shares_storage(*sessions[0], satellite.role().session().as_object()));
    CHECK(sessions[0]->find("session_id")->as_string() == satellite.role().session_id());

    // A caller's own session is completed, not replaced by ours.
    protocol::BusMessage own("speak");
    own.set_session(protocol::JsonObject{{"lang", "pt-pt"}});
    const auto before = hive.recorder("S0").mark();
    satellite.send_bus(own);
    REQUIRE(hive.run_until_idle());
    const record::Record* sent = nullptr;
    for (const auto& entry : hive.recorder("S0").since(before))
        if (entry.kind == Kind::out)
            sent = &entry;
    REQUIRE(sent != nullptr);
    const auto& session = *sent->message->payload().find("context")->find("session");
    CHECK(session.find("lang")->as_string() == "pt-pt");
    CHECK(session.find("session_id")->as_string() == satellite.role().session_id());
    CHECK(session.find("site_id")->as_string() ==
          satellite.role().session().find("site_id")->as_string());
}
