#include "hivescope/catch2/waiting.hpp"

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/relay_node.hpp"
#include "hivescope/node/satellite_node.hpp"

namespace hivescope {

NodeName::NodeName(node::MasterNode& node) : name_(node.node_id()) {}
NodeName::NodeName(node::SatelliteNode& node) : name_(node.node_id()) {}
NodeName::NodeName(node::RelayNode& node) : name_(node.node_id()) {}

record::Record wait_for(topology::Hive& hive, const NodeName& node,
                        const RecordPredicate& predicate, const std::string& description,
                        sim::Duration timeout, std::optional<record::Mark> since) {
    return node::wait_for_record(hive.simulation(), hive.recorder(node.name()), predicate,
                                 node.name() + " to " + description, timeout, since,
                                 [&hive] { return recent_trace(hive); });
}

record::Record wait_for(topology::Hive& hive, const NodeName& node, protocol::MessageType type,
                        sim::Duration timeout) {
    return wait_for(hive, node, node::received_type(type), node::received_description(type),
                    timeout);
}

record::Record wait_for_injected(topology::Hive& hive, const NodeName& node,
                                 const std::string& bus_type, sim::Duration timeout) {
    return wait_for(hive, node, node::injected_type(bus_type), "inject `" + bus_type + "`",
                    timeout);
}

std::string recent_trace(const topology::Hive& hive, std::size_t lines) {
    const auto trace = hive.merged_trace();
    return trace_tail(trace.size(), lines,
                      [&trace](std::size_t i) -> const record::Record& { return *trace[i]; });
}

} // namespace hivescope
