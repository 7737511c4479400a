// Every matcher passing and failing on real hives, with its exact description after the match
// (what Catch2 prints on failure) approved against test/catch2/approved/*.txt. Run with
// HIVESCOPE_APPROVE=1 to rewrite the approval files after a deliberate wording change.

#include "hivescope/catch2/matchers.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/scenarios/presets.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ranges>
#include <sstream>
#include <string>

using namespace hivescope;
using namespace hivescope::matchers;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;

namespace {

std::filesystem::path approved_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "approved";
}

// Compares `actual` with approved/<name>.txt; HIVESCOPE_APPROVE=1 writes the file instead.
void approve(const std::string& name, const std::string& actual) {
    const auto path = approved_dir() / (name + ".txt");
    const char* mode = std::getenv("HIVESCOPE_APPROVE");
    if (mode != nullptr && std::string(mode) == "1") {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << actual;
        WARN("approved " << path.string());
        return;
    }
    std::ifstream in(path, std::ios::binary);
    INFO("approval file " << path.string() << " (HIVESCOPE_APPROVE=1 writes it)");
    REQUIRE(in.good());
    std::ostringstream expected;
    expected << in.rdbuf();
    CHECK(actual == expected.str());
}

// Collects "passed/failed: <description>" lines for one approval file.
class Transcript {
  public:
    template <typename Matcher, typename Arg>
    bool check(const std::string& label, const Matcher& matcher, const Arg& arg) {
        const bool passed = matcher.match(arg);
        text_ += label + "\n  " + (passed ? "passes: " : "fails: ") + matcher.describe() + "\n";
        return passed;
    }
    // Composites (`&&`, `||`, `!`) describe themselves through toString().
    template <typename Matcher, typename Arg>
    bool check_composite(const std::string& label, const Matcher& matcher, const Arg& arg) {
        const bool passed = matcher.match(arg);
        text_ += label + "\n  " + (passed ? "passes: " : "fails: ") + matcher.toString() + "\n";
        return passed;
    }
    [[nodiscard]] const std::string& text() const noexcept { return text_; }

  private:
    std::string text_;
};

// Simulated hives in tests use a low PBKDF2 count and no satellite RSA keys (no INTERCOM here).
// The seed is fixed whatever --rng-seed says: approved texts quote seeded session ids.
topology::TopologyBuilder fast(topology::TopologyBuilder builder) {
    builder.seed(7);
    builder.options().kdf_iterations = 1000;
    builder.options().satellite_pubkeys = false;
    return builder;
}

// start() returns once every satellite finished its handshake; the HELLOs that register them
// at their masters are still in flight, so let them land.
topology::Hive settled(const topology::TopologyBuilder& builder) {
    auto hive = builder.start();
    hive.run_until_idle();
    return hive;
}

// M0 with S0 allowed `recognizer_loop:utterance`; S0 sends one utterance and one denied `speak`.
topology::Hive utterance_hive() {
    auto hive = settled(fast(scenarios::single_satellite({"recognizer_loop:utterance"})));
    auto& s0 = hive.satellite("S0");
    s0.send(BusMessage("recognizer_loop:utterance", Json{{"utterances", {"hello"}}}));
    s0.send(BusMessage("speak", Json{{"utterance", "not allowed"}}));
    hive.run_until_idle();
    return hive;
}

bool utterance_is(const record::Record& record, const std::string& text) {
    if (!record.message || record.bus_type() != "recognizer_loop:utterance")
        return false;
    const auto bus = BusMessage::from_json(record.message->payload());
    return bus.data().dump(protocol::JsonStyle::compact).find("\"" + text + "\"") !=
           std::string::npos;
}

} // namespace

