#pragma once
// The downstream (master) half of a node (protocol.md B.2–B.11, B.14): it admits client
// connections by access key, runs the handshake, registers HELLOs, and applies the per-type rules
// (sessions and ACL, routing permissions, BROADCAST/PROPAGATE/ESCALATE forwarding with route
// hops, PING floods and the hive map, QUERY/CASCADE with the pending table, INTERCOM, BINARY
// dispatch and the passthrough hooks). It routes what the agent (`core.bus()`) emits back to the
// clients (B.6). A MasterNode is a NodeCore with this role; a relay adds a satellite role to the
// same core, which is why everything shared lives in the core.

#include "hivescope/node/client_database.hpp"
#include "hivescope/node/link_protocol.hpp"
#include "hivescope/node/master_options.hpp"
#include "hivescope/node/node_core.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/record/record.hpp"
#include "hivescope/sim/network.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::node {

/// A connected client as tests see it.
struct ConnectedClient {
    std::uint64_t link_id = 0;
    std::string peer_id;   ///< `<useragent>::<client_id>::<record name>::<session_id>` (Part C)
    int client_id = 0;     ///< the record it authenticated as
    std::string useragent; ///< from the authorization
    std::string session_id = "default";
    protocol::Json session; ///< the connection session (B.5); null before the HELLO
    std::string site_id;
    std::optional<std::string> pubkey;          ///< the client HELLO `pubkey`
    bool registered = false;                    ///< HELLO accepted (B.1)
    bool handshake_complete = false;            ///< a handshake set the key, or a v0 HELLO arrived
    std::optional<protocol::Cipher> cipher;     ///< the active link cipher, if a key is set
    std::optional<protocol::Encoding> encoding; ///< the active envelope encoding, if a key is set
    bool binarize = false;                      ///< BUS travels as binary frames
    int protocol_version = -1;                  ///< B.3 class; -1 before the first message
};

namespace detail {
struct MasterLink;
}

/// The master half of a node.
class MasterRole : public DownstreamRole, public sim::Acceptor, public sim::FrameHandler {
  public:
    /// Registers itself as `core.downstream` and, unless told otherwise, as the agent's router.
    MasterRole(NodeCore& core, MasterOptions options);
    ~MasterRole() override;
    MasterRole(const MasterRole&) = delete;
    MasterRole& operator=(const MasterRole&) = delete;

    // ---- sim::Acceptor / sim::FrameHandler ----------------------------------------------------
    void on_connect(std::shared_ptr<sim::Connection> connection,
                    const sim::ConnectRequest& request) override;
    void on_frame(sim::Connection& connection, const sim::Frame& frame) override;
    void on_close(sim::Connection& connection, const sim::CloseEvent& close) override;
    /// A real socket that never reached on_connect: recorded as a refusal with its reason.
    void on_connect_failed(const std::string& peer, const sim::CloseEvent& reason) override;

    // ---- DownstreamRole -----------------------------------------------------------------------
    /// Sends `message` to every registered client except `except_link`, appending the hop
    /// `{node id, [peer id]}` to the outer and (for transports) the inner route of each copy.
    std::size_t forward_downstream(const protocol::HiveMessage& message,
                                   std::optional<std::uint64_t> except_link) override;
    /// Sends `message` to one client link (a response the other half routes down), appending
    /// the hop `{node id, [peer id]}` to the outer and inner route of a transport (B.7.4), subject
    /// to the client's `message_blacklist`. False when the link is gone or the frame was dropped.
    bool send_to_link(std::uint64_t link_id, const protocol::HiveMessage& message) override;

    // ---- API ----------------------------------------------------------------------------------
    [[nodiscard]] NodeCore& core() noexcept { return core_; }
    [[nodiscard]] const MasterOptions& options() const noexcept { return options_; }
    [[nodiscard]] ClientDatabase& database() noexcept { return *options_.database; }
    [[nodiscard]] const std::shared_ptr<ClientDatabase>& database_ptr() const noexcept {
        return options_.database;
    }

