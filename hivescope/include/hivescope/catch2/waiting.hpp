#pragma once
// Waiting for something to happen in a simulated hive. A wait runs the hive's event queue until
// a node records what the test expects, or until a timeout of *virtual* time passes: nothing
// sleeps, a 30 s timeout costs only the events inside it, and the same seed times out at the
// same instant every run. A timeout throws WaitTimeout (node/wait.hpp, where the per-node
// `node.wait_for(type)` lives too), whose message ends with the last lines of the hive's merged
// trace, so an unexpected exception in a scenario already says what the hive
// was doing instead.
//
// Nothing here needs Catch2; it lives in the Catch2 layer because that is where scenarios are.

#include "hivescope/node/wait.hpp"
#include "hivescope/protocol/message_type.hpp"
#include "hivescope/record/record.hpp"
#include "hivescope/record/recorder.hpp"
#include "hivescope/sim/clock.hpp"
#include "hivescope/topology/hive.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace hivescope {

/// A node to wait on: by name, or by the node itself (its node id is its name in the hive).
class NodeName {
  public:
    NodeName(std::string name) : name_(std::move(name)) {} // NOLINT: implicit by design
    NodeName(const char* name) : name_(name) {}            // NOLINT: implicit by design
    NodeName(node::MasterNode& node);                      // NOLINT: implicit by design
    NodeName(node::SatelliteNode& node);                   // NOLINT: implicit by design
    NodeName(node::RelayNode& node);                       // NOLINT: implicit by design

    /// The node's name in its hive.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

  private:
    std::string name_;
};

/// Runs `hive` until `node` records something `predicate` accepts and returns a copy of that
/// record. Only records made after the call count, or after `since` when given (so a wait can
/// also find what already happened). Throws WaitTimeout after `timeout` of virtual time, and
/// TopologyError for an unknown node. `description` completes "<node> to …" in the error.
record::Record wait_for(topology::Hive& hive, const NodeName& node,
                        const RecordPredicate& predicate, const std::string& description,
                        sim::Duration timeout = default_wait_timeout,
                        std::optional<record::Mark> since = std::nullopt);

/// Waits until `node` receives (records `in`) a message whose outer type is `type`.
record::Record wait_for(topology::Hive& hive, const NodeName& node, protocol::MessageType type,
                        sim::Duration timeout = default_wait_timeout);

/// Waits until `node` hands an OVOS message of type `bus_type` to its agent or local bus
/// (records `inject`), e.g. a master injecting an utterance or a satellite receiving a reply.
record::Record wait_for_injected(topology::Hive& hive, const NodeName& node,
                                 const std::string& bus_type,
                                 sim::Duration timeout = default_wait_timeout);

/// The last `lines` records of `hive`'s merged trace, one per line, preceded by a count of the
/// records left out (`(… 37 earlier records)`).
[[nodiscard]] std::string recent_trace(const topology::Hive& hive,
                                       std::size_t lines = wait_trace_lines);

} // namespace hivescope
