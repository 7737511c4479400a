// docs/matchers.md, "Recorders are ranges": standard algorithms and Catch2's printing.
#include <hivescope/catch2/hivescope_catch2.hpp>

#include <algorithm>
#include <ranges>

using hivescope::record::Kind;
using hivescope::record::Record;

TEST_CASE("matchers: recorders are ranges of records", "[docs][matchers]") {
    auto builder = hivescope::scenarios::single_satellite({"speak"});
    auto hive = hivescope::fixtures::prepare_for_tests(builder).start();
    hive.run_until_idle();
    auto& master = hive.master("M0");
    hive.satellite("S0").send(hivescope::bus("speak", {{"utterance", "hi"}}));
    hive.run_until_idle();

    const auto& recorder = master.recorder();
    static_assert(std::ranges::random_access_range<hivescope::record::Recorder>);
    CHECK(std::ranges::count_if(recorder, [](const Record& r) { return r.kind == Kind::inject; }) ==
          2); // hive.client.connect and speak
    CHECK(std::ranges::any_of(recorder, [](const Record& r) { return r.bus_type() == "speak"; }));
    CHECK(std::ranges::none_of(recorder, [](const Record& r) { return r.kind == Kind::refusal; }));

    // Catch2 prints a recorder as its last 10 records, ending with the node's name, so a failed
    // REQUIRE_THAT reads "<transcript> M0 injected at least 1 …".
    const std::string printed = Catch::Detail::stringify(recorder);
    CHECK(printed.rfind("M0: ", 0) == 0);
    CHECK(printed.substr(printed.size() - 3) == "\nM0");
    CHECK(Catch::Detail::stringify(hive.satellite("S0")) == "satellite S0");
}
