// The master's admission, handshake and inbound pipeline (protocol.md A.11, A.12, B.2, B.3,
// B.14), driven by a hand-written satellite built only on the protocol core and the frame
// interface. Each test fails if the rule it names is removed.

#include "catch.hpp"

#include "node/support/master_fixture.hpp"

#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <random>

using namespace hivescope;
using namespace hivescope::test;
using namespace std::chrono_literals;
using node::ClientRecord;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::MessageType;
using record::Kind;
using record::Outcome;

namespace {

const sim::CloseEvent& closed_with(const ScriptedClient& client) {
    REQUIRE(client.closed().has_value());
    return *client.closed();
}

void check_refused(MasterHive& hive, const ScriptedClient& client, const std::string& reason) {
    const auto& close = closed_with(client);
    CHECK(close.code == 1008);
    CHECK(close.reason == reason);
    CHECK_FALSE(client.opened());
    CHECK(client.frames().empty()); // refused before any frame
    const auto refusals = hive.records(Kind::refusal);
    REQUIRE_FALSE(refusals.empty());
    CHECK(refusals.back().reason == reason);
    CHECK(refusals.back().code == "1008");
    CHECK(hive.master->clients().empty());
}

} // namespace

TEST_CASE("master: a hand-written satellite built on the protocol core joins a simulated master",
          "[node][master][handshake]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");

    REQUIRE(s0.opened());
    CHECK_FALSE(s0.closed().has_value());
    CHECK(s0.ready());
    // Frame 1: HELLO {pubkey, peer, node_id}; frame 2: the request.
    REQUIRE(s0.server_hello().has_value());
    CHECK(s0.server_hello()->pubkey == pooled_key("M0")->public_pem());
    CHECK(s0.server_hello()->node_id == "M0");
    CHECK(s0.server_hello()->peer == "S0::1::S0::default");
    REQUIRE(s0.request().has_value());
    CHECK(s0.request()->handshake);
    CHECK(s0.request()->min_protocol_version == 1); // require_crypto, no pre-shared key
    CHECK(s0.request()->max_protocol_version == 2);
    CHECK_FALSE(s0.request()->binarize);
    CHECK_FALSE(s0.request()->preshared_key);
    CHECK(s0.request()->password);
    CHECK(s0.request()->crypto_required);
    CHECK(s0.request()->encodings == std::vector<std::string>{"JSON-B64", "JSON-URLSAFE-B64",
                                                              "JSON-B91", "JSON-Z85B", "JSON-Z85P",
                                                              "JSON-B32", "JSON-HEX"});
    CHECK(s0.request()->ciphers == std::vector<std::string>{"CHACHA20-POLY1305", "AES-GCM"});
    // A stock pair negotiates AES-GCM + JSON-B91 (A.10.1).
    REQUIRE(s0.response().has_value());
    CHECK(s0.response()->cipher == "AES-GCM");
    CHECK(s0.response()->encoding == "JSON-B91");

    const auto clients = hive.master->clients();
    REQUIRE(clients.size() == 1);
    const auto& client = clients[0];
    CHECK(client.peer_id == "S0::1::S0::S0-session");
    CHECK(client.peer_id == s0.peer_id());
    CHECK(client.registered);
    CHECK(client.handshake_complete);
    CHECK(client.cipher == protocol::Cipher::aes_gcm);
    CHECK(client.encoding == protocol::Encoding::json_b91);
    CHECK_FALSE(client.binarize);
    CHECK(client.protocol_version == 1);
    CHECK(client.site_id == "kitchen");
    CHECK(client.session == Json::parse(R"({"session_id": "S0-session", "site_id": "kitchen"})"));
    CHECK(hive.master->find_client(s0.peer_id()).has_value());
    CHECK(hive.master->role().connection(s0.peer_id()) != nullptr);
    CHECK(hive.records(Kind::verdict, Outcome::registered).size() == 1);

    // The agent heard of the connection with the access key and the still-default session.
    const auto connects = hive.agent().injected_of("hive.client.connect");
    REQUIRE(connects.size() == 1);
    CHECK(connects[0].data() == Json::parse(R"({"key": "S0-key", "session_id": "default"})"));

    // Traffic now flows under the negotiated key.
    s0.send_bus("recognizer_loop:utterance", Json::parse(R"({"utterances": ["hi"]})"));
    hive.run();
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
}

