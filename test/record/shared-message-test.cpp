// SharedMessage, the message of a record: reads like std::optional<HiveMessage>, and records
// made from one shared message hold that very object (no copy).

#include "catch.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/record/record.hpp"

#include <memory>
#include <optional>

using namespace hivescope;
using hivescope::record::SharedMessage;

namespace {
protocol::HiveMessage speak(const std::string& utterance) {
    return protocol::HiveMessage::bus(
        protocol::BusMessage("speak", protocol::JsonObject{{"utterance", utterance}}));
}
} // namespace

TEST_CASE("SharedMessage reads like an optional HiveMessage", "[record][shared-message]") {
    SharedMessage none;
    CHECK_FALSE(none);
    CHECK_FALSE(none.has_value());
    CHECK(none == std::nullopt);
    CHECK_THROWS_AS(none.value(), std::bad_optional_access);

    const protocol::HiveMessage message = speak("hi");
    SharedMessage some = message;
    REQUIRE(some);
    CHECK(some->type() == protocol::MessageType::bus);
    CHECK(*some == message);
    CHECK(some == message);
    CHECK(some.value() == message);
    CHECK_FALSE(some == std::nullopt);

    some = std::nullopt;
    CHECK_FALSE(some);
    some = speak("again");
    CHECK(some->payload().find("data")->get_string("utterance") == "again");
    some.reset();
    CHECK_FALSE(some);
}

TEST_CASE("SharedMessage compares by value, like std::optional", "[record][shared-message]") {
    CHECK(SharedMessage() == SharedMessage(std::nullopt));
    CHECK(SharedMessage(speak("a")) == SharedMessage(speak("a")));
    CHECK_FALSE(SharedMessage(speak("a")) == SharedMessage(speak("b")));
    CHECK_FALSE(SharedMessage(speak("a")) == SharedMessage());
    CHECK_FALSE(SharedMessage() == speak("a"));
}

TEST_CASE("records of one shared message hold the same object", "[record][shared-message]") {
    const auto shared = std::make_shared<const protocol::HiveMessage>(speak("once"));
    record::Record in;
    in.kind = record::Kind::in;
    in.message = shared;
    record::Record verdict = in;
    verdict.kind = record::Kind::verdict;
    record::Record other;
    other.message = SharedMessage(in.message.shared());
    CHECK(in.message.shared() == shared);
    CHECK(verdict.message.shared() == shared);
    CHECK(other.message.shared() == shared);
    CHECK(shared.use_count() == 4);
    // A plain message is taken by copy: the caller's object is not shared.
    protocol::HiveMessage mine = speak("mine");
    record::Record copied;
    copied.message = mine;
    mine.set_node("changed");
    CHECK_FALSE(copied.message->node().has_value());
}
