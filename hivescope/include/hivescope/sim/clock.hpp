#pragma once
// Virtual time. Nothing in the simulator reads the wall clock: time only moves when the event
// queue delivers the next event.

#include <chrono>
#include <cstdint>
#include <string>

namespace hivescope::sim {

/// A span of virtual time.
using Duration = std::chrono::nanoseconds;
/// A point in virtual time, counted from the simulation's start.
using VirtualTime = std::chrono::nanoseconds;

/// Virtual time as seconds (the PING `timestamp` form).
[[nodiscard]] inline double to_seconds(VirtualTime t) noexcept {
    return std::chrono::duration<double>(t).count();
}

/// `12.345ms`-style rendering for traces.
[[nodiscard]] std::string format_time(VirtualTime t);

} // namespace hivescope::sim
