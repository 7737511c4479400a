#pragma once

#include "bench_harness.hpp"

namespace hivescope::bench {

/// Simulated-hive benchmarks: BUS hops per second, start-up of large presets, memory per
/// connected satellite, and the handshake / routing cost split.
void run_simulation_benchmarks(Runner& runner);

} // namespace hivescope::bench
