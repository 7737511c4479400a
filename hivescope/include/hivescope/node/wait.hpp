#pragma once
// Waiting on one node: run the simulation until the node records what a test expects, or until a
// timeout passes — virtual time on the simulated network (nothing sleeps; the same seed times
// out at the same instant), wall time while real sockets are open. A timeout throws WaitTimeout,
// whose message ends with the node's recent records, so an unexpected exception in a scenario
// already says what the node was doing. Hive-wide waits (by node name, with the merged trace) are
// in catch2/waiting.hpp and throw the same type.

#include "hivescope/protocol/message_type.hpp"
#include "hivescope/record/record.hpp"
#include "hivescope/record/recorder.hpp"
#include "hivescope/sim/clock.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace hivescope {

/// The time budget of a wait when none is given (a master's query timeout).
inline constexpr sim::Duration default_wait_timeout = std::chrono::seconds(5);

/// How many trace lines a WaitTimeout carries.
inline constexpr std::size_t wait_trace_lines = 20;

/// A wait whose timeout passed before the awaited record appeared.
class WaitTimeout : public std::runtime_error {
  public:
    /// `expectation` reads as a phrase (`S0 to receive a `bus``); `trace` is the recent trace.
    WaitTimeout(std::string expectation, sim::Duration timeout, sim::VirtualTime started,
                std::string trace);

    /// What was awaited, as a phrase.
    [[nodiscard]] const std::string& expectation() const noexcept { return expectation_; }
    /// The time the wait allowed.
    [[nodiscard]] sim::Duration timeout() const noexcept { return timeout_; }
    /// The virtual time the wait started at.
    [[nodiscard]] sim::VirtualTime started() const noexcept { return started_; }
    /// The last lines of the trace when the wait gave up.
    [[nodiscard]] const std::string& trace() const noexcept { return trace_; }

  private:
    std::string expectation_;
    sim::Duration timeout_;
    sim::VirtualTime started_;
    std::string trace_;
};

/// Which records a wait accepts.
using RecordPredicate = std::function<bool(const record::Record&)>;

/// The trace a WaitTimeout carries: the last `lines` of `count` records (`record_at(i)` is the
/// i-th, oldest first), one indented line each, after a count of those left out
/// (`(… 37 earlier records)`); `(no records)` when there are none.
[[nodiscard]] std::string
trace_tail(std::size_t count, std::size_t lines,
           const std::function<const record::Record&(std::size_t)>& record_at);

namespace sim {
class Simulation;
}

namespace node {

class NodeCore;

/// Runs `simulation` until `recorder` holds a record, made after the call (or after `since`),
/// that `predicate` accepts, and returns a copy of it. After `timeout` it throws WaitTimeout
/// with `expectation` and the text `trace()` returns then. The one loop behind every wait.
record::Record wait_for_record(sim::Simulation& simulation, const record::Recorder& recorder,
                               const RecordPredicate& predicate, std::string expectation,
                               sim::Duration timeout, std::optional<record::Mark> since,
                               const std::function<std::string()>& trace);

/// Runs `core`'s simulation until `core` records something `predicate` accepts and returns a
/// copy of that record. Only records made after the call count, or after `since` when given.
/// Throws WaitTimeout after `timeout`, with the node's last wait_trace_lines records.
/// `description` completes "<node> to …" in the error.
record::Record wait_for_record(NodeCore& core, const RecordPredicate& predicate,
                               const std::string& description,
                               sim::Duration timeout = default_wait_timeout,
                               std::optional<record::Mark> since = std::nullopt);

/// The predicate of "received (recorded `in`) a message whose outer type is `type`".
[[nodiscard]] RecordPredicate received_type(protocol::MessageType type);
/// The description of that wait: "receive a `bus`".
[[nodiscard]] std::string received_description(protocol::MessageType type);
/// The predicate of "handed an OVOS message of type `bus_type` to its agent or bus (`inject`)".
[[nodiscard]] RecordPredicate injected_type(std::string bus_type);

/// The waits every node offers on itself (`master.wait_for(MessageType::bus)`), for a node
/// class `Node` with a `core()` returning its NodeCore. The timeout is virtual time, or wall time
/// while real sockets are open; a WaitTimeout carries the node's own recent records.
template <typename Node> class WaitsOnItself {
  public:
    /// Waits until this node receives (records `in`) a message of outer type `type` after the
    /// call, and returns that record.
    record::Record wait_for(protocol::MessageType type,
                            sim::Duration timeout = default_wait_timeout) {
        return wait_for_record(core(), received_type(type), received_description(type), timeout);
    }
    /// Waits for the first record of this node, after the call, that `predicate` accepts;
    /// `description` completes "<node> to …" in the error.
    record::Record wait_for(const RecordPredicate& predicate, const std::string& description,
                            sim::Duration timeout = default_wait_timeout) {
        return wait_for_record(core(), predicate, description, timeout);
    }
    /// Waits until this node hands an OVOS message of type `bus_type` to its agent or bus.
    record::Record wait_for_injected(const std::string& bus_type,
                                     sim::Duration timeout = default_wait_timeout) {
        return wait_for_record(core(), injected_type(bus_type), "inject `" + bus_type + "`",
                               timeout);
    }

  private:
    NodeCore& core() { return static_cast<Node&>(*this).core(); }
};

} // namespace node
} // namespace hivescope
