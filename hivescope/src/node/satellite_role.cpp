// The satellite role: connection, handshake (A.11, A.12) and sending (B.12). What arrives from
// the master is handled in satellite_receive.cpp.

#include "hivescope/node/satellite_role.hpp"

#include "detail/ping.hpp"
#include "detail/satellite_delivery.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/intercom.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"
#include "protocol/detail/json_object_access.hpp"

#include <algorithm>

namespace hivescope::node {

using namespace hivescope::protocol;
using record::Kind;
using record::Outcome;

std::string_view to_string(LinkState state) noexcept {
    switch (state) {
    case LinkState::idle:
        return "idle";
    case LinkState::connecting:
        return "connecting";
    case LinkState::handshaking:
        return "handshaking";
    case LinkState::ready:
        return "ready";
    case LinkState::closed:
        return "closed";
    case LinkState::refused:
        return "refused";
    }
    return "?";
}

std::string_view to_string(LinkFailure::Kind kind) noexcept {
    switch (kind) {
    case LinkFailure::Kind::refused:
        return "refused";
    case LinkFailure::Kind::handshake_failed:
        return "handshake_failed";
    case LinkFailure::Kind::decode_error:
        return "decode_error";
    case LinkFailure::Kind::closed_by_master:
        return "closed_by_master";
    }
    return "?";
}

ConnectionRefused::ConnectionRefused(LinkFailure failure)
    : std::runtime_error("upstream link " + std::string(to_string(failure.kind)) + ": " +
                         std::to_string(failure.close.code) + " " + failure.close.reason +
                         (failure.detail.empty() ? "" : " (" + failure.detail + ")")),
      failure_(std::move(failure)) {}

// ---- construction ----------------------------------------------------------------------------

SatelliteRole::SatelliteRole(NodeCore& core, SatelliteOptions options)
    : core_(core), options_(std::move(options)) {
    useragent_ = options_.useragent.value_or(core_.node_id());
    session_id_ = options_.session_id ? *options_.session_id : core_.new_id();
    session_ =
        Json(JsonObject{{"session_id", Json(session_id_)}, {"site_id", Json(core_.site_id())}});
    // Every BUS carries a copy: frozen, the copies share it.
    session_.freeze();
    note_session();
    core_.upstream = this;
    // In a relay the master half routes the shared agent's messages; it may call route_local.
    if (core_.downstream == nullptr)
        core_.bus().set_router([this](const BusMessage& message) { route_local(message); });
}

SatelliteRole::~SatelliteRole() {
    // Our query and cascade timers capture this role, and the simulation may outlive it (a node
    // destroyed while its hive runs on). The master half's entries (arrival downstream) guard
    // their own timers.
    for (const PendingRequest* request : core_.pending().all())
        if (request->arrival.from != Arrival::From::downstream && request->timer != 0)
            core_.simulation().cancel(request->timer);
    if (connection_)
        connection_->detach();
    if (core_.upstream == this)
        core_.upstream = nullptr;
}

void SatelliteRole::throw_if_failed() const {
    if (failure_)
        throw ConnectionRefused(*failure_);
}

std::optional<Cipher> SatelliteRole::cipher() const {
    if (!link_.crypto())
        return std::nullopt;
    return link_.crypto()->cipher();
}

std::optional<Encoding> SatelliteRole::encoding() const {
    if (!link_.crypto())
        return std::nullopt;
    return link_.crypto()->encoding();
}

const record::SharedText& SatelliteRole::peer_label() const {
    const std::string& label = master_node_id_.empty() ? options_.master_address : master_node_id_;
    if (peer_label_ != label)
        peer_label_ = label;
    return peer_label_;
}

// ---- connection ------------------------------------------------------------------------------

void SatelliteRole::reset_link_state() {
    link_ = LinkProtocol{};
    closed_by_.reset();
    failure_.reset();
    closing_locally_ = false;
    have_hello_ = false;
    master_node_id_.clear();
    master_pubkey_.clear();
    master_peer_.clear();
    peer_id_.clear();
    protocol_version_ = 0;
    sent_binarize_ = false;
    password_handshake_.reset();
    rsa_pending_ = false;
}

void SatelliteRole::connect() {
    if (state_ == LinkState::connecting || connected())
        return;
    const std::string authorization = make_authorization(useragent_, options_.access_key);
    reset_link_state();
    // A master holding the record's pre-shared key encrypts from accept onward (A.12.6).
    if (options_.crypto_key)
        link_.set_crypto(LinkCrypto(link_default_cipher, link_default_encoding,
                                    preshared_key_bytes(*options_.crypto_key)));
    if (connection_)
        connection_->detach();
    connection_ = core_.network().connect(options_.master_address,
                                          sim::ConnectRequest{authorization, core_.node_id()},
                                          *this, options_.link);
    state_ = LinkState::connecting;
}

void SatelliteRole::disconnect() {
    if (!connection_ || connection_->is_closed())
        return;
    closing_locally_ = true;
    const sim::CloseEvent close{sim::close_code::normal, "disconnect"};
    record::Record entry;
    entry.kind = Kind::verdict;
    entry.peer = peer_label();
    entry.outcome = Outcome::closed;
    entry.code = std::to_string(close.code);
    entry.reason = close.reason;
    entry.detail = "local disconnect";
    core_.record(std::move(entry));
    connection_->close(close);
}

void SatelliteRole::close_link(sim::CloseEvent close, LinkFailure::Kind kind,
                               const std::string& detail) {
    failure_ = LinkFailure{kind, close, detail};
    closed_by_ = close;
    closing_locally_ = true;
    state_ = LinkState::closed;
    if (connection_ && !connection_->is_closed())
        connection_->close(std::move(close));
    abandon_pending_queries();
}

void SatelliteRole::on_open(sim::Connection& connection) {
    (void)connection;
    state_ = LinkState::handshaking;
    record::Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = peer_label();
    entry.detail = "link open";
    core_.record(std::move(entry));
}

void SatelliteRole::on_close(sim::Connection& connection, const sim::CloseEvent& close) {
    (void)connection;
    const bool was_open = state_ != LinkState::connecting;
    if (state_ == LinkState::closed && failure_) {
        // Our own close (handshake or decode failure) completed; the failure is already known.
        return;
    }
    closed_by_ = close;
    record::Record entry;
    entry.peer = peer_label();
    entry.outcome = Outcome::closed;
    entry.code = std::to_string(close.code);
    entry.reason = close.reason;
    if (!was_open) {
        entry.kind = Kind::refusal;
        entry.detail = "refused before any frame";
        state_ = LinkState::refused;
        failure_ = LinkFailure{LinkFailure::Kind::refused, close, "refused by the master"};
    } else {
        entry.kind = Kind::verdict;
        entry.detail = closing_locally_ ? "closed by this node" : "closed by the master";
        state_ = LinkState::closed;
        if (!closing_locally_)
            failure_ = LinkFailure{LinkFailure::Kind::closed_by_master, close, "closed by master"};
    }
    core_.record(std::move(entry));
    abandon_pending_queries();
}

void SatelliteRole::on_frame(sim::Connection& connection, const sim::Frame& frame) {
    (void)connection;
    if (state_ == LinkState::closed || state_ == LinkState::refused)
        return;
    std::optional<DecodedFrame> decoded;
    try {
        decoded = link_.decode(frame);
    } catch (const ProtocolError& error) {
        record::Record entry;
        entry.kind = Kind::decode_error;
        entry.peer = peer_label();
        entry.frame = frame;
        entry.outcome = Outcome::closed;
        entry.code = std::string(to_string(error.code()));
        entry.reason = error.detail();
        core_.record(std::move(entry));
        const std::string reason = error.code() == ErrorCode::decryption_failed
                                       ? std::string("decryption failed")
                                       : "malformed frame: " + error.detail();
        close_link({sim::close_code::protocol_error, reason}, LinkFailure::Kind::decode_error,
                   error.what());
        return;
    }
    record::Record entry;
    entry.kind = Kind::in;
    entry.peer = peer_label();
    entry.message = decoded->message;
    entry.frame = frame;
    if (decoded->encrypted)
        entry.detail = "encrypted";
    core_.record(std::move(entry));

    const HiveMessage& message = decoded->message;
    switch (message.type()) {
    case MessageType::hello:
        handle_hello(message);
        return;
    case MessageType::handshake:
        handle_handshake(message);
        return;
    default:
        break;
    }
    if (state_ != LinkState::ready) {
        verdict(message, Outcome::dropped, "", "before handshake");
        return;
    }
    dispatch(message, Delivery::top_level());
}

// ---- handshake -------------------------------------------------------------------------------

void SatelliteRole::handle_hello(const HiveMessage& message) {
    if (have_hello_) {
        verdict(message, Outcome::dropped, "", "later hello ignored");
        return;
    }
    ServerHello hello;
    try {
        hello = ServerHello::from_json(message.payload());
    } catch (const ProtocolError& error) {
        verdict(message, Outcome::dropped, std::string(to_string(error.code())), error.detail());
        return;
    }
    have_hello_ = true;
    master_pubkey_ = hello.pubkey.value_or("");
    master_node_id_ = hello.node_id.value_or("");
    master_peer_ = hello.peer.value_or("");
    // The peer id ends in `::default` until our HELLO; it then carries our session (C).
    const auto cut = master_peer_.rfind("::");
    peer_id_ =
        cut == std::string::npos ? master_peer_ : master_peer_.substr(0, cut + 2) + session_id_;
    verdict(message, Outcome::allowed, "", "master hello kept");
}

void SatelliteRole::handle_handshake(const HiveMessage& message) {
    if (state_ == LinkState::ready) {
        verdict(message, Outcome::dropped, "", "handshake after ready ignored");
        return;
    }
    if (is_handshake_response(message.payload()))
        handle_handshake_response(message);
    else
        handle_handshake_request(message);
}

void SatelliteRole::handle_handshake_request(const HiveMessage& message) {
    HandshakeRequest request;
    try {
        request = HandshakeRequest::from_json(message.payload());
    } catch (const ProtocolError& error) {
        fail_handshake(&message, error.detail());
        return;
    }
    if (password_handshake_ || rsa_pending_) {
        verdict(message, Outcome::dropped, "", "second handshake request ignored");
        return;
    }
    verdict(message, Outcome::allowed, "", "handshake request");
    ClientHandshake shake;
    shake.encodings = options_.encodings;
    shake.ciphers = options_.ciphers;
    if (options_.password) {
        // Binary framing needs both sides to want it (B.3 version 2).
        sent_binarize_ = options_.binarize && request.binarize;
        shake.binarize = sent_binarize_;
        password_handshake_.emplace(*options_.password, options_.kdf_iterations);
        password_handshake_->use_cache(core_.kdf_cache);
        shake.envelope = password_handshake_->start(core_.random());
    } else if (options_.crypto_key) {
        // v0 (A.12.6): no shake; HELLO under the pre-shared key installed at connect.
        protocol_version_ = 0;
        send_hello();
        return;
    } else {
        shake.binarize = false;
        shake.pubkey = core_.identity().public_pem();
        rsa_pending_ = true;
    }
    transmit(HiveMessage(MessageType::handshake, shake.to_json()), /*plaintext=*/true);
}

void SatelliteRole::handle_handshake_response(const HiveMessage& message) {
    HandshakeResponse response;
    try {
        response = HandshakeResponse::from_json(message.payload());
    } catch (const ProtocolError& error) {
        fail_handshake(&message, error.detail());
        return;
    }
    if (!password_handshake_ && !rsa_pending_) {
        verdict(message, Outcome::dropped, "", "handshake response without a request");
        return;
    }
    const auto cipher = cipher_from_wire(response.cipher);
    const auto encoding = encoding_from_wire(response.encoding);
    if (!cipher || !encoding) {
        fail_handshake(&message, "master selected unknown cipher/encoding " + response.cipher +
                                     " / " + response.encoding);
        return;
    }
    Bytes key;
    try {
        if (password_handshake_) {
            const auto proposed = [](const std::vector<std::string>& list, std::string_view name) {
                return list.empty() || std::find(list.begin(), list.end(), name) != list.end();
            };
            if (!proposed(options_.ciphers, response.cipher) ||
                !proposed(options_.encodings, response.encoding)) {
                fail_handshake(&message, "master selected " + response.cipher + " / " +
                                             response.encoding + ", which we did not propose");
                return;
            }
            // Verifies the master's proof before deriving anything (A.12.4).
            password_handshake_->receive_and_verify(response.envelope);
            key = password_handshake_->secret();
        } else {
            if (master_pubkey_.empty())
                throw ProtocolError(
                    ErrorCode::auth_failed,
                    "handshake failed: no master pubkey to verify the RSA envelope");
            key = rsa_satellite_receive(core_.identity(), RsaPublicKey::from_pem(master_pubkey_),
                                        response.envelope);
        }
        link_.set_crypto(LinkCrypto(*cipher, *encoding, key));
    } catch (const ProtocolError& error) {
        fail_handshake(&message, error.detail());
        return;
    }
    const bool password = password_handshake_.has_value();
    link_.set_binarize(password && sent_binarize_);
    protocol_version_ = link_.binarize() ? 2 : 1;
    verdict(message, Outcome::allowed, "",
            std::string(password ? "password" : "rsa") + " handshake complete");
    password_handshake_.reset();
    rsa_pending_ = false;
    send_hello();
}

void SatelliteRole::send_hello() {
    std::optional<std::string> pubkey;
    if (options_.announce_pubkey)
        pubkey = core_.identity().public_pem();
    const ClientHello hello = ClientHello::make(std::move(pubkey), session_id_, core_.site_id());
    transmit(HiveMessage(MessageType::hello, hello.to_json()));
    state_ = LinkState::ready;
}

void SatelliteRole::fail_handshake(const HiveMessage* message, const std::string& detail) {
    const sim::CloseEvent close{sim::close_code::policy_violation,
                                std::string(reason_handshake_failed)};
    record::Record entry;
    entry.kind = Kind::verdict;
    entry.peer = peer_label();
    if (message != nullptr)
        entry.message = *message;
    entry.outcome = Outcome::closed;
    entry.code = std::to_string(close.code);
    entry.reason = close.reason;
    entry.detail = detail;
    core_.record(std::move(entry));
    close_link(close, LinkFailure::Kind::handshake_failed, detail);
}

// ---- sending ---------------------------------------------------------------------------------

void SatelliteRole::require_ready(std::string_view what) const {
    if (state_ != LinkState::ready || !connection_ || !connection_->is_open())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "satellite " + core_.node_id() + " cannot send " + std::string(what) +
                                ": upstream link is " + std::string(to_string(state_)));
}

