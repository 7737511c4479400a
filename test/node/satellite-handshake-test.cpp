// The satellite side of connecting (protocol.md A.11, A.12, B.12 "Connect", B.14): admission,
// the password / RSA / pre-shared-key handshakes over the wire, HELLO, peer id, refusals and
// failures surfaced as typed errors, decode errors closing with 1002.

#include "catch.hpp"
#include "node/support/scripted_master.hpp"

#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"

#include <algorithm>

using namespace hivescope;
using namespace hivescope::test;
using protocol::MessageType;
using record::Kind;
using record::Outcome;

namespace {

std::vector<record::Record> records_of(const record::Recorder& recorder, Kind kind) {
    std::vector<record::Record> out;
    for (const auto& r : recorder)
        if (r.kind == kind)
            out.push_back(r);
    return out;
}

std::vector<record::Record> outs_of(const record::Recorder& recorder, MessageType type) {
    std::vector<record::Record> out;
    for (const auto& r : recorder)
        if (r.kind == Kind::out && r.type() == type)
            out.push_back(r);
    return out;
}

} // namespace

TEST_CASE("password handshake over the wire, encrypted HELLO, peer id", "[satellite][handshake]") {
    SatelliteHarness h;
    auto& role = h.sat.role();
    CHECK(role.state() == node::LinkState::idle);
    h.sat.connect();
    CHECK(role.state() == node::LinkState::connecting);
    h.settle();

    REQUIRE(role.handshake_complete());
    CHECK(role.connected());
    CHECK(role.state() == node::LinkState::ready);
    CHECK_FALSE(role.failure());

    // A.11: useragent (default: node id) and access key.
    REQUIRE(h.master.authorization());
    CHECK(*h.master.authorization() == protocol::Authorization{"S0", "key-S0"});

    // Frame 3: the client shake proposes the satellite defaults and carries a valid proof.
    REQUIRE(h.master.client_shake());
    const auto& shake = *h.master.client_shake();
    CHECK(shake.is_password());
    CHECK(protocol::verify_envelope("test-password", *shake.envelope));
    CHECK(shake.encodings == protocol::proposal_names(protocol::satellite_default_encodings));
    CHECK(shake.ciphers == protocol::proposal_names(protocol::satellite_default_ciphers));
    CHECK_FALSE(shake.binarize);
    // It went out in plaintext (no key yet), the HELLO encrypted (A.9.1).
    REQUIRE(h.master.received().size() == 2);
    CHECK(h.master.received()[0].type() == MessageType::handshake);
    CHECK_FALSE(h.master.encrypted()[0]);
    CHECK(h.master.received()[1].type() == MessageType::hello);
    CHECK(h.master.encrypted()[1]);

    // A stock pair negotiates AES-GCM + JSON-B91 (A.10.1).
    CHECK(role.cipher() == protocol::Cipher::aes_gcm);
    CHECK(role.encoding() == protocol::Encoding::json_b91);
    CHECK_FALSE(role.binarize());
    CHECK(role.protocol_version() == 1);

    // Frame 5: {pubkey, session: {session_id, site_id}, site_id}.
    REQUIRE(h.master.client_hello());
    const auto& hello = *h.master.client_hello();
    CHECK(hello.pubkey == test_keys().satellite->public_pem());
    CHECK(hello.site_id == "kitchen");
    CHECK(hello.session_id() == role.session_id());
    CHECK(hello.session.get_string("site_id") == "kitchen");
    CHECK(h.master.received()[1].payload().dump() ==
          protocol::ClientHello::make(test_keys().satellite->public_pem(), role.session_id(),
                                      "kitchen")
              .to_json()
              .dump());

    // The session id defaults to a fresh uuid4 hex from the node's stream.
    CHECK(role.session_id().size() == 32);
    CHECK(role.session_id() != "default");
    // HELLO `peer` with its last component replaced by the session id.
    CHECK(role.peer_id() == "S0::1::sat-record::" + role.session_id());
    CHECK(role.master_node_id() == "M0");
    CHECK(role.master_pubkey() == test_keys().master->public_pem());
    CHECK(role.upstream_node_id() == "M0");
    CHECK(role.upstream_ready());
    CHECK(h.sat.core().upstream == &role);

    // Recorded: in hello, in shake, out shake, in shake response, out hello.
    CHECK(outs_of(h.sat.recorder(), MessageType::handshake).size() == 1);
    const auto hellos = outs_of(h.sat.recorder(), MessageType::hello);
    REQUIRE(hellos.size() == 1);
    REQUIRE(hellos[0].frame);
    CHECK(hellos[0].frame->data().find("ciphertext") != std::string::npos);
    CHECK(records_of(h.sat.recorder(), Kind::in).size() == 3);
}

