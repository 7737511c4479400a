// The failure trace listener: a deliberately failing scenario (its own executable, run here as a
// subprocess) prints the seed and a bounded trace for the failing run only and writes its
// Mermaid diagram; the Mermaid rendering is pinned by an approval file; the per-test registry
// follows hives through moves and captures them only once a run has failed.

#include "hivescope/catch2/hivescope_catch2.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using hivescope::catch2::DiagramEvent;
using hivescope::catch2::HiveTrace;
using hivescope::catch2::TestHiveRegistry;

namespace {

struct ProcessResult {
    int exit_code = -1;
    std::string output; ///< stdout and stderr
};

ProcessResult run(const std::string& command) {
    ProcessResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        result.output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size()))
        ++n;
    return n;
}

std::vector<fs::path> diagrams_in(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::exists(dir))
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.path().extension() == ".mmd")
                out.push_back(entry.path());
    return out;
}

fs::path fresh_dir(const std::string& name) {
    const fs::path dir =
        fs::path(HIVESCOPE_TEST_TMP_DIR) / (name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

hivescope::topology::TopologyBuilder fast(hivescope::topology::TopologyBuilder builder,
                                          std::uint64_t seed) {
    builder.options().kdf_iterations = 1000;
    builder.options().satellite_pubkeys = false;
    builder.seed(seed);
    return builder;
}

} // namespace

TEST_CASE("a failing scenario prints its seed and trace and writes a Mermaid diagram",
          "[listener][subprocess]") {
    const fs::path dir = fresh_dir("failing-scenario");
    const std::string command = "HIVESCOPE_TRACE_DIR='" + dir.string() + "' '" +
                                HIVESCOPE_FAILING_SCENARIO + "' --rng-seed 4242";
    const ProcessResult first = run(command);
    INFO(first.output);

    CHECK(first.exit_code == 1); // one failed test case
    // Only the failing leaf path is reported, not its passing sibling.
    CHECK(count(first.output, "hivescope: failing run:") == 1);
    CHECK(first.output.find("hivescope: failing run: Scenario: a deliberately failing scenario / "
                            "Given: a master with one satellite that may only speak / When: the "
                            "satellite sends an utterance it may not send / Then: the test "
                            "insists it was injected (it was denied)\n") != std::string::npos);
    CHECK(first.output.find("a passing sibling path") == std::string::npos);
    CHECK(first.output.find("hivescope: re-run with --rng-seed 4242\n") != std::string::npos);
    // The hive was seeded from --rng-seed, and its trace shows the denial.
    CHECK(first.output.find("hivescope: hive 1 (seed 4242; M0, S0): last ") != std::string::npos);
    CHECK(first.output.find("M0 verdict ← S0::1::S0::") != std::string::npos);
    CHECK(first.output.find("[denied acl_disallowed_type: type 'recognizer_loop:utterance' is "
                            "not in allowed_types]") != std::string::npos);

    const auto files = diagrams_in(dir);
    REQUIRE(files.size() == 1);
    CHECK(first.output.find("hivescope: sequence diagram written to " + files[0].string() + "\n") !=
          std::string::npos);
    const std::string diagram = read_file(files[0]);
    CHECK(diagram.rfind("%% re-run with --rng-seed 4242\n%% Scenario: a deliberately failing "
                        "scenario / Given: ",
                        0) == 0);
    CHECK(diagram.find("\nsequenceDiagram\n    participant M0\n    participant S0\n") !=
          std::string::npos);
    CHECK(diagram.find("    S0->>M0: bus recognizer_loop:utterance\n"
                       "    Note over M0: denied acl_disallowed_type (bus "
                       "recognizer_loop:utterance)\n"
                       "    M0->>S0: bus hive.policy.denied\n") != std::string::npos);

    SECTION("the same seed draws the same diagram") {
        fs::remove(files[0]);
        const ProcessResult second = run(command);
        const auto again = diagrams_in(dir);
        REQUIRE(again.size() == 1);
        CHECK(read_file(again[0]) == diagram);
    }
    SECTION("a passing run writes nothing") {
        fs::remove(files[0]);
        const ProcessResult passing = run(command + " '[passing]'");
        INFO(passing.output);
        CHECK(passing.exit_code == 0);
        CHECK(passing.output.find("hivescope:") == std::string::npos);
        CHECK(diagrams_in(dir).empty());
    }
}

TEST_CASE("the Mermaid rendering of a hive matches its approval file", "[listener][approval]") {
    auto hive = fast(hivescope::scenarios::single_satellite({"speak"}), 7).start();
    hive.run_until_idle();
    auto& agent = hive.master("M0").agent();
    agent.on("speak", [&agent](const hivescope::protocol::BusMessage& message) {
        agent.emit(message.reply("speak.handled", {{"ok", true}})); // back to the speaker
    });
    auto& s0 = hive.satellite("S0");
    s0.send(hivescope::bus("speak", {{"utterance", "hello"}}));
    s0.send(hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hi"}}}));
    hive.run_until_idle();

    const std::string rendered = hivescope::catch2::render_mermaid(
        {hivescope::catch2::capture_trace(hive, 1)}, "approval: single satellite, seed 7");
    const fs::path approved = fs::path(HIVESCOPE_SOURCE_DIR) /
                              "test/catch2/approved/mermaid-single-satellite.approved.txt";
    if (std::getenv("HIVESCOPE_APPROVE") != nullptr) {
        fs::create_directories(approved.parent_path());
        std::ofstream(approved, std::ios::binary) << rendered;
    }
    INFO("received:\n" << rendered << "\n(set HIVESCOPE_APPROVE=1 to accept it)");
    REQUIRE(fs::exists(approved));
    CHECK(rendered == read_file(approved));
}

TEST_CASE("Mermaid participants: aliases for non-identifiers, prefixes for several hives",
          "[listener]") {
    HiveTrace relay_tree;
    relay_tree.index = 1;
    relay_tree.seed = 3;
    relay_tree.nodes = {"M0", "R0", "R0.1", "S0.1.0"};
    relay_tree.events = {
        {DiagramEvent::Kind::message, "S0.1.0", "R0.1", "propagate(ping)"},
        {DiagramEvent::Kind::message, "R0.1", "R0", "propagate(ping)"},
        {DiagramEvent::Kind::note, "R0", "", "dropped propagate(ping): loop; #1 <x>"},
    };
    CHECK(hivescope::catch2::render_mermaid({relay_tree}, "tree") ==
          "%% tree\n"
          "sequenceDiagram\n"
          "    participant R0\n"
          "    participant P1 as R0.1\n"
          "    participant P2 as S0.1.0\n"
          "    P2->>P1: propagate(ping)\n"
          "    P1->>R0: propagate(ping)\n"
          "    Note over R0: dropped propagate(ping): loop, no.1 (x)\n");

    HiveTrace second;
    second.index = 2;
    second.seed = 4;
    second.nodes = {"M0", "S0"};
    second.events = {{DiagramEvent::Kind::message, "S0", "M0", "bus speak"}};
    HiveTrace empty;
    empty.index = 3;
    const std::string both = hivescope::catch2::render_mermaid({second, empty}, "two hives");
    CHECK(both == "%% two hives\n"
                  "sequenceDiagram\n"
                  "    participant H2_M0\n"
                  "    participant H2_S0\n"
                  "    %% hive 2 (seed 4): 0 earlier events omitted\n"
                  "    H2_S0->>H2_M0: bus speak\n"
                  "    %% hive 3 (seed 0): nothing to draw\n");
}

TEST_CASE("diagram file names are readable, unique and safe", "[listener]") {
    using hivescope::catch2::diagram_file_name;
    const std::string a = diagram_file_name("Scenario: a / Given: b");
    CHECK(a.rfind("scenario-a-given-b-", 0) == 0);
    CHECK(a.size() == std::string("scenario-a-given-b-").size() + 8 + 4);
    CHECK(a.substr(a.size() - 4) == ".mmd");
    CHECK(diagram_file_name("Scenario: a / Given: b!") != a);
    CHECK(diagram_file_name("../../etc/passwd").find('/') == std::string::npos);
    CHECK(diagram_file_name(std::string(500, 'x')).size() == 80 + 1 + 8 + 4);
    CHECK(diagram_file_name("***").rfind("run-", 0) == 0);
}

TEST_CASE("the trace directory comes from HIVESCOPE_TRACE_DIR", "[listener]") {
    const char* saved = std::getenv("HIVESCOPE_TRACE_DIR");
    const std::string restore = saved != nullptr ? saved : "";
    ::setenv("HIVESCOPE_TRACE_DIR", "/tmp/somewhere", 1);
    CHECK(hivescope::catch2::trace_directory() == fs::path("/tmp/somewhere"));
    ::unsetenv("HIVESCOPE_TRACE_DIR");
    // Without the variable: the build tree's directory compiled into the library.
    CHECK(hivescope::catch2::trace_directory().filename() == "hivescope-traces");
    if (saved != nullptr)
        ::setenv("HIVESCOPE_TRACE_DIR", restore.c_str(), 1);
}

TEST_CASE("the listener's registry sees this test's hives", "[listener][registry]") {
    REQUIRE(hivescope::catch2::current_test_registry() != nullptr);
    CHECK(hivescope::catch2::hives_alive() == 0);
    {
        auto hive = fast(hivescope::scenarios::single_satellite(), 1).start();
        CHECK(hivescope::catch2::hives_alive() == 1);
        hivescope::topology::Hive moved = std::move(hive);
        CHECK(hivescope::catch2::hives_alive() == 1);
        CHECK(hivescope::catch2::current_test_registry()->created() == 1);
    }
    CHECK(hivescope::catch2::hives_alive() == 0);
}

TEST_CASE("a registry captures hives only once the run has failed", "[listener][registry]") {
    TestHiveRegistry registry({/*trace_lines=*/5, /*diagram_messages=*/3});
    const hivescope::topology::ScopedHiveRegistry installed(&registry);
    { auto passing = fast(hivescope::scenarios::single_satellite(), 1).start(); }
    CHECK(registry.created() == 1);
    CHECK(registry.alive() == 0);
    CHECK(registry.collect().empty()); // destroyed before any failure: nothing kept

    registry.mark_failed();
    CHECK(registry.failing());
    auto kept = fast(hivescope::scenarios::single_satellite(), 2).start();
    auto assigned = fast(hivescope::scenarios::single_satellite(), 3).start();
    assigned = std::move(kept); // the seed-3 hive is destroyed (captured), seed 2 lives on
    CHECK(registry.alive() == 1);

    const auto traces = registry.collect();
    REQUIRE(traces.size() == 2);
    CHECK(traces[0].index == 2); // seed 2, still alive: captured now
    CHECK(traces[0].seed == 2);
    CHECK(traces[1].index == 3); // seed 3: captured when it was destroyed
    CHECK(traces[1].seed == 3);
    for (const auto& trace : traces) {
        CHECK(trace.nodes == std::vector<std::string>{"M0", "S0"});
        CHECK(trace.lines.size() == 5);
        CHECK(trace.records > 5);
        CHECK(trace.events.size() == 3);
        CHECK(trace.events_omitted > 0);
    }

    registry.begin_run();
    CHECK_FALSE(registry.failing());
    CHECK(registry.created() == 0);
}

TEST_CASE("the failure report names the path, the seed and each hive", "[listener]") {
    HiveTrace trace;
    trace.index = 1;
    trace.seed = 9;
    trace.nodes = {"M0", "S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"};
    trace.records = 12;
    trace.lines = {"t=1.000ms M0 in ← S0 bus speak", "t=2.000ms S0 in ← M0 bus speak"};
    CHECK(hivescope::catch2::render_report("T / Given: g", 9, {trace}) ==
          "hivescope: failing run: T / Given: g\n"
          "hivescope: re-run with --rng-seed 9\n"
          "hivescope: hive 1 (seed 9; M0, S0, S1, S2, S3, S4, S5, S6, … 2 more): last 2 of 12 "
          "records\n"
          "  t=1.000ms M0 in ← S0 bus speak\n"
          "  t=2.000ms S0 in ← M0 bus speak\n");
    CHECK(hivescope::catch2::render_report("T", 1, {}) ==
          "hivescope: failing run: T\n"
          "hivescope: re-run with --rng-seed 1\n"
          "hivescope: no hive trace kept (a hive is traced when it is alive at the failure or "
          "destroyed after it)\n");
}
