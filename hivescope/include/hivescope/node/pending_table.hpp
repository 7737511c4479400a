#pragma once
// Requests a node waits on (protocol.md B.9): QUERY and CASCADE by query id, with the link they
// arrived on and their virtual deadline, so answers go back to the requester only.

#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/sim/simulation.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace hivescope::node {

/// Where a request came from: a downstream client link, the upstream link, or this node itself.
struct Arrival {
    enum class From : std::uint8_t { local, downstream, upstream };
    From from = From::local;
    std::uint64_t link_id = 0; ///< the downstream link (From::downstream only)

    friend bool operator==(const Arrival&, const Arrival&) = default;
};

/// One request in flight.
struct PendingRequest {
    std::string query_id;
    protocol::MessageType kind = protocol::MessageType::query; ///< query or cascade
    Arrival arrival;
    sim::VirtualTime deadline{0};
    sim::EventId timer = 0; ///< the deadline event, cancelled on completion
    protocol::HiveMessage request = protocol::HiveMessage(protocol::MessageType::ping);
    bool answered_locally = false; ///< this node already gave its one answer
    bool escalated = false;        ///< sent upstream after the local deadline (QUERY)
};

/// The pending requests of one node, ordered by query id (deterministic iteration).
class PendingTable {
  public:
    /// Adds a request; returns false (and changes nothing) if its id is already pending.
    bool add(PendingRequest request);
    [[nodiscard]] PendingRequest* find(const std::string& query_id);
    /// Removes and returns the request, if present.
    std::optional<PendingRequest> take(const std::string& query_id);
    /// The oldest pending QUERY that arrived from `arrival` (for answers without a query id).
    [[nodiscard]] PendingRequest* oldest_query_from(const Arrival& arrival);
    /// Removes every request that arrived on `arrival`, returning them in insertion order.
    std::vector<PendingRequest> take_all_from(const Arrival& arrival);
    /// Every request, in insertion order.
    [[nodiscard]] std::vector<const PendingRequest*> all() const;
    [[nodiscard]] std::size_t size() const noexcept { return requests_.size(); }

  private:
    std::map<std::string, PendingRequest> requests_;
    std::map<std::uint64_t, std::string> order_; // insertion sequence → query id
    std::uint64_t next_sequence_ = 0;
};

} // namespace hivescope::node
