#include "hivescope/sim/frame.hpp"

#include "protocol/detail/pooled_allocator.hpp"

namespace hivescope::sim {

// Frames are kept by the records on both sides of a hop until the hive goes: the shared
// string (not its bytes) is pooled, with its control block.
Frame::Frame(Kind kind_in, std::string content)
    : kind(kind_in),
      data_(protocol::detail::make_pooled_shared<const std::string>(std::move(content))) {}

} // namespace hivescope::sim
