#pragma once
// The upstream half of a node (protocol.md B.12): one connection to a master, the client side of
// the handshake, and what a satellite does with everything its master sends. A plain satellite is
// a NodeCore plus this role; a relay adds a master role to the same core, and this role then
// injects into the shared agent and hands downstream forwarding to `core.downstream`.

#include "hivescope/node/link_protocol.hpp"
#include "hivescope/node/node_core.hpp"
#include "hivescope/node/satellite_options.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/sim/network.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hivescope::node {

/// Where an upstream link is in its life.
enum class LinkState : std::uint8_t {
    idle,        ///< never connected
    connecting,  ///< upgrade requested, not yet accepted
    handshaking, ///< accepted; HELLO / handshake in progress
    ready,       ///< handshake complete and HELLO sent: traffic may flow
    closed,      ///< the link closed after it opened
    refused,     ///< the master refused the connection before any frame
};

/// `idle`, `connecting`, ...
[[nodiscard]] std::string_view to_string(LinkState state) noexcept;

/// Why an upstream link failed: the typed form of a refusal or close (B.12, B.14).
struct LinkFailure {
    enum class Kind : std::uint8_t {
        refused,          ///< refused at admission (A.11): code and reason from the master
        handshake_failed, ///< this side rejected the handshake (wrong proof, RSA failure)
        decode_error,     ///< this side could not decode a frame and closed with 1002
        closed_by_master, ///< the master closed an open link
    };
    Kind kind = Kind::refused;
    sim::CloseEvent close; ///< the close code and reason that ended the link
    std::string detail;    ///< what went wrong, for people

    friend bool operator==(const LinkFailure&, const LinkFailure&) = default;
};

/// `refused`, `handshake_failed`, ...
[[nodiscard]] std::string_view to_string(LinkFailure::Kind kind) noexcept;

/// A refused or failed upstream link, as an exception (see SatelliteRole::throw_if_failed).
class ConnectionRefused : public std::runtime_error {
  public:
    explicit ConnectionRefused(LinkFailure failure);
    [[nodiscard]] const LinkFailure& failure() const noexcept { return failure_; }
    [[nodiscard]] std::uint16_t code() const noexcept { return failure_.close.code; }
    [[nodiscard]] const std::string& reason() const noexcept { return failure_.close.reason; }

  private:
    LinkFailure failure_;
};

/// The satellite side of one master link. Registers itself as `core.upstream`.
class SatelliteRole final : public UpstreamRole, public sim::FrameHandler {
  public:
    /// The role uses `core`'s node id and site id; `options.node_id` / `site_id` are ignored.
    /// When `core.downstream` is null (a plain satellite) it routes the bus's emitted messages
    /// (B.12); in a relay the master role owns the bus router and may call route_local().
    SatelliteRole(NodeCore& core, SatelliteOptions options);
    ~SatelliteRole() override;
    SatelliteRole(const SatelliteRole&) = delete;
    SatelliteRole& operator=(const SatelliteRole&) = delete;

    // ---- connection --------------------------------------------------------------------------
    /// Opens the link (A.11): authorization `make_authorization(useragent, access_key)`. A
    /// no-op while connecting or connected. Throws ProtocolError(invalid_argument) when nothing
    /// listens at the master address or the useragent / key cannot form an authorization.
    void connect();
    /// Closes the link with 1000 (idempotent; no failure is recorded).
    void disconnect();

    [[nodiscard]] LinkState state() const noexcept { return state_; }
    /// The link is open (handshaking or ready).
    [[nodiscard]] bool connected() const noexcept {
        return state_ == LinkState::handshaking || state_ == LinkState::ready;
    }
    /// Handshake complete and HELLO sent.
    [[nodiscard]] bool handshake_complete() const noexcept { return state_ == LinkState::ready; }
    /// The close (or refusal) that ended the last link, from either side.
    [[nodiscard]] const std::optional<sim::CloseEvent>& closed_by() const noexcept {
        return closed_by_;
    }
    /// Why the last link failed; nullopt while healthy or after a local disconnect().
    [[nodiscard]] const std::optional<LinkFailure>& failure() const noexcept { return failure_; }
    /// Throws ConnectionRefused when failure() is set.
    void throw_if_failed() const;

