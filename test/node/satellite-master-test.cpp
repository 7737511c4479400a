// End to end: our SatelliteNode against our MasterNode over the simulated network. Connect and
// handshake, BUS injected at the agent and the reply routed back, refusals and a wrong password
// surfaced as typed failures, QUERY answered and timed out, INTERCOM between two satellites
// through the master, and a PING flood answered once.

#include "catch.hpp"

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "vectors.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <unistd.h>

using namespace hivescope;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;

namespace {

/// The two RSA keys of the handshake vectors, read at run time (no key generation).
std::pair<std::shared_ptr<const protocol::RsaKeyPair>, std::shared_ptr<const protocol::RsaKeyPair>>
vector_keys() {
    static const auto keys = [] {
        const auto file = test::load_vectors("handshake.json");
        std::shared_ptr<const protocol::RsaKeyPair> a, b;
        for (const auto& c : test::vector_cases(file)) {
            if (const Json* pem = c.find("sender_private_pem"))
                a = std::make_shared<const protocol::RsaKeyPair>(
                    protocol::RsaKeyPair::from_pem(pem->as_string()));
            if (const Json* pem = c.find("receiver_private_pem"))
                b = std::make_shared<const protocol::RsaKeyPair>(
                    protocol::RsaKeyPair::from_pem(pem->as_string()));
        }
        REQUIRE(a);
        REQUIRE(b);
        return std::make_pair(a, b);
    }();
    return keys;
}

struct Hive {
    explicit Hive(std::shared_ptr<node::ClientDatabase> database = {}) : net(sim) {
        node::MasterOptions options;
        options.database = std::move(database);
        options.node_id = "M0";
        options.site_id = "hub";
        options.kdf_iterations = 1000;
        master = std::make_unique<node::MasterNode>(net, options);
        master->core().set_identity(vector_keys().first);
    }

    node::ClientRecord add_record(const std::string& name, bool propagate = true) {
        node::ClientRecord record;
        record.api_key = name + "-key";
        record.name = name;
        record.password = name + "-pw";
        record.allowed_types = {"recognizer_loop:utterance", "speak", "what.time", "secret"};
        record.can_propagate = propagate;
        return master->database().add(record);
    }

    node::SatelliteNode& satellite(const std::string& name, const std::string& site,
                                   std::shared_ptr<const protocol::RsaKeyPair> key = {}) {
        node::SatelliteOptions options;
        options.node_id = name;
        options.site_id = site;
        options.master_address = "M0";
        options.access_key = name + "-key";
        options.password = name + "-pw";
        options.kdf_iterations = 1000;
        satellites.push_back(std::make_unique<node::SatelliteNode>(net, options));
        auto& sat = *satellites.back();
        sat.core().set_identity(key ? key : vector_keys().second);
        return sat;
    }

    sim::Simulation sim{11};
    sim::Network net;
    std::unique_ptr<node::MasterNode> master;
    std::vector<std::unique_ptr<node::SatelliteNode>> satellites;
};

} // namespace

TEST_CASE("satellite and master: connect, handshake, HELLO registers the peer",
          "[satellite][master][e2e]") {
    Hive hive;
    hive.add_record("S0");
    auto& sat = hive.satellite("S0", "kitchen");
    sat.connect();
    hive.sim.run_until_idle();
    REQUIRE(sat.handshake_complete());
    CHECK(sat.role().master_node_id() == "M0");
    CHECK(sat.role().cipher() == protocol::Cipher::aes_gcm);
    CHECK(sat.role().encoding() == protocol::Encoding::json_b91);
    const auto client = hive.master->find_client(sat.role().peer_id());
    REQUIRE(client);
    CHECK(client->registered);
    CHECK(client->session_id == sat.role().session_id());
    CHECK(client->site_id == "kitchen");
    CHECK(client->pubkey == vector_keys().second->public_pem());
}

