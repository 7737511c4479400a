// Section re-runs start clean and leave nothing behind. Catch2 runs a SCENARIO from the top once
// per leaf path, so each run below builds its own 100-satellite star. After each run's GIVEN
// block closes, three probes must be back where they started: the listener's count of live hives,
// weak pointers to every simulated connection of that run, and the heap in use (mallinfo2),
// within a tolerance far below one hive's footprint (about 4 MB).

#include "hivescope/catch2/hivescope_catch2.hpp"

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using hivescope::protocol::MessageType;

namespace {

long long heap_in_use() {
    return static_cast<long long>(::mallinfo2().uordblks);
}

// glibc's per-thread cache keeps freed chunks counted as in use (up to about 200 KiB of small
// ones). CTest runs this suite with the cache off (GLIBC_TUNABLES, see CMakeLists.txt), where a
// run leaves only Catch2's few new section trackers; by hand, the cache's worst case is allowed.
long long heap_tolerance() {
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    const bool no_tcache =
        tunables != nullptr && std::string(tunables).find("tcache_count=0") != std::string::npos;
    return no_tcache ? 16 * 1024 : 256 * 1024;
}

constexpr std::size_t star_size = 100;

} // namespace

SCENARIO("every leaf section builds its own 100-satellite star and leaves nothing behind",
         "[sections][star]") {
    {
        // Warm up what a process allocates once (OpenSSL tables, iostreams, Catch2's section
        // tracker), so the heap probe below sees only what a run leaves behind.
        auto warm_up = hivescope::scenarios::single_satellite({"speak"});
        hivescope::fixtures::prepare_for_tests(warm_up);
        auto hive = warm_up.start();
        hive.satellite("S0").send(hivescope::bus("speak"));
        hive.run_until_idle();
    }
    const long long heap_before = heap_in_use();
    long long heap_with_hive = heap_before;
    std::vector<std::weak_ptr<hivescope::sim::Connection>> links;
    bool built = false;

    GIVEN("a master with 100 satellites") {
        auto builder = hivescope::scenarios::star_topology(star_size, {"speak"});
        hivescope::fixtures::prepare_for_tests(builder);
        auto hive = builder.start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        REQUIRE(master.clients().size() == star_size);
        for (const auto& name : hive.satellite_names()) {
            auto& satellite = hive.satellite(name);
            links.emplace_back(satellite.role().connection());
            links.emplace_back(master.role().connection(satellite.role().peer_id()));
        }
        REQUIRE(links.size() == 2 * star_size);
        for (const auto& link : links)
            REQUIRE_FALSE(link.expired());
        CHECK(hivescope::catch2::hives_alive() == 1);
        heap_with_hive = heap_in_use();
        built = true;

        WHEN("one satellite speaks") {
            hive.satellite("S42").send(hivescope::bus("speak", {{"utterance", "hi"}}));
            const auto injected = hivescope::wait_for_injected(hive, master, "speak");
            THEN("the master injects it once") {
                CHECK(master.agent().injected_of("speak").size() == 1);
                CHECK(injected.node == "M0");
            }
        }
        WHEN("every satellite speaks") {
            for (const auto& name : hive.satellite_names())
                hive.satellite(name).send(hivescope::bus("speak", {{"from", name}}));
            hive.run_until_idle();
            THEN("the master injects all of them") {
                CHECK(master.agent().injected_of("speak").size() == star_size);
            }
        }
        WHEN("the master starts a ping flood") {
            master.start_ping_flood();
            hive.run_until_idle();
            THEN("every satellite receives it") {
                for (const auto& name : hive.satellite_names()) {
                    const auto& recorder = hive.recorder(name);
                    CHECK(std::any_of(recorder.begin(), recorder.end(), [](const auto& r) {
                        return r.kind == hivescope::record::Kind::in &&
                               r.type() == MessageType::propagate;
                    }));
                }
            }
        }
        WHEN("the hive is stopped early") {
            hive.stop();
            THEN("every link is closed, and stopping again is harmless") {
                CHECK(master.clients().empty());
                CHECK_FALSE(hive.satellite("S99").connected());
                hive.stop();
            }
        }
    }

    // Whatever leaf ran, its hive is gone now.
    REQUIRE(built);
    CHECK(hivescope::catch2::hives_alive() == 0);
    std::size_t alive = 0;
    for (const auto& link : links)
        alive += link.expired() ? 0 : 1;
    CHECK(alive == 0);
    // The probes themselves hold the connections' control blocks (make_shared puts the object
    // there): let them go before measuring.
    links.clear();
    links.shrink_to_fit();
    const long long footprint = heap_with_hive - heap_before;
    const long long growth = heap_in_use() - heap_before;
    INFO("hive footprint " << footprint << " bytes, left behind " << growth << " bytes");
    CHECK(footprint > 1'000'000); // the probe measures something real
    CHECK(growth < heap_tolerance());
}