void SatelliteRole::add_hop(HiveMessage& message) const {
    const std::string target = master_node_id_.empty() ? options_.master_address : master_node_id_;
    const RouteHop hop{core_.node_id(), {target}};
    message.add_hop(hop);
    if (message.payload_kind() == HiveMessage::PayloadKind::nested)
        message.inner().add_hop(hop);
}

void SatelliteRole::transmit(HiveMessage&& message, bool plaintext) {
    message.set_source_peer(core_.node_id());
    sim::Frame frame = link_.encode(message, core_.random(), plaintext);
    record::Record& entry = core_.new_record(Kind::out);
    entry.peer = peer_label();
    entry.message = std::move(message);
    entry.frame = frame;
    connection_->send(std::move(frame));
}

void SatelliteRole::send(HiveMessage message) {
    require_ready(wire_name(message.type()));
    if (is_transport_type(message.type()))
        add_hop(message);
    transmit(std::move(message));
}

bool SatelliteRole::send_upstream(const HiveMessage& message) {
    if (!upstream_ready() || !connection_ || !connection_->is_open())
        return false;
    send(message);
    return true;
}

namespace {
// The context keys prepare_bus fills in.
constexpr std::string_view prepared_keys[] = {"source", "platform", "destination", "session"};

// HiveMessage::bus for a message we own: its fields are moved into the payload, not copied.
HiveMessage bus_envelope(BusMessage message) {
    return HiveMessage(MessageType::bus, std::move(message).to_json());
}
} // namespace