    /// The HELLO `peer` with its last component replaced by the session id (empty before).
    [[nodiscard]] const std::string& peer_id() const noexcept { return peer_id_; }
    [[nodiscard]] const std::string& session_id() const noexcept { return session_id_; }
    /// The session object sent with BUS traffic (adopted from the master, B.12).
    [[nodiscard]] const protocol::Json& session() const noexcept { return session_; }
    [[nodiscard]] const std::string& useragent() const noexcept { return useragent_; }
    /// The master's HELLO node id (first HELLO of the link).
    [[nodiscard]] const std::string& master_node_id() const noexcept { return master_node_id_; }
    /// The master's HELLO pubkey (first HELLO of the link), empty if none.
    [[nodiscard]] const std::string& master_pubkey() const noexcept { return master_pubkey_; }
    /// Negotiated link parameters (valid once ready).
    [[nodiscard]] std::optional<protocol::Cipher> cipher() const;
    [[nodiscard]] std::optional<protocol::Encoding> encoding() const;
    [[nodiscard]] bool binarize() const noexcept { return link_.binarize(); }
    /// The protocol version this link uses: 0 (pre-shared key), 1 (handshake) or 2 (binarize).
    [[nodiscard]] int protocol_version() const noexcept { return protocol_version_; }
    [[nodiscard]] const SatelliteOptions& options() const noexcept { return options_; }
    /// The underlying connection (null before connect()).
    [[nodiscard]] const std::shared_ptr<sim::Connection>& connection() const noexcept {
        return connection_;
    }

    // ---- sending (each throws ProtocolError(invalid_argument) when not ready; nothing is
    // ---- recorded then) ----------------------------------------------------------------------
    /// Sends any message as it is, except: `source_peer` becomes this node's id (A.5) and a
    /// transport message gets the hop `{own id, [master node id]}` on its outer and inner route
    /// (B.7.4).
    void send(protocol::HiveMessage message);
    /// The satellite form of a BUS (B.12): fills `context.source` / `platform` (useragent) and
    /// `destination` (`HiveMind`) when absent and always sets the session's `session_id` and
    /// `site_id`.
    void send_bus(protocol::BusMessage message);
    /// BROADCAST / PROPAGATE / ESCALATE around `inner`, with an optional `target_site_id`.
    void broadcast(protocol::HiveMessage inner, std::optional<std::string> target_site_id = {});
    void propagate(protocol::HiveMessage inner, std::optional<std::string> target_site_id = {});
    void escalate(protocol::HiveMessage inner, std::optional<std::string> target_site_id = {});
    /// As above around a BUS prepared like send_bus().
    void broadcast(protocol::BusMessage bus, std::optional<std::string> target_site_id = {});
    void propagate(protocol::BusMessage bus, std::optional<std::string> target_site_id = {});
    void escalate(protocol::BusMessage bus, std::optional<std::string> target_site_id = {});
    /// QUERY / CASCADE around a BUS prepared like send_bus(), with `metadata.query_id` (uuid4
    /// hex), kept pending until answered or timed out (B.9). Returns the query id.
    std::string query(protocol::BusMessage bus);
    std::string cascade(protocol::BusMessage bus);
    /// An INTERCOM sealed for `addressee_pem` and signed with this node's identity (B.10),
    /// optionally wrapped in a transport (`broadcast`, `propagate`, `escalate`) to cross nodes;
    /// wrapped in `query` / `cascade` it gets a query id and waits for answers like query().
    void send_intercom(const protocol::HiveMessage& inner, const std::string& addressee_pem,
                       std::optional<protocol::MessageType> transport = {});
    /// A BINARY message (always a binary frame).
    void send_binary(protocol::BinaryPayloadType bin_type, protocol::Bytes data,
                     protocol::Json metadata = protocol::Json::object());
    /// Starts a PING flood (B.8): a fresh flood id, cached and mapped here, sent as
    /// PROPAGATE(PING) upstream (and downstream in a relay). Returns the flood id.
    std::string start_ping_flood();

