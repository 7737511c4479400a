// The relay's master half as its satellites see it (protocol.md B.3, B.5, B.6, B.14): an
// utterance is injected into the relay's own agent and its reply goes back to the speaker only;
// admission refuses a revoked key and a wrong password fails the handshake, with typed outcomes,
// at the relay just as at a top master.

#include "catch.hpp"

#include "multihop-support.hpp"

#include "hivescope/node/satellite_node.hpp"

using namespace hivescope;
using namespace hivescope::test::multihop;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::Json;
using protocol::JsonObject;

TEST_CASE("relay: an utterance from a satellite under a relay is answered by the relay's agent, "
          "to that satellite only",
          "[topology][relay][agent]") {
    auto hive = start(fast(scenarios::with_relay({"recognizer_loop:utterance"})));
    auto& agent = hive.relay("R0").agent();
    agent.on("recognizer_loop:utterance", [&agent](const BusMessage& utterance) {
        agent.emit(utterance.reply("speak", Json(JsonObject{{"utterance", "hello from R0"}})));
    });
    const std::string s0_at_r0 = hive.satellite("S0").role().peer_id();
    const auto m0_mark = hive.recorder("M0").mark();

    hive.satellite("S0").send_bus(BusMessage(
        "recognizer_loop:utterance", Json(JsonObject{{"utterances", Json::parse(R"(["hi"])")}})));
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"S0", "R0", "S1", "M0"}, 14));

    // Injected into the relay's agent, for S0's connection (B.5), and nowhere upstream.
    const auto& injections = agent.injected();
    const auto utterance = std::find_if(injections.begin(), injections.end(), [](const auto& i) {
        return i.message.type() == "recognizer_loop:utterance";
    });
    REQUIRE(utterance != injections.end());
    CHECK(utterance->peer == s0_at_r0);
    CHECK(utterance->message.context().get_string("source") == s0_at_r0);
    CHECK(hive.master("M0").agent().injected_of("recognizer_loop:utterance").empty());
    CHECK(hive.recorder("M0").since(m0_mark).empty());

    // The reply reaches S0, with source "hive" moved into place by the satellite (B.12).
    const auto spoken = hive.satellite("S0").bus().injected_of("speak");
    REQUIRE(spoken.size() == 1);
    CHECK(spoken[0].data().get_string("utterance") == "hello from R0");
    const auto r0_out = records_of(hive.recorder("R0"), Kind::out, MessageType::bus, "speak");
    REQUIRE(r0_out.size() == 1);
    CHECK(r0_out[0].peer == s0_at_r0);
    // ... and S1 never hears it.
    CHECK(hive.satellite("S1").bus().injected_of("speak").empty());
    CHECK(records_of(hive.recorder("S1"), Kind::in, MessageType::bus).empty());
}

TEST_CASE("relay: BINARY from a satellite under a relay is dispatched by the relay's handler "
          "and goes no further",
          "[topology][relay][binary]") {
    auto hive = start(fast(scenarios::with_relay({"recognizer_loop:utterance"})));
    const auto m0_mark = hive.recorder("M0").mark();
    hive.satellite("S0").role().send_binary(protocol::BinaryPayloadType::file,
                                            protocol::to_bytes("file bytes"),
                                            Json(JsonObject{{"file_name", "a.txt"}}));
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"S0", "R0", "M0"}, 10));
    const auto& calls = hive.relay("R0").agent().binary_calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].handler == "receive_file");
    CHECK(calls[0].peer == hive.satellite("S0").role().peer_id());
    CHECK(calls[0].metadata.get_string("file_name") == "a.txt");
    CHECK(hive.master("M0").agent().binary_calls().empty());
    CHECK(hive.recorder("M0").since(m0_mark).empty());
    CHECK(hive.satellite("S1").bus().binary_calls().empty());
}

