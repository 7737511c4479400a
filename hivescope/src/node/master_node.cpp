#include "hivescope/node/master_node.hpp"

namespace hivescope::node {

MasterNode::MasterNode(sim::Network& network, MasterOptions options)
    : core_(network, options.node_id, options.site_id), role_(core_, std::move(options)) {
    start();
}

MasterNode::~MasterNode() {
    if (listening_)
        core_.network().unlisten(core_.node_id());
}

void MasterNode::start() {
    if (listening_)
        return;
    core_.network().listen(core_.node_id(), role_);
    listening_ = true;
}

void MasterNode::stop() {
    if (listening_) {
        core_.network().unlisten(core_.node_id());
        listening_ = false;
    }
    role_.disconnect_all({sim::close_code::normal, "master stopped"});
}

} // namespace hivescope::node
