#pragma once
// A master: one NodeCore with the master role, listening on the simulated network under its
// node id. The agent is the core's bus.

#include "hivescope/node/master_options.hpp"
#include "hivescope/node/master_role.hpp"
#include "hivescope/node/node_core.hpp"
#include "hivescope/node/wait.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace hivescope::node {

/// A top-level (or stand-alone) master node.
class MasterNode : public WaitsOnItself<MasterNode> {
  public:
    /// Creates the node and starts listening at `options.node_id`. Throws
    /// ProtocolError(invalid_argument) when that address is taken.
    MasterNode(sim::Network& network, MasterOptions options);
    ~MasterNode();
    MasterNode(const MasterNode&) = delete;
    MasterNode& operator=(const MasterNode&) = delete;

    [[nodiscard]] const std::string& node_id() const noexcept { return core_.node_id(); }
    [[nodiscard]] NodeCore& core() noexcept { return core_; }
    [[nodiscard]] MasterRole& role() noexcept { return role_; }
    [[nodiscard]] record::Recorder& recorder() noexcept { return core_.recorder(); }
    /// The agent: what clients inject, and where skills emit their replies.
    [[nodiscard]] Bus& agent() noexcept { return core_.bus(); }
    [[nodiscard]] ClientDatabase& database() noexcept { return role_.database(); }

    /// Connected clients, in link order.
    [[nodiscard]] std::vector<ConnectedClient> clients() const { return role_.clients(); }
    /// A connected client by its current peer id.
    [[nodiscard]] std::optional<ConnectedClient> find_client(std::string_view peer_id) const {
        return role_.find_client(peer_id);
    }
    /// Starts a PING flood and returns its id (B.8).
    std::string start_ping_flood() { return role_.start_ping_flood(); }

    /// Listens again after stop(); harmless when already listening.
    void start();
    /// Stops listening and closes every client connection with 1000.
    void stop();
    [[nodiscard]] bool listening() const noexcept { return listening_; }

  private:
    NodeCore core_;
    MasterRole role_;
    bool listening_ = false;
};

} // namespace hivescope::node
