#pragma once
// The settings of a master (the downstream half of a node): what it admits, what it negotiates,
// how it treats illegal routing messages, its timers, and user hooks. A struct, so a typo does
// not compile.

#include "hivescope/node/bus.hpp"
#include "hivescope/node/client_database.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/negotiation.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/sim/clock.hpp"
#include "hivescope/sim/frame.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hivescope::node {

/// What a master does with a routing message its sender may not send (protocol.md B.4).
enum class IllegalAction : std::uint8_t {
    disconnect, ///< close 1008 `illegal <msg_type>` (the newer line; default)
    drop,       ///< the baseline: drop it, record it, keep the connection
};

/// User hooks of a master. Every hook call is also recorded on the agent (`Bus::hook_calls`).
struct MasterHooks {
    /// A connection was refused for its credentials (peer label, close reason).
    std::function<void(const std::string& peer, const sim::CloseEvent& close)> on_invalid_key;
    /// A client's SHARED_BUS message (B.11).
    std::function<void(const protocol::HiveMessage& message, const std::string& peer)>
        on_shared_bus;
    /// A RENDEZVOUS message (passthrough, B.11).
    std::function<void(const protocol::HiveMessage& message, const std::string& peer)>
        on_rendezvous;
    /// A `3rdparty` message (passthrough, B.11).
    std::function<void(const protocol::HiveMessage& message, const std::string& peer)>
        on_third_party;
    /// A BINARY message dispatched to its A.6 handler.
    std::function<void(const BinaryCall& call)> on_binary;
    /// A routing message its sender may not send (B.4), before the illegal action is applied.
    std::function<void(const protocol::HiveMessage& message, const std::string& peer)> on_illegal;
};

/// Settings of a master role.
struct MasterOptions {
    std::string node_id = "master"; ///< unique in the hive; the HELLO `node_id` and hop source
    std::string site_id = "hive";   ///< matched against a transport's `target_site_id`
    /// The client store; null means a fresh in-memory database.
    std::shared_ptr<ClientDatabase> database;

    bool require_crypto = true;   ///< refuse plaintext once a link has a key (B.2)
    int min_protocol_version = 0; ///< B.3
    int max_protocol_version = 2; ///< B.3
    bool binarize = false;        ///< offer binary framing (the reference default is off)
    /// Encodings the master accepts, in its advertised order (A.10.1 master defaults).
    std::vector<protocol::Encoding> allowed_encodings{protocol::master_default_encodings.begin(),
                                                      protocol::master_default_encodings.end()};
    /// Ciphers the master accepts, in its advertised order (A.10.1 master defaults).
    std::vector<protocol::Cipher> allowed_ciphers{protocol::master_default_ciphers.begin(),
                                                  protocol::master_default_ciphers.end()};
    /// Advertise `handshake: true` to records without a pre-shared key (A.12.2).
    bool handshake_enabled = true;
    IllegalAction illegal_action = IllegalAction::disconnect;

    /// From admission to the registered HELLO; a client still unregistered then is closed with
    /// 1008 `handshake timeout` (recorded). Applies to clients admitted while the simulation
    /// runs in wall time (real sockets open, e.g. a loopback master), where a stalled client
    /// would otherwise hold its connection forever; a purely simulated hive never times out a
    /// scripted client that holds back its handshake. Zero disables it.
    sim::Duration handshake_timeout = std::chrono::seconds(10);
    sim::Duration query_timeout = std::chrono::seconds(5); ///< B.9, virtual time
    sim::Duration cascade_ttl = std::chrono::seconds(30);  ///< B.9, virtual time
    /// PBKDF2 iterations of the password handshake. Simulated hives only; lowering it is a
    /// deliberate, visible choice (both ends must agree, real peers use 100000).
    unsigned kdf_iterations = protocol::password_kdf_iterations;

    /// Install the B.6 router on the agent. A relay turns it off and routes through
    /// `MasterRole::route_agent_message` itself, together with its satellite half.
    bool install_agent_router = true;

    MasterHooks hooks;
};

} // namespace hivescope::node
