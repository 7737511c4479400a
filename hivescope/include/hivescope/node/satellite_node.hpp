#pragma once
// A simulated satellite (protocol.md B.1, B.12): a NodeCore (node id, site id, recorder, local
// bus, identity, ...) with a SatelliteRole attached. Tests listen on bus() and drive the link
// through role() or the forwarding helpers below.

#include "hivescope/node/node_core.hpp"
#include "hivescope/node/satellite_options.hpp"
#include "hivescope/node/satellite_role.hpp"
#include "hivescope/node/wait.hpp"

#include <string>

namespace hivescope::node {

/// A satellite node: one NodeCore and its upstream role.
class SatelliteNode : public WaitsOnItself<SatelliteNode> {
  public:
    /// Creates the node (`options.node_id`, `options.site_id`) on `network`; does not connect.
    SatelliteNode(sim::Network& network, SatelliteOptions options);
    SatelliteNode(const SatelliteNode&) = delete;
    SatelliteNode& operator=(const SatelliteNode&) = delete;

    [[nodiscard]] NodeCore& core() noexcept { return core_; }
    [[nodiscard]] SatelliteRole& role() noexcept { return role_; }
    [[nodiscard]] const SatelliteRole& role() const noexcept { return role_; }
    /// The local bus: what the satellite injects, and where tests emit.
    [[nodiscard]] Bus& bus() noexcept { return core_.bus(); }
    [[nodiscard]] record::Recorder& recorder() noexcept { return core_.recorder(); }
    [[nodiscard]] const std::string& node_id() const noexcept { return core_.node_id(); }
    [[nodiscard]] const std::string& site_id() const noexcept { return core_.site_id(); }

    /// Forwarders to role().
    void connect() { role_.connect(); }
    void disconnect() { role_.disconnect(); }
    [[nodiscard]] bool connected() const noexcept { return role_.connected(); }
    [[nodiscard]] bool handshake_complete() const noexcept { return role_.handshake_complete(); }
    void send(protocol::HiveMessage message) { role_.send(std::move(message)); }
    void send_bus(protocol::BusMessage message) { role_.send_bus(std::move(message)); }
    /// An OVOS message goes as a BUS prepared like send_bus() (session, source, destination).
    void send(protocol::BusMessage message) { role_.send_bus(std::move(message)); }
    std::string query(protocol::BusMessage message) { return role_.query(std::move(message)); }
    std::string cascade(protocol::BusMessage message) { return role_.cascade(std::move(message)); }

  private:
    NodeCore core_;
    SatelliteRole role_;
};

} // namespace hivescope::node