TEST_CASE("Peer names a node by id, current peer id or the name inside a peer id",
          "[catch2][matchers]") {
    CHECK(peer_name("S0::1::S0::abc") == "S0");
    CHECK(peer_name("ua::with::colons::7::S3::def") == "S3");
    CHECK(peer_name("S0") == "");
    CHECK(peer_name("a::b") == "");
    CHECK(Peer("S0").matches("S0"));
    CHECK(Peer("S0").matches("S0::1::S0::abc"));
    CHECK(Peer("S0").matches("custom-agent::4::S0::abc"));
    CHECK_FALSE(Peer("S0").matches("S01::1::S01::abc"));
    CHECK_FALSE(Peer("S0").matches(""));
    CHECK(Peer("S0::1::S0::abc").matches("S0::1::S0::abc"));
    CHECK_FALSE(Peer("S0::1::S0::abc").matches("S0::1::S0::other"));

    auto hive = settled(fast(scenarios::single_satellite()));
    const Peer s0(hive.satellite("S0"));
    CHECK(s0.label() == "S0");
    CHECK(s0.matches(hive.satellite("S0").role().peer_id()));
    CHECK(Peer(hive.master("M0")).matches("M0"));
    CHECK_FALSE(Peer(hive.master("M0")).matches("S0::1::S0::abc"));
}

TEST_CASE("Received, Sent, Injected and Denied pass and fail with what was seen",
          "[catch2][matchers]") {
    auto hive = utterance_hive();
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    Transcript t;

    CHECK(t.check("Injected(utterance).from(s0).times(1) at M0",
                  Injected("recognizer_loop:utterance").from(s0).times(1), master.recorder()));
    CHECK_FALSE(
        t.check("Injected(speak).from(s0) at M0", Injected("speak").from(s0), master.recorder()));
    CHECK_FALSE(t.check("Injected(utterance).from(\"S9\") at M0",
                        Injected("recognizer_loop:utterance").from("S9"), master.recorder()));
    CHECK(t.check("Injected() at S0 (any type)", Injected(), s0.recorder()));
    CHECK(t.check("Received(bus).with_type(denied) at S0",
                  Received(MessageType::bus).with_type("hive.policy.denied"), s0.recorder()));
    CHECK_FALSE(t.check("Received(bus).with_type(speak).from(M0) at S0",
                        Received(MessageType::bus).with_type("speak").from(master), s0.recorder()));
    CHECK(t.check("Sent(bus).to(s0).with_type(denied).times(1) at M0",
                  Sent(MessageType::bus).to(s0).with_type("hive.policy.denied").times(1),
                  master.recorder()));
    CHECK_FALSE(t.check("Sent(bus).to(s0).times(5) at M0", Sent(MessageType::bus).to(s0).times(5),
                        master.recorder()));
    CHECK_FALSE(t.check("Sent(query) at S0", Sent(MessageType::query), s0.recorder()));
    CHECK(t.check("Denied(acl_disallowed_type).from(s0) at M0",
                  Denied("acl_disallowed_type").from(s0), master.recorder()));
    CHECK(t.check("Denied() at M0", Denied(), master.recorder()));
    CHECK_FALSE(
        t.check("Denied(acl_blacklisted) at M0", Denied("acl_blacklisted"), master.recorder()));
    CHECK_FALSE(t.check("Denied() at S0", Denied(), s0.recorder()));
    approve("received-sent-injected-denied", t.text());
}

TEST_CASE("counts: times, at_least, never; where", "[catch2][matchers]") {
    auto hive = utterance_hive();
    auto& master = hive.master("M0");
    Transcript t;
    CHECK(t.check("Injected(speak).never()", Injected("speak").never(), master.recorder()));
    CHECK_FALSE(t.check("Injected(utterance).never()",
                        Injected("recognizer_loop:utterance").never(), master.recorder()));
    CHECK_FALSE(t.check("Injected(utterance).at_least(2)",
                        Injected("recognizer_loop:utterance").at_least(2), master.recorder()));
    CHECK(t.check("Received(bus).at_least(2)", Received(MessageType::bus).at_least(2),
                  master.recorder()));
    CHECK_FALSE(
        t.check("Received(bus).times(3)", Received(MessageType::bus).times(3), master.recorder()));
    CHECK(t.check("Injected(utterance).where(hello)",
                  Injected("recognizer_loop:utterance")
                      .where([](const record::Record& r) { return utterance_is(r, "hello"); },
                             "the utterance is \"hello\""),
                  master.recorder()));
    CHECK_FALSE(t.check("Injected(utterance).where(bye).from(s0)",
                        Injected("recognizer_loop:utterance")
                            .where([](const record::Record& r) { return utterance_is(r, "bye"); },
                                   "the utterance is \"bye\"")
                            .from(hive.satellite("S0")),
                        master.recorder()));
    approve("counts-and-where", t.text());
}

