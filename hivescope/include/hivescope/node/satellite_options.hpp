#pragma once
// How a satellite (or a relay's upstream half) connects to its master (protocol.md A.11, A.12,
// B.12). A struct, so a misspelt option does not compile.

#include "hivescope/protocol/negotiation.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/sim/clock.hpp"
#include "hivescope/sim/network.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::node {

/// Options of one upstream link.
struct SatelliteOptions {
    /// The node id (SatelliteNode only; a role inside a relay uses its NodeCore's).
    std::string node_id;
    /// The site id (SatelliteNode only; a role inside a relay uses its NodeCore's).
    std::string site_id;
    /// The address the master listens on.
    std::string master_address;
    /// The access key of this satellite's client record (A.11).
    std::string access_key;
    /// The record's password: selects the password handshake (A.12.4).
    std::optional<std::string> password;
    /// A 16-character pre-shared key (A.12.6); alone (no password) it selects protocol v0.
    std::optional<std::string> crypto_key;
    /// The authorization useragent; defaults to the node id (A.11).
    std::optional<std::string> useragent;
    /// The session id sent in HELLO; defaults to a fresh id from the node's random stream.
    std::optional<std::string> session_id;
    /// Proposed encodings, preference order (A.10.1 satellite defaults, Z85P never proposed).
    std::vector<std::string> encodings =
        protocol::proposal_names(protocol::satellite_default_encodings);
    /// Proposed ciphers, preference order (A.10.1 satellite defaults).
    std::vector<std::string> ciphers =
        protocol::proposal_names(protocol::satellite_default_ciphers);
    /// Ask for binary framing of BUS traffic; used only if the master advertises it (B.3).
    bool binarize = false;
    /// Copy every message this node's bus emits upstream as SHARED_BUS (B.11).
    bool share_bus = false;
    /// Send the node's RSA public key in HELLO (needed to receive INTERCOM; costs a keygen).
    bool announce_pubkey = true;
    /// PBKDF2 iterations of the password handshake. Simulated hives only: lowering it is a
    /// deliberate, visible choice (it must match the master's), never used on real sockets.
    unsigned kdf_iterations = protocol::password_kdf_iterations;
    /// How long a local QUERY waits for an answer. Longer than a master's 5 s query timeout, so
    /// the master's `hive.query.timeout` reply normally ends the wait first (B.9).
    sim::Duration query_timeout = std::chrono::seconds(30);
    /// How long a CASCADE keeps collecting answers (B.9 cascade TTL).
    sim::Duration cascade_ttl = std::chrono::seconds(30);
    /// Link timing; the network's defaults when absent.
    std::optional<sim::LinkOptions> link;
};

} // namespace hivescope::node