void SatelliteRole::note_session() {
    const auto holds = [this](std::string_view key, const std::string& value) {
        const Json* current = std::as_const(session_).find(key);
        return current != nullptr && current->is_string() && current->as_string() == value;
    };
    prepared_context_ = Json();
    if (session_.is_object() && holds("session_id", session_id_) &&
        holds("site_id", core_.site_id())) {
        prepared_context_ = prepare_bus(BusMessage("")).context();
        prepared_context_.freeze();
    }
}

BusMessage SatelliteRole::prepare_bus(BusMessage message) const {
    Json& context = message.context();
    // Written only when they differ, so a copy of our (frozen) session stays shared.
    const auto ensure = [](Json& session, std::string_view key, const std::string& value) {
        const Json* current = std::as_const(session).find(key);
        if (current == nullptr || !current->is_string() || current->as_string() != value)
            session[key] = Json(value);
    };
    if (context.is_null() || (context.is_object() && context.as_object().empty())) {
        // The usual send: no context of the caller's, so it is built as a whole, in the order
        // the general path below would leave it; while our session is as we made it, that is
        // the same context every time, made once.
        if (!prepared_context_.is_null()) {
            context = prepared_context_;
            return message;
        }
        using protocol::detail::JsonObjectAccess;
        JsonObject fields = JsonObjectAccess::with_capacity(std::size(prepared_keys));
        JsonObjectAccess::append_new(fields, "source", useragent_);
        JsonObjectAccess::append_new(fields, "platform", useragent_);
        JsonObjectAccess::append_new(fields, "destination", "HiveMind");
        Json& session = JsonObjectAccess::append_new(fields, "session", session_);
        ensure(session, "session_id", session_id_);
        ensure(session, "site_id", core_.site_id());
        context = Json(std::move(fields));
        return message;
    }
    if (!context.is_object())
        context = Json::object();
    // Exactly the room the keys added below need: the context grows once, with no slack kept
    // in the recorded message.
    auto& fields = context.as_object();
    fields.reserve(fields.size() + static_cast<std::size_t>(std::count_if(
                                       std::begin(prepared_keys), std::end(prepared_keys),
                                       [&](std::string_view key) {
                                           return std::as_const(fields).find(key) == nullptr;
                                       })));
    const auto absent = [&](std::string_view key) {
        const Json* value = context.find(key);
        return value == nullptr || value->is_null();
    };
    // set() puts a new key's value in place (operator[] would insert null, then assign).
    if (absent("source"))
        fields.set("source", useragent_);
    if (absent("platform"))
        fields.set("platform", useragent_);
    if (absent("destination"))
        fields.set("destination", "HiveMind");
    // The caller's session object is completed where it stands; without one, ours is copied in.
    Json* existing = context.as_object().find("session");
    if (existing == nullptr || !existing->is_object())
        existing = &(context["session"] = session_);
    ensure(*existing, "session_id", session_id_);
    ensure(*existing, "site_id", core_.site_id());
    return message;
}