TEST_CASE("explicit useragent and session id are used", "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.useragent = "HiveMessageBusClientV0.0.1";
    options.session_id = "my-session";
    SatelliteHarness h({}, options);
    h.connect();
    REQUIRE(h.sat.role().handshake_complete());
    CHECK(h.master.authorization()->useragent == "HiveMessageBusClientV0.0.1");
    CHECK(h.master.client_hello()->session_id() == "my-session");
    CHECK(h.sat.role().peer_id() == "HiveMessageBusClientV0.0.1::1::sat-record::my-session");
}

TEST_CASE("a wrong master proof fails the handshake with 1008", "[satellite][handshake]") {
    ScriptedMasterOptions master;
    master.wrong_proof = true;
    SatelliteHarness h(master);
    h.connect();
    auto& role = h.sat.role();
    CHECK_FALSE(role.handshake_complete());
    CHECK(role.state() == node::LinkState::closed);
    REQUIRE(role.failure());
    CHECK(role.failure()->kind == node::LinkFailure::Kind::handshake_failed);
    CHECK(role.failure()->close == sim::CloseEvent{1008, "handshake failed"});
    CHECK(role.closed_by() == sim::CloseEvent{1008, "handshake failed"});
    // The master saw the close; no HELLO was ever sent.
    CHECK(h.master.closed() == sim::CloseEvent{1008, "handshake failed"});
    CHECK(h.master.received_of(MessageType::hello).empty());
    CHECK(outs_of(h.sat.recorder(), MessageType::hello).empty());
    // The typed error carries code and reason.
    try {
        role.throw_if_failed();
        FAIL("no exception");
    } catch (const node::ConnectionRefused& e) {
        CHECK(e.code() == 1008);
        CHECK(e.reason() == "handshake failed");
        CHECK(e.failure().kind == node::LinkFailure::Kind::handshake_failed);
    }
    // Recorded as a closed verdict on the response.
    const auto verdicts = records_of(h.sat.recorder(), Kind::verdict);
    REQUIRE_FALSE(verdicts.empty());
    CHECK(verdicts.back().outcome == Outcome::closed);
    CHECK(verdicts.back().code == "1008");
    CHECK(verdicts.back().reason == "handshake failed");
    REQUIRE(verdicts.back().message);
    CHECK(verdicts.back().message->type() == MessageType::handshake);
    // Sending afterwards is refused and records nothing.
    const auto before = h.sat.recorder().size();
    CHECK_THROWS_AS(h.sat.send_bus(protocol::BusMessage("x")), protocol::ProtocolError);
    CHECK(h.sat.recorder().size() == before);
}

TEST_CASE("a wrong satellite password is refused by the master", "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.password = "another-password";
    SatelliteHarness h({}, options);
    h.connect();
    auto& role = h.sat.role();
    CHECK_FALSE(role.handshake_complete());
    REQUIRE(role.failure());
    CHECK(role.failure()->kind == node::LinkFailure::Kind::closed_by_master);
    CHECK(role.closed_by() == sim::CloseEvent{1008, "handshake failed"});
    CHECK_THROWS_AS(role.throw_if_failed(), node::ConnectionRefused);
}

