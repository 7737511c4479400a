#include "sim_bench.hpp"

#include "hivescope/scenarios/presets.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <memory>
#include <string>
#include <vector>

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
        // Satellite → master BUS hops with AES-GCM + JSON-HEX, the protocol's default link. Each
        // run is a fresh hive (its records start empty). The first run grows the process heap,
        // and pays the kernel's page faults for every byte it keeps; later runs reuse the memory
        // the earlier hives gave back, as a test binary's later scenarios do. Both are reported;
        // the later ones as a median, since one 0.2 s run moves by ±15% with the machine's load.
        constexpr int messages = 20000;
        constexpr int runs = 6;
        std::vector<double> rates;
        std::vector<double> retained;
        std::vector<double> teardowns;
        std::size_t injected = 0;
        for (int run = 0; run < runs; ++run) {
            // Destroying a hive frees every record it kept: a test pays it at the end of each
            // section, so it is timed as well.
            clock_type::time_point teardown_start;
            {
                auto builder = large(scenarios::single_satellite({"recognizer_loop:utterance"}));
                builder.get_satellite("S0").options.encodings = {"JSON-HEX"};
                builder.get_satellite("S0").options.ciphers = {"AES-GCM"};
                auto hive = builder.start();
                auto& satellite = hive.satellite("S0");
                const protocol::BusMessage utterance(
                    "recognizer_loop:utterance",
                    protocol::JsonObject{{"utterances", protocol::JsonArray{"what time is it"}}});
                hive.run_until_idle();
                const long heap_before = heap_bytes();
                const auto start = clock_type::now();
                for (int i = 0; i < messages; ++i) {
                    satellite.send_bus(utterance);
                    if (i % 256 == 255)
                        hive.run_until_idle();
                }
                hive.run_until_idle();
                rates.push_back(messages / seconds_since(start));
                retained.push_back(static_cast<double>(heap_bytes() - heap_before) / messages);
                injected = hive.master("M0").agent().injected().size();
                teardown_start = clock_type::now();
            }
            teardowns.push_back(seconds_since(teardown_start) / messages);
        }
        const double cold = rates.front();
        std::vector<double> warm(rates.begin() + 1, rates.end());
        std::sort(warm.begin(), warm.end());
        std::sort(retained.begin(), retained.end());
        std::printf("%-58s %12.0f hops/s  (first hive in the process; %zu injected)\n",
                    "sim: BUS hop satellite→master, AES-GCM JSON-HEX, cold heap", cold, injected);
        std::printf("%-58s %12.0f hops/s  (median of %zu later hives, range %.0f-%.0f)\n",
                    "sim: BUS hop satellite→master, AES-GCM JSON-HEX, warm heap",
                    warm[warm.size() / 2], warm.size(), warm.front(), warm.back());
        // Everything a hop records is kept (both nodes' records, frames, decoded messages, the
        // agent's copy): this is the heap it adds, which the hop pays for in page faults.
        std::printf("%-58s %12.0f bytes/hop\n", "sim: heap kept per BUS hop (records + agent)",
                    retained[retained.size() / 2]);
        std::sort(teardowns.begin(), teardowns.end());
        std::printf("%-58s %12.2f µs/hop  (destroying the hive, median of %zu)\n",
                    "sim: teardown per BUS hop kept", teardowns[teardowns.size() / 2] * 1e6,
                    teardowns.size());
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

    {
        // Keys made on every hardware thread at start, or one by one during the handshakes.
        for (const bool parallel : {false, true}) {
            auto builder = scenarios::star_topology(8);
            builder.options().kdf_iterations = 1000;
            builder.options().parallel_key_generation = parallel;
            builder.options().key_cache = std::make_shared<protocol::RsaKeyCache>();
            const auto start = clock_type::now();
            auto hive = builder.start();
            std::printf("%-58s %12.3f s  (%llu RSA keys, %s)\n",
                        "sim: start star_topology(8) with satellite keys", seconds_since(start),
                        static_cast<unsigned long long>(hive.key_cache()->misses()),
                        parallel ? "in parallel" : "one by one");
        }
    }

    {
        // A test section starts its preset afresh, with the default options (real PBKDF2 count,
        // satellite RSA keys). The keys depend only on the seed and node ids, so a key cache
        // shared by the sections (the Catch2 listener's) generates them once.
        const auto cache = std::make_shared<protocol::RsaKeyCache>();
        for (const char* state : {"cold", "warm"}) {
            auto builder = scenarios::single_satellite({"x"});
            builder.options().key_cache = cache;
            const auto start = clock_type::now();
            auto hive = builder.start();
            std::printf(
                "%-58s %12.3f ms (%llu keys generated, %llu reused)\n",
                (std::string("sim: start single_satellite, defaults, key cache ") + state).c_str(),
                seconds_since(start) * 1000, static_cast<unsigned long long>(cache->misses()),
                static_cast<unsigned long long>(cache->hits()));
        }
    }
}

} // namespace hivescope::bench
