#pragma once
// Describe a hive, then start it. A builder holds only descriptions (cheap to make, nothing
// runs); `start()` creates the simulation, the network and every node, registers each client's
// generated credentials with its upstream, connects everything in dependency order and returns
// the running Hive.

#include "hivescope/node/master_options.hpp"
#include "hivescope/node/satellite_options.hpp"
#include "hivescope/sim/network.hpp"
#include "hivescope/sim/websocket.hpp"
#include "hivescope/topology/hive.hpp"
#include "hivescope/topology/topology_error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::topology {

/// The client record a builder creates for a satellite or relay at its upstream (B.4).
struct ClientAcl {
    bool is_admin = false;
    bool can_broadcast = true;
    bool can_propagate = true;
    bool can_escalate = true;
    std::vector<std::string> allowed_types; ///< empty denies every injection (B.4)
    std::vector<std::string> message_blacklist;
    std::vector<std::string> skill_blacklist;
    std::vector<std::string> intent_blacklist;
};

/// A master in the topology.
struct MasterSpec {
    std::string site_id = "hive";
    /// node_id and site_id are set from the topology; kdf_iterations from HiveOptions (except
    /// with use_loopback, where the options' own count, 100000 by default, is kept).
    node::MasterOptions options{}; // `{}` keeps `{.use_loopback = true}` warning-free
    /// Also listen on a real WebSocket port (issue 5): same node, recorder and rules; its
    /// satellites in the topology connect over the socket. Read the port with
    /// Hive::loopback_port(name).
    bool use_loopback = false;
    /// The port for use_loopback; 0 lets the system pick one.
    std::uint16_t loopback_port = 0;
    /// Frame size limit of the loopback server (beyond it: close 1009).
    std::size_t loopback_max_frame_bytes = sim::default_max_frame_bytes;
    /// How long the loopback server waits for a WebSocket upgrade (then a refusal, 1008).
    sim::Duration loopback_handshake_timeout = sim::default_handshake_timeout;
    /// Bytes the loopback server queues for a client that stops reading before dropping it.
    std::size_t loopback_max_write_queue_bytes = sim::default_max_write_queue_bytes;
    /// Serve `wss://` with this certificate and key (sim::make_self_signed_certificate makes
    /// one); the hive's own satellites trust it (added to the network's loopback().tls.ca_pem).
    std::optional<sim::TlsServerOptions> loopback_tls{};
};

/// A satellite in the topology.
struct SatelliteSpec {
    std::string site_id = "hive";
    ClientAcl acl;
    /// Generate a password for the record (the password handshake); false selects RSA, or v0
    /// when `preshared_key` is set.
    bool password = true;
    /// Give the record a 16-character pre-shared key (generated).
    bool preshared_key = false;
    /// master_address, access_key, password, crypto_key, node_id and site_id are set by the
    /// builder; everything else is used as given.
    node::SatelliteOptions options;
};

/// A relay in the topology.
struct RelaySpec {
    std::string site_id = "hive";
    ClientAcl acl; ///< the relay's record at its upstream
    node::MasterOptions master;
    node::SatelliteOptions upstream; ///< credentials are set by the builder
};

/// Settings for the whole hive.
struct HiveOptions {
    /// Every random choice derives from it. Unset: the running test's seed when a test framework
    /// installed one (hivescope's Catch2 listener: `--rng-seed`), else 0.
    std::optional<std::uint64_t> seed;
    sim::LinkOptions link{}; ///< default link timing (1 ms)
    /// PBKDF2 iterations for every password handshake in the hive. The protocol's 100000 by
    /// default; a lower count makes large simulated hives start fast and is a deliberate,
    /// visible choice that never applies to real sockets.
    unsigned kdf_iterations = 100000;
    /// Both simulated ends of a password handshake derive the same key; with this on, the
    /// second end reuses the first end's PBKDF2 result (same inputs, same key, computed once).
    bool share_key_derivations = true;
    /// How long (virtual) start() waits for every handshake.
    sim::Duration start_timeout = std::chrono::seconds(30);
    /// Satellites announce an RSA public key in their HELLO, so they can receive INTERCOM. Each
    /// costs one RSA key generation (about 0.1 s); large hives that need no INTERCOM turn it off.
    bool satellite_pubkeys = true;
    /// Give every node the others' public keys as trusted INTERCOM signers (B.10). Costs one RSA
    /// key generation per node.
    bool preload_trusted_keys = false;
    /// Where nodes look up their RSA identity before generating it (a node's key depends only on
    /// the seed and its id). Share one between hives that start the same nodes with the same seed
    /// and each key is generated once. Unset: the test framework's, when one is installed
    /// (hivescope's Catch2 listener keeps one for the whole run), else none.
    std::shared_ptr<protocol::RsaKeyCache> key_cache;
    /// start() makes the RSA keys it is sure to need (masters with nodes below them, relays,
    /// satellites that announce a key) on every hardware thread at once instead of one by one
    /// during the handshakes. The keys, and so the trace, are the same either way.
    bool parallel_key_generation = true;
};

/// A topology description.
class TopologyBuilder {
  public:
    explicit TopologyBuilder(HiveOptions options = {}) : options_(std::move(options)) {}

    /// Adds a master. Names are node ids: unique in the hive (TopologyError otherwise).
    TopologyBuilder& add_master(std::string name, MasterSpec spec = {});
    /// Adds a satellite of `upstream` (a master or relay, added before or after). An upstream
    /// `ws://host:port/` (or `wss://`) is an external master: the satellite connects over a real
    /// socket with the access key, password and kdf_iterations given in `spec.options` (no record
    /// is made).
    TopologyBuilder& add_satellite(std::string name, std::string upstream, SatelliteSpec spec = {});
    /// Adds a relay of `upstream`.
    TopologyBuilder& add_relay(std::string name, std::string upstream, RelaySpec spec = {});

    [[nodiscard]] HiveOptions& options() noexcept { return options_; }
    TopologyBuilder& seed(std::uint64_t seed) {
        options_.seed = seed;
        return *this;
    }

    /// The description of a node, for tweaking a preset before start(); TopologyError lists the
    /// names that exist when `name` is unknown or of another kind.
    [[nodiscard]] MasterSpec& get_master(const std::string& name);
    [[nodiscard]] SatelliteSpec& get_satellite(const std::string& name);
    [[nodiscard]] RelaySpec& get_relay(const std::string& name);

    /// Counts by kind.
    [[nodiscard]] std::size_t masters() const noexcept;
    [[nodiscard]] std::size_t satellites() const noexcept;
    [[nodiscard]] std::size_t relays() const noexcept;

    /// Builds and connects everything and runs the simulation until every handshake completed.
    /// Throws TopologyError for an unknown upstream, a cycle, or a node that failed to connect
    /// (with its close code and reason). The builder can start again (a fresh, identical hive).
    [[nodiscard]] Hive start() const;

  private:
    enum class Kind { master, satellite, relay };
    struct Entry {
        Kind kind;
        std::string name;
        std::string upstream;
        MasterSpec master;
        SatelliteSpec satellite;
        RelaySpec relay;
    };

    Entry& add(Kind kind, std::string name, std::string upstream);
    Entry& find(const std::string& name, Kind kind);
    [[nodiscard]] std::string names() const;
    [[nodiscard]] std::vector<const Entry*> dependency_order() const;

    HiveOptions options_;
    std::vector<Entry> entries_;
};

} // namespace hivescope::topology
