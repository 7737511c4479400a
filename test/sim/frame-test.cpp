// Frames share their bytes: a copy (into a record, onto a link, into the receiver's record) is a
// reference, never a copy of the bytes, and compares equal to the original. A default frame is
// an empty text frame.

#include "catch.hpp"

#include "hivescope/scenarios/presets.hpp"
#include "hivescope/sim/frame.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace hivescope;
using sim::Frame;

namespace {
// The frame of the only record of `kind` after `mark` whose message is a BUS.
const Frame& bus_frame(const record::Recorder& recorder, record::Mark mark, record::Kind kind) {
    std::vector<const record::Record*> found;
    for (const auto& entry : recorder.since(mark))
        if (entry.kind == kind && entry.type() == protocol::MessageType::bus)
            found.push_back(&entry);
    REQUIRE(found.size() == 1);
    REQUIRE(found[0]->frame);
    return *found[0]->frame;
}
} // namespace

TEST_CASE("a default frame is an empty text frame", "[sim][frame]") {
    const Frame frame;
    CHECK(frame.kind == Frame::Kind::text);
    CHECK_FALSE(frame.is_binary());
    CHECK(frame.data().empty());
    CHECK(frame.data().c_str()[0] == '\0');
    CHECK(frame.bytes().empty());
    CHECK(frame == Frame::text(""));
    CHECK(frame == Frame{});
    CHECK_FALSE(frame == Frame::binary(std::string()));
}

TEST_CASE("copies of a frame share its bytes and compare equal", "[sim][frame]") {
    std::string content(1024, 'x');
    const char* const buffer = content.data();
    const Frame original = Frame::binary(std::move(content));
    CHECK(original.is_binary());
    CHECK(original.data().data() == buffer); // taken as it was, not copied

    const Frame copy = original;
    CHECK(copy.data().data() == original.data().data());
    CHECK(copy.bytes().data() == original.bytes().data());
    CHECK(copy == original);

    Frame assigned;
    assigned = copy;
    CHECK(assigned.data().data() == buffer);
    CHECK(assigned == original);

    // Equality is by kind and content, not by buffer.
    const Frame same_bytes = Frame::binary(protocol::as_bytes(std::string(1024, 'x')));
    CHECK(same_bytes.data().data() != buffer);
    CHECK(same_bytes == original);
    CHECK_FALSE(Frame::text(std::string(1024, 'x')) == original);
    CHECK_FALSE(Frame::binary(std::string(1024, 'y')) == original);
    CHECK(Frame::text("hello").data() == "hello");
    CHECK(Frame::binary(protocol::Bytes{0x00, 0xff}).bytes().size() == 2);
}

TEST_CASE("a sent frame and the received one are one buffer", "[sim][frame]") {
    auto builder = scenarios::single_satellite({"speak"});
    builder.options().kdf_iterations = 1000;
    builder.options().satellite_pubkeys = false;
    auto hive = builder.start();
    REQUIRE(hive.run_until_idle()); // the HELLO is still in flight when start() returns
    const auto satellite_mark = hive.recorder("S0").mark();
    const auto master_mark = hive.recorder("M0").mark();

    hive.satellite("S0").send_bus(
        protocol::BusMessage("speak", protocol::JsonObject{{"utterance", std::string(900, 'a')}}));
    REQUIRE(hive.run_until_idle());

    // The satellite's out record, the frame that crossed the link and the master's in record
    // hold one buffer of ciphertext.
    const Frame& sent = bus_frame(hive.recorder("S0"), satellite_mark, record::Kind::out);
    const Frame& received = bus_frame(hive.recorder("M0"), master_mark, record::Kind::in);
    CHECK(sent.data().size() > 900);
    CHECK(sent.data().find("ciphertext") != std::string::npos);
    CHECK(received == sent);
    CHECK(received.data().data() == sent.data().data());
}
