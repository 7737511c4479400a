#pragma once
// PING floods as every node half speaks them (protocol.md B.8): the PING a node sends, the
// hive-map entry for its own flood, and the entry a received PING reports.

#include "hivescope/node/hive_map.hpp"
#include "hivescope/node/node_core.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/sim/clock.hpp"

#include <string>

namespace hivescope::node::detail {

/// This node's PING for `flood_id`, sent now, wrapped in the PROPAGATE that floods it.
[[nodiscard]] inline protocol::HiveMessage ping_flood(const NodeCore& core,
                                                      const std::string& flood_id) {
    using protocol::HiveMessage;
    using protocol::Json;
    using protocol::JsonObject;
    using protocol::MessageType;
    return HiveMessage::wrap(
        MessageType::propagate,
        HiveMessage(MessageType::ping,
                    Json(JsonObject{{"flood_id", flood_id},
                                    {"peer", core.node_id()},
                                    {"site_id", core.site_id()},
                                    {"timestamp", sim::to_seconds(core.now())}})));
}

/// The hive-map entry for the flood `flood_id` this node starts now.
[[nodiscard]] inline HiveMapEntry own_ping_entry(const NodeCore& core,
                                                 const std::string& flood_id) {
    HiveMapEntry self;
    self.flood_id = flood_id;
    self.peer = core.node_id();
    self.site_id = core.site_id();
    self.timestamp = sim::to_seconds(core.now());
    self.received_at = core.now();
    return self;
}

/// The hive-map entry a PING `payload` received at `now` reports: its flood id, peer, site and
/// send time (0 unless a number), the latency since then, and every other field as extra.
[[nodiscard]] inline HiveMapEntry received_ping_entry(const protocol::Json& payload,
                                                      sim::VirtualTime now) {
    HiveMapEntry entry;
    entry.flood_id = payload.get_string("flood_id");
    entry.peer = payload.get_string("peer");
    entry.site_id = payload.get_string("site_id");
    const protocol::Json* timestamp = payload.find("timestamp");
    entry.timestamp = timestamp != nullptr && timestamp->is_number() ? timestamp->as_double() : 0;
    entry.received_at = now;
    entry.latency_ms = (sim::to_seconds(now) - entry.timestamp) * 1000.0;
    for (const auto& [key, value] : payload.as_object())
        if (key != "flood_id" && key != "peer" && key != "site_id" && key != "timestamp")
            entry.extra.as_object().set(key, value);
    return entry;
}

} // namespace hivescope::node::detail
