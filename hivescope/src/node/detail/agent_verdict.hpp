#pragma once
// What the master half refuses of its own agent's messages (protocol.md B.6, B.9): recorded as a
// `dropped` verdict from peer "agent", so a transcript says why a reply went nowhere.

#include "hivescope/node/node_core.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/record/record.hpp"

#include <string>
#include <utility>

namespace hivescope::node::detail {

/// Records the agent's `message` as dropped for `reason`, with `detail` when there is one.
inline void drop_agent_message(NodeCore& core, const protocol::BusMessage& message,
                               std::string reason, std::string detail = {}) {
    record::Record entry;
    entry.kind = record::Kind::verdict;
    entry.peer = "agent";
    entry.message = protocol::HiveMessage::bus(message);
    entry.outcome = record::Outcome::dropped;
    entry.reason = std::move(reason);
    entry.detail = std::move(detail);
    core.record(std::move(entry));
}

} // namespace hivescope::node::detail
