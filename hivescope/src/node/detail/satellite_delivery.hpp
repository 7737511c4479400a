#pragma once
// How an inbound message reached a satellite role: straight off the link, or unwrapped from an
// INTERCOM (B.10 step 4: dispatched as if it had arrived on the link, never forwarded again).

#include "hivescope/node/satellite_role.hpp"

#include <string>

namespace hivescope::node {

struct SatelliteRole::Delivery {
    bool forward = true;       ///< may be forwarded downstream (false inside an INTERCOM)
    std::string verifying_pem; ///< the INTERCOM signer, set only for INTERCOM contents

    [[nodiscard]] static Delivery top_level() { return {}; }
    [[nodiscard]] static Delivery from_intercom(std::string pem) { return {false, std::move(pem)}; }
};

} // namespace hivescope::node
