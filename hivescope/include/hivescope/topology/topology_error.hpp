#pragma once

#include <stdexcept>

namespace hivescope::topology {

/// What went wrong describing, starting or querying a topology; the message names the node and
/// lists the nodes that exist.
class TopologyError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

} // namespace hivescope::topology
