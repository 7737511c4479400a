// QUERY and CASCADE through a relay (protocol.md B.9): the relay asks its own agent first and
// escalates at its query timeout; answers and timeouts come back down to the asking satellite
// only; a CASCADE fans out over the whole hive and every answer returns to its originator.

#include "catch.hpp"

#include "multihop-support.hpp"

using namespace hivescope;
using namespace hivescope::test::multihop;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::Json;
using protocol::JsonObject;

namespace {

// Query responses (QUERY or CASCADE with is_response) a node received.
std::vector<Record> responses_in(const record::Recorder& recorder, MessageType type) {
    return records(recorder, [type](const Record& r) {
        if (r.kind != Kind::in || !r.message || r.message->type() != type)
            return false;
        const Json* flag = r.message->metadata().find("is_response");
        return flag != nullptr && flag->is_bool() && flag->as_bool();
    });
}

// A responder answering `type` with `answer.from = who`.
node::Bus::QueryResponder answer_from(std::string who) {
    return [who](const BusMessage& request) -> std::optional<BusMessage> {
        return request.reply("answer", Json(JsonObject{{"from", who}}));
    };
}

std::vector<std::string> answers_from(node::Bus& bus, const std::string& query_id) {
    std::vector<std::string> out;
    for (const auto& message : bus.injected_of("answer"))
        if (message.context().get_string("query_id") == query_id)
            out.push_back(message.data().get_string("from"));
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("relay: a QUERY the relay's agent cannot answer is escalated to M0 and the answer "
          "comes back down to the asking satellite only",
          "[topology][relay][query]") {
    auto hive = start(fast(scenarios::with_relay({"question"})));
    auto& s0 = hive.satellite("S0");
    const auto s1_mark = hive.recorder("S1").mark();

    // 1. Nobody answers: M0 times out and the satellite gets hive.query.timeout.
    {
        const auto t0 = hive.simulation().now();
        const std::string query_id = s0.query(BusMessage("question"));
        REQUIRE(hive.run_until([&] { return !s0.bus().injected_of("hive.query.timeout").empty(); },
                               25s));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "R0", "M0"}, 14));
        // R0 escalated at 5 s, M0 gave up at its own 5 s deadline: the satellite's 30 s wait
        // was ended by the timeout reply, not by its own timer.
        CHECK(hive.simulation().now() - t0 < 11s);
        const auto timeouts = s0.bus().injected_of("hive.query.timeout");
        REQUIRE(timeouts.size() == 1);
        CHECK(timeouts[0].data().get_string("query_id") == query_id);
        CHECK(timeouts[0].data().get_string("error") == "no_answer");
        CHECK(drops(hive.recorder("S0"), "query timeout").empty());
        CHECK(responses_in(hive.recorder("R0"), MessageType::query).size() == 1);
        CHECK(hive.relay("R0").core().pending().size() == 0);
        CHECK(hive.master("M0").core().pending().size() == 0);
    }

    // 2. M0's agent answers, after the relay's query timeout.
    {
        std::vector<BusMessage> asked_at_m0;
        hive.master("M0").agent().on_query("question", [&](const BusMessage& request) {
            asked_at_m0.push_back(request);
            return std::optional<BusMessage>(
                request.reply("answer", Json(JsonObject{{"from", "M0"}})));
        });
        const auto t0 = hive.simulation().now();
        const auto r0_mark = hive.recorder("R0").mark();
        const std::string query_id = s0.query(BusMessage("question"));
        REQUIRE(hive.run_until([&] { return !s0.bus().injected_of("answer").empty(); }, 20s));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "R0", "M0", "S1"}, 14));

        // The relay asked its agent first (the shared agent saw the request) and waited its
        // query timeout (5 s) before escalating.
        CHECK(hive.relay("R0").agent().injected_of("question").size() == 2);
        const auto r0 = hive.recorder("R0").since(r0_mark);
        const auto escalated = records(r0, [](const Record& r) {
            return r.kind == Kind::dispatch && r.detail == "query escalated";
        });
        REQUIRE(escalated.size() == 1);
        CHECK(escalated[0].time - t0 >= 5s);
        const auto r0_out = records_of(r0, Kind::out, MessageType::query);
        REQUIRE(r0_out.size() == 2); // the escalation, then the answer down
        CHECK(r0_out[0].peer == "M0");
        CHECK(r0_out[0].message->metadata().get_string("query_id") == query_id);
        CHECK(r0_out[1].peer == s0.role().peer_id());

        // M0's agent got the request with the same query id and answered it.
        REQUIRE(asked_at_m0.size() == 1);
        CHECK(asked_at_m0[0].context().get_string("query_id") == query_id);
        CHECK(answers_from(s0.bus(), query_id) == std::vector<std::string>{"M0"});
        CHECK(s0.bus().injected_of("hive.query.timeout").size() == 1); // only the first query's
        CHECK(s0.core().pending().size() == 0);
        CHECK(hive.relay("R0").core().pending().size() == 0);
    }

    // 3. The relay's own agent answers: nothing is escalated.
    {
        hive.relay("R0").agent().on_query("question", answer_from("R0"));
        const auto m0_mark = hive.recorder("M0").mark();
        const std::string query_id = s0.query(BusMessage("question"));
        hive.run_for(12s);
        INFO(transcripts(hive, {"S0", "R0", "M0"}, 14));
        CHECK(answers_from(s0.bus(), query_id) == std::vector<std::string>{"R0"});
        CHECK(records_of(hive.recorder("M0").since(m0_mark), Kind::in, MessageType::query).empty());
    }

    // The sibling heard nothing of any of it.
    INFO(transcripts(hive, {"S1"}, 10));
    CHECK(hive.recorder("S1").since(s1_mark).empty());
}