TEST_CASE("satellite and master: BUS injected at the agent, reply routed back",
          "[satellite][master][e2e]") {
    Hive hive;
    hive.add_record("S0");
    auto& sat = hive.satellite("S0", "kitchen");
    hive.master->agent().on("recognizer_loop:utterance", [&](const BusMessage& request) {
        hive.master->agent().emit(
            request.reply("speak", Json(JsonObject{{"utterance", Json("it is noon")}})));
    });
    sat.connect();
    hive.sim.run_until_idle();
    REQUIRE(sat.handshake_complete());
    sat.send_bus(BusMessage(
        "recognizer_loop:utterance",
        Json(JsonObject{{"utterances", Json(protocol::JsonArray{Json("what time is it")})}})));
    hive.sim.run_until_idle();

    const auto injected = hive.master->agent().injected_of("recognizer_loop:utterance");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].context().get_string("source") == sat.role().peer_id());
    CHECK(injected[0].session_id() == sat.role().session_id());
    CHECK(injected[0].site_id() == "kitchen");

    const auto replies = sat.bus().injected_of("speak");
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].data().get_string("utterance") == "it is noon");
    CHECK(replies[0].session_id() == sat.role().session_id());
}

TEST_CASE("satellite and master: every handled message stamps the client's last_seen",
          "[satellite][master][e2e][database]") {
    Hive hive;
    const int id = hive.add_record("S0").client_id;
    CHECK(hive.master->database().find_by_id(id)->last_seen == -1);
    auto& sat = hive.satellite("S0", "kitchen");
    sat.connect();
    hive.sim.run_until_idle();
    REQUIRE(sat.handshake_complete());
    const double after_handshake = hive.master->database().find_by_id(id)->last_seen;
    CHECK(after_handshake > 0);
    CHECK(after_handshake <= std::chrono::duration<double>(hive.sim.now()).count());

    // Later, a BUS the ACL denies: handled all the same, so the client was seen when it arrived
    // (one default link latency after it was sent). The ACL cache is not invalidated by it.
    hive.sim.run_for(2s);
    const auto revision = hive.master->database().revision();
    const sim::VirtualTime sent = hive.sim.now();
    sat.send_bus(BusMessage("not.allowed", Json::object()));
    hive.sim.run_until_idle();
    const auto denied = std::count_if(
        hive.master->recorder().begin(), hive.master->recorder().end(), [](const auto& entry) {
            return entry.kind == record::Kind::verdict && entry.outcome == record::Outcome::denied;
        });
    CHECK(denied == 1);
    CHECK(hive.master->database().find_by_id(id)->last_seen ==
          std::chrono::duration<double>(sent + 1ms).count());
    CHECK(hive.master->database().revision() == revision);
}

TEST_CASE("satellite and master: a client file that cannot be written costs last_seen, not the "
          "message",
          "[satellite][master][e2e][database]") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("hivescope-seen-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    Hive hive(std::make_shared<node::JsonFileClientDatabase>(dir / "db" / "clients.json"));
    hive.add_record("S0");
    auto& sat = hive.satellite("S0", "kitchen");
    sat.connect();
    hive.sim.run_until_idle();
    REQUIRE(sat.handshake_complete());
    // A plain file where the database's directory was: nothing below it can be written now.
    std::filesystem::remove_all(dir / "db");
    std::ofstream(dir / "db") << "not a directory";

    sat.send_bus(BusMessage("recognizer_loop:utterance", Json::object()));
    hive.sim.run_until_idle();
    CHECK(hive.master->agent().injected_of("recognizer_loop:utterance").size() == 1);
    const auto failures = std::count_if(
        hive.master->recorder().begin(), hive.master->recorder().end(), [&](const auto& entry) {
            return entry.kind == record::Kind::dispatch && entry.reason == "last_seen not stored" &&
                   entry.peer == sat.role().peer_id() &&
                   entry.detail.find("clients.json") != std::string::npos;
        });
    CHECK(failures == 1);
    std::filesystem::remove_all(dir);
}

TEST_CASE("satellite and master: an unknown key is a typed refusal", "[satellite][master][e2e]") {
    Hive hive;
    auto& sat = hive.satellite("S0", "kitchen"); // no record
    sat.connect();
    hive.sim.run_until_idle();
    CHECK(sat.role().state() == node::LinkState::refused);
    REQUIRE(sat.role().failure());
    CHECK(sat.role().failure()->kind == node::LinkFailure::Kind::refused);
    CHECK(sat.role().failure()->close == sim::CloseEvent{1008, "invalid api key"});
    CHECK_THROWS_AS(sat.role().throw_if_failed(), node::ConnectionRefused);
}