TEST_CASE("an admission refusal surfaces as a typed refusal", "[satellite][handshake]") {
    ScriptedMasterOptions master;
    master.refuse = sim::CloseEvent{1008, "invalid api key"};
    SatelliteHarness h(master);
    h.connect();
    auto& role = h.sat.role();
    CHECK(role.state() == node::LinkState::refused);
    CHECK_FALSE(role.connected());
    REQUIRE(role.failure());
    CHECK(role.failure()->kind == node::LinkFailure::Kind::refused);
    CHECK(role.failure()->close == sim::CloseEvent{1008, "invalid api key"});
    CHECK(role.closed_by() == sim::CloseEvent{1008, "invalid api key"});
    try {
        role.throw_if_failed();
        FAIL("no exception");
    } catch (const node::ConnectionRefused& e) {
        CHECK(e.code() == 1008);
        CHECK(e.reason() == "invalid api key");
        CHECK(std::string(e.what()).find("invalid api key") != std::string::npos);
    }
    const auto refusals = records_of(h.sat.recorder(), Kind::refusal);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].code == "1008");
    CHECK(refusals[0].reason == "invalid api key");
    CHECK(refusals[0].outcome == Outcome::closed);
}

TEST_CASE("RSA handshake when there is no password", "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.password.reset();
    ScriptedMasterOptions master;
    master.password.reset();
    SatelliteHarness h(master, options);
    h.connect();
    auto& role = h.sat.role();
    REQUIRE(role.handshake_complete());
    REQUIRE(h.master.client_shake());
    CHECK(h.master.client_shake()->is_rsa());
    CHECK(h.master.client_shake()->pubkey == test_keys().satellite->public_pem());
    CHECK(role.cipher() == protocol::Cipher::aes_gcm);
    CHECK(role.encoding() == protocol::Encoding::json_hex);
    CHECK(role.protocol_version() == 1);
    // Both ends derived the same key: the HELLO decrypted at the master.
    REQUIRE(h.master.client_hello());
    CHECK(h.master.encrypted().back());
}

TEST_CASE("RSA envelope not signed by the HELLO key fails the handshake",
          "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.password.reset();
    ScriptedMasterOptions master;
    master.password.reset();
    master.greet = false;
    SatelliteHarness h(master, options);
    h.sat.connect();
    h.settle();
    // Announce a different key than the one that signs the envelope.
    const protocol::ServerHello hello{test_keys().stranger->public_pem(), h.master.announced_peer(),
                                      "M0"};
    h.master.push(protocol::HiveMessage(MessageType::hello, hello.to_json()));
    h.master.push(h.master.request_message());
    h.settle();
    auto& role = h.sat.role();
    REQUIRE(role.failure());
    CHECK(role.failure()->kind == node::LinkFailure::Kind::handshake_failed);
    CHECK(role.closed_by() == sim::CloseEvent{1008, "handshake failed"});
}

TEST_CASE("v0: pre-shared key only sends no shake and an encrypted HELLO",
          "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.password.reset();
    options.crypto_key = "0123456789abcdef";
    ScriptedMasterOptions master;
    master.password.reset();
    master.crypto_key = "0123456789abcdef";
    SatelliteHarness h(master, options);
    h.connect();
    auto& role = h.sat.role();
    REQUIRE(role.handshake_complete());
    CHECK(role.protocol_version() == 0);
    CHECK_FALSE(h.master.client_shake());
    REQUIRE(h.master.received().size() == 1);
    CHECK(h.master.received()[0].type() == MessageType::hello);
    CHECK(h.master.encrypted()[0]);
    CHECK(outs_of(h.sat.recorder(), MessageType::handshake).empty());
    // Traffic in both directions under the pre-shared key.
    h.sat.send_bus(protocol::BusMessage("ping.me"));
    h.master.push(protocol::HiveMessage::bus(protocol::BusMessage("pong")));
    h.settle();
    CHECK(h.master.received_of(MessageType::bus).size() == 1);
    CHECK(h.sat.bus().injected_of("pong").size() == 1);
}