TEST_CASE("relay: a CASCADE from a satellite under a relay fans out over the hive and every "
          "answer returns to the originator only",
          "[topology][relay][cascade]") {
    // M0 ← {R0 ← {S0, S1}, S2}: S1 is a sibling, S2 another client of M0.
    auto builder = fast(scenarios::with_relay({"cascade.ask"}));
    builder.add_satellite("S2", "M0", [] {
        topology::SatelliteSpec spec;
        spec.acl.allowed_types = {"cascade.ask"};
        return spec;
    }());
    auto hive = start(builder);
    hive.master("M0").agent().on_query("cascade.ask", answer_from("M0"));
    hive.relay("R0").agent().on_query("cascade.ask", answer_from("R0"));
    hive.satellite("S1").bus().on_query("cascade.ask", answer_from("S1"));
    hive.satellite("S2").bus().on_query("cascade.ask", answer_from("S2"));

    auto& s0 = hive.satellite("S0");
    const std::string query_id = s0.cascade(BusMessage("cascade.ask"));
    hive.run_for(2s);
    INFO(transcripts(hive, {"S0", "R0", "M0", "S1", "S2"}, 16));

    // Fan-out: every other node was asked, each once.
    CHECK(hive.master("M0").agent().injected_of("cascade.ask").size() == 1);
    CHECK(hive.relay("R0").agent().injected_of("cascade.ask").size() == 1);
    CHECK(hive.satellite("S1").bus().injected_of("cascade.ask").size() == 1);
    CHECK(hive.satellite("S2").bus().injected_of("cascade.ask").size() == 1);
    CHECK(s0.bus().injected_of("cascade.ask").empty());

    // Every answer came back to S0, each once, carrying the query id.
    CHECK(answers_from(s0.bus(), query_id) == std::vector<std::string>{"M0", "R0", "S1", "S2"});
    CHECK(responses_in(hive.recorder("S0"), MessageType::cascade).size() == 4);
    // ... and to nobody else.
    for (const char* name : {"S1", "S2"}) {
        INFO(name);
        CHECK(responses_in(hive.recorder(name), MessageType::cascade).empty());
        CHECK(hive.satellite(name).bus().injected_of("answer").empty());
    }
    // Answers are never injected at intermediate nodes.
    CHECK(hive.relay("R0").agent().injected_of("answer").empty());
    CHECK(hive.master("M0").agent().injected_of("answer").empty());
    // The request reached S2 through both masters, with their hops.
    const auto at_s2 = records_of(hive.recorder("S2"), Kind::in, MessageType::cascade);
    REQUIRE(at_s2.size() == 1);
    CHECK(hop_sources(at_s2[0].message->route()) == std::vector<std::string>{"S0", "R0", "M0"});
    CHECK(at_s2[0].message->metadata().get_string("query_id") == query_id);
}

