#pragma once
// A node's own messages on its local bus: recorded as an injection (so a transcript shows who
// put them there and why), then emitted for the agent and its handlers.

#include "hivescope/node/node_core.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/record/record.hpp"

#include <string>
#include <utility>

namespace hivescope::node::detail {

/// Records `message` as injected by `recorded_peer` with `detail`, then injects it on the bus
/// of `core` for `source`.
inline void inject_recorded(NodeCore& core, const protocol::BusMessage& message,
                            std::string recorded_peer, std::string detail,
                            const std::string& source) {
    record::Record entry;
    entry.kind = record::Kind::inject;
    entry.peer = std::move(recorded_peer);
    entry.message = protocol::HiveMessage::bus(message);
    entry.detail = std::move(detail);
    core.record(std::move(entry));
    core.bus().inject(message, source);
}

/// The agent event `type` (B.6) about `peer`: `data` with context `{"source": peer}`.
inline void agent_event(NodeCore& core, const std::string& type, protocol::Json data,
                        const std::string& peer) {
    const protocol::BusMessage event(type, std::move(data),
                                     protocol::Json(protocol::JsonObject{{"source", peer}}));
    inject_recorded(core, event, "agent", "agent event", peer);
}

} // namespace hivescope::node::detail
