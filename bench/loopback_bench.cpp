#include "loopback_bench.hpp"

#include "hivescope/topology/topology_builder.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace hivescope::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Handshakes over the socket use the master's own PBKDF2 count: lowered here on purpose (and
// printed), so the figure is the transport and protocol cost rather than 2 x 100000 SHA-256
// rounds per handshake.
constexpr unsigned bench_kdf_iterations = 1000;

topology::Hive loopback_star(std::size_t satellites) {
    topology::TopologyBuilder builder;
    builder.options().satellite_pubkeys = false;
    topology::MasterSpec master;
    master.use_loopback = true;
    master.options.kdf_iterations = bench_kdf_iterations;
    builder.add_master("M0", master);
    topology::SatelliteSpec spec;
    spec.acl.allowed_types = {"bench.ping"};
    for (std::size_t i = 0; i < satellites; ++i)
        builder.add_satellite("S" + std::to_string(i), "M0", spec);
    return builder.start();
}

std::string name_of(std::size_t i) {
    return "S" + std::to_string(i);
}

std::size_t registered(topology::Hive& hive) {
    std::size_t n = 0;
    for (const auto& client : hive.master("M0").clients())
        n += client.registered ? 1 : 0;
    return n;
}

/// Disconnects every satellite and waits until the master and the transport let go.
bool drop_all(topology::Hive& hive, std::size_t satellites) {
    for (std::size_t i = 0; i < satellites; ++i)
        hive.satellite(name_of(i)).disconnect();
    return hive.run_until(
        [&] {
            return hive.master("M0").clients().empty() &&
                   hive.network().loopback().live_sessions() == 0;
        },
        30s);
}

void handshakes(std::size_t satellites) {
    auto hive = loopback_star(satellites);
    // Concurrent: every satellite reconnects at once; timed until every HELLO is registered.
    constexpr int waves = 3;
    double elapsed = 0;
    for (int wave = 0; wave < waves; ++wave) {
        if (!drop_all(hive, satellites)) {
            std::printf("loopback: handshakes: the satellites did not disconnect\n");
            return;
        }
        const auto start = clock_type::now();
        for (std::size_t i = 0; i < satellites; ++i)
            hive.satellite(name_of(i)).connect();
        // Cheap checks first: the predicate runs before every event.
        const auto all_registered = [&] {
            for (std::size_t i = 0; i < satellites; ++i)
                if (!hive.satellite(name_of(i)).handshake_complete())
                    return false;
            return registered(hive) == satellites;
        };
        if (!hive.run_until(all_registered, 60s)) {
            std::printf("loopback: handshakes: wave %d did not complete\n", wave);
            return;
        }
        elapsed += seconds_since(start);
    }
    const double per_second = static_cast<double>(satellites * waves) / elapsed;
    std::printf(
        "%-58s %12.0f hs/s   (%d waves of %zu, PBKDF2 %u)\n",
        ("loopback: concurrent handshakes, " + std::to_string(satellites) + " clients").c_str(),
        per_second, waves, satellites, bench_kdf_iterations);

    // Sequential: one satellite, connect → registered → disconnect, back to back.
    drop_all(hive, satellites);
    auto& one = hive.satellite(name_of(0));
    int rounds = 0;
    const auto start = clock_type::now();
    while (seconds_since(start) < 1.0 && rounds < 2000) {
        one.connect();
        if (!hive.run_until([&] { return registered(hive) == 1; }, 10s))
            break;
        one.disconnect();
        if (!hive.run_until([&] { return hive.master("M0").clients().empty(); }, 10s))
            break;
        ++rounds;
    }
    const double sequential = seconds_since(start);
    std::printf("%-58s %12.0f hs/s   (%.2f ms each incl. close, PBKDF2 %u)\n",
                "loopback: sequential handshakes, 1 client", rounds / sequential,
                sequential * 1000 / std::max(rounds, 1), bench_kdf_iterations);
}

void round_trips(std::size_t satellites) {
    auto hive = loopback_star(satellites);
    auto& agent = hive.master("M0").agent();
    agent.on("bench.ping", [&agent](const protocol::BusMessage& request) {
        agent.emit(request.reply("bench.pong", protocol::Json(protocol::JsonObject{})));
    });
    std::size_t received = 0;
    for (std::size_t i = 0; i < satellites; ++i)
        hive.satellite(name_of(i)).bus().on("bench.pong", [&received](const protocol::BusMessage&) {
            ++received;
        });
    const protocol::BusMessage ping("bench.ping",
                                    protocol::Json(protocol::JsonObject{{"n", protocol::Json(1)}}));

    // Rounds: every satellite sends one BUS, then all wait for their replies.
    const auto round = [&] {
        const std::size_t target = received + satellites;
        for (std::size_t i = 0; i < satellites; ++i)
            hive.satellite(name_of(i)).send_bus(ping);
        return hive.run_until([&] { return received >= target; }, 10s);
    };
    for (int i = 0; i < 3; ++i) // warm-up
        if (!round()) {
            std::printf("loopback: round trips: no reply from the master's agent\n");
            return;
        }
    std::size_t trips = 0;
    int rounds = 0;
    const auto start = clock_type::now();
    while (seconds_since(start) < 1.5 && rounds < 100000) {
        if (!round()) {
            std::printf("loopback: round trips: a round timed out\n");
            return;
        }
        trips += satellites;
        ++rounds;
    }
    const double elapsed = seconds_since(start);
    std::printf("%-58s %12.0f rt/s   (%.3f ms per round of %zu)\n",
                ("loopback: BUS round trips, " + std::to_string(satellites) + " satellite" +
                 (satellites == 1 ? "" : "s"))
                    .c_str(),
                static_cast<double>(trips) / elapsed, elapsed * 1000 / rounds, satellites);
}

} // namespace

void run_loopback_benchmarks(Runner& runner) {
    (void)runner;
    std::printf("\nloopback (real WebSocket on 127.0.0.1, AES-GCM; satellites without RSA keys)\n");
    handshakes(100);
    for (const std::size_t satellites : {1u, 10u, 100u})
        round_trips(satellites);
}

} // namespace hivescope::bench
