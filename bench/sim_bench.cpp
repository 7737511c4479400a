#include "sim_bench.hpp"

#include "hivescope/scenarios/presets.hpp"

#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <string>

namespace hivescope::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Heap bytes in use (glibc): unlike RSS, it does not hide allocations in pages freed earlier.
long heap_bytes() {
    return static_cast<long>(mallinfo2().uordblks);
}

// Large simulated hives use a low PBKDF2 count and skip satellite RSA keys: both are explicit
// options of the hive, printed with the figures.
topology::TopologyBuilder large(topology::TopologyBuilder builder) {
    builder.options().kdf_iterations = 1000;
    builder.options().satellite_pubkeys = false;
    return builder;
}

} // namespace

void run_simulation_benchmarks(Runner& runner) {
    (void)runner;
    std::printf("\nsimulated hive (PBKDF2 1000 iterations, satellites without RSA keys)\n");

    {
        // Satellite → master BUS hops with AES-GCM + JSON-HEX, the protocol's default link.
        auto builder = large(scenarios::single_satellite({"recognizer_loop:utterance"}));
        builder.get_satellite("S0").options.encodings = {"JSON-HEX"};
        builder.get_satellite("S0").options.ciphers = {"AES-GCM"};
        auto hive = builder.start();
        auto& satellite = hive.satellite("S0");
        const protocol::BusMessage utterance(
            "recognizer_loop:utterance",
            protocol::JsonObject{{"utterances", protocol::JsonArray{"what time is it"}}});
        constexpr int messages = 20000;
        const auto start = clock_type::now();
        for (int i = 0; i < messages; ++i) {
            satellite.send_bus(utterance);
            if (i % 256 == 255)
                hive.run_until_idle();
        }
        hive.run_until_idle();
        const double elapsed = seconds_since(start);
        const auto injected = hive.master("M0").agent().injected().size();
        std::printf("%-58s %12.0f hops/s  (%zu injected, %.3f s)\n",
                    "sim: BUS hop satellite→master, AES-GCM JSON-HEX", messages / elapsed, injected,
                    elapsed);
    }

    for (const std::size_t satellites : {100u, 1000u}) {
        const long before = heap_bytes();
        const auto start = clock_type::now();
        auto hive = large(scenarios::star_topology(satellites)).start();
        const double elapsed = seconds_since(start);
        const long after = heap_bytes();
        std::printf("%-58s %12.3f s  %8.1f KiB/satellite  (%llu events)\n",
                    ("sim: start star_topology(" + std::to_string(satellites) + ")").c_str(),
                    elapsed,
                    static_cast<double>(after - before) / 1024.0 / static_cast<double>(satellites),
                    static_cast<unsigned long long>(hive.simulation().events_run()));
    }

    {
        const auto start = clock_type::now();
        auto hive = large(scenarios::hierarchical_hubs(5, 10)).start();
        std::printf("%-58s %12.3f s  (%llu events)\n", "sim: start hierarchical_hubs(5, 10)",
                    seconds_since(start),
                    static_cast<unsigned long long>(hive.simulation().events_run()));
    }

    {
        // The real PBKDF2 count, each derivation shared by the link's two simulated ends.
        auto builder = scenarios::star_topology(100);
        builder.options().satellite_pubkeys = false;
        const auto start = clock_type::now();
        auto hive = builder.start();
        std::printf("%-58s %12.3f s  (%llu derivations, %llu shared)\n",
                    "sim: start star_topology(100) at the real KDF count", seconds_since(start),
                    static_cast<unsigned long long>(hive.kdf_cache()->misses()),
                    static_cast<unsigned long long>(hive.kdf_cache()->hits()));
    }

    {
        // Cost split: one satellite's full handshake at the real PBKDF2 count vs. one BUS hop.
        auto builder = scenarios::single_satellite({"x"});
        builder.options().satellite_pubkeys = false;
        const auto start = clock_type::now();
        auto hive = builder.start();
        const double handshake = seconds_since(start);
        std::printf("%-58s %12.3f ms (PBKDF2 100000 on both ends + master RSA key)\n",
                    "sim: start single_satellite at the real KDF count", handshake * 1000);
    }
}

} // namespace hivescope::bench
