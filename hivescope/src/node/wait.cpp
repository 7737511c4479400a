#include "hivescope/node/wait.hpp"

#include "hivescope/node/node_core.hpp"

namespace hivescope {

namespace {

std::string timeout_message(const std::string& expectation, sim::Duration timeout,
                            sim::VirtualTime started, sim::VirtualTime ended,
                            const std::string& trace) {
    return "timed out waiting for " + expectation + " within " + sim::format_time(timeout) +
           " of virtual time (t=" + sim::format_time(started) + " to t=" + sim::format_time(ended) +
           ")\nrecent trace:\n" + trace;
}

} // namespace

WaitTimeout::WaitTimeout(std::string expectation, sim::Duration timeout, sim::VirtualTime started,
                         std::string trace)
    : std::runtime_error(timeout_message(expectation, timeout, started, started + timeout, trace)),
      expectation_(std::move(expectation)), timeout_(timeout), started_(started),
      trace_(std::move(trace)) {}

namespace node {

record::Record wait_for_record(NodeCore& core, const RecordPredicate& predicate,
                               const std::string& description, sim::Duration timeout,
                               std::optional<record::Mark> since) {
    const record::Recorder& recorder = core.recorder();
    // Scan each record once, however often the simulation asks.
    std::size_t next = since ? since->position : recorder.size();
    std::optional<std::size_t> found;
    const auto scan = [&]() -> bool {
        for (; next < recorder.size(); ++next) {
            if (predicate(recorder[next])) {
                found = next;
                return true;
            }
        }
        return false;
    };
    const sim::VirtualTime started = core.now();
    if (!scan() && !core.simulation().run_until(scan, timeout)) {
        std::string trace;
        const std::string transcript = recorder.snapshot().transcript(wait_trace_lines);
        std::size_t begin = 0;
        while (begin < transcript.size()) {
            const std::size_t end = transcript.find('\n', begin);
            trace += "  " + transcript.substr(begin, end - begin) + "\n";
            if (end == std::string::npos)
                break;
            begin = end + 1;
        }
        if (recorder.empty())
            trace = "  (no records)\n";
        throw WaitTimeout(core.node_id() + " to " + description, timeout, started, trace);
    }
    return recorder[*found];
}

RecordPredicate received_type(protocol::MessageType type) {
    return
        [type](const record::Record& r) { return r.kind == record::Kind::in && r.type() == type; };
}

RecordPredicate injected_type(std::string bus_type) {
    return [bus_type = std::move(bus_type)](const record::Record& r) {
        return r.kind == record::Kind::inject && r.bus_type() == bus_type;
    };
}

} // namespace node
} // namespace hivescope
