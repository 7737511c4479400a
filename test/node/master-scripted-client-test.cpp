// The hand-written satellite used by the master tests (test/node/support/scripted_client.*).
// It is compiled here, once: the node test executable globs test/node/*.cpp only.

#include "catch.hpp"

#include "node/support/scripted_client.cpp" // NOLINT(bugprone-suspicious-include)

#include "node/support/master_fixture.hpp"

using namespace hivescope;
using namespace hivescope::test;

TEST_CASE("master: the scripted client keeps what it receives and names itself as the master does",
          "[node][master][scripted]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.session_id = "abc"; });
    CHECK(s0.peer_id() == "S0::1::S0::abc");
    CHECK(s0.received_of(protocol::MessageType::hello).size() == 1);
    CHECK(s0.received_of(protocol::MessageType::handshake).size() == 2);
    CHECK(s0.decode_errors().empty());
    CHECK(s0.frames().size() == s0.received().size());
    const auto bus = s0.make_bus("speak");
    CHECK(bus.session_id() == "abc");
    CHECK(bus.site_id() == "kitchen");
}

TEST_CASE("master: the scripted client can hold back its handshake and HELLO",
          "[node][master][scripted]") {
    MasterHive hive;
    auto& s0 = hive.join("S0", {}, [](ScriptedClientOptions& o) { o.auto_handshake = false; });
    CHECK(s0.opened());
    CHECK(s0.request().has_value());
    CHECK_FALSE(s0.has_key());
    CHECK_FALSE(s0.ready());
    REQUIRE(hive.master->clients().size() == 1);
    CHECK_FALSE(hive.master->clients()[0].registered);
    CHECK(hive.master->clients()[0].peer_id == "S0::1::S0::default");
}
