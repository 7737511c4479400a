#pragma once
// A running hive: the simulation, the network and every node, owned together. Move-only; its
// destructor stops every node in reverse dependency order, so nothing outlives a test section.

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/relay_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/record/recorder.hpp"
#include "hivescope/sim/network.hpp"
#include "hivescope/sim/simulation.hpp"
#include "hivescope/sim/websocket.hpp"
#include "hivescope/topology/topology_error.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hivescope::topology {

class TopologyBuilder;

/// A point in a whole hive's history: every recorder's length at one instant, so a test can
/// look only at what happened after it (`Recorder::since(mark.of(name))`).
struct HiveMark {
    sim::VirtualTime time{0};
    std::map<std::string, record::Mark> positions; ///< by node name

    /// The mark of one node; a node without records at mark time starts at 0.
    [[nodiscard]] record::Mark of(const std::string& node) const {
        const auto it = positions.find(node);
        return it == positions.end() ? record::Mark{} : it->second;
    }
};

/// The running topology.
class [[nodiscard]] Hive {
  public:
    Hive(Hive&&) noexcept;
    Hive& operator=(Hive&&) noexcept;
    Hive(const Hive&) = delete;
    Hive& operator=(const Hive&) = delete;
    ~Hive();

    /// Nodes by name; TopologyError lists the names of that kind when `name` is unknown.
    [[nodiscard]] node::MasterNode& master(const std::string& name);
    [[nodiscard]] node::SatelliteNode& satellite(const std::string& name);
    [[nodiscard]] node::RelayNode& relay(const std::string& name);
    /// The real WebSocket server of a master added with `use_loopback` (TopologyError lists
    /// the loopback masters otherwise), its port and its `ws://127.0.0.1:port/` URL (`wss://` with
    /// MasterSpec::loopback_tls).
    [[nodiscard]] sim::WebSocketHost& loopback_host(const std::string& master);
    [[nodiscard]] std::uint16_t loopback_port(const std::string& master) {
        return loopback_host(master).port();
    }
    [[nodiscard]] std::string loopback_url(const std::string& master) {
        return loopback_host(master).url();
    }
    /// The recorder of any node.
    [[nodiscard]] record::Recorder& recorder(const std::string& name);

    /// Names by kind, in the order they were added.
    [[nodiscard]] const std::vector<std::string>& master_names() const noexcept {
        return master_names_;
    }
    [[nodiscard]] const std::vector<std::string>& satellite_names() const noexcept {
        return satellite_names_;
    }
    [[nodiscard]] const std::vector<std::string>& relay_names() const noexcept {
        return relay_names_;
    }

    [[nodiscard]] sim::Simulation& simulation() noexcept { return *simulation_; }
    [[nodiscard]] sim::Network& network() noexcept { return *network_; }
    /// The hive's shared PBKDF2 memo (null when HiveOptions::share_key_derivations is off).
    [[nodiscard]] const protocol::KeyDerivationCache* kdf_cache() const noexcept {
        return kdf_cache_.get();
    }
    /// The RSA key cache its nodes use (HiveOptions::key_cache, or the test framework's), or
    /// null.
    [[nodiscard]] const protocol::RsaKeyCache* key_cache() const noexcept {
        return key_cache_.get();
    }

    /// Runs until nothing is left to do; false if the event budget ran out first.
    bool run_until_idle();
    /// Runs `duration` of virtual time.
    void run_for(sim::Duration duration);
    /// Runs until `predicate` holds or `timeout` of virtual time passed; returns whether it held.
    /// While real sockets are open (loopback masters, ws:// satellites) the timeout is wall time
    /// and the run waits for socket events (Simulation's wall-clock mode).
    bool run_until(const std::function<bool()>& predicate, sim::Duration timeout);

    /// Every recorder's current position, to assert only on what follows.
    [[nodiscard]] HiveMark mark() const;

    /// A digest of every node's recorder, in name order: same seed ⇒ same digest.
    [[nodiscard]] std::uint64_t trace_digest() const;
    /// Every record of every node, merged in (time, node name, sequence) order.
    [[nodiscard]] std::vector<const record::Record*> merged_trace() const;

    /// Closes every link (satellites, then relays, then masters) and lets the closes land.
    /// Idempotent; also run by the destructor.
    void stop() noexcept;
    /// Brings a stopped hive back: masters and relays listen, relays then satellites reconnect
    /// and handshake again. Harmless while running. Throws TopologyError naming every node that
    /// did not reconnect within the start timeout.
    void start();
    [[nodiscard]] bool running() const noexcept { return running_; }

  private:
    friend class TopologyBuilder;
    Hive();

    std::unique_ptr<sim::Simulation> simulation_;
    std::unique_ptr<sim::Network> network_;
    std::unique_ptr<protocol::KeyDerivationCache> kdf_cache_;
    std::shared_ptr<protocol::RsaKeyCache> key_cache_; ///< shared with other hives, or null
    // Declared after the network they reference, so they are destroyed first.
    std::map<std::string, std::unique_ptr<node::MasterNode>> masters_;
    std::map<std::string, std::unique_ptr<node::RelayNode>> relays_;
    std::map<std::string, std::unique_ptr<node::SatelliteNode>> satellites_;
    // Real ports of loopback masters; stopped by stop(), reopened on the same port by start().
    std::map<std::string, std::unique_ptr<sim::WebSocketHost>> hosts_;
    std::map<std::string, sim::WebSocketServerOptions> host_options_;
    std::vector<std::string> master_names_;
    std::vector<std::string> satellite_names_;
    std::vector<std::string> relay_names_;
    std::vector<std::string> relay_start_order_; ///< root-most first
    bool running_ = false;
    sim::Duration start_timeout_{std::chrono::seconds(30)};

    /// Connects relays (root-most first) then satellites, and runs until every handshake is
    /// complete; throws TopologyError listing the nodes that did not make it.
    void connect_all();
};

} // namespace hivescope::topology
