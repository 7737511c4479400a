// The master half: admission, the handshake, HELLO registration, the inbound pipeline of B.2, and
// the one place frames leave for a client (blacklist filter, source_peer, encoding, record).

#include "hivescope/node/master_role.hpp"

#include "detail/local_inject.hpp"
#include "detail/master_link.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"
#include "protocol/detail/pooled_allocator.hpp"

#include <algorithm>
#include <chrono>

namespace hivescope::node {

using protocol::BusMessage;
using protocol::ErrorCode;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;
using protocol::ProtocolError;
using record::Kind;
using record::Outcome;
using record::Record;

namespace {

constexpr std::uint16_t policy_violation = sim::close_code::policy_violation;
constexpr std::uint16_t protocol_error = sim::close_code::protocol_error;

// The OVOS type of the innermost BUS of a message (what message_blacklist matches), or empty.
std::string innermost_bus_type(const HiveMessage& message) {
    const HiveMessage* current = &message;
    while (current->payload_kind() == HiveMessage::PayloadKind::nested)
        current = &current->inner();
    if (current->type() != MessageType::bus && current->type() != MessageType::shared_bus)
        return {};
    return current->payload().get_string("type");
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

MasterRole::MasterRole(NodeCore& core, MasterOptions options)
    : core_(core), options_(std::move(options)), alive_(std::make_shared<bool>(true)) {
    if (!options_.database)
        options_.database = std::make_shared<InMemoryClientDatabase>();
    core_.downstream = this;
    if (options_.install_agent_router)
        core_.bus().set_router([this](const BusMessage& message) { route_agent_message(message); });
}

MasterRole::~MasterRole() {
    *alive_ = false;
    for (auto& [id, link] : links_)
        link->connection->detach();
    if (core_.downstream == this)
        core_.downstream = nullptr;
    if (options_.install_agent_router)
        core_.bus().set_router({});
}

// ---- lookups ------------------------------------------------------------------------------------

MasterRole::Link* MasterRole::find_link(std::uint64_t link_id) const {
    const auto it = links_.find(link_id);
    return it == links_.end() ? nullptr : it->second.get();
}

MasterRole::Link* MasterRole::find_registered(std::string_view peer_id) const {
    const auto it = registered_.find(peer_id);
    if (it == registered_.end())
        return nullptr;
    Link* link = find_link(it->second);
    return link != nullptr && !link->closing ? link : nullptr;
}

const ClientRecord* MasterRole::current_record(Link& link) {
    const std::uint64_t revision = database().revision();
    if (revision != link.record_revision) {
        auto fresh = database().find_by_id(link.record.client_id);
        if (!fresh || fresh->revoked)
            return nullptr;
        link.record = std::move(*fresh);
        link.record_revision = revision;
    }
    return &link.record;
}

const ClientRecord& MasterRole::record_for_send(Link& link) {
    // A record deleted under a live link keeps its last ACL until the next inbound message
    // closes the link (B.2 step 4).
    const ClientRecord* record = current_record(link);
    return record != nullptr ? *record : link.record;
}

int MasterRole::advertised_min_version(const Link& link) const {
    int minimum = options_.min_protocol_version;
    if (options_.require_crypto && !link.has_psk)
        minimum = std::max(minimum, 1);
    return minimum;
}

bool MasterRole::advertised_binarize() const {
    return options_.binarize || options_.min_protocol_version >= 2;
}

const std::string& MasterRole::public_pem() {
    if (public_pem_.empty())
        public_pem_ = core_.identity().public_pem();
    return public_pem_;
}

ConnectedClient MasterRole::describe(const Link& link) const {
    ConnectedClient out;
    out.link_id = link.link_id;
    out.peer_id = link.peer_id;
    out.client_id = link.record.client_id;
    out.useragent = link.useragent;
    out.session_id = link.session_id;
    out.session = link.registered ? link.session : Json();
    out.site_id = link.site_id;
    out.pubkey = link.pubkey;
    out.registered = link.registered;
    out.handshake_complete = link.handshake_complete;
    if (const auto& crypto = link.link.crypto()) {
        out.cipher = crypto->cipher();
        out.encoding = crypto->encoding();
    }
    out.binarize = link.link.binarize();
    out.protocol_version = link.protocol_version;
    return out;
}

std::vector<ConnectedClient> MasterRole::clients() const {
    std::vector<ConnectedClient> out;
    for (const auto& [id, link] : links_)
        if (!link->closing)
            out.push_back(describe(*link));
    return out;
}

std::optional<ConnectedClient> MasterRole::find_client(std::string_view peer_id) const {
    for (const auto& [id, link] : links_)
        if (!link->closing && link->peer_id == peer_id)
            return describe(*link);
    return std::nullopt;
}

std::shared_ptr<sim::Connection> MasterRole::connection(std::string_view peer_id) const {
    for (const auto& [id, link] : links_)
        if (!link->closing && link->peer_id == peer_id)
            return link->connection;
    return nullptr;
}

std::vector<std::string> MasterRole::registered_peers() const {
    std::vector<std::string> out;
    for (const auto& [peer, link_id] : registered_)
        out.push_back(peer);
    return out;
}

void MasterRole::register_link(Link& link) {
    if (link.handshake_timer != 0) {
        core_.simulation().cancel(link.handshake_timer);
        link.handshake_timer = 0;
    }
    link.registered = true;
    registered_[link.peer_id] = link.link_id;
}

void MasterRole::unregister_link(Link& link) {
    if (!link.registered)
        return;
    link.registered = false;
    const auto it = registered_.find(link.peer_id);
    // Two connections can share a peer id (a reconnect before the old link closed); only the
    // current holder's entry goes.
    if (it != registered_.end() && it->second == link.link_id)
        registered_.erase(it);
}

// ---- recording and sending ----------------------------------------------------------------------

record::SharedMessage MasterRole::recorded(const HiveMessage& message) const {
    if (inbound_ && inbound_.get() == &message)
        return inbound_;
    return message;
}

void MasterRole::verdict(const Link& link, const HiveMessage& message, Outcome outcome,
                         std::string reason, std::string detail) {
    Record& entry = core_.new_record(Kind::verdict);
    entry.peer = link.peer_id;
    entry.message = recorded(message);
    entry.outcome = outcome;
    entry.reason = std::move(reason);
    entry.detail = std::move(detail);
}

void MasterRole::agent_event(const std::string& type, Json data, const std::string& peer) {
    detail::agent_event(core_, type, std::move(data), peer);
}

bool MasterRole::send_on(Link& link, HiveMessage message, SendKind kind) {
    if (link.closing || !link.connection->is_open())
        return false;
    if (kind == SendKind::normal) {
        const std::string bus_type = innermost_bus_type(message);
        if (!bus_type.empty() && contains(record_for_send(link).message_blacklist, bus_type)) {
            verdict(link, message, Outcome::dropped, "blacklisted",
                    "message_blacklist has '" + bus_type + "'");
            return false;
        }
    }
    message.set_source_peer(core_.node_id());
    // HELLO and HANDSHAKE always go in plaintext (A.9.1).
    const bool plaintext =
        message.type() == MessageType::hello || message.type() == MessageType::handshake;
    sim::Frame frame;
    try {
        frame = link.link.encode(message, core_.random(), plaintext);
    } catch (const ProtocolError& error) {
        // E.g. BUS metadata past the 255-byte binary limit on a binarize link (A.7.1).
        verdict(link, message, Outcome::dropped, "unencodable", error.what());
        return false;
    }
    Record entry;
    entry.kind = Kind::out;
    entry.peer = link.peer_id;
    entry.message = std::move(message);
    entry.frame = frame;
    core_.record(std::move(entry));
    link.connection->send(std::move(frame));
    return true;
}

void MasterRole::deny(Link& link, const HiveMessage& message, const std::string& denied_type,
                      const std::string& code, const std::string& reason) {
    Record entry;
    entry.kind = Kind::verdict;
    entry.peer = link.peer_id;
    entry.message = recorded(message);
    entry.outcome = Outcome::denied;
    entry.code = code;
    entry.reason = reason;
    core_.record(std::move(entry));
    // The denial is never filtered by message_blacklist (B.4).
    const BusMessage denial(
        "hive.policy.denied",
        Json(JsonObject{{"denied_type", denied_type}, {"code", code}, {"reason", reason}}),
        Json(JsonObject{
            {"source", "hive"}, {"destination", link.peer_id.str()}, {"session", link.session}}));
    send_on(link, HiveMessage::bus(denial), SendKind::policy);
}

bool MasterRole::send_upstream(const HiveMessage& message) {
    if (core_.upstream == nullptr || !core_.upstream->upstream_ready())
        return false;
    return core_.upstream->send_upstream(message);
}

bool MasterRole::send_with_hop(Link& link, HiveMessage message) {
    // B.7.4: every transport a node sends carries a hop naming it and the recipient, on the
    // outer and the inner message (binary framing would lose the outer route).
    if (message.payload_kind() == HiveMessage::PayloadKind::nested) {
        const protocol::RouteHop hop{core_.node_id(), {link.peer_id}};
        message.add_hop(hop);
        message.inner().add_hop(hop);
    }
    return send_on(link, std::move(message));
}

std::size_t MasterRole::forward_downstream(const HiveMessage& message,
                                           std::optional<std::uint64_t> except_link) {
    std::size_t sent = 0;
    for (auto& [id, link] : links_) {
        if (!link->registered || link->closing || (except_link && id == *except_link))
            continue;
        if (send_with_hop(*link, message))
            ++sent;
    }
    return sent;
}

bool MasterRole::send_to_link(std::uint64_t link_id, const HiveMessage& message) {
    Link* link = find_link(link_id);
    return link != nullptr && send_with_hop(*link, message);
}

void MasterRole::send(std::string_view peer_id, const HiveMessage& message) {
    Link* link = find_registered(peer_id);
    if (link == nullptr || !link->connection->is_open())
        throw ProtocolError(ErrorCode::invalid_argument, "no registered client \"" +
                                                             std::string(peer_id) + "\" on " +
                                                             core_.node_id());
    send_on(*link, message);
}

// ---- connection lifecycle -----------------------------------------------------------------------

void MasterRole::refuse(sim::Connection& connection, const std::string& peer,
                        const std::string& reason, const std::string& error) {
    const sim::CloseEvent close{policy_violation, reason};
    Record entry;
    entry.kind = Kind::refusal;
    entry.peer = peer;
    entry.outcome = Outcome::closed;
    entry.code = std::to_string(close.code);
    entry.reason = reason;
    core_.record(std::move(entry));
    connection.refuse(close);
    agent_event("hive.client.connection.error", Json(JsonObject{{"error", error}, {"peer", peer}}),
                peer);
    core_.bus().record_hook(
        {"invalid_key", Json(JsonObject{{"error", error}, {"reason", reason}}), peer, core_.now()});
    if (options_.hooks.on_invalid_key)
        options_.hooks.on_invalid_key(peer, close);
}

void MasterRole::on_connect(std::shared_ptr<sim::Connection> connection,
                            const sim::ConnectRequest& request) {
    protocol::Authorization authorization;
    try {
        authorization = protocol::parse_authorization(request.authorization);
    } catch (const ProtocolError&) {
        refuse(*connection, request.client_name,
               std::string(protocol::reason_invalid_authorization), "invalid authorization");
        return;
    }
    auto record = database().find_by_key(authorization.access_key);
    if (!record) {
        refuse(*connection, authorization.useragent, "invalid api key", "invalid access key");
        return;
    }

    auto owned = std::make_unique<Link>();
    Link& link = *owned;
    link.connection = connection;
    link.link_id = connection->link_id();
    link.useragent = authorization.useragent;
    link.access_key = authorization.access_key;
    link.record_name = record->name;
    link.record = std::move(*record);
    link.record_revision = database().revision();
    link.refresh_peer_id();
    if (link.record.crypto_key) {
        try {
            link.link.set_crypto(
                protocol::LinkCrypto(protocol::Cipher::aes_gcm, protocol::Encoding::json_hex,
                                     protocol::preshared_key_bytes(*link.record.crypto_key)));
            link.has_psk = true;
        } catch (const ProtocolError& error) {
            // A 16-character key that is not 16 bytes of UTF-8 cannot key AES-128: the link
            // goes on without a pre-shared key, and the trace says why.
            Record entry;
            entry.kind = Kind::dispatch;
            entry.peer = link.peer_id;
            entry.detail = std::string("pre-shared key unusable: ") + error.what();
            core_.record(std::move(entry));
        }
    }
    connection->accept(*this);
    links_.emplace(link.link_id, std::move(owned));
    if (options_.handshake_timeout > sim::Duration::zero() && core_.simulation().wall_clock_mode())
        link.handshake_timer = core_.simulation().schedule_after(
            options_.handshake_timeout,
            [this, alive = std::weak_ptr<bool>(alive_), id = link.link_id] {
                if (!alive.expired())
                    handshake_expired(id);
            });

    agent_event("hive.client.connect",
                Json(JsonObject{{"key", link.access_key}, {"session_id", link.session_id}}),
                link.peer_id);

    const protocol::ServerHello hello{public_pem(), link.peer_id, core_.node_id()};
    send_on(link, HiveMessage(MessageType::hello, hello.to_json()));

    protocol::HandshakeRequest shake;
    shake.handshake = !link.has_psk && options_.handshake_enabled;
    shake.min_protocol_version = advertised_min_version(link);
    shake.max_protocol_version = options_.max_protocol_version;
    shake.binarize = advertised_binarize();
    shake.preshared_key = link.has_psk;
    shake.password = link.record.password.has_value();
    shake.crypto_required = options_.require_crypto;
    for (const auto encoding : options_.allowed_encodings)
        shake.encodings.emplace_back(protocol::wire_name(encoding));
    for (const auto cipher : options_.allowed_ciphers)
        shake.ciphers.emplace_back(protocol::wire_name(cipher));
    send_on(link, HiveMessage(MessageType::handshake, shake.to_json()));
}

void MasterRole::close_link(Link& link, std::uint16_t code, const std::string& reason,
                            const HiveMessage* message) {
    if (link.closing)
        return;
    Record entry;
    entry.kind = Kind::verdict;
    entry.peer = link.peer_id;
    if (message != nullptr)
        entry.message = recorded(*message);
    entry.outcome = Outcome::closed;
    entry.code = std::to_string(code);
    entry.reason = reason;
    core_.record(std::move(entry));
    link.closing = true;
    unregister_link(link);
    link.connection->close({code, reason});
}

bool MasterRole::disconnect(std::string_view peer_id, const sim::CloseEvent& close) {
    for (auto& [id, link] : links_)
        if (!link->closing && link->peer_id == peer_id) {
            close_link(*link, close.code, close.reason, nullptr);
            return true;
        }
    return false;
}

void MasterRole::disconnect_all(const sim::CloseEvent& close) {
    for (auto& [id, link] : links_)
        close_link(*link, close.code, close.reason, nullptr);
}

void MasterRole::handshake_expired(std::uint64_t link_id) {
    Link* link = find_link(link_id);
    if (link == nullptr)
        return;
    link->handshake_timer = 0;
    if (link->registered || link->closing)
        return;
    close_link(*link, policy_violation, "handshake timeout", nullptr);
}

void MasterRole::on_connect_failed(const std::string& peer, const sim::CloseEvent& reason) {
    Record entry;
    entry.kind = Kind::refusal;
    entry.peer = peer;
    entry.outcome = Outcome::closed;
    entry.code = std::to_string(reason.code);
    entry.reason = reason.reason;
    entry.detail = "before the WebSocket upgrade";
    core_.record(std::move(entry));
}

void MasterRole::on_close(sim::Connection& connection, const sim::CloseEvent& close) {
    // A close the master did not start, other than a normal one, is the transport's or the
    // client's verdict (a frame over the limit, a protocol violation, a client that stopped
    // reading, a lost connection): recorded with its code and reason.
    if (Link* link = find_link(connection.link_id());
        link != nullptr && !link->closing && close.code != sim::close_code::normal) {
        Record entry;
        entry.kind = Kind::verdict;
        entry.peer = link->peer_id;
        entry.outcome = Outcome::closed;
        entry.code = std::to_string(close.code);
        entry.reason = close.reason;
        entry.detail = "closed by the client or the transport";
        core_.record(std::move(entry));
    }
    finalize(connection.link_id());
}

void MasterRole::finalize(std::uint64_t link_id) {
    const auto it = links_.find(link_id);
    if (it == links_.end())
        return;
    std::unique_ptr<Link> owned = std::move(it->second);
    links_.erase(it);
    unregister_link(*owned);
    owned->closing = true;
    if (owned->handshake_timer != 0)
        core_.simulation().cancel(owned->handshake_timer);
    // Requests from this link can no longer be answered (B.9).
    for (const auto& request :
         core_.pending().take_all_from({Arrival::From::downstream, link_id})) {
        core_.simulation().cancel(request.timer);
        const auto state = queries_.find(request.query_id);
        if (state != queries_.end()) {
            core_.simulation().cancel(state->second.local_window);
            queries_.erase(state);
        }
        finished_queries_.insert(request.query_id);
    }
    agent_event("hive.client.disconnect", Json(JsonObject{{"key", owned->access_key}}),
                owned->peer_id);
    owned->connection->detach();
}

// ---- inbound pipeline (B.2) ---------------------------------------------------------------------

void MasterRole::on_frame(sim::Connection& connection, const sim::Frame& frame) {
    Link* link = find_link(connection.link_id());
    if (link == nullptr || link->closing)
        return;
    handle_frame(*link, frame);
}

void MasterRole::handle_frame(Link& link, const sim::Frame& frame) {
    // 1. Decode. The message is frozen, so the stamped copy below and the BUS taken out of it
    // share its objects, and moved once, straight to where every record of it shares it.
    std::shared_ptr<const HiveMessage> arrived;
    bool encrypted = false;
    try {
        DecodedFrame decoded = link.link.decode(frame);
        decoded.message.freeze();
        arrived =
            protocol::detail::make_pooled_shared<const HiveMessage>(std::move(decoded.message));
        encrypted = decoded.encrypted;
    } catch (const ProtocolError& error) {
        if (handle_bare_transport(link, frame))
            return;
        const bool crypto_failure = error.code() == ErrorCode::decryption_failed ||
                                    error.code() == ErrorCode::bad_encoding ||
                                    error.code() == ErrorCode::bad_key;
        const std::string reason = crypto_failure ? std::string("decryption failed")
                                                  : "malformed frame: " + error.detail();
        Record entry;
        entry.kind = Kind::decode_error;
        entry.peer = link.peer_id;
        entry.frame = frame;
        entry.code = std::string(protocol::to_string(error.code()));
        entry.reason = reason;
        entry.detail = error.detail();
        core_.record(std::move(entry));
        close_link(link, protocol_error, reason, nullptr);
        return;
    }
    // The decoded message is recorded once and shared by every later record about it: first as
    // decoded (the in record, and any closing verdict before step 5), then as stamped.
    struct Inbound {
        std::shared_ptr<const HiveMessage>& slot;
        std::shared_ptr<const HiveMessage> saved;
        ~Inbound() { slot = std::move(saved); }
    } inbound{inbound_, inbound_};
    inbound_ = arrived;
    const HiveMessage& message = *arrived;
    {
        Record& entry = core_.new_record(Kind::in);
        entry.peer = link.peer_id;
        entry.message = arrived;
        entry.frame = frame;
        entry.detail = encrypted ? "encrypted" : "plaintext";
    }

    // 2. Crypto check.
    const MessageType type = message.type();
    if (options_.require_crypto && link.link.has_key() && !encrypted &&
        type != MessageType::hello && type != MessageType::handshake) {
        close_link(link, policy_violation, "plaintext refused", &message);
        return;
    }

    // 3. Version check, on the first message only (re-keying does not reclassify).
    if (link.protocol_version < 0) {
        int version = 0;
        if (type == MessageType::handshake) {
            const Json* pubkey = message.payload().find("pubkey");
            const Json* binarize = message.payload().find("binarize");
            const bool rsa = pubkey != nullptr && !pubkey->is_null();
            const bool binary = binarize != nullptr && binarize->is_bool() && binarize->as_bool();
            version = !rsa && binary && advertised_binarize() ? 2 : 1;
        }
        link.protocol_version = version;
        if (version < advertised_min_version(link) || version > options_.max_protocol_version) {
            close_link(link, policy_violation, "unsupported protocol version", &message);
            return;
        }
    }

    // 4. Record refresh.
    const ClientRecord* record = current_record(link);
    if (record == nullptr) {
        close_link(link, policy_violation, "invalid api key", &message);
        return;
    }

    // 5. Stamp (a copy: the in record keeps the message as it arrived), 6. dispatch.
    auto stamping = protocol::detail::make_pooled_shared<HiveMessage>(message);
    stamping->set_source_peer(link.peer_id);
    stamping->freeze();
    const std::shared_ptr<const HiveMessage> stamped = std::move(stamping);
    inbound_ = stamped;
    const int client_id = record->client_id;
    dispatch(link, *stamped, *record, false);
    // Whatever the handler decided, the client was seen (hivemind-core updates last_seen
    // after every message it handles).
    seen(link, client_id);
}

void MasterRole::seen(const Link& link, int client_id) {
    try {
        database().touch(client_id, std::chrono::duration<double>(core_.now()).count());
    } catch (const ProtocolError& error) {
        // A store that cannot keep the time (a client file that can no longer be written)
        // costs the timestamp, not the message; the trace says so.
        Record entry;
        entry.kind = Kind::dispatch;
        entry.peer = link.peer_id;
        entry.code = std::string(protocol::to_string(error.code()));
        entry.reason = "last_seen not stored";
        entry.detail = error.what();
        core_.record(std::move(entry));
    }
}

bool MasterRole::handle_bare_transport(Link& link, const sim::Frame& frame) {
    // A transport whose payload is a bare OVOS message fails the envelope parser (the payload
    // has keys a HiveMessage cannot have). B.7.1 and B.9 deny it as `malformed` and keep the
    // connection, so look for exactly that shape before treating the frame as undecodable.
    if (frame.is_binary())
        return false;
    Json envelope;
    bool encrypted = false;
    try {
        Json outer = Json::parse(frame.data());
        if (protocol::is_encrypted_envelope(outer)) {
            if (!link.link.crypto())
                return false;
            protocol::LinkCrypto crypto = *link.link.crypto();
            envelope = Json::parse(crypto.decrypt_envelope(outer));
            encrypted = true;
        } else {
            envelope = std::move(outer);
        }
    } catch (const ProtocolError&) {
        return false;
    }
    if (!envelope.is_object())
        return false;
    const Json* msg_type = envelope.find("msg_type");
    const Json* payload = envelope.find("payload");
    if (msg_type == nullptr || !msg_type->is_string() || payload == nullptr ||
        !payload->is_object() || payload->find("msg_type") != nullptr)
        return false;
    const auto type = protocol::message_type_from_wire(msg_type->as_string());
    if (!type || !protocol::is_transport_type(*type))
        return false;
    // The rest of the envelope must be one the parser accepts, so the frame is malformed only in
    // its payload.
    Json stripped = envelope;
    stripped.as_object().set("payload", Json::object());
    stripped.as_object().set("msg_type", "hello");
    try {
        (void)protocol::message_from_json(stripped);
    } catch (const ProtocolError&) {
        return false;
    }
    // What the trace can hold of it: the transport around its payload as an opaque message,
    // with the envelope's own fields.
    const HiveMessage fields = protocol::message_from_json(stripped);
    HiveMessage shown = HiveMessage::wrap(*type, HiveMessage(MessageType::third_party, *payload));
    shown.set_metadata(fields.metadata());
    shown.route() = fields.route();
    shown.set_target_site_id(fields.target_site_id());
    shown.set_target_pubkey(fields.target_pubkey());
    shown.set_source_peer(link.peer_id);
    {
        Record entry;
        entry.kind = Kind::in;
        entry.peer = link.peer_id;
        entry.message = shown;
        entry.frame = frame;
        entry.detail = std::string("bare ") + msg_type->as_string() + " payload (" +
                       (encrypted ? "encrypted" : "plaintext") + ")";
        core_.record(std::move(entry));
    }
    if (options_.require_crypto && link.link.has_key() && !encrypted) {
        close_link(link, policy_violation, "plaintext refused", &shown);
        return true;
    }
    if (link.protocol_version < 0) {
        link.protocol_version = 0;
        if (advertised_min_version(link) > 0) {
            close_link(link, policy_violation, "unsupported protocol version", &shown);
            return true;
        }
    }
    const ClientRecord* record = current_record(link);
    if (record == nullptr) {
        close_link(link, policy_violation, "invalid api key", &shown);
        return true;
    }
    const int client_id = record->client_id;
    if (!permitted(*type, *record))
        illegal(link, shown);
    else
        deny(link, shown, msg_type->as_string(), "malformed",
             msg_type->as_string() + " payload must be a nested HiveMessage");
    seen(link, client_id);
    return true;
}

void MasterRole::dispatch(Link& link, const HiveMessage& message, const ClientRecord& record,
                          bool from_intercom) {
    switch (message.type()) {
    case MessageType::handshake:
        if (from_intercom)
            break;
        handle_handshake(link, message, record);
        return;
    case MessageType::hello:
        if (from_intercom)
            break;
        handle_hello(link, message, record);
        return;
    case MessageType::bus:
        handle_bus(link, message, record);
        return;
    case MessageType::shared_bus:
        handle_hook(link, message, "shared_bus");
        return;
    case MessageType::broadcast:
    case MessageType::propagate:
    case MessageType::escalate:
        handle_transport(link, message, record, from_intercom);
        return;
    case MessageType::query:
    case MessageType::cascade:
        handle_query(link, message, record, from_intercom);
        return;
    case MessageType::ping:
        verdict(link, message, Outcome::dropped, "bare ping");
        return;
    case MessageType::rendezvous:
        handle_hook(link, message, "rendezvous");
        return;
    case MessageType::third_party:
        handle_hook(link, message, "3rdparty");
        return;
    case MessageType::binary:
        handle_binary(link, message, record);
        return;
    case MessageType::intercom:
        if (from_intercom)
            break;
        handle_intercom(link, message, record);
        return;
    }
    verdict(link, message, Outcome::dropped,
            std::string(protocol::wire_name(message.type())) + " inside an intercom");
}

// ---- handshake and HELLO ------------------------------------------------------------------------

void MasterRole::handle_handshake(Link& link, const HiveMessage& message,
                                  const ClientRecord& record) {
    const std::string failed(protocol::reason_handshake_failed);
    protocol::ClientHandshake shake;
    try {
        shake = protocol::ClientHandshake::from_json(message.payload());
    } catch (const ProtocolError&) {
        close_link(link, policy_violation, failed, &message);
        return;
    }

    if (shake.is_rsa()) {
        // A.12.5: nothing is negotiated; the link keeps AES-GCM / JSON-HEX and JSON frames.
        protocol::RsaHandshakeOffer offer;
        try {
            const auto client_key = protocol::RsaPublicKey::from_pem(*shake.pubkey);
            offer = protocol::rsa_master_handshake(core_.identity(), client_key, core_.random());
        } catch (const ProtocolError&) {
            close_link(link, policy_violation, failed, &message);
            return;
        }
        verdict(link, message, Outcome::allowed, {}, "rsa handshake");
        const protocol::HandshakeResponse response{offer.envelope,
                                                   std::string(protocol::default_encoding_name),
                                                   std::string(protocol::default_cipher_name)};
        send_on(link, HiveMessage(MessageType::handshake, response.to_json()));
        link.link.set_crypto(protocol::LinkCrypto(protocol::Cipher::aes_gcm,
                                                  protocol::Encoding::json_hex, offer.secret));
        link.link.set_binarize(false);
        link.handshake_complete = true;
        return;
    }

    if (!shake.is_password() || !record.password ||
        !protocol::verify_envelope(*record.password, *shake.envelope)) {
        // Our master verifies the client's proof (A.12.4), unlike the reference.
        close_link(link, policy_violation, failed, &message);
        return;
    }
    const auto cipher = protocol::select_cipher(shake.ciphers, options_.allowed_ciphers);
    if (!cipher) {
        close_link(link, policy_violation, "no common cipher", &message);
        return;
    }
    const auto encoding = protocol::select_encoding(shake.encodings, options_.allowed_encodings);
    if (!encoding) {
        close_link(link, policy_violation, "no common encoding", &message);
        return;
    }
    protocol::PasswordHandshake handshake(*record.password, options_.kdf_iterations);
    handshake.use_cache(core_.kdf_cache);
    const std::string envelope = handshake.start(core_.random());
    try {
        handshake.receive_and_verify(*shake.envelope);
    } catch (const ProtocolError&) {
        close_link(link, policy_violation, failed, &message);
        return;
    }
    verdict(link, message, Outcome::allowed, {}, "password handshake");
    const protocol::HandshakeResponse response{envelope,
                                               std::string(protocol::wire_name(*encoding)),
                                               std::string(protocol::wire_name(*cipher))};
    send_on(link, HiveMessage(MessageType::handshake, response.to_json()));
    link.link.set_crypto(protocol::LinkCrypto(*cipher, *encoding, handshake.secret()));
    // The client echoes our flag; a client cannot switch on framing we did not offer.
    link.link.set_binarize(shake.binarize && advertised_binarize());
    link.handshake_complete = true;
}

void MasterRole::handle_hello(Link& link, const HiveMessage& message, const ClientRecord& record) {
    protocol::ClientHello hello;
    try {
        hello = protocol::ClientHello::from_json(message.payload());
    } catch (const ProtocolError& error) {
        close_link(link, protocol_error, "malformed frame: " + error.detail(), &message);
        return;
    }
    const std::string session_id = hello.session_id();
    if (session_id == "default" && !record.is_admin) {
        deny(link, message, "hello", "session_id_default_forbidden",
             "session_id 'default' is reserved for admins");
        close_link(link, policy_violation, "session_id_default_forbidden", &message);
        return;
    }
    // The session as received, with its site forced to the HELLO's (B.5).
    Json session =
        hello.session.is_object() ? hello.session : Json(JsonObject{{"session_id", session_id}});
    if (hello.site_id)
        session.as_object().set("site_id", *hello.site_id);
    unregister_link(link);
    link.session = std::move(session);
    link.session_id = session_id;
    link.site_id = hello.site_id ? *hello.site_id : link.session.get_string("site_id");
    link.pubkey = hello.pubkey;
    link.refresh_peer_id();
    register_link(link);
    link.handshake_complete = true;
    verdict(link, message, Outcome::registered);
}

} // namespace hivescope::node
