// The recorder: append-only, a range, cheap snapshots and marks, bounded transcripts.

#include "catch.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/record/recorder.hpp"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

using namespace hivescope;
using namespace hivescope::record;
using namespace std::chrono_literals;

namespace {
Record bus_record(const std::string& type, Kind kind) {
    Record record;
    record.node = "M0";
    record.kind = kind;
    record.peer = "S0";
    record.time = 3ms;
    record.message = protocol::HiveMessage::wrap(
        protocol::MessageType::broadcast, protocol::HiveMessage::bus(protocol::BusMessage(type)));
    return record;
}
} // namespace

TEST_CASE("records describe their message", "[record]") {
    const Record record = bus_record("speak", Kind::in);
    CHECK(record.type() == protocol::MessageType::broadcast);
    CHECK(record.inner_type() == protocol::MessageType::bus);
    CHECK(record.bus_type() == "speak");
    CHECK(record.to_line() == "t=3.000ms M0 in ← S0 broadcast>bus speak");
    Record denied = record;
    denied.kind = Kind::verdict;
    denied.outcome = Outcome::denied;
    denied.code = "acl_disallowed_type";
    denied.reason = "type 'speak' is not in allowed_types";
    CHECK(denied.to_line() == "t=3.000ms M0 verdict ← S0 broadcast>bus speak [denied "
                              "acl_disallowed_type: type 'speak' is not in allowed_types]");
}

TEST_CASE("the recorder is a range with snapshots and marks", "[record]") {
    Recorder recorder;
    recorder.append(bus_record("a", Kind::in));
    const Mark mark = recorder.mark();
    const RecordView before = recorder.snapshot();
    recorder.append(bus_record("b", Kind::out));
    recorder.append(bus_record("c", Kind::inject));

    CHECK(recorder.size() == 3);
    CHECK(before.size() == 1);
    CHECK(recorder[2].sequence == 2);
    const RecordView after = recorder.since(mark);
    REQUIRE(after.size() == 2);
    CHECK(after[0].bus_type() == "b");
    CHECK(std::count_if(recorder.begin(), recorder.end(),
                        [](const Record& r) { return r.kind == Kind::inject; }) == 1);
    CHECK(std::any_of(after.begin(), after.end(),
                      [](const Record& r) { return r.bus_type() == "c"; }));
}

TEST_CASE("transcripts are bounded to the last lines", "[record]") {
    Recorder recorder;
    for (int i = 0; i < 30; ++i)
        recorder.append(bus_record("t" + std::to_string(i), Kind::in));
    const std::string text = recorder.snapshot().transcript(3);
    CHECK(text.rfind("(… 27 earlier records)\n", 0) == 0);
    CHECK(text.find("t27") != std::string::npos);
    CHECK(text.find("t26") == std::string::npos);
}

TEST_CASE("digests change with any record and match for equal logs", "[record]") {
    Recorder a;
    Recorder b;
    a.append(bus_record("x", Kind::in));
    b.append(bus_record("x", Kind::in));
    CHECK(a.digest() == b.digest());
    b.append(bus_record("y", Kind::in));
    CHECK(a.digest() != b.digest());
}

TEST_CASE("a long log keeps every record in place and in order", "[record]") {
    // Past the doubling blocks (4 … 128 records) into the fixed ones, ending mid-block.
    constexpr std::size_t count = 1000;
    auto recorder = std::make_unique<Recorder>();
    const Record& first = recorder->append(bus_record("t0", Kind::in));
    std::vector<const Record*> addresses{&first};
    const RecordView early = recorder->snapshot();
    for (std::size_t i = 1; i < count; ++i)
        addresses.push_back(&recorder->append(bus_record("t" + std::to_string(i), Kind::in)));

    REQUIRE(recorder->size() == count);
    for (std::size_t i = 0; i < count; ++i) {
        // Appending never moved an earlier record.
        CHECK(&(*recorder)[i] == addresses[i]);
        CHECK((*recorder)[i].sequence == i);
        CHECK((*recorder)[i].bus_type() == "t" + std::to_string(i));
    }
    CHECK(std::distance(recorder->begin(), recorder->end()) == static_cast<long>(count));
    CHECK(recorder->since(Mark{count - 3}).begin()->bus_type() == "t997");
    // A view outlives its recorder and still reads the records it covers.
    const RecordView all = recorder->snapshot();
    recorder.reset();
    CHECK(early.size() == 1);
    CHECK(early[0].bus_type() == "t0");
    CHECK(all[count - 1].bus_type() == "t999");
    CHECK(all[255].sequence == 255);
}
