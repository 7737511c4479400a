// The scripted master the satellite tests run against, checked on its own terms: it greets,
// answers a password shake per A.12.4 and pushes encrypted traffic.
//
// The node test glob (test/node/*.cpp) is not recursive, so the support implementation is
// compiled here, in exactly one translation unit.
#include "node/support/scripted_master.cpp" // NOLINT(bugprone-suspicious-include)

#include "catch.hpp"

#include "hivescope/protocol/bus_message.hpp"

using namespace hivescope;
using namespace hivescope::test;

TEST_CASE("the scripted master greets with HELLO and a shake request", "[satellite][scripted]") {
    SatelliteHarness h;
    h.connect();
    REQUIRE(h.master.connects() == 1);
    REQUIRE(h.master.authorization());
    CHECK(h.master.authorization()->useragent == "S0");
    CHECK(h.master.authorization()->access_key == "key-S0");
    CHECK(h.master.announced_peer() == "S0::1::sat-record::default");
    CHECK(h.master.hello_message().payload().get_string("node_id") == "M0");
    CHECK(h.master.handshake_done());
    REQUIRE(h.master.client_hello());
    // Traffic pushed after the handshake is encrypted under the negotiated key.
    CHECK(h.master.received().back().type() == protocol::MessageType::hello);
    CHECK(h.master.encrypted().back());
    CHECK(h.master.decode_errors().empty());
}

TEST_CASE("the test keys come from the handshake vectors", "[satellite][scripted]") {
    const auto& keys = test_keys();
    CHECK(keys.master->bits() >= 1024);
    CHECK(keys.satellite->bits() >= 1024);
    CHECK_FALSE(keys.master->public_key() == keys.satellite->public_key());
    CHECK(keys.stranger->bits() == 1024);
}
