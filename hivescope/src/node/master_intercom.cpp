// INTERCOM at the master half (protocol.md B.10): addressed to this node → signature verified
// against the trusted keys and every connected peer's HELLO key, decrypted, and the inner message
// dispatched as if it had arrived on the same link (never forwarded again). Top-level INTERCOMs
// not for us are dropped; inner ones travel on with their transport, unchanged.

#include "hivescope/node/master_role.hpp"

#include "detail/master_link.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/intercom.hpp"

namespace hivescope::node {

using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::MessageType;
using protocol::ProtocolError;
using record::Kind;
using record::Outcome;
using record::Record;

std::vector<std::string> MasterRole::intercom_candidates() const {
    std::vector<std::string> candidates = core_.trusted_keys();
    for (const auto& [id, link] : links_)
        if (!link->closing && link->pubkey && !link->pubkey->empty())
            candidates.push_back(*link->pubkey);
    return candidates;
}

namespace {

// The `dispatch` record naming the key that authenticated the sender.
Record opened_record(const std::string& peer, const protocol::OpenedIntercom& opened) {
    Record entry;
    entry.kind = Kind::dispatch;
    entry.peer = peer;
    entry.message = opened.inner;
    entry.detail = "intercom verified by " + opened.verifying_pem;
    return entry;
}

} // namespace

void MasterRole::handle_intercom(Link& link, const HiveMessage& message,
                                 const ClientRecord& record) {
    std::string reason;
    auto opened =
        protocol::open_intercom(message, core_.identity(), intercom_candidates(), &reason);
    if (!opened) {
        verdict(link, message, Outcome::dropped, reason);
        return;
    }
    verdict(link, message, Outcome::allowed, {}, "intercom");
    core_.record(opened_record(link.peer_id, *opened));
    opened->inner.set_source_peer(link.peer_id);
    dispatch(link, opened->inner, record, true);
}

bool MasterRole::handle_inner_intercom(Link& link, const HiveMessage& transport,
                                       const ClientRecord& record) {
    const HiveMessage& intercom = transport.inner();
    std::string reason;
    auto opened =
        protocol::open_intercom(intercom, core_.identity(), intercom_candidates(), &reason);
    if (!opened) {
        // Not ours (or, without an addressee, not openable by us): it travels on unchanged.
        if (reason == protocol::intercom_not_for_us || !intercom.target_pubkey())
            return false;
        Record entry;
        entry.kind = Kind::verdict;
        entry.peer = link.peer_id;
        entry.message = transport;
        entry.outcome = Outcome::dropped;
        entry.reason = reason;
        entry.detail = "inner intercom";
        core_.record(std::move(entry));
        return true;
    }
    core_.record(opened_record(link.peer_id, *opened));
    opened->inner.set_source_peer(link.peer_id);
    dispatch(link, opened->inner, record, true);
    return true;
}

bool MasterRole::resolve_query_intercom(Link& link, const HiveMessage& query,
                                        std::optional<BusMessage>& bus, bool& addressed_elsewhere) {
    const HiveMessage& intercom = query.inner();
    std::string reason;
    auto opened =
        protocol::open_intercom(intercom, core_.identity(), intercom_candidates(), &reason);
    if (!opened) {
        if (reason == protocol::intercom_not_for_us || !intercom.target_pubkey()) {
            addressed_elsewhere = true;
            return true;
        }
        verdict(link, query, Outcome::dropped, reason, "inner intercom");
        return false;
    }
    core_.record(opened_record(link.peer_id, *opened));
    const std::string kind_name(protocol::wire_name(query.type()));
    if (opened->inner.type() == MessageType::bus) {
        try {
            bus = opened->inner.bus_message();
            return true;
        } catch (const ProtocolError&) {
        }
    }
    // B.9: the decrypted BUS becomes the request; nothing else can be one.
    deny(link, query, kind_name, "malformed", kind_name + " payload must be a nested HiveMessage");
    return false;
}

} // namespace hivescope::node