TEST_CASE("since(Mark) and since(HiveMark) look only at what followed the mark",
          "[catch2][matchers]") {
    auto hive = settled(fast(scenarios::single_satellite({"recognizer_loop:utterance"})));
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    const auto hive_mark = hive.mark();
    const auto master_mark = master.recorder().mark();
    s0.send(BusMessage("recognizer_loop:utterance", Json{{"utterances", {"after"}}}));
    hive.run_until_idle();
    Transcript t;

    CHECK(t.check("Received(hello) before the mark", Received(MessageType::hello),
                  master.recorder()));
    CHECK(t.check("Received(hello).since(hive mark).never()",
                  Received(MessageType::hello).since(hive_mark).never(), master.recorder()));
    CHECK(t.check("Received(bus).since(hive mark).times(1) at S0's master",
                  Received(MessageType::bus).since(hive_mark).times(1), master.recorder()));
    CHECK(t.check("Sent(bus).since(hive mark).times(1) at S0",
                  Sent(MessageType::bus).since(hive_mark).times(1), s0.recorder()));
    CHECK_FALSE(t.check("Received(hello).since(master mark)",
                        Received(MessageType::hello).since(master_mark), master.recorder()));
    // A view that already starts at the mark: `since` counts positions in the whole recorder.
    const auto view = master.recorder().since(master_mark);
    CHECK(t.check("Injected(utterance).times(1) on since(mark) view",
                  Injected("recognizer_loop:utterance").times(1), view));
    CHECK(t.check("Injected(utterance).since(master mark).times(1) on the same view",
                  Injected("recognizer_loop:utterance").since(master_mark).times(1), view));
    CHECK(
        t.check("Received(hello).never() on the view", Received(MessageType::hello).never(), view));
    approve("since", t.text());
}

TEST_CASE("inner() looks inside transports", "[catch2][matchers]") {
    auto builder = fast(scenarios::three_satellites({"speak"}));
    builder.get_satellite("S0").acl.is_admin = true; // only admins may BROADCAST
    auto hive = settled(builder);
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    s0.role().broadcast(BusMessage("speak", Json{{"utterance", "to all"}}));
    hive.run_until_idle();
    Transcript t;
    CHECK(t.check("Received(broadcast).inner(bus).from(s0) at M0",
                  Received(MessageType::broadcast).inner(MessageType::bus).from(s0),
                  master.recorder()));
    CHECK(t.check("Received(broadcast).with_type(speak) at S1",
                  Received(MessageType::broadcast).with_type("speak").from(master),
                  hive.satellite("S1").recorder()));
    CHECK_FALSE(t.check("Received(broadcast).inner(ping) at M0",
                        Received(MessageType::broadcast).inner(MessageType::ping),
                        master.recorder()));
    approve("inner", t.text());
}

TEST_CASE("Dropped, Closed and Dispatched", "[catch2][matchers]") {
    auto hive = settled(fast(scenarios::single_satellite()));
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    s0.send(HiveMessage(MessageType::ping, Json{{"flood_id", "f1"}}));
    hive.run_until_idle();
    Transcript t;
    CHECK(t.check("Dropped(bare ping).from(s0) at M0", Dropped("bare ping").from(s0),
                  master.recorder()));
    CHECK_FALSE(t.check("Dropped(loop) at M0", Dropped("loop"), master.recorder()));
    CHECK(t.check("Dispatched(link open) at S0", Dispatched("link open"), s0.recorder()));
    CHECK_FALSE(
        t.check("Dispatched(no such handler) at S0", Dispatched("no such handler"), s0.recorder()));
    CHECK_FALSE(t.check("Closed() at M0 before any close", Closed(), master.recorder()));

    // A client that leaves is an agent event at the master; a master that closes records it.
    s0.disconnect();
    hive.run_until_idle();
    CHECK(t.check("Closed(1000, disconnect) at S0", Closed(1000, "disconnect"), s0.recorder()));
    CHECK_FALSE(
        t.check("Closed().from(s0) at M0 after S0 left", Closed().from(s0), master.recorder()));
    CHECK(t.check("Injected(hive.client.disconnect) at M0", Injected("hive.client.disconnect"),
                  master.recorder()));
    approve("dropped-closed-dispatched", t.text());
}

