#pragma once

#include "bench_harness.hpp"

namespace hivescope::bench {

/// JSON, binary, crypto and handshake benchmarks for the protocol core.
void run_protocol_benchmarks(Runner& runner);

} // namespace hivescope::bench