TEST_CASE("master: frames after the handshake are encrypted except HELLO and HANDSHAKE",
          "[node][master][crypto]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    hive.agent().emit(BusMessage("speak", Json::parse(R"({"utterance": "hello"})"),
                                 Json(protocol::JsonObject{{"destination", s0.peer_id()}})));
    hive.run();
    REQUIRE(s0.bus_received("speak").size() == 1);
    // Frames: HELLO, request, response (all plaintext), then the encrypted speak.
    REQUIRE(s0.frames().size() == 4);
    for (int i = 0; i < 3; ++i)
        CHECK_FALSE(protocol::is_encrypted_envelope(Json::parse(s0.frames()[i].data())));
    CHECK(protocol::is_encrypted_envelope(Json::parse(s0.frames()[3].data())));
    // Every frame the master sends carries its own node id as source_peer (A.5).
    for (const auto& message : s0.received())
        CHECK(message.source_peer() == "M0");
}

TEST_CASE("master: credentials are checked before any frame is sent", "[node][master][admission]") {
    std::vector<std::string> hook_calls;
    auto options = MasterHive::defaults();
    options.hooks.on_invalid_key = [&](const std::string& peer, const sim::CloseEvent& close) {
        hook_calls.push_back(peer + " " + close.reason);
    };
    MasterHive hive(options);

    SECTION("an unknown key") {
        auto& client = hive.join("S9", {}, {}, /*add=*/false);
        check_refused(hive, client, "invalid api key");
        const auto errors = hive.agent().injected_of("hive.client.connection.error");
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].data().get_string("error") == "invalid access key");
        CHECK(errors[0].data().get_string("peer") == "S9");
        CHECK(hook_calls == std::vector<std::string>{"S9 invalid api key"});
        CHECK(hive.agent().hook_calls().size() == 1);
    }
    SECTION("a revoked record") {
        const auto record = hive.add_record("S1");
        hive.master->database().revoke(record.client_id);
        auto& client = hive.join("S1", {}, {}, false);
        check_refused(hive, client, "invalid api key");
    }
    SECTION("a deleted record") {
        const auto record = hive.add_record("S1");
        hive.master->database().remove(record.client_id);
        auto& client = hive.join("S1", {}, {}, false);
        check_refused(hive, client, "invalid api key");
    }
    SECTION("the literal key `revoked`, with revoked rows present") {
        const auto record = hive.add_record("S1");
        hive.master->database().revoke(record.client_id);
        auto& client = hive.join(
            "S1", {}, [](ScriptedClientOptions& o) { o.access_key = "revoked"; }, false);
        check_refused(hive, client, "invalid api key");
    }
    SECTION("an authorization that is not base64") {
        auto& client =
            hive.join("S1", {}, [](ScriptedClientOptions& o) { o.authorization = "not base64!"; });
        check_refused(hive, client, "invalid authorization");
        CHECK(hive.agent().injected_of("hive.client.connection.error")[0].data().get_string(
                  "error") == "invalid authorization");
    }
    SECTION("an authorization without a colon") {
        auto& client = hive.join("S1", {}, [](ScriptedClientOptions& o) {
            o.authorization = "bm9jb2xvbg=="; // "nocolon"
        });
        check_refused(hive, client, "invalid authorization");
    }
}

TEST_CASE("master: a wrong password fails the handshake with 1008", "[node][master][handshake]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.password = "wrong"; });
    const auto& close = closed_with(s0);
    CHECK(close.code == 1008);
    CHECK(close.reason == "handshake failed");
    CHECK_FALSE(s0.response().has_value()); // the master proved nothing to a wrong client
    CHECK_FALSE(s0.has_key());
    const auto closes = hive.records(Kind::verdict, Outcome::closed);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].reason == "handshake failed");
    REQUIRE(closes[0].message.has_value());
    CHECK(closes[0].message->type() == MessageType::handshake);
}

