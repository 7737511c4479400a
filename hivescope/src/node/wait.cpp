#include "hivescope/node/wait.hpp"

#include "hivescope/node/node_core.hpp"
#include "hivescope/sim/simulation.hpp"

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

std::string trace_tail(std::size_t count, std::size_t lines,
                       const std::function<const record::Record&(std::size_t)>& record_at) {
    if (count == 0)
        return "  (no records)\n";
    const std::size_t first = count > lines ? count - lines : 0;
    std::string out;
    if (first > 0)
        out += "  (… " + std::to_string(first) + " earlier records)\n";
    for (std::size_t i = first; i < count; ++i)
        out += "  " + record_at(i).to_line() + "\n";
    return out;
}

namespace node {

record::Record wait_for_record(sim::Simulation& simulation, const record::Recorder& recorder,
                               const RecordPredicate& predicate, std::string expectation,
                               sim::Duration timeout, std::optional<record::Mark> since,
                               const std::function<std::string()>& trace) {
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
    const sim::VirtualTime started = simulation.now();
    if (!scan() && !simulation.run_until(scan, timeout))
        throw WaitTimeout(std::move(expectation), timeout, started, trace());
    return recorder[*found];
}

record::Record wait_for_record(NodeCore& core, const RecordPredicate& predicate,
                               const std::string& description, sim::Duration timeout,
                               std::optional<record::Mark> since) {
    const record::Recorder& recorder = core.recorder();
    const auto own_records = [&recorder] {
        return trace_tail(
            recorder.size(), wait_trace_lines,
            [&recorder](std::size_t i) -> const record::Record& { return recorder[i]; });
    };
    return wait_for_record(core.simulation(), recorder, predicate,
                           core.node_id() + " to " + description, timeout, since, own_records);
}

RecordPredicate received_type(protocol::MessageType type) {
    return
        [type](const record::Record& r) { return r.kind == record::Kind::in && r.type() == type; };
}

std::string received_description(protocol::MessageType type) {
    return "receive a `" + std::string(protocol::wire_name(type)) + "`";
}

RecordPredicate injected_type(std::string bus_type) {
    return [bus_type = std::move(bus_type)](const record::Record& r) {
        return r.kind == record::Kind::inject && r.bus_type() == bus_type;
    };
}

} // namespace node
} // namespace hivescope
