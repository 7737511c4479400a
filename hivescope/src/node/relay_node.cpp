#include "hivescope/node/relay_node.hpp"

namespace hivescope::node {

MasterOptions RelayNode::master_options(RelayOptions& options) {
    MasterOptions master = std::move(options.master);
    master.node_id = options.node_id;
    master.site_id = options.site_id;
    master.install_agent_router = false;
    return master;
}

RelayNode::RelayNode(sim::Network& network, RelayOptions options)
    : core_(network, options.node_id, options.site_id), downstream_(core_, master_options(options)),
      upstream_(core_, std::move(options.upstream)) {
    // One agent, two halves: replies go down through the master half (B.6); a message addressed
    // to the upstream master's node id goes up through the satellite half (B.12).
    core_.bus().set_router([this](const protocol::BusMessage& message) {
        downstream_.route_agent_message(message);
        upstream_.route_local(message);
    });
    start();
}

void RelayNode::start() {
    if (listening_)
        return;
    core_.network().listen(core_.node_id(), downstream_);
    listening_ = true;
}

RelayNode::~RelayNode() {
    stop();
}

void RelayNode::stop() {
    if (listening_) {
        core_.network().unlisten(core_.node_id());
        listening_ = false;
    }
    upstream_.disconnect();
    downstream_.disconnect_all({sim::close_code::normal, "relay stopping"});
}

} // namespace hivescope::node