TEST_CASE("master: a shake the master cannot use fails the handshake",
          "[node][master][handshake]") {
    MasterHive hive;
    SECTION("neither pubkey nor envelope") {
        auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.auto_handshake = false; });
        s0.send_plaintext(
            HiveMessage(MessageType::handshake,
                        Json::parse(R"({"binarize": false, "encodings": ["JSON-HEX"]})")));
        hive.run();
        CHECK(closed_with(s0).reason == "handshake failed");
    }
    SECTION("an envelope for a record without a password") {
        auto& s0 = hive.join(
            "S0", [](ClientRecord& r) { r.password.reset(); },
            [](ScriptedClientOptions& o) { o.password = "anything"; });
        CHECK(closed_with(s0).reason == "handshake failed");
    }
}

TEST_CASE("master: negotiation refuses a client with no common cipher or encoding",
          "[node][master][handshake]") {
    MasterHive hive;
    SECTION("cipher") {
        // Unknown names are skipped; nothing is left.
        auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.ciphers = {"ROT13"}; });
        CHECK(closed_with(s0).code == 1008);
        CHECK(closed_with(s0).reason == "no common cipher");
    }
    SECTION("encoding") {
        // Z85P is never selected (A.10).
        auto& s0 =
            hive.join("S0", {}, [](ScriptedClientOptions& o) { o.encodings = {"JSON-Z85P"}; });
        CHECK(closed_with(s0).reason == "no common encoding");
    }
    SECTION("the master's own list decides") {
        auto options = MasterHive::defaults();
        options.allowed_ciphers = {protocol::Cipher::chacha20_poly1305};
        MasterHive strict(options);
        auto& s1 = strict.join("S1");
        REQUIRE(s1.response().has_value());
        CHECK(s1.response()->cipher == "CHACHA20-POLY1305");
        CHECK_FALSE(s1.closed().has_value());
    }
}

TEST_CASE("master: protocol version limits are enforced on the first message",
          "[node][master][version]") {
    SECTION("a v0 client where the record needs a handshake") {
        MasterHive hive; // require_crypto + no pre-shared key: advertised minimum 1
        auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.password.reset(); });
        CHECK(closed_with(s0).reason == "unsupported protocol version");
    }
    SECTION("a maximum of 0 refuses any handshake") {
        auto options = MasterHive::defaults();
        options.max_protocol_version = 0;
        options.require_crypto = false;
        MasterHive hive(options);
        auto& s0 = hive.join("S0");
        CHECK(closed_with(s0).reason == "unsupported protocol version");
        CHECK(s0.request()->max_protocol_version == 0);
    }
    SECTION("a minimum of 2 needs binarize, and advertises it") {
        auto options = MasterHive::defaults();
        options.min_protocol_version = 2;
        MasterHive hive(options);
        auto& plain = hive.join("S0");
        CHECK(plain.request()->binarize);
        CHECK(closed_with(plain).reason == "unsupported protocol version");
        auto& binary = hive.join("S1", {}, [](ScriptedClientOptions& o) { o.binarize = true; });
        CHECK_FALSE(binary.closed().has_value());
        REQUIRE(hive.master->find_client(binary.peer_id()).has_value());
        CHECK(hive.master->find_client(binary.peer_id())->protocol_version == 2);
        CHECK(hive.master->find_client(binary.peer_id())->binarize);
        // Version 2: BUS travels as binary frames both ways.
        binary.send_bus("recognizer_loop:utterance");
        hive.agent().emit(
            BusMessage("speak", Json::object(),
                       Json(protocol::JsonObject{{"destination", binary.peer_id()}})));
        hive.run();
        CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
        REQUIRE_FALSE(binary.frames().empty());
        CHECK(binary.frames().back().is_binary());
        CHECK(binary.bus_received("speak").size() == 1);
    }
    SECTION("binarize is stored only when the master offered it") {
        MasterHive hive;
        auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.binarize = true; });
        REQUIRE(hive.master->find_client(s0.peer_id()).has_value());
        CHECK_FALSE(hive.master->find_client(s0.peer_id())->binarize);
        CHECK(hive.master->find_client(s0.peer_id())->protocol_version == 1);
    }
}

