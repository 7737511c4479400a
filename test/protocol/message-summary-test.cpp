// Summaries stay short and name what a reader needs to recognise a message.

#include "catch.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/message_summary.hpp"

using namespace hivescope::protocol;

TEST_CASE("summaries name the type and the telling fields", "[summary]") {
    BusMessage speak("speak", JsonObject{{"utterance", "hello"}});
    speak.set_session(JsonObject{{"session_id", "s1"}});
    CHECK(summarize(HiveMessage::bus(speak)) == R"(bus speak {"utterance": "hello"} session=s1)");
    CHECK(summarize(HiveMessage::wrap(
              MessageType::propagate,
              HiveMessage::wrap(MessageType::broadcast, HiveMessage::bus(speak)))) ==
          R"(propagate>broadcast>bus speak {"utterance": "hello"} session=s1)");
    CHECK(summarize(HiveMessage::binary(BinaryPayloadType::raw_audio, Bytes(320))) ==
          "bin RAW_AUDIO 320B");
    CHECK(summarize(HiveMessage(MessageType::ping, JsonObject{{"flood_id", "f1"}})) ==
          "ping flood_id=f1");
}

TEST_CASE("summaries are bounded, cutting on character boundaries", "[summary]") {
    const HiveMessage big(MessageType::rendezvous, JsonObject{{"x", std::string(1000, 'a')}});
    SummaryOptions options;
    options.max_length = 40;
    const std::string text = summarize(big, options);
    CHECK(text.size() == 40 + std::string("…").size());
    CHECK(truncate_utf8("héllo wörld", 4) == "héll…");
    CHECK(truncate_utf8("short", 10) == "short");
}

TEST_CASE("the three handshake shapes are told apart", "[summary]") {
    CHECK(summarize(HiveMessage(MessageType::handshake,
                                JsonObject{{"min_protocol_version", 0}, {"password", true}}))
              .rfind("shake request", 0) == 0);
    CHECK(summarize(
              HiveMessage(MessageType::handshake, JsonObject{{"binarize", false},
                                                             {"encodings", JsonArray{"JSON-HEX"}},
                                                             {"envelope", "0011"}}))
              .rfind("shake proposal", 0) == 0);
    CHECK(summarize(HiveMessage(MessageType::handshake,
                                JsonObject{{"envelope", "0011"}, {"encoding", "JSON-HEX"}}))
              .rfind("shake response encoding=JSON-HEX", 0) == 0);
}
