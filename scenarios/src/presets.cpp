#include "hivescope/scenarios/presets.hpp"

#include <functional>

namespace hivescope::scenarios {

using topology::ClientAcl;
using topology::RelaySpec;
using topology::SatelliteSpec;
using topology::TopologyBuilder;

namespace {

SatelliteSpec satellite(const Types& allowed_types, bool is_admin = false) {
    SatelliteSpec spec;
    spec.acl.allowed_types = allowed_types;
    spec.acl.is_admin = is_admin;
    return spec;
}

RelaySpec relay(const Types& allowed_types) {
    RelaySpec spec;
    spec.acl.allowed_types = allowed_types;
    return spec;
}

} // namespace

TopologyBuilder single_satellite(Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0").add_satellite("S0", "M0", satellite(allowed_types));
    return builder;
}

TopologyBuilder admin_satellite(Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0").add_satellite("S0", "M0", satellite(allowed_types, true));
    return builder;
}

TopologyBuilder three_satellites(Types allowed_types) {
    return star_topology(3, std::move(allowed_types));
}

TopologyBuilder with_relay(Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0")
        .add_relay("R0", "M0", relay(allowed_types))
        .add_satellite("S0", "R0", satellite(allowed_types))
        .add_satellite("S1", "R0", satellite(allowed_types));
    return builder;
}

TopologyBuilder chain_topology(std::size_t relays, Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0");
    std::string upstream = "M0";
    for (std::size_t level = 1; level <= relays; ++level) {
        const std::string name = "R" + std::to_string(level);
        builder.add_relay(name, upstream, relay(allowed_types));
        upstream = name;
    }
    builder.add_satellite("S0", upstream, satellite(allowed_types));
    return builder;
}

TopologyBuilder star_topology(std::size_t satellites, Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0");
    for (std::size_t i = 0; i < satellites; ++i)
        builder.add_satellite("S" + std::to_string(i), "M0", satellite(allowed_types));
    return builder;
}

TopologyBuilder with_acl_enforcement(Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0");
    builder.add_satellite("S_ADMIN", "M0", satellite(allowed_types, true));
    SatelliteSpec restricted_messages = satellite(allowed_types);
    restricted_messages.acl.message_blacklist = {"speak", "notification"};
    builder.add_satellite("S_RESTRICTED_MSG", "M0", restricted_messages);
    SatelliteSpec restricted_skills = satellite(allowed_types);
    restricted_skills.acl.skill_blacklist = {"mycroft.volume.skill"};
    builder.add_satellite("S_RESTRICTED_SKILL", "M0", restricted_skills);
    return builder;
}

TopologyBuilder hierarchical_hubs(std::size_t levels, std::size_t sats_per_relay,
                                  Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0");
    std::string upstream = "M0";
    for (std::size_t level = 1; level < levels; ++level) {
        const std::string name = "R" + std::to_string(level);
        builder.add_relay(name, upstream, relay(allowed_types));
        upstream = name;
    }
    for (std::size_t i = 0; i < sats_per_relay; ++i)
        builder.add_satellite("S" + std::to_string(i), upstream, satellite(allowed_types));
    return builder;
}

TopologyBuilder with_multiple_agent_protocols(Types allowed_types) {
    return single_satellite(std::move(allowed_types));
}

TopologyBuilder tree(std::size_t depth, std::size_t branching, Types allowed_types) {
    TopologyBuilder builder;
    builder.add_master("M0");
    // Children of `parent` at `level` (1 = the root's children); `path` names the position.
    std::function<void(const std::string&, const std::string&, std::size_t)> grow =
        [&](const std::string& parent, const std::string& path, std::size_t level) {
            for (std::size_t i = 0; i < branching; ++i) {
                const std::string position = path + (path.empty() ? "" : ".") + std::to_string(i);
                if (level == depth) {
                    builder.add_satellite("S" + position, parent, satellite(allowed_types));
                } else {
                    const std::string name = "R" + position;
                    builder.add_relay(name, parent, relay(allowed_types));
                    grow(name, position, level + 1);
                }
            }
        };
    if (depth > 0)
        grow("M0", "", 1);
    return builder;
}

Shape shape_of(const TopologyBuilder& builder) {
    return {builder.masters() + builder.relays(), builder.satellites() + builder.relays(),
            builder.relays()};
}

} // namespace hivescope::scenarios
