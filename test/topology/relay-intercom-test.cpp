// INTERCOM through a relay (protocol.md B.10): wrapped in a transport it crosses relays and
// masters unread and unchanged; only its addressee verifies, decrypts and injects it, with the
// verifying key as `hivemind_verified_source_peer`.

#include "catch.hpp"

#include "multihop-support.hpp"

using namespace hivescope;
using namespace hivescope::test::multihop;
using namespace std::chrono_literals;
using protocol::BusMessage;
using protocol::Json;
using protocol::JsonObject;
using topology::SatelliteSpec;
using topology::TopologyBuilder;

namespace {

// M0 ← {R0 ← {S0, S1}, S2, S3}. S0 is an admin at R0 (it may BROADCAST there).
TopologyBuilder intercom_topology() {
    TopologyBuilder builder;
    SatelliteSpec plain;
    plain.acl.allowed_types = {"intercom.note"};
    SatelliteSpec admin = plain;
    admin.acl.is_admin = true;
    topology::RelaySpec relay;
    relay.acl.allowed_types = {"intercom.note"};
    builder.add_master("M0")
        .add_relay("R0", "M0", relay)
        .add_satellite("S0", "R0", admin)
        .add_satellite("S1", "R0", plain)
        .add_satellite("S2", "M0", plain)
        .add_satellite("S3", "M0", plain);
    builder = fast(builder, /*pubkeys=*/true);
    builder.options().preload_trusted_keys = true;
    return builder;
}

const std::vector<std::string> everyone{"S0", "R0", "M0", "S1", "S2", "S3"};

std::size_t injected_notes(topology::Hive& hive, const std::string& name) {
    if (name == "M0")
        return hive.master(name).agent().injected_of("intercom.note").size();
    if (name == "R0")
        return hive.relay(name).agent().injected_of("intercom.note").size();
    return hive.satellite(name).bus().injected_of("intercom.note").size();
}

// Records in which a node looked inside an INTERCOM: opened it, or dropped it for its content.
template <class Records> std::vector<Record> intercom_reads(const Records& recorder) {
    return records(recorder, [](const Record& r) {
        const bool opened = r.kind == Kind::dispatch &&
                            (r.detail == "intercom" || r.detail.rfind("intercom verified", 0) == 0);
        const bool rejected = r.kind == Kind::verdict && r.outcome == Outcome::dropped &&
                              (r.reason == "signature" || r.reason == "decrypt failed");
        return opened || rejected;
    });
}

// The INTERCOM payload inside the first transport of `type` that `name` recorded as `kind`.
Json intercom_payload(topology::Hive& hive, const std::string& name, Kind kind, MessageType type) {
    const auto found = records_of(hive.recorder(name), kind, type);
    REQUIRE(!found.empty());
    REQUIRE(found[0].message->inner().type() == MessageType::intercom);
    return found[0].message->inner().payload();
}

} // namespace

