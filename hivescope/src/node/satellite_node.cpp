#include "hivescope/node/satellite_node.hpp"

namespace hivescope::node {

SatelliteNode::SatelliteNode(sim::Network& network, SatelliteOptions options)
    : core_(network, options.node_id, options.site_id), role_(core_, std::move(options)) {}

} // namespace hivescope::node
