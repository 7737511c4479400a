// hivescope-bench: ns per operation for the protocol core's hot paths (`make bench`).
// `hivescope-bench [protocol|sim|loopback]...` runs only the named groups.

#include "bench_harness.hpp"
#include "loopback_bench.hpp"
#include "protocol_bench.hpp"
#include "sim_bench.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    const std::vector<std::string_view> groups(argv + 1, argv + argc);
    const auto selected = [&groups](std::string_view group) {
        return groups.empty() || std::find(groups.begin(), groups.end(), group) != groups.end();
    };
    std::printf("hivescope protocol benchmarks (median of 9 batches, release build)\n\n");
    hivescope::bench::Runner runner;
    if (selected("protocol"))
        hivescope::bench::run_protocol_benchmarks(runner);
    if (selected("sim"))
        hivescope::bench::run_simulation_benchmarks(runner);
    if (selected("loopback"))
        hivescope::bench::run_loopback_benchmarks(runner);
    return 0;
}
