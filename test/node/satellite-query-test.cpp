// QUERY and CASCADE at a satellite (protocol.md B.9): answers injected locally and ending the
// wait, answers without an id, `hive.query.timeout`, the satellite's own deadline and a dying
// link, CASCADE requests from the master answered by the local responder, and several CASCADE
// answers collected until the TTL.

#include "catch.hpp"
#include "node/support/scripted_master.hpp"

using namespace hivescope;
using namespace hivescope::test;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;
using record::Kind;
using record::Outcome;

namespace {

HiveMessage response(MessageType type, const BusMessage& answer, std::optional<std::string> id) {
    HiveMessage message = HiveMessage::wrap(type, HiveMessage::bus(answer));
    JsonObject metadata;
    if (id)
        metadata.set("query_id", Json(*id));
    metadata.set("is_response", Json(true));
    message.set_metadata(Json(std::move(metadata)));
    return message;
}

std::string last_verdict_reason(const record::Recorder& recorder) {
    for (std::size_t i = recorder.size(); i-- > 0;)
        if (recorder[i].kind == Kind::verdict)
            return recorder[i].reason;
    return {};
}

} // namespace

TEST_CASE("a QUERY answer is injected and ends the wait", "[satellite][query]") {
    SatelliteHarness h;
    h.connect();
    const auto id = h.sat.query(BusMessage("what.time"));
    h.sim.run_for(10ms);
    REQUIRE(h.sat.core().pending().find(id) != nullptr);

    h.master.push(response(MessageType::query,
                           BusMessage("time.answer", Json(JsonObject{{"time", Json("12:00")}})),
                           id));
    h.sim.run_for(10ms);
    const auto answers = h.sat.bus().injected_of("time.answer");
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].data().get_string("time") == "12:00");
    CHECK(answers[0].context().get_string("query_id") == id);
    CHECK(h.sat.core().pending().find(id) == nullptr);
    CHECK(h.sim.pending_events() == 0); // the deadline timer was cancelled

    // A second answer finds no pending query.
    h.master.push(response(MessageType::query, BusMessage("time.answer"), id));
    h.settle();
    CHECK(h.sat.bus().injected_of("time.answer").size() == 1);
    CHECK(last_verdict_reason(h.sat.recorder()) == "unknown query");
}

TEST_CASE("an answer without a query id goes to the oldest pending query", "[satellite][query]") {
    SatelliteHarness h;
    h.connect();
    const auto first = h.sat.query(BusMessage("q1"));
    const auto second = h.sat.query(BusMessage("q2"));
    h.sim.run_for(10ms);
    // A reference master sends a bare QUERY(BUS) with no metadata at all.
    h.master.push(HiveMessage::wrap(MessageType::query, HiveMessage::bus(BusMessage("a"))));
    h.sim.run_for(10ms);
    CHECK(h.sat.core().pending().find(first) == nullptr);
    CHECK(h.sat.core().pending().find(second) != nullptr);
    REQUIRE(h.sat.bus().injected_of("a").size() == 1);
    CHECK(h.sat.bus().injected_of("a")[0].context().get_string("query_id") == first);
}

TEST_CASE("hive.query.timeout from the master ends the wait", "[satellite][query]") {
    SatelliteHarness h;
    h.connect();
    const auto id = h.sat.query(BusMessage("nobody.knows"));
    h.sim.run_for(5s);
    h.master.push(
        response(MessageType::query,
                 BusMessage("hive.query.timeout",
                            Json(JsonObject{{"query_id", Json(id)}, {"error", Json("no_answer")}})),
                 id));
    h.settle();
    const auto timeouts = h.sat.bus().injected_of("hive.query.timeout");
    REQUIRE(timeouts.size() == 1); // no second, local one
    CHECK(timeouts[0].data().get_string("error") == "no_answer");
    CHECK(h.sat.core().pending().size() == 0);
}

TEST_CASE("with no answer at all the satellite's own deadline ends the wait",
          "[satellite][query]") {
    auto options = test_satellite_options();
    options.query_timeout = 7s;
    SatelliteHarness h({}, options);
    h.connect();
    const auto start = h.sim.now();
    const auto id = h.sat.query(BusMessage("silence"));
    h.sim.run_for(6s);
    CHECK(h.sat.bus().injected_of("hive.query.timeout").empty());
    h.settle();
    const auto& injected = h.sat.bus().injected();
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].message.type() == "hive.query.timeout");
    CHECK(injected[0].message.data().get_string("query_id") == id);
    CHECK(injected[0].time - start == 7s);
    CHECK(h.sat.core().pending().size() == 0);
    // A late answer is dropped.
    h.master.push(response(MessageType::query, BusMessage("late"), id));
    h.settle();
    CHECK(h.sat.bus().injected_of("late").empty());
}