TEST_CASE("relay: admission at the relay's master half refuses a revoked key and fails a wrong "
          "password with typed outcomes",
          "[topology][relay][admission]") {
    auto hive = start(fast(scenarios::with_relay({"recognizer_loop:utterance"})));
    auto& relay = hive.relay("R0");

    // A satellite joining R0 by hand with the given credentials (declared after the hive, so it
    // is destroyed first).
    const auto joiner = [&hive](const std::string& name, const std::string& key,
                                const std::string& password) {
        node::SatelliteOptions options;
        options.node_id = name;
        options.site_id = "hive";
        options.master_address = "R0";
        options.access_key = key;
        options.password = password;
        options.kdf_iterations = 1000; // matches the hive's (simulated-only choice)
        options.announce_pubkey = false;
        return std::make_unique<node::SatelliteNode>(hive.network(), options);
    };
    node::ClientRecord record;
    record.name = "joiner";
    record.allowed_types = {"recognizer_loop:utterance"};
    record.password = "right password";

    std::unique_ptr<node::SatelliteNode> refused, failed, retry;

    // 1. A revoked key is refused before any frame.
    {
        record.api_key = "revoked-joiner-key";
        const int id = relay.database().add(record).client_id;
        REQUIRE(relay.database().revoke(id));
        refused = joiner("SX", record.api_key, "right password");
        auto& satellite = refused;
        satellite->connect();
        REQUIRE(hive.run_until_idle());
        INFO(satellite->recorder().snapshot().transcript(10) << "\n"
                                                             << transcripts(hive, {"R0"}, 10));

        const auto& failure = satellite->role().failure();
        REQUIRE(failure.has_value());
        CHECK(failure->kind == node::LinkFailure::Kind::refused);
        CHECK(failure->close.code == sim::close_code::policy_violation);
        CHECK(failure->close.reason == "invalid api key");
        CHECK(satellite->role().state() == node::LinkState::refused);
        // The relay recorded the refusal and told its agent; M0 saw nothing of it.
        const auto refusals =
            records(hive.recorder("R0"), [](const Record& r) { return r.kind == Kind::refusal; });
        REQUIRE(refusals.size() == 1);
        CHECK(refusals[0].reason == "invalid api key");
        CHECK(relay.agent().injected_of("hive.client.connection.error").size() == 1);
        CHECK(records(hive.recorder("M0"), [](const Record& r) {
                  return r.kind == Kind::refusal;
              }).empty());
        // Typed error on use.
        CHECK_THROWS_AS(satellite->role().throw_if_failed(), node::ConnectionRefused);
        CHECK_THROWS_AS(satellite->send_bus(BusMessage("recognizer_loop:utterance")),
                        protocol::ProtocolError);
        // The relay itself is unaffected.
        CHECK(relay.satellite().handshake_complete());
        CHECK(relay.master().registered_peers().size() == 2);
    }

    // 2. A wrong password fails the handshake with 1008 'handshake failed'.
    {
        record.api_key = "wrong-password-joiner-key";
        relay.database().add(record);
        failed = joiner("SZ", record.api_key, "wrong password");
        auto& satellite = failed;
        satellite->connect();
        REQUIRE(hive.run_until_idle());
        INFO(satellite->recorder().snapshot().transcript(10) << "\n"
                                                             << transcripts(hive, {"R0"}, 10));

        const auto& failure = satellite->role().failure();
        REQUIRE(failure.has_value());
        CHECK(failure->kind == node::LinkFailure::Kind::closed_by_master);
        CHECK(failure->close.code == sim::close_code::policy_violation);
        CHECK(failure->close.reason == "handshake failed");
        CHECK_FALSE(satellite->handshake_complete());
        const auto closes = records(hive.recorder("R0"), [](const Record& r) {
            return r.kind == Kind::verdict && r.outcome == Outcome::closed;
        });
        REQUIRE(closes.size() == 1);
        CHECK(closes[0].reason == "handshake failed");
        CHECK(closes[0].code == "1008");
        CHECK(relay.master().registered_peers().size() == 2);

        // The right password, same record, works: the refusal was about the proof.
        retry = joiner("SY", record.api_key, "right password");
        retry->connect();
        REQUIRE(hive.run_until_idle());
        CHECK(retry->handshake_complete());
        CHECK(relay.master().registered_peers().size() == 3);
    }

    // 3. Revoking a connected satellite's key closes it on its next message.
    {
        auto& s1 = hive.satellite("S1");
        const auto current = relay.database().find_by_key(s1.role().options().access_key);
        REQUIRE(current.has_value());
        REQUIRE(relay.database().revoke(current->client_id));
        s1.send_bus(BusMessage("recognizer_loop:utterance"));
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S1", "R0"}, 10));
        const auto& failure = s1.role().failure();
        REQUIRE(failure.has_value());
        CHECK(failure->kind == node::LinkFailure::Kind::closed_by_master);
        CHECK(failure->close.code == sim::close_code::policy_violation);
        CHECK(failure->close.reason == "invalid api key");
        CHECK(relay.agent().injected_of("recognizer_loop:utterance").empty());
        CHECK(relay.master().registered_peers().size() == 2); // S0 and SY
    }
}

TEST_CASE("relay: a satellite destroyed while its QUERY waits leaves no timer behind",
          "[topology][relay][query]") {
    auto hive = start(fast(scenarios::with_relay({"question"})));
    node::ClientRecord record;
    record.name = "leaver";
    record.api_key = "leaver-key";
    record.password = "leaver password";
    record.allowed_types = {"question"};
    hive.relay("R0").database().add(record);
    node::SatelliteOptions options;
    options.node_id = "SQ";
    options.master_address = "R0";
    options.access_key = record.api_key;
    options.password = record.password;
    options.kdf_iterations = 1000; // matches the hive's (simulated-only choice)
    options.announce_pubkey = false;
    auto leaver = std::make_unique<node::SatelliteNode>(hive.network(), options);
    leaver->connect();
    REQUIRE(hive.run_until_idle());
    REQUIRE(leaver->handshake_complete());

    leaver->query(BusMessage("question"));
    hive.run_for(1s); // delivered; R0 waits on its agent, SQ on its 30 s query timer
    const std::size_t waiting = hive.simulation().pending_events();
    leaver.reset();
    // Its own timer is gone with it; R0's timer (guarded by the master half) remains.
    REQUIRE(hive.simulation().pending_events() == waiting - 1);
    hive.run_for(40s);
    INFO(transcripts(hive, {"R0"}, 10));
    CHECK(hive.relay("R0").core().pending().size() == 0);
}