    /// Every open client connection, in link order.
    [[nodiscard]] std::vector<ConnectedClient> clients() const;
    /// The open connection whose current peer id is `peer_id`.
    [[nodiscard]] std::optional<ConnectedClient> find_client(std::string_view peer_id) const;
    /// The server end of that connection (for fault rules in tests), or null.
    [[nodiscard]] std::shared_ptr<sim::Connection> connection(std::string_view peer_id) const;
    /// Peer ids of the registered clients, in name order.
    [[nodiscard]] std::vector<std::string> registered_peers() const;

    /// Sends `message` to a registered client (source_peer set, recorded as `out`). Throws
    /// ProtocolError(invalid_argument), recording nothing, when no such client is connected.
    void send(std::string_view peer_id, const protocol::HiveMessage& message);
    /// Closes a client connection with `close` (recorded as a `closed` verdict); false if unknown.
    bool disconnect(std::string_view peer_id, const sim::CloseEvent& close);
    /// Closes every client connection (e.g. when the node stops).
    void disconnect_all(const sim::CloseEvent& close);

    /// Starts a PING flood (B.8): a fresh flood id in the cache, this node in its hive map, and
    /// PROPAGATE(PING) to every registered client and upstream. Returns the flood id.
    std::string start_ping_flood();

    /// The B.6 router for messages the agent emits (installed on `core.bus()` by default).
    void route_agent_message(const protocol::BusMessage& message);
    /// Answers every QUERY that was escalated and is still waiting with `hive.query.timeout`
    /// (B.9: a node whose upstream link closes while a query is pending). For a relay.
    void upstream_lost();

  private:
    using Link = detail::MasterLink;
    enum class SendKind : std::uint8_t { normal, policy };
    enum class BusResult : std::uint8_t { admitted, denied, closed };
    struct QueryState {
        std::string requester;         ///< peer id that asked (matched against destinations)
        sim::EventId local_window = 0; ///< CASCADE: end of the local answer window
        bool no_forward = false;       ///< arrived inside an INTERCOM: never escalate
    };

    // connection lifecycle (master_role.cpp)
    void refuse(sim::Connection& connection, const std::string& peer, const std::string& reason,
                const std::string& error);
    void close_link(Link& link, std::uint16_t code, const std::string& reason,
                    const protocol::HiveMessage* message);
    void finalize(std::uint64_t link_id);
    void handshake_expired(std::uint64_t link_id);
    void register_link(Link& link);
    void unregister_link(Link& link);
    [[nodiscard]] Link* find_link(std::uint64_t link_id) const;
    [[nodiscard]] Link* find_registered(std::string_view peer_id) const;
    [[nodiscard]] const ClientRecord* current_record(Link& link);
    /// Stamps the client's last_seen with the current virtual time (after B.2 step 6, as
    /// hivemind-core does after every message it handles); a store that fails to keep it is
    /// recorded, not thrown.
    void seen(const Link& link, int client_id);
    [[nodiscard]] const ClientRecord& record_for_send(Link& link);
    [[nodiscard]] ConnectedClient describe(const Link& link) const;
    [[nodiscard]] int advertised_min_version(const Link& link) const;
    [[nodiscard]] bool advertised_binarize() const;
    [[nodiscard]] const std::string& public_pem();

    // sending (master_role.cpp)
    bool send_on(Link& link, protocol::HiveMessage message, SendKind kind = SendKind::normal);
    bool send_with_hop(Link& link, protocol::HiveMessage message);
    void deny(Link& link, const protocol::HiveMessage& message, const std::string& denied_type,
              const std::string& code, const std::string& reason);
    void verdict(const Link& link, const protocol::HiveMessage& message, record::Outcome outcome,
                 std::string reason = {}, std::string detail = {});
    void agent_event(const std::string& type, protocol::Json data, const std::string& peer);
    bool send_upstream(const protocol::HiveMessage& message);
    /// `message` as a record holds it: the inbound message being handled is shared, anything
    /// else copied.
    [[nodiscard]] record::SharedMessage recorded(const protocol::HiveMessage& message) const;

