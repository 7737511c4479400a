// The master half's routing rules: the BUS pipeline (B.5), routing permissions (B.4),
// BROADCAST / PROPAGATE / ESCALATE (B.7), PING and the hive map (B.8), BINARY and the
// passthrough hooks (B.11), and the agent's replies (B.6).

#include "hivescope/node/master_role.hpp"

#include "detail/agent_verdict.hpp"
#include "detail/master_link.hpp"
#include "detail/ping.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "protocol/detail/json_object_access.hpp"
#include "protocol/detail/pooled_allocator.hpp"
#include "protocol/detail/trim.hpp"

#include <algorithm>
#include <utility>

namespace hivescope::node {

using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonArray;
using protocol::JsonObject;
using protocol::MessageType;
using protocol::ProtocolError;
using protocol::detail::trim;
using protocol::detail::trimmed;
using record::Kind;
using record::Outcome;
using record::Record;

namespace {

// Room for exactly the `keys` that `object` lacks: it grows once and keeps no slack (the
// rewritten message is recorded and kept).
void reserve_for(protocol::JsonObject& object, std::initializer_list<std::string_view> keys,
                 std::size_t more = 0) {
    std::size_t missing = more;
    for (const auto key : keys)
        missing += std::as_const(object).find(key) == nullptr ? 1 : 0;
    object.reserve(object.size() + missing);
}

// Appends `items` to the array `context.session[key]`, creating it, skipping what is present.
void merge_blacklist(Json& session, const char* key, const std::vector<std::string>& items) {
    Json* current = session.as_object().find(key);
    if (current == nullptr || !current->is_array())
        current = &session.as_object().set(key, Json::array());
    auto& array = current->as_array();
    for (const auto& item : items) {
        const bool present = std::any_of(array.begin(), array.end(), [&](const Json& value) {
            return value.is_string() && value.as_string() == item;
        });
        if (!present)
            array.emplace_back(item);
    }
}

// `session` with the record's blacklists merged in (B.5 step 4), frozen: the link's last
// completion when its inputs are the same, so repeated messages share one session object.
Json completed_session(detail::MasterLink& link, const Json& session, const ClientRecord& record) {
    auto& cache = link.last_completed_session;
    if (!cache || cache->input != session || cache->skill_blacklist != record.skill_blacklist ||
        cache->intent_blacklist != record.intent_blacklist) {
        Json completed = session;
        reserve_for(completed.as_object(), {"blacklisted_skills", "blacklisted_intents"});
        merge_blacklist(completed, "blacklisted_skills", record.skill_blacklist);
        merge_blacklist(completed, "blacklisted_intents", record.intent_blacklist);
        completed.freeze();
        Json input = session;
        input.freeze();
        cache = detail::MasterLink::CompletedSession{std::move(input), record.skill_blacklist,
                                                     record.intent_blacklist, std::move(completed)};
    }
    return cache->completed;
}

// A.6: the metadata keys each handler reads, with their defaults.
struct BinaryHandler {
    const char* name;
    std::vector<std::pair<const char*, Json>> defaults;
};

std::optional<BinaryHandler> binary_handler(std::uint8_t code) {
    switch (code) {
    case 1:
        return BinaryHandler{"microphone_input", {{"sample_rate", 16000}, {"sample_width", 2}}};
    case 2:
        return BinaryHandler{"numpy_image", {{"camera_id", Json()}}};
    case 3:
        return BinaryHandler{"receive_file", {{"file_name", Json()}}};
    case 4:
        return BinaryHandler{"stt_transcribe",
                             {{"lang", Json()}, {"sample_rate", 16000}, {"sample_width", 2}}};
    case 5:
        return BinaryHandler{"stt_handle",
                             {{"lang", Json()}, {"sample_rate", 16000}, {"sample_width", 2}}};
    case 6:
        return BinaryHandler{"receive_tts",
                             {{"lang", Json()}, {"utterance", Json()}, {"file_name", Json()}}};
    default:
        return std::nullopt;
    }
}

// BusMessage::session_id() without the copy, from its `session` (BusMessage::session()): a view
// into the message, valid until it changes.
std::string_view session_id_of(const Json* session) noexcept {
    const Json* id = session != nullptr ? session->find("session_id") : nullptr;
    return id != nullptr && id->is_string() ? std::string_view(id->as_string()) : "default";
}

} // namespace

// ---- B.5 ----------------------------------------------------------------------------------------

MasterRole::BusResult MasterRole::admit_bus(Link& link, const ClientRecord& record, BusMessage& bus,
                                            const HiveMessage& carrier,
                                            const std::string* query_id) {
    // 1. Default session.
    const Json* const received_session = bus.session(); // valid until step 4 rewrites
    const std::string_view session_id = session_id_of(received_session);
    if (session_id == "default" && !record.is_admin) {
        deny(link, carrier, bus.type(), "session_id_default_forbidden",
             "session_id 'default' is reserved for admins");
        close_link(link, sim::close_code::policy_violation, "session_id_default_forbidden",
                   &carrier);
        return BusResult::closed;
    }
    // 2. Adoption.
    const bool adopted =
        session_id != "default" && session_id == link.session_id && received_session != nullptr;
    if (adopted)
        link.session = *received_session;
    // 3. ACL: an explicit whitelist; empty denies all, admin does not bypass it (B.4).
    if (std::find(record.allowed_types.begin(), record.allowed_types.end(), bus.type()) ==
        record.allowed_types.end()) {
        deny(link, carrier, bus.type(), "acl_disallowed_type",
             "type '" + bus.type() + "' is not in allowed_types");
        return BusResult::denied;
    }
    // 4. Rewrite, into a new object in one pass (the received context is shared with the
    // recorded message, so it would be copied anyway). Keys present keep their places with the
    // new values; absent ones follow in the order session, source, peer, destination, query_id,
    // as setting them one by one would leave them. hivemind_verified_source_peer goes: only a
    // satellite sets it, on INTERCOM delivery (A.4); a client cannot claim it. When the session
    // was just adopted from this message, link.session is that session.
    Json& context = bus.context();
    if (!context.is_object())
        context = Json::object();
    const Json session =
        completed_session(link, link.session.is_object() ? link.session : Json::object(), record);
    const bool speak = bus.type() == "speak";
    // The same context as last time, from the same inputs, gets the same rewrite: shared.
    auto& last = link.last_rewritten_context;
    const bool reusable = query_id == nullptr;
    if (reusable && last && last->speak == speak && last->peer == link.peer_id &&
        shares_storage(last->session.as_object(), session.as_object()) &&
        last->received == context) {
        context = last->rewritten;
        return BusResult::admitted;
    }
    const Json received_context = context;
    enum : unsigned {
        has_session = 1,
        has_source = 2,
        has_peer = 4,
        has_destination = 8,
        has_query_id = 16,
        has_verified = 32
    };
    const auto flag_of = [](std::string_view key) -> unsigned {
        return key == "session"                         ? has_session
               : key == "source"                        ? has_source
               : key == "peer"                          ? has_peer
               : key == "destination"                   ? has_destination
               : key == "query_id"                      ? has_query_id
               : key == "hivemind_verified_source_peer" ? has_verified
                                                        : 0u;
    };
    const JsonObject& received = std::as_const(context).as_object();
    unsigned present = 0;
    for (const auto& [key, value] : received)
        present |= flag_of(key);
    const bool with_query_id = query_id != nullptr;
    std::size_t size = received.size() - ((present & has_verified) != 0 ? 1 : 0);
    for (const unsigned flag : {+has_session, +has_source, +has_peer, +has_destination})
        size += (present & flag) == 0 ? 1 : 0;
    size += with_query_id && (present & has_query_id) == 0 ? 1 : 0;
    // `destination` as this message leaves: ["audio"] for speak, "skills" in place of none.
    const auto destination = [speak](const Json* current) {
        if (speak)
            return Json(JsonArray{Json("audio")});
        return current == nullptr || current->is_null() ? Json("skills") : *current;
    };
    using protocol::detail::JsonObjectAccess;
    JsonObject rewritten = JsonObjectAccess::with_capacity(size);
    for (const auto& [key, value] : received) {
        switch (flag_of(key)) {
        case has_session:
            JsonObjectAccess::append_new(rewritten, key, session);
            break;
        case has_source:
        case has_peer:
            JsonObjectAccess::append_new(rewritten, key, link.peer_id.str());
            break;
        case has_destination:
            JsonObjectAccess::append_new(rewritten, key, destination(&value));
            break;
        case has_query_id:
            JsonObjectAccess::append_new(rewritten, key, with_query_id ? Json(*query_id) : value);
            break;
        case has_verified:
            break;
        default:
            JsonObjectAccess::append_new(rewritten, key, value);
        }
    }
    if ((present & has_session) == 0)
        JsonObjectAccess::append_new(rewritten, "session", session);
    if ((present & has_source) == 0)
        JsonObjectAccess::append_new(rewritten, "source", link.peer_id.str());
    if ((present & has_peer) == 0)
        JsonObjectAccess::append_new(rewritten, "peer", link.peer_id.str());
    if ((present & has_destination) == 0)
        JsonObjectAccess::append_new(rewritten, "destination", destination(nullptr));
    if (with_query_id && (present & has_query_id) == 0)
        JsonObjectAccess::append_new(rewritten, "query_id", *query_id);
    context = Json(std::move(rewritten));
    if (reusable) {
        context.freeze();
        last = detail::MasterLink::RewrittenContext{received_context, session, link.peer_id, speak,
                                                    context};
    }
    return BusResult::admitted;
}

void MasterRole::inject(Link& link, BusMessage bus) {
    // The inject record and the agent's copy share one frozen data and context.
    bus.data().freeze();
    bus.context().freeze();
    // Built where the record keeps it, rather than built and then moved there.
    auto injected =
        protocol::detail::make_pooled_shared<HiveMessage>(MessageType::bus, bus.to_json());
    injected->freeze();
    Record& entry = core_.new_record(Kind::inject);
    entry.peer = link.peer_id;
    entry.message = record::SharedMessage(std::shared_ptr<const HiveMessage>(std::move(injected)));
    core_.bus().inject(std::move(bus), link.peer_id);
}

void MasterRole::handle_bus(Link& link, const HiveMessage& message, const ClientRecord& record) {
    BusMessage bus;
    try {
        bus = message.bus_message();
    } catch (const ProtocolError& error) {
        // The codec accepts any object payload; one without an OVOS shape cannot be injected.
        verdict(link, message, Outcome::dropped, "malformed bus payload", error.detail());
        return;
    }
    if (admit_bus(link, record, bus, message, nullptr) != BusResult::admitted)
        return;
    verdict(link, message, Outcome::allowed);
    inject(link, std::move(bus));
}

// ---- B.4 routing permissions --------------------------------------------------------------------

bool MasterRole::permitted(MessageType type, const ClientRecord& record) const {
    switch (type) {
    case MessageType::broadcast:
        return record.is_admin && record.can_broadcast;
    case MessageType::propagate:
    case MessageType::cascade:
        return record.can_propagate;
    case MessageType::escalate:
    case MessageType::query:
        return record.can_escalate;
    default:
        return true;
    }
}

void MasterRole::illegal(Link& link, const HiveMessage& message) {
    if (options_.hooks.on_illegal)
        options_.hooks.on_illegal(message, link.peer_id);
    const std::string reason = "illegal " + std::string(protocol::wire_name(message.type()));
    if (options_.illegal_action == IllegalAction::disconnect)
        close_link(link, sim::close_code::policy_violation, reason, &message);
    else
        verdict(link, message, Outcome::dropped, reason);
}

bool MasterRole::looped(const HiveMessage& message) const {
    const auto mine = [this](const std::vector<protocol::RouteHop>& route) {
        return std::any_of(route.begin(), route.end(), [this](const protocol::RouteHop& hop) {
            return hop.source == core_.node_id();
        });
    };
    if (mine(message.route()))
        return true;
    return message.payload_kind() == HiveMessage::PayloadKind::nested &&
           mine(message.inner().route());
}

HiveMessage MasterRole::forwarding_form(const HiveMessage& received) const {
    // B.7.3: a new outer of the same type around the unchanged inner message, with the outer
    // metadata, target_site_id and target_pubkey copied and the route kept.
    HiveMessage out = HiveMessage::wrap(received.type(), received.inner());
    out.set_metadata(received.metadata());
    out.set_target_site_id(received.target_site_id());
    out.set_target_pubkey(received.target_pubkey());
    out.route() = received.route();
    return out;
}

// ---- B.7 ----------------------------------------------------------------------------------------

void MasterRole::handle_transport(Link& link, const HiveMessage& message,
                                  const ClientRecord& record, bool from_intercom) {
    // 1. Permission.
    if (!permitted(message.type(), record)) {
        illegal(link, message);
        return;
    }
    // 2. The payload is a nested message (bare payloads were denied before dispatch).
    // 3. Loop check.
    if (looped(message)) {
        verdict(link, message, Outcome::dropped, "loop");
        return;
    }
    verdict(link, message, Outcome::allowed);
    const HiveMessage& inner = message.inner();
    // 4. INTERCOM addressed here is consumed.
    if (inner.type() == MessageType::intercom && handle_inner_intercom(link, message, record))
        return;
    // 5. A BUS for this site.
    const auto& site = message.target_site_id();
    if (inner.type() == MessageType::bus && site && !site->empty() && *site == core_.site_id()) {
        BusMessage bus;
        bool shaped = true;
        try {
            bus = inner.bus_message();
        } catch (const ProtocolError&) {
            shaped = false;
        }
        if (shaped) {
            const BusResult result = admit_bus(link, record, bus, message, nullptr);
            if (result == BusResult::closed)
                return;
            if (result == BusResult::admitted)
                inject(link, std::move(bus));
        }
    }
    // 6. PING.
    if (message.type() == MessageType::propagate && inner.type() == MessageType::ping)
        handle_ping(message);
    if (from_intercom)
        return; // an INTERCOM's contents are never forwarded again (B.10)
    // 7. Forward.
    const HiveMessage form = forwarding_form(message);
    switch (message.type()) {
    case MessageType::broadcast:
        forward_downstream(form, link.link_id);
        break;
    case MessageType::propagate:
        forward_downstream(form, link.link_id);
        send_upstream(form);
        break;
    default: // escalate: upstream only; a top master stops it here
        send_upstream(form);
        break;
    }
}

// ---- B.8 ----------------------------------------------------------------------------------------

void MasterRole::handle_ping(const HiveMessage& propagate) {
    const HiveMessage& ping = propagate.inner();
    const Json& payload = ping.payload();
    const std::string flood_id = payload.get_string("flood_id");
    const std::string peer = payload.get_string("peer");
    if (!peer.empty()) {
        HiveMapEntry entry = detail::received_ping_entry(payload, core_.now());
        const std::string site_id = entry.site_id;
        if (core_.hive_map().observe(std::move(entry)))
            agent_event(
                "hive.ping.received",
                Json(JsonObject{{"flood_id", flood_id}, {"peer", peer}, {"site_id", site_id}}),
                peer);
        // Edges along peer → hop sources → this node (the inner route; the outer one is the same
        // unless binary framing dropped it).
        const auto& route = ping.route().empty() ? propagate.route() : ping.route();
        std::vector<std::string> path{peer};
        for (const auto& hop : route)
            path.push_back(hop.source);
        path.push_back(core_.node_id());
        core_.hive_map().add_path(path);
    }
    // Answer once per flood (an empty id counts as already seen).
    if (!core_.flood_cache().insert(flood_id))
        return;
    const HiveMessage answer = detail::ping_flood(core_, flood_id);
    forward_downstream(answer, std::nullopt); // including the sender
    send_upstream(answer);
}

std::string MasterRole::start_ping_flood() {
    const std::string flood_id = core_.new_id();
    core_.flood_cache().insert(flood_id);
    if (core_.hive_map().observe(detail::own_ping_entry(core_, flood_id)))
        agent_event("hive.ping.received",
                    Json(JsonObject{{"flood_id", flood_id},
                                    {"peer", core_.node_id()},
                                    {"site_id", core_.site_id()}}),
                    core_.node_id());
    Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = core_.node_id();
    entry.detail = "ping flood " + flood_id;
    core_.record(std::move(entry));
    const HiveMessage ping = detail::ping_flood(core_, flood_id);
    forward_downstream(ping, std::nullopt);
    send_upstream(ping);
    return flood_id;
}

// ---- B.11 ---------------------------------------------------------------------------------------

void MasterRole::handle_binary(Link& link, const HiveMessage& message, const ClientRecord& record) {
    // A client that may inject nothing may not push audio or files either (B.4).
    if (record.allowed_types.empty()) {
        deny(link, message, "bin", "acl_disallowed_type", "type 'bin' is not in allowed_types");
        return;
    }
    const std::uint8_t code = message.bin_type_code();
    const auto handler = binary_handler(code);
    if (!handler) {
        verdict(link, message, Outcome::dropped, "no handler",
                "bin_type " + std::to_string(code) + " (" +
                    std::string(protocol::to_string(message.bin_type())) + ")");
        return;
    }
    verdict(link, message, Outcome::allowed);
    Json metadata = message.metadata();
    for (const auto& [key, fallback] : handler->defaults)
        if (!metadata.as_object().contains(key))
            metadata.as_object().set(key, fallback);
    BinaryCall call{handler->name, message.bytes(), std::move(metadata),
                    code,          link.peer_id,    core_.now()};
    Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = link.peer_id;
    entry.message = message;
    entry.detail = handler->name;
    core_.record(std::move(entry));
    core_.bus().record_binary(call);
    if (options_.hooks.on_binary)
        options_.hooks.on_binary(call);
}

void MasterRole::handle_hook(Link& link, const HiveMessage& message, const std::string& hook) {
    verdict(link, message, Outcome::allowed);
    Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = link.peer_id;
    entry.message = message;
    entry.detail = hook;
    core_.record(std::move(entry));
    core_.bus().record_hook({hook, message.payload(), link.peer_id, core_.now()});
    const auto& callback = hook == "shared_bus"   ? options_.hooks.on_shared_bus
                           : hook == "rendezvous" ? options_.hooks.on_rendezvous
                                                  : options_.hooks.on_third_party;
    if (callback)
        callback(message, link.peer_id);
}

// ---- B.6 ----------------------------------------------------------------------------------------

void MasterRole::route_agent_message(const BusMessage& message) {
    if (message.type() == "hive.send.downstream") {
        handle_send_downstream(message);
        return;
    }
    if (consume_query_answer(message))
        return;
    const auto sources = trimmed(message.source_list());
    for (const auto& source : sources)
        if (find_registered(source) != nullptr) {
            // A request in flight is never echoed to a peer, even one addressing itself.
            detail::drop_agent_message(core_, message, "request in flight", "source " + source);
            return;
        }
    std::vector<std::string> delivered;
    for (const auto& destination : trimmed(message.destination_list())) {
        if (std::find(delivered.begin(), delivered.end(), destination) != delivered.end())
            continue;
        Link* link = find_registered(destination);
        if (link == nullptr)
            continue; // a service name (skills, audio) or a peer that is gone
        delivered.push_back(destination);
        BusMessage copy = message;
        if (!copy.context().is_object())
            copy.context() = Json::object();
        copy.context().as_object().set("source", "hive");
        send_on(*link, HiveMessage::bus(copy));
    }
}

void MasterRole::handle_send_downstream(const BusMessage& message) {
    const Json& data = message.data();
    const auto drop = [&](const std::string& reason) {
        detail::drop_agent_message(core_, message, reason);
    };
    const Json* msg_type = data.find("msg_type");
    if (msg_type == nullptr || !msg_type->is_string()) {
        drop("hive.send.downstream needs a msg_type");
        return;
    }
    HiveMessage outgoing(MessageType::ping);
    try {
        JsonObject envelope{{"msg_type", *msg_type}};
        if (const Json* payload = data.find("payload"))
            envelope.set("payload", *payload);
        outgoing = protocol::message_from_json(Json(std::move(envelope)));
    } catch (const ProtocolError& error) {
        drop("hive.send.downstream: " + error.detail());
        return;
    }
    switch (outgoing.type()) {
    case MessageType::broadcast:
    case MessageType::propagate:
        forward_downstream(outgoing, std::nullopt);
        return;
    case MessageType::escalate:
        drop("escalate is never sent downstream");
        return;
    default:
        break;
    }
    const std::string peer(trim(data.get_string("peer")));
    Link* link = find_registered(peer);
    if (link == nullptr) {
        agent_event("hive.client.send.error",
                    Json(JsonObject{{"error", "That client is not connected"}, {"peer", peer}}),
                    peer);
        return;
    }
    send_with_hop(*link, std::move(outgoing));
}

} // namespace hivescope::node