TEST_CASE("satellite and master: a wrong password fails the handshake",
          "[satellite][master][e2e]") {
    Hive hive;
    auto record = hive.add_record("S0");
    record.password = "something-else";
    hive.master->database().update(record);
    auto& sat = hive.satellite("S0", "kitchen");
    sat.connect();
    hive.sim.run_until_idle();
    CHECK_FALSE(sat.handshake_complete());
    REQUIRE(sat.role().failure());
    CHECK(sat.role().closed_by() == sim::CloseEvent{1008, "handshake failed"});
}

TEST_CASE("satellite and master: QUERY answered by the agent, and timed out",
          "[satellite][master][e2e]") {
    Hive hive;
    hive.add_record("S0");
    auto& sat = hive.satellite("S0", "kitchen");
    hive.master->agent().on_query("what.time", [](const BusMessage& request) {
        return std::optional<BusMessage>(
            request.reply("time.is", Json(JsonObject{{"time", Json("12:00")}})));
    });
    sat.connect();
    hive.sim.run_until_idle();
    REQUIRE(sat.handshake_complete());

    const auto answered = sat.query(BusMessage("what.time"));
    hive.sim.run_for(100ms);
    const auto answers = sat.bus().injected_of("time.is");
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].context().get_string("query_id") == answered);
    CHECK(sat.core().pending().find(answered) == nullptr);

    const auto unanswered = sat.query(BusMessage("speak"));
    hive.sim.run_for(10s);
    const auto timeouts = sat.bus().injected_of("hive.query.timeout");
    REQUIRE(timeouts.size() == 1);
    CHECK(timeouts[0].data().get_string("query_id") == unanswered);
    CHECK(sat.core().pending().find(unanswered) == nullptr);
}

TEST_CASE("satellite and master: INTERCOM between two satellites through the master",
          "[satellite][master][e2e][intercom]") {
    Hive hive;
    hive.add_record("S0");
    hive.add_record("S1");
    auto& alice = hive.satellite("S0", "kitchen", vector_keys().second);
    // S1 needs its own key: generate one small key for this test only.
    protocol::SeededRandom random(5, "e2e-s1");
    auto s1_key =
        std::make_shared<const protocol::RsaKeyPair>(protocol::RsaKeyPair::generate(random, 1024));
    auto& bob = hive.satellite("S1", "attic", s1_key);
    bob.core().trusted_keys().push_back(vector_keys().second->public_pem());
    alice.connect();
    bob.connect();
    hive.sim.run_until_idle();
    REQUIRE(alice.handshake_complete());
    REQUIRE(bob.handshake_complete());

    const HiveMessage secret =
        HiveMessage::bus(BusMessage("secret", Json(JsonObject{{"text", Json("for bob only")}})));
    alice.role().send_intercom(secret, s1_key->public_pem(), MessageType::propagate);
    hive.sim.run_until_idle();

    const auto received = bob.bus().injected_of("secret");
    REQUIRE(received.size() == 1);
    CHECK(received[0].data().get_string("text") == "for bob only");
    CHECK(received[0].context().get_string("hivemind_verified_source_peer") ==
          vector_keys().second->public_pem());
    CHECK(alice.bus().injected_of("secret").empty());
}

TEST_CASE("satellite and master: a PING flood is answered once and maps the satellite",
          "[satellite][master][e2e][ping]") {
    Hive hive;
    hive.add_record("S0");
    auto& sat = hive.satellite("S0", "kitchen");
    sat.connect();
    hive.sim.run_until_idle();
    REQUIRE(sat.handshake_complete());
    const auto flood = hive.master->start_ping_flood();
    hive.sim.run_until_idle();
    CHECK(sat.core().flood_cache().contains(flood));
    CHECK(sat.core().hive_map().find("M0") != nullptr);
    REQUIRE(hive.master->core().hive_map().find("S0") != nullptr);
    CHECK(hive.master->core().hive_map().find("S0")->flood_id == flood);
    // Exactly one answer left the satellite.
    std::size_t answers = 0;
    for (const auto& r : sat.recorder())
        if (r.kind == record::Kind::out && r.type() == MessageType::propagate)
            ++answers;
    CHECK(answers == 1);
}