    // inbound pipeline (master_role.cpp)
    void handle_frame(Link& link, const sim::Frame& frame);
    bool handle_bare_transport(Link& link, const sim::Frame& frame);
    void dispatch(Link& link, const protocol::HiveMessage& message, const ClientRecord& record,
                  bool from_intercom);
    void handle_handshake(Link& link, const protocol::HiveMessage& message,
                          const ClientRecord& record);
    void handle_hello(Link& link, const protocol::HiveMessage& message, const ClientRecord& record);

    // sessions and routing (master_routing.cpp)
    BusResult admit_bus(Link& link, const ClientRecord& record, protocol::BusMessage& bus,
                        const protocol::HiveMessage& carrier, const std::string* query_id);
    void inject(Link& link, protocol::BusMessage bus);
    void handle_bus(Link& link, const protocol::HiveMessage& message, const ClientRecord& record);
    [[nodiscard]] bool permitted(protocol::MessageType type, const ClientRecord& record) const;
    void illegal(Link& link, const protocol::HiveMessage& message);
    [[nodiscard]] bool looped(const protocol::HiveMessage& message) const;
    void handle_transport(Link& link, const protocol::HiveMessage& message,
                          const ClientRecord& record, bool from_intercom);
    void handle_ping(const protocol::HiveMessage& propagate);
    void handle_binary(Link& link, const protocol::HiveMessage& message,
                       const ClientRecord& record);
    void handle_hook(Link& link, const protocol::HiveMessage& message, const std::string& hook);
    void handle_send_downstream(const protocol::BusMessage& message);
    [[nodiscard]] protocol::HiveMessage
    forwarding_form(const protocol::HiveMessage& received) const;

    // INTERCOM (master_intercom.cpp)
    void handle_intercom(Link& link, const protocol::HiveMessage& message,
                         const ClientRecord& record);
    bool handle_inner_intercom(Link& link, const protocol::HiveMessage& transport,
                               const ClientRecord& record);
    bool resolve_query_intercom(Link& link, const protocol::HiveMessage& query,
                                std::optional<protocol::BusMessage>& bus,
                                bool& addressed_elsewhere);
    [[nodiscard]] std::vector<std::string> intercom_candidates() const;

    // QUERY and CASCADE (master_query.cpp)
    void handle_query(Link& link, const protocol::HiveMessage& message, const ClientRecord& record,
                      bool from_intercom);
    void route_response(Link& link, const protocol::HiveMessage& message);
    bool consume_query_answer(const protocol::BusMessage& message);
    bool answer_locally(const std::string& query_id, const protocol::BusMessage& answer);
    void deliver_response(const PendingRequest& entry, protocol::HiveMessage response);
    void on_query_deadline(const std::string& query_id);
    void on_cascade_window(const std::string& query_id);
    void on_cascade_expired(const std::string& query_id);
    void finish_query(const std::string& query_id);
    [[nodiscard]] protocol::HiveMessage timeout_response(const PendingRequest& entry);
    sim::EventId schedule(sim::Duration delay, void (MasterRole::*action)(const std::string&),
                          const std::string& query_id);

    NodeCore& core_;
    MasterOptions options_;
    std::shared_ptr<bool> alive_; // timers hold a weak_ptr: a destroyed role ignores them
    std::map<std::uint64_t, std::unique_ptr<Link>> links_;
    std::map<std::string, std::uint64_t, std::less<>> registered_; // peer id → link id
    std::map<std::string, QueryState> queries_;
    FloodCache finished_queries_{1000}; // query ids already answered, for late answers
    std::string public_pem_;
    // The message the inbound pipeline is handling, held by its records: the in record, then
    // every verdict on it, share it instead of copying it (set only during handle_frame).
    std::shared_ptr<const protocol::HiveMessage> inbound_;
};

} // namespace hivescope::node
