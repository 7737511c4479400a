// QUERY and CASCADE at the master half (protocol.md B.9): shape and permission checks, the ACL on
// the inner BUS, the pending table, answers from the agent (a query responder, or an emitted
// message carrying the query id) within the deadline, escalation or `hive.query.timeout`, and
// CASCADE fan-out with answers routed back to the requester only.

#include "hivescope/node/master_role.hpp"

#include "detail/agent_verdict.hpp"
#include "detail/master_link.hpp"
#include "hivescope/protocol/error.hpp"
#include "protocol/detail/trim.hpp"

#include <algorithm>
#include <iterator>

namespace hivescope::node {

using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;
using protocol::ProtocolError;
using record::Kind;
using record::Outcome;
using record::Record;

namespace {

bool is_response(const HiveMessage& message) {
    const Json* flag = message.metadata().find("is_response");
    return flag != nullptr && flag->is_bool() && flag->as_bool();
}

std::string query_id_of(const HiveMessage& message) {
    return message.metadata().get_string("query_id");
}

} // namespace

sim::EventId MasterRole::schedule(sim::Duration delay,
                                  void (MasterRole::*action)(const std::string&),
                                  const std::string& query_id) {
    return core_.simulation().schedule_after(
        delay, [this, alive = std::weak_ptr<bool>(alive_), action, query_id] {
            if (!alive.expired())
                (this->*action)(query_id);
        });
}

void MasterRole::handle_query(Link& link, const HiveMessage& message, const ClientRecord& record,
                              bool from_intercom) {
    const MessageType kind = message.type();
    const std::string kind_name(protocol::wire_name(kind));
    // Permission first (B.9).
    if (!permitted(kind, record)) {
        illegal(link, message);
        return;
    }
    if (is_response(message)) {
        route_response(link, message);
        return;
    }
    const HiveMessage& inner = message.inner();
    if (inner.type() != MessageType::bus && inner.type() != MessageType::intercom) {
        deny(link, message, kind_name, "malformed",
             kind_name + " payload must be a nested HiveMessage");
        return;
    }
    if (looped(message)) {
        verdict(link, message, Outcome::dropped, "loop");
        return;
    }
    // A relay's satellite half completes escalated queries in the shared pending table; forget
    // their local state here once in a while.
    if (queries_.size() > core_.pending().size() + 64)
        for (auto it = queries_.begin(); it != queries_.end();) {
            if (core_.pending().find(it->first) != nullptr) {
                ++it;
                continue;
            }
            finished_queries_.insert(it->first); // so a late answer is still recognised
            it = queries_.erase(it);
        }
    std::string query_id = query_id_of(message);
    if (query_id.empty())
        query_id = core_.new_id();
    if (core_.pending().find(query_id) != nullptr) {
        verdict(link, message, Outcome::dropped, "duplicate", "query_id " + query_id);
        return;
    }
    // What this node forwards or escalates carries the query id (B.9 correlation).
    HiveMessage request = forwarding_form(message);
    request.metadata().as_object().set("query_id", query_id);

    std::optional<BusMessage> bus;
    bool addressed_elsewhere = false;
    if (inner.type() == MessageType::bus) {
        try {
            bus = inner.bus_message();
        } catch (const ProtocolError&) {
            deny(link, message, kind_name, "malformed",
                 kind_name + " payload must be a nested HiveMessage");
            return;
        }
    } else if (!resolve_query_intercom(link, message, bus, addressed_elsewhere)) {
        return;
    }
    if (bus && admit_bus(link, record, *bus, message, &query_id) != BusResult::admitted)
        return;
    verdict(link, message, Outcome::allowed, {}, "query_id " + query_id);

    PendingRequest entry;
    entry.query_id = query_id;
    entry.kind = kind;
    entry.arrival = {Arrival::From::downstream, link.link_id};
    const sim::Duration lifetime =
        kind == MessageType::query ? options_.query_timeout : options_.cascade_ttl;
    entry.deadline = core_.now() + lifetime;
    entry.request = request;
    // Nothing to ask locally: the local window is already closed.
    entry.answered_locally = !bus.has_value();
    entry.timer = schedule(lifetime,
                           kind == MessageType::query ? &MasterRole::on_query_deadline
                                                      : &MasterRole::on_cascade_expired,
                           query_id);
    core_.pending().add(entry);
    QueryState state;
    state.requester = link.peer_id;
    state.no_forward = from_intercom;
    if (kind == MessageType::cascade && bus)
        state.local_window =
            schedule(options_.query_timeout, &MasterRole::on_cascade_window, query_id);
    queries_[query_id] = std::move(state);

    // Ask the agent first: an answer may complete (and erase) a QUERY right here.
    if (bus) {
        inject(link, *bus);
        if (auto answer = core_.bus().ask(*bus))
            answer_locally(query_id, *answer);
    }
    if (from_intercom)
        return; // never forwarded again (B.10)
    if (kind == MessageType::cascade) {
        forward_downstream(request, link.link_id);
        send_upstream(request);
    } else if (addressed_elsewhere) {
        // An INTERCOM for someone else goes straight up, without local injection.
        PendingRequest* pending = core_.pending().find(query_id);
        if (pending != nullptr && send_upstream(request))
            pending->escalated = true;
    }
}

void MasterRole::route_response(Link& link, const HiveMessage& message) {
    // Responses are never injected here and no ACL applies; they follow the pending entry.
    const std::string query_id = query_id_of(message);
    PendingRequest* entry = query_id.empty() ? nullptr : core_.pending().find(query_id);
    if (entry == nullptr) {
        verdict(link, message, Outcome::dropped, "unknown query", "query_id " + query_id);
        return;
    }
    verdict(link, message, Outcome::allowed, {}, "response for " + query_id);
    const PendingRequest copy = *entry;
    HiveMessage response = message;
    response.set_source_peer(std::nullopt);
    deliver_response(copy, std::move(response));
    if (copy.kind == MessageType::query)
        finish_query(query_id);
}

void MasterRole::deliver_response(const PendingRequest& entry, HiveMessage response) {
    switch (entry.arrival.from) {
    case Arrival::From::downstream: {
        Link* link = find_link(entry.arrival.link_id);
        if (link != nullptr && !link->closing)
            send_with_hop(*link, std::move(response));
        return;
    }
    case Arrival::From::upstream:
        send_upstream(response);
        return;
    case Arrival::From::local:
        if (response.payload_kind() == HiveMessage::PayloadKind::nested &&
            response.inner().type() == MessageType::bus) {
            Record entry_record;
            entry_record.kind = Kind::inject;
            entry_record.peer = "agent";
            entry_record.message = response.inner();
            core_.record(std::move(entry_record));
            core_.bus().inject(response.inner().bus_message(), "");
        }
        return;
    }
}

bool MasterRole::answer_locally(const std::string& query_id, const BusMessage& answer) {
    PendingRequest* entry = core_.pending().find(query_id);
    if (entry == nullptr || entry->answered_locally)
        return false;
    entry->answered_locally = true;
    BusMessage body = answer;
    if (!body.context().is_object())
        body.context() = Json::object();
    if (!body.context().as_object().contains("query_id"))
        body.context().as_object().set("query_id", query_id);
    HiveMessage response = HiveMessage::wrap(entry->kind, HiveMessage::bus(body));
    response.set_metadata(Json(JsonObject{{"query_id", query_id}, {"is_response", true}}));
    response.route() = entry->request.route();
    response.inner().route() = entry->request.route();
    const PendingRequest copy = *entry;
    deliver_response(copy, std::move(response));
    if (copy.kind == MessageType::query)
        finish_query(query_id);
    return true;
}

bool MasterRole::consume_query_answer(const BusMessage& message) {
    if (!message.context().is_object())
        return false;
    const Json* id = message.context().find("query_id");
    if (id == nullptr || !id->is_string() || id->as_string().empty())
        return false;
    const std::string query_id = id->as_string();
    const auto drop = [&](const std::string& reason) {
        detail::drop_agent_message(core_, message, reason, "query_id " + query_id);
        return true;
    };
    PendingRequest* entry = core_.pending().find(query_id);
    const auto state = queries_.find(query_id);
    if (entry == nullptr || state == queries_.end() ||
        entry->arrival.from != Arrival::From::downstream) {
        // Each node takes at most one answer per query; a late one is not routed either. In a
        // relay the upstream half may have completed the query (an escalated answer, a lost
        // upstream): its state here outlives the pending entry.
        if (entry == nullptr && (finished_queries_.contains(query_id) || state != queries_.end()))
            return drop("late answer");
        return false;
    }
    const std::vector<std::string> destinations =
        protocol::detail::trimmed(message.destination_list());
    if (std::find(destinations.begin(), destinations.end(), state->second.requester) ==
        destinations.end())
        return false;
    if (entry->answered_locally)
        return drop("already answered");
    answer_locally(query_id, message);
    return true;
}

HiveMessage MasterRole::timeout_response(const PendingRequest& entry) {
    const auto state = queries_.find(entry.query_id);
    const std::string requester = state != queries_.end() ? state->second.requester : "";
    const BusMessage timeout("hive.query.timeout",
                             Json(JsonObject{{"query_id", entry.query_id}, {"error", "no_answer"}}),
                             Json(JsonObject{{"source", "hive"},
                                             {"destination", requester},
                                             {"query_id", entry.query_id}}));
    HiveMessage response = HiveMessage::wrap(MessageType::query, HiveMessage::bus(timeout));
    response.set_metadata(Json(JsonObject{{"query_id", entry.query_id}, {"is_response", true}}));
    response.route() = entry.request.route();
    response.inner().route() = entry.request.route();
    return response;
}

void MasterRole::on_query_deadline(const std::string& query_id) {
    PendingRequest* entry = core_.pending().find(query_id);
    if (entry == nullptr || entry->escalated)
        return;
    entry->answered_locally = true; // the local window is over
    const auto state = queries_.find(query_id);
    const bool no_forward = state != queries_.end() && state->second.no_forward;
    if (!no_forward && send_upstream(entry->request)) {
        // A relay escalates and keeps the entry; the answer is routed back down (B.9).
        entry->escalated = true;
        Record record_entry;
        record_entry.kind = Kind::dispatch;
        record_entry.peer = state != queries_.end() ? state->second.requester : "";
        record_entry.message = entry->request;
        record_entry.detail = "query escalated";
        core_.record(std::move(record_entry));
        return;
    }
    const PendingRequest copy = *entry;
    deliver_response(copy, timeout_response(copy));
    finish_query(query_id);
}

void MasterRole::on_cascade_window(const std::string& query_id) {
    if (PendingRequest* entry = core_.pending().find(query_id))
        entry->answered_locally = true;
    const auto state = queries_.find(query_id);
    if (state != queries_.end())
        state->second.local_window = 0;
}

void MasterRole::on_cascade_expired(const std::string& query_id) {
    finish_query(query_id);
}

void MasterRole::finish_query(const std::string& query_id) {
    if (auto entry = core_.pending().take(query_id))
        core_.simulation().cancel(entry->timer);
    const auto state = queries_.find(query_id);
    if (state != queries_.end()) {
        if (state->second.local_window != 0)
            core_.simulation().cancel(state->second.local_window);
        queries_.erase(state);
    }
    finished_queries_.insert(query_id);
}

void MasterRole::upstream_lost() {
    std::vector<std::string> waiting;
    for (const PendingRequest* entry : core_.pending().all())
        if (entry->kind == MessageType::query && entry->escalated &&
            queries_.count(entry->query_id) != 0)
            waiting.push_back(entry->query_id);
    for (const auto& query_id : waiting) {
        const PendingRequest* entry = core_.pending().find(query_id);
        if (entry == nullptr)
            continue;
        const PendingRequest copy = *entry;
        deliver_response(copy, timeout_response(copy));
        finish_query(query_id);
    }
}

} // namespace hivescope::node
