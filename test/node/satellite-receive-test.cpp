// What a satellite does with what its master sends (protocol.md B.7.2, B.7.4, B.8, B.11, B.12,
// B.13): BUS adoption and stripping, site-targeted fan-out, illegal types, PING answered once per
// flood with the hive map, loop drops, binary dispatch, hooks, and the records of each.

#include "catch.hpp"
#include "node/support/scripted_master.hpp"

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

std::vector<record::Record> since(const record::Recorder& recorder, record::Mark mark, Kind kind) {
    std::vector<record::Record> out;
    for (const auto& r : recorder.since(mark))
        if (r.kind == kind)
            out.push_back(r);
    return out;
}

HiveMessage ping(const std::string& flood_id, const std::string& peer, double timestamp,
                 std::vector<protocol::RouteHop> route = {}) {
    HiveMessage inner(MessageType::ping, Json(JsonObject{{"flood_id", Json(flood_id)},
                                                         {"peer", Json(peer)},
                                                         {"site_id", Json("hub")},
                                                         {"timestamp", Json(timestamp)},
                                                         {"lang", Json("en-us")}}));
    HiveMessage outer = HiveMessage::wrap(MessageType::propagate, inner);
    outer.route() = std::move(route);
    return outer;
}

HiveMessage site_bus(MessageType transport, const std::string& type,
                     std::optional<std::string> site) {
    HiveMessage outer = HiveMessage::wrap(transport, HiveMessage::bus(BusMessage(type)));
    outer.set_target_site_id(std::move(site));
    return outer;
}

} // namespace

TEST_CASE("a BUS from the master: adopt own session, move destination, strip, inject",
          "[satellite][receive][bus]") {
    SatelliteHarness h;
    h.connect();
    const std::string own = h.sat.role().session_id();

    SECTION("own session is adopted with our own site id") {
        BusMessage reply("speak", Json(JsonObject{{"utterance", Json("hi")}}),
                         Json(JsonObject{{"source", Json("hive")},
                                         {"destination", Json(h.sat.role().peer_id())},
                                         {"hivemind_verified_source_peer", Json("forged")},
                                         {"session", Json(JsonObject{{"session_id", Json(own)},
                                                                     {"site_id", Json("elsewhere")},
                                                                     {"lang", Json("pt-pt")}})}}));
        const auto mark = h.sat.recorder().mark();
        h.master.push(HiveMessage::bus(reply));
        h.settle();
        const auto injected = h.sat.bus().injected_of("speak");
        REQUIRE(injected.size() == 1);
        const auto& bus = injected[0];
        CHECK(bus.context().get_string("source") == h.sat.role().peer_id());
        CHECK(bus.context().find("destination") == nullptr);
        CHECK(bus.context().find("hivemind_verified_source_peer") == nullptr);
        CHECK(bus.site_id() == "kitchen");
        CHECK(bus.session()->get_string("lang") == "pt-pt");
        // The satellite's session is now the adopted one, used for what it sends next.
        CHECK(h.sat.role().session().get_string("lang") == "pt-pt");
        CHECK(h.sat.role().session().get_string("site_id") == "kitchen");
        h.sat.send_bus(BusMessage("next"));
        h.settle();
        const auto sent = h.master.received_of(MessageType::bus).back().bus_message();
        CHECK(sent.session()->get_string("lang") == "pt-pt");
        // Recorded: in (with the frame), inject.
        const auto ins = since(h.sat.recorder(), mark, Kind::in);
        REQUIRE_FALSE(ins.empty());
        CHECK(ins[0].type() == MessageType::bus);
        CHECK(ins[0].bus_type() == "speak");
        REQUIRE(ins[0].frame);
        CHECK(ins[0].frame->data().find("ciphertext") != std::string::npos);
        const auto injects = since(h.sat.recorder(), mark, Kind::inject);
        REQUIRE(injects.size() == 1);
        CHECK(injects[0].bus_type() == "speak");
    }
    SECTION("another session is not adopted") {
        BusMessage other("speak", Json::object(),
                         Json(JsonObject{{"session", Json(JsonObject{{"session_id", Json("other")},
                                                                     {"site_id", Json("x")},
                                                                     {"lang", Json("fr")}})}}));
        h.master.push(HiveMessage::bus(other));
        h.settle();
        const auto injected = h.sat.bus().injected_of("speak");
        REQUIRE(injected.size() == 1);
        CHECK(injected[0].session_id() == "other");
        CHECK(injected[0].site_id() == "x");
        CHECK(h.sat.role().session().find("lang") == nullptr);
    }
    SECTION("no destination: source is kept") {
        h.master.push(HiveMessage::bus(
            BusMessage("speak", Json::object(), Json(JsonObject{{"source", Json("hive")}}))));
        h.settle();
        CHECK(h.sat.bus().injected_of("speak").at(0).context().get_string("source") == "hive");
    }
}