TEST_CASE("relay: a QUERY climbs a chain of relays, one query timeout per level, and M0's answer "
          "retraces the route down (responses are exempt from the loop check)",
          "[topology][relay][query]") {
    // M0 ← R1 ← R2 ← R3 ← S0.
    auto hive = start(fast(scenarios::chain_topology(3, {"question"})));
    hive.master("M0").agent().on_query("question", answer_from("M0"));
    auto& s0 = hive.satellite("S0");
    const auto t0 = hive.simulation().now();
    const std::string query_id = s0.query(BusMessage("question"));
    REQUIRE(hive.run_until([&] { return !s0.bus().injected_of("answer").empty(); }, 29s));
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"S0", "R3", "R2", "R1", "M0"}, 10));

    // Each relay asked its agent and escalated after its own 5 s (B.9 step 2).
    for (const auto& [relay, after] :
         {std::pair{"R3", 5s}, std::pair{"R2", 10s}, std::pair{"R1", 15s}}) {
        INFO(relay);
        CHECK(hive.relay(relay).agent().injected_of("question").size() == 1);
        const auto escalated = records(hive.recorder(relay), [](const Record& r) {
            return r.kind == Kind::dispatch && r.detail == "query escalated";
        });
        REQUIRE(escalated.size() == 1);
        CHECK(escalated[0].time - t0 >= after);
        CHECK(hive.relay(relay).core().pending().size() == 0);
    }
    CHECK(answers_from(s0.bus(), query_id) == std::vector<std::string>{"M0"});
    // The answer's route is the request's, extended by every node on the way back: it names
    // R1, R2 and R3 twice, and no relay dropped it as a loop.
    const auto answer = responses_in(hive.recorder("S0"), MessageType::query);
    REQUIRE(answer.size() == 1);
    CHECK(hop_sources(answer[0].message->route()) ==
          std::vector<std::string>{"S0", "R3", "R2", "R1", "M0", "R1", "R2", "R3"});
    for (const char* relay : {"R1", "R2", "R3"})
        CHECK(drops(hive.recorder(relay), "loop").empty());
}

TEST_CASE("relay: a QUERY waiting on a lost upstream is answered with hive.query.timeout",
          "[topology][relay][query]") {
    auto hive = start(fast(scenarios::with_relay({"question"})));
    auto& s0 = hive.satellite("S0");

    // Escalated, then M0 drops the relay: the relay answers at once (B.9 step 3).
    const std::string first = s0.query(BusMessage("question"));
    hive.run_for(6s);
    REQUIRE(hive.relay("R0").core().pending().find(first) != nullptr);
    const auto lost_at = hive.simulation().now();
    REQUIRE(hive.master("M0").role().disconnect(hive.relay("R0").satellite().peer_id(),
                                                {sim::close_code::normal, "maintenance"}));
    REQUIRE(
        hive.run_until([&] { return !s0.bus().injected_of("hive.query.timeout").empty(); }, 1s));
    INFO(transcripts(hive, {"S0", "R0", "M0"}, 12));
    CHECK(hive.simulation().now() - lost_at < 100ms);
    CHECK(s0.bus().injected_of("hive.query.timeout")[0].data().get_string("query_id") == first);

    // With no upstream, the relay is a top master for the next QUERY: its own timeout reply.
    const auto asked_at = hive.simulation().now();
    const std::string second = s0.query(BusMessage("question"));
    REQUIRE(hive.run_until([&] { return s0.bus().injected_of("hive.query.timeout").size() == 2; },
                           10s));
    CHECK(hive.simulation().now() - asked_at >= 5s);
    CHECK(s0.bus().injected_of("hive.query.timeout")[1].data().get_string("query_id") == second);
    CHECK(hive.satellite("S1").bus().injected_of("hive.query.timeout").empty());
}

TEST_CASE("relay: a late answer from the relay's agent, after M0 answered the escalated QUERY, is "
          "consumed, never routed to the satellite",
          "[topology][relay][query]") {
    auto hive = start(fast(scenarios::with_relay({"question"})));
    hive.master("M0").agent().on_query("question", answer_from("M0"));
    // The relay's skill answers, but only after 8 s: past its 5 s window, after M0's answer.
    auto& agent = hive.relay("R0").agent();
    auto& simulation = hive.simulation();
    agent.on("question", [&agent, &simulation](const BusMessage& question) {
        const BusMessage late = question.reply("answer", Json(JsonObject{{"from", "R0"}}));
        simulation.schedule_after(8s, [&agent, late] { agent.emit(late); });
    });
    auto& s0 = hive.satellite("S0");
    const std::string query_id = s0.query(BusMessage("question"));
    hive.run_for(12s);
    INFO(transcripts(hive, {"S0", "R0"}, 12));

    // Each node takes at most one answer per query (B.9), and query answers are never routed
    // as agent replies (B.6): S0 sees M0's answer only.
    CHECK(answers_from(s0.bus(), query_id) == std::vector<std::string>{"M0"});
    CHECK(records_of(hive.recorder("R0"), Kind::out, MessageType::bus, "answer").empty());
    const auto late = drops(hive.recorder("R0"), "late answer");
    REQUIRE(late.size() == 1);
    CHECK(late[0].bus_type() == "answer");
}