TEST_CASE("master: a pre-shared key links a v0 client without a handshake", "[node][master][psk]") {
    MasterHive hive;
    auto& s0 = hive.join(
        "S0",
        [](ClientRecord& r) {
            r.password.reset();
            r.crypto_key = "0123456789abcdef";
        },
        [](ScriptedClientOptions& o) {
            o.password.reset();
            o.preshared_key = "0123456789abcdef";
        });
    CHECK_FALSE(s0.closed().has_value());
    CHECK(s0.request()->preshared_key);
    CHECK_FALSE(s0.request()->handshake);
    CHECK(s0.request()->min_protocol_version == 0);
    const auto client = hive.master->find_client(s0.peer_id());
    REQUIRE(client.has_value());
    CHECK(client->registered);
    CHECK(client->protocol_version == 0);
    CHECK(client->encoding == protocol::Encoding::json_hex);
    // The master encrypts with the pre-shared key from accept on (A.12.6).
    hive.agent().emit(BusMessage("speak", Json::object(),
                                 Json(protocol::JsonObject{{"destination", s0.peer_id()}})));
    hive.run();
    CHECK(s0.bus_received("speak").size() == 1);
    CHECK(protocol::is_encrypted_envelope(Json::parse(s0.frames().back().data())));
    // A plaintext BUS under the pre-shared key is refused.
    s0.send_plaintext(HiveMessage::bus(s0.make_bus("recognizer_loop:utterance")));
    hive.run();
    CHECK(closed_with(s0).reason == "plaintext refused");
}

TEST_CASE("master: plaintext after the handshake is refused under require_crypto",
          "[node][master][crypto]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    s0.send_plaintext(HiveMessage::bus(s0.make_bus("recognizer_loop:utterance")));
    hive.run();
    CHECK(closed_with(s0).code == 1008);
    CHECK(closed_with(s0).reason == "plaintext refused");
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").empty());

    SECTION("but a plaintext HELLO is accepted") {
        auto options = MasterHive::defaults();
        MasterHive other(options);
        auto& s1 = other.join("S1", {}, [](ScriptedClientOptions& o) { o.auto_hello = false; });
        s1.send_plaintext(HiveMessage(
            MessageType::hello, protocol::ClientHello::make(std::nullopt, "s1", "x").to_json()));
        other.run();
        CHECK_FALSE(s1.closed().has_value());
        CHECK(other.master->find_client("S1::1::S1::s1")->registered);
    }
}

TEST_CASE("master: undecodable frames close the link with 1002", "[node][master][decode]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    SECTION("not JSON") {
        s0.send_raw(sim::Frame::text("{nope"));
        hive.run();
        CHECK(closed_with(s0).code == 1002);
        CHECK_THAT(closed_with(s0).reason, Catch::Matchers::StartsWith("malformed frame: "));
    }
    SECTION("an unknown envelope key") {
        const std::string text = R"({"msg_type": "bus", "payload": {}, "extra": 1})";
        protocol::LinkCrypto crypto = *s0.crypto();
        s0.send_raw(sim::Frame::text(crypto.encrypt_text(text, s0.random())));
        hive.run();
        CHECK(closed_with(s0).code == 1002);
        CHECK_THAT(closed_with(s0).reason, Catch::Matchers::Contains("extra"));
    }
    SECTION("an envelope that does not authenticate") {
        protocol::LinkCrypto wrong(protocol::Cipher::aes_gcm, protocol::Encoding::json_b91,
                                   protocol::Bytes(32, 7));
        s0.send_raw(sim::Frame::text(wrong.encrypt_text(
            protocol::serialize_json(HiveMessage::bus(s0.make_bus("x"))), s0.random())));
        hive.run();
        CHECK(closed_with(s0).code == 1002);
        CHECK(closed_with(s0).reason == "decryption failed");
    }
    SECTION("bad bits in a binary frame") {
        s0.send_raw(sim::Frame::binary(protocol::Bytes{0x00, 0x01}));
        hive.run();
        CHECK(closed_with(s0).code == 1002);
        CHECK(closed_with(s0).reason == "decryption failed"); // keyed: the AEAD fails first
    }
    const auto errors = hive.records(Kind::decode_error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].frame.has_value());
    CHECK(errors[0].reason == closed_with(s0).reason);
    CHECK(hive.master->clients().empty());
}