TEST_CASE("BROADCAST and PROPAGATE inject an inner BUS for our site only",
          "[satellite][receive][fanout]") {
    SatelliteHarness h;
    h.connect();
    const auto mark = h.sat.recorder().mark();
    h.master.push(site_bus(MessageType::broadcast, "for.kitchen", "kitchen"));
    h.master.push(site_bus(MessageType::broadcast, "for.attic", "attic"));
    h.master.push(site_bus(MessageType::broadcast, "for.nobody", std::nullopt));
    h.master.push(site_bus(MessageType::propagate, "prop.kitchen", "kitchen"));
    h.master.push(site_bus(MessageType::propagate, "prop.empty", ""));
    h.settle();
    CHECK(h.sat.bus().injected_of("for.kitchen").size() == 1);
    CHECK(h.sat.bus().injected_of("prop.kitchen").size() == 1);
    CHECK(h.sat.bus().injected().size() == 2);
    // Each gets an `allowed` verdict (trusted master), only the matches an inject.
    const auto verdicts = since(h.sat.recorder(), mark, Kind::verdict);
    REQUIRE(verdicts.size() == 5);
    for (const auto& v : verdicts)
        CHECK(v.outcome == Outcome::allowed);
    CHECK(since(h.sat.recorder(), mark, Kind::inject).size() == 2);
    // A plain satellite forwards nothing.
    CHECK(h.master.received().back().type() == MessageType::hello);
}

TEST_CASE("ESCALATE and SHARED_BUS from the master are illegal and ignored",
          "[satellite][receive]") {
    SatelliteHarness h;
    h.connect();
    const auto mark = h.sat.recorder().mark();
    h.master.push(site_bus(MessageType::escalate, "up", "kitchen"));
    h.master.push(HiveMessage::bus(BusMessage("shared"), MessageType::shared_bus));
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    const auto verdicts = since(h.sat.recorder(), mark, Kind::verdict);
    REQUIRE(verdicts.size() == 2);
    CHECK(verdicts[0].outcome == Outcome::dropped);
    CHECK(verdicts[0].reason == "illegal escalate from master");
    CHECK(verdicts[1].reason == "illegal shared_bus from master");
    CHECK(h.sat.role().handshake_complete()); // ignored, not fatal
}

TEST_CASE("bare inner types from a baseline master are handled as that type",
          "[satellite][receive]") {
    SatelliteHarness h;
    h.connect();
    const auto mark = h.sat.recorder().mark();
    // The baseline unwraps a broadcast: a bare BUS arrives and is injected (B.7.2).
    h.master.push(HiveMessage::bus(BusMessage("unwrapped.broadcast")));
    // A bare PING is dropped (B.8).
    h.master.push(HiveMessage(MessageType::ping, Json(JsonObject{{"flood_id", Json("f")}})));
    h.settle();
    CHECK(h.sat.bus().injected_of("unwrapped.broadcast").size() == 1);
    const auto verdicts = since(h.sat.recorder(), mark, Kind::verdict);
    REQUIRE(verdicts.size() == 1);
    CHECK(verdicts[0].reason == "bare ping");
    CHECK_FALSE(h.sat.core().flood_cache().contains("f"));
    CHECK(h.master.received_of(MessageType::propagate).empty());
}

TEST_CASE("PING is answered upstream once per flood id and mapped", "[satellite][receive][ping]") {
    SatelliteHarness h;
    h.connect();
    h.sim.run_for(std::chrono::milliseconds(100));
    const double sent_at = sim::to_seconds(h.sim.now());
    h.master.push(ping("flood-1", "M0", sent_at, {{"R1", {"M0"}}, {"M0", {"S0::x"}}}));
    h.settle();

    // One answer: PROPAGATE(PING{flood_id, peer, site_id, timestamp}) upstream.
    auto answers = h.master.received_of(MessageType::propagate);
    REQUIRE(answers.size() == 1);
    const auto& answer = answers[0].inner().payload();
    CHECK(answer.get_string("flood_id") == "flood-1");
    CHECK(answer.get_string("peer") == "S0");
    CHECK(answer.get_string("site_id") == "kitchen");
    CHECK(answer.find("timestamp")->is_double());
    CHECK(answer.find("lang") == nullptr);
    CHECK(answers[0].route() == std::vector<protocol::RouteHop>{{"S0", {"M0"}}});

    // Hive map: the sender, with latency and extra fields; edges along the route.
    const auto* entry = h.sat.core().hive_map().find("M0");
    REQUIRE(entry != nullptr);
    CHECK(entry->flood_id == "flood-1");
    CHECK(entry->site_id == "hub");
    CHECK(entry->latency_ms == Approx(1.0)); // one 1 ms hop of virtual time
    CHECK(entry->extra.get_string("lang") == "en-us");
    CHECK(h.sat.core().hive_map().edges() ==
          std::set<std::pair<std::string, std::string>>{{"M0", "R1"}, {"R1", "M0"}, {"M0", "S0"}});

    // The same flood again (another sender): mapped, not answered.
    h.master.push(ping("flood-1", "S9", sent_at));
    h.settle();
    CHECK(h.master.received_of(MessageType::propagate).size() == 1);
    CHECK(h.sat.core().hive_map().find("S9") != nullptr);
    CHECK(h.sat.core().hive_map().entries().size() == 2);

    // A new flood is answered; an empty flood id counts as seen.
    h.master.push(ping("flood-2", "M0", sent_at));
    h.master.push(ping("", "M0", sent_at));
    h.settle();
    answers = h.master.received_of(MessageType::propagate);
    REQUIRE(answers.size() == 2);
    CHECK(answers[1].inner().payload().get_string("flood_id") == "flood-2");
}

