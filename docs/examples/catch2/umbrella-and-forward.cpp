// docs/guide.md, "Headers": a helper declared against fwd.hpp, defined with the full headers.
#include <hivescope/fwd.hpp>

#include <cstddef>
#include <string>

// In a header: only forward declarations, so including it costs nothing.
std::size_t injections_of(const hivescope::record::Recorder& recorder, const std::string& type);

// In its source file: the real headers (hivescope.hpp is all of the core, at a compile-time cost).
#include <hivescope/catch2/hivescope_catch2.hpp>
#include <hivescope/hivescope.hpp>

#include <algorithm>

std::size_t injections_of(const hivescope::record::Recorder& recorder, const std::string& type) {
    return static_cast<std::size_t>(
        std::count_if(recorder.begin(), recorder.end(), [&](const hivescope::record::Record& r) {
            return r.kind == hivescope::record::Kind::inject && r.bus_type() == type;
        }));
}

TEST_CASE("guide: helpers can take recorders through fwd.hpp", "[guide]") {
    auto hive = hivescope::scenarios::single_satellite({"speak"}).start();
    hive.satellite("S0").send(hivescope::bus("speak"));
    hive.run_until_idle();
    REQUIRE(injections_of(hive.master("M0").recorder(), "speak") == 1);
}
