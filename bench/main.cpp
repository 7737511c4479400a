// hivescope-bench: ns per operation for the protocol core's hot paths (`make bench`).

#include "bench_harness.hpp"
#include "loopback_bench.hpp"
#include "protocol_bench.hpp"
#include "sim_bench.hpp"

#include <cstdio>

int main() {
    std::printf("hivescope protocol benchmarks (median of 9 batches, release build)\n\n");
    hivescope::bench::Runner runner;
    hivescope::bench::run_protocol_benchmarks(runner);
    hivescope::bench::run_simulation_benchmarks(runner);
    hivescope::bench::run_loopback_benchmarks(runner);
    return 0;
}
