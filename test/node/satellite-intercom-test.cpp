// INTERCOM at a satellite (protocol.md B.10, B.7.2 step 1): verified against trusted keys and the
// master's HELLO key before decryption, inner BUS injected with the verifying key, everything
// else dropped fail-closed and recorded.

#include "catch.hpp"
#include "node/support/scripted_master.hpp"

#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/intercom.hpp"

using namespace hivescope;
using namespace hivescope::test;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;
using record::Kind;
using record::Outcome;

namespace {

HiveMessage secret_bus() {
    return HiveMessage::bus(
        BusMessage("secret.speak", Json(JsonObject{{"utterance", Json("psst")}}),
                   Json(JsonObject{{"hivemind_verified_source_peer", Json("forged by sender")}})));
}

HiveMessage sealed_for_satellite(const protocol::RsaKeyPair& signer, std::uint64_t seed = 1) {
    protocol::SeededRandom random(seed, "satellite-intercom-test");
    return protocol::seal_intercom(secret_bus(), test_keys().satellite->public_key(), signer,
                                   random);
}

std::vector<record::Record> since(const record::Recorder& recorder, record::Mark mark, Kind kind) {
    std::vector<record::Record> out;
    for (const auto& r : recorder.since(mark))
        if (r.kind == kind)
            out.push_back(r);
    return out;
}

} // namespace

TEST_CASE("an INTERCOM signed by a trusted key is opened and its BUS injected",
          "[satellite][intercom]") {
    SatelliteHarness h;
    h.sat.core().trusted_keys().push_back(test_keys().stranger->public_pem());
    h.connect();
    const auto mark = h.sat.recorder().mark();
    h.master.push(sealed_for_satellite(*test_keys().stranger));
    h.settle();
    const auto injected = h.sat.bus().injected_of("secret.speak");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].data().get_string("utterance") == "psst");
    // The verified source replaces whatever the sender claimed.
    CHECK(injected[0].context().get_string("hivemind_verified_source_peer") ==
          test_keys().stranger->public_pem());
    const auto dispatches = since(h.sat.recorder(), mark, Kind::dispatch);
    REQUIRE(dispatches.size() == 1);
    CHECK(dispatches[0].detail == "intercom");
    CHECK(dispatches[0].reason == test_keys().stranger->public_pem());
    REQUIRE(dispatches[0].message);
    CHECK(dispatches[0].message->type() == MessageType::bus);
    const auto injects = since(h.sat.recorder(), mark, Kind::inject);
    REQUIRE(injects.size() == 1);
    CHECK(injects[0].detail == "verified intercom");
}

TEST_CASE("the master's HELLO key is a candidate signer", "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    h.master.push(sealed_for_satellite(*test_keys().master));
    h.settle();
    const auto injected = h.sat.bus().injected_of("secret.speak");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].context().get_string("hivemind_verified_source_peer") ==
          test_keys().master->public_pem());
}

TEST_CASE("an INTERCOM from an unknown signer is refused before decryption",
          "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    const auto mark = h.sat.recorder().mark();
    h.master.push(sealed_for_satellite(*test_keys().stranger)); // not trusted
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    const auto verdicts = since(h.sat.recorder(), mark, Kind::verdict);
    REQUIRE(verdicts.size() == 1);
    CHECK(verdicts[0].outcome == Outcome::dropped);
    CHECK(verdicts[0].reason == "signature");
}

TEST_CASE("a tampered signature is refused", "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    HiveMessage sealed = sealed_for_satellite(*test_keys().master);
    auto signature =
        protocol::decode(protocol::Encoding::json_b64, sealed.payload().get_string("signature"));
    signature[3] ^= 0x40;
    sealed.payload()["signature"] = Json(protocol::encode(protocol::Encoding::json_b64, signature));
    h.master.push(sealed);
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    REQUIRE(h.sat.recorder()[h.sat.recorder().size() - 1].kind == Kind::verdict);
    CHECK(h.sat.recorder()[h.sat.recorder().size() - 1].reason == "signature");
}

TEST_CASE("a validly signed INTERCOM that does not decrypt is dropped", "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    HiveMessage sealed = sealed_for_satellite(*test_keys().master);
    auto key = protocol::decode(protocol::Encoding::json_b64,
                                sealed.payload().get_string("encrypted_key"));
    key[0] ^= 0x01;
    sealed.payload()["encrypted_key"] = Json(protocol::encode(protocol::Encoding::json_b64, key));
    h.master.push(sealed);
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    CHECK(h.sat.recorder()[h.sat.recorder().size() - 1].reason == "decrypt failed");
}

TEST_CASE("an INTERCOM for another node is not for us", "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    protocol::SeededRandom random(3, "other");
    const HiveMessage other = protocol::seal_intercom(
        secret_bus(), test_keys().master->public_key(), *test_keys().master, random);
    h.master.push(other);
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    CHECK(h.sat.recorder()[h.sat.recorder().size() - 1].reason == "not for us");
}

TEST_CASE("an INTERCOM inside a BROADCAST or PROPAGATE is opened", "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    h.master.push(
        HiveMessage::wrap(MessageType::broadcast, sealed_for_satellite(*test_keys().master, 5)));
    h.master.push(
        HiveMessage::wrap(MessageType::propagate, sealed_for_satellite(*test_keys().master, 6)));
    h.settle();
    CHECK(h.sat.bus().injected_of("secret.speak").size() == 2);
}

TEST_CASE("the classic INTERCOM form is accepted", "[satellite][intercom]") {
    SatelliteHarness h;
    h.connect();
    protocol::SeededRandom random(8, "classic");
    const HiveMessage small = HiveMessage::bus(BusMessage("tiny"));
    h.master.push(protocol::seal_intercom_classic(small, test_keys().satellite->public_key(),
                                                  *test_keys().master, random));
    h.settle();
    CHECK(h.sat.bus().injected_of("tiny").size() == 1);
}