TEST_CASE("password handshake replaces a pre-shared key", "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.crypto_key = "0123456789abcdef";
    ScriptedMasterOptions master;
    master.crypto_key = "0123456789abcdef";
    SatelliteHarness h(master, options);
    h.connect();
    REQUIRE(h.sat.role().handshake_complete());
    CHECK(h.master.client_shake());
    CHECK(h.sat.role().protocol_version() == 1);
    CHECK(h.sat.role().cipher() == protocol::Cipher::aes_gcm);
    REQUIRE(h.master.link().crypto());
    CHECK(h.master.link().crypto()->key().size() == 32);
    CHECK(h.master.client_hello());
}

TEST_CASE("binarize is used only when both sides want it", "[satellite][handshake]") {
    SECTION("both: protocol version 2, BUS as binary frames") {
        auto options = test_satellite_options();
        options.binarize = true;
        ScriptedMasterOptions master;
        master.binarize = true;
        SatelliteHarness h(master, options);
        h.connect();
        auto& role = h.sat.role();
        REQUIRE(role.handshake_complete());
        CHECK(h.master.client_shake()->binarize);
        CHECK(role.binarize());
        CHECK(role.protocol_version() == 2);
        h.sat.send_bus(protocol::BusMessage("speak"));
        h.settle();
        REQUIRE(h.master.received().back().type() == MessageType::bus);
        CHECK(h.master.frames().back().is_binary());
    }
    SECTION("master only: the satellite declines") {
        ScriptedMasterOptions master;
        master.binarize = true;
        SatelliteHarness h(master);
        h.connect();
        CHECK_FALSE(h.master.client_shake()->binarize);
        CHECK_FALSE(h.sat.role().binarize());
        h.sat.send_bus(protocol::BusMessage("speak"));
        h.settle();
        CHECK_FALSE(h.master.frames().back().is_binary());
    }
}

TEST_CASE("only the first HELLO's pubkey and node id are kept", "[satellite][handshake]") {
    SatelliteHarness h;
    h.connect();
    const protocol::ServerHello later{test_keys().stranger->public_pem(), "x::2::y::default",
                                      "IMPOSTOR"};
    h.master.push(protocol::HiveMessage(MessageType::hello, later.to_json()));
    h.settle();
    auto& role = h.sat.role();
    CHECK(role.master_node_id() == "M0");
    CHECK(role.master_pubkey() == test_keys().master->public_pem());
    CHECK(role.peer_id() == "S0::1::sat-record::" + role.session_id());
    const auto verdicts = records_of(h.sat.recorder(), Kind::verdict);
    REQUIRE_FALSE(verdicts.empty());
    CHECK(verdicts.back().outcome == Outcome::dropped);
    CHECK(verdicts.back().reason == "later hello ignored");
    CHECK(role.handshake_complete());
}

TEST_CASE("undecodable frames close the link with 1002", "[satellite][handshake]") {
    SECTION("malformed JSON") {
        SatelliteHarness h;
        h.connect();
        h.master.push_frame(sim::Frame::text("{not json"));
        h.settle();
        auto& role = h.sat.role();
        REQUIRE(role.failure());
        CHECK(role.failure()->kind == node::LinkFailure::Kind::decode_error);
        CHECK(role.closed_by()->code == 1002);
        CHECK(role.closed_by()->reason.rfind("malformed frame: ", 0) == 0);
        CHECK(h.master.closed()->code == 1002);
        const auto errors = records_of(h.sat.recorder(), Kind::decode_error);
        REQUIRE(errors.size() == 1);
        REQUIRE(errors[0].frame);
        CHECK(errors[0].frame->data() == "{not json");
    }
    SECTION("an unknown envelope key") {
        SatelliteHarness h;
        h.connect();
        // Sent under the link key, as a real master would.
        REQUIRE(h.master.link().crypto());
        protocol::LinkCrypto crypto = *h.master.link().crypto();
        const std::string text = R"({"msg_type": "bus", "payload": {}, "extra": 1})";
        h.master.push_frame(sim::Frame::text(crypto.encrypt_text(text, h.sat.core().random())));
        h.settle();
        REQUIRE(h.sat.role().closed_by());
        CHECK(h.sat.role().closed_by()->code == 1002);
        CHECK(h.sat.role().closed_by()->reason.find("extra") != std::string::npos);
    }
    SECTION("an envelope that fails authentication") {
        SatelliteHarness h;
        h.connect();
        protocol::LinkCrypto other(protocol::Cipher::aes_gcm, protocol::Encoding::json_b91,
                                   protocol::Bytes(32, 7));
        h.master.push_frame(sim::Frame::text(
            other.encrypt_text(R"({"msg_type": "bus", "payload": {}})", h.sat.core().random())));
        h.settle();
        REQUIRE(h.sat.role().closed_by());
        CHECK(*h.sat.role().closed_by() == sim::CloseEvent{1002, "decryption failed"});
    }
}

