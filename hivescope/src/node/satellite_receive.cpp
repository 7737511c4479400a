// What a satellite does with what its master sends (protocol.md B.7.2, B.8, B.9, B.10, B.11,
// B.12). Messages from the master are trusted: no ACL applies, but everything is recorded.

#include "hivescope/node/satellite_role.hpp"

#include "detail/local_inject.hpp"
#include "detail/ping.hpp"
#include "detail/satellite_delivery.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/intercom.hpp"

#include <algorithm>

namespace hivescope::node {

using namespace hivescope::protocol;
using record::Kind;
using record::Outcome;

namespace {

constexpr std::string_view verified_source_key = "hivemind_verified_source_peer";

/// The BUS a QUERY times out with (B.9), also used when the upstream link dies.
BusMessage query_timeout_message(const std::string& query_id) {
    return BusMessage("hive.query.timeout",
                      Json(JsonObject{{"query_id", Json(query_id)}, {"error", Json("no_answer")}}),
                      Json(JsonObject{{"query_id", Json(query_id)}}));
}

bool metadata_flag(const HiveMessage& message, std::string_view key) {
    const Json* value = message.metadata().find(key);
    return value != nullptr && value->is_bool() && value->as_bool();
}

std::string metadata_string(const HiveMessage& message, std::string_view key) {
    return message.metadata().get_string(key);
}

} // namespace

void SatelliteRole::verdict(const HiveMessage& message, Outcome outcome, std::string code,
                            std::string reason) {
    record::Record entry;
    entry.kind = Kind::verdict;
    entry.peer = peer_label();
    entry.message = message;
    entry.outcome = outcome;
    entry.code = std::move(code);
    entry.reason = std::move(reason);
    core_.record(std::move(entry));
}

void SatelliteRole::record_dispatch(const HiveMessage& message, std::string handler) {
    record::Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = peer_label();
    entry.message = message;
    entry.detail = std::move(handler);
    core_.record(std::move(entry));
}

bool SatelliteRole::is_loop(const HiveMessage& message) const {
    const auto names_us = [this](const std::vector<RouteHop>& route) {
        return std::any_of(route.begin(), route.end(),
                           [this](const RouteHop& hop) { return hop.source == core_.node_id(); });
    };
    if (names_us(message.route()))
        return true;
    return message.payload_kind() == HiveMessage::PayloadKind::nested &&
           names_us(message.inner().route());
}

void SatelliteRole::dispatch(const HiveMessage& message, const Delivery& delivery) {
    switch (message.type()) {
    case MessageType::bus:
        receive_bus(message, delivery);
        return;
    case MessageType::broadcast:
    case MessageType::propagate:
        receive_fanout(message, delivery);
        return;
    case MessageType::query:
    case MessageType::cascade:
        receive_query_or_cascade(message, delivery);
        return;
    case MessageType::intercom:
        (void)receive_intercom(message, delivery, /*top_level=*/true);
        return;
    case MessageType::binary:
        receive_binary(message);
        return;
    case MessageType::ping:
        // A PING only travels inside a PROPAGATE (B.8).
        verdict(message, Outcome::dropped, "", "bare ping");
        return;
    case MessageType::escalate:
    case MessageType::shared_bus:
        // Both only travel upward; from a master they are illegal (B.7.2, B.11).
        verdict(message, Outcome::dropped, "illegal",
                "illegal " + std::string(wire_name(message.type())) + " from master");
        return;
    case MessageType::rendezvous:
    case MessageType::third_party: {
        const std::string hook(wire_name(message.type()));
        core_.bus().record_hook(HookCall{hook, message.payload(), peer_label(), {}});
        record_dispatch(message, hook);
        return;
    }
    case MessageType::hello:
    case MessageType::handshake:
        // Only reachable from inside an INTERCOM: a link-level message has no meaning there.
        verdict(message, Outcome::dropped, "", "link message inside intercom");
        return;
    }
}

// ---- BUS (B.12) ------------------------------------------------------------------------------

void SatelliteRole::receive_bus(const HiveMessage& message, const Delivery& delivery) {
    BusMessage bus;
    try {
        bus = message.bus_message();
    } catch (const ProtocolError& error) {
        verdict(message, Outcome::dropped, std::string(to_string(error.code())), error.detail());
        return;
    }
    deliver_bus(std::move(bus), delivery);
}

void SatelliteRole::deliver_bus(BusMessage bus, const Delivery& delivery) {
    Json& context = bus.context();
    if (!context.is_object())
        context = Json::object();
    // 1. Adopt the session when it is ours, keeping our own site.
    if (const Json* session = bus.session();
        session != nullptr && bus.session_id() == session_id_) {
        session_ = *session;
        session_["site_id"] = Json(core_.site_id());
        session_.freeze();
        note_session();
        bus.set_session(session_);
    }
    // 2. What was addressed to us is, on our bus, where the message comes from.
    if (const Json* destination = context.find("destination"); destination != nullptr) {
        Json moved = *destination;
        context.as_object().erase("destination");
        context["source"] = std::move(moved);
    }
    // 3. Only a verified INTERCOM may claim a verified source.
    context.as_object().erase(verified_source_key);
    if (!delivery.verifying_pem.empty())
        context[verified_source_key] = Json(delivery.verifying_pem);
    // 4. Emit on the local bus (a relay's agent).
    record::Record entry;
    entry.kind = Kind::inject;
    entry.peer = "bus";
    entry.message = HiveMessage::bus(bus);
    if (!delivery.verifying_pem.empty())
        entry.detail = "verified intercom";
    core_.record(std::move(entry));
    core_.bus().inject(bus, peer_label());
}

// ---- BROADCAST / PROPAGATE (B.7.2) -----------------------------------------------------------

void SatelliteRole::receive_fanout(const HiveMessage& message, const Delivery& delivery) {
    if (is_loop(message)) {
        verdict(message, Outcome::dropped, "", "loop");
        return;
    }
    verdict(message, Outcome::allowed, "", "from master");
    const HiveMessage& inner = message.inner();
    bool consumed = false;
    if (inner.type() == MessageType::intercom) {
        consumed = receive_intercom(inner, delivery, /*top_level=*/false);
    } else if (inner.type() == MessageType::bus) {
        const auto& site =
            message.target_site_id() ? message.target_site_id() : inner.target_site_id();
        if (site && !site->empty() && *site == core_.site_id())
            receive_bus(inner, delivery);
    } else if (message.type() == MessageType::propagate && inner.type() == MessageType::ping) {
        receive_ping(message);
    }
    if (!consumed && delivery.forward && core_.downstream != nullptr)
        core_.downstream->forward_downstream(message, std::nullopt);
}

// ---- INTERCOM (B.10) -------------------------------------------------------------------------

bool SatelliteRole::receive_intercom(const HiveMessage& message, const Delivery& delivery,
                                     bool top_level) {
    (void)delivery;
    const RsaKeyPair& own = core_.identity();
    if (intercom_address(message, own) == IntercomAddress::other) {
        if (top_level)
            verdict(message, Outcome::dropped, "", std::string(intercom_not_for_us));
        return false;
    }
    std::vector<std::string> candidates = core_.trusted_keys();
    if (!master_pubkey_.empty())
        candidates.push_back(master_pubkey_);
    std::string reason;
    auto opened = open_intercom(message, own, candidates, &reason);
    if (!opened) {
        if (reason == intercom_not_for_us) {
            if (top_level)
                verdict(message, Outcome::dropped, "", reason);
            return false;
        }
        verdict(message, Outcome::dropped, "", reason);
        return true;
    }
    record::Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = peer_label();
    entry.message = opened->inner;
    entry.detail = "intercom";
    entry.reason = opened->verifying_pem;
    core_.record(std::move(entry));
    const Delivery inside = Delivery::from_intercom(opened->verifying_pem);
    if (opened->inner.type() == MessageType::bus)
        receive_bus(opened->inner, inside);
    else
        dispatch(opened->inner, inside);
    return true;
}

// ---- PING (B.8) ------------------------------------------------------------------------------

void SatelliteRole::receive_ping(const HiveMessage& propagate) {
    const Json& ping = propagate.inner().payload();
    const std::string flood_id = ping.get_string("flood_id");
    const std::string peer = ping.get_string("peer");
    if (!peer.empty()) {
        HiveMapEntry observed = detail::received_ping_entry(ping, core_.now());
        const std::string site_id = observed.site_id;
        if (core_.hive_map().observe(std::move(observed)) && core_.downstream != nullptr) {
            // A relay's agent is a master's agent: it hears of every new hive-map entry, also
            // the ones its upstream half learned (B.6, B.8).
            detail::agent_event(core_, "hive.ping.received",
                                Json(JsonObject{{"flood_id", Json(flood_id)},
                                                {"peer", Json(peer)},
                                                {"site_id", Json(site_id)}}),
                                peer);
        }
        std::vector<std::string> path{peer};
        const auto& route =
            propagate.route().empty() ? propagate.inner().route() : propagate.route();
        for (const auto& hop : route)
            path.push_back(hop.source);
        path.push_back(core_.node_id());
        core_.hive_map().add_path(path);
    }
    if (!core_.flood_cache().insert(flood_id)) {
        record_dispatch(propagate, "ping already answered");
        return;
    }
    // Our own answer: upstream, and (in a relay) to every downstream client, sender included.
    const HiveMessage answer = detail::ping_flood(core_, flood_id);
    record_dispatch(propagate, "ping answered");
    send(answer);
    if (core_.downstream != nullptr)
        core_.downstream->forward_downstream(answer, std::nullopt);
}

// ---- QUERY / CASCADE (B.9) -------------------------------------------------------------------

void SatelliteRole::receive_query_or_cascade(const HiveMessage& message, const Delivery& delivery) {
    // Requests never travel down: any QUERY from upstream is a response.
    if (message.type() == MessageType::query || metadata_flag(message, "is_response")) {
        route_response(message);
        return;
    }
    receive_cascade_request(message, delivery);
}

void SatelliteRole::route_response(const HiveMessage& message) {
    const std::string query_id = metadata_string(message, "query_id");
    PendingRequest* pending = nullptr;
    if (!query_id.empty()) {
        pending = core_.pending().find(query_id);
    } else if (message.type() == MessageType::query) {
        // A reference master answers without an id: the oldest query we sent up gets it.
        for (const PendingRequest* candidate : core_.pending().all())
            if (candidate->kind == MessageType::query &&
                (candidate->arrival.from == Arrival::From::local || candidate->escalated)) {
                pending = core_.pending().find(candidate->query_id);
                break;
            }
    }
    if (pending == nullptr || pending->arrival.from == Arrival::From::upstream ||
        pending->kind != message.type()) {
        verdict(message, Outcome::dropped, "", "unknown query");
        return;
    }
    const std::string id = pending->query_id;
    const Arrival arrival = pending->arrival;
    const bool single_answer = pending->kind == MessageType::query;
    const auto finish = [&] {
        if (!single_answer)
            return; // CASCADE collects answers until its TTL
        if (auto taken = core_.pending().take(id); taken && taken->timer != 0)
            core_.simulation().cancel(taken->timer);
    };

    if (arrival.from == Arrival::From::downstream) {
        // A relay's pending entry: the answer goes back to the requesting client only.
        verdict(message, Outcome::allowed, "", "response routed downstream");
        if (core_.downstream == nullptr ||
            !core_.downstream->send_to_link(arrival.link_id, message))
            verdict(message, Outcome::dropped, "", "requester gone");
        finish();
        return;
    }
    const HiveMessage& inner = message.inner();
    if (inner.type() != MessageType::bus) {
        verdict(message, Outcome::dropped, "malformed", "response must carry a bus message");
        return;
    }
    verdict(message, Outcome::allowed, "", "response");
    finish();
    BusMessage answer;
    try {
        answer = inner.bus_message();
    } catch (const ProtocolError& error) {
        verdict(message, Outcome::dropped, std::string(to_string(error.code())), error.detail());
        return;
    }
    if (!answer.context().is_object())
        answer.context() = Json::object();
    answer.context()["query_id"] = Json(id);
    deliver_bus(std::move(answer), Delivery::top_level());
}

void SatelliteRole::receive_cascade_request(const HiveMessage& message, const Delivery& delivery) {
    if (is_loop(message)) {
        verdict(message, Outcome::dropped, "", "loop");
        return;
    }
    HiveMessage request = message;
    std::string query_id = metadata_string(message, "query_id");
    if (query_id.empty()) {
        query_id = core_.new_id();
        request.metadata()["query_id"] = Json(query_id);
    }
    // The BUS to inject: the inner BUS, or the BUS of an INTERCOM sealed for us.
    std::optional<HiveMessage> local;
    std::string verifying_pem;
    const HiveMessage& inner = request.inner();
    if (inner.type() == MessageType::bus) {
        local = inner;
    } else if (inner.type() == MessageType::intercom) {
        std::vector<std::string> candidates = core_.trusted_keys();
        if (!master_pubkey_.empty())
            candidates.push_back(master_pubkey_);
        std::string reason;
        if (auto opened = open_intercom(inner, core_.identity(), candidates, &reason)) {
            if (opened->inner.type() == MessageType::bus) {
                local = opened->inner;
                verifying_pem = opened->verifying_pem;
            }
        } else if (reason != intercom_not_for_us) {
            verdict(message, Outcome::dropped, "", reason);
            return;
        }
    } else {
        verdict(message, Outcome::dropped, "malformed",
                "cascade payload must be a nested bus or intercom");
        return;
    }

    PendingRequest pending;
    pending.query_id = query_id;
    pending.kind = MessageType::cascade;
    pending.arrival = Arrival{Arrival::From::upstream, 0};
    pending.deadline = core_.now() + options_.cascade_ttl;
    pending.request = request;
    if (!core_.pending().add(std::move(pending))) {
        verdict(message, Outcome::dropped, "", "duplicate");
        return;
    }
    core_.pending().find(query_id)->timer = core_.simulation().schedule_after(
        options_.cascade_ttl, [this, query_id] { expire_request(query_id); });
    verdict(message, Outcome::allowed, "", "cascade request");

    if (local) {
        BusMessage bus;
        try {
            bus = local->bus_message();
        } catch (const ProtocolError& error) {
            verdict(message, Outcome::dropped, std::string(to_string(error.code())),
                    error.detail());
            return;
        }
        if (!bus.context().is_object())
            bus.context() = Json::object();
        bus.context()["query_id"] = Json(query_id);
        Delivery inside = delivery;
        inside.verifying_pem = verifying_pem;
        deliver_bus(bus, inside);
        // The injected form (after B.12) is what the local responder sees.
        const BusMessage asked = core_.bus().injected().back().message;
        if (auto answer = core_.bus().ask(asked)) {
            if (PendingRequest* entry = core_.pending().find(query_id))
                entry->answered_locally = true;
            if (!answer->context().is_object())
                answer->context() = Json::object();
            answer->context()["query_id"] = Json(query_id);
            HiveMessage response =
                HiveMessage::wrap(MessageType::cascade, HiveMessage::bus(*answer));
            response.set_metadata(
                Json(JsonObject{{"query_id", Json(query_id)}, {"is_response", Json(true)}}));
            response.route() = request.route();
            record_dispatch(response, "cascade answered");
            if (upstream_ready())
                send(std::move(response));
        }
    }
    if (delivery.forward && core_.downstream != nullptr)
        core_.downstream->forward_downstream(request, std::nullopt);
}

void SatelliteRole::expire_request(const std::string& query_id) {
    auto taken = core_.pending().take(query_id);
    if (!taken)
        return;
    if (taken->kind == MessageType::query && taken->arrival.from == Arrival::From::local) {
        verdict(taken->request, Outcome::dropped, "", "query timeout");
        detail::inject_recorded(core_, query_timeout_message(query_id), "bus",
                                "local query timeout", peer_label());
        return;
    }
    record_dispatch(taken->request, "cascade window closed");
}

void SatelliteRole::abandon_pending_queries() {
    // Entries that wait on the upstream link can no longer be answered (B.9 step 3).
    std::vector<std::string> ids;
    for (const PendingRequest* request : core_.pending().all()) {
        const bool ours = request->arrival.from == Arrival::From::local ||
                          request->arrival.from == Arrival::From::upstream;
        if (ours || (request->kind == MessageType::query && request->escalated))
            ids.push_back(request->query_id);
    }
    for (const auto& id : ids) {
        auto taken = core_.pending().take(id);
        if (!taken)
            continue;
        if (taken->timer != 0)
            core_.simulation().cancel(taken->timer);
        if (taken->kind != MessageType::query)
            continue;
        const BusMessage timeout = query_timeout_message(id);
        if (taken->arrival.from == Arrival::From::local) {
            detail::inject_recorded(core_, timeout, "bus", "upstream link closed", peer_label());
        } else if (taken->arrival.from == Arrival::From::downstream &&
                   core_.downstream != nullptr) {
            HiveMessage response = HiveMessage::wrap(MessageType::query, HiveMessage::bus(timeout));
            response.set_metadata(
                Json(JsonObject{{"query_id", Json(id)}, {"is_response", Json(true)}}));
            response.route() = taken->request.route();
            core_.downstream->send_to_link(taken->arrival.link_id, response);
        }
    }
}

// ---- BINARY (B.11) ---------------------------------------------------------------------------

void SatelliteRole::receive_binary(const HiveMessage& message) {
    std::string handler;
    Json metadata = message.metadata();
    const auto default_null = [&metadata](std::string_view key) {
        if (metadata.find(key) == nullptr)
            metadata[key] = Json();
    };
    switch (message.bin_type()) {
    case BinaryPayloadType::tts_audio:
        handler = "receive_tts";
        default_null("lang");
        default_null("utterance");
        default_null("file_name");
        break;
    case BinaryPayloadType::file:
        handler = "receive_file";
        default_null("file_name");
        break;
    default:
        // A satellite handles only TTS audio and files (A.6).
        verdict(message, Outcome::dropped, "",
                "ignored binary " + std::string(to_string(message.bin_type())) + " (bin_type " +
                    std::to_string(message.bin_type_code()) + ")");
        return;
    }
    core_.bus().record_binary(
        BinaryCall{handler, message.bytes(), metadata, message.bin_type_code(), peer_label(), {}});
    record_dispatch(message, handler);
}

} // namespace hivescope::node