void SatelliteRole::send_bus(BusMessage message) {
    require_ready("bus");
    send(bus_envelope(prepare_bus(std::move(message))));
}

namespace {
HiveMessage wrapped(MessageType transport, HiveMessage inner, std::optional<std::string> site) {
    HiveMessage outer = HiveMessage::wrap(transport, std::move(inner));
    outer.set_target_site_id(std::move(site));
    return outer;
}
} // namespace

void SatelliteRole::broadcast(HiveMessage inner, std::optional<std::string> target_site_id) {
    send(wrapped(MessageType::broadcast, std::move(inner), std::move(target_site_id)));
}
void SatelliteRole::propagate(HiveMessage inner, std::optional<std::string> target_site_id) {
    send(wrapped(MessageType::propagate, std::move(inner), std::move(target_site_id)));
}
void SatelliteRole::escalate(HiveMessage inner, std::optional<std::string> target_site_id) {
    send(wrapped(MessageType::escalate, std::move(inner), std::move(target_site_id)));
}
void SatelliteRole::broadcast(BusMessage bus, std::optional<std::string> target_site_id) {
    broadcast(bus_envelope(prepare_bus(std::move(bus))), std::move(target_site_id));
}
void SatelliteRole::propagate(BusMessage bus, std::optional<std::string> target_site_id) {
    propagate(bus_envelope(prepare_bus(std::move(bus))), std::move(target_site_id));
}
void SatelliteRole::escalate(BusMessage bus, std::optional<std::string> target_site_id) {
    escalate(bus_envelope(prepare_bus(std::move(bus))), std::move(target_site_id));
}