TEST_CASE("master: a record deleted or revoked while connected closes the link on its next message",
          "[node][master][admission]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    const int id = hive.master->find_client(s0.peer_id())->client_id;
    SECTION("revoked") {
        hive.master->database().revoke(id);
    }
    SECTION("deleted") {
        hive.master->database().remove(id);
    }
    CHECK_FALSE(s0.closed().has_value()); // nothing happens until the client speaks
    s0.send_bus("recognizer_loop:utterance");
    hive.run();
    CHECK(closed_with(s0).code == 1008);
    CHECK(closed_with(s0).reason == "invalid api key");
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").empty());
    // On close: unregistered, and the agent hears of it.
    CHECK(hive.master->clients().empty());
    CHECK(hive.master->role().registered_peers().empty());
    const auto gone = hive.agent().injected_of("hive.client.disconnect");
    REQUIRE(gone.size() == 1);
    CHECK(gone[0].data().get_string("key") == "S0-key");
}

TEST_CASE("master: a client closing its link unregisters it", "[node][master]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    CHECK(hive.master->role().registered_peers() == std::vector<std::string>{s0.peer_id()});
    s0.close({1000, "bye"});
    hive.run();
    CHECK(hive.master->role().registered_peers().empty());
    CHECK(hive.agent().injected_of("hive.client.disconnect").size() == 1);
}

TEST_CASE("master: the RSA branch keys the link with the decrypted secret", "[node][master][rsa]") {
    MasterHive hive;
    auto& s0 = hive.join(
        "S0", [](ClientRecord& r) { r.password.reset(); },
        [](ScriptedClientOptions& o) {
            o.password.reset();
            o.rsa = true;
            o.identity = pooled_key("S0");
        });
    CHECK_FALSE(s0.closed().has_value());
    REQUIRE(s0.response().has_value());
    CHECK(s0.response()->encoding == "JSON-HEX");
    CHECK(s0.response()->cipher == "AES-GCM");
    CHECK(s0.response()->envelope.size() == 1024);
    const auto client = hive.master->find_client(s0.peer_id());
    REQUIRE(client.has_value());
    CHECK(client->protocol_version == 1);
    CHECK(client->encoding == protocol::Encoding::json_hex);
    CHECK(client->pubkey == pooled_key("S0")->public_pem());
    s0.send_bus("recognizer_loop:utterance");
    hive.run();
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
}

TEST_CASE("master: a later shake re-keys the link at once", "[node][master][handshake]") {
    MasterHive hive;
    auto& s0 = hive.join("S0");
    const protocol::Bytes first_key(s0.crypto()->key().begin(), s0.crypto()->key().end());
    // A fresh handshake, driven by hand: a new IV, so a new key on both sides.
    protocol::PasswordHandshake again("S0-pw", 1000);
    protocol::ClientHandshake shake;
    shake.encodings = {"JSON-HEX"};
    shake.ciphers = {"AES-GCM"};
    shake.envelope = again.start(s0.random());
    s0.send(HiveMessage(MessageType::handshake, shake.to_json()));
    hive.run();
    const auto response = s0.received().back();
    REQUIRE(response.type() == MessageType::handshake);
    again.receive_and_verify(protocol::HandshakeResponse::from_json(response.payload()).envelope);
    CHECK(again.secret() != first_key);
    REQUIRE(hive.master->find_client(s0.peer_id()).has_value());
    CHECK(hive.master->find_client(s0.peer_id())->encoding == protocol::Encoding::json_hex);
    CHECK(hive.master->find_client(s0.peer_id())->protocol_version == 1); // not reclassified
    // A frame under the old key no longer decrypts.
    s0.send_bus("recognizer_loop:utterance");
    hive.run();
    CHECK(closed_with(s0).reason == "decryption failed");
}