    /// Routes a message the local bus emitted: upstream as BUS when its destination names the
    /// master's node id; as SHARED_BUS when `share_bus` is on. Dropped (recorded) when not ready.
    void route_local(const protocol::BusMessage& message);

    // ---- UpstreamRole ------------------------------------------------------------------------
    [[nodiscard]] bool upstream_ready() const override { return handshake_complete(); }
    bool send_upstream(const protocol::HiveMessage& message) override;
    [[nodiscard]] std::string upstream_node_id() const override { return master_node_id_; }

    // ---- sim::FrameHandler -------------------------------------------------------------------
    void on_open(sim::Connection& connection) override;
    void on_frame(sim::Connection& connection, const sim::Frame& frame) override;
    void on_close(sim::Connection& connection, const sim::CloseEvent& close) override;

  private:
    struct Delivery; // how an inbound message reached us (top level, inside INTERCOM, ...)

    // connection and handshake (satellite_role.cpp)
    void reset_link_state();
    void handle_hello(const protocol::HiveMessage& message);
    void handle_handshake(const protocol::HiveMessage& message);
    void handle_handshake_request(const protocol::HiveMessage& message);
    void handle_handshake_response(const protocol::HiveMessage& message);
    void send_hello();
    void fail_handshake(const protocol::HiveMessage* message, const std::string& detail);
    void close_link(sim::CloseEvent close, LinkFailure::Kind kind, const std::string& detail);
    void require_ready(std::string_view what) const;
    void transmit(protocol::HiveMessage&& message, bool plaintext = false);
    void note_session();
    void add_hop(protocol::HiveMessage& message) const;
    protocol::BusMessage prepare_bus(protocol::BusMessage message) const;
    /// QUERY / CASCADE around `inner` with a fresh `metadata.query_id`, kept pending (B.9).
    std::string send_request(protocol::MessageType kind, protocol::HiveMessage inner);
    [[nodiscard]] const record::SharedText& peer_label() const;

    // inbound traffic (satellite_receive.cpp)
    void dispatch(const protocol::HiveMessage& message, const Delivery& delivery);
    void receive_bus(const protocol::HiveMessage& message, const Delivery& delivery);
    void deliver_bus(protocol::BusMessage bus, const Delivery& delivery);
    void receive_fanout(const protocol::HiveMessage& message, const Delivery& delivery);
    bool receive_intercom(const protocol::HiveMessage& message, const Delivery& delivery,
                          bool top_level);
    void receive_ping(const protocol::HiveMessage& propagate);
    void receive_query_or_cascade(const protocol::HiveMessage& message, const Delivery& delivery);
    void receive_cascade_request(const protocol::HiveMessage& message, const Delivery& delivery);
    void route_response(const protocol::HiveMessage& message);
    void receive_binary(const protocol::HiveMessage& message);
    void expire_request(const std::string& query_id);
    void abandon_pending_queries();
    [[nodiscard]] bool is_loop(const protocol::HiveMessage& message) const;
    void verdict(const protocol::HiveMessage& message, record::Outcome outcome, std::string code,
                 std::string reason);
    void record_dispatch(const protocol::HiveMessage& message, std::string handler);

    NodeCore& core_;
    SatelliteOptions options_;
    std::string useragent_;
    std::string session_id_;
    protocol::Json session_;
    // While session_ holds our session_id and site_id as strings, the context prepare_bus gives
    // a BUS sent without one (frozen: every such BUS shares it); null otherwise. Kept by
    // note_session() whenever session_ changes.
    protocol::Json prepared_context_;

    std::shared_ptr<sim::Connection> connection_;
    LinkProtocol link_;
    LinkState state_ = LinkState::idle;
    std::optional<sim::CloseEvent> closed_by_;
    std::optional<LinkFailure> failure_;
    bool closing_locally_ = false;

    bool have_hello_ = false;
    std::string master_node_id_;
    /// peer_label()'s last answer, shared by the records that name the master.
    mutable record::SharedText peer_label_;
    std::string master_pubkey_;
    std::string master_peer_;
    std::string peer_id_;
    int protocol_version_ = 0;
    bool sent_binarize_ = false;
    std::optional<protocol::PasswordHandshake> password_handshake_;
    bool rsa_pending_ = false;
};

} // namespace hivescope::node