TEST_CASE("a transport whose route names this node is dropped as a loop",
          "[satellite][receive][loop]") {
    SatelliteHarness h;
    h.connect();
    auto looped = site_bus(MessageType::broadcast, "looped", "kitchen");
    looped.route() = {{"S0", {"M0"}}, {"M0", {"S0::x"}}};
    auto inner_looped = site_bus(MessageType::propagate, "inner.looped", "kitchen");
    inner_looped.inner().route() = {{"S0", {"M0"}}};
    const auto mark = h.sat.recorder().mark();
    h.master.push(looped);
    h.master.push(inner_looped);
    h.master.push(ping("flood-loop", "M0", 0.0, {{"S0", {"M0"}}}));
    h.settle();
    CHECK(h.sat.bus().injected().empty());
    CHECK(h.master.received_of(MessageType::propagate).empty());
    const auto verdicts = since(h.sat.recorder(), mark, Kind::verdict);
    REQUIRE(verdicts.size() == 3);
    for (const auto& v : verdicts) {
        CHECK(v.outcome == Outcome::dropped);
        CHECK(v.reason == "loop");
    }
}

TEST_CASE("BINARY: TTS audio and files are dispatched, the rest ignored",
          "[satellite][receive][binary]") {
    SatelliteHarness h;
    h.connect();
    const auto mark = h.sat.recorder().mark();
    h.master.push(HiveMessage::binary(
        protocol::BinaryPayloadType::tts_audio, protocol::Bytes{0xff, 0xfe},
        Json(JsonObject{{"lang", Json("en-us")}, {"utterance", Json("hello")}})));
    h.master.push(HiveMessage::binary(protocol::BinaryPayloadType::file, protocol::Bytes{1},
                                      Json(JsonObject{{"file_name", Json("a.txt")}})));
    h.master.push(HiveMessage::binary(protocol::BinaryPayloadType::file, protocol::Bytes{2}));
    h.master.push(HiveMessage::binary(protocol::BinaryPayloadType::raw_audio, protocol::Bytes{3}));
    h.master.push(HiveMessage::binary_with_code(9, protocol::Bytes{4}));
    h.settle();

    const auto& calls = h.sat.bus().binary_calls();
    REQUIRE(calls.size() == 3);
    CHECK(calls[0].handler == "receive_tts");
    CHECK(calls[0].data == protocol::Bytes{0xff, 0xfe});
    CHECK(calls[0].bin_type == 6);
    CHECK(calls[0].metadata.get_string("utterance") == "hello");
    CHECK(calls[0].metadata.find("file_name")->is_null()); // A.6 default
    CHECK(calls[0].peer == "M0");
    CHECK(calls[1].handler == "receive_file");
    CHECK(calls[1].metadata.get_string("file_name") == "a.txt");
    CHECK(calls[2].metadata.find("file_name")->is_null());

    const auto dispatches = since(h.sat.recorder(), mark, Kind::dispatch);
    REQUIRE(dispatches.size() == 3);
    CHECK(dispatches[0].detail == "receive_tts");
    const auto verdicts = since(h.sat.recorder(), mark, Kind::verdict);
    REQUIRE(verdicts.size() == 2);
    CHECK(verdicts[0].reason == "ignored binary RAW_AUDIO (bin_type 1)");
    CHECK(verdicts[1].reason == "ignored binary UNDEFINED (bin_type 9)");
    // `in` records carry the binary frame.
    const auto ins = since(h.sat.recorder(), mark, Kind::in);
    REQUIRE(ins.size() == 5);
    CHECK(ins[0].frame->is_binary());
}

TEST_CASE("RENDEZVOUS and 3rdparty go to hooks", "[satellite][receive]") {
    SatelliteHarness h;
    h.connect();
    h.master.push(HiveMessage(MessageType::rendezvous, Json(JsonObject{{"box", Json(1)}})));
    h.master.push(HiveMessage(MessageType::third_party, Json(JsonObject{{"legacy", Json(2)}})));
    h.settle();
    const auto& hooks = h.sat.bus().hook_calls();
    REQUIRE(hooks.size() == 2);
    CHECK(hooks[0].hook == "rendezvous");
    CHECK(hooks[0].payload.find("box")->as_int() == 1);
    CHECK(hooks[1].hook == "3rdparty");
}

TEST_CASE("the same seed gives the same satellite trace", "[satellite][determinism]") {
    const auto run = [] {
        SatelliteHarness h({}, test_satellite_options(), 1234);
        h.connect();
        h.sat.send_bus(BusMessage("speak"));
        h.master.push(ping("f", "M0", 0.0));
        (void)h.sat.query(BusMessage("q"));
        h.settle();
        return h.sat.recorder().digest();
    };
    CHECK(run() == run());
}