TEST_CASE("a close by the master is surfaced, a local disconnect is not a failure",
          "[satellite][handshake]") {
    SECTION("master closes") {
        SatelliteHarness h;
        h.connect();
        h.master.close({1008, "illegal broadcast"});
        h.settle();
        auto& role = h.sat.role();
        CHECK(role.state() == node::LinkState::closed);
        REQUIRE(role.failure());
        CHECK(role.failure()->kind == node::LinkFailure::Kind::closed_by_master);
        CHECK(role.closed_by() == sim::CloseEvent{1008, "illegal broadcast"});
        CHECK_FALSE(role.upstream_ready());
        CHECK_FALSE(role.send_upstream(protocol::HiveMessage::bus(protocol::BusMessage("x"))));
    }
    SECTION("local disconnect") {
        SatelliteHarness h;
        h.connect();
        h.sat.disconnect();
        h.settle();
        auto& role = h.sat.role();
        CHECK(role.state() == node::LinkState::closed);
        CHECK_FALSE(role.failure());
        CHECK_NOTHROW(role.throw_if_failed());
        CHECK(h.master.closed()->code == 1000);
        // Reconnecting works and performs a new handshake.
        h.sat.connect();
        h.settle();
        CHECK(role.handshake_complete());
        CHECK(h.master.connects() == 2);
    }
}

TEST_CASE("connecting to nothing is a typed error; connecting twice is harmless",
          "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.master_address = "NOWHERE";
    SatelliteHarness bad({}, options);
    CHECK_THROWS_AS(bad.sat.connect(), protocol::ProtocolError);
    CHECK(bad.sat.role().state() == node::LinkState::idle);

    SatelliteHarness h;
    h.sat.connect();
    h.sat.connect();
    h.settle();
    CHECK(h.master.connects() == 1);
    h.sat.connect();
    h.settle();
    CHECK(h.master.connects() == 1);
    CHECK(h.sat.role().handshake_complete());
}

TEST_CASE("the real PBKDF2 count (100000) completes a handshake", "[satellite][handshake]") {
    auto options = test_satellite_options();
    options.kdf_iterations = protocol::password_kdf_iterations;
    ScriptedMasterOptions master;
    master.kdf_iterations = protocol::password_kdf_iterations;
    SatelliteHarness h(master, options);
    h.connect();
    CHECK(h.sat.role().handshake_complete());
    CHECK(h.master.client_hello());
}

TEST_CASE("mismatched PBKDF2 counts cannot agree on a key", "[satellite][handshake]") {
    // Visible consequence of lowering the count on one side only: the HELLO cannot be read.
    auto options = test_satellite_options();
    options.kdf_iterations = 999;
    SatelliteHarness h({}, options);
    h.connect();
    CHECK(h.sat.role().handshake_complete()); // the satellite cannot tell
    CHECK_FALSE(h.master.client_hello());
    CHECK(h.master.decode_errors().size() == 1);
}