TEST_CASE("Closed at a master that closes the link", "[catch2][matchers]") {
    auto hive = settled(fast(scenarios::three_satellites({"speak"})));
    auto& master = hive.master("M0");
    auto& s1 = hive.satellite("S1");
    // A non-admin BROADCAST is illegal: the master closes the link with 1008 (B.7).
    s1.role().broadcast(BusMessage("speak", Json{{"utterance", "to all"}}));
    hive.run_until_idle();
    master.role().disconnect(hive.satellite("S2").role().peer_id(), {1000, "bye"});
    hive.run_until_idle();
    Transcript t;
    CHECK(t.check("Closed(1008, illegal broadcast).from(s1) at M0",
                  Closed(1008, "illegal broadcast").from(s1), master.recorder()));
    CHECK(t.check("Closed(1000).from(S2) at M0", Closed(1000).from("S2"), master.recorder()));
    CHECK(t.check("Closed().times(2) at M0", Closed().times(2), master.recorder()));
    CHECK_FALSE(t.check("Closed(1008).from(S0) at M0", Closed(1008).from("S0"), master.recorder()));
    CHECK(t.check("Closed(1008) at S1", Closed(1008), s1.recorder()));
    approve("closed", t.text());
}

TEST_CASE("InOrder matches steps one after another", "[catch2][matchers]") {
    auto hive = utterance_hive();
    auto& s0 = hive.satellite("S0");
    auto& master = hive.master("M0");
    Transcript t;
    CHECK(t.check("InOrder(sent hello, sent utterance, received denial) at S0",
                  InOrder(Sent(MessageType::hello),
                          Sent(MessageType::bus).with_type("recognizer_loop:utterance"),
                          Received(MessageType::bus).with_type("hive.policy.denied")),
                  s0.recorder()));
    CHECK_FALSE(t.check("InOrder(received denial, sent hello) at S0",
                        InOrder(Received(MessageType::bus).with_type("hive.policy.denied"),
                                Sent(MessageType::hello)),
                        s0.recorder()));
    CHECK(t.check("InOrder(injected utterance, denied) at M0",
                  InOrder(Injected("recognizer_loop:utterance"), Denied("acl_disallowed_type")),
                  master.recorder()));
    CHECK_FALSE(t.check(
        "InOrder(received bus ×3, denied) at M0",
        InOrder(Received(MessageType::hello), Received(MessageType::bus).times(3), Denied()),
        master.recorder()));
    approve("in-order", t.text());
    CHECK_THROWS_AS(InOrder(Sent(MessageType::hello), Sent(MessageType::bus).never()),
                    std::invalid_argument);
}

TEST_CASE("NothingElseSince: nothing but the tolerated records after a mark",
          "[catch2][matchers]") {
    auto hive = settled(fast(scenarios::single_satellite({"recognizer_loop:utterance"})));
    auto& s0 = hive.satellite("S0");
    const auto mark = hive.mark();
    hive.run_for(std::chrono::seconds(1));
    Transcript t;
    CHECK(t.check("NothingElseSince(hive mark) at S0 while idle", NothingElseSince(mark),
                  s0.recorder()));
    s0.send(BusMessage("speak", Json{{"utterance", "denied"}}));
    hive.run_until_idle();
    CHECK_FALSE(t.check("NothingElseSince(hive mark) at S0 after a denied speak",
                        NothingElseSince(mark), s0.recorder()));
    CHECK_FALSE(t.check("... except(Sent(bus))",
                        NothingElseSince(mark).except(Sent(MessageType::bus)), s0.recorder()));
    CHECK(t.check("... except(Sent(bus)), except(Received(bus)), except(Injected(denied))",
                  NothingElseSince(mark)
                      .except(Sent(MessageType::bus))
                      .except(Received(MessageType::bus).from(hive.master("M0")))
                      .except(Injected("hive.policy.denied")),
                  s0.recorder()));
    CHECK(t.check("NothingElseSince(record mark) at M0",
                  NothingElseSince(hive.master("M0").recorder().mark()),
                  hive.master("M0").recorder()));
    approve("nothing-else-since", t.text());
}

