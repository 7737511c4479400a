#include "hivescope/catch2/node_matchers.hpp"

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"

#include <algorithm>

namespace hivescope::matchers {

namespace {

constexpr std::size_t max_listed_clients = 6;

std::string client_list(const std::vector<node::ConnectedClient>& clients) {
    if (clients.empty())
        return "none";
    std::string out;
    const std::size_t shown = std::min(clients.size(), max_listed_clients);
    for (std::size_t i = 0; i < shown; ++i)
        out += (i == 0 ? "" : ", ") + clients[i].peer_id;
    if (shown < clients.size())
        out += ", +" + std::to_string(clients.size() - shown) + " more";
    return out;
}

std::string link_state(const node::SatelliteRole& link) {
    std::string out = "link is " + std::string(node::to_string(link.state()));
    if (const auto& failure = link.failure()) {
        out += " (" + std::string(node::to_string(failure->kind)) + ", " +
               std::to_string(failure->close.code);
        if (!failure->close.reason.empty())
            out += " " + failure->close.reason;
        out += ")";
    }
    return out;
}

template <typename Enum, typename Name>
std::string optional_name(const std::optional<Enum>& value, Name name, std::string_view none) {
    return value ? std::string(name(*value)) : std::string(none);
}

std::string link_settings(const std::optional<protocol::Cipher>& cipher,
                          const std::optional<protocol::Encoding>& encoding, bool binarize) {
    return optional_name(
               cipher, [](protocol::Cipher c) { return protocol::wire_name(c); }, "no cipher") +
           ", " +
           optional_name(
               encoding, [](protocol::Encoding e) { return protocol::wire_name(e); },
               "no encoding") +
           ", binarize " + (binarize ? "on" : "off");
}

} // namespace

// ---- NodeRef --------------------------------------------------------------------------------

const std::string& NodeRef::name() const noexcept {
    if (satellite_ != nullptr)
        return satellite_->node_id();
    if (relay_ != nullptr)
        return relay_->node_id();
    return master_->node_id();
}

std::string_view NodeRef::kind() const noexcept {
    return satellite_ != nullptr ? "satellite" : relay_ != nullptr ? "relay" : "master";
}

const node::SatelliteRole* NodeRef::upstream() const noexcept {
    if (satellite_ != nullptr)
        return &satellite_->role();
    // RelayNode offers its halves only non-const; reading their state changes nothing.
    if (relay_ != nullptr)
        return &const_cast<node::RelayNode*>(relay_)->satellite();
    return nullptr;
}

std::vector<node::ConnectedClient> NodeRef::clients() const {
    if (master_ != nullptr)
        return master_->clients();
    if (relay_ != nullptr)
        return const_cast<node::RelayNode*>(relay_)->master().clients();
    return {};
}

namespace detail {

// ---- HandshakeComplete ----------------------------------------------------------------------

bool HandshakeCompleteMatcher::match(const NodeRef& node) const {
    m_cachedToString.clear();
    if (const node::SatelliteRole* link = node.upstream()) {
        serves_clients_ = false;
        observed_ = link_state(*link);
        return link->handshake_complete();
    }
    serves_clients_ = true;
    const auto clients = node.clients();
    std::vector<node::ConnectedClient> pending;
    std::copy_if(clients.begin(), clients.end(), std::back_inserter(pending),
                 [](const node::ConnectedClient& client) { return !client.handshake_complete; });
    if (clients.empty()) {
        observed_ = "no clients";
        return false;
    }
    observed_ = std::to_string(clients.size() - pending.size()) + " of " +
                std::to_string(clients.size()) + " complete";
    if (!pending.empty())
        observed_ += "; pending: " + client_list(pending);
    return pending.empty();
}

std::string HandshakeCompleteMatcher::describe() const {
    const std::string phrase = serves_clients_ ? "has completed the handshake with every client"
                                               : "has completed its handshake";
    return observed_.empty() ? phrase : phrase + " (" + observed_ + ")";
}

// ---- EncryptionMatches ----------------------------------------------------------------------

bool EncryptionMatchesMatcher::match(const NodeRef& node) const {
    m_cachedToString.clear();
    // Whichever of the two is the client of the other.
    const auto is_client_of = [](const NodeRef& client, const NodeRef& server) {
        return client.upstream() != nullptr && server.serves_clients() &&
               client.upstream()->master_node_id() == server.name();
    };
    const NodeRef* client = nullptr;
    const NodeRef* server = nullptr;
    if (is_client_of(node, other_)) {
        client = &node;
        server = &other_;
    } else if (is_client_of(other_, node)) {
        client = &other_;
        server = &node;
    } else {
        observed_ = node.name() + " and " + other_.name() + " share no link";
        for (const NodeRef* side : {&node, &other_}) {
            if (side->upstream() != nullptr && !side->upstream()->master_node_id().empty())
                observed_ +=
                    "; " + side->name() + "'s master is " + side->upstream()->master_node_id();
        }
        return false;
    }
    const node::SatelliteRole& link = *client->upstream();
    if (!link.handshake_complete()) {
        observed_ = client->name() + "'s " + link_state(link);
        return false;
    }
    const auto clients = server->clients();
    const auto entry =
        std::find_if(clients.begin(), clients.end(), [&link](const node::ConnectedClient& c) {
            return c.peer_id == link.peer_id();
        });
    const std::string client_side =
        client->name() + ": " + link_settings(link.cipher(), link.encoding(), link.binarize());
    if (entry == clients.end()) {
        observed_ = client_side + "; " + server->name() + " has no client " + link.peer_id();
        return false;
    }
    observed_ = client_side + "; " + server->name() + ": " +
                link_settings(entry->cipher, entry->encoding, entry->binarize);
    return link.cipher() == entry->cipher && link.encoding() == entry->encoding &&
           link.binarize() == entry->binarize;
}

std::string EncryptionMatchesMatcher::describe() const {
    const std::string phrase = "uses the same cipher, encoding and binarize as " + other_.name();
    return observed_.empty() ? phrase : phrase + " (" + observed_ + ")";
}

// ---- ConnectedTo ----------------------------------------------------------------------------

bool ConnectedToMatcher::match(const NodeRef& node) const {
    m_cachedToString.clear();
    const node::SatelliteRole* link = node.upstream();
    if (link == nullptr) {
        observed_ = node.name() + " is a master: it has no upstream link";
        return false;
    }
    std::vector<std::string> problems;
    if (!link->handshake_complete())
        problems.push_back(link_state(*link));
    if (link->master_node_id() != master_.name())
        problems.push_back(link->master_node_id().empty()
                               ? "no master hello yet"
                               : "its master is " + link->master_node_id());
    const auto clients = master_.clients();
    const bool listed = !link->peer_id().empty() &&
                        std::any_of(clients.begin(), clients.end(), [&](const auto& client) {
                            return client.registered && client.peer_id == link->peer_id();
                        });
    if (!listed)
        problems.push_back(master_.name() + "'s clients: " + client_list(clients));
    if (problems.empty()) {
        observed_ = "link is ready; " + master_.name() + " lists " + link->peer_id();
        return true;
    }
    observed_.clear();
    for (const auto& problem : problems)
        observed_ += (observed_.empty() ? "" : "; ") + problem;
    return false;
}

std::string ConnectedToMatcher::describe() const {
    const std::string phrase = "is connected to " + master_.name();
    return observed_.empty() ? phrase : phrase + " (" + observed_ + ")";
}

// ---- ClientRegistered -----------------------------------------------------------------------

bool ClientRegisteredMatcher::match(const NodeRef& node) const {
    m_cachedToString.clear();
    if (!node.serves_clients()) {
        observed_ = node.name() + " is a " + std::string(node.kind()) + ": it has no clients";
        return false;
    }
    const auto clients = node.clients();
    std::vector<node::ConnectedClient> registered;
    std::copy_if(clients.begin(), clients.end(), std::back_inserter(registered),
                 [](const node::ConnectedClient& client) { return client.registered; });
    const auto found = std::find_if(registered.begin(), registered.end(),
                                    [this](const auto& c) { return peer_.matches(c.peer_id); });
    if (found != registered.end()) {
        observed_ = "registered as " + found->peer_id;
        return true;
    }
    observed_ = "registered: " + client_list(registered);
    const auto unregistered =
        std::find_if(clients.begin(), clients.end(), [this](const node::ConnectedClient& c) {
            return !c.registered && peer_.matches(c.peer_id);
        });
    if (unregistered != clients.end())
        observed_ += "; " + unregistered->peer_id + " is connected but not registered";
    return false;
}

std::string ClientRegisteredMatcher::describe() const {
    const std::string phrase = "has registered client " + peer_.label();
    return observed_.empty() ? phrase : phrase + " (" + observed_ + ")";
}

} // namespace detail

// ---- factories ------------------------------------------------------------------------------

detail::HandshakeCompleteMatcher HandshakeComplete() {
    return {};
}

detail::EncryptionMatchesMatcher EncryptionMatches(NodeRef other) {
    return detail::EncryptionMatchesMatcher(other);
}

detail::ConnectedToMatcher ConnectedTo(NodeRef master) {
    return detail::ConnectedToMatcher(master);
}

detail::ClientRegisteredMatcher ClientRegistered(Peer peer) {
    return detail::ClientRegisteredMatcher(std::move(peer));
}

} // namespace hivescope::matchers