std::string SatelliteRole::send_request(MessageType kind, HiveMessage inner) {
    require_ready(wire_name(kind));
    const std::string query_id = core_.new_id();
    HiveMessage request = HiveMessage::wrap(kind, std::move(inner));
    request.metadata()["query_id"] = Json(query_id);

    PendingRequest pending;
    pending.query_id = query_id;
    pending.kind = kind;
    pending.arrival = Arrival{Arrival::From::local, 0};
    const sim::Duration wait =
        kind == MessageType::query ? options_.query_timeout : options_.cascade_ttl;
    pending.deadline = core_.now() + wait;
    pending.request = request;
    if (!core_.pending().add(std::move(pending)))
        throw ProtocolError(ErrorCode::invalid_argument, "query id " + query_id + " is pending");
    try {
        send(std::move(request));
    } catch (...) {
        (void)core_.pending().take(query_id);
        throw;
    }
    // Scheduled after the send so that a refused send leaves no timer behind.
    if (auto* entry = core_.pending().find(query_id))
        entry->timer =
            core_.simulation().schedule_after(wait, [this, query_id] { expire_request(query_id); });
    return query_id;
}

std::string SatelliteRole::query(BusMessage bus) {
    return send_request(MessageType::query, bus_envelope(prepare_bus(std::move(bus))));
}