TEST_CASE("node matchers on a running hive and after a disconnect", "[catch2][matchers]") {
    auto hive = settled(fast(scenarios::single_satellite()));
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    Transcript t;
    CHECK(t.check("S0 HandshakeComplete()", HandshakeComplete(), s0));
    CHECK(t.check("M0 HandshakeComplete()", HandshakeComplete(), master));
    CHECK(t.check("S0 EncryptionMatches(M0)", EncryptionMatches(master), s0));
    CHECK(t.check("M0 EncryptionMatches(S0)", EncryptionMatches(s0), master));
    CHECK(t.check("S0 ConnectedTo(M0)", ConnectedTo(master), s0));
    CHECK(t.check("M0 ClientRegistered(s0)", ClientRegistered(s0), master));
    CHECK(t.check("M0 ClientRegistered(\"S0\")", ClientRegistered("S0"), master));
    CHECK_FALSE(t.check("M0 ClientRegistered(\"S9\")", ClientRegistered("S9"), master));
    CHECK_FALSE(t.check("S0 ClientRegistered(\"S0\")", ClientRegistered("S0"), s0));
    CHECK_FALSE(t.check("M0 ConnectedTo(S0)", ConnectedTo(s0), master));

    s0.disconnect();
    hive.run_until_idle();
    CHECK_FALSE(t.check("S0 HandshakeComplete() after disconnect", HandshakeComplete(), s0));
    CHECK_FALSE(t.check("M0 HandshakeComplete() after disconnect", HandshakeComplete(), master));
    CHECK_FALSE(
        t.check("S0 EncryptionMatches(M0) after disconnect", EncryptionMatches(master), s0));
    CHECK_FALSE(t.check("S0 ConnectedTo(M0) after disconnect", ConnectedTo(master), s0));
    CHECK_FALSE(t.check("M0 ClientRegistered(s0) after disconnect", ClientRegistered(s0), master));
    approve("node-matchers", t.text());
}

TEST_CASE("node matchers through a relay", "[catch2][matchers]") {
    auto hive = settled(fast(scenarios::with_relay()));
    auto& m0 = hive.master("M0");
    auto& r0 = hive.relay("R0");
    auto& s0 = hive.satellite("S0");
    Transcript t;
    CHECK(t.check("S0 ConnectedTo(R0)", ConnectedTo(r0), s0));
    CHECK_FALSE(t.check("S0 ConnectedTo(M0)", ConnectedTo(m0), s0));
    CHECK(t.check("R0 ConnectedTo(M0)", ConnectedTo(m0), r0));
    CHECK(t.check("R0 HandshakeComplete()", HandshakeComplete(), r0));
    CHECK(t.check("R0 ClientRegistered(s0)", ClientRegistered(s0), r0));
    CHECK(t.check("M0 ClientRegistered(r0)", ClientRegistered(r0), m0));
    CHECK(t.check("S0 EncryptionMatches(R0)", EncryptionMatches(r0), s0));
    CHECK(t.check("R0 EncryptionMatches(M0)", EncryptionMatches(m0), r0));
    CHECK_FALSE(t.check("S0 EncryptionMatches(M0)", EncryptionMatches(m0), s0));
    approve("node-matchers-relay", t.text());
}

