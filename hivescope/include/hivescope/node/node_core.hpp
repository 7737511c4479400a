#pragma once
// What every simulated node has, whatever its role (protocol.md B.1): a node id and site id, a
// recorder, its own random stream, a lazily generated RSA identity, a bus (the agent of a master
// or relay, the local bus of a satellite), a flood cache, a hive map and a pending table. A relay
// is one NodeCore with both roles attached, which is how its halves share all of this.

#include "hivescope/node/bus.hpp"
#include "hivescope/node/flood_cache.hpp"
#include "hivescope/node/hive_map.hpp"
#include "hivescope/node/pending_table.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/key_derivation_cache.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"
#include "hivescope/protocol/rsa_key_cache.hpp"
#include "hivescope/record/recorder.hpp"
#include "hivescope/sim/network.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::node {

/// The downstream (master) half of a node, as the other half sees it.
class DownstreamRole {
  public:
    virtual ~DownstreamRole() = default;
    /// Sends `message` to every registered downstream client except `except_link`, extending
    /// the route per recipient (B.7.3, B.7.4). Returns how many copies were sent.
    virtual std::size_t forward_downstream(const protocol::HiveMessage& message,
                                           std::optional<std::uint64_t> except_link) = 0;
    /// Sends `message` to one downstream link; false if it is gone.
    virtual bool send_to_link(std::uint64_t link_id, const protocol::HiveMessage& message) = 0;
};

/// The upstream (satellite) half of a node, as the other half sees it.
class UpstreamRole {
  public:
    virtual ~UpstreamRole() = default;
    /// Connected, handshake complete and HELLO sent.
    [[nodiscard]] virtual bool upstream_ready() const = 0;
    /// Sends `message` upstream, extending the route with the upstream node id (B.7.4). Returns
    /// false when not connected.
    virtual bool send_upstream(const protocol::HiveMessage& message) = 0;
    /// The upstream master's HELLO node id (empty before the HELLO).
    [[nodiscard]] virtual std::string upstream_node_id() const = 0;
};

/// Shared state of one simulated node.
class NodeCore {
  public:
    NodeCore(sim::Network& network, std::string node_id, std::string site_id);
    NodeCore(const NodeCore&) = delete;
    NodeCore& operator=(const NodeCore&) = delete;

    [[nodiscard]] sim::Network& network() noexcept { return network_; }
    [[nodiscard]] sim::Simulation& simulation() noexcept { return network_.simulation(); }
    [[nodiscard]] sim::VirtualTime now() const noexcept;
    [[nodiscard]] const std::string& node_id() const noexcept { return node_id_; }
    [[nodiscard]] const std::string& site_id() const noexcept { return site_id_; }

    [[nodiscard]] record::Recorder& recorder() noexcept { return recorder_; }
    [[nodiscard]] const record::Recorder& recorder() const noexcept { return recorder_; }
    /// Appends a record stamped with this node's name and the current virtual time.
    const record::Record& record(record::Record&& entry);
    const record::Record& record(const record::Record& entry) {
        return record(record::Record(entry));
    }
    /// Appends a record of `kind` stamped as record() stamps it, for the caller to fill in
    /// place before it handles anything else (the hop's hot paths: no record is built and then
    /// moved).
    record::Record& new_record(record::Kind kind);

    /// This node's random stream (IVs, nonces, ids); independent of every other node's.
    [[nodiscard]] protocol::SeededRandom& random() noexcept { return random_; }
    /// A fresh uuid4-style hex id (32 characters) from this node's stream.
    [[nodiscard]] std::string new_id();

    /// The node's RSA identity, generated on first use from its own stream (RSA key
    /// generation is slow, so nodes that never need it never pay for it).
    [[nodiscard]] const protocol::RsaKeyPair& identity();
    [[nodiscard]] bool has_identity() const noexcept { return identity_ != nullptr; }
    /// Installs a pre-made identity (a topology builder may hand out pooled keys).
    void set_identity(std::shared_ptr<const protocol::RsaKeyPair> identity);
    /// PEMs trusted as INTERCOM signers (B.10).
    [[nodiscard]] std::vector<std::string>& trusted_keys() noexcept { return trusted_keys_; }

    [[nodiscard]] Bus& bus() noexcept { return bus_; }
    [[nodiscard]] FloodCache& flood_cache() noexcept { return flood_cache_; }
    [[nodiscard]] HiveMap& hive_map() noexcept { return hive_map_; }
    [[nodiscard]] PendingTable& pending() noexcept { return pending_; }

    /// The hive's shared PBKDF2 memo (set by the topology builder), or null to derive directly.
    protocol::KeyDerivationCache* kdf_cache = nullptr;
    /// Where identity() looks its key up first (set by the topology builder), or null.
    protocol::RsaKeyCache* key_cache = nullptr;

    /// The halves attached to this node (both for a relay).
    DownstreamRole* downstream = nullptr;
    UpstreamRole* upstream = nullptr;

  private:
    sim::Network& network_;
    std::string node_id_;
    std::string site_id_;
    record::Recorder recorder_;
    protocol::SeededRandom random_;
    std::shared_ptr<const protocol::RsaKeyPair> identity_;
    std::vector<std::string> trusted_keys_;
    Bus bus_;
    FloodCache flood_cache_;
    HiveMap hive_map_;
    PendingTable pending_;
};

} // namespace hivescope::node
