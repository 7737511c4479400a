#pragma once
// Preset topologies: the shapes the Python hivescope library ships, as unstarted builders. Tweak
// one with `get_master` / `get_satellite` / `get_relay`, then `start()` it.
//
// Shapes are (masters, satellites, relays) counted the Python library's way, where a relay
// counts as a master and as a satellite too: single (1,1,0), admin (1,1,0), three (1,3,0),
// with_relay (2,3,1), chain (2,2,1), star (1,5,0), acl (1,3,0), hierarchical (3,4,2).

#include "hivescope/topology/topology_builder.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace hivescope::scenarios {

using Types = std::vector<std::string>;

/// M0 with one satellite S0 allowed to inject `allowed_types`.
[[nodiscard]] topology::TopologyBuilder single_satellite(Types allowed_types = {});
/// As single_satellite, with S0 an admin (it may use session `default`; allowed_types still
/// applies, B.4).
[[nodiscard]] topology::TopologyBuilder admin_satellite(Types allowed_types = {});
/// M0 with satellites S0, S1, S2.
[[nodiscard]] topology::TopologyBuilder three_satellites(Types allowed_types = {});
/// M0 ← R0 ← {S0, S1}.
[[nodiscard]] topology::TopologyBuilder with_relay(Types allowed_types = {});
/// M0 ← R1 ← … ← R<relays> ← S0: a chain of `relays` relays (default 1: M0 ← R1 ← S0).
[[nodiscard]] topology::TopologyBuilder chain_topology(std::size_t relays = 1,
                                                       Types allowed_types = {});
/// M0 with satellites S0 … S<n-1>.
[[nodiscard]] topology::TopologyBuilder star_topology(std::size_t satellites = 5,
                                                      Types allowed_types = {});
/// M0 with S_ADMIN (admin), S_RESTRICTED_MSG (message_blacklist speak, notification) and
/// S_RESTRICTED_SKILL (skill_blacklist mycroft.volume.skill).
[[nodiscard]] topology::TopologyBuilder with_acl_enforcement(Types allowed_types = {});
/// M0 ← R1 ← … ← R<levels-1>, with `sats_per_relay` satellites S0… under the last relay.
[[nodiscard]] topology::TopologyBuilder
hierarchical_hubs(std::size_t levels = 3, std::size_t sats_per_relay = 2, Types allowed_types = {});
/// single_satellite whose master's agent is set up by `configure_agent` after start (the
/// builder carries no agent; call it on `hive.master("M0").agent()`).
[[nodiscard]] topology::TopologyBuilder with_multiple_agent_protocols(Types allowed_types = {});
/// A full tree: M0 at the root, relays inside, satellites at depth `depth`, every inner node
/// with `branching` children. Names: R<path> for relays, S<path> for satellites.
[[nodiscard]] topology::TopologyBuilder tree(std::size_t depth, std::size_t branching,
                                             Types allowed_types = {});

/// (masters, satellites, relays) of a builder, counting relays the Python library's way.
struct Shape {
    std::size_t masters = 0;
    std::size_t satellites = 0;
    std::size_t relays = 0;
    friend bool operator==(const Shape&, const Shape&) = default;
};
[[nodiscard]] Shape shape_of(const topology::TopologyBuilder& builder);

} // namespace hivescope::scenarios
