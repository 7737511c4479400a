#pragma once
// A relay (protocol.md B.1): one node with a satellite half (a client of its upstream master)
// and a master half (serving its own downstream clients). Both halves share one NodeCore, so
// they share the node id, site id, RSA identity, agent bus, flood cache, hive map and pending
// table; a relay therefore answers a PING flood once and routes query answers back down.

#include "hivescope/node/master_options.hpp"
#include "hivescope/node/master_role.hpp"
#include "hivescope/node/node_core.hpp"
#include "hivescope/node/satellite_options.hpp"
#include "hivescope/node/satellite_role.hpp"
#include "hivescope/node/wait.hpp"

#include <string>

namespace hivescope::node {

/// Settings of a relay.
struct RelayOptions {
    std::string node_id = "relay"; ///< unique in the hive; the address its clients connect to
    std::string site_id = "hive";
    /// The master half. Its node_id / site_id are taken from above, and the relay routes the
    /// agent itself (`install_agent_router` is ignored).
    MasterOptions master;
    /// The satellite half: upstream address and credentials. node_id / site_id are ignored.
    SatelliteOptions upstream;
};

/// A relay node: listens as `node_id` and connects upstream on `connect()`.
class RelayNode : public WaitsOnItself<RelayNode> {
  public:
    RelayNode(sim::Network& network, RelayOptions options);
    ~RelayNode();
    RelayNode(const RelayNode&) = delete;
    RelayNode& operator=(const RelayNode&) = delete;

    /// Opens the upstream link (the master half listens from construction).
    void connect() { upstream_.connect(); }
    /// Closes the upstream link and every downstream client, and stops listening.
    void stop();
    /// Listens again after stop() (harmless while listening); connect() reopens the upstream.
    void start();

    [[nodiscard]] const std::string& node_id() const noexcept { return core_.node_id(); }
    [[nodiscard]] NodeCore& core() noexcept { return core_; }
    [[nodiscard]] MasterRole& master() noexcept { return downstream_; }
    [[nodiscard]] SatelliteRole& satellite() noexcept { return upstream_; }
    [[nodiscard]] record::Recorder& recorder() noexcept { return core_.recorder(); }
    /// The relay's agent: what its master half injects, and what both halves emit from.
    [[nodiscard]] Bus& agent() noexcept { return core_.bus(); }
    [[nodiscard]] ClientDatabase& database() noexcept { return downstream_.database(); }

  private:
    static MasterOptions master_options(RelayOptions& options);

    NodeCore core_;
    MasterRole downstream_;
    SatelliteRole upstream_;
    bool listening_ = false;
};

} // namespace hivescope::node