std::string SatelliteRole::cascade(BusMessage bus) {
    return send_request(MessageType::cascade, bus_envelope(prepare_bus(std::move(bus))));
}

void SatelliteRole::send_intercom(const HiveMessage& inner, const std::string& addressee_pem,
                                  std::optional<MessageType> transport) {
    require_ready("intercom");
    if (transport && !is_transport_type(*transport))
        throw ProtocolError(ErrorCode::invalid_argument,
                            "INTERCOM can only travel inside a transport type, not " +
                                std::string(wire_name(*transport)));
    HiveMessage sealed = seal_intercom(inner, RsaPublicKey::from_pem(addressee_pem),
                                       core_.identity(), core_.random());
    if (transport && (*transport == MessageType::query || *transport == MessageType::cascade)) {
        // Like every QUERY and CASCADE of ours: a query id and a pending entry, so the answer
        // that comes back is delivered rather than dropped as an unknown query (B.9).
        (void)send_request(*transport, std::move(sealed));
        return;
    }
    if (transport)
        send(HiveMessage::wrap(*transport, std::move(sealed)));
    else
        send(std::move(sealed));
}

void SatelliteRole::send_binary(BinaryPayloadType bin_type, Bytes data, Json metadata) {
    require_ready("bin");
    send(HiveMessage::binary(bin_type, std::move(data), std::move(metadata)));
}

std::string SatelliteRole::start_ping_flood() {
    require_ready("ping");
    const std::string flood_id = core_.new_id();
    core_.flood_cache().insert(flood_id);
    core_.hive_map().observe(detail::own_ping_entry(core_, flood_id));
    const HiveMessage flood = detail::ping_flood(core_, flood_id);
    send(flood);
    if (core_.downstream != nullptr)
        core_.downstream->forward_downstream(flood, std::nullopt);
    return flood_id;
}

void SatelliteRole::route_local(const BusMessage& message) {
    const auto destinations = message.destination_list();
    const bool to_master =
        !master_node_id_.empty() &&
        std::find(destinations.begin(), destinations.end(), master_node_id_) != destinations.end();
    if (!to_master && !options_.share_bus)
        return;
    const MessageType type = to_master ? MessageType::bus : MessageType::shared_bus;
    if (!handshake_complete() || !connection_ || !connection_->is_open()) {
        verdict(HiveMessage::bus(message, type), Outcome::dropped, "", "not connected");
        return;
    }
    if (to_master)
        send(bus_envelope(prepare_bus(message)));
    if (options_.share_bus)
        send(HiveMessage::bus(message, MessageType::shared_bus));
}

} // namespace hivescope::node