TEST_CASE("master: the real 100,000 PBKDF2 iterations", "[node][master][handshake][slow]") {
    auto options = MasterHive::defaults();
    options.kdf_iterations = protocol::password_kdf_iterations;
    MasterHive hive(options);
    auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) {
        o.kdf_iterations = protocol::password_kdf_iterations;
    });
    CHECK_FALSE(s0.closed().has_value());
    CHECK(hive.master->find_client(s0.peer_id())->handshake_complete);
    s0.send_bus("recognizer_loop:utterance");
    hive.run();
    CHECK(hive.agent().injected_of("recognizer_loop:utterance").size() == 1);
}

TEST_CASE("master: arbitrary frames from a client never crash the master",
          "[node][master][decode][property]") {
    // Plaintext links (no handshake) so thousands of frames stay cheap; each bad frame ends its
    // link with a typed close, and a fresh client takes over.
    auto options = MasterHive::defaults();
    options.require_crypto = false;
    MasterHive hive(options);
    hive.add_record("F", [](ClientRecord& r) {
        r.password.reset();
        r.is_admin = true;
    });
    std::mt19937_64 rng(0x5eed);
    const std::vector<std::string> seeds = {
        R"({"msg_type": "bus", "payload": {"type": "speak", "data": {}, "context": {"session": {"session_id": "s"}}}})",
        R"({"msg_type": "broadcast", "payload": {"msg_type": "bus", "payload": {"type": "speak"}}, "target_site_id": "hive-site"})",
        R"({"msg_type": "query", "payload": {"msg_type": "bus", "payload": {"type": "x"}}, "metadata": {"query_id": "q"}})",
        R"({"msg_type": "propagate", "payload": {"msg_type": "ping", "payload": {"flood_id": "f", "peer": "p", "timestamp": 1}}})",
        R"({"msg_type": "hello", "payload": {"session": {"session_id": "s", "site_id": "k"}, "site_id": "k"}})",
        R"({"msg_type": "shake", "payload": {"envelope": "00", "binarize": true}})",
        R"({"msg_type": "intercom", "payload": {"ciphertext": "AA==", "signature": "AA=="}})",
        R"({"msg_type": "cascade", "payload": {"msg_type": "bus", "payload": {}}, "metadata": {"is_response": true, "query_id": 3}})",
        R"({"msg_type": "escalate", "payload": {"type": "bare"}})",
        R"({"ciphertext": "00", "nonce": "00"})",
    };
    std::size_t closed = 0;
    std::size_t frames = 0;
    for (int round = 0; round < 400; ++round) {
        auto& client = hive.join(
            "F", {},
            [round](ScriptedClientOptions& o) {
                o.name = "F";
                o.password.reset();
                o.session_id = "fuzz-" + std::to_string(round);
            },
            /*add=*/false);
        REQUIRE(client.opened());
        for (int i = 0; i < 20 && !client.closed(); ++i) {
            std::string text = seeds[rng() % seeds.size()];
            const int edits = static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !text.empty(); ++e) {
                const std::size_t at = rng() % text.size();
                switch (rng() % 3) {
                case 0:
                    text[at] = static_cast<char>(rng() % 128);
                    break;
                case 1:
                    text.erase(at, 1 + rng() % 8);
                    break;
                default:
                    text.insert(at, 1, "{}[]\":,0"[rng() % 8]);
                }
            }
            if (rng() % 8 == 0) {
                protocol::Bytes bytes(rng() % 40);
                for (auto& b : bytes)
                    b = static_cast<std::uint8_t>(rng());
                client.send_raw(sim::Frame::binary(bytes));
            } else {
                client.send_raw(sim::Frame::text(text));
            }
            ++frames;
            hive.run_for(5ms);
        }
        if (client.closed()) {
            ++closed;
            const auto code = client.closed()->code;
            CHECK((code == 1002 || code == 1008));
        } else {
            client.close();
        }
        hive.run();
    }
    CHECK(frames > 450);
    CHECK(closed > 0);
    CHECK(hive.master->clients().empty());
}