TEST_CASE("relay: an INTERCOM wrapped in a transport crosses relays and masters unread and is "
          "injected only by its addressee",
          "[topology][relay][intercom]") {
    auto hive = start(intercom_topology());
    const std::string s0_pem = hive.satellite("S0").core().identity().public_pem();
    const std::string s1_pem = hive.satellite("S1").core().identity().public_pem();
    const std::string s2_pem = hive.satellite("S2").core().identity().public_pem();
    auto& s0 = hive.satellite("S0").role();

    // 1. In a PROPAGATE, from S0 under R0 to S2 under M0.
    {
        BusMessage note("intercom.note", Json(JsonObject{{"text", "for S2 only"}}));
        s0.send_intercom(HiveMessage::bus(note), s2_pem, MessageType::propagate);
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, everyone, 12));

        // The addressee injects the inner BUS with the key that verified it.
        const auto at_s2 = hive.satellite("S2").bus().injected_of("intercom.note");
        REQUIRE(at_s2.size() == 1);
        CHECK(at_s2[0].data().get_string("text") == "for S2 only");
        CHECK(at_s2[0].context().get_string("hivemind_verified_source_peer") == s0_pem);

        // Everyone else carried it (the PROPAGATE reached them) but injected nothing.
        for (const std::string name : {"S1", "S3", "M0", "R0"}) {
            INFO(name);
            CHECK(injected_notes(hive, name) == 0);
            CHECK(records_of(hive.recorder(name), Kind::in, MessageType::propagate).size() == 1);
        }
        // Relays (and the master in between) never read it, and pass its payload on unchanged.
        CHECK(intercom_reads(hive.recorder("R0")).empty());
        CHECK(intercom_reads(hive.recorder("M0")).empty());
        CHECK(intercom_reads(hive.recorder("S1")).empty());
        CHECK(intercom_reads(hive.recorder("S3")).empty());
        CHECK(intercom_reads(hive.recorder("S2")).size() == 1);
        const Json sent = intercom_payload(hive, "S0", Kind::out, MessageType::propagate);
        CHECK(intercom_payload(hive, "R0", Kind::out, MessageType::propagate) == sent);
        CHECK(intercom_payload(hive, "M0", Kind::out, MessageType::propagate) == sent);
        CHECK(intercom_payload(hive, "S2", Kind::in, MessageType::propagate) == sent);
    }

    // 2. In a BROADCAST, from S0 to its sibling S1, through the relay.
    {
        s0.send_intercom(HiveMessage::bus(BusMessage("intercom.note")), s1_pem,
                         MessageType::broadcast);
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "R0", "S1"}, 12));
        const auto at_s1 = hive.satellite("S1").bus().injected_of("intercom.note");
        REQUIRE(at_s1.size() == 1);
        CHECK(at_s1[0].context().get_string("hivemind_verified_source_peer") == s0_pem);
        CHECK(intercom_reads(hive.recorder("R0")).empty());
        CHECK(injected_notes(hive, "R0") == 0);
        // A BROADCAST from below goes to the relay's other clients only, never up.
        CHECK(records_of(hive.recorder("M0"), Kind::in, MessageType::broadcast).empty());
        for (const std::string name : {"S2", "S3", "M0"})
            CHECK(injected_notes(hive, name) == (name == "S2" ? 1u : 0u));
    }

    // 3. Without a trusted key for the sender the addressee drops it (fail-closed): S2 then
    // knows only its master's key, which did not sign it.
    {
        hive.satellite("S2").core().trusted_keys().clear();
        s0.send_intercom(HiveMessage::bus(BusMessage("intercom.note")), s2_pem,
                         MessageType::propagate);
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "R0", "M0", "S2"}, 12));
        CHECK(drops(hive.recorder("S2"), "signature").size() == 1);
        CHECK(injected_notes(hive, "S2") == 1); // still only the first one
        CHECK(injected_notes(hive, "S1") == 1);
        CHECK(injected_notes(hive, "S3") == 0);
    }

    // 4. In a QUERY addressed to M0: the relay cannot open it, so it escalates it at once
    // without asking its agent (B.9); M0 opens it, its agent answers, and the answer comes back
    // to the asking satellite, which was waiting for it under the query id.
    {
        hive.master("M0").agent().on_query("intercom.note", [](const BusMessage& request) {
            return std::optional<BusMessage>(
                request.reply("answer", Json(JsonObject{{"from", "M0"}})));
        });
        const std::string m0_pem = hive.master("M0").core().identity().public_pem();
        const auto r0_mark = hive.recorder("R0").mark();
        // A non-default session: M0 injects the opened BUS through B.5 under R0's record.
        const BusMessage question(
            "intercom.note", Json(JsonObject{{"text", "for M0"}}),
            Json(JsonObject{{"session", Json(JsonObject{{"session_id", "s0-private"}})}}));
        s0.send_intercom(HiveMessage::bus(question), m0_pem, MessageType::query);
        hive.run_for(1s); // well inside every query timeout: nobody waited for a deadline
        INFO(transcripts(hive, {"S0", "R0", "M0"}, 12));

        const auto sent = records_of(hive.recorder("S0"), Kind::out, MessageType::query);
        REQUIRE(sent.size() == 1);
        const std::string query_id = sent[0].message->metadata().get_string("query_id");
        CHECK_FALSE(query_id.empty());
        const auto answers = hive.satellite("S0").bus().injected_of("answer");
        REQUIRE(answers.size() == 1);
        CHECK(answers[0].data().get_string("from") == "M0");
        CHECK(answers[0].context().get_string("query_id") == query_id);
        CHECK(drops(hive.recorder("S0"), "unknown query").empty());
        CHECK(hive.satellite("S0").core().pending().size() == 0);
        // The relay passed it up unread and never injected it.
        const auto r0 = hive.recorder("R0").since(r0_mark);
        CHECK(intercom_reads(r0).empty());
        CHECK(injected_notes(hive, "R0") == 0);
        const auto up = records_of(r0, Kind::out, MessageType::query);
        REQUIRE(up.size() == 2); // up to M0, then the answer down to S0
        CHECK(up[0].peer == "M0");
        CHECK(up[1].peer == s0.peer_id());
        CHECK(hive.master("M0").agent().injected_of("intercom.note").size() == 1);
    }

    // 5. In an ESCALATE addressed to the relay itself: its master half opens it and injects it
    // under S0's record, and the message is consumed there, never sent on to M0 (B.7.1 step 4).
    {
        const std::string r0_pem = hive.relay("R0").core().identity().public_pem();
        const auto m0_mark = hive.recorder("M0").mark();
        const BusMessage note(
            "intercom.note", Json(JsonObject{{"text", "for R0"}}),
            Json(JsonObject{{"session", Json(JsonObject{{"session_id", "s0-private"}})}}));
        s0.send_intercom(HiveMessage::bus(note), r0_pem, MessageType::escalate);
        REQUIRE(hive.run_until_idle());
        INFO(transcripts(hive, {"S0", "R0", "M0"}, 12));
        const auto at_r0 = hive.relay("R0").agent().injected_of("intercom.note");
        REQUIRE(at_r0.size() == 1);
        CHECK(at_r0[0].data().get_string("text") == "for R0");
        CHECK(at_r0[0].context().get_string("source") == s0.peer_id());
        CHECK(hive.recorder("M0").since(m0_mark).empty());
    }
}
