// Determinism over a deep topology: the same traffic on tree(2, 3) with one seed gives the same
// trace digest twice; another seed gives another trace.

#include "catch.hpp"

#include "multihop-support.hpp"

using namespace hivescope;
using namespace hivescope::test::multihop;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::Json;
using protocol::JsonObject;

namespace {

struct Run {
    std::uint64_t digest = 0;
    std::size_t records = 0;
    std::string transcript;
    std::size_t spoken = 0;          // satellites that got their relay agent's reply
    std::size_t cascade_answers = 0; // at S0.1, from S2.1 under another relay
    std::size_t query_answers = 0;   // at S2.2, from M0
};

// Every kind of multi-hop traffic: utterances answered by relay agents, a PROPAGATE and an
// ESCALATE from leaves, a PING flood from the root, a QUERY escalated to M0, a CASCADE.
Run run(std::uint64_t seed) {
    auto builder = fast(scenarios::tree(2, 3, {"recognizer_loop:utterance", "question", "note"}));
    builder.seed(seed);
    auto hive = start(builder);
    for (const auto& name : hive.relay_names()) {
        auto& agent = hive.relay(name).agent();
        agent.on("recognizer_loop:utterance", [&agent](const BusMessage& utterance) {
            agent.emit(utterance.reply("speak", Json(JsonObject{{"utterance", "ok"}})));
        });
    }
    hive.master("M0").agent().on_query("question", [](const BusMessage& request) {
        return std::optional<BusMessage>(request.reply("answer"));
    });
    hive.satellite("S2.1").bus().on_query("note", [](const BusMessage& request) {
        return std::optional<BusMessage>(request.reply("answer"));
    });

    for (const auto& name : hive.satellite_names())
        hive.satellite(name).send_bus(BusMessage("recognizer_loop:utterance"));
    hive.satellite("S0.0").role().propagate(BusMessage("note"));
    hive.satellite("S1.1").role().escalate(BusMessage("note"));
    hive.master("M0").start_ping_flood();
    hive.satellite("S2.2").query(BusMessage("question"));
    hive.satellite("S0.1").cascade(BusMessage("note"));
    hive.run_for(40s);

    Run out;
    for (const auto& name : hive.satellite_names())
        out.spoken += hive.satellite(name).bus().injected_of("speak").size();
    out.cascade_answers = hive.satellite("S0.1").bus().injected_of("answer").size();
    out.query_answers = hive.satellite("S2.2").bus().injected_of("answer").size();
    out.digest = hive.trace_digest();
    for (const auto& name : all_names(hive))
        out.records += hive.recorder(name).size();
    for (const auto* record : hive.merged_trace())
        out.transcript += record->to_line() + "\n";
    return out;
}

// The first line where two transcripts differ, for the failure message.
std::string first_difference(const std::string& a, const std::string& b) {
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        if (a[i] != b[i]) {
            const auto end_a = a.find('\n', i);
            const auto end_b = b.find('\n', i);
            return "first run:  " + a.substr(line_start, end_a - line_start) +
                   "\nsecond run: " + b.substr(line_start, end_b - line_start);
        }
        if (a[i] == '\n')
            line_start = i + 1;
    }
    return a.size() == b.size() ? "identical transcripts" : "one transcript is a prefix";
}

} // namespace

TEST_CASE("determinism: the same traffic on tree(2, 3) with one seed gives one trace",
          "[topology][relay][determinism]") {
    const Run first = run(42);
    const Run second = run(42);
    const Run other = run(43);
    INFO(first_difference(first.transcript, second.transcript));
    INFO("records: " << first.records << " / " << second.records << " / " << other.records);
    // A meaningful amount of traffic crossed the tree, and landed where it should.
    CHECK(first.records > 1000);
    CHECK(first.spoken == 9);
    CHECK(first.cascade_answers == 1);
    CHECK(first.query_answers == 1);
    CHECK(first.records == second.records);
    CHECK(first.transcript == second.transcript);
    CHECK(first.digest == second.digest);
    CHECK(first.digest != other.digest);
}
