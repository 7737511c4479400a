#pragma once

#include "bench_harness.hpp"

namespace hivescope::bench {

/// Real-socket benchmarks (127.0.0.1): full handshakes per second against a loopback master, and
/// BUS round trips per second (satellite → master agent → satellite) with 1, 10 and 100
/// connected satellites.
void run_loopback_benchmarks(Runner& runner);

} // namespace hivescope::bench