TEST_CASE("matchers compose with &&, || and ! in REQUIRE_THAT", "[catch2][matchers]") {
    auto hive = utterance_hive();
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");

    // The shape, on a Recorder and on a view.
    REQUIRE_THAT(master.recorder(), Injected("recognizer_loop:utterance").from(s0).times(1));
    REQUIRE_THAT(s0.recorder(), !Received(MessageType::bus).with_type("speak"));
    REQUIRE_THAT(master.recorder(),
                 Injected("recognizer_loop:utterance") && Denied() && !Injected("speak"));
    REQUIRE_THAT(master.recorder().snapshot(), Injected("speak") || Denied("acl_disallowed_type"));
    REQUIRE_THAT(s0, HandshakeComplete() && ConnectedTo(master) && EncryptionMatches(master));
    REQUIRE_THAT(master, ClientRegistered(s0) && !ClientRegistered("S9"));

    Transcript t;
    CHECK_FALSE(t.check_composite("Injected(utterance) && Injected(speak)",
                                  Injected("recognizer_loop:utterance") && Injected("speak"),
                                  master.recorder()));
    CHECK(t.check_composite("Injected(speak) || Denied()", Injected("speak") || Denied(),
                            master.recorder()));
    CHECK_FALSE(t.check_composite("!Received(bus).with_type(denied) at S0",
                                  !Received(MessageType::bus).with_type("hive.policy.denied"),
                                  s0.recorder()));
    CHECK_FALSE(t.check_composite("!HandshakeComplete() at S0", !HandshakeComplete(), s0));
    approve("composition", t.text());
}

TEST_CASE("a reused matcher describes its latest match", "[catch2][matchers]") {
    auto hive = utterance_hive();
    const auto matcher = Injected("speak");
    CHECK_FALSE(matcher.match(hive.master("M0").recorder()));
    const std::string first = matcher.toString();
    CHECK_FALSE(matcher.match(hive.satellite("S0").recorder()));
    CHECK(matcher.toString() != first);
    CHECK(matcher.toString() == matcher.describe());
}

TEST_CASE("StringMakers print bounded transcripts", "[catch2][matchers]") {
    auto hive = utterance_hive();
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");
    std::string text;
    text += "Recorder M0:\n" + Catch::Detail::stringify(master.recorder()) + "\n";
    text += "RecordView S0 since #10:\n" +
            Catch::Detail::stringify(s0.recorder().since(record::Mark{10})) + "\n";
    text += "empty view:\n" + Catch::Detail::stringify(record::RecordView{}) + "\n";
    text += "Record:\n" + Catch::Detail::stringify(master.recorder()[0]) + "\n";
    text += "HiveMessage:\n" + Catch::Detail::stringify(*master.recorder()[1].message) + "\n";
    text +=
        "nodes: " + Catch::Detail::stringify(s0) + ", " + Catch::Detail::stringify(master) + "\n";
    // What Catch2 prints for a failed REQUIRE_THAT: stringify(arg) + " " + describe().
    const auto failing = Injected("speak").from(s0).times(1);
    CHECK_FALSE(failing.match(master.recorder()));
    text += "failure:\n" + Catch::Detail::stringify(master.recorder()) + " " + failing.describe() +
            "\n";
    approve("string-makers", text);

    const auto lines = Catch::Detail::stringify(master.recorder());
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 1 + 10);
}

TEST_CASE("recorders are ranges for std::ranges algorithms", "[catch2][matchers]") {
    static_assert(std::ranges::random_access_range<record::Recorder>);
    static_assert(std::ranges::random_access_range<record::RecordView>);
    static_assert(std::ranges::sized_range<record::RecordView>);
    auto hive = utterance_hive();
    const auto& recorder = hive.master("M0").recorder();
    CHECK(std::ranges::count_if(recorder, [](const record::Record& r) {
              return r.outcome == record::Outcome::denied;
          }) == 1);
    CHECK(std::ranges::any_of(recorder, [](const record::Record& r) {
        return r.bus_type() == "recognizer_loop:utterance";
    }));
    CHECK(std::ranges::none_of(recorder, [](const record::Record& r) {
        return r.bus_type() == "speak" && r.kind == record::Kind::inject;
    }));
}
