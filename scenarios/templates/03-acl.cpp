// Template: access control (protocol.md B.4). A client record's allowed_types whitelists what
// may be injected (empty denies everything, admin included); message_blacklist filters what is
// sent to it; routing messages need their permission, and an illegal one closes the link.
//
// The second half uses a fixture: TEST_CASE_METHOD gives each run a fresh, seeded hive with the
// Python library's `restricted_satellite` record.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;

SCENARIO("the master enforces each client's record", "[template][acl]") {
    GIVEN("an admin, a satellite that may not hear `speak`, and one with a skill blacklist") {
        auto hive =
            hivescope::scenarios::with_acl_enforcement({"recognizer_loop:utterance"}).start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        auto& admin = hive.satellite("S_ADMIN");
        auto& no_speak = hive.satellite("S_RESTRICTED_MSG");

        WHEN("a satellite sends a type that is not in its allowed_types") {
            no_speak.send(hivescope::bus("speak", {{"utterance", "hi"}}));
            hive.run_until_idle();
            THEN("the master denies it, tells the sender, and keeps the link") {
                REQUIRE_THAT(master.recorder(),
                             Denied("acl_disallowed_type").from(no_speak).with_type("speak"));
                REQUIRE_THAT(master.recorder(), !Injected("speak"));
                REQUIRE_THAT(no_speak.recorder(), Injected("hive.policy.denied"));
                REQUIRE_THAT(no_speak, ConnectedTo(master));
            }
        }
        WHEN("a skill speaks to every satellite") {
            hivescope::protocol::JsonArray everyone;
            for (const auto& client : master.clients())
                everyone.emplace_back(client.peer_id);
            auto announcement = hivescope::bus("speak", {{"utterance", "attention"}});
            announcement.context()["destination"] = hivescope::protocol::Json(everyone);
            master.agent().emit(announcement);
            hive.run_until_idle();
            THEN("the satellite with `speak` blacklisted never gets it") {
                REQUIRE_THAT(master.recorder(), Dropped("blacklisted").to(no_speak));
                REQUIRE_THAT(no_speak.recorder(), !Injected("speak"));
                REQUIRE_THAT(admin.recorder(), Injected("speak").times(1));
            }
        }
        WHEN("a non-admin broadcasts") {
            no_speak.role().broadcast(hivescope::bus("recognizer_loop:utterance"));
            hive.run_until_idle();
            THEN("the master closes its link and relays nothing") {
                REQUIRE_THAT(master.recorder(), Closed(1008, "illegal broadcast"));
                REQUIRE_THAT(admin.recorder(), !Received(MessageType::broadcast));
                REQUIRE_THAT(no_speak, !HandshakeComplete());
            }
        }
    }
}

TEST_CASE_METHOD(hivescope::fixtures::RestrictedSatellite,
                 "a restricted satellite may speak but not propagate", "[template][acl]") {
    const auto mark = hive.mark();
    restricted.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hi"}}}));
    hive.run_until_idle();
    REQUIRE_THAT(master.recorder(), Injected("recognizer_loop:utterance").from(restricted));

    restricted.role().propagate(hivescope::bus("recognizer_loop:utterance"));
    hive.run_until_idle();
    REQUIRE_THAT(master.recorder(), Closed(1008, "illegal propagate").since(mark));
    REQUIRE_THAT(restricted, !ConnectedTo(master));
}
