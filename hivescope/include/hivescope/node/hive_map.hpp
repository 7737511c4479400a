#pragma once
// What a node learned from PING floods (protocol.md B.8): every node seen, with site, timing and
// extra fields, and the directed edges along the paths the pings took.

#include "hivescope/protocol/json.hpp"
#include "hivescope/sim/clock.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hivescope::node {

/// One (flood id, peer) observation.
struct HiveMapEntry {
    std::string flood_id;
    std::string peer; ///< node id of the PING's sender
    std::string site_id;
    double timestamp = 0; ///< the PING's timestamp, seconds of virtual time
    sim::VirtualTime received_at{0};
    double latency_ms = 0;
    protocol::Json extra =
        protocol::Json::object(); ///< other payload fields (public_key, lang, ...)
};

/// A node's map of the hive.
class HiveMap {
  public:
    /// Records a PING observation once per (flood id, peer); returns false if already known.
    bool observe(HiveMapEntry entry);
    /// Adds edges `path[0] → path[1] → …`, collapsing consecutive repeats.
    void add_path(const std::vector<std::string>& path);

    /// Every node id seen, in name order.
    [[nodiscard]] std::set<std::string> nodes() const;
    [[nodiscard]] const std::set<std::pair<std::string, std::string>>& edges() const noexcept {
        return edges_;
    }
    /// Observations in (flood id, peer) order.
    [[nodiscard]] const std::map<std::pair<std::string, std::string>, HiveMapEntry>&
    entries() const noexcept {
        return entries_;
    }
    /// The latest observation of `peer`, or nullptr.
    [[nodiscard]] const HiveMapEntry* find(const std::string& peer) const;

  private:
    std::map<std::pair<std::string, std::string>, HiveMapEntry> entries_;
    std::set<std::pair<std::string, std::string>> edges_;
};

} // namespace hivescope::node