TEST_CASE("a closing upstream link times out pending queries", "[satellite][query]") {
    SatelliteHarness h;
    h.connect();
    const auto id = h.sat.query(BusMessage("q"));
    (void)h.sat.cascade(BusMessage("c"));
    h.sim.run_for(10ms);
    h.master.close({1000, "bye"});
    h.sim.run_for(10ms);
    const auto timeouts = h.sat.bus().injected_of("hive.query.timeout");
    REQUIRE(timeouts.size() == 1);
    CHECK(timeouts[0].data().get_string("query_id") == id);
    CHECK(h.sat.core().pending().size() == 0);
    CHECK(h.sim.pending_events() == 0);
}

TEST_CASE("a CASCADE request from the master is injected and answered by the local responder",
          "[satellite][query][cascade]") {
    SatelliteHarness h;
    h.connect();
    h.sat.bus().on_query("who.is.there", [](const BusMessage& request) {
        return std::optional<BusMessage>(
            request.reply("i.am.here", Json(JsonObject{{"who", Json("S0")}})));
    });
    HiveMessage request =
        HiveMessage::wrap(MessageType::cascade, HiveMessage::bus(BusMessage("who.is.there")));
    request.set_metadata(Json(JsonObject{{"query_id", Json("c-1")}}));
    request.route() = {{"M0", {"S0::x"}}};
    const auto mark = h.sat.recorder().mark();
    h.master.push(request);
    h.sim.run_for(10ms);

    const auto injected = h.sat.bus().injected_of("who.is.there");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].context().get_string("query_id") == "c-1");

    const auto responses = h.master.received_of(MessageType::cascade);
    REQUIRE(responses.size() == 1);
    const auto& r = responses[0];
    CHECK(r.metadata() == Json(JsonObject{{"query_id", Json("c-1")}, {"is_response", Json(true)}}));
    CHECK(r.inner().bus_message().type() == "i.am.here");
    CHECK(r.inner().bus_message().data().get_string("who") == "S0");
    // The request's route, extended.
    CHECK(r.route() == std::vector<protocol::RouteHop>{{"M0", {"S0::x"}}, {"S0", {"M0"}}});
    bool answered = false;
    for (const auto& rec : h.sat.recorder().since(mark))
        answered = answered || (rec.kind == Kind::dispatch && rec.detail == "cascade answered");
    CHECK(answered);

    // The same request again is a duplicate.
    h.master.push(request);
    h.sim.run_for(10ms);
    CHECK(last_verdict_reason(h.sat.recorder()) == "duplicate");
    CHECK(h.master.received_of(MessageType::cascade).size() == 1);
}

TEST_CASE("a CASCADE request nobody answers is only injected", "[satellite][query][cascade]") {
    SatelliteHarness h;
    h.connect();
    h.master.push(HiveMessage::wrap(MessageType::cascade, HiveMessage::bus(BusMessage("anyone"))));
    h.settle();
    REQUIRE(h.sat.bus().injected_of("anyone").size() == 1);
    // A missing query id is assigned locally.
    CHECK(h.sat.bus().injected_of("anyone")[0].context().get_string("query_id").size() == 32);
    CHECK(h.master.received_of(MessageType::cascade).empty());
}

TEST_CASE("several CASCADE answers are injected until the TTL", "[satellite][query][cascade]") {
    auto options = test_satellite_options();
    options.cascade_ttl = 3s;
    SatelliteHarness h({}, options);
    h.connect();
    const auto id = h.sat.cascade(BusMessage("count.off"));
    h.sim.run_for(10ms);
    h.master.push(response(MessageType::cascade, BusMessage("one"), id));
    h.master.push(response(MessageType::cascade, BusMessage("two"), id));
    h.sim.run_for(10ms);
    CHECK(h.sat.bus().injected_of("one").size() == 1);
    CHECK(h.sat.bus().injected_of("two").size() == 1);
    CHECK(h.sat.core().pending().find(id) != nullptr);
    h.sim.run_for(3s);
    CHECK(h.sat.core().pending().find(id) == nullptr);
    h.master.push(response(MessageType::cascade, BusMessage("three"), id));
    h.settle();
    CHECK(h.sat.bus().injected_of("three").empty());
    CHECK(last_verdict_reason(h.sat.recorder()) == "unknown query");
}

TEST_CASE("a response for an unknown query is dropped", "[satellite][query]") {
    SatelliteHarness h;
    h.connect();
    h.master.push(response(MessageType::query, BusMessage("stray"), std::string("nope")));
    h.master.push(response(MessageType::cascade, BusMessage("stray2"), std::string("nope")));
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    CHECK(last_verdict_reason(h.sat.recorder()) == "unknown query");
}
